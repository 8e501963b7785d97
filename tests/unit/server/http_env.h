/*
 * http_env.h - a server and a client on a memory transport pair, on a loop
 * with a virtual clock, for the server's unit tests: bytes go in exactly as
 * a test writes them (chunk = 1 delivers them one at a time), responses are
 * parsed back with weft's own response parser, and timeouts fire by
 * jumping the clock, not by waiting.
 */
#ifndef HTTP_ENV_H
#define HTTP_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"
#include "weft_test.h"
#include "loop/loop_int.h"

struct client {
    weft_transport *t;
    char *buf;
    size_t len, cap;
    size_t off;          /* where the next unparsed response starts */
    int ndata;           /* data_received calls */
    bool eof, lost;
};

struct env {
    weft_loop *loop;
    weft_web_app *app;
    weft_web_server *srv;
    struct client c;
    int calls;           /* handler runs, for "the handler never sees it" */
};

/* One parsed response. */
struct resp {
    int status;
    int version;
    char head[4096];
    char body[65536];
    size_t body_len;
    bool chunked;
};

static void c_data(weft_transport *t, const void *d, size_t n, void *ud)
{
    (void)t;
    struct client *c = ud;
    if (c->len + n + 1 > c->cap) {
        c->cap = (c->len + n + 1) * 2;
        c->buf = realloc(c->buf, c->cap);
    }
    memcpy(c->buf + c->len, d, n);
    c->len += n;
    c->buf[c->len] = '\0';
    c->ndata++;
}

static bool c_eof(weft_transport *t, void *ud)
{
    (void)t;
    ((struct client *)ud)->eof = true;
    return false;
}

static void c_lost(weft_transport *t, int err, void *ud)
{
    (void)t;
    (void)err;
    struct client *c = ud;
    c->lost = true;
    c->t = NULL;
}

static const weft_protocol client_proto = {
    .data_received = c_data, .eof_received = c_eof, .connection_lost = c_lost};

static void env_open_with(struct env *e, const weft_web_server_opts *o)
{
    memset(e, 0, sizeof *e);
    assert_int_equal(weft_loop_new(&e->loop), 0);
    assert_int_equal(weft_loop_use_virtual_clock(e->loop), 0);
    assert_int_equal(weft_web_app_new(&e->app), 0);
    assert_int_equal(weft_web_server_new(e->loop, e->app, o, &e->srv), 0);
}

/* Connect a client (after routes are set). */
static void env_connect(struct env *e, size_t chunk, size_t capacity)
{
    weft_memory_pair_opts po = {.chunk = chunk, .capacity = capacity};
    weft_transport *a, *b;
    free(e->c.buf);
    memset(&e->c, 0, sizeof e->c);
    assert_int_equal(weft_memory_pair_open(e->loop, &po, NULL, NULL, &client_proto, &e->c, &a, &b),
                     0);
    e->c.t = b;
    assert_int_equal(weft_web_server_serve(e->srv, a), 0);
}

static void env_open(struct env *e)
{
    env_open_with(e, NULL);
}

/* Run the loop until cond holds (the clock jumps to the next timer only
 * when nothing else is ready). */
#define PUMP(e, cond)                                                           \
    do {                                                                        \
        for (int pump_i_ = 0; !(cond); pump_i_++) {                             \
            assert_true(pump_i_ < 100000);                                      \
            weft_loop_run_once((e)->loop, WEFT_SEC(1));                         \
        }                                                                       \
    } while (0)

/* Run what is ready, and what that makes ready, without letting the
 * virtual clock jump (it jumps only when nothing is ready). */
static void settle(struct env *e)
{
    for (int i = 0; i < 10000 && e->loop->nready; i++)
        weft_loop_run_once(e->loop, 0);
}

static void send_str(struct env *e, const char *s)
{
    assert_int_equal(weft_transport_write(e->c.t, s, strlen(s)), 0);
}

/* Parse the next complete response from what the client received, or
 * return false if none is complete yet. method: of the request it answers. */
static bool next_response(struct client *c, int method, struct resp *r)
{
    if (c->off >= c->len)
        return false;
    weft_h1_parser p;
    weft_h1_response h;
    weft_h1_header hdrs[64];
    weft_h1_parser_init(&p, NULL);
    const char *b = c->buf + c->off;
    size_t n = c->len - c->off;
    int hl = weft_h1_parse_response(&p, b, n, method, &h, hdrs, 64);
    if (hl == -EAGAIN)
        return false;
    assert_true(hl > 0);
    memset(r, 0, sizeof *r);
    r->status = h.status;
    r->version = h.version;
    assert_true((size_t)hl < sizeof r->head);
    memcpy(r->head, b, (size_t)hl);
    r->head[hl] = '\0';
    size_t used = (size_t)hl;
    if (h.body == WEFT_H1_BODY_LENGTH) {
        if (n - used < h.content_length)
            return false;
        memcpy(r->body, b + used, h.content_length);
        r->body_len = h.content_length;
        used += h.content_length;
    } else if (h.body == WEFT_H1_BODY_CHUNKED) {
        r->chunked = true;
        weft_h1_chunked ch;
        weft_h1_chunked_init(&ch, NULL);
        size_t inlen = n - used, outlen = sizeof r->body - 1;
        int cr = weft_h1_chunked_decode_to(&ch, b + used, &inlen, r->body, &outlen);
        if (cr == -EAGAIN)
            return false;
        assert_int_equal(cr, 0);
        r->body_len = outlen;
        used += inlen;
    } else if (h.body == WEFT_H1_BODY_CLOSE) {
        if (!c->eof && !c->lost)
            return false;
        memcpy(r->body, b + used, n - used);
        r->body_len = n - used;
        used = n;
    }
    r->body[r->body_len] = '\0';
    c->off += used;
    return true;
}

/* Wait for the next response and return it. */
static void get_response(struct env *e, int method, struct resp *r)
{
    r->status = 0;
    PUMP(e, next_response(&e->c, method, r) || (e->c.lost && e->c.off >= e->c.len));
    if (r->status <= 0)
        fail_msg("the connection closed without a (complete) response");
}

/* The value of a header in a response head, or NULL (static buffer). */
static const char *resp_header(const struct resp *r, const char *name)
{
    static char val[1024];
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char *l = p + 2;
        if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            while (*v == ' ')
                v++;
            const char *end = strstr(v, "\r\n");
            size_t len = (size_t)(end - v);
            memcpy(val, v, len);
            val[len] = '\0';
            return val;
        }
    }
    return NULL;
}

static void env_close(struct env *e)
{
    if (e->c.t)
        weft_transport_abort(e->c.t);
    weft_web_server_free(e->srv);
    assert_int_equal(weft_loop_run(e->loop), 0);
    assert_int_equal(weft_loop_close(e->loop), 0);
    weft_web_app_free(e->app);
    free(e->c.buf);
}

#endif
