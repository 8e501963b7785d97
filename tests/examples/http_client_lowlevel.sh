#!/usr/bin/env bash
# examples/http_client_lowlevel against the local test server: status and
# reason, the headers, the body in repr'd chunks of at most 200 bytes, and our
# X-My-Header on the wire (/headers echoes the request head).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
out=$(timeout 20 "$1/examples/http_client_lowlevel" "$base" /headers)
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "200: OK" ]
grep -q '^Content-Length: ' <<<"$out"
grep -q "^b'GET /headers HTTP/1.1" <<<"$out"
grep -q 'X-My-Header: foo' <<<"$out"
out=$(timeout 20 "$1/examples/http_client_lowlevel" "$base" "/big?n=1000")
[ "$(echo "$out" | grep -c "^b'")" -eq 5 ]   # 1000 bytes in chunks of 200
echo ok
