/*
 * memory.c - an in-memory transport pair for deterministic tests.
 *
 * Each side keeps what it wrote and the peer has not received yet in its
 * `out` queue. The first `capacity` bytes of that queue count as "in the
 * kernel" (sent); only the bytes past it count as the writer's buffer, so
 * water marks behave as with a socket whose peer stopped reading. Delivery is
 * a queued loop callback on the receiving side that moves at most `chunk`
 * bytes per run, and only while the receiver reads: nothing is ever delivered
 * inside a write, and a test steps through a conversation one loop
 * iteration (or one byte) at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"

#define DEFAULT_CAPACITY (64u * 1024u)
#define DEFAULT_STEP (64u * 1024u)

struct mem_transport {
    weft_transport base;
    struct mem_transport *peer;  /* NULL once the peer is destroyed */
    char *out;                   /* written, not yet received by the peer */
    size_t out_start, out_end, out_cap;
    size_t capacity, chunk;
    bool out_eof;        /* write_eof / close: EOF follows the queued bytes */
    bool out_reset;      /* the peer must see a reset */
    bool close_pending;  /* finish once the peer received everything */
    bool released;
    bool reading;
    bool in_eof_done;    /* our eof_received was delivered */
    bool deliver_queued;
    bool dead;           /* destroyed while deliver_call was queued */
    struct weft__call deliver_call;
};

static size_t out_len(const struct mem_transport *m)
{
    return m->out_end - m->out_start;
}

static void schedule_deliver(struct mem_transport *m)
{
    if (!m || m->deliver_queued || m->released)
        return;
    m->deliver_queued = true;
    weft__loop_post(m->base.loop, &m->deliver_call);
}

static void finish(struct mem_transport *m, int err)
{
    if (m->released)
        return;
    m->released = true;
    free(m->out);
    m->out = NULL;
    m->out_start = m->out_end = m->out_cap = 0;
    weft__transport_lost(&m->base, err);
}

/* Our peer consumed some of our queue (or is gone). */
static void sender_progress(struct mem_transport *s)
{
    if (!s || s->released)
        return;
    if (s->out_start == s->out_end)
        s->out_start = s->out_end = 0;
    weft__transport_write_drained(&s->base);
    if (s->released)
        return;
    if (!out_len(s) && s->close_pending)
        finish(s, 0);
}

/* Runs on the receiving side r: move one step of the peer's queue into r. */
static void deliver_cb(void *arg)
{
    struct mem_transport *r = arg;
    r->deliver_queued = false;
    if (r->dead) {
        free(r);
        return;
    }
    if (r->released)
        return;
    struct mem_transport *s = r->peer;
    if (s && s->out_reset) {
        weft__transport_fail(&r->base, -ECONNRESET);
        return;
    }
    if (!r->reading)
        return;
    size_t avail = s ? out_len(s) : 0;
    if (avail) {
        size_t step = r->chunk ? r->chunk : DEFAULT_STEP;
        size_t n = avail < step ? avail : step;
        size_t len = n;
        bool direct;
        void *buf = weft__transport_read_buffer(&r->base, &len, &direct);
        if (len < n)
            n = len;
        memcpy(buf, s->out + s->out_start, n);
        s->out_start += n;
        weft__transport_received(&r->base, buf, n, direct);
        sender_progress(s);
        if ((s = r->peer) && (out_len(s) || s->out_eof || s->out_reset))
            schedule_deliver(r);
        return;
    }
    if ((!s || s->out_eof) && !r->in_eof_done) {
        r->in_eof_done = true;
        weft__transport_eof(&r->base);
    }
}

static int mem_writev(weft_transport *t, const struct iovec *iov, int iovcnt)
{
    struct mem_transport *m = (struct mem_transport *)t;
    struct mem_transport *p = m->peer;
    if (!p || (p->base.flags & (WEFT__T_CLOSING | WEFT__T_LOST))) {
        /* Writing to a peer that closed: a socket would get EPIPE. */
        weft__transport_fail(t, -EPIPE);
        return -EPIPE;
    }
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (m->out_cap - m->out_end < total) {
        size_t used = out_len(m);
        if (m->out_start) {
            memmove(m->out, m->out + m->out_start, used);
            m->out_start = 0;
            m->out_end = used;
        }
        if (m->out_cap - m->out_end < total) {
            size_t cap = m->out_cap ? m->out_cap : 4096;
            while (cap - used < total)
                cap *= 2;
            char *n = realloc(m->out, cap);
            if (!n) {
                weft__transport_fail(t, -ENOMEM);
                return -ENOMEM;
            }
            m->out = n;
            m->out_cap = cap;
        }
    }
    for (int i = 0; i < iovcnt; i++) {
        memcpy(m->out + m->out_end, iov[i].iov_base, iov[i].iov_len);
        m->out_end += iov[i].iov_len;
    }
    schedule_deliver(p);
    return 0;
}

static int mem_write_eof(weft_transport *t)
{
    struct mem_transport *m = (struct mem_transport *)t;
    m->out_eof = true;
    schedule_deliver(m->peer);
    return 0;
}

static size_t mem_write_buffer_size(const weft_transport *t)
{
    const struct mem_transport *m = (const struct mem_transport *)t;
    size_t n = out_len(m);
    return n > m->capacity ? n - m->capacity : 0;
}

static void mem_set_reading(weft_transport *t, bool on)
{
    struct mem_transport *m = (struct mem_transport *)t;
    m->reading = on;
    if (on)
        schedule_deliver(m);
}

static void mem_close(weft_transport *t)
{
    struct mem_transport *m = (struct mem_transport *)t;
    m->out_eof = true;
    if (!out_len(m) || !m->peer) {
        finish(m, 0);
        schedule_deliver(m->peer);
        return;
    }
    m->close_pending = true;
    schedule_deliver(m->peer);
}

static void mem_abort(weft_transport *t)
{
    struct mem_transport *m = (struct mem_transport *)t;
    m->out_start = m->out_end = 0;
    m->out_eof = true;
    finish(m, 0);
    schedule_deliver(m->peer);
}

static void mem_destroy(weft_transport *t)
{
    struct mem_transport *m = (struct mem_transport *)t;
    if (m->peer) {
        struct mem_transport *p = m->peer;
        p->peer = NULL;
        m->peer = NULL;
        schedule_deliver(p); /* it sees EOF as a socket would */
        /* Nobody will receive p's queue any more (a socket would reset). */
        p->out_start = p->out_end = 0;
        sender_progress(p);
    }
    free(m->out);
    m->out = NULL;
    if (m->deliver_queued) {
        m->dead = true; /* deliver_cb frees it */
        return;
    }
    free(m);
}

static const struct weft__transport_ops mem_ops = {
    .kind = "memory",
    .writev = mem_writev,
    .write_eof = mem_write_eof,
    .write_buffer_size = mem_write_buffer_size,
    .set_reading = mem_set_reading,
    .close = mem_close,
    .abort = mem_abort,
    .destroy = mem_destroy,
};

int weft_memory_transport_reset(weft_transport *t)
{
    if (t->ops != &mem_ops)
        return -EINVAL;
    struct mem_transport *m = (struct mem_transport *)t;
    if (m->peer) {
        m->out_reset = true;
        schedule_deliver(m->peer);
    }
    weft_transport_abort(t);
    return 0;
}

int weft_memory_pair_open(weft_loop *loop, const weft_memory_pair_opts *opts,
                          const weft_protocol *proto_a, void *ud_a,
                          const weft_protocol *proto_b, void *ud_b, weft_transport **a,
                          weft_transport **b)
{
    if (!loop || !a || !b)
        return -EINVAL;
    struct mem_transport *m[2];
    for (int i = 0; i < 2; i++) {
        m[i] = calloc(1, sizeof *m[i]);
        if (!m[i]) {
            free(m[0]);
            return -ENOMEM;
        }
        weft__transport_init(&m[i]->base, &mem_ops, loop, true, true);
        m[i]->capacity = opts && opts->capacity ? opts->capacity : DEFAULT_CAPACITY;
        m[i]->chunk = opts ? opts->chunk : 0;
        m[i]->deliver_call.cb = deliver_cb;
        m[i]->deliver_call.ud = m[i];
    }
    m[0]->peer = m[1];
    m[1]->peer = m[0];
    *a = &m[0]->base;
    *b = &m[1]->base;
    weft__transport_start(*a, proto_a, ud_a);
    weft__transport_start(*b, proto_b, ud_b);
    return 0;
}
