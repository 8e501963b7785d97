/*
 * dns_int.h - the resolver's internals: the cache, in-flight queries, the
 * back-end hook tests use instead of c-ares, and the syscall table Happy
 * Eyeballs calls through (SQLite's aSyscall), so that tests can make an
 * attempt hang or fail without any traffic off the machine.
 */
#ifndef WEFT_DNS_INT_H
#define WEFT_DNS_INT_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "weft/dns.h"
#include "loop/loop_int.h"

/* Longest name we accept: 253 characters plus a trailing dot. */
#define WEFT__DNS_NAME_MAX 254

/* One address as cached: no port, no socket type. */
struct weft__dns_addr {
    int family; /* AF_INET or AF_INET6 */
    uint32_t scope_id;
    union {
        struct in_addr v4;
        struct in6_addr v6;
    } u;
};

/* A node of a name+family hash table (the cache and the in-flight queries). */
struct weft__dns_hnode {
    struct weft__dns_hnode *hnext;
    uint32_t hash;
    int family;
    char *name;  /* lowercased; storage belongs to the containing object */
};

struct weft__dns_table {
    struct weft__dns_hnode **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first insert */
    size_t count;
};

uint32_t weft__dns_hash(const char *name, int family);
struct weft__dns_hnode *weft__dns_table_find(const struct weft__dns_table *t, const char *name,
                                             int family, uint32_t hash);
int weft__dns_table_insert(struct weft__dns_table *t, struct weft__dns_hnode *n);
void weft__dns_table_remove(struct weft__dns_table *t, struct weft__dns_hnode *n);
void weft__dns_table_free(struct weft__dns_table *t);

/* ------------------------------------------------------------ the cache */

/* An answer kept until expires (loop time): status 0 with naddrs > 0
 * addresses, or a negative WEFT_EDNS_* code (negative caching). */
struct weft__dns_entry {
    struct weft__dns_hnode node;
    struct weft__dns_entry *lru_prev, *lru_next; /* most recently used first */
    uint64_t expires;
    int status;
    uint32_t naddrs;
    struct weft__dns_addr *addrs; /* in the same allocation, after the name */
};

struct weft__dns_cache {
    struct weft__dns_table table;
    struct weft__dns_entry *lru_head, *lru_tail;
    size_t max_entries;
};

void weft__dns_cache_init(struct weft__dns_cache *c, size_t max_entries);
void weft__dns_cache_clear(struct weft__dns_cache *c);
/* The live entry for name+family (moved to the front of the LRU), or NULL.
 * An expired entry is dropped here. name must be lowercased. */
struct weft__dns_entry *weft__dns_cache_get(struct weft__dns_cache *c, const char *name,
                                            int family, uint64_t now);
/* Store (replacing any entry for the key), evicting the least recently used
 * entries beyond max_entries. Returns 0 or -ENOMEM (the cache is unchanged). */
int weft__dns_cache_put(struct weft__dns_cache *c, const char *name, int family, int status,
                        const struct weft__dns_addr *addrs, size_t naddrs, uint64_t expires);

/* ------------------------------------------------------ in-flight queries */

/* A DNS query for one name and family, shared by every look-up waiting for
 * it (they hang off `waiters`). */
struct weft__dns_query {
    struct weft__dns_hnode node;
    weft_resolver *r;
    struct weft_dns_req *waiters;
    bool fill_cache;
    char name[]; /* storage of node.name */
};

/* Where queries go after the cache and /etc/hosts: c-ares unless a test set
 * a back-end. start() must eventually call weft__dns_query_done() exactly
 * once for the query (it may do so inside start), unless the resolver is
 * freed first: then the query ends with WEFT_ECLOSED without it. */
typedef void (*weft__dns_backend_fn)(weft_resolver *r, struct weft__dns_query *q, void *ud);
void weft__resolver_set_backend(weft_resolver *r, weft__dns_backend_fn start, void *ud);

/* End a query: status 0 and the addresses with their smallest TTL (seconds),
 * or a negative code. Fills the cache and completes every waiter. */
void weft__dns_query_done(struct weft__dns_query *q, int status,
                          const struct weft__dns_addr *addrs, size_t naddrs, uint32_t ttl);

/* ------------------------------------------------------ Happy Eyeballs */

/* Syscalls weft_happy_connect makes; tests swap them (and put them back). */
struct weft__happy_sys {
    int (*socket)(int domain, int type, int protocol);
    int (*connect)(int fd, const struct sockaddr *sa, socklen_t len);
};
extern struct weft__happy_sys weft__happy_sys;

#endif
