# weft_serve.sh - sourced by the shell tests of `weft serve`: start it on a
# free port, read the port from its banner, count its fds, stop it by PID.
#
#   source tests/lib/weft_serve.sh
#   serve_start "$build/weft" "$root" [more options]   # sets SERVE_PID, SERVE_PORT
#   serve_fds                                          # open fds of the server
#   serve_stop                                         # SIGTERM, wait, check exit 0
#
# The caller's EXIT trap should call serve_cleanup (kills only SERVE_PID).

SERVE_PID=
SERVE_PORT=
SERVE_OUT=

serve_start() {
    local weft=$1 root=$2
    shift 2
    SERVE_OUT=$(mktemp /tmp/weft-serve-out-XXXXXX)
    "$weft" serve "$root" --bind 127.0.0.1 --port 0 "$@" >"$SERVE_OUT" 2>"$SERVE_OUT.log" &
    SERVE_PID=$!
    SERVE_PORT=
    local i
    for i in $(seq 1000); do
        # printf + fflush write the banner line whole, newline included.
        SERVE_PORT=$(sed -n 's|^Serving HTTPS\{0,1\} on 127\.0\.0\.1 port \([0-9]*\) (https\{0,1\}://127\.0\.0\.1:\1/) \.\.\.$|\1|p' "$SERVE_OUT")
        [ -n "$SERVE_PORT" ] && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.01
    done
    echo "weft serve did not start:"; cat "$SERVE_OUT" "$SERVE_OUT.log"
    return 1
}

serve_fds() {
    ls "/proc/$SERVE_PID/fd" | wc -l
}

# Wait (bounded) until the server's fd count is back to $1: connections the
# clients closed are closed by the server when it reads their EOF.
serve_wait_fds() {
    local want=$1 i n
    for i in $(seq 500); do
        n=$(serve_fds)
        [ "$n" -le "$want" ] && return 0
        sleep 0.01
    done
    echo "server fds: $n, expected $want"; ls -l "/proc/$SERVE_PID/fd"
    return 1
}

serve_stop() {
    kill -TERM "$SERVE_PID"
    local rc=0
    wait "$SERVE_PID" || rc=$?
    SERVE_PID=
    [ "$rc" -eq 0 ] || { echo "weft serve exited with $rc"; cat "$SERVE_OUT.log"; return 1; }
}

serve_cleanup() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    [ -n "$SERVE_OUT" ] && rm -f "$SERVE_OUT" "$SERVE_OUT.log"
    return 0
}
