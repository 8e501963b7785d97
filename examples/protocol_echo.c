/*
 * protocol_echo.c - an echo server with the Transport/Protocol API (row 7
 * of EXAMPLES.md): asyncio.Protocol's connection_made / data_received /
 * connection_lost, served by loop.create_server.
 *
 *     protocol_echo [host [port]]      (localhost 8888 by default; port 0 picks one)
 *
 * Runs until SIGINT or SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

/* class EchoProtocol(asyncio.Protocol): one per connection ("self"). */
struct echo_protocol {
    weft_transport *transport;
};

static void connection_made(weft_transport *transport, void *ud)
{
    struct echo_protocol *self = ud;
    self->transport = transport;
    printf("Connection from %s\n", weft_transport_peer_str(transport));
}

static void data_received(weft_transport *transport, const void *data, size_t len, void *ud)
{
    struct echo_protocol *self = ud;
    char shown[1024]; /* long messages are cut, with ... */
    weft_repr(data, len, shown, sizeof shown);
    printf("Received: %s\n", shown);
    weft_transport_write(self->transport, data, len);
}

static void connection_lost(weft_transport *transport, int err, void *ud)
{
    printf("Connection closed\n");
    free(ud);
}

static const weft_protocol EchoProtocol = {
    .connection_made = connection_made,
    .data_received = data_received,
    .connection_lost = connection_lost,
};

/* The protocol factory: the class itself, in Python. */
static const weft_protocol *new_echo_protocol(weft_server *server, weft_transport *t, void *ud,
                                              void **self)
{
    *self = calloc(1, sizeof(struct echo_protocol));
    return *self ? &EchoProtocol : NULL;
}

struct args {
    const char *host;
    uint16_t port;
};

static void stop(void *server)
{
    weft_server_close(server);
}

static int amain(void *arg)
{
    struct args *a = arg;
    weft_server *server;
    int rc = weft_tcp_server_create(a->host, a->port, NULL, new_echo_protocol, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "create_server: %s\n", weft_strerror(rc));
        return rc;
    }
    printf("Serving on port %d\n", weft_server_port(server));

    weft_loop_add_signal_handler(weft_loop_current(), SIGINT, stop, server);
    weft_loop_add_signal_handler(weft_loop_current(), SIGTERM, stop, server);
    rc = weft_server_serve_forever(server); /* async with server: await server.serve_forever() */
    weft_server_close_clients(server);
    weft_server_wait_closed(server);
    weft_server_free(server);
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct args a = {
        .host = argc > 1 ? argv[1] : "localhost",
        .port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 8888),
    };
    return weft_run(amain, &a) == 0 ? 0 : 1;
}
