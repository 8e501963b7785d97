# Sourced by shell tests that need a real DNS server: dnsmasq on 127.0.0.1,
# on a free port, with the caller's records (the shell twin of
# weft_dnsmasq.c).
#
#   start_dnsmasq DIR PROBE_NAME ARGS...   # sets DNSMASQ_PID and DNSMASQ_PORT
#
# ARGS are extra dnsmasq options (--address=..., --host-record=...); PROBE_NAME
# is a name they answer. A free port can be taken by another test between the
# look-up and dnsmasq's bind, so a dnsmasq that exits is retried on another
# port. It is ready when it answers PROBE_NAME (retried every 0.2 s, at most
# 20 s), not after a fixed wait: a loaded machine starts it slowly. The
# caller kills DNSMASQ_PID.

start_dnsmasq() {
    local dir=$1 probe=$2 attempt
    shift 2
    local user=()
    [ "$(id -u)" = 0 ] && user=(--user=root)
    DNSMASQ_PID=
    for attempt in 1 2 3 4 5; do
        DNSMASQ_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        : >"$dir/dnsmasq.log"
        /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
            --pid-file= --listen-address=127.0.0.1 --bind-interfaces --port="$DNSMASQ_PORT" \
            --log-queries --log-facility="$dir/dnsmasq.log" "${user[@]}" "$@" \
            2>"$dir/dnsmasq.err" &
        DNSMASQ_PID=$!
        if python3 - "$DNSMASQ_PORT" "$DNSMASQ_PID" "$probe" <<'PY'
import os, socket, struct, sys, time
port, pid, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
q = struct.pack(">HHHHHH", 0x5745, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\0"
q += struct.pack(">HH", 1, 1)
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)  # dnsmasq exited: most likely the port was taken
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, ("127.0.0.1", port))
        if s.recv(512)[:2] == q[:2]:
            sys.exit(0)
    except OSError:
        time.sleep(0.05)  # refused: not bound yet
    finally:
        s.close()
sys.exit(1)
PY
        then
            return 0
        fi
        kill "$DNSMASQ_PID" 2>/dev/null
        wait "$DNSMASQ_PID" 2>/dev/null
        DNSMASQ_PID=
        cat "$dir/dnsmasq.err" >&2
    done
    echo "dnsmasq did not start" >&2
    return 1
}
