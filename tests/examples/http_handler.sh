#!/bin/bash
# http_handler: the do_GET handler over HTTP and HTTPS (checked against the
# test CA), 501 for methods it does not implement, Python's http.client as
# the client too.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/lib/serve.sh"
certs=$(mktemp -d /tmp/weft-http-handler-XXXXXX)
trap 'serve_cleanup; rm -rf "$certs"' EXIT
bash "$src/tests/lib/mkcerts.sh" "$certs"

serve_start 'Serving HTTP on localhost port \([0-9]*\)' "$build/examples/http_handler" --port 0
url="http://localhost:$SERVE_PORT"
body=$(curl -sS --max-time 10 -A "tester/1" "$url/some/where?x=1")
[ "$body" = "$(printf 'you asked for /some/where?x=1\nyour client is tester/1')" ]
[ "$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X DELETE "$url/")" = 501 ]
python3 - "$SERVE_PORT" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("localhost", int(sys.argv[1]), timeout=10)
for path in ("/a", "/b"):                      # one connection, two requests
    c.request("GET", path, headers={"User-Agent": "http.client"})
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "text/plain", r.status
    assert r.read() == f"you asked for {path}\nyour client is http.client\n".encode()
c.request("HEAD", "/a")
r = c.getresponse()
assert r.status == 200 and r.read() == b""
PY
serve_stop

serve_start 'Serving HTTPS on localhost port \([0-9]*\)' "$build/examples/http_handler" --port 0 \
    --tls-cert "$certs/server-chain.pem" --tls-key "$certs/server.key"
body=$(curl -sS --max-time 10 --cacert "$certs/ca.pem" "https://localhost:$SERVE_PORT/secure")
[ "$(echo "$body" | head -1)" = "you asked for /secure" ]
# Two requests over one TLS connection.
[ "$(curl -sS --max-time 10 --cacert "$certs/ca.pem" -w '%{num_connects}' -o /dev/null \
      "https://localhost:$SERVE_PORT/1" -o /dev/null "https://localhost:$SERVE_PORT/2")" = 10 ]
if curl -sS --max-time 10 "https://localhost:$SERVE_PORT/" 2>/dev/null; then exit 1; fi
serve_stop
echo OK
