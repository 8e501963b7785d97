/* Coroutine streams (weft/stream.h): the readers (read, readexactly,
 * readline, readuntil and their limits, at_eof), the writer (write, writev,
 * drain and its failures, write_eof, close, wait_closed), servers
 * (start_server, serve_forever, graceful shutdown), sendfile, and the heavy
 * cases: 1 GiB through an echo with its SHA-256, 1,000 concurrent clients,
 * a slow reader whose memory stays within the water marks. Deterministic
 * cases run on a memory pair and a virtual clock: a 30 s timeout takes no
 * real time. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft.h"
#include "weft_test.h"
#include "weft_test_net.h"

/* ------------------------------------------------------------ helpers */

static void run_clean(weft_task_fn fn, void *arg)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(fn, arg), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

/* Run fn as a task on a loop with a virtual clock. */
static void run_virtual(weft_task_fn fn, void *arg)
{
    int fds = weft_test_count_fds();
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    assert_int_equal(weft_loop_use_virtual_clock(loop), 0);
    weft_task *t;
    assert_int_equal(weft_task_spawn(loop, fn, arg, &t), 0);
    assert_int_equal(weft_loop_run_until_complete(loop, t), 0);
    assert_int_equal(weft_loop_run(loop), 0); /* what main left to finish (frees) */
    assert_int_equal(weft_loop_close(loop), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

static unsigned char pattern(size_t i, unsigned seed)
{
    return (unsigned char)(i * 131u + (i >> 11) + seed * 29u);
}

static void fill(char *buf, size_t base, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)pattern(base + i, seed);
}

static bool check(const char *buf, size_t base, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] != pattern(base + i, seed))
            return false;
    return true;
}

static int wr(weft_stream *s, const char *str)
{
    return weft_stream_write(s, str, strlen(str));
}

static void raise_nofile(rlim_t want)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
}

/* --------------------------------------- readers on a memory pair */

static int readers_main(void *arg)
{
    weft_stream *a, *b;
    char buf[256];
    /* 3-byte deliveries: every separator below arrives in pieces. */
    weft_memory_pair_opts o3 = {.chunk = 3};
    assert_int_equal(weft_stream_memory_pair(NULL, &o3, &a, &b), 0);

    /* read(n) returns what is there (at least 1 byte), never more than n. */
    assert_int_equal(wr(a, "hello world"), 0);
    assert_int_equal(weft_stream_read(b, buf, 5), 3);
    assert_memory_equal(buf, "hel", 3);
    assert_int_equal(weft_stream_read(b, buf, 0), 0);
    assert_int_equal(weft_stream_readexactly(b, buf, 8), 8);
    assert_memory_equal(buf, "lo world", 8);
    assert_int_equal(weft_stream_readexactly(b, buf, 0), 0);

    /* readline, readuntil with a separator split across deliveries. */
    assert_int_equal(wr(a, "line one\nline two\r\n\r\nrest"), 0);
    assert_int_equal(weft_stream_readline(b, buf, sizeof buf), 9);
    assert_memory_equal(buf, "line one\n", 9);
    assert_int_equal(weft_stream_readuntil(b, "\r\n\r\n", 4, buf, sizeof buf), 12);
    assert_memory_equal(buf, "line two\r\n\r\n", 12);
    assert_false(weft_stream_at_eof(b));

    /* At EOF: readline gives the rest without its newline, then 0. */
    assert_int_equal(weft_stream_write_eof(a), 0);
    assert_int_equal(weft_stream_readline(b, buf, sizeof buf), 4);
    assert_memory_equal(buf, "rest", 4);
    assert_true(weft_stream_at_eof(b));
    assert_int_equal(weft_stream_readline(b, buf, sizeof buf), 0);
    assert_int_equal(weft_stream_read(b, buf, sizeof buf), 0);
    weft_stream_free(a);
    weft_stream_free(b);

    /* readexactly / readuntil that meet EOF say how much came. */
    assert_int_equal(weft_stream_memory_pair(NULL, &o3, &a, &b), 0);
    assert_int_equal(wr(a, "abcdefg"), 0);
    assert_int_equal(weft_stream_write_eof(a), 0);
    memset(buf, 0, sizeof buf);
    assert_int_equal(weft_stream_readexactly(b, buf, 5), 5);
    assert_int_equal(weft_stream_readexactly(b, buf, 10), WEFT_EINCOMPLETE);
    assert_int_equal(weft_stream_partial(b), 2);
    assert_memory_equal(buf, "fg", 2);
    assert_true(weft_stream_at_eof(b));
    weft_stream_free(a);
    weft_stream_free(b);
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);
    assert_int_equal(wr(a, "no separator"), 0);
    assert_int_equal(weft_stream_write_eof(a), 0);
    assert_int_equal(weft_stream_readuntil(b, "|", 1, buf, sizeof buf), WEFT_EINCOMPLETE);
    assert_int_equal(weft_stream_partial(b), 12);
    assert_memory_equal(buf, "no separator", 12);
    assert_int_equal(weft_stream_readuntil(b, "|", 1, buf, sizeof buf), 0);
    assert_int_equal(weft_stream_readuntil(b, "", 0, buf, sizeof buf), -EINVAL);
    weft_stream_free(a);
    weft_stream_free(b);

    /* Limits: readuntil over its limit keeps the data; readline drops the
     * overlong line and goes on with the next. */
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);
    assert_int_equal(weft_stream_limit(b), WEFT_STREAM_DEFAULT_LIMIT);
    assert_int_equal(weft_stream_set_limit(b, 16), 0);
    assert_int_equal(weft_stream_limit(b), 16);
    assert_int_equal(wr(a, "0123456789abcdefghij|"), 0); /* 21 bytes to the separator */
    assert_int_equal(weft_stream_readuntil(b, "|", 1, buf, sizeof buf), WEFT_ELIMIT_OVERRUN);
    assert_int_equal(weft_stream_buffered(b), 21); /* nothing lost */
    assert_int_equal(weft_stream_readexactly(b, buf, 21), 21);
    assert_memory_equal(buf, "0123456789abcdefghij|", 21);
    /* ... also when the separator has not come yet: stops at the limit. */
    assert_int_equal(wr(a, "xxxxxxxxxxxxxxxxxxxx"), 0);
    assert_int_equal(weft_stream_readuntil(b, "|", 1, buf, sizeof buf), WEFT_ELIMIT_OVERRUN);
    assert_int_equal(weft_stream_buffered(b), 20);
    assert_int_equal(weft_stream_readexactly(b, buf, 20), 20);
    /* The caller's cap is a limit too. */
    assert_int_equal(wr(a, "abcdef|"), 0);
    assert_int_equal(weft_stream_readuntil(b, "|", 1, buf, 4), WEFT_ELIMIT_OVERRUN);
    assert_int_equal(weft_stream_readuntil(b, "|", 1, buf, sizeof buf), 7);
    assert_int_equal(wr(a, "a line that is much too long\nnext\n"), 0);
    assert_int_equal(weft_stream_readline(b, buf, sizeof buf), WEFT_ELIMIT_OVERRUN);
    assert_int_equal(weft_stream_readline(b, buf, sizeof buf), 5);
    assert_memory_equal(buf, "next\n", 5);
    assert_int_equal(weft_stream_set_limit(b, 0), 0); /* back to the default */
    assert_int_equal(weft_stream_limit(b), WEFT_STREAM_DEFAULT_LIMIT);
    weft_stream_free(a);
    weft_stream_free(b);
    return 0;
}

static void readers_on_a_memory_pair(void **state)
{
    run_virtual(readers_main, NULL);
}

/* ----------------------- timeouts and cancellation, in virtual time */

static int read_one(void *arg)
{
    char c;
    return weft_stream_read(arg, &c, 1);
}

static int timeouts_main(void *arg)
{
    weft_loop *loop = weft_loop_current();
    weft_stream *a, *b;
    char buf[16];
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);

    /* A 30 s deadline on a read that never gets data: -ETIMEDOUT at once
     * in real time, 30 s later on the loop's clock. */
    uint64_t v0 = weft_loop_now(loop), r0 = weft_test_now_ns();
    int scope = weft_timeout_push(WEFT_SEC(30));
    assert_int_equal(weft_stream_read(b, buf, sizeof buf), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    assert_true(weft_loop_now(loop) - v0 >= WEFT_SEC(30));
    assert_true(weft_test_now_ns() - r0 < WEFT_SEC(2));

    /* readexactly interrupted keeps what came, and the stream goes on. */
    assert_int_equal(wr(a, "ab"), 0);
    scope = weft_timeout_push(WEFT_SEC(5));
    assert_int_equal(weft_stream_readexactly(b, buf, 4), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    assert_int_equal(weft_stream_partial(b), 2);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(wr(a, "cd"), 0);
    assert_int_equal(weft_stream_readexactly(b, buf, 2), 2);
    assert_memory_equal(buf, "cd", 2);

    /* A drain that the peer never lets through times out too. */
    weft_stream *c, *d;
    weft_memory_pair_opts small = {.capacity = 1000};
    assert_int_equal(weft_stream_memory_pair(NULL, &small, &c, &d), 0);
    /* (more than d reads ahead into its own buffer: 2 x limit + a step) */
    static char big[1 << 20];
    assert_int_equal(weft_stream_write(c, big, sizeof big), 0);
    assert_true(weft_stream_write_buffer_size(c) > 64 * 1024);
    scope = weft_timeout_push(WEFT_SEC(10));
    assert_int_equal(weft_stream_drain(c), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    weft_stream_abort(c);
    weft_stream_free(c);
    weft_stream_free(d);

    /* Cancelling a reader; one reader at a time. */
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, read_one, b, &t), 0);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(weft_stream_read(b, buf, 1), -EBUSY);
    weft_task_cancel(t);
    assert_int_equal(weft_task_join(t), -ECANCELED);
    assert_int_equal(weft_task_spawn(NULL, read_one, b, &t), 0);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(wr(a, "z"), 0);
    assert_int_equal(weft_task_join(t), 1);

    /* Closing the stream wakes its reader with WEFT_ECLOSED. */
    assert_int_equal(weft_task_spawn(NULL, read_one, b, &t), 0);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(weft_stream_close(b), 0);
    assert_int_equal(weft_task_join(t), WEFT_ECLOSED);
    weft_stream_free(a);
    return 0;
}

static void timeouts_and_cancel_without_waiting(void **state)
{
    run_virtual(timeouts_main, NULL);
}

static void suspending_calls_need_a_task(void **state)
{
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    weft_stream *a, *b;
    assert_int_equal(weft_stream_memory_pair(loop, NULL, &a, &b), 0);
    char c;
    assert_int_equal(weft_stream_read(a, &c, 1), -EPERM);
    assert_int_equal(weft_stream_readexactly(a, &c, 1), -EPERM);
    assert_int_equal(weft_stream_readline(a, &c, 1), -EPERM);
    assert_int_equal(weft_stream_drain(a), -EPERM);
    assert_int_equal(weft_stream_wait_closed(a), -EPERM);
    assert_int_equal(weft_stream_open_connection("127.0.0.1", 1, NULL, &b), -EPERM);
    assert_int_equal(weft_stream_write(a, "x", 1), 0); /* write never suspends */
    weft_stream_free(a);
    weft_stream_free(b);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* ------------------------------------------------ writers, memory */

struct sink {
    weft_stream *s;
    size_t want, got;
    bool ok;
};

static int sink_main(void *arg)
{
    struct sink *k = arg;
    char *buf = malloc(8192);
    k->ok = true;
    while (k->got < k->want) {
        int n = weft_stream_read(k->s, buf, 8192);
        if (n <= 0) {
            free(buf);
            return n ? n : -EPIPE;
        }
        if (!check(buf, k->got, (size_t)n, 1))
            k->ok = false;
        k->got += (size_t)n;
    }
    free(buf);
    return 0;
}

static int writers_main(void *arg)
{
    weft_stream *a, *b;
    weft_memory_pair_opts small = {.capacity = 1000};
    assert_int_equal(weft_stream_memory_pair(NULL, &small, &a, &b), 0);

    /* drain waits while above the high water mark, until the peer read
     * enough to bring it to the low one. */
    size_t n = 300000;
    char *data = malloc(n);
    fill(data, 0, n, 1);
    assert_int_equal(weft_stream_write(a, data, 100000), 0);
    struct iovec iov[2] = {{data + 100000, 150000}, {data + 250000, 50000}};
    assert_int_equal(weft_stream_writev(a, iov, 2), 0);
    assert_true(weft_stream_write_buffer_size(a) > 64 * 1024);
    struct sink k = {.s = b, .want = n};
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, sink_main, &k, &t), 0);
    assert_int_equal(weft_stream_drain(a), 0);
    assert_true(weft_stream_write_buffer_size(a) <= 16 * 1024);
    assert_true(k.got > 0 && k.got < n); /* it waited, and no longer than needed */
    assert_int_equal(weft_task_join(t), 0);
    assert_true(k.ok);
    assert_int_equal(weft_stream_drain(a), 0); /* below the mark: at once */
    free(data);

    /* Water marks of our own. */
    assert_int_equal(weft_stream_set_write_buffer_limits(a, 100, 10), 0);
    assert_int_equal(weft_stream_set_write_buffer_limits(a, 10, 100), -EINVAL);

    /* write_eof: the peer reads to EOF; we cannot write but still read. */
    assert_true(weft_stream_can_write_eof(a));
    assert_int_equal(wr(a, "last words"), 0);
    assert_int_equal(weft_stream_write_eof(a), 0);
    assert_int_equal(wr(a, "more"), WEFT_ECLOSED);
    assert_false(weft_stream_is_closing(a)); /* as asyncio: half-closed is not closing */
    char buf[64];
    assert_int_equal(weft_stream_readexactly(b, buf, 10), 10);
    assert_int_equal(weft_stream_read(b, buf, sizeof buf), 0);
    assert_int_equal(wr(b, "reply"), 0);
    assert_int_equal(weft_stream_readexactly(a, buf, 5), 5);
    assert_memory_equal(buf, "reply", 5);

    /* close flushes, waits for the end, frees; then the peer sees EOF. */
    assert_int_equal(wr(b, "bye"), 0);
    assert_int_equal(weft_stream_close(b), 0);
    assert_int_equal(weft_stream_readexactly(a, buf, 3), 3);
    assert_int_equal(weft_stream_read(a, buf, sizeof buf), 0);
    weft_stream_free(a);

    /* The peer is gone: the write fails, and so does drain (not 0). */
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);
    weft_stream_free(b);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(weft_yield(), 0);
    int rc = wr(a, "anyone?");
    assert_true(rc == -EPIPE);
    assert_int_equal(weft_stream_drain(a), -EPIPE);
    assert_int_equal(wr(a, "x"), -EPIPE);
    assert_int_equal(weft_stream_wait_closed(a), -EPIPE);
    assert_null(weft_stream_transport(a));
    assert_int_equal(weft_stream_close(a), -EPIPE);

    /* Closed by us: WEFT_ECLOSED for every later call. */
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);
    weft_stream_abort(a);
    assert_int_equal(wr(a, "x"), WEFT_ECLOSED);
    assert_int_equal(weft_stream_drain(a), WEFT_ECLOSED);
    assert_int_equal(weft_stream_read(a, buf, 1), WEFT_ECLOSED);
    assert_int_equal(weft_stream_wait_closed(a), 0);
    weft_stream_free(a);
    assert_int_equal(weft_stream_read(b, buf, 1), 0);
    weft_stream_free(b);
    return 0;
}

static void write_drain_eof_close(void **state)
{
    run_virtual(writers_main, NULL);
}

/* ---------------------------------------------- TCP stream servers */

struct srv {
    int handled, finished;
    int last_rc;       /* of the last handler that ended */
    int cancelled;     /* handlers whose read saw -ECANCELED */
    char peer[64];
    weft_server *server;
};

/* Echo line by line, like the Python examples; "quick" replies after a
 * short sleep and returns, "stuck" waits for input that never comes. */
static int line_handler(weft_stream *s, void *ud)
{
    struct srv *v = ud;
    v->handled++;
    snprintf(v->peer, sizeof v->peer, "%s", weft_stream_peer_str(s));
    char line[1024];
    int n;
    while ((n = weft_stream_readline(s, line, sizeof line)) > 0) {
        if (n == 6 && memcmp(line, "quick\n", 6) == 0) {
            weft_sleep(WEFT_MSEC(50));
            wr(s, "done\n");
            n = weft_stream_drain(s);
            break;
        }
        if (n == 6 && memcmp(line, "stuck\n", 6) == 0) {
            char c;
            n = weft_stream_read(s, &c, 1);
            if (n == -ECANCELED)
                v->cancelled++;
            break;
        }
        if (weft_stream_write(s, line, (size_t)n) != 0 || (n = weft_stream_drain(s)) != 0)
            break;
    }
    v->finished++;
    v->last_rc = n;
    return n;
}

static int serve_forever_task(void *arg)
{
    return weft_server_serve_forever(arg);
}

static int servers_main(void *arg)
{
    struct srv v = {0};
    weft_server *srv;
    assert_int_equal(weft_stream_start_server("127.0.0.1", 0, NULL, line_handler, &v, &srv), 0);
    int port = weft_server_port(srv);
    assert_true(port > 0);

    weft_stream *c;
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)port, NULL, &c), 0);
    char want[64];
    snprintf(want, sizeof want, "('127.0.0.1', %d)", port);
    assert_string_equal(weft_stream_peer_str(c), want);
    assert_string_equal(weft_transport_kind(weft_stream_transport(c)), "tcp");
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(weft_stream_sockname(c, &ss, &len), 0);
    int cport = weft_addr_port((struct sockaddr *)&ss);
    assert_int_equal(wr(c, "ping\n"), 0);
    assert_int_equal(weft_stream_drain(c), 0);
    char buf[64];
    assert_int_equal(weft_stream_readline(c, buf, sizeof buf), 5);
    assert_memory_equal(buf, "ping\n", 5);
    snprintf(want, sizeof want, "('127.0.0.1', %d)", cport);
    assert_string_equal(v.peer, want);
    /* The handler returning closes its stream: the client sees EOF. */
    assert_int_equal(wr(c, "quick\n"), 0);
    assert_int_equal(weft_stream_readline(c, buf, sizeof buf), 5);
    assert_memory_equal(buf, "done\n", 5);
    assert_int_equal(weft_stream_read(c, buf, sizeof buf), 0);
    assert_true(weft_stream_at_eof(c));
    assert_int_equal(weft_stream_close(c), 0);
    assert_int_equal(v.finished, 1);

    /* serve_forever returns once someone closes the server; live
     * connections go on. */
    assert_int_equal(weft_stream_open_connection("localhost", (uint16_t)port, NULL, &c), 0);
    weft_task *sf;
    assert_int_equal(weft_task_spawn(NULL, serve_forever_task, srv, &sf), 0);
    assert_int_equal(weft_yield(), 0);
    assert_false(weft_task_done(sf));
    weft_server_close(srv);
    assert_int_equal(weft_task_join(sf), 0);
    assert_false(weft_server_is_serving(srv));
    assert_int_equal(wr(c, "still\n"), 0);
    assert_int_equal(weft_stream_readline(c, buf, sizeof buf), 6);
    weft_stream *c2;
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)port, NULL, &c2),
                     -ECONNREFUSED);
    /* wait_closed: until the last handler is done. */
    assert_int_equal(weft_stream_write_eof(c), 0);
    assert_int_equal(weft_server_wait_closed(srv), 0);
    assert_int_equal(weft_server_nconnections(srv), 0);
    assert_int_equal(v.finished, 2);
    assert_int_equal(weft_stream_close(c), 0);
    weft_server_free(srv);

    /* A cancelled serve_forever closes the server. */
    assert_int_equal(weft_stream_start_server("localhost", 0, NULL, line_handler, &v, &srv), 0);
    assert_int_equal(weft_task_spawn(NULL, serve_forever_task, srv, &sf), 0);
    assert_int_equal(weft_yield(), 0);
    weft_task_cancel(sf);
    assert_int_equal(weft_task_join(sf), -ECANCELED);
    assert_false(weft_server_is_serving(srv));
    weft_server_free(srv);

    /* Unix stream servers. */
    char path[108];
    snprintf(path, sizeof path, "/tmp/weft-ts-%d.sock", (int)getpid());
    assert_int_equal(weft_stream_start_unix_server(NULL, path, NULL, line_handler, &v, &srv), 0);
    assert_int_equal(weft_stream_open_unix_connection(path, NULL, &c), 0);
    assert_int_equal(wr(c, "over unix\n"), 0);
    assert_int_equal(weft_stream_readline(c, buf, sizeof buf), 10);
    assert_memory_equal(buf, "over unix\n", 10);
    assert_int_equal(weft_stream_close(c), 0);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    weft_server_free(srv);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(weft_stream_open_unix_connection(path, NULL, &c), -ENOENT);
    return 0;
}

static void start_server_serve_forever_wait_closed(void **state)
{
    run_clean(servers_main, NULL);
}

/* ------------------------------------------------- graceful shutdown */

static int shutdown_main(void *arg)
{
    struct srv v = {0};
    weft_server *srv;
    weft_loop *loop = weft_loop_current();
    assert_int_equal(weft_stream_server_open(loop, "127.0.0.1", 0, NULL, line_handler, &v, &srv),
                     0);
    int port = weft_server_port(srv);
    char buf[64];

    /* Everyone ends within the grace period: 0. */
    weft_stream *q1, *q2;
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)port, NULL, &q1), 0);
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)port, NULL, &q2), 0);
    assert_int_equal(wr(q1, "echo\n"), 0);
    assert_int_equal(weft_stream_readline(q1, buf, sizeof buf), 5); /* both handlers run */
    assert_int_equal(wr(q2, "echo\n"), 0);
    assert_int_equal(weft_stream_readline(q2, buf, sizeof buf), 5);
    assert_int_equal(wr(q1, "quick\n"), 0);
    assert_int_equal(wr(q2, "quick\n"), 0);
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    assert_true(weft_test_now_ns() - t0 < WEFT_SEC(4));
    assert_int_equal(weft_stream_readline(q1, buf, sizeof buf), 5);
    assert_memory_equal(buf, "done\n", 5);
    assert_int_equal(weft_stream_readline(q2, buf, sizeof buf), 5);
    assert_int_equal(weft_server_nconnections(srv), 0);
    assert_int_equal(v.finished, 2);
    weft_stream_free(q1);
    weft_stream_free(q2);
    weft_server_free(srv);

    /* One handler will not end: past the grace it is cancelled, its
     * connection dropped, and shutdown says so; the other finished. */
    memset(&v, 0, sizeof v);
    assert_int_equal(weft_stream_server_open(loop, "127.0.0.1", 0, NULL, line_handler, &v, &srv),
                     0);
    port = weft_server_port(srv);
    weft_stream *stuck, *quick;
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)port, NULL, &stuck), 0);
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)port, NULL, &quick), 0);
    assert_int_equal(wr(stuck, "echo\n"), 0);
    assert_int_equal(weft_stream_readline(stuck, buf, sizeof buf), 5);
    assert_int_equal(wr(quick, "echo\n"), 0);
    assert_int_equal(weft_stream_readline(quick, buf, sizeof buf), 5);
    assert_int_equal(wr(stuck, "stuck\n"), 0);
    assert_int_equal(wr(quick, "quick\n"), 0);
    t0 = weft_test_now_ns();
    assert_int_equal(weft_server_shutdown(srv, WEFT_MSEC(300)), -ETIMEDOUT);
    uint64_t took = weft_test_now_ns() - t0;
    assert_true(took >= WEFT_MSEC(300));
    assert_true(took < WEFT_SEC(5));
    assert_int_equal(v.handled, 2);
    assert_int_equal(v.finished, 2);
    assert_int_equal(v.cancelled, 1);
    assert_int_equal(weft_server_nconnections(srv), 0);
    assert_int_equal(weft_stream_readline(quick, buf, sizeof buf), 5);
    assert_memory_equal(buf, "done\n", 5);
    int rc = weft_stream_read(stuck, buf, sizeof buf);
    assert_true(rc == 0 || rc == -ECONNRESET);
    weft_stream_free(stuck);
    weft_stream_free(quick);
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)port, NULL, &stuck),
                     -ECONNREFUSED);
    weft_server_free(srv);
    return 0;
}

static void graceful_shutdown_with_a_grace_deadline(void **state)
{
    run_clean(shutdown_main, NULL);
}

/* --------------------------------------------------------- sendfile */

struct sf {
    int fd;
    size_t size;
    int64_t result;
};

struct exact {
    weft_stream *s;
    char *buf;
    size_t n;
};

static int read_exactly_task(void *arg)
{
    struct exact *e = arg;
    return weft_stream_readexactly(e->s, e->buf, e->n);
}

static int sendfile_handler(weft_stream *s, void *ud)
{
    struct sf *f = ud;
    assert_int_equal(wr(s, "HDR"), 0);
    f->result = weft_stream_sendfile(s, f->fd, 0, f->size);
    return 0;
}

static int sendfile_main(void *arg)
{
    struct sf f = {.size = WEFT_SCALED(6u << 20)};
    char tmpl[] = "/tmp/weft-ts-sendfile-XXXXXX";
    f.fd = mkstemp(tmpl);
    assert_true(f.fd >= 0);
    unlink(tmpl);
    char *content = malloc(f.size), *got = malloc(f.size + 3);
    fill(content, 0, f.size, 5);
    assert_int_equal(write(f.fd, content, f.size), (ssize_t)f.size);

    /* Over TCP: sendfile(2). */
    weft_server *srv;
    assert_int_equal(weft_stream_start_server("127.0.0.1", 0, NULL, sendfile_handler, &f, &srv),
                     0);
    weft_stream *c;
    assert_int_equal(
        weft_stream_open_connection("127.0.0.1", (uint16_t)weft_server_port(srv), NULL, &c), 0);
    assert_int_equal(weft_stream_readexactly(c, got, f.size + 3), (int)(f.size + 3));
    assert_memory_equal(got, "HDR", 3);
    assert_memory_equal(got + 3, content, f.size);
    assert_int_equal(weft_stream_read(c, got, 1), 0);
    assert_int_equal(f.result, (int64_t)f.size);
    assert_int_equal(weft_stream_close(c), 0);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    weft_server_free(srv);

    /* Over a memory pair: read and write through a buffer, from an offset. */
    weft_stream *a, *b;
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);
    weft_task *t;
    struct exact rd = {.s = b, .buf = got, .n = f.size - 1000};
    assert_int_equal(weft_task_spawn(NULL, read_exactly_task, &rd, &t), 0);
    assert_int_equal(weft_stream_sendfile(a, f.fd, 1000, f.size - 1000),
                     (int64_t)(f.size - 1000));
    assert_int_equal(weft_task_join(t), (int)(f.size - 1000));
    assert_memory_equal(got, content + 1000, f.size - 1000);
    /* A file shorter than the count: what there was. */
    assert_int_equal(weft_stream_sendfile(a, f.fd, (off_t)f.size - 10, 100), 10);
    assert_int_equal(weft_stream_readexactly(b, got, 10), 10);
    assert_memory_equal(got, content + f.size - 10, 10);
    assert_int_equal(weft_stream_sendfile(a, -1, 0, 100), -EINVAL);
    weft_stream_free(a);
    weft_stream_free(b);
    free(content);
    free(got);
    close(f.fd);
    return 0;
}

static void stream_sendfile(void **state)
{
    run_clean(sendfile_main, NULL);
}

/* ------------------------------------------------ peer resets, connect */

static int reset_handler(weft_stream *s, void *ud)
{
    char *buf = malloc(65536);
    size_t got = 0;
    while (got < 200000) {
        int n = weft_stream_read(s, buf, 65536);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    free(buf);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(weft_transport_fd(weft_stream_transport(s)), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    weft_stream_abort(s); /* RST */
    return 0;
}

static int reset_connect_main(void *arg)
{
    weft_server *srv;
    assert_int_equal(weft_stream_start_server("127.0.0.1", 0, NULL, reset_handler, NULL, &srv), 0);
    weft_stream *c;
    assert_int_equal(
        weft_stream_open_connection("127.0.0.1", (uint16_t)weft_server_port(srv), NULL, &c), 0);
    char *chunk = calloc(1, 65536);
    int rc = 0, i;
    for (i = 0; i < 100000 && rc == 0; i++) {
        rc = weft_stream_write(c, chunk, 65536);
        if (rc == 0)
            rc = weft_stream_drain(c);
    }
    /* An error, reported by write or drain, and no crash. */
    assert_true(rc == -ECONNRESET || rc == -EPIPE);
    assert_true(i < 100000);
    rc = weft_stream_read(c, chunk, 1);
    assert_true(rc == -ECONNRESET || rc == -EPIPE);
    rc = weft_stream_close(c);
    assert_true(rc == -ECONNRESET || rc == -EPIPE);
    free(chunk);
    weft_server_free(srv);

    /* Connect timeouts (option and task deadline) and cancellation, to a
     * listener whose full accept queue drops our SYN. */
    int hole[3];
    int hport = weft_test_blackhole_open(hole);
    assert_true(hport > 0);
    uint16_t port = (uint16_t)hport;
    weft_connect_opts o = {.timeout_ns = WEFT_MSEC(150)};
    assert_int_equal(weft_stream_open_connection("127.0.0.1", port, &o, &c), -ETIMEDOUT);
    int scope = weft_timeout_push(WEFT_MSEC(150));
    assert_int_equal(weft_stream_open_connection("127.0.0.1", port, NULL, &c), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    weft_test_blackhole_close(hole);
    return 0;
}

static void peer_reset_and_connect_errors(void **state)
{
    run_clean(reset_connect_main, NULL);
}

/* ------------------------------------------ 1 GiB with its SHA-256 */

static int bulk_echo_handler(weft_stream *s, void *ud)
{
    char *buf = malloc(256 * 1024);
    int n;
    while ((n = weft_stream_read(s, buf, 256 * 1024)) > 0)
        if (weft_stream_write(s, buf, (size_t)n) != 0 || weft_stream_drain(s) != 0)
            break;
    free(buf);
    return n;
}

struct bulk {
    weft_stream *s;
    size_t total, got;
    unsigned char digest[32];
};

static int bulk_reader(void *arg)
{
    struct bulk *b = arg;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    char *buf = malloc(256 * 1024);
    int n;
    while ((n = weft_stream_read(b->s, buf, 256 * 1024)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)n);
        b->got += (size_t)n;
    }
    EVP_DigestFinal_ex(md, b->digest, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    return n;
}

/* xorshift: cheap bytes that do not repeat with any short period */
static void random_fill(uint64_t *state, char *buf, size_t n)
{
    uint64_t x = *state;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
    *state = x;
}

static int gib_main(void *arg)
{
    weft_server *srv;
    assert_int_equal(weft_stream_start_server("127.0.0.1", 0, NULL, bulk_echo_handler, NULL, &srv),
                     0);
    weft_stream *c;
    assert_int_equal(
        weft_stream_open_connection("127.0.0.1", (uint16_t)weft_server_port(srv), NULL, &c), 0);
    struct bulk b = {.s = c, .total = WEFT_SCALED((size_t)1 << 30)};
    weft_task *rt;
    assert_int_equal(weft_task_spawn(NULL, bulk_reader, &b, &rt), 0);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    size_t chunk = 256 * 1024;
    char *buf = malloc(chunk);
    uint64_t st = 0x9e3779b97f4a7c15u;
    for (size_t sent = 0; sent < b.total; sent += chunk) {
        random_fill(&st, buf, chunk);
        EVP_DigestUpdate(md, buf, chunk);
        assert_int_equal(weft_stream_write(c, buf, chunk), 0);
        assert_int_equal(weft_stream_drain(c), 0);
    }
    unsigned char want[32];
    EVP_DigestFinal_ex(md, want, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    assert_int_equal(weft_stream_write_eof(c), 0);
    assert_int_equal(weft_task_join(rt), 0);
    assert_int_equal(b.got, b.total);
    assert_memory_equal(b.digest, want, 32);
    assert_int_equal(weft_stream_close(c), 0);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    weft_server_free(srv);
    return 0;
}

static void one_gib_through_an_echo_sha256(void **state)
{
    run_clean(gib_main, NULL);
}

/* ------------------------------------- 1,000 concurrent clients, 1 MB */

#define NCLIENTS 1000
#define CCHUNK (16u * 1024u)

struct client {
    unsigned id;
    uint16_t port;
    size_t bytes;
};

static int echo_client(void *arg)
{
    struct client *cl = arg;
    weft_stream *s;
    int rc = weft_stream_open_connection("127.0.0.1", cl->port, NULL, &s);
    if (rc)
        return rc;
    char *out = malloc(CCHUNK), *in = malloc(CCHUNK);
    for (size_t off = 0; off < cl->bytes && rc == 0; off += CCHUNK) {
        size_t k = cl->bytes - off < CCHUNK ? cl->bytes - off : CCHUNK;
        fill(out, off, k, cl->id);
        rc = weft_stream_write(s, out, k);
        if (!rc)
            rc = weft_stream_drain(s);
        if (!rc) {
            rc = weft_stream_readexactly(s, in, k);
            rc = rc == (int)k ? 0 : (rc < 0 ? rc : -EIO);
        }
        if (!rc && memcmp(in, out, k) != 0)
            rc = -EBADMSG;
    }
    free(out);
    free(in);
    int crc = weft_stream_close(s);
    return rc ? rc : crc;
}

static int thousand_main(void *arg)
{
    raise_nofile(2 * NCLIENTS + 200);
    weft_server *srv;
    assert_int_equal(weft_stream_start_server("127.0.0.1", 0, NULL, bulk_echo_handler, NULL, &srv),
                     0);
    static struct client cl[NCLIENTS];
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    for (unsigned i = 0; i < NCLIENTS; i++) {
        cl[i] = (struct client){.id = i, .port = (uint16_t)weft_server_port(srv),
                                .bytes = WEFT_SCALED(1000000u)};
        assert_true(weft_group_spawn(g, echo_client, &cl[i]) >= 0);
    }
    int rc = weft_group_wait(g);
    for (int i = 0; i < NCLIENTS; i++)
        assert_int_equal(weft_group_result(g, i), 0);
    assert_int_equal(rc, 0);
    weft_group_free(g);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(10)), 0);
    assert_int_equal(weft_server_nconnections(srv), 0);
    weft_server_free(srv);
    return 0;
}

static void thousand_concurrent_clients(void **state)
{
    run_clean(thousand_main, NULL);
}

/* ----------------------------------------------------- a slow reader */

struct slow {
    weft_stream *w;
    size_t total, chunk;
    size_t max_wbuf;
    int rc;
};

static int slow_writer(void *arg)
{
    struct slow *sl = arg;
    char *buf = malloc(sl->chunk);
    for (size_t off = 0; off < sl->total; off += sl->chunk) {
        fill(buf, off, sl->chunk, 3);
        int rc = weft_stream_write(sl->w, buf, sl->chunk);
        size_t wb = weft_stream_write_buffer_size(sl->w);
        if (wb > sl->max_wbuf)
            sl->max_wbuf = wb;
        if (!rc)
            rc = weft_stream_drain(sl->w);
        if (rc) {
            free(buf);
            return sl->rc = rc;
        }
    }
    free(buf);
    return weft_stream_write_eof(sl->w);
}

/* Read rsize bytes at a time, pausing between reads; returns the largest
 * read buffer seen. */
static size_t slow_read(weft_stream *r, size_t total, size_t rsize, uint64_t pause)
{
    char *buf = malloc(rsize);
    size_t got = 0, max_rbuf = 0;
    bool ok = true;
    while (got < total) {
        size_t rb = weft_stream_buffered(r);
        if (rb > max_rbuf)
            max_rbuf = rb;
        int n = weft_stream_read(r, buf, rsize);
        assert_true(n > 0);
        if (!check(buf, got, (size_t)n, 3))
            ok = false;
        got += (size_t)n;
        assert_int_equal(weft_sleep(pause), 0);
    }
    assert_true(ok);
    assert_int_equal(weft_stream_read(r, buf, rsize), 0);
    free(buf);
    return max_rbuf;
}

static int slow_memory_main(void *arg)
{
    weft_stream *a, *b;
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);
    struct slow sl = {.w = a, .total = WEFT_SCALED(8u << 20), .chunk = 16 * 1024};
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, slow_writer, &sl, &t), 0);
    /* 1 KiB per virtual millisecond: the writer outruns us by far. */
    size_t max_rbuf = slow_read(b, sl.total, 1024, WEFT_MSEC(1));
    assert_int_equal(weft_task_join(t), 0);
    /* Writer: at most the high mark plus the write that crossed it.
     * Reader: reading pauses past 2 x limit; one delivery may overshoot. */
    assert_true(sl.max_wbuf <= 64 * 1024 + sl.chunk);
    assert_true(max_rbuf <= 2 * WEFT_STREAM_DEFAULT_LIMIT + 64 * 1024);
    assert_true(max_rbuf > WEFT_STREAM_DEFAULT_LIMIT); /* it did fill up */
    weft_stream_free(a);
    weft_stream_free(b);
    return 0;
}

static int slow_tcp_main(void *arg)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    weft_stream *a, *b;
    assert_int_equal(weft_stream_open_fd(sv[0], WEFT_FD_READ | WEFT_FD_WRITE, &a), 0);
    assert_int_equal(weft_stream_open_fd(sv[1], WEFT_FD_READ | WEFT_FD_WRITE, &b), 0);
    struct slow sl = {.w = a, .total = WEFT_SCALED(32u << 20), .chunk = 64 * 1024};
    size_t rss0 = weft_test_rss_bytes();
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, slow_writer, &sl, &t), 0);
    size_t max_rbuf = slow_read(b, sl.total, 64 * 1024, WEFT_MSEC(1));
    assert_int_equal(weft_task_join(t), 0);
    size_t grew = weft_test_rss_bytes() - rss0;
    assert_true(sl.max_wbuf <= 64 * 1024 + sl.chunk);
    assert_true(max_rbuf <= 2 * WEFT_STREAM_DEFAULT_LIMIT + 64 * 1024);
    if (WEFT_TEST_SCALE == 1)
        assert_true(grew < (8u << 20)); /* 32 MB went through */
    assert_int_equal(weft_stream_close(a), 0);
    assert_int_equal(weft_stream_close(b), 0);
    return 0;
}

static void slow_reader_memory_bounded(void **state)
{
    run_virtual(slow_memory_main, NULL);
    run_clean(slow_tcp_main, NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(readers_on_a_memory_pair),
    cmocka_unit_test(timeouts_and_cancel_without_waiting),
    cmocka_unit_test(suspending_calls_need_a_task),
    cmocka_unit_test(write_drain_eof_close),
    cmocka_unit_test(start_server_serve_forever_wait_closed),
    cmocka_unit_test(graceful_shutdown_with_a_grace_deadline),
    cmocka_unit_test(stream_sendfile),
    cmocka_unit_test(peer_reset_and_connect_errors),
    cmocka_unit_test(one_gib_through_an_echo_sha256),
    cmocka_unit_test(thousand_concurrent_clients),
    cmocka_unit_test(slow_reader_memory_bounded),
};

WEFT_TEST_MAIN(tests)
