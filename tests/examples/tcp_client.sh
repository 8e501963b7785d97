#!/bin/bash
# tcp_client: run it against the seed's asyncio echo server (start_server,
# read, write, drain) and check what it sent and what came back, escapes
# included.
set -euo pipefail
BUILD="$1"
OUT=$(mktemp)
trap 'kill $PID 2>/dev/null || true; rm -f "$OUT"' EXIT
python3 -u - >"$OUT" <<'PY' &
import asyncio

async def handle_client(reader, writer):
    while True:
        data = await reader.read(1024)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()
    await writer.wait_closed()

async def main():
    server = await asyncio.start_server(handle_client, '127.0.0.1', 0)
    print(f"Serving on {server.sockets[0].getsockname()[1]}")
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY
PID=$!
for _ in $(seq 200); do grep -q "^Serving on" "$OUT" && break; sleep 0.05; done
PORT=$(sed -n 's/^Serving on \([0-9]*\)$/\1/p' "$OUT")
[ -n "$PORT" ] || { echo "no port in output:"; cat "$OUT"; exit 1; }

R=$("$BUILD/examples/tcp_client" "Hello, Server!" 127.0.0.1 "$PORT")
echo "$R"
[ "$R" = "$(printf "Sending: 'Hello, Server!'\nReceived: 'Hello, Server!'")" ]
R=$("$BUILD/examples/tcp_client" "$(printf 'tab\there\nnew line')" localhost "$PORT")
echo "$R"
[ "$R" = "$(printf "Sending: 'tab\\\\there\\\\nnew line'\nReceived: 'tab\\\\there\\\\nnew line'")" ]
# Nobody there: a clean error, exit status 1.
if "$BUILD/examples/tcp_client" x 127.0.0.1 1 2>"$OUT"; then exit 1; fi
grep -q "open_connection: " "$OUT"
echo "tcp_client ok"
