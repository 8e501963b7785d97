/* test_cookie_jar.c - cookie storage (RFC 6265 5.3), the Cookie header (5.4)
 * and Netscape cookie files. */
#include "weft_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft/cookie.h"

#define NOW ((time_t)1600000000)

static weft_url *U(const char *s)
{
    weft_url *u = NULL;
    if (weft_url_parse(s, strlen(s), &u))
        fail_msg("bad url %s", s);
    return u;
}

static int set(weft_cookie_jar *j, const char *url, const char *sc, time_t now)
{
    weft_url *u = U(url);
    int rc = weft_cookie_jar_set(j, u, sc, strlen(sc), now);
    weft_url_free(u);
    return rc;
}

/* The Cookie header for url at now, "" when none; static buffer. */
static const char *hdr(weft_cookie_jar *j, const char *url, time_t now)
{
    static char buf[4096];
    weft_url *u = U(url);
    char *s = NULL;
    int n = weft_cookie_jar_header(j, u, now, &s);
    weft_url_free(u);
    assert_true(n >= 0);
    if (n == 0) {
        assert_null(s);
        return "";
    }
    assert_int_equal((size_t)n, strlen(s));
    snprintf(buf, sizeof buf, "%s", s);
    free(s);
    return buf;
}

static weft_cookie_jar *J(void)
{
    weft_cookie_jar *j = NULL;
    assert_int_equal(weft_cookie_jar_new(NULL, &j), 0);
    return j;
}

static void host_only(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "http://www.example.com/", "a=1", NOW), 0);
    const weft_cookie *c = weft_cookie_jar_at(j, 0);
    assert_true(weft_cookie_host_only(c));
    assert_string_equal(weft_cookie_domain(c), "www.example.com");
    assert_string_equal(hdr(j, "http://www.example.com/x", NOW), "a=1");
    assert_string_equal(hdr(j, "http://WWW.Example.com:8080/x", NOW), "a=1"); /* ports ignored */
    assert_string_equal(hdr(j, "http://sub.www.example.com/", NOW), "");
    assert_string_equal(hdr(j, "http://example.com/", NOW), "");
    weft_cookie_jar_free(j);
}

static void domain_cookies(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "http://www.example.com/", "a=1; Domain=example.com", NOW), 0);
    assert_int_equal(set(j, "http://www.example.com/", "b=2; Domain=.WWW.example.com", NOW), 0);
    assert_false(weft_cookie_host_only(weft_cookie_jar_at(j, 0)));
    assert_string_equal(weft_cookie_domain(weft_cookie_jar_at(j, 0)), "example.com");
    assert_string_equal(hdr(j, "http://example.com/", NOW), "a=1");
    assert_string_equal(hdr(j, "http://a.b.www.example.com/", NOW), "a=1; b=2");
    assert_string_equal(hdr(j, "http://notexample.com/", NOW), "");
    assert_string_equal(hdr(j, "http://example.com.evil/", NOW), "");
    /* Domain must domain-match the request host */
    assert_int_equal(set(j, "http://www.example.com/", "c=3; Domain=other.com", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "http://www.example.com/", "c=3; Domain=sub.www.example.com", NOW),
                     WEFT_ECOOKIE);
    assert_int_equal(set(j, "http://www.example.com/", "c=3; Domain=ample.com", NOW), WEFT_ECOOKIE);
    /* IDNA domains are compared in A-label form */
    assert_int_equal(set(j, "http://www.b\xc3\xbc" "cher.example/", "d=4; Domain=B\xc3\x9c" "CHER.example", NOW), 0);
    assert_string_equal(hdr(j, "http://xn--bcher-kva.example/", NOW), "d=4");
    assert_int_equal(weft_cookie_jar_count(j), 3);
    weft_cookie_jar_free(j);
}

static void public_suffix_approx(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    /* a single-label Domain is treated as a public suffix */
    assert_int_equal(set(j, "http://example.com/", "a=1; Domain=com", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "http://example.com/", "a=1; Domain=.com", NOW), WEFT_ECOOKIE);
    /* ... unless it is the host itself, which gives a host-only cookie */
    assert_int_equal(set(j, "http://localhost/", "b=2; Domain=localhost", NOW), 0);
    assert_true(weft_cookie_host_only(weft_cookie_jar_at(j, 0)));
    assert_string_equal(hdr(j, "http://localhost/", NOW), "b=2");
    /* IP hosts: only the address itself, and never for parents */
    assert_int_equal(set(j, "http://192.168.0.1/", "c=3; Domain=168.0.1", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "http://192.168.0.1/", "c=3; Domain=0.1", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "http://192.168.0.1/", "c=3; Domain=192.168.0.1", NOW), 0);
    assert_true(weft_cookie_host_only(weft_cookie_jar_at(j, 1)));
    assert_string_equal(hdr(j, "http://192.168.0.1/", NOW), "c=3");
    assert_int_equal(set(j, "http://[::1]/", "d=4", NOW), 0);
    assert_string_equal(hdr(j, "http://[::1]:8080/", NOW), "d=4");
    /* IPv6 hosts survive a cookie file round-trip (written bare, like curl) */
    char *s;
    assert_true(weft_cookie_jar_dump(j, NOW, &s) > 0);
    assert_non_null(strstr(s, "\n::1\tFALSE\t/\tFALSE\t0\td\t4\n"));
    weft_cookie_jar *k = J();
    assert_int_equal(weft_cookie_jar_load_mem(k, s, strlen(s), NOW), 3);
    assert_string_equal(hdr(k, "http://[::1]/", NOW), "d=4");
    weft_cookie_jar_free(k);
    free(s);
    /* documented limitation: multi-label suffixes are not known */
    assert_int_equal(set(j, "http://a.co.uk/", "e=5; Domain=co.uk", NOW), 0);
    weft_cookie_jar_free(j);
}

static void path_matching(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "http://h/", "root=1; Path=/", NOW), 0);
    assert_int_equal(set(j, "http://h/", "docs=1; Path=/docs", NOW), 0);
    assert_int_equal(set(j, "http://h/", "slash=1; Path=/docs/", NOW), 0);
    assert_string_equal(hdr(j, "http://h/", NOW), "root=1");
    assert_string_equal(hdr(j, "http://h/docs", NOW), "docs=1; root=1");
    assert_string_equal(hdr(j, "http://h/docs/", NOW), "slash=1; docs=1; root=1");
    assert_string_equal(hdr(j, "http://h/docs/web/x?q=/docs", NOW), "slash=1; docs=1; root=1");
    assert_string_equal(hdr(j, "http://h/docsets", NOW), "root=1");
    /* a Path with a tab is ignored (default path), so files stay parseable */
    assert_int_equal(set(j, "http://h/t/x", "tab=1; Path=/a\tb", NOW), 0);
    assert_string_equal(weft_cookie_path(weft_cookie_jar_at(j, 3)), "/t");
    assert_string_equal(hdr(j, "http://h/Docs", NOW), "root=1"); /* case-sensitive */
    weft_cookie_jar_free(j);
}

static void default_path(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "http://h/a/b/c.html?x=/y/z", "a=1", NOW), 0);
    assert_string_equal(weft_cookie_path(weft_cookie_jar_at(j, 0)), "/a/b");
    assert_int_equal(set(j, "http://h/file", "b=1", NOW), 0);
    assert_string_equal(weft_cookie_path(weft_cookie_jar_at(j, 1)), "/");
    assert_int_equal(set(j, "http://h/", "c=1; Path=relative", NOW), 0);
    assert_string_equal(weft_cookie_path(weft_cookie_jar_at(j, 2)), "/");
    assert_int_equal(set(j, "http://h/d/", "d=1", NOW), 0);
    assert_string_equal(weft_cookie_path(weft_cookie_jar_at(j, 3)), "/d");
    weft_cookie_jar_free(j);
}

static void secure_and_httponly(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "https://h/", "s=1; Secure", NOW), 0);
    assert_int_equal(set(j, "https://h/", "p=1; HttpOnly", NOW), 0);
    assert_string_equal(hdr(j, "https://h/", NOW), "s=1; p=1");
    assert_string_equal(hdr(j, "wss://h/", NOW), "s=1; p=1");
    assert_string_equal(hdr(j, "http://h/", NOW), "p=1"); /* HttpOnly goes over HTTP */
    assert_string_equal(hdr(j, "ws://h/", NOW), "p=1");
    assert_true(weft_cookie_http_only(weft_cookie_jar_at(j, 1)));
    /* 6265bis: plain http may not set Secure cookies */
    assert_int_equal(set(j, "http://h/", "t=1; Secure", NOW), WEFT_ECOOKIE);
    /* cookie name prefixes */
    assert_int_equal(set(j, "https://h/", "__Secure-a=1", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "https://h/", "__Secure-a=1; Secure", NOW), 0);
    assert_int_equal(set(j, "https://h/", "__Host-b=1; Secure; Path=/x", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "https://a.h/", "__Host-b=1; Secure; Path=/; Domain=h", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "https://h/", "__Host-b=1; Secure; Path=/", NOW), 0);
    weft_cookie_jar_free(j);
}

static void samesite_stored(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "https://h/", "a=1; SameSite=Strict", NOW), 0);
    assert_int_equal(set(j, "https://h/", "b=1; SameSite=None; Secure", NOW), 0);
    assert_int_equal(set(j, "https://h/", "c=1", NOW), 0);
    assert_int_equal(weft_cookie_samesite(weft_cookie_jar_at(j, 0)), WEFT_SAMESITE_STRICT);
    assert_int_equal(weft_cookie_samesite(weft_cookie_jar_at(j, 1)), WEFT_SAMESITE_NONE);
    assert_int_equal(weft_cookie_samesite(weft_cookie_jar_at(j, 2)), WEFT_SAMESITE_DEFAULT);
    weft_cookie_jar_free(j);
}

static void expiry(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "http://h/", "a=1; Max-Age=100", NOW), 0);
    assert_int_equal(set(j, "http://h/", "b=1; Expires=Sun, 13 Sep 2020 12:26:50 GMT", NOW), 0);
    assert_int_equal(set(j, "http://h/", "c=1", NOW), 0);
    /* b expires at 2020-09-13 12:26:50 = NOW + 10; expiry is exclusive */
    assert_string_equal(hdr(j, "http://h/", NOW), "a=1; b=1; c=1");
    assert_string_equal(hdr(j, "http://h/", NOW + 9), "a=1; b=1; c=1");
    assert_int_equal(weft_cookie_jar_count(j), 3);
    assert_int_equal(weft_cookie_jar_expire(j, NOW + 10), 1);
    assert_int_equal(weft_cookie_jar_count(j), 2);
    assert_string_equal(hdr(j, "http://h/", NOW + 99), "a=1; c=1");
    assert_string_equal(hdr(j, "http://h/", NOW + 100), "c=1"); /* session cookie stays */
    assert_int_equal(weft_cookie_jar_count(j), 1);
    /* Max-Age overrides Expires in the past */
    assert_int_equal(set(j, "http://h/", "d=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=50", NOW), 0);
    assert_string_equal(hdr(j, "http://h/", NOW + 10), "c=1; d=1");
    weft_cookie_jar_free(j);
}

static void replace_and_delete(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "http://h/", "a=1", NOW), 0);
    assert_int_equal(set(j, "http://h/", "b=1", NOW + 1), 0);
    assert_int_equal(set(j, "http://h/", "a=2; HttpOnly", NOW + 5), 0);
    assert_int_equal(weft_cookie_jar_count(j), 2);
    const weft_cookie *a = weft_cookie_jar_at(j, 0);
    assert_string_equal(weft_cookie_value(a), "2");
    assert_int_equal(weft_cookie_creation(a), NOW); /* creation time kept */
    assert_true(weft_cookie_http_only(a));
    assert_string_equal(hdr(j, "http://h/", NOW + 6), "a=2; b=1");
    /* same name, other path: a separate cookie */
    assert_int_equal(set(j, "http://h/", "a=3; Path=/x", NOW + 7), 0);
    assert_int_equal(weft_cookie_jar_count(j), 3);
    /* deletion by an expiry in the past or Max-Age=0 */
    assert_int_equal(set(j, "http://h/", "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", NOW + 8), 0);
    assert_int_equal(set(j, "http://h/", "a=; Max-Age=0; Path=/x", NOW + 8), 0);
    assert_int_equal(weft_cookie_jar_count(j), 1);
    assert_string_equal(hdr(j, "http://h/x", NOW + 9), "b=1");
    /* deleting what is not there stores nothing */
    assert_int_equal(set(j, "http://h/", "zz=; Max-Age=-1", NOW + 9), 0);
    assert_int_equal(weft_cookie_jar_count(j), 1);
    weft_cookie_jar_clear(j);
    assert_int_equal(weft_cookie_jar_count(j), 0);
    assert_null(weft_cookie_jar_at(j, 0));
    weft_cookie_jar_free(j);
}

static void header_order(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    /* created in this order; paths of different lengths */
    assert_int_equal(set(j, "http://h/", "first=1; Path=/", NOW), 0);
    assert_int_equal(set(j, "http://h/", "deep=1; Path=/a/b", NOW + 1), 0);
    assert_int_equal(set(j, "http://h/", "mid=1; Path=/a", NOW + 2), 0);
    assert_int_equal(set(j, "http://h/", "second=1; Path=/", NOW + 3), 0);
    /* equal creation times: the storage sequence decides */
    assert_int_equal(set(j, "http://h/", "x=1; Path=/a", NOW + 4), 0);
    assert_int_equal(set(j, "http://h/", "y=1; Path=/a", NOW + 4), 0);
    assert_string_equal(hdr(j, "http://h/a/b/c", NOW + 5),
                        "deep=1; mid=1; x=1; y=1; first=1; second=1");
    /* a replacement keeps its place (creation time) */
    assert_int_equal(set(j, "http://h/", "first=2; Path=/", NOW + 6), 0);
    assert_string_equal(hdr(j, "http://h/", NOW + 7), "first=2; second=1");
    weft_cookie_jar_free(j);
}

static void eviction(void **state)
{
    (void)state;
    weft_cookie_jar *j = NULL;
    weft_cookie_jar_limits lim = { .max_cookies = 5, .max_per_domain = 3 };
    assert_int_equal(weft_cookie_jar_new(&lim, &j), 0);
    assert_int_equal(set(j, "http://a.com/", "a1=1", NOW), 0);
    assert_int_equal(set(j, "http://a.com/", "a2=1", NOW + 1), 0);
    assert_int_equal(set(j, "http://a.com/", "a3=1", NOW + 2), 0);
    /* use a1 so that a2 becomes least recently used */
    assert_string_equal(hdr(j, "http://a.com/", NOW + 3), "a1=1; a2=1; a3=1");
    assert_int_equal(set(j, "http://a.com/", "a3=2", NOW + 4), 0); /* touch a3 */
    (void)hdr(j, "http://a.com/", NOW + 5);                       /* touches all */
    assert_int_equal(set(j, "http://a.com/", "a2=2", NOW + 6), 0); /* touch a2 */
    /* now a1 and a3 were last used at NOW+5; a1 is older by sequence */
    assert_int_equal(set(j, "http://a.com/", "a4=1", NOW + 7), 0);
    assert_int_equal(weft_cookie_jar_count(j), 3);
    assert_string_equal(hdr(j, "http://a.com/", NOW + 8), "a2=2; a3=2; a4=1");
    /* the total limit evicts across domains, expired cookies first */
    assert_int_equal(set(j, "http://b.com/", "b1=1; Max-Age=1", NOW + 9), 0);
    assert_int_equal(set(j, "http://c.com/", "c1=1", NOW + 10), 0);
    assert_int_equal(set(j, "http://d.com/", "d1=1", NOW + 20), 0); /* b1 expired by now */
    assert_int_equal(weft_cookie_jar_count(j), 5);
    assert_string_equal(hdr(j, "http://b.com/", NOW + 20), "");
    assert_int_equal(set(j, "http://e.com/", "e1=1", NOW + 21), 0);
    assert_int_equal(weft_cookie_jar_count(j), 5);
    /* a.com's cookies were last used at NOW+8, before c1 (NOW+10) */
    assert_string_equal(hdr(j, "http://a.com/", NOW + 22), "a3=2; a4=1");
    assert_string_equal(hdr(j, "http://e.com/", NOW + 22), "e1=1");
    weft_cookie_jar_free(j);
}

static void bad_urls(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "file:///tmp/x", "a=1", NOW), WEFT_ECOOKIE); /* no host */
    assert_int_equal(set(j, "http://h/", "garbage", NOW), WEFT_ECOOKIE);
    assert_int_equal(set(j, "http://h/", "a=1; Domain=bad..name", NOW), WEFT_ECOOKIE);
    assert_int_equal(weft_cookie_jar_count(j), 0);
    assert_string_equal(hdr(j, "mailto:x@y", NOW), "");
    weft_cookie_jar_free(j);
}

static void netscape_roundtrip(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "https://www.example.com/a/", "sess=1; Path=/", NOW), 0);
    assert_int_equal(set(j, "https://www.example.com/", "dom=2; Domain=example.com; Max-Age=3600; Secure", NOW), 0);
    assert_int_equal(set(j, "https://www.example.com/", "ho=3; HttpOnly; Path=/p; Max-Age=60", NOW), 0);
    assert_int_equal(set(j, "https://www.example.com/", "empty=; Max-Age=60", NOW), 0);
    char *s;
    int n = weft_cookie_jar_dump(j, NOW, &s);
    assert_true(n > 0);
    const char *want =
        "# Netscape HTTP Cookie File\n"
        "# This file was generated by weft. Edit at your own risk.\n\n"
        "www.example.com\tFALSE\t/\tFALSE\t0\tsess\t1\n"
        ".example.com\tTRUE\t/\tTRUE\t1600003600\tdom\t2\n"
        "#HttpOnly_www.example.com\tFALSE\t/p\tFALSE\t1600000060\tho\t3\n"
        "www.example.com\tFALSE\t/\tFALSE\t1600000060\tempty\t\n";
    assert_string_equal(s, want);
    weft_cookie_jar *k = J();
    assert_int_equal(weft_cookie_jar_load_mem(k, s, (size_t)n, NOW), 4);
    char *t;
    assert_int_equal(weft_cookie_jar_dump(k, NOW, &t), n);
    assert_string_equal(t, s);
    assert_string_equal(hdr(k, "https://www.example.com/p", NOW), "ho=3; sess=1; dom=2; empty=");
    assert_string_equal(hdr(k, "http://x.example.com/p", NOW), "");
    free(s);
    free(t);
    /* dump skips cookies that expired meanwhile */
    n = weft_cookie_jar_dump(k, NOW + 100, &s);
    assert_null(strstr(s, "\tho\t"));
    assert_non_null(strstr(s, "\tdom\t"));
    free(s);
    weft_cookie_jar_free(j);
    weft_cookie_jar_free(k);
}

static void netscape_curl_format(void **state)
{
    (void)state;
    /* what curl -c writes, with CRLF, comments and junk lines mixed in */
    const char *file =
        "# Netscape HTTP Cookie File\r\n"
        "# https://curl.se/docs/http-cookies.html\n"
        "# This file was generated by libcurl! Edit at your own risk.\n"
        "\n"
        "#HttpOnly_.example.org\tTRUE\t/p\tTRUE\t0\ty\t2\n"
        ".example.com\tTRUE\t/\tFALSE\t1924992000\tx\t1\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tlocal\tv v\n"
        "host.test\tFALSE\t/\tFALSE\t1924992000\tnoval\n"
        "bad line without tabs\n"
        "h.test\tMAYBE\t/\tFALSE\t0\tbadflag\t1\n"
        "h.test\tFALSE\tnoslash\tFALSE\t0\tbadpath\t1\n"
        "h.test\tFALSE\t/\tFALSE\t12x\tbadexp\t1\n"
        "h.test\tFALSE\t/\tFALSE\t100\texpired\t1\n"
        "h.test\tFALSE\t/\tFALSE\t0\t\tnoname\n"
        "h.test\tFALSE\t/\tFALSE\t0\tctl\ta\x01" "b\n"
        "last.test\tFALSE\t/\tFALSE\t0\tnonewline\tend";
    weft_cookie_jar *j = J();
    assert_int_equal(weft_cookie_jar_load_mem(j, file, strlen(file), NOW), 5);
    assert_string_equal(hdr(j, "https://a.example.org/p/q", NOW), "y=2");
    assert_string_equal(hdr(j, "http://a.example.org/p/q", NOW), ""); /* Secure */
    assert_true(weft_cookie_http_only(weft_cookie_jar_at(j, 0)));
    assert_string_equal(hdr(j, "http://www.example.com/", NOW), "x=1");
    assert_string_equal(hdr(j, "http://127.0.0.1:9/", NOW), "local=v v");
    assert_string_equal(hdr(j, "http://host.test/", NOW), "noval=");
    assert_string_equal(hdr(j, "http://sub.host.test/", NOW), ""); /* host-only */
    assert_string_equal(hdr(j, "http://last.test/", NOW), "nonewline=end");
    weft_cookie_jar_free(j);
}

static void file_save_load(void **state)
{
    (void)state;
    char path[] = "/tmp/weft-cookies-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    weft_cookie_jar *j = J();
    assert_int_equal(set(j, "http://h/", "a=1; Max-Age=60", NOW), 0);
    assert_int_equal(set(j, "http://h/", "b=2", NOW), 0);
    assert_int_equal(weft_cookie_jar_save(j, path, NOW), 0);
    weft_cookie_jar *k = J();
    assert_int_equal(weft_cookie_jar_load(k, path, NOW), 2);
    assert_string_equal(hdr(k, "http://h/", NOW), "a=1; b=2");
    assert_int_equal(weft_cookie_jar_load(k, "/nonexistent/dir/file", NOW), -ENOENT);
    assert_int_equal(weft_cookie_jar_save(j, "/nonexistent/dir/file", NOW), -ENOENT);
    unlink(path);
    weft_cookie_jar_free(j);
    weft_cookie_jar_free(k);
}

static void store_parsed(void **state)
{
    (void)state;
    weft_cookie_jar *j = J();
    weft_cookie *c;
    assert_int_equal(weft_cookie_parse("a=1; Domain=example.com", 23, NOW, NULL, &c), 0);
    weft_url *u = U("http://www.example.com/");
    assert_int_equal(weft_cookie_jar_store(j, u, c, NOW), 0);
    weft_cookie_free(c); /* the jar made its own copy */
    assert_string_equal(hdr(j, "http://example.com/", NOW), "a=1");
    weft_url_free(u);
    weft_cookie_jar_free(j);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(host_only),
    cmocka_unit_test(domain_cookies),
    cmocka_unit_test(public_suffix_approx),
    cmocka_unit_test(path_matching),
    cmocka_unit_test(default_path),
    cmocka_unit_test(secure_and_httponly),
    cmocka_unit_test(samesite_stored),
    cmocka_unit_test(expiry),
    cmocka_unit_test(replace_and_delete),
    cmocka_unit_test(header_order),
    cmocka_unit_test(eviction),
    cmocka_unit_test(bad_urls),
    cmocka_unit_test(netscape_roundtrip),
    cmocka_unit_test(netscape_curl_format),
    cmocka_unit_test(file_save_load),
    cmocka_unit_test(store_parsed),
};

WEFT_TEST_MAIN(tests)
