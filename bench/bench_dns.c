/*
 * bench_dns.c - cached look-ups per second.
 *
 * weft: weft_resolver_getaddrinfo("localhost", "80") from a task, answered
 * from the resolver's cache (the first call reads /etc/hosts and fills it),
 * building and freeing the caller's list each time; then the same with the
 * cache off (c-ares reads /etc/hosts on every call), to show what the cache
 * saves.
 * Anchor, same run: glibc getaddrinfo("localhost", "80") answered from
 * /etc/hosts (nss "files"), the blocking call weft's look-up replaces.
 *
 * Usage: bench_dns [SECONDS_PER_RUN]   (default 1)
 * Prints ops/s for each and the ratio weft_cached / glibc.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "weft.h"

static double seconds = 1.0;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run op() in batches until `seconds` have passed; return ops per second. */
#define MEASURE(result, op)                                                           \
    do {                                                                              \
        uint64_t t0 = now_ns(), n = 0, limit = (uint64_t)(seconds * 1e9);             \
        for (;;) {                                                                    \
            for (int i_ = 0; i_ < 256; i_++) {                                        \
                op;                                                                   \
            }                                                                         \
            n += 256;                                                                 \
            uint64_t dt = now_ns() - t0;                                              \
            if (dt >= limit) {                                                        \
                (result) = (double)n * 1e9 / (double)dt;                              \
                break;                                                                \
            }                                                                         \
        }                                                                             \
    } while (0)

static int glibc_once(void)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    int rc = getaddrinfo("localhost", "80", &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(rc));
        exit(1);
    }
    freeaddrinfo(res);
    return 0;
}

struct result {
    double cached, uncached;
};

static int weft_once(weft_resolver *r)
{
    weft_dns_hints hints = {.family = AF_INET};
    weft_addrinfo *ai;
    int n = weft_resolver_getaddrinfo(r, "localhost", "80", &hints, &ai);
    if (n < 1) {
        fprintf(stderr, "weft_getaddrinfo: %s\n", weft_strerror(n));
        exit(1);
    }
    weft_addrinfo_free(ai);
    return 0;
}

static int bench_main(void *arg)
{
    struct result *res = arg;
    weft_resolver *cached, *uncached;
    weft_resolver_opts o = {.cache_ttl_max_ns = WEFT_SEC(3600)};
    if (weft_resolver_new(NULL, &o, &cached) || weft_resolver_new(NULL, &(weft_resolver_opts){
                                                      .flags = WEFT_RESOLVER_NO_CACHE},
                                                  &uncached))
        return -1;
    weft_once(cached); /* fill the cache */
    MEASURE(res->cached, weft_once(cached));
    MEASURE(res->uncached, weft_once(uncached));
    weft_resolver_stats st;
    weft_resolver_get_stats(cached, &st);
    if (st.cache_hits + 1 != st.lookups) {
        fprintf(stderr, "cache did not answer every look-up\n");
        return -1;
    }
    weft_resolver_free(cached);
    weft_resolver_free(uncached);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        seconds = atof(argv[1]) > 0 ? atof(argv[1]) : 1.0;
    double glibc;
    glibc_once();
    MEASURE(glibc, glibc_once());
    struct result res;
    if (weft_run(bench_main, &res) != 0)
        return 1;
    printf("glibc getaddrinfo(localhost) /etc/hosts: %12.0f ops/s (anchor)\n", glibc);
    printf("weft cached look-up (localhost):         %12.0f ops/s\n", res.cached);
    printf("weft uncached (hosts file each time):    %12.0f ops/s\n", res.uncached);
    printf("ratio weft_cached/glibc: %.2f\n", res.cached / glibc);
    printf("ratio weft_uncached/glibc: %.2f\n", res.uncached / glibc);
    return 0;
}
