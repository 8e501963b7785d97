/*
 * weft/coro.h - tasks on stackful coroutines, futures, sleep, cancellation,
 * deadlines and task groups (async/await, asyncio.Task, TaskGroup, timeout).
 *
 * A task is a function running on its own stack. When it calls a function
 * marked @suspends (weft_sleep, weft_stream_read, ...) the task parks and the
 * loop runs other work until what it waits for is ready, so code reads in
 * straight lines, as in the Python examples. @suspends functions return
 * -EPERM when called outside a task.
 *
 * Every @suspends call can fail with:
 *   -ECANCELED  the task was cancelled (weft_task_cancel). Cancellation is
 *               sticky: once cancelled, every later @suspends call of the task
 *               fails at once too, so a task that ignores one -ECANCELED
 *               still unwinds promptly.
 *   -ETIMEDOUT  a deadline of the task (weft_timeout_push) has passed. Sticky
 *               until that deadline scope is popped.
 */
#ifndef WEFT_CORO_H
#define WEFT_CORO_H

#include "weft/common.h"
#include "weft/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_task weft_task;
typedef struct weft_future weft_future;
typedef struct weft_group weft_group;

/* A task's body: its int result is what joiners get (>= 0 or -errno). */
typedef int (*weft_task_fn)(void *arg);

/* ------------------------------------------------------------ asyncio.run */

/* Make a fresh loop, run main(arg) as a task until it returns, cancel and
 * finish whatever tasks it left, close the loop and return main's result.
 * SIGINT/SIGTERM are not touched: add handlers inside main if wanted. */
int weft_run(weft_task_fn main, void *arg);

/* --------------------------------------------------------------- stacks */

/* Stack size for tasks spawned after this call (default 256 KiB, rounded up
 * to pages; at least 16 KiB). Stacks are mmap'd with a guard page below them
 * (an overflow faults, it never corrupts) and committed lazily by the kernel:
 * an idle task costs the pages it touched. Freed stacks are pooled per thread. */
int weft_coro_set_stack_size(size_t bytes);
size_t weft_coro_stack_size(void);

/* ----------------------------------------------------------------- tasks */

/* Spawn fn(arg) as a task on loop (NULL: the current thread's loop). It
 * starts on a later loop iteration, never inside this call. With out != NULL
 * the caller holds a reference and must weft_task_join() or
 * weft_task_release() it; with out == NULL the task is detached. */
int weft_task_spawn(weft_loop *loop, weft_task_fn fn, void *arg, weft_task **out);

/* @suspends. Wait for the task to end and return its result; drops the
 * caller's reference. If the joining task is cancelled or times out, the
 * awaited task keeps running, the reference is kept (join it again or
 * release it) and the error is returned. */
int weft_task_join(weft_task *task);

/* Drop the caller's reference without waiting (the task runs on). */
void weft_task_release(weft_task *task);

/* Ask the task to stop: if it has not started it never runs and its result is
 * -ECANCELED; if it is suspended, the pending call returns -ECANCELED; if it
 * is the running task, its next @suspends call does. Returns 0, or -EALREADY
 * when it has already ended. */
int weft_task_cancel(weft_task *task);

bool weft_task_done(const weft_task *task);
/* The result of an ended task (undefined before weft_task_done()). */
int weft_task_result(const weft_task *task);
bool weft_task_cancelled(const weft_task *task);

/* cb(task, ud) runs on the loop once the task has ended (at once, queued, if
 * it already has). */
typedef void (*weft_task_done_cb)(weft_task *task, void *ud);
int weft_task_add_done_cb(weft_task *task, weft_task_done_cb cb, void *ud);

/* The running task, or NULL outside a task. */
weft_task *weft_task_current(void);

/* Run the loop until task ends and return its result (asyncio's
 * run_until_complete). For code outside any task; drops the reference. */
int weft_loop_run_until_complete(weft_loop *loop, weft_task *task);

/* @suspends. Sleep for ns nanoseconds (asyncio.sleep). 0 yields to the loop. */
int weft_sleep(uint64_t ns);
/* @suspends. Let the loop run everything else that is ready, then continue. */
int weft_yield(void);

/* @suspends. asyncio.wait_for: join task, but give up after timeout_ns, then
 * cancel it, wait for it to end and return -ETIMEDOUT. */
int weft_wait_for(weft_task *task, uint64_t timeout_ns);

/* --------------------------------------------------------------- deadlines */

/* asyncio.timeout() as a scope inside the current task:
 *
 *     int scope = weft_timeout_push(WEFT_SEC(2));
 *     rc = weft_stream_read(s, buf, sizeof buf);   // -ETIMEDOUT after 2 s
 *     bool expired = weft_timeout_pop(scope);
 *
 * push returns a scope handle (>= 0) or -EPERM outside a task, -E2BIG past 16
 * nested scopes. While an expired scope is open, every @suspends call returns
 * -ETIMEDOUT. Scopes must be popped in reverse order; pop returns whether it
 * expired. weft_timeout_push_at() takes an absolute loop time. */
int weft_timeout_push(uint64_t timeout_ns);
int weft_timeout_push_at(uint64_t when_ns);
bool weft_timeout_pop(int scope);

/* ----------------------------------------------------------------- futures */

/* A one-shot result (an int and an optional pointer) set by callback code and
 * awaited by tasks. Reference counted: new gives one reference. */
int weft_future_new(weft_loop *loop, weft_future **out);
void weft_future_ref(weft_future *f);
void weft_future_unref(weft_future *f);
/* Complete it. Returns -EALREADY if it was already done. Waiters resume on a
 * later iteration. */
int weft_future_set_result(weft_future *f, int result, void *value);
/* Complete it with -ECANCELED. */
int weft_future_cancel(weft_future *f);
bool weft_future_done(const weft_future *f);
/* The result of a done future; *value (if value != NULL) gets its pointer. */
int weft_future_result(const weft_future *f, void **value);
/* @suspends. Wait until done and return its result (any number of tasks may
 * wait). Cancelling the waiting task does not cancel the future. */
int weft_future_await(weft_future *f, void **value);
typedef void (*weft_future_done_cb)(weft_future *f, void *ud);
int weft_future_add_done_cb(weft_future *f, weft_future_done_cb cb, void *ud);

/* @suspends. Run fn(arg) on the loop's executor and return its result
 * (loop.run_in_executor). If the task is cancelled before the job starts the
 * job never runs; once it runs it cannot be abandoned (arg may live on this
 * task's stack), so the call waits for it and then returns -ECANCELED. */
int weft_run_in_executor(weft_job_fn fn, void *arg);

/* ------------------------------------------------------------- semaphores */

/* asyncio.Semaphore: value permits shared by the tasks of one loop; a
 * semaphore of 1 is asyncio.Lock. Code between two @suspends calls never
 * interleaves with other tasks, so a semaphore is needed only to hold
 * something across suspensions: "at most 3 connections in use".
 *
 *     weft_semaphore_acquire(slots);     // waits while none is free
 *     ... use the resource, suspending as needed ...
 *     weft_semaphore_release(slots);
 *
 * Waiters are served in FIFO order; a release hands its permit straight to
 * the first of them. Not for use across threads. */
typedef struct weft_semaphore weft_semaphore;
int weft_semaphore_new(unsigned value, weft_semaphore **out);
/* @suspends. Take a permit: 0, -ECANCELED / -ETIMEDOUT (no permit taken), or
 * WEFT_ECLOSED if the semaphore is freed while waiting. */
int weft_semaphore_acquire(weft_semaphore *s);
/* Take a permit if one is free and nobody waits; never suspends. */
bool weft_semaphore_try_acquire(weft_semaphore *s);
/* Give a permit back (to the first waiter, if any). Usable outside tasks. */
void weft_semaphore_release(weft_semaphore *s);
unsigned weft_semaphore_value(const weft_semaphore *s);
/* No permit is free (asyncio's locked()). */
bool weft_semaphore_locked(const weft_semaphore *s);
/* Free it; tasks still waiting get WEFT_ECLOSED. */
void weft_semaphore_free(weft_semaphore *s);

/* ------------------------------------------------------------ task groups */

/* Structured concurrency (asyncio.TaskGroup, gather): children spawned into a
 * group are waited for together; the first child that fails (returns < 0)
 * cancels the others, and weft_group_wait() reports that first failure. */
int weft_group_new(weft_group **out);
/* Spawn a child on the current loop; returns its index (0, 1, ...) or -errno. */
int weft_group_spawn(weft_group *g, weft_task_fn fn, void *arg);
/* @suspends. Wait for every child. Returns 0 if all succeeded, else the first
 * failure. If the waiting task itself is cancelled or times out, the children
 * are cancelled, still waited for, and that error is returned. */
int weft_group_wait(weft_group *g);
/* A child's result, after weft_group_wait(). */
int weft_group_result(const weft_group *g, int index);
int weft_group_size(const weft_group *g);
/* Free the group. Children still running (no wait happened) are cancelled and
 * left to end on their own. */
void weft_group_free(weft_group *g);

#ifdef __cplusplus
}
#endif
#endif
