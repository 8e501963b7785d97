/*
 * sock_echo.c - an echo server on a socket we make ourselves, with the
 * low-level coroutine calls (asyncio's loop.sock_accept / sock_recv /
 * sock_sendall; row 5 of EXAMPLES.md).
 *
 *     sock_echo [port [max_clients]]     (port 8888 by default; 0 picks one)
 *
 * With max_clients the server stops after serving that many connections
 * (for tests); otherwise it runs until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft.h"

static int handle_client(void *arg)
{
    int conn = (int)(intptr_t)arg;
    char data[1024];
    int n;
    while ((n = weft_sock_recv(conn, data, sizeof data)) > 0)
        if (weft_sock_sendall(conn, data, (size_t)n, NULL) != 0)
            break;
    close(conn);
    return 0;
}

struct server_args {
    uint16_t port;
    int max_clients;
};

static int server(void *arg)
{
    struct server_args *a = arg;
    int sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(a->port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(sock, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(sock, 100) != 0) {
        perror("bind/listen");
        close(sock);
        return 1;
    }
    socklen_t len = sizeof addr;
    getsockname(sock, (struct sockaddr *)&addr, &len);
    printf("Server listening on localhost:%d\n", ntohs(addr.sin_port));
    fflush(stdout);

    weft_group *clients;
    weft_group_new(&clients);
    for (int served = 0; a->max_clients == 0 || served < a->max_clients; served++) {
        struct sockaddr_storage peer;
        int conn = weft_sock_accept(sock, &peer, NULL);
        if (conn < 0) {
            fprintf(stderr, "accept: %s\n", weft_strerror(conn));
            break;
        }
        char who[64];
        weft_addr_format_py((struct sockaddr *)&peer, who, sizeof who); /* ('127.0.0.1', 5000) */
        printf("Connected: %s\n", who);
        fflush(stdout);
        weft_group_spawn(clients, handle_client, (void *)(intptr_t)conn);
    }
    close(sock);
    int rc = weft_group_wait(clients); /* let the last clients finish */
    weft_group_free(clients);
    return rc;
}

int main(int argc, char **argv)
{
    struct server_args a = {
        .port = (uint16_t)(argc > 1 ? atoi(argv[1]) : 8888),
        .max_clients = argc > 2 ? atoi(argv[2]) : 0,
    };
    return weft_run(server, &a) == 0 ? 0 : 1;
}
