/*
 * http_hello.c - the smallest weft HTTP server: "Hello, World!" on every
 * path, for load tests (../shared/bench/http-compare runs it as a
 * candidate) and as the shortest complete use of weft_web_run_app.
 *
 * Usage: http_hello [--port N] [--host H] [--workers N] [--log]
 * Port 0 picks a free one; the line "======== Running on http://..." says
 * which. SIGINT / SIGTERM stop it gracefully.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft.h"

static int hello(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    return weft_web_response_send_text(resp, "text/plain", "Hello, World!");
}

int main(int argc, char **argv)
{
    weft_web_run_opts o = {.port = 8080};
    bool log = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            o.port = (uint16_t)atoi(argv[++i]);
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            o.host = argv[++i];
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            o.workers = atoi(argv[++i]);
        else if (strcmp(argv[i], "--log") == 0)
            log = true;
        else {
            fprintf(stderr, "usage: %s [--port N] [--host H] [--workers N] [--log]\n", argv[0]);
            return 2;
        }
    }
    weft_web_app *app;
    if (weft_web_app_new(&app) < 0)
        return 1;
    weft_web_app_set_handler(app, hello, NULL);
    if (log)
        weft_web_app_set_access_log(app, STDOUT_FILENO, WEFT_WEB_LOG_COMBINED);
    int rc = weft_web_run_app(app, &o);
    weft_web_app_free(app);
    if (rc < 0) {
        fprintf(stderr, "http_hello: %s\n", weft_strerror(rc));
        return 1;
    }
    return 0;
}
