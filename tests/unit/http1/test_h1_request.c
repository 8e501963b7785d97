/*
 * test_h1_request.c - the request head parser: every accepted form, every
 * rejection by name, the limits at and one past their value. Every message
 * goes through h1_run(), which also feeds it split at each byte.
 */
#include <stdio.h>

#include "h1_check.h"

/* Parse a literal request; returns the case (the caller frees it). */
static struct h1_case *req_ok(const char *s)
{
    struct h1_case *c = h1_case_new(s, strlen(s));
    int r = h1_run(c, 1);
    assert_int_equal(r, (int)strlen(s));
    return c;
}

static void req_fails(const char *s, size_t n, int err)
{
    struct h1_case *c = h1_case_new(s, n);
    assert_int_equal(h1_run(c, 1), err);
    h1_case_free(c);
}

#define REJECT(name, msg, err)                                                  \
    static void name(void **state)                                              \
    {                                                                           \
        (void)state;                                                            \
        req_fails(msg, sizeof(msg) - 1, err);                                   \
    }

/* ------------------------------------------------------------ accepted */

static void get_origin_form(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET /index.html?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\n\r\n");
    weft_h1_request *r = &c->req;
    assert_slice(r->method, "GET");
    assert_int_equal(r->method_id, WEFT_H1_METHOD_GET);
    assert_slice(r->target, "/index.html?x=1&y=2");
    assert_int_equal(r->form, WEFT_H1_FORM_ORIGIN);
    assert_slice(r->path, "/index.html");
    assert_slice(r->query, "x=1&y=2");
    assert_null(r->authority.ptr);
    assert_int_equal(r->version, 1);
    assert_slice(r->host, "example.com");
    assert_int_equal(r->nheaders, 1);
    assert_ptr_equal(r->headers, c->hdrs);
    assert_slice(r->headers[0].name, "Host");
    assert_slice(r->headers[0].value, "example.com");
    assert_int_equal(r->body, WEFT_H1_BODY_NONE);
    assert_int_equal(r->content_length, 0);
    assert_int_equal(r->flags, WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
}

static const char BROWSER_GET[] =
    "GET /wiki/Hypertext_Transfer_Protocol?action=view HTTP/1.1\r\n"
    "Host: en.wikipedia.org\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://www.google.com/\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=abc123; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "\r\n";

static void browser_get(void **state)
{
    (void)state;
    struct h1_case *c = req_ok(BROWSER_GET);
    weft_h1_request *r = &c->req;
    assert_int_equal(r->nheaders, 10);
    assert_slice(r->headers[2].name, "Accept");
    assert_slice(r->headers[2].value,
                 "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8");
    assert_slice(r->headers[9].name, "Sec-Fetch-Dest");
    assert_slice(r->headers[9].value, "document");
    assert_slice(r->path, "/wiki/Hypertext_Transfer_Protocol");
    assert_slice(r->query, "action=view");
    assert_int_equal(weft_h1_header_find(r->headers, r->nheaders, "cookie", 0), 7);
    assert_int_equal(weft_h1_header_find(r->headers, r->nheaders, "COOKIE", 8), -1);
    assert_int_equal(weft_h1_header_find(r->headers, r->nheaders, "x-missing", 0), -1);
    assert_true(r->flags & WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
}

static void post_content_length(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n");
    assert_int_equal(c->req.method_id, WEFT_H1_METHOD_POST);
    assert_int_equal(c->req.body, WEFT_H1_BODY_LENGTH);
    assert_int_equal(c->req.content_length, 12);
    h1_case_free(c);
}

static void post_content_length_zero(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(c->req.body, WEFT_H1_BODY_LENGTH);
    assert_int_equal(c->req.content_length, 0);
    h1_case_free(c);
}

static void post_chunked(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n");
    assert_int_equal(c->req.body, WEFT_H1_BODY_CHUNKED);
    assert_int_equal(c->req.content_length, 0);
    h1_case_free(c);
}

static void absolute_form(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    assert_int_equal(c->req.form, WEFT_H1_FORM_ABSOLUTE);
    assert_slice(c->req.authority, "example.com:8080");
    assert_slice(c->req.path, "/a/b");
    assert_slice(c->req.query, "c=d");
    h1_case_free(c);
}

static void absolute_form_no_path(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET https://[::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
    assert_int_equal(c->req.form, WEFT_H1_FORM_ABSOLUTE);
    assert_slice(c->req.authority, "[::1]:8443");
    assert_non_null(c->req.path.ptr);
    assert_int_equal(c->req.path.len, 0);
    assert_null(c->req.query.ptr);
    h1_case_free(c);
}

static void authority_form_connect(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert_int_equal(c->req.method_id, WEFT_H1_METHOD_CONNECT);
    assert_int_equal(c->req.form, WEFT_H1_FORM_AUTHORITY);
    assert_slice(c->req.authority, "example.com:443");
    assert_null(c->req.path.ptr);
    h1_case_free(c);
}

static void asterisk_form_options(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(c->req.method_id, WEFT_H1_METHOD_OPTIONS);
    assert_int_equal(c->req.form, WEFT_H1_FORM_ASTERISK);
    assert_slice(c->req.path, "*");
    h1_case_free(c);
}

static void query_empty_and_absent(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET /p? HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_slice(c->req.path, "/p");
    assert_non_null(c->req.query.ptr);
    assert_int_equal(c->req.query.len, 0);
    h1_case_free(c);
    c = req_ok("GET /p HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_null(c->req.query.ptr);
    h1_case_free(c);
}

static void http10_without_host(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(c->req.version, 0);
    assert_null(c->req.host.ptr);
    assert_int_equal(c->req.nheaders, 0);
    assert_int_equal(c->req.flags & WEFT_H1_F_KEEP_ALIVE, 0);
    h1_case_free(c);
}

static void http10_keep_alive(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    assert_true(c->req.flags & WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
}

static void http11_connection_close(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, CLOSE\r\n\r\n");
    assert_int_equal(c->req.flags & WEFT_H1_F_KEEP_ALIVE, 0);
    h1_case_free(c);
    /* Tokens from several Connection lines add up. */
    c = req_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: close\r\n\r\n");
    assert_int_equal(c->req.flags & WEFT_H1_F_KEEP_ALIVE, 0);
    h1_case_free(c);
    /* "closed" is not "close". */
    c = req_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n");
    assert_true(c->req.flags & WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
}

static void upgrade_websocket(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                               "Connection: keep-alive, Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    assert_true(c->req.flags & WEFT_H1_F_UPGRADE);
    int i = weft_h1_header_find(c->req.headers, c->req.nheaders, "upgrade", 0);
    assert_int_equal(i, 1);
    assert_true(weft_h1_list_has(c->req.headers[i].value, "WebSocket"));
    h1_case_free(c);
}

static void upgrade_needs_connection_token(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
    assert_int_equal(c->req.flags & WEFT_H1_F_UPGRADE, 0);
    h1_case_free(c);
}

static void expect_continue(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n"
                               "Expect: 100-Continue\r\n\r\n");
    assert_int_equal(c->req.flags, WEFT_H1_F_KEEP_ALIVE | WEFT_H1_F_EXPECT_CONTINUE);
    h1_case_free(c);
    /* RFC 9110 §10.1.1: a 1.0 request's 100-continue is ignored. */
    c = req_ok("PUT /f HTTP/1.0\r\nContent-Length: 9\r\nExpect: 100-continue\r\n\r\n");
    assert_int_equal(c->req.flags, 0);
    h1_case_free(c);
    c = req_ok("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\n\r\n");
    assert_int_equal(c->req.flags, WEFT_H1_F_KEEP_ALIVE | WEFT_H1_F_EXPECT_OTHER);
    h1_case_free(c);
}

static void values_trimmed(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("GET / HTTP/1.1\r\nHost:a\r\nX-A:  two  words \t\r\nX-Empty:\r\n"
                               "X-Blank:   \r\nX-Tab: a\tb\r\nX-Utf8: caf\xc3\xa9\r\n\r\n");
    weft_h1_header *h = c->req.headers;
    assert_slice(h[0].value, "a");
    assert_slice(h[1].value, "two  words");
    assert_int_equal(h[2].value.len, 0);
    assert_non_null(h[2].value.ptr);
    assert_int_equal(h[3].value.len, 0);
    assert_slice(h[4].value, "a\tb");
    assert_slice(h[5].value, "caf\xc3\xa9");
    h1_case_free(c);
}

static void long_value_simd_paths(void **state)
{
    (void)state;
    /* Values long enough for the 16-byte loops, with a tab at every offset. */
    for (int t = 0; t < 40; t++) {
        char v[48], msg[160];
        memset(v, 'v', 40);
        v[40] = 0;
        v[t] = '\t';
        if (t == 0 || t == 39)
            v[t] = 'x';
        snprintf(msg, sizeof msg, "GET /%s HTTP/1.1\r\nHost: a\r\nX: %s\r\n\r\n",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", v);
        struct h1_case *c = req_ok(msg);
        assert_slice(c->req.headers[1].value, v);
        h1_case_free(c);
    }
}

static void leading_empty_lines(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_slice(c->req.method, "GET");
    assert_ptr_equal(c->req.method.ptr, c->buf + 4);
    h1_case_free(c);
}

static void method_ids(void **state)
{
    (void)state;
    static const struct { const char *m; int id; } t[] = {
        { "GET", WEFT_H1_METHOD_GET },         { "HEAD", WEFT_H1_METHOD_HEAD },
        { "POST", WEFT_H1_METHOD_POST },       { "PUT", WEFT_H1_METHOD_PUT },
        { "DELETE", WEFT_H1_METHOD_DELETE },   { "OPTIONS", WEFT_H1_METHOD_OPTIONS },
        { "TRACE", WEFT_H1_METHOD_TRACE },     { "PATCH", WEFT_H1_METHOD_PATCH },
        { "get", WEFT_H1_METHOD_OTHER },       { "PROPFIND", WEFT_H1_METHOD_OTHER },
        { "M-SEARCH", WEFT_H1_METHOD_OTHER },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s / HTTP/1.1\r\nHost: a\r\n\r\n", t[i].m);
        struct h1_case *c = req_ok(msg);
        assert_slice(c->req.method, t[i].m);
        assert_int_equal(c->req.method_id, t[i].id);
        h1_case_free(c);
    }
}

static void method_of_32_bytes(void **state)
{
    (void)state;
    struct h1_case *c = req_ok("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345 / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(c->req.method.len, 32);
    h1_case_free(c);
}

static void pipelined(void **state)
{
    (void)state;
    static const char two[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                              "POST /2 HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nabc"
                              "GET /3 HTTP/1.1\r\nHo";
    weft_h1_parser p;
    weft_h1_header h[8];
    weft_h1_request r;
    const char *b = two;
    size_t len = sizeof two - 1;
    weft_h1_parser_init(&p, NULL);
    int n = weft_h1_parse_request(&p, b, len, &r, h, 8);
    assert_int_equal(n, 28);
    assert_slice(r.path, "/1");
    b += n;
    len -= (size_t)n;
    n = weft_h1_parse_request(&p, b, len, &r, h, 8);
    assert_true(n > 0);
    assert_slice(r.path, "/2");
    assert_slice(r.host, "b");
    assert_int_equal(r.content_length, 3);
    assert_memory_equal(b + n, "abc", 3);
    b += n + 3;
    len -= (size_t)n + 3;
    assert_int_equal(weft_h1_parse_request(&p, b, len, &r, h, 8), -EAGAIN);
}

static void buffer_moved_between_calls(void **state)
{
    (void)state;
    static const char msg[] = "GET /moved HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789\r\n\r\n";
    weft_h1_parser p;
    weft_h1_header h[8];
    weft_h1_request r;
    char *a = malloc(sizeof msg), *b = malloc(sizeof msg);
    memcpy(a, msg, sizeof msg);
    memcpy(b, msg, sizeof msg);
    weft_h1_parser_init(&p, NULL);
    assert_int_equal(weft_h1_parse_request(&p, a, 40, &r, h, 8), -EAGAIN);
    memset(a, 'X', sizeof msg); /* the old copy is gone; the parser must not use it */
    assert_int_equal(weft_h1_parse_request(&p, b, sizeof msg - 1, &r, h, 8), (int)sizeof msg - 1);
    assert_slice(r.path, "/moved");
    assert_slice(h[1].value, "0123456789");
    free(a);
    free(b);
}

static void byte_by_byte_big_head(void **state)
{
    (void)state;
    /* 60 KiB of fields fed one byte at a time: quadratic rescanning would
     * take minutes here. */
    size_t cap = 62 * 1024, n = 0;
    char *m = malloc(cap);
    n += (size_t)sprintf(m, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < 99; i++) {
        n += (size_t)sprintf(m + n, "X-%02d: ", i);
        memset(m + n, 'a' + i % 26, 590);
        n += 590;
        memcpy(m + n, "\r\n", 2);
        n += 2;
    }
    memcpy(m + n, "\r\n", 2);
    n += 2;
    weft_h1_parser p;
    weft_h1_header h[100];
    weft_h1_request r;
    weft_h1_parser_init(&p, NULL);
    uint64_t t0 = weft_test_now_ns();
    int ret = -EAGAIN;
    size_t k;
    for (k = 1; k <= n && ret == -EAGAIN; k++)
        ret = weft_h1_parse_request(&p, m, k, &r, h, 100);
    assert_int_equal(ret, (int)n);
    assert_int_equal(k - 1, n);
    assert_int_equal(r.nheaders, 100);
    assert_true(weft_test_now_ns() - t0 < 2000000000u * WEFT_TEST_SCALE);
    free(m);
}

/* ------------------------------------------------------------ rejected */

REJECT(reject_obs_fold, "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_obs_fold_tab, "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_space_before_colon, "GET / HTTP/1.1\r\nHost : a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_tab_before_colon, "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bare_cr_in_value, "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bare_cr_line_end, "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bare_cr_final, "GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bare_lf_request_line, "GET / HTTP/1.1\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bare_lf_field, "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bare_lf_final, "GET / HTTP/1.1\r\nHost: a\r\n\n", WEFT_EHTTP_PARSE)
REJECT(reject_bare_lf_everywhere, "GET / HTTP/1.1\nHost: a\n\n", WEFT_EHTTP_PARSE)
REJECT(reject_nul_in_value, "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_ctl_in_value, "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_del_in_value, "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_nul_in_name, "GET / HTTP/1.1\r\nHost: a\r\nX\0Y: b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bad_name_char, "GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_utf8_name, "GET / HTTP/1.1\r\nHost: a\r\nCaf\xc3\xa9: b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_empty_name, "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_no_colon, "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_bad_method_char, "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_BAD_METHOD)
REJECT(reject_empty_method, " / HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_BAD_METHOD)
REJECT(reject_method_33_bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456 / HTTP/1.1\r\nHost: a\r\n\r\n",
       WEFT_EHTTP_BAD_METHOD)
REJECT(reject_tls_client_hello, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", WEFT_EHTTP_BAD_METHOD)
REJECT(reject_tab_after_method, "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_BAD_METHOD)
REJECT(reject_double_space, "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_no_version, "GET /\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_trailing_space_version, "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_lowercase_version, "GET / http/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_version_two_digits, "GET / HTTP/1.10\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_version_2, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", WEFT_EHTTP_VERSION)
REJECT(reject_version_12, "GET / HTTP/1.2\r\nHost: a\r\n\r\n", WEFT_EHTTP_VERSION)
REJECT(reject_version_09, "GET / HTTP/0.9\r\nHost: a\r\n\r\n", WEFT_EHTTP_VERSION)
REJECT(reject_target_fragment, "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_target_utf8, "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_target_ctl, "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_target_relative, "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_connect_origin_form, "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_connect_no_port, "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_connect_empty_host, "CONNECT :443 HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_authority_form_for_get, "GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_asterisk_for_get, "GET * HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_absolute_userinfo, "GET http://user@evil.com/ HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_absolute_no_authority, "GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_missing_host, "GET / HTTP/1.1\r\nX: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_two_hosts, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_two_identical_hosts, "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_host_list, "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_host_userinfo, "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_host_path, "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_cl_duplicate_same, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
       WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_duplicate_different, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
       WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_list, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_plus, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_negative, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_hex, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_inner_space, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_empty, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_overflow, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
       WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_20_digits, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 00000000000000000001\r\n\r\n",
       WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_te_gzip_chunked, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       WEFT_EHTTP_BAD_TE)
REJECT(reject_te_identity, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
       WEFT_EHTTP_BAD_TE)
REJECT(reject_te_chunked_not_last, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_chunked_twice, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_two_fields, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n", WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_empty_element, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_empty, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_params, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_with_cl, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_cl_after_te, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_in_http10, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_cl_too_large, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n",
       WEFT_EHTTP_BODY_TOO_LARGE)

static void body_too_large_fills_request(void **state)
{
    (void)state;
    static const char m[] = "POST /big HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                            "Content-Length: 99999999999\r\n\r\n";
    struct h1_case *c = h1_case_new(m, sizeof m - 1);
    assert_int_equal(h1_run(c, 1), WEFT_EHTTP_BODY_TOO_LARGE);
    assert_slice(c->req.path, "/big");
    assert_int_equal(c->req.content_length, 99999999999ull);
    assert_true(c->req.flags & WEFT_H1_F_EXPECT_CONTINUE);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_BODY_TOO_LARGE), 413);
    h1_case_free(c);
}

static void cl_19_digits_without_body_limit(void **state)
{
    (void)state;
    static const char m[] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999999999999999\r\n\r\n";
    struct h1_case *c = h1_case_new(m, sizeof m - 1);
    c->lim.max_body = UINT64_MAX;
    assert_int_equal(h1_run(c, 1), (int)sizeof m - 1);
    assert_int_equal(c->req.content_length, 9999999999999999999ull);
    h1_case_free(c);
}

/* ------------------------------------------------------------ limits */

/* A request whose request line is exactly n bytes (without CRLF). */
static char *request_with_line(size_t n, size_t *len)
{
    char *m = malloc(n + 64);
    size_t pre = strlen("GET /"), post = strlen(" HTTP/1.1");
    memcpy(m, "GET /", pre);
    memset(m + pre, 'a', n - pre - post);
    memcpy(m + n - post, " HTTP/1.1", post);
    *len = n + (size_t)sprintf(m + n, "\r\nHost: a\r\n\r\n");
    return m;
}

static void limit_request_line_exact(void **state)
{
    (void)state;
    size_t len;
    char *m = request_with_line(WEFT_H1_DEFAULT_MAX_REQUEST_LINE, &len);
    struct h1_case *c = h1_case_new(m, len);
    assert_int_equal(h1_run(c, 1), (int)len);
    assert_int_equal(c->req.target.len, WEFT_H1_DEFAULT_MAX_REQUEST_LINE - 13);
    h1_case_free(c);
    free(m);
}

static void limit_request_line_over(void **state)
{
    (void)state;
    size_t len;
    char *m = request_with_line(WEFT_H1_DEFAULT_MAX_REQUEST_LINE + 1, &len);
    struct h1_case *c = h1_case_new(m, len);
    assert_int_equal(h1_run(c, 1), WEFT_EHTTP_URI_TOO_LONG);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_URI_TOO_LONG), 414);
    h1_case_free(c);
    /* Refused as soon as the limit is passed, before any LF arrives. */
    weft_h1_parser p;
    weft_h1_header h[4];
    weft_h1_request r;
    weft_h1_parser_init(&p, NULL);
    assert_int_equal(weft_h1_parse_request(&p, m, WEFT_H1_DEFAULT_MAX_REQUEST_LINE + 1, &r, h, 4),
                     -EAGAIN);
    assert_int_equal(weft_h1_parse_request(&p, m, WEFT_H1_DEFAULT_MAX_REQUEST_LINE + 2, &r, h, 4),
                     WEFT_EHTTP_URI_TOO_LONG);
    free(m);
}

static void limit_request_line_custom(void **state)
{
    (void)state;
    size_t len;
    char *m = request_with_line(100, &len);
    struct h1_case *c = h1_case_new(m, len);
    c->lim.max_request_line = 100;
    assert_int_equal(h1_run(c, 1), (int)len);
    c->lim.max_request_line = 99;
    assert_int_equal(h1_run(c, 1), WEFT_EHTTP_URI_TOO_LONG);
    h1_case_free(c);
    free(m);
}

/* A request whose head is exactly n bytes. */
static char *request_with_head(size_t n)
{
    char *m = malloc(n + 1);
    size_t k = (size_t)sprintf(m, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    memset(m + k, 'x', n - k - 4);
    memcpy(m + n - 4, "\r\n\r\n", 4);
    return m;
}

static void limit_head_exact(void **state)
{
    (void)state;
    char *m = request_with_head(2000);
    struct h1_case *c = h1_case_new(m, 2000);
    c->lim.max_head = 2000;
    assert_int_equal(h1_run(c, 1), 2000);
    h1_case_free(c);
    free(m);
    /* And at the default, without the every-split check (it is slow). */
    m = request_with_head(WEFT_H1_DEFAULT_MAX_HEAD);
    weft_h1_parser p;
    weft_h1_header h[4];
    weft_h1_request r;
    weft_h1_parser_init(&p, NULL);
    assert_int_equal(weft_h1_parse_request(&p, m, WEFT_H1_DEFAULT_MAX_HEAD, &r, h, 4),
                     (int)WEFT_H1_DEFAULT_MAX_HEAD);
    free(m);
}

static void limit_head_over(void **state)
{
    (void)state;
    char *m = request_with_head(2001);
    struct h1_case *c = h1_case_new(m, 2001);
    c->lim.max_head = 2000;
    assert_int_equal(h1_run(c, 1), WEFT_EHTTP_HEADERS_TOO_LARGE);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_HEADERS_TOO_LARGE), 431);
    h1_case_free(c);
    free(m);
    m = request_with_head(WEFT_H1_DEFAULT_MAX_HEAD + 1);
    weft_h1_parser p;
    weft_h1_header h[4];
    weft_h1_request r;
    weft_h1_parser_init(&p, NULL);
    assert_int_equal(weft_h1_parse_request(&p, m, WEFT_H1_DEFAULT_MAX_HEAD + 1, &r, h, 4),
                     WEFT_EHTTP_HEADERS_TOO_LARGE);
    free(m);
}

/* A request with n fields (Host plus n - 1 others). */
static char *request_with_fields(size_t n, size_t *len)
{
    char *m = malloc(64 + n * 16);
    size_t k = (size_t)sprintf(m, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (size_t i = 1; i < n; i++)
        k += (size_t)sprintf(m + k, "X-%03zu: v\r\n", i);
    k += (size_t)sprintf(m + k, "\r\n");
    *len = k;
    return m;
}

static void limit_header_count_exact(void **state)
{
    (void)state;
    size_t len;
    char *m = request_with_fields(WEFT_H1_DEFAULT_MAX_HEADERS, &len);
    struct h1_case *c = h1_case_new(m, len);
    assert_int_equal(h1_run(c, 1), (int)len);
    assert_int_equal(c->req.nheaders, WEFT_H1_DEFAULT_MAX_HEADERS);
    assert_slice(c->req.headers[99].name, "X-099");
    h1_case_free(c);
    free(m);
}

static void limit_header_count_over(void **state)
{
    (void)state;
    size_t len;
    char *m = request_with_fields(WEFT_H1_DEFAULT_MAX_HEADERS + 1, &len);
    struct h1_case *c = h1_case_new(m, len);
    assert_int_equal(h1_run(c, 1), WEFT_EHTTP_HEADERS_TOO_LARGE);
    h1_case_free(c);
    free(m);
}

static void limit_header_count_caller_array(void **state)
{
    (void)state;
    size_t len;
    char *m = request_with_fields(5, &len);
    struct h1_case *c = h1_case_new(m, len);
    c->max_hdrs = 5;
    assert_int_equal(h1_run(c, 1), (int)len);
    c->max_hdrs = 4;
    assert_int_equal(h1_run(c, 1), WEFT_EHTTP_HEADERS_TOO_LARGE);
    h1_case_free(c);
    free(m);
}

static void limit_body_exact(void **state)
{
    (void)state;
    static const char m[] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n";
    struct h1_case *c = h1_case_new(m, sizeof m - 1);
    assert_int_equal(h1_run(c, 1), (int)sizeof m - 1);
    h1_case_free(c);
}

static void error_status_map(void **state)
{
    (void)state;
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_PARSE), 400);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_BAD_METHOD), 400);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_BAD_LENGTH), 400);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_BAD_FRAMING), 400);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_BAD_CHUNK), 400);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_BAD_TE), 501);
    assert_int_equal(weft_h1_error_status(WEFT_EHTTP_VERSION), 505);
    assert_int_equal(weft_h1_error_status(-EAGAIN), 0);
    assert_int_equal(weft_h1_error_status(0), 0);
    assert_string_equal(weft_strerror(WEFT_EHTTP_BAD_FRAMING), "ambiguous HTTP message framing");
}

static void helpers(void **state)
{
    (void)state;
    weft_h1_slice v = { "a, b ,\tKeep-Alive ,, c", 22 };
    assert_true(weft_h1_list_has(v, "keep-alive"));
    assert_true(weft_h1_list_has(v, "a"));
    assert_true(weft_h1_list_has(v, "C"));
    assert_false(weft_h1_list_has(v, "keep"));
    assert_false(weft_h1_list_has((weft_h1_slice){ NULL, 0 }, "a"));
    assert_true(weft_h1_slice_ieq((weft_h1_slice){ "Close", 5 }, "close"));
    assert_false(weft_h1_slice_ieq((weft_h1_slice){ "Close", 5 }, "closed"));
    weft_h1_limits l;
    weft_h1_limits_init(&l);
    assert_int_equal(l.max_request_line, 8192);
    assert_int_equal(l.max_head, 65536);
    assert_int_equal(l.max_headers, 100);
}


static const struct CMUnitTest tests[] = {
    cmocka_unit_test(get_origin_form),
    cmocka_unit_test(browser_get),
    cmocka_unit_test(post_content_length),
    cmocka_unit_test(post_content_length_zero),
    cmocka_unit_test(post_chunked),
    cmocka_unit_test(absolute_form),
    cmocka_unit_test(absolute_form_no_path),
    cmocka_unit_test(authority_form_connect),
    cmocka_unit_test(asterisk_form_options),
    cmocka_unit_test(query_empty_and_absent),
    cmocka_unit_test(http10_without_host),
    cmocka_unit_test(http10_keep_alive),
    cmocka_unit_test(http11_connection_close),
    cmocka_unit_test(upgrade_websocket),
    cmocka_unit_test(upgrade_needs_connection_token),
    cmocka_unit_test(expect_continue),
    cmocka_unit_test(values_trimmed),
    cmocka_unit_test(long_value_simd_paths),
    cmocka_unit_test(leading_empty_lines),
    cmocka_unit_test(method_ids),
    cmocka_unit_test(method_of_32_bytes),
    cmocka_unit_test(pipelined),
    cmocka_unit_test(buffer_moved_between_calls),
    cmocka_unit_test(byte_by_byte_big_head),
    cmocka_unit_test(reject_obs_fold),
    cmocka_unit_test(reject_obs_fold_tab),
    cmocka_unit_test(reject_space_before_colon),
    cmocka_unit_test(reject_tab_before_colon),
    cmocka_unit_test(reject_bare_cr_in_value),
    cmocka_unit_test(reject_bare_cr_line_end),
    cmocka_unit_test(reject_bare_cr_final),
    cmocka_unit_test(reject_bare_lf_request_line),
    cmocka_unit_test(reject_bare_lf_field),
    cmocka_unit_test(reject_bare_lf_final),
    cmocka_unit_test(reject_bare_lf_everywhere),
    cmocka_unit_test(reject_nul_in_value),
    cmocka_unit_test(reject_ctl_in_value),
    cmocka_unit_test(reject_del_in_value),
    cmocka_unit_test(reject_nul_in_name),
    cmocka_unit_test(reject_bad_name_char),
    cmocka_unit_test(reject_utf8_name),
    cmocka_unit_test(reject_empty_name),
    cmocka_unit_test(reject_no_colon),
    cmocka_unit_test(reject_bad_method_char),
    cmocka_unit_test(reject_empty_method),
    cmocka_unit_test(reject_method_33_bytes),
    cmocka_unit_test(reject_tls_client_hello),
    cmocka_unit_test(reject_tab_after_method),
    cmocka_unit_test(reject_double_space),
    cmocka_unit_test(reject_no_version),
    cmocka_unit_test(reject_trailing_space_version),
    cmocka_unit_test(reject_lowercase_version),
    cmocka_unit_test(reject_version_two_digits),
    cmocka_unit_test(reject_version_2),
    cmocka_unit_test(reject_version_12),
    cmocka_unit_test(reject_version_09),
    cmocka_unit_test(reject_target_fragment),
    cmocka_unit_test(reject_target_utf8),
    cmocka_unit_test(reject_target_ctl),
    cmocka_unit_test(reject_target_relative),
    cmocka_unit_test(reject_connect_origin_form),
    cmocka_unit_test(reject_connect_no_port),
    cmocka_unit_test(reject_connect_empty_host),
    cmocka_unit_test(reject_authority_form_for_get),
    cmocka_unit_test(reject_asterisk_for_get),
    cmocka_unit_test(reject_absolute_userinfo),
    cmocka_unit_test(reject_absolute_no_authority),
    cmocka_unit_test(reject_missing_host),
    cmocka_unit_test(reject_two_hosts),
    cmocka_unit_test(reject_two_identical_hosts),
    cmocka_unit_test(reject_host_list),
    cmocka_unit_test(reject_host_userinfo),
    cmocka_unit_test(reject_host_path),
    cmocka_unit_test(reject_cl_duplicate_same),
    cmocka_unit_test(reject_cl_duplicate_different),
    cmocka_unit_test(reject_cl_list),
    cmocka_unit_test(reject_cl_plus),
    cmocka_unit_test(reject_cl_negative),
    cmocka_unit_test(reject_cl_hex),
    cmocka_unit_test(reject_cl_inner_space),
    cmocka_unit_test(reject_cl_empty),
    cmocka_unit_test(reject_cl_overflow),
    cmocka_unit_test(reject_cl_20_digits),
    cmocka_unit_test(reject_te_gzip_chunked),
    cmocka_unit_test(reject_te_identity),
    cmocka_unit_test(reject_te_chunked_not_last),
    cmocka_unit_test(reject_te_chunked_twice),
    cmocka_unit_test(reject_te_two_fields),
    cmocka_unit_test(reject_te_empty_element),
    cmocka_unit_test(reject_te_empty),
    cmocka_unit_test(reject_te_params),
    cmocka_unit_test(reject_te_with_cl),
    cmocka_unit_test(reject_cl_after_te),
    cmocka_unit_test(reject_te_in_http10),
    cmocka_unit_test(reject_cl_too_large),
    cmocka_unit_test(body_too_large_fills_request),
    cmocka_unit_test(cl_19_digits_without_body_limit),
    cmocka_unit_test(limit_request_line_exact),
    cmocka_unit_test(limit_request_line_over),
    cmocka_unit_test(limit_request_line_custom),
    cmocka_unit_test(limit_head_exact),
    cmocka_unit_test(limit_head_over),
    cmocka_unit_test(limit_header_count_exact),
    cmocka_unit_test(limit_header_count_over),
    cmocka_unit_test(limit_header_count_caller_array),
    cmocka_unit_test(limit_body_exact),
    cmocka_unit_test(error_status_map),
    cmocka_unit_test(helpers),
};

WEFT_TEST_MAIN(tests)
