/*
 * http_routes.c - the "Simple HTTP Server" of the Python notes (seeds/004):
 * routes /, /about and a 404, first as one plain handler that does its own
 * dispatch (the Python's if/elif), then with weft's router (--router).
 *
 *     if path == '/':        body = b"<h1>Home</h1>"
 *     elif path == '/about': body = b"<h1>About</h1>"
 *     else:                  body = b"<h1>404 Not Found</h1>"; status = "404 Not Found"
 *
 * Usage: http_routes [--router] [--port N]    (port 0: a free one; SIGINT stops)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

/* ------------------------------------------------- as one plain handler */

static int handle_http(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)ud;
    const char *method = weft_web_request_method(req), *path = weft_web_request_path(req);
    printf("%s %s\n", method, path);
    fflush(stdout);
    const char *body;
    if (strcmp(path, "/") == 0) {
        body = "<h1>Home</h1>";
    } else if (strcmp(path, "/about") == 0) {
        body = "<h1>About</h1>";
    } else {
        body = "<h1>404 Not Found</h1>";
        weft_web_response_set_status(resp, 404);
    }
    return weft_web_response_send_text(resp, "text/html", body);
}

/* ---------------------------------------------------------- with a router */

static int home(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    return weft_web_response_send_text(resp, "text/html", "<h1>Home</h1>");
}

static int about(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    return weft_web_response_send_text(resp, "text/html", "<h1>About</h1>");
}

static int not_found(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    weft_web_response_set_status(resp, 404);
    return weft_web_response_send_text(resp, "text/html", "<h1>404 Not Found</h1>");
}

/* Every request, whichever way it was routed: the Python's print. */
static void log_request(weft_web_request *req, weft_web_response *resp, int result, void *ud)
{
    (void)resp;
    (void)result;
    (void)ud;
    printf("%s %s\n", weft_web_request_method(req), weft_web_request_path(req));
    fflush(stdout);
}

static void on_ready(weft_web_server *srv, void *ud)
{
    (void)ud;
    printf("HTTP server on http://localhost:%d\n", weft_web_server_port(srv));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    bool router = false;
    weft_web_run_opts o = {.host = "localhost", .port = 8080, .on_ready = on_ready};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--router") == 0)
            router = true;
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            o.port = (uint16_t)atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--router] [--port N]\n", argv[0]);
            return 2;
        }
    }
    weft_web_app *app;
    if (weft_web_app_new(&app) < 0)
        return 1;
    if (router) {
        static const weft_web_middleware logger = {.after = log_request};
        weft_web_app_get(app, "/", home, NULL);
        weft_web_app_get(app, "/about", about, NULL);
        weft_web_app_set_handler(app, not_found, NULL); /* what no route takes */
        weft_web_app_use(app, &logger, NULL);
    } else {
        weft_web_app_set_handler(app, handle_http, NULL);
    }
    int rc = weft_web_run_app(app, &o);
    weft_web_app_free(app);
    if (rc < 0)
        fprintf(stderr, "http_routes: %s\n", weft_strerror(rc));
    return rc < 0;
}
