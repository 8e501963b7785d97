#!/bin/bash
# conn_pool: ten requests through three pooled connections to the
# echo_server example; every reply is its own message, the server saw
# exactly three connections.
set -euo pipefail
BUILD="$1"
. "$(dirname "$0")/../lib/serve.sh"
serve_start "^Serving on ('127.0.0.1', \([0-9]*\))$" "$BUILD/examples/echo_server" 127.0.0.1 0
PORT=$SERVE_PORT
R=$("$BUILD/examples/conn_pool" 127.0.0.1 "$PORT")
echo "$R"
[ "$R" = "$(printf 'msg%d\n' 0 1 2 3 4 5 6 7 8 9; echo '10 requests over 3 connections')" ]
serve_stop TERM
[ "$(grep -c '^Connected:' "$SERVE_OUT")" = 3 ] || { cat "$SERVE_OUT"; exit 1; }
[ "$(grep -c '^Received:' "$SERVE_OUT")" = 10 ] || { cat "$SERVE_OUT"; exit 1; }
# Nobody listening: a clean error.
if "$BUILD/examples/conn_pool" 127.0.0.1 "$PORT" 2>"$SERVE_OUT"; then exit 1; fi
grep -q "conn_pool: " "$SERVE_OUT"
echo "conn_pool ok"
