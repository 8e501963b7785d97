/*
 * udp_echo.c - a UDP echo server with a datagram protocol (asyncio's
 * create_datagram_endpoint + DatagramProtocol; row 6 of EXAMPLES.md).
 *
 *     udp_echo [port [max_datagrams]]   (port 9999 by default; 0 picks one)
 *
 * Runs until SIGINT / SIGTERM, or until it has echoed max_datagrams.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

struct echo {
    uint16_t port;
    long served, max;
    weft_future *done;
};

static void datagram_received(weft_udp *u, const void *data, size_t len,
                              const struct sockaddr *addr, socklen_t addrlen, void *ud)
{
    struct echo *e = ud;
    char who[80];
    weft_addr_format_py(addr, who, sizeof who); /* ('127.0.0.1', 5000) */
    printf("Received '%.*s' from %s\n", (int)len, (const char *)data, who);
    fflush(stdout);
    weft_udp_send_datagram(u, data, len, addr, addrlen);
    if (++e->served == e->max)
        weft_future_set_result(e->done, 0, NULL);
}

static const weft_udp_protocol echo_protocol = {
    .datagram_received = datagram_received,
};

static void on_signal(void *ud)
{
    struct echo *e = ud;
    if (!weft_future_done(e->done))
        weft_future_set_result(e->done, 0, NULL);
}

static int run(void *arg)
{
    struct echo *e = arg;
    weft_future_new(NULL, &e->done);
    weft_loop_add_signal_handler(weft_loop_current(), SIGINT, on_signal, e);
    weft_loop_add_signal_handler(weft_loop_current(), SIGTERM, on_signal, e);

    weft_udp_opts opts = {.local_host = "localhost", .local_port = e->port};
    weft_udp *transport;
    int rc = weft_udp_open(NULL, &opts, &echo_protocol, e, &transport);
    if (rc < 0) {
        fprintf(stderr, "udp_echo: %s\n", weft_strerror(rc));
        weft_future_unref(e->done);
        return rc;
    }
    printf("UDP server listening on localhost:%d\n", weft_udp_port(transport));
    fflush(stdout);

    rc = weft_future_await(e->done, NULL); /* asyncio.sleep(3600), until told to stop */
    weft_udp_close(transport);
    weft_future_unref(e->done);
    return rc;
}

int main(int argc, char **argv)
{
    struct echo e = {
        .port = (uint16_t)(argc > 1 ? atoi(argv[1]) : 9999),
        .max = argc > 2 ? atol(argv[2]) : 0,
    };
    return weft_run(run, &e) == 0 ? 0 : 1;
}
