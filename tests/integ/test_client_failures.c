/* Failures before any HTTP: connection refused, a name that does not
 * exist (dnsmasq answering NXDOMAIN), a DNS server that never answers
 * (the connect timeout ends it), and the session's DNS cache seen from the
 * DNS server's query log. Each with its error class and one-line message. */
#include "client_integ.h"
#include "weft_dnsmasq.h"

static struct weft_peer py;

static int refused(void *arg)
{
    int port = weft_peer_free_port(); /* nothing listens there */
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/", port);
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, NULL, &s), 0);
    struct got g;
    fetch(s, "GET", u, NULL, &g);
    assert_int_equal(g.rc, -ECONNREFUSED);
    assert_int_equal(weft_http_error_class(g.rc), WEFT_HTTP_ERR_CONNECT);
    char want[64];
    snprintf(want, sizeof want, "connect to 127.0.0.1 port %d failed", port);
    assert_non_null(strstr(g.err, want));
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    assert_int_equal(st.open, 0);
    weft_http_session_close(s);
    return 0;
}

static void connection_refused(void **state)
{
    integ_run(refused, NULL);
}

struct dns {
    const char *servers;
    int port;
    struct weft_dnsmasq *d;
};

static int nxdomain(void *arg)
{
    struct dns *d = arg;
    weft_http_session_opts o = {.dns_servers = d->servers};
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, &o, &s), 0);
    struct got g;
    fetch(s, "GET", "http://nope.test/", NULL, &g);
    assert_int_equal(g.rc, WEFT_EDNS_NXDOMAIN);
    assert_int_equal(weft_http_error_class(g.rc), WEFT_HTTP_ERR_DNS);
    assert_non_null(strstr(g.err, "could not resolve host nope.test"));

    /* A name it knows, pointing at the Python server, twice: one query. */
    char u[64];
    snprintf(u, sizeof u, "http://web.test:%d/hello", d->port);
    weft_http_request_opts fresh = {.flags = WEFT_HTTP_FRESH_CONNECT};
    for (int i = 0; i < 3; i++) {
        fetch(s, "GET", u, &fresh, &g);
        assert_int_equal(g.rc, 0);
        assert_string_equal(g.body, "hello");
        got_free(&g);
    }
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    assert_int_equal(st.connections_opened, 3);
    assert_int_equal(weft_dnsmasq_count(d->d, "query[A] web.test"), 1);
    weft_resolver_stats rs;
    weft_resolver_get_stats(weft_http_session_resolver(s), &rs);
    assert_true(rs.cache_hits >= 2);
    weft_http_session_close(s);
    return 0;
}

static void dns_nxdomain_and_cache(void **state)
{
    if (!weft_dnsmasq_available() || !weft_peer_have(WEFT_PYTHON)) {
        fprintf(stderr, "SKIP: dnsmasq or python3 missing\n");
        skip();
    }
    assert_int_equal(weft_pyserver(&py), 0);
    struct weft_dnsmasq d;
    assert_int_equal(weft_dnsmasq_start(&d, "127.0.0.1 web.test\n", 300, NULL), 0);
    struct dns arg = {d.servers, py.port, &d};
    integ_run(nxdomain, &arg);
    weft_dnsmasq_stop(&d);
    weft_peer_stop(&py);
}

static int silent_dns(void *arg)
{
    const char *servers = arg;
    weft_http_session_opts o = {.dns_servers = servers, .connect_timeout_ns = WEFT_MSEC(300)};
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, &o, &s), 0);
    struct got g;
    uint64_t t0 = weft_test_now_ns();
    fetch(s, "GET", "http://slow.test/", NULL, &g);
    uint64_t dt = weft_test_now_ns() - t0;
    assert_int_equal(g.rc, WEFT_EHTTP_CONNECT_TIMEOUT);
    assert_int_equal(weft_http_error_class(g.rc), WEFT_HTTP_ERR_TIMEOUT);
    assert_true(dt >= WEFT_MSEC(300) && dt < WEFT_MSEC(1500));
    weft_http_session_close(s);
    return 0;
}

static void dns_silent_server_connect_timeout(void **state)
{
    char servers[32];
    int fd = weft_blackhole_udp(servers);
    assert_true(fd >= 0);
    integ_run(silent_dns, servers);
    close(fd);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(connection_refused),
    cmocka_unit_test(dns_nxdomain_and_cache),
    cmocka_unit_test(dns_silent_server_connect_timeout),
};

WEFT_TEST_MAIN(tests)
