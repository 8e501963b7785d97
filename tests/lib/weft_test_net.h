/*
 * weft_test_net.h - network helpers for tests.
 */
#ifndef WEFT_TEST_NET_H
#define WEFT_TEST_NET_H

/* A loopback TCP port (127.0.0.1) where connects neither succeed nor fail:
 * its listener never accepts and its accept queue (backlog 0) is already
 * full, so the kernel drops further SYNs and a connect stays in SYN_SENT
 * until it times out. For connect-timeout tests that must not leave
 * loopback. Returns the port (fds[3] receives the listener and the two
 * sockets that fill its queue), or -errno. */
int weft_test_blackhole_open(int fds[3]);
void weft_test_blackhole_close(int fds[3]);

#endif
