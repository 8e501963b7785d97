/* Single connections (http.client) with pipelining, skipping unread
 * bodies, Connection: close; and the blocking face, driven from plain code
 * outside any task: the same engine on a private loop. */
#include "fake_server.h"

struct ctx {
    struct fake f;
    int rc[8];
    int status[8];
    char body[8][64];
    bool open_after;
};

static char bufs[FAKE_MAX_REQ][256];

static struct fake_answer echo_path(struct fake *f, const char *m, const char *p,
                                    const char *req, int conn, int n)
{
    bool close = !strcmp(p, "/close");
    bool head = !strcmp(m, "HEAD"); /* the length it would have, no body */
    snprintf(bufs[n], sizeof bufs[0], "HTTP/1.1 200 OK\r\n%sContent-Length: %zu\r\n\r\n%s",
             close ? "Connection: close\r\n" : "", strlen(p), head ? "" : p);
    return (struct fake_answer){.data = bufs[n], .close = close};
}

static void setup(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    c->f.route = echo_path;
    c->f.ud = c;
}

static int read_body(weft_http_response *r, char *out, size_t cap)
{
    size_t got = 0;
    char b[2];
    int n;
    while ((n = weft_http_response_read(r, b, sizeof b)) > 0) {
        if (got + (size_t)n < cap) {
            memcpy(out + got, b, (size_t)n);
            got += (size_t)n;
        }
    }
    out[got] = '\0';
    return n;
}

static int lowlevel(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_conn *conn;
    assert_int_equal(weft_http_conn_open(s, "http://a.test:8080", &conn), 0);
    weft_http_headers *h;
    weft_http_headers_new(&h);
    weft_http_headers_add(h, "X-My-Header", "foo");
    /* Pipelined: three requests out before any response is read. */
    assert_int_equal(weft_http_conn_request(conn, "GET", "/one", h, NULL), 0);
    assert_int_equal(weft_http_conn_request(conn, "HEAD", "/two", NULL, NULL), 0);
    assert_int_equal(weft_http_conn_request(conn, "GET", "/three", NULL, NULL), 0);
    weft_http_headers_free(h);
    for (int i = 0; i < 3; i++) {
        weft_http_response *r;
        c->rc[i] = weft_http_conn_getresponse(conn, &r);
        if (c->rc[i])
            continue;
        c->status[i] = weft_http_response_status(r);
        if (i != 2)
            read_body(r, c->body[i], sizeof c->body[i]);
        weft_http_response_free(r); /* the third unread: skipped for the next */
    }
    weft_http_response *r;
    assert_int_equal(weft_http_conn_getresponse(conn, &r), -EINVAL); /* nothing asked */
    assert_int_equal(weft_http_conn_request(conn, "GET", "/four", NULL, NULL), 0);
    c->rc[3] = weft_http_conn_getresponse(conn, &r);
    if (c->rc[3] == 0) {
        read_body(r, c->body[3], sizeof c->body[3]);
        weft_http_response_free(r);
    }
    assert_int_equal(weft_http_conn_request(conn, "GET", "/close", NULL, NULL), 0);
    c->rc[4] = weft_http_conn_getresponse(conn, &r);
    if (c->rc[4] == 0) {
        read_body(r, c->body[4], sizeof c->body[4]);
        weft_http_response_free(r);
    }
    c->open_after = weft_http_conn_is_open(conn);
    assert_int_equal(weft_http_conn_request(conn, "GET", "/x", NULL, NULL), WEFT_ECLOSED);
    assert_int_equal(weft_http_conn_request(conn, "G T", "/x", NULL, NULL), WEFT_ECLOSED);
    weft_http_conn_close(conn);
    weft_http_session_close(s);
    return 0;
}

static void test_lowlevel_pipelined(void **state)
{
    struct ctx c;
    setup(&c);
    fake_run(lowlevel, &c, false);
    for (int i = 0; i < 5; i++)
        assert_int_equal(c.rc[i], 0);
    assert_string_equal(c.body[0], "/one");
    assert_string_equal(c.body[1], ""); /* HEAD */
    assert_string_equal(c.body[3], "/four");
    assert_string_equal(c.body[4], "/close");
    assert_false(c.open_after);
    assert_int_equal(c.f.conns, 1);
    assert_non_null(strstr(c.f.req[0], "GET /one HTTP/1.1\r\nHost: a.test:8080\r\n"));
    assert_non_null(strstr(c.f.req[0], "\r\nX-My-Header: foo\r\n"));
    assert_non_null(strstr(c.f.req[0], "\r\nUser-Agent: weft/"));
}

static int bad_args(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_conn *conn;
    assert_int_equal(weft_http_conn_open(s, "ftp://a.test/", &conn), WEFT_EURL_SCHEME);
    c->f.connect_err = -ECONNREFUSED;
    assert_int_equal(weft_http_conn_open(s, "http://a.test/", &conn), -ECONNREFUSED);
    c->f.connect_err = 0;
    assert_int_equal(weft_http_conn_open(s, "http://a.test/", &conn), 0);
    assert_int_equal(weft_http_conn_request(conn, "GET", "/a b", NULL, NULL), -EINVAL);
    assert_int_equal(weft_http_conn_request(conn, "G T", "/", NULL, NULL),
                     WEFT_EHTTP_BAD_METHOD);
    /* Closing with a response half read: its reads fail, it stays valid. */
    assert_int_equal(weft_http_conn_request(conn, "GET", "/abcdef", NULL, NULL), 0);
    weft_http_response *r;
    assert_int_equal(weft_http_conn_getresponse(conn, &r), 0);
    weft_http_conn_close(conn);
    char b[4];
    assert_int_equal(weft_http_response_status(r), 200);
    assert_int_equal(weft_http_response_read(r, b, sizeof b), WEFT_ECLOSED);
    weft_http_response_free(r);
    weft_http_session_close(s);
    return 0;
}

static void test_lowlevel_errors(void **state)
{
    struct ctx c;
    setup(&c);
    fake_run(bad_args, &c, false);
}

/* ------------------------------------------------------------ blocking */

static void test_blocking_client(void **state)
{
    struct ctx c;
    setup(&c);
    int fds = weft_test_count_fds();
    weft_http_client *cl;
    assert_int_equal(weft_http_client_new(NULL, &cl), 0);
    weft_http_session *s = weft_http_client_session(cl);
    weft__hc_set_connector(s, fake_connector, &c.f);
    assert_null(weft_task_current());
    for (int i = 0; i < 3; i++) {
        weft_http_response *r;
        char url[64];
        snprintf(url, sizeof url, "http://a.test/b%d", i);
        assert_int_equal(weft_http_session_get(s, url, NULL, &r), 0);
        assert_int_equal(weft_http_response_status(r), 200);
        char out[64];
        assert_int_equal(read_body(r, out, sizeof out), 0);
        assert_string_equal(out, url + 13);
        weft_http_response_free(r);
    }
    /* read_all outside a task, and a response that outlives its client. */
    weft_http_response *r;
    assert_int_equal(weft_http_session_get(s, "http://a.test/last", NULL, &r), 0);
    const char *b;
    size_t len;
    assert_int_equal(weft_http_response_read_all(r, &b, &len), 0);
    assert_string_equal(b, "/last");
    /* The single-connection API blocks the same way. */
    weft_http_conn *conn;
    assert_int_equal(weft_http_conn_open(s, "http://a.test/", &conn), 0);
    assert_int_equal(weft_http_conn_request(conn, "GET", "/c", NULL, NULL), 0);
    weft_http_response *r2;
    assert_int_equal(weft_http_conn_getresponse(conn, &r2), 0);
    char out[16];
    assert_int_equal(read_body(r2, out, sizeof out), 0);
    assert_string_equal(out, "/c");
    weft_http_response_free(r2);
    weft_http_conn_close(conn);
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    assert_int_equal(st.connections_opened, 2); /* the session's, and the single one */
    weft_http_client_free(cl);
    assert_string_equal(b, "/last");
    assert_int_equal(weft_http_response_status(r), 200);
    weft_http_response_free(r);
    assert_int_equal(weft_test_count_fds(), fds);
}

static int inside_task(void *arg)
{
    weft_http_client *cl = arg;
    weft_http_response *r;
    /* The blocking face refuses to run its loop from inside a task. */
    return weft_http_session_get(weft_http_client_session(cl), "http://a.test/", NULL, &r);
}

static void test_blocking_refused_in_task(void **state)
{
    weft_http_client *cl;
    assert_int_equal(weft_http_client_new(NULL, &cl), 0);
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    weft_task *t;
    assert_int_equal(weft_task_spawn(loop, inside_task, cl, &t), 0);
    assert_int_equal(weft_loop_run_until_complete(loop, t), -EPERM);
    assert_int_equal(weft_loop_close(loop), 0);
    weft_http_client_free(cl);
    weft_http_response *r;
    assert_int_equal(weft_http_get(NULL, NULL, &r), -EINVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lowlevel_pipelined),
    cmocka_unit_test(test_lowlevel_errors),
    cmocka_unit_test(test_blocking_client),
    cmocka_unit_test(test_blocking_refused_in_task),
};

WEFT_TEST_MAIN(tests)
