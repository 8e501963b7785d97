/*
 * app.c - what to serve: routes, the default handler, middleware, the
 * access log and the Server header. All of it is set up before the first
 * server starts; after that the app is read-only (and so may be shared by
 * the servers of several threads), and changes are -EBUSY.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

int weft_web_app_new(weft_web_app **out)
{
    if (!out)
        return -EINVAL;
    weft_web_app *app = calloc(1, sizeof *app);
    if (!app)
        return -ENOMEM;
    app->log_fd = -1;
    atomic_init(&app->running, 0);
    int err = weft_web_app_set_server_header(app, "weft");
    if (err) {
        free(app);
        return err;
    }
    *out = app;
    return 0;
}

void weft_web_app_free(weft_web_app *app)
{
    if (!app)
        return;
    for (size_t i = 0; i < app->nroutes; i++)
        weft__route_free(&app->routes[i]);
    free(app->routes);
    free(app->server_header);
    weft__compress_free(app->compress);
    free(app);
}

static bool app_busy(const weft_web_app *app)
{
    return atomic_load(&app->running) > 0;
}

int weft_web_app_add_route(weft_web_app *app, const char *method, const char *pattern,
                            weft_web_handler handler, void *ud)
{
    if (!app || !method || !pattern || !handler)
        return -EINVAL;
    if (app_busy(app))
        return -EBUSY;
    if (app->nroutes == app->cap) {
        size_t cap = app->cap ? app->cap * 2 : 8;
        struct weft__route *r = realloc(app->routes, cap * sizeof *r);
        if (!r)
            return -ENOMEM;
        app->routes = r;
        app->cap = cap;
    }
    struct weft__route *r = &app->routes[app->nroutes];
    memset(r, 0, sizeof *r);
    int err = weft__route_compile(r, method, pattern);
    if (err) {
        weft__route_free(r);
        return err;
    }
    r->handler = handler;
    r->ud = ud;
    app->nroutes++;
    return 0;
}

int weft_web_app_get(weft_web_app *app, const char *pattern, weft_web_handler handler,
                      void *ud)
{
    return weft_web_app_add_route(app, "GET", pattern, handler, ud);
}

int weft_web_app_post(weft_web_app *app, const char *pattern, weft_web_handler handler,
                       void *ud)
{
    return weft_web_app_add_route(app, "POST", pattern, handler, ud);
}

int weft_web_app_set_handler(weft_web_app *app, weft_web_handler handler, void *ud)
{
    if (!app)
        return -EINVAL;
    if (app_busy(app))
        return -EBUSY;
    app->def = handler;
    app->def_ud = ud;
    return 0;
}

int weft_web_app_use(weft_web_app *app, const weft_web_middleware *mw, void *ud)
{
    if (!app || !mw)
        return -EINVAL;
    if (app_busy(app))
        return -EBUSY;
    if (app->nmw == WEFT__HTTP_MAX_MIDDLEWARE)
        return -E2BIG;
    app->mw[app->nmw].mw = mw;
    app->mw[app->nmw].ud = ud;
    app->nmw++;
    if (mw->prepare)
        app->has_prepare = true;
    return 0;
}

int weft_web_app_set_access_log(weft_web_app *app, int fd, enum weft_web_log_format fmt)
{
    if (!app || (fmt != WEFT_WEB_LOG_COMMON && fmt != WEFT_WEB_LOG_COMBINED))
        return -EINVAL;
    if (app_busy(app))
        return -EBUSY;
    app->log_fd = fd < 0 ? -1 : fd;
    app->log_fmt = fmt;
    return 0;
}

int weft_web_app_set_server_header(weft_web_app *app, const char *value)
{
    if (!app)
        return -EINVAL;
    if (app_busy(app))
        return -EBUSY;
    char *line = NULL;
    size_t len = 0;
    if (value) {
        size_t vlen = strlen(value);
        if (!weft_http_value_valid(value, vlen))
            return -EINVAL;
        len = 8 + vlen + 2;
        line = malloc(len + 1);
        if (!line)
            return -ENOMEM;
        memcpy(line, "Server: ", 8);
        memcpy(line + 8, value, vlen);
        memcpy(line + 8 + vlen, "\r\n", 3);
    }
    free(app->server_header);
    app->server_header = line;
    app->server_header_len = len;
    return 0;
}
