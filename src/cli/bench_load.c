/*
 * bench_load.c - the load engine of `weft bench` (see bench_int.h).
 *
 * Per thread: one loop, its share of the connections, its share of -n and
 * of --rate. Per connection: a transport with the protocol below, a read
 * buffer the transport reads into directly (get_buffer), the parser state of
 * the response being read, and a ring of the requests in flight with the
 * time each one's latency counts from.
 *
 * Closed loop: a connection keeps `pipeline` requests in flight, writing as
 * many new ones as completed in one read, in one write. Open loop (--rate):
 * request k of a thread is due at t0 + k / rate; due requests go to
 * connections with room, and their latency counts from when they were due,
 * not from when a connection became free, so a server that stalls shows its
 * stall instead of hiding it (coordinated omission).
 *
 * -n is exact: every request written is answered, or counted as an error of
 * one kind. Requests left unanswered by a server that said Connection: close
 * were never processed, so they are written again elsewhere, not counted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/bench_int.h"
#include "weft/http1.h"
#include "weft/loop.h"
#include "weft/net.h"
#include "weft/tls.h"

#define BUF_INIT (8u << 10)    /* per connection; grows for long heads and big bodies */
#define BUF_BODY (64u << 10)   /* reads that fill the buffer grow it this far */
#define BUF_MAX (256u << 10)   /* a head longer than this is refused */
#define MAX_HDRS 48
#define CONNECT_RETRIES 3      /* failures in a row before a connection gives up */

enum { C_IDLE, C_CONNECTING, C_READY, C_DEAD };

struct bthread;

struct bconn {
    struct bthread *th;
    weft_transport *t;           /* while connected */
    weft_connect_req *creq;      /* while connecting over TCP */
    weft_timer *retry;           /* a reconnect waiting for its backoff */
    int state;
    unsigned failures;           /* connect failures in a row */
    bool keep_alive;             /* false once a response said close */
    /* read buffer: buf[0, len) are bytes not yet parsed; the current
     * response head (if any) starts at buf[0] */
    char *buf;
    size_t len, cap;
    size_t offered;              /* room the last get_buffer gave */
    weft_h1_parser p;
    weft_h1_header hdrs[MAX_HDRS];
    bool in_body;
    int body;                    /* enum weft_h1_body of the current response */
    int status;
    uint64_t left;               /* WEFT_H1_BODY_LENGTH: bytes to skip */
    weft_h1_chunked ch;
    /* requests in flight, a ring of `pipeline` slots */
    uint64_t *due;               /* where each one's latency counts from */
    uint64_t *sent;              /* when it was written (for the timeout) */
    unsigned head, n;
};

struct bthread {
    const bench_cfg *cfg;
    weft_loop *loop;
    pthread_t tid;
    int err;                     /* could not start */
    struct bconn *conns;
    unsigned nconn;
    uint64_t quota;              /* requests to write; UINT64_MAX without -n */
    uint64_t issued, finished;   /* written; answered or failed */
    double ns_per_req;           /* --rate: interval between due times */
    uint64_t t0;                 /* --rate: when request 0 is due (0: not yet) */
    bool stopping;
    unsigned alive;              /* connections that did not give up */
    unsigned cursor;             /* --rate: next connection to offer work */
    weft_timer *rate_timer, *sweep_timer, *stop_timer;
    weft_tls_ctx *tls;
    char *batch;                 /* the request, `pipeline` times */
    bench_result res;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void note_error(struct bthread *th, int kind, uint64_t count, const char *msg)
{
    th->res.errors[kind] += count;
    if (!th->res.first_error[kind][0] && msg)
        snprintf(th->res.first_error[kind], sizeof th->res.first_error[kind], "%s", msg);
}

static void stop(struct bthread *th);
static void start_connect(struct bconn *c);
static void rate_arm(struct bthread *th);

static void check_done(struct bthread *th)
{
    if (th->stopping)
        return;
    if (th->finished >= th->quota || th->alive == 0)
        stop(th);
}

/* ------------------------------------------------------------- sending */

/* Requests due by now (open loop), capped by the quota. */
static uint64_t due_by(const struct bthread *th, uint64_t now)
{
    if (!th->t0 || now < th->t0)
        return 0;
    uint64_t k = (uint64_t)((double)(now - th->t0) / th->ns_per_req) + 1;
    return k < th->quota ? k : th->quota;
}

/* Write as many requests as this connection has room for and the load
 * allows, in one write. */
static void fill(struct bconn *c)
{
    struct bthread *th = c->th;
    const bench_cfg *cfg = th->cfg;
    if (c->state != C_READY || th->stopping || !c->keep_alive)
        return;
    unsigned room = cfg->pipeline - c->n;
    if (!room)
        return;
    uint64_t now = now_ns();
    uint64_t k = th->ns_per_req > 0 ? due_by(th, now) - th->issued : th->quota - th->issued;
    if (k > room)
        k = room;
    if (!k)
        return;
    for (unsigned i = 0; i < k; i++) {
        unsigned slot = (c->head + c->n + i) % cfg->pipeline;
        c->due[slot] = th->ns_per_req > 0
                           ? th->t0 + (uint64_t)((double)(th->issued + i) * th->ns_per_req)
                           : now;
        c->sent[slot] = now;
    }
    c->n += (unsigned)k;
    th->issued += k;
    th->res.issued += k;
    if (!th->res.start_ns)
        th->res.start_ns = now;
    /* An error here is followed by connection_lost, which counts them. */
    weft_transport_write(c->t, th->batch, (size_t)k * cfg->reqlen);
}

/* ----------------------------------------------------------- receiving */

static void complete(struct bconn *c)
{
    struct bthread *th = c->th;
    uint64_t now = now_ns();
    weft_hist_record(&th->res.lat, now - c->due[c->head]);
    c->head = (c->head + 1) % th->cfg->pipeline;
    c->n--;
    th->finished++;
    th->res.completed++;
    th->res.end_ns = now;
    int s = c->status;
    th->res.status[s >= 0 && s < 1000 ? s : 0]++;
    if (s >= 400) {
        char msg[64];
        snprintf(msg, sizeof msg, "HTTP %d", s);
        note_error(th, BENCH_ERR_STATUS, 1, msg);
    }
}

/* The connection is no good: its requests in flight fail as `kind`. */
static void fail_conn(struct bconn *c, int kind, const char *msg)
{
    struct bthread *th = c->th;
    note_error(th, kind, c->n ? c->n : 1, msg);
    th->finished += c->n;
    c->n = 0;
    c->keep_alive = false;
    if (c->t)
        weft_transport_abort(c->t);
}

/* Parse what is in the buffer: complete responses, skip bodies. Returns
 * false if the connection was failed. */
static bool parse(struct bconn *c)
{
    struct bthread *th = c->th;
    size_t off = 0;
    while (off < c->len || (c->in_body && c->body == WEFT_H1_BODY_LENGTH && c->left == 0)) {
        if (!c->in_body) {
            weft_h1_response resp;
            int r = weft_h1_parse_response(&c->p, c->buf + off, c->len - off, th->cfg->method,
                                           &resp, c->hdrs, MAX_HDRS);
            if (r == -EAGAIN)
                break;
            if (r < 0) {
                fail_conn(c, BENCH_ERR_PARSE, weft_strerror(r));
                return false;
            }
            if (c->n == 0) {
                fail_conn(c, BENCH_ERR_PARSE, "a response nobody asked for");
                return false;
            }
            off += (size_t)r;
            if (resp.status < 200) {
                if (resp.status == 101) {
                    fail_conn(c, BENCH_ERR_PARSE, "unexpected 101 Switching Protocols");
                    return false;
                }
                continue; /* interim response: the real one follows */
            }
            c->status = resp.status;
            if (!(resp.flags & WEFT_H1_F_KEEP_ALIVE))
                c->keep_alive = false;
            c->body = resp.body;
            switch (resp.body) {
            case WEFT_H1_BODY_NONE:
                complete(c);
                break;
            case WEFT_H1_BODY_LENGTH:
                c->in_body = true;
                c->left = resp.content_length;
                break;
            case WEFT_H1_BODY_CHUNKED: {
                weft_h1_limits l;
                weft_h1_limits_init(&l);
                l.max_body = UINT64_MAX; /* skipped, never stored */
                weft_h1_chunked_init(&c->ch, &l);
                c->in_body = true;
                break;
            }
            default: /* until the server closes */
                c->in_body = true;
                c->keep_alive = false;
                break;
            }
        } else if (c->body == WEFT_H1_BODY_LENGTH) {
            size_t have = c->len - off;
            size_t take = c->left < have ? (size_t)c->left : have;
            off += take;
            c->left -= take;
            if (c->left == 0) {
                c->in_body = false;
                complete(c);
            }
        } else if (c->body == WEFT_H1_BODY_CHUNKED) {
            size_t inl = c->len - off, outl = inl;
            int r = weft_h1_chunked_decode_to(&c->ch, c->buf + off, &inl, c->buf + off, &outl);
            off += inl;
            if (r == 0) {
                c->in_body = false;
                complete(c);
            } else if (r != -EAGAIN) {
                fail_conn(c, BENCH_ERR_PARSE, weft_strerror(r));
                return false;
            } else if (inl == 0) {
                break;
            }
        } else {
            off = c->len; /* a body that ends when the connection does */
        }
        if (!c->keep_alive && !c->in_body)
            break; /* the server closes after this one */
    }
    if (off) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
    return true;
}

/* After the last response of a connection the server closes: what is still
 * in flight was never processed, so it is written again elsewhere. */
static void retire(struct bconn *c)
{
    struct bthread *th = c->th;
    th->issued -= c->n;
    th->res.issued -= c->n;
    c->n = 0;
    if (c->t)
        weft_transport_close(c->t);
}

static bool grow(struct bconn *c)
{
    char *nb = realloc(c->buf, c->cap * 2);
    if (!nb)
        return false;
    c->buf = nb;
    c->cap *= 2;
    return true;
}

static void *get_buffer(weft_transport *t, size_t *len, void *ud)
{
    struct bconn *c = ud;
    if (c->cap - c->len < 2048 && c->cap < BUF_MAX) {
        grow(c); /* a long head: room for the rest of it */
    }
    if (c->cap == c->len) {
        /* a head longer than BUF_MAX: the parser would refuse it anyway */
        fail_conn(c, BENCH_ERR_PARSE, "response head too large");
        return NULL;
    }
    *len = c->offered = c->cap - c->len;
    return c->buf + c->len;
}

static void buffer_updated(weft_transport *t, size_t n, void *ud)
{
    struct bconn *c = ud;
    struct bthread *th = c->th;
    c->len += n;
    th->res.bytes += n;
    if (n == c->offered && c->cap < BUF_BODY)
        grow(c); /* the socket had more: big bodies read in fewer calls */
    if (!parse(c))
        return;
    if (!c->keep_alive && !c->in_body)
        retire(c);
    else
        fill(c);
    if (th->ns_per_req > 0)
        rate_arm(th);
    check_done(th);
}

static void data_received(weft_transport *t, const void *data, size_t len, void *ud)
{
    /* get_buffer returned NULL (the connection is being failed) */
}

static bool eof_received(weft_transport *t, void *ud)
{
    struct bconn *c = ud;
    if (c->in_body && c->body == WEFT_H1_BODY_CLOSE && c->n) {
        c->in_body = false;
        complete(c);
    }
    return false;
}

static void connection_made(weft_transport *t, void *ud)
{
    struct bconn *c = ud;
    struct bthread *th = c->th;
    c->t = t;
    c->state = C_READY;
    c->failures = 0;
    c->keep_alive = true;
    th->res.connects++;
    if (th->ns_per_req > 0 && !th->t0) {
        th->t0 = now_ns(); /* the schedule starts with the first connection */
        rate_arm(th);
    }
    fill(c);
}

static void connection_lost(weft_transport *t, int err, void *ud)
{
    struct bconn *c = ud;
    struct bthread *th = c->th;
    if (c->in_body && c->body == WEFT_H1_BODY_CLOSE && c->n && err == WEFT_ETLS_NO_CLOSE_NOTIFY) {
        complete(c); /* many servers end a close-delimited body without close_notify */
    }
    c->t = NULL;
    c->state = C_IDLE;
    if (c->n && !th->stopping) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s with %u request%s in flight",
                 err ? weft_strerror(err) : "connection closed by the server", c->n,
                 c->n == 1 ? "" : "s");
        note_error(th, BENCH_ERR_READ, c->n, msg);
        th->finished += c->n;
    }
    c->n = 0;
    c->head = 0;
    c->len = 0;
    c->in_body = false;
    weft_h1_parser_reset(&c->p);
    if (!th->stopping)
        start_connect(c);
    check_done(th);
}

static const weft_protocol bench_proto = {
    .connection_made = connection_made,
    .data_received = data_received,
    .eof_received = eof_received,
    .connection_lost = connection_lost,
    .get_buffer = get_buffer,
    .buffer_updated = buffer_updated,
};

/* ------------------------------------------------------------ connecting */

static void retry_cb(void *ud)
{
    struct bconn *c = ud;
    c->retry = NULL;
    start_connect(c);
}

static void connect_failed(struct bconn *c, int err, const char *detail)
{
    struct bthread *th = c->th;
    char msg[160];
    snprintf(msg, sizeof msg, "%s%s%s", weft_strerror(err), detail && *detail ? ": " : "",
             detail ? detail : "");
    note_error(th, BENCH_ERR_CONNECT, 1, msg);
    c->state = C_IDLE;
    if (th->stopping)
        return;
    if (++c->failures > CONNECT_RETRIES) {
        c->state = C_DEAD;
        th->alive--;
        th->res.gave_up = true;
        check_done(th);
        return;
    }
    /* back off: 10, 40, 160 ms */
    uint64_t delay = 10000000ull << (2 * (c->failures - 1));
    if (weft_loop_call_later(th->loop, delay, retry_cb, c, &c->retry) < 0)
        retry_cb(c);
}

static void tls_done(weft_transport *t, int status, void *ud)
{
    struct bconn *c = ud;
    if (status < 0) {
        weft_tls *e = weft_transport_tls(t);
        connect_failed(c, status, e ? weft_tls_errdetail(e) : NULL);
    }
    /* on success connection_made has run */
}

static void connect_cb(weft_transport *t, int status, void *ud)
{
    struct bconn *c = ud;
    struct bthread *th = c->th;
    c->creq = NULL;
    if (status < 0) {
        if (status != -ECANCELED)
            connect_failed(c, status, NULL);
        else
            c->state = C_IDLE;
        return;
    }
    if (!th->cfg->tls)
        return; /* connection_made has run */
    weft_tls_opts o = { .handshake_timeout_ns = th->cfg->timeout_ns };
    int r = weft_tls_wrap(t, th->tls, th->cfg->sni, &o, &bench_proto, c, tls_done, c, NULL);
    if (r < 0) {
        weft_transport_abort(t);
        connect_failed(c, r, weft_tls_ctx_errdetail(th->tls));
    }
}

static void start_connect(struct bconn *c)
{
    struct bthread *th = c->th;
    const bench_cfg *cfg = th->cfg;
    if (th->stopping || c->state == C_DEAD)
        return;
    weft_connect_opts o = { .timeout_ns = cfg->timeout_ns };
    c->state = C_CONNECTING;
    int r = weft_tcp_connect(th->loop, cfg->host, cfg->port, &o, cfg->tls ? NULL : &bench_proto,
                             c, connect_cb, c, &c->creq);
    if (r < 0) {
        c->creq = NULL;
        connect_failed(c, r, NULL);
    }
}

/* -------------------------------------------------------------- timers */

static void rate_tick(void *ud)
{
    struct bthread *th = ud;
    th->rate_timer = NULL;
    if (th->stopping)
        return;
    /* offer the due requests to the connections, round robin */
    for (unsigned i = 0; i < th->nconn; i++) {
        struct bconn *c = &th->conns[(th->cursor + i) % th->nconn];
        fill(c);
        if (due_by(th, now_ns()) <= th->issued) {
            th->cursor = (th->cursor + i + 1) % th->nconn;
            break;
        }
    }
    rate_arm(th);
}

/* Wake up when the next request is due, unless some are due already and
 * waiting for a connection (a completion will send them). */
static void rate_arm(struct bthread *th)
{
    if (th->rate_timer || th->stopping || !th->t0 || th->issued >= th->quota)
        return;
    uint64_t now = now_ns();
    if (due_by(th, now) > th->issued)
        return;
    uint64_t when = th->t0 + (uint64_t)((double)th->issued * th->ns_per_req);
    uint64_t delay = when > now ? when - now : 0;
    weft_loop_call_later(th->loop, delay, rate_tick, th, &th->rate_timer);
}

static uint64_t sweep_period(const bench_cfg *cfg)
{
    uint64_t p = cfg->timeout_ns / 4;
    if (p > 100000000ull)
        p = 100000000ull;
    return p < 1000000ull ? 1000000ull : p;
}

static void sweep_cb(void *ud)
{
    struct bthread *th = ud;
    th->sweep_timer = NULL;
    if (th->stopping)
        return;
    uint64_t now = now_ns();
    for (unsigned i = 0; i < th->nconn; i++) {
        struct bconn *c = &th->conns[i];
        if (c->t && c->n && now - c->sent[c->head] > th->cfg->timeout_ns) {
            char msg[64];
            snprintf(msg, sizeof msg, "no response within %.3g s",
                     (double)th->cfg->timeout_ns / 1e9);
            fail_conn(c, BENCH_ERR_TIMEOUT, msg);
        }
    }
    check_done(th);
    if (!th->stopping)
        weft_loop_call_later(th->loop, sweep_period(th->cfg), sweep_cb, th, &th->sweep_timer);
}

static void stop_cb(void *ud)
{
    struct bthread *th = ud;
    th->stop_timer = NULL;
    if (th->cfg->requests == 0)
        th->res.end_ns = now_ns(); /* -d: the run lasts exactly its duration */
    stop(th);
}

/* End the run: stop everything; the loop returns once all is closed. */
static void stop(struct bthread *th)
{
    if (th->stopping)
        return;
    th->stopping = true;
    weft_timer **timers[] = { &th->rate_timer, &th->sweep_timer, &th->stop_timer };
    for (size_t i = 0; i < 3; i++) {
        if (*timers[i])
            weft_timer_cancel(*timers[i]);
        *timers[i] = NULL;
    }
    for (unsigned i = 0; i < th->nconn; i++) {
        struct bconn *c = &th->conns[i];
        if (c->retry)
            weft_timer_cancel(c->retry);
        c->retry = NULL;
        if (c->creq)
            weft_connect_cancel(c->creq);
        if (c->t)
            weft_transport_abort(c->t);
    }
}

/* -------------------------------------------------------------- threads */

static int thread_setup(struct bthread *th)
{
    const bench_cfg *cfg = th->cfg;
    int r = weft_loop_new(&th->loop);
    if (r < 0)
        return r;
    if (cfg->tls) {
        if ((r = weft_tls_ctx_new(WEFT_TLS_CLIENT, &th->tls)) < 0)
            return r;
        weft_tls_ctx_set_alpn(th->tls, "http/1.1");
        if (cfg->insecure)
            weft_tls_ctx_set_insecure_no_verify(th->tls);
        if (cfg->cacert && (r = weft_tls_ctx_load_verify_locations(th->tls, cfg->cacert, NULL)) < 0) {
            note_error(th, BENCH_ERR_CONNECT, 0, weft_tls_ctx_errdetail(th->tls));
            return r;
        }
    }
    th->batch = malloc(cfg->reqlen * cfg->pipeline);
    th->conns = calloc(th->nconn, sizeof *th->conns);
    if (!th->batch || !th->conns)
        return -ENOMEM;
    for (unsigned i = 0; i < cfg->pipeline; i++)
        memcpy(th->batch + i * cfg->reqlen, cfg->request, cfg->reqlen);
    weft_h1_limits lim;
    weft_h1_limits_init(&lim);
    lim.max_body = UINT64_MAX;
    lim.max_headers = MAX_HDRS;
    for (unsigned i = 0; i < th->nconn; i++) {
        struct bconn *c = &th->conns[i];
        c->th = th;
        c->cap = BUF_INIT;
        c->buf = malloc(c->cap);
        c->due = calloc(cfg->pipeline, sizeof *c->due);
        c->sent = calloc(cfg->pipeline, sizeof *c->sent);
        if (!c->buf || !c->due || !c->sent)
            return -ENOMEM;
        weft_h1_parser_init(&c->p, &lim);
    }
    return 0;
}

static void thread_free(struct bthread *th)
{
    if (th->conns)
        for (unsigned i = 0; i < th->nconn; i++) {
            free(th->conns[i].buf);
            free(th->conns[i].due);
            free(th->conns[i].sent);
        }
    free(th->conns);
    free(th->batch);
    if (th->tls)
        weft_tls_ctx_free(th->tls);
    if (th->loop && weft_loop_close(th->loop) < 0) {
        /* something still alive: run it down, then close */
        weft_loop_run(th->loop);
        weft_loop_close(th->loop);
    }
}

static void *thread_main(void *arg)
{
    struct bthread *th = arg;
    const bench_cfg *cfg = th->cfg;
    weft_hist_init(&th->res.lat);
    th->err = thread_setup(th);
    if (th->err < 0)
        return NULL;
    th->alive = th->nconn;
    for (unsigned i = 0; i < th->nconn; i++)
        start_connect(&th->conns[i]);
    if (cfg->duration_ns)
        weft_loop_call_later(th->loop, cfg->duration_ns, stop_cb, th, &th->stop_timer);
    weft_loop_call_later(th->loop, sweep_period(cfg), sweep_cb, th, &th->sweep_timer);
    if (th->quota == 0)
        stop(th);
    weft_loop_run(th->loop);
    return NULL;
}

void weft__bench_merge(bench_result *dst, const bench_result *src)
{
    weft_hist_merge(&dst->lat, &src->lat);
    dst->completed += src->completed;
    dst->issued += src->issued;
    dst->bytes += src->bytes;
    dst->connects += src->connects;
    for (int i = 0; i < 1000; i++)
        dst->status[i] += src->status[i];
    for (int k = 0; k < BENCH_NERR; k++) {
        dst->errors[k] += src->errors[k];
        if (!dst->first_error[k][0])
            memcpy(dst->first_error[k], src->first_error[k], sizeof dst->first_error[k]);
    }
    if (src->start_ns && (!dst->start_ns || src->start_ns < dst->start_ns))
        dst->start_ns = src->start_ns;
    if (src->end_ns > dst->end_ns)
        dst->end_ns = src->end_ns;
    dst->gave_up |= src->gave_up;
}

int weft__bench_run(const bench_cfg *cfg, bench_result *out)
{
    unsigned nt = cfg->threads;
    struct bthread *ths = calloc(nt, sizeof *ths);
    if (!ths)
        return -ENOMEM;
    int err = 0;
    unsigned started = 0;
    for (unsigned i = 0; i < nt; i++) {
        struct bthread *th = &ths[i];
        th->cfg = cfg;
        /* shares: the first threads take the remainders */
        th->nconn = cfg->connections / nt + (i < cfg->connections % nt);
        th->quota = cfg->requests ? cfg->requests / nt + (i < cfg->requests % nt) : UINT64_MAX;
        if (cfg->rate > 0)
            th->ns_per_req = 1e9 * nt / cfg->rate;
        if (pthread_create(&th->tid, NULL, thread_main, th) != 0) {
            err = -EAGAIN;
            break;
        }
        started++;
    }
    memset(out, 0, sizeof *out);
    weft_hist_init(&out->lat);
    for (unsigned i = 0; i < started; i++) {
        pthread_join(ths[i].tid, NULL);
        if (ths[i].err < 0 && !err)
            err = ths[i].err;
        weft__bench_merge(out, &ths[i].res);
        thread_free(&ths[i]);
    }
    free(ths);
    return err;
}
