/*
 * semaphore.c - asyncio.Semaphore (and Lock, a semaphore of 1) for tasks.
 *
 * A release with tasks waiting hands its permit straight to the first of
 * them (FIFO), so a task that arrives later cannot barge ahead, and a woken
 * waiter always holds the permit when its acquire returns 0: once woken a
 * wait can no longer be interrupted (weft__task_wake clears it), so no
 * permit is ever lost to a cancellation racing the release.
 */
#include <errno.h>
#include <stdlib.h>

#include "coro/coro_int.h"

struct sem_waiter {
    struct weft__wait w;
    weft_semaphore *s;
    struct sem_waiter *prev, *next;
};

struct weft_semaphore {
    unsigned value;
    struct sem_waiter *head, *tail;
};

int weft_semaphore_new(unsigned value, weft_semaphore **out)
{
    if (!out)
        return -EINVAL;
    weft_semaphore *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->value = value;
    *out = s;
    return 0;
}

static void unlink_waiter(struct sem_waiter *w)
{
    weft_semaphore *s = w->s;
    if (w->prev)
        w->prev->next = w->next;
    else
        s->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        s->tail = w->prev;
    w->prev = w->next = NULL;
}

static void waiter_unhook(struct weft__wait *w)
{
    unlink_waiter((struct sem_waiter *)w);
}

bool weft_semaphore_try_acquire(weft_semaphore *s)
{
    if (!s->value || s->head)
        return false;
    s->value--;
    return true;
}

int weft_semaphore_acquire(weft_semaphore *s)
{
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    int err = weft__task_check(t); /* sticky cancellation, as every @suspends call */
    if (err)
        return err;
    if (weft_semaphore_try_acquire(s))
        return 0;
    struct sem_waiter w = {.w.unhook = waiter_unhook, .s = s, .prev = s->tail};
    if (s->tail)
        s->tail->next = &w;
    else
        s->head = &w;
    s->tail = &w;
    return weft__task_wait(&w.w); /* 0: the releaser gave us its permit */
}

void weft_semaphore_release(weft_semaphore *s)
{
    struct sem_waiter *w = s->head;
    if (!w) {
        s->value++;
        return;
    }
    unlink_waiter(w);
    weft__task_wake(&w->w, 0);
}

unsigned weft_semaphore_value(const weft_semaphore *s)
{
    return s->value;
}

bool weft_semaphore_locked(const weft_semaphore *s)
{
    return s->value == 0;
}

void weft_semaphore_free(weft_semaphore *s)
{
    if (!s)
        return;
    while (s->head) {
        struct sem_waiter *w = s->head;
        unlink_waiter(w);
        weft__task_wake(&w->w, WEFT_ECLOSED);
    }
    free(s);
}
