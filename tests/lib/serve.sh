# serve.sh - sourced by shell tests that run a server program in the
# background: start it, find its port in what it prints, stop it by PID.
#
#   source "$src/tests/lib/serve.sh"
#   serve_start 'Running on http://[^:]*:\([0-9]*\)' "$build/examples/web_app" --port 0
#   curl "http://127.0.0.1:$SERVE_PORT/"
#   serve_stop            # SIGTERM, wait, fail unless it exited 0
#
# The server is not run under timeout(1), which would stand between our
# signal and it; ctest's timeout bounds the test and the EXIT trap kills the
# server (by its PID) when the test fails half-way.
SERVE_PID=
SERVE_PORT=
SERVE_OUT=$(mktemp /tmp/weft-serve-XXXXXX)
serve_cleanup() {
    if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
    rm -f "$SERVE_OUT"
}
trap serve_cleanup EXIT

# serve_start SED_REGEX_WITH_ONE_GROUP_FOR_THE_PORT CMD...
# The regex matches anywhere in a line, unless anchored with ^ and/or $.
serve_start() {
    local re=$1 pre='.*' post='.*'
    shift
    [[ $re == ^* ]] && pre=
    [[ $re == *\$ ]] && post=
    "$@" >"$SERVE_OUT" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 500); do
        SERVE_PORT=$(sed -n "s|$pre$re$post|\1|p" "$SERVE_OUT" | head -1)
        [ -n "$SERVE_PORT" ] && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.02
    done
    echo "server did not start:"; cat "$SERVE_OUT"; return 1
}

# serve_stop [SIGNAL]: signal the server and require a clean exit.
serve_stop() {
    kill -"${1:-TERM}" "$SERVE_PID"
    local rc=0
    wait "$SERVE_PID" || rc=$?
    SERVE_PID=
    [ "$rc" -eq 0 ] || { echo "server exited with $rc:"; cat "$SERVE_OUT"; return 1; }
}
