#!/usr/bin/env bash
# weft get against servers started here (tests/lib/get_server.py over HTTP
# and HTTPS, dnsmasq for DNS, tinyproxy for -x), compared with curl where the
# two must agree: the body written, and the exit status of each failure class.
# Every command is bounded by timeout(1).
set -uo pipefail
build=${1:?usage: weft_get.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
weft="$build/weft"
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=()
fail=0
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

check() { # check DESCRIPTION CONDITION...
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; echo "  stdout: $(head -c 400 "$tmp/out" 2>/dev/null)"; echo "  stderr: $(head -c 400 "$tmp/err" 2>/dev/null)"; fail=1; fi
}

# get ARGS...: weft get with its stdout in $tmp/out, stderr in $tmp/err, status in $rc.
get() { rc=0; timeout 30 "$weft" get "$@" > "$tmp/out" 2> "$tmp/err" || rc=$?; }
# curl_ ARGS...: the same with curl, into $tmp/cout, status in $crc.
curl_() { crc=0; timeout 30 curl -s "$@" > "$tmp/cout" 2>/dev/null || crc=$?; }
out() { cat "$tmp/out"; }

start() { # start NAME COMMAND...: run it, wait for "PORT n", set $port
    local name=$1; shift
    "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    pids+=($!)
    for _ in $(seq 100); do
        port=$(sed -n 's/^PORT //p' "$tmp/$name.out")
        [ -n "$port" ] && return 0
        sleep 0.1
    done
    echo "$name did not start"; cat "$tmp/$name.err"; exit 1
}

start http "$py" "$here/../lib/get_server.py"
P=$port
U="http://127.0.0.1:$P"

# ---------------------------------------------------------------- basics
get "$U/hello"
check "GET: body on stdout" [ "$rc" = 0 -a "$(out)" = "hello, weft" ]
curl_ "$U/hello"
check "GET: same bytes as curl" cmp -s "$tmp/out" "$tmp/cout"
get "127.0.0.1:$P/hello"
check "no scheme means http://" [ "$rc" = 0 -a "$(out)" = "hello, weft" ]
get -i "$U/hello"
check "-i: status line, headers, blank line, body" \
    bash -c "head -1 '$tmp/out' | grep -q '^HTTP/1.[01] 200 OK' && grep -qi '^content-length: 12' '$tmp/out' && tail -1 '$tmp/out' | grep -q 'hello, weft'"
get -I "$U/hello"
check "-I: HEAD, the head only" \
    bash -c "head -1 '$tmp/out' | grep -q ' 200 ' && ! grep -q 'hello, weft' '$tmp/out'"
get -o "$tmp/file" "$U/big"
check "-o FILE: 4 MiB written, nothing on stdout" [ "$rc" = 0 -a "$(stat -c %s "$tmp/file")" = 4194304 -a ! -s "$tmp/out" ]
curl_ -o "$tmp/cfile" "$U/big"
check "-o FILE: same file as curl" cmp -s "$tmp/file" "$tmp/cfile"
rc=0; timeout 30 script -qec "'$weft' get -o '$tmp/file2' '$U/big'" /dev/null > "$tmp/tty" 2>&1 || rc=$?
check "-o on a terminal: a progress bar reaching 100%" grep -q "100.0%" "$tmp/tty"
get -o "$tmp/file3" "$U/big"
check "-o without a terminal: no progress bar" [ ! -s "$tmp/err" ]
rc=0; timeout 30 script -qec "'$weft' get '$U/binary'" /dev/null > "$tmp/tty" 2>&1 || rc=$?
check "binary to a terminal: refused (23)" bash -c "[ $rc = 23 ] && grep -q 'binary output' '$tmp/tty'"
get -o - "$U/binary"
check "-o -: binary to stdout when asked" [ "$rc" = 0 -a "$(stat -c %s "$tmp/out")" = 1000 ]

# ---------------------------------------------------------- requests
get -X PUT -d 'a=1' -d 'b=2' "$U/echo"
check "-X PUT -d -d: method, joined body, form type" \
    "$py" -c "import json,sys; j=json.load(open('$tmp/out')); h=dict((k.lower(),v) for k,v in j['headers']); sys.exit(not (j['method']=='PUT' and j['body']=='a=1&b=2' and h['content-type']=='application/x-www-form-urlencoded'))"
printf 'x=1\r\ny=2\n' > "$tmp/data"
get -d @"$tmp/data" "$U/echo"
check "-d @file: POST, CR/LF dropped as curl does" \
    "$py" -c "import json,sys; j=json.load(open('$tmp/out')); sys.exit(not (j['method']=='POST' and j['body']=='x=1y=2'))"
get --data-binary @"$tmp/data" -H 'Content-Type: text/plain' "$U/echo"
check "--data-binary @file: bytes kept, -H Content-Type wins" \
    "$py" -c "import json,sys; j=json.load(open('$tmp/out')); h=dict((k.lower(),v) for k,v in j['headers']); sys.exit(not (j['body']=='x=1\r\ny=2\n' and h['content-type']=='text/plain'))"
get -H 'X-Test: yes' -H 'Accept:' -H 'X-Empty;' -A 'tester/1' "$U/echo"
check "-H adds, 'K:' removes a default, 'K;' sends it empty; -A" \
    "$py" -c "import json,sys; j=json.load(open('$tmp/out')); h=dict((k.lower(),v) for k,v in j['headers']); sys.exit(not (h.get('x-test')=='yes' and 'accept' not in h and h.get('x-empty')=='' and h['user-agent']=='tester/1'))"
get -d @"$tmp/missing" "$U/echo"
check "-d @missing: exit 26" [ "$rc" = 26 ]

# ---------------------------------------------------------- redirects
get "$U/redirect/3"
check "no -L: the 302 as it is" [ "$rc" = 0 -a ! -s "$tmp/out" ]
get -L "$U/redirect/3"
check "-L: followed to the end" [ "$rc" = 0 -a "$(out)" = "hello, weft" ]
get -L -v "$U/redirect/1"
check "-v: request and response heads, the hop" \
    bash -c "grep -q '^> GET /redirect/1 HTTP/1.1' '$tmp/err' && grep -q '^< HTTP/1.[01] 302' '$tmp/err' && grep -q 'Following the 302 redirect' '$tmp/err' && grep -q '^> GET /hello' '$tmp/err'"
get -L -i "$U/redirect/1"
check "-L -i: every hop's head (two 302s, a 200)" [ "$(grep -c "^HTTP/1" "$tmp/out")" = 3 ]
get -L --max-redirs 2 "$U/redirect/3"
curl_ -L --max-redirs 2 "$U/redirect/3"
check "--max-redirs 2 over 3: exit 47, as curl" [ "$rc" = 47 -a "$crc" = 47 ]
get -L "$U/loop"
check "a redirect loop: exit 47 with a message" bash -c "[ $rc = 47 ] && grep -q 'redirects' '$tmp/err'"
get -L --max-redirs 0 "$U/redirect/1"
check "--max-redirs 0: exit 47" [ "$rc" = 47 ]
get -L -d 'x=1' "$U/r303"
check "303 after POST: GET" "$py" -c "import json,sys; sys.exit(json.load(open('$tmp/out'))['method'] != 'GET')"

# ----------------------------------------------------------- codings
"$py" -c "import sys; sys.path.insert(0, '$here/../lib'); import get_server; sys.stdout.buffer.write(get_server.TEXT)" > "$tmp/text"
for c in gzip deflate br zstd; do
    get --compressed "$U/coded/$c"
    check "--compressed $c: decoded" cmp -s "$tmp/out" "$tmp/text"
done
get -v --compressed "$U/coded/zstd"
check "--compressed: Accept-Encoding lists all four" grep -q "^> Accept-Encoding: gzip, deflate, br, zstd" "$tmp/err"
get "$U/coded/gzip"
check "without --compressed: nothing asked, identity" cmp -s "$tmp/out" "$tmp/text"
get "$U/coded/gzip?force"
check "without --compressed: a coded body as sent (like curl)" bash -c "gzip -dc < '$tmp/out' | cmp -s - '$tmp/text'"
curl_ --compressed "$U/coded/br"
check "--compressed br: curl agrees" cmp -s "$tmp/cout" "$tmp/text"
get --compressed "$U/bomb"
check "--compressed gzip bomb: exit 61" bash -c "[ $rc = 61 ] && grep -qi 'bomb\|expands' '$tmp/err'"

# ------------------------------------------------------------ cookies
get -c "$tmp/jar" "$U/setcookie"
check "-c: the jar is a Netscape file with both cookies" \
    bash -c "grep -q \$'\ta\t1\$' '$tmp/jar' && grep -q \$'\tb\t2\$' '$tmp/jar'"
get -b "$tmp/jar" "$U/cookies"
check "-b FILE: cookies sent back" bash -c "grep -q 'a=1' '$tmp/out' && grep -q 'b=2' '$tmp/out'"
curl_ -b "$tmp/jar" "$U/cookies"
check "-b FILE: curl reads weft's jar the same" bash -c "grep -q 'a=1' '$tmp/cout' && grep -q 'b=2' '$tmp/cout'"
get -b 'x=9; y=8' "$U/cookies"
check "-b 'K=V': a literal Cookie header" [ "$(out)" = "x=9; y=8" ]
get -b "$tmp/nothere" "$U/cookies"
check "-b missing file: ignored, as curl does" [ "$rc" = 0 ]

# --------------------------------------------------------------- auth
get -u user:secret "$U/basic"
check "-u: Basic" [ "$(out)" = "basic ok" ]
get -u user:wrong "$U/basic"
check "-u wrong: the 401 body, exit 0" [ "$rc" = 0 -a "$(out)" = "no" ]
get -f -u user:wrong "$U/basic"
check "-f -u wrong: exit 22, no body" [ "$rc" = 22 -a ! -s "$tmp/out" ]
get --digest -u user:secret "$U/digest"
check "--digest: answered the challenge" [ "$(out)" = "digest ok" ]
curl_ --digest -u user:secret "$U/digest"
check "--digest: curl passes the same server" [ "$(cat "$tmp/cout")" = "digest ok" ]

# ------------------------------------------------------------- failures
get -f "$U/status/404"
curl_ -f "$U/status/404"
check "-f 404: exit 22, no body, as curl" [ "$rc" = 22 -a "$crc" = 22 -a ! -s "$tmp/out" ]
check "-f 404: one line saying so" bash -c "[ \$(wc -l < '$tmp/err') = 1 ] && grep -q '404' '$tmp/err'"
get "$U/status/500"
check "500 without -f: the body, exit 0" [ "$rc" = 0 -a "$(out)" = "status 500" ]
get "$U/truncated"
curl_ "$U/truncated"
check "body cut short: exit 18, as curl" [ "$rc" = 18 -a "$crc" = 18 ]
get "$U/badstatus"
check "malformed status line: exit 8" [ "$rc" = 8 ]
t0=$(date +%s%N); get --max-time 0.5 "$U/slow"; t1=$(date +%s%N)
curl_ --max-time 0.5 "$U/slow"
check "--max-time 0.5: exit 28 as curl, in time ($(( (t1 - t0) / 1000000 )) ms)" \
    [ "$rc" = 28 -a "$crc" = 28 -a $(( (t1 - t0) / 1000000 )) -lt 2500 ]
dead=$("$py" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
get "http://127.0.0.1:$dead/"
curl_ "http://127.0.0.1:$dead/"
check "connection refused: exit 7 as curl, one line" bash -c "[ $rc = 7 -a $crc = 7 ] && [ \$(wc -l < '$tmp/err') = 1 ]"
get "http://[::1"
check "bad URL: exit 3" [ "$rc" = 3 ]
for bad in "" "-X 'A B' $U/" "--max-time x $U/" "--nope $U/" "$U/ $U/"; do
    rc=0
    # shellcheck disable=SC2086
    eval "'$weft' get $bad" > /dev/null 2>&1 || rc=$?
    check "usage error for '$bad': exit 2" [ "$rc" = 2 ]
done

# ---------------------------------------------------------------- DNS
if [ -x /usr/sbin/dnsmasq ]; then
    . "$here/../lib/dnsmasq.sh"
    start_dnsmasq "$tmp" known.test --local=/test/ --address=/known.test/127.0.0.1
    pids+=("$DNSMASQ_PID")
    dport=$DNSMASQ_PORT
    get --dns-servers "127.0.0.1:$dport" "http://known.test:$P/hello"
    check "DNS through --dns-servers: resolved" [ "$rc" = 0 -a "$(out)" = "hello, weft" ]
    get --dns-servers "127.0.0.1:$dport" "http://missing.test:$P/hello"
    check "NXDOMAIN: exit 6, one line" bash -c "[ $rc = 6 ] && [ \$(wc -l < '$tmp/err') = 1 ] && grep -qi 'resolve' '$tmp/err'"
else
    echo "skip DNS (no dnsmasq)"
fi

# ---------------------------------------------------------------- TLS
certs="$tmp/certs"
bash "$here/../lib/mkcerts.sh" "$certs" > /dev/null
start https "$py" "$here/../lib/get_server.py" --tls "$certs/server-chain.pem" "$certs/server.key"
S="https://localhost:$port"
get --cacert "$certs/ca.pem" "$S/hello"
check "https --cacert: verified" [ "$rc" = 0 -a "$(out)" = "hello, weft" ]
get "$S/hello"
curl_ "$S/hello"
check "https, unknown CA: exit 60 as curl" [ "$rc" = 60 -a "$crc" = 60 ]
get -k "$S/hello"
check "https -k: accepted" [ "$rc" = 0 -a "$(out)" = "hello, weft" ]
get -v --cacert "$certs/ca.pem" "$S/hello"
check "-v over https: the TLS version" grep -q "TLS handshake done: TLSv1" "$tmp/err"
start wronghost "$py" "$here/../lib/get_server.py" --tls "$certs/wronghost.pem" "$certs/wronghost.key"
get --cacert "$certs/ca.pem" "https://localhost:$port/hello"
check "https, certificate for another name: exit 60" [ "$rc" = 60 ]

# -------------------------------------------------------------- proxy
if command -v tinyproxy > /dev/null; then
    pport=$("$py" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
    cat > "$tmp/tinyproxy.conf" <<EOF
Port $pport
Listen 127.0.0.1
Timeout 30
Allow 127.0.0.1
LogFile "$tmp/tinyproxy.log"
LogLevel Info
MaxClients 20
User root
Group root
EOF
    tinyproxy -d -c "$tmp/tinyproxy.conf" > /dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$pport) 2>/dev/null && break; sleep 0.1; done
    get -x "127.0.0.1:$pport" "$U/hello"
    check "-x http proxy: fetched through it" [ "$rc" = 0 -a "$(out)" = "hello, weft" ]
    check "-x: the proxy saw the request" grep -q "/hello" "$tmp/tinyproxy.log"
    get -x "http://127.0.0.1:$pport" --cacert "$certs/ca.pem" "$S/hello"
    check "-x with https: a CONNECT tunnel" bash -c "[ $rc = 0 ] && grep -q CONNECT '$tmp/tinyproxy.log'"
    rc=0; http_proxy="http://127.0.0.1:$pport" timeout 30 "$weft" get "http://localhost:$P/echo" > "$tmp/out" 2> "$tmp/err" || rc=$?
    check "http_proxy from the environment" bash -c "[ $rc = 0 ] && grep -q 'localhost:$P/echo' '$tmp/tinyproxy.log'"
else
    echo "skip proxy (no tinyproxy)"
fi

# -------------------------------------------------------------- nginx
if [ -x /usr/sbin/nginx ]; then
    nport=$("$py" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
    mkdir -p "$tmp/www" "$tmp/nginx"
    cp "$tmp/text" "$tmp/www/text.txt"
    cat > "$tmp/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $tmp/nginx/access.log;
    client_body_temp_path $tmp/nginx;
    proxy_temp_path $tmp/nginx;
    fastcgi_temp_path $tmp/nginx;
    uwsgi_temp_path $tmp/nginx;
    scgi_temp_path $tmp/nginx;
    types { text/plain txt; }
    gzip on;
    gzip_types text/plain;
    gzip_min_length 20;
    server {
        listen 127.0.0.1:$nport;
        root $tmp/www;
        location = /moved { return 301 /text.txt; }
    }
}
EOF
    /usr/sbin/nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" 2> "$tmp/nginx.err" &
    pids+=($!)
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$nport) 2>/dev/null && break; sleep 0.1; done
    get -v --compressed "http://127.0.0.1:$nport/text.txt"
    check "nginx gzip (chunked) with --compressed: decoded" \
        bash -c "cmp -s '$tmp/out' '$tmp/text' && grep -qi '^< Content-Encoding: gzip' '$tmp/err'"
    get -L "http://127.0.0.1:$nport/moved"
    check "nginx 301 with -L: followed" cmp -s "$tmp/out" "$tmp/text"
    get -f "http://127.0.0.1:$nport/none"
    check "nginx 404 with -f: exit 22" [ "$rc" = 22 ]
else
    echo "skip nginx (not installed)"
fi

rc=0; "$weft" get --help > "$tmp/out" || rc=$?
check "--help: exit 0 and the exit status table" bash -c "[ $rc = 0 ] && grep -q '28  timeout' '$tmp/out'"
exit $fail
