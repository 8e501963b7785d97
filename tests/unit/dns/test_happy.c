/* Happy Eyeballs against real listeners on 127.0.0.1 and ::1, a refused
 * port (bound, not listening), attempts made to hang through the syscall
 * table, and a real stalled connect (a listener whose accept queue is full). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "weft.h"
#include "weft_test.h"
#include "dns/dns_int.h"

/* ---------------------------------------------------------- sockets */

static int bound_socket(int family, bool do_listen, int backlog, int *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } a;
    memset(&a, 0, sizeof a);
    socklen_t len;
    if (family == AF_INET) {
        a.in.sin_family = AF_INET;
        a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof a.in;
    } else {
        a.in6.sin6_family = AF_INET6;
        a.in6.sin6_addr = in6addr_loopback;
        len = sizeof a.in6;
    }
    assert_int_equal(bind(fd, &a.sa, len), 0);
    if (do_listen)
        assert_int_equal(listen(fd, backlog), 0);
    assert_int_equal(getsockname(fd, &a.sa, &len), 0);
    *port = ntohs(family == AF_INET ? a.in.sin_port : a.in6.sin6_port);
    return fd;
}

/* Append an address to a list made by hand (as weft_getaddrinfo would). */
static void add_addr(weft_addrinfo **list, const char *ip, int port)
{
    weft_addrinfo *ai = calloc(1, sizeof *ai);
    assert_non_null(ai);
    ai->socktype = SOCK_STREAM;
    ai->protocol = IPPROTO_TCP;
    if (inet_pton(AF_INET, ip, &ai->addr.in.sin_addr) == 1) {
        ai->family = AF_INET;
        ai->addr.in.sin_family = AF_INET;
        ai->addr.in.sin_port = htons((uint16_t)port);
        ai->addrlen = sizeof ai->addr.in;
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, &ai->addr.in6.sin6_addr), 1);
        ai->family = AF_INET6;
        ai->addr.in6.sin6_family = AF_INET6;
        ai->addr.in6.sin6_port = htons((uint16_t)port);
        ai->addrlen = sizeof ai->addr.in6;
    }
    while (*list)
        list = &(*list)->next;
    *list = ai;
}

static int peer_port(int fd, int *family)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(getpeername(fd, (struct sockaddr *)&ss, &len), 0);
    *family = ss.ss_family;
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* ---------------------------------------------------------- the hook */

/* connect() through here: ports in hang[] never connect (the fd becomes a
 * full eventfd, never writable), ports in unreach[] fail with ENETUNREACH;
 * every call is logged. */
static struct {
    int hang[8], nhang;
    int unreach[8], nunreach;
    int log_port[16];
    int log_family[16];
    int nlog;
} hook;

static bool in_list(const int *l, int n, int port)
{
    for (int i = 0; i < n; i++)
        if (l[i] == port)
            return true;
    return false;
}

static int hooked_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    int port = ntohs(sa->sa_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_port
                                              : ((const struct sockaddr_in6 *)sa)->sin6_port);
    if (hook.nlog < 16) {
        hook.log_port[hook.nlog] = port;
        hook.log_family[hook.nlog++] = sa->sa_family;
    }
    if (in_list(hook.hang, hook.nhang, port)) {
        int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_true(efd >= 0);
        uint64_t full = 0xfffffffffffffffeull;
        assert_int_equal(write(efd, &full, sizeof full), (ssize_t)sizeof full);
        assert_int_equal(dup2(efd, fd), fd);
        close(efd);
        errno = EINPROGRESS;
        return -1;
    }
    if (in_list(hook.unreach, hook.nunreach, port)) {
        errno = ENETUNREACH;
        return -1;
    }
    return connect(fd, sa, len);
}

static void hook_install(void)
{
    memset(&hook, 0, sizeof hook);
    weft__happy_sys.connect = hooked_connect;
}

static void hook_remove(void)
{
    weft__happy_sys.connect = connect;
}

/* ---------------------------------------------------------- harness */

struct hctx {
    int l4, l6, p4, p6;     /* listeners */
    int r4, r6, rp4, rp6;   /* bound, not listening: refused */
    weft_addrinfo *list;
    weft_happy_opts opts;
    int rc, fd;
    uint64_t elapsed;
};

static int happy_main(void *arg)
{
    struct hctx *c = arg;
    uint64_t t0 = weft_test_now_ns();
    c->rc = weft_happy_connect(c->list, &c->opts, &c->fd);
    c->elapsed = weft_test_now_ns() - t0;
    return 0;
}

static void setup_sockets(struct hctx *c)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->l4 = bound_socket(AF_INET, true, 16, &c->p4);
    c->l6 = bound_socket(AF_INET6, true, 16, &c->p6);
    c->r4 = bound_socket(AF_INET, false, 0, &c->rp4);
    c->r6 = bound_socket(AF_INET6, false, 0, &c->rp6);
}

static void teardown(struct hctx *c)
{
    weft_addrinfo_free(c->list);
    if (c->fd >= 0)
        close(c->fd);
    close(c->l4);
    close(c->l6);
    close(c->r4);
    close(c->r6);
    hook_remove();
}

/* Run the race in a fresh loop; fds other than the winner must be closed. */
static void race(struct hctx *c)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(happy_main, c), 0);
    assert_int_equal(weft_test_count_fds(), fds + (c->rc == 0 ? 1 : 0));
}

/* ---------------------------------------------------------- cases */

static void first_address_connects_alone(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    hook_install();
    add_addr(&c.list, "127.0.0.1", c.p4);
    add_addr(&c.list, "::1", c.p6);
    race(&c);
    assert_int_equal(c.rc, 0);
    int fam;
    assert_int_equal(peer_port(c.fd, &fam), c.p4);
    assert_int_equal(fam, AF_INET);
    assert_true(c.elapsed < WEFT_MSEC(200));
    assert_int_equal(hook.nlog, 1); /* the IPv6 attempt never started */
    teardown(&c);
}

static void refused_address_moves_on_at_once(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    hook_install();
    add_addr(&c.list, "::1", c.rp6);
    add_addr(&c.list, "127.0.0.1", c.p4);
    c.opts.attempt_delay_ns = WEFT_SEC(5); /* a refusal must not wait for this */
    race(&c);
    assert_int_equal(c.rc, 0);
    int fam;
    assert_int_equal(peer_port(c.fd, &fam), c.p4);
    assert_true(c.elapsed < WEFT_SEC(1));
    assert_int_equal(hook.nlog, 2);
    teardown(&c);
}

static void stalled_attempt_loses_after_the_delay(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    hook_install();
    hook.hang[hook.nhang++] = c.p4;
    add_addr(&c.list, "127.0.0.1", c.p4);
    add_addr(&c.list, "::1", c.p6);
    race(&c);
    assert_int_equal(c.rc, 0);
    int fam;
    assert_int_equal(peer_port(c.fd, &fam), c.p6);
    assert_int_equal(fam, AF_INET6);
    /* The second attempt started 250 ms after the first. */
    assert_true(c.elapsed >= WEFT_MSEC(250));
    assert_true(c.elapsed < WEFT_MSEC(1500));
    assert_int_equal(hook.nlog, 2);
    teardown(&c);
}

static void families_interleave(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    hook_install();
    /* Five hanging targets: three IPv4 then two IPv6, in list order. */
    const char *ips[5] = {"127.0.0.1", "127.0.0.2", "127.0.0.3", "::1", "::1"};
    for (int i = 0; i < 5; i++)
        hook.hang[hook.nhang++] = 40000 + i;
    for (int i = 0; i < 5; i++)
        add_addr(&c.list, ips[i], 40000 + i);
    c.opts.attempt_delay_ns = WEFT_MSEC(10);
    c.opts.timeout_ns = WEFT_MSEC(300);
    race(&c);
    assert_int_equal(c.rc, -ETIMEDOUT);
    assert_true(c.elapsed >= WEFT_MSEC(300));
    assert_int_equal(hook.nlog, 5);
    /* v4, v6, v4, v6, v4 */
    static const int want_port[5] = {40000, 40003, 40001, 40004, 40002};
    static const int want_fam[5] = {AF_INET, AF_INET6, AF_INET, AF_INET6, AF_INET};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(hook.log_port[i], want_port[i]);
        assert_int_equal(hook.log_family[i], want_fam[i]);
    }
    teardown(&c);
}

static void attempt_timeout_moves_on(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    hook_install();
    int hung = 40100;
    hook.hang[hook.nhang++] = hung;
    add_addr(&c.list, "127.0.0.1", hung);
    add_addr(&c.list, "127.0.0.1", c.p4);
    c.opts.attempt_delay_ns = WEFT_SEC(10);
    c.opts.attempt_timeout_ns = WEFT_MSEC(100);
    c.opts.max_attempts = 2;
    race(&c);
    assert_int_equal(c.rc, 0);
    assert_true(c.elapsed >= WEFT_MSEC(100));
    assert_true(c.elapsed < WEFT_SEC(2));
    int fam;
    assert_int_equal(peer_port(c.fd, &fam), c.p4);
    teardown(&c);
}

static void all_fail_reports_the_telling_error(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    hook_install();
    hook.unreach[hook.nunreach++] = 40200;
    add_addr(&c.list, "::1", c.rp6);
    add_addr(&c.list, "127.0.0.1", c.rp4);
    add_addr(&c.list, "::1", 40200); /* unreachable, last */
    race(&c);
    /* The refusal, not the unreachable network that failed last. */
    assert_int_equal(c.rc, -ECONNREFUSED);
    assert_int_equal(hook.nlog, 3);
    assert_true(c.elapsed < WEFT_SEC(1));
    teardown(&c);

    setup_sockets(&c);
    hook_install();
    hook.unreach[hook.nunreach++] = 40201;
    add_addr(&c.list, "::1", 40201);
    race(&c);
    assert_int_equal(c.rc, -ENETUNREACH);
    teardown(&c);
}

static int cancel_child(void *arg)
{
    struct hctx *c = arg;
    return weft_happy_connect(c->list, &c->opts, &c->fd);
}

static int cancel_main(void *arg)
{
    struct hctx *c = arg;
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, cancel_child, c, &t), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(30)), 0);
    assert_int_equal(hook.nlog, 2); /* both attempts running */
    assert_int_equal(weft_task_cancel(t), 0);
    assert_int_equal(weft_task_join(t), -ECANCELED);
    assert_int_equal(c->fd, -1);
    /* A deadline does the same. */
    int scope = weft_timeout_push(WEFT_MSEC(30));
    int fd = 123;
    assert_int_equal(weft_happy_connect(c->list, &c->opts, &fd), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    assert_int_equal(fd, -1);
    return 0;
}

static void cancel_closes_every_attempt(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    hook_install();
    hook.hang[hook.nhang++] = 40300;
    hook.hang[hook.nhang++] = 40301;
    add_addr(&c.list, "127.0.0.1", 40300);
    add_addr(&c.list, "::1", 40301);
    c.opts.attempt_delay_ns = WEFT_MSEC(5);
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(cancel_main, &c), 0);
    assert_int_equal(weft_test_count_fds(), fds);
    teardown(&c);
}

struct cbstate {
    int calls, status, fd;
    bool in_call;
};

static void on_connected(int status, int fd, void *ud)
{
    struct cbstate *s = ud;
    assert_false(s->in_call);
    s->calls++;
    s->status = status;
    s->fd = fd;
}

static void callback_variant(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    add_addr(&c.list, "::1", c.p6);
    int fds = weft_test_count_fds();
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    struct cbstate s = {.fd = -1, .in_call = true};
    assert_int_equal(weft_happy_connect_cb(loop, c.list, NULL, on_connected, &s, NULL), 0);
    s.in_call = false;
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.status, 0);
    int fam;
    assert_int_equal(peer_port(s.fd, &fam), c.p6);
    close(s.fd);

    /* Cancelled before its callback ran: no callback, no fd left open. */
    struct cbstate s2 = {.fd = -1};
    weft_happy *h;
    assert_int_equal(weft_happy_connect_cb(loop, c.list, NULL, on_connected, &s2, &h), 0);
    weft_happy_cancel(h);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(s2.calls, 0);

    /* Bad arguments fail at once and never call back. */
    assert_int_equal(weft_happy_connect_cb(loop, NULL, NULL, on_connected, &s2, NULL), -EINVAL);
    assert_int_equal(weft_loop_close(loop), 0);
    /* The listener's backlog still holds the accepted-side sockets: drain them. */
    teardown(&c);
    assert_int_equal(weft_test_count_fds(), fds - 4);
    int fd;
    assert_int_equal(weft_happy_connect(c.list, NULL, &fd), -EPERM);
}

/* A real stalled connect, no hook: a listener with backlog 0 whose accept
 * queue is already full drops further SYNs, so the attempt hangs. */
static void full_listener_stalls_then_ipv6_wins(void **state)
{
    struct hctx c;
    setup_sockets(&c);
    int pfull;
    int full = bound_socket(AF_INET, true, 0, &pfull);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)pfull),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fillers[4];
    for (int i = 0; i < 4; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        connect(fillers[i], (struct sockaddr *)&sin, sizeof sin);
    }
    /* Is a new connect to it really stuck here? If not, the kernel does not
     * behave as assumed: skip rather than guess. */
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(probe, (struct sockaddr *)&sin, sizeof sin);
    struct pollfd p = {.fd = probe, .events = POLLOUT};
    int stuck = poll(&p, 1, 150) == 0;
    close(probe);
    if (stuck) {
        add_addr(&c.list, "127.0.0.1", pfull);
        add_addr(&c.list, "::1", c.p6);
        race(&c);
        assert_int_equal(c.rc, 0);
        int fam;
        assert_int_equal(peer_port(c.fd, &fam), c.p6);
        assert_true(c.elapsed >= WEFT_MSEC(250));
    }
    for (int i = 0; i < 4; i++)
        close(fillers[i]);
    close(full);
    teardown(&c);
    if (!stuck)
        skip();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(first_address_connects_alone),
    cmocka_unit_test(refused_address_moves_on_at_once),
    cmocka_unit_test(stalled_attempt_loses_after_the_delay),
    cmocka_unit_test(families_interleave),
    cmocka_unit_test(attempt_timeout_moves_on),
    cmocka_unit_test(all_fail_reports_the_telling_error),
    cmocka_unit_test(cancel_closes_every_attempt),
    cmocka_unit_test(callback_variant),
    cmocka_unit_test(full_listener_stalls_then_ipv6_wins),
};

WEFT_TEST_MAIN(tests)
