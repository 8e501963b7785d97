/*
 * h1_check.h - helpers for the HTTP/1 parser tests: parse a message whole,
 * then fed in two pieces split at every byte, then one byte at a time, and
 * fail unless every way gives the same answer and the same fields.
 */
#ifndef WEFT_H1_CHECK_H
#define WEFT_H1_CHECK_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weft_test.h"
#include "weft/http1.h"

#define NHDR 128

static inline void slice_same(weft_h1_slice a, weft_h1_slice b)
{
    assert_ptr_equal(a.ptr, b.ptr);
    assert_int_equal(a.len, b.len);
}

static inline void req_same(const weft_h1_request *a, const weft_h1_request *b)
{
    slice_same(a->method, b->method);
    assert_int_equal(a->method_id, b->method_id);
    slice_same(a->target, b->target);
    assert_int_equal(a->form, b->form);
    slice_same(a->authority, b->authority);
    slice_same(a->path, b->path);
    slice_same(a->query, b->query);
    assert_int_equal(a->version, b->version);
    slice_same(a->host, b->host);
    assert_int_equal(a->nheaders, b->nheaders);
    for (size_t i = 0; i < a->nheaders; i++) {
        slice_same(a->headers[i].name, b->headers[i].name);
        slice_same(a->headers[i].value, b->headers[i].value);
    }
    assert_int_equal(a->body, b->body);
    assert_int_equal(a->content_length, b->content_length);
    assert_int_equal(a->flags, b->flags);
}

static inline void resp_same(const weft_h1_response *a, const weft_h1_response *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->status, b->status);
    slice_same(a->reason, b->reason);
    assert_int_equal(a->nheaders, b->nheaders);
    for (size_t i = 0; i < a->nheaders; i++) {
        slice_same(a->headers[i].name, b->headers[i].name);
        slice_same(a->headers[i].value, b->headers[i].value);
    }
    assert_int_equal(a->body, b->body);
    assert_int_equal(a->content_length, b->content_length);
    assert_int_equal(a->flags, b->flags);
}

/* A parsed-message holder that owns a copy of the input. */
struct h1_case {
    char *buf;
    size_t len;
    weft_h1_limits lim;
    weft_h1_header hdrs[NHDR];
    size_t max_hdrs;
    weft_h1_request req;
    weft_h1_response resp;
    int req_method; /* for responses */
};

static inline int h1_feed(struct h1_case *c, int is_req, weft_h1_parser *p, size_t len,
                          weft_h1_request *rq, weft_h1_response *rs, weft_h1_header *h)
{
    if (is_req)
        return weft_h1_parse_request(p, c->buf, len, rq, h, c->max_hdrs);
    return weft_h1_parse_response(p, c->buf, len, c->req_method, rs, h, c->max_hdrs);
}

/* Parse c->buf[0..c->len) every way; returns the common answer and leaves
 * the whole-buffer parse in c->req / c->resp. */
static inline int h1_run(struct h1_case *c, int is_req)
{
    weft_h1_parser p;
    weft_h1_header h2[NHDR];
    weft_h1_request rq2;
    weft_h1_response rs2;

    weft_h1_parser_init(&p, &c->lim);
    int whole = h1_feed(c, is_req, &p, c->len, &c->req, &c->resp, c->hdrs);

    /* Two pieces, split at every byte; and (k == 1 chain) byte by byte. */
    for (size_t k = 0; k <= c->len; k++) {
        weft_h1_parser_init(&p, &c->lim);
        int r = h1_feed(c, is_req, &p, k, &rq2, &rs2, h2);
        if (r != -EAGAIN) {
            /* A prefix may fail only as the whole does, and succeed only
             * when it holds the whole head. */
            assert_int_equal(r, whole);
            continue;
        }
        r = h1_feed(c, is_req, &p, c->len, &rq2, &rs2, h2);
        assert_int_equal(r, whole);
        if (r > 0 || r == WEFT_EHTTP_BODY_TOO_LARGE) {
            if (is_req)
                req_same(&c->req, &rq2);
            else
                resp_same(&c->resp, &rs2);
        }
    }
    weft_h1_parser_init(&p, &c->lim);
    int r = -EAGAIN;
    for (size_t k = 0; k <= c->len && r == -EAGAIN; k++)
        r = h1_feed(c, is_req, &p, k, &rq2, &rs2, h2);
    assert_int_equal(r, whole);
    if (r > 0) {
        if (is_req)
            req_same(&c->req, &rq2);
        else
            resp_same(&c->resp, &rs2);
    }
    return whole;
}

static inline struct h1_case *h1_case_new(const char *s, size_t n)
{
    struct h1_case *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->buf = malloc(n ? n : 1);
    assert_non_null(c->buf);
    memcpy(c->buf, s, n);
    c->len = n;
    c->max_hdrs = NHDR;
    weft_h1_limits_init(&c->lim);
    return c;
}

static inline void h1_case_free(struct h1_case *c)
{
    free(c->buf);
    free(c);
}

/* Slice equals a C string. */
#define assert_slice(sl, str)                                                   \
    do {                                                                        \
        weft_h1_slice s_ = (sl);                                                \
        assert_non_null(s_.ptr);                                                \
        assert_int_equal(s_.len, strlen(str));                                  \
        assert_memory_equal(s_.ptr, (str), s_.len);                             \
    } while (0)

#endif
