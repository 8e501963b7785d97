/* test_codec.c - content codings: round trips through every coding with
 * input and output cut down to single bytes, stacks, flushes, the
 * Content-Encoding and Accept-Encoding parsers, and every way a body can be
 * bad: truncated, corrupt, trailing bytes, decompression bombs. */
#include "weft_test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "weft/http_codec.h"

static const int codings[] = { WEFT_CODING_IDENTITY, WEFT_CODING_GZIP, WEFT_CODING_DEFLATE,
                               WEFT_CODING_BR, WEFT_CODING_ZSTD };
#define NCODINGS (sizeof codings / sizeof *codings)

/* ------------------------------------------------------------- helpers */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void buf_put(buf *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Text-like data: words from a small vocabulary, so it compresses as HTML does. */
static uint8_t *make_text(size_t n, uint32_t seed)
{
    static const char *const words[] = { "the ", "weft ", "<div class=\"row\">", "loop ",
                                         "coroutine ", "\n", "HTTP/1.1 ", "{\"id\": ",
                                         "42, ", "zstd ", "brotli ", "gzip " };
    uint8_t *p = malloc(n + 1);
    assert_non_null(p);
    size_t i = 0;
    while (i < n) {
        const char *w = words[rng(&seed) % (sizeof words / sizeof *words)];
        for (; *w && i < n; w++)
            p[i++] = (uint8_t)*w;
    }
    return p;
}

static uint8_t *make_random(size_t n, uint32_t seed)
{
    uint8_t *p = malloc(n + 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng(&seed);
    return p;
}

/* Encode in pieces of in_chunk bytes into out_chunk-byte buffers, checking
 * the contract of weft_codec_process at every call. */
static buf encode_chunked(int coding, int level, const uint8_t *in, size_t len, size_t in_chunk,
                          size_t out_chunk)
{
    weft_codec *e;
    assert_int_equal(weft_codec_encoder_new(coding, level, &e), 0);
    buf b = { 0 };
    uint8_t *out = malloc(out_chunk);
    size_t pos = 0;
    for (;;) {
        size_t n = len - pos < in_chunk ? len - pos : in_chunk;
        unsigned fl = pos + n == len ? WEFT_CODEC_FINISH : 0;
        size_t u = n, m = out_chunk;
        int r = weft_codec_process(e, in + pos, &u, out, &m, fl);
        assert_true(r >= 0);
        assert_true(u <= n && m <= out_chunk);
        buf_put(&b, out, m);
        pos += u;
        if (r == WEFT_CODEC_END) {
            assert_int_equal(pos, len);
            break;
        }
        if (m < out_chunk)
            assert_int_equal(u, n); /* room left: all input used */
    }
    assert_true(weft_codec_done(e));
    assert_int_equal(weft_codec_total_in(e), len);
    assert_int_equal(weft_codec_total_out(e), b.n);
    free(out);
    weft_codec_free(e);
    return b;
}

/* Decode in pieces, FINISH with the last one. Returns the last status
 * (WEFT_CODEC_END or an error) and the output so far in *res. */
static int decode_chunked(weft_codec *d, const uint8_t *in, size_t len, size_t in_chunk,
                          size_t out_chunk, buf *res)
{
    uint8_t *out = malloc(out_chunk);
    size_t pos = 0;
    int r;
    memset(res, 0, sizeof *res);
    buf_put(res, "", 0);
    for (;;) {
        size_t n = len - pos < in_chunk ? len - pos : in_chunk;
        unsigned fl = pos + n == len ? WEFT_CODEC_FINISH : 0;
        size_t u = n, m = out_chunk;
        r = weft_codec_process(d, in + pos, &u, out, &m, fl);
        assert_true(u <= n && m <= out_chunk);
        buf_put(res, out, m);
        pos += u;
        if (r < 0)
            break;
        if (r == WEFT_CODEC_END && pos == len)
            break;
        if (r == 0 && m < out_chunk)
            assert_int_equal(u, n);
    }
    free(out);
    return r;
}

static int decode_with(const char *ce, const weft_codec_limits *lim, const uint8_t *in,
                       size_t len, size_t in_chunk, size_t out_chunk, buf *res)
{
    weft_codec *d;
    int r = weft_codec_decoder_new(ce, ce ? strlen(ce) : 0, lim, &d);
    if (r < 0)
        return r;
    r = decode_chunked(d, in, len, in_chunk, out_chunk, res);
    weft_codec_free(d);
    return r;
}

static buf encode_all(int coding, const uint8_t *in, size_t len)
{
    return encode_chunked(coding, WEFT_CODEC_LEVEL_DEFAULT, in, len, len ? len : 1, 1 << 16);
}

static void check_round_trip(int coding, const uint8_t *data, size_t len, size_t ein, size_t eout,
                             size_t din, size_t dout)
{
    buf enc = encode_chunked(coding, WEFT_CODEC_LEVEL_DEFAULT, data, len, ein, eout);
    buf dec;
    int r = decode_with(weft_coding_name(coding), NULL, enc.p, enc.n, din, dout, &dec);
    if (r != WEFT_CODEC_END)
        fail_msg("%s len %zu chunks %zu/%zu %zu/%zu: %s", weft_coding_name(coding), len, ein,
                 eout, din, dout, weft_strerror(r));
    assert_int_equal(dec.n, len);
    assert_memory_equal(dec.p, data, len);
    free(enc.p);
    free(dec.p);
}

/* --------------------------------------------------------- round trips */

static void round_trip_sizes(void **state)
{
    (void)state;
    const size_t sizes[] = { 0, 1, 2, 100, 65536, 70001, WEFT_SCALED(3u << 20) };
    for (size_t ci = 0; ci < NCODINGS; ci++) {
        for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
            for (int kind = 0; kind < 2; kind++) {
                size_t n = sizes[si];
                uint8_t *d = kind ? make_random(n, 7 + (uint32_t)si) : make_text(n, 3);
                check_round_trip(codings[ci], d, n, n ? n : 1, 1 << 16, 1 << 16, 1 << 16);
                free(d);
            }
        }
    }
}

static void round_trip_tiny_chunks(void **state)
{
    (void)state;
    size_t n = WEFT_SCALED(20000);
    uint8_t *d = make_text(n, 11);
    const size_t in_chunks[] = { 1, 7, 4096, n };
    const size_t out_chunks[] = { 1, 13, 65536 };
    for (size_t ci = 0; ci < NCODINGS; ci++)
        for (size_t a = 0; a < 4; a++)
            for (size_t b = 0; b < 3; b++)
                check_round_trip(codings[ci], d, n, in_chunks[a], out_chunks[b], in_chunks[3 - a],
                                 out_chunks[2 - b]);
    free(d);
}

static void round_trip_levels(void **state)
{
    (void)state;
    size_t n = 50000;
    uint8_t *d = make_text(n, 5);
    struct { int coding, lo, hi; } r[] = {
        { WEFT_CODING_GZIP, 0, 9 }, { WEFT_CODING_DEFLATE, 0, 9 },
        { WEFT_CODING_BR, 0, 11 }, { WEFT_CODING_ZSTD, 1, 19 },
    };
    for (size_t i = 0; i < 4; i++) {
        for (int lv = r[i].lo; lv <= r[i].hi; lv++) {
            buf enc = encode_chunked(r[i].coding, lv, d, n, 10000, 4096);
            buf dec;
            assert_int_equal(decode_with(weft_coding_name(r[i].coding), NULL, enc.p, enc.n,
                                         enc.n, 1 << 16, &dec),
                             WEFT_CODEC_END);
            assert_int_equal(dec.n, n);
            assert_memory_equal(dec.p, d, n);
            free(enc.p);
            free(dec.p);
        }
        weft_codec *e;
        int below = r[i].lo - 1 == WEFT_CODEC_LEVEL_DEFAULT ? -2 : r[i].lo - 1;
        assert_int_equal(weft_codec_encoder_new(r[i].coding, below, &e), -EINVAL);
        assert_int_equal(weft_codec_encoder_new(r[i].coding, r[i].hi + 1, &e), -EINVAL);
    }
    weft_codec *e;
    assert_int_equal(weft_codec_encoder_new(WEFT_CODING_COUNT, 1, &e), -EINVAL);
    assert_int_equal(weft_codec_encoder_new(-1, 1, &e), -EINVAL);
    free(d);
}

/* Text compresses; a compressed copy of random data is not much larger. */
static void compression_works(void **state)
{
    (void)state;
    size_t n = 100000;
    uint8_t *t = make_text(n, 1), *rnd = make_random(n, 2);
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        buf a = encode_all(codings[ci], t, n), b = encode_all(codings[ci], rnd, n);
        assert_true(a.n < n / 4);
        assert_true(b.n < n + n / 100 + 64);
        free(a.p);
        free(b.p);
    }
    free(t);
    free(rnd);
}

/* After each FLUSH, a decoder given everything so far yields exactly the
 * plain bytes so far: what a streamed response needs. */
static void flush_makes_prefix_decodable(void **state)
{
    (void)state;
    size_t n = 30000, piece = 3000;
    uint8_t *d = make_text(n, 9);
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        weft_codec *e, *dd;
        assert_int_equal(weft_codec_encoder_new(codings[ci], WEFT_CODEC_LEVEL_DEFAULT, &e), 0);
        assert_int_equal(weft_codec_decoder_new(weft_coding_name(codings[ci]),
                                                strlen(weft_coding_name(codings[ci])), NULL,
                                                &dd),
                         0);
        buf plain = { 0 };
        uint8_t out[97], dout[4096];
        for (size_t pos = 0; pos < n; pos += piece) {
            bool last = pos + piece >= n;
            unsigned fl = last ? WEFT_CODEC_FINISH : WEFT_CODEC_FLUSH;
            size_t fed = 0;
            int r;
            do { /* output of 97 bytes: the flush spans many calls */
                size_t u = piece - fed, m = sizeof out;
                r = weft_codec_process(e, d + pos + fed, &u, out, &m, fl);
                assert_true(r >= 0);
                fed += u;
                /* decode what came out at once */
                size_t off = 0;
                while (off < m) {
                    size_t du = m - off, dm = sizeof dout;
                    int dr = weft_codec_process(dd, out + off, &du, dout, &dm, 0);
                    assert_true(dr >= 0);
                    off += du;
                    buf_put(&plain, dout, dm);
                }
                if (r == WEFT_CODEC_END || m < sizeof out)
                    break;
            } while (1);
            assert_int_equal(fed, piece);
            /* drain the decoder */
            for (;;) {
                size_t du = 0, dm = sizeof dout;
                assert_true(weft_codec_process(dd, NULL, &du, dout, &dm, 0) >= 0);
                buf_put(&plain, dout, dm);
                if (dm < sizeof dout)
                    break;
            }
            assert_int_equal(plain.n, pos + piece);
            assert_memory_equal(plain.p, d, plain.n);
            if (last)
                assert_int_equal(r, WEFT_CODEC_END);
        }
        assert_true(weft_codec_done(dd));
        free(plain.p);
        weft_codec_free(e);
        weft_codec_free(dd);
    }
    free(d);
}

/* A FLUSH left incomplete by a small output buffer, then raised to FINISH
 * with more input: the pending flush completes over its own bytes first. */
static void flush_then_finish_with_small_output(void **state)
{
    (void)state;
    size_t n = 20000;
    uint8_t *d = make_text(n, 4);
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        weft_codec *e;
        assert_int_equal(weft_codec_encoder_new(codings[ci], WEFT_CODEC_LEVEL_DEFAULT, &e), 0);
        buf enc = { 0 };
        uint8_t out[5];
        size_t pos = 0, half = n / 2;
        /* FLUSH over the first half, one call only: output is full */
        size_t u = half, m = sizeof out;
        assert_int_equal(weft_codec_process(e, d, &u, out, &m, WEFT_CODEC_FLUSH), 0);
        buf_put(&enc, out, m);
        pos += u;
        /* then FINISH over the rest */
        int r;
        do {
            u = n - pos;
            m = sizeof out;
            r = weft_codec_process(e, d + pos, &u, out, &m, WEFT_CODEC_FINISH);
            assert_true(r >= 0);
            buf_put(&enc, out, m);
            pos += u;
        } while (r != WEFT_CODEC_END);
        assert_int_equal(pos, n);
        buf dec;
        assert_int_equal(decode_with(weft_coding_name(codings[ci]), NULL, enc.p, enc.n, 100, 777,
                                     &dec),
                         WEFT_CODEC_END);
        assert_int_equal(dec.n, n);
        assert_memory_equal(dec.p, d, n);
        /* an encoder refuses input after its end */
        u = 1;
        m = sizeof out;
        assert_int_equal(weft_codec_process(e, d, &u, out, &m, 0), -EINVAL);
        free(enc.p);
        free(dec.p);
        weft_codec_free(e);
    }
    free(d);
}

static void reset_reuses(void **state)
{
    (void)state;
    size_t n = 10000;
    uint8_t *a = make_text(n, 21), *b = make_random(n, 22);
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        weft_codec *e, *dd;
        const char *name = weft_coding_name(codings[ci]);
        assert_int_equal(weft_codec_encoder_new(codings[ci], WEFT_CODEC_LEVEL_DEFAULT, &e), 0);
        assert_int_equal(weft_codec_decoder_new(name, strlen(name), NULL, &dd), 0);
        for (int round = 0; round < 3; round++) {
            const uint8_t *src = round % 2 ? b : a;
            static uint8_t out[1 << 17];
            size_t u = n, m = sizeof out;
            assert_int_equal(weft_codec_process(e, src, &u, out, &m, WEFT_CODEC_FINISH),
                             WEFT_CODEC_END);
            buf dec;
            assert_int_equal(decode_chunked(dd, out, m, 1000, 1 << 16, &dec), WEFT_CODEC_END);
            assert_int_equal(dec.n, n);
            assert_memory_equal(dec.p, src, n);
            free(dec.p);
            weft_codec_reset(e);
            weft_codec_reset(dd);
            assert_false(weft_codec_done(e));
            assert_int_equal(weft_codec_total_in(dd), 0);
        }
        weft_codec_free(e);
        weft_codec_free(dd);
    }
    free(a);
    free(b);
}

/* ------------------------------------------------------------- stacks */

static void stacked_decodes_in_reverse(void **state)
{
    (void)state;
    size_t n = WEFT_SCALED(200000);
    uint8_t *d = make_text(n, 13);
    /* applied: gzip then br */
    buf g = encode_all(WEFT_CODING_GZIP, d, n);
    buf gb = encode_all(WEFT_CODING_BR, g.p, g.n);
    const size_t chunks[] = { 1, 333, gb.n };
    for (size_t i = 0; i < 3; i++) {
        buf dec;
        assert_int_equal(decode_with("gzip, br", NULL, gb.p, gb.n, chunks[i], chunks[2 - i] + 1,
                                     &dec),
                         WEFT_CODEC_END);
        assert_int_equal(dec.n, n);
        assert_memory_equal(dec.p, d, n);
        free(dec.p);
    }
    /* the wrong order is not valid br on the wire */
    buf dec;
    assert_int_equal(decode_with("br, gzip", NULL, gb.p, gb.n, gb.n, 4096, &dec),
                     WEFT_EHTTP_CODING_CORRUPT);
    free(dec.p);
    /* three deep, with identity noise and odd spacing */
    buf z = encode_all(WEFT_CODING_DEFLATE, d, n);
    buf zz = encode_all(WEFT_CODING_ZSTD, z.p, z.n);
    buf zzg = encode_all(WEFT_CODING_GZIP, zz.p, zz.n);
    assert_int_equal(decode_with(" deflate ,identity,zstd,\tGZIP ", NULL, zzg.p, zzg.n, 17, 1000,
                                 &dec),
                     WEFT_CODEC_END);
    assert_int_equal(dec.n, n);
    assert_memory_equal(dec.p, d, n);
    free(dec.p);
    weft_codec *c;
    assert_int_equal(weft_codec_decoder_new("deflate, zstd, gzip", 19, NULL, &c), 0);
    int list[4];
    assert_int_equal(weft_codec_codings(c, list, 4), 3);
    assert_int_equal(list[0], WEFT_CODING_DEFLATE);
    assert_int_equal(list[1], WEFT_CODING_ZSTD);
    assert_int_equal(list[2], WEFT_CODING_GZIP);
    weft_codec_free(c);
    /* an inner stream that is truncated while the outer one is whole */
    buf gcut = encode_all(WEFT_CODING_BR, g.p, g.n - 3);
    assert_int_equal(decode_with("gzip, br", NULL, gcut.p, gcut.n, 100, 4096, &dec),
                     WEFT_EHTTP_CODING_TRUNCATED);
    free(dec.p);
    /* an inner stream followed by junk inside the outer one */
    uint8_t *junk = malloc(z.n + 4);
    memcpy(junk, z.p, z.n);
    memcpy(junk + z.n, "junk", 4);
    buf zj = encode_all(WEFT_CODING_GZIP, junk, z.n + 4);
    assert_int_equal(decode_with("deflate, gzip", NULL, zj.p, zj.n, 100, 4096, &dec),
                     WEFT_EHTTP_CODING_CORRUPT);
    free(dec.p);
    free(junk);
    free(zj.p);
    free(gcut.p);
    free(z.p);
    free(zz.p);
    free(zzg.p);
    free(g.p);
    free(gb.p);
    free(d);
}

static void content_encoding_values(void **state)
{
    (void)state;
    weft_codec *c;
    int list[8];
    struct { const char *v; int r; size_t n; int first; } cases[] = {
        { "gzip", 0, 1, WEFT_CODING_GZIP },
        { "GZip", 0, 1, WEFT_CODING_GZIP },
        { "x-gzip", 0, 1, WEFT_CODING_GZIP },
        { "identity", 0, 0, 0 },
        { "", 0, 0, 0 },
        { " , ,", 0, 0, 0 },
        { "br,zstd", 0, 2, WEFT_CODING_BR },
        { "compress", WEFT_EHTTP_CODING_UNSUPPORTED, 0, 0 },
        { "gzip;q=1", WEFT_EHTTP_CODING_UNSUPPORTED, 0, 0 },
        { "gzip br", WEFT_EHTTP_CODING_UNSUPPORTED, 0, 0 },
        { "gzip, gzip, gzip, gzip, gzip", 0, 5, WEFT_CODING_GZIP },
        { "gzip, gzip, gzip, gzip, gzip, gzip", WEFT_EHTTP_CODING_TOO_MANY, 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int r = weft_codec_decoder_new(cases[i].v, strlen(cases[i].v), NULL, &c);
        if (r != cases[i].r)
            fail_msg("'%s': %d, wanted %d", cases[i].v, r, cases[i].r);
        if (r < 0)
            continue;
        assert_int_equal(weft_codec_codings(c, list, 8), cases[i].n);
        if (cases[i].n)
            assert_int_equal(list[0], cases[i].first);
        weft_codec_free(c);
    }
    assert_int_equal(weft_codec_decoder_new(NULL, 0, NULL, &c), 0);
    assert_int_equal(weft_codec_codings(c, list, 8), 0);
    weft_codec_free(c);
    /* the layer limit is settable, up to a hard cap */
    weft_codec_limits lim;
    weft_codec_limits_init(&lim);
    lim.max_layers = 1;
    assert_int_equal(weft_codec_decoder_new("gzip, br", 8, &lim, &c), WEFT_EHTTP_CODING_TOO_MANY);
    lim.max_layers = WEFT_CODEC_MAX_LAYERS + 1;
    assert_int_equal(weft_codec_decoder_new("gzip", 4, &lim, &c), -EINVAL);
    weft_codec_limits_init(&lim);
    lim.zstd_window_log_max = 40;
    assert_int_equal(weft_codec_decoder_new("zstd", 4, &lim, &c), -EINVAL);
    int unknown[] = { 99 };
    assert_int_equal(weft_codec_decoder_new_codings(unknown, 1, NULL, &c),
                     WEFT_EHTTP_CODING_UNSUPPORTED);
    /* names */
    for (int i = 0; i < WEFT_CODING_COUNT; i++) {
        const char *name = weft_coding_name(i);
        assert_non_null(name);
        assert_int_equal(weft_coding_from_name(name, strlen(name)), i);
    }
    assert_null(weft_coding_name(WEFT_CODING_COUNT));
    assert_int_equal(weft_coding_from_name("gzi", 3), WEFT_EHTTP_CODING_UNSUPPORTED);
    assert_int_equal(weft_coding_from_name("gzipp", 5), WEFT_EHTTP_CODING_UNSUPPORTED);
    assert_int_equal(weft_coding_from_name("", 0), WEFT_EHTTP_CODING_UNSUPPORTED);
}

/* -------------------------------------------------- formats in the wild */

static buf raw_deflate(const uint8_t *d, size_t n)
{
    z_stream z = { 0 };
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    buf b = { 0 };
    b.cap = deflateBound(&z, n) + 16;
    b.p = malloc(b.cap);
    z.next_in = (Bytef *)d;
    z.avail_in = (uInt)n;
    z.next_out = b.p;
    z.avail_out = (uInt)b.cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    b.n = b.cap - z.avail_out;
    deflateEnd(&z);
    return b;
}

static void deflate_raw_accepted(void **state)
{
    (void)state;
    const size_t sizes[] = { 0, 1, 5, 40000 };
    for (size_t i = 0; i < 4; i++) {
        uint8_t *d = make_text(sizes[i], 31);
        buf raw = raw_deflate(d, sizes[i]);
        for (size_t chunk = 1; chunk <= 1024; chunk *= 32) {
            buf dec;
            assert_int_equal(decode_with("deflate", NULL, raw.p, raw.n, chunk, chunk, &dec),
                             WEFT_CODEC_END);
            assert_int_equal(dec.n, sizes[i]);
            assert_memory_equal(dec.p, d, sizes[i]);
            free(dec.p);
        }
        /* raw deflate is never taken for gzip */
        buf dec;
        assert_true(decode_with("gzip", NULL, raw.p, raw.n, raw.n, 4096, &dec) < 0);
        free(dec.p);
        free(raw.p);
        free(d);
    }
}

static void concatenated_members_and_frames(void **state)
{
    (void)state;
    uint8_t *a = make_text(5000, 1), *b = make_random(3000, 2);
    for (int coding = WEFT_CODING_GZIP; coding <= WEFT_CODING_ZSTD; coding++) {
        if (coding != WEFT_CODING_GZIP && coding != WEFT_CODING_ZSTD)
            continue;
        buf x = encode_all(coding, a, 5000), y = encode_all(coding, b, 3000);
        buf both = { 0 };
        buf_put(&both, x.p, x.n);
        buf_put(&both, y.p, y.n);
        for (size_t chunk = 1; chunk <= 4096; chunk *= 8) {
            buf dec;
            assert_int_equal(decode_with(weft_coding_name(coding), NULL, both.p, both.n, chunk,
                                         chunk + 3, &dec),
                             WEFT_CODEC_END);
            assert_int_equal(dec.n, 8000);
            assert_memory_equal(dec.p, a, 5000);
            assert_memory_equal(dec.p + 5000, b, 3000);
            free(dec.p);
        }
        /* cut inside the second one: truncated */
        buf dec;
        assert_int_equal(decode_with(weft_coding_name(coding), NULL, both.p, both.n - 2, 64, 64,
                                     &dec),
                         WEFT_EHTTP_CODING_TRUNCATED);
        free(dec.p);
        /* END is reported at the end of the first as well */
        weft_codec *d;
        assert_int_equal(weft_codec_decoder_new(weft_coding_name(coding), 4, NULL, &d), 0);
        static uint8_t out[16384];
        size_t u = x.n, m = sizeof out;
        assert_int_equal(weft_codec_process(d, x.p, &u, out, &m, 0), WEFT_CODEC_END);
        assert_int_equal(m, 5000);
        weft_codec_free(d);
        free(both.p);
        free(x.p);
        free(y.p);
    }
    free(a);
    free(b);
}

static void trailing_bytes_are_corrupt(void **state)
{
    (void)state;
    uint8_t *d = make_text(3000, 8);
    const char *tails[] = { "x", "garbage!", "\0\0\0\0" };
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        buf e = encode_all(codings[ci], d, 3000);
        for (size_t t = 0; t < 3; t++) {
            size_t tl = t == 2 ? 4 : strlen(tails[t]);
            buf x = { 0 };
            buf_put(&x, e.p, e.n);
            buf_put(&x, tails[t], tl);
            for (size_t chunk = 1; chunk <= 8192; chunk *= 64) {
                buf dec;
                int r = decode_with(weft_coding_name(codings[ci]), NULL, x.p, x.n, chunk, 4096,
                                    &dec);
                /* a gzip/zstd tail could be the start of a member/frame: a
                 * short one is then truncated rather than corrupt */
                if (r != WEFT_EHTTP_CODING_CORRUPT && r != WEFT_EHTTP_CODING_TRUNCATED)
                    fail_msg("%s + tail %zu chunk %zu: %d", weft_coding_name(codings[ci]), t,
                             chunk, r);
                if (codings[ci] != WEFT_CODING_GZIP && codings[ci] != WEFT_CODING_ZSTD)
                    assert_int_equal(r, WEFT_EHTTP_CODING_CORRUPT);
                free(dec.p);
            }
            free(x.p);
        }
        free(e.p);
    }
    free(d);
}

static void truncated_at_every_byte(void **state)
{
    (void)state;
    size_t n = 2000;
    uint8_t *d = make_text(n, 17);
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        buf e = encode_all(codings[ci], d, n);
        for (size_t cut = 1; cut < e.n; cut++) {
            buf dec;
            int r = decode_with(weft_coding_name(codings[ci]), NULL, e.p, cut, cut % 7 + 1, 512,
                                &dec);
            if (r != WEFT_EHTTP_CODING_TRUNCATED)
                fail_msg("%s cut at %zu of %zu: %d", weft_coding_name(codings[ci]), cut, e.n, r);
            assert_true(dec.n <= n);
            assert_memory_equal(dec.p, d, dec.n); /* what came out is right */
            free(dec.p);
        }
        /* without FINISH a prefix is simply not done yet */
        weft_codec *c;
        assert_int_equal(weft_codec_decoder_new(weft_coding_name(codings[ci]),
                                                strlen(weft_coding_name(codings[ci])), NULL, &c),
                         0);
        static uint8_t out[4096];
        size_t u = e.n / 2, m = sizeof out;
        assert_int_equal(weft_codec_process(c, e.p, &u, out, &m, 0), 0);
        assert_false(weft_codec_done(c));
        /* FINISH with no more input: truncated, and it sticks */
        u = 0;
        m = sizeof out;
        assert_int_equal(weft_codec_process(c, NULL, &u, out, &m, WEFT_CODEC_FINISH),
                         WEFT_EHTTP_CODING_TRUNCATED);
        u = e.n - e.n / 2;
        m = sizeof out;
        assert_int_equal(weft_codec_process(c, e.p + e.n / 2, &u, out, &m, WEFT_CODEC_FINISH),
                         WEFT_EHTTP_CODING_TRUNCATED);
        assert_int_equal(u, 0);
        assert_int_equal(m, 0);
        assert_true(weft_codec_errdetail(c)[0] != '\0');
        weft_codec_free(c);
        free(e.p);
    }
    free(d);
}

static void empty_bodies(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < NCODINGS; ci++) {
        const char *name = weft_coding_name(codings[ci]);
        /* zero bytes on the wire: an empty body, not an error */
        buf dec;
        assert_int_equal(decode_with(name, NULL, NULL, 0, 1, 16, &dec), WEFT_CODEC_END);
        assert_int_equal(dec.n, 0);
        free(dec.p);
        /* the coding of an empty body decodes to nothing */
        buf e = encode_all(codings[ci], NULL, 0);
        if (codings[ci] != WEFT_CODING_IDENTITY)
            assert_true(e.n > 0);
        assert_int_equal(decode_with(name, NULL, e.p, e.n, 1, 1, &dec), WEFT_CODEC_END);
        assert_int_equal(dec.n, 0);
        free(dec.p);
        free(e.p);
    }
}

/* A single-bit flip in a checksummed format is caught, or is harmless (a
 * code length of a symbol never used, say): the output is then the original.
 * Brotli has no checksum: there a flip may change the output undetected, so
 * only the limits are checked. */
static void corrupt_bit_flips(void **state)
{
    (void)state;
    size_t n = 1500;
    uint8_t *d = make_text(n, 19);
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        int coding = codings[ci];
        buf e = encode_all(coding, d, n);
        /* gzip: bytes 4..9 (mtime, flags, OS) are not covered by a check */
        size_t from = coding == WEFT_CODING_GZIP ? 10 : 0;
        size_t caught = 0, flips = 0;
        for (size_t i = from; i < e.n; i++) {
            for (int bit = 0; bit < 8; bit++) {
                e.p[i] ^= (uint8_t)(1u << bit);
                buf dec;
                int r = decode_with(weft_coding_name(coding), NULL, e.p, e.n, e.n, 4096, &dec);
                e.p[i] ^= (uint8_t)(1u << bit);
                flips++;
                bool same = r == WEFT_CODEC_END && dec.n == n && memcmp(dec.p, d, n) == 0;
                if (r < 0)
                    caught++;
                else if (coding != WEFT_CODING_BR && !same)
                    fail_msg("%s: flip of bit %d of byte %zu/%zu gave %d", weft_coding_name(coding),
                             bit, i, e.n, r);
                assert_true(dec.n <= WEFT_CODEC_DEFAULT_RATIO_GRACE + 4096);
                free(dec.p);
            }
        }
        assert_true(caught > flips / 2);
        free(e.p);
    }
    free(d);
}

static void garbage_is_corrupt(void **state)
{
    (void)state;
    uint8_t *g = make_random(4096, 99);
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        buf dec;
        int r = decode_with(weft_coding_name(codings[ci]), NULL, g, 4096, 4096, 4096, &dec);
        assert_int_equal(r, WEFT_EHTTP_CODING_CORRUPT);
        free(dec.p);
    }
    /* a gzip header announcing a method other than deflate */
    const uint8_t bad_gzip[] = { 0x1f, 0x8b, 0x07, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3 };
    buf dec;
    assert_int_equal(decode_with("gzip", NULL, bad_gzip, sizeof bad_gzip, 1, 16, &dec),
                     WEFT_EHTTP_CODING_CORRUPT);
    free(dec.p);
    /* zlib with a preset dictionary: not decodable in HTTP */
    const uint8_t dict[] = { 0x78, 0xbb, 0, 0, 0, 1, 0x4b, 4, 0 };
    assert_int_equal(decode_with("deflate", NULL, dict, sizeof dict, 9, 16, &dec),
                     WEFT_EHTTP_CODING_CORRUPT);
    free(dec.p);
    free(g);
}

/* ------------------------------------------------------------- bombs */

static buf zeros_encoded(int coding, size_t n)
{
    uint8_t *z = calloc(1, n);
    buf e = encode_chunked(coding, coding == WEFT_CODING_ZSTD ? 3 : WEFT_CODEC_LEVEL_DEFAULT, z,
                           n, n, 1 << 20);
    free(z);
    return e;
}

static void bomb_ratio(void **state)
{
    (void)state;
    size_t n = WEFT_SCALED(64u << 20);
    if (n < (8u << 20))
        n = 8u << 20; /* it must exceed the grace size by far */
    for (size_t ci = 1; ci < NCODINGS; ci++) {
        int coding = codings[ci];
        buf e = zeros_encoded(coding, n);
        uint64_t t0 = weft_test_now_ns();
        buf dec;
        int r = decode_with(weft_coding_name(coding), NULL, e.p, e.n, 1024, 65536, &dec);
        uint64_t dt = weft_test_now_ns() - t0;
        if (coding == WEFT_CODING_GZIP || coding == WEFT_CODING_DEFLATE) {
            /* zlib tops out near 1032:1, just over the default 1000 */
            assert_true((double)n / (double)e.n > 1000.0);
        }
        if (r != WEFT_EHTTP_CODING_RATIO)
            fail_msg("%s bomb %zu -> %zu: %d", weft_coding_name(coding), n, e.n, r);
        /* stopped soon after the grace size, not after decoding it all */
        assert_true(dec.n <= WEFT_CODEC_DEFAULT_RATIO_GRACE + 2 * 65536 + 1024 * 1032);
        assert_true(dt < WEFT_SEC(5));
        free(dec.p);
        /* ratio off, size capped: one byte past the cap proves it */
        weft_codec_limits lim;
        weft_codec_limits_init(&lim);
        lim.max_ratio = 0;
        lim.max_output = 3u << 20;
        r = decode_with(weft_coding_name(coding), &lim, e.p, e.n, 4096, 65536, &dec);
        assert_int_equal(r, WEFT_EHTTP_CODING_TOO_LARGE);
        assert_int_equal(dec.n, lim.max_output + 1);
        free(dec.p);
        /* both off: it is only zeros */
        lim.max_output = UINT64_MAX;
        r = decode_with(weft_coding_name(coding), &lim, e.p, e.n, e.n, 1 << 20, &dec);
        assert_int_equal(r, WEFT_CODEC_END);
        assert_int_equal(dec.n, n);
        free(dec.p);
        /* a larger ratio lets it pass too (brotli and zstd go far higher) */
        weft_codec_limits_init(&lim);
        lim.max_ratio = 4000000000u;
        r = decode_with(weft_coding_name(coding), &lim, e.p, e.n, e.n, 1 << 20, &dec);
        assert_int_equal(r, WEFT_CODEC_END);
        free(dec.p);
        free(e.p);
    }
}

static void bomb_nested(void **state)
{
    (void)state;
    /* gzip of gzip of zeros: each stage's expansion is checked, so the
     * inner one is caught even though the outer ratio looks modest */
    size_t n = WEFT_SCALED(64u << 20);
    if (n < (16u << 20))
        n = 16u << 20;
    buf inner = zeros_encoded(WEFT_CODING_GZIP, n);
    buf outer = encode_all(WEFT_CODING_GZIP, inner.p, inner.n);
    buf dec;
    assert_int_equal(decode_with("gzip, gzip", NULL, outer.p, outer.n, 512, 65536, &dec),
                     WEFT_EHTTP_CODING_RATIO);
    assert_true(dec.n < (4u << 20));
    free(dec.p);
    free(inner.p);
    free(outer.p);
}

static void max_output_exact(void **state)
{
    (void)state;
    size_t n = 100000;
    uint8_t *d = make_text(n, 3);
    for (size_t ci = 0; ci < NCODINGS; ci++) {
        buf e = encode_all(codings[ci], d, n);
        weft_codec_limits lim;
        weft_codec_limits_init(&lim);
        lim.max_output = n;
        buf dec;
        assert_int_equal(decode_with(weft_coding_name(codings[ci]), &lim, e.p, e.n, 1000, 999,
                                     &dec),
                         WEFT_CODEC_END);
        assert_int_equal(dec.n, n);
        free(dec.p);
        lim.max_output = n - 1;
        assert_int_equal(decode_with(weft_coding_name(codings[ci]), &lim, e.p, e.n, 1000, 999,
                                     &dec),
                         WEFT_EHTTP_CODING_TOO_LARGE);
        assert_int_equal(dec.n, n);
        free(dec.p);
        free(e.p);
    }
    free(d);
}

static void zstd_window_limit(void **state)
{
    (void)state;
    /* A frame that declares a 128 MiB window (unknown size: not single-
     * segment), which RFC 9659 lets a client refuse. */
    size_t n = 300000;
    uint8_t *d = make_text(n, 2);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 27);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
    size_t cap = ZSTD_compressBound(n) + 64;
    uint8_t *out = malloc(cap);
    ZSTD_outBuffer ob = { out, cap, 0 };
    ZSTD_inBuffer ib = { d, 1000, 0 };
    assert_false(ZSTD_isError(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue)));
    ib.size = n;
    size_t left;
    do
        left = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end);
    while (left && !ZSTD_isError(left));
    assert_int_equal(left, 0);
    ZSTD_freeCCtx(cc);
    buf dec;
    assert_int_equal(decode_with("zstd", NULL, out, ob.pos, 4096, 4096, &dec),
                     WEFT_EHTTP_CODING_TOO_LARGE);
    free(dec.p);
    weft_codec_limits lim;
    weft_codec_limits_init(&lim);
    lim.zstd_window_log_max = 27;
    assert_int_equal(decode_with("zstd", &lim, out, ob.pos, 4096, 4096, &dec), WEFT_CODEC_END);
    assert_int_equal(dec.n, n);
    assert_memory_equal(dec.p, d, n);
    free(dec.p);
    /* weft's own frames at the highest level stay within 8 MiB */
    buf e = encode_chunked(WEFT_CODING_ZSTD, 19, d, n, 1000, 4096);
    assert_int_equal(decode_with("zstd", NULL, e.p, e.n, 4096, 4096, &dec), WEFT_CODEC_END);
    free(dec.p);
    free(e.p);
    free(out);
    free(d);
}

static void errors_stick(void **state)
{
    (void)state;
    weft_codec *c;
    assert_int_equal(weft_codec_decoder_new("br", 2, NULL, &c), 0);
    uint8_t junk[64], out[64];
    memset(junk, 0xff, sizeof junk);
    size_t u = sizeof junk, m = sizeof out;
    int r = weft_codec_process(c, junk, &u, out, &m, 0);
    assert_int_equal(r, WEFT_EHTTP_CODING_CORRUPT);
    const char *detail = weft_codec_errdetail(c);
    assert_true(strlen(detail) > 0);
    u = sizeof junk;
    m = sizeof out;
    assert_int_equal(weft_codec_process(c, junk, &u, out, &m, 0), WEFT_EHTTP_CODING_CORRUPT);
    assert_int_equal(u, 0);
    /* reset clears it */
    weft_codec_reset(c);
    buf e = encode_all(WEFT_CODING_BR, (const uint8_t *)"hello", 5);
    u = e.n;
    m = sizeof out;
    assert_int_equal(weft_codec_process(c, e.p, &u, out, &m, WEFT_CODEC_FINISH), WEFT_CODEC_END);
    assert_int_equal(m, 5);
    assert_memory_equal(out, "hello", 5);
    /* NULL with a length is refused */
    u = 3;
    m = sizeof out;
    weft_codec_reset(c);
    assert_int_equal(weft_codec_process(c, NULL, &u, out, &m, 0), -EINVAL);
    free(e.p);
    weft_codec_free(c);
    weft_codec_free(NULL);
    /* every new code has a name */
    for (int code = WEFT_EHTTP_CODING_NOT_ACCEPTABLE; code <= WEFT_EHTTP_CODING_UNSUPPORTED; code++)
        assert_string_not_equal(weft_strerror(code), "unknown weft error");
}

static void one_shot(void **state)
{
    (void)state;
    size_t n = 123456;
    uint8_t *d = make_text(n, 77);
    for (size_t ci = 0; ci < NCODINGS; ci++) {
        void *enc, *dec;
        size_t el, dl;
        assert_int_equal(weft_http_encode(codings[ci], WEFT_CODEC_LEVEL_DEFAULT, d, n, &enc, &el),
                         0);
        const char *name = weft_coding_name(codings[ci]);
        assert_int_equal(weft_http_decode(name, strlen(name), enc, el, NULL, &dec, &dl), 0);
        assert_int_equal(dl, n);
        assert_memory_equal(dec, d, n);
        assert_int_equal(((char *)dec)[dl], '\0');
        free(dec);
        if (codings[ci] != WEFT_CODING_IDENTITY) {
            assert_int_equal(weft_http_decode(name, strlen(name), enc, el / 2, NULL, &dec, &dl),
                             WEFT_EHTTP_CODING_TRUNCATED);
            assert_null(dec);
        }
        free(enc);
    }
    void *dec;
    size_t dl;
    assert_int_equal(weft_http_decode("compress", 8, "x", 1, NULL, &dec, &dl),
                     WEFT_EHTTP_CODING_UNSUPPORTED);
    free(d);
}

/* ----------------------------------------------------- Accept-Encoding */

static void accept_encoding_q(void **state)
{
    (void)state;
    struct { const char *v; int coding, q; } cases[] = {
        { "gzip", WEFT_CODING_GZIP, 1000 },
        { "gzip", WEFT_CODING_BR, 0 },
        { "gzip", WEFT_CODING_IDENTITY, 1000 },
        { "GZIP;Q=0.5", WEFT_CODING_GZIP, 500 },
        { "gzip ; q=0.25 , br", WEFT_CODING_GZIP, 250 },
        { "gzip;q=0.001", WEFT_CODING_GZIP, 1 },
        { "gzip;q=1.000", WEFT_CODING_GZIP, 1000 },
        { "gzip;q=1.5", WEFT_CODING_GZIP, 0 },      /* bad q: element skipped */
        { "gzip;q=0.5000", WEFT_CODING_GZIP, 0 },   /* 4 decimals */
        { "gzip;q=abc", WEFT_CODING_GZIP, 0 },
        { "gzip;q=", WEFT_CODING_GZIP, 0 },
        { "gzip;level=9", WEFT_CODING_GZIP, 1000 }, /* other parameters ignored */
        { "gzip q=0.5", WEFT_CODING_GZIP, 0 },
        { "*", WEFT_CODING_ZSTD, 1000 },
        { "*;q=0.3, br;q=0.9", WEFT_CODING_ZSTD, 300 },
        { "*;q=0.3, br;q=0.9", WEFT_CODING_BR, 900 },
        { "*;q=0", WEFT_CODING_IDENTITY, 0 },
        { "identity;q=0", WEFT_CODING_IDENTITY, 0 },
        { "identity;q=0, *", WEFT_CODING_IDENTITY, 0 },
        { "x-gzip", WEFT_CODING_GZIP, 1000 },
        { "gzip;q=0.2, gzip;q=0.9", WEFT_CODING_GZIP, 200 },
        { "", WEFT_CODING_GZIP, 0 },
        { "", WEFT_CODING_IDENTITY, 1000 },
        { ",,, ,", WEFT_CODING_BR, 0 },
        { "g\x01zip, br", WEFT_CODING_BR, 1000 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int q = weft_accept_encoding_q(cases[i].v, strlen(cases[i].v), cases[i].coding);
        if (q != cases[i].q)
            fail_msg("'%s' %s: %d, wanted %d", cases[i].v, weft_coding_name(cases[i].coding), q,
                     cases[i].q);
    }
    assert_int_equal(weft_accept_encoding_q(NULL, 0, WEFT_CODING_BR), 1000);
    assert_int_equal(weft_accept_encoding_q("gzip", 4, 77), 0);
}

static void accept_encoding_select(void **state)
{
    (void)state;
    const int gz_only[] = { WEFT_CODING_GZIP };
    const int br_gz[] = { WEFT_CODING_BR, WEFT_CODING_GZIP };
    struct { const char *v; const int *prefs; size_t n; int want; } cases[] = {
        { "gzip, deflate, br, zstd", NULL, 0, WEFT_CODING_ZSTD },  /* Chrome */
        { "gzip, deflate, br", NULL, 0, WEFT_CODING_BR },          /* older browsers */
        { "gzip, deflate", NULL, 0, WEFT_CODING_GZIP },
        { "deflate", NULL, 0, WEFT_CODING_IDENTITY },              /* not in the defaults */
        { "gzip;q=0.5, br;q=0.8", NULL, 0, WEFT_CODING_BR },
        { "gzip;q=0.9, br;q=0.8", br_gz, 2, WEFT_CODING_GZIP },    /* weight beats order */
        { "gzip, br", br_gz, 2, WEFT_CODING_BR },                  /* tie: server's order */
        { "br", gz_only, 1, WEFT_CODING_IDENTITY },
        { "*", gz_only, 1, WEFT_CODING_GZIP },
        { "*;q=0", gz_only, 1, WEFT_EHTTP_CODING_NOT_ACCEPTABLE },
        { "br, *;q=0", gz_only, 1, WEFT_EHTTP_CODING_NOT_ACCEPTABLE },
        { "identity;q=0, gzip;q=0", gz_only, 1, WEFT_EHTTP_CODING_NOT_ACCEPTABLE },
        { "identity;q=0, br", gz_only, 1, WEFT_EHTTP_CODING_NOT_ACCEPTABLE },
        { "identity;q=0, gzip;q=0.1", gz_only, 1, WEFT_CODING_GZIP },
        { "gzip;q=0.1, identity", gz_only, 1, WEFT_CODING_IDENTITY },
        { "gzip;q=0", gz_only, 1, WEFT_CODING_IDENTITY },
        { "", NULL, 0, WEFT_CODING_IDENTITY },
        { "GZIP", NULL, 0, WEFT_CODING_GZIP },
        { "br;q=0.000", NULL, 0, WEFT_CODING_IDENTITY },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int r = weft_accept_encoding_select(cases[i].v, strlen(cases[i].v), cases[i].prefs,
                                            cases[i].n);
        if (r != cases[i].want)
            fail_msg("'%s': %d, wanted %d", cases[i].v, r, cases[i].want);
    }
    assert_int_equal(weft_accept_encoding_select(NULL, 0, NULL, 0), WEFT_CODING_IDENTITY);
    /* identity and unknown values in prefs are ignored */
    const int odd[] = { WEFT_CODING_IDENTITY, 42, WEFT_CODING_ZSTD };
    assert_int_equal(weft_accept_encoding_select("zstd", 4, odd, 3), WEFT_CODING_ZSTD);
    /* the default client value decodes with every coding it names */
    const char *ae = WEFT_HTTP_ACCEPT_ENCODING;
    for (int c = WEFT_CODING_GZIP; c < WEFT_CODING_COUNT; c++)
        assert_int_equal(weft_accept_encoding_q(ae, strlen(ae), c), 1000);
    weft_codec *d;
    assert_int_equal(weft_codec_decoder_new(ae, strlen(ae), NULL, &d), 0);
    weft_codec_free(d);
}

static void compressible_types(void **state)
{
    (void)state;
    const char *yes[] = { "text/html", "text/html; charset=utf-8", "TEXT/CSS", " text/plain ",
                          "application/json", "application/javascript", "image/svg+xml",
                          "application/ld+json", "application/rss+xml", "application/wasm",
                          "application/vnd.api+json; charset=utf-8", "font/ttf" };
    const char *no[] = { "image/png", "image/jpeg", "video/mp4", "application/zip",
                         "application/gzip", "application/octet-stream", "font/woff2", "",
                         "text/", "application/jsonx", "+json" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (!weft_coding_compressible(yes[i], strlen(yes[i])))
            fail_msg("'%s' should be compressible", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (weft_coding_compressible(no[i], strlen(no[i])))
            fail_msg("'%s' should not be compressible", no[i]);
    assert_false(weft_coding_compressible(NULL, 0));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_sizes),
        cmocka_unit_test(round_trip_tiny_chunks),
        cmocka_unit_test(round_trip_levels),
        cmocka_unit_test(compression_works),
        cmocka_unit_test(flush_makes_prefix_decodable),
        cmocka_unit_test(flush_then_finish_with_small_output),
        cmocka_unit_test(reset_reuses),
        cmocka_unit_test(stacked_decodes_in_reverse),
        cmocka_unit_test(content_encoding_values),
        cmocka_unit_test(deflate_raw_accepted),
        cmocka_unit_test(concatenated_members_and_frames),
        cmocka_unit_test(trailing_bytes_are_corrupt),
        cmocka_unit_test(truncated_at_every_byte),
        cmocka_unit_test(empty_bodies),
        cmocka_unit_test(corrupt_bit_flips),
        cmocka_unit_test(garbage_is_corrupt),
        cmocka_unit_test(bomb_ratio),
        cmocka_unit_test(bomb_nested),
        cmocka_unit_test(max_output_exact),
        cmocka_unit_test(zstd_window_limit),
        cmocka_unit_test(errors_stick),
        cmocka_unit_test(one_shot),
        cmocka_unit_test(accept_encoding_q),
        cmocka_unit_test(accept_encoding_select),
        cmocka_unit_test(compressible_types),
    };
    return weft_test_main(tests, sizeof tests / sizeof tests[0], argc, argv);
}
