/*
 * echo_server.c - a TCP echo server with streams (row 3 of EXAMPLES.md):
 * asyncio.start_server, reader.read, writer.write, drain, and the same log
 * lines as the Python.
 *
 *     echo_server [host [port]]      (localhost 8888 by default; port 0 picks one)
 *
 * Runs until SIGINT or SIGTERM, then stops accepting and gives the clients
 * 5 s to finish.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

static int handle_client(weft_stream *s, void *ud)
{
    const char *addr = weft_stream_peer_str(s);
    printf("Connected: %s\n", addr);

    char data[1024], message[4 * sizeof data + 8];
    int n;
    while ((n = weft_stream_read(s, data, sizeof data)) > 0) {
        weft_repr(data, (size_t)n, message, sizeof message);
        printf("Received: %s from %s\n", message, addr);
        weft_stream_write(s, data, (size_t)n);
        if (weft_stream_drain(s) != 0)
            break; /* the client went away */
    }

    printf("Disconnected: %s\n", addr);
    return weft_stream_close(s); /* writer.close(); await writer.wait_closed() */
}

struct args {
    const char *host;
    uint16_t port;
};

static void stop(void *server)
{
    weft_server_close(server); /* serve_forever returns */
}

static int amain(void *arg)
{
    struct args *a = arg;
    weft_server *server;
    int rc = weft_stream_start_server(a->host, a->port, NULL, handle_client, NULL, &server);
    if (rc < 0) {
        fprintf(stderr, "start_server: %s\n", weft_strerror(rc));
        return rc;
    }
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    char where[80];
    weft_server_sockname(server, 0, &addr, &len); /* server.sockets[0].getsockname() */
    weft_addr_format_py((struct sockaddr *)&addr, where, sizeof where);
    printf("Serving on %s\n", where);

    weft_loop_add_signal_handler(weft_loop_current(), SIGINT, stop, server);
    weft_loop_add_signal_handler(weft_loop_current(), SIGTERM, stop, server);
    rc = weft_server_serve_forever(server);
    if (rc == 0)
        rc = weft_server_shutdown(server, WEFT_SEC(5)); /* async with server: ... */
    weft_server_free(server);
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* one log line at a time, even into a pipe */
    struct args a = {
        .host = argc > 1 ? argv[1] : "localhost",
        .port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 8888),
    };
    return weft_run(amain, &a) == 0 ? 0 : 1;
}
