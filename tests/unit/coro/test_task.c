/* Tasks: spawn/join, sleep, cancel in every state, deadlines, futures, executor. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft.h"
#include "weft_test.h"

static int return_arg(void *arg)
{
    return (int)(intptr_t)arg;
}

static int join_children(void *arg)
{
    weft_task *t[10];
    for (int i = 0; i < 10; i++)
        assert_int_equal(weft_task_spawn(NULL, return_arg, (void *)(intptr_t)(i * 7), &t[i]), 0);
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += weft_task_join(t[i]);
    return sum;
}

static void run_returns_main_result(void **state)
{
    assert_int_equal(weft_run(join_children, NULL), 7 * 45);
    assert_int_equal(weft_run(return_arg, (void *)(intptr_t)-EIO), -EIO);
}

static void suspending_outside_task_is_eperm(void **state)
{
    assert_int_equal(weft_sleep(1), -EPERM);
    assert_int_equal(weft_timeout_push(1), -EPERM);
    assert_null(weft_task_current());
}

/* ---------------------------------------------------------------- sleep */

static int sleeper(void *arg)
{
    uint64_t t0 = weft_test_now_ns();
    int r = weft_sleep(WEFT_MSEC(20));
    uint64_t dt = weft_test_now_ns() - t0;
    assert_int_equal(r, 0);
    assert_true(dt >= WEFT_MSEC(20)); /* never early */
    return 1;
}

static int sleep_many(void *arg)
{
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    uint64_t t0 = weft_test_now_ns();
    for (int i = 0; i < 50; i++)
        assert_true(weft_group_spawn(g, sleeper, NULL) >= 0);
    assert_int_equal(weft_group_wait(g), 0);
    /* Concurrent, not sequential: 50 sleeps of 20 ms take far less than 1 s. */
    assert_true(weft_test_now_ns() - t0 < WEFT_MSEC(900));
    for (int i = 0; i < 50; i++)
        assert_int_equal(weft_group_result(g, i), 1);
    weft_group_free(g);
    return 0;
}

static void sleep_is_concurrent_and_never_early(void **state)
{
    assert_int_equal(weft_run(sleep_many, NULL), 0);
}

/* ---------------------------------------------------------------- cancel */

static int long_sleep(void *arg)
{
    int *reached = arg;
    int r = weft_sleep(WEFT_SEC(3600));
    if (reached)
        (*reached)++;
    /* Cancellation is sticky: the next wait fails too. */
    if (r == -ECANCELED)
        assert_int_equal(weft_sleep(1), -ECANCELED);
    return r;
}

static int cancel_suspended(void *arg)
{
    weft_task *t;
    int reached = 0;
    assert_int_equal(weft_task_spawn(NULL, long_sleep, &reached, &t), 0);
    assert_int_equal(weft_yield(), 0); /* let it start and park in sleep */
    assert_false(weft_task_done(t));
    assert_int_equal(weft_task_cancel(t), 0);
    assert_int_equal(weft_task_join(t), -ECANCELED);
    assert_int_equal(reached, 1);
    return 0;
}

static int must_not_run(void *arg)
{
    (*(int *)arg)++;
    return 0;
}

static int cancel_before_start(void *arg)
{
    weft_task *t;
    int ran = 0;
    assert_int_equal(weft_task_spawn(NULL, must_not_run, &ran, &t), 0);
    assert_int_equal(weft_task_cancel(t), 0);
    assert_true(weft_task_cancelled(t));
    assert_int_equal(weft_task_join(t), -ECANCELED);
    assert_int_equal(ran, 0);
    return 0;
}

static int cancel_self_body(void *arg)
{
    assert_int_equal(weft_task_cancel(weft_task_current()), 0);
    /* Running: the call itself does not stop us, the next await fails. */
    return weft_sleep(WEFT_MSEC(1));
}

static int cancel_running(void *arg)
{
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, cancel_self_body, NULL, &t), 0);
    assert_int_equal(weft_task_join(t), -ECANCELED);
    return 0;
}

static int cancel_done(void *arg)
{
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, return_arg, (void *)5, &t), 0);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(weft_yield(), 0);
    assert_true(weft_task_done(t));
    assert_int_equal(weft_task_cancel(t), -EALREADY);
    assert_int_equal(weft_task_join(t), 5);
    return 0;
}

static int cancel_joiner_body(void *arg)
{
    weft_task *target = arg;
    return weft_task_join(target);
}

static int cancel_while_joining(void *arg)
{
    weft_task *target, *joiner;
    assert_int_equal(weft_task_spawn(NULL, long_sleep, NULL, &target), 0);
    assert_int_equal(weft_task_spawn(NULL, cancel_joiner_body, target, &joiner), 0);
    assert_int_equal(weft_yield(), 0);
    weft_task_cancel(joiner);
    assert_int_equal(weft_task_join(joiner), -ECANCELED);
    /* The target was not affected by its joiner's cancellation. */
    assert_false(weft_task_done(target));
    weft_task_cancel(target);
    assert_int_equal(weft_task_join(target), -ECANCELED);
    return 0;
}

static void cancel_in_every_state(void **state)
{
    assert_int_equal(weft_run(cancel_suspended, NULL), 0);
    assert_int_equal(weft_run(cancel_before_start, NULL), 0);
    assert_int_equal(weft_run(cancel_running, NULL), 0);
    assert_int_equal(weft_run(cancel_done, NULL), 0);
    assert_int_equal(weft_run(cancel_while_joining, NULL), 0);
}

/* run() cancels what main leaves behind. */
static int leave_sleepers(void *arg)
{
    for (int i = 0; i < 5; i++)
        assert_int_equal(weft_task_spawn(NULL, long_sleep, arg, NULL), 0);
    assert_int_equal(weft_yield(), 0);
    return 42;
}

static void run_cancels_leftover_tasks(void **state)
{
    int reached = 0;
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_run(leave_sleepers, &reached), 42);
    assert_int_equal(reached, 5);
    assert_true(weft_test_now_ns() - t0 < WEFT_SEC(10));
}

/* ---------------------------------------------------------------- deadlines */

static int deadline_body(void *arg)
{
    uint64_t t0 = weft_test_now_ns();
    int scope = weft_timeout_push(WEFT_MSEC(30));
    assert_true(scope >= 0);
    int r = weft_sleep(WEFT_SEC(10));
    assert_int_equal(r, -ETIMEDOUT);
    /* Sticky inside the expired scope. */
    assert_int_equal(weft_sleep(0), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    uint64_t dt = weft_test_now_ns() - t0;
    assert_true(dt >= WEFT_MSEC(30) && dt < WEFT_SEC(5));
    /* After the scope, waits work again. */
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);

    /* A scope that does not expire. */
    scope = weft_timeout_push(WEFT_SEC(10));
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_false(weft_timeout_pop(scope));

    /* Nested: the inner, shorter one fires; the outer stays good. */
    int outer = weft_timeout_push(WEFT_SEC(10));
    int inner = weft_timeout_push(WEFT_MSEC(5));
    assert_int_equal(weft_sleep(WEFT_SEC(1)), -ETIMEDOUT);
    assert_true(weft_timeout_pop(inner));
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_false(weft_timeout_pop(outer));

    /* The outer, shorter one fires while the inner is open. */
    outer = weft_timeout_push(WEFT_MSEC(5));
    inner = weft_timeout_push(WEFT_SEC(10));
    assert_int_equal(weft_sleep(WEFT_SEC(1)), -ETIMEDOUT);
    assert_false(weft_timeout_pop(inner));
    assert_true(weft_timeout_pop(outer));
    return 0;
}

static void deadlines(void **state)
{
    assert_int_equal(weft_run(deadline_body, NULL), 0);
}

static int slow_child(void *arg)
{
    return weft_sleep(WEFT_SEC(3600)) == 0 ? 1 : -ECANCELED;
}

static int wait_for_body(void *arg)
{
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, slow_child, NULL, &t), 0);
    assert_int_equal(weft_wait_for(t, WEFT_MSEC(10)), -ETIMEDOUT);
    assert_int_equal(weft_task_spawn(NULL, return_arg, (void *)9, &t), 0);
    assert_int_equal(weft_wait_for(t, WEFT_SEC(10)), 9);
    return 0;
}

static void wait_for_times_out_and_cancels(void **state)
{
    assert_int_equal(weft_run(wait_for_body, NULL), 0);
}

/* Virtual clock: an hour-long deadline costs no real time. */
static int virtual_body(void *arg)
{
    weft_loop *loop = weft_loop_current();
    uint64_t v0 = weft_loop_now(loop);
    int scope = weft_timeout_push(WEFT_SEC(3600));
    assert_int_equal(weft_sleep(WEFT_SEC(7200)), -ETIMEDOUT);
    assert_true(weft_timeout_pop(scope));
    assert_int_equal(weft_loop_now(loop) - v0, WEFT_SEC(3600));
    return 0;
}

static void deadline_on_virtual_clock(void **state)
{
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    assert_int_equal(weft_loop_use_virtual_clock(loop), 0);
    weft_task *t;
    assert_int_equal(weft_task_spawn(loop, virtual_body, NULL, &t), 0);
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_loop_run_until_complete(loop, t), 0);
    assert_true(weft_test_now_ns() - t0 < WEFT_SEC(5));
    assert_int_equal(weft_loop_close(loop), 0);
}

/* ---------------------------------------------------------------- futures */

struct fut_ctx {
    weft_future *f;
    int value;
};

static void complete_future(void *ud)
{
    struct fut_ctx *c = ud;
    weft_future_set_result(c->f, 17, &c->value);
}

static int future_waiter(void *arg)
{
    void *v = NULL;
    int r = weft_future_await(arg, &v);
    return r == 17 ? *(int *)v : r;
}

static int futures_body(void *arg)
{
    struct fut_ctx c = {.value = 99};
    assert_int_equal(weft_future_new(NULL, &c.f), 0);
    weft_task *a, *b;
    assert_int_equal(weft_task_spawn(NULL, future_waiter, c.f, &a), 0);
    assert_int_equal(weft_task_spawn(NULL, future_waiter, c.f, &b), 0);
    assert_int_equal(weft_loop_call_later(weft_loop_current(), WEFT_MSEC(5), complete_future, &c, NULL), 0);
    assert_int_equal(weft_task_join(a), 99);
    assert_int_equal(weft_task_join(b), 99);
    assert_true(weft_future_done(c.f));
    assert_int_equal(weft_future_set_result(c.f, 1, NULL), -EALREADY);
    weft_future_unref(c.f);

    /* Cancelling the waiter leaves the future pending. */
    weft_future *f;
    assert_int_equal(weft_future_new(NULL, &f), 0);
    weft_task *w;
    assert_int_equal(weft_task_spawn(NULL, future_waiter, f, &w), 0);
    assert_int_equal(weft_yield(), 0);
    weft_task_cancel(w);
    assert_int_equal(weft_task_join(w), -ECANCELED);
    assert_false(weft_future_done(f));
    weft_future_cancel(f);
    assert_int_equal(weft_future_result(f, NULL), -ECANCELED);
    weft_future_unref(f);
    return 0;
}

static void futures(void **state)
{
    assert_int_equal(weft_run(futures_body, NULL), 0);
}

/* ---------------------------------------------------------------- executor */

static int blocking_square(void *arg)
{
    int x = (int)(intptr_t)arg;
    return x * x;
}

static int exec_one(void *arg)
{
    return weft_run_in_executor(blocking_square, arg);
}

static int executor_many(void *arg)
{
    int n = WEFT_SCALED(10000);
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(weft_group_spawn(g, exec_one, (void *)(intptr_t)(i % 1000)), i);
    assert_int_equal(weft_group_wait(g), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(weft_group_result(g, i), (i % 1000) * (i % 1000));
    weft_group_free(g);
    return 0;
}

static void ten_thousand_executor_jobs(void **state)
{
    assert_int_equal(weft_run(executor_many, NULL), 0);
}

static atomic_int job_started;

static int slow_job(void *arg)
{
    atomic_fetch_add(&job_started, 1);
    usleep(20000); /* a blocking call, the reason executors exist */
    (*(int *)arg)++;
    return 7;
}

static int run_slow(void *arg)
{
    return weft_run_in_executor(slow_job, arg);
}

static int exec_cancel_queued(void *arg)
{
    weft_loop *loop = weft_loop_current();
    assert_int_equal(weft_executor_set_threads(loop, 1), 0);
    int ran = 0;
    weft_task *a, *b;
    assert_int_equal(weft_task_spawn(NULL, run_slow, &ran, &a), 0);
    assert_int_equal(weft_task_spawn(NULL, run_slow, &ran, &b), 0);
    assert_int_equal(weft_yield(), 0); /* both submitted; a runs, b queued */
    weft_task_cancel(b);
    assert_int_equal(weft_task_join(b), -ECANCELED);
    assert_int_equal(weft_task_join(a), 7);
    assert_int_equal(ran, 1); /* b's job never ran */

    /* Cancelling a task whose job runs waits for the job, then reports it. */
    atomic_store(&job_started, 0);
    assert_int_equal(weft_task_spawn(NULL, run_slow, &ran, &a), 0);
    for (int i = 0; i < 5000 && !atomic_load(&job_started); i++)
        assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_int_equal(atomic_load(&job_started), 1);
    weft_task_cancel(a);
    assert_int_equal(weft_task_join(a), -ECANCELED);
    assert_int_equal(ran, 2);
    return 0;
}

static void executor_cancel(void **state)
{
    assert_int_equal(weft_run(exec_cancel_queued, NULL), 0);
}

static void done_cb(weft_task *t, void *ud)
{
    int *seen = ud;
    *seen = weft_task_result(t) + 1000;
}

static int done_cb_body(void *arg)
{
    int seen1 = 0, seen2 = 0;
    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, return_arg, (void *)5, &t), 0);
    assert_int_equal(weft_task_add_done_cb(t, done_cb, &seen1), 0);
    assert_int_equal(seen1, 0);
    assert_int_equal(weft_task_join(t), 5);
    assert_int_equal(seen1, 1005);
    /* Added after the end: queued, not run inside the call. */
    assert_int_equal(weft_task_spawn(NULL, return_arg, (void *)6, &t), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    assert_true(weft_task_done(t));
    assert_int_equal(weft_task_add_done_cb(t, done_cb, &seen2), 0);
    assert_int_equal(seen2, 0);
    weft_task_release(t);
    assert_int_equal(weft_yield(), 0);
    assert_int_equal(seen2, 1006);
    return 0;
}

static void done_callbacks(void **state)
{
    assert_int_equal(weft_run(done_cb_body, NULL), 0);
}

/* ---------------------------------------------------------------- guard page */

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int depth)
{
    volatile char pad[1024];
    pad[0] = (char)depth;
    return recurse(depth + 1) + pad[0];
}

static int overflow_body(void *arg)
{
    return recurse(0);
}

static void stack_overflow_hits_guard_page(void **state)
{
    /* In a child: the overflow must kill it by SIGSEGV (or ASan's report),
     * never corrupt memory and carry on. */
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], 2);
        signal(SIGSEGV, SIG_DFL); /* cmocka catches SIGSEGV; we want weft's report */
        weft_coro_set_stack_size(64 * 1024);
        weft_run(overflow_body, NULL);
        _exit(0); /* reaching here means the overflow went unnoticed */
    }
    close(pipefd[1]);
    char buf[8192];
    size_t got = 0;
    ssize_t n;
    while ((n = read(pipefd[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = 0;
    close(pipefd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#ifdef WEFT_ASAN
    /* ASan's handler, when cmocka has not displaced it, reports the overflow;
     * otherwise the guard page's SIGSEGV kills the child. */
    assert_true(strstr(buf, "stack-overflow") ||
                (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV));
#else
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    assert_non_null(strstr(buf, "coroutine stack overflow"));
#endif
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(run_returns_main_result),
    cmocka_unit_test(suspending_outside_task_is_eperm),
    cmocka_unit_test(sleep_is_concurrent_and_never_early),
    cmocka_unit_test(cancel_in_every_state),
    cmocka_unit_test(run_cancels_leftover_tasks),
    cmocka_unit_test(deadlines),
    cmocka_unit_test(wait_for_times_out_and_cancels),
    cmocka_unit_test(deadline_on_virtual_clock),
    cmocka_unit_test(futures),
    cmocka_unit_test(ten_thousand_executor_jobs),
    cmocka_unit_test(executor_cancel),
    cmocka_unit_test(done_callbacks),
    cmocka_unit_test(stack_overflow_hits_guard_page),
};

WEFT_TEST_MAIN(tests)
