/*
 * tcp_client.c - a TCP client with streams (row 4 of EXAMPLES.md):
 * asyncio.open_connection, write, drain, read, close, wait_closed.
 *
 *     tcp_client [message [host [port]]]   ("Hello, Server!" to localhost 8888)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

struct args {
    const char *message, *host;
    uint16_t port;
};

static int tcp_client(void *arg)
{
    struct args *a = arg;
    weft_stream *s;
    int rc = weft_stream_open_connection(a->host, a->port, NULL, &s);
    if (rc < 0) {
        fprintf(stderr, "open_connection: %s\n", weft_strerror(rc));
        return rc;
    }

    char shown[4200];
    weft_repr(a->message, strlen(a->message), shown, sizeof shown);
    printf("Sending: %s\n", shown);
    weft_stream_write(s, a->message, strlen(a->message));
    rc = weft_stream_drain(s);

    char data[1024];
    int n = rc ? rc : weft_stream_read(s, data, sizeof data);
    if (n < 0) {
        fprintf(stderr, "read: %s\n", weft_strerror(n));
        weft_stream_close(s);
        return n;
    }
    weft_repr(data, (size_t)n, shown, sizeof shown);
    printf("Received: %s\n", shown);

    return weft_stream_close(s); /* writer.close(); await writer.wait_closed() */
}

int main(int argc, char **argv)
{
    struct args a = {
        .message = argc > 1 ? argv[1] : "Hello, Server!",
        .host = argc > 2 ? argv[2] : "localhost",
        .port = (uint16_t)(argc > 3 ? atoi(argv[3]) : 8888),
    };
    return weft_run(tcp_client, &a) == 0 ? 0 : 1;
}
