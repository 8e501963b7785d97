/*
 * router.c - method + path patterns with {name} captures, matched in the
 * order they were added (aiohttp's UrlDispatcher without regular
 * expressions).
 *
 * A pattern is split into segments at '/': "/users/{id}" is the literal
 * "users" then a capture, and matches a path with exactly those segments
 * ("/users/7", not "/users/7/"). "/" is one empty segment, so it matches
 * only "/". A trailing {name:.*} takes whatever follows its segment start,
 * '/' included. Matching is a linear scan: apps have tens of routes, and
 * comparing a few short segments beats any index at that size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

static bool name_valid(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void weft__route_free(struct weft__route *r)
{
    for (size_t i = 0; i < r->nsegs; i++) {
        free(r->segs[i].lit);
        free(r->segs[i].name);
    }
    free(r->segs);
    free(r->method);
    free(r->pattern);
    free(r->tail_name);
    free(r->tail_prefix);
    memset(r, 0, sizeof *r);
}

int weft__route_compile(struct weft__route *r, const char *method, const char *pattern)
{
    if (strcmp(method, "*") != 0) {
        if (!weft_http_token_valid(method, strlen(method)))
            return -EINVAL;
        if (!(r->method = strdup(method)))
            return -ENOMEM;
    }
    if (pattern[0] != '/')
        return -EINVAL;
    if (!(r->pattern = strdup(pattern)))
        return -ENOMEM;
    size_t cap = 1;
    for (const char *p = pattern; *p; p++)
        cap += *p == '/';
    if (!(r->segs = calloc(cap, sizeof *r->segs)))
        return -ENOMEM;
    const char *p = pattern + 1;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && p[0] == '{') {
            if (p[n - 1] != '}')
                return -EINVAL;
            const char *colon = memchr(p, ':', n);
            if (colon) {
                /* Only the tail form {name:.*}, and only last. */
                size_t nl = (size_t)(colon - p - 1);
                size_t rl = n - 2 - nl - 1;
                if (e || rl != 2 || memcmp(colon + 1, ".*", 2) != 0 || !name_valid(p + 1, nl))
                    return -EINVAL;
                if (!(r->tail_name = dupn(p + 1, nl)))
                    return -ENOMEM;
                break;
            }
            if (!name_valid(p + 1, n - 2))
                return -EINVAL;
            if (!(r->segs[r->nsegs].name = dupn(p + 1, n - 2)))
                return -ENOMEM;
        } else {
            if (memchr(p, '{', n) || memchr(p, '}', n))
                return -EINVAL; /* a capture must be a whole segment */
            if (!(r->segs[r->nsegs].lit = dupn(p, n)))
                return -ENOMEM;
        }
        r->nsegs++;
        if (!e)
            break;
        p = e + 1;
    }
    size_t ncap = r->tail_name ? 1 : 0;
    for (size_t i = 0; i < r->nsegs; i++)
        ncap += r->segs[i].name != NULL;
    if (ncap > WEFT__HTTP_MAX_CAPTURES)
        return -E2BIG;
    return 0;
}

struct span {
    const char *p;
    size_t n;
};

/* Match path against r; the captured values go to caps (in segment order,
 * the tail last). */
static bool route_match(const struct weft__route *r, const char *path, struct span *caps,
                        int *ncaps)
{
    const char *p = path;
    int nc = 0;
    for (size_t i = 0; i < r->nsegs; i++) {
        if (*p != '/')
            return false;
        p++;
        const char *e = strchrnul(p, '/');
        size_t n = (size_t)(e - p);
        const struct weft__route_seg *s = &r->segs[i];
        if (s->lit) {
            if (strlen(s->lit) != n || memcmp(s->lit, p, n) != 0)
                return false;
        } else {
            if (!n)
                return false;
            caps[nc++] = (struct span){p, n};
        }
        p = e;
    }
    if (r->tail_name) {
        if (*p != '/')
            return false;
        p++;
        caps[nc++] = (struct span){p, strlen(p)};
    } else if (*p) {
        return false;
    }
    *ncaps = nc;
    return true;
}

static bool method_ok(const struct weft__route *r, const weft_web_request *req)
{
    if (!r->method)
        return true;
    if (strcmp(r->method, req->method) == 0)
        return true;
    return req->h.method_id == WEFT_H1_METHOD_HEAD && strcmp(r->method, "GET") == 0;
}

/* Append m to the Allow list unless it is there. */
static void allow_add(char *buf, size_t *len, size_t cap, const char *m)
{
    size_t ml = strlen(m);
    for (const char *p = buf; p < buf + *len;) {
        const char *e = memchr(p, ',', (size_t)(buf + *len - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(buf + *len - p);
        if (n == ml && memcmp(p, m, ml) == 0)
            return;
        if (!e)
            break;
        p = e + 2;
    }
    if (*len + ml + 2 >= cap)
        return;
    if (*len) {
        memcpy(buf + *len, ", ", 2);
        *len += 2;
    }
    memcpy(buf + *len, m, ml);
    *len += ml;
    buf[*len] = '\0';
}

weft_web_handler weft__route_find(const weft_web_app *app, struct hx *x, void **ud,
                                   int *status, const char **allow)
{
    weft_web_request *req = &x->req;
    struct span caps[WEFT__HTTP_MAX_CAPTURES];
    char allow_buf[256];
    size_t allow_len = 0;
    bool other_method = false;
    allow_buf[0] = '\0';
    for (size_t i = 0; i < app->nroutes; i++) {
        const struct weft__route *r = &app->routes[i];
        int nc = 0;
        if (!route_match(r, req->path, caps, &nc))
            continue;
        if (!method_ok(r, req)) {
            other_method = true;
            allow_add(allow_buf, &allow_len, sizeof allow_buf, r->method);
            if (strcmp(r->method, "GET") == 0)
                allow_add(allow_buf, &allow_len, sizeof allow_buf, "HEAD");
            continue;
        }
        int k = 0;
        for (size_t s = 0; s < r->nsegs; s++)
            if (r->segs[s].name)
                req->caps[k++].name = r->segs[s].name;
        if (r->tail_name)
            req->caps[k++].name = r->tail_name;
        for (int j = 0; j < nc; j++) {
            req->caps[j].value = weft__hx_strdup(x, caps[j].p, caps[j].n);
            if (!req->caps[j].value) {
                *status = 500;
                return NULL;
            }
        }
        req->ncaps = nc;
        *ud = r->ud;
        return r->handler;
    }
    if (other_method) {
        *status = 405;
        *allow = weft__hx_strdup(x, allow_buf, allow_len);
        return NULL;
    }
    if (app->def) {
        *ud = app->def_ud;
        return app->def;
    }
    *status = 404;
    return NULL;
}
