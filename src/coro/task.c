/*
 * task.c - tasks: spawn, run, suspend, wake, cancel, deadlines, join.
 *
 * Tasks never switch to each other directly. The loop thread's own stack
 * runs the loop; resuming a task is a queued callback that switches into it,
 * and a task that suspends or ends switches back. So every task switch is a
 * pair of weft__ctx_jump calls, and the loop stays in charge of ordering.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "coro/coro_int.h"

#define MAX_SCOPES 16

enum task_state { TASK_CREATED, TASK_RUNNING, TASK_SUSPENDED, TASK_DONE };

/* A done callback; joiners embed one on their stack, users get a malloc'd one. */
struct done_node {
    struct done_node *prev, *next;
    weft_task_done_cb cb;
    void *ud;
};

struct weft_task {
    weft_loop *loop;
    weft_task_fn fn;
    void *arg;
    int result;
    enum task_state state;
    bool cancel_requested;
    bool resume_queued;
    int refs;               /* 1 while not ended + 1 per handle holder */
    int shield;             /* > 0: cancellation and deadlines do not interrupt */

    struct weft__ctx ctx;
    struct weft__stack *stack;
    struct weft__call resume_node;

    struct weft__wait *wait; /* the wait in progress, if suspended */
    int wake_result;

    /* Deadline scopes: absolute times, an expired bit each, one timer for
     * the earliest one not yet expired. */
    uint64_t deadline[MAX_SCOPES];
    uint32_t expired_mask;
    int nscopes;
    struct weft__timer deadline_timer;

    struct done_node *done_head;
    struct weft_task *prev_live, *next_live; /* loop->tasks_head list */
};

__thread weft_task *weft__current_task;
static __thread struct weft__ctx loop_ctx; /* where tasks switch back to */

static void task_resume_cb(void *arg);
static void deadline_fire(void *arg);

static void task_unref(weft_task *t)
{
    if (--t->refs == 0)
        free(t);
}

static void schedule_resume(weft_task *t)
{
    if (t->resume_queued)
        return;
    t->resume_queued = true;
    weft__loop_post(t->loop, &t->resume_node);
}

int weft_task_spawn(weft_loop *loop, weft_task_fn fn, void *arg, weft_task **out)
{
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !fn)
        return -EINVAL;
    weft_task *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->loop = loop;
    t->fn = fn;
    t->arg = arg;
    t->state = TASK_CREATED;
    t->refs = out ? 2 : 1;
    t->resume_node.cb = task_resume_cb;
    t->resume_node.ud = t;
    weft__timer_init(&t->deadline_timer, deadline_fire, t);
    t->next_live = loop->tasks_head;
    if (loop->tasks_head)
        loop->tasks_head->prev_live = t;
    loop->tasks_head = t;
    loop->tasks_alive++;
    schedule_resume(t);
    if (out)
        *out = t;
    return 0;
}

static void task_entry(void *arg)
{
    weft_task *t = arg;
    void weft__switch_first_entry(void);
    weft__switch_first_entry();
    t->result = t->fn(t->arg);
    t->state = TASK_DONE;
    weft__switch(&t->ctx, &loop_ctx, NULL, 0, true);
    abort(); /* a finished task is never resumed */
}

/* Runs on the loop after a task ended: free its stack, tell whoever waits. */
static void task_finish(weft_task *t)
{
    weft_loop *loop = t->loop;
    if (t->stack) {
        weft__stack_put(t->stack);
        t->stack = NULL;
    }
    weft__timer_stop(loop, &t->deadline_timer);
    if (t->prev_live)
        t->prev_live->next_live = t->next_live;
    else
        loop->tasks_head = t->next_live;
    if (t->next_live)
        t->next_live->prev_live = t->prev_live;
    loop->tasks_alive--;

    /* Callbacks may add or remove nodes (a joiner's unhook): pop one at a time. */
    t->refs++;
    while (t->done_head) {
        struct done_node *n = t->done_head;
        t->done_head = n->next;
        if (t->done_head)
            t->done_head->prev = NULL;
        n->prev = n->next = NULL;
        n->cb(t, n->ud);
    }
    t->refs--;
    task_unref(t); /* the task's own reference */
}

static void task_resume_cb(void *arg)
{
    weft_task *t = arg;
    t->resume_queued = false;
    if (t->state == TASK_DONE)
        return;
    if (t->state == TASK_CREATED) {
        if (t->cancel_requested) {
            t->result = -ECANCELED;
            t->state = TASK_DONE;
            task_finish(t);
            return;
        }
        t->stack = weft__stack_get();
        if (!t->stack) {
            t->result = WEFT_ESTACK;
            t->state = TASK_DONE;
            task_finish(t);
            return;
        }
        weft__ctx_make(&t->ctx, t->stack->lo, t->stack->size, task_entry, t);
    }
    t->state = TASK_RUNNING;
    weft_task *prev = weft__current_task;
    weft__current_task = t;
    weft__stack_guard_enter(t->stack);
    weft__switch(&loop_ctx, &t->ctx, t->stack->lo, t->stack->size, false);
    weft__stack_guard_enter(NULL);
    weft__current_task = prev;
    if (t->state == TASK_DONE)
        task_finish(t);
}

/* ------------------------------------------------------------ wait / wake */

static void mark_expired(weft_task *t)
{
    uint64_t now = t->loop->now;
    for (int i = 0; i < t->nscopes; i++)
        if (t->deadline[i] <= now)
            t->expired_mask |= 1u << i;
}

int weft__task_check(weft_task *t)
{
    if (t->shield)
        return 0;
    if (t->cancel_requested)
        return -ECANCELED;
    if (t->nscopes) {
        mark_expired(t);
        if (t->expired_mask)
            return -ETIMEDOUT;
    }
    return 0;
}

static int task_wait(struct weft__wait *w, bool shielded)
{
    weft_task *t = weft__current_task;
    if (!t) {
        if (w->unhook)
            w->unhook(w);
        return -EPERM;
    }
    if (!shielded) {
        int err = weft__task_check(t);
        if (err) {
            if (w->unhook)
                w->unhook(w);
            return err;
        }
    }
    w->task = t;
    t->wait = w;
    t->shield += shielded;
    t->state = TASK_SUSPENDED;
    weft__switch(&t->ctx, &loop_ctx, NULL, 0, false);
    t->shield -= shielded;
    return t->wake_result;
}

int weft__task_wait(struct weft__wait *w)
{
    return task_wait(w, false);
}

int weft__task_wait_shielded(struct weft__wait *w)
{
    return task_wait(w, true);
}

void weft__task_wake(struct weft__wait *w, int result)
{
    weft_task *t = w->task;
    if (!t || t->wait != w)
        return;
    t->wait = NULL;
    t->wake_result = result;
    schedule_resume(t);
}

bool weft__task_wake_now(struct weft__wait *w, int result)
{
    weft_task *t = w->task;
    if (!t || t->wait != w)
        return false;
    if (weft__current_task || t->resume_queued || t->loop != weft__current_loop ||
        t->state != TASK_SUSPENDED) {
        weft__task_wake(w, result);
        return false;
    }
    t->wait = NULL;
    t->wake_result = result;
    task_resume_cb(t);
    return true;
}

/* Cancellation or a deadline: end the current wait early with err. */
static void interrupt(weft_task *t, int err)
{
    struct weft__wait *w = t->wait;
    if (!w || t->shield)
        return;
    t->wait = NULL;
    if (w->unhook)
        w->unhook(w);
    t->wake_result = err;
    schedule_resume(t);
}

/* ------------------------------------------------------------ cancel, join */

int weft_task_cancel(weft_task *t)
{
    if (t->state == TASK_DONE)
        return -EALREADY;
    t->cancel_requested = true;
    if (t->state == TASK_SUSPENDED)
        interrupt(t, -ECANCELED);
    /* CREATED: task_resume_cb ends it without running it.
     * RUNNING (cancelling itself): its next wait fails in weft__task_check. */
    return 0;
}

bool weft_task_done(const weft_task *t)
{
    return t->state == TASK_DONE;
}

int weft_task_result(const weft_task *t)
{
    return t->result;
}

bool weft_task_cancelled(const weft_task *t)
{
    return t->cancel_requested;
}

weft_task *weft_task_current(void)
{
    return weft__current_task;
}

void weft_task_release(weft_task *t)
{
    if (t)
        task_unref(t);
}

static void done_link(weft_task *t, struct done_node *n)
{
    /* Append, so callbacks run in the order they were added. */
    n->next = NULL;
    n->prev = NULL;
    if (!t->done_head) {
        t->done_head = n;
        return;
    }
    struct done_node *last = t->done_head;
    while (last->next)
        last = last->next;
    last->next = n;
    n->prev = last;
}

static void done_unlink(weft_task *t, struct done_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else if (t->done_head == n)
        t->done_head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    n->prev = n->next = NULL;
}

struct user_done {
    struct done_node node;
    struct weft__call call; /* for a task that already ended */
    weft_task *task;
    weft_task_done_cb cb;
    void *ud;
};

static void user_done_cb(weft_task *t, void *ud)
{
    struct user_done *u = ud;
    u->cb(t, u->ud);
    free(u);
}

static void user_done_late(void *arg)
{
    struct user_done *u = arg;
    u->cb(u->task, u->ud);
    task_unref(u->task);
    free(u);
}

int weft_task_add_done_cb(weft_task *t, weft_task_done_cb cb, void *ud)
{
    struct user_done *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    u->task = t;
    u->cb = cb;
    u->ud = ud;
    if (t->state == TASK_DONE) {
        t->refs++; /* keep it until the queued callback ran */
        u->call.cb = user_done_late;
        u->call.ud = u;
        weft__loop_post(t->loop, &u->call);
        return 0;
    }
    u->node.cb = user_done_cb;
    u->node.ud = u;
    done_link(t, &u->node);
    return 0;
}

/* A task waiting for another: a done node and a wait, on the joiner's stack. */
struct joiner {
    struct weft__wait w;
    struct done_node node;
    weft_task *target;
};

static void joiner_done(weft_task *target, void *ud)
{
    struct joiner *j = ud;
    weft__task_wake(&j->w, target->result);
}

static void joiner_unhook(struct weft__wait *w)
{
    struct joiner *j = (struct joiner *)w;
    done_unlink(j->target, &j->node);
}

/* Wait for target to end without consuming the reference. */
static int await_task(weft_task *target, bool shielded)
{
    if (target->state == TASK_DONE)
        return target->result;
    if (target == weft__current_task)
        return -EDEADLK;
    struct joiner j = {.w.unhook = joiner_unhook, .target = target};
    j.node.cb = joiner_done;
    j.node.ud = &j;
    done_link(target, &j.node);
    return shielded ? weft__task_wait_shielded(&j.w) : weft__task_wait(&j.w);
}

int weft_task_join(weft_task *t)
{
    if (!weft__current_task)
        return -EPERM;
    int r = await_task(t, false);
    if (t->state != TASK_DONE)
        return r; /* interrupted: the caller keeps its reference */
    r = t->result;
    task_unref(t);
    return r;
}

int weft_wait_for(weft_task *t, uint64_t timeout_ns)
{
    if (!weft__current_task)
        return -EPERM;
    int scope = weft_timeout_push(timeout_ns);
    if (scope < 0)
        return scope;
    int r = await_task(t, false);
    bool expired = weft_timeout_pop(scope);
    if (t->state != TASK_DONE) {
        /* Timed out or we were cancelled: take the child down with us. */
        weft_task_cancel(t);
        await_task(t, true);
        task_unref(t);
        return expired ? -ETIMEDOUT : r;
    }
    r = t->result;
    task_unref(t);
    return r;
}

int weft_loop_run_until_complete(weft_loop *loop, weft_task *t)
{
    if (weft__current_task)
        return -EBUSY; /* would re-enter the loop from inside a task */
    while (t->state != TASK_DONE) {
        int r = weft_loop_run_once(loop, WEFT_NEVER);
        if (r < 0) {
            task_unref(t);
            return r;
        }
    }
    int r = t->result;
    task_unref(t);
    return r;
}

/* ----------------------------------------------------------------- sleep */

struct sleeper {
    struct weft__wait w;
    struct weft__timer timer;
    weft_loop *loop;
};

static void sleeper_fire(void *arg)
{
    struct sleeper *s = arg;
    weft__task_wake(&s->w, 0);
}

static void sleeper_unhook(struct weft__wait *w)
{
    struct sleeper *s = (struct sleeper *)w;
    weft__timer_stop(s->loop, &s->timer);
}

int weft_sleep(uint64_t ns)
{
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    struct sleeper s = {.w.unhook = sleeper_unhook, .loop = t->loop};
    weft__timer_init(&s.timer, sleeper_fire, &s);
    /* Relative to the real time of the call (see weft_loop_call_later). */
    uint64_t now = ns ? weft_loop_update_time(t->loop) : t->loop->now;
    uint64_t when = now + ns;
    weft__timer_start(t->loop, &s.timer, when < now ? WEFT_NEVER : when);
    return weft__task_wait(&s.w);
}

int weft_yield(void)
{
    return weft_sleep(0);
}

/* -------------------------------------------------------------- deadlines */

static void deadline_rearm(weft_task *t)
{
    uint64_t next = WEFT_NEVER;
    for (int i = 0; i < t->nscopes; i++)
        if (!(t->expired_mask & (1u << i)) && t->deadline[i] < next)
            next = t->deadline[i];
    if (next == WEFT_NEVER)
        weft__timer_stop(t->loop, &t->deadline_timer);
    else if (!weft__timer_armed(&t->deadline_timer) || t->deadline_timer.when != next)
        weft__timer_start(t->loop, &t->deadline_timer, next);
}

static void deadline_fire(void *arg)
{
    weft_task *t = arg;
    mark_expired(t);
    deadline_rearm(t);
    if (t->expired_mask && t->state == TASK_SUSPENDED)
        interrupt(t, t->cancel_requested ? -ECANCELED : -ETIMEDOUT);
}

int weft_timeout_push_at(uint64_t when_ns)
{
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    if (t->nscopes == MAX_SCOPES)
        return -E2BIG;
    int scope = t->nscopes++;
    t->deadline[scope] = when_ns;
    t->expired_mask &= ~(1u << scope);
    deadline_rearm(t);
    return scope;
}

int weft_timeout_push(uint64_t timeout_ns)
{
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    uint64_t now = weft_loop_update_time(t->loop);
    uint64_t when = now + timeout_ns;
    return weft_timeout_push_at(when < now ? WEFT_NEVER : when);
}

bool weft_timeout_pop(int scope)
{
    weft_task *t = weft__current_task;
    if (!t || scope < 0 || scope >= t->nscopes)
        return false;
    /* A deadline that passed while we were busy counts as expired too. */
    mark_expired(t);
    bool expired = (t->expired_mask >> scope) & 1u;
    /* Popping an outer scope closes the inner ones left open as well. */
    while (t->nscopes > scope) {
        t->nscopes--;
        t->expired_mask &= ~(1u << t->nscopes);
    }
    deadline_rearm(t);
    return expired;
}

/* ------------------------------------------------------------ weft_run */

int weft_run(weft_task_fn main_fn, void *arg)
{
    weft_loop *loop;
    int err = weft_loop_new(&loop);
    if (err)
        return err;
    weft_task *t;
    err = weft_task_spawn(loop, main_fn, arg, &t);
    if (err) {
        weft_loop_close(loop);
        return err;
    }
    int result = weft_loop_run_until_complete(loop, t);

    /* Like asyncio.run: cancel what main left behind and let it unwind. */
    for (weft_task *x = loop->tasks_head; x; x = x->next_live)
        weft_task_cancel(x);
    while (loop->tasks_alive || loop->nready || loop->jobs_pending) {
        if (!loop->nready && !loop->timers.len && !loop->nio_active && !loop->jobs_pending &&
            !loop->refs)
            break; /* what is left waits on nothing that can happen */
        if (weft_loop_run_once(loop, WEFT_NEVER) < 0)
            break;
    }
    err = weft_loop_close(loop);
    if (err == -EBUSY) {
        fprintf(stderr, "weft_run: %zu task(s) and %zu fd watcher(s) still alive after main "
                        "returned; the loop is leaked\n",
                loop->tasks_alive, loop->nio_open);
    }
    weft__stack_pool_drain();
    return result;
}
