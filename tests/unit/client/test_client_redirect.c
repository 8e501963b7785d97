/* Redirects: history, method rewriting (RFC 9110 §15.4), loops, relative
 * Locations, credentials and cookies that must not follow a redirect to
 * another origin, bodies that must be sent again, and cookies set on the
 * way (the login-redirect pattern). */
#include "fake_server.h"

struct ctx {
    struct fake f;
    weft_http_session_opts o;
    weft_http_request_opts ro;
    const char *method;
    const char *url;
    int rc, rc2;
    int status;
    char final_url[256];
    char final_method[16];
    size_t nhist;
    int hist_status[16];
    char hist_url[16][256];
    char body[256];
    int redirect_events;
};

static char ans_buf[FAKE_MAX_REQ][512];

static struct fake_answer redirect_to(int n, int status, const char *loc)
{
    snprintf(ans_buf[n % FAKE_MAX_REQ], sizeof ans_buf[0],
             "HTTP/1.1 %d Moved\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", status, loc);
    return (struct fake_answer){.data = ans_buf[n % FAKE_MAX_REQ]};
}

static struct fake_answer ok_with(int n, const char *extra, const char *body)
{
    snprintf(ans_buf[n % FAKE_MAX_REQ], sizeof ans_buf[0],
             "HTTP/1.1 200 OK\r\n%sContent-Length: %zu\r\n\r\n%s", extra, strlen(body), body);
    return (struct fake_answer){.data = ans_buf[n % FAKE_MAX_REQ]};
}

static void trace_cb(const weft_http_trace *ev, void *ud)
{
    struct ctx *c = ud;
    if (ev->event == WEFT_HTTP_TRACE_REDIRECT)
        c->redirect_events++;
}

static int fetch(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, &c->o);
    c->ro.trace = trace_cb;
    c->ro.trace_ud = c;
    weft_http_response *r;
    c->rc = weft_http_session_request(s, c->method ? c->method : "GET",
                                      c->url ? c->url : "http://a.test/start", &c->ro, &r);
    if (c->rc == 0) {
        c->status = weft_http_response_status(r);
        snprintf(c->final_url, sizeof c->final_url, "%s", weft_http_response_url(r));
        snprintf(c->final_method, sizeof c->final_method, "%s", weft_http_response_method(r));
        c->nhist = weft_http_response_history_count(r);
        for (size_t i = 0; i < c->nhist && i < 16; i++) {
            const weft_http_response *h = weft_http_response_history(r, i);
            c->hist_status[i] = weft_http_response_status(h);
            snprintf(c->hist_url[i], sizeof c->hist_url[i], "%s", weft_http_response_url(h));
        }
        const char *b;
        if (weft_http_response_read_all(r, &b, NULL) == 0)
            snprintf(c->body, sizeof c->body, "%s", b);
        weft_http_response_free(r);
    }
    weft_http_session_close(s);
    return 0;
}

static void setup(struct ctx *c, fake_route route)
{
    memset(c, 0, sizeof *c);
    c->f.route = route;
    c->f.ud = c;
}

/* /start -301-> /some/redirect/ -301-> /some/other/redirect/ -> 200 */
static struct fake_answer chain(struct fake *f, const char *m, const char *p, const char *req,
                                int conn, int n)
{
    if (!strcmp(p, "/start"))
        return redirect_to(n, 301, "/some/redirect/");
    if (!strcmp(p, "/some/redirect/"))
        return redirect_to(n, 301, "../other/redirect/");
    return ok_with(n, "", "landed");
}

static void test_history(void **state)
{
    struct ctx c;
    setup(&c, chain);
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.status, 200);
    assert_string_equal(c.body, "landed");
    assert_int_equal(c.nhist, 2);
    assert_int_equal(c.hist_status[0], 301);
    assert_string_equal(c.hist_url[0], "http://a.test/start");
    assert_int_equal(c.hist_status[1], 301);
    assert_string_equal(c.hist_url[1], "http://a.test/some/redirect/");
    assert_string_equal(c.final_url, "http://a.test/some/other/redirect/");
    assert_int_equal(c.f.conns, 1); /* every hop on the same kept-alive connection */
    assert_int_equal(c.redirect_events, 2);
}

static void test_no_follow(void **state)
{
    struct ctx c;
    setup(&c, chain);
    c.ro.flags = WEFT_HTTP_NO_REDIRECTS;
    fake_run(fetch, &c, false);
    assert_int_equal(c.status, 301);
    assert_int_equal(c.nhist, 0);
    assert_int_equal(c.f.nreq, 1);

    setup(&c, chain);
    c.ro.max_redirects = -1;
    fake_run(fetch, &c, false);
    assert_int_equal(c.status, 301);

    setup(&c, chain);
    c.o.flags = WEFT_HTTP_SESSION_NO_REDIRECTS;
    fake_run(fetch, &c, false);
    assert_int_equal(c.status, 301);
}

static struct fake_answer loop(struct fake *f, const char *m, const char *p, const char *req,
                               int conn, int n)
{
    return redirect_to(n, 302, !strcmp(p, "/start") ? "/other" : "/start");
}

static void test_loop_too_many(void **state)
{
    struct ctx c;
    setup(&c, loop);
    c.ro.max_redirects = 3;
    char err[WEFT_HTTP_ERRBUF_SIZE];
    c.ro.errbuf = err;
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_TOO_MANY_REDIRECTS);
    assert_int_equal(c.f.nreq, 4); /* the request and three redirects */
    assert_non_null(strstr(err, "3 redirects"));

    setup(&c, loop); /* the default is 10 */
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_TOO_MANY_REDIRECTS);
    assert_int_equal(c.f.nreq, 11);
}

static int status_for(const char *path)
{
    return atoi(path + 1); /* "/303" */
}

static struct fake_answer rewrite(struct fake *f, const char *m, const char *p, const char *req,
                                  int conn, int n)
{
    if (strcmp(p, "/done") != 0)
        return redirect_to(n, status_for(p), "/done");
    return ok_with(n, "", m);
}

static void check_rewrite(const char *method, int status, const char *want_method,
                          bool body_kept)
{
    struct ctx c;
    setup(&c, rewrite);
    char url[64];
    snprintf(url, sizeof url, "http://a.test/%d", status);
    c.url = url;
    c.method = method;
    c.ro.body = weft_http_body_string("payload");
    c.ro.body.content_type = "text/plain";
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, 0);
    assert_string_equal(c.body, want_method);
    assert_string_equal(c.final_method, want_method);
    const char *second = c.f.req[1];
    if (body_kept) {
        assert_non_null(strstr(second, "\r\n\r\npayload"));
        assert_non_null(strstr(second, "Content-Type: text/plain"));
    } else {
        assert_null(strstr(second, "payload"));
        assert_null(strcasestr(second, "content-type"));
        assert_null(strcasestr(second, "content-length: 7"));
    }
}

static void test_method_rewriting(void **state)
{
    check_rewrite("POST", 303, "GET", false);
    check_rewrite("PUT", 303, "GET", false);
    check_rewrite("POST", 301, "GET", false);
    check_rewrite("POST", 302, "GET", false);
    check_rewrite("PUT", 302, "PUT", true);   /* only POST changes on 301/302 */
    check_rewrite("POST", 307, "POST", true);
    check_rewrite("POST", 308, "POST", true);
}

static struct fake_answer to_other_host(struct fake *f, const char *m, const char *p,
                                        const char *req, int conn, int n)
{
    if (!strcmp(p, "/start"))
        return redirect_to(n, 302, "//b.test/landing");
    if (!strcmp(p, "/same"))
        return redirect_to(n, 302, "/landing");
    return ok_with(n, "", "x");
}

static void test_auth_not_leaked(void **state)
{
    struct ctx c;
    setup(&c, to_other_host);
    weft_http_headers *h;
    weft_http_headers_new(&h);
    weft_http_headers_add(h, "Cookie", "mine=1");
    weft_http_headers_add(h, "X-Keep", "yes");
    c.ro.headers = h;
    c.ro.auth = WEFT_HTTP_AUTH_BASIC;
    c.ro.username = "user";
    c.ro.password = "pass";
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, 0);
    assert_string_equal(c.final_url, "http://b.test/landing");
    assert_non_null(strstr(c.f.req[0], "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"));
    assert_non_null(strstr(c.f.req[0], "\r\nCookie: mine=1\r\n"));
    assert_null(strcasestr(c.f.req[1], "authorization"));
    assert_null(strcasestr(c.f.req[1], "cookie"));
    assert_non_null(strstr(c.f.req[1], "\r\nX-Keep: yes\r\n"));
    assert_non_null(strstr(c.f.req[1], "\r\nHost: b.test\r\n"));
    assert_string_equal(c.f.target[1].host, "b.test");

    setup(&c, to_other_host); /* the same origin keeps them */
    c.url = "http://a.test/same";
    c.ro.headers = h;
    c.ro.auth = WEFT_HTTP_AUTH_BASIC;
    c.ro.username = "user";
    c.ro.password = "pass";
    fake_run(fetch, &c, false);
    assert_non_null(strstr(c.f.req[1], "\r\nAuthorization: Basic dXNlcjpwYXNz\r\n"));
    assert_non_null(strstr(c.f.req[1], "\r\nCookie: mine=1\r\n"));
    weft_http_headers_free(h);
}

static struct fake_answer to_ftp(struct fake *f, const char *m, const char *p, const char *req,
                                 int conn, int n)
{
    return redirect_to(n, 302, "ftp://a.test/file");
}

static void test_bad_scheme(void **state)
{
    struct ctx c;
    setup(&c, to_ftp);
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, WEFT_EURL_SCHEME);
}

static int once_read(void *buf, size_t cap, void *ud)
{
    int *left = ud;
    if (!*left)
        return 0;
    *left = 0;
    memcpy(buf, "abc", 3);
    return 3;
}

static void test_unrewindable_body(void **state)
{
    struct ctx c;
    setup(&c, rewrite);
    int left = 1;
    c.url = "http://a.test/307";
    c.method = "POST";
    c.ro.body = weft_http_body_callback(once_read, NULL, &left, 3);
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_REWIND);

    setup(&c, rewrite); /* a 303 drops the body: no rewind needed */
    left = 1;
    c.url = "http://a.test/303";
    c.method = "POST";
    c.ro.body = weft_http_body_callback(once_read, NULL, &left, 3);
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, 0);
}

static char big_redirect[100 * 1024];

static struct fake_answer big_body_redirect(struct fake *f, const char *m, const char *p,
                                            const char *req, int conn, int n)
{
    if (!strcmp(p, "/start")) {
        size_t body = 80 * 1024;
        int k = snprintf(big_redirect, sizeof big_redirect,
                         "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: %zu\r\n\r\n",
                         body);
        memset(big_redirect + k, 'r', body);
        return (struct fake_answer){.data = big_redirect, .len = (size_t)k + body};
    }
    return ok_with(n, "", "next");
}

static void test_long_redirect_body_closes(void **state)
{
    struct ctx c;
    setup(&c, big_body_redirect);
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, 0);
    assert_string_equal(c.body, "next");
    assert_int_equal(c.f.conns, 2); /* too long to drain: a new connection */
}

/* ------------------------------------------------------------ cookies */

static struct fake_answer login(struct fake *f, const char *m, const char *p, const char *req,
                                int conn, int n)
{
    if (!strcmp(p, "/login")) {
        snprintf(ans_buf[n], sizeof ans_buf[0],
                 "HTTP/1.1 302 Found\r\nSet-Cookie: sid=abc; Path=/; HttpOnly\r\n"
                 "Set-Cookie: sec=1; Secure\r\nSet-Cookie: deep=2; Path=/deep\r\n"
                 "Location: /home\r\nContent-Length: 0\r\n\r\n");
        return (struct fake_answer){.data = ans_buf[n]};
    }
    const char *ck = strcasestr(req, "\r\ncookie: ");
    char got[128] = "";
    if (ck)
        sscanf(ck + 10, "%127[^\r]", got);
    return ok_with(n, "", got);
}

static int cookie_flow(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, &c->o);
    weft_http_response *r;
    c->rc = weft_http_session_get(s, "http://a.test/login", NULL, &r);
    if (c->rc == 0) {
        const char *b;
        weft_http_response_read_all(r, &b, NULL);
        snprintf(c->body, sizeof c->body, "%s", b);
        weft_http_response_free(r);
    }
    weft_http_request_opts o = {.flags = WEFT_HTTP_NO_COOKIES};
    c->rc2 = weft_http_session_get(s, "http://a.test/deep/x", &o, &r);
    if (c->rc2 == 0) {
        const char *b;
        weft_http_response_read_all(r, &b, NULL);
        snprintf(c->final_url, sizeof c->final_url, "%s", b);
        weft_http_response_free(r);
    }
    assert_int_equal(weft_http_session_get(s, "http://a.test/deep/x", NULL, &r), 0);
    const char *b;
    weft_http_response_read_all(r, &b, NULL);
    snprintf(c->final_method, sizeof c->final_method, "%.15s", b);
    weft_http_response_free(r);
    weft_cookie_jar *jar = weft_http_session_cookie_jar(s);
    c->nhist = jar ? weft_cookie_jar_count(jar) : 99;
    weft_http_session_close(s);
    return 0;
}

static void test_cookies_across_redirect(void **state)
{
    struct ctx c;
    setup(&c, login);
    fake_run(cookie_flow, &c, false);
    assert_int_equal(c.rc, 0);
    assert_string_equal(c.body, "sid=abc");  /* set by the 302, sent to /home; not the
                                                Secure one over http, not /deep's */
    assert_string_equal(c.final_url, "");    /* NO_COOKIES */
    assert_string_equal(c.final_method, "deep=2; sid=abc");
    assert_int_equal(c.nhist, 2);            /* the Secure one was refused over http */

    setup(&c, login);
    c.o.flags = WEFT_HTTP_SESSION_NO_COOKIES;
    fake_run(cookie_flow, &c, false);
    assert_string_equal(c.body, "");
    assert_int_equal(c.nhist, 99);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_history),
    cmocka_unit_test(test_no_follow),
    cmocka_unit_test(test_loop_too_many),
    cmocka_unit_test(test_method_rewriting),
    cmocka_unit_test(test_auth_not_leaked),
    cmocka_unit_test(test_bad_scheme),
    cmocka_unit_test(test_unrewindable_body),
    cmocka_unit_test(test_long_redirect_body_closes),
    cmocka_unit_test(test_cookies_across_redirect),
};

WEFT_TEST_MAIN(tests)
