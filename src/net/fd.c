/*
 * fd.c - the transport over a file descriptor: TCP and Unix stream sockets,
 * pipe ends, ttys.
 *
 * Writing: when nothing is queued, a write goes straight to the kernel
 * (writev / sendmsg with MSG_NOSIGNAL), and only what it did not take is
 * copied into the queue; the fd is watched for writability only while the
 * queue is not empty. The queue is a list of data chunks (small writes are
 * packed into the last chunk) and file ranges (sendfile), flushed in order,
 * data chunks gathered into one writev. An empty queue holds no memory.
 *
 * Reading: one read per readiness event, into the protocol's buffer when it
 * offers one (get_buffer), else into the per-thread scratch buffer.
 *
 * Hang-ups while nobody reads (EPOLLHUP is reported even with no events of
 * interest, and epoll is level-triggered): the watcher is dropped until
 * reading or writing needs it again, so a paused transport does not spin.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net_int.h"
#include "net/sock_int.h"

#define CHUNK_MIN (16u * 1024u)
#define MAX_IOV 64

enum { ITEM_DATA, ITEM_FILE };

struct item {
    struct item *next;
    int kind;
    size_t len;   /* DATA: bytes stored; FILE: bytes left to send */
    size_t off;   /* DATA: bytes already sent */
    size_t cap;   /* DATA: room in data[] */
    int fd;       /* FILE: our dup of the file */
    off_t foff;   /* FILE: next offset */
    char data[];
};

struct fd_transport {
    weft_transport base;
    int fd;
    weft_io *io;
    unsigned fdflags;
    bool is_sock;
    bool reading;      /* base wants data */
    bool hup_parked;   /* watcher dropped after a hang-up nobody listened to */
    bool eof_pending;  /* write_eof once the queue is empty */
    bool close_pending;/* close once the queue is empty */
    bool released;
    struct item *head, *tail;
    size_t queued;     /* bytes in the queue */
};

static void io_cb(weft_io *io, unsigned events, void *ud);

static int fd_watch(struct fd_transport *ft)
{
    if (ft->released)
        return 0;
    unsigned ev = (ft->reading ? WEFT_READABLE : 0) | (ft->head ? WEFT_WRITABLE : 0);
    if (!ft->io) {
        /* A write-only transport stays registered with no interest while its
         * queue is empty, so that a reader going away (EPOLLERR on a pipe)
         * is reported at once, not at the next write (as asyncio does). */
        if (!ev && (ft->base.flags & WEFT__T_CAN_READ))
            return 0;
        int err = weft_io_open(ft->base.loop, ft->fd, io_cb, ft, &ft->io);
        if (err)
            return err;
        ft->hup_parked = false;
    }
    return weft_io_watch(ft->io, ev);
}

static void free_queue(struct fd_transport *ft)
{
    while (ft->head) {
        struct item *it = ft->head;
        ft->head = it->next;
        if (it->kind == ITEM_FILE)
            close(it->fd);
        free(it);
    }
    ft->tail = NULL;
    ft->queued = 0;
}

/* Give the fd back (close it unless KEEP); the base destroys us later. */
static void release(struct fd_transport *ft)
{
    if (ft->released)
        return;
    ft->released = true;
    if (ft->io) {
        weft_io_close(ft->io);
        ft->io = NULL;
    }
    if (!(ft->fdflags & WEFT_FD_KEEP))
        close(ft->fd);
    free_queue(ft);
}

static void finish(struct fd_transport *ft, int err)
{
    release(ft);
    weft__transport_lost(&ft->base, err);
}

static ssize_t do_writev(struct fd_transport *ft, const struct iovec *iov, int n)
{
    ssize_t r;
    do {
        if (ft->is_sock && n == 1) {
            /* The common case; send() skips sendmsg's msghdr copy-in. */
            r = send(ft->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
        } else if (ft->is_sock) {
            struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n};
            r = sendmsg(ft->fd, &mh, MSG_NOSIGNAL);
        } else {
            r = writev(ft->fd, iov, n);
        }
    } while (r < 0 && errno == EINTR);
    return r;
}

static int append_data(struct fd_transport *ft, const char *p, size_t n)
{
    struct item *t = ft->tail;
    if (t && t->kind == ITEM_DATA && t->cap - t->len >= n) {
        memcpy(t->data + t->len, p, n);
        t->len += n;
        ft->queued += n;
        return 0;
    }
    size_t cap = n < CHUNK_MIN ? CHUNK_MIN : n;
    struct item *it = malloc(sizeof *it + cap);
    if (!it)
        return -ENOMEM;
    it->next = NULL;
    it->kind = ITEM_DATA;
    it->len = n;
    it->off = 0;
    it->cap = cap;
    memcpy(it->data, p, n);
    if (ft->tail)
        ft->tail->next = it;
    else
        ft->head = it;
    ft->tail = it;
    ft->queued += n;
    return 0;
}

/* Send from the queue until it is empty or the kernel is full. Returns 0 or
 * -errno for a fatal error. */
static int flush(struct fd_transport *ft)
{
    while (ft->head) {
        struct item *it = ft->head;
        if (it->kind == ITEM_FILE) {
            size_t want = it->len > (1u << 30) ? (1u << 30) : it->len;
            ssize_t r;
            do
                r = weft__sendfile_nosigpipe(ft->fd, it->fd, &it->foff, want);
            while (r < 0 && errno == EINTR);
            if (r < 0)
                return errno == EAGAIN ? 0 : -errno;
            if (r == 0)
                return -EIO; /* the file is shorter than promised */
            it->len -= (size_t)r;
            ft->queued -= (size_t)r;
            if (it->len)
                continue; /* sendfile may stop short without EAGAIN */
            ft->head = it->next;
            if (!ft->head)
                ft->tail = NULL;
            close(it->fd);
            free(it);
            continue;
        }
        struct iovec iov[MAX_IOV];
        int n = 0;
        size_t total = 0;
        for (struct item *x = it; x && x->kind == ITEM_DATA && n < MAX_IOV; x = x->next) {
            iov[n].iov_base = x->data + x->off;
            iov[n].iov_len = x->len - x->off;
            total += iov[n].iov_len;
            n++;
        }
        ssize_t r = do_writev(ft, iov, n);
        if (r < 0)
            return errno == EAGAIN ? 0 : -errno;
        size_t done = (size_t)r;
        ft->queued -= done;
        while (done) {
            struct item *x = ft->head;
            size_t left = x->len - x->off;
            if (done < left) {
                x->off += done;
                break;
            }
            done -= left;
            ft->head = x->next;
            if (!ft->head)
                ft->tail = NULL;
            free(x);
        }
        if ((size_t)r < total)
            return 0; /* the kernel is full */
    }
    return 0;
}

/* After the queue emptied: the half-close or close that waited for it. */
static void queue_empty(struct fd_transport *ft)
{
    if (ft->close_pending) {
        finish(ft, 0);
        return;
    }
    if (ft->eof_pending) {
        ft->eof_pending = false;
        if (ft->is_sock) {
            shutdown(ft->fd, SHUT_WR);
        } else if (!(ft->base.flags & WEFT__T_CAN_READ)) {
            /* A write-only pipe: EOF is closing our end. */
            finish(ft, 0);
            return;
        }
    }
}

static void on_writable(struct fd_transport *ft)
{
    int err = flush(ft);
    if (err) {
        weft__transport_fail(&ft->base, err);
        return;
    }
    weft__transport_write_drained(&ft->base); /* may write, close, abort */
    if (ft->released)
        return;
    if (!ft->head)
        queue_empty(ft);
    if (!ft->released)
        fd_watch(ft);
}

static void on_readable(struct fd_transport *ft)
{
    size_t len = WEFT__READ_SCRATCH;
    bool direct;
    void *buf = weft__transport_read_buffer(&ft->base, &len, &direct);
    ssize_t r;
    do
        r = read(ft->fd, buf, len);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        weft__transport_received(&ft->base, buf, (size_t)r, direct);
        return;
    }
    if (r == 0) {
        weft__transport_eof(&ft->base);
        return;
    }
    if (errno == EAGAIN)
        return;
    weft__transport_fail(&ft->base, -errno);
}

static int sock_error(int fd)
{
    int e = 0;
    socklen_t l = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) != 0)
        return 0;
    return -e;
}

static void io_cb(weft_io *io, unsigned events, void *ud)
{
    struct fd_transport *ft = ud;
    weft_transport *t = &ft->base;
    if ((events & WEFT_WRITABLE) && ft->head) {
        on_writable(ft);
        if (ft->released)
            return;
    }
    if ((events & WEFT_READABLE) && ft->reading) {
        on_readable(ft);
        if (ft->released)
            return;
    }
    if ((events & WEFT_HANGUP) && !(events & (WEFT_READABLE | WEFT_WRITABLE))) {
        /* Nobody listens for what the hang-up concerns. */
        int err = ft->is_sock ? sock_error(ft->fd) : 0;
        if (!(t->flags & WEFT__T_CAN_READ)) {
            /* A write-only pipe whose reader went away. */
            weft__transport_fail(t, err ? err : -EPIPE);
            return;
        }
        if (err) {
            weft__transport_fail(t, err);
            return;
        }
        /* Paused reader: stop the level-triggered hang-up from spinning until
         * reading resumes (the read will then see EOF). */
        weft_io_close(ft->io);
        ft->io = NULL;
        ft->hup_parked = true;
    }
}

/* ------------------------------------------------------------------ ops */

static int fd_writev(weft_transport *t, const struct iovec *iov, int iovcnt)
{
    struct fd_transport *ft = (struct fd_transport *)t;
    int first = 0;
    size_t skip = 0;
    if (!ft->head) {
        /* Straight to the kernel; only the rest is copied. */
        int n = iovcnt < MAX_IOV ? iovcnt : MAX_IOV;
        ssize_t r = do_writev(ft, iov, n);
        if (r < 0) {
            if (errno != EAGAIN) {
                int err = -errno;
                weft__transport_fail(t, err);
                return err;
            }
            r = 0;
        }
        size_t done = (size_t)r;
        while (first < iovcnt && done >= iov[first].iov_len) {
            done -= iov[first].iov_len;
            first++;
        }
        skip = done;
    }
    for (int i = first; i < iovcnt; i++) {
        const char *p = (const char *)iov[i].iov_base + (i == first ? skip : 0);
        size_t n = iov[i].iov_len - (i == first ? skip : 0);
        if (!n)
            continue;
        int err = append_data(ft, p, n);
        if (err) {
            weft__transport_fail(t, err);
            return err;
        }
    }
    if (ft->head) {
        int err = fd_watch(ft);
        if (err) {
            weft__transport_fail(t, err);
            return err;
        }
    }
    return 0;
}

static int fd_sendfile(weft_transport *t, int fd, off_t offset, size_t count)
{
    struct fd_transport *ft = (struct fd_transport *)t;
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
        return -errno;
    struct item *it = malloc(sizeof *it);
    if (!it) {
        close(dup);
        return -ENOMEM;
    }
    it->next = NULL;
    it->kind = ITEM_FILE;
    it->len = count;
    it->off = it->cap = 0;
    it->fd = dup;
    it->foff = offset;
    bool was_empty = !ft->head;
    if (ft->tail)
        ft->tail->next = it;
    else
        ft->head = it;
    ft->tail = it;
    ft->queued += count;
    if (was_empty) {
        int err = flush(ft);
        if (err) {
            weft__transport_fail(t, err);
            return err;
        }
    }
    int err = fd_watch(ft);
    if (err) {
        weft__transport_fail(t, err);
        return err;
    }
    return 0;
}

static int fd_write_eof(weft_transport *t)
{
    struct fd_transport *ft = (struct fd_transport *)t;
    ft->eof_pending = true;
    if (!ft->head)
        queue_empty(ft);
    return 0;
}

static size_t fd_write_buffer_size(const weft_transport *t)
{
    return ((const struct fd_transport *)t)->queued;
}

static void fd_set_reading(weft_transport *t, bool on)
{
    struct fd_transport *ft = (struct fd_transport *)t;
    ft->reading = on;
    int err = fd_watch(ft);
    if (err && on)
        weft__transport_fail(t, err);
}

static void fd_close(weft_transport *t)
{
    struct fd_transport *ft = (struct fd_transport *)t;
    if (!ft->head) {
        finish(ft, 0);
        return;
    }
    ft->close_pending = true;
    fd_watch(ft);
}

static void fd_abort(weft_transport *t)
{
    finish((struct fd_transport *)t, 0);
}

static int fd_fd(const weft_transport *t)
{
    const struct fd_transport *ft = (const struct fd_transport *)t;
    return ft->released ? -1 : ft->fd;
}

static int fd_peername(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len)
{
    const struct fd_transport *ft = (const struct fd_transport *)t;
    if (!ft->is_sock)
        return -ENOTSOCK;
    if (ft->released)
        return -ENOTCONN;
    return getpeername(ft->fd, (struct sockaddr *)ss, len) == 0 ? 0 : -errno;
}

static int fd_sockname(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len)
{
    const struct fd_transport *ft = (const struct fd_transport *)t;
    if (!ft->is_sock)
        return -ENOTSOCK;
    if (ft->released)
        return -ENOTCONN;
    return getsockname(ft->fd, (struct sockaddr *)ss, len) == 0 ? 0 : -errno;
}

static void fd_destroy(weft_transport *t)
{
    struct fd_transport *ft = (struct fd_transport *)t;
    release(ft);
    free(ft);
}

#define FD_OPS(name, k)                                                                    \
    static const struct weft__transport_ops name = {                                       \
        .kind = k,                                                                         \
        .writev = fd_writev,                                                               \
        .sendfile = fd_sendfile,                                                           \
        .write_eof = fd_write_eof,                                                         \
        .write_buffer_size = fd_write_buffer_size,                                         \
        .set_reading = fd_set_reading,                                                     \
        .close = fd_close,                                                                 \
        .abort = fd_abort,                                                                 \
        .fd = fd_fd,                                                                       \
        .peername = fd_peername,                                                           \
        .sockname = fd_sockname,                                                           \
        .destroy = fd_destroy,                                                             \
    }
FD_OPS(tcp_ops, "tcp");
FD_OPS(unix_ops, "unix");
FD_OPS(pipe_ops, "pipe");
FD_OPS(sock_ops, "socket");

int weft__fd_transport_new(weft_loop *loop, int fd, unsigned flags, const char *kind,
                           weft_transport **out)
{
    int err = 0;
    struct stat st;
    if (!loop || fd < 0 || !(flags & (WEFT_FD_READ | WEFT_FD_WRITE))) {
        err = -EINVAL;
        goto fail;
    }
    if (fstat(fd, &st) != 0) {
        err = -errno;
        goto fail;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)) {
        err = -errno;
        goto fail;
    }
    bool is_sock = S_ISSOCK(st.st_mode);
    if (!is_sock && (flags & WEFT_FD_WRITE)) {
        /* write(2) to a pipe whose reader is gone raises SIGPIPE; we want EPIPE. */
        struct sigaction sa;
        if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
            signal(SIGPIPE, SIG_IGN);
    }
    struct fd_transport *ft = calloc(1, sizeof *ft);
    if (!ft) {
        err = -ENOMEM;
        goto fail;
    }
    const struct weft__transport_ops *ops = &pipe_ops;
    if (kind && strcmp(kind, "tcp") == 0)
        ops = &tcp_ops;
    else if (kind && strcmp(kind, "unix") == 0)
        ops = &unix_ops;
    else if (is_sock)
        ops = &sock_ops;
    weft__transport_init(&ft->base, ops, loop, flags & WEFT_FD_READ, flags & WEFT_FD_WRITE);
    ft->fd = fd;
    ft->fdflags = flags;
    ft->is_sock = is_sock;
    if (!(flags & WEFT_FD_READ) && (err = fd_watch(ft)) != 0) {
        free(ft);
        goto fail;
    }
    *out = &ft->base;
    return 0;
fail:
    if (fd >= 0 && !(flags & WEFT_FD_KEEP))
        close(fd);
    return err;
}

int weft_transport_open_fd(weft_loop *loop, int fd, unsigned flags, const weft_protocol *proto,
                           void *proto_ud, weft_transport **out)
{
    if (!out)
        return -EINVAL;
    int err = weft__fd_transport_new(loop, fd, flags, NULL, out);
    if (err)
        return err;
    weft__transport_start(*out, proto, proto_ud);
    return 0;
}

int weft_socketpair_open(weft_loop *loop, const weft_protocol *proto_a, void *ud_a,
                         const weft_protocol *proto_b, void *ud_b, weft_transport **a,
                         weft_transport **b)
{
    if (!loop || !a || !b)
        return -EINVAL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        return -errno;
    int err = weft__fd_transport_new(loop, sv[0], WEFT_FD_READ | WEFT_FD_WRITE, "unix", a);
    if (err) {
        close(sv[1]);
        return err;
    }
    err = weft__fd_transport_new(loop, sv[1], WEFT_FD_READ | WEFT_FD_WRITE, "unix", b);
    if (err) {
        weft_transport_abort(*a);
        return err;
    }
    weft__transport_start(*a, proto_a, ud_a);
    weft__transport_start(*b, proto_b, ud_b);
    return 0;
}
