/*
 * run.c - weft_web_run_app: serve an app on N loops in N threads (aiohttp's
 * web.run_app, nginx's worker processes as threads).
 *
 * Worker 0 runs on the calling thread; it installs the SIGINT/SIGTERM
 * handlers first (which blocks those signals in this thread, and so in the
 * threads it starts next), binds the port (maybe port 0), then starts the
 * other workers, which bind the same port with SO_REUSEPORT so that the
 * kernel spreads connections over them. Each worker is a weft_run() of its
 * own: loop, server, TLS context, nothing shared but the read-only app.
 *
 * Cross-thread talk goes only through weft_loop_call_soon_threadsafe():
 * workers report "ready" and "done" to worker 0's loop, and worker 0 tells
 * them to stop. A worker clears its loop pointer (under the run's mutex)
 * before its loop ends, so nobody posts to a dead loop.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

struct run_state;

struct run_worker {
    struct run_state *rs;
    int index;
    pthread_t thread;
    bool started;           /* the thread exists */
    weft_loop *loop;        /* guarded by rs->mu for other threads */
    weft_task *task;        /* the serving task (guarded by rs->mu) */
    weft_web_server *srv;
    int result;
};

struct run_state {
    weft_web_app *app;
    weft_web_run_opts o;
    int n;
    struct run_worker *w;
    uint16_t port;
    pthread_mutex_t mu;
    weft_future *ready;     /* on worker 0's loop: every worker answered */
    weft_future *done;      /* every other worker ended */
    int nready, ndone;
    int first_err;
    int signals;            /* signals received */
    bool stopping;
};

static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static struct run_state *current_run;

/* ----------------------------------------------------------- a worker */

static int worker_listen(struct run_worker *w)
{
    struct run_state *rs = w->rs;
    const weft_web_run_opts *o = &rs->o;
    int err = weft_web_server_new(NULL, rs->app, &o->server, &w->srv);
    if (err)
        return err;
    weft_server_opts sopts = {.reuse_port = rs->n > 1};
    uint16_t port = w->index == 0 ? o->port : rs->port;
    if (o->tls_cert) {
        weft_tls_ctx *ctx;
        err = weft_tls_ctx_new(WEFT_TLS_SERVER, &ctx);
        if (err)
            return err;
        err = weft_tls_ctx_load_cert_chain(ctx, o->tls_cert, o->tls_key);
        if (err) {
            fprintf(stderr, "weft: %s: %s\n", o->tls_cert, weft_tls_ctx_errdetail(ctx));
        } else {
            weft_tls_ctx_set_alpn(ctx, "http/1.1");
            err = weft_web_server_listen_tls(w->srv, o->host, port, &sopts, ctx, NULL);
        }
        weft_tls_ctx_free(ctx); /* the server keeps its own reference */
        return err;
    }
    return weft_web_server_listen(w->srv, o->host, port, &sopts);
}

static void worker_stop_cb(void *arg)
{
    struct run_worker *w = arg;
    if (w->srv)
        weft_web_server_close(w->srv);
}

static void worker_cancel_cb(void *arg)
{
    struct run_worker *w = arg;
    if (w->task)
        weft_task_cancel(w->task);
}

/* On worker 0's loop: a worker started (or failed to). */
static void ready_cb(void *arg)
{
    struct run_worker *w = arg;
    struct run_state *rs = w->rs;
    if (w->result < 0 && !rs->first_err)
        rs->first_err = w->result;
    if (++rs->nready == rs->n - 1)
        weft_future_set_result(rs->ready, 0, NULL);
}

static void done_cb(void *arg)
{
    struct run_worker *w = arg;
    struct run_state *rs = w->rs;
    if (++rs->ndone == rs->n - 1)
        weft_future_set_result(rs->done, 0, NULL);
}

/* Run cb(ud) on worker to's loop, unless that loop has ended. */
static void post_to(struct run_state *rs, struct run_worker *to, weft_cb cb, void *ud)
{
    pthread_mutex_lock(&rs->mu);
    if (to->loop)
        weft_loop_call_soon_threadsafe(to->loop, cb, ud);
    pthread_mutex_unlock(&rs->mu);
}

/* A worker's serving, as a task of its own: a second signal cancels this
 * task, never the worker's main task, which must still wind down. */
static int serve_task(void *arg)
{
    struct run_worker *w = arg;
    struct run_state *rs = w->rs;
    weft_web_server_serve_forever(w->srv);
    uint64_t grace = rs->o.shutdown_grace_ns ? rs->o.shutdown_grace_ns : WEFT_SEC(10);
    weft_web_server_shutdown(w->srv, grace);
    return 0;
}

static void serve(struct run_worker *w)
{
    struct run_state *rs = w->rs;
    weft_task *t;
    if (weft_task_spawn(NULL, serve_task, w, &t) != 0)
        return;
    pthread_mutex_lock(&rs->mu);
    w->task = t;
    pthread_mutex_unlock(&rs->mu);
    weft_task_join(t);
    pthread_mutex_lock(&rs->mu);
    w->task = NULL;
    pthread_mutex_unlock(&rs->mu);
}

static int worker_main(void *arg)
{
    struct run_worker *w = arg;
    struct run_state *rs = w->rs;
    pthread_mutex_lock(&rs->mu);
    w->loop = weft_loop_current();
    pthread_mutex_unlock(&rs->mu);
    w->result = worker_listen(w);
    post_to(rs, &rs->w[0], ready_cb, w);
    if (w->result == 0) {
        /* Worker 0 may have seen a failure elsewhere and told us to stop:
         * serve_forever returns at once on a closed server. */
        serve(w);
    }
    weft_web_server_free(w->srv);
    w->srv = NULL;
    pthread_mutex_lock(&rs->mu);
    w->loop = NULL;
    pthread_mutex_unlock(&rs->mu);
    /* Let a call that was posted just before run (it is queued on this loop
     * already), so the loop can close cleanly. */
    weft_yield();
    weft_yield();
    post_to(rs, &rs->w[0], done_cb, w);
    return w->result;
}

static void *worker_thread(void *arg)
{
    struct run_worker *w = arg;
    weft_run(worker_main, w);
    return NULL;
}

/* ----------------------------------------------------------- worker 0 */

static void stop_all(struct run_state *rs)
{
    if (!rs->stopping) {
        rs->stopping = true;
        if (rs->w[0].srv)
            weft_web_server_close(rs->w[0].srv);
        for (int i = 1; i < rs->n; i++)
            post_to(rs, &rs->w[i], worker_stop_cb, &rs->w[i]);
        return;
    }
    /* Asked again during the grace period: stop at once. */
    if (rs->w[0].task)
        weft_task_cancel(rs->w[0].task);
    for (int i = 1; i < rs->n; i++)
        post_to(rs, &rs->w[i], worker_cancel_cb, &rs->w[i]);
}

static void on_signal(void *ud)
{
    stop_all(ud);
}

static void stop_request_cb(void *ud)
{
    stop_all(ud);
}

static void default_banner(struct run_state *rs)
{
    const char *host = rs->o.host && *rs->o.host ? rs->o.host : "0.0.0.0";
    bool v6 = strchr(host, ':') != NULL;
    printf("======== Running on %s://%s%s%s:%u ========\n(Press CTRL+C to quit)\n",
           rs->o.tls_cert ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
           (unsigned)rs->port);
    fflush(stdout);
}

static int main0(void *arg)
{
    struct run_state *rs = arg;
    struct run_worker *w0 = &rs->w[0];
    weft_loop *loop = weft_loop_current();
    pthread_mutex_lock(&rs->mu);
    w0->loop = loop;
    pthread_mutex_unlock(&rs->mu);
    bool sig = !rs->o.no_signals;
    if (sig) {
        weft_loop_add_signal_handler(loop, SIGINT, on_signal, rs);
        weft_loop_add_signal_handler(loop, SIGTERM, on_signal, rs);
    }
    int err = weft_future_new(loop, &rs->ready);
    if (!err)
        err = weft_future_new(loop, &rs->done);
    if (!err)
        err = worker_listen(w0);
    if (!err) {
        int port = weft_web_server_port(w0->srv);
        if (port < 0)
            err = port;
        else
            rs->port = (uint16_t)port;
    }
    int started = 0;
    for (int i = 1; !err && i < rs->n; i++) {
        struct run_worker *w = &rs->w[i];
        if (pthread_create(&w->thread, NULL, worker_thread, w) != 0) {
            err = -EAGAIN;
            break;
        }
        w->started = true;
        started++;
    }
    if (started) {
        /* Count the threads that never started as answered. */
        rs->nready += rs->n - 1 - started;
        rs->ndone += rs->n - 1 - started;
        weft_future_await(rs->ready, NULL);
    }
    if (!err)
        err = rs->first_err;
    if (!err) {
        pthread_mutex_lock(&current_mu);
        current_run = rs;
        pthread_mutex_unlock(&current_mu);
        if (rs->o.on_ready)
            rs->o.on_ready(w0->srv, rs->o.ud);
        else
            default_banner(rs);
        serve(w0);
        pthread_mutex_lock(&current_mu);
        current_run = NULL;
        pthread_mutex_unlock(&current_mu);
    }
    /* Stop the others (a failed start, or the signal already did) and
     * wait until they are done. */
    if (!rs->stopping) {
        rs->stopping = true;
        for (int i = 1; i < rs->n; i++)
            post_to(rs, &rs->w[i], worker_stop_cb, &rs->w[i]);
    }
    if (started)
        weft_future_await(rs->done, NULL);
    for (int i = 1; i < rs->n; i++)
        if (rs->w[i].started)
            pthread_join(rs->w[i].thread, NULL);
    weft_web_server_free(w0->srv);
    w0->srv = NULL;
    if (sig) {
        weft_loop_remove_signal_handler(loop, SIGINT);
        weft_loop_remove_signal_handler(loop, SIGTERM);
    }
    pthread_mutex_lock(&rs->mu);
    w0->loop = NULL;
    pthread_mutex_unlock(&rs->mu);
    if (rs->ready)
        weft_future_unref(rs->ready);
    if (rs->done)
        weft_future_unref(rs->done);
    return err;
}

int weft_web_run_app(weft_web_app *app, const weft_web_run_opts *opts)
{
    if (!app)
        return -EINVAL;
    if (weft_loop_current() || weft_task_current())
        return -EBUSY;
    struct run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.app = app;
    if (opts) {
        rs.o = *opts;
    } else {
        rs.o.port = 8080;
    }
    if ((rs.o.tls_cert == NULL) != (rs.o.tls_key == NULL) && rs.o.tls_key)
        return -EINVAL; /* a key without a certificate */
    rs.n = rs.o.workers > 1 ? rs.o.workers : 1;
    if (rs.n > 1024)
        return -EINVAL;
    rs.w = calloc((size_t)rs.n, sizeof *rs.w);
    if (!rs.w)
        return -ENOMEM;
    for (int i = 0; i < rs.n; i++) {
        rs.w[i].rs = &rs;
        rs.w[i].index = i;
    }
    pthread_mutex_init(&rs.mu, NULL);
    /* A server owns its process here, as nginx and Python do: a client gone
     * mid-response must not kill it with SIGPIPE (and sendfile(2) takes its
     * cheap path when the signal is ignored). Put back as we found it. */
    struct sigaction sa, old_sa;
    bool restore = false;
    if (sigaction(SIGPIPE, NULL, &old_sa) == 0 && old_sa.sa_handler == SIG_DFL) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        restore = sigaction(SIGPIPE, &sa, NULL) == 0;
    }
    int r = weft_run(main0, &rs);
    if (restore)
        sigaction(SIGPIPE, &old_sa, NULL);
    pthread_mutex_destroy(&rs.mu);
    free(rs.w);
    return r;
}

int weft_web_run_stop(void)
{
    pthread_mutex_lock(&current_mu);
    struct run_state *rs = current_run;
    int r = -ESRCH;
    if (rs) {
        pthread_mutex_lock(&rs->mu);
        if (rs->w[0].loop)
            r = weft_loop_call_soon_threadsafe(rs->w[0].loop, stop_request_cb, rs);
        pthread_mutex_unlock(&rs->mu);
    }
    pthread_mutex_unlock(&current_mu);
    return r;
}
