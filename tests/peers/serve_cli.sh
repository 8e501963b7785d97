#!/usr/bin/env bash
# serve_cli.sh BUILD_DIR - `weft serve` as a command: row 16 of EXAMPLES.md
# (`python -m SimpleHTTPServer 8000`): run with no folder in the folder to
# serve, it prints Python's banner and serves it; --help, usage errors (exit
# 2), runtime errors (exit 1: a missing folder, a port in use), and a clean
# exit on SIGINT.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
weft=$(cd "$build" && pwd)/weft
command -v curl >/dev/null || { echo "SKIP: no curl"; exit 0; }
tmp=$(mktemp -d /tmp/weft-serve-cli-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --help: usage on stdout, exit 0; the tool's own help lists serve.
"$weft" serve --help >"$tmp/help"
grep -q '^Usage: weft serve \[OPTIONS\] \[DIR\]' "$tmp/help" || fail "help"
for o in --bind --port --workers --tls-cert --tls-key; do grep -q -- "$o" "$tmp/help" || fail "help lacks $o"; done
"$weft" help serve | grep -q '^Usage: weft serve' || fail "weft help serve"

# Usage errors: exit 2, one line and a hint.
usage() { local rc=0; "$weft" serve "$@" >/dev/null 2>"$tmp/err" || rc=$?; [ "$rc" = 2 ] || fail "$* exited $rc"; grep -q "Try 'weft serve --help'" "$tmp/err" || fail "$*: no hint"; }
usage --port 70000
usage --port abc
usage --workers 0
usage --bogus
usage --tls-cert x.pem
usage --hidden maybe
usage a b
( cd "$tmp" && usage 8080 )          # python's habit: the port where DIR goes
grep -q -- '--port 8080' "$tmp/err" || fail "no --port hint"

# Runtime errors: exit 1.
rc=0; "$weft" serve "$tmp/missing" 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -q "cannot serve" "$tmp/err" || fail "missing folder: $rc"

# Row 16: in the folder, no arguments but a free port.
mkdir "$tmp/www"
echo 'hi there' >"$tmp/www/hi.txt"
( cd "$tmp/www" && exec "$weft" serve --port 0 ) >"$tmp/out" 2>"$tmp/log" &
pid=$!
port=
for _ in $(seq 500); do
    port=$(sed -n 's|^Serving HTTP on 0\.0\.0\.0 port \([0-9]*\) (http://0\.0\.0\.0:\1/) \.\.\.$|\1|p' "$tmp/out")
    [ -n "$port" ] && break
    kill -0 "$pid" || break
    sleep 0.01
done
[ -n "$port" ] || { cat "$tmp/out" "$tmp/log"; fail "no banner"; }
[ "$(timeout 20 curl -sS "http://127.0.0.1:$port/hi.txt")" = "hi there" ] || fail "GET over IPv4"
timeout 20 curl -sS "http://127.0.0.1:$port/" | grep -q 'href="hi.txt"' || fail "listing"
# The access log, Combined Log Format, on stderr.
grep -Eq '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [-+][0-9]{4}\] "GET /hi.txt HTTP/1.1" 200 9 "-" "curl/[^"]*"$' "$tmp/log" || { cat "$tmp/log"; fail "access log"; }

# The same port again: in use, exit 1 with the reason.
rc=0; timeout 20 "$weft" serve "$tmp/www" --bind 127.0.0.1 --port "$port" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -qi "in use" "$tmp/err" || { cat "$tmp/err"; fail "port in use: $rc"; }

# Ctrl+C: a clean exit.
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "SIGINT exit $rc"
echo OK
