/* Semaphores (asyncio.Semaphore / Lock): the bound holds, FIFO order, no
 * barging, cancellation and deadlines take no permit, free wakes waiters.
 * On a virtual clock: the sleeps below take no real time. */
#include <errno.h>

#include "weft.h"
#include "weft_test.h"

struct shared {
    weft_semaphore *s;
    int inside, max_inside;
    int order[16];
    int norder;
};

struct worker {
    struct shared *sh;
    int id;
};

static int worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    int rc = weft_semaphore_acquire(sh->s);
    if (rc)
        return rc;
    sh->order[sh->norder++] = w->id;
    if (++sh->inside > sh->max_inside)
        sh->max_inside = sh->inside;
    rc = weft_sleep(WEFT_MSEC(10) * (unsigned)(1 + w->id % 3)); /* hold it across a suspension */
    sh->inside--;
    weft_semaphore_release(sh->s);
    return rc;
}

static int bound_main(void *arg)
{
    struct shared sh = {0};
    assert_int_equal(weft_semaphore_new(2, &sh.s), 0);
    assert_int_equal(weft_semaphore_value(sh.s), 2);
    struct worker w[8];
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){&sh, i};
        assert_true(weft_group_spawn(g, worker_main, &w[i]) >= 0);
    }
    assert_int_equal(weft_group_wait(g), 0);
    weft_group_free(g);
    assert_int_equal(sh.max_inside, 2);
    assert_int_equal(sh.norder, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(sh.order[i], i); /* first come, first served */
    assert_int_equal(weft_semaphore_value(sh.s), 2);
    weft_semaphore_free(sh.s);
    return 0;
}

static int acquire_task(void *arg)
{
    return weft_semaphore_acquire(arg);
}

static int interrupts_main(void *arg)
{
    weft_semaphore *s;
    assert_int_equal(weft_semaphore_new(1, &s), 0); /* a lock */
    assert_false(weft_semaphore_locked(s));
    assert_true(weft_semaphore_try_acquire(s));
    assert_true(weft_semaphore_locked(s));
    assert_false(weft_semaphore_try_acquire(s));

    /* A deadline: -ETIMEDOUT, no permit taken, not left in the queue. */
    int scope = weft_timeout_push(WEFT_SEC(30));
    assert_int_equal(weft_semaphore_acquire(s), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));

    /* Cancelled while waiting: the permit goes to the next waiter. */
    weft_task *a, *b;
    assert_int_equal(weft_task_spawn(NULL, acquire_task, s, &a), 0);
    assert_int_equal(weft_task_spawn(NULL, acquire_task, s, &b), 0);
    assert_int_equal(weft_yield(), 0);
    weft_task_cancel(a);
    assert_int_equal(weft_task_join(a), -ECANCELED);
    weft_semaphore_release(s); /* to b, directly */
    assert_int_equal(weft_semaphore_value(s), 0);
    assert_int_equal(weft_task_join(b), 0);

    /* No barging: with a waiter queued, a released permit is not up for
     * grabs by try_acquire. */
    assert_int_equal(weft_task_spawn(NULL, acquire_task, s, &a), 0);
    assert_int_equal(weft_yield(), 0);
    weft_semaphore_release(s);
    assert_false(weft_semaphore_try_acquire(s));
    assert_int_equal(weft_task_join(a), 0);
    weft_semaphore_release(s);
    assert_int_equal(weft_semaphore_value(s), 1);

    /* A cancelled task cannot even take a free permit (sticky cancel). */
    assert_true(weft_semaphore_try_acquire(s));
    weft_semaphore_release(s);
    weft_task_cancel(weft_task_current());
    assert_int_equal(weft_semaphore_acquire(s), -ECANCELED);
    assert_int_equal(weft_semaphore_value(s), 1);
    weft_semaphore_free(s);
    return 0;
}

static int free_main(void *arg)
{
    weft_semaphore *s;
    assert_int_equal(weft_semaphore_new(0, &s), 0);
    weft_task *a;
    assert_int_equal(weft_task_spawn(NULL, acquire_task, s, &a), 0);
    assert_int_equal(weft_yield(), 0);
    weft_semaphore_free(s);
    assert_int_equal(weft_task_join(a), WEFT_ECLOSED);
    return 0;
}

static void run_virtual(weft_task_fn fn, int want)
{
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    assert_int_equal(weft_loop_use_virtual_clock(loop), 0);
    weft_task *t;
    assert_int_equal(weft_task_spawn(loop, fn, NULL, &t), 0);
    assert_int_equal(weft_loop_run_until_complete(loop, t), want);
    assert_int_equal(weft_loop_close(loop), 0);
}

static void bound_and_fifo(void **state)
{
    run_virtual(bound_main, 0);
}

static void deadline_cancel_no_barging(void **state)
{
    /* main cancels itself at the end: its result is whatever it returns */
    run_virtual(interrupts_main, 0);
}

static void free_wakes_waiters(void **state)
{
    run_virtual(free_main, 0);
    weft_semaphore *s;
    assert_int_equal(weft_semaphore_new(1, &s), 0);
    assert_int_equal(weft_semaphore_acquire(s), -EPERM); /* outside a task */
    weft_semaphore_free(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(bound_and_fifo),
    cmocka_unit_test(deadline_cancel_no_barging),
    cmocka_unit_test(free_wakes_waiters),
};

WEFT_TEST_MAIN(tests)
