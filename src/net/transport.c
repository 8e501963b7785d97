/*
 * transport.c - what every transport shares: the public weft_transport_*
 * calls, the state flags, water marks and the order of protocol callbacks.
 *
 * The invariants kept here, whatever the kind:
 * - connection_made runs before anything else, from the loop;
 * - connection_lost runs exactly once after connection_made, from the loop,
 *   and the transport is destroyed right after it returns;
 * - a transport that never got a protocol is destroyed when closed;
 * - pause_writing / resume_writing alternate.
 * One embedded call node carries connection_made and later connection_lost,
 * so the end is never reported before the start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"

static void made_cb(void *arg);
static void lost_cb(void *arg);

static __thread char *scratch;

void *weft__read_scratch(void)
{
    if (!scratch)
        scratch = malloc(WEFT__READ_SCRATCH);
    return scratch;
}

void weft__transport_init(weft_transport *t, const struct weft__transport_ops *ops,
                          weft_loop *loop, bool can_read, bool can_write)
{
    t->ops = ops;
    t->loop = loop;
    t->flags = (can_read ? WEFT__T_CAN_READ : 0) | (can_write ? WEFT__T_CAN_WRITE : 0);
    t->high = WEFT__HIGH_WATER_DEFAULT;
    t->low = WEFT__HIGH_WATER_DEFAULT / 4;
    t->lost_err = 0;
    t->call.cb = NULL;
    t->peer_str = NULL;
}

/* Reading is on when the protocol is told about the connection, the user
 * did not pause it, and the transport is neither ending nor past EOF. */
static void update_reading(weft_transport *t)
{
    unsigned f = t->flags;
    bool want = (f & WEFT__T_MADE) && (f & WEFT__T_CAN_READ) &&
                !(f & (WEFT__T_PAUSED_R | WEFT__T_CLOSING | WEFT__T_EOF_RECV | WEFT__T_LOST));
    if (want == !!(f & WEFT__T_READING))
        return;
    t->flags ^= WEFT__T_READING;
    if (t->ops->set_reading)
        t->ops->set_reading(t, want);
}

void weft__transport_start(weft_transport *t, const weft_protocol *proto, void *ud)
{
    if (!proto || (t->flags & WEFT__T_STARTED))
        return;
    t->proto = proto;
    t->proto_ud = ud;
    t->flags |= WEFT__T_STARTED;
    t->call.cb = made_cb;
    t->call.ud = t;
    weft__loop_post(t->loop, &t->call);
}

static void made_cb(void *arg)
{
    weft_transport *t = arg;
    bool lost_before = (t->flags & WEFT__T_LOST) != 0;
    t->flags |= WEFT__T_MADE;
    if (t->proto->connection_made)
        t->proto->connection_made(t, t->proto_ud);
    if (lost_before) {
        /* It ended before the protocol heard it began: weft__transport_lost
         * left the report to us. */
        t->call.cb = lost_cb;
        weft__loop_post(t->loop, &t->call);
        return;
    }
    /* Ended inside connection_made (an abort there): weft__transport_lost
     * saw MADE and queued lost_cb already; queueing it again would put the
     * one call node in the list twice. */
    if (t->flags & WEFT__T_LOST)
        return;
    update_reading(t);
}

void weft__transport_lost(weft_transport *t, int err)
{
    if (t->flags & WEFT__T_LOST)
        return;
    t->flags |= WEFT__T_LOST | WEFT__T_CLOSING;
    if (!t->lost_err)
        t->lost_err = err;
    update_reading(t);
    if (!(t->flags & WEFT__T_STARTED)) {
        /* Nobody to tell. If the owner gave up on it, free it from the loop;
         * otherwise set_protocol will report the end after the start. */
        if (t->flags & (WEFT__T_CLOSE_CALLED | WEFT__T_ABORTED)) {
            t->call.cb = lost_cb;
            t->call.ud = t;
            weft__loop_post(t->loop, &t->call);
        }
        return;
    }
    if (!(t->flags & WEFT__T_MADE))
        return; /* made_cb is queued and will queue lost_cb */
    t->call.cb = lost_cb;
    t->call.ud = t;
    weft__loop_post(t->loop, &t->call);
}

static void lost_cb(void *arg)
{
    weft_transport *t = arg;
    if ((t->flags & WEFT__T_MADE) && t->proto->connection_lost) {
        t->flags |= WEFT__T_IN_LOST;
        t->proto->connection_lost(t, t->lost_err, t->proto_ud);
    }
    if (t->server)
        weft__server_conn_remove(t);
    free(t->peer_str);
    t->peer_str = NULL;
    t->ops->destroy(t);
}

void weft__transport_fail(weft_transport *t, int err)
{
    if (t->flags & WEFT__T_LOST)
        return;
    if (!t->lost_err)
        t->lost_err = err;
    if (t->flags & WEFT__T_ABORTED) {
        weft__transport_lost(t, err);
        return;
    }
    t->flags |= WEFT__T_CLOSING | WEFT__T_ABORTED;
    update_reading(t);
    t->ops->abort(t);
}

void weft__transport_deliver(weft_transport *t, const void *data, size_t len)
{
    if (!len || (t->flags & (WEFT__T_CLOSING | WEFT__T_EOF_RECV)) || !t->proto)
        return;
    if (t->proto->data_received)
        t->proto->data_received(t, data, len, t->proto_ud);
}

void *weft__transport_read_buffer(weft_transport *t, size_t *len, bool *direct)
{
    const weft_protocol *p = t->proto;
    if (p && p->get_buffer && p->buffer_updated) {
        size_t n = *len;
        void *buf = p->get_buffer(t, &n, t->proto_ud);
        if (buf && n) {
            *len = n;
            *direct = true;
            return buf;
        }
    }
    *direct = false;
    if (*len > WEFT__READ_SCRATCH)
        *len = WEFT__READ_SCRATCH;
    return weft__read_scratch();
}

void weft__transport_received(weft_transport *t, void *buf, size_t n, bool direct)
{
    if (!n)
        return;
    if (direct) {
        if (!(t->flags & WEFT__T_CLOSING))
            t->proto->buffer_updated(t, n, t->proto_ud);
        return;
    }
    weft__transport_deliver(t, buf, n);
}

void weft__transport_eof(weft_transport *t)
{
    if (t->flags & (WEFT__T_EOF_RECV | WEFT__T_LOST))
        return;
    t->flags |= WEFT__T_EOF_RECV;
    update_reading(t);
    if (t->flags & WEFT__T_CLOSING)
        return;
    bool keep = false;
    if (t->proto && t->proto->eof_received)
        keep = t->proto->eof_received(t, t->proto_ud);
    if (!keep)
        weft_transport_close(t);
}

static void maybe_pause(weft_transport *t)
{
    if ((t->flags & WEFT__T_PAUSED_W) || (t->flags & WEFT__T_LOST))
        return;
    if (t->ops->write_buffer_size(t) > t->high) {
        t->flags |= WEFT__T_PAUSED_W;
        if (t->proto && t->proto->pause_writing)
            t->proto->pause_writing(t, t->proto_ud);
    }
}

void weft__transport_write_drained(weft_transport *t)
{
    if (!(t->flags & WEFT__T_PAUSED_W) || (t->flags & WEFT__T_LOST))
        return;
    if (t->ops->write_buffer_size(t) <= t->low) {
        t->flags &= ~WEFT__T_PAUSED_W;
        if (t->proto && t->proto->resume_writing)
            t->proto->resume_writing(t, t->proto_ud);
    }
}

/* ------------------------------------------------------------ public API */

static int write_check(const weft_transport *t)
{
    if (!(t->flags & WEFT__T_CAN_WRITE))
        return -ENOTSUP;
    if (t->flags & (WEFT__T_CLOSING | WEFT__T_EOF_SENT | WEFT__T_LOST))
        return (t->flags & WEFT__T_LOST) && t->lost_err ? t->lost_err : WEFT_ECLOSED;
    return 0;
}

int weft_transport_writev(weft_transport *t, const struct iovec *iov, int iovcnt)
{
    int err = write_check(t);
    if (err)
        return err;
    if (iovcnt < 0)
        return -EINVAL;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    if (!total)
        return 0;
    err = t->ops->writev(t, iov, iovcnt);
    if (err)
        return err;
    maybe_pause(t);
    return 0;
}

int weft_transport_write(weft_transport *t, const void *data, size_t len)
{
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    return weft_transport_writev(t, &iov, 1);
}

int weft_transport_sendfile(weft_transport *t, int fd, off_t offset, size_t count)
{
    int err = write_check(t);
    if (err)
        return err;
    /* Bad arguments first: the same answer whether or not this transport
     * can splice (a caller falling back on -ENOTSUP would read a bad fd). */
    if (fd < 0 || offset < 0)
        return -EINVAL;
    if (!t->ops->sendfile)
        return -ENOTSUP;
    if (!count)
        return 0;
    err = t->ops->sendfile(t, fd, offset, count);
    if (err)
        return err;
    maybe_pause(t);
    return 0;
}

bool weft_transport_can_write_eof(const weft_transport *t)
{
    return t->ops->write_eof != NULL && (t->flags & WEFT__T_CAN_WRITE);
}

int weft_transport_write_eof(weft_transport *t)
{
    if (!weft_transport_can_write_eof(t))
        return -ENOTSUP;
    if (t->flags & WEFT__T_EOF_SENT)
        return 0;
    if (t->flags & (WEFT__T_CLOSING | WEFT__T_LOST))
        return WEFT_ECLOSED;
    t->flags |= WEFT__T_EOF_SENT;
    return t->ops->write_eof(t);
}

int weft_transport_set_write_buffer_limits(weft_transport *t, size_t high, size_t low)
{
    if (!high && !low) {
        high = WEFT__HIGH_WATER_DEFAULT;
        low = high / 4;
    }
    if (low > high)
        return -EINVAL;
    t->high = high;
    t->low = low;
    maybe_pause(t);
    weft__transport_write_drained(t);
    return 0;
}

void weft_transport_get_write_buffer_limits(const weft_transport *t, size_t *high, size_t *low)
{
    if (high)
        *high = t->high;
    if (low)
        *low = t->low;
}

size_t weft_transport_get_write_buffer_size(const weft_transport *t)
{
    return t->ops->write_buffer_size(t);
}

int weft_transport_pause_reading(weft_transport *t)
{
    if (t->flags & WEFT__T_LOST)
        return WEFT_ECLOSED;
    t->flags |= WEFT__T_PAUSED_R;
    update_reading(t);
    return 0;
}

int weft_transport_resume_reading(weft_transport *t)
{
    if (t->flags & WEFT__T_LOST)
        return WEFT_ECLOSED;
    t->flags &= ~WEFT__T_PAUSED_R;
    update_reading(t);
    return 0;
}

bool weft_transport_is_reading(const weft_transport *t)
{
    /* asyncio's is_reading: not paused by the user and not ending. */
    return (t->flags & WEFT__T_CAN_READ) &&
           !(t->flags & (WEFT__T_PAUSED_R | WEFT__T_CLOSING | WEFT__T_LOST));
}

void weft_transport_close(weft_transport *t)
{
    if (t->flags & (WEFT__T_CLOSING | WEFT__T_LOST)) {
        if (!(t->flags & WEFT__T_STARTED) && !(t->flags & WEFT__T_CLOSE_CALLED) &&
            (t->flags & WEFT__T_LOST)) {
            /* Ended before anyone took it: the owner gives it up now. */
            t->flags |= WEFT__T_CLOSE_CALLED;
            t->call.cb = lost_cb;
            t->call.ud = t;
            weft__loop_post(t->loop, &t->call);
        }
        return;
    }
    t->flags |= WEFT__T_CLOSING | WEFT__T_CLOSE_CALLED;
    update_reading(t);
    t->ops->close(t);
}

void weft_transport_abort(weft_transport *t)
{
    if (t->flags & WEFT__T_ABORTED) {
        weft_transport_close(t); /* the unstarted-and-ended case */
        return;
    }
    if (t->flags & WEFT__T_LOST) {
        weft_transport_close(t);
        return;
    }
    t->flags |= WEFT__T_CLOSING | WEFT__T_ABORTED;
    update_reading(t);
    t->ops->abort(t);
}

bool weft_transport_is_closing(const weft_transport *t)
{
    return (t->flags & (WEFT__T_CLOSING | WEFT__T_LOST)) != 0;
}

void weft_transport_set_protocol(weft_transport *t, const weft_protocol *proto, void *ud)
{
    if (!(t->flags & WEFT__T_STARTED)) {
        weft__transport_start(t, proto, ud);
        return;
    }
    if (!proto)
        return;
    t->proto = proto;
    t->proto_ud = ud;
}

const weft_protocol *weft_transport_get_protocol(const weft_transport *t)
{
    return t->proto;
}

void *weft_transport_get_protocol_ud(const weft_transport *t)
{
    return t->proto_ud;
}

weft_loop *weft_transport_loop(const weft_transport *t)
{
    return t->loop;
}

int weft_transport_fd(const weft_transport *t)
{
    return t->ops->fd ? t->ops->fd(t) : -1;
}

int weft_transport_peername(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len)
{
    return t->ops->peername ? t->ops->peername(t, ss, len) : -ENOTSOCK;
}

int weft_transport_sockname(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len)
{
    return t->ops->sockname ? t->ops->sockname(t, ss, len) : -ENOTSOCK;
}

const char *weft_transport_peer_str(weft_transport *t)
{
    if (t->peer_str)
        return t->peer_str;
    struct sockaddr_storage ss = {0}; /* an unnamed Unix peer fills in only the family */
    socklen_t len = sizeof ss;
    char tmp[160];
    if (weft_transport_peername(t, &ss, &len) != 0 ||
        weft_addr_format_py((struct sockaddr *)&ss, tmp, sizeof tmp) < 0)
        return "";
    t->peer_str = strdup(tmp);
    return t->peer_str ? t->peer_str : "";
}

const char *weft_transport_kind(const weft_transport *t)
{
    return t->ops->kind;
}
