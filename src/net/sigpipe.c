/*
 * sigpipe.c - writing to pipes without SIGPIPE (see sock_int.h).
 *
 * A write to a pipe whose reader is gone sends SIGPIPE to the writing
 * thread, which kills the process by default. Python hides this by ignoring
 * SIGPIPE process-wide; a library must not change the disposition behind
 * the application's back, so the signal is blocked for the write and, if
 * this write raised it, consumed with sigtimedwait before the mask returns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "net/sock_int.h"

ssize_t weft__write_nosigpipe(int fd, const void *buf, size_t n)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    /* A SIGPIPE already pending is someone else's: leave it. */
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);
    ssize_t r = write(fd, buf, n);
    int saved = errno;
    if (r < 0 && errno == EPIPE && !was_pending) {
        static const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    if (!sigismember(&old, SIGPIPE))
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return r;
}
