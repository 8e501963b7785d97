/*
 * weft/sock.h - coroutine helpers for sockets the caller owns (asyncio's
 * loop.sock_accept / sock_connect / sock_recv / sock_sendall).
 *
 * For code that makes and configures its own sockets (socket options weft has
 * no setter for, fds inherited from a supervisor) but wants to wait for them
 * the way a task waits for anything else. The caller keeps owning the fd and
 * closes it; these calls only wait for readiness, with a weft_io watcher that
 * exists for the duration of the wait.
 *
 * Rules:
 *  - fd must be in non-blocking mode (O_NONBLOCK / SOCK_NONBLOCK); accept
 *    and connect return -EINVAL otherwise, as asyncio raises ValueError.
 *  - At most one task may wait to read and one to write on an fd at a time
 *    (a reader and a writer may wait together); a second returns -EBUSY, and
 *    so does any wait on an fd that a transport or stream already watches.
 *  - Every call is @suspends: -EPERM outside a task, -ECANCELED when the task
 *    is cancelled, -ETIMEDOUT past a deadline (weft_timeout_push). An
 *    interrupted call has consumed nothing: no byte was read, no connection
 *    accepted, except sock_sendall, which may have sent part of its buffer
 *    (*sent tells how much).
 *  - Do not close an fd while a task waits on it.
 */
#ifndef WEFT_SOCK_H
#define WEFT_SOCK_H

#include <sys/socket.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* @suspends. Accept a connection on the listening socket fd. Returns the new
 * socket (non-blocking, close-on-exec, owned by the caller) and, when addr is
 * not NULL, stores the peer's address there (*addrlen, if not NULL, gets its
 * length). -EINVAL if fd is blocking; other accept4() errors as -errno
 * (-EMFILE leaves the pending connection queued). */
int weft_sock_accept(int fd, struct sockaddr_storage *addr, socklen_t *addrlen);

/* @suspends. Connect the non-blocking socket fd to addr and wait until the
 * connection is established: 0, or -errno (-ECONNREFUSED, -ENETUNREACH...).
 * Interrupted (-ECANCELED, -ETIMEDOUT), the socket is left half-connected:
 * close it. */
int weft_sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen);

/* @suspends. Receive up to n bytes (at most INT_MAX): returns the count,
 * 0 at end of stream, or -errno. Waits only while nothing is readable. */
int weft_sock_recv(int fd, void *buf, size_t n);

/* @suspends. Send some of buf (one send(), after waiting for room):
 * returns the count sent (> 0) or -errno. */
int weft_sock_send(int fd, const void *buf, size_t n);

/* @suspends. Send all n bytes, waiting for room as often as needed. Returns 0
 * or -errno (-EPIPE, -ECONNRESET, -ECANCELED...). If sent is not NULL it gets
 * the number of bytes sent, also on failure. SIGPIPE is never raised
 * (MSG_NOSIGNAL). */
int weft_sock_sendall(int fd, const void *buf, size_t n, size_t *sent);

/* @suspends. Datagram forms: recvfrom returns the datagram's length (or the
 * part of it that fit in buf; MSG_TRUNC is not reported) and its sender;
 * sendto sends one datagram whole and returns its length. */
int weft_sock_recvfrom(int fd, void *buf, size_t n, struct sockaddr_storage *addr,
                       socklen_t *addrlen);
int weft_sock_sendto(int fd, const void *buf, size_t n, const struct sockaddr *addr,
                     socklen_t addrlen);

/* @suspends. Wait until fd is readable (WEFT_READABLE) or writable
 * (WEFT_WRITABLE), for fds of any kind (pipes, eventfds, ttys). Returns the
 * events seen (with WEFT_HANGUP when the peer hung up or the fd has an
 * error) or -errno. */
int weft_fd_wait(int fd, unsigned events);

#ifdef __cplusplus
}
#endif
#endif
