/*
 * test_h1_response.c - the response head parser and the framing rules of
 * RFC 9112 §6.3: HEAD, 1xx, 204, 304, CONNECT, chunked, length, close.
 */
#include "h1_check.h"

static struct h1_case *resp_run(const char *s, int req_method, int expect)
{
    struct h1_case *c = h1_case_new(s, strlen(s));
    c->req_method = req_method;
    assert_int_equal(h1_run(c, 0), expect);
    return c;
}

static struct h1_case *resp_ok(const char *s, int req_method)
{
    return resp_run(s, req_method, (int)strlen(s));
}

#define REJECT(name, msg, err)                                                  \
    static void name(void **state)                                              \
    {                                                                           \
        (void)state;                                                            \
        h1_case_free(resp_run(msg, WEFT_H1_METHOD_GET, err));                   \
    }

static void ok_with_length(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n"
                                "Content-Type: text/plain\r\n\r\n", WEFT_H1_METHOD_GET);
    weft_h1_response *r = &c->resp;
    assert_int_equal(r->version, 1);
    assert_int_equal(r->status, 200);
    assert_slice(r->reason, "OK");
    assert_int_equal(r->nheaders, 2);
    assert_slice(r->headers[1].name, "Content-Type");
    assert_slice(r->headers[1].value, "text/plain");
    assert_int_equal(r->body, WEFT_H1_BODY_LENGTH);
    assert_int_equal(r->content_length, 13);
    assert_int_equal(r->flags, WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
}

static void reason_forms(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 404 Not  Found\t(really)\r\nContent-Length: 0\r\n\r\n",
                                WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.status, 404);
    assert_slice(c->resp.reason, "Not  Found\t(really)");
    h1_case_free(c);
    c = resp_ok("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.reason.len, 0);
    h1_case_free(c);
    c = resp_ok("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.reason.len, 0);
    assert_int_equal(c->resp.status, 200);
    h1_case_free(c);
    c = resp_ok("HTTP/1.0 599 Caf\xc3\xa9\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.status, 599);
    assert_int_equal(c->resp.version, 0);
    h1_case_free(c);
}

static void chunked(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                                WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_CHUNKED);
    assert_int_equal(c->resp.flags, WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
}

static void gzip_then_chunked(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_CHUNKED);
    assert_int_equal(c->resp.flags, WEFT_H1_F_KEEP_ALIVE | WEFT_H1_F_TE_CODED);
    h1_case_free(c);
}

static void te_not_chunked_reads_to_close(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                                WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_CLOSE);
    assert_int_equal(c->resp.flags, WEFT_H1_F_TE_CODED);
    h1_case_free(c);
    c = resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_CLOSE);
    h1_case_free(c);
}

static void no_framing_reads_to_close(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_CLOSE);
    assert_int_equal(c->resp.flags & WEFT_H1_F_KEEP_ALIVE, 0);
    h1_case_free(c);
}

static void head_has_no_body(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", WEFT_H1_METHOD_HEAD);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_NONE);
    assert_int_equal(c->resp.content_length, 0);
    assert_true(c->resp.flags & WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
    c = resp_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", WEFT_H1_METHOD_HEAD);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_NONE);
    h1_case_free(c);
}

static void status_204_304_no_body(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_NONE);
    assert_true(c->resp.flags & WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
    c = resp_ok("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_NONE);
    assert_true(c->resp.flags & WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
}

static void interim_1xx(void **state)
{
    (void)state;
    static const char two[] = "HTTP/1.1 100 Continue\r\n\r\n"
                              "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                              "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    weft_h1_parser p;
    weft_h1_header h[4];
    weft_h1_response r;
    const char *b = two;
    size_t len = sizeof two - 1;
    weft_h1_parser_init(&p, NULL);
    int n = weft_h1_parse_response(&p, b, len, WEFT_H1_METHOD_PUT, &r, h, 4);
    assert_int_equal(n, 25);
    assert_int_equal(r.status, 100);
    assert_int_equal(r.body, WEFT_H1_BODY_NONE);
    b += n, len -= (size_t)n;
    n = weft_h1_parse_response(&p, b, len, WEFT_H1_METHOD_PUT, &r, h, 4);
    assert_true(n > 0);
    assert_int_equal(r.status, 103);
    assert_int_equal(r.body, WEFT_H1_BODY_NONE);
    b += n, len -= (size_t)n;
    n = weft_h1_parse_response(&p, b, len, WEFT_H1_METHOD_PUT, &r, h, 4);
    assert_int_equal((size_t)n + 2, len);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.body, WEFT_H1_BODY_LENGTH);
    assert_int_equal(r.content_length, 2);
}

static void switching_protocols(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_NONE);
    assert_true(c->resp.flags & WEFT_H1_F_UPGRADE);
    h1_case_free(c);
}

static void connect_tunnel(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 Connection established\r\n\r\n", WEFT_H1_METHOD_CONNECT);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_NONE);
    assert_true(c->resp.flags & WEFT_H1_F_TUNNEL);
    h1_case_free(c);
    /* A refused CONNECT is an ordinary response with a body. */
    c = resp_ok("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 3\r\n\r\n",
                WEFT_H1_METHOD_CONNECT);
    assert_int_equal(c->resp.body, WEFT_H1_BODY_LENGTH);
    assert_int_equal(c->resp.flags & WEFT_H1_F_TUNNEL, 0);
    h1_case_free(c);
}

static void keep_alive_rules(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.flags & WEFT_H1_F_KEEP_ALIVE, 0);
    h1_case_free(c);
    c = resp_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_true(c->resp.flags & WEFT_H1_F_KEEP_ALIVE);
    h1_case_free(c);
    /* Keep-alive cannot survive a body that ends at close. */
    c = resp_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.flags & WEFT_H1_F_KEEP_ALIVE, 0);
    h1_case_free(c);
    c = resp_ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.flags & WEFT_H1_F_KEEP_ALIVE, 0);
    h1_case_free(c);
}

static void cl_identical_repeats_accepted(void **state)
{
    (void)state;
    struct h1_case *c = resp_ok("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n",
                                WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.content_length, 7);
    h1_case_free(c);
    c = resp_ok("HTTP/1.1 200 OK\r\nContent-Length: 7 , 7,7\r\n\r\n", WEFT_H1_METHOD_GET);
    assert_int_equal(c->resp.content_length, 7);
    h1_case_free(c);
}

static void body_limit(void **state)
{
    (void)state;
    struct h1_case *c = resp_run("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n",
                                 WEFT_H1_METHOD_GET, WEFT_EHTTP_BODY_TOO_LARGE);
    assert_int_equal(c->resp.content_length, 2000000);
    c->lim.max_body = UINT64_MAX;
    assert_true(h1_run(c, 0) > 0);
    h1_case_free(c);
}

static void status_line_limit(void **state)
{
    (void)state;
    char m[300];
    memcpy(m, "HTTP/1.1 200 ", 13);
    memset(m + 13, 'r', 100 - 13);
    memcpy(m + 100, "\r\n\r\n", 5);
    struct h1_case *c = h1_case_new(m, 104);
    c->lim.max_request_line = 100;
    assert_int_equal(h1_run(c, 0), 104);
    c->lim.max_request_line = 99;
    assert_int_equal(h1_run(c, 0), WEFT_EHTTP_HEADERS_TOO_LARGE);
    h1_case_free(c);
}

REJECT(reject_version_2, "HTTP/2.0 200 OK\r\n\r\n", WEFT_EHTTP_VERSION)
REJECT(reject_not_http, "HTTX/1.1 200 OK\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_status_two_digits, "HTTP/1.1 20 OK\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_status_four_digits, "HTTP/1.1 2000 OK\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_status_leading_zero, "HTTP/1.1 099 OK\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_status_letters, "HTTP/1.1 2x0 OK\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_reason_ctl, "HTTP/1.1 200 O\x01K\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_status_bare_lf, "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_double_space, "HTTP/1.1  200 OK\r\n\r\n", WEFT_EHTTP_BAD_STATUS)
REJECT(reject_field_obs_fold, "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", WEFT_EHTTP_PARSE)
REJECT(reject_cl_different, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n",
       WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_list_different, "HTTP/1.1 200 OK\r\nContent-Length: 7, 8\r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_cl_list_empty, "HTTP/1.1 200 OK\r\nContent-Length: 7,\r\n\r\n", WEFT_EHTTP_BAD_LENGTH)
REJECT(reject_te_with_cl, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_chunked_twice, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip, chunked\r\n\r\n",
       WEFT_EHTTP_BAD_FRAMING)
REJECT(reject_te_unknown, "HTTP/1.1 200 OK\r\nTransfer-Encoding: br, chunked\r\n\r\n", WEFT_EHTTP_BAD_TE)
REJECT(reject_te_in_http10, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", WEFT_EHTTP_BAD_FRAMING)

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(ok_with_length),
    cmocka_unit_test(reason_forms),
    cmocka_unit_test(chunked),
    cmocka_unit_test(gzip_then_chunked),
    cmocka_unit_test(te_not_chunked_reads_to_close),
    cmocka_unit_test(no_framing_reads_to_close),
    cmocka_unit_test(head_has_no_body),
    cmocka_unit_test(status_204_304_no_body),
    cmocka_unit_test(interim_1xx),
    cmocka_unit_test(switching_protocols),
    cmocka_unit_test(connect_tunnel),
    cmocka_unit_test(keep_alive_rules),
    cmocka_unit_test(cl_identical_repeats_accepted),
    cmocka_unit_test(body_limit),
    cmocka_unit_test(status_line_limit),
    cmocka_unit_test(reject_version_2),
    cmocka_unit_test(reject_not_http),
    cmocka_unit_test(reject_status_two_digits),
    cmocka_unit_test(reject_status_four_digits),
    cmocka_unit_test(reject_status_leading_zero),
    cmocka_unit_test(reject_status_letters),
    cmocka_unit_test(reject_reason_ctl),
    cmocka_unit_test(reject_status_bare_lf),
    cmocka_unit_test(reject_double_space),
    cmocka_unit_test(reject_field_obs_fold),
    cmocka_unit_test(reject_cl_different),
    cmocka_unit_test(reject_cl_list_different),
    cmocka_unit_test(reject_cl_list_empty),
    cmocka_unit_test(reject_te_with_cl),
    cmocka_unit_test(reject_te_chunked_twice),
    cmocka_unit_test(reject_te_unknown),
    cmocka_unit_test(reject_te_in_http10),
};

WEFT_TEST_MAIN(tests)
