/*
 * stream_int.h - what the stream server shares with the stream core.
 */
#ifndef WEFT_STREAM_INT_H
#define WEFT_STREAM_INT_H

#include "weft/stream.h"
#include "coro/coro_int.h"
#include "net/net_int.h"

struct weft__stream_srv;

/* The protocol every stream installs on its transport. */
extern const weft_protocol weft__stream_protocol;

/* A stream that is not yet attached to a transport. */
weft_stream *weft__stream_new(weft_loop *loop);

/* Server glue: a borrowed stream over t (which the factory is starting). */
void weft__stream_set_transport(weft_stream *s, weft_transport *t);
void weft__stream_set_borrowed(weft_stream *s, bool borrowed);
/* Per-stream slot for the server's bookkeeping. */
struct weft__stream_link {
    weft_stream *prev, *next;
    weft_task *task;
    struct weft__stream_srv *srv;
};
struct weft__stream_link *weft__stream_link(weft_stream *s);

#endif
