/*
 * pool.c - the connection pool of a session (aiohttp's TCPConnector):
 * one pool per (scheme, host, port, proxy, TLS context) key, a total limit
 * and a per-key limit, idle keep-alive connections reused most recently used
 * first and closed after the idle timeout, and requests that find the pool
 * at a limit queued in FIFO order.
 *
 * Invariant: no free slot and no usable idle connection is left while a
 * waiter could take it. Every event that frees one (a release, a failed
 * connect, a discarded connection) runs dispatch(), which walks the queue
 * from its head and hands each waiter either an idle connection or a
 * reserved slot (counted at once, so nobody can take it meanwhile). A
 * waiter whose key is at its own per-host limit is skipped, so it does not
 * block requests to other hosts. When the total limit is reached but idle
 * connections of other keys exist, the oldest of those is closed to make
 * room (curl does the same); otherwise they would hold slots forever.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

struct weft__hc_waiter {
    struct weft__wait w;
    weft_http_session *s;
    struct weft__hc_pool *pool;
    struct weft__hc_waiter *prev, *next;
    struct weft__hc_conn *conn; /* handed over: an idle connection */
    bool may_open;              /* handed over: a reserved slot */
    bool fresh;                 /* wants a new connection */
    bool queued;
};

/* ------------------------------------------------------------ keys */

static void key_of(const struct weft__hc_target *t, char *buf, size_t cap)
{
    /* http through a proxy: every origin shares the proxy's connections,
     * which carry absolute-form requests. */
    if (t->proxy && !t->https) {
        snprintf(buf, cap, "proxy %s", weft_url_href(t->proxy->url));
        return;
    }
    snprintf(buf, cap, "%s://%s:%d %s %p", t->https ? "https" : "http", t->host, t->port,
             t->proxy ? weft_url_href(t->proxy->url) : "-", (void *)(t->https ? t->tls : NULL));
}

struct weft__hc_pool *weft__hc_pool_get(weft_http_session *s, const struct weft__hc_target *t)
{
    char key[640];
    key_of(t, key, sizeof key);
    struct weft__hc_pool **pp = &s->pools;
    for (struct weft__hc_pool *p = s->pools; p; pp = &p->next, p = p->next) {
        if (strcmp(p->key, key) == 0) {
            if (pp != &s->pools) { /* move to the front: the next look-up is quick */
                *pp = p->next;
                p->next = s->pools;
                s->pools = p;
            }
            return p;
        }
    }
    struct weft__hc_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->key = strdup(key);
    p->host_store = strdup(t->host);
    if (!p->key || !p->host_store)
        goto fail;
    p->t = *t;
    p->t.host = p->host_store;
    if (t->proxy) {
        if (weft_url_dup(t->proxy->url, &p->proxy_store.url) != 0)
            goto fail;
        if (t->proxy->auth && !(p->proxy_store.auth = strdup(t->proxy->auth)))
            goto fail;
        p->t.proxy = &p->proxy_store;
    }
    if (p->t.tls)
        weft_tls_ctx_ref(p->t.tls);
    p->next = s->pools;
    s->pools = p;
    return p;
fail:
    free(p->key);
    free(p->host_store);
    weft__hc_proxy_clear(&p->proxy_store);
    free(p);
    return NULL;
}

/* ------------------------------------------------------------ lists */

static void idle_unlink(struct weft__hc_conn *c)
{
    weft_http_session *s = c->s;
    struct weft__hc_pool *p = c->pool;
    if (!c->idle)
        return;
    c->idle = false;
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        p->idle = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    if (c->lprev)
        c->lprev->lnext = c->lnext;
    else
        s->lru_head = c->lnext;
    if (c->lnext)
        c->lnext->lprev = c->lprev;
    else
        s->lru_tail = c->lprev;
    c->inext = c->iprev = c->lnext = c->lprev = NULL;
    s->nidle--;
}

static void idle_push(struct weft__hc_conn *c)
{
    weft_http_session *s = c->s;
    struct weft__hc_pool *p = c->pool;
    c->idle = true;
    c->idle_since = weft_loop_now(s->loop);
    c->iprev = NULL;
    c->inext = p->idle;
    if (p->idle)
        p->idle->iprev = c;
    p->idle = c;
    c->lnext = NULL;
    c->lprev = s->lru_tail;
    if (s->lru_tail)
        s->lru_tail->lnext = c;
    else
        s->lru_head = c;
    s->lru_tail = c;
    s->nidle++;
    if (!weft__timer_armed(&s->idle_timer))
        weft__timer_start(s->loop, &s->idle_timer, s->lru_head->idle_since + s->idle_timeout);
}

/* Forget a pooled connection: counters down, destroyed. No dispatch. */
static void drop(struct weft__hc_conn *c, bool abort)
{
    weft_http_session *s = c->s;
    idle_unlink(c);
    if (c->pool) {
        c->pool->nconns--;
        s->nconns--;
    }
    weft__hc_conn_destroy(c, abort);
}

static void reserve(weft_http_session *s, struct weft__hc_pool *p)
{
    s->nconns++;
    p->nconns++;
    if (s->nconns > s->stats.max_open)
        s->stats.max_open = s->nconns;
}

static void unreserve(weft_http_session *s, struct weft__hc_pool *p)
{
    s->nconns--;
    p->nconns--;
}

static bool can_open(const weft_http_session *s, const struct weft__hc_pool *p)
{
    return s->nconns < s->limit && p->nconns < s->limit_per_host;
}

/* Close idle connections past the idle timeout. */
static void expire_idle(weft_http_session *s, uint64_t now)
{
    while (s->lru_head && s->lru_head->idle_since + s->idle_timeout <= now)
        drop(s->lru_head, false);
}

/* The most recently used idle connection of p that can still be used. */
static struct weft__hc_conn *take_idle(struct weft__hc_pool *p)
{
    struct weft__hc_conn *c;
    while ((c = p->idle) != NULL) {
        if (weft__hc_conn_usable(c)) {
            idle_unlink(c);
            return c;
        }
        drop(c, true);
    }
    return NULL;
}

/* Close the oldest idle connection (of any pool) to free a slot. */
static bool evict_oldest(weft_http_session *s)
{
    if (!s->lru_head)
        return false;
    drop(s->lru_head, false);
    return true;
}

/* ------------------------------------------------------------ waiters */

static void wq_unlink(struct weft__hc_waiter *w)
{
    weft_http_session *s = w->s;
    if (!w->queued)
        return;
    w->queued = false;
    if (w->prev)
        w->prev->next = w->next;
    else
        s->wq_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->wq_tail = w->prev;
    w->prev = w->next = NULL;
    s->nwaiting--;
}

static void wq_push(struct weft__hc_waiter *w)
{
    weft_http_session *s = w->s;
    w->queued = true;
    w->next = NULL;
    w->prev = s->wq_tail;
    if (s->wq_tail)
        s->wq_tail->next = w;
    else
        s->wq_head = w;
    s->wq_tail = w;
    s->nwaiting++;
}

static void waiter_unhook(struct weft__wait *w)
{
    wq_unlink((struct weft__hc_waiter *)w);
}

static void dispatch(weft_http_session *s)
{
    if (s->closed)
        return;
    for (struct weft__hc_waiter *w = s->wq_head, *next; w; w = next) {
        next = w->next;
        struct weft__hc_pool *p = w->pool;
        struct weft__hc_conn *c = w->fresh ? NULL : take_idle(p);
        if (c) {
            w->conn = c;
        } else if (can_open(s, p) ||
                   (p->nconns < s->limit_per_host && s->nconns >= s->limit && evict_oldest(s) &&
                    can_open(s, p))) {
            reserve(s, p);
            w->may_open = true;
        } else {
            continue;
        }
        wq_unlink(w);
        weft__task_wake(&w->w, 0);
    }
}

/* ------------------------------------------------------------ acquire */

static int open_conn(weft_http_session *s, struct weft__hc_pool *p, uint64_t connect_timeout,
                     struct weft__hc_trace *tc, char *errbuf, struct weft__hc_conn **out)
{
    struct weft__hc_conn *c = s->closed ? NULL : calloc(1, sizeof *c);
    if (!c) {
        unreserve(s, p);
        dispatch(s);
        return s->closed ? WEFT_ECLOSED : -ENOMEM;
    }
    c->s = s;
    c->pool = p;
    c->anext = s->all;
    if (s->all)
        s->all->aprev = c;
    s->all = c;
    int rc = weft__hc_connect(s, c, &p->t, connect_timeout, tc, errbuf);
    if (rc == 0 && s->closed)
        rc = WEFT_ECLOSED;
    if (rc < 0) {
        drop(c, true);
        dispatch(s);
        return rc;
    }
    s->stats.connections_opened++;
    *out = c;
    return 0;
}

int weft__hc_acquire(weft_http_session *s, struct weft__hc_pool *p, bool fresh,
                     uint64_t pool_timeout, uint64_t connect_timeout,
                     struct weft__hc_trace *tc, struct weft_http_timings *tm, char *errbuf,
                     struct weft__hc_conn **out, bool *reused)
{
    if (s->closed)
        return WEFT_ECLOSED;
    *reused = false;
    if (s->lru_head)
        expire_idle(s, weft_loop_now(s->loop));
    struct weft__hc_conn *c = fresh ? NULL : take_idle(p);
    if (c) {
        *reused = true;
        *out = c;
        return 0;
    }
    if (!s->wq_head && (can_open(s, p) || (p->nconns < s->limit_per_host &&
                                           s->nconns >= s->limit && evict_oldest(s) &&
                                           can_open(s, p)))) {
        reserve(s, p);
        return open_conn(s, p, connect_timeout, tc, errbuf, out);
    }

    struct weft__hc_waiter w = {.w.unhook = waiter_unhook, .s = s, .pool = p, .fresh = fresh};
    wq_push(&w);
    s->stats.pool_waits++;
    if (tc->on)
        weft__hc_trace_simple(tc, WEFT_HTTP_TRACE_POOL_WAIT_START, 0, 0, NULL);
    int scope = -1;
    if (pool_timeout != WEFT_NEVER) {
        scope = weft_timeout_push(pool_timeout);
        if (scope < 0) {
            wq_unlink(&w);
            return scope;
        }
    }
    int rc = weft__task_wait(&w.w);
    if (scope >= 0 && weft_timeout_pop(scope) && rc == -ETIMEDOUT)
        rc = WEFT_EHTTP_POOL_TIMEOUT;
    if (rc == 0 && s->closed && !w.conn && !w.may_open)
        rc = WEFT_ECLOSED;
    tm->pool_wait_ns = weft_loop_now(s->loop) - tc->t0;
    if (tc->on)
        weft__hc_trace_simple(tc, WEFT_HTTP_TRACE_POOL_WAIT_END, 0, rc < 0 ? rc : 0, NULL);
    if (rc < 0) {
        if (rc == WEFT_EHTTP_POOL_TIMEOUT)
            weft__hc_err(errbuf, "no pooled connection to %s:%d became free in time",
                         p->t.host, p->t.port);
        /* Handed over just as we were interrupted? Give it back. */
        if (w.conn)
            weft__hc_release(w.conn);
        else if (w.may_open) {
            unreserve(s, p);
            dispatch(s);
        }
        return rc;
    }
    if (w.conn) {
        *reused = true;
        *out = w.conn;
        return 0;
    }
    return open_conn(s, p, connect_timeout, tc, errbuf, out);
}

/* ------------------------------------------------------------ release */

void weft__hc_release(struct weft__hc_conn *c)
{
    weft_http_session *s = c->s;
    if (!c->pool) /* a single connection's: its owner keeps it */
        return;
    if (s->closed || c->dead || !c->keep || (s->flags & WEFT_HTTP_SESSION_NO_KEEPALIVE) ||
        !weft__hc_conn_usable(c)) {
        weft__hc_discard(c);
        return;
    }
    idle_push(c);
    dispatch(s);
}

void weft__hc_discard(struct weft__hc_conn *c)
{
    weft_http_session *s = c->s;
    drop(c, true);
    dispatch(s);
}

void weft__hc_idle_timer(void *arg)
{
    weft_http_session *s = arg;
    expire_idle(s, weft_loop_now(s->loop));
    if (s->lru_head)
        weft__timer_start(s->loop, &s->idle_timer, s->lru_head->idle_since + s->idle_timeout);
    dispatch(s);
}

/* ------------------------------------------------------------ shutdown */

int weft__hc_pool_close_idle(weft_http_session *s)
{
    int rc = 0;
    struct weft__hc_conn *c;
    while ((c = s->lru_head) != NULL) {
        idle_unlink(c);
        c->pool->nconns--;
        s->nconns--;
        weft_stream *st = c->st;
        c->st = NULL;
        weft__hc_conn_destroy(c, false);
        if (st) {
            int r = weft_stream_close(st);
            if (r == -ECANCELED || r == -ETIMEDOUT)
                rc = r;
        }
    }
    return rc;
}

void weft__hc_pool_shutdown(weft_http_session *s)
{
    while (s->lru_head)
        drop(s->lru_head, false);
    for (struct weft__hc_conn *c = s->all; c; c = c->anext) {
        c->dead = true;
        if (c->st)
            weft_stream_abort(c->st); /* its user's pending read ends with WEFT_ECLOSED */
    }
    while (s->wq_head) {
        struct weft__hc_waiter *w = s->wq_head;
        wq_unlink(w);
        weft__task_wake(&w->w, WEFT_ECLOSED);
    }
}
