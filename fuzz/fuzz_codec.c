/*
 * fuzz_codec.c - the content-coding decoders (weft/http_codec.h). Byte 0
 * picks a Content-Encoding stack, byte 1 the piece sizes; the rest is the
 * body's wire bytes. Invariants (abort() on violation):
 *  - decoded whole and decoded in small input pieces through a small output
 *    buffer: a body that decodes gives the same output both ways (the result
 *    depends on the bytes, not on how they arrive); a bad one fails both
 *    ways, each output a prefix of the other;
 *  - the contract of weft_codec_process: output within the room given; a
 *    call that leaves room has used all its input; errors stick;
 *  - never more than max_output + 1 bytes out; with the ratio limit on, the
 *    output stays within ratio x input past the grace size (one call's
 *    output of slack);
 *  - a body that decoded re-encodes with its codings and decodes back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                \
    do {                                                                        \
        if (!(x)) {                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                            \
        }                                                                       \
    } while (0)

static const char *const stacks[] = {
    "gzip", "deflate", "br", "zstd", "identity", "gzip, br", "deflate, zstd", "br, gzip",
    "zstd, deflate, gzip", "x-gzip",
};
#define NSTACKS (sizeof stacks / sizeof *stacks)

#define MAX_OUT (1u << 20)

struct result {
    int ret;          /* WEFT_CODEC_END or an error; 0 if the input ran out (never) */
    uint8_t *out;
    size_t n;
};

static void decode(const char *ce, const weft_codec_limits *lim, const uint8_t *in, size_t len,
                   size_t piece, size_t room, struct result *res)
{
    weft_codec *d;
    CHECK(weft_codec_decoder_new(ce, strlen(ce), lim, &d) == 0);
    res->out = malloc(MAX_OUT + 65536);
    res->n = 0;
    uint8_t *buf = malloc(room);
    size_t pos = 0;
    int r;
    for (;;) {
        size_t take = len - pos < piece ? len - pos : piece;
        unsigned fl = pos + take == len ? WEFT_CODEC_FINISH : 0;
        size_t u = take, m = room;
        r = weft_codec_process(d, in + pos, &u, buf, &m, fl);
        CHECK(u <= take && m <= room);
        CHECK(res->n + m <= MAX_OUT + 65536);
        memcpy(res->out + res->n, buf, m);
        res->n += m;
        pos += u;
        if (r < 0) {
            /* it sticks */
            size_t u2 = len - pos, m2 = room;
            CHECK(weft_codec_process(d, in + pos, &u2, buf, &m2, fl) == r);
            CHECK(u2 == 0 && m2 == 0);
            break;
        }
        CHECK(r == 0 || r == WEFT_CODEC_END);
        CHECK(weft_codec_done(d) == (r == WEFT_CODEC_END));
        if (r == WEFT_CODEC_END && pos == len)
            break;
        if (r == 0 && m < room)
            CHECK(u == take); /* room left: all input used */
        /* what earlier calls delivered passed the ratio check */
        if (lim->max_ratio && res->n - m > lim->ratio_grace)
            CHECK((res->n - m) / lim->max_ratio <= weft_codec_total_in(d));
    }
    CHECK(weft_codec_total_out(d) == res->n);
    CHECK(res->n <= lim->max_output + 1);
    res->ret = r;
    free(buf);
    weft_codec_free(d);
}

/* Re-encode out with the stack's codings and decode it back. */
static void round_trip(const char *ce, const uint8_t *out, size_t n)
{
    weft_codec *d;
    CHECK(weft_codec_decoder_new(ce, strlen(ce), NULL, &d) == 0);
    int codings[8];
    size_t nc = weft_codec_codings(d, codings, 8);
    weft_codec_free(d);
    void *cur = malloc(n ? n : 1);
    memcpy(cur, out, n);
    size_t curn = n;
    for (size_t i = 0; i < nc; i++) {
        void *next;
        size_t nextn;
        CHECK(weft_http_encode(codings[i], 1 + (int)(i % 3), cur, curn, &next, &nextn) == 0);
        free(cur);
        cur = next;
        curn = nextn;
    }
    weft_codec_limits lim;
    weft_codec_limits_init(&lim);
    lim.max_ratio = 0;
    void *back;
    size_t backn;
    CHECK(weft_http_decode(ce, strlen(ce), cur, curn, &lim, &back, &backn) == 0);
    CHECK(backn == n && memcmp(back, out, n) == 0);
    free(back);
    free(cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *ce = stacks[data[0] % NSTACKS];
    size_t piece = 1 + (data[1] & 0x0f);
    size_t room = 1 + (size_t)(data[1] >> 4) * 17;
    const uint8_t *in = data + 2;
    size_t len = size - 2;

    weft_codec_limits lim;
    weft_codec_limits_init(&lim);
    lim.max_output = MAX_OUT;
    lim.max_ratio = 0; /* the ratio depends on how far input was read: off to compare */

    struct result whole, pieces;
    decode(ce, &lim, in, len, len ? len : 1, 65536, &whole);
    decode(ce, &lim, in, len, piece, room, &pieces);
    if (whole.ret == WEFT_CODEC_END || pieces.ret == WEFT_CODEC_END) {
        CHECK(whole.ret == pieces.ret);
        CHECK(whole.n == pieces.n && memcmp(whole.out, pieces.out, whole.n) == 0);
    } else {
        /* Both failed. How much came out before the failure depends on the
         * room (brotli keeps output in its ring buffer until asked), so one
         * output is a prefix of the other; and which failure shows first
         * may differ: a size overrun before the corruption the other run
         * met, or zlib's fast path seeing a bad distance where its byte-
         * at-a-time path still waits for the bits of a truncated stream. */
        CHECK(whole.ret < 0 && pieces.ret < 0);
        size_t k = whole.n < pieces.n ? whole.n : pieces.n;
        CHECK(memcmp(whole.out, pieces.out, k) == 0);
    }
    CHECK(whole.ret == WEFT_CODEC_END || whole.ret == WEFT_EHTTP_CODING_CORRUPT ||
          whole.ret == WEFT_EHTTP_CODING_TRUNCATED || whole.ret == WEFT_EHTTP_CODING_TOO_LARGE);

    /* the ratio limit on, tight */
    struct result ratio;
    weft_codec_limits rl;
    weft_codec_limits_init(&rl);
    rl.max_output = MAX_OUT;
    rl.max_ratio = 20;
    rl.ratio_grace = 4096;
    decode(ce, &rl, in, len, piece, room, &ratio);
    size_t k = ratio.n < pieces.n ? ratio.n : pieces.n;
    CHECK(memcmp(ratio.out, pieces.out, k) == 0);
    if (pieces.ret == WEFT_CODEC_END)
        CHECK(ratio.ret == WEFT_CODEC_END || ratio.ret == WEFT_EHTTP_CODING_RATIO);
    else
        CHECK(ratio.ret < 0);
    if (ratio.ret == pieces.ret)
        CHECK(ratio.n == pieces.n);

    if (whole.ret == WEFT_CODEC_END && whole.n <= 65536)
        round_trip(ce, whole.out, whole.n);
    free(whole.out);
    free(pieces.out);
    free(ratio.out);
    return 0;
}
