/*
 * executor.c - a per-loop thread pool for blocking work (run_in_executor).
 *
 * Jobs wait in a FIFO guarded by one mutex; workers start lazily, up to the
 * pool size, when jobs arrive. A finished job's node is posted back to the
 * loop through the cross-thread queue, where its done callback runs, so no
 * completion is ever lost: the loop cannot close while jobs are pending.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop/loop_int.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_FINISHED };

struct weft_job {
    struct weft__call node; /* completion, posted to the loop */
    weft_loop *loop;
    weft_job_fn fn;
    void *arg;
    weft_job_done_cb done;
    void *ud;
    int result;
    enum job_state state;   /* guarded by the executor lock */
    struct weft_job *prev, *next;
};

struct weft__executor {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct weft_job *head, *tail;
    int nthreads_max;
    int nthreads;
    int nidle;
    bool shutdown;
    pthread_t *threads;
};

static void job_complete(void *arg)
{
    struct weft_job *job = arg;
    weft_loop *loop = job->loop;
    loop->jobs_pending--;
    job->done(job->result, job->ud);
    free(job);
}

static void *worker_main(void *arg)
{
    weft_loop *loop = arg;
    struct weft__executor *ex = loop->executor;
    /* Signals belong to the loops' signalfds, never to pool threads. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    pthread_mutex_lock(&ex->lock);
    for (;;) {
        while (!ex->head && !ex->shutdown) {
            ex->nidle++;
            pthread_cond_wait(&ex->cond, &ex->lock);
            ex->nidle--;
        }
        if (!ex->head)
            break; /* shutdown with nothing queued */
        struct weft_job *job = ex->head;
        ex->head = job->next;
        if (ex->head)
            ex->head->prev = NULL;
        else
            ex->tail = NULL;
        job->state = JOB_RUNNING;
        pthread_mutex_unlock(&ex->lock);

        int result = job->fn(job->arg);

        pthread_mutex_lock(&ex->lock);
        job->result = result;
        job->state = JOB_FINISHED;
        weft__loop_post_threadsafe(loop, &job->node);
    }
    pthread_mutex_unlock(&ex->lock);
    return NULL;
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int executor_get(weft_loop *loop, struct weft__executor **out)
{
    if (!loop->executor) {
        struct weft__executor *ex = calloc(1, sizeof *ex);
        if (!ex)
            return -ENOMEM;
        pthread_mutex_init(&ex->lock, NULL);
        pthread_cond_init(&ex->cond, NULL);
        ex->nthreads_max = default_threads();
        loop->executor = ex;
    }
    *out = loop->executor;
    return 0;
}

int weft_executor_set_threads(weft_loop *loop, int nthreads)
{
    if (nthreads < 1 || nthreads > 1024)
        return -EINVAL;
    struct weft__executor *ex;
    int err = executor_get(loop, &ex);
    if (err)
        return err;
    if (ex->nthreads)
        return -EBUSY;
    ex->nthreads_max = nthreads;
    return 0;
}

int weft_executor_submit(weft_loop *loop, weft_job_fn fn, void *arg, weft_job_done_cb done,
                         void *ud, weft_job **out)
{
    if (!loop || !fn || !done)
        return -EINVAL;
    struct weft__executor *ex;
    int err = executor_get(loop, &ex);
    if (err)
        return err;
    struct weft_job *job = calloc(1, sizeof *job);
    if (!job)
        return -ENOMEM;
    job->node.cb = job_complete;
    job->node.ud = job;
    job->loop = loop;
    job->fn = fn;
    job->arg = arg;
    job->done = done;
    job->ud = ud;
    job->state = JOB_QUEUED;

    pthread_mutex_lock(&ex->lock);
    if (ex->nidle == 0 && ex->nthreads < ex->nthreads_max) {
        pthread_t *threads = realloc(ex->threads, (size_t)(ex->nthreads + 1) * sizeof *threads);
        if (threads)
            ex->threads = threads;
        if (!threads || pthread_create(&ex->threads[ex->nthreads], NULL, worker_main, loop) != 0) {
            if (ex->nthreads == 0) {
                pthread_mutex_unlock(&ex->lock);
                free(job);
                return -EAGAIN;
            }
            /* Fewer threads than wanted still run every job. */
        } else {
            ex->nthreads++;
        }
    }
    job->prev = ex->tail;
    if (ex->tail)
        ex->tail->next = job;
    else
        ex->head = job;
    ex->tail = job;
    pthread_cond_signal(&ex->cond);
    pthread_mutex_unlock(&ex->lock);

    loop->jobs_pending++;
    if (out)
        *out = job;
    return 0;
}

int weft_job_cancel(weft_job *job)
{
    weft_loop *loop = job->loop;
    struct weft__executor *ex = loop->executor;
    pthread_mutex_lock(&ex->lock);
    if (job->state != JOB_QUEUED) {
        int r = job->state == JOB_RUNNING ? -EBUSY : -EALREADY;
        pthread_mutex_unlock(&ex->lock);
        return r;
    }
    if (job->prev)
        job->prev->next = job->next;
    else
        ex->head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    else
        ex->tail = job->prev;
    job->state = JOB_FINISHED;
    job->result = -ECANCELED;
    pthread_mutex_unlock(&ex->lock);
    weft__loop_post(loop, &job->node);
    return 0;
}

void weft__executor_shutdown(weft_loop *loop)
{
    struct weft__executor *ex = loop->executor;
    if (!ex)
        return;
    pthread_mutex_lock(&ex->lock);
    ex->shutdown = true;
    pthread_cond_broadcast(&ex->cond);
    pthread_mutex_unlock(&ex->lock);
    for (int i = 0; i < ex->nthreads; i++)
        pthread_join(ex->threads[i], NULL);
    free(ex->threads);
    pthread_cond_destroy(&ex->cond);
    pthread_mutex_destroy(&ex->lock);
    free(ex);
    loop->executor = NULL;
}
