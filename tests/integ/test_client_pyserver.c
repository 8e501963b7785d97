/* The HTTP client against tests/lib/http_test_server.py (a real server with
 * its own, independent HTTP code, in Python): cookies kept and sent back
 * through a login redirect and across a saved cookie file, Digest checked
 * by Python's hashlib, delays for the read and total timeouts, every kind of
 * malformed answer, chunked and close-delimited bodies, streamed uploads
 * and downloads, and pool limits counted on the server's side. */
#include <fcntl.h>
#include <openssl/evp.h>

#include "client_integ.h"

static struct weft_peer py;

static void start(void)
{
    if (!weft_peer_have(WEFT_PYTHON)) {
        fprintf(stderr, "SKIP: python3 not installed\n");
        skip();
    }
    assert_int_equal(weft_pyserver(&py), 0);
}

static char *url(const char *path)
{
    static char buf[8][512];
    static int n;
    char *u = buf[n++ % 8];
    snprintf(u, 512, "http://127.0.0.1:%d%s", py.port, path);
    return u;
}

static weft_http_session *session(const weft_http_session_opts *o)
{
    weft_http_session *s;
    assert_int_equal(weft_http_session_new(NULL, o, &s), 0);
    return s;
}

/* ------------------------------------------------------------ cookies */

static char jarfile[64];

static int cookies(void *arg)
{
    weft_http_session *s = session(NULL);
    struct got g;
    fetch(s, "GET", url("/cookies/login"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.nhist, 1);
    assert_string_equal(g.body, "sid=s3cret"); /* set by the 302, sent to its Location */
    got_free(&g);
    fetch(s, "GET", url("/cookies/set?lang=en&theme=dark"), NULL, &g);
    got_free(&g);
    fetch(s, "GET", url("/cookies/echo"), NULL, &g);
    assert_string_equal(g.body, "sid=s3cret; lang=en; theme=dark");
    got_free(&g);
    weft_cookie_jar *jar = weft_http_session_cookie_jar(s);
    assert_int_equal(weft_cookie_jar_count(jar), 3);
    assert_int_equal(weft_cookie_jar_save(jar, jarfile, time(NULL)), 0);
    weft_http_session_close(s);

    /* A new session picks them up from the Netscape file. */
    s = session(NULL);
    assert_int_equal(weft_cookie_jar_load(weft_http_session_cookie_jar(s), jarfile, time(NULL)), 3);
    fetch(s, "GET", url("/cookies/echo"), NULL, &g);
    assert_string_equal(g.body, "sid=s3cret; lang=en; theme=dark");
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void py_cookies(void **state)
{
    start();
    snprintf(jarfile, sizeof jarfile, "%.50s/jar.txt", py.dir);
    integ_run(cookies, NULL);
    weft_peer_stop(&py);
}

/* ------------------------------------------------------------ Digest */

static int digest(void *arg)
{
    const char *alg = arg;
    weft_http_session *s = session(NULL);
    assert_int_equal(weft_http_session_set_auth(s, WEFT_HTTP_AUTH_DIGEST, "Mufasa", "Circle"), 0);
    char path[128];
    snprintf(path, sizeof path, "/digest?alg=%s&user=Mufasa&pass=Circle", alg);
    struct got g;
    fetch(s, "GET", url(path), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "welcome Mufasa");
    assert_int_equal(g.nhist, 1);
    got_free(&g);
    /* Answered at once with the nonce we hold (no 401 this time). */
    fetch(s, "GET", url(path), NULL, &g);
    assert_int_equal(g.status, 200);
    assert_int_equal(g.nhist, 0);
    got_free(&g);
    /* A wrong password: one answer, then the 401 is what we get. */
    weft_http_request_opts o = {.auth = WEFT_HTTP_AUTH_DIGEST, .username = "Mufasa",
                                .password = "wrong"};
    fetch(s, "GET", url(path), &o, &g);
    assert_int_equal(g.status, 401);
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void py_digest_md5(void **state)
{
    start();
    integ_run(digest, "MD5");
    weft_peer_stop(&py);
}

static void py_digest_sha256(void **state)
{
    start();
    integ_run(digest, "SHA-256");
    weft_peer_stop(&py);
}

/* ------------------------------------------------------------ timeouts */

static int timeouts(void *arg)
{
    weft_http_session_opts so = {.read_timeout_ns = WEFT_MSEC(200)};
    weft_http_session *s = session(&so);
    struct got g;
    uint64_t t0 = weft_test_now_ns();
    fetch(s, "GET", url("/delay?ms=3000"), NULL, &g);
    uint64_t dt = weft_test_now_ns() - t0;
    assert_int_equal(g.rc, WEFT_EHTTP_READ_TIMEOUT);
    assert_true(dt >= WEFT_MSEC(200) && dt < WEFT_MSEC(2000));

    fetch(s, "GET", url("/slowbody?ms=3000"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.body_rc, WEFT_EHTTP_READ_TIMEOUT);

    weft_http_request_opts o = {.timeout_ns = WEFT_MSEC(300), .read_timeout_ns = WEFT_SEC(10)};
    t0 = weft_test_now_ns();
    fetch(s, "GET", url("/delay?ms=3000"), &o, &g);
    dt = weft_test_now_ns() - t0;
    assert_int_equal(g.rc, -ETIMEDOUT);
    assert_true(dt >= WEFT_MSEC(300) && dt < WEFT_MSEC(2000));

    weft_http_request_opts ok = {.read_timeout_ns = WEFT_SEC(5)};
    fetch(s, "GET", url("/delay?ms=300"), &ok, &g);
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.body, "late");
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void py_timeouts(void **state)
{
    start();
    integ_run(timeouts, NULL);
    weft_peer_stop(&py);
}

/* ------------------------------------------------------------ malformed */

static int malformed(void *arg)
{
    weft_http_session *s = session(NULL);
    static const struct {
        const char *path;
        int rc, body_rc;
    } cases[] = {
        {"/bad/status", WEFT_EHTTP_BAD_STATUS, 0},
        {"/bad/version", WEFT_EHTTP_VERSION, 0},
        {"/bad/chunk", 0, WEFT_EHTTP_BAD_CHUNK},
        {"/bad/truncated", 0, WEFT_EHTTP_TRUNCATED},
        {"/bad/truncated-chunked", 0, WEFT_EHTTP_TRUNCATED},
        {"/bad/close", WEFT_EHTTP_DISCONNECTED, 0},
        {"/bad/headers", WEFT_EHTTP_HEADERS_TOO_LARGE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g;
        fetch(s, "GET", url(cases[i].path), NULL, &g);
        if (g.rc != cases[i].rc || (g.rc == 0 && g.body_rc != cases[i].body_rc))
            fprintf(stderr, "%s: rc %s body %s\n", cases[i].path, weft_strerror(g.rc),
                    weft_strerror(g.body_rc));
        assert_int_equal(g.rc, cases[i].rc);
        if (g.rc == 0)
            assert_int_equal(g.body_rc, cases[i].body_rc);
        got_free(&g);
    }
    /* Excess bytes after the body: the body is what was framed, and the
     * connection is not used again. */
    struct got g;
    fetch(s, "GET", url("/bad/excess"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.body, "hello");
    got_free(&g);
    fetch(s, "GET", url("/hello"), NULL, &g);
    assert_string_equal(g.body, "hello");
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void py_malformed(void **state)
{
    start();
    integ_run(malformed, NULL);
    weft_peer_stop(&py);
}

/* ------------------------------------------------------------ framings, streaming */

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned len;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

struct src {
    const char *data;
    size_t len, at;
};

static int src_read(void *buf, size_t cap, void *ud)
{
    struct src *s = ud;
    size_t k = s->len - s->at < cap ? s->len - s->at : cap;
    if (k > 7000)
        k = 7000; /* odd pieces */
    memcpy(buf, s->data + s->at, k);
    s->at += k;
    return (int)k;
}

static int streaming(void *arg)
{
    weft_http_session *s = session(NULL);
    struct got g;
    fetch(s, "GET", url("/chunked"), NULL, &g);
    assert_int_equal(g.rc, 0);
    assert_string_equal(g.body, "hello chunked world");
    got_free(&g);
    fetch(s, "GET", url("/close-delimited"), NULL, &g);
    assert_int_equal(g.body_rc, 0);
    assert_string_equal(g.body, "until the very end");
    got_free(&g);

    /* A 3 MB download read in pieces, checked against the pattern. */
    size_t n = WEFT_SCALED(3u << 20);
    char path[64];
    snprintf(path, sizeof path, "/big?n=%zu", n);
    weft_http_response *r;
    assert_int_equal(weft_http_session_get(s, url(path), NULL, &r), 0);
    static const char unit[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";
    size_t at = 0;
    char buf[16384];
    int k;
    while ((k = weft_http_response_read(r, buf, sizeof buf)) > 0) {
        for (int i = 0; i < k; i++)
            assert_int_equal(buf[i], unit[(at + (size_t)i) % (sizeof unit - 1)]);
        at += (size_t)k;
    }
    assert_int_equal(k, 0);
    assert_int_equal(at, n);
    weft_http_response_free(r);

    /* Uploads: a file (sendfile), a callback sent chunked, memory. */
    size_t up = WEFT_SCALED(1u << 20);
    char *data = malloc(up);
    for (size_t i = 0; i < up; i++)
        data[i] = (char)(i * 7 + i / 251);
    char want[65];
    sha256_hex(data, up, want);
    char fpath[128];
    snprintf(fpath, sizeof fpath, "%s/upload.bin", py.dir);
    FILE *f = fopen(fpath, "w");
    fwrite(data, 1, up, f);
    fclose(f);
    weft_http_request_opts o1 = {.body = weft_http_body_file(fpath)};
    struct src src = {data, up, 0};
    weft_http_request_opts o2 = {.body = weft_http_body_callback(src_read, NULL, &src, -1)};
    weft_http_request_opts o3 = {.body = weft_http_body_memory(data, up)};
    weft_http_request_opts *os[] = {&o1, &o2, &o3};
    for (int i = 0; i < 3; i++) {
        weft_http_response *er;
        assert_int_equal(weft_http_session_post(s, url("/echo"), os[i], &er), 0);
        assert_int_equal(weft_http_response_status(er), 200);
        assert_string_equal(weft_http_response_header(er, "X-Body-SHA256"), want);
        const char *b;
        size_t blen;
        assert_int_equal(weft_http_response_read_all(er, &b, &blen), 0);
        assert_int_equal(blen, up);
        weft_http_response_free(er);
    }
    free(data);
    weft_http_session_close(s);
    return 0;
}

static void py_streaming(void **state)
{
    start();
    integ_run(streaming, NULL);
    weft_peer_stop(&py);
}

/* ------------------------------------------------------------ pool limits */

struct limits {
    weft_http_session *s;
    int errors;
};

static int hold_worker(void *arg)
{
    struct limits *l = arg;
    struct got g;
    fetch(l->s, "GET", url("/hold?ms=50"), NULL, &g);
    if (g.rc || g.status != 200)
        l->errors++;
    got_free(&g);
    return 0;
}

static int limits(void *arg)
{
    weft_http_session_opts o = {.limit = 3};
    struct limits l = {session(&o), 0};
    weft_group *grp;
    assert_int_equal(weft_group_new(&grp), 0);
    for (int i = 0; i < 15; i++)
        weft_group_spawn(grp, hold_worker, &l);
    assert_int_equal(weft_group_wait(grp), 0);
    weft_group_free(grp);
    assert_int_equal(l.errors, 0);
    struct got g;
    fetch(l.s, "GET", url("/stats"), NULL, &g);
    int conns, live, max;
    assert_int_equal(sscanf(g.body, "%d %d %d", &conns, &live, &max), 3);
    assert_int_equal(max, 3);   /* never more than the limit at once */
    assert_int_equal(conns, 3); /* and each one kept alive for the next */
    got_free(&g);
    weft_http_session_close(l.s);
    return 0;
}

static void py_pool_limit(void **state)
{
    start();
    integ_run(limits, NULL);
    weft_peer_stop(&py);
}

/* Ten URLs at once over one session (the example). */
static int ten(void *arg)
{
    weft_http_session *s = session(NULL);
    struct limits l = {s, 0};
    weft_group *grp;
    weft_group_new(&grp);
    for (int i = 0; i < 10; i++)
        weft_group_spawn(grp, hold_worker, &l);
    assert_int_equal(weft_group_wait(grp), 0);
    weft_group_free(grp);
    assert_int_equal(l.errors, 0);
    struct got g;
    fetch(s, "GET", url("/stats"), NULL, &g);
    int conns, live, max;
    sscanf(g.body, "%d %d %d", &conns, &live, &max);
    assert_int_equal(max, 10); /* all ten in parallel */
    got_free(&g);
    weft_http_session_close(s);
    return 0;
}

static void py_ten_at_once(void **state)
{
    start();
    integ_run(ten, NULL);
    weft_peer_stop(&py);
}

/* ------------------------------------------------------------ content codings */

static int coded(void *arg)
{
    weft_http_session *s = session(NULL);
    static const char unit[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";
    const char *paths[] = {"/coded?c=gzip", "/coded?c=deflate", "/coded?c=gzip&chunked=1"};
    for (int i = 0; i < 3; i++) {
        struct got g;
        fetch(s, "GET", url(paths[i]), NULL, &g);
        assert_int_equal(g.rc, 0);
        assert_int_equal(g.body_rc, 0);
        assert_int_equal(g.len, 100000);
        for (size_t k = 0; k < g.len; k++)
            assert_int_equal(g.body[k], unit[k % (sizeof unit - 1)]);
        got_free(&g);
    }
    /* The server saw our default Accept-Encoding. */
    struct got g;
    fetch(s, "GET", url("/headers"), NULL, &g);
    assert_non_null(strstr(g.body, "\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"));
    got_free(&g);
    /* A bomb: the codecs' ratio limit stops it, not our memory. */
    weft_http_request_opts big = {.max_body = UINT64_MAX};
    fetch(s, "GET", url("/bomb"), &big, &g);
    assert_int_equal(g.rc, 0);
    assert_int_equal(g.body_rc, WEFT_EHTTP_CODING_RATIO);
    weft_http_session_close(s);
    return 0;
}

static void py_content_codings(void **state)
{
    start();
    integ_run(coded, NULL);
    weft_peer_stop(&py);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(py_cookies),
    cmocka_unit_test(py_digest_md5),
    cmocka_unit_test(py_digest_sha256),
    cmocka_unit_test(py_timeouts),
    cmocka_unit_test(py_malformed),
    cmocka_unit_test(py_streaming),
    cmocka_unit_test(py_pool_limit),
    cmocka_unit_test(py_ten_at_once),
    cmocka_unit_test(py_content_codings),
};

WEFT_TEST_MAIN(tests)
