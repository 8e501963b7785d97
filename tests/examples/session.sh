#!/usr/bin/env bash
# examples/session: the server sees the session's auth and default header
# and the request's own header; the second round reuses the connection.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
out=$(timeout 20 "$1/examples/session" "$base/headers")
echo "$out"
[ "$(echo "$out" | grep -c '^200: OK$')" -eq 2 ]
grep -q '^Authorization: Basic dXNlcjpwYXNz' <<<"$out"
grep -q '^X-My-Default-Header: bar' <<<"$out"
grep -q '^X-My-Header: foo' <<<"$out"
[ "$(echo "$out" | tail -1)" = "connections opened: 1, reused: 1" ]
echo ok
