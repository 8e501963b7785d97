/*
 * fuzz_h1_req.c - the request parser. Byte 0 picks the limits; the rest is
 * the connection's bytes. Invariants checked on every input:
 *  - fed whole, in two pieces (split chosen from the data) and byte by byte,
 *    the parser gives the same answer and the same fields;
 *  - a prefix in an exact-size buffer (so ASan sees over-reads) answers
 *    -EAGAIN or what the whole does;
 *  - every slice lies inside the head; names are tokens; values are trimmed
 *    and hold no CR, LF or NUL; framing agrees with the limits;
 *  - a parsed head, written back out in canonical form, parses to the same
 *    request (nothing the parser accepted can be read two ways);
 *  - pipelined requests after the first are parsed the same way.
 */
#include "h1_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct parsed {
    int ret;
    weft_h1_request req;
    weft_h1_header hdrs[FUZZ_NHDR];
};

static int parse_whole(const weft_h1_limits *l, const char *b, size_t n, struct parsed *o)
{
    weft_h1_parser p;
    weft_h1_parser_init(&p, l);
    o->ret = weft_h1_parse_request(&p, b, n, &o->req, o->hdrs, FUZZ_NHDR);
    return o->ret;
}

static void same_request(const struct parsed *a, const struct parsed *b)
{
    CHECK(a->ret == b->ret);
    if (a->ret < 0 && a->ret != WEFT_EHTTP_BODY_TOO_LARGE)
        return;
    const weft_h1_request *x = &a->req, *y = &b->req;
    same_slice(x->method, y->method);
    same_slice(x->target, y->target);
    same_slice(x->path, y->path);
    same_slice(x->query, y->query);
    same_slice(x->authority, y->authority);
    same_slice(x->host, y->host);
    CHECK(x->method_id == y->method_id && x->form == y->form && x->version == y->version);
    CHECK(x->body == y->body && x->content_length == y->content_length && x->flags == y->flags);
    CHECK(x->nheaders == y->nheaders);
    for (size_t i = 0; i < x->nheaders; i++) {
        same_slice(x->headers[i].name, y->headers[i].name);
        same_slice(x->headers[i].value, y->headers[i].value);
    }
}

static void check_request(const weft_h1_limits *l, const char *b, const struct parsed *o)
{
    const weft_h1_request *r = &o->req;
    const char *hi = b + (o->ret > 0 ? (size_t)o->ret : 0);
    if (o->ret == WEFT_EHTTP_BODY_TOO_LARGE)
        return; /* filled, but its length is unknown here */
    CHECK(o->ret > 0);
    CHECK((size_t)o->ret <= l->max_head);
    in_range(r->method, b, hi);
    in_range(r->target, b, hi);
    in_range(r->path, r->target.ptr, r->target.ptr + r->target.len);
    in_range(r->query, r->target.ptr, r->target.ptr + r->target.len);
    in_range(r->authority, r->target.ptr, r->target.ptr + r->target.len);
    in_range(r->host, b, hi);
    CHECK(r->method.len > 0 && r->method.len <= 32 && r->target.len > 0);
    CHECK(r->version == 0 || r->version == 1);
    CHECK(r->version == 0 || r->host.ptr);
    CHECK(r->headers == o->hdrs && r->nheaders <= l->max_headers);
    CHECK(r->body == WEFT_H1_BODY_NONE || r->body == WEFT_H1_BODY_LENGTH ||
          r->body == WEFT_H1_BODY_CHUNKED);
    CHECK(r->body == WEFT_H1_BODY_LENGTH || r->content_length == 0);
    CHECK(r->content_length <= l->max_body);
    CHECK(r->body != WEFT_H1_BODY_CHUNKED || r->version == 1);
    check_headers(r->headers, r->nheaders, b, hi);
    /* The head really ends with an empty line and holds no bare LF. */
    CHECK(o->ret >= 4 && memcmp(hi - 4, "\r\n\r\n", 4) == 0);
    for (const char *q = b; q < hi; q++)
        if (*q == '\n')
            CHECK(q > b && q[-1] == '\r');
}

/* Write the parsed request back in canonical form and parse that: it must
 * mean the same thing. */
static void round_trip(const weft_h1_limits *l, const struct parsed *o)
{
    const weft_h1_request *r = &o->req;
    size_t cap = (size_t)o->ret + r->nheaders + 64, n = 0; /* ": " may add a byte per field */
    char *out = malloc(cap);
    memcpy(out + n, r->method.ptr, r->method.len), n += r->method.len;
    out[n++] = ' ';
    memcpy(out + n, r->target.ptr, r->target.len), n += r->target.len;
    n += (size_t)sprintf(out + n, " HTTP/1.%d\r\n", r->version);
    for (size_t i = 0; i < r->nheaders; i++) {
        const weft_h1_header *h = &r->headers[i];
        memcpy(out + n, h->name.ptr, h->name.len), n += h->name.len;
        out[n++] = ':';
        out[n++] = ' ';
        memcpy(out + n, h->value.ptr, h->value.len), n += h->value.len;
        out[n++] = '\r';
        out[n++] = '\n';
    }
    out[n++] = '\r';
    out[n++] = '\n';
    CHECK(n <= cap);
    weft_h1_limits big = *l;
    big.max_head = (size_t)o->ret + r->nheaders + 64; /* ": " may add a byte per field */
    big.max_request_line = l->max_request_line < 64 ? 64 : l->max_request_line;
    struct parsed *o2 = malloc(sizeof *o2);
    CHECK(parse_whole(&big, out, n, o2) == (int)n);
    const weft_h1_request *y = &o2->req;
    same_text(r->method, y->method);
    same_text(r->target, y->target);
    same_text(r->path, y->path);
    same_text(r->query, y->query);
    same_text(r->authority, y->authority);
    same_text(r->host, y->host);
    CHECK(r->method_id == y->method_id && r->form == y->form && r->version == y->version);
    CHECK(r->body == y->body && r->content_length == y->content_length && r->flags == y->flags);
    CHECK(r->nheaders == y->nheaders);
    for (size_t i = 0; i < r->nheaders; i++) {
        same_text(r->headers[i].name, y->headers[i].name);
        same_text(r->headers[i].value, y->headers[i].value);
    }
    free(o2);
    free(out);
}

/* One message at b[0..n): every way of feeding it must agree. */
static int one_message(const weft_h1_limits *l, const char *b, size_t n, size_t split)
{
    struct parsed *whole = malloc(sizeof *whole), *inc = malloc(sizeof *inc);
    weft_h1_parser p;

    parse_whole(l, b, n, whole);
    CHECK(whole->ret == -EAGAIN || whole->ret < -4000 || whole->ret > 0);
    if (whole->ret > 0 || whole->ret == WEFT_EHTTP_BODY_TOO_LARGE)
        check_request(l, b, whole);
    if (whole->ret > 0)
        round_trip(l, whole);

    /* Two pieces. */
    split = n ? split % (n + 1) : 0;
    weft_h1_parser_init(&p, l);
    inc->ret = weft_h1_parse_request(&p, b, split, &inc->req, inc->hdrs, FUZZ_NHDR);
    if (inc->ret == -EAGAIN)
        inc->ret = weft_h1_parse_request(&p, b, n, &inc->req, inc->hdrs, FUZZ_NHDR);
    same_request(whole, inc);

    /* Byte by byte. */
    weft_h1_parser_init(&p, l);
    inc->ret = -EAGAIN;
    for (size_t k = 0; k <= n && inc->ret == -EAGAIN; k++)
        inc->ret = weft_h1_parse_request(&p, b, k, &inc->req, inc->hdrs, FUZZ_NHDR);
    same_request(whole, inc);

    /* A prefix in a buffer of its exact size. */
    char *pre = malloc(split ? split : 1);
    memcpy(pre, b, split);
    struct parsed *po = malloc(sizeof *po);
    parse_whole(l, pre, split, po);
    CHECK(po->ret == -EAGAIN || po->ret == whole->ret);
    free(po);
    free(pre);

    int ret = whole->ret;
    free(whole);
    free(inc);
    return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    weft_h1_limits l;
    fuzz_limits(data[0], &l);
    size_t n = size - 1, off = 0;
    /* An exact-size copy, so reading past the end is an ASan error. */
    char *b = malloc(n ? n : 1);
    memcpy(b, data + 1, n);
    size_t split = 0;
    for (size_t i = 0; i < size; i++)
        split = split * 31 + data[i];
    for (int msgs = 0; msgs < 8 && off <= n; msgs++) {
        int r = one_message(&l, b + off, n - off, split + (size_t)msgs);
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    free(b);
    return 0;
}
