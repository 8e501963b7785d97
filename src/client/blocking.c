/*
 * blocking.c - the blocking face (curl's easy interface over its multi
 * one, httpx.Client over its async core): a private loop and a session on
 * it. Every @suspends call on one of its objects, made outside any task,
 * runs as a task on that loop until it completes, so the engine is the
 * same one the coroutine face uses.
 */
#include <errno.h>
#include <stdlib.h>

#include "client/client_int.h"

int weft__hc_face(const weft_http_session *s)
{
    if (!weft__current_task)
        return s->blocking ? 1 : -EPERM;
    return weft__current_loop == s->loop ? 0 : -EPERM;
}

int weft__hc_block(weft_http_session *s, weft_task_fn fn, void *arg)
{
    if (weft__current_task || !s || !s->blocking)
        return -EPERM;
    if (s->closed)
        return WEFT_ECLOSED;
    weft_task *t;
    int rc = weft_task_spawn(s->loop, fn, arg, &t);
    if (rc < 0)
        return rc;
    return weft_loop_run_until_complete(s->loop, t);
}

int weft_http_client_new(const weft_http_session_opts *opts, weft_http_client **out)
{
    if (!out)
        return -EINVAL;
    weft_http_client *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    int rc = weft_loop_new(&c->loop);
    if (rc < 0) {
        free(c);
        return rc;
    }
    rc = weft_http_session_new(c->loop, opts, &c->s);
    if (rc < 0) {
        weft_loop_close(c->loop);
        free(c);
        return rc;
    }
    c->s->blocking = c;
    *out = c;
    return 0;
}

weft_http_session *weft_http_client_session(weft_http_client *c)
{
    return c ? c->s : NULL;
}

void weft_http_client_free(weft_http_client *c)
{
    if (!c)
        return;
    weft_http_session *s = c->s;
    s->blocking = NULL;
    weft_http_session_free(s);
    /* Let the closed connections' last callbacks run, then close the loop.
     * Nothing is left that could keep it busy for long; the bound is only
     * a guard against a bug leaving a watcher behind. */
    for (int i = 0; i < 1000; i++) {
        if (weft_loop_close(c->loop) == 0) {
            c->loop = NULL;
            break;
        }
        weft_loop_run_once(c->loop, WEFT_MSEC(1));
    }
    free(c);
}

int weft_http_request(const char *method, const char *url, const weft_http_request_opts *opts,
                      weft_http_response **out)
{
    if (!method || !url || !out)
        return -EINVAL;
    if (weft__current_task)
        return -EPERM;
    weft_http_client *c;
    int rc = weft_http_client_new(NULL, &c);
    if (rc < 0)
        return rc;
    rc = weft_http_session_request(c->s, method, url, opts, out);
    if (rc < 0) {
        weft_http_client_free(c);
        return rc;
    }
    (*out)->owner = c;
    return 0;
}

int weft_http_get(const char *url, const weft_http_request_opts *opts,
                  weft_http_response **out)
{
    return weft_http_request("GET", url, opts, out);
}

int weft_http_post(const char *url, const weft_http_request_opts *opts,
                   weft_http_response **out)
{
    return weft_http_request("POST", url, opts, out);
}
