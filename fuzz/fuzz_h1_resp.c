/*
 * fuzz_h1_resp.c - the response parser. Byte 0 picks the limits, byte 1 the
 * method of the request being answered; the rest is the server's bytes.
 * Invariants: whole, two-piece and byte-by-byte parses agree; a prefix in
 * an exact-size buffer answers -EAGAIN or what the whole does; slices lie
 * inside the head; the framing follows RFC 9112 §6.3 for the status and
 * method; interim (1xx) and pipelined responses after the first are parsed
 * the same way.
 */
#include "h1_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct parsed {
    int ret;
    weft_h1_response resp;
    weft_h1_header hdrs[FUZZ_NHDR];
};

static void same_response(const struct parsed *a, const struct parsed *b)
{
    CHECK(a->ret == b->ret);
    if (a->ret < 0 && a->ret != WEFT_EHTTP_BODY_TOO_LARGE)
        return;
    const weft_h1_response *x = &a->resp, *y = &b->resp;
    CHECK(x->version == y->version && x->status == y->status);
    same_slice(x->reason, y->reason);
    CHECK(x->body == y->body && x->content_length == y->content_length && x->flags == y->flags);
    CHECK(x->nheaders == y->nheaders);
    for (size_t i = 0; i < x->nheaders; i++) {
        same_slice(x->headers[i].name, y->headers[i].name);
        same_slice(x->headers[i].value, y->headers[i].value);
    }
}

static void check_response(const weft_h1_limits *l, int method, const char *b, const struct parsed *o)
{
    const weft_h1_response *r = &o->resp;
    if (o->ret == WEFT_EHTTP_BODY_TOO_LARGE)
        return;
    const char *hi = b + o->ret;
    CHECK((size_t)o->ret <= l->max_head);
    CHECK(r->version == 0 || r->version == 1);
    CHECK(r->status >= 100 && r->status <= 999);
    in_range(r->reason, b, hi);
    CHECK(r->headers == o->hdrs && r->nheaders <= l->max_headers);
    check_headers(r->headers, r->nheaders, b, hi);
    CHECK(r->content_length <= l->max_body);
    CHECK(r->body == WEFT_H1_BODY_LENGTH || r->content_length == 0);
    if (method == WEFT_H1_METHOD_HEAD || r->status < 200 || r->status == 204 || r->status == 304)
        CHECK(r->body == WEFT_H1_BODY_NONE);
    if (r->body == WEFT_H1_BODY_CLOSE)
        CHECK(!(r->flags & WEFT_H1_F_KEEP_ALIVE));
    if (r->flags & WEFT_H1_F_TUNNEL)
        CHECK(method == WEFT_H1_METHOD_CONNECT && r->status >= 200 && r->status < 300);
    CHECK(o->ret >= 4 && memcmp(hi - 4, "\r\n\r\n", 4) == 0);
    for (const char *q = b; q < hi; q++)
        if (*q == '\n')
            CHECK(q > b && q[-1] == '\r');
}

static int one_message(const weft_h1_limits *l, int method, const char *b, size_t n, size_t split)
{
    struct parsed *whole = malloc(sizeof *whole), *inc = malloc(sizeof *inc);
    weft_h1_parser p;

    weft_h1_parser_init(&p, l);
    whole->ret = weft_h1_parse_response(&p, b, n, method, &whole->resp, whole->hdrs, FUZZ_NHDR);
    CHECK(whole->ret == -EAGAIN || whole->ret < -4000 || whole->ret > 0);
    if (whole->ret > 0 || whole->ret == WEFT_EHTTP_BODY_TOO_LARGE)
        check_response(l, method, b, whole);

    split = n ? split % (n + 1) : 0;
    weft_h1_parser_init(&p, l);
    inc->ret = weft_h1_parse_response(&p, b, split, method, &inc->resp, inc->hdrs, FUZZ_NHDR);
    if (inc->ret == -EAGAIN)
        inc->ret = weft_h1_parse_response(&p, b, n, method, &inc->resp, inc->hdrs, FUZZ_NHDR);
    same_response(whole, inc);

    weft_h1_parser_init(&p, l);
    inc->ret = -EAGAIN;
    for (size_t k = 0; k <= n && inc->ret == -EAGAIN; k++)
        inc->ret = weft_h1_parse_response(&p, b, k, method, &inc->resp, inc->hdrs, FUZZ_NHDR);
    same_response(whole, inc);

    char *pre = malloc(split ? split : 1);
    memcpy(pre, b, split);
    weft_h1_parser_init(&p, l);
    int r = weft_h1_parse_response(&p, pre, split, method, &inc->resp, inc->hdrs, FUZZ_NHDR);
    CHECK(r == -EAGAIN || r == whole->ret);
    free(pre);

    int ret = whole->ret;
    if (ret > 0 && whole->resp.body == WEFT_H1_BODY_LENGTH && whole->resp.content_length <= n - (size_t)ret)
        ret += (int)whole->resp.content_length; /* skip the body to the next response */
    else if (ret > 0 && whole->resp.body != WEFT_H1_BODY_NONE)
        ret = 0; /* chunked or close-delimited: the rest is body */
    free(whole);
    free(inc);
    return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    weft_h1_limits l;
    fuzz_limits(data[0], &l);
    int method = data[1] % (WEFT_H1_METHOD_PATCH + 1);
    size_t n = size - 2, off = 0;
    char *b = malloc(n ? n : 1);
    memcpy(b, data + 2, n);
    size_t split = 0;
    for (size_t i = 0; i < size; i++)
        split = split * 31 + data[i];
    for (int msgs = 0; msgs < 8 && off <= n; msgs++) {
        int r = one_message(&l, method, b + off, n - off, split + (size_t)msgs);
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    free(b);
    return 0;
}
