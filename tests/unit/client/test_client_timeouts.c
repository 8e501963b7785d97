/* Every kind of timeout, on the virtual clock so that none takes real
 * time: connect, read (before the head and mid-body), total (across body
 * reads and across redirects), per-request overrides, Expect: 100-continue's
 * one-second wait, and cancelling the requesting task. Each checks both the
 * error and when it came. */
#include "fake_server.h"

struct ctx {
    struct fake f;
    weft_http_session_opts o;
    weft_http_request_opts ro;
    const char *method;
    int rc, rc2;
    uint64_t elapsed;
    char err[WEFT_HTTP_ERRBUF_SIZE];
    int status;
};

static int fetch(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, &c->o);
    c->ro.errbuf = c->err;
    uint64_t t0 = weft_loop_now(weft_loop_current());
    weft_http_response *r;
    c->rc = weft_http_session_request(s, c->method ? c->method : "GET", "http://a.test/start",
                                      &c->ro, &r);
    if (c->rc == 0) {
        c->status = weft_http_response_status(r);
        c->rc2 = weft_http_response_read_all(r, NULL, NULL);
        weft_http_response_free(r);
    }
    c->elapsed = weft_loop_now(weft_loop_current()) - t0;
    weft_http_session_close(s);
    return 0;
}

static void setup(struct ctx *c, fake_route route)
{
    memset(c, 0, sizeof *c);
    c->f.route = route;
    c->f.ud = c;
}

static bool near(uint64_t got, uint64_t want)
{
    return got >= want && got < want + WEFT_MSEC(50);
}

static struct fake_answer slow_head(struct fake *f, const char *m, const char *p,
                                    const char *req, int conn, int n)
{
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                                .delay_ns = WEFT_SEC(10)};
}

static void test_read_timeout_before_head(void **state)
{
    struct ctx c;
    setup(&c, slow_head);
    c.o.read_timeout_ns = WEFT_SEC(1);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, WEFT_EHTTP_READ_TIMEOUT);
    assert_true(near(c.elapsed, WEFT_SEC(1)));
    assert_non_null(strstr(c.err, "read timeout"));

    setup(&c, slow_head); /* the request's own value wins */
    c.o.read_timeout_ns = WEFT_SEC(1);
    c.ro.read_timeout_ns = WEFT_SEC(20);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, 0);
    assert_true(near(c.elapsed, WEFT_SEC(10)));
}

static struct fake_answer stall_body(struct fake *f, const char *m, const char *p,
                                     const char *req, int conn, int n)
{
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                                .stall = true};
}

static void test_read_timeout_mid_body(void **state)
{
    struct ctx c;
    setup(&c, stall_body);
    c.o.read_timeout_ns = WEFT_SEC(2);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, WEFT_EHTTP_READ_TIMEOUT);
    assert_true(near(c.elapsed, WEFT_SEC(2)));
}

static struct fake_answer trickle(struct fake *f, const char *m, const char *p,
                                  const char *req, int conn, int n)
{
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
                                        "01234567890123456789",
                                .trickle_ns = WEFT_MSEC(200), .trickle_from = 39};
}

static void test_total_timeout_covers_body(void **state)
{
    /* The head comes at once, then each body byte well within the read
     * timeout, but the whole takes longer than the total. */
    struct ctx c;
    setup(&c, trickle);
    c.o.read_timeout_ns = WEFT_SEC(1);
    c.o.timeout_ns = WEFT_SEC(3);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, -ETIMEDOUT);
    assert_true(near(c.elapsed, WEFT_SEC(3)));
    assert_int_equal(weft_http_error_class(c.rc2), WEFT_HTTP_ERR_TIMEOUT);

    setup(&c, trickle); /* the request's total wins */
    c.o.timeout_ns = WEFT_SEC(3);
    c.ro.timeout_ns = WEFT_SEC(100);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc2, 0);
}

static struct fake_answer slow_redirects(struct fake *f, const char *m, const char *p,
                                         const char *req, int conn, int n)
{
    return (struct fake_answer){
        .data = "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n",
        .delay_ns = WEFT_MSEC(400)};
}

static void test_total_timeout_covers_redirects(void **state)
{
    struct ctx c;
    setup(&c, slow_redirects);
    c.ro.timeout_ns = WEFT_SEC(1);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, -ETIMEDOUT);
    assert_true(near(c.elapsed, WEFT_SEC(1)));
    assert_non_null(strstr(c.err, "timed out"));
}

static struct fake_answer ok(struct fake *f, const char *m, const char *p, const char *req,
                             int conn, int n)
{
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
}

static void test_connect_timeout(void **state)
{
    struct ctx c;
    setup(&c, ok);
    c.f.connect_delay = WEFT_SEC(5);
    c.o.connect_timeout_ns = WEFT_SEC(1);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, WEFT_EHTTP_CONNECT_TIMEOUT);
    assert_true(near(c.elapsed, WEFT_SEC(1)));
    assert_non_null(strstr(c.err, "timed out"));

    setup(&c, ok); /* the default (30 s) lets a 5 s connect through */
    c.f.connect_delay = WEFT_SEC(5);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, 0);

    setup(&c, ok); /* the total bounds the connect too */
    c.f.connect_delay = WEFT_SEC(5);
    c.ro.timeout_ns = WEFT_SEC(2);
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, -ETIMEDOUT);
    assert_true(near(c.elapsed, WEFT_SEC(2)));
}

/* Expect: 100-continue. */
static struct fake_answer no_continue(struct fake *f, const char *m, const char *p,
                                      const char *req, int conn, int n)
{
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
}

static void test_expect_continue_waits_a_second(void **state)
{
    /* The fake server reads the whole request before answering, so it
     * never sends 100: the body goes after a second anyway. */
    struct ctx c;
    setup(&c, no_continue);
    c.method = "PUT";
    c.ro.flags = WEFT_HTTP_EXPECT_CONTINUE;
    c.ro.body = weft_http_body_string("data");
    fake_run(fetch, &c, true);
    assert_int_equal(c.rc, 0);
    assert_true(near(c.elapsed, WEFT_SEC(1)));
    assert_non_null(strstr(c.f.req[0], "\r\nExpect: 100-continue\r\n"));
    assert_non_null(strstr(c.f.req[0], "\r\n\r\ndata"));
}

/* A server that answers from the head alone (a real one answering
 * Expect: 100-continue): it reads the head, answers, and decides. */
static int early_server(void *arg)
{
    weft_stream *s = arg;
    char buf[2048];
    int n = weft_stream_readuntil(s, "\r\n\r\n", 4, buf, sizeof buf);
    assert_true(n > 0);
    const char *a = strstr(buf, "/reject")
                        ? "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n"
                        : "HTTP/1.1 100 Continue\r\n\r\n";
    weft_stream_write(s, a, strlen(a));
    if (!strstr(buf, "/reject")) {
        n = weft_stream_readexactly(s, buf, 4);
        assert_int_equal(n, 4);
        const char *fin = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
        weft_stream_write(s, fin, strlen(fin));
    }
    weft_stream_close(s);
    return 0;
}

static int early_connector(weft_http_session *s, struct weft__hc_conn *c,
                           const struct weft__hc_target *t, void *ud)
{
    weft_stream *a, *b;
    assert_int_equal(weft_stream_memory_pair(NULL, NULL, &a, &b), 0);
    c->st = a;
    return weft_task_spawn(NULL, early_server, b, NULL);
}

struct early {
    const char *url;
    int rc, status;
    uint64_t elapsed;
};

static int early_fetch(void *arg)
{
    struct early *e = arg;
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, NULL, &s), 0);
    weft__hc_set_connector(s, early_connector, NULL);
    weft_http_request_opts o = {.flags = WEFT_HTTP_EXPECT_CONTINUE,
                                .body = weft_http_body_string("data")};
    uint64_t t0 = weft_loop_now(weft_loop_current());
    weft_http_response *r;
    e->rc = weft_http_session_put(s, e->url, &o, &r);
    e->elapsed = weft_loop_now(weft_loop_current()) - t0;
    if (e->rc == 0) {
        e->status = weft_http_response_status(r);
        weft_http_response_free(r);
    }
    weft_http_session_close(s);
    return 0;
}

static void test_expect_continue_answers(void **state)
{
    struct early e = {.url = "http://a.test/accept"};
    fake_run(early_fetch, &e, true);
    assert_int_equal(e.rc, 0);
    assert_int_equal(e.status, 201);
    assert_true(e.elapsed < WEFT_MSEC(50)); /* the 100 came: no waiting */

    e = (struct early){.url = "http://a.test/reject"};
    fake_run(early_fetch, &e, true);
    assert_int_equal(e.rc, 0);
    assert_int_equal(e.status, 417); /* the body was never sent */
}

/* Cancelling the task that waits for a response. */
static int victim(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_response *r;
    c->rc = weft_http_session_get(s, "http://a.test/", NULL, &r);
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    c->status = (int)st.open;
    weft_http_session_free(s);
    return 0;
}

static int cancel_it(void *arg)
{
    struct ctx *c = arg;
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, victim, c, &t), 0);
    assert_int_equal(weft_sleep(WEFT_SEC(1)), 0);
    weft_task_cancel(t);
    weft_task_join(t);
    return 0;
}

static void test_cancel(void **state)
{
    struct ctx c;
    setup(&c, slow_head);
    fake_run(cancel_it, &c, true);
    assert_int_equal(c.rc, -ECANCELED);
    assert_int_equal(c.status, 0); /* the half-used connection was dropped */
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_read_timeout_before_head),
    cmocka_unit_test(test_read_timeout_mid_body),
    cmocka_unit_test(test_total_timeout_covers_body),
    cmocka_unit_test(test_total_timeout_covers_redirects),
    cmocka_unit_test(test_connect_timeout),
    cmocka_unit_test(test_expect_continue_waits_a_second),
    cmocka_unit_test(test_expect_continue_answers),
    cmocka_unit_test(test_cancel),
};

WEFT_TEST_MAIN(tests)
