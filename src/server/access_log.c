/*
 * access_log.c - Common and Combined Log Format, as nginx and Apache write
 * them:
 *
 *   127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 2326 "-" "curl/8"
 *
 * Each server gathers the lines of one loop iteration in its own buffer and
 * writes them with one write(2) from a queued callback, so logging costs a
 * system call per batch, not per request, and servers on several threads
 * can share one fd (each write holds whole lines).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"

#define LOG_FLUSH_AT (64u * 1024u)

/* "[10/Oct/2000:13:55:36 -0700]", local time, cached per second. */
static __thread time_t tcache_sec = -1;
static __thread char tcache[40];
static __thread size_t tcache_len;

static const char *log_time(size_t *len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != tcache_sec) {
        struct tm tm;
        localtime_r(&ts.tv_sec, &tm);
        tcache_len = strftime(tcache, sizeof tcache, "[%d/%b/%Y:%H:%M:%S %z]", &tm);
        tcache_sec = ts.tv_sec;
    }
    *len = tcache_len;
    return tcache;
}

static int reserve(weft_web_server *srv, size_t n)
{
    if (srv->log_cap - srv->log_len >= n)
        return 0;
    size_t cap = srv->log_cap ? srv->log_cap : 4096;
    while (cap - srv->log_len < n)
        cap *= 2;
    char *nb = realloc(srv->log, cap);
    if (!nb)
        return -ENOMEM;
    srv->log = nb;
    srv->log_cap = cap;
    return 0;
}

static void put(weft_web_server *srv, const char *s, size_t n)
{
    memcpy(srv->log + srv->log_len, s, n);
    srv->log_len += n;
}

/* A field that may hold anything the client sent: control bytes, '"', '\'
 * and non-ASCII become \xHH, so a line can neither be split nor forged. */
static void put_escaped(weft_web_server *srv, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = srv->log + srv->log_len;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        } else {
            *o++ = (char)ch;
        }
    }
    srv->log_len = (size_t)(o - srv->log);
}

static void put_quoted(weft_web_server *srv, const char *s)
{
    put(srv, "\"", 1);
    if (s && *s)
        put_escaped(srv, s, strlen(s));
    else
        put(srv, "-", 1);
    put(srv, "\"", 1);
}

/* The line is in the buffer: write it now if the buffer is big, else once
 * the loop has run this iteration's callbacks. */
static void line_done(weft_web_server *srv)
{
    if (srv->log_len >= LOG_FLUSH_AT) {
        weft__access_log_flush(srv);
    } else if (!srv->log_posted) {
        srv->log_posted = true;
        weft__server_ref_http(srv);
        weft__loop_post(srv->loop, &srv->log_call);
    }
}

void weft__access_log_canned(struct conn *c, int status, const char *raw, size_t len)
{
    weft_web_server *srv = c->srv;
    char remote[INET6_ADDRSTRLEN];
    weft__remote_text(c->t, remote, sizeof remote);
    size_t line = 0;
    while (raw && line < len && line < 256 && raw[line] != '\r' && raw[line] != '\n')
        line++;
    size_t tl;
    const char *t = log_time(&tl);
    if (reserve(srv, strlen(remote) + 8 + tl + 4 * line + 64) != 0)
        return;
    put(srv, remote, strlen(remote));
    put(srv, " - - ", 5);
    put(srv, t, tl);
    put(srv, " \"", 2);
    if (line)
        put_escaped(srv, raw, line);
    else
        put(srv, "-", 1);
    put(srv, "\" ", 2);
    char num[24];
    put(srv, num, weft__u64_dec(num, (uint64_t)status));
    put(srv, " -", 2);
    if (srv->app->log_fmt == WEFT_WEB_LOG_COMBINED)
        put(srv, " \"-\" \"-\"", 8);
    put(srv, "\n", 1);
    line_done(srv);
}

void weft__access_log(struct hx *x)
{
    weft_web_server *srv = x->c->srv;
    weft_web_request *req = &x->req;
    weft_web_response *resp = &x->resp;
    const weft_web_app *app = srv->app;
    const char *remote = weft_web_request_remote(req);
    const char *ref = NULL, *ua = NULL;
    if (app->log_fmt == WEFT_WEB_LOG_COMBINED) {
        ref = weft_web_request_header(req, "Referer");
        ua = weft_web_request_header(req, "User-Agent");
    }
    size_t tl;
    const char *t = log_time(&tl);
    size_t ml = strlen(req->method), gl = strlen(req->target);
    size_t need = strlen(remote) + 8 + tl + 4 * (ml + gl + 12) + 40 +
                  4 * ((ref ? strlen(ref) : 1) + (ua ? strlen(ua) : 1)) + 8;
    if (reserve(srv, need) != 0)
        return;
    put(srv, remote, strlen(remote));
    put(srv, " - - ", 5);
    put(srv, t, tl);
    put(srv, " \"", 2);
    put_escaped(srv, req->method, ml);
    put(srv, " ", 1);
    put_escaped(srv, req->target, gl);
    put(srv, req->h.version ? " HTTP/1.1\" " : " HTTP/1.0\" ", 11);
    char num[24];
    put(srv, num, weft__u64_dec(num, (uint64_t)resp->status));
    put(srv, " ", 1);
    if (resp->sent)
        put(srv, num, weft__u64_dec(num, resp->sent));
    else
        put(srv, "-", 1);
    if (app->log_fmt == WEFT_WEB_LOG_COMBINED) {
        put(srv, " ", 1);
        put_quoted(srv, ref);
        put(srv, " ", 1);
        put_quoted(srv, ua);
    }
    put(srv, "\n", 1);
    line_done(srv);
}

void weft__access_log_flush(weft_web_server *srv)
{
    int fd = srv->app->log_fd;
    size_t off = 0;
    while (fd >= 0 && off < srv->log_len) {
        ssize_t n = write(fd, srv->log + off, srv->log_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* a full non-blocking pipe or a dead file: drop, never block */
        off += (size_t)n;
    }
    srv->log_len = 0;
}
