/*
 * stream.c - coroutine streams on top of a transport: the stream is the
 * transport's protocol, and each suspending call parks the task on a waiter
 * that a protocol callback wakes.
 *
 * Reading: a task that finds the buffer empty parks with its own buffer
 * offered to the transport (get_buffer), so the kernel copies straight into
 * it; bytes that come while nobody reads go to the stream's buffer, which is
 * allocated on demand and freed (into a one-block per-thread spare) when it
 * empties. An idle stream parked in read therefore owns no buffer at all.
 *
 * Lifetime: the stream is freed when its owner released it (close / free, or
 * the server after the handler), its transport is gone, and no suspending
 * call on it is still unwinding (busy == 0).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream/stream_int.h"

#define RBUF_BLOCK (64u * 1024u)
#define SENDFILE_CHUNK (64u * 1024u)

struct reader {
    struct weft__wait w;
    weft_stream *s;
    char *direct;       /* caller memory offered for zero-copy receive, or NULL */
    size_t direct_len;
    size_t got;         /* bytes received straight into direct */
    size_t need;        /* wake once got >= need */
};

struct waiter {
    struct weft__wait w;
    weft_stream *s;
    bool for_close;     /* wait_closed / close: until the transport is gone */
    struct waiter *prev, *next;
};

struct connect_wait {
    struct weft__wait w;
    weft_stream *s;
};

struct weft_stream {
    weft_transport *t;
    weft_loop *loop;
    char *rbuf;
    size_t rstart, rend, rcap;
    size_t limit;
    size_t partial;
    int err;            /* the connection's error, sticky */
    bool eof;           /* nothing more will arrive */
    bool lost;          /* the transport is gone */
    bool closed_by_us;  /* close / abort / free was called */
    bool read_paused;   /* we paused the transport (buffer over 2 x limit) */
    bool write_paused;  /* the transport said pause_writing */
    bool released;      /* the owner let go: free when lost and idle */
    bool borrowed;      /* a server handler's: close does not release */
    bool abandoned;     /* connect interrupted: the connect cb cleans up */
    int busy;           /* suspending calls in progress */
    int connect_status;
    struct reader *reader;
    struct waiter *waiters;
    struct connect_wait *cwait;
    weft_connect_req *creq;
    char *peer;
    struct weft__stream_link link;
};

/* ------------------------------------------------------------ the buffer */

static __thread char *spare_block; /* one freed RBUF_BLOCK kept for reuse */

static void rbuf_free(weft_stream *s)
{
    if (s->rcap == RBUF_BLOCK && !spare_block)
        spare_block = s->rbuf;
    else
        free(s->rbuf);
    s->rbuf = NULL;
    s->rstart = s->rend = s->rcap = 0;
}

static size_t buffered(const weft_stream *s)
{
    return s->rend - s->rstart;
}

static int rbuf_append(weft_stream *s, const void *data, size_t n)
{
    if (s->rcap - s->rend < n) {
        size_t used = buffered(s);
        if (s->rstart) {
            memmove(s->rbuf, s->rbuf + s->rstart, used);
            s->rstart = 0;
            s->rend = used;
        }
        if (s->rcap - used < n) {
            size_t cap = s->rcap ? s->rcap : RBUF_BLOCK;
            while (cap - used < n)
                cap *= 2;
            char *b;
            if (!s->rbuf && cap == RBUF_BLOCK && spare_block) {
                b = spare_block;
                spare_block = NULL;
            } else {
                b = realloc(s->rbuf, cap);
            }
            if (!b)
                return -ENOMEM;
            s->rbuf = b;
            s->rcap = cap;
        }
    }
    memcpy(s->rbuf + s->rend, data, n);
    s->rend += n;
    return 0;
}

static void check_resume_reading(weft_stream *s)
{
    if (s->read_paused && s->t && buffered(s) <= s->limit) {
        s->read_paused = false;
        weft_transport_resume_reading(s->t);
    }
}

/* Move n buffered bytes to dst (NULL: drop them). */
static void take(weft_stream *s, void *dst, size_t n)
{
    if (dst)
        memcpy(dst, s->rbuf + s->rstart, n);
    s->rstart += n;
    if (s->rstart == s->rend)
        rbuf_free(s);
    check_resume_reading(s);
}

/* ------------------------------------------------------------ waking */

static void wake_reader(weft_stream *s, int result)
{
    struct reader *r = s->reader;
    if (!r)
        return;
    s->reader = NULL;
    weft__task_wake(&r->w, result);
}

static void waiter_unlink(struct waiter *w)
{
    weft_stream *s = w->s;
    if (w->prev)
        w->prev->next = w->next;
    else if (s->waiters == w)
        s->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

static void wake_waiters(weft_stream *s, bool all, int result)
{
    for (struct waiter *w = s->waiters, *next; w; w = next) {
        next = w->next;
        if (all || !w->for_close) {
            waiter_unlink(w);
            weft__task_wake(&w->w, result);
        }
    }
}

static void stream_destroy(weft_stream *s)
{
    rbuf_free(s);
    free(s->peer);
    free(s);
}

static void maybe_free(weft_stream *s)
{
    if (s->released && (s->lost || !s->t) && s->busy == 0 && !s->creq)
        stream_destroy(s);
}

/* ------------------------------------------------------------ protocol */

static void p_made(weft_transport *t, void *ud)
{
    weft_stream *s = ud;
    s->t = t;
}

static void p_data(weft_transport *t, const void *data, size_t len, void *ud)
{
    weft_stream *s = ud;
    int err = rbuf_append(s, data, len);
    if (err) {
        s->err = err;
        weft_transport_abort(t);
        wake_reader(s, err);
        return;
    }
    if (!s->read_paused && buffered(s) > 2 * s->limit) {
        s->read_paused = true;
        weft_transport_pause_reading(t);
    }
    wake_reader(s, 0);
}

static void *p_get_buffer(weft_transport *t, size_t *len, void *ud)
{
    weft_stream *s = ud;
    struct reader *r = s->reader;
    if (!r || !r->direct || buffered(s))
        return NULL;
    *len = r->direct_len - r->got;
    return r->direct + r->got;
}

static void p_buffer_updated(weft_transport *t, size_t n, void *ud)
{
    weft_stream *s = ud;
    struct reader *r = s->reader;
    r->got += n;
    if (r->got >= r->need)
        wake_reader(s, 0);
}

static bool p_eof(weft_transport *t, void *ud)
{
    weft_stream *s = ud;
    s->eof = true;
    wake_reader(s, 0);
    return true; /* keep writing possible; close() ends it */
}

static void p_lost(weft_transport *t, int err, void *ud)
{
    weft_stream *s = ud;
    s->t = NULL;
    s->lost = true;
    s->eof = true;
    if (err && !s->err)
        s->err = err;
    wake_reader(s, 0);
    wake_waiters(s, true, 0);
    maybe_free(s);
}

static void p_pause(weft_transport *t, void *ud)
{
    ((weft_stream *)ud)->write_paused = true;
}

static void p_resume(weft_transport *t, void *ud)
{
    weft_stream *s = ud;
    s->write_paused = false;
    wake_waiters(s, false, 0);
}

const weft_protocol weft__stream_protocol = {
    .connection_made = p_made,
    .data_received = p_data,
    .eof_received = p_eof,
    .connection_lost = p_lost,
    .pause_writing = p_pause,
    .resume_writing = p_resume,
    .get_buffer = p_get_buffer,
    .buffer_updated = p_buffer_updated,
};

/* ------------------------------------------------------------ making */

weft_stream *weft__stream_new(weft_loop *loop)
{
    weft_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->loop = loop;
    s->limit = WEFT_STREAM_DEFAULT_LIMIT;
    return s;
}

void weft__stream_set_transport(weft_stream *s, weft_transport *t)
{
    s->t = t;
}

void weft__stream_set_borrowed(weft_stream *s, bool borrowed)
{
    s->borrowed = borrowed;
}

struct weft__stream_link *weft__stream_link(weft_stream *s)
{
    return &s->link;
}

int weft_stream_attach(weft_transport *t, weft_stream **out)
{
    if (!t || !out)
        return -EINVAL;
    if (t->flags & WEFT__T_STARTED)
        return -EBUSY;
    weft_stream *s = weft__stream_new(t->loop);
    if (!s)
        return -ENOMEM;
    s->t = t;
    weft_transport_set_protocol(t, &weft__stream_protocol, s);
    *out = s;
    return 0;
}

int weft_stream_open_fd(int fd, unsigned flags, weft_stream **out)
{
    weft_loop *loop = weft__current_loop;
    if (!loop || !out) {
        if (fd >= 0 && !(flags & WEFT_FD_KEEP))
            close(fd);
        return -EINVAL;
    }
    weft_transport *t;
    int err = weft_transport_open_fd(loop, fd, flags, NULL, NULL, &t);
    if (err)
        return err;
    err = weft_stream_attach(t, out);
    if (err)
        weft_transport_abort(t);
    return err;
}

int weft_stream_memory_pair(weft_loop *loop, const weft_memory_pair_opts *opts,
                            weft_stream **a, weft_stream **b)
{
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !a || !b)
        return -EINVAL;
    weft_transport *ta, *tb;
    int err = weft_memory_pair_open(loop, opts, NULL, NULL, NULL, NULL, &ta, &tb);
    if (err)
        return err;
    if ((err = weft_stream_attach(ta, a)) != 0) {
        weft_transport_abort(ta);
        weft_transport_abort(tb);
        return err;
    }
    if ((err = weft_stream_attach(tb, b)) != 0) {
        weft_stream_free(*a);
        weft_transport_abort(tb);
        return err;
    }
    return 0;
}

/* Connecting: the request's callback owns the stream once the waiting task
 * gave up (cancelled, deadline), and cleans up whatever comes. */
static void connect_unhook(struct weft__wait *w)
{
    struct connect_wait *cw = (struct connect_wait *)w;
    weft_stream *s = cw->s;
    s->abandoned = true;
    s->cwait = NULL;
    if (s->creq)
        weft_connect_cancel(s->creq);
}

static void connect_done(weft_transport *t, int status, void *ud)
{
    weft_stream *s = ud;
    s->creq = NULL;
    if (s->abandoned) {
        if (t) {
            s->released = true;
            s->closed_by_us = true;
            weft_transport_abort(t); /* p_lost frees s */
        } else {
            stream_destroy(s);
        }
        return;
    }
    s->connect_status = status;
    if (t)
        s->t = t;
    struct connect_wait *cw = s->cwait;
    s->cwait = NULL;
    if (cw)
        weft__task_wake(&cw->w, 0);
}

static int connect_wait(weft_stream *s, weft_stream **out)
{
    struct connect_wait cw = {.w.unhook = connect_unhook, .s = s};
    s->cwait = &cw;
    int r = weft__task_wait(&cw.w);
    if (r < 0)
        return r; /* s belongs to connect_done now */
    if (s->connect_status < 0) {
        r = s->connect_status;
        stream_destroy(s);
        return r;
    }
    *out = s;
    return 0;
}

int weft_stream_open_connection(const char *host, uint16_t port, const weft_connect_opts *opts,
                                weft_stream **out)
{
    if (!weft__current_task)
        return -EPERM;
    if (!out)
        return -EINVAL;
    weft_stream *s = weft__stream_new(weft__current_loop);
    if (!s)
        return -ENOMEM;
    int err = weft_tcp_connect(s->loop, host, port, opts, &weft__stream_protocol, s,
                               connect_done, s, &s->creq);
    if (err) {
        stream_destroy(s);
        return err;
    }
    return connect_wait(s, out);
}

int weft_stream_open_unix_connection(const char *path, const weft_connect_opts *opts,
                                     weft_stream **out)
{
    if (!weft__current_task)
        return -EPERM;
    if (!out)
        return -EINVAL;
    weft_stream *s = weft__stream_new(weft__current_loop);
    if (!s)
        return -ENOMEM;
    int err = weft_unix_connect(s->loop, path, opts, &weft__stream_protocol, s, connect_done, s,
                                &s->creq);
    if (err) {
        stream_destroy(s);
        return err;
    }
    return connect_wait(s, out);
}

/* ------------------------------------------------------------ reading */

static void reader_unhook(struct weft__wait *w)
{
    struct reader *r = (struct reader *)w;
    if (r->s->reader == r)
        r->s->reader = NULL;
}

/* 1 while more may come, else what a read returns once the buffer is empty. */
static int end_state(const weft_stream *s)
{
    if (s->closed_by_us)
        return WEFT_ECLOSED;
    if (s->err)
        return s->err;
    if (s->eof)
        return 0;
    return 1;
}

static int wait_input(weft_stream *s, struct reader *r)
{
    if (s->reader)
        return -EBUSY; /* another task is reading */
    r->s = s;
    r->w.unhook = reader_unhook;
    s->reader = r;
    if (s->read_paused)
        check_resume_reading(s);
    return weft__task_wait(&r->w);
}

static void op_end(weft_stream *s)
{
    s->busy--;
    maybe_free(s);
}

int weft_stream_read(weft_stream *s, void *buf, size_t n)
{
    if (!weft__current_task)
        return -EPERM;
    if (n > INT32_MAX)
        n = INT32_MAX;
    if (!n)
        return 0;
    s->busy++;
    int r;
    for (;;) {
        size_t have = buffered(s);
        if (have) {
            size_t k = have < n ? have : n;
            take(s, buf, k);
            r = (int)k;
            break;
        }
        r = end_state(s);
        if (r <= 0)
            break;
        struct reader rd = {.direct = buf, .direct_len = n, .need = 1};
        r = wait_input(s, &rd);
        if (rd.got) {
            r = (int)rd.got;
            break;
        }
        if (r < 0)
            break;
    }
    op_end(s);
    return r;
}

int weft_stream_readexactly(weft_stream *s, void *buf, size_t n)
{
    if (!weft__current_task)
        return -EPERM;
    if (n > INT32_MAX)
        return -EINVAL;
    s->busy++;
    s->partial = 0;
    char *p = buf;
    size_t have = 0;
    int r;
    for (;;) {
        size_t b = buffered(s);
        if (b) {
            size_t k = b < n - have ? b : n - have;
            take(s, p + have, k);
            have += k;
        }
        if (have == n) {
            r = (int)n;
            break;
        }
        r = end_state(s);
        if (r <= 0) {
            if (r == 0)
                r = WEFT_EINCOMPLETE;
            break;
        }
        struct reader rd = {.direct = p + have, .direct_len = n - have, .need = n - have};
        r = wait_input(s, &rd);
        have += rd.got;
        if (r < 0)
            break;
    }
    if (r < 0)
        s->partial = have;
    op_end(s);
    return r;
}

static const char *find(const char *hay, size_t hlen, const char *sep, size_t seplen)
{
    if (seplen == 1)
        return memchr(hay, sep[0], hlen);
    return memmem(hay, hlen, sep, seplen);
}

int weft_stream_readuntil(weft_stream *s, const void *sep, size_t seplen, void *buf, size_t cap)
{
    if (!weft__current_task)
        return -EPERM;
    if (!sep || !seplen || !buf)
        return -EINVAL;
    size_t eff = s->limit < cap ? s->limit : cap;
    if (eff > INT32_MAX)
        eff = INT32_MAX;
    s->busy++;
    s->partial = 0;
    size_t from = 0; /* no separator starts before this offset */
    int r;
    for (;;) {
        size_t b = buffered(s);
        /* rbuf is NULL while nothing is buffered: no arithmetic on it then. */
        const char *base = b ? s->rbuf + s->rstart : NULL;
        const char *hit = b > from ? find(base + from, b - from, sep, seplen) : NULL;
        if (hit) {
            size_t len = (size_t)(hit - base) + seplen;
            if (len > eff) {
                r = WEFT_ELIMIT_OVERRUN;
                break;
            }
            take(s, buf, len);
            r = (int)len;
            break;
        }
        if (b >= eff) {
            r = WEFT_ELIMIT_OVERRUN;
            break;
        }
        from = b >= seplen ? b - seplen + 1 : 0;
        r = end_state(s);
        if (r <= 0) {
            if (r == 0 && b) {
                take(s, buf, b);
                s->partial = b;
                r = WEFT_EINCOMPLETE;
            }
            break;
        }
        struct reader rd = {.direct = NULL};
        r = wait_input(s, &rd);
        if (r < 0)
            break;
    }
    op_end(s);
    return r;
}

int weft_stream_readline(weft_stream *s, void *buf, size_t cap)
{
    int r = weft_stream_readuntil(s, "\n", 1, buf, cap);
    if (r == WEFT_EINCOMPLETE)
        return (int)s->partial;
    if (r == WEFT_ELIMIT_OVERRUN) {
        /* Drop the overlong line: through its newline if it is here. */
        size_t b = buffered(s);
        const char *nl = b ? memchr(s->rbuf + s->rstart, '\n', b) : NULL;
        take(s, NULL, nl ? (size_t)(nl - (s->rbuf + s->rstart)) + 1 : b);
    }
    return r;
}

size_t weft_stream_partial(const weft_stream *s)
{
    return s->partial;
}

bool weft_stream_at_eof(const weft_stream *s)
{
    return s->eof && !buffered(s);
}

size_t weft_stream_buffered(const weft_stream *s)
{
    return buffered(s);
}

int weft_stream_set_limit(weft_stream *s, size_t limit)
{
    s->limit = limit ? limit : WEFT_STREAM_DEFAULT_LIMIT;
    check_resume_reading(s);
    return 0;
}

size_t weft_stream_limit(const weft_stream *s)
{
    return s->limit;
}

/* ------------------------------------------------------------ writing */

static int write_state(const weft_stream *s)
{
    if (s->closed_by_us)
        return WEFT_ECLOSED;
    if (!s->t)
        return s->err ? s->err : -EPIPE;
    return 0;
}

int weft_stream_write(weft_stream *s, const void *data, size_t len)
{
    int err = write_state(s);
    return err ? err : weft_transport_write(s->t, data, len);
}

int weft_stream_writev(weft_stream *s, const struct iovec *iov, int iovcnt)
{
    int err = write_state(s);
    return err ? err : weft_transport_writev(s->t, iov, iovcnt);
}

static void waiter_unhook(struct weft__wait *w)
{
    waiter_unlink((struct waiter *)w);
}

static int wait_on(weft_stream *s, bool for_close, bool shielded)
{
    struct waiter w = {.w.unhook = waiter_unhook, .s = s, .for_close = for_close};
    w.next = s->waiters;
    if (s->waiters)
        s->waiters->prev = &w;
    s->waiters = &w;
    int r = shielded ? weft__task_wait_shielded(&w.w) : weft__task_wait(&w.w);
    return r;
}

int weft_stream_drain(weft_stream *s)
{
    if (!weft__current_task)
        return -EPERM;
    s->busy++;
    int r;
    for (;;) {
        r = write_state(s);
        if (r)
            break;
        if (s->err) {
            r = s->err;
            break;
        }
        if (weft_transport_is_closing(s->t)) {
            /* Ending without our close (a write failed, the peer reset):
             * wait for connection_lost and report its error, as asyncio's
             * drain does, rather than say all is well. */
            r = wait_on(s, true, false);
            if (r < 0)
                break;
            continue;
        }
        if (!s->write_paused)
            break;
        r = wait_on(s, false, false);
        if (r < 0)
            break;
    }
    op_end(s);
    return r;
}

int weft_stream_set_write_buffer_limits(weft_stream *s, size_t high, size_t low)
{
    if (!s->t)
        return WEFT_ECLOSED;
    return weft_transport_set_write_buffer_limits(s->t, high, low);
}

size_t weft_stream_write_buffer_size(const weft_stream *s)
{
    return s->t ? weft_transport_get_write_buffer_size(s->t) : 0;
}

int weft_stream_write_eof(weft_stream *s)
{
    int err = write_state(s);
    return err ? err : weft_transport_write_eof(s->t);
}

bool weft_stream_can_write_eof(const weft_stream *s)
{
    return s->t && weft_transport_can_write_eof(s->t);
}

int64_t weft_stream_sendfile(weft_stream *s, int fd, off_t offset, size_t count)
{
    if (!weft__current_task)
        return -EPERM;
    int err = write_state(s);
    if (err)
        return err;
    err = weft_transport_sendfile(s->t, fd, offset, count); /* -EINVAL before -ENOTSUP */
    if (err == 0) {
        err = weft_stream_drain(s);
        return err < 0 ? err : (int64_t)count;
    }
    if (err != -ENOTSUP)
        return err;
    /* The transport cannot splice (TLS, memory): copy through a buffer. */
    char *buf = malloc(SENDFILE_CHUNK);
    if (!buf)
        return -ENOMEM;
    int64_t sent = 0;
    while ((size_t)sent < count) {
        size_t want = count - (size_t)sent < SENDFILE_CHUNK ? count - (size_t)sent : SENDFILE_CHUNK;
        ssize_t n = pread(fd, buf, want, offset + sent);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sent = -errno;
            break;
        }
        if (n == 0)
            break; /* the file is shorter: report what went out */
        err = weft_stream_write(s, buf, (size_t)n);
        if (!err)
            err = weft_stream_drain(s);
        if (err) {
            sent = err;
            break;
        }
        sent += n;
    }
    free(buf);
    return sent;
}

/* ------------------------------------------------------------ ending */

static void begin_close(weft_stream *s, bool abort)
{
    if (!s->closed_by_us) {
        s->closed_by_us = true;
        wake_reader(s, WEFT_ECLOSED);
        wake_waiters(s, false, WEFT_ECLOSED);
    }
    if (s->t) {
        if (abort)
            weft_transport_abort(s->t);
        else
            weft_transport_close(s->t);
    }
}

void weft_stream_free(weft_stream *s)
{
    if (!s)
        return;
    begin_close(s, false);
    if (!s->borrowed) {
        s->released = true;
        maybe_free(s);
    }
}

void weft_stream_abort(weft_stream *s)
{
    begin_close(s, true);
}

int weft_stream_wait_closed(weft_stream *s)
{
    if (!weft__current_task)
        return -EPERM;
    s->busy++;
    int r = 0;
    while (!s->lost && s->t) {
        r = wait_on(s, true, false);
        if (r < 0)
            break;
    }
    if (r == 0)
        r = s->err;
    op_end(s);
    return r;
}

int weft_stream_close(weft_stream *s)
{
    if (!weft__current_task) {
        weft_stream_free(s);
        return -EPERM;
    }
    begin_close(s, false);
    s->busy++;
    int r = 0;
    while (!s->lost && s->t) {
        r = wait_on(s, true, false);
        if (r < 0) {
            /* Interrupted: do not wait for the flush, drop the connection. */
            begin_close(s, true);
            break;
        }
    }
    if (r == 0)
        r = s->err;
    s->busy--;
    if (!s->borrowed)
        s->released = true;
    maybe_free(s);
    return r;
}

bool weft_stream_is_closing(const weft_stream *s)
{
    return s->closed_by_us || !s->t || weft_transport_is_closing(s->t);
}

/* ------------------------------------------------------------ info */

weft_transport *weft_stream_transport(const weft_stream *s)
{
    return s->t;
}

int weft_stream_peername(const weft_stream *s, struct sockaddr_storage *ss, socklen_t *len)
{
    return s->t ? weft_transport_peername(s->t, ss, len) : -ENOTCONN;
}

int weft_stream_sockname(const weft_stream *s, struct sockaddr_storage *ss, socklen_t *len)
{
    return s->t ? weft_transport_sockname(s->t, ss, len) : -ENOTCONN;
}

const char *weft_stream_peer_str(weft_stream *s)
{
    if (s->peer)
        return s->peer;
    /* Kept by the stream so that it outlives the transport (a handler logs
     * "Disconnected: ..." after the peer went away). */
    const char *p = s->t ? weft_transport_peer_str(s->t) : "";
    if (!*p)
        return "";
    s->peer = strdup(p);
    return s->peer ? s->peer : "";
}
