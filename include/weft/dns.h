/*
 * weft/dns.h - name resolution on the loop (c-ares), a TTL cache, and
 * Happy Eyeballs connect (RFC 8305): asyncio's loop.getaddrinfo() plus the
 * resolver and connector parts of aiohttp.
 *
 * A resolver belongs to one loop. c-ares runs on that loop: its sockets are
 * fd watchers, its timeouts a loop timer, nothing blocks and no thread is
 * used. Every look-up goes, in order, through:
 *   1. IP literals ("192.0.2.1", "2001:db8::1", "[2001:db8::1]",
 *      "fe80::1%eth0"): answered at once, never touch DNS or the cache;
 *   2. the cache (positive and negative entries, see weft_resolver_opts);
 *   3. /etc/hosts (re-read on each cache miss, as c-ares does), then
 *      "localhost" and "*.localhost" (RFC 6761) as loopback if the hosts file
 *      does not name them;
 *   4. DNS, with the servers, search list and options of /etc/resolv.conf
 *      unless the resolver was given its own. Concurrent look-ups of the same
 *      name and family share one query.
 *
 * Address order: with AF_UNSPEC, IPv6 addresses come first, then IPv4, each
 * family in the order the source gave them (RFC 6724's default policy puts
 * IPv6 before IPv4; weft does not probe routes as glibc does).
 * weft_happy_connect() interleaves the families anyway, so a host without
 * IPv6 connectivity loses nothing: its IPv6 attempts fail at once with
 * -ENETUNREACH and the IPv4 ones start immediately.
 *
 * Errors: WEFT_EDNS_NXDOMAIN, WEFT_EDNS_NODATA, WEFT_EDNS_TIMEOUT,
 * WEFT_EDNS_SERVFAIL (server failure or refusal, or no server reachable),
 * WEFT_EDNS_BADNAME (empty, too long, bad characters, a non-ASCII name: give
 * IDNs as A-labels), WEFT_EDNS (anything else), -ENOMEM, -EINVAL (bad
 * arguments, unknown service name), WEFT_ECLOSED (the resolver was freed
 * while the look-up waited), and for @suspends calls -ECANCELED/-ETIMEDOUT.
 */
#ifndef WEFT_DNS_H
#define WEFT_DNS_H

#include <sys/socket.h>
#include <netinet/in.h>

#include "weft/common.h"
#include "weft/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_resolver weft_resolver;
typedef struct weft_dns_req weft_dns_req;
typedef struct weft_happy weft_happy;

/* ------------------------------------------------------------ results */

/* One address of a look-up result; a list linked by next (struct addrinfo's
 * useful half). The port is filled in from the service. */
typedef struct weft_addrinfo {
    struct weft_addrinfo *next;
    int family;            /* AF_INET or AF_INET6 */
    int socktype;          /* SOCK_STREAM unless the hints asked otherwise */
    int protocol;          /* IPPROTO_TCP / IPPROTO_UDP, matching socktype */
    socklen_t addrlen;     /* sizeof(struct sockaddr_in or sockaddr_in6) */
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
    /* Seconds the answer may still be used: the record TTL left in the
     * cache (0 for literals). Informational. */
    uint32_t ttl;
} weft_addrinfo;

/* Free a whole list (NULL is fine). */
void weft_addrinfo_free(weft_addrinfo *list);

/* Format an address as "192.0.2.1" or "2001:db8::1" (no port, no brackets)
 * into buf (WEFT_ADDRSTRLEN bytes is always enough). Returns buf. */
#define WEFT_ADDRSTRLEN 64
const char *weft_addrinfo_ntop(const weft_addrinfo *ai, char *buf, size_t len);

/* Look-up flags (weft_dns_hints.flags). */
enum {
    WEFT_DNS_NUMERIC_HOST = 1u << 0, /* only IP literals: names fail with WEFT_EDNS_BADNAME */
    WEFT_DNS_NO_CACHE     = 1u << 1, /* neither read nor fill the cache for this call */
    WEFT_DNS_V4_FIRST     = 1u << 2, /* AF_UNSPEC: IPv4 before IPv6 */
};

typedef struct weft_dns_hints {
    int family;            /* AF_UNSPEC (0: both), AF_INET or AF_INET6 */
    int socktype;          /* 0 means SOCK_STREAM; or SOCK_DGRAM */
    unsigned flags;        /* WEFT_DNS_* */
} weft_dns_hints;

/* ------------------------------------------------------------ resolvers */

/* Resolver options. Zero fields take the default given beside them, so
 * `weft_resolver_opts o = {0};` is a valid set. */
typedef struct weft_resolver_opts {
    /* Comma-separated servers, "127.0.0.1", "127.0.0.1:5353",
     * "[::1]:5353". NULL: the nameservers of /etc/resolv.conf. */
    const char *servers;
    uint64_t timeout_ns;       /* first try, per server: 0 = 2 s. c-ares doubles it on
                                  each round through the servers. */
    int tries;                 /* rounds through the servers: 0 = 2 (so a silent single
                                  server gives WEFT_EDNS_TIMEOUT after 2 s + 4 s) */
    size_t cache_size;         /* max cache entries (LRU): 0 = 1024 */
    uint64_t cache_ttl_max_ns; /* cap on any record TTL (aiohttp's ttl_dns_cache): 0 = 10 s.
                                  /etc/hosts answers are cached for the cap too. */
    uint64_t negative_ttl_ns;  /* NXDOMAIN / NODATA kept this long (capped as above):
                                  0 = 5 s */
    unsigned flags;            /* WEFT_RESOLVER_* */
} weft_resolver_opts;

enum {
    WEFT_RESOLVER_NO_CACHE          = 1u << 0, /* no cache at all (coalescing stays) */
    WEFT_RESOLVER_NO_NEGATIVE_CACHE = 1u << 1, /* do not remember failures */
    WEFT_RESOLVER_NO_HOSTS_FILE     = 1u << 2, /* skip /etc/hosts (not localhost) */
    WEFT_RESOLVER_NO_SEARCH         = 1u << 3, /* ignore resolv.conf's search list */
};

/* Make a resolver on loop (NULL: the current thread's loop). opts may be
 * NULL. Returns 0, -EINVAL (bad servers string), -ENOMEM or WEFT_EDNS (c-ares
 * could not start; weft_resolver_errdetail is not available then). */
int weft_resolver_new(weft_loop *loop, const weft_resolver_opts *opts, weft_resolver **out);

/* Free the resolver at once. Look-ups still waiting end with WEFT_ECLOSED
 * (callbacks run later, from the loop); its fds and timer are released. */
void weft_resolver_free(weft_resolver *r);

/* The loop's default resolver (NULL loop: the current one), made on first
 * use with default options and freed by weft_loop_close(). Returns 0 or an
 * error of weft_resolver_new(). */
int weft_resolver_default(weft_loop *loop, weft_resolver **out);

/* Make r (which must belong to loop) the loop's default resolver; the loop
 * takes ownership and frees the previous default at once. */
int weft_resolver_set_default(weft_loop *loop, weft_resolver *r);

/* Forget every cached answer. */
void weft_resolver_clear_cache(weft_resolver *r);

/* Text of the last c-ares failure on this resolver ("" if none). Owned by r. */
const char *weft_resolver_errdetail(const weft_resolver *r);

/* Counters, for tests and monitoring. */
typedef struct weft_resolver_stats {
    uint64_t lookups;          /* calls that reached the resolver (literals excluded) */
    uint64_t cache_hits;       /* answered from the cache (positive or negative) */
    uint64_t hosts_hits;       /* answered from /etc/hosts or RFC 6761 localhost */
    uint64_t queries;          /* DNS queries started (one per name and family) */
    uint64_t coalesced;        /* look-ups that joined a query already in flight */
    uint64_t cache_entries;    /* entries in the cache now */
} weft_resolver_stats;
void weft_resolver_get_stats(const weft_resolver *r, weft_resolver_stats *out);

/* ------------------------------------------------------------ look-ups */

/* @suspends. Resolve host (a name or an IP literal) and service (a port
 * number, a service name from /etc/services, or NULL for port 0) with the
 * default resolver of the current loop. On success returns the number of
 * addresses (> 0) and *out gets a list the caller frees with
 * weft_addrinfo_free(). A cache hit or a literal returns without suspending.
 * If the task is cancelled or its deadline passes, returns -ECANCELED /
 * -ETIMEDOUT at once; the query may go on inside the resolver (its answer
 * still fills the cache) but nothing of this call is touched again. */
int weft_getaddrinfo(const char *host, const char *service, const weft_dns_hints *hints,
                     weft_addrinfo **out);

/* @suspends. The same on a given resolver (which must belong to the
 * current loop). */
int weft_resolver_getaddrinfo(weft_resolver *r, const char *host, const char *service,
                              const weft_dns_hints *hints, weft_addrinfo **out);

/* Callback variant. cb(status, list, ud) runs once, on a later loop
 * iteration, never inside this call: status is the count (> 0) with a list
 * the callback owns (free it with weft_addrinfo_free), or an error with list
 * NULL. Every outcome of the look-up, bad names and hints included, comes
 * through cb; the call itself fails (and cb never runs) only with -EINVAL
 * (no resolver or cb) or -ENOMEM. *req (may be NULL) can cancel it until cb
 * has run. */
typedef void (*weft_dns_cb)(int status, weft_addrinfo *list, void *ud);
int weft_resolver_getaddrinfo_cb(weft_resolver *r, const char *host, const char *service,
                                 const weft_dns_hints *hints, weft_dns_cb cb, void *ud,
                                 weft_dns_req **req);
/* Cancel a pending look-up: its callback will not run. */
void weft_dns_req_cancel(weft_dns_req *req);

/* ------------------------------------------------------- Happy Eyeballs */

/* RFC 8305 connection racing. The addresses are tried in an order that
 * alternates families, starting with the family of the first address; a new
 * attempt starts attempt_delay_ns after the previous one, or at once when an
 * attempt fails. The first attempt to connect wins and all others are closed.
 * Zero fields take the defaults beside them. */
typedef struct weft_happy_opts {
    uint64_t attempt_delay_ns;   /* 0 = 250 ms (RFC 8305's recommended value) */
    uint64_t attempt_timeout_ns; /* give up on one attempt after this: 0 = none */
    uint64_t timeout_ns;         /* give up on all of them after this: 0 = none
                                    (use the task's deadline scope) */
    int max_attempts;            /* addresses tried at most: 0 = all */
} weft_happy_opts;

/* @suspends. Connect a TCP socket to one of addrs (a list from
 * weft_getaddrinfo; borrowed for the call). Returns 0 and stores in *fd_out
 * a connected, non-blocking, close-on-exec fd that the caller owns, or:
 * -EINVAL (empty list), -ETIMEDOUT (overall timeout), the error of the last
 * attempt when all failed (a refusal or timeout is preferred to an
 * unreachable network: -ECONNREFUSED over -ENETUNREACH), or
 * -ECANCELED/-ETIMEDOUT from the task; in every failure case all the
 * attempts' sockets are closed. */
int weft_happy_connect(const weft_addrinfo *addrs, const weft_happy_opts *opts, int *fd_out);

/* Callback variant: cb(status, fd, ud) runs once, from the loop, never
 * inside this call; status is 0 with a fd that belongs to the callback, or an
 * error with fd -1. addrs are copied. *out (may be NULL) can cancel the race
 * until cb has run. */
typedef void (*weft_happy_cb)(int status, int fd, void *ud);
int weft_happy_connect_cb(weft_loop *loop, const weft_addrinfo *addrs,
                          const weft_happy_opts *opts, weft_happy_cb cb, void *ud,
                          weft_happy **out);
/* Cancel a race: every socket is closed and cb will not run. */
void weft_happy_cancel(weft_happy *h);

#ifdef __cplusplus
}
#endif
#endif
