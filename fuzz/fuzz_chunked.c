/*
 * fuzz_chunked.c - the chunked decoder. Byte 0 picks the limits; the rest
 * is a body's wire bytes. Invariants:
 *  - decoded in place whole, in place in two pieces (split chosen from the
 *    data, each piece in its own exact-size buffer), and through decode_to
 *    with a little room at a time: same result, same body, same leftover;
 *  - the body is never longer than the input, nor over max_body;
 *  - a decoded body, re-encoded with weft_h1_chunk_header in chunks of a
 *    data-chosen size, decodes back to itself.
 */
#include "h1_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
    int ret;      /* 0 done, -EAGAIN, or an error */
    char *body;
    size_t blen;
    size_t used;  /* input bytes the body took (when done) */
};

/* In place, pieces [0,k) and [k,n), each in an exact-size heap buffer. */
static void run_pieces(const weft_h1_limits *l, const char *w, size_t n, size_t k, struct result *o)
{
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, l);
    size_t bounds[3] = { 0, k, n };
    o->body = malloc(n + 1);
    o->blen = 0;
    o->ret = -EAGAIN;
    o->used = 0;
    for (int i = 0; i < 2 && o->ret == -EAGAIN; i++) {
        size_t plen = bounds[i + 1] - bounds[i], len = plen;
        char *piece = malloc(plen ? plen : 1);
        memcpy(piece, w + bounds[i], plen);
        int r = weft_h1_chunked_decode(&c, piece, &len);
        CHECK(len <= plen);
        memcpy(o->body + o->blen, piece, len);
        o->blen += len;
        if (r >= 0) {
            CHECK(weft_h1_chunked_done(&c));
            CHECK(len + (size_t)r <= plen);
            /* The leftover was moved to sit right after the body. */
            CHECK(memcmp(piece + len, w + bounds[i + 1] - (size_t)r, (size_t)r) == 0);
            o->used = bounds[i + 1] - (size_t)r;
            o->ret = 0;
        } else {
            CHECK(!weft_h1_chunked_done(&c));
            o->ret = r;
        }
        free(piece);
    }
}

/* Through decode_to with `room` bytes of output at a time. */
static void run_small_room(const weft_h1_limits *l, const char *w, size_t n, size_t room, struct result *o)
{
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, l);
    size_t off = 0;
    o->body = malloc(n + 1);
    o->blen = 0;
    o->ret = -EAGAIN;
    while (o->ret == -EAGAIN && off < n) {
        size_t in = n - off, out = room;
        o->ret = weft_h1_chunked_decode_to(&c, w + off, &in, o->body + o->blen, &out);
        CHECK(in <= n - off && out <= room);
        if (o->ret == -EAGAIN)
            CHECK(in == n - off || out == room); /* it stops only when it must */
        off += in;
        o->blen += out;
    }
    o->used = off;
}

static void same(const struct result *a, const struct result *b)
{
    CHECK(a->ret == b->ret);
    if (a->ret == 0 || a->ret == -EAGAIN) {
        CHECK(a->blen == b->blen);
        CHECK(memcmp(a->body, b->body, a->blen) == 0);
    }
    if (a->ret == 0)
        CHECK(a->used == b->used);
}

static void round_trip(const weft_h1_limits *l, const struct result *o, size_t step)
{
    size_t cap = o->blen + (o->blen / step + 2) * (WEFT_H1_CHUNK_HEADER_MAX + 2) + 8, n = 0;
    char *w = malloc(cap);
    for (size_t off = 0; off < o->blen; off += step) {
        size_t k = o->blen - off < step ? o->blen - off : step;
        n += weft_h1_chunk_header(w + n, k);
        memcpy(w + n, o->body + off, k);
        n += k;
        w[n++] = '\r';
        w[n++] = '\n';
    }
    memcpy(w + n, WEFT_H1_CHUNK_LAST, 5);
    n += 5;
    CHECK(n <= cap);
    weft_h1_chunked c;
    weft_h1_chunked_init(&c, l);
    size_t len = n;
    CHECK(weft_h1_chunked_decode(&c, w, &len) == 0);
    CHECK(len == o->blen && memcmp(w, o->body, len) == 0);
    free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    weft_h1_limits l;
    fuzz_limits(data[0], &l);
    const char *w = (const char *)data + 1;
    size_t n = size - 1, h = 0;
    for (size_t i = 0; i < size; i++)
        h = h * 31 + data[i];

    struct result whole, split, small;
    run_pieces(&l, w, n, n, &whole);
    CHECK(whole.ret == 0 || whole.ret == -EAGAIN || whole.ret == WEFT_EHTTP_BAD_CHUNK ||
          whole.ret == WEFT_EHTTP_BODY_TOO_LARGE || whole.ret == WEFT_EHTTP_HEADERS_TOO_LARGE);
    CHECK(whole.blen <= n && whole.blen <= l.max_body);
    run_pieces(&l, w, n, n ? h % (n + 1) : 0, &split);
    same(&whole, &split);
    run_small_room(&l, w, n, 1 + (h >> 8) % 7, &small);
    same(&whole, &small);
    if (whole.ret == 0)
        round_trip(&l, &whole, 1 + (h >> 16) % 64);
    free(whole.body);
    free(split.body);
    free(small.body);
    return 0;
}
