#!/bin/bash
# udp_echo: Python sends datagrams (one at a time, each waiting for its echo,
# so nothing can be dropped), checks every echo, then a SIGTERM stops it.
set -euo pipefail
BIN="$1/examples/udp_echo"
OUT=$(mktemp)
trap 'kill $PID 2>/dev/null || true; rm -f "$OUT"' EXIT
# Not under timeout(1), which would stand between our signal and the server;
# ctest's timeout bounds the test, and the trap kills the server on failure.
"$BIN" 0 >"$OUT" &
PID=$!
for _ in $(seq 100); do grep -q "listening" "$OUT" && break; sleep 0.05; done
PORT=$(sed -n 's/.*localhost:\([0-9]*\).*/\1/p' "$OUT")
[ -n "$PORT" ] || { echo "no port in output:"; cat "$OUT"; exit 1; }
python3 - "$PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
for i in range(200):
    msg = f"Hello UDP {i}".encode() + b"x" * (i * 7)
    s.sendto(msg, ("127.0.0.1", port))
    data, addr = s.recvfrom(65536)
    assert data == msg and addr == ("127.0.0.1", port), (data, addr)
big = bytes(range(256)) * 200          # 51200 bytes in one datagram
s.sendto(big, ("127.0.0.1", port))
assert s.recvfrom(65536)[0] == big
print("udp echo ok", s.getsockname()[1])
PY
kill -TERM $PID
wait $PID   # exits 0 after closing the endpoint
grep -q "Received 'Hello UDP 0' from ('127.0.0.1', " "$OUT" || { cat "$OUT"; exit 1; }
[ "$(grep -c '^Received' "$OUT")" = 201 ] || { grep -c '^Received' "$OUT"; exit 1; }
echo "udp_echo ok"
