/*
 * echo.c - `weft echo`: a TCP, TLS or UDP echo server that logs what it does
 * the way the Python streams echo example prints it (seeds/004):
 *
 *     Serving TCP on ('127.0.0.1', 8888)
 *     Connected: ('127.0.0.1', 40112)
 *     Received: 'hello\n' from ('127.0.0.1', 40112)
 *     Disconnected: ('127.0.0.1', 40112)
 *
 * It is built on the callback API (protocols), not on one task per
 * connection: an echo needs no coroutine, costs no stack per connection, and
 * back-pressure is the transport's water marks (a client that does not read
 * its echoes stops being read). SIGINT / SIGTERM stop it gracefully: stop
 * accepting, close every connection after its pending echo (TLS sends
 * close_notify), wait up to --grace, cut what is left, exit 0. A second
 * signal cuts everything at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "weft.h"

#define NAME "echo"
#define DEFAULT_PORT 8888
#define DEFAULT_MAX_CONNS 1024
#define DEFAULT_IDLE WEFT_SEC(300)
#define DEFAULT_GRACE WEFT_SEC(5)
#define DEFAULT_HANDSHAKE WEFT_SEC(10)
/* Bytes of each message shown in the log; the rest is summarised. */
#define SHOW_BYTES 64
#define PEER_LEN 96

struct echo_opts {
    const char *bind;       /* NULL / "" / "*": every interface */
    uint16_t port;
    bool udp;
    bool quiet;             /* no "Received:" lines */
    const char *cert, *key;
    uint64_t max_conns;
    uint64_t idle_ns;       /* 0: no idle timeout */
    uint64_t grace_ns;
    uint64_t handshake_ns;
};

struct conn;
struct endpoint;

struct echo {
    struct echo_opts o;
    weft_loop *loop;
    weft_server *srv;           /* TCP / TLS */
    struct conn *conns;         /* connections that reached connection_made */
    size_t nconns;              /* accepted and not yet lost (made or about to be) */
    struct endpoint *eps;       /* UDP: one per bound address */
    int neps, eps_open;
    weft_future *stop;          /* set by the first signal */
    weft_future *eps_closed;    /* UDP: set when the last endpoint is gone */
    bool stopping;
};

/* ------------------------------------------------------------------ logging */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n'); /* stdout is line buffered: the line leaves now */
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "weft " NAME ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The message as Python's repr(data.decode()) shows it (weft_repr), at most
 * SHOW_BYTES of it; longer messages end in "... (N bytes)". */
static const char *repr(char *out, size_t cap, const void *data, size_t len)
{
    size_t show = len < SHOW_BYTES ? len : SHOW_BYTES;
    int n = weft_repr(data, show, out, cap);
    if (n >= 0 && show < len)
        snprintf(out + n, cap - (size_t)n, "... (%zu bytes)", len);
    return out;
}

static void format_duration(char *buf, size_t cap, uint64_t ns)
{
    if (ns % WEFT_SEC(1) == 0)
        snprintf(buf, cap, "%llus", (unsigned long long)(ns / WEFT_SEC(1)));
    else
        snprintf(buf, cap, "%llums", (unsigned long long)(ns / WEFT_MSEC(1)));
}

static void sockaddr_str(const void *sa, char *buf, size_t cap)
{
    if (weft_addr_format_py(sa, buf, cap) < 0)
        snprintf(buf, cap, "(unknown)");
}

/* The transport keeps its peer's text (weft_transport_peer_str) until
 * connection_lost has returned. */
static const char *peer_of(weft_transport *t)
{
    const char *p = weft_transport_peer_str(t);
    return *p ? p : "(unknown)";
}

/* ------------------------------------------------------ TCP and TLS echo */

struct conn {
    struct echo *e;
    weft_transport *t;
    struct conn *prev, *next;
    weft_timer *idle;           /* NULL when not armed */
    uint64_t active;            /* loop time of the last sign of life */
    bool linked;                /* in e->conns (connection_made ran) */
};

static void idle_fired(void *ud);

static void idle_start(struct conn *c, uint64_t when)
{
    if (weft_loop_call_at(c->e->loop, when, idle_fired, c, &c->idle) != 0)
        c->idle = NULL; /* no memory: the connection just has no idle limit */
}

/* Rather than re-arm a timer on every read, note the time and check it when
 * the timer fires, arming it again for what is left. */
static void idle_fired(void *ud)
{
    struct conn *c = ud;
    struct echo *e = c->e;
    c->idle = NULL;
    uint64_t now = weft_loop_now(e->loop);
    if (weft_transport_is_closing(c->t)) {
        /* Closed a whole idle period ago and still flushing to a peer that
         * does not read: give up on it. */
        weft_transport_abort(c->t);
        return;
    }
    if (now - c->active < e->o.idle_ns) {
        idle_start(c, c->active + e->o.idle_ns);
        return;
    }
    char d[32];
    format_duration(d, sizeof d, e->o.idle_ns);
    say("Idle timeout: %s (nothing for %s)", peer_of(c->t), d);
    weft_transport_close(c->t);
    idle_start(c, now + e->o.idle_ns);
}

static void conn_made(weft_transport *t, void *ud)
{
    struct conn *c = ud;
    struct echo *e = c->e;
    c->t = t;
    c->next = e->conns;
    if (e->conns)
        e->conns->prev = c;
    e->conns = c;
    c->linked = true;
    c->active = weft_loop_now(e->loop);
    if (e->o.idle_ns)
        idle_start(c, c->active + e->o.idle_ns);
    weft_tls *tls = weft_transport_tls(t);
    if (tls)
        say("Connected: %s over %s (%s)", peer_of(t), weft_tls_version(tls), weft_tls_cipher(tls));
    else
        say("Connected: %s", peer_of(t));
}

static void conn_data(weft_transport *t, const void *data, size_t len, void *ud)
{
    struct conn *c = ud;
    c->active = weft_loop_now(c->e->loop);
    if (!c->e->o.quiet) {
        char r[4 * SHOW_BYTES + 64];
        say("Received: %s from %s", repr(r, sizeof r, data, len), peer_of(t));
    }
    /* An error here ends the connection: connection_lost says why. */
    weft_transport_write(t, data, len);
}

static bool conn_eof(weft_transport *t, void *ud)
{
    return false; /* close once the echoes already queued are sent */
}

static void conn_pause(weft_transport *t, void *ud)
{
    /* The peer does not read its echoes: stop reading what it sends. */
    weft_transport_pause_reading(t);
}

static void conn_resume(weft_transport *t, void *ud)
{
    struct conn *c = ud;
    c->active = weft_loop_now(c->e->loop);
    weft_transport_resume_reading(t);
}

static void conn_lost(weft_transport *t, int err, void *ud)
{
    struct conn *c = ud;
    struct echo *e = c->e;
    if (c->idle)
        weft_timer_cancel(c->idle);
    if (c->linked) {
        if (c->prev)
            c->prev->next = c->next;
        else
            e->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
    }
    e->nconns--;
    if (err == 0) {
        say("Disconnected: %s", peer_of(t));
    } else {
        /* TLS says more ("the peer closed the connection without
         * close_notify", "bad record mac") than the code's name. */
        weft_tls *tls = weft_transport_tls(t);
        const char *detail = tls ? weft_tls_errdetail(tls) : "";
        say("Disconnected: %s (%s)", peer_of(t), *detail ? detail : weft_strerror(err));
    }
    free(c);
}

static const weft_protocol echo_protocol = {
    .connection_made = conn_made,
    .data_received = conn_data,
    .eof_received = conn_eof,
    .connection_lost = conn_lost,
    .pause_writing = conn_pause,
    .resume_writing = conn_resume,
};

static const weft_protocol *accept_conn(weft_server *srv, weft_transport *t, void *ud,
                                        void **pud)
{
    struct echo *e = ud;
    /* Asked now, while the socket is surely there: the transport keeps it. */
    const char *peer = peer_of(t);
    if (e->stopping)
        return NULL;
    if (e->nconns >= e->o.max_conns) {
        say("Refused: %s (already %zu connections, the --max-connections limit)", peer,
            e->nconns);
        return NULL;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        say("Refused: %s (out of memory)", peer);
        return NULL;
    }
    c->e = e;
    /* Counted now, not in connection_made: a burst of accepts in one loop
     * iteration must not all pass the limit before any of them is made. */
    e->nconns++;
    *pud = c;
    return &echo_protocol;
}

static void tls_failed(weft_transport *t, int err, const char *detail, void *ud)
{
    say("TLS handshake failed: %s (%s)", peer_of(t), detail);
}

/* ------------------------------------------------------------- UDP echo */

struct endpoint {
    struct echo *e;
    weft_udp *u;
};

static void dgram_received(weft_udp *u, const void *data, size_t len,
                           const struct sockaddr *addr, socklen_t addrlen, void *ud)
{
    struct endpoint *ep = ud;
    /* The sender's text is made only for a line that shows it: a --quiet
     * echo formats nothing per datagram. */
    char who[PEER_LEN];
    if (!ep->e->o.quiet) {
        char r[4 * SHOW_BYTES + 64];
        sockaddr_str(addr, who, sizeof who);
        say("Received: %s from %s", repr(r, sizeof r, data, len), who);
    }
    int err = weft_udp_send_datagram(u, data, len, addr, addrlen);
    if (err < 0 && err != WEFT_ECLOSED) {
        sockaddr_str(addr, who, sizeof who);
        say("Not echoed to %s (%s)", who, weft_strerror(err));
    }
}

static void dgram_error(weft_udp *u, int err, void *ud)
{
    say("UDP error: %s", weft_strerror(err));
}

static void dgram_pause(weft_udp *u, void *ud)
{
    weft_udp_pause_reading(u);
}

static void dgram_resume(weft_udp *u, void *ud)
{
    weft_udp_resume_reading(u);
}

static void dgram_lost(weft_udp *u, int err, void *ud)
{
    struct endpoint *ep = ud;
    ep->u = NULL;
    if (err)
        say("UDP endpoint failed: %s", weft_strerror(err));
    if (--ep->e->eps_open == 0 && ep->e->eps_closed)
        weft_future_set_result(ep->e->eps_closed, 0, NULL);
}

static const weft_udp_protocol udp_echo_protocol = {
    .datagram_received = dgram_received,
    .error_received = dgram_error,
    .connection_lost = dgram_lost,
    .pause_writing = dgram_pause,
    .resume_writing = dgram_resume,
};

/* ----------------------------------------------------------- addresses */

static bool is_wildcard(const char *host)
{
    return !host || !*host || strcmp(host, "*") == 0;
}

/* A numeric address for host (an IP literal, "[v6]" included): 0 and *ss,
 * or -EINVAL when host is not one. */
static int numeric_addr(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
    char tmp[INET6_ADDRSTRLEN + 16];
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof tmp) {
        memcpy(tmp, host + 1, n - 2);
        tmp[n - 2] = 0;
        host = tmp;
    }
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        return 0;
    }
    return -EINVAL;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Where to listen: every interface and "localhost" mean both families, as
 * for TCP servers; a literal means itself; a name means its first address.
 * Fills up to 2 addresses and returns how many, or an error. @suspends (a
 * name is resolved through the loop's resolver). */
static int bind_addrs(const char *host, uint16_t port, int socktype,
                      struct sockaddr_storage out[2])
{
    memset(out, 0, 2 * sizeof *out);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&out[0];
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out[1];
    bool local = host && strcasecmp(host, "localhost") == 0;
    if (is_wildcard(host) || local) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        a4->sin_addr.s_addr = htonl(local ? INADDR_LOOPBACK : INADDR_ANY);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        a6->sin6_addr = local ? in6addr_loopback : in6addr_any;
        return 2;
    }
    if (numeric_addr(host, port, &out[0]) == 0)
        return 1;
    weft_dns_hints hints = {.family = AF_UNSPEC, .socktype = socktype};
    weft_addrinfo *ai;
    int n = weft_getaddrinfo(host, NULL, &hints, &ai);
    if (n < 0)
        return n;
    memcpy(&out[0], &ai->addr, ai->addrlen);
    set_port(&out[0], port);
    weft_addrinfo_free(ai);
    return 1;
}

static int open_endpoint(struct echo *e, const struct sockaddr_storage *ss, struct endpoint *ep)
{
    int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    /* The IPv6 wildcard next to the IPv4 one, not over it. */
    if (ss->ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    socklen_t len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                             : sizeof(struct sockaddr_in6);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    ep->e = e;
    return weft_udp_open_fd(e->loop, fd, &udp_echo_protocol, ep, &ep->u);
}

/* ------------------------------------------------------------- signals */

static void on_signal(void *ud)
{
    struct echo *e = ud;
    if (!e->stopping) {
        e->stopping = true;
        say("Shutting down");
        if (e->srv)
            weft_server_close(e->srv);
        weft_future_set_result(e->stop, 0, NULL);
        return;
    }
    say("Second signal: closing every connection now");
    if (e->srv)
        weft_server_abort_clients(e->srv);
    for (int i = 0; i < e->neps; i++)
        if (e->eps[i].u)
            weft_udp_abort(e->eps[i].u);
}

/* ------------------------------------------------------------- servers */

static void listen_error(const struct echo *e, int err)
{
    const char *host = is_wildcard(e->o.bind) ? "*" : e->o.bind;
    fail("cannot listen on %s port %u: %s", host, e->o.port, weft_strerror(err));
}

static int serve_udp(struct echo *e)
{
    struct sockaddr_storage addrs[2];
    int n = bind_addrs(e->o.bind, e->o.port, SOCK_DGRAM, addrs);
    if (n < 0) {
        fail("cannot resolve %s: %s", e->o.bind, weft_strerror(n));
        return 1;
    }
    struct endpoint eps[2] = {{0}};
    e->eps = eps;
    int err = 0;
    uint16_t port = e->o.port;
    for (int i = 0; i < n; i++) {
        if (port)
            set_port(&addrs[i], port); /* port 0: all share the first's */
        int r = open_endpoint(e, &addrs[i], &eps[e->neps]);
        if (r == 0) {
            if (!port)
                port = (uint16_t)weft_udp_port(eps[e->neps].u);
            e->neps++;
            e->eps_open++;
            continue;
        }
        if (!err)
            err = r;
        /* A host without IPv6 still serves IPv4, as TCP servers do; any
         * other failure is fatal (what is open is closed below). */
        if (r != -EAFNOSUPPORT && r != -EADDRNOTAVAIL) {
            err = r;
            break;
        }
    }
    if (e->neps > 0 && (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL))
        err = 0;
    int rc = 0;
    if (err || e->neps == 0) {
        listen_error(e, err ? err : -EADDRNOTAVAIL);
        rc = 1;
    } else {
        for (int i = 0; i < e->neps; i++) {
            struct sockaddr_storage ss;
            socklen_t len = sizeof ss;
            char where[PEER_LEN];
            weft_udp_sockname(eps[i].u, &ss, &len);
            sockaddr_str(&ss, where, sizeof where);
            say("Serving UDP on %s", where);
        }
        weft_future_await(e->stop, NULL);
    }
    /* Queued echoes are still sent; the grace period bounds that. */
    if (e->eps_open) {
        weft_future_new(e->loop, &e->eps_closed);
        for (int i = 0; i < e->neps; i++)
            if (eps[i].u)
                weft_udp_close(eps[i].u);
        int scope = weft_timeout_push(e->o.grace_ns);
        int r = weft_future_await(e->eps_closed, NULL);
        weft_timeout_pop(scope);
        if (r < 0) {
            for (int i = 0; i < e->neps; i++)
                if (eps[i].u)
                    weft_udp_abort(eps[i].u);
            weft_future_await(e->eps_closed, NULL);
        }
        weft_future_unref(e->eps_closed);
        e->eps_closed = NULL;
    }
    e->eps = NULL;
    e->neps = 0;
    return rc;
}

static int serve_stream(struct echo *e)
{
    const char *host = is_wildcard(e->o.bind) ? NULL : e->o.bind;
    char numeric[INET6_ADDRSTRLEN];
    struct sockaddr_storage ss;
    if (host && strcasecmp(host, "localhost") != 0 && numeric_addr(host, 0, &ss) != 0) {
        /* A name: listen on its first address. */
        struct sockaddr_storage addrs[2];
        int n = bind_addrs(host, e->o.port, SOCK_STREAM, addrs);
        if (n < 0) {
            fail("cannot resolve %s: %s", host, weft_strerror(n));
            return 1;
        }
        const void *a = addrs[0].ss_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)&addrs[0])->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)&addrs[0])->sin6_addr;
        inet_ntop(addrs[0].ss_family, a, numeric, sizeof numeric);
        host = numeric;
    }

    weft_tls_ctx *ctx = NULL;
    int err;
    if (e->o.cert) {
        if ((err = weft_tls_ctx_new(WEFT_TLS_SERVER, &ctx)) < 0) {
            fail("cannot make a TLS context: %s", weft_strerror(err));
            return 1;
        }
        if (weft_tls_ctx_load_cert_chain(ctx, e->o.cert, e->o.key) < 0) {
            fail("cannot use %s%s%s: %s", e->o.cert, e->o.key ? " and " : "",
                 e->o.key ? e->o.key : "", weft_tls_ctx_errdetail(ctx));
            weft_tls_ctx_free(ctx);
            return 1;
        }
        weft_tls_opts topts = {
            .handshake_timeout_ns = e->o.handshake_ns,
            .handshake_failed = tls_failed,
            .handshake_failed_ud = e,
        };
        err = weft_tls_server_open(e->loop, host, e->o.port, NULL, ctx, &topts, accept_conn, e,
                                   &e->srv);
        weft_tls_ctx_free(ctx); /* the server holds its own reference */
    } else {
        err = weft_tcp_server_open(e->loop, host, e->o.port, NULL, accept_conn, e, &e->srv);
    }
    if (err) {
        e->srv = NULL;
        listen_error(e, err);
        return 1;
    }
    for (int i = 0; i < weft_server_nsockets(e->srv); i++) {
        socklen_t len = sizeof ss;
        char where[PEER_LEN];
        weft_server_sockname(e->srv, i, &ss, &len);
        sockaddr_str(&ss, where, sizeof where);
        say("Serving %s on %s", e->o.cert ? "TLS" : "TCP", where);
    }

    weft_server_serve_forever(e->srv); /* until a signal closes it */

    /* Graceful: each connection closes after the echoes it already has
     * (close_notify for TLS), handshakes in progress are dropped. */
    for (struct conn *c = e->conns; c; c = c->next)
        weft_transport_close(c->t);
    weft_server_close_clients(e->srv);
    if (weft_server_shutdown(e->srv, e->o.grace_ns) == -ETIMEDOUT) {
        char d[32];
        format_duration(d, sizeof d, e->o.grace_ns);
        say("Some connections did not finish within %s and were cut", d);
    }
    weft_server_free(e->srv);
    e->srv = NULL;
    return 0;
}

static int echo_main(void *arg)
{
    struct echo *e = arg;
    e->loop = weft_loop_current();
    int err = weft_future_new(e->loop, &e->stop);
    if (err) {
        fail("%s", weft_strerror(err));
        return 1;
    }
    if ((err = weft_loop_add_signal_handler(e->loop, SIGINT, on_signal, e)) < 0 ||
        (err = weft_loop_add_signal_handler(e->loop, SIGTERM, on_signal, e)) < 0) {
        fail("cannot handle signals: %s", weft_strerror(err));
        weft_loop_remove_signal_handler(e->loop, SIGINT);
        weft_future_unref(e->stop);
        return 1;
    }
    int rc = e->o.udp ? serve_udp(e) : serve_stream(e);
    weft_loop_remove_signal_handler(e->loop, SIGINT);
    weft_loop_remove_signal_handler(e->loop, SIGTERM);
    weft_future_unref(e->stop);
    return rc;
}

/* ------------------------------------------------------------- options */

static void usage(void)
{
    printf("Usage: weft echo [OPTIONS]\n"
           "\n"
           "Run an echo server: every byte a client sends comes back to it. Logs each\n"
           "connection, message and disconnection on stdout. SIGINT or SIGTERM stops it\n"
           "gracefully (a second one at once).\n"
           "\n"
           "Options:\n"
           "  -b, --bind ADDR           address to listen on: an IP address, a host name,\n"
           "                            localhost, or '*' for every interface\n"
           "                            (default: localhost)\n"
           "  -p, --port N              port (default: %d; 0 picks a free one)\n"
           "  -u, --udp                 echo UDP datagrams instead of a TCP stream\n"
           "      --tls-cert FILE       serve TLS with this PEM certificate chain (leaf\n"
           "                            first, then intermediates)\n"
           "      --tls-key FILE        its PEM private key (default: in --tls-cert)\n"
           "      --handshake-timeout T give up on a TLS handshake after T (default: 10s)\n"
           "      --max-connections N   refuse connections beyond N at once (default: %d)\n"
           "      --idle-timeout T      close a connection silent for T; 0: never\n"
           "                            (default: 5m)\n"
           "      --grace T             on shutdown, wait up to T for connections to end\n"
           "                            (default: 5s)\n"
           "  -q, --quiet               do not log each message, only connections\n"
           "  -h, --help                show this help and exit\n"
           "\n"
           "Durations: 30 or 30s, 250ms, 2m, 1h.\n"
           "\n"
           "Examples:\n"
           "  weft echo                          TCP echo on localhost:%d\n"
           "  weft echo --udp --port 9999        UDP echo\n"
           "  weft echo --tls-cert cert.pem --tls-key key.pem --port 8443\n",
           DEFAULT_PORT, DEFAULT_MAX_CONNS, DEFAULT_PORT);
}

enum {
    OPT_CERT = 256,
    OPT_KEY,
    OPT_MAX_CONNS,
    OPT_IDLE,
    OPT_GRACE,
    OPT_HANDSHAKE,
};

static const struct option long_opts[] = {
    {"bind", required_argument, NULL, 'b'},
    {"port", required_argument, NULL, 'p'},
    {"udp", no_argument, NULL, 'u'},
    {"tls-cert", required_argument, NULL, OPT_CERT},
    {"tls-key", required_argument, NULL, OPT_KEY},
    {"handshake-timeout", required_argument, NULL, OPT_HANDSHAKE},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad_duration(const char *opt, const char *arg)
{
    return weft_cli_usage_error(NAME, "invalid duration for %s: '%s' (try 30s, 250ms, 2m)", opt,
                                arg);
}

/* An unknown option or one missing its argument (getopt said c, ':' or
 * '?'), named as typed: "--bogus" (without any "=value"), or "-x". */
static int bad_option(int c, const char *arg)
{
    const char *what = c == ':' ? "option %.*s needs an argument" : "unknown option %.*s";
    char shortopt[3] = {'-', (char)optopt, 0};
    int len;
    if (strncmp(arg, "--", 2) == 0) {
        len = (int)strcspn(arg, "=");
    } else {
        arg = shortopt;
        len = 2;
    }
    return weft_cli_usage_error(NAME, what, len, arg);
}

/* Parse argv into *o. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct echo_opts *o)
{
    opterr = 0; /* our own messages, in the tool's format */
    optind = 1;
    for (;;) {
        int longindex = -1;
        int c = getopt_long(argc, argv, ":b:p:uqh", long_opts, &longindex);
        if (c == -1)
            break;
        /* The option as typed, for messages ("--idle-timeout"). */
        char name[40];
        if (longindex >= 0)
            snprintf(name, sizeof name, "--%s", long_opts[longindex].name);
        else
            snprintf(name, sizeof name, "-%c", c);
        uint64_t v;
        switch (c) {
        case 'b':
            o->bind = optarg;
            break;
        case 'p':
            if (weft_cli_parse_port(optarg, &o->port) < 0)
                return weft_cli_usage_error(NAME, "invalid port: '%s' (0 to 65535)", optarg);
            break;
        case 'u':
            o->udp = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            usage();
            return 0;
        case OPT_CERT:
            o->cert = optarg;
            break;
        case OPT_KEY:
            o->key = optarg;
            break;
        case OPT_MAX_CONNS:
            if (weft_cli_parse_uint(optarg, 1000000, &v) < 0 || v == 0)
                return weft_cli_usage_error(NAME, "invalid --max-connections: '%s' (1 to 1000000)",
                                            optarg);
            o->max_conns = v;
            break;
        case OPT_IDLE:
            if (weft_cli_parse_duration(optarg, &o->idle_ns) < 0)
                return bad_duration(name, optarg);
            break;
        case OPT_GRACE:
            if (weft_cli_parse_duration(optarg, &o->grace_ns) < 0)
                return bad_duration(name, optarg);
            break;
        case OPT_HANDSHAKE:
            if (weft_cli_parse_duration(optarg, &v) < 0 || v == 0)
                return bad_duration(name, optarg);
            o->handshake_ns = v;
            break;
        case ':':
        default: /* '?' */
            return bad_option(c, argv[optind - 1]);
        }
    }
    if (optind < argc)
        return weft_cli_usage_error(NAME, "unexpected argument '%s'", argv[optind]);
    if (o->key && !o->cert)
        return weft_cli_usage_error(NAME, "--tls-key needs --tls-cert");
    if (o->cert && o->udp)
        return weft_cli_usage_error(NAME, "--udp cannot be combined with TLS (no DTLS)");
    return -1;
}

int weft_cli_echo(int argc, char **argv)
{
    struct echo e = {
        .o = {
            .bind = "localhost",
            .port = DEFAULT_PORT,
            .max_conns = DEFAULT_MAX_CONNS,
            .idle_ns = DEFAULT_IDLE,
            .grace_ns = DEFAULT_GRACE,
            .handshake_ns = DEFAULT_HANDSHAKE,
        },
    };
    int rc = parse_args(argc, argv, &e.o);
    if (rc >= 0)
        return rc;
    /* Log lines reach a pipe or file as they happen, not in 4 KiB blocks. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    rc = weft_run(echo_main, &e);
    return rc == 0 ? 0 : 1;
}
