# Sourced by the example tests that start a server: run it in the
# background, then wait for the line that names its port.
#
#   serve "$OUT" "$BIN" args...         # sets SERVER_PID
#   PORT=$(port_from "$OUT" 's/^Serving on port \([0-9]*\)$/\1/p')
#
# The server is not run under timeout(1), which would stand between our
# signals and it: ctest's timeout bounds the test, and the caller's trap
# kills the server on failure.

serve() {
    local out=$1
    shift
    "$@" >"$out" &
    SERVER_PID=$!
}

port_from() {
    local out=$1 expr=$2 port
    for _ in $(seq 200); do
        port=$(sed -n "$expr" "$out")
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "no port in the server's output:" >&2
    head -c 2000 "$out" >&2
    return 1
}
