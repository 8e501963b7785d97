/*
 * conn.c - one server connection: the protocol on its transport, the input
 * buffer, the request state machine, timeouts, keep-alive and closing.
 *
 * Reading. While the connection is idle, get_buffer hands the transport the
 * server's scratch buffer, so an idle connection owns no buffer. When bytes
 * arrive the connection takes an exchange from the server's pool, parses
 * the requests in place and runs each handler (conn_process). Before the
 * read callback returns, whatever still matters (a partial request, the
 * head of a request whose handler is suspended, bytes not yet used) is
 * moved into the exchange's own buffer; from then on reads go there.
 *
 * Writing. Handlers that run inside our callbacks write into the
 * exchange's cork; it goes out in one write when the batch is done, so
 * pipelined requests are answered with one system call. A handler resumed
 * by the loop later writes straight to the transport.
 *
 * Timeouts. One timer per connection: c->deadline says when the current
 * phase (idle keep-alive, partial head, body wait, blocked write, linger)
 * runs out. The timer is only re-armed when the deadline moves earlier, so
 * the common request costs no timer-heap work; when it fires early it just
 * re-arms for the real deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

static void conn_timer(void *arg);
static void cont_cb(void *arg);

/* ------------------------------------------------------------ lifetime */

struct conn *weft__conn_new(weft_web_server *srv, weft_transport *t, bool tls)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->t = t;
    c->srv = srv;
    c->flags = tls ? CF_TLS : 0;
    c->deadline = WEFT_NEVER;
    weft__timer_init(&c->timer, conn_timer, c);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    weft__server_ref_http(srv);
    return c;
}

static void conn_free(struct conn *c)
{
    weft_web_server *srv = c->srv;
    weft__timer_stop(srv->loop, &c->timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    free(c);
    weft__server_notify_http(srv);
    weft__server_unref_http(srv);
}

/* Give the exchange back to the pool (never while a continuation of it is
 * queued: the call node lives in it). */
static void release_x(struct conn *c)
{
    struct hx *x = c->x;
    if (!x || x->cont.cb)
        return;
    c->x = NULL;
    if (x->in == c->srv->scratch) {
        c->srv->scratch_busy = false;
        x->in = NULL;
    }
    weft__hx_put(c->srv, x);
}

void weft__conn_deadline(struct conn *c, uint64_t when)
{
    c->deadline = when;
    if (when == WEFT_NEVER)
        return;
    if (!weft__timer_armed(&c->timer) || c->timer.when > when)
        weft__timer_start(c->srv->loop, &c->timer, when);
}

static uint64_t now_plus(struct conn *c, uint64_t d)
{
    uint64_t now = c->srv->loop->now;
    return now + d < now ? WEFT_NEVER : now + d;
}

/* ------------------------------------------------------------- closing */

/* Close after what is queued. With unread input still coming (an error
 * response, a pipelined request after Connection: close), half-close and
 * drop what the client sends for a while, so that it reads our answer
 * instead of a reset (a close with unread bytes makes the kernel send RST). */
static void conn_close(struct conn *c, bool linger)
{
    c->flags |= CF_CLOSING;
    if (c->x)
        weft__hx_flush(c->x);
    if (!c->t || (c->flags & CF_LOST))
        return;
    if (linger && !(c->flags & CF_EOF) && weft_transport_can_write_eof(c->t) &&
        weft_transport_write_eof(c->t) == 0) {
        c->flags |= CF_LINGER;
        weft__conn_deadline(c, now_plus(c, c->srv->o.linger_timeout_ns));
        if (c->x && c->x->state != XS_RUN) {
            c->x->in_pos = c->x->in_len;
            release_x(c);
        }
        return;
    }
    weft_transport_close(c->t);
}

/* A request the handler never sees: answer status (and log it with what
 * arrived of its first line) and close. */
static void conn_error_logged(struct conn *c, int status, bool parsed)
{
    struct hx *x = c->x;
    if (c->srv->app->log_fd >= 0) {
        if (x && parsed) {
            /* setup NUL-terminated the views in place: rebuild the line. */
            const weft_h1_request *h = &x->req.h;
            char line[300];
            int n = snprintf(line, sizeof line, "%.*s %.*s HTTP/1.%d", (int)h->method.len,
                             h->method.ptr, (int)(h->target.len < 256 ? h->target.len : 256),
                             h->target.ptr, h->version);
            weft__access_log_canned(c, status, line, n > 0 ? (size_t)n : 0);
        } else if (x && x->in) {
            weft__access_log_canned(c, status, x->in + x->in_pos, x->in_len - x->in_pos);
        } else {
            weft__access_log_canned(c, status, NULL, 0);
        }
    }
    weft__response_canned(c, status);
    conn_close(c, true);
}

/* An answer for bytes that did not make a request. */
static void conn_error(struct conn *c, int status)
{
    conn_error_logged(c, status, false);
}

void weft__conn_close_idle(struct conn *c)
{
    if (c->flags & (CF_LOST | CF_CLOSING))
        return;
    struct hx *x = c->x;
    if (x && x->state != XS_HEAD)
        return; /* in flight: it closes after its response (draining) */
    if (x && x->partial) {
        /* A request half-way in: tell the client we are going away. */
        weft__response_canned(c, 503);
        conn_close(c, true);
        return;
    }
    conn_close(c, false);
}

/* ---------------------------------------------------------- input buffer */

/* Bytes of input that must be kept: what has not been used yet (the head of
 * a request in flight lives in the exchange's head buffer, not here). */
static size_t kept_len(const struct hx *x)
{
    return x->in_len - x->in_pos;
}

/* Move the unused bytes to the start of dst (which may be x->in itself). */
static void relocate(struct hx *x, char *dst)
{
    char *src = x->in;
    size_t rest = src ? x->in_len - x->in_pos : 0;
    if (rest)
        memmove(dst, src + x->in_pos, rest);
    x->in = dst;
    x->in_pos = 0;
    x->in_len = rest;
    /* The parser keeps offsets into the buffer it saw: it notices the move
     * and rescans, which is correct. */
}

/* Make room for at least min more bytes in the exchange's own buffer.
 * hard caps the total (0: none). Returns 0 or -ENOMEM / -ENOBUFS. */
static int hx_room(struct hx *x, size_t min, size_t hard)
{
    if (x->in == x->ibuf && x->ibuf && x->icap - x->in_len >= min)
        return 0;
    size_t k = kept_len(x);
    if (hard && k + min > hard)
        return -ENOBUFS;
    if (x->ibuf && x->icap - k >= min) {
        relocate(x, x->ibuf);
        return 0;
    }
    size_t cap = x->icap ? x->icap : 4096;
    while (cap < k + min)
        cap *= 2;
    char *nb = malloc(cap);
    if (!nb)
        return -ENOMEM;
    relocate(x, nb);
    free(x->ibuf);
    x->ibuf = nb;
    x->icap = cap;
    return 0;
}

static size_t hard_cap(const weft_web_server *srv)
{
    return srv->o.limits.max_head + srv->o.max_pipeline_bytes + WEFT__HTTP_SCRATCH;
}

/* ------------------------------------------------------------ protocol */

static void p_made(weft_transport *t, void *ud)
{
    (void)t;
    struct conn *c = ud;
    c->flags |= CF_MADE;
    /* The first request must begin within the header timeout. */
    weft__conn_deadline(c, now_plus(c, c->srv->o.header_timeout_ns));
}

static void *p_get_buffer(weft_transport *t, size_t *len, void *ud)
{
    (void)t;
    struct conn *c = ud;
    weft_web_server *srv = c->srv;
    if (!c->x) {
        if (srv->scratch_busy)
            return NULL; /* re-entered: data_received copies it */
        *len = WEFT__HTTP_SCRATCH;
        return srv->scratch;
    }
    struct hx *x = c->x;
    if (hx_room(x, 4096, hard_cap(srv)) != 0)
        return NULL;
    *len = x->icap - x->in_len;
    return x->in + x->in_len;
}

/* The first bytes of a request on an idle connection: take an exchange. */
static struct hx *attach_x(struct conn *c)
{
    struct hx *x = weft__hx_get(c->srv);
    if (!x) {
        weft_transport_abort(c->t);
        return NULL;
    }
    c->x = x;
    x->c = c;
    x->state = XS_HEAD;
    return x;
}

static void on_bytes(struct conn *c, size_t n, bool scratch)
{
    weft_web_server *srv = c->srv;
    if (c->flags & CF_LINGER)
        return; /* dropped: we only wait for the client to finish */
    if (scratch) {
        struct hx *x = attach_x(c);
        if (!x)
            return;
        x->in = srv->scratch;
        x->in_len = n;
        x->in_pos = 0;
        srv->scratch_busy = true;
    } else {
        c->x->in_len += n;
        if (c->x->state == XS_RUN && c->x->body_wait)
            weft__conn_deadline(c, now_plus(c, srv->o.body_timeout_ns));
    }
    weft__conn_process(c);
}

static void p_buffer_updated(weft_transport *t, size_t n, void *ud)
{
    (void)t;
    struct conn *c = ud;
    on_bytes(c, n, c->x == NULL);
}

/* Transports that hand over their own memory (TLS, memory pairs): copy into
 * where get_buffer would have put it. */
static void p_data(weft_transport *t, const void *data, size_t len, void *ud)
{
    (void)t;
    struct conn *c = ud;
    weft_web_server *srv = c->srv;
    const char *p = data;
    while (len && !(c->flags & CF_LOST)) {
        if (c->flags & CF_LINGER)
            return;
        if (!c->x && !srv->scratch_busy) {
            size_t n = len < WEFT__HTTP_SCRATCH ? len : WEFT__HTTP_SCRATCH;
            memcpy(srv->scratch, p, n);
            on_bytes(c, n, true);
            p += n;
            len -= n;
            continue;
        }
        if (!c->x && !attach_x(c))
            return;
        /* The pause on max_pipeline_bytes bounds this; the bytes must not
         * be lost, so no hard cap here. */
        if (hx_room(c->x, len < 4096 ? len : 4096, 0) != 0) {
            weft_transport_abort(c->t);
            return;
        }
        struct hx *x = c->x;
        size_t room = x->icap - x->in_len;
        size_t n = len < room ? len : room;
        memcpy(x->in + x->in_len, p, n);
        p += n;
        len -= n;
        on_bytes(c, n, false);
    }
}

static bool p_eof(weft_transport *t, void *ud)
{
    (void)t;
    struct conn *c = ud;
    c->flags |= CF_EOF;
    if (c->flags & CF_LINGER)
        return false;
    weft__conn_process(c);
    return true; /* we close once the response is out */
}

static void p_lost(weft_transport *t, int err, void *ud)
{
    (void)t;
    struct conn *c = ud;
    c->flags |= CF_LOST;
    c->t = NULL;
    weft__timer_stop(c->srv->loop, &c->timer);
    struct hx *x = c->x;
    if (x) {
        int e = err ? err : WEFT_ECLOSED;
        if (x->body_wait)
            weft__conn_wake(c, x->body_wait, e);
        if (x->drain_wait)
            weft__conn_wake(c, x->drain_wait, e);
    }
    weft__conn_process(c);
}

static void p_pause(weft_transport *t, void *ud)
{
    (void)t;
    struct conn *c = ud;
    c->flags |= CF_PAUSED_W;
    weft__conn_deadline(c, now_plus(c, c->srv->o.write_timeout_ns));
}

static void p_resume(weft_transport *t, void *ud)
{
    (void)t;
    struct conn *c = ud;
    c->flags &= ~CF_PAUSED_W;
    struct hx *x = c->x;
    weft__conn_deadline(c, WEFT_NEVER);
    if (!x)
        weft__conn_deadline(c, now_plus(c, c->srv->o.keepalive_timeout_ns));
    else if (x->state == XS_HEAD && x->partial)
        weft__conn_deadline(c, now_plus(c, c->srv->o.header_timeout_ns));
    else if (x->body_wait || x->state == XS_DISCARD)
        weft__conn_deadline(c, now_plus(c, c->srv->o.body_timeout_ns));
    if (x && x->drain_wait)
        weft__conn_wake(c, x->drain_wait, 0);
    if (weft__current_task) {
        /* Inside a write of some task: continue from the loop. */
        if (c->x && !c->x->cont.cb) {
            c->x->cont.cb = cont_cb;
            c->x->cont.ud = c;
            weft__loop_post(c->srv->loop, &c->x->cont);
        }
        return;
    }
    weft__conn_process(c);
}

const weft_protocol weft__http_conn_protocol = {
    .connection_made = p_made,
    .data_received = p_data,
    .eof_received = p_eof,
    .connection_lost = p_lost,
    .pause_writing = p_pause,
    .resume_writing = p_resume,
    .get_buffer = p_get_buffer,
    .buffer_updated = p_buffer_updated,
};

/* ------------------------------------------------------ running handlers */

void weft__conn_wake(struct conn *c, struct weft__wait *w, int result)
{
    struct hx *x = c->x;
    if (x)
        x->in_run = true;
    weft__task_wake_now(w, result);
    if (x)
        x->in_run = false;
}

static void cont_cb(void *arg)
{
    struct conn *c = arg;
    if (c->x)
        c->x->cont.cb = NULL;
    weft__conn_process(c);
}

/* A handler finished from the loop, outside our callbacks: continue the
 * connection from the loop (worker.c calls this through x->cont). */
void weft__conn_schedule(struct conn *c);
void weft__conn_schedule(struct conn *c)
{
    struct hx *x = c->x;
    if (!x || x->cont.cb)
        return;
    x->cont.cb = cont_cb;
    x->cont.ud = c;
    weft__loop_post(c->srv->loop, &x->cont);
}

/* Copy the head to the exchange's head buffer and point the parsed views
 * there: the strings a handler gets must not move while it runs, and the
 * input buffer moves (the scratch buffer is reused by the next read, ibuf is
 * compacted and grown). A few hundred bytes of memcpy per request buy that. */
static int keep_head(struct hx *x, const char *head, size_t n)
{
    if (x->hcap < n + 1) {
        size_t cap = x->hcap ? x->hcap : 1024;
        while (cap < n + 1)
            cap *= 2;
        char *nb = malloc(cap);
        if (!nb)
            return -ENOMEM;
        free(x->hbuf);
        x->hbuf = nb;
        x->hcap = cap;
    }
    memcpy(x->hbuf, head, n);
    x->hbuf[n] = '\0';
    weft__request_rebase(x, head, n, x->hbuf);
    return 0;
}

/* Start the request whose head is in[in_pos..in_pos + n). */
static void start_request(struct conn *c, struct hx *x, size_t n)
{
    weft_web_server *srv = c->srv;
    int st = keep_head(x, x->in + x->in_pos, n) == 0 ? 0 : 500;
    x->in_pos += n;
    x->partial = false;
    if (!st)
        st = weft__request_setup(x);
    if (!st && (x->req.h.flags & WEFT_H1_F_EXPECT_OTHER))
        st = 417;
    if (st) {
        conn_error_logged(c, st, true);
        return;
    }
    c->nreq++;
    x->state = XS_RUN;
    srv->nactive++;
    weft__conn_deadline(c, WEFT_NEVER);
    if (weft__worker_start(srv, x) != 0) {
        x->state = XS_HEAD;
        srv->nactive--;
        conn_error_logged(c, 500, true);
    }
}

/* The handler is done with x: keep the connection for the next request,
 * discard an unread body, or close. Returns true to go on processing. */
static bool after_request(struct conn *c, struct hx *x)
{
    weft_web_server *srv = c->srv;
    weft_web_request *req = &x->req;
    weft_web_response *resp = &x->resp;
    srv->nactive--;
    weft__server_notify_http(srv);
    if (c->flags & CF_LOST)
        return true; /* conn_process frees it */
    bool keep = !resp->close_after && !resp->broken && !req->body_err &&
                !(c->flags & (CF_CLOSING | CF_EOF)) && !srv->draining &&
                c->nreq < srv->o.max_keepalive_requests;
    bool body_left = !req->body_done;
    if (body_left && (req->h.flags & WEFT_H1_F_EXPECT_CONTINUE) && !req->continue_sent &&
        x->in_pos == x->in_len)
        keep = false; /* the client waits for a 100 that will not come */
    if (!keep) {
        bool linger = body_left || x->in_pos < x->in_len;
        weft__request_reset(x);
        weft__response_reset(x);
        x->state = XS_DISCARD; /* the head is dead; nothing runs any more */
        conn_close(c, linger);
        return false;
    }
    weft__response_reset(x);
    if (body_left) {
        /* Drop the rest of the body before the next request; the body
         * state of the request is what discarding needs, so keep it. */
        x->state = XS_DISCARD;
        return true;
    }
    weft__request_reset(x);
    x->state = XS_HEAD;
    return true;
}

/* Nothing is in flight and nothing is buffered: give the exchange back. */
static void go_idle(struct conn *c)
{
    struct hx *x = c->x;
    if (x->out_len)
        weft__hx_flush(x);
    if (x->cont.cb)
        return; /* a continuation is queued: it will get here again */
    release_x(c);
    if ((c->flags & CF_EOF) || c->srv->draining) {
        conn_close(c, false); /* nothing more will come, or we are going away */
        return;
    }
    weft__conn_deadline(c, now_plus(c, c->srv->o.keepalive_timeout_ns));
}

void weft__conn_process(struct conn *c)
{
    weft_web_server *srv = c->srv;
    for (;;) {
        struct hx *x = c->x;
        if (c->flags & CF_LOST) {
            if (x && (x->state == XS_RUN || x->cont.cb))
                return; /* the handler (or a continuation) still holds x */
            if (x && x->state == XS_DONE)
                after_request(c, x);
            release_x(c);
            conn_free(c);
            return;
        }
        if (!x) {
            if ((c->flags & CF_EOF) && !(c->flags & CF_CLOSING))
                conn_close(c, false);
            return;
        }
        if (c->flags & (CF_CLOSING | CF_LINGER)) {
            if (x->state != XS_RUN) {
                x->in_pos = x->in_len; /* drop whatever comes after */
                if (x->state == XS_DONE)
                    after_request(c, x);
            }
            break;
        }
        if (x->state == XS_HEAD) {
            if (c->flags & CF_PAUSED_W)
                break; /* the client is not reading: wait for resume_writing */
            if (x->in_pos == x->in_len) {
                go_idle(c);
                return;
            }
            int r = weft_h1_parse_request(&x->parser, x->in + x->in_pos, x->in_len - x->in_pos,
                                          &x->req.h, x->hdrs, x->nhdrs_cap);
            if (r == -EAGAIN) {
                if (!x->partial) {
                    x->partial = true;
                    weft__conn_deadline(c, now_plus(c, srv->o.header_timeout_ns));
                }
                if (c->flags & CF_EOF)
                    conn_close(c, false); /* half a request, then nothing */
                break;
            }
            if (r < 0) {
                conn_error(c, weft_h1_error_status(r) ? weft_h1_error_status(r) : 400);
                break;
            }
            start_request(c, x, (size_t)r);
            continue;
        }
        if (x->state == XS_RUN) {
            if (x->body_wait &&
                (x->in_pos < x->in_len || (c->flags & (CF_EOF | CF_LOST)))) {
                weft__conn_wake(c, x->body_wait, 0);
                if (x->state == XS_RUN)
                    break;
                continue;
            }
            break;
        }
        if (x->state == XS_DONE) {
            if (!after_request(c, x))
                break;
            continue;
        }
        /* XS_DISCARD */
        int r = weft__request_discard(x);
        if (r < 0) {
            conn_close(c, true);
            break;
        }
        if (r == 0) {
            if (c->flags & CF_EOF) {
                conn_close(c, false);
                break;
            }
            weft__conn_deadline(c, now_plus(c, srv->o.body_timeout_ns));
            break;
        }
        weft__request_reset(x);
        x->state = XS_HEAD;
    }

    /* End of the batch: send the cork, and keep what must outlive the
     * scratch buffer. */
    struct hx *x = c->x;
    if (!x)
        return;
    if (x->out_len)
        weft__hx_flush(x);
    if (x->in == srv->scratch) {
        srv->scratch_busy = false;
        if (!kept_len(x)) {
            x->in = NULL;
            x->in_len = x->in_pos = 0;
        } else if (hx_room(x, 0, 0) != 0) {
            x->in = NULL;
            x->in_len = x->in_pos = 0;
            if (c->t)
                weft_transport_abort(c->t);
            return;
        }
    }
    /* Too much waiting beyond the request in progress: stop reading. */
    size_t unread = x->in_len - x->in_pos;
    bool over = unread > srv->o.max_pipeline_bytes;
    if (c->t && !(c->flags & CF_LOST)) {
        if (over && !(c->flags & CF_PAUSED_R)) {
            c->flags |= CF_PAUSED_R;
            weft_transport_pause_reading(c->t);
        } else if (!over && (c->flags & CF_PAUSED_R)) {
            c->flags &= ~CF_PAUSED_R;
            weft_transport_resume_reading(c->t);
        }
    }
}

/* --------------------------------------------------------------- timeouts */

static void conn_timer(void *arg)
{
    struct conn *c = arg;
    weft_web_server *srv = c->srv;
    if (c->deadline == WEFT_NEVER)
        return;
    if (c->deadline > srv->loop->now) {
        weft__timer_start(srv->loop, &c->timer, c->deadline);
        return;
    }
    c->deadline = WEFT_NEVER;
    if (c->flags & CF_LOST)
        return;
    if (c->flags & (CF_LINGER | CF_PAUSED_W)) {
        /* Lingered long enough, or the client stopped reading. */
        weft_transport_abort(c->t);
        return;
    }
    struct hx *x = c->x;
    if (!x) {
        conn_close(c, false); /* idle keep-alive (or never sent anything) */
        return;
    }
    switch (x->state) {
    case XS_HEAD:
        if (x->partial || x->in_pos < x->in_len)
            conn_error(c, 408); /* slowloris: the head did not arrive in time */
        else
            conn_close(c, false);
        break;
    case XS_RUN:
        if (x->body_wait) {
            x->req.body_err = -ETIMEDOUT;
            c->flags |= CF_CLOSING;
            weft__conn_wake(c, x->body_wait, -ETIMEDOUT);
            weft__conn_process(c);
        }
        break;
    case XS_DISCARD:
        conn_close(c, false);
        break;
    default:
        break;
    }
}
