/* test_cookie.c - Set-Cookie parsing (RFC 6265 5.2) and cookie dates (5.1.1). */
#include "weft_test.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weft/cookie.h"

#define NOW ((time_t)1600000000) /* 2020-09-13, fixed so tests never depend on the clock */

static weft_cookie *C(const char *s)
{
    weft_cookie *c = NULL;
    int rc = weft_cookie_parse(s, strlen(s), NOW, NULL, &c);
    if (rc)
        fail_msg("parse(%s) = %d", s, rc);
    return c;
}

static int cerr(const char *s)
{
    weft_cookie *c = NULL;
    int rc = weft_cookie_parse(s, strlen(s), NOW, NULL, &c);
    weft_cookie_free(c);
    return rc;
}

static time_t D(const char *s)
{
    time_t t = 0;
    int rc = weft_cookie_parse_date(s, strlen(s), &t);
    if (rc)
        fail_msg("date(%s) = %d", s, rc);
    return t;
}

static int derr(const char *s)
{
    time_t t;
    return weft_cookie_parse_date(s, strlen(s), &t);
}

static void parse_basic(void **state)
{
    (void)state;
    weft_cookie *c = C("SID=31d4d96e407aad42; Path=/; Domain=.Example.COM; Secure; HttpOnly; "
                       "SameSite=Lax");
    assert_string_equal(weft_cookie_name(c), "SID");
    assert_string_equal(weft_cookie_value(c), "31d4d96e407aad42");
    assert_string_equal(weft_cookie_path(c), "/");
    assert_string_equal(weft_cookie_domain(c), "example.com");
    assert_true(weft_cookie_secure(c));
    assert_true(weft_cookie_http_only(c));
    assert_int_equal(weft_cookie_samesite(c), WEFT_SAMESITE_LAX);
    assert_false(weft_cookie_expires(c, NULL)); /* session cookie */
    assert_false(weft_cookie_host_only(c));
    weft_cookie_free(c);
}

static void parse_pair_rules(void **state)
{
    (void)state;
    /* whitespace trimmed around name and value; quotes kept; '=' in value */
    weft_cookie *c = C("  lang  =  \"en-US\"  ");
    assert_string_equal(weft_cookie_name(c), "lang");
    assert_string_equal(weft_cookie_value(c), "\"en-US\"");
    weft_cookie_free(c);
    c = C("a=b=c");
    assert_string_equal(weft_cookie_value(c), "b=c");
    weft_cookie_free(c);
    c = C("empty=");
    assert_string_equal(weft_cookie_value(c), "");
    weft_cookie_free(c);
    c = C("t=a\tb");
    assert_string_equal(weft_cookie_value(c), "a\tb"); /* HTAB is allowed inside */
    weft_cookie_free(c);
    /* ignored cookies (5.2 steps 2 and 5, 6265bis control characters) */
    assert_int_equal(cerr("novalue"), WEFT_ECOOKIE);
    assert_int_equal(cerr("=value"), WEFT_ECOOKIE);
    assert_int_equal(cerr("  =value"), WEFT_ECOOKIE);
    assert_int_equal(cerr(""), WEFT_ECOOKIE);
    assert_int_equal(cerr("; a=b"), WEFT_ECOOKIE);
    assert_int_equal(cerr("a=b\r\nSet-Cookie: evil=1"), WEFT_ECOOKIE);
    assert_int_equal(cerr("a\x01=b"), WEFT_ECOOKIE);
    assert_int_equal(cerr("a\tb=c"), WEFT_ECOOKIE); /* tab in a name */
    assert_int_equal(cerr("a=b\x7f"), WEFT_ECOOKIE);
    weft_cookie *z = NULL;
    assert_int_equal(weft_cookie_parse("a=b\0c", 5, NOW, NULL, &z), WEFT_ECOOKIE);
}

static void parse_attributes(void **state)
{
    (void)state;
    /* case-insensitive names, last one wins, unknown ones ignored */
    weft_cookie *c = C("a=b; PATH=/x; path=/y; DOMAIN=a.com; domain=b.com; foo=bar; "
                       "SECURE; samesite=strict; SameSite=None");
    assert_string_equal(weft_cookie_path(c), "/y");
    assert_string_equal(weft_cookie_domain(c), "b.com");
    assert_int_equal(weft_cookie_samesite(c), WEFT_SAMESITE_NONE);
    assert_true(weft_cookie_secure(c));
    assert_false(weft_cookie_http_only(c));
    weft_cookie_free(c);
    /* a Path not starting with '/' means the default path; empty Domain ignored */
    c = C("a=b; Path=x/y; Domain=");
    assert_null(weft_cookie_path(c));
    assert_null(weft_cookie_domain(c));
    weft_cookie_free(c);
    c = C("a=b; Path=/ok; Path=bad");
    assert_null(weft_cookie_path(c));
    weft_cookie_free(c);
    /* unknown SameSite values give the default */
    c = C("a=b; SameSite=Bogus");
    assert_int_equal(weft_cookie_samesite(c), WEFT_SAMESITE_DEFAULT);
    weft_cookie_free(c);
    /* attribute without a value, stray semicolons */
    c = C("a=b;;; Secure= ;HttpOnly=yes;");
    assert_true(weft_cookie_secure(c));
    assert_true(weft_cookie_http_only(c));
    weft_cookie_free(c);
}

static void expiry_precedence(void **state)
{
    (void)state;
    time_t t;
    /* Max-Age wins over Expires, whatever the order */
    weft_cookie *c = C("a=b; Max-Age=3600; Expires=Wed, 09 Jun 2021 10:18:14 GMT");
    assert_true(weft_cookie_expires(c, &t));
    assert_int_equal(t, NOW + 3600);
    weft_cookie_free(c);
    c = C("a=b; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Max-Age=60");
    assert_true(weft_cookie_expires(c, &t));
    assert_int_equal(t, NOW + 60);
    weft_cookie_free(c);
    c = C("a=b; Expires=Wed, 09 Jun 2021 10:18:14 GMT");
    assert_true(weft_cookie_expires(c, &t));
    assert_int_equal(t, 1623233894);
    weft_cookie_free(c);
    /* Max-Age <= 0: expired at once */
    c = C("a=b; Max-Age=0");
    assert_true(weft_cookie_expires(c, &t));
    assert_true(t <= NOW);
    weft_cookie_free(c);
    c = C("a=b; Max-Age=-5");
    assert_true(weft_cookie_expires(c, &t));
    assert_true(t <= NOW);
    weft_cookie_free(c);
    /* bad Max-Age values are ignored, so Expires (or nothing) rules */
    c = C("a=b; Max-Age=12x; Max-Age=; Max-Age=-; Max-Age=+5");
    assert_false(weft_cookie_expires(c, &t));
    weft_cookie_free(c);
    c = C("a=b; Expires=not a date");
    assert_false(weft_cookie_expires(c, &t));
    weft_cookie_free(c);
    /* 6265bis: lifetimes are capped at 400 days, huge values saturate */
    c = C("a=b; Max-Age=99999999999999999999999");
    assert_true(weft_cookie_expires(c, &t));
    assert_int_equal(t, NOW + 400 * 86400);
    weft_cookie_free(c);
    c = C("a=b; Expires=Fri, 31 Dec 9999 23:59:59 GMT");
    assert_true(weft_cookie_expires(c, &t));
    assert_int_equal(t, NOW + 400 * 86400);
    weft_cookie_free(c);
    /* an Expires in the past is kept as such (the jar treats it as deletion) */
    c = C("a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    assert_true(weft_cookie_expires(c, &t));
    assert_int_equal(t, 0);
    weft_cookie_free(c);
}

static void dates_formats(void **state)
{
    (void)state;
    assert_int_equal(D("Wed, 09 Jun 2021 10:18:14 GMT"), 1623233894);       /* RFC 1123 */
    assert_int_equal(D("Wednesday, 09-Jun-21 10:18:14 GMT"), 1623233894);   /* RFC 850 */
    assert_int_equal(D("Wed Jun  9 10:18:14 2021"), 1623233894);            /* asctime */
    assert_int_equal(D("wed, 09-JUN-2021 10:18:14 utc"), 1623233894);
    assert_int_equal(D("09 Jun 2021 10:18:14"), 1623233894);
    assert_int_equal(D("Jun 2021 10:18:14 9"), 1623233894);                 /* any order */
    assert_int_equal(D("12th of June 2021 1:2:3"), 1623459723);             /* trailing non-digits */
    assert_int_equal(D("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    assert_int_equal(D("Sat, 01-Jan-70 00:00:01 GMT"), 1);                  /* 70 -> 1970 */
    assert_int_equal(D("01 Jan 69 00:00:00"), 3124224000);                  /* 69 -> 2069 */
    assert_int_equal(D("Sat, 29 Feb 2020 12:00:00 GMT"), 1582977600);       /* leap day */
    assert_int_equal(D("01 Mar 2000 00:00:00"), 951868800);                 /* 400-year leap */
    assert_int_equal(D("Fri, 31 Dec 9999 23:59:59 GMT"), 253402300799);
    assert_int_equal(D("01 Jan 1601 00:00:00"), (time_t)-11644473600LL);
}

static void dates_invalid(void **state)
{
    (void)state;
    assert_int_equal(derr(""), WEFT_ECOOKIE);
    assert_int_equal(derr("Wed, 09 Jun 2021"), WEFT_ECOOKIE);           /* no time */
    assert_int_equal(derr("Wed, Jun 2021 10:18:14"), WEFT_ECOOKIE);     /* no day */
    assert_int_equal(derr("Wed, 09 2021 10:18:14"), WEFT_ECOOKIE);      /* no month */
    assert_int_equal(derr("Wed, 09 Jun 10:18:14"), WEFT_ECOOKIE);       /* no year */
    assert_int_equal(derr("09 Jun 1600 10:18:14"), WEFT_ECOOKIE);       /* before 1601 */
    assert_int_equal(derr("09 Jun 2021 24:00:00"), WEFT_ECOOKIE);
    assert_int_equal(derr("09 Jun 2021 23:60:00"), WEFT_ECOOKIE);
    assert_int_equal(derr("09 Jun 2021 23:00:60"), WEFT_ECOOKIE);
    assert_int_equal(derr("32 Jan 2021 10:00:00"), WEFT_ECOOKIE);
    assert_int_equal(derr("00 Jan 2021 10:00:00"), WEFT_ECOOKIE);
    assert_int_equal(derr("29 Feb 2021 10:00:00"), WEFT_ECOOKIE);       /* not a leap year */
    assert_int_equal(derr("29 Feb 1900 10:00:00"), WEFT_ECOOKIE);       /* century rule */
    assert_int_equal(derr("31 Apr 2021 10:00:00"), WEFT_ECOOKIE);
    assert_int_equal(derr("09 Jun 20211 10:18:14"), WEFT_ECOOKIE);      /* 5-digit year */
    assert_int_equal(derr("09 Jun 2021 100:18:14"), WEFT_ECOOKIE);
    assert_int_equal(derr("09 Ju 2021 10:18:14"), WEFT_ECOOKIE);
}

static void limits(void **state)
{
    (void)state;
    /* name + value up to 4096 bytes */
    char *s = malloc(WEFT_COOKIE_MAX_LENGTH + 2);
    s[0] = 'n';
    s[1] = '=';
    memset(s + 2, 'v', WEFT_COOKIE_MAX_SIZE - 1);
    weft_cookie *c = NULL;
    assert_int_equal(weft_cookie_parse(s, WEFT_COOKIE_MAX_SIZE + 1, NOW, NULL, &c), 0);
    weft_cookie_free(c);
    c = NULL;
    s[WEFT_COOKIE_MAX_SIZE + 1] = 'v';
    assert_int_equal(weft_cookie_parse(s, WEFT_COOKIE_MAX_SIZE + 2, NOW, NULL, &c), WEFT_ECOOKIE);
    assert_null(c);
    /* whole header length */
    memset(s, ';', WEFT_COOKIE_MAX_LENGTH + 1);
    memcpy(s, "a=b", 3);
    assert_int_equal(weft_cookie_parse(s, WEFT_COOKIE_MAX_LENGTH + 1, NOW, NULL, &c), WEFT_ECOOKIE);
    free(s);
    /* attribute count */
    weft_cookie_limits lim = { .max_attrs = 2 };
    assert_int_equal(weft_cookie_parse("a=b; Secure; HttpOnly", 21, NOW, &lim, &c), 0);
    weft_cookie_free(c);
    assert_int_equal(weft_cookie_parse("a=b; Secure; HttpOnly; x", 24, NOW, &lim, &c), WEFT_ECOOKIE);
    /* long attribute values are ignored, not fatal */
    lim = (weft_cookie_limits){ .max_attr_value = 4 };
    assert_int_equal(weft_cookie_parse("a=b; Path=/abcd; Domain=x.io", 28, NOW, &lim, &c), 0);
    assert_null(weft_cookie_path(c));
    assert_string_equal(weft_cookie_domain(c), "x.io");
    weft_cookie_free(c);
    /* custom size limit */
    lim = (weft_cookie_limits){ .max_size = 3 };
    assert_int_equal(weft_cookie_parse("ab=c", 4, NOW, &lim, &c), 0);
    weft_cookie_free(c);
    assert_int_equal(weft_cookie_parse("ab=cd", 5, NOW, &lim, &c), WEFT_ECOOKIE);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_basic),
    cmocka_unit_test(parse_pair_rules),
    cmocka_unit_test(parse_attributes),
    cmocka_unit_test(expiry_precedence),
    cmocka_unit_test(dates_formats),
    cmocka_unit_test(dates_invalid),
    cmocka_unit_test(limits),
};

WEFT_TEST_MAIN(tests)
