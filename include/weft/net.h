/*
 * weft/net.h - transports and protocols: TCP, Unix stream sockets, socket
 * pairs, wrapped fds (pipes) and an in-memory transport pair for tests
 * (asyncio's Transport / Protocol, create_connection, create_server).
 *
 * The model. A *transport* owns a connection and does the I/O; a *protocol*
 * is a table of callbacks that reacts to it. Bytes that arrive are handed to
 * protocol->data_received; bytes the protocol writes go out at once when the
 * kernel takes them (no copy, no epoll round trip) and only the unsent rest is
 * buffered. When the buffer grows past the high water mark the transport
 * calls pause_writing, and resume_writing once it has drained to the low one.
 *
 * Lifetime. A transport is made by weft (connect, accept, wrap an fd) and
 * belongs to weft. After connection_made, connection_lost runs exactly once
 * (for a close, an abort, an error, or the peer going away), always from the
 * loop, never inside a weft_transport_* call; the transport's memory is freed
 * right after connection_lost returns, so the protocol must drop its pointer
 * there. weft_transport_close() and weft_transport_abort() only start the end.
 *
 * Callback order for one transport: connection_made, then any number of
 * data_received, at most one eof_received, then connection_lost. pause_writing
 * and resume_writing alternate, starting with pause, and may run inside a
 * weft_transport_write*() call (pause_writing, like asyncio).
 *
 * Threads: every object here belongs to its loop's thread.
 */
#ifndef WEFT_NET_H
#define WEFT_NET_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "weft/common.h"
#include "weft/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_transport weft_transport;
typedef struct weft_server weft_server;
typedef struct weft_connect_req weft_connect_req;

/* ------------------------------------------------------------- protocols */

/* Callbacks of a protocol; any may be NULL. ud is the protocol's own pointer
 * given with the table (weft_transport_set_protocol, the connect call or the
 * server's factory). The table itself must outlive the transport (usually a
 * static const). */
typedef struct weft_protocol {
    /* The connection is up; t is valid until connection_lost returns. */
    void (*connection_made)(weft_transport *t, void *ud);
    /* len >= 1 bytes arrived. data is valid only during the call. */
    void (*data_received)(weft_transport *t, const void *data, size_t len, void *ud);
    /* The peer will send no more (it half-closed or closed). Return true to
     * keep the transport open for writing (a half-closed conversation);
     * false (or a NULL callback) closes it, flushing what is buffered. */
    bool (*eof_received)(weft_transport *t, void *ud);
    /* The end, exactly once: err is 0 for a close, an abort or an orderly
     * end, or a negative code (-ECONNRESET, -EPIPE, -ETIMEDOUT, ...). The
     * transport is freed when this returns. */
    void (*connection_lost)(weft_transport *t, int err, void *ud);
    /* The write buffer went above the high water mark: stop writing. */
    void (*pause_writing)(weft_transport *t, void *ud);
    /* It drained to the low water mark: writing may go on. */
    void (*resume_writing)(weft_transport *t, void *ud);

    /* Optional zero-copy receive (asyncio's BufferedProtocol). When set, the
     * transport first asks get_buffer for memory to read into; *len holds a
     * size hint and must be set to the usable size (>= 1). Returning NULL
     * falls back to data_received for this read. buffer_updated(n) then says
     * how many bytes (>= 1) were stored there. */
    void *(*get_buffer)(weft_transport *t, size_t *len, void *ud);
    void (*buffer_updated)(weft_transport *t, size_t n, void *ud);
} weft_protocol;

/* --------------------------------------------------------------- writing */

/* Send len bytes. What the kernel does not take at once is copied into the
 * transport's buffer and sent as the peer reads. Returns 0, or
 * WEFT_ECLOSED after close/abort/write_eof (nothing is sent), -ENOTSUP on a
 * read-only transport, -ENOMEM, or the connection's error (-EPIPE,
 * -ECONNRESET: connection_lost follows). May call pause_writing. */
int weft_transport_write(weft_transport *t, const void *data, size_t len);

/* Same for several buffers, gathered into one system call where possible. */
int weft_transport_writev(weft_transport *t, const struct iovec *iov, int iovcnt);

/* Queue count bytes of the file fd from offset, sent with sendfile(2) after
 * whatever is buffered before it. fd is duplicated: the caller may close its
 * own copy at once. The bytes count towards the write buffer (so they usually
 * trigger pause_writing; wait for resume_writing to know they left).
 * Returns 0, -EINVAL for a negative fd or offset (on any transport),
 * -ENOTSUP where the transport cannot (TLS, memory pairs: copy
 * through weft_transport_write instead, as weft_stream_sendfile does), or as
 * weft_transport_write. A file that fails to read later (EIO, truncated)
 * fails the transport. */
int weft_transport_sendfile(weft_transport *t, int fd, off_t offset, size_t count);

/* Half-close: send EOF after the buffered bytes (shutdown(SHUT_WR)); reading
 * goes on. Returns 0, -ENOTSUP if the transport cannot (see can_write_eof),
 * WEFT_ECLOSED if closing. */
int weft_transport_write_eof(weft_transport *t);
bool weft_transport_can_write_eof(const weft_transport *t);

/* High/low water marks of the write buffer, in bytes: pause_writing runs
 * when the buffer grows above high, resume_writing when it is back at or
 * below low. Both 0 restore the defaults (64 KiB and 16 KiB); low > high is
 * -EINVAL. The new marks apply at once (pause or resume may run inside). */
int weft_transport_set_write_buffer_limits(weft_transport *t, size_t high, size_t low);
void weft_transport_get_write_buffer_limits(const weft_transport *t, size_t *high, size_t *low);
/* Bytes buffered and not yet handed to the kernel (file ranges included). */
size_t weft_transport_get_write_buffer_size(const weft_transport *t);

/* --------------------------------------------------------------- reading */

/* Stop / restart calling data_received (back-pressure on the peer). Reading
 * starts on when connection_made has run. Idempotent; 0 or WEFT_ECLOSED. */
int weft_transport_pause_reading(weft_transport *t);
int weft_transport_resume_reading(weft_transport *t);
bool weft_transport_is_reading(const weft_transport *t);

/* ------------------------------------------------------------- ending */

/* Stop reading, send what is buffered, then close; connection_lost(0)
 * follows from the loop. Further writes return WEFT_ECLOSED. Idempotent. */
void weft_transport_close(weft_transport *t);
/* Close now and drop the buffer; connection_lost(0) follows from the loop
 * (or the error that made weft abort it). Idempotent. A transport that never
 * got a protocol is simply freed by close or abort. */
void weft_transport_abort(weft_transport *t);
/* close or abort was called, or the connection is gone. */
bool weft_transport_is_closing(const weft_transport *t);

/* ------------------------------------------------------ protocol, extra info */

/* Set or switch the protocol. A transport made with a NULL protocol (see the
 * constructors) waits for this call: it then queues connection_made and
 * starts reading. On a running transport the new protocol just receives the
 * next callbacks (its connection_made is not called). */
void weft_transport_set_protocol(weft_transport *t, const weft_protocol *proto, void *ud);
const weft_protocol *weft_transport_get_protocol(const weft_transport *t);
void *weft_transport_get_protocol_ud(const weft_transport *t);

weft_loop *weft_transport_loop(const weft_transport *t);
/* The socket / pipe fd (still owned by the transport), or -1 (memory pair,
 * layered transports). */
int weft_transport_fd(const weft_transport *t);
/* Addresses of a socket transport: 0, or -ENOTSOCK / -ENOTCONN. *len is in
 * (sizeof *ss) and out. */
int weft_transport_peername(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len);
int weft_transport_sockname(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len);
/* The peer as Python prints it, for logs: "('127.0.0.1', 5000)",
 * "('::1', 5000, 0, 0)", "'/run/x.sock'"; "" when it has no address (pipes,
 * memory pairs). The string belongs to the transport (valid while it is). */
const char *weft_transport_peer_str(weft_transport *t);
/* "tcp", "unix", "pipe", "memory", "tls", ... */
const char *weft_transport_kind(const weft_transport *t);

/* ------------------------------------------------------------ addresses */

/* "127.0.0.1:8888", "[::1]:8888", "/run/x.sock", "@abstract". Returns the
 * length (truncated to size - 1) or -EAFNOSUPPORT. */
int weft_addr_format(const struct sockaddr *sa, char *buf, size_t size);
/* The same address as Python prints it: "('127.0.0.1', 8888)",
 * "('::1', 8888, 0, 0)", "'/run/x.sock'". */
int weft_addr_format_py(const struct sockaddr *sa, char *buf, size_t size);
/* The port of an AF_INET/AF_INET6 address (host order), else -EAFNOSUPPORT. */
int weft_addr_port(const struct sockaddr *sa);

/* ------------------------------------------------------------- clients */

typedef struct weft_connect_opts {
    uint64_t timeout_ns;  /* give up after this long, whole operation (0: no limit) */
    int family;           /* AF_UNSPEC (default), AF_INET or AF_INET6 */
    bool no_nodelay;      /* leave Nagle on (TCP_NODELAY is set by default) */
} weft_connect_opts;

/* Connected (status 0: t is up and connection_made has run) or failed
 * (t == NULL, status < 0: -ECONNREFUSED, -ETIMEDOUT, -ENETUNREACH, WEFT_EDNS_*,
 * -ECANCELED after weft_connect_cancel). Runs exactly once. */
typedef void (*weft_connect_cb)(weft_transport *t, int status, void *ud);

/* Connect to host:port over TCP. host is an IP literal or a name, resolved
 * by the loop's default resolver (weft/dns.h: c-ares on the loop, its TTL
 * cache, /etc/hosts); the addresses then race with Happy Eyeballs (RFC 8305,
 * weft_happy_connect: families interleaved, the next attempt 250 ms after
 * the previous one or as soon as it fails; the first to connect wins).
 * opts->timeout_ns bounds the whole of it. proto/proto_ud become the transport's protocol (proto may be NULL:
 * set it later with weft_transport_set_protocol). opts may be NULL. *out (may
 * be NULL) can cancel the attempt until cb runs. Returns 0 (cb will run) or
 * -EINVAL/-ENOMEM (cb will not run). */
int weft_tcp_connect(weft_loop *loop, const char *host, uint16_t port,
                     const weft_connect_opts *opts, const weft_protocol *proto, void *proto_ud,
                     weft_connect_cb cb, void *ud, weft_connect_req **out);

/* Connect to a Unix stream socket. path "@name" means the abstract namespace. */
int weft_unix_connect(weft_loop *loop, const char *path, const weft_connect_opts *opts,
                      const weft_protocol *proto, void *proto_ud, weft_connect_cb cb, void *ud,
                      weft_connect_req **out);

/* Give up a pending connect: cb runs later with -ECANCELED. -EALREADY if it
 * already completed (cb has run or is queued with its result). */
int weft_connect_cancel(weft_connect_req *req);

/* --------------------------------------------------------- fds and pairs */

enum {
    WEFT_FD_READ  = 1u << 0, /* read from the fd (data_received, eof_received) */
    WEFT_FD_WRITE = 1u << 1, /* write to it */
    WEFT_FD_KEEP  = 1u << 2, /* do not close the fd when the transport ends */
};

/* Wrap an fd that is already connected: a stream socket, a pipe end, a tty.
 * flags: WEFT_FD_READ and/or WEFT_FD_WRITE (both for a socket; one for a pipe
 * end: a subprocess's stdout is READ, its stdin is WRITE), plus WEFT_FD_KEEP.
 * The fd is made non-blocking and, unless KEEP, belongs to the transport from
 * here on (closed when it ends, and also when this call fails). A write-only
 * transport reports a reader that went away as connection_lost(-EPIPE); a
 * read-only one ends with connection_lost(0) after eof_received. For a
 * non-socket fd that writes, SIGPIPE is set to SIG_IGN if it was SIG_DFL.
 * write_eof on a write-only pipe closes it. proto may be NULL (set later). */
int weft_transport_open_fd(weft_loop *loop, int fd, unsigned flags, const weft_protocol *proto,
                           void *proto_ud, weft_transport **out);

/* A connected AF_UNIX socket pair as two transports. */
int weft_socketpair_open(weft_loop *loop, const weft_protocol *proto_a, void *ud_a,
                         const weft_protocol *proto_b, void *ud_b, weft_transport **a,
                         weft_transport **b);

/* An in-memory transport pair for deterministic tests: no fds, no system
 * calls. What one side writes is delivered to the other by a queued loop
 * callback (never inside the write), in chunks of at most chunk bytes
 * (0: unlimited; 1 tests a protocol byte by byte). Each side accepts at most
 * capacity bytes "in flight" (the simulated socket buffer; 0: 64 KiB); a
 * reader that pauses reading stops delivery, so the writer's buffer grows and
 * its water marks fire, exactly as with a socket. write_eof, close and abort
 * reach the peer as eof_received / connection_lost. Combine with
 * weft_loop_use_virtual_clock() to test timeouts without waiting. */
typedef struct weft_memory_pair_opts {
    size_t chunk;
    size_t capacity;
} weft_memory_pair_opts;
int weft_memory_pair_open(weft_loop *loop, const weft_memory_pair_opts *opts,
                          const weft_protocol *proto_a, void *ud_a,
                          const weft_protocol *proto_b, void *ud_b, weft_transport **a,
                          weft_transport **b);
/* Make the peer of memory transport t see a connection reset: t's peer gets
 * connection_lost(-ECONNRESET) and t itself connection_lost(0). */
int weft_memory_transport_reset(weft_transport *t);

/* --------------------------------------------------------------- servers */

/* Called for each accepted connection, on the loop: return the protocol for
 * it and set *proto_ud, or return NULL to refuse (the socket is closed). t is
 * not yet running: connection_made follows. (asyncio's protocol_factory.) */
typedef const weft_protocol *(*weft_protocol_factory)(weft_server *srv, weft_transport *t,
                                                      void *ud, void **proto_ud);

typedef struct weft_server_opts {
    int backlog;          /* listen(2) backlog; 0: SOMAXCONN */
    bool reuse_port;      /* SO_REUSEPORT: several loops/processes share the port */
    bool no_reuse_addr;   /* SO_REUSEADDR is set on TCP listeners unless this */
    int family;           /* AF_UNSPEC (default), AF_INET or AF_INET6 */
    bool no_nodelay;      /* leave Nagle on for accepted connections */
} weft_server_opts;

/* Listen on host:port over TCP and accept in the background. host: an IP
 * literal, "localhost" (127.0.0.1 and ::1 when available), or NULL / "" for
 * every interface (0.0.0.0 and ::). Names that need DNS are -EINVAL here: use
 * weft_tcp_server_create (@suspends) or weft_stream_start_server. port 0
 * picks a free port: see weft_server_port(). opts may be NULL. The server
 * belongs to the caller until weft_server_free(). */
int weft_tcp_server_open(weft_loop *loop, const char *host, uint16_t port,
                         const weft_server_opts *opts, weft_protocol_factory factory, void *ud,
                         weft_server **out);

/* @suspends. Same, but host may be any name (resolved by the loop's default
 * resolver, as for weft_tcp_connect), and
 * the server binds every address it resolves to. */
int weft_tcp_server_create(const char *host, uint16_t port, const weft_server_opts *opts,
                           weft_protocol_factory factory, void *ud, weft_server **out);

/* Listen on a Unix stream socket. A stale socket file at path is replaced;
 * "@name" is the abstract namespace. The file is unlinked by
 * weft_server_close(). */
int weft_unix_server_open(weft_loop *loop, const char *path, const weft_server_opts *opts,
                          weft_protocol_factory factory, void *ud, weft_server **out);

/* The bound port of the first listening socket (after port 0), or -errno. */
int weft_server_port(const weft_server *srv);
/* Listening sockets: how many, and the address / fd of each. */
int weft_server_nsockets(const weft_server *srv);
int weft_server_sockname(const weft_server *srv, int index, struct sockaddr_storage *ss,
                         socklen_t *len);
int weft_server_fd(const weft_server *srv, int index);
/* Live connections accepted by this server. */
size_t weft_server_nconnections(const weft_server *srv);
weft_loop *weft_server_loop(const weft_server *srv);

/* Stop accepting and close the listening sockets; live connections go on.
 * Idempotent. (asyncio's Server.close.) */
void weft_server_close(weft_server *srv);
bool weft_server_is_serving(const weft_server *srv);
/* Close every live connection gracefully (flush, then close) / at once. */
void weft_server_close_clients(weft_server *srv);
void weft_server_abort_clients(weft_server *srv);

/* @suspends. Wait until the server is closed (by weft_server_close from
 * elsewhere: a signal handler, another task) and return 0. If the waiting
 * task is cancelled or times out, the server is closed and that error is
 * returned. (asyncio's serve_forever.) */
int weft_server_serve_forever(weft_server *srv);

/* @suspends. Wait until the server is closed and its last connection (and,
 * for stream servers, the last handler task) has ended. */
int weft_server_wait_closed(weft_server *srv);

/* @suspends. Graceful shutdown: stop accepting; give connections until
 * grace_ns from now to end on their own (stream handlers: return; protocol
 * connections: connection_lost; the protocol can watch
 * weft_server_is_serving() to wind down); then cancel the remaining handler
 * tasks and abort the remaining connections, and wait for them. Returns 0 if
 * all ended within the grace period, -ETIMEDOUT if some had to be stopped,
 * or -ECANCELED if the calling task was cancelled (everything is still
 * stopped and waited for). */
int weft_server_shutdown(weft_server *srv, uint64_t grace_ns);

/* Close the server (as weft_server_close) and release the handle; live
 * connections go on, each to its own end. */
void weft_server_free(weft_server *srv);

#ifdef __cplusplus
}
#endif
#endif
