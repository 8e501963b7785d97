/*
 * cache.c - the resolver's answer cache: a chained hash table keyed by
 * (lowercased name, family) and an LRU list bounding the entry count.
 * Expiry is lazy: an entry past its time is dropped when it is next looked
 * up, or pushed out by the LRU; no timer runs for the cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_int.h"

/* ------------------------------------------------------------ hash table */

uint32_t weft__dns_hash(const char *name, int family)
{
    /* FNV-1a over the name, then the family. */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    h ^= (uint32_t)family;
    h *= 16777619u;
    return h;
}

struct weft__dns_hnode *weft__dns_table_find(const struct weft__dns_table *t, const char *name,
                                             int family, uint32_t hash)
{
    if (!t->nbuckets)
        return NULL;
    for (struct weft__dns_hnode *n = t->buckets[hash & (t->nbuckets - 1)]; n; n = n->hnext)
        if (n->hash == hash && n->family == family && strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

static int table_grow(struct weft__dns_table *t)
{
    size_t nb = t->nbuckets ? t->nbuckets * 2 : 64;
    struct weft__dns_hnode **b = calloc(nb, sizeof *b);
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct weft__dns_hnode *n = t->buckets[i];
        while (n) {
            struct weft__dns_hnode *next = n->hnext;
            n->hnext = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
            n = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    return 0;
}

int weft__dns_table_insert(struct weft__dns_table *t, struct weft__dns_hnode *n)
{
    /* Keep the load factor at or under 1. */
    if (t->count >= t->nbuckets) {
        int err = table_grow(t);
        if (err && !t->nbuckets)
            return err; /* a full table still works, only slower */
    }
    struct weft__dns_hnode **b = &t->buckets[n->hash & (t->nbuckets - 1)];
    n->hnext = *b;
    *b = n;
    t->count++;
    return 0;
}

void weft__dns_table_remove(struct weft__dns_table *t, struct weft__dns_hnode *n)
{
    for (struct weft__dns_hnode **p = &t->buckets[n->hash & (t->nbuckets - 1)]; *p;
         p = &(*p)->hnext) {
        if (*p == n) {
            *p = n->hnext;
            n->hnext = NULL;
            t->count--;
            return;
        }
    }
}

void weft__dns_table_free(struct weft__dns_table *t)
{
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = 0;
    t->count = 0;
}

/* ------------------------------------------------------------ the cache */

void weft__dns_cache_init(struct weft__dns_cache *c, size_t max_entries)
{
    memset(c, 0, sizeof *c);
    c->max_entries = max_entries;
}

static void lru_unlink(struct weft__dns_cache *c, struct weft__dns_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        c->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        c->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(struct weft__dns_cache *c, struct weft__dns_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = c->lru_head;
    if (c->lru_head)
        c->lru_head->lru_prev = e;
    else
        c->lru_tail = e;
    c->lru_head = e;
}

static void entry_drop(struct weft__dns_cache *c, struct weft__dns_entry *e)
{
    weft__dns_table_remove(&c->table, &e->node);
    lru_unlink(c, e);
    free(e);
}

void weft__dns_cache_clear(struct weft__dns_cache *c)
{
    while (c->lru_head)
        entry_drop(c, c->lru_head);
    weft__dns_table_free(&c->table);
}

struct weft__dns_entry *weft__dns_cache_get(struct weft__dns_cache *c, const char *name,
                                            int family, uint64_t now)
{
    uint32_t h = weft__dns_hash(name, family);
    struct weft__dns_hnode *n = weft__dns_table_find(&c->table, name, family, h);
    if (!n)
        return NULL;
    struct weft__dns_entry *e = (struct weft__dns_entry *)n;
    if (e->expires <= now) {
        entry_drop(c, e);
        return NULL;
    }
    lru_unlink(c, e);
    lru_push_front(c, e);
    return e;
}

int weft__dns_cache_put(struct weft__dns_cache *c, const char *name, int family, int status,
                        const struct weft__dns_addr *addrs, size_t naddrs, uint64_t expires)
{
    if (!c->max_entries)
        return 0;
    size_t namelen = strlen(name) + 1;
    /* Addresses after the name, aligned for their union. */
    size_t off = (sizeof(struct weft__dns_entry) + namelen + 15) & ~(size_t)15;
    struct weft__dns_entry *e = malloc(off + naddrs * sizeof *addrs);
    if (!e)
        return -ENOMEM;
    memset(e, 0, sizeof *e);
    e->node.name = (char *)(e + 1);
    memcpy(e->node.name, name, namelen);
    e->node.family = family;
    e->node.hash = weft__dns_hash(name, family);
    e->expires = expires;
    e->status = status;
    e->naddrs = (uint32_t)naddrs;
    e->addrs = (struct weft__dns_addr *)((char *)e + off);
    if (naddrs)
        memcpy(e->addrs, addrs, naddrs * sizeof *addrs);

    struct weft__dns_hnode *old = weft__dns_table_find(&c->table, name, family, e->node.hash);
    if (old)
        entry_drop(c, (struct weft__dns_entry *)old);
    if (weft__dns_table_insert(&c->table, &e->node) != 0) {
        free(e);
        return -ENOMEM;
    }
    lru_push_front(c, e);
    while (c->table.count > c->max_entries)
        entry_drop(c, c->lru_tail);
    return 0;
}
