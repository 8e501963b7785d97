/*
 * sock_int.h - fd helpers shared by the raw socket calls and subprocess pipes.
 */
#ifndef WEFT_SOCK_INT_H
#define WEFT_SOCK_INT_H

#include <stdbool.h>
#include <sys/types.h>

/* write(2) that reports EPIPE without raising SIGPIPE, for pipes, where
 * MSG_NOSIGNAL does not exist. SIGPIPE is blocked in this thread for the
 * call, and one it caused is taken off the pending set before unblocking;
 * the process-wide disposition is never touched. */
ssize_t weft__write_nosigpipe(int fd, const void *buf, size_t n);
/* sendfile(2) the same way (a reset peer makes it raise SIGPIPE: it has no
 * MSG_NOSIGNAL). Costs four system calls more than sendfile(2): callers
 * first ask weft__sigpipe_ignored() (one) and call sendfile(2) directly
 * when the process ignores SIGPIPE anyway, as servers usually do. */
ssize_t weft__sendfile_nosigpipe(int out_fd, int in_fd, off_t *offset, size_t n);
bool weft__sigpipe_ignored(void);

#endif
