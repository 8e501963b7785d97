#!/bin/bash
# https_fetch against two local `openssl s_server -www` (no internet): both
# answer with the test CA; a third server with an expired certificate fails
# verification with a clear message.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/weft-https-fetch-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
bash "$src/tests/lib/mkcerts.sh" "$dir"

start_server() { # CERT KEY -> sets port
    local out="$dir/s$RANDOM.out"
    (cd "$dir" && exec stdbuf -o0 openssl s_server -accept 127.0.0.1:0 -cert "$1" \
        -cert_chain inter.pem -key "$2" -www >"$out" 2>&1) &
    pids+=($!)
    for _ in $(seq 500); do
        # Only a complete line (newline written) counts.
        local at
        at=$(grep -n '^ACCEPT 127.0.0.1:' "$out" | head -1 | cut -d: -f1 || true)
        if [ -n "$at" ] && [ "$(wc -l < "$out")" -ge "$at" ]; then
            port=$(sed -n "${at}s/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p" "$out")
            return 0
        fi
        sleep 0.02
    done
    echo "s_server did not start"; cat "$out"; exit 1
}
start_server server.pem server.key; p1=$port
start_server server.pem server.key; p2=$port
start_server expired.pem expired.key; p3=$port

out=$(timeout 30 "$build/examples/https_fetch" --cacert "$dir/ca.pem" \
      "localhost:$p1/" "localhost:$p2/" "localhost:$p3/")
echo "$out"
[ "$(echo "$out" | sed -n 1p)" = "localhost: HTTP/1.0 200 ok" ]
[ "$(echo "$out" | sed -n 2p)" = "localhost: HTTP/1.0 200 ok" ]
echo "$out" | sed -n 3p | grep -q "TLS certificate verification failed (certificate has expired)"
# Without the test CA the system store does not know our servers.
timeout 30 "$build/examples/https_fetch" "localhost:$p1/" | grep -q "unable to get local issuer certificate"
echo OK
