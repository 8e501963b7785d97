/* Authentication: Basic sent at once, credentials in the URL, Digest
 * against RFC 7616's and RFC 2617's worked examples (a fixed cnonce makes
 * the responses exact), nonce reuse with nc counting up, stale nonces,
 * wrong passwords, curl's --anyauth, and challenge lists with several
 * schemes in one header. */
#include "fake_server.h"

struct ctx {
    struct fake f;
    weft_http_session_opts o;
    weft_http_request_opts ro;
    const char *url;
    const char *challenge;    /* WWW-Authenticate value(s) of the 401 */
    const char *expect;       /* the server answers 200 when Authorization contains this */
    const char *expect2;      /* ... and this */
    int accept_from;          /* answer 200 only from this request index on */
    bool stale_second;        /* the first authorised request's nonce is then stale */
    int rc[3], status[3];
    size_t nhist[3];
    int requests;
};

static char buf[FAKE_MAX_REQ][1024];

static struct fake_answer route(struct fake *f, const char *m, const char *p, const char *req,
                                int conn, int n)
{
    struct ctx *c = f->ud;
    const char *authz = strcasestr(req, "\r\nauthorization: ");
    bool good = authz && (!c->expect || strstr(authz, c->expect)) &&
                (!c->expect2 || strstr(authz, c->expect2)) && n >= c->accept_from;
    if (good && c->stale_second && strstr(authz, "nc=00000002")) {
        snprintf(buf[n], sizeof buf[0],
                 "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"r\", "
                 "nonce=\"fresh\", qop=\"auth\", stale=true\r\nContent-Length: 0\r\n\r\n");
        return (struct fake_answer){.data = buf[n]};
    }
    if (good)
        return (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nin"};
    snprintf(buf[n], sizeof buf[0],
             "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: %s\r\nContent-Length: 6\r\n\r\n"
             "denied",
             c->challenge ? c->challenge : "Basic realm=\"x\"");
    return (struct fake_answer){.data = buf[n]};
}

static int fetch(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, &c->o);
    for (int i = 0; i < c->requests; i++) {
        weft_http_response *r;
        c->rc[i] = weft_http_session_get(s, c->url ? c->url : "http://a.test/dir/index.html",
                                         &c->ro, &r);
        if (c->rc[i] == 0) {
            c->status[i] = weft_http_response_status(r);
            c->nhist[i] = weft_http_response_history_count(r);
            weft_http_response_read_all(r, NULL, NULL);
            weft_http_response_free(r);
        }
    }
    weft_http_session_close(s);
    return 0;
}

static void setup(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    c->f.route = route;
    c->f.ud = c;
    c->requests = 1;
    weft__hc_digest_test_cnonce[0] = '\0';
}

static void test_basic_preemptive(void **state)
{
    struct ctx c;
    setup(&c);
    c.expect = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="; /* RFC 7617's example */
    c.ro.auth = WEFT_HTTP_AUTH_BASIC;
    c.ro.username = "Aladdin";
    c.ro.password = "open sesame";
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc[0], 0);
    assert_int_equal(c.status[0], 200);
    assert_int_equal(c.f.nreq, 1); /* sent with the first request */
}

static int session_auth(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    assert_int_equal(weft_http_session_set_auth(s, WEFT_HTTP_AUTH_BASIC, "user", "pass"), 0);
    weft_http_response *r;
    c->rc[0] = weft_http_session_get(s, "http://a.test/", NULL, &r);
    if (c->rc[0] == 0) {
        c->status[0] = weft_http_response_status(r);
        weft_http_response_free(r);
    }
    assert_int_equal(weft_http_session_set_auth(s, 99, "u", "p"), -EINVAL);
    weft_http_session_close(s);
    return 0;
}

static void test_session_and_url_credentials(void **state)
{
    struct ctx c;
    setup(&c);
    c.expect = "Basic dXNlcjpwYXNz";
    fake_run(session_auth, &c, false);
    assert_int_equal(c.status[0], 200);

    setup(&c); /* user:pass in the URL, percent-decoded */
    c.url = "http://us%40er:p%3Ass@a.test/";
    c.expect = "Basic dXNAZXI6cDpzcw=="; /* base64("us@er:p:ss") */
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc[0], 0);
    assert_int_equal(c.status[0], 200);
    assert_non_null(strstr(c.f.req[0], "\r\nHost: a.test\r\n")); /* no userinfo in Host */
}

static void test_basic_wrong_password(void **state)
{
    struct ctx c;
    setup(&c);
    c.expect = "never matches";
    c.ro.auth = WEFT_HTTP_AUTH_BASIC;
    c.ro.username = "u";
    c.ro.password = "wrong";
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc[0], 0);
    assert_int_equal(c.status[0], 401); /* the 401 is the answer, not an error */
    assert_int_equal(c.f.nreq, 1);
}

#define RFC7616_CHALLENGE(alg)                                                             \
    "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=" alg ", "  \
    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "                              \
    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""

static void test_digest_rfc7616_md5(void **state)
{
    struct ctx c;
    setup(&c);
    snprintf(weft__hc_digest_test_cnonce, sizeof weft__hc_digest_test_cnonce,
             "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    c.challenge = RFC7616_CHALLENGE("MD5");
    c.expect = "response=\"8ca523f5e9506fed4657c9700eebdbec\"";
    c.expect2 = "nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\"";
    c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
    c.ro.username = "Mufasa";
    c.ro.password = "Circle of Life";
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc[0], 0);
    assert_int_equal(c.status[0], 200);
    assert_int_equal(c.nhist[0], 1); /* the 401 is kept, as requests does */
    assert_null(strcasestr(c.f.req[0], "authorization"));
    const char *a = strstr(c.f.req[1], "Authorization: Digest ");
    assert_non_null(a);
    assert_non_null(strstr(a, "username=\"Mufasa\""));
    assert_non_null(strstr(a, "realm=\"http-auth@example.org\""));
    assert_non_null(strstr(a, "uri=\"/dir/index.html\""));
    assert_non_null(strstr(a, "qop=auth"));
    assert_non_null(strstr(a, "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""));
}

static void test_digest_rfc7616_sha256_preferred(void **state)
{
    /* Both offered (as RFC 7616 §3.9.1 does, SHA-256 first): SHA-256 wins
     * even when MD5 comes first. */
    struct ctx c;
    setup(&c);
    snprintf(weft__hc_digest_test_cnonce, sizeof weft__hc_digest_test_cnonce,
             "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
    c.challenge = RFC7616_CHALLENGE("MD5") ", " RFC7616_CHALLENGE("SHA-256");
    c.expect =
        "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\"";
    c.expect2 = "algorithm=SHA-256";
    c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
    c.ro.username = "Mufasa";
    c.ro.password = "Circle of Life";
    fake_run(fetch, &c, false);
    assert_int_equal(c.status[0], 200);
}

static void test_digest_rfc2617(void **state)
{
    struct ctx c;
    setup(&c);
    snprintf(weft__hc_digest_test_cnonce, sizeof weft__hc_digest_test_cnonce, "0a4f113b");
    c.challenge = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                  "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    c.expect = "response=\"6629fae49393a05397450978507c4ef1\"";
    c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
    c.ro.username = "Mufasa";
    c.ro.password = "Circle Of Life";
    fake_run(fetch, &c, false);
    assert_int_equal(c.status[0], 200);
    assert_null(strstr(c.f.req[1], "algorithm=")); /* none offered, none echoed */
}

static void test_digest_nonce_reuse_and_stale(void **state)
{
    struct ctx c;
    setup(&c);
    c.challenge = "Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"";
    c.expect = "Digest username=\"u\"";
    c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
    c.ro.username = "u";
    c.ro.password = "p";
    c.requests = 3;
    fake_run(fetch, &c, false);
    for (int i = 0; i < 3; i++)
        assert_int_equal(c.status[i], 200);
    /* 401 + answer, then two answered at once with the next nc. */
    assert_int_equal(c.f.nreq, 4);
    assert_non_null(strstr(c.f.req[2], "nc=00000002"));
    assert_non_null(strstr(c.f.req[3], "nc=00000003"));

    setup(&c); /* the server says the reused nonce is stale: a fresh one is used */
    c.challenge = "Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"";
    c.expect = "Digest username=\"u\"";
    c.stale_second = true;
    c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
    c.ro.username = "u";
    c.ro.password = "p";
    c.requests = 2;
    fake_run(fetch, &c, false);
    assert_int_equal(c.status[1], 200);
    assert_non_null(strstr(c.f.req[3], "nonce=\"fresh\""));
    assert_non_null(strstr(c.f.req[3], "nc=00000001"));
}

static void test_digest_wrong_password(void **state)
{
    struct ctx c;
    setup(&c);
    c.challenge = "Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"";
    c.expect = "never";
    c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
    c.ro.username = "u";
    c.ro.password = "wrong";
    fake_run(fetch, &c, false);
    assert_int_equal(c.status[0], 401);
    assert_int_equal(c.f.nreq, 2); /* one answer, then give up */
}

static void test_anyauth(void **state)
{
    struct ctx c;
    setup(&c);
    c.challenge = "Newauth realm=\"apps\", type=1, title=\"Login\", Basic realm=\"simple\"";
    c.expect = "Basic dTpw";
    c.ro.auth = WEFT_HTTP_AUTH_ANY;
    c.ro.username = "u";
    c.ro.password = "p";
    fake_run(fetch, &c, false);
    assert_int_equal(c.status[0], 200);
    assert_int_equal(c.f.nreq, 2);
    assert_null(strcasestr(c.f.req[0], "authorization")); /* nothing until challenged */

    setup(&c); /* Digest preferred when both are offered */
    c.challenge = "Basic realm=\"simple\", Digest realm=\"r\", nonce=\"abc\", qop=\"auth\"";
    c.expect = "Digest ";
    c.ro.auth = WEFT_HTTP_AUTH_ANY;
    c.ro.username = "u";
    c.ro.password = "p";
    fake_run(fetch, &c, false);
    assert_int_equal(c.status[0], 200);
}

static void test_unusable_challenges(void **state)
{
    /* auth-int only, an unknown algorithm, or no nonce: not answered. */
    const char *bad[] = {
        "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
        "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1024",
        "Digest realm=\"r\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ctx c;
        setup(&c);
        c.challenge = bad[i];
        c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
        c.ro.username = "u";
        c.ro.password = "p";
        fake_run(fetch, &c, false);
        assert_int_equal(c.rc[0], 0);
        assert_int_equal(c.status[0], 401);
    }
}

static void test_userhash_and_sess(void **state)
{
    struct ctx c;
    setup(&c);
    c.challenge = "Digest realm=\"r\", nonce=\"n\", qop=\"auth\", algorithm=SHA-256-sess, "
                  "userhash=true";
    c.expect = "userhash=true";
    c.expect2 = "algorithm=SHA-256-sess";
    c.ro.auth = WEFT_HTTP_AUTH_DIGEST;
    c.ro.username = "u";
    c.ro.password = "p";
    fake_run(fetch, &c, false);
    assert_int_equal(c.status[0], 200);
    /* username is H(user:realm), not the name */
    assert_null(strstr(c.f.req[1], "username=\"u\""));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_basic_preemptive),
    cmocka_unit_test(test_session_and_url_credentials),
    cmocka_unit_test(test_basic_wrong_password),
    cmocka_unit_test(test_digest_rfc7616_md5),
    cmocka_unit_test(test_digest_rfc7616_sha256_preferred),
    cmocka_unit_test(test_digest_rfc2617),
    cmocka_unit_test(test_digest_nonce_reuse_and_stale),
    cmocka_unit_test(test_digest_wrong_password),
    cmocka_unit_test(test_anyauth),
    cmocka_unit_test(test_unusable_challenges),
    cmocka_unit_test(test_userhash_and_sess),
};

WEFT_TEST_MAIN(tests)
