/*
 * connect.c - outgoing TCP and Unix connections (create_connection).
 *
 * A request resolves the host (weft__resolve_async), then tries each address
 * in turn with a non-blocking connect, watching for writability; the first
 * that answers becomes an fd transport. One timer bounds the whole operation.
 * The callback always runs from the loop, exactly once, after the transport's
 * connection_made when it succeeded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/net_int.h"

struct weft_connect_req {
    weft_loop *loop;
    weft_connect_opts opts;
    const weft_protocol *proto;
    void *proto_ud;
    weft_connect_cb cb;
    void *ud;
    bool is_unix;
    bool done;

    struct sockaddr_storage *addrs;
    size_t naddrs, next;
    struct weft__resolve_req *rreq;

    int fd;
    weft_io *io;
    int last_err;
    struct weft__timer timer;
    struct weft__call call;   /* delivers the result */
    struct weft__call start;  /* Unix: connect from the loop */
    weft_transport *t;
    int result;
};

static socklen_t addr_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

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
    if (r->rreq) {
        weft__resolve_cancel(r->rreq); /* resolved() will not run */
        r->rreq = NULL;
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

static void try_next(struct weft_connect_req *r);

static void connected(struct weft_connect_req *r)
{
    weft_io_close(r->io);
    r->io = NULL;
    int fd = r->fd;
    r->fd = -1;
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
    if (e == 0 && !(events & WEFT_HANGUP)) {
        connected(r);
        return;
    }
    r->last_err = e ? -e : -ECONNREFUSED;
    weft_io_close(r->io);
    r->io = NULL;
    close(r->fd);
    r->fd = -1;
    try_next(r);
}

/* Start a connect to address i; returns 0 (pending or connected) or -errno. */
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

static void try_next(struct weft_connect_req *r)
{
    while (r->next < r->naddrs) {
        struct sockaddr_storage *ss = &r->addrs[r->next++];
        int err = attempt(r, (struct sockaddr *)ss, addr_len(ss));
        if (!err)
            return;
        r->last_err = err;
    }
    finish(r, NULL, r->last_err ? r->last_err : -ECONNREFUSED);
}

static void resolved(int result, void *ud)
{
    struct weft_connect_req *r = ud;
    r->rreq = NULL;
    if (result < 0) {
        finish(r, NULL, result);
        return;
    }
    try_next(r);
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
    struct weft_connect_req *r = req_new(loop, opts, proto, proto_ud, cb, ud);
    if (!r)
        return -ENOMEM;
    int err = weft__resolve_async(loop, host, port, r->opts.family, &r->addrs, &r->naddrs,
                                  resolved, r, &r->rreq);
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
