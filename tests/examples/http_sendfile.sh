#!/bin/bash
# http_sendfile: index.html served by a handler through sendfile; curl gets
# it byte for byte, twice on one connection, and the server's fds settle.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/lib/serve.sh"
dir=$(mktemp -d /tmp/weft-http-sendfile-XXXXXX)
trap 'serve_cleanup; rm -rf "$dir"' EXIT
{ echo '<!DOCTYPE html><title>weft</title>'; head -c 300000 /dev/zero | tr '\0' 'x'; echo; } >"$dir/index.html"

serve_start 'Running on http://[^ ]*:\([0-9][0-9]*\)' "$build/examples/http_sendfile" 0 "$dir/index.html"
port=$SERVE_PORT
fds0=$(ls /proc/$SERVE_PID/fd | wc -l)

timeout 20 curl -sS -v -o "$dir/got1" -o "$dir/got2" "http://localhost:$port/" "http://localhost:$port/" 2>"$dir/curl.err"
cmp "$dir/got1" "$dir/index.html"
cmp "$dir/got2" "$dir/index.html"
grep -q "Re-using existing connection" "$dir/curl.err"
grep -qi "^< Content-Type: text/html" "$dir/curl.err"
grep -qi "^< Content-Length: $(stat -c %s "$dir/index.html")" "$dir/curl.err"
# Another path is the server's 404.
[ "$(timeout 20 curl -s -o /dev/null -w '%{http_code}' "http://localhost:$port/nope")" = 404 ]
for _ in $(seq 500); do [ "$(ls /proc/$SERVE_PID/fd | wc -l)" -le "$fds0" ] && break; sleep 0.01; done
[ "$(ls /proc/$SERVE_PID/fd | wc -l)" -le "$fds0" ]
serve_stop
echo OK
