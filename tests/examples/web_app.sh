#!/bin/bash
# web_app: aiohttp's minimum app; curl gets "Hello, world" on /, 404 elsewhere,
# HEAD works, and SIGINT stops it gracefully (exit 0).
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/lib/serve.sh"
serve_start 'Running on http://0.0.0.0:\([0-9]*\) ' "$build/examples/web_app" --port 0
url="http://127.0.0.1:$SERVE_PORT"
[ "$(curl -sS --max-time 10 "$url/")" = "Hello, world" ]
[ "$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$url/nothing")" = 404 ]
curl -sS --max-time 10 -I "$url/" | tr -d '\r' | grep -qx 'Content-Type: text/plain; charset=utf-8'
# Two requests, one connection.
[ "$(curl -sS --max-time 10 -w '%{num_connects}\n' "$url/" "$url/" | tail -1)" = "Hello, world0" ]
serve_stop INT
echo OK
