/*
 * weft/stream.h - coroutine streams (asyncio's StreamReader / StreamWriter,
 * open_connection, start_server) on top of the callback transports of
 * weft/net.h.
 *
 *     weft_stream *s;
 *     int rc = weft_stream_open_connection("localhost", 8888, NULL, &s);
 *     weft_stream_write(s, "hello", 5);
 *     weft_stream_drain(s);
 *     char buf[1024];
 *     int n = weft_stream_read(s, buf, sizeof buf);
 *     weft_stream_close(s);
 *
 * A weft_stream is both the reader and the writer of one connection. It is
 * the protocol of a transport (any transport: TCP, Unix, a pipe, a memory
 * pair, TLS), so the coroutine API adds no second I/O engine.
 *
 * Reading. Bytes that arrive while no task reads wait in the stream's buffer
 * (allocated on demand and freed when empty, so an idle stream parked in
 * read holds no buffer; a read that waits on an empty buffer receives
 * straight into the caller's memory). When the buffer holds more than twice
 * the limit, the transport stops reading until a reader catches up.
 *
 * Writing. weft_stream_write never suspends: what the socket does not take
 * at once is buffered. weft_stream_drain, when the buffer is above the
 * transport's high water mark, waits until it is back at the low one.
 *
 * Errors. Every @suspends call here returns -ECANCELED / -ETIMEDOUT when the
 * task is cancelled or its deadline passes (weft_timeout_push), WEFT_ECLOSED
 * if the stream is closed while the call waits, or the connection's error
 * (-ECONNRESET, -EPIPE, ...). Only one task should read at a time; any number
 * may write and drain.
 *
 * Ownership. A stream from open_connection / open_unix_connection /
 * open_fd / attach belongs to the caller: end it with weft_stream_close
 * (@suspends) or weft_stream_free. A stream handed to a server handler is
 * borrowed: the server closes and frees it when the handler returns (the
 * handler may still call weft_stream_close to close early; the handle stays
 * valid until the handler returns).
 */
#ifndef WEFT_STREAM_H
#define WEFT_STREAM_H

#include <sys/types.h>
#include <sys/uio.h>

#include "weft/common.h"
#include "weft/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_stream weft_stream;

/* Default limit of readline / readuntil, and the read-buffer threshold
 * (2 x limit) that pauses reading. asyncio's 64 KiB. */
#define WEFT_STREAM_DEFAULT_LIMIT (64u * 1024u)

/* ------------------------------------------------------------- opening */

/* @suspends. Connect over TCP (asyncio.open_connection). opts may be NULL;
 * its timeout_ns bounds the connect, as do the task's deadlines. Returns 0,
 * or -ECONNREFUSED, -ETIMEDOUT, WEFT_EDNS_*, -ECANCELED, ... */
int weft_stream_open_connection(const char *host, uint16_t port, const weft_connect_opts *opts,
                                weft_stream **out);

/* @suspends. Connect to a Unix stream socket ("@name": abstract namespace). */
int weft_stream_open_unix_connection(const char *path, const weft_connect_opts *opts,
                                     weft_stream **out);

/* Wrap a connected fd as a stream on the current thread's loop (a socket:
 * WEFT_FD_READ | WEFT_FD_WRITE; a pipe end: one of them), with the flags and
 * ownership rules of weft_transport_open_fd(). Not @suspends. */
int weft_stream_open_fd(int fd, unsigned flags, weft_stream **out);

/* Make a stream the protocol of transport t, which must have been made with
 * a NULL protocol and not yet started (any kind: memory pair, TLS, ...). The
 * stream owns t from here on. Not @suspends. */
int weft_stream_attach(weft_transport *t, weft_stream **out);

/* Two connected streams over an in-memory transport pair (tests). */
int weft_stream_memory_pair(weft_loop *loop, const weft_memory_pair_opts *opts,
                            weft_stream **a, weft_stream **b);

/* ------------------------------------------------------------- reading */

/* @suspends. Read up to n bytes (n >= 1) into buf, waiting until at least
 * one is there. Returns the count, 0 at EOF, or an error. */
int weft_stream_read(weft_stream *s, void *buf, size_t n);

/* @suspends. Read exactly n bytes. Returns n; at EOF before that,
 * WEFT_EINCOMPLETE with the bytes that did arrive stored at the start of buf
 * and counted by weft_stream_partial(). On another error the bytes read so
 * far are in buf too, and also counted by weft_stream_partial(). */
int weft_stream_readexactly(weft_stream *s, void *buf, size_t n);

/* @suspends. Read through the first occurrence of sep (seplen >= 1) and copy
 * it, separator included, into buf; returns its length. The separator must
 * appear within min(limit, cap) bytes: otherwise WEFT_ELIMIT_OVERRUN, and
 * the data stays in the stream to be read some other way. At EOF without a
 * separator: WEFT_EINCOMPLETE, the partial data moved to buf (count with
 * weft_stream_partial), or 0 if nothing was left. */
int weft_stream_readuntil(weft_stream *s, const void *sep, size_t seplen, void *buf, size_t cap);

/* @suspends. readuntil("\n"), but at EOF returns whatever is left (maybe 0
 * bytes) instead of WEFT_EINCOMPLETE, and over the limit the overlong line
 * is discarded (through its "\n" if it has arrived, else what is buffered)
 * before WEFT_ELIMIT_OVERRUN returns. */
int weft_stream_readline(weft_stream *s, void *buf, size_t cap);

/* Bytes the last failed readexactly / readuntil stored in buf. */
size_t weft_stream_partial(const weft_stream *s);

/* True once EOF was received and every buffered byte was read. */
bool weft_stream_at_eof(const weft_stream *s);
/* Bytes buffered, received but not read yet. */
size_t weft_stream_buffered(const weft_stream *s);

/* Limit for readuntil / readline (and 2 x limit pauses reading). 0: default. */
int weft_stream_set_limit(weft_stream *s, size_t limit);
size_t weft_stream_limit(const weft_stream *s);

/* ------------------------------------------------------------- writing */

/* Write len bytes: sent at once where the kernel takes them, the rest
 * buffered. Never suspends. Returns 0, WEFT_ECLOSED after close or
 * write_eof, or the connection's error. Call drain to apply back-pressure. */
int weft_stream_write(weft_stream *s, const void *data, size_t len);
int weft_stream_writev(weft_stream *s, const struct iovec *iov, int iovcnt);

/* @suspends. If the write buffer is above the high water mark, wait until it
 * is back at the low one. Returns 0, the connection's error (-EPIPE,
 * -ECONNRESET when the peer went away) or WEFT_ECLOSED. */
int weft_stream_drain(weft_stream *s);

/* Water marks of the underlying transport (see weft/net.h). */
int weft_stream_set_write_buffer_limits(weft_stream *s, size_t high, size_t low);
size_t weft_stream_write_buffer_size(const weft_stream *s);

/* Half-close after the buffered bytes; reading goes on. */
int weft_stream_write_eof(weft_stream *s);
bool weft_stream_can_write_eof(const weft_stream *s);

/* @suspends. Send count bytes of file fd from offset (loop.sendfile): with
 * sendfile(2) where the transport can, else read and write in chunks (TLS).
 * Waits until it was all handed to the kernel. Returns the count sent, or an
 * error (then an unknown part may have gone out). */
int64_t weft_stream_sendfile(weft_stream *s, int fd, off_t offset, size_t count);

/* ------------------------------------------------------------- ending */

/* @suspends. Flush, close, wait until the connection is gone, then free the
 * stream (for a caller-owned stream; a borrowed one is freed by its server).
 * The handle is dead after this call whatever it returns: 0, the
 * connection's error, or -ECANCELED / -ETIMEDOUT (the connection was then
 * aborted instead). Pending calls of other tasks on it end with WEFT_ECLOSED. */
int weft_stream_close(weft_stream *s);

/* Close without waiting (flush in the background, then close) and release
 * the handle. Usable outside tasks. */
void weft_stream_free(weft_stream *s);

/* Close now, dropping unsent data. The handle stays valid (close or free it). */
void weft_stream_abort(weft_stream *s);

/* @suspends. Wait until the connection is gone (after a close of ours or the
 * peer's). The handle stays valid. */
int weft_stream_wait_closed(weft_stream *s);

/* close or abort was called, or the connection is ending or gone. A
 * half-closed stream (write_eof) is not closing, as in asyncio. */
bool weft_stream_is_closing(const weft_stream *s);

/* ------------------------------------------------------------- info */

/* The transport, while the connection lives (NULL after it ended). */
weft_transport *weft_stream_transport(const weft_stream *s);
int weft_stream_peername(const weft_stream *s, struct sockaddr_storage *ss, socklen_t *len);
int weft_stream_sockname(const weft_stream *s, struct sockaddr_storage *ss, socklen_t *len);
/* The peer as Python prints it ("('127.0.0.1', 5000)"); a string owned by
 * the stream, "" when unknown. */
const char *weft_stream_peer_str(weft_stream *s);

/* -------------------------------------------------------------- servers */

/* A connection handler, run as its own task for each accepted connection
 * (start_server's client_connected_cb). s is borrowed (see Ownership). Its
 * result is ignored. */
typedef int (*weft_stream_handler)(weft_stream *s, void *ud);

/* @suspends (it resolves host). Start a TCP server that runs handler(s, ud)
 * in a new task per connection (asyncio.start_server). host/port/opts as
 * weft_tcp_server_create. Stop it with weft_server_close / _shutdown /
 * _serve_forever, free it with weft_server_free. */
int weft_stream_start_server(const char *host, uint16_t port, const weft_server_opts *opts,
                             weft_stream_handler handler, void *ud, weft_server **out);

/* Not @suspends: host must be a literal or localhost, as for
 * weft_tcp_server_open; usable outside tasks. */
int weft_stream_server_open(weft_loop *loop, const char *host, uint16_t port,
                            const weft_server_opts *opts, weft_stream_handler handler, void *ud,
                            weft_server **out);

/* The same over a Unix stream socket. Not @suspends. */
int weft_stream_start_unix_server(weft_loop *loop, const char *path, const weft_server_opts *opts,
                                  weft_stream_handler handler, void *ud, weft_server **out);

#ifdef __cplusplus
}
#endif
#endif
