/*
 * https_server.c - an HTTPS server with a certificate chain (the C twin of
 * "HTTPS Server with SSL", seeds/004):
 *
 *     ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
 *     ctx.load_cert_chain('cert.pem', 'key.pem')
 *     server = await asyncio.start_server(handle_request, 'localhost', 8443, ssl=ctx)
 *
 * Usage: https_server --cert CHAIN.pem --key KEY.pem [--port N]
 * (CHAIN.pem: the server certificate first, then its intermediates.)
 * Port 0 picks a free one; the line "HTTPS server on https://localhost:PORT"
 * says which. SIGINT / SIGTERM stop it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static int handle_request(weft_stream *s, void *ud)
{
    char request[1024];
    int n = weft_stream_read(s, request, sizeof request);
    if (n <= 0)
        return n;
    static const char body[] = "<html><body><h1>Hello HTTPS!</h1></body></html>";
    char response[256];
    int len = snprintf(response, sizeof response,
                       "HTTP/1.1 200 OK\r\n"
                       "Content-Type: text/html\r\n"
                       "Content-Length: %zu\r\n"
                       "Connection: close\r\n\r\n%s", sizeof body - 1, body);
    weft_stream_write(s, response, (size_t)len);
    weft_stream_drain(s);
    return 0; /* the server closes the stream: close_notify, then FIN */
}

struct opts {
    const char *cert, *key;
    int port;
};

static void on_signal(void *ud)
{
    weft_server_close(ud);
}

static int main_task(void *arg)
{
    struct opts *o = arg;
    weft_tls_ctx *ctx;
    if (weft_tls_ctx_new(WEFT_TLS_SERVER, &ctx) < 0)
        return 1;
    if (weft_tls_ctx_load_cert_chain(ctx, o->cert, o->key) < 0) {
        fprintf(stderr, "https_server: %s\n", weft_tls_ctx_errdetail(ctx));
        weft_tls_ctx_free(ctx);
        return 1;
    }
    weft_tls_ctx_set_alpn(ctx, "http/1.1");
    weft_server *srv;
    int r = weft_tls_stream_server_open(NULL, "localhost", (uint16_t)o->port, NULL, ctx, NULL,
                                        handle_request, NULL, &srv);
    weft_tls_ctx_free(ctx); /* the server holds its own reference */
    if (r < 0) {
        fprintf(stderr, "https_server: %s\n", weft_strerror(r));
        return 1;
    }
    printf("HTTPS server on https://localhost:%d\n", weft_server_port(srv));
    fflush(stdout);
    weft_loop *loop = weft_loop_current();
    weft_loop_add_signal_handler(loop, SIGINT, on_signal, srv);
    weft_loop_add_signal_handler(loop, SIGTERM, on_signal, srv);
    weft_server_serve_forever(srv);
    weft_server_shutdown(srv, WEFT_SEC(2));
    weft_loop_remove_signal_handler(loop, SIGINT);
    weft_loop_remove_signal_handler(loop, SIGTERM);
    weft_server_free(srv);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = { NULL, NULL, 8443 };
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--cert") == 0)
            o.cert = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            o.key = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            o.port = atoi(argv[i + 1]);
    }
    if (!o.cert || !o.key) {
        fprintf(stderr, "usage: %s --cert CHAIN.pem --key KEY.pem [--port N]\n", argv[0]);
        return 2;
    }
    return weft_run(main_task, &o);
}
