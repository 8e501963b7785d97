#!/usr/bin/env bash
# examples/dns_resolve against dnsmasq on loopback (its own records), plus
# localhost from /etc/hosts and an IP literal. dnsmasq is killed by PID.
set -eu
build=$1
bin=$build/examples/dns_resolve
dnsmasq=/usr/sbin/dnsmasq
[ -x "$dnsmasq" ] || { echo "SKIP: no dnsmasq"; exit 0; }

dir=$(mktemp -d /tmp/weft-dns-example-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

user=(); [ "$(id -u)" = 0 ] && user=(--user=root)
# A free port can be taken by another test between the probe and dnsmasq's
# bind (UDP and TCP both): if dnsmasq exits instead of starting, try again.
# Ready when it answers a query (a probe for www.example.test, retried every
# 0.2 s for at most 20 s), not after a fixed wait: a loaded machine starts
# dnsmasq slowly.
probe() {
    python3 - "$1" "$2" <<'PY'
import os, socket, struct, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
q = struct.pack(">HHHHHH", 0x5745, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in b"www.example.test".split(b".")) + b"\0"
q += struct.pack(">HH", 1, 1)
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)  # dnsmasq exited: the port was taken
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
}
for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    : >"$dir/log"
    "$dnsmasq" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --pid-file \
        --listen-address=127.0.0.1 --bind-interfaces --port="$port" --local=/test/ \
        --host-record=www.example.test,192.0.2.10,2001:db8::10 --address=/api.test/192.0.2.20 \
        --log-queries --log-facility="$dir/log" "${user[@]}" 2>"$dir/err" &
    pid=$!
    probe "$port" "$pid" && break
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    cat "$dir/err"
done
[ -n "$pid" ] || { echo "FAIL: dnsmasq did not start"; exit 1; }

set +e
out=$(timeout 20 "$bin" --server "127.0.0.1:$port" www.example.test api.test localhost nope.test 127.0.0.1)
rc=$?
set -e
echo "$out"
fail() { echo "FAIL: $*"; exit 1; }
[ "$rc" = 1 ] || fail "exit status $rc, want 1 (nope.test fails)"
grep -qx 'www.example.test -> 2001:db8::10 (IPv6)' <<<"$out" || fail "www AAAA"
grep -qx 'www.example.test -> 192.0.2.10 (IPv4)' <<<"$out" || fail "www A"
grep -qx 'api.test -> 192.0.2.20 (IPv4)' <<<"$out" || fail "api A"
grep -qx 'localhost -> 127.0.0.1 (IPv4)' <<<"$out" || fail "localhost"
grep -qx 'nope.test: DNS name does not exist' <<<"$out" || fail "nope.test NXDOMAIN"
grep -qx '127.0.0.1 -> 127.0.0.1 (IPv4)' <<<"$out" || fail "literal"
# IPv6 listed before IPv4 for the same name.
[ "$(grep '^www.example.test' <<<"$out" | head -1)" = 'www.example.test -> 2001:db8::10 (IPv6)' ] || fail "order"
# localhost and the literal never reached the server.
! grep -q 'localhost\|query\[A\] 127' "$dir/log" || fail "sent a query it should not have"

# Usage error.
set +e; "$bin" >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "usage exit $rc"
echo PASS
