/*
 * bench_url.c - URL parsing cost against the least a parser must do.
 *
 * weft: weft_url_parse + weft_url_free over a mix of typical URLs (what a
 * client sees: API calls with queries, redirects, CDN assets, an IPv6
 * literal, an IDNA host, userinfo and a port).
 * anchor ("floor"): a strchr/memchr split of the same strings into scheme,
 * host and path, each copied into a stack buffer: no validation, no
 * normalisation, no allocation. The ratio says what the real work costs.
 *
 * Prints ns per URL for both and the ratio weft/floor. Runs about 2 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/url.h"

static const char *const URLS[] = {
    "https://api.example.com/v1/users/12345?fields=name,email&limit=20",
    "http://www.example.org/",
    "https://cdn.example.net/static/js/app.3f9a2c.min.js",
    "https://example.com/search?q=weft+c+networking&lang=en#results",
    "http://localhost:8080/health",
    "https://user:secret@git.example.com:8443/org/repo.git/info/refs?service=git-upload-pack",
    "http://[2001:db8::1]:8080/metrics",
    ("https://b\xc3\xbc" "cher.example/katalog/seite?id=7"),
    "https://shop.example.co.uk/products/42/reviews?page=3&sort=desc&filter=verified",
    "http://10.0.0.1/a/b/../c/./d.html",
};
#define N (sizeof URLS / sizeof URLS[0])

static size_t LEN[N];
static volatile size_t sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_weft(size_t rounds, size_t first, size_t count)
{
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = first; i < first + count; i++) {
            weft_url *u;
            if (weft_url_parse(URLS[i], LEN[i], &u) != 0)
                abort();
            sink += (size_t)weft_url_port(u);
            weft_url_free(u);
        }
    }
}

/* The floor: find "://", the end of the host, and copy the three pieces. */
static void run_floor(size_t rounds, size_t first, size_t count)
{
    char scheme[16], host[256], path[1024];
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = first; i < first + count; i++) {
            const char *s = URLS[i], *end = s + LEN[i];
            const char *colon = strchr(s, ':');
            size_t sl = (size_t)(colon - s);
            memcpy(scheme, s, sl);
            scheme[sl] = '\0';
            const char *h = colon + 3;
            const char *slash = memchr(h, '/', (size_t)(end - h));
            if (!slash)
                slash = end;
            size_t hl = (size_t)(slash - h);
            memcpy(host, h, hl);
            host[hl] = '\0';
            size_t pl = (size_t)(end - slash);
            memcpy(path, slash, pl);
            path[pl] = '\0';
            sink += (size_t)scheme[0] + (size_t)host[0] + pl;
        }
    }
}

/* Time f over enough rounds to last about secs; returns ns per URL. */
static double measure(void (*f)(size_t, size_t, size_t), size_t first, size_t count, double secs)
{
    size_t rounds = 100;
    double t;
    for (;;) {
        double t0 = now_s();
        f(rounds, first, count);
        t = now_s() - t0;
        if (t > secs / 8)
            break;
        rounds *= 4;
    }
    size_t total = (size_t)((double)rounds * secs / t) + 1;
    double t0 = now_s();
    f(total, first, count);
    t = now_s() - t0;
    return t * 1e9 / ((double)total * (double)count);
}

int main(void)
{
    for (size_t i = 0; i < N; i++)
        LEN[i] = strlen(URLS[i]);
    run_weft(100, 0, N); /* warm caches and libidn2's tables */
    run_floor(100, 0, N);
    double floor_ns = measure(run_floor, 0, N, 0.4);
    double weft_ns = measure(run_weft, 0, N, 0.8);
    /* The IDNA host dominates its URL; show the ASCII-only mix too. */
    double floor_a = measure(run_floor, 0, 7, 0.2);
    double weft_a = measure(run_weft, 0, 7, 0.4);
    printf("bench_url: parse + free, %zu typical URLs (1 IDNA host)\n", N);
    printf("  floor (strchr split + copy): %8.1f ns/URL\n", floor_ns);
    printf("  weft_url_parse + free:       %8.1f ns/URL\n", weft_ns);
    printf("  ratio weft/floor:            %8.1f x\n", weft_ns / floor_ns);
    printf("bench_url: the 7 URLs with ASCII hosts\n");
    printf("  floor:                       %8.1f ns/URL\n", floor_a);
    printf("  weft:                        %8.1f ns/URL\n", weft_a);
    printf("  ratio weft/floor:            %8.1f x\n", weft_a / floor_a);
    return 0;
}
