# pyserver.sh - sourced by example tests: start tests/lib/http_test_server.py
# on 127.0.0.1 (a free port it picks itself), set $port and $base, and kill it
# by PID on exit.   . "$src/tests/lib/pyserver.sh"; start_pyserver
src=${src:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
py_dir=$(mktemp -d /tmp/weft-example-XXXXXX)
py_pid=
stop_pyserver() {
    if [ -n "$py_pid" ]; then kill "$py_pid" 2>/dev/null || true; wait "$py_pid" 2>/dev/null || true; fi
    rm -rf "$py_dir"
}
trap stop_pyserver EXIT
start_pyserver() {
    /usr/bin/python3 "$src/tests/lib/http_test_server.py" "$py_dir/port" 2>"$py_dir/log" &
    py_pid=$!
    for _ in $(seq 250); do [ -s "$py_dir/port" ] && break; sleep 0.02; done
    [ -s "$py_dir/port" ] || { echo "test server did not start"; cat "$py_dir/log"; exit 1; }
    port=$(cat "$py_dir/port")
    base="http://127.0.0.1:$port"
}
