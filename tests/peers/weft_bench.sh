#!/usr/bin/env bash
# weft bench against servers started here: its request count must equal the
# server's own count (-n exact, also with pipelining, Connection: close and
# chunked bodies, over TLS), -d and --rate keep time and pace, --rate
# measures latency from the intended send time (a stall shows in the
# percentiles, unlike closed loop), and every failure kind is counted with a
# non-zero exit: timeout, connect, parse, status. Every run is bounded.
set -euo pipefail
build=${1:?usage: weft_bench.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
weft="$build/weft"
py=/usr/bin/python3
server="$here/../lib/count_server.py"
tmp=$(mktemp -d)
pid=""
fail=0

cleanup() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# start_server ARGS...: runs the counting server, sets $pid and $port.
start_server() {
    : > "$tmp/srv.out"
    "$py" "$server" "$@" > "$tmp/srv.out" 2> "$tmp/srv.err" &
    pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^PORT //p' "$tmp/srv.out")
        [ -n "$port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "server did not start"; cat "$tmp/srv.err"; exit 1
}

# stop_server: SIGTERM it and set $count to what it answered.
stop_server() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=""
    count=$(sed -n 's/^COUNT //p' "$tmp/srv.out")
}

# bench ARGS...: runs weft bench --json into $tmp/out.json, sets $rc.
bench() {
    rc=0
    timeout 60 "$weft" bench --json "$@" > "$tmp/out.json" 2> "$tmp/err.txt" || rc=$?
}

# field PATH: a value of the last report ("errors.timeout", "status.200").
field() {
    "$py" -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$tmp/out.json" "$1"
}

check() { # check DESCRIPTION CONDITION...
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; cat "$tmp/out.json" "$tmp/err.txt" 2>/dev/null; fail=1; fi
}

# 1. -n is exact: weft's count, the server's count, N.
start_server
bench -n 5000 -c 7 -t 2 "http://127.0.0.1:$port/"
stop_server
check "-n 5000: exit 0" [ "$rc" = 0 ]
check "-n 5000: weft counted 5000" [ "$(field requests)" = 5000 ]
check "-n 5000: the server counted 5000 (got $count)" [ "$count" = 5000 ]
check "-n 5000: all 200" [ "$(field status.200)" = 5000 ]

# 2. pipelined, the server closing every 13th and chunking every 3rd: the
#    requests dropped behind a close are sent again, none counted twice.
start_server --close-every 13 --chunked-every 3
bench -n 3001 -c 5 -t 2 --pipeline 8 "http://127.0.0.1:$port/"
stop_server
check "pipelined with closes: exit 0" [ "$rc" = 0 ]
check "pipelined with closes: weft counted 3001" [ "$(field requests)" = 3001 ]
check "pipelined with closes: the server counted 3001 (got $count)" [ "$count" = 3001 ]
check "pipelined with closes: it reconnected" [ "$(field connects)" -gt 200 ]

# 3. -d keeps time; the server answered what weft counted, plus at most what
#    was in flight at the deadline.
start_server
bench -d 1s -c 4 -t 2 --pipeline 2 "http://127.0.0.1:$port/"
stop_server
req=$(field requests)
check "-d 1s: exit 0" [ "$rc" = 0 ]
check "-d 1s: lasted about 1 s ($(field duration_s))" \
    "$py" -c "import sys; sys.exit(not 0.9 <= float('$(field duration_s)') <= 1.5)"
check "-d 1s: server $count >= weft $req >= server - in flight" \
    [ "$count" -ge "$req" -a "$req" -ge $((count - 8)) -a "$req" -gt 100 ]

# 4. --rate paces: 400/s for 2 s is about 800 requests.
start_server
bench --rate 400 -d 2s -c 4 -t 2 "http://127.0.0.1:$port/"
stop_server
req=$(field requests)
check "--rate 400 -d 2s: about 800 requests ($req)" [ "$req" -ge 700 -a "$req" -le 850 ]
check "--rate: the server agrees ($count)" [ "$count" -ge "$req" -a "$count" -le $((req + 4)) ]

# 5. Coordinated omission: one 400 ms stall on the only connection. Closed
#    loop sees one slow request; open loop sees every request that fell due
#    during the stall, so its p90 is large.
start_server --stall-at 100 --stall-ms 400
bench -n 800 -c 1 -t 1 "http://127.0.0.1:$port/"
closed_p90=$(field latency_ns.p90)
closed_max=$(field latency_ns.max)
stop_server
start_server --stall-at 100 --stall-ms 400
bench -n 800 -c 1 -t 1 --rate 500 "http://127.0.0.1:$port/"
open_p90=$(field latency_ns.p90)
stop_server
check "stall: closed loop max >= 400 ms ($closed_max ns)" [ "$closed_max" -ge 400000000 ]
check "stall: closed loop p90 < 50 ms ($closed_p90 ns)" [ "$closed_p90" -lt 50000000 ]
check "stall: open loop p90 > 100 ms ($open_p90 ns)" [ "$open_p90" -gt 100000000 ]

# 6. Timeouts: a path that never answers.
start_server
t0=$(date +%s%N)
bench -n 4 -c 2 -t 1 --timeout 300ms "http://127.0.0.1:$port/hang"
t1=$(date +%s%N)
stop_server
check "timeout: exit 1" [ "$rc" = 1 ]
check "timeout: 4 timeouts" [ "$(field errors.timeout)" = 4 ]
check "timeout: bounded ($(( (t1 - t0) / 1000000 )) ms)" [ $(( (t1 - t0) / 1000000 )) -lt 5000 ]

# 7. Parse errors and status errors are counted, and fail the run.
start_server
bench -n 3 -c 1 -t 1 "http://127.0.0.1:$port/garbage"
check "garbage: parse errors" [ "$(field errors.parse)" -ge 3 -a "$rc" = 1 ]
bench -n 20 -c 2 -t 1 "http://127.0.0.1:$port/missing"
check "404: 20 status errors" [ "$(field errors.status)" = 20 -a "$(field status.404)" = 20 -a "$rc" = 1 ]
stop_server

# 8. Connect errors: nothing listens on the port any more.
t0=$(date +%s%N)
bench -n 10 -c 2 -t 1 "http://127.0.0.1:$port/"
t1=$(date +%s%N)
check "refused: connect errors, exit 1" [ "$(field errors.connect)" -ge 2 -a "$rc" = 1 ]
check "refused: gives up soon ($(( (t1 - t0) / 1000000 )) ms)" [ $(( (t1 - t0) / 1000000 )) -lt 5000 ]

# 9. HTTPS with a test CA; verification on by default.
certs="$tmp/certs"
bash "$here/../lib/mkcerts.sh" "$certs" >/dev/null
start_server --tls "$certs/server-chain.pem" "$certs/server.key"
bench -n 500 -c 4 -t 2 --cacert "$certs/ca.pem" "https://localhost:$port/"
check "https -n 500: exit 0, 500 answered" [ "$rc" = 0 -a "$(field requests)" = 500 ]
bench -n 10 -c 1 -t 1 "https://localhost:$port/"
check "https without the CA: connect error (verification)" [ "$rc" = 1 -a "$(field errors.connect)" -ge 1 ]
bench -n 10 -c 1 -t 1 -k "https://localhost:$port/"
check "https -k: exit 0" [ "$rc" = 0 -a "$(field requests)" = 10 ]
stop_server
check "https: the server counted 510 (got $count)" [ "$count" = 510 ]

# 10. The human report and usage errors.
start_server
rc=0; timeout 30 "$weft" bench -n 100 -c 2 "http://127.0.0.1:$port/" > "$tmp/out.txt" || rc=$?
stop_server
check "text report: percentiles" grep -q "p99.9" "$tmp/out.txt"
check "text report: 200: 100" grep -q "200: 100" "$tmp/out.txt"
for bad in "-c 0 http://x/" "-t 3 -c 2 http://x/" "-n abc http://x/" "ftp://x/" "" \
           "--pipeline 0 http://x/" "--rate -1 http://x/" "-H nocolon http://x/"; do
    rc=0
    # shellcheck disable=SC2086
    "$weft" bench $bad >/dev/null 2>&1 || rc=$?
    check "usage error for '$bad': exit 2" [ "$rc" = 2 ]
done
rc=0; "$weft" bench --help > "$tmp/help.txt" || rc=$?
check "--help: exit 0 and documents --rate" [ "$rc" = 0 ] 
grep -q -- "--rate" "$tmp/help.txt" || { echo "FAIL help lacks --rate"; fail=1; }

exit $fail
