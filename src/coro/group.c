/*
 * group.c - task groups: structured concurrency (TaskGroup, gather).
 *
 * Every child gets a done callback into the group. The first child to fail
 * records its error and cancels its siblings; the waiter wakes when the last
 * child has ended. The group never returns while a child still runs, so no
 * task outlives the scope that started it.
 */
#include <errno.h>
#include <stdlib.h>

#include "coro/coro_int.h"

struct child {
    weft_task *task;
    int result;
    bool done;
    struct weft_group *group;
};

struct weft_group {
    weft_loop *loop;
    struct child **children;
    int n, cap;
    int running;
    int first_error;
    bool failed;
    bool freed;               /* freed with children still running */
    struct weft__wait w;
    bool waiting;
};

int weft_group_new(weft_group **out)
{
    weft_loop *loop = weft__current_loop;
    if (!loop || !out)
        return -EINVAL;
    weft_group *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    g->loop = loop;
    *out = g;
    return 0;
}

static void cancel_all(weft_group *g)
{
    for (int i = 0; i < g->n; i++)
        if (!g->children[i]->done)
            weft_task_cancel(g->children[i]->task);
}

static void child_done(weft_task *t, void *ud)
{
    struct child *c = ud;
    weft_group *g = c->group;
    c->done = true;
    c->result = weft_task_result(t);
    weft_task_release(c->task);
    c->task = NULL;
    if (!g) {
        free(c); /* the group was freed while this child ran */
        return;
    }
    g->running--;
    if (c->result < 0 && !g->failed) {
        g->failed = true;
        g->first_error = c->result;
        cancel_all(g);
    }
    if (g->running == 0 && g->waiting)
        weft__task_wake(&g->w, 0);
}

int weft_group_spawn(weft_group *g, weft_task_fn fn, void *arg)
{
    if (g->n == g->cap) {
        int cap = g->cap ? g->cap * 2 : 8;
        struct child **tab = realloc(g->children, (size_t)cap * sizeof *tab);
        if (!tab)
            return -ENOMEM;
        g->children = tab;
        g->cap = cap;
    }
    struct child *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->group = g;
    int err = weft_task_spawn(g->loop, fn, arg, &c->task);
    if (err) {
        free(c);
        return err;
    }
    err = weft_task_add_done_cb(c->task, child_done, c);
    if (err) {
        weft_task_cancel(c->task);
        weft_task_release(c->task);
        free(c);
        return err;
    }
    /* A group that already failed starts no new work. */
    if (g->failed)
        weft_task_cancel(c->task);
    g->children[g->n] = c;
    g->running++;
    return g->n++;
}

int weft_group_wait(weft_group *g)
{
    if (!weft__current_task)
        return -EPERM;
    int own_error = 0;
    while (g->running > 0) {
        g->waiting = true;
        int r = own_error ? weft__task_wait_shielded(&g->w) : weft__task_wait(&g->w);
        g->waiting = false;
        if (r < 0 && !own_error && g->running > 0) {
            /* We were cancelled or timed out: cancel the children, and
             * still wait for them, shielded, before reporting it. */
            own_error = r;
            cancel_all(g);
        }
    }
    if (own_error)
        return own_error;
    return g->failed ? g->first_error : 0;
}

int weft_group_result(const weft_group *g, int index)
{
    if (index < 0 || index >= g->n)
        return -EINVAL;
    return g->children[index]->result;
}

int weft_group_size(const weft_group *g)
{
    return g->n;
}

void weft_group_free(weft_group *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n; i++) {
        struct child *c = g->children[i];
        if (c->done) {
            free(c);
        } else {
            /* Left to end on its own; its done callback frees the record. */
            c->group = NULL;
            weft_task_cancel(c->task);
        }
    }
    free(g->children);
    free(g);
}
