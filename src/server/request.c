/*
 * request.c - what a handler reads: the method, target, path, query,
 * headers and body of the request in flight.
 *
 * The parser's views point into the input buffer; setup NUL-terminates
 * them in place (the byte after each view is a delimiter the parser has
 * already checked: the SP after the method and target, the ':' after a
 * field name, the CR or blank after a value), so nothing is copied for a
 * plain "GET /path". Only a path that needs decoding, a query beside it, or
 * an absolute-form target goes through the exchange's arena.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "weft/url.h"

void weft__request_reset(struct hx *x)
{
    weft_web_request *req = &x->req;
    /* Only what the next request could see: setup() fills the views and the
     * parser fills h, so the big parts need no clearing. */
    if (req->qform) {
        weft_form_free(req->qform);
        req->qform = NULL;
    }
    if (req->body_all) {
        free(req->body_all);
        req->body_all = NULL;
    }
    if (req->hlist_built) {
        weft_http_headers_clear(req->hlist);
        req->hlist_built = false;
    }
    req->qparsed = false;
    req->remote = NULL;
    req->query = NULL;
    req->host = NULL;
    req->ncaps = 0;
    req->body_left = 0;
    req->body_done = false;
    req->body_err = 0;
    req->continue_sent = false;
    req->body_touched = false;
    req->body_all_len = 0;
    req->body_all_done = false;
    req->h.nheaders = 0;
    req->h.body = WEFT_H1_BODY_NONE;
    while (x->arena) {
        struct arena_chunk *a = x->arena;
        x->arena = a->next;
        free(a);
    }
    x->arena0_used = 0;
}

static void terminate(weft_h1_slice s)
{
    if (s.ptr)
        ((char *)s.ptr)[s.len] = '\0';
}

int weft__request_setup(struct hx *x)
{
    weft_web_request *req = &x->req;
    weft_h1_request *h = &req->h;
    weft_web_server *srv = x->c->srv;

    terminate(h->method);
    req->method = h->method.ptr;
    terminate(h->target);
    req->target = h->target.ptr;
    for (size_t i = 0; i < h->nheaders; i++) {
        terminate(h->headers[i].name);
        terminate(h->headers[i].value);
    }
    if (h->authority.ptr && h->form == WEFT_H1_FORM_ABSOLUTE) {
        /* RFC 9112 §3.2.2: the target's authority overrides Host. */
        req->host = weft__hx_strdup(x, h->authority.ptr, h->authority.len);
        if (!req->host)
            return 500;
    } else {
        req->host = h->host.ptr; /* a field value: terminated above */
    }
    if (h->query.ptr)
        req->query = h->query.ptr; /* ends where the target ends */

    switch (h->form) {
    case WEFT_H1_FORM_AUTHORITY:
        req->path = "";
        break;
    case WEFT_H1_FORM_ASTERISK:
        req->path = "*";
        break;
    default: {
        const char *p = h->path.ptr;
        size_t n = h->path.len;
        if (!n) {
            req->path = "/";
            break;
        }
        bool pct = memchr(p, '%', n) != NULL;
        if (!pct && p == h->target.ptr && n == h->target.len) {
            req->path = p; /* "GET /about": the target itself */
            break;
        }
        char *d = weft__hx_alloc(x, n + 1);
        if (!d)
            return 500;
        if (!pct) {
            memcpy(d, p, n);
            d[n] = '\0';
        } else {
            int r = weft_percent_decode(p, n, false, true, d);
            if (r < 0 || strlen(d) != (size_t)r)
                return 400; /* a malformed escape, or %00 */
        }
        req->path = d;
        break;
    }
    }

    switch (h->body) {
    case WEFT_H1_BODY_LENGTH:
        req->body_left = h->content_length;
        req->body_done = h->content_length == 0;
        break;
    case WEFT_H1_BODY_CHUNKED:
        weft_h1_chunked_init(&req->chunked, &srv->o.limits);
        break;
    default:
        req->body_done = true;
        break;
    }
    x->resp.no_body = h->method_id == WEFT_H1_METHOD_HEAD;
    return 0;
}

static void rebase_ptr(const char **p, const char *old, size_t len, char *nb)
{
    if (*p && *p >= old && *p <= old + len)
        *p = nb + (*p - old);
}

static void rebase_slice(weft_h1_slice *s, const char *old, size_t len, char *nb)
{
    rebase_ptr(&s->ptr, old, len, nb);
}

void weft__request_rebase(struct hx *x, const char *old, size_t len, char *nb)
{
    weft_web_request *req = &x->req;
    weft_h1_request *h = &req->h;
    rebase_slice(&h->method, old, len, nb);
    rebase_slice(&h->target, old, len, nb);
    rebase_slice(&h->authority, old, len, nb);
    rebase_slice(&h->path, old, len, nb);
    rebase_slice(&h->query, old, len, nb);
    rebase_slice(&h->host, old, len, nb);
    for (size_t i = 0; i < h->nheaders; i++) {
        rebase_slice(&h->headers[i].name, old, len, nb);
        rebase_slice(&h->headers[i].value, old, len, nb);
    }
    rebase_ptr(&req->method, old, len, nb);
    rebase_ptr(&req->target, old, len, nb);
    rebase_ptr(&req->path, old, len, nb);
    rebase_ptr(&req->query, old, len, nb);
    rebase_ptr(&req->host, old, len, nb);
}

/* ----------------------------------------------------------- accessors */

const char *weft_web_request_method(const weft_web_request *req)
{
    return req->method;
}

int weft_web_request_method_id(const weft_web_request *req)
{
    return req->h.method_id;
}

const char *weft_web_request_target(const weft_web_request *req)
{
    return req->target;
}

const char *weft_web_request_path(const weft_web_request *req)
{
    return req->path;
}

const char *weft_web_request_query_string(const weft_web_request *req)
{
    return req->query;
}

const char *weft_web_request_query(weft_web_request *req, const char *name)
{
    if (!req->qparsed) {
        req->qparsed = true;
        if (req->query)
            weft_form_parse(req->query, strlen(req->query), NULL, &req->qform);
    }
    return req->qform ? weft_form_find(req->qform, name, NULL) : NULL;
}

int weft_web_request_version(const weft_web_request *req)
{
    return req->h.version;
}

const char *weft_web_request_host(const weft_web_request *req)
{
    return req->host;
}

const char *weft_web_request_scheme(const weft_web_request *req)
{
    const struct hx *x = HX_OF_REQ(req);
    return (x->c->flags & CF_TLS) ? "https" : "http";
}

const char *weft_web_request_match(const weft_web_request *req, const char *name)
{
    for (int i = 0; i < req->ncaps; i++)
        if (strcmp(req->caps[i].name, name) == 0)
            return req->caps[i].value;
    return NULL;
}

const char *weft_web_request_header(const weft_web_request *req, const char *name)
{
    int i = weft_h1_header_find(req->h.headers, req->h.nheaders, name, 0);
    return i < 0 ? NULL : req->h.headers[i].value.ptr;
}

size_t weft_web_request_header_count(const weft_web_request *req)
{
    return req->h.nheaders;
}

int weft_web_request_header_at(const weft_web_request *req, size_t i, const char **name,
                                size_t *nlen, const char **value, size_t *vlen)
{
    if (i >= req->h.nheaders)
        return -ERANGE;
    const weft_h1_header *f = &req->h.headers[i];
    if (name)
        *name = f->name.ptr;
    if (nlen)
        *nlen = f->name.len;
    if (value)
        *value = f->value.ptr;
    if (vlen)
        *vlen = f->value.len;
    return 0;
}

bool weft_web_request_header_has_token(const weft_web_request *req, const char *name,
                                        const char *token)
{
    for (int i = 0; (i = weft_h1_header_find(req->h.headers, req->h.nheaders, name, (size_t)i)) >= 0;
         i++)
        if (weft_h1_list_has(req->h.headers[i].value, token))
            return true;
    return false;
}

const weft_http_headers *weft_web_request_headers(weft_web_request *req)
{
    if (req->hlist_built)
        return req->hlist;
    if (!req->hlist && weft_http_headers_new(&req->hlist) != 0)
        return NULL;
    for (size_t i = 0; i < req->h.nheaders; i++) {
        const weft_h1_header *f = &req->h.headers[i];
        if (weft_http_headers_addn(req->hlist, f->name.ptr, f->name.len, f->value.ptr,
                                   f->value.len) != 0) {
            weft_http_headers_clear(req->hlist);
            return NULL;
        }
    }
    req->hlist_built = true;
    return req->hlist;
}

int64_t weft_web_request_content_length(const weft_web_request *req)
{
    switch (req->h.body) {
    case WEFT_H1_BODY_LENGTH:
        return (int64_t)req->h.content_length;
    case WEFT_H1_BODY_CHUNKED:
        return -1;
    default:
        return 0;
    }
}

bool weft_web_request_has_body(const weft_web_request *req)
{
    return req->h.body == WEFT_H1_BODY_CHUNKED ||
           (req->h.body == WEFT_H1_BODY_LENGTH && req->h.content_length > 0);
}

int weft_web_request_peername(const weft_web_request *req, struct sockaddr_storage *ss,
                               socklen_t *len)
{
    const struct hx *x = HX_OF_REQ(req);
    if (!x->c->t)
        return -ENOTCONN;
    return weft_transport_peername(x->c->t, ss, len);
}

void weft__remote_text(weft_transport *t, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    snprintf(buf, cap, "-");
    if (t && weft_transport_peername(t, &ss, &len) == 0) {
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)cap);
        else if (ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)cap);
    }
}

const char *weft_web_request_remote(weft_web_request *req)
{
    if (req->remote)
        return req->remote;
    struct hx *x = HX_OF_REQ(req);
    char buf[INET6_ADDRSTRLEN];
    weft__remote_text(x->c->t, buf, sizeof buf);
    req->remote = weft__hx_strdup(x, buf, strlen(buf));
    return req->remote ? req->remote : "-";
}

weft_transport *weft_web_request_transport(const weft_web_request *req)
{
    return HX_OF_REQ(req)->c->t;
}

weft_web_server *weft_web_request_server(const weft_web_request *req)
{
    return HX_OF_REQ(req)->c->srv;
}

/* ------------------------------------------------------------------ body */

/* Take body bytes from the buffered input: up to n into buf (buf NULL:
 * drop them). Returns the count, or an error. */
static int take_body(struct hx *x, char *buf, size_t n)
{
    weft_web_request *req = &x->req;
    size_t avail = x->in_len - x->in_pos;
    char *in = x->in + x->in_pos;
    if (req->h.body == WEFT_H1_BODY_LENGTH) {
        size_t k = avail < n ? avail : n;
        if (k > req->body_left)
            k = (size_t)req->body_left;
        if (buf)
            memcpy(buf, in, k);
        x->in_pos += k;
        req->body_left -= k;
        if (!req->body_left)
            req->body_done = true;
        return (int)k;
    }
    size_t inlen = avail, outlen = n;
    char *out = buf ? buf : in;
    int r = weft_h1_chunked_decode_to(&req->chunked, in, &inlen, out, &outlen);
    x->in_pos += inlen;
    if (r == 0) {
        req->body_done = true;
    } else if (r != -EAGAIN) {
        req->body_err = r;
        return r;
    }
    return (int)outlen;
}

struct body_waiter {
    struct weft__wait w;
    struct hx *x;
};

static void body_unhook(struct weft__wait *w)
{
    struct body_waiter *bw = (struct body_waiter *)w;
    if (bw->x->body_wait == w)
        bw->x->body_wait = NULL;
}

static const char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";

int weft_web_request_read(weft_web_request *req, void *buf, size_t n)
{
    if (!weft__current_task)
        return -EPERM;
    if (!buf || !n)
        return -EINVAL;
    struct hx *x = HX_OF_REQ(req);
    struct conn *c = x->c;
    req->body_touched = true;
    for (;;) {
        if (req->body_err)
            return req->body_err;
        if (req->body_done)
            return 0;
        if (x->in_pos < x->in_len) {
            /* n is capped so that the count fits the int we return. */
            int r = take_body(x, buf, n > (1u << 30) ? (1u << 30) : n);
            if (r != 0 || req->body_done || req->body_err)
                return r;
            continue; /* only framing bytes so far */
        }
        if (c->flags & (CF_EOF | CF_LOST)) {
            req->body_err = WEFT_EHTTP_TRUNCATED;
            continue;
        }
        if (!req->continue_sent && (req->h.flags & WEFT_H1_F_EXPECT_CONTINUE) &&
            x->resp.state == RS_NEW) {
            req->continue_sent = true;
            if (c->t)
                weft_transport_write(c->t, CONTINUE, sizeof CONTINUE - 1);
        }
        weft__hx_flush(x);
        struct body_waiter bw = {.w.unhook = body_unhook, .x = x};
        x->body_wait = &bw.w;
        uint64_t now = weft_loop_now(c->srv->loop);
        weft__conn_deadline(c, now + c->srv->o.body_timeout_ns);
        int r = weft__task_wait(&bw.w);
        if (x->body_wait == &bw.w)
            x->body_wait = NULL;
        if (r < 0) {
            if (!req->body_err && r != -ECANCELED)
                req->body_err = r;
            return r;
        }
    }
}

int weft_web_request_read_body(weft_web_request *req, const char **data, size_t *len)
{
    if (!weft__current_task)
        return -EPERM;
    if (!req->body_all_done) {
        struct hx *x = HX_OF_REQ(req);
        uint64_t max = x->c->srv->o.limits.max_body;
        size_t cap = 0, used = 0;
        if (req->h.body == WEFT_H1_BODY_LENGTH)
            cap = (size_t)req->h.content_length; /* within max_body: the parser checked */
        char *buf = malloc(cap + 1);
        if (!buf)
            return -ENOMEM;
        for (;;) {
            if (used == cap) {
                if (req->body_done)
                    break;
                size_t ncap = cap ? cap * 2 : 4096;
                if (ncap > max && max >= cap + 1)
                    ncap = (size_t)max + 1; /* one more, to see the limit crossed */
                char *nb = realloc(buf, ncap + 1);
                if (!nb) {
                    free(buf);
                    return -ENOMEM;
                }
                buf = nb;
                cap = ncap;
            }
            int r = weft_web_request_read(req, buf + used, cap - used);
            if (r < 0) {
                free(buf);
                return r;
            }
            if (r == 0)
                break;
            used += (size_t)r;
            if (used > max) {
                free(buf);
                req->body_err = WEFT_EHTTP_BODY_TOO_LARGE;
                return req->body_err;
            }
        }
        buf[used] = '\0';
        req->body_all = buf;
        req->body_all_len = used;
        req->body_all_done = true;
    }
    if (data)
        *data = req->body_all;
    if (len)
        *len = req->body_all_len;
    return 0;
}

int weft__request_discard(struct hx *x)
{
    weft_web_request *req = &x->req;
    while (!req->body_done) {
        if (x->in_pos == x->in_len)
            return 0;
        int r = take_body(x, NULL, x->in_len - x->in_pos);
        if (r < 0)
            return r;
    }
    return 1;
}
