/*
 * connect.c - outgoing TCP and Unix connections (create_connection).
 *
 * TCP: the host is resolved by the loop's default resolver (c-ares on the
 * loop, with its TTL cache; IP literals never reach DNS), then the addresses
 * race with Happy Eyeballs (RFC 8305: families interleaved, a new attempt
 * every 250 ms or as soon as one fails); the winning socket becomes an fd
 * transport. Unix: one non-blocking connect. One timer bounds the whole
 * operation. The callback always runs from the loop, exactly once, after the
 * transport's connection_made when it succeeded.
 *
 * The DNS layer needs nothing of net/ (only the loop), so net may call it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/net_int.h"
#include "weft/dns.h"

struct weft_connect_req {
    weft_loop *loop;
    weft_connect_opts opts;
    const weft_protocol *proto;
    void *proto_ud;
    weft_connect_cb cb;
    void *ud;
    bool is_unix;
    bool done;

    struct sockaddr_storage *addrs;   /* Unix: the address to connect to */
    size_t naddrs;
    weft_dns_req *dreq;               /* TCP: the look-up, while pending */
    weft_happy *happy;                /* TCP: the connection race, while pending */

    int fd;
    weft_io *io;
    struct weft__timer timer;
    struct weft__call call;   /* delivers the result */
    struct weft__call start;  /* Unix: connect from the loop */
    weft_transport *t;
    int result;
};

static void deliver_cb(void *arg)
{
    struct weft_connect_req *r = arg;
    weft__loop_unref(r->loop);
    r->cb(r->t, r->result, r->ud);
    free(r);
}

/* End the attempt with t (success) or err; the callback runs from the loop. */
static void finish(struct weft_connect_req *r, weft_transport *t, int err)
{
    if (r->done)
        return;
    r->done = true;
    weft__timer_stop(r->loop, &r->timer);
    if (r->dreq) {
        weft_dns_req_cancel(r->dreq); /* resolved() will not run */
        r->dreq = NULL;
    }
    if (r->happy) {
        weft_happy_cancel(r->happy);  /* its sockets are closed, raced() will not run */
        r->happy = NULL;
    }
    if (r->io) {
        weft_io_close(r->io);
        r->io = NULL;
    }
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    free(r->addrs);
    r->addrs = NULL;
    r->t = t;
    r->result = t ? 0 : err;
    r->call.cb = deliver_cb;
    r->call.ud = r;
    weft__loop_post(r->loop, &r->call);
}

/* fd is connected: make it the transport and report success. */
static void connected(struct weft_connect_req *r, int fd)
{
    if (!r->is_unix && !r->opts.no_nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    weft_transport *t;
    int err = weft__fd_transport_new(r->loop, fd, WEFT_FD_READ | WEFT_FD_WRITE,
                                     r->is_unix ? "unix" : "tcp", &t);
    if (err) {
        finish(r, NULL, err);
        return;
    }
    weft__transport_start(t, r->proto, r->proto_ud); /* connection_made before cb */
    finish(r, t, 0);
}

static void io_cb(weft_io *io, unsigned events, void *ud)
{
    struct weft_connect_req *r = ud;
    int e = 0;
    socklen_t l = sizeof e;
    if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &e, &l) != 0)
        e = errno;
    weft_io_close(r->io);
    r->io = NULL;
    int fd = r->fd;
    r->fd = -1;
    if (e == 0 && !(events & WEFT_HANGUP)) {
        connected(r, fd);
        return;
    }
    close(fd);
    finish(r, NULL, e ? -e : -ECONNREFUSED);
}

/* Start a Unix connect; returns 0 (pending or connected) or -errno. */
static int attempt(struct weft_connect_req *r, const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc;
    do
        rc = connect(fd, sa, len);
    while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno != EINPROGRESS) {
        int err = -errno;
        close(fd);
        return err;
    }
    r->fd = fd;
    int err = weft_io_open(r->loop, fd, io_cb, r, &r->io);
    if (!err)
        err = weft_io_watch(r->io, WEFT_WRITABLE);
    if (err) {
        if (r->io)
            weft_io_close(r->io);
        r->io = NULL;
        close(fd);
        r->fd = -1;
        return err;
    }
    /* Even an immediate success is reported through the watcher, from the loop. */
    return 0;
}

static void raced(int status, int fd, void *ud)
{
    struct weft_connect_req *r = ud;
    r->happy = NULL;
    if (status < 0) {
        finish(r, NULL, status);
        return;
    }
    connected(r, fd);
}

static void resolved(int status, weft_addrinfo *list, void *ud)
{
    struct weft_connect_req *r = ud;
    r->dreq = NULL;
    if (status < 0) {
        finish(r, NULL, status);
        return;
    }
    int err = weft_happy_connect_cb(r->loop, list, NULL, raced, r, &r->happy);
    weft_addrinfo_free(list); /* the race copied what it needs */
    if (err) {
        r->happy = NULL;
        finish(r, NULL, err);
    }
}

static void timeout_cb(void *arg)
{
    finish(arg, NULL, -ETIMEDOUT);
}

static struct weft_connect_req *req_new(weft_loop *loop, const weft_connect_opts *opts,
                                        const weft_protocol *proto, void *proto_ud,
                                        weft_connect_cb cb, void *ud)
{
    struct weft_connect_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->loop = loop;
    if (opts)
        r->opts = *opts;
    r->proto = proto;
    r->proto_ud = proto_ud;
    r->cb = cb;
    r->ud = ud;
    r->fd = -1;
    weft__timer_init(&r->timer, timeout_cb, r);
    /* The request keeps the loop running until its callback has run. */
    weft__loop_ref(loop);
    if (r->opts.timeout_ns) {
        uint64_t when = loop->now + r->opts.timeout_ns;
        weft__timer_start(loop, &r->timer, when < loop->now ? WEFT_NEVER : when);
    }
    return r;
}

int weft_tcp_connect(weft_loop *loop, const char *host, uint16_t port,
                     const weft_connect_opts *opts, const weft_protocol *proto, void *proto_ud,
                     weft_connect_cb cb, void *ud, weft_connect_req **out)
{
    if (!loop || !host || !*host || !cb)
        return -EINVAL;
    if (opts && opts->family != AF_UNSPEC && opts->family != AF_INET && opts->family != AF_INET6)
        return -EAFNOSUPPORT;
    weft_resolver *res;
    int err = weft_resolver_default(loop, &res);
    if (err)
        return err;
    struct weft_connect_req *r = req_new(loop, opts, proto, proto_ud, cb, ud);
    if (!r)
        return -ENOMEM;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    weft_dns_hints hints = {.family = r->opts.family, .socktype = SOCK_STREAM};
    /* Every outcome, a bad name included, comes through resolved(), later. */
    err = weft_resolver_getaddrinfo_cb(res, host, service, &hints, resolved, r, &r->dreq);
    if (err) {
        weft__timer_stop(loop, &r->timer);
        weft__loop_unref(loop);
        free(r);
        return err;
    }
    if (out)
        *out = r;
    return 0;
}

/* Fill a sockaddr_un for path ("@name": abstract). Returns its length or -errno. */
int weft__unix_addr(const char *path, struct sockaddr_un *un, socklen_t *len);
int weft__unix_addr(const char *path, struct sockaddr_un *un, socklen_t *len)
{
    if (!path || !*path)
        return -EINVAL;
    size_t n = strlen(path);
    memset(un, 0, sizeof *un);
    un->sun_family = AF_UNIX;
    if (n >= sizeof un->sun_path)
        return -ENAMETOOLONG;
    memcpy(un->sun_path, path, n);
    if (path[0] == '@') {
        un->sun_path[0] = 0;
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

static void unix_start(void *arg)
{
    struct weft_connect_req *r = arg;
    struct sockaddr_un un;
    socklen_t len;
    if (r->done)
        return; /* cancelled or timed out first; deliver_cb is queued after us */
    memcpy(&un, r->addrs, sizeof un);
    len = (socklen_t)r->naddrs;
    free(r->addrs);
    r->addrs = NULL;
    r->naddrs = 0;
    int err = attempt(r, (struct sockaddr *)&un, len);
    if (err)
        finish(r, NULL, err);
}

int weft_unix_connect(weft_loop *loop, const char *path, const weft_connect_opts *opts,
                      const weft_protocol *proto, void *proto_ud, weft_connect_cb cb, void *ud,
                      weft_connect_req **out)
{
    if (!loop || !cb)
        return -EINVAL;
    struct sockaddr_un un;
    socklen_t len;
    int err = weft__unix_addr(path, &un, &len);
    if (err)
        return err;
    struct weft_connect_req *r = req_new(loop, opts, proto, proto_ud, cb, ud);
    if (!r)
        return -ENOMEM;
    r->is_unix = true;
    /* Connect from the loop (never inside this call): stash the address. */
    r->addrs = malloc(sizeof(struct sockaddr_storage));
    if (!r->addrs) {
        weft__timer_stop(loop, &r->timer);
        weft__loop_unref(loop);
        free(r);
        return -ENOMEM;
    }
    memcpy(r->addrs, &un, sizeof un);
    r->naddrs = len;
    r->start.cb = unix_start;
    r->start.ud = r;
    weft__loop_post(loop, &r->start);
    if (out)
        *out = r;
    return 0;
}

int weft_connect_cancel(weft_connect_req *req)
{
    if (!req || req->done)
        return -EALREADY;
    finish(req, NULL, -ECANCELED);
    return 0;
}
