/*
 * server.c - one loop's HTTP server: options, listening sockets (plain and
 * TLS, through net's servers), the connection list, the exchange pool,
 * serve_forever, graceful shutdown and free.
 *
 * The server is reference counted (the owner, each connection, each worker
 * task), so that a handler still running after weft_web_server_free() can
 * finish and let go of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

/* ----------------------------------------------------------------- options */

static void fill_defaults(weft_web_server_opts *o)
{
    weft_h1_limits d;
    weft_h1_limits_init(&d);
    weft_h1_limits *l = &o->limits;
    if (!l->max_request_line)
        l->max_request_line = d.max_request_line;
    if (!l->max_head)
        l->max_head = d.max_head;
    if (!l->max_headers)
        l->max_headers = d.max_headers;
    if (!l->max_body)
        l->max_body = d.max_body;
    if (!l->max_chunk_ext)
        l->max_chunk_ext = d.max_chunk_ext;
    if (!l->max_trailers)
        l->max_trailers = d.max_trailers;
    if (!o->header_timeout_ns)
        o->header_timeout_ns = WEFT__HTTP_HEADER_TIMEOUT;
    if (!o->body_timeout_ns)
        o->body_timeout_ns = WEFT__HTTP_BODY_TIMEOUT;
    if (!o->keepalive_timeout_ns)
        o->keepalive_timeout_ns = WEFT__HTTP_KEEPALIVE_TIMEOUT;
    if (!o->write_timeout_ns)
        o->write_timeout_ns = WEFT__HTTP_WRITE_TIMEOUT;
    if (!o->linger_timeout_ns)
        o->linger_timeout_ns = WEFT__HTTP_LINGER_TIMEOUT;
    if (!o->max_connections)
        o->max_connections = WEFT__HTTP_MAX_CONNECTIONS;
    if (!o->max_keepalive_requests)
        o->max_keepalive_requests = WEFT__HTTP_MAX_KEEPALIVE_REQUESTS;
    if (!o->max_pipeline_bytes)
        o->max_pipeline_bytes = WEFT__HTTP_MAX_PIPELINE;
    if (!o->idle_tasks)
        o->idle_tasks = WEFT__HTTP_IDLE_TASKS;
}

/* ---------------------------------------------------------------- lifetime */

static void log_flush_cb(void *arg)
{
    weft_web_server *srv = arg;
    srv->log_posted = false;
    weft__access_log_flush(srv);
    weft__server_unref_http(srv); /* taken when the call was posted */
}

int weft_web_server_new(weft_loop *loop, weft_web_app *app, const weft_web_server_opts *opts,
                         weft_web_server **out)
{
    if (!loop)
        loop = weft_loop_current();
    if (!loop || !app || !out)
        return -EINVAL;
    weft_web_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return -ENOMEM;
    if (opts)
        srv->o = *opts;
    fill_defaults(&srv->o);
    if (srv->o.limits.max_headers > 4096 || srv->o.limits.max_request_line < 64) {
        free(srv);
        return -EINVAL;
    }
    srv->scratch = malloc(WEFT__HTTP_SCRATCH);
    if (!srv->scratch) {
        free(srv);
        return -ENOMEM;
    }
    srv->loop = loop;
    srv->app = app;
    srv->refs = 1;
    srv->log_call.cb = log_flush_cb;
    srv->log_call.ud = srv;
    *out = srv;
    return 0;
}

static void hx_destroy(struct hx *x)
{
    weft__request_reset(x);
    weft_http_headers_free(x->resp.headers);
    free(x->hdrs);
    free(x->ibuf);
    free(x->hbuf);
    free(x->out);
    free(x);
}

void weft__server_ref_http(weft_web_server *srv)
{
    srv->refs++;
}

void weft__server_unref_http(weft_web_server *srv)
{
    if (--srv->refs)
        return;
    weft__access_log_flush(srv);
    while (srv->free_hx) {
        struct hx *x = srv->free_hx;
        srv->free_hx = x->next_free;
        hx_destroy(x);
    }
    if (srv->app_marked) {
        if (srv->app->compress)
            weft__compress_thread_release();
        atomic_fetch_sub(&srv->app->running, 1);
    }
    free(srv->log);
    free(srv->scratch);
    free(srv);
}

/* ------------------------------------------------------------- exchanges */

struct hx *weft__hx_get(weft_web_server *srv)
{
    struct hx *x = srv->free_hx;
    if (x) {
        srv->free_hx = x->next_free;
        srv->nfree_hx--;
        x->next_free = NULL;
        return x;
    }
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->nhdrs_cap = srv->o.limits.max_headers;
    x->hdrs = malloc(x->nhdrs_cap * sizeof *x->hdrs);
    if (!x->hdrs || weft_http_headers_new(&x->resp.headers) != 0) {
        free(x->hdrs);
        free(x);
        return NULL;
    }
    weft_h1_parser_init(&x->parser, &srv->o.limits);
    weft__request_reset(x);
    weft__response_reset(x);
    return x;
}

void weft__hx_put(weft_web_server *srv, struct hx *x)
{
    weft__request_reset(x);
    weft__response_reset(x);
    if (x->partial)
        weft_h1_parser_reset(&x->parser); /* a complete parse resets itself */
    x->c = NULL;
    x->w = NULL;
    x->state = XS_HEAD;
    x->in = NULL;
    x->in_len = x->in_pos = 0;
    x->out_len = 0;
    x->partial = false;
    x->body_wait = x->drain_wait = NULL;
    if (srv->nfree_hx >= WEFT__HTTP_POOL_MAX || srv->freed) {
        hx_destroy(x);
        return;
    }
    /* Keep modest buffers for the next request; drop big ones. */
    if (x->icap > WEFT__HTTP_KEEP_IBUF) {
        free(x->ibuf);
        x->ibuf = NULL;
        x->icap = 0;
    }
    if (x->hcap > WEFT__HTTP_KEEP_IBUF) {
        free(x->hbuf);
        x->hbuf = NULL;
        x->hcap = 0;
    }
    if (x->out_cap > WEFT__HTTP_KEEP_OBUF) {
        free(x->out);
        x->out = NULL;
        x->out_cap = 0;
    }
    x->next_free = srv->free_hx;
    srv->free_hx = x;
    srv->nfree_hx++;
}

void *weft__hx_alloc(struct hx *x, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (sizeof x->arena0 - x->arena0_used >= n) {
        void *p = x->arena0 + x->arena0_used;
        x->arena0_used += n;
        return p;
    }
    struct arena_chunk *a = x->arena;
    if (!a || a->cap - a->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        a = malloc(sizeof *a + cap);
        if (!a)
            return NULL;
        a->cap = cap;
        a->used = 0;
        a->next = x->arena;
        x->arena = a;
    }
    void *p = a->mem + a->used;
    a->used += n;
    return p;
}

char *weft__hx_strdup(struct hx *x, const char *s, size_t n)
{
    char *d = weft__hx_alloc(x, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ------------------------------------------------------------ listening */

static const weft_protocol *factory(weft_server *ls, weft_transport *t, void *ud,
                                    void **proto_ud)
{
    (void)ls;
    weft_web_server *srv = ud;
    if (srv->closed || srv->nconns >= srv->o.max_connections)
        return NULL;
    struct conn *c = weft__conn_new(srv, t, weft_transport_tls(t) != NULL);
    if (!c)
        return NULL;
    *proto_ud = c;
    return &weft__http_conn_protocol;
}

/* From the first listen or connection on, the app is read-only. */
static void mark_app(weft_web_server *srv)
{
    if (!srv->app_marked) {
        srv->app_marked = true;
        atomic_fetch_add(&srv->app->running, 1);
        if (srv->app->compress)
            weft__compress_thread_acquire();
        /* Park one worker now, so that the first request already runs
         * inside its read callback (a fresh task starts from the loop). */
        weft__workers_prime(srv);
    }
}

static int add_listener(weft_web_server *srv, weft_server *ls)
{
    mark_app(srv);
    struct listener *l = malloc(sizeof *l);
    if (!l) {
        weft_server_free(ls);
        return -ENOMEM;
    }
    l->srv = ls;
    l->next = NULL;
    struct listener **pp = &srv->listeners;
    while (*pp)
        pp = &(*pp)->next;
    *pp = l;
    return 0;
}

int weft_web_server_listen(weft_web_server *srv, const char *host, uint16_t port,
                            const weft_server_opts *sopts)
{
    if (!srv)
        return -EINVAL;
    if (srv->closed)
        return WEFT_ECLOSED;
    weft_server *ls;
    int err = weft_tcp_server_open(srv->loop, host, port, sopts, factory, srv, &ls);
    if (err)
        return err;
    return add_listener(srv, ls);
}

int weft_web_server_listen_tls(weft_web_server *srv, const char *host, uint16_t port,
                                const weft_server_opts *sopts, weft_tls_ctx *ctx,
                                const weft_tls_opts *topts)
{
    if (!srv || !ctx)
        return -EINVAL;
    if (srv->closed)
        return WEFT_ECLOSED;
    weft_server *ls;
    int err = weft_tls_server_open(srv->loop, host, port, sopts, ctx, topts, factory, srv, &ls);
    if (err)
        return err;
    return add_listener(srv, ls);
}

int weft_web_server_serve(weft_web_server *srv, weft_transport *t)
{
    if (!srv || !t)
        return -EINVAL;
    if (srv->closed || srv->nconns >= srv->o.max_connections) {
        weft_transport_close(t);
        return srv->closed ? WEFT_ECLOSED : -EAGAIN;
    }
    struct conn *c = weft__conn_new(srv, t, weft_transport_tls(t) != NULL);
    if (!c) {
        weft_transport_close(t);
        return -ENOMEM;
    }
    mark_app(srv);
    weft_transport_set_protocol(t, &weft__http_conn_protocol, c);
    return 0;
}

int weft_web_server_port(const weft_web_server *srv)
{
    if (!srv->listeners)
        return -ENOTCONN;
    return weft_server_port(srv->listeners->srv);
}

int weft_web_server_sockname(const weft_web_server *srv, struct sockaddr_storage *ss,
                              socklen_t *len)
{
    if (!srv->listeners)
        return -ENOTCONN;
    return weft_server_sockname(srv->listeners->srv, 0, ss, len);
}

size_t weft_web_server_nconnections(const weft_web_server *srv)
{
    return srv->nconns;
}

size_t weft_web_server_nactive(const weft_web_server *srv)
{
    return srv->nactive;
}

weft_loop *weft_web_server_loop(const weft_web_server *srv)
{
    return srv->loop;
}

weft_web_app *weft_web_server_app(const weft_web_server *srv)
{
    return srv->app;
}

/* -------------------------------------------------------------- waiting */

static bool all_ended(const weft_web_server *srv)
{
    return srv->nconns == 0 && srv->nbusy == 0;
}

static void wake_waiters(weft_web_server *srv)
{
    for (struct srv_waiter *w = srv->waiters, *next; w; w = next) {
        next = w->next;
        if (w->for_close ? srv->closed : all_ended(srv))
            weft__task_wake(&w->w, 0);
    }
}

void weft__server_notify_http(weft_web_server *srv)
{
    /* Called on every request; only shutdown / wait-closed waiters care. */
    if (srv->nwait_end)
        wake_waiters(srv);
}

static void waiter_unlink(weft_web_server *srv, struct srv_waiter *sw)
{
    if (sw->prev)
        sw->prev->next = sw->next;
    else if (srv->waiters == sw)
        srv->waiters = sw->next;
    if (sw->next)
        sw->next->prev = sw->prev;
    sw->prev = sw->next = NULL;
}

struct waiter_ctx {
    struct srv_waiter sw;
    weft_web_server *srv;
    struct weft__timer timer;
};

static void waiter_unhook(struct weft__wait *w)
{
    struct waiter_ctx *wc = (struct waiter_ctx *)w;
    weft__timer_stop(wc->srv->loop, &wc->timer);
    waiter_unlink(wc->srv, &wc->sw);
}

static void waiter_timeout(void *arg)
{
    struct waiter_ctx *wc = arg;
    weft__task_wake(&wc->sw.w, -ETIMEDOUT);
}

/* Wait for close (for_close) or for every connection and handler to end,
 * until deadline. */
static int server_wait(weft_web_server *srv, bool for_close, uint64_t deadline, bool shielded)
{
    if (!weft__current_task)
        return -EPERM;
    struct waiter_ctx wc = {.sw.w.unhook = waiter_unhook, .sw.for_close = for_close, .srv = srv};
    weft__timer_init(&wc.timer, waiter_timeout, &wc);
    weft__server_ref_http(srv);
    if (!for_close)
        srv->nwait_end++;
    int r = 0;
    while (for_close ? !srv->closed : !all_ended(srv)) {
        wc.sw.prev = NULL;
        wc.sw.next = srv->waiters;
        if (srv->waiters)
            srv->waiters->prev = &wc.sw;
        srv->waiters = &wc.sw;
        if (deadline != WEFT_NEVER)
            weft__timer_start(srv->loop, &wc.timer, deadline);
        r = shielded ? weft__task_wait_shielded(&wc.sw.w) : weft__task_wait(&wc.sw.w);
        waiter_unhook(&wc.sw.w);
        if (r < 0)
            break;
    }
    if (!for_close)
        srv->nwait_end--;
    weft__server_unref_http(srv);
    return r;
}

/* ---------------------------------------------------------------- ending */

void weft_web_server_close(weft_web_server *srv)
{
    if (!srv || srv->closed)
        return;
    srv->closed = true;
    while (srv->listeners) {
        struct listener *l = srv->listeners;
        srv->listeners = l->next;
        weft_server_free(l->srv);
        free(l);
    }
    wake_waiters(srv);
}

int weft_web_server_serve_forever(weft_web_server *srv)
{
    int r = server_wait(srv, true, WEFT_NEVER, false);
    if (r < 0 && r != -EPERM)
        weft_web_server_close(srv);
    return r;
}

/* Start draining: no new connections, idle ones closed, the rest closed
 * after their response. */
static void begin_drain(weft_web_server *srv)
{
    weft_web_server_close(srv);
    srv->draining = true;
    for (struct conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        weft__conn_close_idle(c);
    }
    weft__workers_stop_idle(srv);
}

static void abort_all(weft_web_server *srv)
{
    weft__workers_cancel_busy(srv);
    for (struct conn *c = srv->conns; c; c = c->next)
        if (!(c->flags & CF_LOST) && c->t)
            weft_transport_abort(c->t);
}

int weft_web_server_shutdown(weft_web_server *srv, uint64_t grace_ns)
{
    if (!weft__current_task)
        return -EPERM;
    begin_drain(srv);
    uint64_t now = weft_loop_update_time(srv->loop);
    uint64_t deadline = now + grace_ns < now ? WEFT_NEVER : now + grace_ns;
    int r = server_wait(srv, false, deadline, false);
    if (r < 0) {
        abort_all(srv);
        server_wait(srv, false, WEFT_NEVER, true);
    }
    weft__workers_stop_idle(srv);
    return r;
}

void weft_web_server_free(weft_web_server *srv)
{
    if (!srv || srv->freed)
        return;
    begin_drain(srv);
    srv->freed = true;
    abort_all(srv);
    weft__server_unref_http(srv);
}
