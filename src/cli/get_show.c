/*
 * get_show.c - what `weft get` prints besides the body: the -v trace on
 * stderr, response heads for -i/-I, and the progress bar of -o.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/get_int.h"

uint64_t weft__get_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ heads */

static void print_head(FILE *f, const char *prefix, const weft_http_response *r, const char *eol)
{
    fprintf(f, "%sHTTP/1.%d %d%s%s%s", prefix, weft_http_response_version(r),
            weft_http_response_status(r), weft_http_response_reason(r)[0] ? " " : "",
            weft_http_response_reason(r), eol);
    size_t n = weft_http_response_header_count(r);
    for (size_t i = 0; i < n; i++) {
        const char *name, *value;
        if (weft_http_response_header_at(r, i, &name, &value) == 0)
            fprintf(f, "%s%s: %s%s", prefix, name, value, eol);
    }
    fprintf(f, "%s%s", prefix, eol);
}

void weft__get_print_head(FILE *f, const weft_http_response *r)
{
    print_head(f, "", r, "\r\n"); /* as received, as curl -i shows it */
}

/* -------------------------------------------------------------------- -v */

void weft__get_trace(const weft_http_trace *ev, void *ud)
{
    (void)ud;
    FILE *f = stderr;
    switch (ev->event) {
    case WEFT_HTTP_TRACE_CONNECTION_REUSED:
        fprintf(f, "* Re-using the connection to %s\n", ev->detail ? ev->detail : "the host");
        break;
    case WEFT_HTTP_TRACE_DNS_END:
        if (ev->error)
            fprintf(f, "* Could not resolve %s: %s\n", ev->host ? ev->host : "",
                    weft_strerror(ev->error));
        else
            fprintf(f, "* Resolved %s: %llu address%s\n", ev->host ? ev->host : "",
                    (unsigned long long)ev->count, ev->count == 1 ? "" : "es");
        break;
    case WEFT_HTTP_TRACE_CONNECT_START:
        fprintf(f, "* Trying %s port %d...\n", ev->host ? ev->host : "", ev->port);
        break;
    case WEFT_HTTP_TRACE_CONNECT_END:
        if (ev->error)
            fprintf(f, "* Connect failed: %s\n", weft_strerror(ev->error));
        else
            fprintf(f, "* Connected to %s (%s)\n", ev->host ? ev->host : "",
                    ev->detail ? ev->detail : "");
        break;
    case WEFT_HTTP_TRACE_PROXY_CONNECT:
        fprintf(f, "* Proxy tunnel: CONNECT answered %d%s%s\n", ev->status,
                ev->error ? ", " : "", ev->error ? weft_strerror(ev->error) : "");
        break;
    case WEFT_HTTP_TRACE_TLS_END:
        if (ev->error)
            fprintf(f, "* TLS handshake failed: %s\n", ev->detail ? ev->detail : weft_strerror(ev->error));
        else
            fprintf(f, "* TLS handshake done: %s\n", ev->detail ? ev->detail : "");
        break;
    case WEFT_HTTP_TRACE_REQUEST_SENT: {
        /* the head line by line, CRLFs off, the final empty line as ">" */
        const char *p = ev->head, *end = ev->head ? ev->head + ev->head_len : NULL;
        while (p && p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            size_t shown = len && p[len - 1] == '\r' ? len - 1 : len;
            fprintf(f, "> %.*s\n", (int)shown, p);
            p += len + (nl ? 1 : 0);
        }
        if (ev->count)
            fprintf(f, "* Request body: %llu bytes\n", (unsigned long long)ev->count);
        break;
    }
    case WEFT_HTTP_TRACE_RESPONSE_HEADERS:
        if (ev->response)
            print_head(f, "< ", ev->response, "\n");
        break;
    case WEFT_HTTP_TRACE_REDIRECT:
        fprintf(f, "* Following the %d redirect to %s\n", ev->status, ev->detail ? ev->detail : "");
        break;
    case WEFT_HTTP_TRACE_RETRY:
        fprintf(f, "* The kept-alive connection was closed (%s): retrying on a new one\n",
                weft_strerror(ev->error));
        break;
    case WEFT_HTTP_TRACE_DONE:
        fprintf(f, "* Body complete: %llu bytes in %.3f s\n", (unsigned long long)ev->count,
                (double)ev->elapsed_ns / 1e9);
        break;
    default:
        break;
    }
    fflush(f);
}

/* ------------------------------------------------------------- progress */

void weft__get_progress_start(get_progress *p, bool on, int64_t total)
{
    p->on = on;
    p->total = total;
    p->done = 0;
    p->start_ns = p->last_ns = weft__get_now_ns();
}

static void human(char *buf, size_t n, double b)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;
    while (b >= 1024 && u < 4)
        b /= 1024, u++;
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

static void draw(get_progress *p, uint64_t now, bool final)
{
    double secs = (double)(now - p->start_ns) / 1e9;
    double rate = secs > 0 ? (double)p->done / secs : 0;
    char done[32], total[32], speed[32];
    human(done, sizeof done, (double)p->done);
    human(speed, sizeof speed, rate);
    if (p->total > 0) {
        double frac = (double)p->done / (double)p->total;
        if (frac > 1)
            frac = 1;
        char bar[31];
        int full = (int)(frac * 30);
        for (int i = 0; i < 30; i++)
            bar[i] = i < full ? '#' : ' ';
        bar[30] = 0;
        human(total, sizeof total, (double)p->total);
        char eta[32] = "";
        if (!final && rate > 0) {
            double left = ((double)p->total - (double)p->done) / rate;
            snprintf(eta, sizeof eta, " ETA %d:%02d", (int)left / 60, (int)left % 60);
        }
        fprintf(stderr, "\r%5.1f%% [%s] %s / %s  %s/s%s   ", frac * 100, bar, done, total, speed,
                eta);
    } else {
        fprintf(stderr, "\r%s  %s/s   ", done, speed);
    }
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

void weft__get_progress_update(get_progress *p, uint64_t done)
{
    p->done = done;
    if (!p->on)
        return;
    uint64_t now = weft__get_now_ns();
    if (now - p->last_ns < 200000000ull) /* 5 redraws a second at most */
        return;
    p->last_ns = now;
    draw(p, now, false);
}

void weft__get_progress_end(get_progress *p)
{
    if (p->on)
        draw(p, weft__get_now_ns(), true);
}
