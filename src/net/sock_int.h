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

#endif
