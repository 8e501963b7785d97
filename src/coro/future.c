/*
 * future.c - one-shot results set by callback code and awaited by tasks,
 * and run_in_executor built on them.
 */
#include <errno.h>
#include <stdlib.h>

#include "coro/coro_int.h"

struct fut_waiter {
    struct weft__wait w;        /* a task waiting (cb == NULL) */
    weft_future_done_cb cb;     /* or a done callback */
    void *ud;
    struct fut_waiter *prev, *next;
    bool heap;                  /* malloc'd (done callbacks) vs on a task stack */
};

struct weft_future {
    weft_loop *loop;
    int refs;
    bool done;
    int result;
    void *value;
    struct fut_waiter *head;
    struct weft__call notify;   /* runs the waiters on a later iteration */
    bool notify_queued;
};

int weft_future_new(weft_loop *loop, weft_future **out)
{
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !out)
        return -EINVAL;
    weft_future *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->loop = loop;
    f->refs = 1;
    *out = f;
    return 0;
}

void weft_future_ref(weft_future *f)
{
    f->refs++;
}

void weft_future_unref(weft_future *f)
{
    if (f && --f->refs == 0) {
        /* Waiters hold references, so none can be left here; done
         * callbacks not yet run are dropped with the future. */
        while (f->head) {
            struct fut_waiter *w = f->head;
            f->head = w->next;
            if (w->heap)
                free(w);
        }
        free(f);
    }
}

static void unlink_waiter(weft_future *f, struct fut_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (f->head == w)
        f->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

static void append_waiter(weft_future *f, struct fut_waiter *w)
{
    w->prev = w->next = NULL;
    if (!f->head) {
        f->head = w;
        return;
    }
    struct fut_waiter *last = f->head;
    while (last->next)
        last = last->next;
    last->next = w;
    w->prev = last;
}

static void notify_all(void *arg)
{
    weft_future *f = arg;
    f->notify_queued = false;
    f->refs++;
    while (f->head) {
        struct fut_waiter *w = f->head;
        unlink_waiter(f, w);
        if (w->cb) {
            w->cb(f, w->ud);
            if (w->heap)
                free(w);
        } else {
            weft__task_wake(&w->w, f->result);
        }
    }
    weft_future_unref(f); /* the reference taken while notification was queued */
    weft_future_unref(f);
}

static void queue_notify(weft_future *f)
{
    if (f->notify_queued)
        return;
    f->notify_queued = true;
    f->refs++; /* keep it alive until notify_all ran */
    f->notify.cb = notify_all;
    f->notify.ud = f;
    weft__loop_post(f->loop, &f->notify);
}

int weft_future_set_result(weft_future *f, int result, void *value)
{
    if (f->done)
        return -EALREADY;
    f->done = true;
    f->result = result;
    f->value = value;
    if (f->head)
        queue_notify(f);
    return 0;
}

int weft_future_cancel(weft_future *f)
{
    return weft_future_set_result(f, -ECANCELED, NULL);
}

bool weft_future_done(const weft_future *f)
{
    return f->done;
}

int weft_future_result(const weft_future *f, void **value)
{
    if (value)
        *value = f->value;
    return f->result;
}

static void waiter_unhook(struct weft__wait *w)
{
    struct fut_waiter *fw = (struct fut_waiter *)w;
    weft_future *f = fw->ud;
    unlink_waiter(f, fw);
}

int weft_future_await(weft_future *f, void **value)
{
    if (!weft__current_task)
        return -EPERM;
    if (f->done)
        return weft_future_result(f, value);
    struct fut_waiter w = {.w.unhook = waiter_unhook, .ud = f};
    f->refs++;
    append_waiter(f, &w);
    int r = weft__task_wait(&w.w);
    if (f->done && r == f->result && value)
        *value = f->value;
    weft_future_unref(f);
    return r;
}

int weft_future_add_done_cb(weft_future *f, weft_future_done_cb cb, void *ud)
{
    if (!cb)
        return -EINVAL;
    struct fut_waiter *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->cb = cb;
    w->ud = ud;
    w->heap = true;
    append_waiter(f, w);
    if (f->done)
        queue_notify(f);
    return 0;
}

/* ---------------------------------------------------------- run_in_executor */

struct exec_wait {
    struct weft__wait w;
    weft_job *job;
    bool finished;
    int result;
};

static void exec_done(int result, void *ud)
{
    struct exec_wait *e = ud;
    e->finished = true;
    e->result = result;
    weft__task_wake(&e->w, result);
}

int weft_run_in_executor(weft_job_fn fn, void *arg)
{
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    int err = weft__task_check(t);
    if (err)
        return err;
    struct exec_wait e = {0};
    err = weft_executor_submit(weft__current_loop, fn, arg, exec_done, &e, &e.job);
    if (err)
        return err;
    int r = weft__task_wait(&e.w);
    if (e.finished)
        return r;
    /* Interrupted. A queued job is withdrawn (its done callback still runs,
     * with -ECANCELED); a running one must finish before arg goes away. */
    weft_job_cancel(e.job);
    while (!e.finished)
        weft__task_wait_shielded(&e.w);
    return r;
}
