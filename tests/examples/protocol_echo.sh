#!/bin/bash
# protocol_echo: Python clients (one sending 1 MB while reading, one
# half-closing) check the echo; the log has one "Connection from" and one
# "Connection closed" per client; SIGTERM ends it cleanly.
set -euo pipefail
BUILD="$1"
. "$(dirname "$0")/../lib/serve.sh"
fail() { echo "FAIL: $1"; cut -c1-200 "$SERVE_OUT" | head -40; exit 1; }
serve_start '^Serving on port \([0-9]*\)$' "$BUILD/examples/protocol_echo" 127.0.0.1 0
PORT=$SERVE_PORT

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
    while len(got) < len(payload):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    t.join(); s.close()
    assert got == payload, (len(got), len(payload))
client(b"Hello, Server!")
client(bytes(range(256)) * 4096)     # 1 MiB
client(b"it's\n")
print("protocol echo ok")
PY

serve_stop TERM
[ "$(grep -c "^Connection from ('127.0.0.1', [0-9]*)$" "$SERVE_OUT")" = 3 ] || fail "3 connections"
[ "$(grep -c "^Connection closed$" "$SERVE_OUT")" = 3 ] || fail "3 closed"
grep -qx "Received: 'Hello, Server!'" "$SERVE_OUT" || fail "hello"
grep -qx "Received: \"it's\\\\n\"" "$SERVE_OUT" || fail "quote and newline"
grep -q "^Received: '\\\\x00\\\\x01.*\\.\\.\\.'$" "$SERVE_OUT" || fail "long data cut with ..."
echo "protocol_echo ok"
