/*
 * server.c - listening sockets (create_server / start_server's engine):
 * accept, hand each connection to the protocol factory, keep the list of
 * live connections, close / wait_closed / serve_forever / shutdown.
 *
 * The server struct is reference counted: the owner's handle, each live
 * connection and each stream handler task hold one, so a connection can
 * unlink itself after the owner freed the server.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "coro/coro_int.h"
#include "net/net_int.h"

#define ACCEPT_BATCH 64
#define EMFILE_BACKOFF WEFT_MSEC(100)

int weft__unix_addr(const char *path, struct sockaddr_un *un, socklen_t *len);

struct listener {
    int fd;
    weft_io *io;
};

/* A task waiting on the server, on its stack. */
struct srv_waiter {
    struct weft__wait w;
    struct srv_waiter *prev, *next;
    weft_server *srv;
    bool for_close;     /* serve_forever: wake when closed; else when all ended */
    struct weft__timer timer; /* shutdown's grace period */
};

struct weft_server {
    weft_loop *loop;
    int refs;
    bool closed;
    bool freed;
    bool is_unix;
    bool nodelay;
    struct listener *ls;
    int nls;
    char *unix_path;           /* a file to unlink at close */
    weft_protocol_factory factory;
    void *ud;
    weft_transport *conns;
    size_t nconns;
    struct weft__server_hooks hooks;
    bool has_hooks;
    struct srv_waiter *waiters;
    struct weft__timer backoff; /* accept paused after EMFILE */
};

static void srv_destroy(weft_server *srv)
{
    weft__timer_stop(srv->loop, &srv->backoff);
    if (srv->has_hooks && srv->hooks.destroy)
        srv->hooks.destroy(srv->hooks.ud);
    free(srv->ls);
    free(srv->unix_path);
    free(srv);
}

void weft__server_ref(weft_server *srv)
{
    srv->refs++;
}

void weft__server_unref(weft_server *srv)
{
    if (--srv->refs == 0)
        srv_destroy(srv);
}

static size_t tasks_alive(weft_server *srv)
{
    return srv->has_hooks && srv->hooks.alive ? srv->hooks.alive(srv, srv->hooks.ud) : 0;
}

static bool all_ended(weft_server *srv)
{
    return srv->closed && srv->nconns == 0 && tasks_alive(srv) == 0;
}

static void wake_waiters(weft_server *srv)
{
    for (struct srv_waiter *w = srv->waiters, *next; w; w = next) {
        next = w->next;
        if (w->for_close ? srv->closed : all_ended(srv))
            weft__task_wake(&w->w, 0);
    }
}

void weft__server_notify(weft_server *srv)
{
    wake_waiters(srv);
}

void weft__server_set_hooks(weft_server *srv, const struct weft__server_hooks *hooks)
{
    srv->hooks = *hooks;
    srv->has_hooks = true;
}

void weft__server_conn_add(weft_server *srv, weft_transport *t)
{
    t->server = srv;
    t->srv_prev = NULL;
    t->srv_next = srv->conns;
    if (srv->conns)
        srv->conns->srv_prev = t;
    srv->conns = t;
    srv->nconns++;
    srv->refs++;
}

void weft__server_conn_remove(weft_transport *t)
{
    weft_server *srv = t->server;
    if (!srv)
        return;
    if (t->srv_prev)
        t->srv_prev->srv_next = t->srv_next;
    else
        srv->conns = t->srv_next;
    if (t->srv_next)
        t->srv_next->srv_prev = t->srv_prev;
    t->server = NULL;
    srv->nconns--;
    wake_waiters(srv);
    weft__server_unref(srv);
}

/* ----------------------------------------------------------------- accept */

static void accept_one(weft_server *srv, int fd)
{
    if (srv->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    weft_transport *t;
    if (weft__fd_transport_new(srv->loop, fd, WEFT_FD_READ | WEFT_FD_WRITE,
                               srv->is_unix ? "unix" : "tcp", &t) != 0)
        return; /* the fd was closed */
    weft__server_conn_add(srv, t);
    void *pud = NULL;
    const weft_protocol *p = srv->factory(srv, t, srv->ud, &pud);
    if (!p) {
        weft_transport_abort(t); /* never started: freed from the loop */
        return;
    }
    weft__transport_start(t, p, pud);
}

static void resume_accepting(void *arg);

static void listen_cb(weft_io *io, unsigned events, void *ud)
{
    weft_server *srv = ud;
    int lfd = weft_io_fd(io);
    for (int i = 0; i < ACCEPT_BATCH && !srv->closed; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            accept_one(srv, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Out of fds: stop accepting for a moment rather than spin. */
            for (int j = 0; j < srv->nls; j++)
                weft_io_watch(srv->ls[j].io, 0);
            weft__timer_start(srv->loop, &srv->backoff, srv->loop->now + EMFILE_BACKOFF);
        }
        break; /* EAGAIN or the above */
    }
}

static void resume_accepting(void *arg)
{
    weft_server *srv = arg;
    if (srv->closed)
        return;
    for (int j = 0; j < srv->nls; j++)
        weft_io_watch(srv->ls[j].io, WEFT_READABLE);
}

/* ------------------------------------------------------------------ open */

static weft_server *srv_new(weft_loop *loop, const weft_server_opts *opts,
                            weft_protocol_factory factory, void *ud)
{
    weft_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->refs = 1;
    srv->factory = factory;
    srv->ud = ud;
    srv->nodelay = !(opts && opts->no_nodelay);
    weft__timer_init(&srv->backoff, resume_accepting, srv);
    return srv;
}

static void close_listeners(weft_server *srv)
{
    for (int i = 0; i < srv->nls; i++) {
        if (srv->ls[i].io)
            weft_io_close(srv->ls[i].io);
        close(srv->ls[i].fd);
    }
    srv->nls = 0;
}

static int add_listener(weft_server *srv, int fd)
{
    struct listener *ls = realloc(srv->ls, (size_t)(srv->nls + 1) * sizeof *ls);
    if (!ls)
        return -ENOMEM;
    srv->ls = ls;
    struct listener *l = &ls[srv->nls];
    l->fd = fd;
    l->io = NULL;
    int err = weft_io_open(srv->loop, fd, listen_cb, srv, &l->io);
    if (err)
        return err;
    srv->nls++;
    return weft_io_watch(l->io, WEFT_READABLE);
}

static int listen_on(weft_server *srv, const struct sockaddr *sa, socklen_t len,
                     const weft_server_opts *opts)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (sa->sa_family != AF_UNIX) {
        if (!(opts && opts->no_reuse_addr))
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (opts && opts->reuse_port &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            int err = -errno;
            close(fd);
            return err;
        }
        /* v4 and v6 wildcards side by side, as asyncio does. */
        if (sa->sa_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    int backlog = opts && opts->backlog > 0 ? opts->backlog : SOMAXCONN;
    if (bind(fd, sa, len) != 0 || listen(fd, backlog) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    int err = add_listener(srv, fd);
    if (err) {
        close(fd);
        return err;
    }
    return 0;
}

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Bind every address; with port 0 they all share the first one's port.
 * Addresses of a family the host lacks are skipped if another one bound. */
static int open_addrs(weft_server *srv, struct sockaddr_storage *addrs, size_t n,
                      const weft_server_opts *opts)
{
    int first_err = 0;
    int port = -1;
    for (size_t i = 0; i < n; i++) {
        struct sockaddr_storage *ss = &addrs[i];
        if (port > 0 && weft_addr_port((struct sockaddr *)ss) == 0) {
            if (ss->ss_family == AF_INET)
                ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
            else
                ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
        }
        int err = listen_on(srv, (struct sockaddr *)ss, ss_len(ss), opts);
        if (err) {
            if (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL) {
                if (!first_err)
                    first_err = err;
                continue;
            }
            return err;
        }
        if (port < 0)
            port = weft_server_port(srv);
    }
    return srv->nls ? 0 : (first_err ? first_err : -EADDRNOTAVAIL);
}

static int tcp_open(weft_loop *loop, struct sockaddr_storage *addrs, size_t n,
                    const weft_server_opts *opts, weft_protocol_factory factory, void *ud,
                    weft_server **out)
{
    weft_server *srv = srv_new(loop, opts, factory, ud);
    if (!srv)
        return -ENOMEM;
    int err = open_addrs(srv, addrs, n, opts);
    if (err) {
        close_listeners(srv);
        srv_destroy(srv);
        return err;
    }
    *out = srv;
    return 0;
}

static int check_args(weft_loop *loop, const weft_server_opts *opts,
                      weft_protocol_factory factory, weft_server **out)
{
    if (!loop || !factory || !out)
        return -EINVAL;
    if (opts && opts->family != AF_UNSPEC && opts->family != AF_INET && opts->family != AF_INET6)
        return -EAFNOSUPPORT;
    return 0;
}

int weft_tcp_server_open(weft_loop *loop, const char *host, uint16_t port,
                         const weft_server_opts *opts, weft_protocol_factory factory, void *ud,
                         weft_server **out)
{
    int err = check_args(loop, opts, factory, out);
    if (err)
        return err;
    struct sockaddr_storage *addrs;
    size_t n;
    err = weft__resolve_literal(host, port, opts ? opts->family : AF_UNSPEC, true, &addrs, &n);
    if (err)
        return err;
    err = tcp_open(loop, addrs, n, opts, factory, ud, out);
    free(addrs);
    return err;
}

int weft_tcp_server_create(const char *host, uint16_t port, const weft_server_opts *opts,
                           weft_protocol_factory factory, void *ud, weft_server **out)
{
    weft_loop *loop = weft__current_loop;
    if (!weft__current_task)
        return -EPERM;
    int err = check_args(loop, opts, factory, out);
    if (err)
        return err;
    struct sockaddr_storage *addrs;
    size_t n;
    err = weft__resolve(host, port, opts ? opts->family : AF_UNSPEC, true, &addrs, &n);
    if (err)
        return err;
    err = tcp_open(loop, addrs, n, opts, factory, ud, out);
    free(addrs);
    return err;
}

int weft_unix_server_open(weft_loop *loop, const char *path, const weft_server_opts *opts,
                          weft_protocol_factory factory, void *ud, weft_server **out)
{
    if (!loop || !factory || !out)
        return -EINVAL;
    struct sockaddr_un un;
    socklen_t len;
    int err = weft__unix_addr(path, &un, &len);
    if (err)
        return err;
    if (path[0] != '@') {
        /* Replace a stale socket file, never anything else. */
        struct stat st;
        if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(path);
    }
    weft_server *srv = srv_new(loop, opts, factory, ud);
    if (!srv)
        return -ENOMEM;
    srv->is_unix = true;
    srv->nodelay = false;
    err = listen_on(srv, (struct sockaddr *)&un, len, opts);
    if (!err && path[0] != '@' && !(srv->unix_path = strdup(path)))
        err = -ENOMEM;
    if (err) {
        close_listeners(srv);
        if (srv->unix_path)
            unlink(path);
        srv_destroy(srv);
        return err;
    }
    *out = srv;
    return 0;
}

/* ------------------------------------------------------------------ info */

int weft_server_nsockets(const weft_server *srv)
{
    return srv->nls;
}

int weft_server_fd(const weft_server *srv, int index)
{
    return index >= 0 && index < srv->nls ? srv->ls[index].fd : -EINVAL;
}

int weft_server_sockname(const weft_server *srv, int index, struct sockaddr_storage *ss,
                         socklen_t *len)
{
    if (index < 0 || index >= srv->nls)
        return -EINVAL;
    return getsockname(srv->ls[index].fd, (struct sockaddr *)ss, len) == 0 ? 0 : -errno;
}

int weft_server_port(const weft_server *srv)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int err = weft_server_sockname(srv, 0, &ss, &len);
    if (err)
        return err;
    return weft_addr_port((struct sockaddr *)&ss);
}

size_t weft_server_nconnections(const weft_server *srv)
{
    return srv->nconns;
}

weft_loop *weft_server_loop(const weft_server *srv)
{
    return srv->loop;
}

bool weft_server_is_serving(const weft_server *srv)
{
    return !srv->closed;
}

/* ------------------------------------------------------------------ ending */

void weft_server_close(weft_server *srv)
{
    if (srv->closed)
        return;
    srv->closed = true;
    weft__timer_stop(srv->loop, &srv->backoff);
    close_listeners(srv);
    if (srv->unix_path) {
        unlink(srv->unix_path);
        free(srv->unix_path);
        srv->unix_path = NULL;
    }
    wake_waiters(srv);
}

void weft_server_close_clients(weft_server *srv)
{
    /* close() only marks and queues, so the list stays intact while we walk. */
    for (weft_transport *t = srv->conns; t; t = t->srv_next)
        weft_transport_close(t);
}

void weft_server_abort_clients(weft_server *srv)
{
    for (weft_transport *t = srv->conns; t; t = t->srv_next)
        weft_transport_abort(t);
}

void weft_server_free(weft_server *srv)
{
    if (!srv || srv->freed)
        return;
    srv->freed = true;
    weft_server_close(srv);
    weft__server_unref(srv);
}

static void waiter_unhook(struct weft__wait *w)
{
    struct srv_waiter *sw = (struct srv_waiter *)w;
    weft_server *srv = sw->srv;
    weft__timer_stop(srv->loop, &sw->timer);
    if (sw->prev)
        sw->prev->next = sw->next;
    else if (srv->waiters == sw)
        srv->waiters = sw->next;
    if (sw->next)
        sw->next->prev = sw->prev;
    sw->prev = sw->next = NULL;
}

static void waiter_timeout(void *arg)
{
    struct srv_waiter *sw = arg;
    weft__task_wake(&sw->w, -ETIMEDOUT);
}

/* Wait for the server to close (for_close) or everything to end, until
 * deadline (WEFT_NEVER: none). */
static int server_wait(weft_server *srv, bool for_close, uint64_t deadline, bool shielded)
{
    if (!weft__current_task)
        return -EPERM;
    struct srv_waiter sw = {.w.unhook = waiter_unhook, .srv = srv, .for_close = for_close};
    weft__timer_init(&sw.timer, waiter_timeout, &sw);
    srv->refs++;
    int r = 0;
    while (for_close ? !srv->closed : !all_ended(srv)) {
        sw.next = srv->waiters;
        sw.prev = NULL;
        if (srv->waiters)
            srv->waiters->prev = &sw;
        srv->waiters = &sw;
        if (deadline != WEFT_NEVER)
            weft__timer_start(srv->loop, &sw.timer, deadline);
        r = shielded ? weft__task_wait_shielded(&sw.w) : weft__task_wait(&sw.w);
        waiter_unhook(&sw.w); /* woken normally: still linked */
        if (r < 0)
            break;
    }
    weft__server_unref(srv);
    return r;
}

int weft_server_serve_forever(weft_server *srv)
{
    int r = server_wait(srv, true, WEFT_NEVER, false);
    if (r < 0 && r != -EPERM)
        weft_server_close(srv);
    return r;
}

int weft_server_wait_closed(weft_server *srv)
{
    return server_wait(srv, false, WEFT_NEVER, false);
}

int weft_server_shutdown(weft_server *srv, uint64_t grace_ns)
{
    if (!weft__current_task)
        return -EPERM;
    weft_server_close(srv);
    uint64_t deadline = srv->loop->now + grace_ns;
    if (deadline < srv->loop->now)
        deadline = WEFT_NEVER;
    srv->refs++;
    int r = server_wait(srv, false, deadline, false);
    if (r < 0) {
        /* Past the grace period (or we were cancelled): stop the rest. */
        if (srv->has_hooks && srv->hooks.cancel_all)
            srv->hooks.cancel_all(srv, srv->hooks.ud);
        weft_server_abort_clients(srv);
        server_wait(srv, false, WEFT_NEVER, true);
    }
    weft__server_unref(srv);
    return r;
}
