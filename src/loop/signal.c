/*
 * signal.c - signal handlers that run as ordinary loop callbacks.
 *
 * Signals are blocked in the calling thread and read from a signalfd, so a
 * handler may do anything a callback may (close servers, stop the loop)
 * instead of only async-signal-safe things.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "loop/loop_int.h"

static struct weft__signal *find(weft_loop *loop, int signo)
{
    for (int i = 0; i < loop->nsignals; i++)
        if (loop->signals[i].signo == signo)
            return &loop->signals[i];
    return NULL;
}

static int update_fd(weft_loop *loop)
{
    int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (loop->sigfd < 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &weft__signal_tag};
        if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            int err = -errno;
            close(fd);
            return err;
        }
        loop->sigfd = fd;
    }
    return 0;
}

int weft_loop_add_signal_handler(weft_loop *loop, int signo, weft_cb cb, void *ud)
{
    if (!loop || !cb || signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP)
        return -EINVAL;
    if (find(loop, signo))
        return -EEXIST;
    struct weft__signal *tab = realloc(loop->signals, (size_t)(loop->nsignals + 1) * sizeof *tab);
    if (!tab)
        return -ENOMEM;
    loop->signals = tab;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    int err = pthread_sigmask(SIG_BLOCK, &one, NULL);
    if (err)
        return -err;
    sigaddset(&loop->sigmask, signo);
    err = update_fd(loop);
    if (err) {
        sigdelset(&loop->sigmask, signo);
        return err;
    }
    tab[loop->nsignals++] = (struct weft__signal){.signo = signo, .cb = cb, .ud = ud};
    return 0;
}

int weft_loop_remove_signal_handler(weft_loop *loop, int signo)
{
    struct weft__signal *s = find(loop, signo);
    if (!s)
        return -ENOENT;
    *s = loop->signals[--loop->nsignals];
    sigdelset(&loop->sigmask, signo);
    update_fd(loop);
    /* Unblock so the default action applies again, as before the handler. */
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, signo);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    return 0;
}

void weft__signal_dispatch(weft_loop *loop)
{
    struct signalfd_siginfo si;
    while (read(loop->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        struct weft__signal *s = find(loop, (int)si.ssi_signo);
        if (s)
            s->cb(s->ud);
    }
}

void weft__signal_close(weft_loop *loop)
{
    while (loop->nsignals)
        weft_loop_remove_signal_handler(loop, loop->signals[0].signo);
    free(loop->signals);
    loop->signals = NULL;
    if (loop->sigfd >= 0) {
        close(loop->sigfd);
        loop->sigfd = -1;
    }
}
