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

. "$(dirname "$0")/../lib/dnsmasq.sh"
start_dnsmasq "$dir" www.example.test --local=/test/ \
    --host-record=www.example.test,192.0.2.10,2001:db8::10 --address=/api.test/192.0.2.20 ||
    { echo "FAIL: dnsmasq did not start"; exit 1; }
pid=$DNSMASQ_PID
port=$DNSMASQ_PORT

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
! grep -q 'localhost\|query\[A\] 127' "$dir/dnsmasq.log" || fail "sent a query it should not have"

# Usage error.
set +e; "$bin" >/dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "usage exit $rc"
echo PASS
