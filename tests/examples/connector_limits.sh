#!/usr/bin/env bash
# examples/connector_limits: 40 requests at once with limit 30 and a name
# resolved through dnsmasq (a real DNS server) once, then from the cache; the
# test server confirms it never had more than 30 connections.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/lib/pyserver.sh"
start_pyserver
ns=127.0.0.1
target="$base/hold?ms=100"
dns_pid=
probe_dns() { # PORT: true once a DNS server answers there
    /usr/bin/python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.1)
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05probe\x04test\x00\x00\x01\x00\x01"
try:
    s.sendto(q, ("127.0.0.1", int(sys.argv[1]))); s.recv(512)
except OSError:
    sys.exit(1)
PY
}
if [ -x /usr/sbin/dnsmasq ]; then
    trap 'kill $dns_pid 2>/dev/null || true; wait $dns_pid 2>/dev/null || true; stop_pyserver' EXIT
    # A port that was free a moment ago may be taken by another test by the
    # time dnsmasq binds it: then it exits, and we try another.
    for attempt in 1 2 3 4 5; do
        dport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
            --listen-address=127.0.0.1 --bind-interfaces --port="$dport" --local=/test/ \
            --address=/web.test/127.0.0.1 --pid-file --log-queries --log-facility="$py_dir/dns.log" \
            $( [ "$(id -u)" = 0 ] && echo --user=root ) 2>>"$py_dir/dns.err" &
        dns_pid=$!
        up=
        for _ in $(seq 100); do
            if probe_dns "$dport"; then up=1; break; fi
            kill -0 "$dns_pid" 2>/dev/null || break
            sleep 0.05
        done
        [ -n "$up" ] && break
        kill "$dns_pid" 2>/dev/null || true; wait "$dns_pid" 2>/dev/null || true
        dns_pid=
    done
    [ -n "$dns_pid" ] || { echo "dnsmasq did not start"; cat "$py_dir/dns.err"; exit 1; }
    ns="127.0.0.1:$dport"
    target="http://web.test:$port/hold?ms=100"
fi
out=$(timeout 30 "$1/examples/connector_limits" "$target" -n 40 --limit 30 --nameserver "$ns")
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "requests: 40, failed: 0" ]
grep -q '^connections: 30 opened, at most 30 at once, 10 requests queued$' <<<"$out"
stats=$(curl -s "$base/stats")
max=$(echo "$stats" | cut -d' ' -f3)
[ "$max" -le 31 ]   # 30 from the example, plus this curl
if [ -n "$dns_pid" ]; then
    [ "$(grep -c 'query\[A\] web.test' "$py_dir/dns.log")" -eq 1 ]
    # 30 look-ups at once (the other 10 reuse connections), one query sent.
    grep -q '^dns: 30 lookups, 1 queries sent (29 joined one in flight, 0 from the cache)$' <<<"$out"
fi
echo ok
