/*
 * http_handler.c - http.server's BaseHTTPRequestHandler with a do_GET, and
 * HTTPServer, optionally wrapped in TLS (the Python notes, seeds/002):
 *
 *     class Handler(BaseHTTPRequestHandler):
 *         def do_GET(self):
 *             self.send_response(200, 'OK')
 *             self.send_header('Content-Type', 'text/plain')
 *             self.end_headers()
 *             self.wfile.write(bytes(f"you asked for {self.path}\n", 'utf-8'))
 *
 *     httpd = HTTPServer(('localhost', 8000), Handler)
 *     httpd.socket = ssl.wrap_socket(httpd.socket, ...)   # with TLS
 *     httpd.serve_forever()
 *
 * weft's handler is one function; it plays BaseHTTPRequestHandler's part of
 * picking do_GET / do_HEAD by method and answering 501 to the rest.
 *
 * Usage: http_handler [--port N] [--tls-cert CHAIN.pem --tls-key KEY.pem]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static int do_GET(weft_web_request *self, weft_web_response *out)
{
    weft_web_response_set_status(out, 200);                       /* send_response */
    weft_web_response_set_header(out, "Content-Type", "text/plain"); /* send_header */
    weft_web_response_prepare(out);                                /* end_headers */
    char line[1024];
    int n = snprintf(line, sizeof line, "you asked for %s\n", weft_web_request_target(self));
    if (n < 0 || n >= (int)sizeof line)
        n = (int)strlen(strcpy(line, "you asked for a long path\n"));
    weft_web_response_write(out, line, (size_t)n);                 /* wfile.write */
    const char *ua = weft_web_request_header(self, "User-Agent");  /* self.headers */
    n = snprintf(line, sizeof line, "your client is %s\n", ua ? ua : "unknown");
    if (n < 0 || n >= (int)sizeof line)
        n = (int)strlen(strcpy(line, "your client has a long name\n"));
    return weft_web_response_write(out, line, (size_t)n);
}

static int handler(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)ud;
    switch (weft_web_request_method_id(req)) {
    case WEFT_H1_METHOD_GET:
    case WEFT_H1_METHOD_HEAD: /* do_HEAD: the same head, the body dropped */
        return do_GET(req, resp);
    default:
        return 501; /* "Unsupported method", as http.server says */
    }
}

static void on_ready(weft_web_server *srv, void *ud)
{
    printf("Serving %s on localhost port %d ...\n", (const char *)ud, weft_web_server_port(srv));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    weft_web_run_opts o = {.host = "localhost", .port = 8000, .on_ready = on_ready};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            o.port = (uint16_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--tls-cert") == 0)
            o.tls_cert = argv[i + 1];
        else if (strcmp(argv[i], "--tls-key") == 0)
            o.tls_key = argv[i + 1];
    }
    if ((argc - 1) % 2 || (!o.tls_cert != !o.tls_key)) {
        fprintf(stderr, "usage: %s [--port N] [--tls-cert CHAIN.pem --tls-key KEY.pem]\n",
                argv[0]);
        return 2;
    }
    o.ud = o.tls_cert ? "HTTPS" : "HTTP";
    weft_web_app *app;
    if (weft_web_app_new(&app) < 0)
        return 1;
    weft_web_app_set_handler(app, handler, NULL);
    int rc = weft_web_run_app(app, &o);
    weft_web_app_free(app);
    if (rc < 0)
        fprintf(stderr, "http_handler: %s\n", weft_strerror(rc));
    return rc < 0;
}
