#!/bin/bash
# conn_pool: ten requests through three pooled connections to the
# echo_server example; every reply is its own message, the server saw
# exactly three connections.
set -euo pipefail
BUILD="$1"
OUT=$(mktemp)
. "$(dirname "$0")/lib.sh"
trap 'kill $SERVER_PID 2>/dev/null || true; rm -f "$OUT"' EXIT
serve "$OUT" "$BUILD/examples/echo_server" 127.0.0.1 0
PORT=$(port_from "$OUT" "s/^Serving on ('127.0.0.1', \([0-9]*\))$/\1/p")
R=$("$BUILD/examples/conn_pool" 127.0.0.1 "$PORT")
echo "$R"
[ "$R" = "$(printf 'msg%d\n' 0 1 2 3 4 5 6 7 8 9; echo '10 requests over 3 connections')" ]
kill -TERM $SERVER_PID
wait $SERVER_PID
[ "$(grep -c '^Connected:' "$OUT")" = 3 ] || { cat "$OUT"; exit 1; }
[ "$(grep -c '^Received:' "$OUT")" = 10 ] || { cat "$OUT"; exit 1; }
# Nobody listening: a clean error.
if "$BUILD/examples/conn_pool" 127.0.0.1 "$PORT" 2>"$OUT"; then exit 1; fi
grep -q "conn_pool: " "$OUT"
echo "conn_pool ok"
