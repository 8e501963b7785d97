/*
 * fake_server.h - an HTTP server on in-memory streams for the client's unit
 * tests: the session's connector is replaced (weft__hc_set_connector) by one
 * that makes a memory stream pair per connection and runs a server task on
 * the other end. The server records every request it reads and answers with
 * what the test's route function returns, so each test states exactly what
 * the wire carries. Combine with the virtual clock to test timeouts in no
 * real time.
 */
#ifndef WEFT_FAKE_SERVER_H
#define WEFT_FAKE_SERVER_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "weft.h"
#include "weft_test.h"
#include "client/client_int.h"

#define FAKE_MAX_REQ 64
#define FAKE_REQ_CAP 8192

struct fake;

/* What to answer: data is written, then (after delay_ns, if any) the
 * connection is closed when close is set; with stall set nothing more is
 * written and the connection stays open until the client goes. */
struct fake_answer {
    const char *data;
    size_t len;          /* 0: strlen(data) */
    bool close;
    bool stall;          /* after data, wait for the client to close */
    uint64_t delay_ns;   /* before writing anything */
    uint64_t trickle_ns; /* write one byte per trickle_ns ... */
    size_t trickle_from; /* ... after the first trickle_from bytes, written at once */
};

/* Called for each request read: req holds the head and body bytes; conn is
 * the connection's index (0, 1, ...), n the request's index overall. */
typedef struct fake_answer (*fake_route)(struct fake *f, const char *method, const char *path,
                                         const char *req, int conn, int n);

struct fake {
    fake_route route;
    void *ud;
    int conns;                /* connections made */
    int live, max_live;       /* server tasks running now / at most */
    int nreq;
    char req[FAKE_MAX_REQ][FAKE_REQ_CAP];
    int req_conn[FAKE_MAX_REQ];
    struct {
        char host[128];
        int port;
        bool https, proxy;
    } target[FAKE_MAX_REQ];
    int connect_err;          /* the connector fails with this */
    uint64_t connect_delay;   /* the connector sleeps first */
    bool read_no_request;     /* accept and close without reading */
    int per_host_live[4], per_host_max[4];
};

struct fake_conn {
    struct fake *f;
    weft_stream *s;
    int idx;
    int host;                 /* index of the host for per-host counts */
};

/* Read one request (head, then a Content-Length or chunked body). Returns
 * its length, 0 at EOF, or an error. */
static inline int fake_read_request(weft_stream *s, char *buf, size_t cap)
{
    int n = weft_stream_readuntil(s, "\r\n\r\n", 4, buf, cap - 1);
    if (n == WEFT_EINCOMPLETE || n == 0)
        return 0;
    if (n < 0)
        return n;
    buf[n] = '\0';
    size_t len = (size_t)n;
    const char *cl = strcasestr(buf, "\r\ncontent-length:");
    if (cl) {
        size_t body = strtoul(cl + 17, NULL, 10);
        if (len + body >= cap)
            return -E2BIG;
        if (body) {
            int r = weft_stream_readexactly(s, buf + len, body);
            if (r < 0)
                return r;
            len += body;
        }
    } else if (strcasestr(buf, "\r\ntransfer-encoding: chunked")) {
        for (;;) { /* chunk-size lines and data, up to the last chunk */
            int r = weft_stream_readline(s, buf + len, cap - len - 1);
            if (r <= 0)
                return r < 0 ? r : -EPROTO;
            size_t sz = strtoul(buf + len, NULL, 16);
            len += (size_t)r;
            if (len + sz + 2 >= cap)
                return -E2BIG;
            r = weft_stream_readexactly(s, buf + len, sz + 2);
            if (r < 0)
                return r;
            len += sz + 2;
            if (sz == 0)
                break;
        }
    }
    buf[len] = '\0';
    return (int)len;
}

static inline int fake_write(weft_stream *s, const struct fake_answer *a)
{
    size_t len = a->len ? a->len : (a->data ? strlen(a->data) : 0);
    if (a->trickle_ns) {
        if (a->trickle_from) {
            int rc = weft_stream_write(s, a->data, a->trickle_from);
            if (rc < 0)
                return rc;
        }
        for (size_t i = a->trickle_from; i < len; i++) {
            int rc = weft_stream_write(s, a->data + i, 1);
            if (rc == 0)
                rc = weft_sleep(a->trickle_ns);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    int rc = len ? weft_stream_write(s, a->data, len) : 0;
    return rc == 0 ? weft_stream_drain(s) : rc;
}

static inline int fake_conn_task(void *arg)
{
    struct fake_conn *fc = arg;
    struct fake *f = fc->f;
    f->live++;
    if (f->live > f->max_live)
        f->max_live = f->live;
    f->per_host_live[fc->host]++;
    if (f->per_host_live[fc->host] > f->per_host_max[fc->host])
        f->per_host_max[fc->host] = f->per_host_live[fc->host];
    char *buf = malloc(FAKE_REQ_CAP);
    assert_non_null(buf);
    while (!f->read_no_request) {
        int n = fake_read_request(fc->s, buf, FAKE_REQ_CAP);
        if (n <= 0)
            break;
        int k = f->nreq < FAKE_MAX_REQ ? f->nreq : FAKE_MAX_REQ - 1;
        memcpy(f->req[k], buf, (size_t)n + 1);
        f->req_conn[k] = fc->idx;
        f->nreq++;
        char method[16] = "", path[1024] = "";
        sscanf(buf, "%15s %1023s", method, path);
        struct fake_answer a = f->route(f, method, path, f->req[k], fc->idx, k);
        if (a.delay_ns && weft_sleep(a.delay_ns) < 0)
            break;
        if (fake_write(fc->s, &a) < 0)
            break;
        if (a.stall) {
            char sink[256];
            while (weft_stream_read(fc->s, sink, sizeof sink) > 0)
                ;
            break;
        }
        if (a.close)
            break;
    }
    f->live--;
    f->per_host_live[fc->host]--;
    weft_stream_close(fc->s);
    free(buf);
    free(fc);
    return 0;
}

static inline int fake_connector(weft_http_session *s, struct weft__hc_conn *c,
                                 const struct weft__hc_target *t, void *ud)
{
    struct fake *f = ud;
    int k = f->conns < FAKE_MAX_REQ ? f->conns : FAKE_MAX_REQ - 1;
    snprintf(f->target[k].host, sizeof f->target[k].host, "%s", t->host);
    f->target[k].port = t->port;
    f->target[k].https = t->https;
    f->target[k].proxy = t->proxy != NULL;
    if (f->connect_delay) {
        int rc = weft_sleep(f->connect_delay);
        if (rc < 0)
            return rc;
    }
    if (f->connect_err)
        return f->connect_err;
    weft_stream *a, *b;
    int rc = weft_stream_memory_pair(NULL, NULL, &a, &b);
    if (rc < 0)
        return rc;
    struct fake_conn *fc = calloc(1, sizeof *fc);
    assert_non_null(fc);
    fc->f = f;
    fc->s = b;
    fc->idx = f->conns++;
    fc->host = t->host[0] == 'b' ? 1 : 0; /* "a.test" / "b.test" in the pool tests */
    c->st = a;
    rc = weft_task_spawn(NULL, fake_conn_task, fc, NULL);
    assert_int_equal(rc, 0);
    return 0;
}

/* A session wired to f. opts may be NULL. */
static inline weft_http_session *fake_session(struct fake *f, const weft_http_session_opts *o)
{
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, o, &s), 0);
    weft__hc_set_connector(s, fake_connector, f);
    return s;
}

/* Run fn(arg) as a task on a fresh loop (virtual clock optional) until it
 * and everything it left has ended; check the loop closes and no fd leaked. */
static inline int fake_run(weft_task_fn fn, void *arg, bool virtual_clock)
{
    int fds = weft_test_count_fds();
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    if (virtual_clock)
        assert_int_equal(weft_loop_use_virtual_clock(loop), 0);
    weft_task *t;
    assert_int_equal(weft_task_spawn(loop, fn, arg, &t), 0);
    int rc = weft_loop_run_until_complete(loop, t);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(weft_loop_close(loop), 0);
    assert_int_equal(weft_test_count_fds(), fds);
    return rc;
}

/* A canned 200 with body b. */
static inline struct fake_answer fake_ok(const char *b)
{
    static __thread char buf[4096];
    snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(b), b);
    return (struct fake_answer){.data = buf};
}

#endif
