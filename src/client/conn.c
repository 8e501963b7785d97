/*
 * conn.c - weft_http_conn: one connection of the caller's own (Python's
 * http.client.HTTPConnection), outside the pool. Requests go out in the
 * order sent and may be pipelined; their methods wait in a FIFO so that
 * each response is parsed knowing what it answers (HEAD has no body). A
 * response freed before its body was read leaves the rest to be skipped
 * when the next response is asked for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

#define FIFO_MAX 256

struct open_arg {
    weft_http_session *s;
    const char *url;
    weft_http_conn **out;
};

static int open_task(void *arg)
{
    struct open_arg *a = arg;
    return weft_http_conn_open(a->s, a->url, a->out);
}

int weft_http_conn_open(weft_http_session *s, const char *url, weft_http_conn **out)
{
    if (!url || !out)
        return -EINVAL;
    int face = s ? weft__hc_face(s) : (weft__current_task ? 0 : -EPERM);
    if (face < 0)
        return face;
    if (face == 1) {
        struct open_arg a = {s, url, out};
        return weft__hc_block(s, open_task, &a);
    }
    bool own = false;
    int rc;
    if (!s) {
        if ((rc = weft_http_session_new(NULL, NULL, &s)) < 0)
            return rc;
        own = true;
    } else if (s->closed) {
        return WEFT_ECLOSED;
    }
    weft_url *u = NULL;
    struct weft__hc_conn *c = NULL;
    weft_http_conn *pc = NULL;
    rc = weft__hc_parse_http_url(NULL, url, strlen(url), &u);
    if (rc < 0)
        goto fail;
    struct weft__hc_target t = {.https = weft_url_is_secure(u), .host = weft_url_hostname(u),
                                .port = weft_url_port(u)};
    t.proxy = weft__hc_proxy_for(&s->proxies, u);
    if (t.https && (rc = weft__hc_session_tls(s, &t.tls)) < 0)
        goto fail;
    c = calloc(1, sizeof *c);
    pc = calloc(1, sizeof *pc);
    if (!c || !pc) {
        rc = -ENOMEM;
        goto fail;
    }
    c->s = s;
    c->anext = s->all;
    if (s->all)
        s->all->aprev = c;
    s->all = c;
    struct weft__hc_trace tc;
    weft__hc_trace_init(&tc, s, NULL, NULL);
    tc.url = weft_url_href(u);
    tc.method = "";
    rc = weft__hc_connect(s, c, &t, s->connect_timeout, &tc, NULL);
    if (rc < 0)
        goto fail;
    s->stats.connections_opened++;
    pc->s = s;
    if (!own)
        weft__hc_session_ref(s);
    pc->own_session = own;
    pc->c = c;
    pc->origin = u;
    *out = pc;
    return 0;
fail:
    if (c)
        weft__hc_conn_destroy(c, true);
    free(pc);
    weft_url_free(u);
    if (own)
        weft_http_session_free(s);
    return rc;
}

struct req_arg {
    weft_http_conn *c;
    const char *method, *target;
    const weft_http_headers *headers;
    const weft_http_body *body;
};

static int request_task(void *arg)
{
    struct req_arg *a = arg;
    return weft_http_conn_request(a->c, a->method, a->target, a->headers, a->body);
}

int weft_http_conn_request(weft_http_conn *pc, const char *method, const char *target,
                           const weft_http_headers *headers, const weft_http_body *body)
{
    if (!pc || !method)
        return -EINVAL;
    int face = weft__hc_face(pc->s);
    if (face < 0)
        return face;
    if (face == 1) {
        struct req_arg a = {pc, method, target, headers, body};
        return weft__hc_block(pc->s, request_task, &a);
    }
    if (pc->broken || !pc->c || pc->s->closed || !pc->c->st)
        return WEFT_ECLOSED;
    if (pc->fcount == FIFO_MAX)
        return -EBUSY;
    size_t mlen = strlen(method);
    if (mlen >= 24 || !weft_http_token_valid(method, mlen))
        return WEFT_EHTTP_BAD_METHOD;
    if (!target)
        target = "/";
    if (!*target || strpbrk(target, " \r\n\t"))
        return -EINVAL;
    struct weft__hc_conn *c = pc->c;
    char *abs = NULL;
    if (c->proxied_http && target[0] == '/') {
        size_t n = strlen(weft_url_origin(pc->origin)) + strlen(target) + 1;
        if (!(abs = malloc(n)))
            return -ENOMEM;
        snprintf(abs, n, "%s%s", weft_url_origin(pc->origin), target);
    }
    const struct weft__hc_proxy *px = c->proxied_http ? weft__hc_proxy_for(&pc->s->proxies,
                                                                           pc->origin)
                                                      : NULL;
    struct weft__hc_send q = {
        .method = method,
        .method_id = weft__hc_method_id(method),
        .url = pc->origin,
        .target = abs ? abs : target,
        .headers = headers,
        .body = body,
        .proxy_authorization = px ? px->auth : NULL,
        .session_headers = true,
    };
    struct weft__hc_trace tc;
    weft__hc_trace_init(&tc, pc->s, NULL, NULL);
    tc.method = method;
    tc.url = weft_url_href(pc->origin);
    c->read_timeout = pc->s->read_timeout;
    c->deadline = WEFT_NEVER;
    bool early;
    int rc = weft__hc_send_request(pc->s, c, &q, &tc, &early);
    free(abs);
    if (rc < 0) {
        pc->broken = true;
        return rc;
    }
    pc->s->stats.requests++;
    pc->fifo[(pc->fhead + pc->fcount) % FIFO_MAX] = (uint8_t)q.method_id;
    pc->fcount++;
    return 0;
}

/* Read and drop the rest of a body on pc's connection. */
static int skip_body(weft_http_conn *pc, const struct weft__hc_body *b)
{
    weft_http_response *r = weft__hc_resp_new(pc->s);
    if (!r)
        return -ENOMEM;
    r->b = *b;
    r->conn = pc->c;
    r->pconn = pc;
    pc->cur = r;
    r->read_timeout = pc->s->read_timeout;
    int rc = weft__hc_resp_drain(r, SIZE_MAX);
    if (pc->cur == r)
        pc->cur = NULL;
    r->conn = NULL;
    r->pconn = NULL;
    weft__hc_resp_release(r);
    return rc;
}

struct resp_arg {
    weft_http_conn *c;
    weft_http_response **out;
};

static int resp_task(void *arg)
{
    struct resp_arg *a = arg;
    return weft_http_conn_getresponse(a->c, a->out);
}

int weft_http_conn_getresponse(weft_http_conn *pc, weft_http_response **out)
{
    if (!pc || !out)
        return -EINVAL;
    int face = weft__hc_face(pc->s);
    if (face < 0)
        return face;
    if (face == 1) {
        struct resp_arg a = {pc, out};
        return weft__hc_block(pc->s, resp_task, &a);
    }
    if (!pc->fcount)
        return -EINVAL;
    if (!pc->c || pc->s->closed)
        return WEFT_ECLOSED;
    int rc;
    if (pc->cur) {
        /* The previous response's body has not been read to its end. */
        rc = weft__hc_resp_drain(pc->cur, SIZE_MAX);
        if (rc < 0) {
            pc->broken = true;
            return rc;
        }
    }
    if (pc->skipping) {
        pc->skipping = false;
        if ((rc = skip_body(pc, &pc->skip)) < 0) {
            pc->broken = true;
            return rc;
        }
    }
    if (pc->broken)
        return WEFT_ECLOSED;
    struct weft__hc_conn *c = pc->c;
    int method_id = pc->fifo[pc->fhead];
    weft_http_response *r = weft__hc_resp_new(pc->s);
    if (!r)
        return -ENOMEM;
    struct weft__hc_trace tc;
    weft__hc_trace_init(&tc, pc->s, NULL, NULL);
    tc.url = weft_url_href(pc->origin);
    c->read_timeout = pc->s->read_timeout;
    c->deadline = WEFT_NEVER;
    rc = weft__hc_read_head(c, r, method_id, &tc);
    if (rc < 0) {
        pc->broken = true;
        weft__hc_resp_release(r);
        return rc;
    }
    pc->fhead = (pc->fhead + 1) % FIFO_MAX;
    pc->fcount--;
    weft_url *u;
    if (weft_url_dup(pc->origin, &u) == 0)
        r->url = weft__hc_url_new(u);
    static const char *names[] = {"", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
                                  "OPTIONS", "TRACE", "PATCH"};
    snprintf(r->method, sizeof r->method, "%s",
             method_id >= 0 && method_id < 10 ? names[method_id] : "");
    r->method_id = method_id;
    r->read_timeout = pc->s->read_timeout;
    r->max_body = pc->s->max_body;
    r->tc = tc;
    r->pconn = pc;
    r->conn = c;
    if (r->b.done) {
        weft__hc_resp_detach(r, true);
        r->ended = true;
    } else {
        pc->cur = r;
    }
    if (!c->keep)
        pc->broken = pc->broken || r->b.done;
    *out = r;
    return 0;
}

bool weft_http_conn_is_open(const weft_http_conn *pc)
{
    return pc && !pc->broken && pc->c && pc->c->st && !pc->s->closed &&
           !weft_stream_is_closing(pc->c->st);
}

void weft_http_conn_close(weft_http_conn *pc)
{
    if (!pc)
        return;
    if (pc->cur) {
        weft_http_response *r = pc->cur;
        if (!r->b.done && !r->err)
            r->err = WEFT_ECLOSED;
        r->conn = NULL;
        r->pconn = NULL;
    }
    if (pc->c)
        weft__hc_conn_destroy(pc->c, true);
    weft_url_free(pc->origin);
    if (pc->own_session)
        weft_http_session_free(pc->s);
    else
        weft__hc_session_unref(pc->s);
    free(pc);
}
