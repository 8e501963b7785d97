/*
 * trace.c - per-request tracing (aiohttp's TraceConfig): the session's
 * hooks, then the request's own, each given one event with its time on the
 * loop clock and the time since the request started.
 */
#include <string.h>

#include "client/client_int.h"

void weft__hc_trace_init(struct weft__hc_trace *tc, weft_http_session *s,
                         weft_http_trace_cb cb, void *ud)
{
    memset(tc, 0, sizeof *tc);
    tc->s = s;
    tc->cb = cb;
    tc->ud = ud;
    tc->on = cb || s->ntraces;
    /* With hooks, events want real times; without, the iteration's clock
     * is all the timings need and costs nothing. */
    tc->t0 = tc->on ? weft_loop_update_time(s->loop) : weft_loop_now(s->loop);
}

void weft__hc_trace_emit(struct weft__hc_trace *tc, weft_http_trace *ev)
{
    if (!tc->on)
        return;
    ev->time_ns = weft_loop_update_time(tc->s->loop);
    ev->elapsed_ns = ev->time_ns > tc->t0 ? ev->time_ns - tc->t0 : 0;
    ev->method = tc->method;
    ev->url = tc->url;
    for (size_t i = 0; i < tc->s->ntraces; i++)
        tc->s->traces[i].cb(ev, tc->s->traces[i].ud);
    if (tc->cb)
        tc->cb(ev, tc->ud);
}

void weft__hc_trace_simple(struct weft__hc_trace *tc, int event, int status, int error,
                           const char *detail)
{
    if (!tc->on)
        return;
    weft_http_trace ev = {.event = event, .status = status, .error = error, .detail = detail};
    weft__hc_trace_emit(tc, &ev);
}
