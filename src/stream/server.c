/*
 * server.c - start_server: a weft_server whose protocol factory makes a
 * stream per connection and spawns the handler as a task on it.
 *
 * The handler borrows the stream. When the task ends (returned, cancelled by
 * shutdown, or never started), a done callback closes the stream (gracefully,
 * or by abort if the task was cancelled) and releases it, unlinks it from
 * the server's list and tells the server, so wait_closed / shutdown see it.
 */
#include <errno.h>
#include <stdlib.h>

#include "stream/stream_int.h"

struct weft__stream_srv {
    weft_stream_handler handler;
    void *ud;
    weft_stream *head;
    size_t alive;
    weft_server *srv;
};

static int handler_main(void *arg)
{
    weft_stream *s = arg;
    struct weft__stream_srv *ss = weft__stream_link(s)->srv;
    return ss->handler(s, ss->ud);
}

static void handler_done(weft_task *task, void *ud)
{
    weft_stream *s = ud;
    struct weft__stream_link *l = weft__stream_link(s);
    struct weft__stream_srv *ss = l->srv;
    weft_server *srv = ss->srv;
    if (l->prev)
        weft__stream_link(l->prev)->next = l->next;
    else
        ss->head = l->next;
    if (l->next)
        weft__stream_link(l->next)->prev = l->prev;
    ss->alive--;
    l->task = NULL;
    weft_task_release(task);
    weft__stream_set_borrowed(s, false);
    if (weft_task_cancelled(task))
        weft_stream_abort(s);
    weft_stream_free(s);
    weft__server_notify(srv);
    weft__server_unref(srv);
}

static const weft_protocol *factory(weft_server *srv, weft_transport *t, void *ud,
                                    void **proto_ud)
{
    struct weft__stream_srv *ss = ud;
    weft_stream *s = weft__stream_new(weft_transport_loop(t));
    if (!s)
        return NULL;
    weft__stream_set_transport(s, t);
    weft__stream_set_borrowed(s, true);
    struct weft__stream_link *l = weft__stream_link(s);
    l->srv = ss;
    weft_task *task;
    if (weft_task_spawn(weft_transport_loop(t), handler_main, s, &task) != 0) {
        free(s);
        return NULL;
    }
    if (weft_task_add_done_cb(task, handler_done, s) != 0) {
        weft_task_cancel(task);
        weft_task_release(task);
        free(s);
        return NULL;
    }
    l->task = task;
    l->prev = NULL;
    l->next = ss->head;
    if (ss->head)
        weft__stream_link(ss->head)->prev = s;
    ss->head = s;
    ss->alive++;
    weft__server_ref(srv);
    *proto_ud = s;
    return &weft__stream_protocol;
}

static void hook_cancel_all(weft_server *srv, void *ud)
{
    struct weft__stream_srv *ss = ud;
    for (weft_stream *s = ss->head; s; s = weft__stream_link(s)->next)
        weft_task_cancel(weft__stream_link(s)->task);
}

static size_t hook_alive(weft_server *srv, void *ud)
{
    return ((struct weft__stream_srv *)ud)->alive;
}

static void hook_destroy(void *ud)
{
    free(ud);
}

static struct weft__stream_srv *ss_new(weft_stream_handler handler, void *ud)
{
    struct weft__stream_srv *ss = calloc(1, sizeof *ss);
    if (ss) {
        ss->handler = handler;
        ss->ud = ud;
    }
    return ss;
}

static int finish_open(int err, struct weft__stream_srv *ss, weft_server **out)
{
    if (err) {
        free(ss);
        return err;
    }
    ss->srv = *out;
    struct weft__server_hooks h = {.cancel_all = hook_cancel_all,
                                   .alive = hook_alive,
                                   .destroy = hook_destroy,
                                   .ud = ss};
    weft__server_set_hooks(*out, &h);
    return 0;
}

int weft_stream_start_server(const char *host, uint16_t port, const weft_server_opts *opts,
                             weft_stream_handler handler, void *ud, weft_server **out)
{
    if (!handler || !out)
        return -EINVAL;
    struct weft__stream_srv *ss = ss_new(handler, ud);
    if (!ss)
        return -ENOMEM;
    return finish_open(weft_tcp_server_create(host, port, opts, factory, ss, out), ss, out);
}

int weft_stream_server_open(weft_loop *loop, const char *host, uint16_t port,
                            const weft_server_opts *opts, weft_stream_handler handler, void *ud,
                            weft_server **out)
{
    if (!handler || !out)
        return -EINVAL;
    struct weft__stream_srv *ss = ss_new(handler, ud);
    if (!ss)
        return -ENOMEM;
    if (!loop)
        loop = weft_loop_current();
    return finish_open(weft_tcp_server_open(loop, host, port, opts, factory, ss, out), ss, out);
}

int weft_stream_start_unix_server(weft_loop *loop, const char *path, const weft_server_opts *opts,
                                  weft_stream_handler handler, void *ud, weft_server **out)
{
    if (!handler || !out)
        return -EINVAL;
    struct weft__stream_srv *ss = ss_new(handler, ud);
    if (!ss)
        return -ENOMEM;
    if (!loop)
        loop = weft_loop_current();
    return finish_open(weft_unix_server_open(loop, path, opts, factory, ss, out), ss, out);
}
