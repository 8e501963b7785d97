/* The resolver without a network: a fake back-end in place of c-ares and the
 * loop's virtual clock, so that TTLs, negative caching, the LRU bound,
 * coalescing and cancellation are tested deterministically. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"
#include "weft_test.h"
#include "dns/dns_int.h"

/* ---------------------------------------------------------- fake back-end */

/* Names it knows: "v4.example" 192.0.2.1 (TTL fake.ttl), "dual.example"
 * 192.0.2.1, 2001:db8::1, 192.0.2.2, "nx.example" NXDOMAIN, "fail.example"
 * SERVFAIL, "sync.example" answered inside start(), "hold.example" held
 * until fake_release(); anything else "n<i>.example" 10.0.x.y. Answers come
 * one loop iteration later, as from a socket. */
struct fake {
    int calls;
    uint32_t ttl;
    struct weft__dns_query *held[8];
    int nheld;
    weft_loop *loop;
};

static void fake_answer(struct weft__dns_query *q, uint32_t ttl)
{
    struct weft__dns_addr a[3];
    memset(a, 0, sizeof a);
    const char *name = q->name;
    if (strcmp(name, "nx.example") == 0) {
        weft__dns_query_done(q, WEFT_EDNS_NXDOMAIN, NULL, 0, 0);
        return;
    }
    if (strcmp(name, "fail.example") == 0) {
        weft__dns_query_done(q, WEFT_EDNS_SERVFAIL, NULL, 0, 0);
        return;
    }
    size_t n = 0;
    if (strcmp(name, "dual.example") == 0) {
        a[0].family = AF_INET;
        inet_pton(AF_INET, "192.0.2.1", &a[0].u.v4);
        a[1].family = AF_INET6;
        inet_pton(AF_INET6, "2001:db8::1", &a[1].u.v6);
        a[2].family = AF_INET;
        inet_pton(AF_INET, "192.0.2.2", &a[2].u.v4);
        n = 3;
    } else {
        unsigned i = 0;
        sscanf(name, "n%u.", &i);
        a[0].family = AF_INET;
        a[0].u.v4.s_addr = strcmp(name, "v4.example") == 0 ? inet_addr("192.0.2.1")
                                                            : htonl(0x0a000000u + i);
        n = 1;
    }
    /* Honour the family asked for, as a server would. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (q->node.family == AF_UNSPEC || a[i].family == q->node.family)
            a[k++] = a[i];
    weft__dns_query_done(q, k ? 0 : WEFT_EDNS_NODATA, a, k, ttl);
}

struct pending {
    struct weft__call call;
    struct weft__dns_query *q;
    struct fake *f;
};

static void fake_later(void *ud)
{
    struct pending *p = ud;
    fake_answer(p->q, p->f->ttl);
    free(p);
}

static void fake_start(weft_resolver *r, struct weft__dns_query *q, void *ud)
{
    struct fake *f = ud;
    f->calls++;
    if (strcmp(q->name, "sync.example") == 0) {
        fake_answer(q, f->ttl);
        return;
    }
    if (strcmp(q->name, "hold.example") == 0) {
        assert_true(f->nheld < 8);
        f->held[f->nheld++] = q;
        return;
    }
    struct pending *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->q = q;
    p->f = f;
    p->call.cb = fake_later;
    p->call.ud = p;
    weft__loop_post(f->loop, &p->call);
}

static void fake_release(struct fake *f)
{
    for (int i = 0; i < f->nheld; i++) {
        struct weft__dns_query *q = f->held[i];
        weft__dns_query_done(q, 0,
                             &(struct weft__dns_addr){.family = AF_INET,
                                                      .u.v4.s_addr = inet_addr("192.0.2.9")},
                             1, f->ttl);
    }
    f->nheld = 0;
}

/* ---------------------------------------------------------- harness */

struct ctx {
    struct fake fake;
    weft_resolver *r;
    weft_resolver_opts opts;
};

typedef int (*body_fn)(struct ctx *c);

struct run_arg {
    struct ctx *c;
    body_fn body;
};

static int run_body(void *arg)
{
    struct run_arg *ra = arg;
    return ra->body(ra->c);
}

/* Run body as a task on a loop with virtual time and a fresh resolver using
 * the fake back-end; check that nothing leaks (fds, loop objects). */
static void run_virtual(body_fn body, const weft_resolver_opts *opts)
{
    int fds = weft_test_count_fds();
    struct ctx c;
    memset(&c, 0, sizeof c);
    if (opts)
        c.opts = *opts;
    c.fake.ttl = 30;
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    assert_int_equal(weft_loop_use_virtual_clock(loop), 0);
    c.fake.loop = loop;
    assert_int_equal(weft_resolver_new(loop, &c.opts, &c.r), 0);
    weft__resolver_set_backend(c.r, fake_start, &c.fake);
    struct run_arg ra = {&c, body};
    weft_task *t;
    assert_int_equal(weft_task_spawn(loop, run_body, &ra, &t), 0);
    assert_int_equal(weft_loop_run_until_complete(loop, t), 0);
    weft_resolver_free(c.r);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(weft_loop_close(loop), 0);
    assert_int_equal(weft_test_count_fds(), fds);
}

static int lookup(struct ctx *c, const char *host, int family, weft_addrinfo **out)
{
    weft_dns_hints h = {.family = family};
    return weft_resolver_getaddrinfo(c->r, host, "443", &h, out);
}

static int lookup_drop(struct ctx *c, const char *host)
{
    weft_addrinfo *ai = NULL;
    int rc = lookup(c, host, AF_UNSPEC, &ai);
    weft_addrinfo_free(ai);
    return rc;
}

/* ---------------------------------------------------------- cases */

static int ttl_body(struct ctx *c)
{
    weft_addrinfo *ai;
    c->fake.ttl = 30; /* over the 10 s cap */
    assert_int_equal(lookup(c, "V4.Example", AF_UNSPEC, &ai), 1);
    assert_int_equal(c->fake.calls, 1);
    char buf[WEFT_ADDRSTRLEN];
    assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "192.0.2.1");
    assert_int_equal(ntohs(ai->addr.in.sin_port), 443);
    assert_int_equal(ai->socktype, SOCK_STREAM);
    assert_int_equal(ai->protocol, IPPROTO_TCP);
    assert_int_equal(ai->ttl, 10);
    weft_addrinfo_free(ai);

    /* Cached (case-insensitively) until the cap... */
    assert_int_equal(weft_sleep(WEFT_SEC(9)), 0);
    assert_int_equal(lookup(c, "v4.example", AF_UNSPEC, &ai), 1);
    assert_int_equal(ai->ttl, 0 + 1); /* 1 s left */
    weft_addrinfo_free(ai);
    assert_int_equal(c->fake.calls, 1);
    /* ... and not after. */
    assert_int_equal(weft_sleep(WEFT_SEC(1)), 0);
    assert_int_equal(lookup_drop(c, "v4.example"), 1);
    assert_int_equal(c->fake.calls, 2);

    /* A TTL under the cap is used as it is. */
    c->fake.ttl = 3;
    assert_int_equal(lookup_drop(c, "n1.example"), 1);
    assert_int_equal(weft_sleep(WEFT_MSEC(2999)), 0);
    assert_int_equal(lookup_drop(c, "n1.example"), 1);
    assert_int_equal(c->fake.calls, 3);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(lookup_drop(c, "n1.example"), 1);
    assert_int_equal(c->fake.calls, 4);

    /* TTL 0 is not cached. */
    c->fake.ttl = 0;
    assert_int_equal(lookup_drop(c, "n2.example"), 1);
    assert_int_equal(lookup_drop(c, "n2.example"), 1);
    assert_int_equal(c->fake.calls, 6);

    weft_resolver_stats st;
    weft_resolver_get_stats(c->r, &st);
    assert_int_equal(st.lookups, 8);
    assert_int_equal(st.cache_hits, 2);
    assert_int_equal(st.queries, 6);
    return 0;
}

static void ttl_is_capped_and_expires(void **state)
{
    run_virtual(ttl_body, NULL);
}

static int negative_body(struct ctx *c)
{
    assert_int_equal(lookup_drop(c, "nx.example"), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(lookup_drop(c, "nx.example"), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(c->fake.calls, 1);
    /* NODATA too: v4.example has no IPv6 address. */
    weft_addrinfo *ai;
    assert_int_equal(lookup(c, "v4.example", AF_INET6, &ai), WEFT_EDNS_NODATA);
    assert_null(ai);
    assert_int_equal(lookup(c, "v4.example", AF_INET6, &ai), WEFT_EDNS_NODATA);
    assert_int_equal(c->fake.calls, 2);
    /* Kept for negative_ttl (2 s here), not the 10 s cap. */
    assert_int_equal(weft_sleep(WEFT_MSEC(1999)), 0);
    assert_int_equal(lookup_drop(c, "nx.example"), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(c->fake.calls, 2);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(lookup_drop(c, "nx.example"), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(c->fake.calls, 3);
    /* Server failures are never cached. */
    assert_int_equal(lookup_drop(c, "fail.example"), WEFT_EDNS_SERVFAIL);
    assert_int_equal(lookup_drop(c, "fail.example"), WEFT_EDNS_SERVFAIL);
    assert_int_equal(c->fake.calls, 5);
    return 0;
}

static void negative_answers_cached_briefly(void **state)
{
    weft_resolver_opts o = {.negative_ttl_ns = WEFT_SEC(2)};
    run_virtual(negative_body, &o);
}

static int no_negative_body(struct ctx *c)
{
    assert_int_equal(lookup_drop(c, "nx.example"), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(lookup_drop(c, "nx.example"), WEFT_EDNS_NXDOMAIN);
    assert_int_equal(c->fake.calls, 2);
    /* A per-call NO_CACHE neither reads nor fills the cache. */
    weft_dns_hints h = {.flags = WEFT_DNS_NO_CACHE};
    weft_addrinfo *ai;
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "v4.example", NULL, &h, &ai), 1);
    weft_addrinfo_free(ai);
    assert_int_equal(lookup_drop(c, "v4.example"), 1);
    assert_int_equal(c->fake.calls, 4);
    return 0;
}

static void negative_cache_can_be_disabled(void **state)
{
    weft_resolver_opts o = {.flags = WEFT_RESOLVER_NO_NEGATIVE_CACHE};
    run_virtual(no_negative_body, &o);
}

static int lru_body(struct ctx *c)
{
    char name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "n%d.example", i);
        assert_int_equal(lookup_drop(c, name), 1);
    }
    assert_int_equal(c->fake.calls, 4);
    /* Touch n0, so n1 is now the least recently used; a fifth name evicts it. */
    assert_int_equal(lookup_drop(c, "n0.example"), 1);
    assert_int_equal(lookup_drop(c, "n4.example"), 1);
    assert_int_equal(c->fake.calls, 5);
    weft_resolver_stats st;
    weft_resolver_get_stats(c->r, &st);
    assert_int_equal(st.cache_entries, 4);
    assert_int_equal(lookup_drop(c, "n0.example"), 1);
    assert_int_equal(c->fake.calls, 5);
    assert_int_equal(lookup_drop(c, "n1.example"), 1);
    assert_int_equal(c->fake.calls, 6);
    weft_resolver_clear_cache(c->r);
    weft_resolver_get_stats(c->r, &st);
    assert_int_equal(st.cache_entries, 0);
    return 0;
}

static void cache_is_bounded_lru(void **state)
{
    weft_resolver_opts o = {.cache_size = 4};
    run_virtual(lru_body, &o);
}

struct many {
    struct ctx *c;
    const char *name;
    int family;
};

static int many_child(void *arg)
{
    struct many *m = arg;
    weft_addrinfo *ai;
    int rc = lookup(m->c, m->name, m->family, &ai);
    if (rc == 1) {
        char buf[WEFT_ADDRSTRLEN];
        assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "192.0.2.9");
    }
    weft_addrinfo_free(ai);
    return rc == 1 ? 0 : rc;
}

static int release_later(void *arg)
{
    struct ctx *c = arg;
    assert_int_equal(weft_sleep(WEFT_MSEC(100)), 0);
    fake_release(&c->fake);
    return 0;
}

static int coalesce_body(struct ctx *c)
{
    enum { N = 200 };
    static struct many m[N];
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    for (int i = 0; i < N; i++) {
        m[i] = (struct many){c, "hold.example", i % 4 == 3 ? AF_INET : AF_UNSPEC};
        assert_true(weft_group_spawn(g, many_child, &m[i]) >= 0);
    }
    assert_true(weft_group_spawn(g, release_later, c) >= 0);
    assert_int_equal(weft_group_wait(g), 0);
    weft_group_free(g);
    /* One query per family asked for, however many waited. */
    assert_int_equal(c->fake.calls, 2);
    weft_resolver_stats st;
    weft_resolver_get_stats(c->r, &st);
    assert_int_equal(st.queries, 2);
    assert_int_equal(st.coalesced, N - 2);
    return 0;
}

static void concurrent_lookups_coalesce(void **state)
{
    run_virtual(coalesce_body, NULL);
}

static int cancel_child(void *arg)
{
    struct ctx *c = arg;
    weft_addrinfo *ai = (weft_addrinfo *)1;
    int rc = lookup(c, "hold.example", AF_UNSPEC, &ai);
    if (rc < 0)
        assert_null(ai);
    weft_addrinfo_free(ai);
    return rc;
}

static int cancel_body(struct ctx *c)
{
    /* Cancelled while waiting: -ECANCELED, and the waiter (on the dead
     * task's stack) is never touched again when the answer comes. */
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, cancel_child, c, &t), 0);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(c->fake.nheld, 1);
    assert_int_equal(weft_task_cancel(t), 0);
    assert_int_equal(weft_task_join(t), -ECANCELED);
    fake_release(&c->fake);
    /* The answer still filled the cache. */
    assert_int_equal(lookup_drop(c, "hold.example"), 1);
    assert_int_equal(c->fake.calls, 1);
    weft_resolver_clear_cache(c->r);

    /* A deadline: -ETIMEDOUT at the deadline, query left running. */
    int scope = weft_timeout_push(WEFT_SEC(1));
    uint64_t t0 = weft_loop_now(weft_loop_current());
    assert_int_equal(lookup_drop(c, "hold.example"), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    assert_int_equal(weft_loop_now(weft_loop_current()) - t0, WEFT_SEC(1));
    assert_int_equal(c->fake.nheld, 1);
    /* A later look-up joins the query still in flight. */
    assert_int_equal(weft_task_spawn(NULL, cancel_child, c, &t), 0);
    assert_int_equal(weft_yield(), 0);
    fake_release(&c->fake);
    assert_int_equal(weft_task_join(t), 1);
    assert_int_equal(c->fake.calls, 2);
    return 0;
}

static void cancel_and_deadline_drop_the_waiter(void **state)
{
    run_virtual(cancel_body, NULL);
}

struct cbres {
    int calls, status, count;
    char first[WEFT_ADDRSTRLEN];
    bool *in_call;
};

static void on_result(int status, weft_addrinfo *list, void *ud)
{
    struct cbres *res = ud;
    assert_false(*res->in_call);
    res->calls++;
    res->status = status;
    if (list)
        weft_addrinfo_ntop(list, res->first, sizeof res->first);
    weft_addrinfo_free(list);
}

static int callbacks_body(struct ctx *c)
{
    bool in_call = false;
    struct cbres a = {.in_call = &in_call}, b = {.in_call = &in_call},
                 d = {.in_call = &in_call}, e = {.in_call = &in_call};
    weft_dns_req *req;
    in_call = true;
    /* A sync back-end answer, a literal, an error and a pending query: all
     * are delivered later, never inside the call. */
    assert_int_equal(weft_resolver_getaddrinfo_cb(c->r, "sync.example", "80", NULL, on_result, &a,
                                                  NULL), 0);
    assert_int_equal(weft_resolver_getaddrinfo_cb(c->r, "[2001:db8::5]", NULL, NULL, on_result, &b,
                                                  NULL), 0);
    assert_int_equal(weft_resolver_getaddrinfo_cb(c->r, "bad..name", NULL, NULL, on_result, &d,
                                                  NULL), 0);
    assert_int_equal(weft_resolver_getaddrinfo_cb(c->r, "hold.example", NULL, NULL, on_result, &e,
                                                  &req), 0);
    in_call = false;
    assert_int_equal(a.calls + b.calls + d.calls + e.calls, 0);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, 1);
    assert_int_equal(b.calls, 1);
    assert_string_equal(b.first, "2001:db8::5");
    assert_int_equal(d.status, WEFT_EDNS_BADNAME);
    assert_int_equal(e.calls, 0);
    /* Cancelled: its callback never runs, even once the answer arrives. */
    weft_dns_req_cancel(req);
    fake_release(&c->fake);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(e.calls, 0);

    /* Cancelled after the answer was queued but before it ran. */
    struct cbres f = {.in_call = &in_call};
    assert_int_equal(weft_resolver_getaddrinfo_cb(c->r, "sync.example", NULL, NULL, on_result, &f,
                                                  &req), 0);
    weft_dns_req_cancel(req);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(f.calls, 0);
    return 0;
}

static void callback_variant_runs_later_or_never(void **state)
{
    run_virtual(callbacks_body, NULL);
}

static int closed_child(void *arg)
{
    struct ctx *c = arg;
    return lookup_drop(c, "hold.example");
}

static int closed_body(struct ctx *c)
{
    /* Waiters of a freed resolver get WEFT_ECLOSED, tasks and callbacks. */
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, closed_child, c, &t), 0);
    bool in_call = false;
    struct cbres a = {.in_call = &in_call};
    assert_int_equal(weft_resolver_getaddrinfo_cb(c->r, "hold.example", NULL, NULL, on_result, &a,
                                                  NULL), 0);
    assert_int_equal(weft_yield(), 0);
    weft_resolver_free(c->r);
    assert_int_equal(weft_task_join(t), WEFT_ECLOSED);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.status, WEFT_ECLOSED);
    /* Give the harness a fresh one to free. */
    assert_int_equal(weft_resolver_new(NULL, NULL, &c->r), 0);
    return 0;
}

static void freeing_the_resolver_ends_waiters(void **state)
{
    run_virtual(closed_body, NULL);
}

static int literal_body(struct ctx *c)
{
    weft_addrinfo *ai;
    char buf[WEFT_ADDRSTRLEN];
    weft_dns_hints h = {0};
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "127.0.0.1", "http", &h, &ai), 1);
    assert_int_equal(ai->family, AF_INET);
    assert_int_equal(ntohs(ai->addr.in.sin_port), 80);
    weft_addrinfo_free(ai);
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "::1", "8080", &h, &ai), 1);
    assert_int_equal(ai->family, AF_INET6);
    assert_int_equal(ai->addrlen, sizeof(struct sockaddr_in6));
    assert_int_equal(ntohs(ai->addr.in6.sin6_port), 8080);
    weft_addrinfo_free(ai);
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "[2001:DB8::1]", NULL, &h, &ai), 1);
    assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "2001:db8::1");
    weft_addrinfo_free(ai);
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "fe80::1%1", NULL, &h, &ai), 1);
    assert_int_equal(ai->addr.in6.sin6_scope_id, 1);
    weft_addrinfo_free(ai);
    h.socktype = SOCK_DGRAM;
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "10.1.2.3", "domain", &h, &ai), 1);
    assert_int_equal(ai->protocol, IPPROTO_UDP);
    assert_int_equal(ntohs(ai->addr.in.sin_port), 53);
    weft_addrinfo_free(ai);
    h.socktype = 0;
    h.family = AF_INET6;
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "127.0.0.1", NULL, &h, &ai), WEFT_EDNS_NODATA);
    h.family = 0;
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "[127.0.0.1]", NULL, &h, &ai),
                     WEFT_EDNS_BADNAME);
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "127.0.0.1", "no-such-service", &h, &ai),
                     -EINVAL);
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "127.0.0.1", "65536", &h, &ai), -EINVAL);
    /* Numeric-only look-ups refuse names. */
    h.flags = WEFT_DNS_NUMERIC_HOST;
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "v4.example", NULL, &h, &ai),
                     WEFT_EDNS_BADNAME);
    /* None of it reached the back-end, the cache or the counters. */
    assert_int_equal(c->fake.calls, 0);
    weft_resolver_stats st;
    weft_resolver_get_stats(c->r, &st);
    assert_int_equal(st.lookups, 0);
    assert_int_equal(st.cache_entries, 0);
    return 0;
}

static void literals_never_reach_dns(void **state)
{
    run_virtual(literal_body, NULL);
}

static int badname_body(struct ctx *c)
{
    static const char *bad[] = {"", "a..b", ".a", "a b", "h\xc3\xa9llo.example", "a/b",
                                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(lookup_drop(c, bad[i]), WEFT_EDNS_BADNAME);
    char longname[300];
    memset(longname, 'a', sizeof longname);
    for (int i = 50; i < 299; i += 50)
        longname[i] = '.';
    longname[299] = '\0';
    assert_int_equal(lookup_drop(c, longname), WEFT_EDNS_BADNAME);
    weft_addrinfo *ai;
    assert_int_equal(weft_resolver_getaddrinfo(c->r, NULL, NULL, NULL, &ai), WEFT_EDNS_BADNAME);
    weft_dns_hints h = {.family = 12345};
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "v4.example", NULL, &h, &ai), -EAFNOSUPPORT);
    assert_int_equal(c->fake.calls, 0);
    /* A trailing dot and underscores are fine. */
    assert_int_equal(lookup_drop(c, "under_score.example."), 1);
    return 0;
}

static void bad_names_are_refused(void **state)
{
    run_virtual(badname_body, NULL);
}

static int order_body(struct ctx *c)
{
    weft_addrinfo *ai;
    char buf[WEFT_ADDRSTRLEN];
    assert_int_equal(lookup(c, "dual.example", AF_UNSPEC, &ai), 3);
    /* IPv6 first, then IPv4 in the server's order. */
    assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "2001:db8::1");
    assert_string_equal(weft_addrinfo_ntop(ai->next, buf, sizeof buf), "192.0.2.1");
    assert_string_equal(weft_addrinfo_ntop(ai->next->next, buf, sizeof buf), "192.0.2.2");
    weft_addrinfo_free(ai);
    weft_dns_hints h = {.flags = WEFT_DNS_V4_FIRST};
    assert_int_equal(weft_resolver_getaddrinfo(c->r, "dual.example", NULL, &h, &ai), 3);
    assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "192.0.2.1");
    assert_string_equal(weft_addrinfo_ntop(ai->next->next, buf, sizeof buf), "2001:db8::1");
    weft_addrinfo_free(ai);
    assert_int_equal(lookup(c, "dual.example", AF_INET, &ai), 2);
    weft_addrinfo_free(ai);
    assert_int_equal(lookup(c, "dual.example", AF_INET6, &ai), 1);
    weft_addrinfo_free(ai);
    return 0;
}

static void unspec_orders_ipv6_first(void **state)
{
    run_virtual(order_body, NULL);
}

static int localhost_body(struct ctx *c)
{
    weft_addrinfo *ai;
    char buf[WEFT_ADDRSTRLEN];
    /* /etc/hosts has localhost (at least as 127.0.0.1). */
    weft_dns_hints h = {.family = AF_INET};
    assert_true(weft_resolver_getaddrinfo(c->r, "localhost", "80", &h, &ai) >= 1);
    assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "127.0.0.1");
    weft_addrinfo_free(ai);
    /* RFC 6761: *.localhost is loopback without asking anyone. */
    assert_int_equal(lookup(c, "app.localhost", AF_UNSPEC, &ai), 2);
    assert_string_equal(weft_addrinfo_ntop(ai, buf, sizeof buf), "::1");
    assert_string_equal(weft_addrinfo_ntop(ai->next, buf, sizeof buf), "127.0.0.1");
    weft_addrinfo_free(ai);
    assert_int_equal(c->fake.calls, 0);
    weft_resolver_stats st;
    weft_resolver_get_stats(c->r, &st);
    assert_int_equal(st.hosts_hits, 2);
    /* Cached: the hosts file is not read again. */
    assert_true(lookup(c, "localhost", AF_INET, &ai) >= 1);
    weft_addrinfo_free(ai);
    weft_resolver_get_stats(c->r, &st);
    assert_int_equal(st.cache_hits, 1);
    return 0;
}

static void hosts_file_and_localhost(void **state)
{
    run_virtual(localhost_body, NULL);
}

/* The default resolver is made on first use and freed by weft_loop_close
 * (ASan's leak check sees to the latter). */
static int default_body(void *arg)
{
    weft_addrinfo *ai;
    weft_dns_hints h = {.family = AF_INET};
    assert_true(weft_getaddrinfo("localhost", "80", &h, &ai) >= 1);
    weft_addrinfo_free(ai);
    weft_resolver *a, *b;
    assert_int_equal(weft_resolver_default(NULL, &a), 0);
    assert_int_equal(weft_resolver_default(NULL, &b), 0);
    assert_ptr_equal(a, b);
    /* Replace it with our own. */
    weft_resolver_opts o = {.cache_size = 7};
    weft_resolver *mine;
    assert_int_equal(weft_resolver_new(NULL, &o, &mine), 0);
    assert_int_equal(weft_resolver_set_default(NULL, mine), 0);
    assert_int_equal(weft_resolver_default(NULL, &b), 0);
    assert_ptr_equal(b, mine);
    assert_true(weft_getaddrinfo("127.0.0.1", NULL, NULL, &ai) == 1);
    weft_addrinfo_free(ai);
    return 0;
}

static void default_resolver_per_loop(void **state)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(default_body, NULL), 0);
    assert_int_equal(weft_test_count_fds(), fds);
    weft_addrinfo *ai;
    assert_int_equal(weft_getaddrinfo("localhost", NULL, NULL, &ai), -EPERM);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(ttl_is_capped_and_expires),
    cmocka_unit_test(negative_answers_cached_briefly),
    cmocka_unit_test(negative_cache_can_be_disabled),
    cmocka_unit_test(cache_is_bounded_lru),
    cmocka_unit_test(concurrent_lookups_coalesce),
    cmocka_unit_test(cancel_and_deadline_drop_the_waiter),
    cmocka_unit_test(callback_variant_runs_later_or_never),
    cmocka_unit_test(freeing_the_resolver_ends_waiters),
    cmocka_unit_test(literals_never_reach_dns),
    cmocka_unit_test(bad_names_are_refused),
    cmocka_unit_test(unspec_orders_ipv6_first),
    cmocka_unit_test(hosts_file_and_localhost),
    cmocka_unit_test(default_resolver_per_loop),
};

WEFT_TEST_MAIN(tests)
