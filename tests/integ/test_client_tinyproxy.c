/* The HTTP client through tinyproxy: http:// as absolute-form requests,
 * https:// through a CONNECT tunnel with TLS inside it (nginx with the test
 * CA behind), proxy authentication for both, and the environment's
 * http_proxy / no_proxy when the session is asked to trust it. The proxy's
 * own log shows which requests really went through it. */
#include "client_integ.h"
#include "weft_test_tls.h"

static struct weft_peer proxy, py, nginx;

static int log_count(const char *needle)
{
    char path[128];
    snprintf(path, sizeof path, "%s/log", proxy.dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            n++;
    fclose(f);
    return n;
}

static void start(const char *auth, bool with_nginx)
{
    if (!weft_peer_have(WEFT_TINYPROXY) || !weft_peer_have(WEFT_PYTHON) ||
        (with_nginx && !weft_peer_have(WEFT_NGINX))) {
        fprintf(stderr, "SKIP: tinyproxy, python3 or nginx missing\n");
        skip();
    }
    assert_int_equal(weft_tinyproxy_start(&proxy, auth), 0);
    assert_int_equal(weft_pyserver(&py), 0);
    if (with_nginx)
        assert_int_equal(weft_nginx_start(&nginx, weft_test_certs()), 0);
}

static void stop(void)
{
    weft_peer_stop(&proxy);
    weft_peer_stop(&py);
    weft_peer_stop(&nginx);
}

static char *proxy_url(const char *auth)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "http://%s%s127.0.0.1:%d", auth ? auth : "", auth ? "@" : "",
             proxy.port);
    return buf;
}

static int plain(void *arg)
{
    weft_http_session_opts o = {.proxy = proxy_url(arg)};
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, &o, &s), 0);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/hello", py.port);
    char want[96];
    snprintf(want, sizeof want, "GET http://127.0.0.1:%d/hello HTTP/1.1", py.port);
    int before = log_count(want);
    for (int i = 0; i < 3; i++) {
        struct got g;
        fetch(s, "GET", u, NULL, &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.status, 200);
        assert_string_equal(g.body, "hello");
        got_free(&g);
    }
    assert_int_equal(log_count(want) - before, 3);
    weft_http_session_close(s);
    return 0;
}

static void proxy_http(void **state)
{
    start(NULL, false);
    integ_run(plain, NULL);
    stop();
}

static int tunnel(void *arg)
{
    weft_http_session_opts o = {.proxy = proxy_url(arg), .cafile = weft_test_cert("ca.pem")};
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, &o, &s), 0);
    char u[64];
    snprintf(u, sizeof u, "https://localhost:%d/", nginx.tls_port);
    char want[64];
    snprintf(want, sizeof want, "CONNECT localhost:%d HTTP/1.1", nginx.tls_port);
    int before = log_count(want);
    for (int i = 0; i < 2; i++) {
        struct got g;
        fetch(s, "GET", u, NULL, &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.status, 200);
        assert_string_equal(g.body, "hello from nginx\n");
        got_free(&g);
    }
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    assert_int_equal(st.connections_opened, 1); /* the tunnel is kept alive */
    assert_int_equal(log_count(want) - before, 1);
    weft_http_session_close(s);
    return 0;
}

static void proxy_connect_tunnel(void **state)
{
    start(NULL, true);
    integ_run(tunnel, NULL);
    stop();
}

static int auth_needed(void *arg)
{
    weft_http_session_opts o = {.proxy = proxy_url(NULL), .cafile = weft_test_cert("ca.pem")};
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, &o, &s), 0);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/hello", py.port);
    struct got g;
    fetch(s, "GET", u, NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.status, 407); /* the proxy's answer, given back as it is */
    got_free(&g);
    snprintf(u, sizeof u, "https://localhost:%d/", nginx.tls_port);
    fetch(s, "GET", u, NULL, &g);
    assert_int_equal(g.rc, WEFT_EHTTP_PROXY);
    assert_int_equal(weft_http_error_class(g.rc), WEFT_HTTP_ERR_CONNECT);
    assert_non_null(strstr(g.err, "407"));
    weft_http_session_close(s);
    return 0;
}

static void proxy_auth(void **state)
{
    start("alice:s3cret", true);
    integ_run(auth_needed, NULL);
    integ_run(plain, "alice:s3cret");
    integ_run(tunnel, "alice:s3cret");
    stop();
}

static int from_env(void *arg)
{
    weft_http_session_opts o = {.flags = WEFT_HTTP_SESSION_TRUST_ENV};
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, &o, &s), 0);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/hello", py.port);
    struct got g;
    fetch(s, "GET", u, NULL, &g);
    assert_string_equal(g.body, "hello");
    got_free(&g);
    /* localhost is in no_proxy: straight there. */
    snprintf(u, sizeof u, "http://localhost:%d/hello", py.port);
    fetch(s, "GET", u, NULL, &g);
    assert_string_equal(g.body, "hello");
    got_free(&g);
    char want[96];
    snprintf(want, sizeof want, "GET http://127.0.0.1:%d/hello", py.port);
    assert_int_equal(log_count(want), 1);
    assert_int_equal(log_count("GET http://localhost"), 0);
    weft_http_session_close(s);
    return 0;
}

static void proxy_from_environment(void **state)
{
    start(NULL, false);
    setenv("http_proxy", proxy_url(NULL), 1);
    setenv("no_proxy", "localhost", 1);
    integ_run(from_env, NULL);
    unsetenv("http_proxy");
    unsetenv("no_proxy");
    stop();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(proxy_http),
    cmocka_unit_test(proxy_connect_tunnel),
    cmocka_unit_test(proxy_auth),
    cmocka_unit_test(proxy_from_environment),
};

WEFT_TEST_MAIN(tests)
