/*
 * fuzz_cookie.c - Set-Cookie parsing, jar storage, Cookie headers, dates and
 * Netscape cookie files.
 *
 * Input: one Set-Cookie value per line. The first byte picks the request URL
 * the cookies come from. Each line is stored a second later than the last.
 * Invariants (abort() on violation):
 *  - the jar never exceeds its limits;
 *  - a Cookie header holds no CR, LF or NUL (no header injection);
 *  - dump -> load_mem -> dump gives the same file (round-trip);
 *  - the whole input is also fed to the date parser and the file loader.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/cookie.h"


#define CHECK(c)                                                        \
    do {                                                                \
        if (!(c)) {                                                     \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); \
            abort();                                                    \
        }                                                               \
    } while (0)

static const char *const URLS[] = {
    "http://www.example.com/a/b/c",
    "https://www.example.com/",
    "https://sub.a.example.com/x/",
    "http://192.168.0.1/p",
    "http://[::1]:8080/q/",
    "https://xn--bcher-kva.example/",
    "http://localhost/",
    "wss://example.com/ws",
};
#define NURLS (sizeof URLS / sizeof URLS[0])

static void check_header(weft_cookie_jar *j, const weft_url *u, time_t now)
{
    char *h = NULL;
    int n = weft_cookie_jar_header(j, u, now, &h);
    CHECK(n >= 0);
    if (n > 0) {
        CHECK(strlen(h) == (size_t)n);
        CHECK(!strpbrk(h, "\r\n"));
    } else {
        CHECK(h == NULL);
    }
    free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    time_t now = 1600000000;
    weft_url *urls[NURLS];
    for (size_t i = 0; i < NURLS; i++)
        CHECK(weft_url_parse(URLS[i], strlen(URLS[i]), &urls[i]) == 0);
    const weft_url *from = urls[size ? data[0] % NURLS : 0];
    const char *s = (const char *)data + (size ? 1 : 0);
    size_t n = size ? size - 1 : 0;

    weft_cookie_jar_limits lim = { .max_cookies = 20, .max_per_domain = 8 };
    weft_cookie_jar *j;
    CHECK(weft_cookie_jar_new(&lim, &j) == 0);
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        weft_cookie *c = NULL;
        if (weft_cookie_parse(s + i, e - i, now, NULL, &c) == 0) {
            CHECK(weft_cookie_name(c)[0] != '\0');
            weft_cookie_free(c);
        }
        weft_cookie_jar_set(j, from, s + i, e - i, now);
        CHECK(weft_cookie_jar_count(j) <= lim.max_cookies);
        now += 1;
        i = e + 1;
    }
    for (size_t k = 0; k < NURLS; k++)
        check_header(j, urls[k], now);

    char *d1, *d2;
    int l1 = weft_cookie_jar_dump(j, now, &d1);
    CHECK(l1 > 0);
    weft_cookie_jar *k;
    CHECK(weft_cookie_jar_new(&lim, &k) == 0);
    CHECK(weft_cookie_jar_load_mem(k, d1, (size_t)l1, now) == (int)weft_cookie_jar_count(j));
    int l2 = weft_cookie_jar_dump(k, now, &d2);
    if (l1 != l2 || memcmp(d1, d2, (size_t)l1)) {
        fprintf(stderr, "cookie file round-trip differs:\n%s\n---\n%s\n", d1, d2);
        abort();
    }
    free(d1);
    free(d2);

    /* the raw input as a cookie file and as a date */
    weft_cookie_jar_load_mem(k, s, n, now);
    CHECK(weft_cookie_jar_count(k) <= lim.max_cookies);
    for (size_t u = 0; u < NURLS; u++)
        check_header(k, urls[u], now);
    time_t t;
    weft_cookie_parse_date(s, n, &t);

    weft_cookie_jar_free(j);
    weft_cookie_jar_free(k);
    for (size_t u = 0; u < NURLS; u++)
        weft_url_free(urls[u]);
    return 0;
}
