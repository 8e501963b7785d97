/*
 * resolver.c - getaddrinfo on the loop: IP literals, the cache, /etc/hosts,
 * then c-ares, whose sockets are fd watchers and whose timeouts are one
 * embedded loop timer.
 *
 * Two c-ares channels per resolver: `files` (lookups "f") reads /etc/hosts,
 * always synchronously and without sockets, so that weft knows an answer
 * came from the hosts file (c-ares gives such answers TTL 0) and can cache
 * it; `dns` (lookups "b") does the network part.
 *
 * A look-up that misses is a weft_dns_req hanging off a query; all look-ups
 * of one name and family share the query. A waiter that goes away (task
 * cancelled, deadline, weft_dns_req_cancel) only unlinks itself; the query
 * runs on and its answer still fills the cache. c-ares callbacks never run
 * user code: completing a waiter wakes a task or queues a callback.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro/coro_int.h"
#include "dns/dns_int.h"

#define DEFAULT_TIMEOUT_NS WEFT_SEC(2)
#define DEFAULT_TRIES 2
#define DEFAULT_CACHE_SIZE 1024
#define DEFAULT_TTL_MAX_NS WEFT_SEC(10)
#define DEFAULT_NEGATIVE_TTL_NS WEFT_SEC(5)

struct sock_watch {
    int fd;
    weft_io *io;
};

struct weft_resolver {
    weft_loop *loop;
    ares_channel dns;   /* lookups "b": the network */
    ares_channel files; /* lookups "f": /etc/hosts, synchronous */
    struct weft__timer timer; /* c-ares' next timeout */
    struct sock_watch *socks;
    size_t nsocks, capsocks;

    struct weft__dns_cache cache;
    struct weft__dns_table inflight; /* struct weft__dns_query by name+family */

    uint64_t ttl_max_ns, negative_ttl_ns;
    unsigned flags;

    weft__dns_backend_fn backend; /* NULL: c-ares */
    void *backend_ud;

    struct weft__close_hook hook; /* registered while the loop's default */
    bool freeing;
    weft_resolver_stats stats;
    char errdetail[160];
};

/* A look-up waiting for a query. The coroutine path keeps it on the task's
 * stack, the callback path on the heap. */
struct weft_dns_req {
    struct weft_dns_req *prev, *next; /* the query's waiters */
    struct weft__dns_query *q;
    int family, socktype, protocol;
    uint16_t port; /* host order */
    unsigned flags;
    void (*complete)(struct weft_dns_req *req, int status, weft_addrinfo *list);

    /* Coroutine path. */
    struct weft__wait w;
    bool done;
    /* Both paths: the outcome. */
    int status;
    weft_addrinfo *list;
    /* Callback path. */
    weft_loop *loop;
    weft_dns_cb cb;
    void *ud;
    struct weft__call call;
    bool posted, cancelled;
};

static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_status;

static void ares_global_init(void)
{
    ares_init_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* ------------------------------------------------------------ addrinfo */

void weft_addrinfo_free(weft_addrinfo *list)
{
    while (list) {
        weft_addrinfo *next = list->next;
        free(list);
        list = next;
    }
}

const char *weft_addrinfo_ntop(const weft_addrinfo *ai, char *buf, size_t len)
{
    const void *a = ai->family == AF_INET6 ? (const void *)&ai->addr.in6.sin6_addr
                                           : (const void *)&ai->addr.in.sin_addr;
    if (!inet_ntop(ai->family, a, buf, (socklen_t)len) && len)
        buf[0] = '\0';
    return buf;
}

/* Build the caller's list from cached-form addresses: port, socket type,
 * TTL, family order. Returns the count or -ENOMEM. */
static int build_list(const struct weft__dns_addr *addrs, size_t n, int family,
                      const struct weft_dns_req *req, uint32_t ttl, weft_addrinfo **out)
{
    weft_addrinfo *head = NULL, **tail = &head;
    int count = 0;
    /* Two passes: the preferred family, then the other. */
    int first = (req->flags & WEFT_DNS_V4_FIRST) ? AF_INET : AF_INET6;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const struct weft__dns_addr *a = &addrs[i];
            if ((a->family == first) != (pass == 0))
                continue;
            if (family != AF_UNSPEC && a->family != family)
                continue;
            weft_addrinfo *ai = calloc(1, sizeof *ai);
            if (!ai) {
                weft_addrinfo_free(head);
                *out = NULL;
                return -ENOMEM;
            }
            ai->family = a->family;
            ai->socktype = req->socktype;
            ai->protocol = req->protocol;
            ai->ttl = ttl;
            if (a->family == AF_INET) {
                ai->addrlen = sizeof ai->addr.in;
                ai->addr.in.sin_family = AF_INET;
                ai->addr.in.sin_port = htons(req->port);
                ai->addr.in.sin_addr = a->u.v4;
            } else {
                ai->addrlen = sizeof ai->addr.in6;
                ai->addr.in6.sin6_family = AF_INET6;
                ai->addr.in6.sin6_port = htons(req->port);
                ai->addr.in6.sin6_addr = a->u.v6;
                ai->addr.in6.sin6_scope_id = a->scope_id;
            }
            *tail = ai;
            tail = &ai->next;
            count++;
        }
    }
    *out = head;
    return count ? count : WEFT_EDNS_NODATA;
}

/* ------------------------------------------------------------ names */

/* An IP literal, with or without brackets and with an optional %scope for
 * IPv6. Returns 1 (a literal, *a filled), 0 (not a literal) or
 * WEFT_EDNS_BADNAME (brackets around something that is not IPv6). */
static int parse_literal(const char *host, struct weft__dns_addr *a)
{
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 4];
    size_t len = strlen(host);
    bool bracketed = host[0] == '[';
    if (bracketed) {
        if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof buf)
            return WEFT_EDNS_BADNAME;
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
    } else {
        if (len >= sizeof buf)
            return 0;
        memcpy(buf, host, len + 1);
    }
    memset(a, 0, sizeof *a);
    if (!bracketed && inet_pton(AF_INET, buf, &a->u.v4) == 1) {
        a->family = AF_INET;
        return 1;
    }
    char *pct = strchr(buf, '%');
    if (pct)
        *pct = '\0';
    if (inet_pton(AF_INET6, buf, &a->u.v6) != 1)
        return bracketed ? WEFT_EDNS_BADNAME : 0;
    a->family = AF_INET6;
    if (pct) {
        const char *scope = pct + 1;
        char *end;
        unsigned long id = strtoul(scope, &end, 10);
        if (*scope && !*end)
            a->scope_id = (uint32_t)id;
        else if (!(a->scope_id = if_nametoindex(scope)))
            return WEFT_EDNS_BADNAME;
    }
    return 1;
}

/* Check a host name and lowercase it into key. Letters, digits, '-' and
 * '_', labels of 1..63, at most 253 characters plus one trailing dot. */
static int normalize_name(const char *host, char key[WEFT__DNS_NAME_MAX + 1])
{
    size_t len = strlen(host);
    if (len == 0 || len > WEFT__DNS_NAME_MAX || (len == WEFT__DNS_NAME_MAX && host[len - 1] != '.'))
        return WEFT_EDNS_BADNAME;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c == '.') {
            if (label == 0)
                return WEFT_EDNS_BADNAME;
            label = 0;
        } else if (isalnum(c) || c == '-' || c == '_') {
            if (++label > 63)
                return WEFT_EDNS_BADNAME;
        } else {
            return WEFT_EDNS_BADNAME;
        }
        key[i] = (char)tolower(c);
    }
    key[len] = '\0';
    return 0;
}

static bool is_localhost(const char *key)
{
    size_t len = strlen(key);
    if (len && key[len - 1] == '.')
        len--;
    if (len == 9 && memcmp(key, "localhost", 9) == 0)
        return true;
    return len > 10 && memcmp(key + len - 10, ".localhost", 10) == 0;
}

static int parse_service(const char *service, int socktype, uint16_t *port)
{
    *port = 0;
    if (!service || !*service)
        return 0;
    char *end;
    unsigned long p = strtoul(service, &end, 10);
    if (!*end && isdigit((unsigned char)service[0])) {
        if (p > 65535)
            return -EINVAL;
        *port = (uint16_t)p;
        return 0;
    }
    struct servent se, *res = NULL;
    char buf[1024];
    if (getservbyname_r(service, socktype == SOCK_DGRAM ? "udp" : "tcp", &se, buf, sizeof buf,
                        &res) != 0 || !res)
        return -EINVAL;
    *port = ntohs((uint16_t)res->s_port);
    return 0;
}

/* ------------------------------------------------------------ c-ares glue */

static int map_ares_status(int status)
{
    switch (status) {
    case ARES_SUCCESS: return 0;
    case ARES_ENOTFOUND: return WEFT_EDNS_NXDOMAIN;
    case ARES_ENODATA: return WEFT_EDNS_NODATA;
    case ARES_ETIMEOUT: return WEFT_EDNS_TIMEOUT;
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED: return WEFT_EDNS_SERVFAIL;
    case ARES_EBADNAME: return WEFT_EDNS_BADNAME;
    case ARES_ENOMEM: return -ENOMEM;
    case ARES_EBADFAMILY: return -EAFNOSUPPORT;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return WEFT_ECLOSED;
    default: return WEFT_EDNS;
    }
}

static void resolver_rearm(weft_resolver *r)
{
    if (!r->dns)
        return;
    struct timeval tv;
    if (ares_timeout(r->dns, NULL, &tv)) {
        uint64_t delay = (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
        weft__timer_start(r->loop, &r->timer, weft_loop_now(r->loop) + delay);
    } else {
        weft__timer_stop(r->loop, &r->timer);
    }
}

static void resolver_timer_cb(void *ud)
{
    weft_resolver *r = ud;
    ares_process_fd(r->dns, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    resolver_rearm(r);
}

static void sock_io_cb(weft_io *io, unsigned events, void *ud)
{
    weft_resolver *r = ud;
    int fd = weft_io_fd(io);
    ares_socket_t rfd = (events & (WEFT_READABLE | WEFT_HANGUP)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = (events & WEFT_WRITABLE) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(r->dns, rfd, wfd);
    resolver_rearm(r);
}

/* c-ares opens, changes and closes its sockets through here. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    weft_resolver *r = data;
    size_t i;
    for (i = 0; i < r->nsocks; i++)
        if (r->socks[i].fd == fd)
            break;
    if (!readable && !writable) {
        if (i < r->nsocks) {
            weft_io_close(r->socks[i].io);
            r->socks[i] = r->socks[--r->nsocks];
        }
        return;
    }
    if (i == r->nsocks) {
        if (r->nsocks == r->capsocks) {
            size_t cap = r->capsocks ? r->capsocks * 2 : 4;
            struct sock_watch *s = realloc(r->socks, cap * sizeof *s);
            if (!s)
                return; /* the query will time out; nothing better to do */
            r->socks = s;
            r->capsocks = cap;
        }
        weft_io *io;
        if (weft_io_open(r->loop, fd, sock_io_cb, r, &io) != 0)
            return;
        r->socks[r->nsocks++] = (struct sock_watch){.fd = fd, .io = io};
    }
    weft_io_watch(r->socks[i].io, (readable ? WEFT_READABLE : 0) | (writable ? WEFT_WRITABLE : 0));
}

static void cares_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct weft__dns_query *q = arg;
    weft_resolver *r = q->r;
    int err = map_ares_status(status);
    if (status != ARES_SUCCESS && status != ARES_EDESTRUCTION)
        snprintf(r->errdetail, sizeof r->errdetail, "%s: %s", q->name, ares_strerror(status));
    if (err || !res) {
        ares_freeaddrinfo(res);
        weft__dns_query_done(q, err ? err : WEFT_EDNS_NODATA, NULL, 0, 0);
        return;
    }
    size_t n = 0;
    for (struct ares_addrinfo_node *nd = res->nodes; nd; nd = nd->ai_next)
        n++;
    struct weft__dns_addr stackbuf[16];
    struct weft__dns_addr *addrs = n <= 16 ? stackbuf : calloc(n, sizeof *addrs);
    if (!addrs) {
        ares_freeaddrinfo(res);
        weft__dns_query_done(q, -ENOMEM, NULL, 0, 0);
        return;
    }
    uint32_t ttl = UINT32_MAX;
    size_t k = 0;
    for (struct ares_addrinfo_node *nd = res->nodes; nd; nd = nd->ai_next) {
        struct weft__dns_addr *a = &addrs[k];
        memset(a, 0, sizeof *a);
        if (nd->ai_family == AF_INET && nd->ai_addrlen >= sizeof(struct sockaddr_in)) {
            a->family = AF_INET;
            a->u.v4 = ((const struct sockaddr_in *)nd->ai_addr)->sin_addr;
        } else if (nd->ai_family == AF_INET6 && nd->ai_addrlen >= sizeof(struct sockaddr_in6)) {
            a->family = AF_INET6;
            a->u.v6 = ((const struct sockaddr_in6 *)nd->ai_addr)->sin6_addr;
            a->scope_id = ((const struct sockaddr_in6 *)nd->ai_addr)->sin6_scope_id;
        } else {
            continue;
        }
        uint32_t t = nd->ai_ttl > 0 ? (uint32_t)nd->ai_ttl : 0;
        if (t < ttl)
            ttl = t;
        k++;
    }
    /* A CNAME's TTL bounds the answer's too. */
    for (struct ares_addrinfo_cname *c = res->cnames; c; c = c->next) {
        uint32_t t = c->ttl > 0 ? (uint32_t)c->ttl : 0;
        if (t < ttl)
            ttl = t;
    }
    ares_freeaddrinfo(res);
    weft__dns_query_done(q, k ? 0 : WEFT_EDNS_NODATA, addrs, k, k ? ttl : 0);
    if (addrs != stackbuf)
        free(addrs);
}

static void cares_start(weft_resolver *r, struct weft__dns_query *q)
{
    struct ares_addrinfo_hints h = {.ai_family = q->node.family, .ai_flags = ARES_AI_NOSORT,
                                    .ai_socktype = SOCK_STREAM};
    ares_getaddrinfo(r->dns, q->name, NULL, &h, cares_done, q);
    resolver_rearm(r);
}

/* /etc/hosts through the "f" channel, which always answers at once. */
struct files_result {
    bool done;
    int status;
    struct weft__dns_addr addrs[16];
    size_t n;
};

static void files_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct files_result *fr = arg;
    fr->done = true;
    fr->status = status;
    if (res) {
        for (struct ares_addrinfo_node *nd = res->nodes; nd && fr->n < 16; nd = nd->ai_next) {
            struct weft__dns_addr *a = &fr->addrs[fr->n];
            memset(a, 0, sizeof *a);
            if (nd->ai_family == AF_INET) {
                a->family = AF_INET;
                a->u.v4 = ((const struct sockaddr_in *)nd->ai_addr)->sin_addr;
            } else if (nd->ai_family == AF_INET6) {
                a->family = AF_INET6;
                a->u.v6 = ((const struct sockaddr_in6 *)nd->ai_addr)->sin6_addr;
                a->scope_id = ((const struct sockaddr_in6 *)nd->ai_addr)->sin6_scope_id;
            } else {
                continue;
            }
            fr->n++;
        }
        ares_freeaddrinfo(res);
    }
}

static void hosts_lookup(weft_resolver *r, const char *key, int family, struct files_result *fr)
{
    memset(fr, 0, sizeof *fr);
    struct ares_addrinfo_hints h = {.ai_family = family, .ai_flags = ARES_AI_NOSORT,
                                    .ai_socktype = SOCK_STREAM};
    ares_getaddrinfo(r->files, key, NULL, &h, files_done, fr);
    if (!fr->done) {
        /* Cannot happen with lookups "f"; never leave fr (our stack) with c-ares. */
        ares_cancel(r->files);
        fr->n = 0;
    }
}

/* ------------------------------------------------------------ resolvers */

int weft_resolver_new(weft_loop *loop, const weft_resolver_opts *opts, weft_resolver **out)
{
    static const weft_resolver_opts defaults;
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !out)
        return -EINVAL;
    if (!opts)
        opts = &defaults;
    pthread_once(&ares_once, ares_global_init);
    if (ares_init_status != ARES_SUCCESS)
        return WEFT_EDNS;

    weft_resolver *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->loop = loop;
    weft__timer_init(&r->timer, resolver_timer_cb, r);
    r->flags = opts->flags;
    r->ttl_max_ns = opts->cache_ttl_max_ns ? opts->cache_ttl_max_ns : DEFAULT_TTL_MAX_NS;
    r->negative_ttl_ns = opts->negative_ttl_ns ? opts->negative_ttl_ns : DEFAULT_NEGATIVE_TTL_NS;
    if (r->negative_ttl_ns > r->ttl_max_ns)
        r->negative_ttl_ns = r->ttl_max_ns;
    weft__dns_cache_init(&r->cache, (r->flags & WEFT_RESOLVER_NO_CACHE) ? 0
                                    : opts->cache_size             ? opts->cache_size
                                                                   : DEFAULT_CACHE_SIZE);

    struct ares_options o;
    memset(&o, 0, sizeof o);
    uint64_t tmo = opts->timeout_ns ? opts->timeout_ns : DEFAULT_TIMEOUT_NS;
    o.timeout = (int)(tmo / 1000000u > 0 ? (tmo / 1000000u > INT32_MAX ? INT32_MAX : tmo / 1000000u)
                                         : 1);
    o.tries = opts->tries > 0 ? opts->tries : DEFAULT_TRIES;
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = r;
    o.lookups = (char *)"b";
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS;
    if (r->flags & WEFT_RESOLVER_NO_SEARCH) {
        o.domains = NULL;
        o.ndomains = 0;
        mask |= ARES_OPT_DOMAINS;
    }
    int err = 0;
    int st = ares_init_options(&r->dns, &o, mask);
    if (st != ARES_SUCCESS) {
        r->dns = NULL;
        err = st == ARES_ENOMEM ? -ENOMEM : WEFT_EDNS;
        goto fail;
    }
    if (opts->servers) {
        st = ares_set_servers_ports_csv(r->dns, opts->servers);
        if (st != ARES_SUCCESS) {
            err = st == ARES_ENOMEM ? -ENOMEM : -EINVAL;
            goto fail;
        }
    }
    struct ares_options fo;
    memset(&fo, 0, sizeof fo);
    fo.lookups = (char *)"f";
    st = ares_init_options(&r->files, &fo, ARES_OPT_LOOKUPS);
    if (st != ARES_SUCCESS) {
        r->files = NULL;
        err = st == ARES_ENOMEM ? -ENOMEM : WEFT_EDNS;
        goto fail;
    }
    *out = r;
    return 0;
fail:
    if (r->dns)
        ares_destroy(r->dns);
    free(r);
    return err;
}

static void default_close_hook(weft_loop *loop, struct weft__close_hook *h);

void weft_resolver_free(weft_resolver *r)
{
    if (!r || r->freeing)
        return;
    r->freeing = true;
    if (r->hook.fn)
        weft__loop_remove_close_hook(r->loop, &r->hook);
    /* Ends c-ares' queries with ARES_EDESTRUCTION (waiters get WEFT_ECLOSED)
     * and closes its sockets through sock_state_cb. */
    ares_destroy(r->dns);
    r->dns = NULL;
    ares_destroy(r->files);
    r->files = NULL;
    /* Queries of a test back-end, or any c-ares left behind. */
    while (r->inflight.count) {
        for (size_t i = 0; i < r->inflight.nbuckets; i++) {
            if (r->inflight.buckets[i]) {
                weft__dns_query_done((struct weft__dns_query *)r->inflight.buckets[i], WEFT_ECLOSED,
                                     NULL, 0, 0);
                break;
            }
        }
    }
    for (size_t i = 0; i < r->nsocks; i++)
        weft_io_close(r->socks[i].io);
    free(r->socks);
    weft__timer_stop(r->loop, &r->timer);
    weft__dns_cache_clear(&r->cache);
    weft__dns_table_free(&r->inflight);
    free(r);
}

static void default_close_hook(weft_loop *loop, struct weft__close_hook *h)
{
    weft_resolver *r = (weft_resolver *)((char *)h - offsetof(weft_resolver, hook));
    r->hook.fn = NULL; /* already unregistered by the loop */
    weft_resolver_free(r);
}

int weft_resolver_default(weft_loop *loop, weft_resolver **out)
{
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !out)
        return -EINVAL;
    struct weft__close_hook *h = weft__loop_find_close_hook(loop, default_close_hook);
    if (h) {
        *out = (weft_resolver *)((char *)h - offsetof(weft_resolver, hook));
        return 0;
    }
    weft_resolver *r;
    int err = weft_resolver_new(loop, NULL, &r);
    if (err)
        return err;
    r->hook.fn = default_close_hook;
    weft__loop_add_close_hook(loop, &r->hook);
    *out = r;
    return 0;
}

int weft_resolver_set_default(weft_loop *loop, weft_resolver *r)
{
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !r || r->loop != loop)
        return -EINVAL;
    struct weft__close_hook *h = weft__loop_find_close_hook(loop, default_close_hook);
    if (h == &r->hook)
        return 0;
    if (h)
        weft_resolver_free((weft_resolver *)((char *)h - offsetof(weft_resolver, hook)));
    r->hook.fn = default_close_hook;
    weft__loop_add_close_hook(loop, &r->hook);
    return 0;
}

void weft_resolver_clear_cache(weft_resolver *r)
{
    weft__dns_cache_clear(&r->cache);
}

const char *weft_resolver_errdetail(const weft_resolver *r)
{
    return r->errdetail;
}

void weft_resolver_get_stats(const weft_resolver *r, weft_resolver_stats *out)
{
    *out = r->stats;
    out->cache_entries = r->cache.table.count;
}

void weft__resolver_set_backend(weft_resolver *r, weft__dns_backend_fn start, void *ud)
{
    r->backend = start;
    r->backend_ud = ud;
}

/* ------------------------------------------------------------ queries */

static void req_link(struct weft__dns_query *q, struct weft_dns_req *req)
{
    req->q = q;
    req->prev = NULL;
    req->next = q->waiters;
    if (q->waiters)
        q->waiters->prev = req;
    q->waiters = req;
}

static void req_unlink(struct weft_dns_req *req)
{
    struct weft__dns_query *q = req->q;
    if (!q)
        return;
    if (req->prev)
        req->prev->next = req->next;
    else
        q->waiters = req->next;
    if (req->next)
        req->next->prev = req->prev;
    req->prev = req->next = NULL;
    req->q = NULL;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a + b < a ? WEFT_NEVER : a + b;
}

void weft__dns_query_done(struct weft__dns_query *q, int status,
                          const struct weft__dns_addr *addrs, size_t naddrs, uint32_t ttl)
{
    weft_resolver *r = q->r;
    weft__dns_table_remove(&r->inflight, &q->node);
    if (status == 0 && naddrs == 0)
        status = WEFT_EDNS_NODATA;

    uint64_t now = weft_loop_now(r->loop);
    if (q->fill_cache && !r->freeing) {
        if (status == 0 && ttl > 0) {
            uint64_t life = (uint64_t)ttl * 1000000000u;
            if (life > r->ttl_max_ns)
                life = r->ttl_max_ns;
            weft__dns_cache_put(&r->cache, q->name, q->node.family, 0, addrs, naddrs,
                                add_sat(now, life));
        } else if ((status == WEFT_EDNS_NXDOMAIN || status == WEFT_EDNS_NODATA) &&
                   !(r->flags & WEFT_RESOLVER_NO_NEGATIVE_CACHE)) {
            weft__dns_cache_put(&r->cache, q->name, q->node.family, status, NULL, 0,
                                add_sat(now, r->negative_ttl_ns));
        }
    }
    uint32_t left = ttl;
    if ((uint64_t)left * 1000000000u > r->ttl_max_ns)
        left = (uint32_t)(r->ttl_max_ns / 1000000000u);
    while (q->waiters) {
        struct weft_dns_req *req = q->waiters;
        req_unlink(req);
        weft_addrinfo *list = NULL;
        int st = status;
        if (st == 0)
            st = build_list(addrs, naddrs, req->family, req, left, &list);
        req->complete(req, st, list);
    }
    free(q);
}

/* Answer what can be answered at once. Returns > 0 (count, *list set) or an
 * error when done, or 0 when req now waits for a query (it may already have
 * completed if the back-end answered synchronously). */
static int lookup_begin(weft_resolver *r, const char *host, const char *service,
                        const weft_dns_hints *hints, struct weft_dns_req *req,
                        weft_addrinfo **list)
{
    *list = NULL;
    int family = hints ? hints->family : AF_UNSPEC;
    int socktype = hints && hints->socktype ? hints->socktype : SOCK_STREAM;
    unsigned flags = hints ? hints->flags : 0;
    if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    if (socktype != SOCK_STREAM && socktype != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    req->family = family;
    req->socktype = socktype;
    req->protocol = socktype == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
    req->flags = flags;
    int err = parse_service(service, socktype, &req->port);
    if (err)
        return err;
    if (!host || !*host)
        return WEFT_EDNS_BADNAME;

    /* 1. IP literals never touch DNS, the cache or the statistics. */
    struct weft__dns_addr lit;
    int lt = parse_literal(host, &lit);
    if (lt < 0)
        return lt;
    if (lt == 1) {
        if (family != AF_UNSPEC && family != lit.family)
            return WEFT_EDNS_NODATA;
        return build_list(&lit, 1, family, req, 0, list);
    }
    if (flags & WEFT_DNS_NUMERIC_HOST)
        return WEFT_EDNS_BADNAME;
    char key[WEFT__DNS_NAME_MAX + 1];
    err = normalize_name(host, key);
    if (err)
        return err;
    r->stats.lookups++;
    uint64_t now = weft_loop_now(r->loop);
    bool use_cache = !(flags & WEFT_DNS_NO_CACHE) && r->cache.max_entries;

    /* 2. The cache. */
    if (use_cache) {
        struct weft__dns_entry *e = weft__dns_cache_get(&r->cache, key, family, now);
        if (e) {
            r->stats.cache_hits++;
            if (e->status < 0)
                return e->status;
            return build_list(e->addrs, e->naddrs, family, req,
                              (uint32_t)((e->expires - now) / 1000000000u), list);
        }
    }

    /* 3. /etc/hosts, then RFC 6761 localhost. */
    struct files_result fr;
    fr.n = 0;
    if (!(r->flags & WEFT_RESOLVER_NO_HOSTS_FILE)) {
        /* Always AF_UNSPEC, then filter: c-ares 1.18 leaks the name when a
         * hosts line matches but not the family asked for. */
        hosts_lookup(r, key, AF_UNSPEC, &fr);
        size_t k = 0;
        for (size_t i = 0; i < fr.n; i++)
            if (family == AF_UNSPEC || fr.addrs[i].family == family)
                fr.addrs[k++] = fr.addrs[i];
        fr.n = k;
    }
    if (!fr.n && is_localhost(key)) {
        memset(fr.addrs, 0, 2 * sizeof fr.addrs[0]);
        if (family != AF_INET) {
            fr.addrs[fr.n].family = AF_INET6;
            fr.addrs[fr.n++].u.v6 = in6addr_loopback;
        }
        if (family != AF_INET6) {
            fr.addrs[fr.n].family = AF_INET;
            fr.addrs[fr.n++].u.v4.s_addr = htonl(INADDR_LOOPBACK);
        }
    }
    if (fr.n) {
        r->stats.hosts_hits++;
        if (use_cache)
            weft__dns_cache_put(&r->cache, key, family, 0, fr.addrs, fr.n,
                                add_sat(now, r->ttl_max_ns));
        return build_list(fr.addrs, fr.n, family, req,
                          (uint32_t)(r->ttl_max_ns / 1000000000u), list);
    }

    /* 4. DNS: join the query in flight or start one. */
    uint32_t h = weft__dns_hash(key, family);
    struct weft__dns_hnode *n = weft__dns_table_find(&r->inflight, key, family, h);
    if (n) {
        r->stats.coalesced++;
        req_link((struct weft__dns_query *)n, req);
        return 0;
    }
    size_t keylen = strlen(key) + 1;
    struct weft__dns_query *q = calloc(1, sizeof *q + keylen);
    if (!q)
        return -ENOMEM;
    memcpy(q->name, key, keylen);
    q->node.name = q->name;
    q->node.family = family;
    q->node.hash = h;
    q->r = r;
    q->fill_cache = use_cache;
    if (weft__dns_table_insert(&r->inflight, &q->node) != 0) {
        free(q);
        return -ENOMEM;
    }
    req_link(q, req);
    r->stats.queries++;
    if (r->backend)
        r->backend(r, q, r->backend_ud);
    else
        cares_start(r, q);
    return 0;
}

/* ------------------------------------------------------------ coroutines */

static void coro_complete(struct weft_dns_req *req, int status, weft_addrinfo *list)
{
    req->done = true;
    req->status = status;
    req->list = list;
    weft__task_wake(&req->w, status); /* ignored if the task is not waiting yet */
}

static void coro_unhook(struct weft__wait *w)
{
    struct weft_dns_req *req = (struct weft_dns_req *)((char *)w - offsetof(struct weft_dns_req, w));
    req_unlink(req);
}

int weft_resolver_getaddrinfo(weft_resolver *r, const char *host, const char *service,
                              const weft_dns_hints *hints, weft_addrinfo **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    if (!r || r->loop != weft__current_loop)
        return -EINVAL; /* a resolver serves its own loop only */
    int err = weft__task_check(t);
    if (err)
        return err;
    struct weft_dns_req req;
    memset(&req, 0, sizeof req);
    req.complete = coro_complete;
    req.w.unhook = coro_unhook;
    weft_addrinfo *list;
    int rc = lookup_begin(r, host, service, hints, &req, &list);
    if (rc != 0) {
        *out = list;
        return rc;
    }
    if (!req.done)
        rc = weft__task_wait(&req.w);
    if (!req.done)
        return rc; /* interrupted: unhook has unlinked us */
    *out = req.list;
    return req.status;
}

int weft_getaddrinfo(const char *host, const char *service, const weft_dns_hints *hints,
                     weft_addrinfo **out)
{
    if (out)
        *out = NULL;
    if (!weft__current_task)
        return -EPERM;
    weft_resolver *r;
    int err = weft_resolver_default(NULL, &r);
    if (err)
        return err;
    return weft_resolver_getaddrinfo(r, host, service, hints, out);
}

/* ------------------------------------------------------------ callbacks */

static void cb_deliver(void *arg)
{
    struct weft_dns_req *req = arg;
    if (req->cancelled)
        weft_addrinfo_free(req->list);
    else
        req->cb(req->status, req->list, req->ud);
    free(req);
}

static void cb_complete(struct weft_dns_req *req, int status, weft_addrinfo *list)
{
    req->status = status;
    req->list = list;
    req->posted = true;
    req->call.cb = cb_deliver;
    req->call.ud = req;
    weft__loop_post(req->loop, &req->call);
}

int weft_resolver_getaddrinfo_cb(weft_resolver *r, const char *host, const char *service,
                                 const weft_dns_hints *hints, weft_dns_cb cb, void *ud,
                                 weft_dns_req **reqp)
{
    if (!r || !cb)
        return -EINVAL;
    struct weft_dns_req *req = calloc(1, sizeof *req);
    if (!req)
        return -ENOMEM;
    req->loop = r->loop;
    req->cb = cb;
    req->ud = ud;
    req->complete = cb_complete;
    weft_addrinfo *list;
    int rc = lookup_begin(r, host, service, hints, req, &list);
    if (rc != 0)
        cb_complete(req, rc, list); /* an answer or a failed look-up: delivered later */
    if (reqp)
        *reqp = req;
    return 0;
}

void weft_dns_req_cancel(weft_dns_req *req)
{
    if (!req)
        return;
    if (req->posted) {
        req->cancelled = true; /* cb_deliver frees it */
        return;
    }
    req_unlink(req);
    free(req);
}
