/* test_static_range.c - the Range header: forms of range-spec, what is
 * ignored, what is unsatisfiable, coalescing, limits, the overlapping-ranges
 * attack, and the multipart/byteranges framing and its length. */
#include "weft_test.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/static_int.h"

static struct weft__static_range r[WEFT__STATIC_MAX_RANGES];

static int parse(const char *v, uint64_t size)
{
    memset(r, 0xaa, sizeof r);
    return weft__static_range_parse(v, strlen(v), size, WEFT__STATIC_MAX_RANGES, r);
}

#define ONE(v, size, a, b)                                                    \
    do {                                                                      \
        assert_int_equal(parse(v, size), 1);                                  \
        assert_int_equal(r[0].first, (a));                                    \
        assert_int_equal(r[0].last, (b));                                     \
    } while (0)

static void range_single(void **state)
{
    (void)state;
    ONE("bytes=0-499", 10000, 0, 499);
    ONE("bytes=500-999", 10000, 500, 999);
    ONE("bytes=-500", 10000, 9500, 9999);     /* suffix */
    ONE("bytes=9500-", 10000, 9500, 9999);    /* open */
    ONE("bytes=0-0", 10000, 0, 0);
    ONE("bytes=-1", 10000, 9999, 9999);
    ONE("bytes=0-99999", 10000, 0, 9999);     /* last-pos clamped */
    ONE("bytes=-99999", 10000, 0, 9999);      /* longer suffix: whole file */
    ONE("BYTES=1-2", 10, 1, 2);               /* unit case-insensitive */
    ONE("  bytes=1-2  ", 10, 1, 2);
    ONE("bytes= 1-2 ,", 10, 1, 2);            /* OWS, empty elements */
    ONE("bytes=,,1-2", 10, 1, 2);
    ONE("bytes=0-18446744073709551615", 10, 0, 9);
    ONE("bytes=0-99999999999999999999999999", 10, 0, 9); /* saturates */
    ONE("bytes=-99999999999999999999999999", 10, 0, 9);
}

static void range_ignored(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-a", "bytes=1", "bytes=5-1",
        "bytes=1-2;3-4", "bytes=1 -2", "bytes=1- 2", "items=0-5", "bytes =0-5", "bytes:0-5",
        "bytes=0-5,x", "bytes=0-5,5-1", "bytes=--5", "bytes=+1-2", "bytes=0x1-2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int n = parse(bad[i], 100);
        if (n != 0)
            fail_msg("\"%s\": %d, want 0 (ignored)", bad[i], n);
    }
}

static void range_unsatisfiable(void **state)
{
    (void)state;
    assert_int_equal(parse("bytes=100-", 100), -ERANGE);
    assert_int_equal(parse("bytes=100-200", 100), -ERANGE);
    assert_int_equal(parse("bytes=-0", 100), -ERANGE);
    assert_int_equal(parse("bytes=200-300, 400-", 100), -ERANGE);
    assert_int_equal(parse("bytes=0-5", 0), -ERANGE);
    /* An empty file: a suffix range is satisfiable but is the (empty)
     * whole, which only a 200 can say. */
    assert_int_equal(parse("bytes=-5", 0), 0);
    /* Unsatisfiable ones are dropped when others remain. */
    ONE("bytes=200-300, 10-20", 100, 10, 20);
}

static void range_multiple(void **state)
{
    (void)state;
    assert_int_equal(parse("bytes=0-9, 50-59, -10", 1000), 3);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 9);
    assert_int_equal(r[1].first, 50);
    assert_int_equal(r[2].first, 990);
    assert_int_equal(r[2].last, 999);
    /* The order asked is kept when nothing merges. */
    assert_int_equal(parse("bytes=500-599,0-99", 1000), 2);
    assert_int_equal(r[0].first, 500);
    assert_int_equal(r[1].first, 0);
    /* Overlapping and touching ranges coalesce, ascending. */
    assert_int_equal(parse("bytes=500-599,0-99,100-199,550-650", 1000), 2);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 199);
    assert_int_equal(r[1].first, 500);
    assert_int_equal(r[1].last, 650);
    assert_int_equal(parse("bytes=0-10,5-20", 1000), 1);
    assert_int_equal(r[0].last, 20);
    assert_int_equal(parse("bytes=0-0,0-0,0-0,0-0", 1000), 1);
}

static void range_abuse(void **state)
{
    (void)state;
    /* Ranges adding up past the file: the whole file instead, once. */
    assert_int_equal(parse("bytes=0-,0-", 1000), 0);
    assert_int_equal(parse("bytes=0-999,1-999", 1000), 0);
    /* More specs than the limit: ignored. */
    char big[8192];
    size_t o = (size_t)snprintf(big, sizeof big, "bytes=");
    for (unsigned i = 0; i <= WEFT__STATIC_MAX_RANGES; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "%u-%u,", i * 10, i * 10 + 1);
    assert_int_equal(parse(big, 100000), 0);
    /* Exactly the limit is fine. */
    o = (size_t)snprintf(big, sizeof big, "bytes=");
    for (unsigned i = 0; i < WEFT__STATIC_MAX_RANGES; i++)
        o += (size_t)snprintf(big + o, sizeof big - o, "%u-%u,", i * 10, i * 10 + 1);
    assert_int_equal(parse(big, 100000), WEFT__STATIC_MAX_RANGES);
    /* A smaller limit given by the caller. */
    struct weft__static_range two[2];
    assert_int_equal(weft__static_range_parse("bytes=0-1,5-6,9-10", 18, 100, 2, two), 0);
    assert_int_equal(weft__static_range_parse("bytes=0-1,5-6", 13, 100, 2, two), 2);
}

static void multipart_framing(void **state)
{
    (void)state;
    char b1[25], b2[25];
    weft__static_boundary(b1);
    weft__static_boundary(b2);
    assert_int_equal(strlen(b1), 24);
    assert_string_not_equal(b1, b2);
    for (int i = 0; i < 24; i++)
        assert_non_null(strchr("0123456789abcdef", b1[i]));

    const char *ct = "text/plain; charset=utf-8";
    struct weft__static_range rs[3] = { { 0, 4 }, { 10, 10 }, { 9990, 9999 } };
    char head[512];
    int n = weft__static_part_head(head, sizeof head, "BOUND", ct, &rs[0], 10000, true);
    const char *want = "--BOUND\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       "Content-Range: bytes 0-4/10000\r\n\r\n";
    assert_int_equal(n, strlen(want));
    assert_string_equal(head, want);
    n = weft__static_part_head(head, sizeof head, "BOUND", ct, &rs[1], 10000, false);
    assert_memory_equal(head, "\r\n--BOUND\r\n", 11);
    assert_int_equal(weft__static_part_head(head, 20, "BOUND", ct, &rs[1], 10000, false), -ENOSPC);
    n = weft__static_part_tail(head, sizeof head, "BOUND");
    assert_string_equal(head, "\r\n--BOUND--\r\n");
    assert_int_equal(weft__static_part_tail(head, 5, "BOUND"), -ENOSPC);

    /* The announced length is what the framing adds up to. */
    uint64_t sum = 0;
    for (int i = 0; i < 3; i++) {
        n = weft__static_part_head(head, sizeof head, b1, ct, &rs[i], 10000, i == 0);
        assert_true(n > 0);
        sum += (uint64_t)n + rs[i].last - rs[i].first + 1;
    }
    sum += (uint64_t)weft__static_part_tail(head, sizeof head, b1);
    assert_int_equal(weft__static_multipart_length(b1, ct, rs, 3, 10000), sum);
    struct weft__static_range huge = { 0, UINT64_MAX / 4 };
    char big[512];
    n = weft__static_part_head(big, sizeof big, b1, ct, &huge, UINT64_MAX / 2, true);
    assert_int_equal(weft__static_multipart_length(b1, ct, &huge, 1, UINT64_MAX / 2),
                     (uint64_t)n + huge.last + 1 + (uint64_t)weft__static_part_tail(head, sizeof head, b1));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(range_single),
    cmocka_unit_test(range_ignored),
    cmocka_unit_test(range_unsatisfiable),
    cmocka_unit_test(range_multiple),
    cmocka_unit_test(range_abuse),
    cmocka_unit_test(multipart_framing),
};

WEFT_TEST_MAIN(tests)
