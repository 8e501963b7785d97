/*
 * timer.c - a binary min-heap of timers keyed by (when, seq).
 *
 * Each timer remembers its heap slot, so cancel is O(log n) without a search.
 * seq is a per-loop insertion counter: two timers due at the same instant fire
 * in the order they were set, as asyncio promises.
 */
#include <errno.h>
#include <stdlib.h>

#include "loop/loop_int.h"

static inline bool timer_before(const struct weft__timer *a, const struct weft__timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static inline void heap_set(struct weft__heap *h, uint32_t i, struct weft__timer *t)
{
    h->items[i] = t;
    t->heap_index = (int32_t)i;
}

static void sift_up(struct weft__heap *h, uint32_t i)
{
    struct weft__timer *t = h->items[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!timer_before(t, h->items[parent]))
            break;
        heap_set(h, i, h->items[parent]);
        i = parent;
    }
    heap_set(h, i, t);
}

static void sift_down(struct weft__heap *h, uint32_t i)
{
    struct weft__timer *t = h->items[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && timer_before(h->items[child + 1], h->items[child]))
            child++;
        if (!timer_before(h->items[child], t))
            break;
        heap_set(h, i, h->items[child]);
        i = child;
    }
    heap_set(h, i, t);
}

int weft__heap_push(struct weft__heap *h, struct weft__timer *t)
{
    if (h->len == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        struct weft__timer **items = realloc(h->items, cap * sizeof *items);
        if (!items)
            return -ENOMEM;
        h->items = items;
        h->cap = cap;
    }
    h->items[h->len] = t;
    t->heap_index = (int32_t)h->len;
    h->len++;
    sift_up(h, h->len - 1);
    return 0;
}

void weft__heap_remove(struct weft__heap *h, struct weft__timer *t)
{
    uint32_t i = (uint32_t)t->heap_index;
    t->heap_index = -1;
    h->len--;
    if (i == h->len)
        return;
    struct weft__timer *last = h->items[h->len];
    heap_set(h, i, last);
    /* The moved element may belong above or below its new slot. */
    if (i > 0 && timer_before(last, h->items[(i - 1) / 2]))
        sift_up(h, i);
    else
        sift_down(h, i);
}

void weft__heap_free(struct weft__heap *h)
{
    free(h->items);
    h->items = NULL;
    h->len = h->cap = 0;
}

/* ------------------------------------------------------------- loop timers */

void weft__timer_init(struct weft__timer *t, weft_cb cb, void *ud)
{
    t->when = 0;
    t->seq = 0;
    t->cb = cb;
    t->ud = ud;
    t->heap_index = -1;
}

void weft__timer_start(weft_loop *loop, struct weft__timer *t, uint64_t when)
{
    if (weft__timer_armed(t))
        weft__heap_remove(&loop->timers, t);
    t->when = when;
    t->seq = loop->timer_seq++;
    /* Allocation failure here would silently lose a timer; the heap grows by
     * doubling, so treat it as fatal rather than return an error nobody checks. */
    if (weft__heap_push(&loop->timers, t) != 0)
        abort();
}

void weft__timer_stop(weft_loop *loop, struct weft__timer *t)
{
    if (weft__timer_armed(t))
        weft__heap_remove(&loop->timers, t);
}

/* Public timers wrap the embedded ones; the handle frees itself once it fires. */
struct weft_timer {
    struct weft__timer t;
    weft_loop *loop;
    weft_cb cb;
    void *ud;
};

static void public_timer_fire(void *arg)
{
    struct weft_timer *pt = arg;
    weft_cb cb = pt->cb;
    void *ud = pt->ud;
    free(pt);
    cb(ud);
}

int weft_loop_call_at(weft_loop *loop, uint64_t when_ns, weft_cb cb, void *ud, weft_timer **out)
{
    if (!loop || !cb)
        return -EINVAL;
    struct weft_timer *pt = malloc(sizeof *pt);
    if (!pt)
        return -ENOMEM;
    pt->loop = loop;
    pt->cb = cb;
    pt->ud = ud;
    weft__timer_init(&pt->t, public_timer_fire, pt);
    if (loop->timers.len == loop->timers.cap) {
        /* Grow first so that a failure is reported, not fatal. */
        uint32_t cap = loop->timers.cap ? loop->timers.cap * 2 : 64;
        struct weft__timer **items = realloc(loop->timers.items, cap * sizeof *items);
        if (!items) {
            free(pt);
            return -ENOMEM;
        }
        loop->timers.items = items;
        loop->timers.cap = cap;
    }
    weft__timer_start(loop, &pt->t, when_ns);
    if (out)
        *out = pt;
    return 0;
}

int weft_loop_call_later(weft_loop *loop, uint64_t delay_ns, weft_cb cb, void *ud, weft_timer **out)
{
    if (!loop)
        return -EINVAL;
    /* From the real time of this call, not the iteration's cached clock, so
     * that a delay is never cut short by the time the batch already took. */
    uint64_t now = weft_loop_update_time(loop);
    uint64_t when = now + delay_ns;
    if (when < now) /* overflow: "never" */
        when = WEFT_NEVER;
    return weft_loop_call_at(loop, when, cb, ud, out);
}

void weft_timer_cancel(weft_timer *timer)
{
    if (!timer)
        return;
    weft__timer_stop(timer->loop, &timer->t);
    free(timer);
}
