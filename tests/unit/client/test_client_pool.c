/* The connection pool, seen from the server's side: limits (the server
 * never has more connections than allowed), FIFO service of queued
 * requests, reuse, the idle timeout, eviction of other hosts' idle
 * connections at the total limit, the one safe retry, the pool timeout and
 * closing a session under waiting requests. Virtual clock throughout. */
#include "fake_server.h"

struct ctx {
    struct fake f;
    weft_http_session_opts o;
    weft_http_session *s;
    int ntasks;
    const char *urls[16];
    const char *method;
    int rc[16];
    int order[16], norder;
    weft_http_session_stats st;
    uint64_t hold_ns;     /* server delay per answer */
    int close_after_first; /* the server closes each connection after answering once */
};

static struct fake_answer route_ok(struct fake *f, const char *m, const char *p, const char *req,
                                   int conn, int n)
{
    struct ctx *c = f->ud;
    const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    return (struct fake_answer){.data = a, .delay_ns = c->hold_ns};
}

struct worker {
    struct ctx *c;
    int i;
};

static int worker(void *arg)
{
    struct worker *w = arg;
    struct ctx *c = w->c;
    weft_http_headers *h;
    weft_http_headers_new(&h);
    char v[8];
    snprintf(v, sizeof v, "%d", w->i);
    weft_http_headers_add(h, "X-Task", v);
    weft_http_request_opts o = {.headers = h};
    weft_http_response *r;
    const char *url = c->urls[w->i] ? c->urls[w->i] : "http://a.test/";
    int rc = weft_http_session_request(c->s, c->method ? c->method : "GET", url, &o, &r);
    if (rc == 0) {
        const char *b;
        rc = weft_http_response_read_all(r, &b, NULL);
        weft_http_response_free(r);
    }
    weft_http_headers_free(h);
    c->rc[w->i] = rc;
    c->order[c->norder++] = w->i;
    return 0;
}

static int run_workers(void *arg)
{
    struct ctx *c = arg;
    c->s = fake_session(&c->f, &c->o);
    struct worker w[16];
    weft_task *t[16];
    for (int i = 0; i < c->ntasks; i++) {
        w[i] = (struct worker){c, i};
        assert_int_equal(weft_task_spawn(NULL, worker, &w[i], &t[i]), 0);
    }
    for (int i = 0; i < c->ntasks; i++)
        weft_task_join(t[i]);
    weft_http_session_get_stats(c->s, &c->st);
    weft_http_session_close(c->s);
    return 0;
}

static void setup(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    c->f.route = route_ok;
    c->f.ud = c;
}

/* The task index (X-Task) of request k as the server saw it. */
static int task_of(const struct fake *f, int k)
{
    const char *p = strstr(f->req[k], "X-Task: ");
    return p ? atoi(p + 8) : -1;
}

static void test_limit_from_server_side(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.limit = 2;
    c.ntasks = 8;
    c.hold_ns = WEFT_MSEC(100);
    fake_run(run_workers, &c, true);
    for (int i = 0; i < 8; i++)
        assert_int_equal(c.rc[i], 0);
    assert_int_equal(c.f.max_live, 2);
    assert_int_equal(c.f.conns, 2);
    assert_int_equal(c.st.connections_opened, 2);
    assert_int_equal(c.st.connections_reused, 6);
    assert_int_equal(c.st.max_open, 2);
    assert_int_equal(c.st.pool_waits, 6);
}

static void test_fifo_order(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.limit = 1;
    c.ntasks = 6;
    c.hold_ns = WEFT_MSEC(10);
    fake_run(run_workers, &c, true);
    assert_int_equal(c.f.nreq, 6);
    for (int k = 0; k < 6; k++) {
        assert_int_equal(c.rc[k], 0);
        assert_int_equal(task_of(&c.f, k), k); /* queued requests go in arrival order */
    }
    assert_int_equal(c.f.conns, 1);
}

static void test_limit_per_host(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.limit = 10;
    c.o.limit_per_host = 1;
    c.ntasks = 6;
    c.hold_ns = WEFT_MSEC(50);
    for (int i = 0; i < 6; i++)
        c.urls[i] = i % 2 ? "http://b.test/" : "http://a.test/";
    fake_run(run_workers, &c, true);
    for (int i = 0; i < 6; i++)
        assert_int_equal(c.rc[i], 0);
    assert_int_equal(c.f.per_host_max[0], 1);
    assert_int_equal(c.f.per_host_max[1], 1);
    assert_int_equal(c.f.max_live, 2); /* a.test waiting does not hold up b.test */
    assert_int_equal(c.f.conns, 2);
}

static void test_unlimited_per_host_default(void **state)
{
    struct ctx c;
    setup(&c);
    c.ntasks = 12;
    c.hold_ns = WEFT_MSEC(10);
    fake_run(run_workers, &c, true);
    assert_int_equal(c.f.max_live, 12); /* default limit 100, none per host */
}

/* Sequential requests to two hosts under limit 1: the idle connection of
 * the first host is closed to make room for the second. */
static int two_hosts(void *arg)
{
    struct ctx *c = arg;
    c->s = fake_session(&c->f, &c->o);
    const char *urls[] = {"http://a.test/", "http://b.test/", "http://a.test/"};
    for (int i = 0; i < 3; i++) {
        weft_http_response *r;
        c->rc[i] = weft_http_session_get(c->s, urls[i], NULL, &r);
        if (c->rc[i] == 0) {
            weft_http_response_read_all(r, NULL, NULL);
            weft_http_response_free(r);
        }
    }
    weft_http_session_get_stats(c->s, &c->st);
    weft_http_session_close(c->s);
    return 0;
}

static void test_evicts_other_hosts_idle(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.limit = 1;
    fake_run(two_hosts, &c, true);
    for (int i = 0; i < 3; i++)
        assert_int_equal(c.rc[i], 0);
    assert_int_equal(c.f.conns, 3);
    /* Our side never had two; the server may see the closed one end a
     * moment after the new one arrives (its EOF is in flight). */
    assert_int_equal(c.st.max_open, 1);
}

/* Idle connections close after the idle timeout, seen by the server as
 * its connection ending. */
static int idle_timeout(void *arg)
{
    struct ctx *c = arg;
    c->s = fake_session(&c->f, &c->o);
    weft_http_response *r;
    assert_int_equal(weft_http_session_get(c->s, "http://a.test/", NULL, &r), 0);
    weft_http_response_read_all(r, NULL, NULL);
    weft_http_response_free(r);
    weft_http_session_get_stats(c->s, &c->st);
    assert_int_equal(c->st.idle, 1);
    assert_int_equal(weft_sleep(WEFT_SEC(4)), 0);
    assert_int_equal(c->f.live, 1);
    assert_int_equal(weft_sleep(WEFT_SEC(2)), 0);
    weft_http_session_get_stats(c->s, &c->st);
    assert_int_equal(c->st.idle, 0);
    assert_int_equal(c->st.open, 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(c->f.live, 0); /* the server saw it close */
    /* The next request opens a new one. */
    assert_int_equal(weft_http_session_get(c->s, "http://a.test/", NULL, &r), 0);
    weft_http_response_free(r);
    weft_http_session_close(c->s);
    return 0;
}

static void test_idle_timeout(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.idle_timeout_ns = WEFT_SEC(5);
    fake_run(idle_timeout, &c, true);
    assert_int_equal(c.f.conns, 2);
}

/* The server closes a kept-alive connection just as the second request
 * arrives on it: it reads the request and closes without a word. */
static struct fake_answer route_close_second(struct fake *f, const char *m, const char *p,
                                             const char *req, int conn, int n)
{
    if (n == 1)
        return (struct fake_answer){.data = "", .close = true};
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
}

static int sequential(void *arg)
{
    struct ctx *c = arg;
    c->s = fake_session(&c->f, &c->o);
    for (int i = 0; i < 2; i++) {
        weft_http_response *r;
        weft_http_body b = weft_http_body_string("x");
        weft_http_request_opts o = {.body = c->method && strcmp(c->method, "GET") ? b
                                                                                : (weft_http_body){0}};
        c->rc[i] = weft_http_session_request(c->s, c->method ? c->method : "GET", "http://a.test/",
                                             &o, &r);
        if (c->rc[i] == 0) {
            weft_http_response_read_all(r, NULL, NULL);
            weft_http_response_free(r);
        }
    }
    weft_http_session_get_stats(c->s, &c->st);
    weft_http_session_close(c->s);
    return 0;
}

static void test_retry_idempotent_once(void **state)
{
    struct ctx c;
    setup(&c);
    c.f.route = route_close_second;
    fake_run(sequential, &c, true);
    assert_int_equal(c.rc[0], 0);
    assert_int_equal(c.rc[1], 0);
    assert_int_equal(c.st.retries, 1);
    assert_int_equal(c.f.conns, 2);
    assert_int_equal(c.f.nreq, 3); /* the retried request reached the server twice */

    setup(&c); /* PUT is idempotent too, and its body is sent again */
    c.f.route = route_close_second;
    c.method = "PUT";
    fake_run(sequential, &c, true);
    assert_int_equal(c.rc[1], 0);
    assert_int_equal(c.st.retries, 1);
    assert_non_null(strstr(c.f.req[2], "\r\n\r\nx"));
}

static void test_no_retry_for_post(void **state)
{
    struct ctx c;
    setup(&c);
    c.f.route = route_close_second;
    c.method = "POST";
    fake_run(sequential, &c, true);
    assert_int_equal(c.rc[0], 0);
    assert_int_equal(c.rc[1], WEFT_EHTTP_DISCONNECTED);
    assert_int_equal(c.st.retries, 0);
    assert_int_equal(c.f.nreq, 2);
}

/* Only one retry: a server that closes every reused connection fails the
 * request after the second try. */
static struct fake_answer route_close_all_but_first(struct fake *f, const char *m,
                                                    const char *p, const char *req, int conn,
                                                    int n)
{
    if (n >= 1)
        return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Le", .close = true};
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
}

static void test_partial_answer_not_retried(void **state)
{
    struct ctx c;
    setup(&c);
    c.f.route = route_close_all_but_first;
    fake_run(sequential, &c, true);
    assert_int_equal(c.rc[1], WEFT_EHTTP_TRUNCATED); /* bytes came: not a stale connection */
    assert_int_equal(c.st.retries, 0);
}

/* A response held with its body unread keeps its connection: with limit 1
 * the next request waits, and gives up at the pool timeout. */
static int pool_timeout(void *arg)
{
    struct ctx *c = arg;
    c->s = fake_session(&c->f, &c->o);
    weft_http_response *held, *r;
    assert_int_equal(weft_http_session_get(c->s, "http://a.test/", NULL, &held), 0);
    uint64_t t0 = weft_loop_now(weft_loop_current());
    char err[WEFT_HTTP_ERRBUF_SIZE];
    weft_http_request_opts o = {.errbuf = err};
    c->rc[0] = weft_http_session_get(c->s, "http://a.test/", &o, &r);
    uint64_t waited = weft_loop_now(weft_loop_current()) - t0;
    assert_true(waited >= WEFT_SEC(2) && waited < WEFT_SEC(3));
    assert_non_null(strstr(err, "became free"));
    weft_http_response_free(held);
    weft_http_session_close(c->s);
    return 0;
}

static void test_pool_timeout(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.limit = 1;
    c.o.pool_timeout_ns = WEFT_SEC(2);
    fake_run(pool_timeout, &c, true);
    assert_int_equal(c.rc[0], WEFT_EHTTP_POOL_TIMEOUT);
    assert_int_equal(weft_http_error_class(c.rc[0]), WEFT_HTTP_ERR_TIMEOUT);
}

/* Closing the session fails the queued requests with WEFT_ECLOSED. */
static int closer(void *arg)
{
    struct ctx *c = arg;
    assert_int_equal(weft_sleep(WEFT_MSEC(10)), 0);
    weft_http_session_get_stats(c->s, &c->st);
    weft_http_session_free(c->s);
    return 0;
}

static int close_under_waiters(void *arg)
{
    struct ctx *c = arg;
    c->s = fake_session(&c->f, &c->o);
    struct worker w[4];
    weft_task *t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){c, i};
        assert_int_equal(weft_task_spawn(NULL, worker, &w[i], &t[i]), 0);
    }
    weft_task *ct;
    assert_int_equal(weft_task_spawn(NULL, closer, c, &ct), 0);
    weft_task_join(ct);
    for (int i = 0; i < 4; i++)
        weft_task_join(t[i]);
    return 0;
}

static void test_close_fails_waiters(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.limit = 1;
    c.ntasks = 4;
    c.hold_ns = WEFT_SEC(1);
    fake_run(close_under_waiters, &c, true);
    assert_int_equal(c.st.waiting, 3);
    for (int i = 0; i < 4; i++)
        assert_int_equal(c.rc[i], WEFT_ECLOSED);
}

static void test_connect_failure_frees_slot(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.limit = 1;
    c.ntasks = 3;
    c.f.connect_err = -ECONNREFUSED;
    fake_run(run_workers, &c, true);
    for (int i = 0; i < 3; i++)
        assert_int_equal(c.rc[i], -ECONNREFUSED);
    assert_int_equal(c.st.open, 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_limit_from_server_side),
    cmocka_unit_test(test_fifo_order),
    cmocka_unit_test(test_limit_per_host),
    cmocka_unit_test(test_unlimited_per_host_default),
    cmocka_unit_test(test_evicts_other_hosts_idle),
    cmocka_unit_test(test_idle_timeout),
    cmocka_unit_test(test_retry_idempotent_once),
    cmocka_unit_test(test_no_retry_for_post),
    cmocka_unit_test(test_partial_answer_not_retried),
    cmocka_unit_test(test_pool_timeout),
    cmocka_unit_test(test_close_fails_waiters),
    cmocka_unit_test(test_connect_failure_frees_slot),
};

WEFT_TEST_MAIN(tests)
