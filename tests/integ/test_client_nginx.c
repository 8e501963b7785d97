/* The HTTP client against nginx configured by the test: keep-alive,
 * redirects (history, loop, 303, to another origin and to https), static
 * files read in pieces, gzip with chunked framing, TLS with the test CA (and
 * without it, and with a wrong host name), Basic auth. */
#include <zlib.h>

#include "client_integ.h"
#include "weft_test_tls.h"

static struct weft_peer nginx;
static char base[64], tls_base[64], bad_tls_base[64];

static void start(void)
{
    if (!weft_peer_have(WEFT_NGINX)) {
        fprintf(stderr, "SKIP: nginx not installed\n");
        skip();
    }
    assert_int_equal(weft_nginx_start(&nginx, weft_test_certs()), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", nginx.port);
    snprintf(tls_base, sizeof tls_base, "https://localhost:%d", nginx.tls_port);
    snprintf(bad_tls_base, sizeof bad_tls_base, "https://localhost:%d", nginx.bad_tls_port);
}

static char *url(const char *b, const char *path)
{
    static char buf[8][256];
    static int n;
    char *u = buf[n++ % 8];
    snprintf(u, 256, "%s%s", b, path);
    return u;
}

static weft_http_session *session(const weft_http_session_opts *o)
{
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, o, &s), 0);
    return s;
}

/* The text nginx serves at /files/big.txt (as weft_peers.c writes it). */
static char *big_text(size_t *len)
{
    size_t n = 20000, cap = n * 24, at = 0;
    char *b = malloc(cap);
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(b + at, cap - at, "line %06zu of the text\n", i);
    *len = at;
    return b;
}

/* ------------------------------------------------------------ keep-alive */

static int keepalive(void *arg)
{
    weft_http_session *s = session(NULL);
    for (int i = 0; i < 20; i++) {
        struct got g;
        fetch(s, "GET", url(base, "/"), NULL, &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.status, 200);
        assert_string_equal(g.body, "hello from nginx\n");
        got_free(&g);
    }
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    assert_int_equal(st.connections_opened, 1);
    assert_int_equal(st.connections_reused, 19);
    assert_int_equal(weft_http_session_close(s), 0);
    return 0;
}

static void nginx_keepalive(void **state)
{
    start();
    integ_run(keepalive, NULL);
    weft_peer_stop(&nginx);
}

/* ------------------------------------------------------------ redirects */

static int redirects(void *arg)
{
    weft_http_session *s = session(NULL);
    weft_http_response *r;
    assert_int_equal(weft_http_session_get(s, url(base, "/r1"), NULL, &r), 0);
    assert_int_equal(weft_http_response_status(r), 200);
    assert_int_equal(weft_http_response_history_count(r), 2);
    const weft_http_response *h0 = weft_http_response_history(r, 0);
    const weft_http_response *h1 = weft_http_response_history(r, 1);
    assert_int_equal(weft_http_response_status(h0), 301);
    assert_string_equal(weft_http_response_url(h0), url(base, "/r1"));
    assert_int_equal(weft_http_response_status(h1), 302);
    assert_string_equal(weft_http_response_url(h1), url(base, "/r2"));
    assert_non_null(weft_http_response_header(h1, "Location"));
    assert_string_equal(weft_http_response_url(r), url(base, "/r3"));
    weft_http_response_free(r);

    struct got g;
    fetch(s, "GET", url(base, "/loop"), NULL, &g);
    assert_int_equal(g.rc, WEFT_EHTTP_TOO_MANY_REDIRECTS);
    assert_int_equal(weft_http_error_class(g.rc), WEFT_HTTP_ERR_PROTOCOL);

    weft_http_request_opts o = {.body = weft_http_body_string("form=1")};
    fetch(s, "POST", url(base, "/see-other"), &o, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "done\n");
    got_free(&g);

    weft_http_request_opts nf = {.flags = WEFT_HTTP_NO_REDIRECTS};
    fetch(s, "GET", url(base, "/r1"), &nf, &g);
    assert_int_equal(g.status, 301);
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void nginx_redirects(void **state)
{
    start();
    integ_run(redirects, NULL);
    weft_peer_stop(&nginx);
}

/* ------------------------------------------------------------ files, gzip */

static int files(void *arg)
{
    size_t want_len;
    char *want = big_text(&want_len);
    weft_http_session *s = session(NULL);
    /* Identity, with a Content-Length, read in pieces as it arrives. */
    weft_http_request_opts o = {.flags = WEFT_HTTP_NO_DECOMPRESS};
    weft_http_response *r;
    assert_int_equal(weft_http_session_get(s, url(base, "/files/big.txt"), &o, &r), 0);
    assert_int_equal(weft_http_response_content_length(r), (int64_t)want_len);
    char *got = malloc(want_len + 1);
    size_t at = 0;
    char buf[4096];
    int n, reads = 0;
    while ((n = weft_http_response_read(r, buf, sizeof buf)) > 0) {
        assert_true(at + (size_t)n <= want_len);
        memcpy(got + at, buf, (size_t)n);
        at += (size_t)n;
        reads++;
    }
    assert_int_equal(n, 0);
    assert_int_equal(at, want_len);
    assert_memory_equal(got, want, want_len);
    assert_true(reads > 1);
    assert_true(weft_http_response_done(r));
    weft_http_response_free(r);

    /* gzip, sent chunked (nginx does not know the compressed length). */
    weft_http_headers *h;
    weft_http_headers_new(&h);
    weft_http_headers_add(h, "Accept-Encoding", "gzip");
    weft_http_request_opts gz = {.headers = h, .flags = WEFT_HTTP_NO_DECOMPRESS};
    struct got g;
    fetch(s, "GET", url(base, "/files/big.txt"), &gz, &g);
    weft_http_headers_free(h);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.body_rc, 0);
    assert_string_equal(g.ce, "gzip");
    assert_int_equal(g.clen, -1);
    assert_true(g.len > 2 && (unsigned char)g.body[0] == 0x1f && (unsigned char)g.body[1] == 0x8b);
    assert_true(g.len < want_len / 3);
    /* The bytes are a complete gzip stream of the file. */
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (unsigned char *)g.body;
    z.avail_in = (unsigned)g.len;
    z.next_out = (unsigned char *)got;
    z.avail_out = (unsigned)want_len + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, want_len);
    assert_memory_equal(got, want, want_len);
    inflateEnd(&z);
    got_free(&g);

    /* With the codecs registered (src/http/codec_client.c), the default
     * request asks for them and gets the text back decoded, read in pieces. */
    const char *ae = weft_http_headers_get(weft_http_session_headers(s), "Accept-Encoding");
    if (ae && strstr(ae, "gzip")) {
        assert_int_equal(weft_http_session_get(s, url(base, "/files/big.txt"), NULL, &r), 0);
        assert_string_equal(weft_http_response_header(r, "Content-Encoding"), "gzip");
        at = 0;
        while ((n = weft_http_response_read(r, buf, sizeof buf)) > 0) {
            assert_true(at + (size_t)n <= want_len);
            memcpy(got + at, buf, (size_t)n);
            at += (size_t)n;
        }
        assert_int_equal(n, 0);
        assert_int_equal(at, want_len);
        assert_memory_equal(got, want, want_len);
        assert_int_equal(weft_http_response_bytes_read(r), want_len);
        weft_http_response_free(r);
    } else {
        fprintf(stderr, "note: no gzip decoder registered; automatic decoding not tested\n");
    }

    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    assert_int_equal(st.connections_opened, 1);
    free(got);
    free(want);
    weft_http_session_close(s);
    return 0;
}

static void nginx_files_and_gzip(void **state)
{
    start();
    integ_run(files, NULL);
    weft_peer_stop(&nginx);
}

/* ------------------------------------------------------------ TLS */

static void tls_trace(const weft_http_trace *ev, void *ud)
{
    if (ev->event == WEFT_HTTP_TRACE_TLS_END && !ev->error && ev->detail)
        snprintf(ud, 32, "%s", ev->detail);
}

static int tls(void *arg)
{
    weft_http_session_opts o = {.cafile = weft_test_cert("ca.pem")};
    weft_http_session *s = session(&o);
    char version[32] = "";
    weft_http_request_opts ro = {.trace = tls_trace, .trace_ud = version};
    struct got g;
    fetch(s, "GET", url(tls_base, "/"), &ro, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "hello from nginx\n");
    assert_true(strncmp(version, "TLSv1.", 6) == 0);
    got_free(&g);
    fetch(s, "GET", url(tls_base, "/r1"), NULL, &g); /* redirects over TLS, same connection */
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.body, "done\n");
    got_free(&g);
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    assert_int_equal(st.connections_opened, 1);

    /* The certificate is for localhost, not wrong.test's. */
    fetch(s, "GET", url(bad_tls_base, "/"), NULL, &g);
    assert_int_equal(g.rc, WEFT_ETLS_VERIFY);
    assert_int_equal(weft_http_error_class(g.rc), WEFT_HTTP_ERR_TLS);
    assert_non_null(strstr(g.err, "TLS"));

    /* http -> https redirect, to the TLS port. */
    fetch(s, "GET", url(base, "/to-https"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.body, "done\n");
    assert_int_equal(g.nhist, 1);
    got_free(&g);
    weft_http_session_close(s);

    /* Without the test CA the system store does not know it. */
    s = session(NULL);
    fetch(s, "GET", url(tls_base, "/"), NULL, &g);
    assert_int_equal(g.rc, WEFT_ETLS_VERIFY);
    assert_non_null(strstr(g.err, "unable to get local issuer"));
    weft_http_session_close(s);

    /* ... unless told to trust anything (curl -k). */
    weft_http_session_opts k = {.flags = WEFT_HTTP_SESSION_INSECURE};
    s = session(&k);
    fetch(s, "GET", url(bad_tls_base, "/"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.body, "wrong\n");
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void nginx_tls(void **state)
{
    start();
    integ_run(tls, NULL);
    weft_peer_stop(&nginx);
}

/* ------------------------------------------------------------ Basic auth */

static int basic(void *arg)
{
    weft_http_session *s = session(NULL);
    struct got g;
    fetch(s, "GET", url(base, "/private/secret.txt"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.status, 401);
    got_free(&g);
    weft_http_request_opts o = {.auth = WEFT_HTTP_AUTH_BASIC, .username = "user",
                                .password = "wrong"};
    fetch(s, "GET", url(base, "/private/secret.txt"), &o, &g);
    assert_int_equal(g.status, 401);
    got_free(&g);
    assert_int_equal(weft_http_session_set_auth(s, WEFT_HTTP_AUTH_BASIC, "user", "pass"), 0);
    fetch(s, "GET", url(base, "/private/secret.txt"), NULL, &g);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "the secret\n");
    got_free(&g);
    /* Redirected to another origin (localhost is not 127.0.0.1): the
     * credentials stay behind, so the secret is refused there. */
    fetch(s, "GET", url(base, "/to-localhost"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.status, 401);
    assert_int_equal(g.nhist, 1);
    got_free(&g);
    /* Credentials in the URL. */
    char u[128];
    snprintf(u, sizeof u, "http://user:pass@127.0.0.1:%d/private/secret.txt", nginx.port);
    weft_http_session_set_auth(s, WEFT_HTTP_AUTH_NONE, NULL, NULL);
    fetch(s, "GET", u, NULL, &g);
    assert_int_equal(g.status, 200);
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void nginx_basic_auth(void **state)
{
    start();
    integ_run(basic, NULL);
    weft_peer_stop(&nginx);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(nginx_keepalive),
    cmocka_unit_test(nginx_redirects),
    cmocka_unit_test(nginx_files_and_gzip),
    cmocka_unit_test(nginx_tls),
    cmocka_unit_test(nginx_basic_auth),
};

WEFT_TEST_MAIN(tests)
