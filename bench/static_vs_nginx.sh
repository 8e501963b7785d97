#!/usr/bin/env bash
# static_vs_nginx.sh [BUILD] [http-compare options] - a 1 MiB static file:
# `weft serve` against nginx, through the shared harness (http-compare: both
# servers pinned to one CPU, wrk pinned to the other, rounds interleaved).
#
# The same 1 MiB file is index.html of one folder and both serve it at / as
# the folder's index (nginx: sendfile on, tcp_nopush on as Debian ships it,
# access_log off, one worker; weft serve: --quiet, one worker). Prints the
# harness table, then the weft/nginx ratios of requests per second and per
# server-CPU-second (medians over the rounds).
#
#   bench/static_vs_nginx.sh build --rounds 3 --duration 4
set -euo pipefail
build=${1:-build}
shift || true
here=$(cd "$(dirname "$0")/.." && pwd)
hc=${HTTP_COMPARE:-/work/shared/bench/http-compare}
[ -x "$hc" ] || { echo "static_vs_nginx: no http-compare at $hc (set HTTP_COMPARE)"; exit 1; }
weft=$(cd "$build" && pwd)/weft
[ -x "$weft" ] || { echo "static_vs_nginx: build $weft first"; exit 1; }
command -v nginx >/dev/null || { echo "static_vs_nginx: nginx is not installed"; exit 1; }

tmp=$(mktemp -d /tmp/weft-static-bench-XXXXXX)
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
mkdir -p "$tmp/www" "$tmp/nginx"
head -c $((1 << 20)) /dev/urandom >"$tmp/www/index.html"

# nginx for the file: written when the harness gives the port.
cat >"$tmp/nginx.sh" <<NGX
#!/usr/bin/env bash
port=\$1
d=$tmp/nginx
{
    [ "\$(id -u)" = 0 ] && echo "user root;"
    cat <<CONF
worker_processes 1;
worker_rlimit_nofile \$(ulimit -n);
daemon off;
pid \$d/nginx.pid;
error_log \$d/error.log warn;
events { worker_connections 4096; use epoll; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    default_type application/octet-stream;
    client_body_temp_path \$d/body;
    proxy_temp_path \$d/proxy;
    fastcgi_temp_path \$d/fastcgi;
    uwsgi_temp_path \$d/uwsgi;
    scgi_temp_path \$d/scgi;
    server {
        listen 127.0.0.1:\$port;
        root $tmp/www;
        index index.html;
    }
}
CONF
} >\$d/nginx.conf
exec nginx -p \$d/ -c \$d/nginx.conf -e \$d/error.log
NGX

"$hc" --only nginx-file,weft-file \
    --candidate "nginx-file=bash $tmp/nginx.sh {port}" \
    --candidate "weft-file=$weft serve $tmp/www --bind 127.0.0.1 --port {port} --quiet" \
    --tsv "$tmp/runs.tsv" "$@"

# Ratios from the raw runs: column 4 req/s, column 7 server CPU %.
awk -F'\t' '
    function median(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $3 == "nginx-file" { nr[++nn] = $4; nc[nn] = $7 > 0 ? $4 * 100 / $7 : 0 }
    $3 == "weft-file"  { wr[++wn] = $4; wc[wn] = $7 > 0 ? $4 * 100 / $7 : 0 }
    END {
        if (!nn || !wn) { print "static_vs_nginx: no runs to compare"; exit 1 }
        a = median(wr, wn); b = median(nr, nn); c = median(wc, wn); d = median(nc, nn)
        printf "1 MiB file: weft %.0f req/s, nginx %.0f req/s: %.2fx nginx\n", a, b, a / b
        printf "per server-CPU-second: weft %.0f, nginx %.0f: %.2fx nginx\n", c, d, (d > 0 ? c / d : 0)
    }' "$tmp/runs.tsv"
