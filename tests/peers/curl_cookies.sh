#!/usr/bin/env bash
# curl_cookies.sh BUILD_DIR - weft's cookie jar against curl's cookie files.
#
#  1. offline: curl turns a file of Set-Cookie headers into a cookie file
#     (curl -b HEADERS -c FILE file:///dev/null); weft must read it.
#  2. loopback: a few lines of Python's http.server on 127.0.0.1 set cookies;
#     curl -c stores them, weft reads that file and computes the Cookie header;
#     weft saves its jar and curl -b sends it back to the server, which echoes
#     the Cookie header it got. Both directions must agree.
# Everything is bounded in time and cleaned up on exit.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR}
tool="$build/examples/cookiejar"
[ -x "$tool" ] || { echo "missing $tool"; exit 1; }
command -v curl >/dev/null || { echo "SKIP: no curl"; exit 0; }
py=$(command -v python3 || echo /usr/bin/python3)
[ -x "$py" ] || { echo "SKIP: no python3"; exit 0; }

tmp=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# Sort "a=1; b=2" into one cookie per line, so orders that the RFC leaves to
# creation time (which differs between curl's file and weft's) compare equal.
norm() { tr -d '\r' | sed 's/; /\n/g' | sed '/^$/d' | sort; }
fail() { echo "FAIL: $*"; exit 1; }

# ---------------------------------------------------------------- 1. offline
printf 'Set-Cookie: x=1; Domain=example.com; Path=/; Expires=Wed, 01 Jan 2031 00:00:00 GMT\r\n' >"$tmp/hdr.txt"
printf 'Set-Cookie: y=2; Domain=.example.org; Path=/p; Secure; HttpOnly\r\n' >>"$tmp/hdr.txt"
printf 'Set-Cookie: z=3; Domain=example.com; Path=/deep/er\r\n' >>"$tmp/hdr.txt"
timeout 20 curl -s -b "$tmp/hdr.txt" -c "$tmp/offline.txt" file:///dev/null
grep -q 'Netscape HTTP Cookie File' "$tmp/offline.txt" || fail "curl wrote no cookie file"
echo "--- curl wrote (offline):"; cat "$tmp/offline.txt"

got=$("$tool" "$tmp/offline.txt" "http://www.example.com/deep/er/x")
[ "$got" = "z=3; x=1" ] || fail "offline example.com: got '$got'"
got=$("$tool" "$tmp/offline.txt" "https://a.example.org/p/q")
[ "$got" = "y=2" ] || fail "offline https example.org: got '$got'"
got=$("$tool" "$tmp/offline.txt" "http://a.example.org/p/q")
[ -z "$got" ] || fail "Secure cookie sent over http: '$got'"
echo "offline: ok"

# ---------------------------------------------------------------- 2. loopback
cat >"$tmp/server.py" <<'EOF'
import http.server, sys

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b""
        self.send_response(200)
        if self.path == "/set/x":
            for c in ("hostonly=1; Path=/",
                      "deep=2; Path=/set",
                      "ho=3; HttpOnly; Path=/",
                      "persist=4; Max-Age=3600; Path=/",
                      "gone=5; Max-Age=0; Path=/",
                      "spaced=a b; Path=/"):
                self.send_header("Set-Cookie", c)
        else:
            body = (self.headers.get("Cookie") or "").encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF
timeout 60 "$py" "$tmp/server.py" "$tmp/port" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || fail "server did not start"
port=$(cat "$tmp/port")
base="http://127.0.0.1:$port"

timeout 20 curl -s -c "$tmp/curl.txt" "$base/set/x" -o /dev/null
echo "--- curl wrote (loopback):"; cat "$tmp/curl.txt"

got=$("$tool" "$tmp/curl.txt" "$base/set/x" "$tmp/weft.txt" | norm)
want=$(printf 'deep=2; hostonly=1; ho=3; persist=4; spaced=a b' | norm)
[ "$got" = "$want" ] || fail "weft reading curl's file: got '$got' want '$want'"
got=$("$tool" "$tmp/curl.txt" "$base/other")
[ "$(echo "$got" | norm)" = "$(printf 'hostonly=1; ho=3; persist=4; spaced=a b' | norm)" ] ||
    fail "path /other: got '$got'"
# weft orders by path length: the /set cookie comes first
got=$("$tool" "$tmp/curl.txt" "$base/set/x")
case "$got" in deep=2\;*) ;; *) fail "path order: '$got'" ;; esac
echo "--- weft wrote:"; cat "$tmp/weft.txt"

# curl reads weft's file and sends the cookies back
echoed=$(timeout 20 curl -s -b "$tmp/weft.txt" "$base/set2/" | norm)
[ "$echoed" = "$(printf 'hostonly=1; ho=3; persist=4; spaced=a b' | norm)" ] ||
    fail "curl reading weft's file sent '$echoed'"
echoed=$(timeout 20 curl -s -b "$tmp/weft.txt" "$base/set/y" | norm)
[ "$echoed" = "$want" ] || fail "curl reading weft's file (/set) sent '$echoed'"
echo "loopback: ok"
