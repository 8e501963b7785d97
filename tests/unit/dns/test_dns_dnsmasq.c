/* The resolver against a real DNS server on loopback: dnsmasq, started by
 * each case on a free port with its own records and killed by PID at the
 * end; and against a UDP socket that never answers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft.h"
#include "weft_dnsmasq.h"
#include "weft_test.h"

struct env {
    struct weft_dnsmasq dm;
    weft_resolver *r;
};

static const char *const records[] = {
    "--host-record=h.test,127.0.0.9,::9",
    "--host-record=v4only.test,127.0.0.10",
    "--address=/x.test/127.0.0.5",
    NULL,
};

typedef int (*body_fn)(struct env *e);
struct run_arg {
    struct env *e;
    body_fn body;
    const char *hosts;
    weft_resolver_opts opts;
};

static int run_main(void *arg)
{
    struct run_arg *ra = arg;
    ra->opts.servers = ra->e->dm.servers;
    ra->opts.flags |= WEFT_RESOLVER_NO_SEARCH;
    assert_int_equal(weft_resolver_new(NULL, &ra->opts, &ra->e->r), 0);
    int rc = ra->body(ra->e);
    weft_resolver_free(ra->e->r);
    return rc;
}

static void with_dnsmasq(body_fn body, const char *hosts, int ttl, const weft_resolver_opts *opts)
{
    if (!weft_dnsmasq_available())
        skip();
    struct env e;
    memset(&e, 0, sizeof e);
    assert_int_equal(weft_dnsmasq_start(&e.dm, hosts, ttl, records), 0);
    int fds = weft_test_count_fds();
    struct run_arg ra = {.e = &e, .body = body, .hosts = hosts};
    if (opts)
        ra.opts = *opts;
    int rc = weft_run(run_main, &ra);
    int fds_after = weft_test_count_fds();
    weft_dnsmasq_stop(&e.dm);
    assert_int_equal(rc, 0);
    assert_int_equal(fds_after, fds);
}

static int resolve(struct env *e, const char *host, int family, char *first, weft_addrinfo **keep)
{
    weft_dns_hints h = {.family = family};
    weft_addrinfo *ai;
    int rc = weft_resolver_getaddrinfo(e->r, host, "80", &h, &ai);
    if (rc > 0 && first)
        weft_addrinfo_ntop(ai, first, WEFT_ADDRSTRLEN);
    if (keep)
        *keep = ai;
    else
        weft_addrinfo_free(ai);
    return rc;
}

/* ---------------------------------------------------------- A and AAAA */

static int a_aaaa_body(struct env *e)
{
    char buf[WEFT_ADDRSTRLEN];
    weft_addrinfo *ai;
    assert_int_equal(resolve(e, "h.test", AF_UNSPEC, NULL, &ai), 2);
    assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "::9");
    assert_int_equal(ai->family, AF_INET6);
    assert_int_equal(ntohs(ai->addr.in6.sin6_port), 80);
    assert_string_equal(weft_addrinfo_ntop(ai->next, buf, sizeof buf), "127.0.0.9");
    assert_int_equal(ai->next->family, AF_INET);
    weft_addrinfo_free(ai);
    assert_int_equal(resolve(e, "h.test", AF_INET, buf, NULL), 1);
    assert_string_equal(buf, "127.0.0.9");
    assert_int_equal(resolve(e, "h.test", AF_INET6, buf, NULL), 1);
    assert_string_equal(buf, "::9");
    assert_int_equal(resolve(e, "deep.name.x.test", AF_INET, buf, NULL), 1);
    assert_string_equal(buf, "127.0.0.5");
    /* Answered from the cache the second time: one A query in the log. */
    assert_int_equal(resolve(e, "H.TEST", AF_INET, buf, NULL), 1);
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] h.test from"), 2); /* UNSPEC + INET */
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[AAAA] h.test from"), 2);
    /* An A-only name asked for IPv6: NODATA. */
    assert_int_equal(resolve(e, "v4only.test", AF_INET6, NULL, NULL), WEFT_EDNS_NODATA);
    assert_int_equal(resolve(e, "v4only.test", AF_UNSPEC, buf, NULL), 1);
    assert_string_equal(buf, "127.0.0.10");
    return 0;
}

static void a_and_aaaa_answers(void **state)
{
    with_dnsmasq(a_aaaa_body, "", 60, NULL);
}

/* ---------------------------------------------------------- TTL */

static int ttl_body(struct env *e)
{
    char buf[WEFT_ADDRSTRLEN];
    assert_int_equal(resolve(e, "a.test", AF_INET, buf, NULL), 1);
    assert_string_equal(buf, "127.0.0.7");
    /* Change the record; within its 1 s TTL the cache still has the old one. */
    assert_int_equal(weft_dnsmasq_set_hosts(&e->dm, "127.0.0.8 a.test\n"), 0);
    assert_int_equal(resolve(e, "a.test", AF_INET, buf, NULL), 1);
    assert_string_equal(buf, "127.0.0.7");
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] a.test from"), 1);
    /* Past the TTL the cache asks again and sees the new address. */
    assert_int_equal(weft_sleep(WEFT_MSEC(1100)), 0);
    assert_int_equal(resolve(e, "a.test", AF_INET, buf, NULL), 1);
    assert_string_equal(buf, "127.0.0.8");
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] a.test from"), 2);
    return 0;
}

static void ttl_expiry_refreshes_the_cache(void **state)
{
    with_dnsmasq(ttl_body, "127.0.0.7 a.test\n", 1, NULL);
}

/* ---------------------------------------------------------- NXDOMAIN */

static int nx_body(struct env *e)
{
    assert_int_equal(resolve(e, "nope.test", AF_INET, NULL, NULL), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] nope.test from"), 1);
    /* Even once the name exists, the negative answer holds for its TTL... */
    assert_int_equal(weft_dnsmasq_set_hosts(&e->dm, "127.0.0.11 nope.test\n"), 0);
    assert_int_equal(resolve(e, "nope.test", AF_INET, NULL, NULL), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] nope.test from"), 1);
    /* ... and no longer. */
    assert_int_equal(weft_sleep(WEFT_MSEC(300)), 0);
    char buf[WEFT_ADDRSTRLEN];
    assert_int_equal(resolve(e, "nope.test", AF_INET, buf, NULL), 1);
    assert_string_equal(buf, "127.0.0.11");
    assert_int_equal(weft_dnsmasq_count(&e->dm, "query[A] nope.test from"), 2);
    return 0;
}

static void nxdomain_is_negatively_cached(void **state)
{
    weft_resolver_opts o = {.negative_ttl_ns = WEFT_MSEC(250)};
    with_dnsmasq(nx_body, "", 60, &o);
}

/* ---------------------------------------------------------- 1,000 at once */

struct one {
    struct env *e;
    char name[32];
};

static int one_lookup(void *arg)
{
    struct one *o = arg;
    char buf[WEFT_ADDRSTRLEN];
    int rc = resolve(o->e, o->name, AF_INET, buf, NULL);
    if (rc != 1)
        return rc < 0 ? rc : -EPROTO;
    return strcmp(buf, "127.0.0.5") == 0 ? 0 : -EPROTO;
}

static int thousand_body(struct env *e)
{
    int n = WEFT_SCALED(1000), names = WEFT_SCALED(250);
    struct one *o = calloc((size_t)n, sizeof *o);
    assert_non_null(o);
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    uint64_t t0 = weft_test_now_ns();
    for (int i = 0; i < n; i++) {
        o[i].e = e;
        snprintf(o[i].name, sizeof o[i].name, "n%d.x.test", i % names);
        assert_true(weft_group_spawn(g, one_lookup, &o[i]) >= 0);
    }
    assert_int_equal(weft_group_wait(g), 0);
    uint64_t dt = weft_test_now_ns() - t0;
    weft_group_free(g);
    free(o);
    weft_resolver_stats st;
    weft_resolver_get_stats(e->r, &st);
    /* One query per distinct name; the rest joined one in flight or hit the cache. */
    assert_int_equal(st.queries, (uint64_t)names);
    assert_int_equal(st.coalesced + st.cache_hits, (uint64_t)(n - names));
    assert_int_equal(weft_dnsmasq_count(&e->dm, ".x.test from"), names);
    assert_true(dt < WEFT_SEC(20));
    return 0;
}

static void thousand_concurrent_lookups(void **state)
{
    with_dnsmasq(thousand_body, "", 60, NULL);
}

/* ---------------------------------------------------------- hosts file */

static int hosts_body(struct env *e)
{
    char buf[WEFT_ADDRSTRLEN];
    assert_true(resolve(e, "localhost", AF_INET, buf, NULL) >= 1);
    assert_string_equal(buf, "127.0.0.1");
    assert_int_equal(resolve(e, "localhost", AF_INET6, buf, NULL), 1);
    assert_string_equal(buf, "::1");
    /* Never asked dnsmasq. */
    assert_int_equal(weft_dnsmasq_count(&e->dm, "localhost"), 0);

    /* Any other name /etc/hosts has comes from there too (first address of
     * the first such line; skipped if the file has none). */
    char name[256] = "", addr[64] = "";
    FILE *f = fopen("/etc/hosts", "r");
    char line[512];
    while (f && !name[0] && fgets(line, sizeof line, f)) {
        char a[64], n[256];
        struct in6_addr tmp;
        if (line[0] == '#' || sscanf(line, "%63s %255s", a, n) != 2 || strstr(n, "localhost") ||
            strchr(n, '#') || strchr(a, '%'))
            continue;
        if (inet_pton(AF_INET, a, &tmp) != 1 && inet_pton(AF_INET6, a, &tmp) != 1)
            continue;
        strcpy(name, n);
        strcpy(addr, a);
    }
    if (f)
        fclose(f);
    if (name[0]) {
        weft_addrinfo *ai;
        assert_true(resolve(e, name, AF_UNSPEC, NULL, &ai) >= 1);
        bool found = false;
        for (weft_addrinfo *p = ai; p; p = p->next) {
            weft_addrinfo_ntop(p, buf, sizeof buf);
            struct in6_addr x, y;
            int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
            if (p->family == fam && inet_pton(fam, buf, &x) == 1 && inet_pton(fam, addr, &y) == 1 &&
                memcmp(&x, &y, fam == AF_INET ? 4 : 16) == 0)
                found = true;
        }
        weft_addrinfo_free(ai);
        assert_true(found);
        /* Nothing but weft_dnsmasq_start's readiness probes reached dnsmasq. */
        assert_int_equal(weft_dnsmasq_count(&e->dm, " from 127.0.0.1"),
                         weft_dnsmasq_count(&e->dm, "probe.test from"));
    }
    return 0;
}

static void localhost_from_hosts_file(void **state)
{
    with_dnsmasq(hosts_body, "", 60, NULL);
}

/* ---------------------------------------------------------- no answer */

struct silent {
    char servers[32];
    int fd;
};

static int timeout_main(void *arg)
{
    struct silent *s = arg;
    weft_resolver_opts o = {.servers = s->servers, .timeout_ns = WEFT_MSEC(200), .tries = 1,
                            .flags = WEFT_RESOLVER_NO_SEARCH};
    weft_resolver *r;
    assert_int_equal(weft_resolver_new(NULL, &o, &r), 0);
    weft_addrinfo *ai;
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_resolver_getaddrinfo(r, "slow.test", NULL, NULL, &ai), WEFT_EDNS_TIMEOUT);
    uint64_t dt = weft_test_now_ns() - t0;
    assert_true(dt >= WEFT_MSEC(150));
    assert_true(dt < WEFT_SEC(2));
    assert_non_null(strstr(weft_resolver_errdetail(r), "slow.test"));
    /* Timeouts are not cached: the next call asks again. */
    weft_resolver_stats st;
    weft_resolver_get_stats(r, &st);
    assert_int_equal(st.cache_entries, 0);
    weft_resolver_free(r);
    return 0;
}

static void silent_server_times_out(void **state)
{
    struct silent s;
    s.fd = weft_blackhole_udp(s.servers);
    assert_true(s.fd >= 0);
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(timeout_main, &s), 0);
    assert_int_equal(weft_test_count_fds(), fds);
    close(s.fd);
}

static int literal_main(void *arg)
{
    struct silent *s = arg;
    weft_resolver_opts o = {.servers = s->servers, .timeout_ns = WEFT_SEC(30)};
    weft_resolver *r;
    assert_int_equal(weft_resolver_new(NULL, &o, &r), 0);
    weft_addrinfo *ai;
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_resolver_getaddrinfo(r, "127.0.0.1", "80", NULL, &ai), 1);
    weft_addrinfo_free(ai);
    assert_int_equal(weft_resolver_getaddrinfo(r, "[::1]", "80", NULL, &ai), 1);
    weft_addrinfo_free(ai);
    assert_int_equal(weft_resolver_getaddrinfo(r, "::ffff:10.0.0.1", NULL, NULL, &ai), 1);
    weft_addrinfo_free(ai);
    assert_true(weft_test_now_ns() - t0 < WEFT_MSEC(100));
    weft_resolver_free(r);
    return 0;
}

static void literals_send_no_query(void **state)
{
    struct silent s;
    s.fd = weft_blackhole_udp(s.servers);
    assert_true(s.fd >= 0);
    assert_int_equal(weft_run(literal_main, &s), 0);
    /* The silent server received nothing at all. */
    char buf[512];
    assert_int_equal(recv(s.fd, buf, sizeof buf, MSG_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);
    close(s.fd);
}

static int cancel_child(void *arg)
{
    weft_resolver *r = arg;
    weft_addrinfo *ai;
    return weft_resolver_getaddrinfo(r, "stuck.test", NULL, NULL, &ai);
}

static int cancel_main(void *arg)
{
    struct silent *s = arg;
    weft_resolver_opts o = {.servers = s->servers, .timeout_ns = WEFT_SEC(30)};
    weft_resolver *r;
    assert_int_equal(weft_resolver_new(NULL, &o, &r), 0);
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, cancel_child, r, &t), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(20)), 0);
    assert_int_equal(weft_task_cancel(t), 0);
    assert_int_equal(weft_task_join(t), -ECANCELED);
    /* Its query is still in c-ares, holding a socket; a deadline ends a
     * second waiter the same way. */
    int scope = weft_timeout_push(WEFT_MSEC(50));
    weft_addrinfo *ai;
    assert_int_equal(weft_resolver_getaddrinfo(r, "stuck.test", NULL, NULL, &ai), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    weft_resolver_stats st;
    weft_resolver_get_stats(r, &st);
    assert_int_equal(st.queries, 1);
    assert_int_equal(st.coalesced, 1);
    /* Freeing the resolver drops the query and closes its socket. */
    weft_resolver_free(r);
    return 0;
}

static void cancelled_lookup_is_dropped_safely(void **state)
{
    struct silent s;
    s.fd = weft_blackhole_udp(s.servers);
    assert_true(s.fd >= 0);
    int fds = weft_test_count_fds();
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_run(cancel_main, &s), 0);
    assert_true(weft_test_now_ns() - t0 < WEFT_SEC(5));
    assert_int_equal(weft_test_count_fds(), fds);
    close(s.fd);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_and_aaaa_answers),
    cmocka_unit_test(ttl_expiry_refreshes_the_cache),
    cmocka_unit_test(nxdomain_is_negatively_cached),
    cmocka_unit_test(thousand_concurrent_lookups),
    cmocka_unit_test(localhost_from_hosts_file),
    cmocka_unit_test(silent_server_times_out),
    cmocka_unit_test(literals_send_no_query),
    cmocka_unit_test(cancelled_lookup_is_dropped_safely),
};

WEFT_TEST_MAIN(tests)
