/*
 * connection.c - one HTTP/1.1 connection: its read buffer, reads with a
 * read timeout, and how it is made: DNS through the session's resolver (and
 * its TTL cache), Happy Eyeballs, a CONNECT tunnel through a proxy, then TLS
 * over whatever came before (weft_tls_start_tls on the stream), all under
 * the connect timeout.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client/client_int.h"

/* ------------------------------------------------------------ buffer, reads */

void weft__hc_conn_destroy(struct weft__hc_conn *c, bool abort)
{
    weft_http_session *s = c->s;
    if (c->aprev)
        c->aprev->anext = c->anext;
    else if (s->all == c)
        s->all = c->anext;
    if (c->anext)
        c->anext->aprev = c->aprev;
    if (c->st) {
        if (abort)
            weft_stream_abort(c->st);
        weft_stream_free(c->st);
    }
    free(c->buf);
    free(c);
}

size_t weft__hc_conn_pending(const struct weft__hc_conn *c)
{
    return (c->rlen - c->rpos) + (c->st ? weft_stream_buffered(c->st) : 0);
}

bool weft__hc_conn_usable(const struct weft__hc_conn *c)
{
    /* Bytes nobody asked for, or the server's EOF, while idle: the server
     * closed it or is confused. Either way it carries no more requests. */
    return c->st && !c->dead && c->rpos == c->rlen && !weft_stream_is_closing(c->st) &&
           !weft_stream_at_eof(c->st) && weft_stream_buffered(c->st) == 0;
}

/* A stream read bounded by the reader's read timeout and deadline, each a
 * deadline scope of its own; a read that can be served at once pays for
 * neither. */
static int timed_read(struct weft__hc_conn *c, void *dst, size_t n)
{
    if ((c->read_timeout == WEFT_NEVER && c->deadline == WEFT_NEVER) ||
        weft_stream_buffered(c->st))
        return weft_stream_read(c->st, dst, n);
    int total = -1, rt = -1;
    if (c->deadline != WEFT_NEVER && (total = weft_timeout_push_at(c->deadline)) < 0)
        return total;
    if (c->read_timeout != WEFT_NEVER && (rt = weft_timeout_push(c->read_timeout)) < 0) {
        if (total >= 0)
            weft_timeout_pop(total);
        return rt;
    }
    int r = weft_stream_read(c->st, dst, n);
    if (rt >= 0 && weft_timeout_pop(rt) && r == -ETIMEDOUT)
        r = WEFT_EHTTP_READ_TIMEOUT;
    if (total >= 0)
        weft_timeout_pop(total);
    return r;
}

int weft__hc_conn_fill(struct weft__hc_conn *c)
{
    if (!c->st)
        return WEFT_ECLOSED;
    if (c->rpos == c->rlen)
        c->rpos = c->rlen = 0;
    if (c->rlen == c->cap) {
        if (c->rpos) {
            memmove(c->buf, c->buf + c->rpos, c->rlen - c->rpos);
            c->rlen -= c->rpos;
            c->rpos = 0;
        } else {
            size_t cap = c->cap ? c->cap * 2 : WEFT__HC_BUF_INIT;
            char *b = realloc(c->buf, cap);
            if (!b)
                return -ENOMEM;
            c->buf = b;
            c->cap = cap;
        }
    }
    int n = timed_read(c, c->buf + c->rlen, c->cap - c->rlen);
    if (n > 0) {
        c->rlen += (size_t)n;
        c->got_byte = true;
    }
    return n;
}

int weft__hc_conn_read(struct weft__hc_conn *c, void *dst, size_t n)
{
    size_t have = c->rlen - c->rpos;
    if (have) {
        size_t k = have < n ? have : n;
        memcpy(dst, c->buf + c->rpos, k);
        c->rpos += k;
        return (int)k;
    }
    if (!c->st)
        return WEFT_ECLOSED;
    if (n > INT32_MAX)
        n = INT32_MAX;
    int r = timed_read(c, dst, n);
    if (r > 0)
        c->got_byte = true;
    return r;
}

/* ------------------------------------------------------------ connecting */

static void set_peer(struct weft__hc_conn *c)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    c->peer[0] = '\0';
    if (weft_stream_peername(c->st, &ss, &len) == 0)
        weft_addr_format((struct sockaddr *)&ss, c->peer, sizeof c->peer);
}

static void trace_ev(struct weft__hc_trace *tc, int event, const char *host, int port, int error,
                     const char *detail, uint64_t count)
{
    if (!tc || !tc->on)
        return;
    weft_http_trace ev = {.event = event, .host = host, .port = port, .error = error,
                          .detail = detail, .count = count};
    weft__hc_trace_emit(tc, &ev);
}

static uint64_t since(const weft_http_session *s, const struct weft__hc_trace *tc)
{
    uint64_t now = weft_loop_update_time(s->loop);
    return tc && now > tc->t0 ? now - tc->t0 : 0;
}

/* "host:port" with brackets around an IPv6 host. */
static void authority(char *buf, size_t cap, const char *host, int port)
{
    if (strchr(host, ':'))
        snprintf(buf, cap, "[%s]:%d", host, port);
    else
        snprintf(buf, cap, "%s:%d", host, port);
}

/* Through a proxy to an https origin: CONNECT host:port, then the tunnel is
 * ours (RFC 9110 §9.3.6). */
static int tunnel(weft_http_session *s, struct weft__hc_conn *c, const struct weft__hc_target *t,
                  struct weft__hc_trace *tc, char *errbuf)
{
    char auth[300];
    authority(auth, sizeof auth, t->host, t->port);
    char *head = weft__hc_session_wbuf(s, 2 * strlen(auth) + 64 +
                                              (t->proxy->auth ? strlen(t->proxy->auth) : 0) + 64);
    if (!head)
        return -ENOMEM;
    int len = sprintf(head, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", auth, auth);
    if (t->proxy->auth)
        len += sprintf(head + len, "Proxy-Authorization: %s\r\n", t->proxy->auth);
    len += sprintf(head + len, "\r\n");
    int rc = weft_stream_write(c->st, head, (size_t)len);
    if (rc < 0)
        return rc;
    weft_h1_limits lim;
    weft_h1_limits_init(&lim);
    weft_h1_parser_init(&c->parser, &lim);
    weft_h1_header hdrs[64];
    weft_h1_response h1;
    for (;;) {
        int n = c->rlen > c->rpos
                    ? weft_h1_parse_response(&c->parser, c->buf + c->rpos, c->rlen - c->rpos,
                                             WEFT_H1_METHOD_CONNECT, &h1, hdrs, 64)
                    : -EAGAIN;
        if (n > 0) {
            if (h1.status < 200) { /* an interim answer: the real one follows */
                c->rpos += (size_t)n;
                continue;
            }
            c->rpos += (size_t)n;
            if (!(h1.flags & WEFT_H1_F_TUNNEL)) {
                weft__hc_err(errbuf, "proxy %s answered CONNECT %s with %d %.*s",
                             weft_url_host(t->proxy->url), auth, h1.status,
                             (int)h1.reason.len, h1.reason.ptr);
                trace_ev(tc, WEFT_HTTP_TRACE_PROXY_CONNECT, t->host, t->port, WEFT_EHTTP_PROXY,
                         NULL, (uint64_t)h1.status);
                return WEFT_EHTTP_PROXY;
            }
            if (c->rpos != c->rlen)
                return WEFT_EHTTP_PROXY; /* bytes before our TLS hello: not a tunnel */
            trace_ev(tc, WEFT_HTTP_TRACE_PROXY_CONNECT, t->host, t->port, 0, NULL,
                     (uint64_t)h1.status);
            c->rpos = c->rlen = 0;
            return 0;
        }
        if (n != -EAGAIN) {
            weft__hc_err(errbuf, "proxy %s sent a malformed answer to CONNECT: %s",
                         weft_url_host(t->proxy->url), weft_strerror(n));
            return WEFT_EHTTP_PROXY;
        }
        n = weft__hc_conn_fill(c);
        if (n == 0) {
            weft__hc_err(errbuf, "proxy %s closed the connection during CONNECT",
                         weft_url_host(t->proxy->url));
            return WEFT_EHTTP_PROXY;
        }
        if (n < 0)
            return n;
    }
}

static int do_connect(weft_http_session *s, struct weft__hc_conn *c,
                      const struct weft__hc_target *t, struct weft__hc_trace *tc, char *errbuf)
{
    const char *host = t->host;
    int port = t->port;
    if (t->proxy) {
        host = weft_url_hostname(t->proxy->url);
        port = weft_url_port(t->proxy->url);
    }
    weft_resolver *r;
    int rc = weft__hc_session_resolver(s, &r);
    if (rc < 0)
        return rc;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    trace_ev(tc, WEFT_HTTP_TRACE_DNS_START, host, port, 0, NULL, 0);
    weft_addrinfo *ai = NULL;
    rc = weft_resolver_getaddrinfo(r, host, service, NULL, &ai);
    c->tm.dns_ns = since(s, tc);
    trace_ev(tc, WEFT_HTTP_TRACE_DNS_END, host, port, rc < 0 ? rc : 0, NULL,
             rc > 0 ? (uint64_t)rc : 0);
    if (rc < 0) {
        weft__hc_err(errbuf, "could not resolve host %s: %s", host, weft_strerror(rc));
        return rc;
    }
    trace_ev(tc, WEFT_HTTP_TRACE_CONNECT_START, host, port, 0, NULL, 0);
    int fd = -1;
    rc = weft_happy_connect(ai, NULL, &fd);
    weft_addrinfo_free(ai);
    if (rc == 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        rc = weft_stream_open_fd(fd, WEFT_FD_READ | WEFT_FD_WRITE, &c->st);
    }
    c->tm.connect_ns = since(s, tc);
    if (c->st)
        set_peer(c);
    trace_ev(tc, WEFT_HTTP_TRACE_CONNECT_END, host, port, rc, c->peer[0] ? c->peer : NULL, 0);
    if (rc < 0) {
        weft__hc_err(errbuf, "connect to %s port %d failed: %s", host, port, weft_strerror(rc));
        return rc;
    }
    if (t->proxy && t->https) {
        rc = tunnel(s, c, t, tc, errbuf);
        if (rc < 0) {
            if (!errbuf || !errbuf[0])
                weft__hc_err(errbuf, "CONNECT through proxy %s failed: %s", host,
                             weft_strerror(rc));
            return rc;
        }
        c->tm.connect_ns = since(s, tc);
    }
    c->proxied_http = t->proxy && !t->https;
    if (t->https) {
        trace_ev(tc, WEFT_HTTP_TRACE_TLS_START, t->host, t->port, 0, NULL, 0);
        rc = weft_tls_start_tls(c->st, t->tls, t->host, NULL);
        c->tm.tls_ns = since(s, tc);
        const char *detail = NULL;
        if (rc == 0 && weft_stream_tls(c->st))
            detail = weft_tls_version(weft_stream_tls(c->st));
        else if (rc < 0)
            detail = weft_tls_ctx_errdetail(t->tls);
        trace_ev(tc, WEFT_HTTP_TRACE_TLS_END, t->host, t->port, rc, detail, 0);
        if (rc < 0) {
            weft__hc_err(errbuf, "TLS with %s port %d failed: %s%s%s", t->host, t->port,
                         weft_strerror(rc), detail && *detail ? ": " : "",
                         detail ? detail : "");
            return rc;
        }
    }
    return 0;
}

int weft__hc_connect(weft_http_session *s, struct weft__hc_conn *c,
                     const struct weft__hc_target *t, uint64_t connect_timeout,
                     struct weft__hc_trace *tc, char *errbuf)
{
    c->read_timeout = WEFT_NEVER;
    c->deadline = WEFT_NEVER;
    int scope = -1;
    if (connect_timeout != WEFT_NEVER) {
        scope = weft_timeout_push(connect_timeout);
        if (scope < 0)
            return scope;
    }
    int rc;
    if (s->connector) {
        rc = s->connector(s, c, t, s->connector_ud);
        if (rc == 0 && c->st)
            set_peer(c);
    } else {
        rc = do_connect(s, c, t, tc, errbuf);
    }
    if (scope >= 0 && weft_timeout_pop(scope) && rc == -ETIMEDOUT) {
        rc = WEFT_EHTTP_CONNECT_TIMEOUT;
        weft__hc_err(errbuf, "connect to %s port %d timed out after %llu ms", t->host, t->port,
                     (unsigned long long)(connect_timeout / 1000000u));
    }
    if (rc < 0 && c->st) {
        weft_stream_abort(c->st);
        weft_stream_free(c->st);
        c->st = NULL;
    }
    return rc;
}
