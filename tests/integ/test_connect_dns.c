/* open_connection on names: the loop's resolver (c-ares, against dnsmasq on
 * loopback) answers, its cache serves the next connection, and the
 * addresses race with Happy Eyeballs, so a first address that stalls costs
 * 250 ms instead of the whole connect timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft.h"
#include "weft_dnsmasq.h"
#include "weft_test_net.h"
#include "weft_test.h"

static int echo_handler(weft_stream *s, void *ud)
{
    char buf[256];
    int n;
    while ((n = weft_stream_read(s, buf, sizeof buf)) > 0)
        if (weft_stream_write(s, buf, (size_t)n) < 0)
            return -1;
    return n;
}

struct env {
    struct weft_dnsmasq dm;
    int port;               /* the echo server's, on 127.0.0.1 */
    int stall_fd;           /* a full listener on [::1]:port, or -1 */
    int fillers[4];
    bool stalls;
};

typedef int (*body_fn)(struct env *e, weft_resolver *r);

struct run_arg {
    struct env *e;
    body_fn body;
};

static int run_main(void *arg)
{
    struct run_arg *ra = arg;
    weft_resolver_opts o = {.servers = ra->e->dm.servers, .flags = WEFT_RESOLVER_NO_SEARCH};
    weft_resolver *r;
    assert_int_equal(weft_resolver_new(NULL, &o, &r), 0);
    assert_int_equal(weft_resolver_set_default(weft_loop_current(), r), 0);
    weft_server *srv;
    assert_int_equal(weft_stream_server_open(NULL, "127.0.0.1", (uint16_t)ra->e->port, NULL,
                                             echo_handler, NULL, &srv), 0);
    ra->e->port = weft_server_port(srv);
    int rc = ra->body(ra->e, r);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    weft_server_free(srv);
    return rc;
}

static void with_dnsmasq(body_fn body, const char *const *records, struct env *e)
{
    if (!weft_dnsmasq_available())
        skip();
    assert_int_equal(weft_dnsmasq_start(&e->dm, "", 60, records), 0);
    int fds = weft_test_count_fds();
    struct run_arg ra = {.e = e, .body = body};
    int rc = weft_run(run_main, &ra);
    int fds_after = weft_test_count_fds();
    weft_dnsmasq_stop(&e->dm);
    assert_int_equal(rc, 0);
    assert_int_equal(fds_after, fds);
}

/* Connect to host:port, echo one line, close. Returns the connect status. */
static int ping(const char *host, int port, uint64_t *elapsed)
{
    weft_connect_opts o = {.timeout_ns = WEFT_SEC(10)};
    uint64_t t0 = weft_test_now_ns();
    weft_stream *s;
    int rc = weft_stream_open_connection(host, (uint16_t)port, &o, &s);
    if (elapsed)
        *elapsed = weft_test_now_ns() - t0;
    if (rc)
        return rc;
    assert_int_equal(weft_stream_write(s, "ping\n", 5), 0);
    char line[16];
    assert_int_equal(weft_stream_readline(s, line, sizeof line), 5);
    assert_memory_equal(line, "ping\n", 5);
    assert_int_equal(weft_stream_close(s), 0);
    return 0;
}

/* ------------------------------------------------ the resolver and its cache */

static int resolver_body(struct env *e, weft_resolver *r)
{
    weft_resolver_stats st0, st1, st2;
    weft_resolver_get_stats(r, &st0);
    /* both.test has ::1 (nothing listens there: refused at once, so the
     * race moves on without waiting) and 127.0.0.1 (the server). */
    uint64_t elapsed;
    assert_int_equal(ping("both.test", e->port, &elapsed), 0);
    assert_true(elapsed < WEFT_MSEC(250));
    weft_resolver_get_stats(r, &st1);
    assert_true(st1.queries > st0.queries);
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] both.test"), 1);
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[AAAA] both.test"), 1);
    /* The second connection is served from the cache: no new query. */
    assert_int_equal(ping("both.test", e->port, NULL), 0);
    weft_resolver_get_stats(r, &st2);
    assert_int_equal(st2.queries, st1.queries);
    assert_int_equal(st2.cache_hits, st1.cache_hits + 1);
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] both.test"), 1);
    /* A name that does not exist, and a literal (which never reaches DNS). */
    assert_int_equal(ping("nope.test", e->port, NULL), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(ping("127.0.0.1", e->port, NULL), 0);
    weft_resolver_stats st3;
    weft_resolver_get_stats(r, &st3);
    assert_int_equal(st3.lookups, st2.lookups + 1); /* nope.test only */
    return 0;
}

static void open_connection_resolves_on_the_loop(void **state)
{
    static const char *const records[] = {"--host-record=both.test,127.0.0.1,::1", NULL};
    struct env e = {.stall_fd = -1};
    with_dnsmasq(resolver_body, records, &e);
}

/* ------------------------------------------------------- Happy Eyeballs */

static int race_body(struct env *e, weft_resolver *r)
{
    /* stall.test lists [::1]:port first (a listener whose accept queue is
     * full: the SYN is dropped, the attempt hangs), then 127.0.0.1:port. */
    uint64_t elapsed;
    assert_int_equal(ping("stall.test", e->port, &elapsed), 0);
    assert_true(elapsed >= WEFT_MSEC(250));
    assert_true(elapsed < WEFT_SEC(5));
    return 0;
}

/* A listener on [::1]:port with backlog 0 and its queue filled; true if a
 * new connect to it really hangs (else the kernel differs: skip). */
static bool make_stall(struct env *e, int port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT,
                             .sin6_port = htons((uint16_t)port)};
    e->stall_fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(e->stall_fd >= 0);
    if (bind(e->stall_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(e->stall_fd, 0) != 0)
        return false;
    for (int i = 0; i < 4; i++) {
        e->fillers[i] = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        connect(e->fillers[i], (struct sockaddr *)&a, sizeof a);
    }
    int probe = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    connect(probe, (struct sockaddr *)&a, sizeof a);
    struct pollfd p = {.fd = probe, .events = POLLOUT};
    bool stuck = poll(&p, 1, 150) == 0;
    close(probe);
    return stuck;
}

static void open_connection_races_a_stalled_address(void **state)
{
    static const char *const records[] = {"--host-record=stall.test,127.0.0.1,::1", NULL};
    struct env e = {.stall_fd = -1};
    for (int i = 0; i < 4; i++)
        e.fillers[i] = -1;
    e.port = weft_test_free_port(SOCK_STREAM); /* on 127.0.0.1: the echo server binds it next */
    assert_true(e.port > 0);
    e.stalls = make_stall(&e, e.port);
    if (e.stalls)
        with_dnsmasq(race_body, records, &e);
    for (int i = 0; i < 4; i++)
        if (e.fillers[i] >= 0)
            close(e.fillers[i]);
    close(e.stall_fd);
    if (!e.stalls)
        skip();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(open_connection_resolves_on_the_loop),
    cmocka_unit_test(open_connection_races_a_stalled_address),
};

WEFT_TEST_MAIN(tests)
