/*
 * transport.c - TLS as a transport over another transport.
 *
 *     app protocol <-> [tls_transport: base + ops] <-> lower_proto <-> lower
 *
 * The TLS transport is the protocol of the lower transport (lower_proto,
 * with ud = the tls_transport) and a transport of its own for the protocol
 * above. Ciphertext from below goes straight into the engine's input buffer
 * (get_buffer), plaintext is decrypted into the app protocol's buffer or the
 * per-thread scratch (weft__transport_read_buffer), and what the engine wants
 * sent is written to the lower transport after every step.
 *
 * What must stay true:
 * - connection_lost of the TLS transport is reported only from the lower
 *   transport's connection_lost (or when there is no lower any more), so the
 *   lower one never calls into a freed tls_transport;
 * - application data is decrypted only while the base has reading on (it
 *   turns it on after connection_made), never from inside a public call;
 * - the done callback runs exactly once, after connection_made on success.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro/coro_int.h"
#include "net/net_int.h"
#include "stream/stream_int.h"
#include "tls/tls_int.h"

#define HANDSHAKE_TIMEOUT_DEFAULT WEFT_SEC(60)
/* Plaintext is encrypted and handed down this much at a time, so that the
 * engine's output buffer stays small whatever the write size. */
#define ENCRYPT_CHUNK (64u * 1024u)
/* Plaintext is decrypted into the protocol's buffer (or the scratch) up to
 * this much at a time: four full records. */
#define DECRYPT_BUFFER (64u * 1024u)

struct tls_server;

struct tls_transport {
    weft_transport base;
    weft_transport *lower;      /* NULL once its connection_lost ran */
    weft_tls *tls;
    weft_tls_ctx *ctx;          /* a reference, for error details */

    /* Plaintext written before the handshake finished. */
    unsigned char *pending;
    size_t npending, cappending;

    const weft_protocol *app_proto;
    void *app_ud;
    weft_tls_done_cb done;      /* NULL once called */
    void *done_ud;
    struct tls_server *server;  /* accepted by weft_tls_server_open */

    struct weft__timer hs_timer;
    struct weft__call done_call;
    struct weft__call read_call;
    bool read_queued;
    bool hs_done;
    bool reading;               /* the base wants application data */
    bool lower_eof;
    bool fail_soft;             /* close (not abort) the lower: an alert is queued */
    int hs_err;                 /* why the handshake failed */
    const char *hs_detail;      /* and in whose words (static or the engine's) */
    /* The peer's address, kept so that peername still answers once the
     * lower transport is gone (logging a failed handshake, connection_lost). */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    int fail_err;               /* why the connection failed after it */
};

static const struct weft__transport_ops tls_ops;

static struct tls_transport *of(weft_transport *t)
{
    return (struct tls_transport *)t;
}

weft_tls *weft_transport_tls(weft_transport *t)
{
    return t && t->ops == &tls_ops ? of(t)->tls : NULL;
}

/* ------------------------------------------------------------------ output */

/* Hand what the engine produced to the lower transport. Its write sends at
 * once what the kernel takes and copies the rest, so we never hold on. */
static void flush_out(struct tls_transport *s)
{
    size_t len;
    const void *p = weft_tls_out_peek(s->tls, &len);
    if (!p)
        return;
    if (s->lower && !weft_transport_is_closing(s->lower))
        weft_transport_write(s->lower, p, len);
    weft_tls_out_consume(s->tls, len);
}

/* The engine's records go straight to the lower transport, whose write
 * sends what the kernel takes at once and copies only the rest. */
static void direct_out(const void *data, size_t len, void *ud)
{
    struct tls_transport *s = ud;
    if (s->lower && !weft_transport_is_closing(s->lower))
        weft_transport_write(s->lower, data, len);
}

/* -------------------------------------------------------------- handshake */

static void handshake_failed(struct tls_transport *s, int err, const char *detail)
{
    if (s->hs_err)
        return;
    s->hs_err = err;
    s->hs_detail = detail ? detail : weft_tls_errdetail(s->tls);
    weft__tls_ctx_note(s->ctx, err, s->hs_detail);
    weft__timer_stop(s->base.loop, &s->hs_timer);
    flush_out(s); /* the alert, if any */
    /* Graceful, so that the alert reaches the peer; the end is reported
     * from the lower's connection_lost. */
    if (s->lower)
        weft_transport_close(s->lower);
}

static void done_call_cb(void *arg)
{
    struct tls_transport *s = arg;
    weft_tls_done_cb cb = s->done;
    s->done = NULL;
    if (cb)
        cb(&s->base, 0, s->done_ud);
}

static void server_handshake_done(struct tls_transport *s);

static void handshake_succeeded(struct tls_transport *s)
{
    s->hs_done = true;
    weft__timer_stop(s->base.loop, &s->hs_timer);
    if (s->server) {
        server_handshake_done(s);
        return;
    }
    /* connection_made is queued first, so done runs after it. */
    weft__transport_start(&s->base, s->app_proto, s->app_ud);
    s->done_call.cb = done_call_cb;
    s->done_call.ud = s;
    weft__loop_post(s->base.loop, &s->done_call);
}

static void hs_timeout_cb(void *arg)
{
    struct tls_transport *s = arg;
    handshake_failed(s, -ETIMEDOUT, "the TLS handshake timed out");
}

/* ------------------------------------------------------------------- input */

static void queue_read(struct tls_transport *s);

/* Run the engine over what has arrived: the handshake first, then (while
 * the base reads) application data, close_notify and errors. */
static void process(struct tls_transport *s)
{
    if (s->hs_err)
        return;
    if (!s->hs_done) {
        int r = weft_tls_handshake(s->tls);
        flush_out(s);
        if (r == -EAGAIN)
            return;
        if (r < 0) {
            handshake_failed(s, r, NULL);
            return;
        }
        handshake_succeeded(s);
        return; /* data waits until the base turns reading on */
    }
    weft_transport *b = &s->base;
    while (s->reading && !(b->flags & (WEFT__T_CLOSING | WEFT__T_LOST))) {
        /* Decrypt as many records as fit into one buffer before handing it
         * up: the buffer a stream's reader offers (get_buffer) is filled
         * whole, instead of its first record waking the reader and the
         * rest going through the stream's own buffer (two more copies). */
        size_t len = DECRYPT_BUFFER;
        bool direct;
        unsigned char *buf = weft__transport_read_buffer(b, &len, &direct);
        size_t got = 0;
        int n;
        while ((n = weft_tls_read(s->tls, buf + got, len - got)) > 0) {
            got += (size_t)n;
            if (got == len)
                break;
        }
        weft__transport_received(b, buf, got, direct);
        if (n > 0)
            continue;
        flush_out(s);
        if (n == -EAGAIN)
            break;
        if (b->flags & (WEFT__T_CLOSING | WEFT__T_LOST))
            break; /* the protocol ended it after the data: that wins */
        if (n == 0) {                     /* close_notify */
            weft__transport_eof(b);
            break;
        }
        weft__tls_ctx_note(s->ctx, n, weft_tls_errdetail(s->tls));
        s->fail_err = n;
        s->fail_soft = true;
        weft__transport_fail(b, n);
        break;
    }
    flush_out(s);
}

static void read_call_cb(void *arg)
{
    struct tls_transport *s = arg;
    s->read_queued = false;
    process(s);
}

static void queue_read(struct tls_transport *s)
{
    if (s->read_queued)
        return;
    s->read_queued = true;
    s->read_call.cb = read_call_cb;
    s->read_call.ud = s;
    weft__loop_post(s->base.loop, &s->read_call);
}

/* ------------------------------------------------- the lower's protocol */

static void *lower_get_buffer(weft_transport *lower, size_t *len, void *ud)
{
    struct tls_transport *s = ud;
    if (*len < 16 * 1024 || *len > 64 * 1024)
        *len = 64 * 1024;
    return weft__tls_in_space(s->tls, len);
}

static void lower_buffer_updated(weft_transport *lower, size_t n, void *ud)
{
    struct tls_transport *s = ud;
    weft__tls_in_commit(s->tls, n);
    process(s);
}

static void lower_data_received(weft_transport *lower, const void *data, size_t len, void *ud)
{
    struct tls_transport *s = ud;
    if (weft_tls_feed(s->tls, data, len) < 0) {
        if (!s->hs_done)
            handshake_failed(s, -ENOMEM, NULL);
        else
            weft__transport_fail(&s->base, -ENOMEM);
        return;
    }
    process(s);
}

/* Keep the lower open: the end of a TLS connection is decided by the TLS
 * layer (close_notify, or the truncation error), not by the TCP FIN. */
static bool lower_eof_received(weft_transport *lower, void *ud)
{
    struct tls_transport *s = ud;
    s->lower_eof = true;
    weft_tls_feed_eof(s->tls);
    process(s);
    return true;
}

static void lower_resume_writing(weft_transport *lower, void *ud)
{
    struct tls_transport *s = ud;
    weft__transport_write_drained(&s->base);
}

static void server_handshake_failed(struct tls_transport *s);

static void lower_connection_lost(weft_transport *lower, int err, void *ud)
{
    struct tls_transport *s = ud;
    s->lower = NULL;
    weft__timer_stop(s->base.loop, &s->hs_timer);
    weft_transport *b = &s->base;
    if (!s->hs_done) {
        int why = s->hs_err;
        if (!why && (b->flags & (WEFT__T_CLOSE_CALLED | WEFT__T_ABORTED))) {
            why = -ECANCELED;
            s->hs_detail = "the handshake was given up";
        }
        if (!why && err) {
            why = err;
            s->hs_detail = weft_strerror(err);
        }
        if (!why) {
            why = WEFT_ETLS_HANDSHAKE;
            s->hs_detail = "the peer closed the connection during the handshake";
            weft__tls_ctx_note(s->ctx, why, s->hs_detail);
        }
        s->hs_err = why;
        if (s->server) {
            server_handshake_failed(s);
        } else {
            weft_tls_done_cb cb = s->done;
            s->done = NULL;
            if (cb)
                cb(b, why, s->done_ud);
        }
        /* Never started: mark it given up so the base frees it. */
        b->flags |= WEFT__T_ABORTED;
        weft__transport_lost(b, why);
        return;
    }
    /* Both close_notify alerts were exchanged (or ours was on its way when
     * the peer, having sent its own, hung up): an orderly end, even if the
     * lower transport failed to deliver our reply (-EPIPE, -ECONNRESET). */
    if (!s->fail_err && err && (b->flags & WEFT__T_CLOSE_CALLED) &&
        weft_tls_close_notify_received(s->tls))
        err = 0;
    weft__transport_lost(b, s->fail_err ? s->fail_err : err);
}

static const weft_protocol lower_proto = {
    .data_received = lower_data_received,
    .eof_received = lower_eof_received,
    .connection_lost = lower_connection_lost,
    .resume_writing = lower_resume_writing,
    .get_buffer = lower_get_buffer,
    .buffer_updated = lower_buffer_updated,
};

/* --------------------------------------------------------------------- ops */

static int pending_add(struct tls_transport *s, const void *data, size_t len)
{
    if (s->npending + len > s->cappending) {
        size_t cap = s->cappending ? s->cappending * 2 : 4096;
        while (cap < s->npending + len)
            cap *= 2;
        unsigned char *p = realloc(s->pending, cap);
        if (!p)
            return -ENOMEM;
        s->pending = p;
        s->cappending = cap;
    }
    memcpy(s->pending + s->npending, data, len);
    s->npending += len;
    return 0;
}

static int encrypt(struct tls_transport *s, const unsigned char *p, size_t len)
{
    while (len) {
        size_t n = len < ENCRYPT_CHUNK ? len : ENCRYPT_CHUNK;
        int w = weft_tls_write(s->tls, p, n);
        if (w < 0)
            return w;
        flush_out(s);
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int tls_writev(weft_transport *t, const struct iovec *iov, int iovcnt)
{
    struct tls_transport *s = of(t);
    int err = 0;
    for (int i = 0; i < iovcnt && !err; i++) {
        if (!s->hs_done || s->npending)
            err = pending_add(s, iov[i].iov_base, iov[i].iov_len);
        else
            err = encrypt(s, iov[i].iov_base, iov[i].iov_len);
    }
    if (err) {
        if (err != -ENOMEM)
            weft__tls_ctx_note(s->ctx, err, weft_tls_errdetail(s->tls));
        s->fail_err = err;
        weft__transport_fail(t, err);
    }
    return err;
}

static size_t tls_write_buffer_size(const weft_transport *t)
{
    const struct tls_transport *s = (const struct tls_transport *)t;
    return s->npending + weft_tls_out_pending(s->tls) +
           (s->lower ? weft_transport_get_write_buffer_size(s->lower) : 0);
}

static void tls_set_reading(weft_transport *t, bool on)
{
    struct tls_transport *s = of(t);
    s->reading = on;
    if (!s->lower)
        return;
    if (on) {
        weft_transport_resume_reading(s->lower);
        /* Send what was written before the handshake ended. */
        if (s->npending && s->hs_done) {
            size_t n = s->npending;
            s->npending = 0;
            if (encrypt(s, s->pending, n) < 0)
                weft__transport_fail(t, WEFT_ETLS);
            weft__transport_write_drained(t);
        }
        queue_read(s); /* input may be waiting in the engine already */
    } else {
        weft_transport_pause_reading(s->lower);
    }
}

static void tls_close(weft_transport *t)
{
    struct tls_transport *s = of(t);
    if (!s->lower) {
        weft__transport_lost(t, s->fail_err);
        return;
    }
    if (!s->hs_done) {           /* giving up the handshake */
        weft_transport_abort(s->lower);
        return;
    }
    if (s->npending) {
        size_t n = s->npending;
        s->npending = 0;
        encrypt(s, s->pending, n);
    }
    weft_tls_shutdown(s->tls);    /* close_notify after the data */
    flush_out(s);
    weft_transport_close(s->lower);
}

static void tls_abort(weft_transport *t)
{
    struct tls_transport *s = of(t);
    if (!s->lower) {
        weft__transport_lost(t, s->fail_err);
        return;
    }
    s->npending = 0;
    if (s->fail_soft)
        weft_transport_close(s->lower);
    else
        weft_transport_abort(s->lower);
}

static int tls_fd(const weft_transport *t)
{
    const struct tls_transport *s = (const struct tls_transport *)t;
    return s->lower ? weft_transport_fd(s->lower) : -1;
}

static int tls_peername(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len)
{
    const struct tls_transport *s = (const struct tls_transport *)t;
    if (s->peerlen && *len >= s->peerlen) {
        memcpy(ss, &s->peer, s->peerlen);
        *len = s->peerlen;
        return 0;
    }
    return s->lower ? weft_transport_peername(s->lower, ss, len) : -ENOTCONN;
}

static int tls_sockname(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len)
{
    const struct tls_transport *s = (const struct tls_transport *)t;
    return s->lower ? weft_transport_sockname(s->lower, ss, len) : -ENOTCONN;
}

static void tls_destroy(weft_transport *t)
{
    struct tls_transport *s = of(t);
    weft__timer_stop(t->loop, &s->hs_timer);
    weft_tls_free(s->tls);
    weft_tls_ctx_free(s->ctx);
    free(s->pending);
    free(s);
}

static const struct weft__transport_ops tls_ops = {
    .kind = "tls",
    .writev = tls_writev,
    .sendfile = NULL,
    .write_eof = NULL,
    .write_buffer_size = tls_write_buffer_size,
    .set_reading = tls_set_reading,
    .close = tls_close,
    .abort = tls_abort,
    .fd = tls_fd,
    .peername = tls_peername,
    .sockname = tls_sockname,
    .destroy = tls_destroy,
};

/* -------------------------------------------------------------- creation */

/* Make the TLS transport over lower without touching lower yet. */
static int tls_transport_new(weft_transport *lower, weft_tls_ctx *ctx, const char *host,
                             const weft_tls_opts *opts, struct tls_transport **out)
{
    struct tls_transport *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    int err = weft_tls_new(ctx, host, &s->tls);
    if (err) {
        free(s);
        return err;
    }
    weft_loop *loop = weft_transport_loop(lower);
    weft__transport_init(&s->base, &tls_ops, loop, true, true);
    s->lower = lower;
    s->ctx = ctx;
    weft_tls_ctx_ref(ctx);
    socklen_t pl = sizeof s->peer;
    if (weft_transport_peername(lower, &s->peer, &pl) == 0)
        s->peerlen = pl;
    weft__tls_set_output(s->tls, direct_out, s);
    weft__timer_init(&s->hs_timer, hs_timeout_cb, s);
    uint64_t timeout = opts && opts->handshake_timeout_ns ? opts->handshake_timeout_ns
                                                          : HANDSHAKE_TIMEOUT_DEFAULT;
    weft__timer_start(loop, &s->hs_timer, weft_loop_now(loop) + timeout);
    /* The lower tells us each time its buffer drains completely, which is
     * when our own (larger) water marks are rechecked. */
    weft_transport_set_write_buffer_limits(lower, 1, 0);
    *out = s;
    return 0;
}

int weft_tls_wrap(weft_transport *lower, weft_tls_ctx *ctx, const char *server_hostname,
                  const weft_tls_opts *opts, const weft_protocol *proto, void *proto_ud,
                  weft_tls_done_cb cb, void *ud, weft_transport **out)
{
    if (out)
        *out = NULL;
    if (!lower || !ctx || !cb)
        return -EINVAL;
    if (weft_transport_is_closing(lower))
        return WEFT_ECLOSED;
    struct tls_transport *s;
    int err = tls_transport_new(lower, ctx, server_hostname, opts, &s);
    if (err)
        return err;
    s->app_proto = proto;
    s->app_ud = proto_ud;
    s->done = cb;
    s->done_ud = ud;
    if (ctx->role == WEFT_TLS_CLIENT) {
        char key[300];
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        /* Sessions are cached per host:port when the port is known. */
        if (server_hostname && weft_transport_peername(lower, &ss, &sl) == 0 &&
            weft_addr_port((struct sockaddr *)&ss) > 0) {
            snprintf(key, sizeof key, "%s:%d", server_hostname,
                     weft_addr_port((struct sockaddr *)&ss));
            weft_tls_set_session_key(s->tls, key);
        }
    }
    weft_transport_set_protocol(lower, &lower_proto, s);
    /* A stream may have paused its transport (full buffer): the handshake
     * needs to read. From now on our base decides. */
    weft_transport_resume_reading(lower);
    if (out)
        *out = &s->base;
    /* A client speaks first: the ClientHello goes out now. */
    process(s);
    return 0;
}

/* ---------------------------------------------------------------- servers */

struct tls_server {
    weft_tls_ctx *ctx;
    weft_tls_opts opts;
    weft_protocol_factory factory;      /* protocol servers */
    void *ud;
    weft_server *srv;
    /* Stream servers: what runs per connection, and the hooks. */
    void (*on_stream)(struct tls_server *ts, weft_transport *t);
    size_t tasks_alive;
    struct handler_task *tasks;
    weft_stream_handler handler;
};

static void server_handshake_failed(struct tls_transport *s)
{
    /* The client saw the alert; the server's owner may want to log it. */
    const weft_tls_opts *o = &s->server->opts;
    if (!o->handshake_failed)
        return;
    const char *detail = s->hs_detail;
    if (!detail || !*detail)
        detail = weft_strerror(s->hs_err);
    o->handshake_failed(&s->base, s->hs_err, detail, o->handshake_failed_ud);
}

static void server_handshake_done(struct tls_transport *s)
{
    struct tls_server *ts = s->server;
    if (ts->on_stream) {
        ts->on_stream(ts, &s->base);
        return;
    }
    void *pud = NULL;
    const weft_protocol *p = ts->factory(ts->srv, &s->base, ts->ud, &pud);
    if (!p) {
        /* Refused: end it as a close would, after starting it with a
         * protocol that does nothing. */
        static const weft_protocol none = {0};
        weft__transport_start(&s->base, &none, NULL);
        weft_transport_close(&s->base);
        return;
    }
    weft__transport_start(&s->base, p, pud);
}

static const weft_protocol *accept_factory(weft_server *srv, weft_transport *t, void *ud,
                                           void **proto_ud)
{
    struct tls_server *ts = ud;
    ts->srv = srv;
    struct tls_transport *s;
    if (tls_transport_new(t, ts->ctx, NULL, &ts->opts, &s) != 0)
        return NULL;
    s->server = ts;
    *proto_ud = s;
    return &lower_proto;
}

/* Handler tasks of TLS stream servers, as in stream/server.c: the handler
 * borrows the stream; when its task ends (returned, cancelled, or never
 * started) a done callback closes and frees the stream and tells the
 * server. */
struct handler_task {
    struct handler_task *next, *prev;
    struct tls_server *ts;
    weft_stream *stream;
    weft_task *task;
};

static int handler_main(void *arg)
{
    struct handler_task *h = arg;
    return h->ts->handler(h->stream, h->ts->ud);
}

static void handler_done(weft_task *task, void *ud)
{
    struct handler_task *h = ud;
    struct tls_server *ts = h->ts;
    weft_server *srv = ts->srv;
    if (h->prev)
        h->prev->next = h->next;
    else
        ts->tasks = h->next;
    if (h->next)
        h->next->prev = h->prev;
    ts->tasks_alive--;
    weft_task_release(task);
    weft__stream_set_borrowed(h->stream, false);
    if (weft_task_cancelled(task))
        weft_stream_abort(h->stream);
    weft_stream_free(h->stream);
    free(h);
    weft__server_notify(srv);
    weft__server_unref(srv);
}

static void stream_on_handshake(struct tls_server *ts, weft_transport *t)
{
    struct handler_task *h = calloc(1, sizeof *h);
    weft_stream *st = NULL;
    if (!h || weft_stream_attach(t, &st) != 0) {
        free(h);
        weft_transport_abort(t);
        return;
    }
    weft__stream_set_borrowed(st, true);
    h->ts = ts;
    h->stream = st;
    if (weft_task_spawn(weft_transport_loop(t), handler_main, h, &h->task) != 0) {
        weft__stream_set_borrowed(st, false);
        weft_stream_abort(st);
        weft_stream_free(st);
        free(h);
        return;
    }
    if (weft_task_add_done_cb(h->task, handler_done, h) != 0) {
        weft_task_cancel(h->task);
        weft_task_release(h->task);
        weft__stream_set_borrowed(st, false);
        weft_stream_abort(st);
        weft_stream_free(st);
        free(h);
        return;
    }
    weft__server_ref(ts->srv);
    h->next = ts->tasks;
    if (ts->tasks)
        ts->tasks->prev = h;
    ts->tasks = h;
    ts->tasks_alive++;
}

static void hook_cancel_all(weft_server *srv, void *ud)
{
    struct tls_server *ts = ud;
    for (struct handler_task *h = ts->tasks; h; h = h->next)
        weft_task_cancel(h->task);
}

static size_t hook_alive(weft_server *srv, void *ud)
{
    struct tls_server *ts = ud;
    return ts->tasks_alive;
}

static void hook_destroy(void *ud)
{
    struct tls_server *ts = ud;
    weft_tls_ctx_free(ts->ctx);
    free(ts);
}

static int server_open(weft_loop *loop, const char *host, uint16_t port,
                       const weft_server_opts *sopts, weft_tls_ctx *ctx,
                       const weft_tls_opts *opts, struct tls_server *ts, weft_server **out)
{
    *out = NULL;
    if (ctx->role != WEFT_TLS_SERVER) {
        free(ts);
        weft__tls_ctx_note(ctx, WEFT_ETLS_CONFIG, "a TLS server needs a server context");
        return WEFT_ETLS_CONFIG;
    }
    ts->ctx = ctx;
    if (opts)
        ts->opts = *opts;
    if (!loop)
        loop = weft_loop_current();
    weft_server *srv;
    int err = weft_tcp_server_open(loop, host, port, sopts, accept_factory, ts, &srv);
    if (err) {
        free(ts);
        return err;
    }
    weft_tls_ctx_ref(ctx);
    ts->srv = srv;
    struct weft__server_hooks hooks = {
        .cancel_all = hook_cancel_all,
        .alive = hook_alive,
        .destroy = hook_destroy,
        .ud = ts,
    };
    weft__server_set_hooks(srv, &hooks);
    *out = srv;
    return 0;
}

int weft_tls_server_open(weft_loop *loop, const char *host, uint16_t port,
                         const weft_server_opts *sopts, weft_tls_ctx *ctx,
                         const weft_tls_opts *opts, weft_protocol_factory factory, void *ud,
                         weft_server **out)
{
    if (!factory || !ctx)
        return -EINVAL;
    struct tls_server *ts = calloc(1, sizeof *ts);
    if (!ts)
        return -ENOMEM;
    ts->factory = factory;
    ts->ud = ud;
    return server_open(loop, host, port, sopts, ctx, opts, ts, out);
}

int weft_tls_stream_server_open(weft_loop *loop, const char *host, uint16_t port,
                                const weft_server_opts *sopts, weft_tls_ctx *ctx,
                                const weft_tls_opts *opts, weft_stream_handler handler,
                                void *ud, weft_server **out)
{
    if (!handler || !ctx)
        return -EINVAL;
    struct tls_server *ts = calloc(1, sizeof *ts);
    if (!ts)
        return -ENOMEM;
    ts->on_stream = stream_on_handshake;
    ts->handler = handler;
    ts->ud = ud;
    return server_open(loop, host, port, sopts, ctx, opts, ts, out);
}

/* ---------------------------------------------------------------- streams */

/* A wait for a callback that may outlive the waiting task (it can be
 * cancelled): the state lives on the heap. The callback wakes the task with
 * 1 and the status in op->result, so that a wait that returns < 0 was
 * interrupted: unhook ran, and the callback (which is still to come) frees
 * op. A wait that returns 1 leaves op to the task. */
struct op {
    struct weft__wait w;
    bool abandoned;         /* unhook ran: the callback frees op */
    int result;
    weft_transport *t;      /* the connected / TLS transport */
    weft_connect_req *req;
    const weft_protocol *proto; /* start_tls: the stream's protocol */
    void *pud;
};

static void op_finish(struct op *op, weft_transport *t, int status)
{
    if (op->abandoned) {
        if (t && status == 0)
            weft_transport_abort(t);
        free(op);
        return;
    }
    op->t = status == 0 ? t : NULL;
    op->result = status;
    weft__task_wake(&op->w, 1);
}

static void connect_done(weft_transport *t, int status, void *ud)
{
    struct op *op = ud;
    op->req = NULL;
    op_finish(op, t, status);
}

static void handshake_done(weft_transport *t, int status, void *ud)
{
    op_finish(ud, t, status);
}

static void unhook_connect(struct weft__wait *w)
{
    struct op *op = (struct op *)w;
    op->abandoned = true;
    if (op->req)
        weft_connect_cancel(op->req); /* connect_done follows with -ECANCELED */
}

static void unhook_handshake(struct weft__wait *w)
{
    struct op *op = (struct op *)w;
    op->abandoned = true;
    weft_transport_abort(op->t);      /* handshake_done follows */
}

/* Wrap t (consumed) and wait for the handshake. */
static int wrap_and_wait(weft_transport *t, weft_tls_ctx *ctx, const char *host,
                         const weft_tls_opts *opts, weft_transport **out)
{
    struct op *op = calloc(1, sizeof *op);
    if (!op) {
        weft_transport_abort(t);
        return -ENOMEM;
    }
    int err = weft_tls_wrap(t, ctx, host, opts, NULL, NULL, handshake_done, op, &op->t);
    if (err) {
        free(op);
        weft_transport_abort(t);
        return err;
    }
    op->w.unhook = unhook_handshake;
    int r = weft__task_wait(&op->w);
    if (r < 0)
        return r;
    r = op->result;
    *out = op->t;
    free(op);
    return r;
}

/* Connect over TCP (no protocol yet) and wait. */
static int connect_and_wait(const char *host, uint16_t port, const weft_connect_opts *copts,
                            weft_transport **out)
{
    struct op *op = calloc(1, sizeof *op);
    if (!op)
        return -ENOMEM;
    op->w.unhook = unhook_connect;
    int err = weft_tcp_connect(weft_loop_current(), host, port, copts, NULL, NULL, connect_done,
                               op, &op->req);
    if (err) {
        free(op);
        return err;
    }
    int r = weft__task_wait(&op->w);
    if (r < 0)
        return r;
    r = op->result;
    *out = op->t;
    free(op);
    return r;
}

int weft_tls_open_connection(const char *host, uint16_t port, const weft_connect_opts *copts,
                             weft_tls_ctx *ctx, const char *server_hostname,
                             const weft_tls_opts *opts, weft_stream **out)
{
    *out = NULL;
    if (!weft__current_task)
        return -EPERM;
    if (!ctx || !host)
        return -EINVAL;
    int err = weft__task_check(weft__current_task);
    if (err)
        return err;
    weft_transport *tcp, *tt;
    err = connect_and_wait(host, port, copts, &tcp);
    if (err)
        return err;
    err = wrap_and_wait(tcp, ctx, server_hostname ? server_hostname : host, opts, &tt);
    if (err)
        return err;
    err = weft_stream_attach(tt, out);
    if (err)
        weft_transport_abort(tt);
    return err;
}

/* start_tls: if the handshake fails, the stream's connection is gone with
 * it, and the stream must hear so even when its task gave up waiting. */
static void starttls_done(weft_transport *t, int status, void *ud)
{
    struct op *op = ud;
    if (status != 0 && op->proto->connection_lost)
        op->proto->connection_lost(t, status, op->pud);
    op_finish(op, t, status);
}

int weft_tls_start_tls(weft_stream *s, weft_tls_ctx *ctx, const char *server_hostname,
                       const weft_tls_opts *opts)
{
    if (!weft__current_task)
        return -EPERM;
    if (!s || !ctx)
        return -EINVAL;
    int err = weft__task_check(weft__current_task);
    if (err)
        return err;
    weft_transport *t = weft_stream_transport(s);
    if (!t || weft_transport_is_closing(t))
        return WEFT_ECLOSED;
    struct op *op = calloc(1, sizeof *op);
    if (!op)
        return -ENOMEM;
    op->proto = weft_transport_get_protocol(t);
    op->pud = weft_transport_get_protocol_ud(t);
    /* The stream's own protocol goes on top: its connection_made points the
     * stream at the TLS transport before we are woken. */
    err = weft_tls_wrap(t, ctx, server_hostname, opts, op->proto, op->pud, starttls_done, op,
                        &op->t);
    if (err) {
        free(op);
        return err;
    }
    op->w.unhook = unhook_handshake;
    int r = weft__task_wait(&op->w);
    if (r < 0)
        return r;
    r = op->result;
    free(op);
    return r;
}

weft_tls *weft_stream_tls(const weft_stream *s)
{
    weft_transport *t = weft_stream_transport(s);
    return t ? weft_transport_tls(t) : NULL;
}
