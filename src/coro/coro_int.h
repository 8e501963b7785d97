/*
 * coro_int.h - tasks' internals, shared with the layers above (net, stream,
 * http): the wait/wake protocol every suspending call is built on.
 *
 * A suspending call registers itself with whatever it waits for (a timer, an
 * fd, a future), then calls weft__task_wait(). Whoever completes it calls
 * weft__task_wake() with the result. If the task is cancelled or a deadline
 * passes first, the waiter's unhook() runs to take the registration back and
 * the wait returns -ECANCELED / -ETIMEDOUT. Either way the waiter (which lives
 * on the task's stack) is never touched after the wait returns.
 */
#ifndef WEFT_CORO_INT_H
#define WEFT_CORO_INT_H

#include "weft/coro.h"
#include "loop/loop_int.h"
#include "coro/ctx.h"

struct weft__wait {
    weft_task *task;
    /* Undo the registration when the wait is interrupted (may be NULL). */
    void (*unhook)(struct weft__wait *w);
};

/* Suspend the current task until weft__task_wake(w) or an interruption.
 * Returns the woken result, -ECANCELED, -ETIMEDOUT, or -EPERM outside a task.
 * If the task is already cancelled or past a deadline, unhook runs and the
 * error returns at once. */
int weft__task_wait(struct weft__wait *w);

/* Same, but cancellation and deadlines do not interrupt it (they stay
 * pending for the next ordinary wait). For cleanup that must finish. */
int weft__task_wait_shielded(struct weft__wait *w);

/* Complete a wait; ignored if the wait already ended. */
void weft__task_wake(struct weft__wait *w, int result);

/* Complete a wait and run its task right away, inside this call, until it
 * suspends again or ends, instead of from the loop's ready queue: for a
 * protocol callback that hands work to a parked task and wants its output
 * before the callback returns (the HTTP server corks a batch of responses
 * into one write this way). Only from loop context (no task running) on
 * the task's own loop; anywhere else, or when the task already has a resume
 * queued, it is weft__task_wake(). Returns true when the task ran. */
bool weft__task_wake_now(struct weft__wait *w, int result);

/* The error a wait would return at once (-ECANCELED, -ETIMEDOUT) or 0. */
int weft__task_check(weft_task *task);

extern __thread weft_task *weft__current_task;

/* ------------------------------------------------------------- stacks */

struct weft__stack {
    void *map;            /* the whole mapping, guard page included */
    size_t map_size;
    void *lo;             /* usable stack: [lo, lo + size) */
    size_t size;
    unsigned valgrind_id;
    struct weft__stack *next;
};

/* Get a stack of the current default size (pooled per thread). */
struct weft__stack *weft__stack_get(void);
/* Give a stack back to the pool (or unmap it when the pool is full). */
void weft__stack_put(struct weft__stack *s);
/* Unmap every pooled stack of this thread. */
void weft__stack_pool_drain(void);

/* Switch contexts, telling AddressSanitizer about it. to_lo/to_size describe
 * the destination stack (NULL/0 for the thread's own stack: remembered from
 * the first switch). `finished` marks the last switch away from a stack that
 * will not run again, so ASan frees its fake frames. */
void weft__switch(struct weft__ctx *from, struct weft__ctx *to, const void *to_lo,
                  size_t to_size, bool finished);

/* Overflow reporting: the guard page of the running task's stack. */
void weft__stack_guard_enter(const struct weft__stack *s);

#endif
