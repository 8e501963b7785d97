/* weft_repr: Python's repr() of text, for logs (the examples print what the
 * Python seeds print). Expected strings are what CPython 3 prints. */
#include <errno.h>
#include <string.h>

#include "weft.h"
#include "weft_test.h"

static void check(const char *in, size_t len, const char *want)
{
    char buf[256];
    int n = weft_repr(in, len, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

#define CHECK(lit, want) check(lit, sizeof(lit) - 1, want)

static void like_python(void **state)
{
    CHECK("hello", "'hello'");
    CHECK("Hello, Server!\n", "'Hello, Server!\\n'");
    CHECK("it's", "\"it's\"");
    CHECK("say \"hi\"", "'say \"hi\"'");
    CHECK("both ' and \"", "'both \\' and \"'");
    CHECK("tab\there\r\n", "'tab\\there\\r\\n'");
    CHECK("back\\slash", "'back\\\\slash'");
    CHECK("\x00\x01\x7f", "'\\x00\\x01\\x7f'");
    CHECK("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'");
    CHECK("", "''");
    /* Not UTF-8 (Python's decode would fail): shown byte by byte. */
    CHECK("\xff\xfe", "'\\xff\\xfe'");
    CHECK("\xc3", "'\\xc3'");            /* truncated sequence */
    CHECK("\xc0\x80", "'\\xc0\\x80'");   /* overlong */
    CHECK("\xed\xa0\x80", "'\\xed\\xa0\\x80'"); /* surrogate */
    CHECK("\xc2\x85", "'\\xc2\\x85'");   /* C1 control */
    check(NULL, 0, "''");
}

static void truncation(void **state)
{
    char buf[12];
    /* Fits exactly: 10 characters + NUL. */
    assert_int_equal(weft_repr("abcdefgh", 8, buf, 11), 10);
    assert_string_equal(buf, "'abcdefgh'");
    /* One more does not: it ends in ...' and never splits an escape. */
    assert_int_equal(weft_repr("abcdefghi", 9, buf, 11), 10);
    assert_string_equal(buf, "'abcde...'");
    assert_int_equal(weft_repr("\n\n\n\n\n\n", 6, buf, 12), 11);
    assert_string_equal(buf, "'\\n\\n\\n...'");
    assert_int_equal(weft_repr("x", 1, buf, 7), -EINVAL);
    assert_int_equal(weft_repr("x", 1, NULL, 100), -EINVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(like_python),
    cmocka_unit_test(truncation),
};

WEFT_TEST_MAIN(tests)
