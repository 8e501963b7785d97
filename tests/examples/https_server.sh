#!/bin/bash
# https_server with a certificate chain; curl (and openssl s_client) check
# the answer against the test CA.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d /tmp/weft-https-server-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$dir"; }
trap cleanup EXIT
bash "$src/tests/lib/mkcerts.sh" "$dir"

"$build/examples/https_server" --cert "$dir/server-chain.pem" --key "$dir/server.key" --port 0 \
    >"$dir/out" 2>&1 &
pid=$!
port=
for _ in $(seq 500); do
    port=$(sed -n 's|^HTTPS server on https://localhost:\([0-9]*\)$|\1|p' "$dir/out")
    # printf + fflush write the line at once, newline included.
    [ -n "$port" ] && break
    sleep 0.02
done
[ -n "$port" ] || { cat "$dir/out"; exit 1; }

body=$(timeout 20 curl -sS --cacert "$dir/ca.pem" "https://localhost:$port/")
[ "$body" = "<html><body><h1>Hello HTTPS!</h1></body></html>" ]
# By IP address too (the certificate names 127.0.0.1).
timeout 20 curl -sS --cacert "$dir/ca.pem" "https://127.0.0.1:$port/" | grep -q "Hello HTTPS!"
# A client that does not trust our CA refuses.
if timeout 20 curl -sS "https://localhost:$port/" 2>/dev/null; then exit 1; fi
# openssl s_client sees the whole chain verify.
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -connect "127.0.0.1:$port" \
    -servername localhost -CAfile "$dir/ca.pem" -verify_return_error 2>&1 \
    | grep -q "Verify return code: 0 (ok)"
kill -TERM "$pid"
wait "$pid"
pid=
echo OK
