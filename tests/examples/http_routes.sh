#!/bin/bash
# http_routes: /, /about and a 404, as a plain handler and with the router;
# each request is printed as "METHOD PATH", like the Python original.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/lib/serve.sh"
for mode in "" --router; do
    serve_start 'HTTP server on http://localhost:\([0-9]*\)' "$build/examples/http_routes" $mode --port 0
    url="http://localhost:$SERVE_PORT"
    [ "$(curl -sS --max-time 10 "$url/")" = "<h1>Home</h1>" ]
    [ "$(curl -sS --max-time 10 "$url/about")" = "<h1>About</h1>" ]
    out=$(curl -sS --max-time 10 -w ' %{http_code} %{content_type}' "$url/missing")
    [ "$out" = "<h1>404 Not Found</h1> 404 text/html" ]
    for _ in $(seq 100); do grep -q "GET /missing" "$SERVE_OUT" && break; sleep 0.02; done
    grep -qx "GET /" "$SERVE_OUT"
    grep -qx "GET /about" "$SERVE_OUT"
    grep -qx "GET /missing" "$SERVE_OUT"
    serve_stop
done
echo OK
