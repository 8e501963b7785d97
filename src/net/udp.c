/*
 * udp.c - UDP endpoints (weft/udp.h).
 *
 * One weft_io per endpoint; its interest is recomputed from what is wanted:
 * READABLE while a protocol reads (or a task waits in recvfrom), WRITABLE
 * while datagrams are queued (or a task waits in sendto). A protocol's reads
 * take up to BATCH datagrams per recvmmsg, into a buffer of BATCH slots of
 * max_datagram bytes allocated on the first read (malloc'd, so the kernel
 * commits only the pages datagrams touch).
 *
 * Ending: close/abort mark the endpoint closing and queue `end_call`, which
 * runs connection_lost (if there is a protocol) and then frees it, so the
 * memory never goes away under a callback that is still running.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft/udp.h"
#include "coro/coro_int.h"

#define BATCH 16
#define DEFAULT_MAX_DATAGRAM 65536u
#define DEFAULT_HIGH (64u * 1024u)
#define READS_PER_EVENT 4 /* batches per readiness event, then let others run */

struct dgram {
    struct dgram *next;
    size_t len;
    socklen_t addrlen;
    struct sockaddr_storage addr;
    char data[];
};

struct udp_waiter {
    struct weft__wait w;      /* first: unhook casts back */
    weft_udp *u;
};

struct weft_udp {
    weft_loop *loop;
    int fd;
    weft_io *io;
    const weft_udp_protocol *proto;
    void *ud;
    bool connected;
    bool closing, aborted, ended;
    bool made;                /* connection_made has run */
    bool paused_reading;
    bool paused_writing;      /* the protocol was told pause_writing */
    size_t max_datagram;

    /* recvmmsg batch, allocated on first use */
    char *rbuf;
    struct mmsghdr *msgs;
    struct iovec *iovs;
    struct sockaddr_storage *raddrs;

    /* send queue */
    struct dgram *qhead, **qtail;
    size_t qbytes;
    size_t high, low;

    struct udp_waiter *reader, *writer; /* coroutine face */
    struct weft__call made_call, end_call;
    bool end_queued;

    uint64_t nrecv, nsent;
};

static void udp_io_cb(weft_io *io, unsigned events, void *ud);

/* ------------------------------------------------------------ addresses */

/* An IP literal, "localhost" or NULL/"" (wildcard) plus a port. family may
 * be AF_UNSPEC: the literal decides, else AF_INET. */
static int parse_addr(const char *host, uint16_t port, int family,
                      struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    bool wild = !host || !*host;
    bool local = host && strcmp(host, "localhost") == 0;
    if (wild || local) {
        if (family == AF_INET6) {
            a6->sin6_family = AF_INET6;
            a6->sin6_addr = local ? in6addr_loopback : in6addr_any;
            a6->sin6_port = htons(port);
            *len = sizeof *a6;
        } else {
            a4->sin_family = AF_INET;
            a4->sin_addr.s_addr = htonl(local ? INADDR_LOOPBACK : INADDR_ANY);
            a4->sin_port = htons(port);
            *len = sizeof *a4;
        }
        return 0;
    }
    if (family != AF_INET6 && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof *a4;
        return 0;
    }
    /* "[::1]" or "::1" */
    char buf[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    if (family != AF_INET && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof *a6;
        return 0;
    }
    return -EINVAL;
}

/* --------------------------------------------------------------- interest */

static void update_interest(weft_udp *u)
{
    if (!u->io)
        return;
    unsigned want = 0;
    if ((u->proto && u->made && !u->paused_reading && !u->closing) || u->reader)
        want |= WEFT_READABLE;
    if (u->qhead || u->writer)
        want |= WEFT_WRITABLE;
    weft_io_watch(u->io, want);
}

/* ------------------------------------------------------------------ end */

static void free_udp(weft_udp *u)
{
    while (u->qhead) {
        struct dgram *d = u->qhead;
        u->qhead = d->next;
        free(d);
    }
    free(u->rbuf);
    free(u->msgs);
    free(u->iovs);
    free(u->raddrs);
    free(u);
}

static void release_fd(weft_udp *u)
{
    if (u->io) {
        weft_io_close(u->io);
        u->io = NULL;
    }
    if (u->fd >= 0) {
        close(u->fd);
        u->fd = -1;
    }
}

static void end_cb(void *arg)
{
    weft_udp *u = arg;
    release_fd(u);
    u->ended = true;
    if (u->proto && u->made && u->proto->connection_lost)
        u->proto->connection_lost(u, 0, u->ud);
    free_udp(u);
}

static void wake_waiters(weft_udp *u, int err)
{
    if (u->reader) {
        struct udp_waiter *w = u->reader;
        u->reader = NULL;
        weft__task_wake(&w->w, err);
    }
    if (u->writer) {
        struct udp_waiter *w = u->writer;
        u->writer = NULL;
        weft__task_wake(&w->w, err);
    }
}

/* Queue the end unless already queued; queued datagrams are dropped. */
static void queue_end(weft_udp *u)
{
    if (u->end_queued)
        return;
    u->end_queued = true;
    wake_waiters(u, WEFT_ECLOSED);
    release_fd(u); /* nothing more will be read or sent */
    /* connection_made may still be queued: end_call runs after it (FIFO). */
    weft__loop_post(u->loop, &u->end_call);
}

void weft_udp_close(weft_udp *u)
{
    if (u->closing)
        return;
    u->closing = true;
    if (u->qhead) {
        update_interest(u); /* keep sending; the end follows the last datagram */
        wake_waiters(u, WEFT_ECLOSED);
        return;
    }
    queue_end(u);
}

void weft_udp_abort(weft_udp *u)
{
    u->closing = true;
    u->aborted = true;
    queue_end(u);
}

bool weft_udp_is_closing(const weft_udp *u)
{
    return u->closing;
}

/* ------------------------------------------------------------------ open */

static void made_cb(void *arg)
{
    weft_udp *u = arg;
    if (u->end_queued)
        return; /* closed before it was made: no callbacks at all */
    u->made = true;
    if (u->proto && u->proto->connection_made)
        u->proto->connection_made(u, u->ud);
    update_interest(u);
}

static int setup(weft_loop *loop, int fd, bool connected, const weft_udp_protocol *proto,
                 void *ud, size_t max_datagram, weft_udp **out)
{
    weft_udp *u = calloc(1, sizeof *u);
    if (!u) {
        close(fd);
        return -ENOMEM;
    }
    u->loop = loop;
    u->fd = fd;
    u->proto = proto;
    u->ud = ud;
    u->connected = connected;
    u->max_datagram = max_datagram ? max_datagram : DEFAULT_MAX_DATAGRAM;
    u->qtail = &u->qhead;
    u->high = DEFAULT_HIGH;
    u->low = DEFAULT_HIGH / 4;
    int err = weft_io_open(loop, fd, udp_io_cb, u, &u->io);
    if (err) {
        close(fd);
        free(u);
        return err;
    }
    u->made_call.cb = made_cb;
    u->made_call.ud = u;
    u->end_call.cb = end_cb;
    u->end_call.ud = u;
    weft__loop_post(loop, &u->made_call);
    *out = u;
    return 0;
}

int weft_udp_open(weft_loop *loop, const weft_udp_opts *opts, const weft_udp_protocol *proto,
                  void *ud, weft_udp **out)
{
    static const weft_udp_opts defaults;
    if (!opts)
        opts = &defaults;
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !out)
        return -EINVAL;
    int family = opts->family;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;

    struct sockaddr_storage local, remote;
    socklen_t llen = 0, rlen = 0;
    bool has_local = (opts->local_host && *opts->local_host) || opts->local_port;
    bool has_remote = opts->remote_host != NULL;
    int err;
    /* The remote address decides the family when both are open-ended. */
    if (has_remote) {
        if ((err = parse_addr(opts->remote_host, opts->remote_port, family, &remote, &rlen)))
            return err;
        family = remote.ss_family;
    }
    if (has_local) {
        /* A literal names its own family; "localhost" and the wildcard
         * follow the remote's. */
        const char *h = opts->local_host;
        bool literal = h && *h && strcmp(h, "localhost") != 0;
        if ((err = parse_addr(h, opts->local_port, literal ? opts->family : family, &local,
                              &llen)))
            return err;
        if (has_remote && local.ss_family != remote.ss_family)
            return -EAFNOSUPPORT;
        family = local.ss_family;
    }
    if (family == AF_UNSPEC)
        family = AF_INET;

    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (opts->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        goto fail;
    if (opts->allow_broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) != 0)
        goto fail;
    if (has_local && bind(fd, (struct sockaddr *)&local, llen) != 0)
        goto fail;
    if (has_remote && connect(fd, (struct sockaddr *)&remote, rlen) != 0)
        goto fail;
    return setup(loop, fd, has_remote, proto, ud, opts->max_datagram, out);
fail:
    err = -errno;
    close(fd);
    return err;
}

int weft_udp_open_fd(weft_loop *loop, int fd, const weft_udp_protocol *proto, void *ud,
                     weft_udp **out)
{
    if (!loop)
        loop = weft__current_loop;
    if (!loop || fd < 0 || !out) {
        if (fd >= 0)
            close(fd);
        return -EINVAL;
    }
    int type = 0;
    socklen_t tl = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_DGRAM) {
        int err = type ? -EPROTOTYPE : -errno;
        close(fd);
        return err;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    bool connected = getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
    return setup(loop, fd, connected, proto, ud, 0, out);
}

/* --------------------------------------------------------------- reading */

static int alloc_batch(weft_udp *u)
{
    u->rbuf = malloc(BATCH * u->max_datagram);
    u->msgs = calloc(BATCH, sizeof *u->msgs);
    u->iovs = calloc(BATCH, sizeof *u->iovs);
    u->raddrs = calloc(BATCH, sizeof *u->raddrs);
    if (!u->rbuf || !u->msgs || !u->iovs || !u->raddrs) {
        free(u->rbuf);
        free(u->msgs);
        free(u->iovs);
        free(u->raddrs);
        u->rbuf = NULL;
        u->msgs = NULL;
        u->iovs = NULL;
        u->raddrs = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void report_error(weft_udp *u, int err)
{
    if (u->proto && u->proto->error_received)
        u->proto->error_received(u, err, u->ud);
}

static bool reading(const weft_udp *u)
{
    return u->proto && u->made && !u->paused_reading && !u->closing && u->fd >= 0;
}

static void read_batches(weft_udp *u)
{
    if (!u->rbuf && alloc_batch(u) != 0) {
        report_error(u, -ENOMEM);
        return;
    }
    for (int round = 0; round < READS_PER_EVENT && reading(u); round++) {
        for (int i = 0; i < BATCH; i++) {
            u->iovs[i].iov_base = u->rbuf + (size_t)i * u->max_datagram;
            u->iovs[i].iov_len = u->max_datagram;
            u->msgs[i].msg_hdr = (struct msghdr){
                .msg_name = &u->raddrs[i],
                .msg_namelen = sizeof u->raddrs[i],
                .msg_iov = &u->iovs[i],
                .msg_iovlen = 1,
            };
            u->msgs[i].msg_len = 0;
        }
        int n = recvmmsg(u->fd, u->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            report_error(u, -errno); /* e.g. -ECONNREFUSED from an ICMP error */
            continue;
        }
        for (int i = 0; i < n && reading(u); i++) {
            struct msghdr *h = &u->msgs[i].msg_hdr;
            u->nrecv++;
            if (h->msg_flags & MSG_TRUNC) {
                report_error(u, -EMSGSIZE);
                continue;
            }
            if (u->proto->datagram_received)
                u->proto->datagram_received(u, h->msg_iov->iov_base, u->msgs[i].msg_len,
                                            (struct sockaddr *)h->msg_name, h->msg_namelen,
                                            u->ud);
        }
        if (n < BATCH)
            return;
    }
}

/* --------------------------------------------------------------- writing */

static int send_one(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                    socklen_t addrlen)
{
    ssize_t r;
    do
        r = sendto(u->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, addr, addr ? addrlen : 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    u->nsent++;
    return 0;
}

static bool transient(int err)
{
    return err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS;
}

static void maybe_resume_writing(weft_udp *u)
{
    if (u->paused_writing && u->qbytes <= u->low) {
        u->paused_writing = false;
        if (u->proto && u->proto->resume_writing)
            u->proto->resume_writing(u, u->ud);
    }
}

static void flush_queue(weft_udp *u)
{
    while (u->qhead && u->fd >= 0) {
        struct dgram *d = u->qhead;
        int err = send_one(u, d->data, d->len,
                           d->addrlen ? (struct sockaddr *)&d->addr : NULL, d->addrlen);
        if (transient(err))
            break;
        u->qhead = d->next;
        if (!u->qhead)
            u->qtail = &u->qhead;
        u->qbytes -= d->len;
        free(d);
        if (err)
            report_error(u, err);
    }
    maybe_resume_writing(u);
    if (!u->qhead && u->closing && !u->end_queued)
        queue_end(u);
}

/* Check an address against a connected endpoint: NULL means "the peer". */
static int resolve_dest(weft_udp *u, const struct sockaddr **addr, socklen_t *addrlen)
{
    if (!*addr) {
        if (!u->connected)
            return -EDESTADDRREQ;
        *addrlen = 0;
        return 0;
    }
    if (u->connected) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        if (getpeername(u->fd, (struct sockaddr *)&peer, &plen) != 0)
            return -errno;
        if (plen != *addrlen || memcmp(&peer, *addr, plen) != 0)
            return -EISCONN;
        *addr = NULL;
        *addrlen = 0;
    }
    return 0;
}

int weft_udp_send_datagram(weft_udp *u, const void *data, size_t len,
                           const struct sockaddr *addr, socklen_t addrlen)
{
    if (u->closing || u->fd < 0)
        return WEFT_ECLOSED;
    if (addrlen > sizeof(struct sockaddr_storage))
        return -EINVAL;
    int err = resolve_dest(u, &addr, &addrlen);
    if (err)
        return err;
    if (!u->qhead) {
        err = send_one(u, data, len, addr, addrlen);
        if (!transient(err))
            return err;
    }
    struct dgram *d = malloc(sizeof *d + len);
    if (!d)
        return -ENOMEM;
    d->next = NULL;
    d->len = len;
    d->addrlen = addr ? addrlen : 0;
    if (addr)
        memcpy(&d->addr, addr, addrlen);
    memcpy(d->data, data, len);
    *u->qtail = d;
    u->qtail = &d->next;
    u->qbytes += len;
    update_interest(u);
    if (!u->paused_writing && u->qbytes > u->high) {
        u->paused_writing = true;
        if (u->proto && u->proto->pause_writing)
            u->proto->pause_writing(u, u->ud);
    }
    return 0;
}

/* ---------------------------------------------------------------- events */

static void udp_io_cb(weft_io *io, unsigned events, void *ud)
{
    weft_udp *u = ud;
    if (events & (WEFT_WRITABLE | WEFT_HANGUP)) {
        if (u->qhead)
            flush_queue(u);
        if (!u->qhead && u->writer) {
            struct udp_waiter *w = u->writer;
            u->writer = NULL;
            weft__task_wake(&w->w, 0);
        }
    }
    if (u->fd >= 0 && (events & (WEFT_READABLE | WEFT_HANGUP))) {
        if (u->reader) {
            struct udp_waiter *w = u->reader;
            u->reader = NULL;
            weft__task_wake(&w->w, 0);
        } else if (reading(u)) {
            read_batches(u);
        }
    }
    update_interest(u);
}

/* ------------------------------------------------------------ coroutines */

static void udp_waiter_unhook(struct weft__wait *w)
{
    struct udp_waiter *uw = (struct udp_waiter *)w;
    weft_udp *u = uw->u;
    if (u->reader == uw)
        u->reader = NULL;
    if (u->writer == uw)
        u->writer = NULL;
    update_interest(u);
}

static int wait_for(weft_udp *u, struct udp_waiter **slot)
{
    struct udp_waiter me = {.w.unhook = udp_waiter_unhook, .u = u};
    *slot = &me;
    update_interest(u);
    return weft__task_wait(&me.w);
}

int weft_udp_recvfrom(weft_udp *u, void *buf, size_t n, struct sockaddr_storage *addr,
                      socklen_t *addrlen)
{
    if (!weft__current_task)
        return -EPERM;
    if (u->proto || u->reader)
        return -EBUSY;
    for (;;) {
        if (u->closing || u->fd < 0)
            return WEFT_ECLOSED;
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        ssize_t r = recvfrom(u->fd, buf, n, MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
        if (r >= 0) {
            u->nrecv++;
            if (addr)
                *addr = ss;
            if (addrlen)
                *addrlen = len;
            return (int)r;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int err = wait_for(u, &u->reader);
        if (err)
            return err;
    }
}

int weft_udp_sendto(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                    socklen_t addrlen)
{
    if (!weft__current_task)
        return -EPERM;
    if (u->writer)
        return -EBUSY;
    for (;;) {
        if (u->closing || u->fd < 0)
            return WEFT_ECLOSED;
        int err;
        if (!u->qhead) {
            const struct sockaddr *a = addr;
            socklen_t al = addrlen;
            if ((err = resolve_dest(u, &a, &al)))
                return err;
            err = send_one(u, data, len, a, al);
            if (!transient(err))
                return err ? err : (int)len;
        }
        err = wait_for(u, &u->writer);
        if (err)
            return err;
    }
}

/* ------------------------------------------------------------- controls */

int weft_udp_pause_reading(weft_udp *u)
{
    if (u->closing)
        return WEFT_ECLOSED;
    u->paused_reading = true;
    update_interest(u);
    return 0;
}

int weft_udp_resume_reading(weft_udp *u)
{
    if (u->closing)
        return WEFT_ECLOSED;
    u->paused_reading = false;
    update_interest(u);
    return 0;
}

size_t weft_udp_get_write_buffer_size(const weft_udp *u)
{
    return u->qbytes;
}

int weft_udp_set_write_buffer_limits(weft_udp *u, size_t high, size_t low)
{
    if (!high) {
        high = DEFAULT_HIGH;
        if (!low)
            low = high / 4;
    }
    if (low > high)
        return -EINVAL;
    u->high = high;
    u->low = low;
    if (!u->paused_writing && u->qbytes > u->high) {
        u->paused_writing = true;
        if (u->proto && u->proto->pause_writing)
            u->proto->pause_writing(u, u->ud);
    }
    return 0;
}

int weft_udp_sockname(const weft_udp *u, struct sockaddr_storage *ss, socklen_t *len)
{
    if (u->fd < 0)
        return WEFT_ECLOSED;
    *len = sizeof *ss;
    return getsockname(u->fd, (struct sockaddr *)ss, len) == 0 ? 0 : -errno;
}

int weft_udp_peername(const weft_udp *u, struct sockaddr_storage *ss, socklen_t *len)
{
    if (u->fd < 0)
        return WEFT_ECLOSED;
    *len = sizeof *ss;
    return getpeername(u->fd, (struct sockaddr *)ss, len) == 0 ? 0 : -errno;
}

int weft_udp_port(const weft_udp *u)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err = weft_udp_sockname(u, &ss, &len);
    if (err)
        return err;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

int weft_udp_fd(const weft_udp *u)
{
    return u->fd;
}

weft_loop *weft_udp_loop(const weft_udp *u)
{
    return u->loop;
}

uint64_t weft_udp_datagrams_received(const weft_udp *u)
{
    return u->nrecv;
}

uint64_t weft_udp_datagrams_sent(const weft_udp *u)
{
    return u->nsent;
}
