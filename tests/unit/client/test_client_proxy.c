/* Proxy selection: no_proxy matching (names, subdomains, IPs, CIDR, ports,
 * "*"), the environment read as curl does, per-session and per-request
 * proxies, and what goes on the wire to an http proxy (absolute-form,
 * Proxy-Authorization). The CONNECT tunnel itself is tested against
 * tinyproxy in tests/integ. */
#include <stdlib.h>

#include "fake_server.h"

static char **list(const char *s)
{
    struct weft__hc_proxies p = {0};
    assert_int_equal(weft__hc_proxies_set(&p, NULL, s), 0);
    char **l = p.no_proxy;
    p.no_proxy = NULL;
    weft__hc_proxies_clear(&p);
    return l;
}

static void free_list(char **l)
{
    struct weft__hc_proxies p = {.no_proxy = l};
    weft__hc_proxies_clear(&p);
}

static void test_no_proxy_matching(void **state)
{
    char **l = list("localhost, .example.com,internal.test:8080 10.0.0.0/8,[::1],fd00::/8,"
                    "192.168.1.5");
    assert_true(weft__hc_no_proxy_match(l, "localhost", 80));
    assert_true(weft__hc_no_proxy_match(l, "example.com", 80));
    assert_true(weft__hc_no_proxy_match(l, "a.b.example.com", 443));
    assert_false(weft__hc_no_proxy_match(l, "badexample.com", 80));
    assert_true(weft__hc_no_proxy_match(l, "internal.test", 8080));
    assert_false(weft__hc_no_proxy_match(l, "internal.test", 80));
    assert_true(weft__hc_no_proxy_match(l, "10.1.2.3", 80));
    assert_false(weft__hc_no_proxy_match(l, "11.1.2.3", 80));
    assert_true(weft__hc_no_proxy_match(l, "::1", 80));
    assert_true(weft__hc_no_proxy_match(l, "fd12::1", 80));
    assert_false(weft__hc_no_proxy_match(l, "fe80::1", 80));
    assert_true(weft__hc_no_proxy_match(l, "192.168.1.5", 80));
    assert_false(weft__hc_no_proxy_match(l, "192.168.1.50", 80));
    assert_false(weft__hc_no_proxy_match(l, "other.test", 80));
    free_list(l);
    l = list("*");
    assert_true(weft__hc_no_proxy_match(l, "anything", 1));
    free_list(l);
    assert_false(weft__hc_no_proxy_match(NULL, "x", 1));
}

static void test_proxy_specs(void **state)
{
    struct weft__hc_proxy px;
    assert_int_equal(weft__hc_proxy_parse(&px, "proxy.test:3128"), 0);
    assert_string_equal(weft_url_href(px.url), "http://proxy.test:3128/");
    assert_null(px.auth);
    weft__hc_proxy_clear(&px);
    assert_int_equal(weft__hc_proxy_parse(&px, "http://us%3Ar:p%40ss@proxy.test:3128"), 0);
    assert_string_equal(px.auth, "Basic dXM6cjpwQHNz"); /* "us:r:p@ss" */
    weft__hc_proxy_clear(&px);
    assert_int_equal(weft__hc_proxy_parse(&px, "socks5://proxy.test:1080"), WEFT_EURL_SCHEME);
    assert_int_equal(weft__hc_proxy_parse(&px, "https://proxy.test"), WEFT_EURL_SCHEME);
}

static void test_environment(void **state)
{
    setenv("http_proxy", "http://lower.test:1", 1);
    setenv("HTTP_PROXY", "http://upper.test:2", 1); /* ignored: httpoxy */
    setenv("HTTPS_PROXY", "http://secure.test:3", 1);
    setenv("NO_PROXY", "skip.test", 1);
    struct weft__hc_proxies p = {0};
    assert_int_equal(weft__hc_proxies_from_env(&p), 0);
    assert_string_equal(weft_url_host(p.http.url), "lower.test");
    assert_string_equal(weft_url_host(p.https.url), "secure.test");
    weft_url *u;
    assert_int_equal(weft_url_parse("http://skip.test/", 17, &u), 0);
    assert_null(weft__hc_proxy_for(&p, u));
    weft_url_free(u);
    assert_int_equal(weft_url_parse("https://go.test/", 16, &u), 0);
    assert_ptr_equal(weft__hc_proxy_for(&p, u), &p.https);
    weft_url_free(u);
    weft__hc_proxies_clear(&p);

    unsetenv("http_proxy");
    setenv("all_proxy", "socks5://nope.test:1", 1); /* a scheme we cannot speak: skipped */
    assert_int_equal(weft__hc_proxies_from_env(&p), 0);
    assert_null(p.http.url);
    weft__hc_proxies_clear(&p);
    setenv("ALL_PROXY", "", 1);
    unsetenv("all_proxy");
    setenv("ALL_PROXY", "http://all.test:9", 1);
    assert_int_equal(weft__hc_proxies_from_env(&p), 0);
    assert_string_equal(weft_url_host(p.http.url), "all.test");
    assert_string_equal(weft_url_host(p.https.url), "secure.test");
    weft__hc_proxies_clear(&p);
}

/* ------------------------------------------------------------ on the wire */

struct ctx {
    struct fake f;
    weft_http_session_opts o;
    weft_http_request_opts ro;
    const char *url;
    int rc;
};

static struct fake_answer ok(struct fake *f, const char *m, const char *p, const char *req,
                             int conn, int n)
{
    return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"};
}

static int fetch(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, &c->o);
    for (int i = 0; i < 2; i++) {
        weft_http_response *r;
        c->rc = weft_http_session_get(s, c->url, &c->ro, &r);
        if (c->rc == 0)
            weft_http_response_free(r);
    }
    weft_http_session_close(s);
    return 0;
}

static void setup(struct ctx *c, const char *url)
{
    memset(c, 0, sizeof *c);
    c->f.route = ok;
    c->f.ud = c;
    c->url = url;
}

static void test_http_through_proxy(void **state)
{
    struct ctx c;
    setup(&c, "http://origin.test:8080/path?q=1#frag");
    c.o.proxy = "http://alice:secret@proxy.test:3128";
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc, 0);
    assert_true(c.f.target[0].proxy);
    assert_false(c.f.target[0].https);
    assert_true(strncmp(c.f.req[0], "GET http://origin.test:8080/path?q=1 HTTP/1.1\r\n", 47) == 0);
    assert_non_null(strstr(c.f.req[0], "\r\nHost: origin.test:8080\r\n"));
    assert_non_null(strstr(c.f.req[0], "\r\nProxy-Authorization: Basic YWxpY2U6c2VjcmV0\r\n"));
    assert_int_equal(c.f.conns, 1); /* the proxy connection is kept alive */

    setup(&c, "http://origin.test/"); /* "" turns it off for one request */
    c.o.proxy = "http://proxy.test:3128";
    c.ro.proxy = "";
    fake_run(fetch, &c, false);
    assert_false(c.f.target[0].proxy);
    assert_true(strncmp(c.f.req[0], "GET / HTTP/1.1\r\n", 16) == 0);

    setup(&c, "http://skip.test/"); /* no_proxy */
    c.o.proxy = "http://proxy.test:3128";
    c.o.no_proxy = "skip.test";
    fake_run(fetch, &c, false);
    assert_false(c.f.target[0].proxy);

    setup(&c, "http://origin.test/"); /* a per-request proxy */
    c.ro.proxy = "proxy2.test:8000";
    fake_run(fetch, &c, false);
    assert_true(c.f.target[0].proxy);
    assert_non_null(strstr(c.f.req[0], "GET http://origin.test/ HTTP/1.1"));
}

static void test_https_through_proxy_is_a_tunnel(void **state)
{
    struct ctx c;
    setup(&c, "https://origin.test/secret");
    c.o.proxy = "http://u:p@proxy.test:3128";
    fake_run(fetch, &c, false);
    assert_true(c.f.target[0].proxy);
    assert_true(c.f.target[0].https);
    assert_string_equal(c.f.target[0].host, "origin.test");
    /* Inside the tunnel: origin-form, and the proxy's credentials stay out. */
    assert_true(strncmp(c.f.req[0], "GET /secret HTTP/1.1\r\n", 22) == 0);
    assert_null(strcasestr(c.f.req[0], "proxy-authorization"));
}

static void test_trust_env_session(void **state)
{
    setenv("http_proxy", "http://envproxy.test:3128", 1);
    struct ctx c;
    setup(&c, "http://origin.test/");
    fake_run(fetch, &c, false);
    assert_false(c.f.target[0].proxy); /* not asked to trust the environment */
    setup(&c, "http://origin.test/");
    c.o.flags = WEFT_HTTP_SESSION_TRUST_ENV;
    fake_run(fetch, &c, false);
    assert_true(c.f.target[0].proxy);
    unsetenv("http_proxy");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_no_proxy_matching),
    cmocka_unit_test(test_proxy_specs),
    cmocka_unit_test(test_environment),
    cmocka_unit_test(test_http_through_proxy),
    cmocka_unit_test(test_https_through_proxy_is_a_tunnel),
    cmocka_unit_test(test_trust_env_session),
};

WEFT_TEST_MAIN(tests)
