#!/usr/bin/env bash
# examples/urlopen: a GET printed like urlopen's loop, then a form POST that
# the server receives urlencoded with its Content-Type.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
out=$(timeout 20 "$1/examples/urlopen" "$base/hello")
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "200: OK" ]
[ "$(echo "$out" | tail -1)" = "hello" ]
out=$(timeout 20 "$1/examples/urlopen" "$base/form" "form=value" "name=J Doe")
echo "$out"
grep -q '^X-Content-Type: application/x-www-form-urlencoded$' <<<"$out"
[ "$(echo "$out" | tail -1)" = "got form=value&name=J+Doe" ]
# A failure is one clear line.
set +e
err=$(timeout 20 "$1/examples/urlopen" "http://127.0.0.1:1/" 2>&1)
rc=$?
set -e
[ $rc -eq 1 ]
grep -q '^urlopen: connect to 127.0.0.1 port 1 failed: Connection refused$' <<<"$err"
echo ok
