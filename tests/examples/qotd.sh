#!/bin/bash
# qotd: every connection gets the configured quote and is closed; several
# clients at once; SIGTERM stops the reactor and it exits 0.
set -euo pipefail
BUILD="$1"
. "$(dirname "$0")/../lib/serve.sh"
serve_start '^QOTD on port \([0-9]*\)$' "$BUILD/examples/qotd" 0 "configurable quote" 127.0.0.1
PORT=$SERVE_PORT
python3 - "$PORT" <<'PY'
import socket, sys
from concurrent.futures import ThreadPoolExecutor
port = int(sys.argv[1])
def fetch(_):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    return got
with ThreadPoolExecutor(8) as ex:
    quotes = list(ex.map(fetch, range(20)))
assert all(q == b"configurable quote\r\n" for q in quotes), quotes[:3]
print("qotd ok x", len(quotes))
PY
serve_stop TERM
# The default quote, on a second run (on loopback only: "every interface" is the default).
serve_start '^QOTD on port \([0-9]*\)$' "$BUILD/examples/qotd" 0 "" 127.0.0.1
PORT=$SERVE_PORT
Q=$(python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $PORT), timeout=10); print(s.makefile('rb').read().decode(), end='')")
[ "$Q" = "$(printf 'An apple a day keeps the doctor away\r\n')" ] || { echo "got: $Q"; exit 1; }
serve_stop INT
echo "qotd ok"
