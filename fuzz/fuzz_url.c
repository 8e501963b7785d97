/*
 * fuzz_url.c - URL parse and resolve, plus form and percent-encoding.
 *
 * Invariants checked (abort() on violation, so libFuzzer reports them):
 *  - a parsed or resolved URL's href re-parses, to the same href;
 *  - getters agree with the href (length, request target inside it);
 *  - percent-decode(percent-encode(x)) == x for every set;
 *  - form parse -> encode -> parse gives the same pairs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/form.h"
#include "weft/url.h"


#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                    \
        }                                                               \
    } while (0)

static void check_url(const weft_url *u)
{
    const char *href = weft_url_href(u);
    CHECK(strlen(href) == weft_url_href_len(u));
    CHECK(strstr(href, weft_url_scheme(u)) == href);
    weft_url *v = NULL;
    int rc = weft_url_parse(href, weft_url_href_len(u), &v);
    if (rc) {
        fprintf(stderr, "href does not re-parse (%d): %s\n", rc, href);
        abort();
    }
    if (strcmp(weft_url_href(v), href)) {
        fprintf(stderr, "not idempotent:\n  %s\n  %s\n", href, weft_url_href(v));
        abort();
    }
    CHECK(weft_url_port(u) == weft_url_port(v));
    CHECK(!strcmp(weft_url_host(u), weft_url_host(v)));
    CHECK(!strcmp(weft_url_path(u), weft_url_path(v)));
    if (weft_url_is_special(u)) {
        CHECK(weft_url_same_origin(u, v));
        CHECK(weft_url_path(u)[0] == '/');
        CHECK(weft_url_host(u)[0] != '\0');
        CHECK(strstr(href, weft_url_request_target(u)) != NULL);
    }
    weft_url_free(v);
}

static void check_pct(const char *s, size_t n)
{
    for (int set = WEFT_PCT_COMPONENT; set <= WEFT_PCT_FORM; set++) {
        int need = weft_percent_encode(s, n, set, NULL, 0);
        CHECK(need >= 0);
        char *enc = malloc((size_t)need + 1);
        CHECK(weft_percent_encode(s, n, set, enc, (size_t)need + 1) == need);
        CHECK(strlen(enc) == (size_t)need);
        char *dec = malloc((size_t)need + 1);
        int m = weft_percent_decode(enc, (size_t)need, set == WEFT_PCT_FORM, true, dec);
        CHECK(m == (int)n && !memcmp(dec, s, n));
        free(enc);
        free(dec);
    }
}

static void check_form(const char *s, size_t n)
{
    weft_form *f = NULL, *g = NULL;
    if (weft_form_parse(s, n, NULL, &f))
        return;
    char *enc;
    int len = weft_form_encode(f, &enc);
    CHECK(len >= 0);
    CHECK(weft_form_parse(enc, (size_t)len, &(weft_form_limits){ .max_length = (size_t)len + 1 },
                          &g) == 0);
    CHECK(weft_form_count(f) == weft_form_count(g));
    for (size_t i = 0; i < weft_form_count(f); i++) {
        const char *a, *b, *x, *y;
        size_t al, bl, xl, yl;
        weft_form_get(f, i, &a, &al, &x, &xl);
        weft_form_get(g, i, &b, &bl, &y, &yl);
        CHECK(al == bl && !memcmp(a, b, al) && xl == yl && !memcmp(x, y, xl));
    }
    free(enc);
    weft_form_free(f);
    weft_form_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const bases[] = {
        "http://user:pw@a.example:8080/b/c/d;p?q#f",
        "foo://h/a/b?x",
        "mailto:someone@example.com",
    };
    const char *s = (const char *)data;
    weft_url *u = NULL;
    if (weft_url_parse(s, size, &u) == 0) {
        check_url(u);
        weft_url *d = NULL;
        CHECK(weft_url_dup(u, &d) == 0);
        CHECK(!strcmp(weft_url_href(d), weft_url_href(u)));
        weft_url_free(d);
        weft_url_free(u);
    }
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        weft_url *base = NULL;
        CHECK(weft_url_parse(bases[b], strlen(bases[b]), &base) == 0);
        if (weft_url_resolve(base, s, size, &u) == 0) {
            check_url(u);
            weft_url_free(u);
        }
        weft_url_free(base);
    }
    if (size <= 4096) {
        check_pct(s, size);
        check_form(s, size);
    }
    return 0;
}
