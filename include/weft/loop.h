/*
 * weft/loop.h - the event loop: fd watchers, timers, call_soon, signals,
 * cross-thread wake-ups and a thread-pool executor (asyncio's event loop).
 *
 * One loop per thread; every object belongs to the loop that made it and is
 * touched only from that loop's thread. The documented exceptions, callable
 * from any thread: weft_loop_call_soon_threadsafe(), weft_loop_stop() and
 * weft_executor_submit()'s job functions (which run on pool threads).
 *
 * Callbacks never run inside the call that registered them: the loop queues
 * them. A callback whose registration failed never runs; one that was
 * registered runs exactly once, unless it was cancelled first.
 */
#ifndef WEFT_LOOP_H
#define WEFT_LOOP_H

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_loop weft_loop;
typedef struct weft_timer weft_timer;
typedef struct weft_io weft_io;
typedef struct weft_job weft_job;

/* ------------------------------------------------------------------ the loop */

/* Make a loop. Returns 0 and stores it in *out, or -errno (-EMFILE, -ENOMEM). */
int weft_loop_new(weft_loop **out);

/* Close a loop. Returns -EBUSY and leaves the loop usable when anything is
 * still alive on it (open fd watchers, pending timers or callbacks, unfinished
 * tasks or executor jobs): close those first, as with uv_loop_close. On
 * success the executor threads are joined and the loop is freed. */
int weft_loop_close(weft_loop *loop);

/* Run until weft_loop_stop() is called or nothing is left that could make
 * progress (no watchers with interest, timers, callbacks, tasks or jobs).
 * Returns 0, or -EBUSY when called on a loop that is already running. */
int weft_loop_run(weft_loop *loop);

/* Run until weft_loop_stop(), even when idle: other threads may still
 * call weft_loop_call_soon_threadsafe(). (asyncio's run_forever.) */
int weft_loop_run_forever(weft_loop *loop);

/* One iteration: run what is ready, waiting at most timeout_ns for I/O or a
 * timer (0 = do not wait). Returns the number of callbacks run. */
int weft_loop_run_once(weft_loop *loop, uint64_t timeout_ns);

/* Ask the loop to return from run / run_forever after the current batch of
 * callbacks. Safe from any thread and from signal-handler callbacks. */
void weft_loop_stop(weft_loop *loop);

/* The loop running on this thread, or NULL (asyncio.get_running_loop). */
weft_loop *weft_loop_current(void);

/* The loop's monotonic clock in nanoseconds, read once per iteration. */
uint64_t weft_loop_now(const weft_loop *loop);

/* Re-read the clock now (for code that has been busy for a while). */
uint64_t weft_loop_update_time(weft_loop *loop);

/* Virtual time, for deterministic tests: the clock stands still until
 * weft_loop_advance() moves it, and when nothing else is ready the loop jumps
 * straight to its next timer instead of sleeping, so a test of a 30 s timeout
 * takes no real time. Set before anything is scheduled. */
int weft_loop_use_virtual_clock(weft_loop *loop);
/* Move virtual time forward by delta_ns, firing the timers that fall due. */
int weft_loop_advance(weft_loop *loop, uint64_t delta_ns);

/* ------------------------------------------------------------- callbacks */

/* Run cb(ud) on the next iteration, after those already queued (FIFO). */
int weft_loop_call_soon(weft_loop *loop, weft_cb cb, void *ud);

/* Same, from any thread; wakes the loop through an eventfd. */
int weft_loop_call_soon_threadsafe(weft_loop *loop, weft_cb cb, void *ud);

/* ------------------------------------------------------------------ timers */

/* Run cb(ud) once, delay_ns from now (call_later: measured from the real time
 * of the call, not the iteration's cached clock) or at the absolute loop time
 * when_ns (call_at). A timer never fires early; timers due at the same time
 * fire in the order they were set. *out (may be NULL) can cancel it until it
 * fires; after the callback has run the handle is gone. Insert and cancel are
 * O(log n). */
int weft_loop_call_later(weft_loop *loop, uint64_t delay_ns, weft_cb cb, void *ud,
                         weft_timer **out);
int weft_loop_call_at(weft_loop *loop, uint64_t when_ns, weft_cb cb, void *ud,
                      weft_timer **out);
/* Cancel a timer that has not fired yet; its callback will not run. */
void weft_timer_cancel(weft_timer *timer);

/* ------------------------------------------------------------ fd watchers */

enum {
    WEFT_READABLE = 1u << 0,
    WEFT_WRITABLE = 1u << 1,
    WEFT_HANGUP   = 1u << 2, /* reported, never requested: peer hung up or error */
};

typedef void (*weft_io_cb)(weft_io *io, unsigned events, void *ud);

/* Watch fd (which the caller keeps owning) for the events given to
 * weft_io_watch(). Returns 0 or -errno (-EEXIST if fd is already watched). */
int weft_io_open(weft_loop *loop, int fd, weft_io_cb cb, void *ud, weft_io **out);
/* Set the events of interest (0 pauses). Level-triggered. */
int weft_io_watch(weft_io *io, unsigned events);
/* Stop watching and free the watcher; the fd stays open. No callback runs
 * for this watcher after this call, even for events already collected. */
void weft_io_close(weft_io *io);
int weft_io_fd(const weft_io *io);

/* ----------------------------------------------------------------- signals */

/* Run cb(ud) on the loop each time signo arrives (through signalfd). The
 * signal is blocked in the calling thread; add handlers before starting other
 * threads so that they inherit the mask (weft's own threads block every
 * signal). One loop per signal. Returns -EEXIST if signo has a handler. */
int weft_loop_add_signal_handler(weft_loop *loop, int signo, weft_cb cb, void *ud);
int weft_loop_remove_signal_handler(weft_loop *loop, int signo);

/* ---------------------------------------------------------------- executor */

/* A blocking function run on a pool thread. Its int result (>= 0 or -errno)
 * is handed back to the loop. It must not touch loop objects. */
typedef int (*weft_job_fn)(void *arg);
typedef void (*weft_job_done_cb)(int result, void *ud);

/* Size of the loop's thread pool (default: number of online CPUs). Threads
 * start lazily, on the first job. Settable until the first job is submitted. */
int weft_executor_set_threads(weft_loop *loop, int nthreads);

/* Queue fn(arg) on the pool; done(result, ud) later runs on the loop, always,
 * exactly once (with -ECANCELED if the job was cancelled before it started).
 * *out (may be NULL) is valid until done has run. Jobs start in FIFO order. */
int weft_executor_submit(weft_loop *loop, weft_job_fn fn, void *arg,
                         weft_job_done_cb done, void *ud, weft_job **out);

/* Cancel a job that has not started: returns 0 and its done callback gets
 * -ECANCELED. A running job cannot be stopped: returns -EBUSY and done gets
 * fn's result when it ends. -EALREADY when it has finished. */
int weft_job_cancel(weft_job *job);

#ifdef __cplusplus
}
#endif
#endif
