/*
 * net_int.h - the transport base class and its vtable, shared by every kind
 * of transport (socket/fd, memory pair) and by layers that put a transport
 * over another transport (TLS, later others: think curl's connection filters
 * or libdill's *_attach).
 *
 * A concrete transport embeds `weft_transport base` as its first member and
 * fills a `struct weft__transport_ops`. The public weft_transport_* calls in
 * transport.c do the bookkeeping every kind shares (states, water marks,
 * callback order, connection_lost exactly once, server accounting) and call
 * the ops for the I/O itself.
 *
 * Layering (TLS over TCP): the upper transport is the *protocol* of the lower
 * one (a weft_protocol whose ud is the upper transport) and a transport in its
 * own right for the protocol above it:
 *
 *     app protocol <-> [tls transport: base + ops] <-> (tls as protocol) <-> tcp transport
 *
 * - lower data_received -> feed the read BIO, pull plaintext, hand it up with
 *   weft__transport_deliver(); lower eof/connection_lost -> weft__transport_eof()
 *   / weft__transport_lost() on the upper one.
 * - ops->writev encrypts into the write BIO and writes the ciphertext to the
 *   lower transport; ops->write_buffer_size reports what is pending (plaintext
 *   not yet encrypted + the lower transport's buffer) and the lower
 *   pause_writing / resume_writing are forwarded through
 *   weft__transport_write_drained(), so water marks work end to end.
 * - ops->sendfile = NULL (streams fall back to read + write).
 * - ops->set_reading forwards to weft_transport_pause/resume_reading() of
 *   the lower transport; ops->close sends close_notify then closes the lower
 *   one; ops->abort aborts it. The upper reports weft__transport_lost() from
 *   the lower's connection_lost, and ops->destroy frees the upper object
 *   (the lower one is freed by its own base after its connection_lost).
 * - peername/sockname/fd: forward to the lower transport.
 * Create the upper transport with weft__transport_init(), then call
 * weft__transport_start() once the handshake is done (connection_made of the
 * app protocol runs then).
 */
#ifndef WEFT_NET_INT_H
#define WEFT_NET_INT_H

#include "weft/net.h"
#include "loop/loop_int.h"

/* Default water marks (asyncio: 64 KiB high, high / 4 low). */
#define WEFT__HIGH_WATER_DEFAULT (64u * 1024u)

/* Size of the per-thread scratch buffer that socket reads go into before
 * data_received (so an idle connection holds no read buffer of its own). */
#define WEFT__READ_SCRATCH (64u * 1024u)

struct weft__transport_ops {
    const char *kind; /* "tcp", "unix", "pipe", "memory", "tls" */

    /* Send what the lower level takes now, buffer the rest. Only called while
     * writing is allowed (not closing, no write_eof yet) with >= 1 byte in
     * total. Returns 0, or a negative error after which the transport has
     * already begun to fail (it called weft__transport_fail()). */
    int (*writev)(weft_transport *t, const struct iovec *iov, int iovcnt);

    /* Queue a file range after the buffered bytes; NULL: -ENOTSUP. */
    int (*sendfile)(weft_transport *t, int fd, off_t offset, size_t count);

    /* Send EOF once the buffer has drained; NULL: -ENOTSUP. */
    int (*write_eof)(weft_transport *t);

    /* Bytes accepted by writev/sendfile and not yet handed further down. */
    size_t (*write_buffer_size)(const weft_transport *t);

    /* Start or stop delivering incoming data. Called by the base only when
     * the effective state changes (after connection_made, with the user's
     * pause/resume, after EOF, when closing). */
    void (*set_reading)(weft_transport *t, bool on);

    /* Graceful close: flush, then release and report weft__transport_lost(t, 0)
     * (or the flush error). Called once; reading is already off. */
    void (*close)(weft_transport *t);
    /* Release now, drop buffers, report weft__transport_lost(t, 0). Called
     * once, possibly after close. */
    void (*abort)(weft_transport *t);

    /* Extra info; NULL: -1 / -ENOTSOCK. */
    int (*fd)(const weft_transport *t);
    int (*peername)(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len);
    int (*sockname)(const weft_transport *t, struct sockaddr_storage *ss, socklen_t *len);

    /* Free the object (after connection_lost has returned). */
    void (*destroy)(weft_transport *t);
};

enum {
    WEFT__T_STARTED   = 1u << 0,  /* has a protocol; connection_made queued */
    WEFT__T_MADE      = 1u << 1,  /* connection_made has run */
    WEFT__T_CLOSING   = 1u << 2,  /* close() or abort() called, or failing */
    WEFT__T_ABORTED   = 1u << 3,  /* ops->abort called */
    WEFT__T_EOF_SENT  = 1u << 4,  /* write_eof() called */
    WEFT__T_EOF_RECV  = 1u << 5,  /* eof_received delivered (or queued) */
    WEFT__T_LOST      = 1u << 6,  /* the end was reported (lost_call queued) */
    WEFT__T_PAUSED_R  = 1u << 7,  /* the user paused reading */
    WEFT__T_PAUSED_W  = 1u << 8,  /* the protocol was told pause_writing */
    WEFT__T_READING   = 1u << 9,  /* ops->set_reading(true) is in effect */
    WEFT__T_CAN_READ  = 1u << 10, /* the kind can read at all */
    WEFT__T_CAN_WRITE = 1u << 11, /* the kind can write at all */
    WEFT__T_IN_LOST   = 1u << 12, /* connection_lost is running */
    WEFT__T_CLOSE_CALLED = 1u << 13, /* ops->close called */
};

struct weft_transport {
    const struct weft__transport_ops *ops;
    weft_loop *loop;
    const weft_protocol *proto;
    void *proto_ud;
    unsigned flags;          /* WEFT__T_* */
    int lost_err;            /* what connection_lost gets */
    size_t high, low;        /* write water marks */
    struct weft__call call;  /* connection_made, then connection_lost */
    char *peer_str;          /* weft_transport_peer_str(), made on demand */

    /* Accepted by a server: linked in its list so that it can count, close
     * or abort its connections; NULL otherwise. */
    weft_server *server;
    weft_transport *srv_prev, *srv_next;
};

/* Set up the base part. proto may be NULL (the transport waits for
 * weft_transport_set_protocol). can_read / can_write: what the kind allows. */
void weft__transport_init(weft_transport *t, const struct weft__transport_ops *ops,
                          weft_loop *loop, bool can_read, bool can_write);

/* The connection is up: if a protocol is set, queue connection_made and
 * start reading after it; otherwise wait for set_protocol. */
void weft__transport_start(weft_transport *t, const weft_protocol *proto, void *ud);

/* Incoming bytes / the peer's EOF, from the implementation. deliver is a
 * no-op once closing (data after close() is dropped, as in asyncio). After
 * eof the base turns reading off and, unless the protocol keeps the
 * transport half-open, closes it. */
void weft__transport_deliver(weft_transport *t, const void *data, size_t len);
void weft__transport_eof(weft_transport *t);

/* Zero-copy receive for implementations that read from an fd: returns where
 * to read up to *len bytes (the protocol's get_buffer, else the per-thread
 * scratch buffer; *direct says which). After the read, give the count (>= 1)
 * to weft__transport_received(). */
void *weft__transport_read_buffer(weft_transport *t, size_t *len, bool *direct);
void weft__transport_received(weft_transport *t, void *buf, size_t n, bool direct);

/* The write buffer shrank (after a flush): may call resume_writing. */
void weft__transport_write_drained(weft_transport *t);

/* The connection is over (its resources are released or will be by
 * destroy): queue connection_lost(err) once. Later calls are ignored. */
void weft__transport_lost(weft_transport *t, int err);

/* A fatal error (from the implementation): mark closing, turn reading off
 * and abort through ops->abort with err as connection_lost's argument. */
void weft__transport_fail(weft_transport *t, int err);

/* Per-thread scratch read buffer (WEFT__READ_SCRATCH bytes). */
void *weft__read_scratch(void);

/* ------------------------------------------------ fd transports (fd.c) */

/* Wrap an fd (socket or pipe) in a transport; the base is not started. kind
 * names it ("tcp", "unix", "pipe"). On failure the fd is closed unless KEEP. */
int weft__fd_transport_new(weft_loop *loop, int fd, unsigned flags, const char *kind,
                           weft_transport **out);

/* ------------------------------------------------ servers (server.c) */

/* Link / unlink an accepted transport in its server's list. */
void weft__server_conn_add(weft_server *srv, weft_transport *t);
void weft__server_conn_remove(weft_transport *t);

/* Stream servers plug their per-connection tasks into shutdown through these
 * hooks (set once, right after the server is made). */
struct weft__server_hooks {
    /* Cancel every handler task still running (shutdown past its grace). */
    void (*cancel_all)(weft_server *srv, void *ud);
    /* How many handler tasks are still alive. */
    size_t (*alive)(weft_server *srv, void *ud);
    /* The server struct is being freed (no connection or task is left). */
    void (*destroy)(void *ud);
    void *ud;
};
void weft__server_set_hooks(weft_server *srv, const struct weft__server_hooks *hooks);
/* A handler task ended: wakes wait_closed / shutdown waiters. */
void weft__server_notify(weft_server *srv);
/* Keep the server struct alive (a handler task holds one). */
void weft__server_ref(weft_server *srv);
void weft__server_unref(weft_server *srv);

/* ------------------------------------------------ name resolution (addr.c) */

/* Addresses of host:port for connecting (passive = false) or binding
 * (passive = true: NULL/"" host means every interface). Literals, localhost
 * and the wildcard are answered at once; names go to the loop's default
 * resolver (weft_getaddrinfo). @suspends for names. On success *out is a
 * malloc'd array of *n addresses (free it). Errors: WEFT_EDNS_*, -ENOMEM,
 * -ECANCELED, -ETIMEDOUT. */
int weft__resolve(const char *host, uint16_t port, int family, bool passive,
                  struct sockaddr_storage **out, size_t *n);

/* Same without a task: literals, "localhost" and NULL/"" only; names give
 * -EINVAL. Never blocks. */
int weft__resolve_literal(const char *host, uint16_t port, int family, bool passive,
                          struct sockaddr_storage **out, size_t *n);

#endif
