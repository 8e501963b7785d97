/* UDP endpoints: 10,000 datagrams through a protocol echo (windowed, so
 * loopback never has to drop), connected UDP and ICMP errors, IPv6, options,
 * the coroutine face, cancellation, closing, truncation. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft.h"
#include "weft/udp.h"
#include "weft_test.h"

/* ------------------------------------------------------- an echo protocol */

struct echo_state {
    int made, lost, errors;
    int last_error;
    weft_udp *u;
};

static void echo_made(weft_udp *u, void *ud)
{
    struct echo_state *st = ud;
    st->made++;
    st->u = u;
}

static void echo_datagram(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                          socklen_t addrlen, void *ud)
{
    assert_int_equal(weft_udp_send_datagram(u, data, len, addr, addrlen), 0);
}

static void echo_error(weft_udp *u, int err, void *ud)
{
    struct echo_state *st = ud;
    st->errors++;
    st->last_error = err;
}

static void echo_lost(weft_udp *u, int err, void *ud)
{
    struct echo_state *st = ud;
    assert_int_equal(err, 0);
    st->lost++;
    st->u = NULL;
}

static const weft_udp_protocol echo_proto = {
    .connection_made = echo_made,
    .datagram_received = echo_datagram,
    .error_received = echo_error,
    .connection_lost = echo_lost,
};

static void loopback(int family, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = in6addr_loopback;
        *len = sizeof *a;
    }
}

/* --------------------------------------------- 10,000 datagrams, windowed */

#define WINDOW 32

struct flood {
    int family;
    int count;
    weft_udp *client;
    struct sockaddr_storage server;
    socklen_t server_len;
    int in_flight;
    int received;
    unsigned char *seen;
    weft_future *room; /* set when the window opens again */
};

static size_t payload_len(int seq)
{
    return 8 + (size_t)(seq * 37 % 1200);
}

static void fill(char *buf, int seq, size_t len)
{
    memcpy(buf, &seq, sizeof seq);
    for (size_t i = sizeof seq; i < len; i++)
        buf[i] = (char)(seq + (int)i);
}

static int flood_receiver(void *arg)
{
    struct flood *f = arg;
    char buf[2048], want[2048];
    while (f->received < f->count) {
        struct sockaddr_storage from;
        socklen_t fromlen;
        int scope = weft_timeout_push(WEFT_SEC(10)); /* a lost datagram fails, never hangs */
        int n = weft_udp_recvfrom(f->client, buf, sizeof buf, &from, &fromlen);
        weft_timeout_pop(scope);
        assert_true(n >= 4);
        assert_int_equal(fromlen, f->server_len);
        assert_memory_equal(&from, &f->server, fromlen);
        int seq;
        memcpy(&seq, buf, sizeof seq);
        assert_true(seq >= 0 && seq < f->count);
        assert_int_equal(f->seen[seq], 0); /* no duplicates */
        f->seen[seq] = 1;
        assert_int_equal((size_t)n, payload_len(seq));
        fill(want, seq, (size_t)n);
        assert_memory_equal(buf, want, (size_t)n);
        f->received++;
        if (f->in_flight-- == WINDOW && f->room)
            weft_future_set_result(f->room, 0, NULL);
    }
    return 0;
}

static int flood_main(void *arg)
{
    struct flood *f = arg;
    struct echo_state st = {0};
    weft_udp *server;
    weft_udp_opts so = {.local_host = f->family == AF_INET ? "127.0.0.1" : "::1"};
    assert_int_equal(weft_udp_open(NULL, &so, &echo_proto, &st, &server), 0);
    int port = weft_udp_port(server);
    assert_true(port > 0);
    loopback(f->family, (uint16_t)port, &f->server, &f->server_len);

    weft_udp_opts co = {.family = f->family};
    assert_int_equal(weft_udp_open(NULL, &co, NULL, NULL, &f->client), 0);
    f->seen = calloc((size_t)f->count, 1);
    weft_task *rx;
    assert_int_equal(weft_task_spawn(NULL, flood_receiver, f, &rx), 0);

    char buf[2048];
    for (int seq = 0; seq < f->count; seq++) {
        while (f->in_flight >= WINDOW) {
            assert_int_equal(weft_future_new(NULL, &f->room), 0);
            assert_int_equal(weft_future_await(f->room, NULL), 0);
            weft_future_unref(f->room);
            f->room = NULL;
        }
        size_t len = payload_len(seq);
        fill(buf, seq, len);
        f->in_flight++;
        assert_int_equal(weft_udp_sendto(f->client, buf, len, (struct sockaddr *)&f->server,
                                         f->server_len),
                         (int)len);
    }
    assert_int_equal(weft_task_join(rx), 0);
    assert_int_equal(f->received, f->count);
    assert_true(weft_udp_datagrams_received(server) == (uint64_t)f->count);
    assert_true(weft_udp_datagrams_sent(server) == (uint64_t)f->count);
    assert_int_equal(st.made, 1);
    assert_int_equal(st.errors, 0);
    weft_udp_close(server);
    weft_udp_close(f->client);
    assert_int_equal(weft_sleep(0), 0); /* let connection_lost run */
    assert_int_equal(weft_sleep(0), 0);
    assert_int_equal(st.lost, 1);
    free(f->seen);
    return 0;
}

static void ten_thousand_datagrams_ipv4(void **state)
{
    int fds = weft_test_count_fds();
    struct flood f = {.family = AF_INET, .count = WEFT_SCALED(10000)};
    assert_int_equal(weft_run(flood_main, &f), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

static void thousand_datagrams_ipv6(void **state)
{
    int fds = weft_test_count_fds();
    struct flood f = {.family = AF_INET6, .count = WEFT_SCALED(1000)};
    assert_int_equal(weft_run(flood_main, &f), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

/* ------------------------------------------------------------ connected */

static int connected_main(void *arg)
{
    struct echo_state st = {0};
    weft_udp *server;
    weft_udp_opts so = {.local_host = "localhost"};
    assert_int_equal(weft_udp_open(NULL, &so, &echo_proto, &st, &server), 0);
    int port = weft_udp_port(server);

    weft_udp *c;
    weft_udp_opts co = {.remote_host = "127.0.0.1", .remote_port = (uint16_t)port};
    assert_int_equal(weft_udp_open(NULL, &co, NULL, NULL, &c), 0);
    struct sockaddr_storage peer;
    socklen_t plen;
    assert_int_equal(weft_udp_peername(c, &peer, &plen), 0);
    assert_int_equal(((struct sockaddr_in *)&peer)->sin_port, htons((uint16_t)port));
    assert_true(weft_udp_port(c) > 0); /* connect() bound it */

    assert_int_equal(weft_udp_sendto(c, "ping", 4, NULL, 0), 4);
    char buf[16];
    assert_int_equal(weft_udp_recvfrom(c, buf, sizeof buf, NULL, NULL), 4);
    assert_memory_equal(buf, "ping", 4);
    /* The peer's own address is accepted; another is not. */
    assert_int_equal(weft_udp_sendto(c, "x", 1, (struct sockaddr *)&peer, plen), 1);
    assert_int_equal(weft_udp_recvfrom(c, buf, sizeof buf, NULL, NULL), 1);
    struct sockaddr_storage other;
    socklen_t olen;
    loopback(AF_INET, 9, &other, &olen);
    assert_int_equal(weft_udp_sendto(c, "x", 1, (struct sockaddr *)&other, olen), -EISCONN);
    weft_udp_close(c);

    /* Unconnected without an address. */
    weft_udp_opts uo = {0};
    assert_int_equal(weft_udp_open(NULL, &uo, NULL, NULL, &c), 0);
    assert_int_equal(weft_udp_sendto(c, "x", 1, NULL, 0), -EDESTADDRREQ);
    assert_int_equal(weft_udp_send_datagram(c, "x", 1, NULL, 0), -EDESTADDRREQ);
    weft_udp_close(c);

    /* Nobody listens: the ICMP error comes back as ECONNREFUSED, to a
     * coroutine receiver ... */
    weft_udp_close(server);
    assert_int_equal(weft_sleep(0), 0);
    assert_int_equal(st.lost, 1);
    assert_int_equal(weft_udp_open(NULL, &co, NULL, NULL, &c), 0);
    assert_int_equal(weft_udp_sendto(c, "ping", 4, NULL, 0), 4);
    assert_int_equal(weft_udp_recvfrom(c, buf, sizeof buf, NULL, NULL), -ECONNREFUSED);
    weft_udp_close(c);

    /* ... and to a protocol, through error_received. */
    struct echo_state cst = {0};
    assert_int_equal(weft_udp_open(NULL, &co, &echo_proto, &cst, &c), 0);
    assert_int_equal(weft_udp_send_datagram(c, "ping", 4, NULL, 0), 0);
    for (int i = 0; i < 100 && !cst.errors; i++)
        assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(cst.errors, 1);
    assert_int_equal(cst.last_error, -ECONNREFUSED);
    assert_int_equal(cst.lost, 0);
    weft_udp_close(c);
    assert_int_equal(weft_sleep(0), 0);
    assert_int_equal(cst.lost, 1);
    return 0;
}

static void connected_udp_and_icmp_errors(void **state)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(connected_main, NULL), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

/* ------------------------------------------------------------- options */

static int options_main(void *arg)
{
    weft_udp *a, *b;
    weft_udp_opts o = {.local_host = "127.0.0.1", .reuse_port = true, .allow_broadcast = true};
    assert_int_equal(weft_udp_open(NULL, &o, NULL, NULL, &a), 0);
    o.local_port = (uint16_t)weft_udp_port(a);
    assert_int_equal(weft_udp_open(NULL, &o, NULL, NULL, &b), 0); /* same port: reuse_port */
    assert_int_equal(weft_udp_port(b), o.local_port);
    int on = 0;
    socklen_t len = sizeof on;
    getsockopt(weft_udp_fd(a), SOL_SOCKET, SO_BROADCAST, &on, &len);
    assert_int_equal(on, 1);
    weft_udp_close(b);

    /* Without reuse_port the port is taken. */
    o.reuse_port = false;
    assert_int_equal(weft_udp_open(NULL, &o, NULL, NULL, &b), -EADDRINUSE);
    weft_udp_close(a);

    /* Families and bad hosts. */
    weft_udp_opts v6 = {.local_host = "[::1]"};
    assert_int_equal(weft_udp_open(NULL, &v6, NULL, NULL, &a), 0);
    struct sockaddr_storage ss;
    assert_int_equal(weft_udp_sockname(a, &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    weft_udp_close(a);
    weft_udp_opts bad = {.local_host = "example.invalid"};
    assert_int_equal(weft_udp_open(NULL, &bad, NULL, NULL, &a), -EINVAL);
    weft_udp_opts mix = {.local_host = "::1", .remote_host = "127.0.0.1", .remote_port = 9};
    assert_int_equal(weft_udp_open(NULL, &mix, NULL, NULL, &a), -EAFNOSUPPORT);

    /* Wrapping a socket we made. */
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(weft_udp_open_fd(NULL, fd, NULL, NULL, &a), 0);
    assert_int_equal(weft_udp_sendto(a, "x", 1, NULL, 0), -EDESTADDRREQ);
    weft_udp_close(a);
    int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(weft_udp_open_fd(NULL, tcp, NULL, NULL, &a), -EPROTOTYPE);
    assert_int_equal(weft_sleep(0), 0);
    return 0;
}

static void options_ports_families(void **state)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(options_main, NULL), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

/* ------------------------------------------------- cancel, close, limits */

static int recv_forever(void *arg)
{
    char b[4];
    return weft_udp_recvfrom(arg, b, sizeof b, NULL, NULL);
}

static int cancel_main(void *arg)
{
    weft_udp *u;
    weft_udp_opts o = {.local_host = "127.0.0.1"};
    assert_int_equal(weft_udp_open(NULL, &o, NULL, NULL, &u), 0);
    char b[4];
    int scope = weft_timeout_push(WEFT_MSEC(10));
    assert_int_equal(weft_udp_recvfrom(u, b, sizeof b, NULL, NULL), -ETIMEDOUT);
    weft_timeout_pop(scope);

    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, recv_forever, u, &t), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(2)), 0);
    assert_int_equal(weft_udp_recvfrom(u, b, sizeof b, NULL, NULL), -EBUSY);
    weft_task_cancel(t);
    assert_int_equal(weft_task_join(t), -ECANCELED);

    /* Closing wakes a waiting receiver with WEFT_ECLOSED. */
    assert_int_equal(weft_task_spawn(NULL, recv_forever, u, &t), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(2)), 0);
    weft_udp_close(u);
    assert_int_equal(weft_task_join(t), WEFT_ECLOSED);

    /* A protocol endpoint refuses the coroutine receive; close before
     * connection_made ran means no callback at all. */
    struct echo_state st = {0};
    assert_int_equal(weft_udp_open(NULL, &o, &echo_proto, &st, &u), 0);
    assert_int_equal(weft_udp_recvfrom(u, b, sizeof b, NULL, NULL), -EBUSY);
    weft_udp_close(u);
    assert_int_equal(weft_udp_send_datagram(u, "x", 1, NULL, 0), WEFT_ECLOSED);
    assert_int_equal(weft_sleep(0), 0);
    assert_int_equal(st.made + st.lost, 0);
    return 0;
}

static void cancel_deadline_close(void **state)
{
    int fds = weft_test_count_fds();
    char b[4];
    /* Outside a task: -EPERM before the endpoint is even looked at. */
    assert_int_equal(weft_udp_recvfrom(NULL, b, sizeof b, NULL, NULL), -EPERM);
    assert_int_equal(weft_udp_sendto(NULL, b, 1, NULL, 0), -EPERM);
    assert_int_equal(weft_run(cancel_main, NULL), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

struct trunc_state {
    int errors, last_error, got;
    size_t last_len;
};

static void trunc_datagram(weft_udp *u, const void *data, size_t len,
                           const struct sockaddr *addr, socklen_t addrlen, void *ud)
{
    struct trunc_state *t = ud;
    t->got++;
    t->last_len = len;
}

static void trunc_error(weft_udp *u, int err, void *ud)
{
    struct trunc_state *t = ud;
    t->errors++;
    t->last_error = err;
}

static const weft_udp_protocol trunc_proto = {
    .datagram_received = trunc_datagram,
    .error_received = trunc_error,
};

static int trunc_main(void *arg)
{
    struct trunc_state ts = {0};
    weft_udp *server, *c;
    weft_udp_opts so = {.local_host = "127.0.0.1", .max_datagram = 100};
    assert_int_equal(weft_udp_open(NULL, &so, &trunc_proto, &ts, &server), 0);
    weft_udp_opts co = {.remote_host = "127.0.0.1", .remote_port = (uint16_t)weft_udp_port(server)};
    assert_int_equal(weft_udp_open(NULL, &co, NULL, NULL, &c), 0);
    char big[101] = {0};
    assert_int_equal(weft_udp_sendto(c, big, 101, NULL, 0), 101);
    assert_int_equal(weft_udp_sendto(c, big, 100, NULL, 0), 100);
    assert_int_equal(weft_udp_sendto(c, big, 0, NULL, 0), 0); /* empty datagrams exist */
    for (int i = 0; i < 100 && ts.got + ts.errors < 3; i++)
        assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(ts.errors, 1);
    assert_int_equal(ts.last_error, -EMSGSIZE);
    assert_int_equal(ts.got, 2);
    assert_int_equal(ts.last_len, 0);
    /* Pause: datagrams wait in the socket. */
    assert_int_equal(weft_udp_pause_reading(server), 0);
    assert_int_equal(weft_udp_sendto(c, "abc", 3, NULL, 0), 3);
    assert_int_equal(weft_sleep(WEFT_MSEC(5)), 0);
    assert_int_equal(ts.got, 2);
    assert_int_equal(weft_udp_resume_reading(server), 0);
    for (int i = 0; i < 100 && ts.got < 3; i++)
        assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(ts.got, 3);
    assert_int_equal(ts.last_len, 3);
    weft_udp_close(server);
    weft_udp_abort(c);
    assert_int_equal(weft_sleep(0), 0);
    return 0;
}

static void truncation_and_pause(void **state)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(trunc_main, NULL), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(ten_thousand_datagrams_ipv4),
    cmocka_unit_test(thousand_datagrams_ipv6),
    cmocka_unit_test(connected_udp_and_icmp_errors),
    cmocka_unit_test(options_ports_families),
    cmocka_unit_test(cancel_deadline_close),
    cmocka_unit_test(truncation_and_pause),
};

WEFT_TEST_MAIN(tests)
