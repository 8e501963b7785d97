/* test_url.c - URL parsing, normalisation, resolution and percent-encoding. */
#include "weft_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weft/url.h"

static weft_url *P(const char *s)
{
    weft_url *u = NULL;
    int rc = weft_url_parse(s, strlen(s), &u);
    if (rc)
        fail_msg("parse(%s) = %d (%s)", s, rc, weft_strerror(rc));
    return u;
}

static int perr(const char *s)
{
    weft_url *u = NULL;
    int rc = weft_url_parse(s, strlen(s), &u);
    if (rc == 0) {
        print_error("parse(%s) unexpectedly gave %s\n", s, weft_url_href(u));
        weft_url_free(u);
    }
    return rc;
}

/* parse s and compare the serialisation */
static void href_is(const char *s, const char *want)
{
    weft_url *u = P(s);
    assert_string_equal(weft_url_href(u), want);
    assert_int_equal(weft_url_href_len(u), strlen(want));
    /* the serialisation re-parses to itself */
    weft_url *v = P(weft_url_href(u));
    assert_string_equal(weft_url_href(v), want);
    weft_url_free(v);
    weft_url_free(u);
}

static void parse_components(void **state)
{
    (void)state;
    weft_url *u = P("HTTPS://user:pa%3ass@Example.COM:8443/a/b.html?x=1&y=2#frag");
    assert_string_equal(weft_url_scheme(u), "https");
    assert_string_equal(weft_url_username(u), "user");
    assert_string_equal(weft_url_password(u), "pa%3Ass");
    assert_string_equal(weft_url_host(u), "example.com");
    assert_string_equal(weft_url_hostname(u), "example.com");
    assert_int_equal(weft_url_port(u), 8443);
    assert_true(weft_url_has_host(u));
    assert_string_equal(weft_url_path(u), "/a/b.html");
    assert_string_equal(weft_url_query(u), "x=1&y=2");
    assert_string_equal(weft_url_fragment(u), "frag");
    assert_string_equal(weft_url_request_target(u), "/a/b.html?x=1&y=2");
    assert_string_equal(weft_url_host_header(u), "example.com:8443");
    assert_string_equal(weft_url_origin(u), "https://example.com:8443");
    assert_true(weft_url_is_secure(u));
    assert_true(weft_url_is_special(u));
    assert_string_equal(weft_url_href(u),
                        "https://user:pa%3Ass@example.com:8443/a/b.html?x=1&y=2#frag");
    weft_url_free(u);
}

static void parse_defaults(void **state)
{
    (void)state;
    weft_url *u = P("http://example.com");
    assert_int_equal(weft_url_port(u), 80);
    assert_string_equal(weft_url_path(u), "/");
    assert_null(weft_url_query(u));
    assert_null(weft_url_fragment(u));
    assert_string_equal(weft_url_request_target(u), "/");
    assert_string_equal(weft_url_host_header(u), "example.com");
    assert_false(weft_url_is_secure(u));
    weft_url_free(u);
    u = P("ws://h/chat");
    assert_int_equal(weft_url_port(u), 80);
    weft_url_free(u);
    u = P("wss://h/chat");
    assert_int_equal(weft_url_port(u), 443);
    assert_true(weft_url_is_secure(u));
    weft_url_free(u);
    /* explicit default ports disappear; empty port means default */
    href_is("http://h:80/", "http://h/");
    href_is("https://h:443/", "https://h/");
    href_is("https://h:80/", "https://h:80/");
    href_is("http://h:/x", "http://h/x");
    href_is("http://h:0080/", "http://h/");
    /* empty query and fragment are kept, distinct from absent */
    weft_url *q = P("http://h/?#");
    assert_string_equal(weft_url_query(q), "");
    assert_string_equal(weft_url_fragment(q), "");
    assert_string_equal(weft_url_request_target(q), "/?");
    weft_url_free(q);
    assert_int_equal(weft_url_default_port("https"), 443);
    assert_int_equal(weft_url_default_port("ftp"), -1);
}

static void parse_ports_bad(void **state)
{
    (void)state;
    assert_int_equal(perr("http://h:0/"), WEFT_EURL_PORT);
    assert_int_equal(perr("http://h:65536/"), WEFT_EURL_PORT);
    assert_int_equal(perr("http://h:99999999999999999999/"), WEFT_EURL_PORT);
    assert_int_equal(perr("http://h:8a/"), WEFT_EURL_PORT);
    assert_int_equal(perr("http://h:-1/"), WEFT_EURL_PORT);
    assert_int_equal(perr("http://h: 80/"), WEFT_EURL_PORT);
    weft_url *u = P("http://h:65535/");
    assert_int_equal(weft_url_port(u), 65535);
    weft_url_free(u);
}

static void parse_scheme_bad(void **state)
{
    (void)state;
    assert_int_equal(perr("example.com/path"), WEFT_EURL_SCHEME);
    assert_int_equal(perr("//example.com/"), WEFT_EURL_SCHEME);
    assert_int_equal(perr("1http://h/"), WEFT_EURL_SCHEME);
    assert_int_equal(perr(""), WEFT_EURL_SCHEME);
    assert_int_equal(perr("   "), WEFT_EURL_SCHEME);
    assert_int_equal(perr("ht tp://h/"), WEFT_EURL_SCHEME);
}

static void parse_host_bad(void **state)
{
    (void)state;
    assert_int_equal(perr("http://?x"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://#x"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://user@/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://a..b/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://.a/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://a b/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://a%00b/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://a<b/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://a*b/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://[::1/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://[::1]x/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://[1.2.3.4]/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://[::g]/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://[]/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://[v1.abc]/"), WEFT_EURL_HOST);
    /* label over 63, name over 253 */
    char big[400];
    strcpy(big, "http://");
    memset(big + 7, 'a', 64);
    strcpy(big + 71, ".com/");
    assert_int_equal(perr(big), WEFT_EURL_HOST);
    strcpy(big, "http://");
    for (int i = 0; i < 26; i++)
        strcat(big, "abcdefghi.");
    strcat(big, "com/");
    assert_int_equal(perr(big), WEFT_EURL_HOST);
}

static void parse_ipv6(void **state)
{
    (void)state;
    weft_url *u = P("http://[::1]:8080/x");
    assert_string_equal(weft_url_host(u), "[::1]");
    assert_string_equal(weft_url_hostname(u), "::1");
    assert_int_equal(weft_url_port(u), 8080);
    assert_string_equal(weft_url_host_header(u), "[::1]:8080");
    assert_string_equal(weft_url_origin(u), "http://[::1]:8080");
    weft_url_free(u);
    /* canonical form: lower case, zeros compressed */
    href_is("http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]/");
    href_is("http://[::FFFF:192.168.0.1]/", "http://[::ffff:192.168.0.1]/");
    href_is("https://[0:0::0]:443", "https://[::]/");
    /* zone ids are rejected (decision: meaningless to a server, as browsers) */
    assert_int_equal(perr("http://[fe80::1%25eth0]/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://[fe80::1%eth0]/"), WEFT_EURL_HOST);
}

static void parse_ipv4(void **state)
{
    (void)state;
    href_is("http://127.0.0.1/", "http://127.0.0.1/");
    href_is("http://127.1/", "http://127.0.0.1/");
    href_is("http://0x7f.0.0.1/", "http://127.0.0.1/");
    href_is("http://2130706433/", "http://127.0.0.1/");
    href_is("http://0177.0.0.1/", "http://127.0.0.1/");
    href_is("http://192.168.1.1./", "http://192.168.1.1/");
    assert_int_equal(perr("http://256.0.0.1/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://1.2.3.4.5/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://4294967296/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://1.2.3.09/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://foo.1/"), WEFT_EURL_HOST);
    /* a name whose last label is not a number stays a name */
    href_is("http://1.2.3.4.example/", "http://1.2.3.4.example/");
}

static void parse_idna(void **state)
{
    (void)state;
    weft_url *u = P("http://b\xc3\xbc" "cher.example/");
    assert_string_equal(weft_url_host(u), "xn--bcher-kva.example");
    weft_url_free(u);
    /* upper case mapped (UTS 46), percent-encoded UTF-8 decoded first */
    href_is("http://B\xc3\x9c" "CHER.example/", "http://xn--bcher-kva.example/");
    href_is("http://b%C3%BCcher.example/", "http://xn--bcher-kva.example/");
    /* non-transitional: sharp s is kept, not mapped to "ss" */
    href_is("http://fa\xc3\x9f.de/", "http://xn--fa-hia.de/");
    /* A-labels and ASCII pass through, lower-cased */
    href_is("http://XN--BCHER-KVA.example/", "http://xn--bcher-kva.example/");
    /* invalid UTF-8 and disallowed code points fail */
    assert_int_equal(perr("http://b\xff" "cher.example/"), WEFT_EURL_HOST);
    assert_int_equal(perr("http://a\xe2\x80\xa8" "b.example/"), WEFT_EURL_HOST);
}

static void parse_normalise(void **state)
{
    (void)state;
    /* dot segments, unreserved escapes decoded, others upper-cased */
    href_is("http://h/a/./b/../c/%7euser/%2fx%41", "http://h/a/c/~user/%2FxA");
    href_is("http://h/%2e%2E/a/%2E/b", "http://h/a/b");
    /* unsafe bytes are encoded on output, '%' alone becomes %25 */
    href_is("http://h/a b\"<>`{}|^?q=a b#f g", "http://h/a%20b%22%3C%3E%60%7B%7D%7C%5E?q=a%20b#f%20g");
    href_is("http://h/%zz%4", "http://h/%25zz%254");
    href_is("http://h/\xc3\xa9", "http://h/%C3%A9");
    /* reserved characters keep their meaning */
    href_is("http://h/a;b=c,d:e@f!$&'()*+?x=/?:@&=+$,", "http://h/a;b=c,d:e@f!$&'()*+?x=/?:@&=+$,");
    href_is("http://h/?a=%2B%26", "http://h/?a=%2B%26");
    /* browsers' cleaning: outer spaces and controls, inner tabs/newlines */
    href_is("  \t http://h/a\tb\nc\r  \x01", "http://h/abc");
    /* userinfo: '@' encoded, last '@' ends it */
    href_is("http://a@b:c@h/", "http://a%40b:c@h/");
    href_is("http://:@h/", "http://h/");
    href_is("http://u:@h/", "http://u@h/");
    href_is("http://:p@h/", "http://:p@h/");
}

static void parse_backslash(void **state)
{
    (void)state;
    /* Decision: special schemes read '\' as '/', as browsers do, so
     * "http://evil.com\@good.com/" goes to evil.com everywhere. */
    href_is("http:\\\\h\\a\\b", "http://h/a/b");
    weft_url *u = P("http://evil.com\\@good.com/");
    assert_string_equal(weft_url_host(u), "evil.com");
    assert_string_equal(weft_url_path(u), "/@good.com/");
    weft_url_free(u);
    /* ... but not in the query, and not for other schemes */
    href_is("http://h/?a\\b", "http://h/?a%5Cb");
    href_is("foo://h/a\\b", "foo://h/a%5Cb");
    /* special schemes tolerate missing or extra slashes */
    href_is("http:h/x", "http://h/x");
    href_is("https:////h/x", "https://h/x");
    href_is("http:///path", "http://path/");
}

static void parse_other_schemes(void **state)
{
    (void)state;
    weft_url *u = P("mailto:someone@example.com?subject=hi");
    assert_string_equal(weft_url_scheme(u), "mailto");
    assert_false(weft_url_has_host(u));
    assert_string_equal(weft_url_path(u), "someone@example.com");
    assert_string_equal(weft_url_origin(u), "null");
    assert_int_equal(weft_url_port(u), -1);
    assert_false(weft_url_is_special(u));
    weft_url_free(u);
    href_is("file:///etc/passwd", "file:///etc/passwd");
    href_is("urn:isbn:0451450523", "urn:isbn:0451450523");
    href_is("Git+SSH://git@h:22/r.git", "git+ssh://git@h:22/r.git");
    /* a path that would look like an authority keeps a "/." prefix */
    href_is("foo:/.//x", "foo:/.//x");
    weft_url *v = P("foo:/.//x");
    assert_string_equal(weft_url_path(v), "//x");
    weft_url_free(v);
    assert_int_equal(perr("foo://u@/x"), WEFT_EURL_HOST);
}

static void parse_limits(void **state)
{
    (void)state;
    size_t n = WEFT_URL_MAX_LENGTH + 1;
    char *s = malloc(n + 1);
    memcpy(s, "http://h/", 9);
    memset(s + 9, 'a', n - 9);
    s[n] = '\0';
    weft_url *u = NULL;
    assert_int_equal(weft_url_parse(s, n, &u), WEFT_EURL_TOO_LONG);
    assert_null(u);
    assert_int_equal(weft_url_parse(s, n - 1, &u), 0);
    weft_url_free(u);
    /* the output limit catches growth by percent-encoding too */
    memset(s + 9, ' ', n - 9);
    s[n - 2] = 'x'; /* trailing spaces would be trimmed, not encoded */
    assert_int_equal(weft_url_parse(s, n - 1, &u), WEFT_EURL_TOO_LONG);
    weft_url_options o = { .max_length = 20 };
    assert_int_equal(weft_url_parse_opt("http://example.com/abc", 22, &o, &u), WEFT_EURL_TOO_LONG);
    o.max_length = 22;
    assert_int_equal(weft_url_parse_opt("http://example.com/abc", 22, &o, &u), 0);
    weft_url_free(u);
    free(s);
    assert_string_equal(weft_strerror(WEFT_EURL_TOO_LONG), "URL too long");
}

static void parse_embedded_nul(void **state)
{
    (void)state;
    weft_url *u = NULL;
    assert_int_equal(weft_url_parse("http://h/a\0b", 12, &u), 0);
    assert_string_equal(weft_url_path(u), "/a%00b");
    weft_url_free(u);
    assert_int_equal(weft_url_parse("http://h\0x/", 11, &u), WEFT_EURL_HOST);
}

/* RFC 3986 5.4.1 and 5.4.2, base "http://a/b/c/d;p?q". */
static const char *const RFC_CASES[][2] = {
    { "g:h", "g:h" },
    { "g", "http://a/b/c/g" },
    { "./g", "http://a/b/c/g" },
    { "g/", "http://a/b/c/g/" },
    { "/g", "http://a/g" },
    { "//g", "http://g/" }, /* RFC: "http://g"; special schemes get path "/" */
    { "?y", "http://a/b/c/d;p?y" },
    { "g?y", "http://a/b/c/g?y" },
    { "#s", "http://a/b/c/d;p?q#s" },
    { "g#s", "http://a/b/c/g#s" },
    { "g?y#s", "http://a/b/c/g?y#s" },
    { ";x", "http://a/b/c/;x" },
    { "g;x", "http://a/b/c/g;x" },
    { "g;x?y#s", "http://a/b/c/g;x?y#s" },
    { "", "http://a/b/c/d;p?q" },
    { ".", "http://a/b/c/" },
    { "./", "http://a/b/c/" },
    { "..", "http://a/b/" },
    { "../", "http://a/b/" },
    { "../g", "http://a/b/g" },
    { "../..", "http://a/" },
    { "../../", "http://a/" },
    { "../../g", "http://a/g" },
    /* 5.4.2 abnormal examples */
    { "../../../g", "http://a/g" },
    { "../../../../g", "http://a/g" },
    { "/./g", "http://a/g" },
    { "/../g", "http://a/g" },
    { "g.", "http://a/b/c/g." },
    { ".g", "http://a/b/c/.g" },
    { "g..", "http://a/b/c/g.." },
    { "..g", "http://a/b/c/..g" },
    { "./../g", "http://a/b/g" },
    { "./g/.", "http://a/b/c/g/" },
    { "g/./h", "http://a/b/c/g/h" },
    { "g/../h", "http://a/b/c/h" },
    { "g;x=1/./y", "http://a/b/c/g;x=1/y" },
    { "g;x=1/../y", "http://a/b/c/y" },
    { "g?y/./x", "http://a/b/c/g?y/./x" },
    { "g?y/../x", "http://a/b/c/g?y/../x" },
    { "g#s/./x", "http://a/b/c/g#s/./x" },
    { "g#s/../x", "http://a/b/c/g#s/../x" },
    /* "for backward compatibility" reading, as browsers do */
    { "http:g", "http://a/b/c/g" },
};

static void resolve_rfc3986(void **state)
{
    (void)state;
    weft_url *base = P("http://a/b/c/d;p?q");
    for (size_t i = 0; i < sizeof RFC_CASES / sizeof RFC_CASES[0]; i++) {
        weft_url *u = NULL;
        int rc = weft_url_resolve(base, RFC_CASES[i][0], strlen(RFC_CASES[i][0]), &u);
        if (rc)
            fail_msg("resolve(%s) = %d", RFC_CASES[i][0], rc);
        if (strcmp(weft_url_href(u), RFC_CASES[i][1]))
            fail_msg("resolve(%s) = %s, want %s", RFC_CASES[i][0], weft_url_href(u),
                     RFC_CASES[i][1]);
        weft_url_free(u);
    }
    weft_url_free(base);
}

static void resolve_more(void **state)
{
    (void)state;
    weft_url *base = P("https://user:pw@example.com:8443/dir/page?x#f");
    weft_url *u = NULL;
    /* authority (with userinfo and port) carried over */
    assert_int_equal(weft_url_resolve(base, "next", 4, &u), 0);
    assert_string_equal(weft_url_href(u), "https://user:pw@example.com:8443/dir/next");
    weft_url_free(u);
    /* scheme-relative */
    assert_int_equal(weft_url_resolve(base, "//other.org/x", 13, &u), 0);
    assert_string_equal(weft_url_href(u), "https://other.org/x");
    weft_url_free(u);
    /* absolute with another special scheme: slashes optional */
    assert_int_equal(weft_url_resolve(base, "http:other.org", 14, &u), 0);
    assert_string_equal(weft_url_href(u), "http://other.org/");
    weft_url_free(u);
    /* backslashes in a relative reference against a special base */
    assert_int_equal(weft_url_resolve(base, "\\\\evil.com\\x", 12, &u), 0);
    assert_string_equal(weft_url_href(u), "https://evil.com/x");
    weft_url_free(u);
    /* redirect Location with spaces and non-ASCII */
    const char *loc = "/a b/\xc3\xa9?q=1 2";
    assert_int_equal(weft_url_resolve(base, loc, strlen(loc), &u), 0);
    assert_string_equal(weft_url_href(u), "https://user:pw@example.com:8443/a%20b/%C3%A9?q=1%202");
    weft_url_free(u);
    /* a bad reference fails cleanly */
    assert_int_equal(weft_url_resolve(base, "http://[::1", 11, &u), WEFT_EURL_HOST);
    assert_int_equal(weft_url_resolve(base, "//h:99999/", 10, &u), WEFT_EURL_PORT);
    weft_url_free(base);
    /* non-special base with an opaque path */
    base = P("mailto:a@b");
    assert_int_equal(weft_url_resolve(base, "#x", 2, &u), 0);
    assert_string_equal(weft_url_href(u), "mailto:a@b#x");
    weft_url_free(u);
    weft_url_free(base);
    /* base with an authority but an empty path */
    base = P("foo://h");
    assert_int_equal(weft_url_resolve(base, "x", 1, &u), 0);
    assert_string_equal(weft_url_href(u), "foo://h/x");
    weft_url_free(u);
    weft_url_free(base);
}

static void origin_compare(void **state)
{
    (void)state;
    weft_url *a = P("https://Example.com/a");
    weft_url *b = P("https://example.com:443/b?c");
    weft_url *c = P("http://example.com/");
    weft_url *d = P("https://example.com:8443/");
    weft_url *e = P("mailto:x@example.com");
    assert_true(weft_url_same_origin(a, b));
    assert_false(weft_url_same_origin(a, c));
    assert_false(weft_url_same_origin(a, d));
    assert_false(weft_url_same_origin(e, e)); /* opaque origins never match */
    weft_url *x = NULL;
    assert_int_equal(weft_url_dup(d, &x), 0);
    assert_true(weft_url_same_origin(d, x));
    assert_string_equal(weft_url_href(x), weft_url_href(d));
    weft_url_free(x);
    weft_url_free(a);
    weft_url_free(b);
    weft_url_free(c);
    weft_url_free(d);
    weft_url_free(e);
}

static void pct_encode(void **state)
{
    (void)state;
    char buf[64];
    const char *in = "a b/c?d=e&f+~\xc3\xa9*";
    assert_int_equal(weft_percent_encode(in, strlen(in), WEFT_PCT_COMPONENT, buf, sizeof buf), 34);
    assert_string_equal(buf, "a%20b%2Fc%3Fd%3De%26f%2B~%C3%A9%2A");
    assert_int_equal(weft_percent_encode(in, strlen(in), WEFT_PCT_PATH, buf, sizeof buf), 24);
    assert_string_equal(buf, "a%20b/c%3Fd=e&f+~%C3%A9*");
    assert_int_equal(weft_percent_encode(in, strlen(in), WEFT_PCT_FORM, buf, sizeof buf), 32);
    assert_string_equal(buf, "a+b%2Fc%3Fd%3De%26f%2B%7E%C3%A9*");
    /* snprintf-like sizing and truncation never splits an escape */
    assert_int_equal(weft_percent_encode("a b", 3, WEFT_PCT_COMPONENT, NULL, 0), 5);
    assert_int_equal(weft_percent_encode("a b", 3, WEFT_PCT_COMPONENT, buf, 3), 5);
    assert_string_equal(buf, "a");
    assert_int_equal(weft_percent_encode("ab", 2, 99, buf, sizeof buf), -EINVAL);
}

static void pct_decode(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(weft_percent_decode("a%20b+c%2B%zz%4", 15, false, false, buf), 11);
    assert_string_equal(buf, "a b+c+%zz%4");
    assert_int_equal(weft_percent_decode("a%20b+c", 7, true, false, buf), 5);
    assert_string_equal(buf, "a b c");
    assert_int_equal(weft_percent_decode("a%2", 3, false, true, buf), WEFT_EURL);
    assert_int_equal(weft_percent_decode("a%g0", 4, false, true, buf), WEFT_EURL);
    assert_int_equal(weft_percent_decode("%00x", 4, false, true, buf), 2);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[1], 'x');
    /* in place */
    char s[] = "%41%42c";
    assert_int_equal(weft_percent_decode(s, strlen(s), false, true, s), 3);
    assert_string_equal(s, "ABc");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(parse_components),
    cmocka_unit_test(parse_defaults),
    cmocka_unit_test(parse_ports_bad),
    cmocka_unit_test(parse_scheme_bad),
    cmocka_unit_test(parse_host_bad),
    cmocka_unit_test(parse_ipv6),
    cmocka_unit_test(parse_ipv4),
    cmocka_unit_test(parse_idna),
    cmocka_unit_test(parse_normalise),
    cmocka_unit_test(parse_backslash),
    cmocka_unit_test(parse_other_schemes),
    cmocka_unit_test(parse_limits),
    cmocka_unit_test(parse_embedded_nul),
    cmocka_unit_test(resolve_rfc3986),
    cmocka_unit_test(resolve_more),
    cmocka_unit_test(origin_compare),
    cmocka_unit_test(pct_encode),
    cmocka_unit_test(pct_decode),
};

WEFT_TEST_MAIN(tests)
