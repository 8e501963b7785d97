#!/bin/bash
# echo_server: start it on a free port; Python's asyncio client from the
# seed (open_connection, write, drain, read) and a 1 MB echo check it, then
# the C twin tcp_client talks to it; the log must read like the Python's;
# SIGTERM ends it cleanly.
set -euo pipefail
BUILD="$1"
. "$(dirname "$0")/../lib/serve.sh"
fail() { echo "FAIL: $1"; cut -c1-200 "$SERVE_OUT" | head -40; exit 1; }
serve_start "^Serving on ('127.0.0.1', \([0-9]*\))$" "$BUILD/examples/echo_server" 127.0.0.1 0
PORT=$SERVE_PORT

python3 - "$PORT" <<'PY'
import asyncio, sys
port = int(sys.argv[1])

async def tcp_client(message):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(message.encode())
    await writer.drain()
    data = await reader.read(1024)
    assert data.decode() == message, data
    writer.close()
    await writer.wait_closed()

async def bulk(n):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    payload = bytes(range(256)) * (n // 256)
    async def send():
        writer.write(payload)
        await writer.drain()
        writer.write_eof()
    sender = asyncio.create_task(send())
    got = await reader.read(-1)            # until the server closes
    await sender
    assert got == payload, (len(got), len(payload))
    writer.close()
    await writer.wait_closed()

async def main():
    await tcp_client("Hello, Server!")
    await asyncio.gather(bulk(100 * 1024), tcp_client("one"), tcp_client("two"))
    print("python clients ok")

asyncio.run(main())
PY

CLIENT=$("$BUILD/examples/tcp_client" "it's the C twin" 127.0.0.1 "$PORT")
echo "$CLIENT"
grep -qx "Sending: \"it's the C twin\"" <<<"$CLIENT"
grep -qx "Received: \"it's the C twin\"" <<<"$CLIENT"

serve_stop TERM # exit 0: serve_forever returned, the shutdown was graceful
[ "$(grep -c "^Connected: ('127.0.0.1', [0-9]*)$" "$SERVE_OUT")" = 5 ] || fail "5 connections"
[ "$(grep -c "^Disconnected: ('127.0.0.1', [0-9]*)$" "$SERVE_OUT")" = 5 ] || fail "5 disconnections"
grep -q "^Received: 'Hello, Server!' from ('127.0.0.1', [0-9]*)$" "$SERVE_OUT" || fail "hello"
grep -q "^Received: \"it's the C twin\" from ('127.0.0.1', [0-9]*)$" "$SERVE_OUT" || fail "C twin"
grep -q "^Received: '\\\\x00\\\\x01\\\\x02" "$SERVE_OUT" || fail "binary escaped"
echo "echo_server ok"
