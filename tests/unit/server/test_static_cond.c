/* test_static_cond.c - ETags and the preconditions of RFC 9110 §13: each
 * header alone, their precedence, weak vs strong comparison, If-Range,
 * malformed and future dates. */
#include "weft_test.h"

#include <string.h>
#include <sys/stat.h>

#include "server/static_int.h"
#include "weft/http.h"

#define ETAG "\"2a-400-17\""

static const struct weft__static_validators v = {
    .etag = ETAG,
    .mtime = 784111777,     /* Sun, 06 Nov 1994 08:49:37 GMT */
    .now = 1700000000,
};

static void etag_from_stat(void **state)
{
    (void)state;
    struct stat st = { 0 };
    st.st_ino = 0x2a;
    st.st_size = 0x400;
    st.st_mtim.tv_sec = 0;
    st.st_mtim.tv_nsec = 0x17;
    char e[WEFT__STATIC_ETAG_MAX];
    assert_int_equal(weft__static_etag(&st, e), strlen(ETAG));
    assert_string_equal(e, ETAG);
    /* An edit within the same second changes it. */
    st.st_mtim.tv_nsec++;
    char e2[WEFT__STATIC_ETAG_MAX];
    weft__static_etag(&st, e2);
    assert_string_not_equal(e, e2);
    /* The longest possible fits. */
    st.st_ino = UINT64_MAX;
    st.st_size = INT64_MAX;
    st.st_mtim.tv_sec = INT64_MAX / 1000000000;
    st.st_mtim.tv_nsec = 999999999;
    assert_true(weft__static_etag(&st, e) < (int)WEFT__STATIC_ETAG_MAX);
}

static void etag_lists(void **state)
{
    (void)state;
    assert_true(weft__static_etag_list_match(ETAG, ETAG, true));
    assert_true(weft__static_etag_list_match("*", ETAG, true));
    assert_true(weft__static_etag_list_match("  * ", ETAG, true));
    assert_true(weft__static_etag_list_match("\"x\", " ETAG, ETAG, true));
    assert_true(weft__static_etag_list_match("\"x\",," ETAG " ,\"y\"", ETAG, true));
    assert_true(weft__static_etag_list_match("W/" ETAG, ETAG, false));
    assert_false(weft__static_etag_list_match("W/" ETAG, ETAG, true));
    assert_false(weft__static_etag_list_match("\"2a-400-1\"", ETAG, false));
    assert_false(weft__static_etag_list_match("", ETAG, false));
    assert_false(weft__static_etag_list_match("2a-400-17", ETAG, false));   /* unquoted */
    assert_false(weft__static_etag_list_match("\"2a-400-17", ETAG, false)); /* unterminated */
    assert_false(weft__static_etag_list_match("\"a\"junk, " ETAG, ETAG, false));
    assert_false(weft__static_etag_list_match("*, " ETAG "x", ETAG, false));
}

static int eval(const char *im, const char *inm, const char *ims, const char *ius, bool gh)
{
    struct weft__static_cond_req q = {
        .if_match = im,
        .if_none_match = inm,
        .if_modified_since = ims,
        .if_unmodified_since = ius,
        .get_or_head = gh,
    };
    return weft__static_cond_eval(&q, &v);
}

#define LM "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER "Mon, 07 Nov 1994 08:49:37 GMT"
#define FUTURE "Fri, 01 Jan 2100 00:00:00 GMT"

static void preconditions(void **state)
{
    (void)state;
    assert_int_equal(eval(NULL, NULL, NULL, NULL, true), 0);
    /* If-None-Match: 304 for GET/HEAD, 412 otherwise. */
    assert_int_equal(eval(NULL, ETAG, NULL, NULL, true), 304);
    assert_int_equal(eval(NULL, "W/" ETAG, NULL, NULL, true), 304); /* weak comparison */
    assert_int_equal(eval(NULL, "*", NULL, NULL, true), 304);
    assert_int_equal(eval(NULL, ETAG, NULL, NULL, false), 412);
    assert_int_equal(eval(NULL, "\"other\"", NULL, NULL, true), 0);
    /* If-Modified-Since: not modified at or after the date. */
    assert_int_equal(eval(NULL, NULL, LM, NULL, true), 304);
    assert_int_equal(eval(NULL, NULL, AFTER, NULL, true), 304);
    assert_int_equal(eval(NULL, NULL, BEFORE, NULL, true), 0);
    assert_int_equal(eval(NULL, NULL, "Sunday, 06-Nov-94 08:49:37 GMT", NULL, true), 304);
    assert_int_equal(eval(NULL, NULL, "Sun Nov  6 08:49:37 1994", NULL, true), 304);
    assert_int_equal(eval(NULL, NULL, "garbage", NULL, true), 0);
    assert_int_equal(eval(NULL, NULL, FUTURE, NULL, true), 0); /* ignored, not 304 */
    assert_int_equal(eval(NULL, NULL, LM, NULL, false), 0);    /* GET/HEAD only */
    /* If-None-Match wins over If-Modified-Since. */
    assert_int_equal(eval(NULL, "\"other\"", LM, NULL, true), 0);
    assert_int_equal(eval(NULL, ETAG, BEFORE, NULL, true), 304);
    /* If-Match: strong; fails closed. */
    assert_int_equal(eval(ETAG, NULL, NULL, NULL, true), 0);
    assert_int_equal(eval("*", NULL, NULL, NULL, true), 0);
    assert_int_equal(eval("W/" ETAG, NULL, NULL, NULL, true), 412);
    assert_int_equal(eval("\"other\"", NULL, NULL, NULL, true), 412);
    assert_int_equal(eval("garbage", NULL, NULL, NULL, true), 412);
    /* If-Unmodified-Since. */
    assert_int_equal(eval(NULL, NULL, NULL, LM, true), 0);
    assert_int_equal(eval(NULL, NULL, NULL, AFTER, true), 0);
    assert_int_equal(eval(NULL, NULL, NULL, BEFORE, true), 412);
    assert_int_equal(eval(NULL, NULL, NULL, "garbage", true), 0);
    /* If-Match wins over If-Unmodified-Since. */
    assert_int_equal(eval(ETAG, NULL, NULL, BEFORE, true), 0);
    /* 412 from If-Match comes before the 304 of If-None-Match. */
    assert_int_equal(eval("\"other\"", ETAG, NULL, NULL, true), 412);
    assert_int_equal(eval(ETAG, ETAG, NULL, NULL, true), 304);
}

static void if_range(void **state)
{
    (void)state;
    assert_true(weft__static_if_range(ETAG, &v));
    assert_true(weft__static_if_range(" " ETAG " ", &v));
    assert_false(weft__static_if_range("W/" ETAG, &v));
    assert_false(weft__static_if_range("\"other\"", &v));
    assert_true(weft__static_if_range(LM, &v));
    assert_false(weft__static_if_range(AFTER, &v)); /* exact match only */
    assert_false(weft__static_if_range(BEFORE, &v));
    assert_false(weft__static_if_range("garbage", &v));
    assert_false(weft__static_if_range("", &v));
    /* A Last-Modified of this very second is weak: no match. */
    struct weft__static_validators fresh = v;
    fresh.now = fresh.mtime;
    assert_false(weft__static_if_range(LM, &fresh));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(etag_from_stat),
    cmocka_unit_test(etag_lists),
    cmocka_unit_test(preconditions),
    cmocka_unit_test(if_range),
};

WEFT_TEST_MAIN(tests)
