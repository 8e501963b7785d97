/*
 * sock.c - coroutine waits on fds the caller owns (weft/sock.h).
 *
 * Each call first tries the syscall; only on EAGAIN does it wait. A wait
 * parks the task on a small per-fd record holding at most one reader and one
 * writer, found through the loop's fd table, so that a task reading and
 * another writing the same socket share one epoll registration. The record
 * and its watcher exist only while someone waits: the caller may close the
 * fd between calls, and the number may be reused, without weft holding stale
 * state about it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "weft/sock.h"
#include "coro/coro_int.h"
#include "net/sock_int.h"

struct fdwait;

struct fdwaiter {
    struct weft__wait w;      /* first: the unhook casts back */
    struct fdwait *fw;
    unsigned events;          /* WEFT_READABLE or WEFT_WRITABLE */
};

struct fdwait {
    weft_io *io;
    struct fdwaiter *reader, *writer;
};

static void fdwait_io_cb(weft_io *io, unsigned events, void *ud);

/* Recompute interest; free the record when nobody waits any more. */
static void fdwait_update(struct fdwait *fw)
{
    unsigned want = (fw->reader ? WEFT_READABLE : 0u) | (fw->writer ? WEFT_WRITABLE : 0u);
    if (!want) {
        weft_io_close(fw->io);
        free(fw);
        return;
    }
    weft_io_watch(fw->io, want);
}

static void fdwait_io_cb(weft_io *io, unsigned events, void *ud)
{
    struct fdwait *fw = ud;
    unsigned hup = events & WEFT_HANGUP;
    /* An error or hang-up wakes both sides: their syscall will report it. */
    if (fw->reader && (events & (WEFT_READABLE | WEFT_HANGUP))) {
        struct fdwaiter *r = fw->reader;
        fw->reader = NULL;
        weft__task_wake(&r->w, (int)(WEFT_READABLE | hup));
    }
    if (fw->writer && (events & (WEFT_WRITABLE | WEFT_HANGUP))) {
        struct fdwaiter *wr = fw->writer;
        fw->writer = NULL;
        weft__task_wake(&wr->w, (int)(WEFT_WRITABLE | hup));
    }
    fdwait_update(fw);
}

static void fdwaiter_unhook(struct weft__wait *w)
{
    struct fdwaiter *fwr = (struct fdwaiter *)w;
    struct fdwait *fw = fwr->fw;
    if (fw->reader == fwr)
        fw->reader = NULL;
    if (fw->writer == fwr)
        fw->writer = NULL;
    fdwait_update(fw);
}

/* Park the current task until fd has `events` (one of READABLE/WRITABLE).
 * Returns the events seen, or -errno / -ECANCELED / -ETIMEDOUT. */
static int wait_fd(int fd, unsigned events)
{
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    int err = weft__task_check(t);
    if (err)
        return err;
    weft_loop *loop = weft__current_loop;
    struct fdwait *fw = NULL;
    if (fd < 0)
        return -EBADF;
    if (fd < loop->io_cap && loop->io_by_fd[fd]) {
        weft_io *io = loop->io_by_fd[fd];
        if (io->cb != fdwait_io_cb)
            return -EBUSY; /* a transport or another watcher owns this fd */
        fw = io->ud;
    } else {
        fw = calloc(1, sizeof *fw);
        if (!fw)
            return -ENOMEM;
        err = weft_io_open(loop, fd, fdwait_io_cb, fw, &fw->io);
        if (err) {
            free(fw);
            return err;
        }
    }
    struct fdwaiter me = {.w.unhook = fdwaiter_unhook, .fw = fw, .events = events};
    struct fdwaiter **slot = events == WEFT_READABLE ? &fw->reader : &fw->writer;
    if (*slot)
        return -EBUSY; /* fw already has a waiter, so it stays alive */
    *slot = &me;
    err = weft_io_watch(fw->io, (fw->reader ? WEFT_READABLE : 0u) |
                                    (fw->writer ? WEFT_WRITABLE : 0u));
    if (err) {
        *slot = NULL;
        fdwait_update(fw);
        return err;
    }
    return weft__task_wait(&me.w);
}

int weft_fd_wait(int fd, unsigned events)
{
    if (events != WEFT_READABLE && events != WEFT_WRITABLE)
        return -EINVAL;
    return wait_fd(fd, events);
}

static int check_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    return (fl & O_NONBLOCK) ? 0 : -EINVAL;
}

int weft_sock_accept(int fd, struct sockaddr_storage *addr, socklen_t *addrlen)
{
    if (!weft__current_task)
        return -EPERM;
    int err = check_nonblocking(fd);
    if (err)
        return err;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        int c = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            if (addr)
                *addr = ss;
            if (addrlen)
                *addrlen = len;
            return c;
        }
        /* The connection died in the queue: wait for the next one. */
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        err = wait_fd(fd, WEFT_READABLE);
        if (err < 0)
            return err;
    }
}

int weft_sock_connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    if (!weft__current_task)
        return -EPERM;
    int err = check_nonblocking(fd);
    if (err)
        return err;
    if (connect(fd, addr, addrlen) == 0)
        return 0;
    /* EINTR on a non-blocking connect also means "in progress". */
    if (errno != EINPROGRESS && errno != EINTR)
        return -errno;
    err = wait_fd(fd, WEFT_WRITABLE);
    if (err < 0)
        return err;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        return -errno;
    return -soerr;
}

static size_t clamp(size_t n)
{
    return n > INT_MAX ? INT_MAX : n;
}

int weft_sock_recv(int fd, void *buf, size_t n)
{
    if (!weft__current_task)
        return -EPERM;
    for (;;) {
        ssize_t r = recv(fd, buf, clamp(n), MSG_DONTWAIT);
        if (r >= 0)
            return (int)r;
        if (errno == EINTR)
            continue;
        if (errno == ENOTSOCK) { /* a pipe or tty: read() has the same meaning */
            r = read(fd, buf, clamp(n));
            if (r >= 0)
                return (int)r;
            if (errno == EINTR)
                continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int err = wait_fd(fd, WEFT_READABLE);
        if (err < 0)
            return err;
    }
}

static ssize_t send_some(int fd, const void *buf, size_t n)
{
    ssize_t r = send(fd, buf, clamp(n), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0 && errno == ENOTSOCK)
        r = weft__write_nosigpipe(fd, buf, clamp(n));
    return r;
}

int weft_sock_send(int fd, const void *buf, size_t n)
{
    if (!weft__current_task)
        return -EPERM;
    for (;;) {
        ssize_t r = send_some(fd, buf, n);
        if (r >= 0)
            return (int)r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int err = wait_fd(fd, WEFT_WRITABLE);
        if (err < 0)
            return err;
    }
}

int weft_sock_sendall(int fd, const void *buf, size_t n, size_t *sent)
{
    size_t off = 0;
    int err = 0;
    if (!weft__current_task) {
        err = -EPERM;
        goto out;
    }
    while (off < n) {
        ssize_t r = send_some(fd, (const char *)buf + off, n - off);
        if (r >= 0) {
            off += (size_t)r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            err = -errno;
            break;
        }
        err = wait_fd(fd, WEFT_WRITABLE);
        if (err < 0)
            break;
        err = 0;
    }
out:
    if (sent)
        *sent = off;
    return err;
}

int weft_sock_recvfrom(int fd, void *buf, size_t n, struct sockaddr_storage *addr,
                       socklen_t *addrlen)
{
    if (!weft__current_task)
        return -EPERM;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        ssize_t r = recvfrom(fd, buf, clamp(n), MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
        if (r >= 0) {
            if (addr)
                *addr = ss;
            if (addrlen)
                *addrlen = len;
            return (int)r;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int err = wait_fd(fd, WEFT_READABLE);
        if (err < 0)
            return err;
    }
}

int weft_sock_sendto(int fd, const void *buf, size_t n, const struct sockaddr *addr,
                     socklen_t addrlen)
{
    if (!weft__current_task)
        return -EPERM;
    for (;;) {
        ssize_t r = sendto(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, addr, addrlen);
        if (r >= 0)
            return (int)r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int err = wait_fd(fd, WEFT_WRITABLE);
        if (err < 0)
            return err;
    }
}
