/*
 * sigpipe.c - writing to pipes without SIGPIPE (see sock_int.h).
 *
 * A write to a pipe whose reader is gone sends SIGPIPE to the writing
 * thread (so does sendfile(2) to a socket the peer reset: it has no
 * MSG_NOSIGNAL), which kills the process by default. Python hides this by
 * ignoring SIGPIPE process-wide; a library must not change the disposition
 * behind the application's back, so the signal is blocked for the call and,
 * if this call raised it, consumed with sigtimedwait before the mask
 * returns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

#include "net/sock_int.h"

/* Run op (which moves at most n bytes) with SIGPIPE blocked; if it raised
 * the signal, consume it before the mask returns. */
static ssize_t nosigpipe(ssize_t (*op)(void *), void *arg, size_t n)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    /* A SIGPIPE already pending is someone else's: leave it. */
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t r = op(arg);
    int saved = errno;
    /* Not only on EPIPE: a write that the reader's exit cut short, or a
     * sendfile(2) to a peer that reset, raises the signal and still reports
     * the bytes it moved. Ask instead of guessing, but only then: a call
     * that moved all n bytes did not stop for a missing reader, so the
     * common full write costs no sigpending(2) more. */
    if (!was_pending && (r < 0 || (size_t)r < n)) {
        sigpending(&pending);
        static const struct timespec zero = {0, 0};
        if (sigismember(&pending, SIGPIPE))
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                ;
    }
    if (!sigismember(&old, SIGPIPE))
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return r;
}

struct write_args {
    int fd;
    const void *buf;
    size_t n;
};

static ssize_t do_write(void *arg)
{
    struct write_args *a = arg;
    return write(a->fd, a->buf, a->n);
}

ssize_t weft__write_nosigpipe(int fd, const void *buf, size_t n)
{
    struct write_args a = {fd, buf, n};
    return nosigpipe(do_write, &a, n);
}

struct sendfile_args {
    int out, in;
    off_t *off;
    size_t n;
};

static ssize_t do_sendfile(void *arg)
{
    struct sendfile_args *a = arg;
    return sendfile(a->out, a->in, a->off, a->n);
}

static bool sigpipe_ignored(void)
{
    struct sigaction sa;
    return sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

ssize_t weft__sendfile_nosigpipe(int out_fd, int in_fd, off_t *offset, size_t n)
{
    /* A process that ignores SIGPIPE anyway (servers usually do) pays one
     * system call for asking, not four for the mask. */
    if (sigpipe_ignored())
        return sendfile(out_fd, in_fd, offset, n);
    struct sendfile_args a = {out_fd, in_fd, offset, n};
    return nosigpipe(do_sendfile, &a, n);
}
