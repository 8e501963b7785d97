/* The executor through its callback API: every completion is delivered
 * exactly once (cancelled jobs with -ECANCELED, and their function never
 * runs), a loop with jobs in flight refuses to close and then closes once
 * they are delivered, weft_run waits for jobs its main left behind, and the
 * default pool has one thread per online CPU. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "weft.h"
#include "weft_test.h"

#define NJOBS 400

struct job_log {
    atomic_int ran[NJOBS];       /* the job function ran (pool thread) */
    int done[NJOBS];             /* done callbacks (loop thread) */
    int result[NJOBS];
    int ndone;
};

struct job_arg {
    struct job_log *log;
    int i;
};

static int job_fn(void *arg)
{
    struct job_arg *a = arg;
    atomic_fetch_add(&a->log->ran[a->i], 1);
    if (a->i % 7 == 0)
        usleep(500); /* some jobs block for a while, as real ones do */
    return a->i;
}

static void job_done(int result, void *ud)
{
    struct job_arg *a = ud;
    a->log->done[a->i]++;
    a->log->result[a->i] = result;
    a->log->ndone++;
}

static void every_completion_is_delivered_once(void **state)
{
    int fds0 = weft_test_count_fds();
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    assert_int_equal(weft_executor_set_threads(loop, 3), 0);
    struct job_log *log = calloc(1, sizeof *log);
    struct job_arg args[NJOBS];
    weft_job *jobs[NJOBS];
    bool cancelled[NJOBS] = {false};
    for (int i = 0; i < NJOBS; i++) {
        args[i] = (struct job_arg){log, i};
        assert_int_equal(weft_executor_submit(loop, job_fn, &args[i], job_done, &args[i], &jobs[i]), 0);
    }
    /* The pool is fixed once jobs were submitted. */
    assert_int_equal(weft_executor_set_threads(loop, 8), -EBUSY);
    /* Cancel every fourth: those not started yet never run. */
    for (int i = 0; i < NJOBS; i += 4) {
        int r = weft_job_cancel(jobs[i]);
        assert_true(r == 0 || r == -EBUSY || r == -EALREADY);
        cancelled[i] = r == 0;
    }
    /* Nothing is delivered inside these calls, and the loop cannot close
     * while completions are owed. */
    assert_int_equal(log->ndone, 0);
    assert_int_equal(weft_loop_close(loop), -EBUSY);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(log->ndone, NJOBS);
    int ncancelled = 0;
    for (int i = 0; i < NJOBS; i++) {
        assert_int_equal(log->done[i], 1);
        if (cancelled[i]) {
            ncancelled++;
            assert_int_equal(log->result[i], -ECANCELED);
            assert_int_equal(atomic_load(&log->ran[i]), 0);
        } else {
            assert_int_equal(log->result[i], i);
            assert_int_equal(atomic_load(&log->ran[i]), 1);
        }
    }
    /* With 3 threads and 400 jobs queued at once, most cancels came first. */
    assert_true(ncancelled > 0);
    assert_int_equal(weft_loop_close(loop), 0); /* joins the pool threads */
    free(log);
    assert_int_equal(weft_test_count_fds(), fds0);
}

/* weft_run's main submits callback jobs and returns at once: weft_run still
 * runs every done callback before it closes the loop. */
static struct job_log *left_log;
static struct job_arg left_args[64];

static int leave_jobs(void *arg)
{
    for (int i = 0; i < 64; i++) {
        left_args[i] = (struct job_arg){left_log, i};
        assert_int_equal(weft_executor_submit(weft_loop_current(), job_fn,
                                              &left_args[i], job_done, &left_args[i], NULL), 0);
    }
    return 5;
}

static void run_waits_for_jobs_main_left(void **state)
{
    left_log = calloc(1, sizeof *left_log);
    assert_int_equal(weft_run(leave_jobs, NULL), 5);
    assert_int_equal(left_log->ndone, 64);
    for (int i = 0; i < 64; i++) {
        assert_int_equal(left_log->done[i], 1);
        assert_int_equal(left_log->result[i], i);
    }
    free(left_log);
}

/* The default pool size is the number of online CPUs: that many jobs run at
 * the same time (each waits until all have arrived), and one more waits for
 * a free thread. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int arrived, want;
    bool open;
    atomic_int extra_started;
};

static struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, false, 0};

static int gate_job(void *arg)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&gate.lock);
    gate.arrived++;
    pthread_cond_broadcast(&gate.cond);
    int r = 0;
    while (!gate.open && r == 0)
        r = pthread_cond_timedwait(&gate.cond, &gate.lock, &until);
    pthread_mutex_unlock(&gate.lock);
    return r == 0 ? 0 : -ETIMEDOUT;
}

static int extra_job(void *arg)
{
    atomic_store(&gate.extra_started, 1);
    return 0;
}

static void count_result(int result, void *ud)
{
    int *bad = ud;
    if (result != 0)
        (*bad)++;
}

static void default_pool_is_one_thread_per_cpu(void **state)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    assert_true(ncpu >= 1);
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    gate.want = (int)ncpu;
    int bad = 0;
    for (long i = 0; i < ncpu; i++)
        assert_int_equal(weft_executor_submit(loop, gate_job, NULL, count_result, &bad, NULL), 0);
    assert_int_equal(weft_executor_submit(loop, extra_job, NULL, count_result, &bad, NULL), 0);
    /* All ncpu jobs reach the gate together: the pool has ncpu threads. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&gate.lock);
    int r = 0;
    while (gate.arrived < gate.want && r == 0)
        r = pthread_cond_timedwait(&gate.cond, &gate.lock, &until);
    assert_int_equal(r, 0);
    /* Every thread is held at the gate, so the extra job cannot have
     * started (a bigger pool would have run it by now, FIFO after them). */
    assert_int_equal(atomic_load(&gate.extra_started), 0);
    gate.open = true;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(bad, 0);
    assert_int_equal(atomic_load(&gate.extra_started), 1);
    assert_int_equal(weft_loop_close(loop), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_completion_is_delivered_once),
    cmocka_unit_test(run_waits_for_jobs_main_left),
    cmocka_unit_test(default_pool_is_one_thread_per_cpu),
};

WEFT_TEST_MAIN(tests)
