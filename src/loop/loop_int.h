/*
 * loop_int.h - the loop's internals, shared with the layers above it (coro,
 * net, ...). Internal code embeds these structs in its own objects so that
 * hot paths (a task wake-up, a connection's timeout) never allocate.
 */
#ifndef WEFT_LOOP_INT_H
#define WEFT_LOOP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>

#include "weft/loop.h"

/* A queued callback. Embeddable: a node may be queued at most once at a time. */
struct weft__call {
    struct weft__call *next;
    weft_cb cb;
    void *ud;
};

/* A timer, embeddable. heap_index is its slot in the loop's heap, or -1 when
 * not armed; seq breaks ties so that equal deadlines fire in insertion order. */
struct weft__timer {
    uint64_t when;
    uint64_t seq;
    weft_cb cb;
    void *ud;
    int32_t heap_index;
};

struct weft__heap {
    struct weft__timer **items;
    uint32_t len, cap;
};

struct weft_io {
    weft_loop *loop;
    int fd;
    unsigned interest;   /* what the user asked for */
    unsigned registered; /* what epoll has, to skip needless epoll_ctl calls */
    bool closed;         /* closed during a dispatch batch: skip, free later */
    weft_io_cb cb;
    void *ud;
    struct weft_io *next_closed;
};

struct weft__signal {
    int signo;
    weft_cb cb;
    void *ud;
};

struct weft__executor;

/* A per-loop singleton made lazily by a layer above (the default DNS
 * resolver): weft_loop_close() runs fn once, when no task, job or callback is
 * left, before it checks for open watchers and timers, so that the singleton
 * can release its fds, timers and memory. Embedded in the singleton; fn also
 * identifies it (weft__loop_find_close_hook). */
struct weft__close_hook {
    struct weft__close_hook *next;
    void (*fn)(weft_loop *loop, struct weft__close_hook *hook);
};

struct weft_loop {
    int epfd;
    int wakefd;          /* eventfd for call_soon_threadsafe and stop */
    int sigfd;           /* signalfd, -1 until a handler is added */
    uint64_t now;        /* cached clock, ns */
    bool virtual_clock;
    bool running;
    atomic_bool stop_requested;
    atomic_bool wake_pending; /* a wakefd write is in flight: skip another */

    /* call_soon FIFO; a batch is the list as it stood when the batch began. */
    struct weft__call *ready_head, **ready_tail;
    struct weft__call *free_calls;  /* recycled nodes for weft_loop_call_soon */
    size_t nready;

    /* call_soon_threadsafe: a mutex-guarded list drained on the loop thread. */
    pthread_mutex_t ts_lock;
    struct weft__call *ts_head, **ts_tail;

    struct weft__heap timers;
    uint64_t timer_seq;

    struct weft_io **io_by_fd;  /* fd -> watcher, grown on demand */
    int io_cap;
    size_t nio_active;          /* watchers with interest != 0 */
    size_t nio_open;
    struct weft_io *closed_ios; /* freed after the dispatch batch */
    bool dispatching;

    struct weft__signal *signals;
    int nsignals;
    sigset_t sigmask;

    struct weft__executor *executor;
    size_t jobs_pending;        /* submitted, done callback not yet run */

    /* Kept by the coroutine layer: every task not yet ended, so that
     * weft_run() can cancel leftovers and close() can refuse while any live. */
    size_t tasks_alive;
    struct weft_task *tasks_head;
    /* Other layers may hold the loop alive (e.g. a pending DNS query). */
    size_t refs;
    /* Per-loop singletons of upper layers, released by weft_loop_close(). */
    struct weft__close_hook *close_hooks;
};

/* Queue an embedded call node (FIFO). The node must not already be queued. */
void weft__loop_post(weft_loop *loop, struct weft__call *node);

/* Timers on embedded storage. start replaces an armed timer's deadline. */
void weft__timer_init(struct weft__timer *t, weft_cb cb, void *ud);
void weft__timer_start(weft_loop *loop, struct weft__timer *t, uint64_t when);
void weft__timer_stop(weft_loop *loop, struct weft__timer *t);
static inline bool weft__timer_armed(const struct weft__timer *t) { return t->heap_index >= 0; }

/* Heap primitives (timer.c). */
int weft__heap_push(struct weft__heap *h, struct weft__timer *t);
void weft__heap_remove(struct weft__heap *h, struct weft__timer *t);
static inline struct weft__timer *weft__heap_min(const struct weft__heap *h)
{
    return h->len ? h->items[0] : NULL;
}
void weft__heap_free(struct weft__heap *h);

/* Signal and executor plumbing (signal.c, executor.c). */
void weft__signal_dispatch(weft_loop *loop);
void weft__signal_close(weft_loop *loop);
void weft__executor_shutdown(weft_loop *loop);

/* Wake the loop from another thread. */
void weft__loop_wakeup(weft_loop *loop);
/* Queue an embedded call node from any thread; it runs on the loop. */
void weft__loop_post_threadsafe(weft_loop *loop, struct weft__call *node);

/* epoll tag of the loop's signalfd (signal.c registers it, loop.c tests it). */
extern char weft__signal_tag;

/* Monotonic clock, ns. */
uint64_t weft__clock_ns(void);

/* Register a close hook (not already registered), or find the one whose fn
 * is fn (NULL if none). A hook that has run is no longer registered. */
void weft__loop_add_close_hook(weft_loop *loop, struct weft__close_hook *hook);
struct weft__close_hook *weft__loop_find_close_hook(weft_loop *loop,
                                                    void (*fn)(weft_loop *, struct weft__close_hook *));
void weft__loop_remove_close_hook(weft_loop *loop, struct weft__close_hook *hook);

/* Keep the loop alive while an internal operation is in flight. */
static inline void weft__loop_ref(weft_loop *loop) { loop->refs++; }
static inline void weft__loop_unref(weft_loop *loop) { loop->refs--; }

/* Thread-local "current" state shared with the coroutine layer. */
extern __thread weft_loop *weft__current_loop;

#endif
