/*
 * connector_limits.c - a connection pool with limits and a DNS cache (the
 * C twin of aiohttp's TCPConnector, seeds/000):
 *
 *     resolver = AsyncResolver(nameservers=["8.8.8.8", "8.8.4.4"])
 *     c = aiohttp.TCPConnector(limit=30, limit_per_host=30, resolver=resolver,
 *                              ttl_dns_cache=300)
 *     async with aiohttp.ClientSession(connector=c) as s:
 *         await asyncio.gather(*(s.get(url) for _ in range(n)))
 *
 * N requests start at once; the pool lets at most LIMIT (and LIMIT_PER_HOST
 * per host) run together, the others queue in order and reuse the first
 * ones' connections. Names are resolved through the given servers; look-ups
 * of one name at the same time share one query, and the answer is kept for
 * 300 s.
 *
 * Usage: connector_limits URL [-n N] [--limit L] [--limit-per-host H]
 *                             [--nameserver IP[:PORT]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static const char *url;
static int nreq = 40;
static weft_http_session_opts opts = {.limit = 30, .limit_per_host = 30,
                                      .dns_ttl_ns = WEFT_SEC(300)};
static weft_http_session *s;
static int failures;

static int get(void *arg)
{
    weft_http_response *r;
    int rc = weft_http_session_get(s, url, NULL, &r);
    if (rc == 0) {
        rc = weft_http_response_read_all(r, NULL, NULL);
        weft_http_response_free(r);
    }
    if (rc < 0) {
        fprintf(stderr, "connector_limits: %s\n", weft_strerror(rc));
        failures++;
    }
    return 0;
}

static int main_task(void *arg)
{
    int rc = weft_http_session_new(NULL, &opts, &s);
    if (rc < 0) {
        fprintf(stderr, "connector_limits: %s\n", weft_strerror(rc));
        return 1;
    }
    weft_group *g;
    weft_group_new(&g);
    for (int i = 0; i < nreq; i++)
        weft_group_spawn(g, get, NULL);
    weft_group_wait(g);
    weft_group_free(g);
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    weft_resolver_stats rs;
    weft_resolver_get_stats(weft_http_session_resolver(s), &rs);
    printf("requests: %d, failed: %d\n", nreq, failures);
    printf("connections: %llu opened, at most %zu at once, %llu requests queued\n",
           (unsigned long long)st.connections_opened, st.max_open,
           (unsigned long long)st.pool_waits);
    printf("dns: %llu lookups, %llu queries sent (%llu joined one in flight, %llu from the "
           "cache)\n",
           (unsigned long long)rs.lookups, (unsigned long long)rs.queries,
           (unsigned long long)rs.coalesced, (unsigned long long)rs.cache_hits);
    weft_http_session_close(s);
    return failures != 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            nreq = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--limit") && i + 1 < argc)
            opts.limit = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--limit-per-host") && i + 1 < argc)
            opts.limit_per_host = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--nameserver") && i + 1 < argc)
            opts.dns_servers = argv[++i];
        else
            url = argv[i];
    }
    if (!url) {
        fprintf(stderr, "usage: connector_limits URL [-n N] [--limit L] [--limit-per-host H] "
                        "[--nameserver IP]\n");
        return 2;
    }
    return weft_run(main_task, NULL);
}
