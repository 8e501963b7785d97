/*
 * worker.c - the tasks that run handlers.
 *
 * A worker is a task that runs one request at a time: before hooks, the
 * route's handler, the end of the response, after hooks, the log line.
 * Between requests it parks in the server's idle list (a wait, no loop
 * work), so the next request wakes it with weft__task_wake_now(): two
 * context switches instead of a task spawn, and the handler runs inside
 * the read callback that parsed its request, which is what lets a batch of
 * pipelined responses go out in one write. A connection holds a worker
 * only while one of its requests is in flight; idle workers are capped
 * (idle_tasks), the rest end.
 *
 * A worker whose handler was cancelled (shutdown), or that the pool does not
 * need, ends instead of parking: a cancelled task cannot be un-cancelled, and
 * deadline scopes a handler left open are closed before the next request.
 */
#include <errno.h>
#include <stdlib.h>

#include "server/server_int.h"

void weft__conn_schedule(struct conn *c);

static void list_add(struct worker **head, struct worker *w)
{
    w->prev = NULL;
    w->next = *head;
    if (*head)
        (*head)->prev = w;
    *head = w;
}

static void list_del(struct worker **head, struct worker *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (*head == w)
        *head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

/* Run the middleware and the handler for x, then end the response. */
static void run_request(weft_web_server *srv, struct hx *x)
{
    weft_web_app *app = srv->app;
    weft_web_request *req = &x->req;
    weft_web_response *resp = &x->resp;
    int result = 0;
    bool answered = false;
    for (size_t i = 0; i < app->nmw; i++) {
        const weft_web_middleware *mw = app->mw[i].mw;
        if (!mw->before)
            continue;
        int r = mw->before(req, resp, app->mw[i].ud);
        if (r != 0 || resp->state != RS_NEW) {
            result = r;
            answered = true;
            break;
        }
    }
    if (!answered) {
        void *hud = NULL;
        int status = 0;
        const char *allow = NULL;
        weft_web_handler h = weft__route_find(app, x, &hud, &status, &allow);
        if (h) {
            result = h(req, resp, hud);
        } else {
            if (allow)
                weft_web_response_set_header(resp, "Allow", allow);
            result = status;
        }
    }
    weft__response_finish(x, result);
    for (size_t i = app->nmw; i-- > 0;) {
        const weft_web_middleware *mw = app->mw[i].mw;
        if (mw->after)
            mw->after(req, resp, result, app->mw[i].ud);
    }
    if (app->log_fd >= 0)
        weft__access_log(x);
}

static void park_unhook(struct weft__wait *wt)
{
    struct worker *w = (struct worker *)((char *)wt - offsetof(struct worker, park));
    if (w->idle) {
        list_del(&w->srv->idle_workers, w);
        w->srv->nidle--;
        w->idle = false;
    }
}

static int worker_main(void *arg)
{
    struct worker *w = arg;
    weft_web_server *srv = w->srv;
    for (;;) {
        struct hx *x = w->job;
        if (x) {
            run_request(srv, x);
            w->job = NULL;
            x->w = NULL;
            x->state = XS_DONE;
            if (!x->in_run)
                weft__conn_schedule(x->c); /* finished outside our callbacks */
        }
        weft_timeout_pop(0); /* scopes the handler left open */
        list_del(&srv->busy_workers, w);
        srv->nbusy--;
        if (weft_task_cancelled(w->task) || srv->draining || srv->freed ||
            srv->nidle >= srv->o.idle_tasks)
            break;
        list_add(&srv->idle_workers, w);
        srv->nidle++;
        w->idle = true;
        weft__server_notify_http(srv);
        w->park.unhook = park_unhook;
        int r = weft__task_wait(&w->park);
        if (r < 0)
            break; /* cancelled while parked: the unhook unlinked us */
        /* weft__worker_start moved us to the busy list and set the job. */
    }
    weft_task_release(w->task);
    free(w);
    weft__server_notify_http(srv);
    weft__server_unref_http(srv);
    return 0;
}

int weft__worker_start(weft_web_server *srv, struct hx *x)
{
    struct worker *w = srv->idle_workers;
    if (w) {
        list_del(&srv->idle_workers, w);
        srv->nidle--;
        w->idle = false;
        list_add(&srv->busy_workers, w);
        srv->nbusy++;
        w->job = x;
        x->w = w;
        x->in_run = true;
        weft__task_wake_now(&w->park, 0);
        x->in_run = false;
        return 0;
    }
    w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->srv = srv;
    w->job = x;
    int err = weft_task_spawn(srv->loop, worker_main, w, &w->task);
    if (err) {
        free(w);
        return err;
    }
    x->w = w;
    list_add(&srv->busy_workers, w);
    srv->nbusy++;
    weft__server_ref_http(srv);
    return 0;
}

void weft__workers_prime(weft_web_server *srv)
{
    if (srv->nidle || srv->nbusy)
        return;
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return;
    w->srv = srv;
    if (weft_task_spawn(srv->loop, worker_main, w, &w->task) != 0) {
        free(w);
        return;
    }
    list_add(&srv->busy_workers, w); /* until it parks */
    srv->nbusy++;
    weft__server_ref_http(srv);
}

void weft__workers_stop_idle(weft_web_server *srv)
{
    /* Cancelling interrupts the park wait; its unhook unlinks the worker. */
    while (srv->idle_workers) {
        struct worker *w = srv->idle_workers;
        park_unhook(&w->park);
        weft_task_cancel(w->task);
    }
}

void weft__workers_cancel_busy(weft_web_server *srv)
{
    for (struct worker *w = srv->busy_workers; w; w = w->next)
        weft_task_cancel(w->task);
}
