#!/bin/bash
# http_hello: a wrk load smoke test (2 s, 2 workers sharing the port through
# SO_REUSEPORT, access log on): no socket errors, only 200s, every request
# logged in Combined Log Format; then SIGTERM stops it cleanly.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/lib/serve.sh"
command -v wrk >/dev/null || { echo "wrk missing (scripts/deps.sh installs it)"; exit 1; }
serve_start 'Running on http://127.0.0.1:\([0-9]*\) ' "$build/examples/http_hello" \
    --host 127.0.0.1 --port 0 --workers 2 --log
url="http://127.0.0.1:$SERVE_PORT/"
[ "$(curl -sS --max-time 10 "$url")" = "Hello, World!" ]
out=$(wrk -t1 -c16 -d2s "$url")
echo "$out"
if echo "$out" | grep -Eq "Socket errors|Non-2xx"; then exit 1; fi
n=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
[ "$n" -gt 1000 ]
serve_stop
# One line per request (curl's and wrk's; wrk may count a few it cut off).
lines=$(grep -c '"GET / HTTP/1.1" 200 13 "-" ' "$SERVE_OUT")
[ "$lines" -ge "$n" ] || { echo "$lines log lines for $n requests"; exit 1; }
grep -q '^127.0.0.1 - - \[[0-9][0-9]/[A-Z][a-z][a-z]/20[0-9][0-9]:[0-9:]* [-+][0-9]*\] "GET / HTTP/1.1" 200 13 "-" "curl/' "$SERVE_OUT"
echo OK
