/* test_form.c - application/x-www-form-urlencoded build and parse. */
#include "weft_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weft/form.h"

static void encode_basic(void **state)
{
    (void)state;
    weft_form *f;
    assert_int_equal(weft_form_new(&f), 0);
    assert_int_equal(weft_form_add(f, "name", WEFT_FORM_NTS, "John Smith", WEFT_FORM_NTS), 0);
    assert_int_equal(weft_form_add(f, "q", WEFT_FORM_NTS, "a+b=c&d/e?f~g*h", WEFT_FORM_NTS), 0);
    assert_int_equal(weft_form_add(f, "caf\xc3\xa9", WEFT_FORM_NTS, "", 0), 0);
    assert_int_equal(weft_form_add(f, "nul", 3, "a\0b", 3), 0);
    char *s;
    int n = weft_form_encode(f, &s);
    /* the same bytes Python's urllib.parse.urlencode produces, except that
     * '~' is escaped and '*' kept, as the WHATWG serializer does */
    const char *want = "name=John+Smith&q=a%2Bb%3Dc%26d%2Fe%3Ff%7Eg*h&caf%C3%A9=&nul=a%00b";
    assert_string_equal(s, want);
    assert_int_equal(n, (int)strlen(want));
    free(s);
    assert_int_equal(weft_form_count(f), 4);
    weft_form_free(f);
}

static void encode_empty(void **state)
{
    (void)state;
    weft_form *f;
    assert_int_equal(weft_form_new(&f), 0);
    char *s;
    assert_int_equal(weft_form_encode(f, &s), 0);
    assert_string_equal(s, "");
    free(s);
    weft_form_free(f);
}

static void parse_basic(void **state)
{
    (void)state;
    weft_form *f;
    const char *in = "a=1&b=x+y%20z&&c&=empty&d=%zz%4&e=%2B%26%3D&a=2";
    assert_int_equal(weft_form_parse(in, strlen(in), NULL, &f), 0);
    assert_int_equal(weft_form_count(f), 7);
    const char *n, *v;
    size_t nl, vl;
    assert_int_equal(weft_form_get(f, 1, &n, &nl, &v, &vl), 0);
    assert_string_equal(n, "b");
    assert_string_equal(v, "x y z");
    assert_int_equal(weft_form_get(f, 2, &n, NULL, &v, &vl), 0);
    assert_string_equal(n, "c"); /* no '=': value empty */
    assert_int_equal(vl, 0);
    assert_int_equal(weft_form_get(f, 3, &n, &nl, &v, NULL), 0);
    assert_int_equal(nl, 0); /* "=empty": empty name */
    assert_string_equal(v, "empty");
    assert_string_equal(weft_form_find(f, "d", NULL), "%zz%4"); /* malformed kept */
    assert_string_equal(weft_form_find(f, "e", NULL), "+&=");
    assert_string_equal(weft_form_find(f, "a", &vl), "1"); /* first one wins */
    assert_int_equal(vl, 1);
    assert_null(weft_form_find(f, "zzz", NULL));
    assert_int_equal(weft_form_get(f, 7, &n, &nl, &v, &vl), -ERANGE);
    weft_form_free(f);
}

static void parse_binary(void **state)
{
    (void)state;
    weft_form *f;
    assert_int_equal(weft_form_parse("k=a%00b", 7, NULL, &f), 0);
    const char *v;
    size_t vl;
    assert_int_equal(weft_form_get(f, 0, NULL, NULL, &v, &vl), 0);
    assert_int_equal(vl, 3);
    assert_memory_equal(v, "a\0b", 3);
    weft_form_free(f);
}

static void roundtrip(void **state)
{
    (void)state;
    weft_form *f, *g;
    assert_int_equal(weft_form_new(&f), 0);
    char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (char)i;
    assert_int_equal(weft_form_add(f, bytes, 256, bytes + 32, 100), 0);
    assert_int_equal(weft_form_add(f, "x", 1, " + & = ", 7), 0);
    char *s;
    int n = weft_form_encode(f, &s);
    assert_true(n > 0);
    assert_int_equal(weft_form_parse(s, (size_t)n, NULL, &g), 0);
    assert_int_equal(weft_form_count(g), 2);
    const char *k, *v;
    size_t kl, vl;
    assert_int_equal(weft_form_get(g, 0, &k, &kl, &v, &vl), 0);
    assert_int_equal(kl, 256);
    assert_memory_equal(k, bytes, 256);
    assert_int_equal(vl, 100);
    assert_memory_equal(v, bytes + 32, 100);
    assert_string_equal(weft_form_find(g, "x", NULL), " + & = ");
    free(s);
    weft_form_free(f);
    weft_form_free(g);
}

static void parse_limits(void **state)
{
    (void)state;
    weft_form *f = NULL;
    weft_form_limits lim = { .max_pairs = 3 };
    assert_int_equal(weft_form_parse("a&b&c", 5, &lim, &f), 0);
    weft_form_free(f);
    f = NULL;
    assert_int_equal(weft_form_parse("a&b&c&d", 7, &lim, &f), -E2BIG);
    assert_null(f);
    /* empty pieces do not count */
    assert_int_equal(weft_form_parse("a&&&&b&c&", 9, &lim, &f), 0);
    weft_form_free(f);
    lim = (weft_form_limits){ .max_length = 4 };
    assert_int_equal(weft_form_parse("a=12", 4, &lim, &f), 0);
    weft_form_free(f);
    f = NULL;
    assert_int_equal(weft_form_parse("a=123", 5, &lim, &f), -E2BIG);
    assert_null(f);
    /* the default pair limit */
    size_t n = (WEFT_FORM_MAX_PAIRS + 1) * 2;
    char *s = malloc(n);
    for (size_t i = 0; i < n; i += 2) {
        s[i] = 'a';
        s[i + 1] = '&';
    }
    assert_int_equal(weft_form_parse(s, n, NULL, &f), -E2BIG);
    assert_int_equal(weft_form_parse(s, n - 2, NULL, &f), 0);
    assert_int_equal(weft_form_count(f), WEFT_FORM_MAX_PAIRS);
    weft_form_free(f);
    free(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(encode_basic),
    cmocka_unit_test(encode_empty),
    cmocka_unit_test(parse_basic),
    cmocka_unit_test(parse_binary),
    cmocka_unit_test(roundtrip),
    cmocka_unit_test(parse_limits),
};

WEFT_TEST_MAIN(tests)
