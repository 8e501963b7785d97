/*
 * web_app.c - aiohttp's web server with minimum boilerplate (seeds/002):
 *
 *     from aiohttp import web
 *
 *     async def hello(request):
 *         return web.Response(text="Hello, world")
 *
 *     app = web.Application()
 *     app.add_routes([web.get('/', hello)])
 *     web.run_app(app)
 *
 * Usage: web_app [--port N]    (default 8080 like run_app; 0 picks a free
 * port, printed in the "Running on" line; Ctrl+C stops it gracefully)
 */
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static int hello(weft_web_request *request, weft_web_response *response, void *ud)
{
    (void)request;
    (void)ud;
    return weft_web_response_send_text(response, "text/plain; charset=utf-8", "Hello, world");
}

int main(int argc, char **argv)
{
    weft_web_run_opts opts = {.port = 8080};
    if (argc == 3 && strcmp(argv[1], "--port") == 0)
        opts.port = (uint16_t)atoi(argv[2]);

    weft_web_app *app;
    weft_web_app_new(&app);
    weft_web_app_get(app, "/", hello, NULL);
    int rc = weft_web_run_app(app, &opts);
    weft_web_app_free(app);
    return rc < 0;
}
