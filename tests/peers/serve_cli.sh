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
source "$src/tests/lib/serve.sh"
tmp=$(mktemp -d /tmp/weft-serve-cli-XXXXXX)
trap 'serve_cleanup; rm -rf "$tmp"' EXIT
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
serve_start 'Serving HTTP on 0\.0\.0\.0 port \([0-9]*\) (http://0\.0\.0\.0:[0-9]*/) \.\.\.' \
    env -C "$tmp/www" "$weft" serve --port 0
port=$SERVE_PORT
[ "$(timeout 20 curl -sS "http://127.0.0.1:$port/hi.txt")" = "hi there" ] || fail "GET over IPv4"
timeout 20 curl -sS "http://127.0.0.1:$port/" | grep -q 'href="hi.txt"' || fail "listing"
# The access log, Combined Log Format, on stderr.
grep -Eq '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [-+][0-9]{4}\] "GET /hi.txt HTTP/1.1" 200 9 "-" "curl/[^"]*"$' "$SERVE_OUT" || { cat "$SERVE_OUT"; fail "access log"; }

# The same port again: in use, exit 1 with the reason.
rc=0; timeout 20 "$weft" serve "$tmp/www" --bind 127.0.0.1 --port "$port" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 1 ] && grep -qi "in use" "$tmp/err" || { cat "$tmp/err"; fail "port in use: $rc"; }

# Ctrl+C: a clean exit.
serve_stop INT
echo OK
