/* test_http_common.c - header lists, reason phrases and HTTP dates. */
#include "weft_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/http.h"

static void headers_order_and_case(void **state)
{
    (void)state;
    weft_http_headers *h;
    assert_int_equal(weft_http_headers_new(&h), 0);
    assert_int_equal(weft_http_headers_add(h, "Set-Cookie", "a=1"), 0);
    assert_int_equal(weft_http_headers_add(h, "Content-Type", "  text/html \t"), 0);
    assert_int_equal(weft_http_headers_add(h, "set-cookie", "b=2"), 0);
    assert_int_equal(weft_http_headers_count(h), 3);
    assert_string_equal(weft_http_headers_get(h, "content-type"), "text/html");
    assert_string_equal(weft_http_headers_get(h, "SET-COOKIE"), "a=1");
    assert_null(weft_http_headers_get(h, "Content-Length"));
    int i = weft_http_headers_find(h, "Set-Cookie", 0);
    assert_int_equal(i, 0);
    i = weft_http_headers_find(h, "Set-Cookie", (size_t)i + 1);
    assert_int_equal(i, 2);
    assert_int_equal(weft_http_headers_find(h, "Set-Cookie", 3), -1);
    const char *n, *v;
    size_t nl, vl;
    assert_int_equal(weft_http_headers_at(h, 2, &n, &nl, &v, &vl), 0);
    assert_string_equal(n, "set-cookie"); /* the sender's case is kept */
    assert_int_equal(nl, 10);
    assert_string_equal(v, "b=2");
    assert_int_equal(vl, 3);
    assert_int_equal(weft_http_headers_at(h, 3, &n, NULL, &v, NULL), -ERANGE);

    char wire[256];
    size_t len = weft_http_headers_write(h, wire);
    assert_int_equal(len, weft_http_headers_wire_len(h));
    const char *want = "Set-Cookie: a=1\r\nContent-Type: text/html\r\nset-cookie: b=2\r\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(wire, want, len);

    assert_int_equal(weft_http_headers_remove(h, "SET-cookie"), 2);
    assert_int_equal(weft_http_headers_count(h), 1);
    assert_int_equal(weft_http_headers_remove(h, "Set-Cookie"), 0);
    weft_http_headers_free(h);
}

static void headers_set_and_default(void **state)
{
    (void)state;
    weft_http_headers *h, *c;
    assert_int_equal(weft_http_headers_new(&h), 0);
    assert_int_equal(weft_http_headers_add(h, "Accept", "a"), 0);
    assert_int_equal(weft_http_headers_add(h, "X-Dup", "1"), 0);
    assert_int_equal(weft_http_headers_add(h, "Host", "h"), 0);
    assert_int_equal(weft_http_headers_add(h, "x-dup", "2"), 0);
    assert_int_equal(weft_http_headers_set(h, "X-DUP", "3"), 0);
    assert_int_equal(weft_http_headers_count(h), 3);
    const char *n, *v;
    assert_int_equal(weft_http_headers_at(h, 1, &n, NULL, &v, NULL), 0);
    assert_string_equal(n, "X-Dup"); /* kept its place and first spelling */
    assert_string_equal(v, "3");
    assert_int_equal(weft_http_headers_set(h, "New", "n"), 0);
    assert_int_equal(weft_http_headers_at(h, 3, &n, NULL, &v, NULL), 0);
    assert_string_equal(n, "New");
    assert_int_equal(weft_http_headers_setdefault(h, "accept", "other"), 0);
    assert_string_equal(weft_http_headers_get(h, "Accept"), "a");
    assert_int_equal(weft_http_headers_setdefault(h, "User-Agent", "ua"), 0);
    assert_string_equal(weft_http_headers_get(h, "user-agent"), "ua");

    assert_int_equal(weft_http_headers_new(&c), 0);
    assert_int_equal(weft_http_headers_add(c, "Old", "x"), 0);
    assert_int_equal(weft_http_headers_copy(c, h), 0);
    assert_int_equal(weft_http_headers_count(c), weft_http_headers_count(h));
    assert_null(weft_http_headers_get(c, "Old"));
    assert_string_equal(weft_http_headers_get(c, "new"), "n");
    weft_http_headers_clear(h);
    assert_int_equal(weft_http_headers_count(h), 0);
    assert_string_equal(weft_http_headers_get(c, "host"), "h"); /* a real copy */
    weft_http_headers_free(h);
    weft_http_headers_free(c);
}

/* Nothing that could put a second header (or a body) on the wire gets in. */
static void headers_refuse_injection(void **state)
{
    (void)state;
    weft_http_headers *h;
    assert_int_equal(weft_http_headers_new(&h), 0);
    assert_int_equal(weft_http_headers_add(h, "X", "a\r\nEvil: 1"), -EINVAL);
    assert_int_equal(weft_http_headers_add(h, "X", "a\nb"), -EINVAL);
    assert_int_equal(weft_http_headers_add(h, "X", "a\rb"), -EINVAL);
    assert_int_equal(weft_http_headers_addn(h, "X", 1, "a\0b", 3), -EINVAL);
    assert_int_equal(weft_http_headers_add(h, "Bad Name", "v"), -EINVAL);
    assert_int_equal(weft_http_headers_add(h, "Bad:Name", "v"), -EINVAL);
    assert_int_equal(weft_http_headers_add(h, "", "v"), -EINVAL);
    assert_int_equal(weft_http_headers_add(h, "X\r\n", "v"), -EINVAL);
    assert_int_equal(weft_http_headers_set(h, "X", "ok\r\n"), -EINVAL);
    assert_int_equal(weft_http_headers_count(h), 0);
    assert_int_equal(weft_http_headers_add(h, "X-Ok_~!#$%&'*+.^`|", "tab\tinside \x80 ok"), 0);
    assert_true(weft_http_token_valid("Content-Type", 12));
    assert_false(weft_http_token_valid("a(b", 3));
    assert_true(weft_http_value_valid("", 0));
    weft_http_headers_free(h);
}

static void headers_limits(void **state)
{
    (void)state;
    weft_http_headers *h;
    assert_int_equal(weft_http_headers_new(&h), 0);
    size_t i;
    for (i = 0; i < WEFT_HTTP_HEADERS_MAX_FIELDS; i++)
        assert_int_equal(weft_http_headers_add(h, "X", "y"), 0);
    assert_int_equal(weft_http_headers_add(h, "X", "y"), -E2BIG);
    weft_http_headers_clear(h);
    size_t big = WEFT_HTTP_HEADERS_MAX_BYTES / 2;
    char *v = malloc(big + 1);
    assert_non_null(v);
    memset(v, 'v', big);
    v[big] = '\0';
    assert_int_equal(weft_http_headers_add(h, "A", v), 0);
    assert_int_equal(weft_http_headers_add(h, "B", v), -E2BIG);
    assert_int_equal(weft_http_headers_count(h), 1);
    free(v);
    weft_http_headers_free(h);
}

static void headers_tokens(void **state)
{
    (void)state;
    weft_http_headers *h;
    assert_int_equal(weft_http_headers_new(&h), 0);
    assert_int_equal(weft_http_headers_add(h, "Connection", "keep-alive , Upgrade"), 0);
    assert_int_equal(weft_http_headers_add(h, "connection", ",,close"), 0);
    assert_true(weft_http_headers_has_token(h, "Connection", "upgrade"));
    assert_true(weft_http_headers_has_token(h, "Connection", "KEEP-ALIVE"));
    assert_true(weft_http_headers_has_token(h, "Connection", "close"));
    assert_false(weft_http_headers_has_token(h, "Connection", "keep"));
    assert_false(weft_http_headers_has_token(h, "Upgrade", "close"));
    weft_http_headers_free(h);
}

static void reasons(void **state)
{
    (void)state;
    assert_string_equal(weft_http_reason(200), "OK");
    assert_string_equal(weft_http_reason(404), "Not Found");
    assert_string_equal(weft_http_reason(413), "Content Too Large");
    assert_string_equal(weft_http_reason(599), "");
    assert_string_equal(weft_http_reason(-1), "");
}

static void date_format(void **state)
{
    (void)state;
    char buf[WEFT_HTTP_DATE_LEN + 1];
    assert_int_equal(weft_http_date_format(784111777, buf), WEFT_HTTP_DATE_LEN);
    assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_int_equal(weft_http_date_format(0, buf), WEFT_HTTP_DATE_LEN);
    assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_int_equal(weft_http_date_format(951782400, buf), WEFT_HTTP_DATE_LEN);
    assert_string_equal(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
    assert_int_equal(weft_http_date_format((time_t)400000 * 365 * 86400, buf), -EINVAL);
}

static int parse(const char *s, time_t *t)
{
    return weft_http_date_parse(s, strlen(s), t);
}

static void date_parse_three_formats(void **state)
{
    (void)state;
    time_t t = 0;
    assert_int_equal(parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
    assert_int_equal(t, 784111777);
    t = 0;
    assert_int_equal(parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
    assert_int_equal(t, 784111777);
    t = 0;
    assert_int_equal(parse("Sun Nov  6 08:49:37 1994", &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(parse("Tue, 29 Feb 2000 00:00:00 GMT", &t), 0);
    assert_int_equal(t, 951782400);

    /* Round trip through the formatter for a spread of times. */
    for (time_t x = 0; x < (time_t)4102444800; x += 86400 * 37 + 3607) {
        char buf[WEFT_HTTP_DATE_LEN + 1];
        assert_int_equal(weft_http_date_format(x, buf), WEFT_HTTP_DATE_LEN);
        assert_int_equal(parse(buf, &t), 0);
        assert_int_equal(t, x);
    }
}

static void date_parse_rejects(void **state)
{
    (void)state;
    time_t t = 12345;
    static const char *bad[] = {
        "",
        "Sun, 06 Nov 1994 08:49:37 UTC",   /* not GMT */
        "Mon, 06 Nov 1994 08:49:37 GMT",   /* wrong weekday */
        "Sun, 6 Nov 1994 08:49:37 GMT",    /* day not two digits */
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Thu, 29 Feb 2001 00:00:00 GMT",   /* no such day */
        "Sun, 31 Apr 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT ",  /* trailing garbage */
        "sun, 06 nov 1994 08:49:37 gmt",   /* case matters in HTTP-date */
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 06 08:49:37 94",
        "1994-11-06T08:49:37Z",
        "Funday, 06-Nov-94 08:49:37 GMT",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse(bad[i], &t), -EINVAL);
        assert_int_equal(t, 12345);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(headers_order_and_case),
    cmocka_unit_test(headers_set_and_default),
    cmocka_unit_test(headers_refuse_injection),
    cmocka_unit_test(headers_limits),
    cmocka_unit_test(headers_tokens),
    cmocka_unit_test(reasons),
    cmocka_unit_test(date_format),
    cmocka_unit_test(date_parse_three_formats),
    cmocka_unit_test(date_parse_rejects),
};

WEFT_TEST_MAIN(tests)
