#!/usr/bin/env bash
# serve_curl.sh BUILD_DIR - `weft serve` against curl: GET, HEAD, single and
# multiple ranges, 416, conditionals (ETag, If-Modified-Since, If-Range) and
# 304, keep-alive reuse, the directory listing, index.html, the trailing
# slash redirect, 405, path-escape attempts (.., %2e%2e, %2f, NUL, symlinks
# out of the root, hidden files), and the server's fd count unchanged.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v curl >/dev/null || { echo "SKIP: no curl"; exit 0; }
source "$src/tests/lib/serve.sh"

tmp=$(mktemp -d /tmp/weft-serve-curl-XXXXXX)
trap 'serve_cleanup; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
serve_fds() { ls "/proc/$SERVE_PID/fd" | wc -l; }
# Connections the clients closed are closed by the server when it reads
# their EOF: wait (bounded) until its fd count is back to $1.
serve_wait_fds() {
    local n
    for _ in $(seq 500); do
        n=$(serve_fds)
        [ "$n" -le "$1" ] && return 0
        sleep 0.01
    done
    ls -l "/proc/$SERVE_PID/fd"; fail "server holds $n fds, expected $1"
}

# ------------------------------------------------------------ the tree
root=$tmp/root
mkdir -p "$root/site" "$root/sub dir" "$root/.git" "$tmp/outside"
printf 'Hello, world\n' >"$root/hello.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(10000)))' >"$root/data.bin"
printf '<h1>site</h1>\n' >"$root/site/index.html"
printf 'x' >"$root/sub dir/a&b <c>.txt"
printf 'secret\n' >"$root/.secret"
printf 'secret\n' >"$tmp/outside/passwd"
ln -s ../outside/passwd "$root/out-link"
ln -s "$tmp/outside" "$root/out-dir"
ln -s hello.txt "$root/in-link"
touch -d '2020-01-02 03:04:05 UTC' "$root/hello.txt"

serve_start 'Serving HTTP on 127\.0\.0\.1 port \([0-9]*\) (http://127\.0\.0\.1:[0-9]*/) \.\.\.' \
    "$build/weft" serve "$root" --bind 127.0.0.1 --port 0
base="http://127.0.0.1:$SERVE_PORT"
fds0=$(serve_fds)

# req NAME CURL-ARGS... : response headers in $tmp/NAME.h, body in $tmp/NAME.b
req() {
    local name=$1
    shift
    timeout 20 curl -sS -D "$tmp/$name.h" -o "$tmp/$name.b" "$@"
}
status() { head -1 "$tmp/$1.h" | tr -d '\r' | awk '{print $2}'; }
hdr() { grep -i "^$2:" "$tmp/$1.h" | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'; }
expect_status() { local s; s=$(status "$1"); [ "$s" = "$2" ] || { cat "$tmp/$1.h"; fail "$1: status $s, want $2"; }; }

# ------------------------------------------------------------ GET / HEAD
req get "$base/hello.txt"
expect_status get 200
[ "$(cat "$tmp/get.b")" = "Hello, world" ] || fail "GET body"
[ "$(hdr get Content-Type)" = "text/plain; charset=utf-8" ] || fail "Content-Type: $(hdr get Content-Type)"
[ "$(hdr get Content-Length)" = 13 ] || fail "Content-Length"
[ "$(hdr get Last-Modified)" = "Thu, 02 Jan 2020 03:04:05 GMT" ] || fail "Last-Modified: $(hdr get Last-Modified)"
[ "$(hdr get Accept-Ranges)" = bytes ] || fail "Accept-Ranges"
etag=$(hdr get ETag)
[[ "$etag" =~ ^\"[0-9a-f]+-d-[0-9a-f]+\"$ ]] || fail "ETag $etag"
[ -n "$(hdr get Date)" ] || fail "no Date"

req head -I "$base/hello.txt"
expect_status head 200
[ "$(hdr head Content-Length)" = 13 ] || fail "HEAD Content-Length"
[ "$(hdr head ETag)" = "$etag" ] || fail "HEAD ETag"
# A HEAD then a GET on one connection: a body after the HEAD would be read
# as the GET's answer.
timeout 20 curl -sS -v -I "$base/hello.txt" --next -sS "$base/hello.txt" >"$tmp/hg.out" 2>"$tmp/hg.err"
[ "$(tail -1 "$tmp/hg.out")" = "Hello, world" ] || { cat "$tmp/hg.out"; fail "GET after HEAD"; }
grep -q "Re-using existing connection" "$tmp/hg.err" || fail "HEAD closed the connection"

req png "$base/data.bin"
cmp -s "$tmp/png.b" "$root/data.bin" || fail "data.bin differs"
[ "$(hdr png Content-Type)" = "application/octet-stream" ] || fail "bin type"

# ------------------------------------------------------------ ranges
req r1 -r 0-4 "$base/hello.txt"
expect_status r1 206
[ "$(cat "$tmp/r1.b")" = "Hello" ] || fail "range body"
[ "$(hdr r1 Content-Range)" = "bytes 0-4/13" ] || fail "Content-Range $(hdr r1 Content-Range)"
[ "$(hdr r1 Content-Length)" = 5 ] || fail "range length"

req r2 -H 'Range: bytes=-6' "$base/hello.txt"
expect_status r2 206
[ "$(cat "$tmp/r2.b")" = "world" ] || fail "suffix range body"  # $(...) drops the \n
req r3 -H 'Range: bytes=9995-' "$base/data.bin"
[ "$(hdr r3 Content-Range)" = "bytes 9995-9999/10000" ] || fail "open range"
cmp -s "$tmp/r3.b" <(tail -c 5 "$root/data.bin") || fail "open range body"

req multi -r 0-9,100-109,-5 "$base/data.bin"
expect_status multi 206
ct=$(hdr multi Content-Type)
[[ "$ct" =~ ^multipart/byteranges\;\ boundary=([0-9a-f]+)$ ]] || fail "multipart type: $ct"
boundary=${BASH_REMATCH[1]}
[ "$(hdr multi Content-Length)" = "$(stat -c %s "$tmp/multi.b")" ] || fail "multipart length"
grep -c -- "--$boundary" "$tmp/multi.b" | grep -qx 4 || fail "multipart delimiters"
for cr in "bytes 0-9/10000" "bytes 100-109/10000" "bytes 9995-9999/10000"; do
    grep -qa "Content-Range: $cr" "$tmp/multi.b" || fail "part $cr"
done
tail -c 40 "$tmp/multi.b" | grep -qa -- "--$boundary--" || fail "closing delimiter"

req r416 -r 20000- "$base/data.bin"
expect_status r416 416
[ "$(hdr r416 Content-Range)" = "bytes */10000" ] || fail "416 Content-Range"
# Overlapping ranges adding up past the file: the whole file, once.
req attack -H 'Range: bytes=0-,0-,0-,0-' "$base/data.bin"
expect_status attack 200
cmp -s "$tmp/attack.b" "$root/data.bin" || fail "attack body"

# ------------------------------------------------------------ conditionals
req inm -H "If-None-Match: $etag" "$base/hello.txt"
expect_status inm 304
[ ! -s "$tmp/inm.b" ] || fail "304 had a body"
[ "$(hdr inm ETag)" = "$etag" ] || fail "304 ETag"
req inm2 -H 'If-None-Match: "nope", W/'"$etag" "$base/hello.txt"
expect_status inm2 304
req inm3 -H 'If-None-Match: "nope"' "$base/hello.txt"
expect_status inm3 200
req ims -z "Thu, 02 Jan 2020 03:04:05 GMT" "$base/hello.txt"
expect_status ims 304
req ims2 -H "If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT" "$base/hello.txt"
expect_status ims2 200
req im -H 'If-Match: "nope"' "$base/hello.txt"
expect_status im 412
req im2 -H "If-Match: $etag" "$base/hello.txt"
expect_status im2 200
req ius -H "If-Unmodified-Since: Wed, 01 Jan 2020 00:00:00 GMT" "$base/hello.txt"
expect_status ius 412
req ir -r 0-4 -H "If-Range: $etag" "$base/hello.txt"
expect_status ir 206
req ir2 -r 0-4 -H 'If-Range: "stale"' "$base/hello.txt"
expect_status ir2 200
[ "$(cat "$tmp/ir2.b")" = "Hello, world" ] || fail "If-Range stale body"
req ir3 -r 0-4 -H "If-Range: Thu, 02 Jan 2020 03:04:05 GMT" "$base/hello.txt"
expect_status ir3 206

# ------------------------------------------------------------ keep-alive
timeout 20 curl -sS -v -o /dev/null -o /dev/null "$base/hello.txt" "$base/data.bin" 2>"$tmp/ka.err"
grep -q "Re-using existing connection" "$tmp/ka.err" || { cat "$tmp/ka.err"; fail "no reuse"; }
[ "$(grep -c '^< HTTP/1.1 200' "$tmp/ka.err")" = 2 ] || fail "keep-alive statuses"

# ------------------------------------------------------------ folders
req list "$base/"
expect_status list 200
[ "$(hdr list Content-Type)" = "text/html; charset=utf-8" ] || fail "listing type"
grep -q '<a href="hello.txt">hello.txt</a>' "$tmp/list.b" || fail "listing: hello.txt"
grep -q '<a href="sub%20dir/">sub dir/</a>' "$tmp/list.b" || fail "listing: sub dir"
grep -q '\.secret\|\.git' "$tmp/list.b" && fail "listing shows hidden files"
# folders first
dpos=$(grep -n 'sub%20dir/' "$tmp/list.b" | cut -d: -f1)
fpos=$(grep -n 'href="data.bin"' "$tmp/list.b" | cut -d: -f1)
[ "$dpos" -lt "$fpos" ] || fail "folders not first"
req list2 "$base/sub%20dir/"
grep -q '<a href="a%26b%20%3Cc%3E.txt">a&amp;b &lt;c&gt;.txt</a>' "$tmp/list2.b" || { cat "$tmp/list2.b"; fail "escaped name"; }
grep -q '<a href="../">../</a>' "$tmp/list2.b" || fail "parent link"
req esc "$base/sub%20dir/a%26b%20%3Cc%3E.txt"
[ "$(cat "$tmp/esc.b")" = x ] || fail "escaped name fetch"

req idx "$base/site/"
expect_status idx 200
[ "$(cat "$tmp/idx.b")" = "<h1>site</h1>" ] || fail "index.html"
[ "$(hdr idx Content-Type)" = "text/html; charset=utf-8" ] || fail "index type"
req redir "$base/site?x=1"
expect_status redir 301
[ "$(hdr redir Location)" = "/site/?x=1" ] || fail "Location: $(hdr redir Location)"
req follow -L "$base/site"
[ "$(cat "$tmp/follow.b")" = "<h1>site</h1>" ] || fail "redirect followed"
# A double slash must not become a protocol-relative Location (open redirect).
req redir2 --path-as-is "$base//example.com/%2e%2e/site"
expect_status redir2 301
[ "$(hdr redir2 Location)" = "/site/" ] || fail "Location2: $(hdr redir2 Location)"

req post -X POST "$base/hello.txt"
expect_status post 405
[ "$(hdr post Allow)" = "GET, HEAD" ] || fail "Allow"

# ------------------------------------------------------------ escapes
check() { req esc --path-as-is "$base$1"; expect_status esc "$2"; grep -q secret "$tmp/esc.b" && fail "leaked $1"; true; }
check "/../outside/passwd" 403
check "/../../../../etc/passwd" 403
check "/%2e%2e/outside/passwd" 403
check "/%2E%2E/%2E%2E/etc/passwd" 403
check "/sub%20dir/..%2f..%2foutside%2fpasswd" 404
check "/..%2foutside%2fpasswd" 404
check "/hello.txt%00.html" 400
check "/out-link" 403
check "/out-dir/passwd" 403
check "/.secret" 404
check "/.git/" 404
check "/hello.txt/" 404
check "/nope" 404
req inlink "$base/in-link"
[ "$(cat "$tmp/inlink.b")" = "Hello, world" ] || fail "symlink inside the root"

# ------------------------------------------------------------ fds, log, stop
serve_wait_fds "$fds0"
grep -q '"GET /hello.txt HTTP/1.1" 200 13 "-" "curl/' "$SERVE_OUT" || { cat "$SERVE_OUT"; fail "access log"; }
serve_stop
echo OK
