/*
 * sock_int.h - fd helpers shared by the raw socket calls and subprocess pipes.
 */
#ifndef WEFT_SOCK_INT_H
#define WEFT_SOCK_INT_H

#include <sys/types.h>

/* write(2) that reports EPIPE without raising SIGPIPE, for pipes, where
 * MSG_NOSIGNAL does not exist. SIGPIPE is blocked in this thread for the
 * call, and one it caused is taken off the pending set before unblocking;
 * the process-wide disposition is never touched. */
ssize_t weft__write_nosigpipe(int fd, const void *buf, size_t n);
/* sendfile(2) the same way (a reset peer makes it raise SIGPIPE: it has no
 * MSG_NOSIGNAL). When the process ignores SIGPIPE anyway, as servers usually
 * do, it is sendfile(2) plus one sigaction(2) to find that out; otherwise
 * four system calls more. */
ssize_t weft__sendfile_nosigpipe(int out_fd, int in_fd, off_t *offset, size_t n);

#endif
