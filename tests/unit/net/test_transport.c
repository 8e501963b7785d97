/* Transports and protocols (weft/net.h) over TCP (IPv4, IPv6), Unix sockets
 * (path and abstract), socket pairs, pipes and memory pairs: write / writev,
 * half-close, close (flush, then close), abort, pause/resume reading, water
 * marks, extra info, connect timeout / refusal / cancel, servers (port 0,
 * localhost, reuse_port, closing, refusing), sendfile, a peer that resets,
 * zero-copy receive, and the callback order net.h promises. Every protocol
 * below is a recorder that checks that order as the callbacks come. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "weft.h"
#include "weft_test.h"
#include "weft_test_net.h"

/* ------------------------------------------------------------ recorder */

/* A protocol that records what happens to one transport and checks the
 * order of its callbacks: made first, data only before eof, at most one
 * eof, lost last and exactly once, pause/resume alternating from pause, and
 * lost never inside a weft_transport_* call of ours. */
struct rec {
    weft_transport *t;
    char log[64];      /* M made, D data (runs collapsed), E eof, L lost, P, R */
    size_t nlog;
    bool made, eof, lost, paused_w;
    int lost_err;
    int npause, nresume, ndata;
    size_t count;      /* bytes received */
    char *data;        /* and kept, if store */
    size_t cap;
    bool store;
    bool pattern;      /* check bytes against pattern(offset) instead of keeping */
    bool bad_pattern;
    size_t pattern_base;
    bool keep_open;    /* eof_received's answer */
    bool echo;         /* write back what arrives */
    bool pause_at_made;
    bool log_marks;    /* put P and R in the log too */
    /* Optional hooks, run after the bookkeeping. */
    void (*on_made)(struct rec *r);
    void (*on_data)(struct rec *r, const void *data, size_t len);
    bool (*on_eof)(struct rec *r);
    void (*on_pause)(struct rec *r);
    void (*on_resume)(struct rec *r);
    void (*on_lost)(struct rec *r);
    void *ctx;
    /* zero-copy receive */
    char zbuf[10];
    int nbuffer_updated;
};

static int g_in_call;          /* > 0 while a test calls into a transport */
static weft_future *g_wake;    /* set by every callback: WAIT re-checks */

#define CALL(expr) ({ g_in_call++; int r_ = (expr); g_in_call--; r_; })
#define CALLV(expr) do { g_in_call++; expr; g_in_call--; } while (0)

static void poke(void)
{
    if (g_wake && !weft_future_done(g_wake))
        weft_future_set_result(g_wake, 0, NULL);
}

static int wake_wait(void)
{
    assert_int_equal(weft_future_new(NULL, &g_wake), 0);
    int rc = weft_future_await(g_wake, NULL);
    weft_future_unref(g_wake);
    g_wake = NULL;
    return rc;
}

/* Wait (from a task) until expr holds; 20 s bound so a bug fails, never hangs. */
#define WAIT(expr)                                                                         \
    do {                                                                                   \
        int sc_ = weft_timeout_push(WEFT_SEC(20));                                         \
        while (!(expr))                                                                    \
            assert_int_equal(wake_wait(), 0);                                              \
        assert_false(weft_timeout_pop(sc_));                                               \
    } while (0)

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 131u + (i >> 11));
}

static void fill_pattern(char *buf, size_t base, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)pattern(base + i);
}

static void logc(struct rec *r, char c)
{
    if (c == 'D' && r->nlog && r->log[r->nlog - 1] == 'D')
        return;
    if (r->nlog < sizeof r->log - 1)
        r->log[r->nlog++] = c;
}

static void r_made(weft_transport *t, void *ud)
{
    struct rec *r = ud;
    assert_false(r->made);
    assert_int_equal(r->nlog, 0);
    assert_int_equal(g_in_call, 0); /* never inside a call of ours */
    r->made = true;
    r->t = t;
    logc(r, 'M');
    if (r->pause_at_made)
        assert_int_equal(weft_transport_pause_reading(t), 0);
    if (r->on_made)
        r->on_made(r);
    poke();
}

static void keep(struct rec *r, const void *data, size_t len)
{
    if (r->pattern) {
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++)
            if (p[i] != pattern(r->pattern_base + r->count + i))
                r->bad_pattern = true;
    } else if (r->store) {
        if (r->count + len > r->cap) {
            r->cap = (r->count + len) * 2;
            r->data = realloc(r->data, r->cap);
            assert_non_null(r->data);
        }
        memcpy(r->data + r->count, data, len);
    }
    r->count += len;
}

static void r_data(weft_transport *t, const void *data, size_t len, void *ud)
{
    struct rec *r = ud;
    assert_true(r->made);
    assert_false(r->eof);
    assert_false(r->lost);
    assert_true(len >= 1);
    assert_ptr_equal(t, r->t);
    logc(r, 'D');
    r->ndata++;
    keep(r, data, len);
    if (r->echo && !weft_transport_is_closing(t))
        assert_int_equal(weft_transport_write(t, data, len), 0);
    if (r->on_data)
        r->on_data(r, data, len);
    poke();
}

static bool r_eof(weft_transport *t, void *ud)
{
    struct rec *r = ud;
    assert_true(r->made);
    assert_false(r->eof);
    assert_false(r->lost);
    r->eof = true;
    logc(r, 'E');
    bool k = r->on_eof ? r->on_eof(r) : r->keep_open;
    poke();
    return k;
}

static void r_lost(weft_transport *t, int err, void *ud)
{
    struct rec *r = ud;
    assert_true(r->made);
    assert_false(r->lost);
    assert_int_equal(g_in_call, 0); /* "never inside a weft_transport_* call" */
    r->lost = true;
    r->lost_err = err;
    logc(r, 'L');
    if (r->on_lost)
        r->on_lost(r);
    r->t = NULL; /* freed when we return */
    poke();
}

static void r_pause(weft_transport *t, void *ud)
{
    struct rec *r = ud;
    assert_true(r->made);
    assert_false(r->paused_w);
    r->paused_w = true;
    r->npause++;
    if (r->log_marks)
        logc(r, 'P');
    if (r->on_pause)
        r->on_pause(r);
    poke();
}

static void r_resume(weft_transport *t, void *ud)
{
    struct rec *r = ud;
    assert_true(r->paused_w);
    r->paused_w = false;
    r->nresume++;
    if (r->log_marks)
        logc(r, 'R');
    if (r->on_resume)
        r->on_resume(r);
    poke();
}

static const weft_protocol rec_proto = {
    .connection_made = r_made,
    .data_received = r_data,
    .eof_received = r_eof,
    .connection_lost = r_lost,
    .pause_writing = r_pause,
    .resume_writing = r_resume,
};

static void rec_free(struct rec *r)
{
    free(r->data);
    r->data = NULL;
}

/* ------------------------------------------------------------ servers */

#define MAX_CONNS 64

/* What a server's factory makes: a recorder per connection, copied from a
 * template. */
struct srvctx {
    struct rec tmpl;
    struct rec *conns[MAX_CONNS];
    int n;
    bool refuse;
    weft_server *srv;
};

static const weft_protocol *factory(weft_server *srv, weft_transport *t, void *ud, void **pud)
{
    struct srvctx *c = ud;
    poke();
    if (c->refuse || c->n == MAX_CONNS)
        return NULL;
    struct rec *r = malloc(sizeof *r);
    assert_non_null(r);
    *r = c->tmpl;
    c->conns[c->n++] = r;
    *pud = r;
    return &rec_proto;
}

static void srvctx_free(struct srvctx *c)
{
    for (int i = 0; i < c->n; i++) {
        rec_free(c->conns[i]);
        free(c->conns[i]);
    }
    c->n = 0;
}

/* --------------------------------------------------------- connecting */

struct conn_wait {
    bool done;
    int status;
    weft_transport *t;
    struct rec *r; /* the connection's protocol, checked when the callback runs */
};

static void connect_cb(weft_transport *t, int status, void *ud)
{
    struct conn_wait *w = ud;
    assert_false(w->done);
    assert_int_equal(g_in_call, 0);
    w->done = true;
    w->status = status;
    w->t = t;
    assert_true(status == 0 ? t != NULL : t == NULL);
    /* connection_made ran before the callback, on this transport. Checked
     * here, not after the waiting task resumes: by then the peer may have
     * closed and connection_lost have run too. */
    if (status == 0 && w->r) {
        assert_true(w->r->made);
        assert_ptr_equal(t, w->r->t);
    }
    poke();
}

static int tcp_connect(const char *host, int port, const weft_connect_opts *o, struct rec *r)
{
    struct conn_wait w = {.r = r};
    assert_int_equal(weft_tcp_connect(weft_loop_current(), host, (uint16_t)port, o, &rec_proto,
                                      r, connect_cb, &w, NULL),
                     0);
    assert_false(w.done); /* never inside the call */
    WAIT(w.done);
    return w.status;
}

static int unix_connect(const char *path, struct rec *r)
{
    struct conn_wait w = {0};
    assert_int_equal(weft_unix_connect(weft_loop_current(), path, NULL, &rec_proto, r,
                                       connect_cb, &w, NULL),
                     0);
    assert_false(w.done);
    WAIT(w.done);
    return w.status;
}

static bool have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void unix_path(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/weft-tt-%d-%s.sock", (int)getpid(), tag);
}

/* Run main as a weft_run task and check that no fd leaked. */
static void run_clean(weft_task_fn fn, void *arg)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(fn, arg), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

/* -------------------------------------------------------- echo battery */

#define BIG_IOVS 100
#define BIG_IOV_LEN 1000

/* Write through write and writev (more buffers than one writev takes), the
 * peer echoes, compare, close. c and s are connected and made. */
static void echo_battery(struct rec *c, struct rec *s, size_t bulk)
{
    assert_true(c->made && s->made);
    s->echo = true;
    c->store = true;
    size_t total = 0;
    char *want = malloc(6 + 5 + BIG_IOVS * BIG_IOV_LEN + bulk);
    assert_int_equal(CALL(weft_transport_write(c->t, "hello ", 6)), 0);
    memcpy(want, "hello ", 6);
    total += 6;
    struct iovec small[4] = {{"wo", 2}, {"", 0}, {"rl", 2}, {"d", 1}};
    assert_int_equal(CALL(weft_transport_writev(c->t, small, 4)), 0);
    memcpy(want + total, "world", 5);
    total += 5;
    struct iovec big[BIG_IOVS];
    char *blocks = malloc(BIG_IOVS * BIG_IOV_LEN);
    fill_pattern(blocks, 7, BIG_IOVS * BIG_IOV_LEN);
    for (int i = 0; i < BIG_IOVS; i++) {
        big[i].iov_base = blocks + (size_t)i * BIG_IOV_LEN;
        big[i].iov_len = BIG_IOV_LEN;
    }
    assert_int_equal(CALL(weft_transport_writev(c->t, big, BIG_IOVS)), 0);
    memcpy(want + total, blocks, BIG_IOVS * BIG_IOV_LEN);
    total += BIG_IOVS * BIG_IOV_LEN;
    free(blocks); /* borrowed for the call only */
    if (bulk) {
        char *b = malloc(bulk);
        fill_pattern(b, 99, bulk);
        assert_int_equal(CALL(weft_transport_write(c->t, b, bulk)), 0);
        memcpy(want + total, b, bulk);
        total += bulk;
        free(b);
    }
    assert_int_equal(CALL(weft_transport_writev(c->t, NULL, 0)), 0);
    assert_int_equal(CALL(weft_transport_writev(c->t, small, -1)), -EINVAL);
    WAIT(c->count >= total);
    assert_int_equal(c->count, total);
    assert_memory_equal(c->data, want, total);
    free(want);

    /* close: our lost(0); the peer sees EOF and, not keeping it, closes. */
    weft_transport *ct = c->t;
    CALLV(weft_transport_close(ct));
    assert_true(weft_transport_is_closing(ct));
    assert_false(weft_transport_is_reading(ct));
    assert_int_equal(weft_transport_write(ct, "x", 1), WEFT_ECLOSED);
    CALLV(weft_transport_close(ct)); /* idempotent */
    CALLV(weft_transport_abort(ct)); /* and abort after close too */
    assert_false(c->lost);          /* from the loop, later */
    WAIT(c->lost && s->lost);
    assert_int_equal(c->lost_err, 0);
    assert_int_equal(s->lost_err, 0);
    assert_string_equal(c->log, "MDL");
    assert_string_equal(s->log, "MDEL");
}

/* Extra info of a connected socket pair of transports. */
static void check_sock_info(struct rec *c, struct rec *s, const char *kind, int family)
{
    assert_string_equal(weft_transport_kind(c->t), kind);
    assert_string_equal(weft_transport_kind(s->t), kind);
    assert_true(weft_transport_fd(c->t) >= 0);
    assert_true(weft_transport_fd(s->t) >= 0);
    assert_int_not_equal(weft_transport_fd(c->t), weft_transport_fd(s->t));
    assert_ptr_equal(weft_transport_loop(c->t), weft_loop_current());
    assert_ptr_equal(weft_transport_get_protocol(c->t), &rec_proto);
    assert_ptr_equal(weft_transport_get_protocol_ud(c->t), c);
    assert_true(weft_transport_is_reading(c->t));
    assert_true(weft_transport_can_write_eof(c->t));
    struct sockaddr_storage cp = {0}, cs = {0}, sp = {0}, ssn = {0};
    socklen_t l1 = sizeof cp, l2 = sizeof cs, l3 = sizeof sp, l4 = sizeof ssn;
    assert_int_equal(weft_transport_peername(c->t, &cp, &l1), 0);
    assert_int_equal(weft_transport_sockname(c->t, &cs, &l2), 0);
    assert_int_equal(weft_transport_peername(s->t, &sp, &l3), 0);
    assert_int_equal(weft_transport_sockname(s->t, &ssn, &l4), 0);
    assert_int_equal(cp.ss_family, family);
    assert_int_equal(cs.ss_family, family);
    if (family != AF_UNIX) {
        /* The client's peer is the server's own address and vice versa. */
        assert_int_equal(l1, l4);
        assert_memory_equal(&cp, &ssn, l1);
        assert_int_equal(l2, l3);
        assert_memory_equal(&cs, &sp, l2);
        assert_true(weft_addr_port((struct sockaddr *)&cs) > 0);
    }
    /* The peer as Python prints it. */
    char want[160];
    weft_addr_format_py((struct sockaddr *)&cp, want, sizeof want);
    assert_string_equal(weft_transport_peer_str(c->t), want);
    assert_ptr_equal(weft_transport_peer_str(c->t), weft_transport_peer_str(c->t));
    if (family == AF_INET)
        assert_true(strncmp(want, "('127.0.0.1', ", 14) == 0);
    else if (family == AF_INET6)
        assert_true(strncmp(want, "('::1', ", 8) == 0);
    else
        assert_string_equal(weft_transport_peer_str(s->t), "''"); /* unnamed client */
    size_t hi, lo;
    weft_transport_get_write_buffer_limits(c->t, &hi, &lo);
    assert_int_equal(hi, 64 * 1024);
    assert_int_equal(lo, 16 * 1024);
    assert_int_equal(weft_transport_get_write_buffer_size(c->t), 0);
}

struct tcp_args {
    const char *host;
    int family;
};

static int tcp_echo_main(void *arg)
{
    struct tcp_args *a = arg;
    struct srvctx sc = {0};
    weft_server *srv;
    assert_int_equal(weft_tcp_server_open(weft_loop_current(), a->host, 0, NULL, factory, &sc,
                                          &srv),
                     0);
    int port = weft_server_port(srv);
    assert_true(port > 0); /* port 0 reports the port it got */
    assert_int_equal(weft_server_nsockets(srv), 1);
    assert_true(weft_server_is_serving(srv));
    assert_ptr_equal(weft_server_loop(srv), weft_loop_current());
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(weft_server_sockname(srv, 0, &ss, &len), 0);
    assert_int_equal(ss.ss_family, a->family);
    assert_int_equal(weft_server_sockname(srv, 1, &ss, &len), -EINVAL);
    assert_true(weft_server_fd(srv, 0) >= 0);

    struct rec c = {0};
    assert_int_equal(tcp_connect(a->host, port, NULL, &c), 0);
    WAIT(sc.n == 1 && sc.conns[0]->made);
    assert_int_equal(weft_server_nconnections(srv), 1);
    check_sock_info(&c, sc.conns[0], "tcp", a->family);
    echo_battery(&c, sc.conns[0], WEFT_SCALED(4u << 20));
    WAIT(weft_server_nconnections(srv) == 0);
    weft_server_free(srv);
    rec_free(&c);
    srvctx_free(&sc);
    return 0;
}

static void tcp_ipv4_echo_and_info(void **state)
{
    struct tcp_args a = {"127.0.0.1", AF_INET};
    run_clean(tcp_echo_main, &a);
}

static void tcp_ipv6_echo_and_info(void **state)
{
    if (!have_ipv6())
        skip();
    struct tcp_args a = {"::1", AF_INET6};
    run_clean(tcp_echo_main, &a);
}

static int unix_echo_main(void *arg)
{
    const char *path = arg;
    struct srvctx sc = {0};
    weft_server *srv;
    if (path[0] != '@') {
        /* A stale socket file is replaced; anything else is left alone. */
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        strcpy(un.sun_path, path);
        assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof un), 0);
        close(fd);
    }
    assert_int_equal(weft_unix_server_open(weft_loop_current(), path, NULL, factory, &sc, &srv),
                     0);
    assert_int_equal(weft_server_port(srv), -EAFNOSUPPORT);
    struct rec c = {0};
    assert_int_equal(unix_connect(path, &c), 0);
    WAIT(sc.n == 1 && sc.conns[0]->made);
    check_sock_info(&c, sc.conns[0], "unix", AF_UNIX);
    echo_battery(&c, sc.conns[0], WEFT_SCALED(1u << 20));
    weft_server_close(srv);
    assert_false(weft_server_is_serving(srv));
    struct stat st;
    if (path[0] != '@')
        assert_int_equal(stat(path, &st), -1); /* close unlinked the file */
    struct rec c2 = {0};
    int rc = unix_connect(path, &c2);
    assert_true(rc == -ENOENT || rc == -ECONNREFUSED);
    weft_server_free(srv);
    rec_free(&c);
    srvctx_free(&sc);
    return 0;
}

static void unix_path_echo(void **state)
{
    char path[108];
    unix_path(path, sizeof path, "echo");
    run_clean(unix_echo_main, path);
}

static void unix_abstract_echo(void **state)
{
    char name[64];
    snprintf(name, sizeof name, "@weft-tt-%d", (int)getpid());
    run_clean(unix_echo_main, name);
}

static int socketpair_main(void *arg)
{
    struct rec a = {0}, b = {0};
    weft_transport *ta, *tb;
    assert_int_equal(CALL(weft_socketpair_open(weft_loop_current(), &rec_proto, &a, &rec_proto, &b,
                                               &ta, &tb)),
                     0);
    assert_false(a.made); /* connection_made comes from the loop */
    WAIT(a.made && b.made);
    assert_ptr_equal(a.t, ta);
    assert_ptr_equal(b.t, tb);
    check_sock_info(&a, &b, "unix", AF_UNIX);
    echo_battery(&a, &b, WEFT_SCALED(1u << 20));
    rec_free(&a);
    return 0;
}

static void socketpair_echo(void **state)
{
    run_clean(socketpair_main, NULL);
}

static int memory_main(void *arg)
{
    size_t chunk = (size_t)(uintptr_t)arg;
    struct rec a = {0}, b = {0};
    weft_transport *ta, *tb;
    weft_memory_pair_opts o = {.chunk = chunk};
    assert_int_equal(CALL(weft_memory_pair_open(weft_loop_current(), &o, &rec_proto, &a,
                                                &rec_proto, &b, &ta, &tb)),
                     0);
    assert_false(a.made);
    WAIT(a.made && b.made);
    assert_string_equal(weft_transport_kind(ta), "memory");
    assert_int_equal(weft_transport_fd(ta), -1);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(weft_transport_peername(ta, &ss, &len), -ENOTSOCK);
    assert_int_equal(weft_transport_sockname(ta, &ss, &len), -ENOTSOCK);
    assert_string_equal(weft_transport_peer_str(ta), "");
    assert_true(weft_transport_can_write_eof(ta));
    assert_int_equal(weft_transport_sendfile(ta, 0, 0, 1), -ENOTSUP);
    /* Bad arguments are -EINVAL here too, as on a transport that splices. */
    assert_int_equal(weft_transport_sendfile(ta, -1, 0, 1), -EINVAL);
    assert_int_equal(weft_transport_sendfile(ta, 0, -1, 1), -EINVAL);
    echo_battery(&a, &b, chunk == 1 ? 0 : WEFT_SCALED(1u << 20));
    if (chunk == 1) {
        /* One byte per data_received: the protocol sees every boundary. */
        assert_int_equal(b.ndata, (int)a.count);
    }
    rec_free(&a);
    return 0;
}

static void memory_pair_echo(void **state)
{
    run_clean(memory_main, (void *)(uintptr_t)0);
}

static void memory_pair_byte_by_byte(void **state)
{
    run_clean(memory_main, (void *)(uintptr_t)1);
}

/* ---------------------------------------------------------- half-close */

/* The server answers once the client half-closed, then closes. */
static bool answer_on_eof(struct rec *r)
{
    char msg[64];
    int n = snprintf(msg, sizeof msg, "got %zu bytes", r->count);
    assert_int_equal(weft_transport_write(r->t, msg, (size_t)n), 0);
    weft_transport_close(r->t);
    return true; /* keep it: close() above ends it after the flush */
}

static void half_close_check(struct rec *c, struct rec *s)
{
    c->store = true;
    assert_true(weft_transport_can_write_eof(c->t));
    assert_int_equal(CALL(weft_transport_write(c->t, "abcdefg", 7)), 0);
    assert_int_equal(CALL(weft_transport_write_eof(c->t)), 0);
    assert_int_equal(CALL(weft_transport_write_eof(c->t)), 0); /* idempotent */
    assert_int_equal(CALL(weft_transport_write(c->t, "x", 1)), WEFT_ECLOSED);
    assert_true(weft_transport_is_reading(c->t)); /* reading goes on */
    WAIT(c->lost && s->lost);
    assert_int_equal(c->count, strlen("got 7 bytes"));
    assert_memory_equal(c->data, "got 7 bytes", c->count);
    assert_string_equal(c->log, "MDEL");
    assert_string_equal(s->log, "MDEL");
    assert_int_equal(c->lost_err, 0);
    assert_int_equal(s->lost_err, 0);
    rec_free(c);
}

static int half_close_main(void *arg)
{
    const char *kind = arg;
    struct rec c = {0};
    if (strcmp(kind, "memory") == 0) {
        struct rec s = {.on_eof = answer_on_eof};
        weft_transport *ta, *tb;
        assert_int_equal(weft_memory_pair_open(weft_loop_current(), NULL, &rec_proto, &c,
                                               &rec_proto, &s, &ta, &tb),
                         0);
        WAIT(c.made && s.made);
        half_close_check(&c, &s);
        return 0;
    }
    struct srvctx sc = {.tmpl = {.on_eof = answer_on_eof}};
    weft_server *srv;
    char path[108];
    if (strcmp(kind, "tcp") == 0) {
        assert_int_equal(
            weft_tcp_server_open(weft_loop_current(), "127.0.0.1", 0, NULL, factory, &sc, &srv), 0);
        assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c), 0);
    } else {
        unix_path(path, sizeof path, "half");
        assert_int_equal(
            weft_unix_server_open(weft_loop_current(), path, NULL, factory, &sc, &srv), 0);
        assert_int_equal(unix_connect(path, &c), 0);
    }
    WAIT(sc.n == 1 && sc.conns[0]->made);
    half_close_check(&c, sc.conns[0]);
    weft_server_free(srv);
    srvctx_free(&sc);
    return 0;
}

static void half_close_tcp_unix_memory(void **state)
{
    run_clean(half_close_main, "tcp");
    run_clean(half_close_main, "unix");
    run_clean(half_close_main, "memory");
}

/* ------------------------------------------------- close, abort, flush */

#define FLOOD (16u << 20) /* more than loopback's socket buffers hold */

struct flood_ctx {
    char *buf;
    bool abort;
};

/* Server side: write FLOOD bytes at once to a client that does not read,
 * then close (or abort) at once. */
static void flood_then_end(struct rec *r)
{
    struct flood_ctx *f = r->ctx;
    assert_int_equal(weft_transport_write(r->t, f->buf, FLOOD), 0);
    assert_true(weft_transport_get_write_buffer_size(r->t) > 0);
    assert_true(r->paused_w); /* over the high water mark, inside write */
    if (f->abort)
        weft_transport_abort(r->t);
    else
        weft_transport_close(r->t);
    assert_true(weft_transport_is_closing(r->t));
    assert_int_equal(weft_transport_write(r->t, "x", 1), WEFT_ECLOSED);
    assert_int_equal(weft_transport_write_eof(r->t), WEFT_ECLOSED);
}

static int close_abort_main(void *arg)
{
    bool abort = arg != NULL;
    struct flood_ctx f = {.buf = malloc(FLOOD), .abort = abort};
    fill_pattern(f.buf, 0, FLOOD);
    struct srvctx sc = {.tmpl = {.on_made = flood_then_end, .ctx = &f}};
    weft_server *srv;
    assert_int_equal(
        weft_tcp_server_open(weft_loop_current(), "127.0.0.1", 0, NULL, factory, &sc, &srv), 0);
    struct rec c = {.pause_at_made = true, .pattern = true};
    assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c), 0);
    assert_false(weft_transport_is_reading(c.t));
    WAIT(sc.n == 1 && sc.conns[0]->made);
    struct rec *s = sc.conns[0];
    if (abort) {
        /* abort does not wait for the peer: lost(0) while it still sleeps. */
        WAIT(s->lost);
        assert_int_equal(s->lost_err, 0);
        assert_int_equal(c.count, 0);
    } else {
        /* close waits for the flush: a few loop turns change nothing. */
        for (int i = 0; i < 20; i++)
            assert_int_equal(weft_yield(), 0);
        assert_false(s->lost);
    }
    assert_int_equal(CALL(weft_transport_resume_reading(c.t)), 0);
    assert_true(weft_transport_is_reading(c.t));
    WAIT(c.lost);
    assert_false(c.bad_pattern);
    if (abort) {
        /* The buffered rest was dropped. */
        assert_true(c.count < FLOOD);
        assert_true(c.lost_err == 0 || c.lost_err == -ECONNRESET);
    } else {
        WAIT(s->lost);
        assert_int_equal(c.count, FLOOD);
        assert_string_equal(c.log, "MDEL");
        assert_int_equal(c.lost_err, 0);
        assert_int_equal(s->lost_err, 0);
        assert_true(s->npause == 1 && s->nresume == 1); /* drained below low, then closed */
    }
    weft_server_free(srv);
    srvctx_free(&sc);
    free(f.buf);
    return 0;
}

static void close_flushes_then_closes(void **state)
{
    run_clean(close_abort_main, NULL);
}

static void abort_drops_the_buffer(void **state)
{
    run_clean(close_abort_main, (void *)1);
}

/* On memory pairs, deterministically: abort drops what the peer has not
 * received; close delivers it; a transport that was never given a
 * protocol is freed by close or abort. */
static int memory_close_abort_main(void *arg)
{
    for (int mode = 0; mode < 2; mode++) {
        struct rec a = {0}, b = {.pause_at_made = true, .store = true};
        weft_transport *ta, *tb;
        weft_memory_pair_opts o = {.capacity = 1000};
        assert_int_equal(weft_memory_pair_open(weft_loop_current(), &o, &rec_proto, &a,
                                               &rec_proto, &b, &ta, &tb),
                         0);
        WAIT(a.made && b.made);
        char buf[5000];
        fill_pattern(buf, 0, sizeof buf);
        assert_int_equal(CALL(weft_transport_write(ta, buf, sizeof buf)), 0);
        assert_int_equal(weft_transport_get_write_buffer_size(ta), 4000);
        if (mode == 0)
            CALLV(weft_transport_abort(ta));
        else
            CALLV(weft_transport_close(ta));
        assert_false(a.lost);
        if (mode == 0)
            WAIT(a.lost); /* abort: at once, whatever the peer does */
        for (int i = 0; i < 5; i++)
            assert_int_equal(weft_yield(), 0);
        assert_int_equal(a.lost, mode == 0);
        assert_int_equal(CALL(weft_transport_resume_reading(tb)), 0);
        WAIT(a.lost && b.lost);
        /* abort drops at least what the "kernel" did not hold */
        if (mode == 0)
            assert_true(b.count <= 1000);
        else
            assert_int_equal(b.count, sizeof buf);
        if (mode == 1)
            assert_memory_equal(b.data, buf, sizeof buf);
        assert_string_equal(b.log, mode == 0 ? (b.count ? "MDEL" : "MEL") : "MDEL");
        rec_free(&b);
    }
    /* Never started: closing or aborting frees it (no callback to run). */
    weft_transport *ta, *tb;
    assert_int_equal(
        weft_memory_pair_open(weft_loop_current(), NULL, NULL, NULL, NULL, NULL, &ta, &tb), 0);
    weft_transport_close(ta);
    weft_transport_abort(tb);
    for (int i = 0; i < 3; i++)
        assert_int_equal(weft_yield(), 0);
    return 0;
}

static void memory_close_and_abort(void **state)
{
    run_clean(memory_close_abort_main, NULL);
}

/* ---------------------------------------- pause/resume and water marks */

struct pump {
    char chunk[64 * 1024];
    size_t sent;
    bool stop;
    int err;      /* the write that failed (the peer reset) */
};

/* Keep writing until told to pause (the peer does not read). */
static void pump_write(struct rec *r)
{
    struct pump *p = r->ctx;
    while (!r->paused_w && !p->stop && !p->err && !weft_transport_is_closing(r->t)) {
        fill_pattern(p->chunk, p->sent, sizeof p->chunk);
        p->err = weft_transport_write(r->t, p->chunk, sizeof p->chunk);
        if (!p->err)
            p->sent += sizeof p->chunk;
    }
}

static int pause_reading_main(void *arg)
{
    struct pump p = {0};
    struct srvctx sc = {.tmpl = {.on_made = pump_write, .ctx = &p}};
    weft_server *srv;
    assert_int_equal(
        weft_tcp_server_open(weft_loop_current(), "127.0.0.1", 0, NULL, factory, &sc, &srv), 0);
    struct rec c = {.pause_at_made = true, .pattern = true};
    assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c), 0);
    WAIT(sc.n == 1 && sc.conns[0]->made);
    struct rec *s = sc.conns[0];
    /* The client does not read: the kernel fills up, then the server's own
     * buffer, and pause_writing comes once it is above 64 KiB. */
    WAIT(s->paused_w);
    assert_int_equal(c.count, 0);
    assert_false(weft_transport_is_reading(c.t));
    assert_int_equal(CALL(weft_transport_pause_reading(c.t)), 0); /* idempotent */
    assert_true(weft_transport_get_write_buffer_size(s->t) > 64 * 1024);
    assert_int_equal(s->npause, 1);
    assert_int_equal(s->nresume, 0);
    /* Reading again drains it to the low mark: resume_writing. */
    assert_int_equal(CALL(weft_transport_resume_reading(c.t)), 0);
    assert_int_equal(CALL(weft_transport_resume_reading(c.t)), 0);
    WAIT(s->nresume == 1);
    assert_true(weft_transport_get_write_buffer_size(s->t) <= 16 * 1024);
    assert_true(c.count > 0);
    /* Once more with marks of our own, then stop and close. */
    assert_int_equal(CALL(weft_transport_set_write_buffer_limits(s->t, 256 * 1024, 0)), 0);
    assert_int_equal(CALL(weft_transport_pause_reading(c.t)), 0);
    pump_write(s);
    assert_int_equal(p.err, 0);
    assert_true(weft_transport_get_write_buffer_size(s->t) > 256 * 1024);
    assert_int_equal(s->npause, 2);
    p.stop = true;
    CALLV(weft_transport_close(s->t));
    assert_int_equal(CALL(weft_transport_resume_reading(c.t)), 0);
    WAIT(c.lost && s->lost);
    assert_int_equal(c.count, p.sent);
    assert_false(c.bad_pattern);
    assert_int_equal(s->nresume, 2);
    weft_server_free(srv);
    srvctx_free(&sc);
    return 0;
}

static void pause_resume_reading_drives_water_marks(void **state)
{
    run_clean(pause_reading_main, NULL);
}

/* The marks themselves, byte-exact on a memory pair whose "kernel" holds
 * 1000 bytes. */
static int water_marks_main(void *arg)
{
    struct rec a = {.log_marks = true}, b = {.pause_at_made = true};
    weft_transport *ta, *tb;
    weft_memory_pair_opts o = {.capacity = 1000};
    assert_int_equal(weft_memory_pair_open(weft_loop_current(), &o, &rec_proto, &a, &rec_proto,
                                           &b, &ta, &tb),
                     0);
    WAIT(a.made && b.made);
    size_t hi, lo;
    assert_int_equal(weft_transport_set_write_buffer_limits(ta, 2000, 500), 0);
    weft_transport_get_write_buffer_limits(ta, &hi, &lo);
    assert_int_equal(hi, 2000);
    assert_int_equal(lo, 500);
    assert_int_equal(weft_transport_set_write_buffer_limits(ta, 100, 101), -EINVAL);
    weft_transport_get_write_buffer_limits(ta, &hi, &lo);
    assert_int_equal(hi, 2000); /* unchanged */

    static char buf[200000];
    assert_int_equal(CALL(weft_transport_write(ta, buf, 2500)), 0);
    assert_int_equal(weft_transport_get_write_buffer_size(ta), 1500);
    assert_int_equal(a.npause, 0);
    assert_int_equal(CALL(weft_transport_write(ta, buf, 1000)), 0);
    assert_int_equal(weft_transport_get_write_buffer_size(ta), 2500);
    assert_int_equal(a.npause, 1); /* inside the write, as in asyncio */
    assert_int_equal(CALL(weft_transport_write(ta, buf, 1000)), 0);
    assert_int_equal(a.npause, 1); /* once per crossing */
    /* New marks apply at once: resume inside the call. */
    assert_int_equal(CALL(weft_transport_set_write_buffer_limits(ta, 8000, 4000)), 0);
    assert_int_equal(a.nresume, 1);
    assert_int_equal(CALL(weft_transport_set_write_buffer_limits(ta, 3000, 1000)), 0);
    assert_int_equal(a.npause, 2);
    /* Defaults back with 0, 0. */
    assert_int_equal(CALL(weft_transport_set_write_buffer_limits(ta, 0, 0)), 0);
    weft_transport_get_write_buffer_limits(ta, &hi, &lo);
    assert_int_equal(hi, 64 * 1024);
    assert_int_equal(lo, 16 * 1024);
    assert_int_equal(a.nresume, 2);
    assert_int_equal(CALL(weft_transport_write(ta, buf, sizeof buf)), 0);
    assert_int_equal(a.npause, 3);
    /* The reader catches up: resume once the buffer is at 16 KiB. */
    assert_int_equal(CALL(weft_transport_resume_reading(tb)), 0);
    WAIT(a.nresume == 3);
    assert_true(weft_transport_get_write_buffer_size(ta) <= 16 * 1024);
    assert_string_equal(a.log, "MPRPRPR");
    WAIT(b.count == 4500 + sizeof buf);
    CALLV(weft_transport_close(ta));
    WAIT(a.lost && b.lost);
    return 0;
}

static void set_write_buffer_limits_exact(void **state)
{
    run_clean(water_marks_main, NULL);
}

/* --------------------------------------------------------- connecting */

static int connect_errors_main(void *arg)
{
    /* Refused: a bound socket that does not listen answers with a reset. */
    int refusing;
    int fd = weft_test_bind_loopback(SOCK_STREAM, &refusing);
    assert_true(fd >= 0);
    struct rec c = {0};
    assert_int_equal(tcp_connect("127.0.0.1", refusing, NULL, &c), -ECONNREFUSED);
    assert_false(c.made);
    close(fd);

    /* Timed out: a listener with a full accept queue drops further SYNs. */
    int hole[3];
    int port = weft_test_blackhole_open(hole);
    assert_true(port > 0);
    weft_connect_opts o = {.timeout_ns = WEFT_MSEC(200)};
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(tcp_connect("127.0.0.1", port, &o, &c), -ETIMEDOUT);
    uint64_t took = weft_test_now_ns() - t0;
    assert_true(took >= WEFT_MSEC(200));
    assert_true(took < WEFT_SEC(5));
    assert_false(c.made);

    /* Cancelled while pending: the callback runs once, from the loop. */
    struct conn_wait w = {0};
    weft_connect_req *req;
    assert_int_equal(weft_tcp_connect(weft_loop_current(), "127.0.0.1", (uint16_t)port, NULL,
                                      &rec_proto, &c, connect_cb, &w, &req),
                     0);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(weft_connect_cancel(req), 0);
    assert_false(w.done);
    WAIT(w.done);
    assert_int_equal(w.status, -ECANCELED);
    weft_test_blackhole_close(hole);

    /* Bad arguments fail at once and never call back. */
    assert_int_equal(weft_tcp_connect(weft_loop_current(), "", 1, NULL, NULL, NULL, connect_cb,
                                      &w, NULL),
                     -EINVAL);
    weft_connect_opts bad = {.family = AF_UNIX};
    assert_int_equal(weft_tcp_connect(weft_loop_current(), "127.0.0.1", 1, &bad, NULL, NULL,
                                      connect_cb, &w, NULL),
                     -EAFNOSUPPORT);
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = 0;
    assert_int_equal(weft_unix_connect(weft_loop_current(), longpath, NULL, NULL, NULL,
                                       connect_cb, &w, NULL),
                     -ENAMETOOLONG);

    /* Unix: no such file; a socket file nobody listens on. */
    char path[108];
    unix_path(path, sizeof path, "refused");
    assert_int_equal(unix_connect(path, &c), -ENOENT);
    int ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, path);
    assert_int_equal(bind(ufd, (struct sockaddr *)&un, sizeof un), 0);
    assert_int_equal(unix_connect(path, &c), -ECONNREFUSED);
    close(ufd);
    unlink(path);

    /* A name (resolved on the executor) connects too. */
    struct srvctx sc = {0};
    weft_server *srv;
    weft_server_opts so = {.family = AF_INET};
    assert_int_equal(
        weft_tcp_server_open(weft_loop_current(), "localhost", 0, &so, factory, &sc, &srv), 0);
    weft_connect_opts v4 = {.family = AF_INET, .timeout_ns = WEFT_SEC(10)};
    struct rec c2 = {0};
    assert_int_equal(tcp_connect("localhost", weft_server_port(srv), &v4, &c2), 0);
    WAIT(sc.n == 1);
    CALLV(weft_transport_close(c2.t));
    WAIT(c2.lost);
    weft_server_free(srv);
    WAIT(sc.conns[0]->lost);
    srvctx_free(&sc);
    return 0;
}

static void connect_refused_timeout_cancel(void **state)
{
    run_clean(connect_errors_main, NULL);
}

/* ------------------------------------------------------------ servers */

static int servers_main(void *arg)
{
    weft_loop *loop = weft_loop_current();
    /* localhost binds 127.0.0.1 and ::1, on one port. */
    struct srvctx sc = {0};
    weft_server *srv;
    assert_int_equal(weft_tcp_server_open(loop, "localhost", 0, NULL, factory, &sc, &srv), 0);
    int port = weft_server_port(srv);
    assert_true(port > 0);
    int n = weft_server_nsockets(srv);
    assert_true(n == (have_ipv6() ? 2 : 1));
    for (int i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        assert_int_equal(weft_server_sockname(srv, i, &ss, &len), 0);
        assert_int_equal(weft_addr_port((struct sockaddr *)&ss), port);
    }
    /* Names need a task and the executor: the non-suspending call refuses. */
    weft_server *x;
    assert_int_equal(weft_tcp_server_open(loop, "example.invalid", 0, NULL, factory, &sc, &x),
                     -EINVAL);
    /* The port is taken without reuse_port... */
    assert_int_equal(weft_tcp_server_open(loop, "127.0.0.1", (uint16_t)port, NULL, factory, &sc,
                                          &x),
                     -EADDRINUSE);
    weft_server_free(srv);

    /* ... and shared with it: two listeners on one port, the kernel spreads
     * the connections between them. */
    weft_server_opts ro = {.reuse_port = true, .backlog = 16};
    struct srvctx s1 = {0}, s2 = {0};
    weft_server *a, *b;
    assert_int_equal(weft_tcp_server_open(loop, "127.0.0.1", 0, &ro, factory, &s1, &a), 0);
    port = weft_server_port(a);
    assert_int_equal(weft_tcp_server_open(loop, "127.0.0.1", (uint16_t)port, &ro, factory, &s2,
                                          &b),
                     0);
    int one = 0;
    socklen_t ol = sizeof one;
    getsockopt(weft_server_fd(b, 0), SOL_SOCKET, SO_REUSEPORT, &one, &ol);
    assert_int_equal(one, 1);
    struct rec cs[20] = {{0}};
    for (int i = 0; i < 20; i++)
        assert_int_equal(tcp_connect("127.0.0.1", port, NULL, &cs[i]), 0);
    WAIT(s1.n + s2.n == 20);
    WAIT(weft_server_nconnections(a) + weft_server_nconnections(b) == 20);

    /* close stops accepting; live connections go on. */
    weft_server_close(a);
    weft_server_close(b);
    assert_false(weft_server_is_serving(a));
    weft_server_close(a); /* idempotent */
    assert_int_equal(weft_server_nconnections(a) + weft_server_nconnections(b), 20);
    struct rec *first = s1.n ? s1.conns[0] : s2.conns[0];
    first->echo = true;
    struct rec *cl = NULL;
    for (int i = 0; i < 20; i++) {
        struct sockaddr_storage p1, p2;
        socklen_t l1 = sizeof p1, l2 = sizeof p2;
        weft_transport_sockname(cs[i].t, &p1, &l1);
        weft_transport_peername(first->t, &p2, &l2);
        if (l1 == l2 && memcmp(&p1, &p2, l1) == 0)
            cl = &cs[i];
    }
    assert_non_null(cl);
    cl->store = true;
    assert_int_equal(CALL(weft_transport_write(cl->t, "still here", 10)), 0);
    WAIT(cl->count == 10);
    /* close_clients flushes and closes every one; abort_clients drops them. */
    weft_server_close_clients(a);
    weft_server_abort_clients(b);
    WAIT(weft_server_nconnections(a) + weft_server_nconnections(b) == 0);
    for (int i = 0; i < 20; i++) {
        WAIT(cs[i].lost);
        assert_true(cs[i].lost_err == 0 || cs[i].lost_err == -ECONNRESET);
        rec_free(&cs[i]);
    }
    weft_server_free(a);
    weft_server_free(b);
    srvctx_free(&s1);
    srvctx_free(&s2);

    /* A factory that refuses: the connection is closed at once. */
    struct srvctx rf = {.refuse = true};
    assert_int_equal(weft_tcp_server_open(loop, "127.0.0.1", 0, NULL, factory, &rf, &srv), 0);
    struct rec c = {0};
    assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c), 0);
    WAIT(c.lost);
    assert_string_equal(c.log, "MEL");
    assert_int_equal(weft_server_nconnections(srv), 0);
    weft_server_free(srv);

    /* Options are checked. */
    weft_server_opts bad = {.family = AF_UNIX};
    assert_int_equal(weft_tcp_server_open(loop, "127.0.0.1", 0, &bad, factory, &sc, &x),
                     -EAFNOSUPPORT);
    assert_int_equal(weft_tcp_server_open(loop, "127.0.0.1", 0, NULL, NULL, &sc, &x), -EINVAL);
    return 0;
}

static void servers_port_zero_localhost_reuse_port_close(void **state)
{
    run_clean(servers_main, NULL);
}

/* ----------------------------------------------------------- sendfile */

struct sf_ctx {
    int fd;
    off_t off;
    size_t count;
    bool past_end;
};

static void send_file(struct rec *r)
{
    struct sf_ctx *f = r->ctx;
    assert_int_equal(weft_transport_write(r->t, "HDR", 3), 0);
    int rc = weft_transport_sendfile(r->t, f->fd, f->off, f->count);
    if (f->past_end) {
        /* The kernel may take all there is at once and meet the end here. */
        assert_true(rc == 0 || rc == -EIO);
        if (rc)
            return;
    } else {
        assert_int_equal(rc, 0);
    }
    assert_int_equal(weft_transport_write(r->t, "TRL", 3), 0);
    if (!f->past_end)
        assert_int_equal(weft_transport_write_eof(r->t), 0);
}

static int sendfile_main(void *arg)
{
    size_t fsize = WEFT_SCALED(8u << 20);
    char tmpl[] = "/tmp/weft-tt-sendfile-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);
    char *content = malloc(fsize);
    fill_pattern(content, 0, fsize);
    assert_int_equal(write(fd, content, fsize), (ssize_t)fsize);

    struct sf_ctx f = {.fd = fd, .off = 1000, .count = fsize - 3000};
    struct srvctx sc = {.tmpl = {.on_made = send_file, .ctx = &f}};
    weft_server *srv;
    assert_int_equal(
        weft_tcp_server_open(weft_loop_current(), "127.0.0.1", 0, NULL, factory, &sc, &srv), 0);
    struct rec c = {.store = true};
    assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c), 0);
    WAIT(c.eof);
    assert_int_equal(c.count, 3 + f.count + 3);
    assert_memory_equal(c.data, "HDR", 3);
    assert_memory_equal(c.data + 3, content + 1000, f.count);
    assert_memory_equal(c.data + 3 + f.count, "TRL", 3);
    WAIT(c.lost && sc.conns[0]->lost);
    assert_int_equal(sc.conns[0]->lost_err, 0);
    rec_free(&c);

    /* A file shorter than promised fails the transport (-EIO), cleanly. */
    struct rec c2 = {.store = true};
    f.count = fsize; /* from offset 1000: 1000 bytes past the end */
    f.past_end = true;
    assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c2), 0);
    WAIT(sc.n == 2 && sc.conns[1]->lost);
    assert_int_equal(sc.conns[1]->lost_err, -EIO);
    WAIT(c2.lost);
    assert_true(c2.count < 3 + f.count + 3);
    rec_free(&c2);

    /* Bad arguments. */
    struct rec c3 = {0};
    assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c3), 0);
    WAIT(sc.n == 3);
    assert_int_equal(weft_transport_sendfile(c3.t, -1, 0, 10), -EINVAL);
    assert_int_equal(weft_transport_sendfile(c3.t, fd, -1, 10), -EINVAL);
    assert_int_equal(weft_transport_sendfile(c3.t, fd, 0, 0), 0);
    CALLV(weft_transport_abort(c3.t));
    WAIT(c3.lost);
    weft_server_free(srv);
    WAIT(sc.conns[2]->lost);
    srvctx_free(&sc);
    free(content);
    close(fd);
    return 0;
}

static void transport_sendfile(void **state)
{
    run_clean(sendfile_main, NULL);
}

/* ------------------------------------------------ a peer that resets */

/* Server side: once 100 KB arrived, reset the connection (SO_LINGER 0). */
static void reset_after(struct rec *r, const void *data, size_t len)
{
    if (r->count < 100000 || weft_transport_is_closing(r->t))
        return;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(weft_transport_fd(r->t), SOL_SOCKET, SO_LINGER, &lg, sizeof lg),
                     0);
    weft_transport_abort(r->t);
}

static int reset_main(void *arg)
{
    struct srvctx sc = {.tmpl = {.on_data = reset_after}};
    weft_server *srv;
    assert_int_equal(
        weft_tcp_server_open(weft_loop_current(), "127.0.0.1", 0, NULL, factory, &sc, &srv), 0);
    struct pump p = {0};
    struct rec c = {.on_made = pump_write, .on_resume = pump_write, .ctx = &p};
    assert_int_equal(tcp_connect("127.0.0.1", weft_server_port(srv), NULL, &c), 0);
    WAIT(c.lost);
    assert_true(c.lost_err == -ECONNRESET || c.lost_err == -EPIPE);
    assert_true(p.err == 0 || p.err == -ECONNRESET || p.err == -EPIPE);
    assert_true(p.sent >= 100000);
    WAIT(sc.n == 1 && sc.conns[0]->lost);
    assert_int_equal(sc.conns[0]->lost_err, 0);
    weft_server_free(srv);
    srvctx_free(&sc);

    /* The same on a memory pair. */
    struct rec a = {0}, b = {0};
    weft_transport *ta, *tb;
    assert_int_equal(weft_memory_pair_open(weft_loop_current(), NULL, &rec_proto, &a, &rec_proto,
                                           &b, &ta, &tb),
                     0);
    WAIT(a.made && b.made);
    assert_int_equal(CALL(weft_transport_write(tb, "late", 4)), 0);
    assert_int_equal(CALL(weft_memory_transport_reset(ta)), 0);
    WAIT(a.lost && b.lost);
    assert_int_equal(a.lost_err, 0);
    assert_int_equal(b.lost_err, -ECONNRESET);
    assert_string_equal(b.log, "ML");
    /* Not a memory transport. */
    weft_transport *s1, *s2;
    struct rec x = {0}, y = {0};
    assert_int_equal(weft_socketpair_open(weft_loop_current(), &rec_proto, &x, &rec_proto, &y,
                                          &s1, &s2),
                     0);
    assert_int_equal(weft_memory_transport_reset(s1), -EINVAL);
    CALLV(weft_transport_abort(s1));
    WAIT(x.lost && y.lost);
    return 0;
}

static void peer_reset_mid_stream(void **state)
{
    run_clean(reset_main, NULL);
}

/* ---------------------------------------------------- callback order */

static void close_in_made(struct rec *r)
{
    assert_int_equal(weft_transport_write(r->t, "bye", 3), 0);
    weft_transport_close(r->t);
}

static void close_in_data(struct rec *r, const void *data, size_t len)
{
    weft_transport_close(r->t); /* no data_received after this */
}

static void abort_in_made(struct rec *r)
{
    weft_transport_abort(r->t);
    assert_false(r->lost); /* reported later, from the loop */
}

static bool abort_in_eof(struct rec *r)
{
    weft_transport_abort(r->t);
    return true;
}

static void end_again(struct rec *r)
{
    weft_transport_close(r->t);
    weft_transport_abort(r->t);
}

static void write_from_lost(struct rec *r)
{
    /* The transport is still valid here; it only refuses to write. */
    assert_true(weft_transport_is_closing(r->t));
    assert_true(weft_transport_write(r->t, "x", 1) < 0);
}

static int order_main(void *arg)
{
    weft_loop *loop = weft_loop_current();
    /* Closing inside connection_made: made, then lost; the peer gets the
     * bytes written before. */
    struct rec a = {.on_made = close_in_made, .on_lost = write_from_lost};
    struct rec b = {.store = true};
    weft_transport *ta, *tb;
    assert_int_equal(weft_memory_pair_open(loop, NULL, &rec_proto, &a, &rec_proto, &b, &ta, &tb),
                     0);
    WAIT(a.lost && b.lost);
    assert_string_equal(a.log, "ML");
    assert_string_equal(b.log, "MDEL");
    assert_memory_equal(b.data, "bye", 3);
    rec_free(&b);

    /* Closing inside data_received stops further deliveries, byte by byte. */
    struct rec c = {.on_data = close_in_data}, d = {0};
    weft_memory_pair_opts one = {.chunk = 1};
    assert_int_equal(weft_memory_pair_open(loop, &one, &rec_proto, &c, &rec_proto, &d, &ta, &tb),
                     0);
    WAIT(c.made && d.made);
    assert_int_equal(CALL(weft_transport_write(tb, "abcdef", 6)), 0);
    WAIT(c.lost && d.lost);
    assert_int_equal(c.ndata, 1);
    assert_string_equal(c.log, "MDL");

    /* A transport made without a protocol waits for set_protocol, which
     * queues connection_made (never inside the call). */
    struct rec e = {0}, f = {0};
    assert_int_equal(weft_memory_pair_open(loop, NULL, NULL, NULL, NULL, NULL, &ta, &tb), 0);
    assert_int_equal(CALL(weft_transport_write(tb, "early", 5)), 0);
    CALLV(weft_transport_set_protocol(ta, &rec_proto, &e));
    CALLV(weft_transport_set_protocol(tb, &rec_proto, &f));
    assert_false(e.made);
    e.store = true;
    WAIT(e.made && f.made && e.count == 5);
    assert_memory_equal(e.data, "early", 5);
    rec_free(&e);
    /* Switching protocols on a running transport: the new one gets the next
     * callbacks, without a second connection_made. */
    struct rec g = {.made = true, .t = ta, .store = true};
    CALLV(weft_transport_set_protocol(ta, &rec_proto, &g));
    CALLV(weft_transport_set_protocol(ta, NULL, NULL)); /* ignored */
    assert_ptr_equal(weft_transport_get_protocol_ud(ta), &g);
    assert_int_equal(CALL(weft_transport_write(tb, "next", 4)), 0);
    WAIT(g.count == 4);
    assert_int_equal(e.count, 5);
    CALLV(weft_transport_close(tb));
    WAIT(g.lost && f.lost);
    assert_string_equal(g.log, "DEL");
    rec_free(&g);

    /* Abort inside connection_made, inside eof_received, and close/abort
     * again inside connection_lost: lost still comes once, from the loop. */
    struct rec h = {.on_made = abort_in_made}, i = {0};
    assert_int_equal(weft_memory_pair_open(loop, NULL, &rec_proto, &h, &rec_proto, &i, &ta, &tb),
                     0);
    WAIT(h.lost && i.lost);
    assert_string_equal(h.log, "ML");
    assert_string_equal(i.log, "MEL");
    struct rec j = {.on_eof = abort_in_eof, .on_lost = end_again}, k = {0};
    assert_int_equal(weft_memory_pair_open(loop, NULL, &rec_proto, &j, &rec_proto, &k, &ta, &tb),
                     0);
    WAIT(j.made && k.made);
    CALLV(weft_transport_close(tb));
    WAIT(j.lost && k.lost);
    assert_string_equal(j.log, "MEL");
    for (int n = 0; n < 3; n++)
        assert_int_equal(weft_yield(), 0);
    return 0;
}

static void callback_order_guarantees(void **state)
{
    run_clean(order_main, NULL);
}

/* ----------------------------------------- zero-copy receive, pipes */

static void *z_get(weft_transport *t, size_t *len, void *ud)
{
    struct rec *r = ud;
    assert_true(*len >= 1);
    *len = sizeof r->zbuf;
    return r->zbuf;
}

static void z_updated(weft_transport *t, size_t n, void *ud)
{
    struct rec *r = ud;
    assert_true(n >= 1 && n <= sizeof r->zbuf);
    r->nbuffer_updated++;
    keep(r, r->zbuf, n);
    poke();
}

static const weft_protocol zc_proto = {
    .connection_made = r_made,
    .data_received = r_data,
    .eof_received = r_eof,
    .connection_lost = r_lost,
    .get_buffer = z_get,
    .buffer_updated = z_updated,
};

static int zerocopy_pipe_main(void *arg)
{
    weft_loop *loop = weft_loop_current();
    /* Zero-copy receive over a socket pair: 10-byte buffers. */
    struct rec a = {.pattern = true}, b = {0};
    weft_transport *ta, *tb;
    assert_int_equal(weft_socketpair_open(loop, &zc_proto, &a, &rec_proto, &b, &ta, &tb), 0);
    WAIT(a.made && b.made);
    char buf[1000];
    fill_pattern(buf, 0, sizeof buf);
    assert_int_equal(CALL(weft_transport_write(tb, buf, sizeof buf)), 0);
    CALLV(weft_transport_close(tb));
    WAIT(a.lost && b.lost);
    assert_int_equal(a.count, sizeof buf);
    assert_false(a.bad_pattern);
    assert_true(a.nbuffer_updated >= 100);
    assert_int_equal(a.ndata, 0);

    /* A pipe: the read end ends with eof then lost(0); the write end, whose
     * reader went away, with lost(-EPIPE); write_eof on a write-only pipe
     * closes it. */
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    struct rec r = {.store = true}, w = {0};
    weft_transport *tr, *tw;
    assert_int_equal(weft_transport_open_fd(loop, p[0], WEFT_FD_READ, &rec_proto, &r, &tr), 0);
    assert_int_equal(weft_transport_open_fd(loop, p[1], WEFT_FD_WRITE, &rec_proto, &w, &tw), 0);
    WAIT(r.made && w.made);
    assert_string_equal(weft_transport_kind(tr), "pipe");
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    assert_int_equal(weft_transport_peername(tr, &ss, &sl), -ENOTSOCK);
    assert_int_equal(weft_transport_write(tr, "x", 1), -ENOTSUP);
    assert_false(weft_transport_can_write_eof(tr));
    assert_int_equal(weft_transport_write_eof(tr), -ENOTSUP);
    assert_int_equal(CALL(weft_transport_write(tw, "through a pipe", 14)), 0);
    assert_int_equal(CALL(weft_transport_write_eof(tw)), 0);
    WAIT(r.lost && w.lost);
    assert_int_equal(w.lost_err, 0);
    assert_int_equal(r.lost_err, 0);
    assert_string_equal(r.log, "MDEL");
    assert_memory_equal(r.data, "through a pipe", 14);
    rec_free(&r);

    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    struct rec w2 = {0};
    assert_int_equal(weft_transport_open_fd(loop, p[1], WEFT_FD_WRITE, &rec_proto, &w2, &tw), 0);
    close(p[0]);
    WAIT(w2.lost);
    assert_int_equal(w2.lost_err, -EPIPE);

    /* KEEP leaves the fd open; bad flags are refused (and close the fd). */
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    struct rec k = {0};
    assert_int_equal(
        weft_transport_open_fd(loop, p[0], WEFT_FD_READ | WEFT_FD_KEEP, &rec_proto, &k, &tr), 0);
    WAIT(k.made);
    CALLV(weft_transport_close(tr));
    WAIT(k.lost);
    assert_true(fcntl(p[0], F_GETFD) >= 0);
    assert_int_equal(weft_transport_open_fd(loop, p[0], 0, NULL, NULL, &tr), -EINVAL);
    assert_int_equal(fcntl(p[0], F_GETFD), -1);
    close(p[1]);
    return 0;
}

static void zero_copy_receive_and_pipes(void **state)
{
    run_clean(zerocopy_pipe_main, NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(tcp_ipv4_echo_and_info),
    cmocka_unit_test(tcp_ipv6_echo_and_info),
    cmocka_unit_test(unix_path_echo),
    cmocka_unit_test(unix_abstract_echo),
    cmocka_unit_test(socketpair_echo),
    cmocka_unit_test(memory_pair_echo),
    cmocka_unit_test(memory_pair_byte_by_byte),
    cmocka_unit_test(half_close_tcp_unix_memory),
    cmocka_unit_test(close_flushes_then_closes),
    cmocka_unit_test(abort_drops_the_buffer),
    cmocka_unit_test(memory_close_and_abort),
    cmocka_unit_test(pause_resume_reading_drives_water_marks),
    cmocka_unit_test(set_write_buffer_limits_exact),
    cmocka_unit_test(connect_refused_timeout_cancel),
    cmocka_unit_test(servers_port_zero_localhost_reuse_port_close),
    cmocka_unit_test(transport_sendfile),
    cmocka_unit_test(peer_reset_mid_stream),
    cmocka_unit_test(callback_order_guarantees),
    cmocka_unit_test(zero_copy_receive_and_pipes),
};

WEFT_TEST_MAIN(tests)
