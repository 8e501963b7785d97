/* Raw socket helpers: accept/connect/recv/sendall echo, one reader and one
 * writer on one fd, cancellation and deadlines, errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft.h"
#include "weft/sock.h"
#include "weft_test.h"

static int listener(int family, uint16_t *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(listen(fd, 128), 0);
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static int connect_to(int family, uint16_t port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    int r;
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        r = weft_sock_connect(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port),
                                 .sin6_addr = in6addr_loopback};
        r = weft_sock_connect(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* ------------------------------------------------------------------ echo */

static int echo_conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    char buf[4096];
    int n;
    while ((n = weft_sock_recv(c, buf, sizeof buf)) > 0)
        if (weft_sock_sendall(c, buf, (size_t)n, NULL) != 0)
            break;
    close(c);
    return n;
}

struct echo_args {
    int family;
    int nclients;
    size_t bytes;
};

struct client_args {
    int family;
    uint16_t port;
    size_t bytes;
    int seed;
};

/* Sends `bytes` while a second task reads the echo back: one writer and one
 * reader waiting on the same fd. */
struct duplex {
    int fd;
    size_t bytes;
    int seed;
};

static int duplex_reader(void *arg)
{
    struct duplex *d = arg;
    char *buf = malloc(65536);
    size_t got = 0;
    while (got < d->bytes) {
        int n = weft_sock_recv(d->fd, buf, 65536);
        assert_true(n > 0);
        for (int i = 0; i < n; i++)
            assert_int_equal((unsigned char)buf[i], (unsigned char)((got + (size_t)i) * 7 + (size_t)d->seed));
        got += (size_t)n;
    }
    free(buf);
    return 0;
}

static int client_task(void *arg)
{
    struct client_args *ca = arg;
    int fd = connect_to(ca->family, ca->port);
    assert_true(fd >= 0);
    char *data = malloc(ca->bytes);
    for (size_t i = 0; i < ca->bytes; i++)
        data[i] = (char)(i * 7 + (size_t)ca->seed);
    struct duplex d = {.fd = fd, .bytes = ca->bytes, .seed = ca->seed};
    weft_task *reader;
    assert_int_equal(weft_task_spawn(NULL, duplex_reader, &d, &reader), 0);
    size_t sent = 0;
    assert_int_equal(weft_sock_sendall(fd, data, ca->bytes, &sent), 0);
    assert_int_equal(sent, ca->bytes);
    assert_int_equal(weft_task_join(reader), 0);
    shutdown(fd, SHUT_WR);
    char b;
    assert_int_equal(weft_sock_recv(fd, &b, 1), 0); /* the server closed too */
    close(fd);
    free(data);
    return 0;
}

static int echo_main(void *arg)
{
    struct echo_args *ea = arg;
    uint16_t port;
    int lfd = listener(ea->family, &port);
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    struct client_args ca[8];
    for (int i = 0; i < ea->nclients; i++) {
        ca[i] = (struct client_args){ea->family, port, ea->bytes, i};
        assert_true(weft_group_spawn(g, client_task, &ca[i]) >= 0);
    }
    for (int i = 0; i < ea->nclients; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = 0;
        int c = weft_sock_accept(lfd, &peer, &plen);
        assert_true(c >= 0);
        assert_int_equal(peer.ss_family, ea->family);
        assert_true(plen > 0);
        assert_int_equal(fcntl(c, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
        assert_int_equal(fcntl(c, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        assert_int_equal(weft_task_spawn(NULL, echo_conn, (void *)(intptr_t)c, NULL), 0);
    }
    assert_int_equal(weft_group_wait(g), 0);
    weft_group_free(g);
    close(lfd);
    return 0;
}

static void echo_ipv4(void **state)
{
    int fds = weft_test_count_fds();
    struct echo_args ea = {AF_INET, 4, WEFT_SCALED(2u << 20)};
    assert_int_equal(weft_run(echo_main, &ea), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

static void echo_ipv6(void **state)
{
    int fds = weft_test_count_fds();
    struct echo_args ea = {AF_INET6, 2, WEFT_SCALED(256u << 10)};
    assert_int_equal(weft_run(echo_main, &ea), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

/* ------------------------------------------------------- cancel, deadline */

static int recv_forever(void *arg)
{
    char b;
    return weft_sock_recv((int)(intptr_t)arg, &b, 1);
}

static int cancel_main(void *arg)
{
    uint16_t port;
    int lfd = listener(AF_INET, &port);

    /* A deadline on accept: nobody connects. */
    int scope = weft_timeout_push(WEFT_MSEC(20));
    struct sockaddr_storage ss;
    assert_int_equal(weft_sock_accept(lfd, &ss, NULL), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));

    int cfd = connect_to(AF_INET, port);
    assert_true(cfd >= 0);
    int sfd = weft_sock_accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);

    /* Cancel a task parked in recv; the watcher goes away with it, so the
     * fd can be waited on again at once. */
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, recv_forever, (void *)(intptr_t)sfd, &t), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(5)), 0);
    assert_false(weft_task_done(t));
    /* A second reader on the same fd is refused. */
    char b;
    assert_int_equal(weft_sock_recv(sfd, &b, 1), -EBUSY);
    weft_task_cancel(t);
    assert_int_equal(weft_task_join(t), -ECANCELED);

    assert_int_equal(weft_task_spawn(NULL, recv_forever, (void *)(intptr_t)sfd, &t), 0);
    assert_int_equal(weft_sock_sendall(cfd, "x", 1, NULL), 0);
    assert_int_equal(weft_task_join(t), 1);

    close(cfd);
    close(sfd);
    close(lfd);
    return 0;
}

static void cancel_and_deadline(void **state)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(cancel_main, NULL), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

/* ---------------------------------------------------------------- errors */

static int errors_main(void *arg)
{
    /* Refused: a port we bound but do not listen on. */
    int hold = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(hold, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(hold, (struct sockaddr *)&a, &len);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_int_equal(weft_sock_connect(fd, (struct sockaddr *)&a, sizeof a), -ECONNREFUSED);
    close(fd);
    close(hold);

    /* Blocking sockets are refused where the call could block the loop. */
    int blk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(weft_sock_accept(blk, NULL, NULL), -EINVAL);
    assert_int_equal(weft_sock_connect(blk, (struct sockaddr *)&a, sizeof a), -EINVAL);
    close(blk);

    /* EPIPE, not SIGPIPE, after the peer is gone. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    close(sv[1]);
    size_t sent = 99;
    assert_int_equal(weft_sock_sendall(sv[0], "abc", 3, &sent), -EPIPE);
    assert_int_equal(sent, 0);
    close(sv[0]);

    /* weft_fd_wait on a pipe. */
    int p[2];
    assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    assert_int_equal(weft_fd_wait(p[1], WEFT_WRITABLE) & WEFT_WRITABLE, WEFT_WRITABLE);
    assert_int_equal(write(p[1], "z", 1), 1);
    assert_int_equal(weft_fd_wait(p[0], WEFT_READABLE) & WEFT_READABLE, WEFT_READABLE);
    assert_int_equal(weft_fd_wait(p[0], 3), -EINVAL);
    char c;
    assert_int_equal(weft_sock_recv(p[0], &c, 1), 1);
    assert_int_equal(c, 'z');
    close(p[0]);
    close(p[1]);
    return 0;
}

static void errors(void **state)
{
    int fds = weft_test_count_fds();
    char b;
    assert_int_equal(weft_sock_recv(0, &b, 1), -EPERM);
    assert_int_equal(weft_sock_sendall(1, &b, 1, NULL), -EPERM);
    assert_int_equal(weft_run(errors_main, NULL), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(echo_ipv4),
    cmocka_unit_test(echo_ipv6),
    cmocka_unit_test(cancel_and_deadline),
    cmocka_unit_test(errors),
};

WEFT_TEST_MAIN(tests)
