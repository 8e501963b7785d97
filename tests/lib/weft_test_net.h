/*
 * weft_test_net.h - network helpers for tests.
 */
#ifndef WEFT_TEST_NET_H
#define WEFT_TEST_NET_H

/* A socket of the given type (SOCK_STREAM, SOCK_DGRAM) bound to 127.0.0.1
 * on a port the kernel picked: returns the fd (close-on-exec) and sets
 * *port, or -errno. */
int weft_test_bind_loopback(int type, int *port);

/* A port of that type on 127.0.0.1 that was free a moment ago (bound and
 * closed again), or -errno. Another process may take it meanwhile: a
 * server started on it must be retried on a new one when the bind fails. */
int weft_test_free_port(int type);

/* A loopback TCP port (127.0.0.1) where connects neither succeed nor fail:
 * its listener never accepts and its accept queue (backlog 0) is already
 * full, so the kernel drops further SYNs and a connect stays in SYN_SENT
 * until it times out. For connect-timeout tests that must not leave
 * loopback. Returns the port (fds[3] receives the listener and the two
 * sockets that fill its queue), or -errno. */
int weft_test_blackhole_open(int fds[3]);
void weft_test_blackhole_close(int fds[3]);

#endif
