#!/bin/bash
# sock_echo: start the server on a free port, echo through it with three
# Python clients (one of them sending 1 MB), check it served them and exited.
set -euo pipefail
BIN="$1/examples/sock_echo"
OUT=$(mktemp)
trap 'kill $PID 2>/dev/null || true; rm -f "$OUT"' EXIT
# Not under timeout(1), which would stand between our signal and the server;
# ctest's timeout bounds the test, and the trap kills the server on failure.
"$BIN" 0 3 >"$OUT" &
PID=$!
for _ in $(seq 100); do grep -q "listening" "$OUT" && break; sleep 0.05; done
PORT=$(sed -n 's/.*localhost:\([0-9]*\).*/\1/p' "$OUT")
[ -n "$PORT" ] || { echo "no port in output:"; cat "$OUT"; exit 1; }
python3 - "$PORT" <<'PY'
import socket, sys, threading
port = int(sys.argv[1])
def client(payload):
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    def send():
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send); t.start()
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    t.join(); s.close()
    assert got == payload, (len(got), len(payload))
client(b"Hello, Server!")
client(bytes(range(256)) * 4096)     # 1 MiB
client(b"bye\n")
print("echo ok")
PY
wait $PID
grep -c "Connected: ('127.0.0.1'," "$OUT" | grep -qx 3 || { cat "$OUT"; exit 1; }
echo "sock_echo ok"
