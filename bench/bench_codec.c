/*
 * bench_codec.c - what weft's content-coding layer costs over calling the
 * libraries directly.
 *
 * weft: weft_codec_process over 16 KiB input pieces into a 16 KiB output
 * buffer, as a server or client streams a body.
 * anchor: zlib's deflate/inflate, libzstd's ZSTD_compressStream2 /
 * ZSTD_decompressStream and libbrotli's streaming calls, driven by hand over
 * the same pieces, buffer sizes and levels.
 *
 * Both run over the same 16 MiB of text-like data (compresses ~4:1 like HTML),
 * best of 5 runs each, interleaved. Prints MB/s (of plain data) for both and
 * the ratio weft / anchor, which should be ~1.00: the layer adds a function
 * call and a few checks per piece, nothing per byte.
 */
// bench-libs: z zstd brotlienc brotlidec
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "weft/http_codec.h"

#define SIZE (16u << 20)
#define PIECE (16u << 10)
#define ROUNDS 5

static uint8_t *plain, *packed, *outbuf, *scratch;
static size_t packed_len;
static volatile size_t sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_plain(void)
{
    static const char *const words[] = { "<div class=\"item\">", "weft ", "the ", "loop ",
                                         "</div>\n", "{\"id\": ", "1234, ", "\"name\": ",
                                         "\"coroutine\", ", "zstd ", "brotli ", "gzip " };
    plain = malloc(SIZE);
    uint32_t x = 1;
    size_t i = 0;
    while (i < SIZE) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        const char *w = words[x % 12];
        for (; *w && i < SIZE; w++)
            plain[i++] = (uint8_t)*w;
    }
}

/* ------------------------------------------------------------------ weft */

static size_t weft_encode(int coding, int level)
{
    weft_codec *e;
    if (weft_codec_encoder_new(coding, level, &e) < 0)
        abort();
    size_t total = 0;
    for (size_t pos = 0; pos < SIZE;) {
        size_t take = SIZE - pos < PIECE ? SIZE - pos : PIECE;
        unsigned fl = pos + take == SIZE ? WEFT_CODEC_FINISH : 0;
        size_t u = take, m = PIECE;
        int r = weft_codec_process(e, plain + pos, &u, outbuf, &m, fl);
        if (r < 0)
            abort();
        memcpy(packed + total, outbuf, m);
        total += m;
        pos += u;
        while (fl && r != WEFT_CODEC_END) {
            u = 0;
            m = PIECE;
            r = weft_codec_process(e, NULL, &u, outbuf, &m, fl);
            memcpy(packed + total, outbuf, m);
            total += m;
        }
    }
    weft_codec_free(e);
    return total;
}

static size_t weft_decode(const char *ce)
{
    weft_codec *d;
    if (weft_codec_decoder_new(ce, strlen(ce), NULL, &d) < 0)
        abort();
    size_t total = 0;
    for (size_t pos = 0; pos < packed_len;) {
        size_t take = packed_len - pos < PIECE ? packed_len - pos : PIECE;
        unsigned fl = pos + take == packed_len ? WEFT_CODEC_FINISH : 0;
        int r;
        do {
            size_t u = take, m = PIECE;
            r = weft_codec_process(d, packed + pos, &u, outbuf, &m, fl);
            if (r < 0)
                abort();
            memcpy(scratch + total, outbuf, m);
            total += m;
            pos += u;
            take -= u;
            if (m < PIECE)
                break;
        } while (r != WEFT_CODEC_END);
    }
    weft_codec_free(d);
    return total;
}

/* ------------------------------------------------------------ libraries */

static size_t zlib_encode(int bits, int level)
{
    z_stream z = { 0 };
    deflateInit2(&z, level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY);
    size_t total = 0;
    for (size_t pos = 0; pos < SIZE;) {
        size_t take = SIZE - pos < PIECE ? SIZE - pos : PIECE;
        int flush = pos + take == SIZE ? Z_FINISH : Z_NO_FLUSH;
        z.next_in = plain + pos;
        z.avail_in = (uInt)take;
        int r;
        do {
            z.next_out = outbuf;
            z.avail_out = PIECE;
            r = deflate(&z, flush);
            memcpy(packed + total, outbuf, PIECE - z.avail_out);
            total += PIECE - z.avail_out;
        } while (z.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
        pos += take;
    }
    deflateEnd(&z);
    return total;
}

static size_t zlib_decode(int bits)
{
    z_stream z = { 0 };
    inflateInit2(&z, bits);
    size_t total = 0;
    for (size_t pos = 0; pos < packed_len;) {
        size_t take = packed_len - pos < PIECE ? packed_len - pos : PIECE;
        z.next_in = packed + pos;
        z.avail_in = (uInt)take;
        do {
            z.next_out = outbuf;
            z.avail_out = PIECE;
            if (inflate(&z, Z_NO_FLUSH) < 0)
                abort();
            memcpy(scratch + total, outbuf, PIECE - z.avail_out);
            total += PIECE - z.avail_out;
        } while (z.avail_out == 0);
        pos += take;
    }
    inflateEnd(&z);
    return total;
}

static size_t zstd_encode(int level)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    size_t total = 0;
    for (size_t pos = 0; pos < SIZE;) {
        size_t take = SIZE - pos < PIECE ? SIZE - pos : PIECE;
        ZSTD_EndDirective dir = pos + take == SIZE ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer ib = { plain + pos, take, 0 };
        size_t left;
        do {
            ZSTD_outBuffer ob = { outbuf, PIECE, 0 };
            left = ZSTD_compressStream2(c, &ob, &ib, dir);
            memcpy(packed + total, outbuf, ob.pos);
            total += ob.pos;
        } while (ib.pos < ib.size || (dir == ZSTD_e_end && left));
        pos += take;
    }
    ZSTD_freeCCtx(c);
    return total;
}

static size_t zstd_decode(void)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 23);
    size_t total = 0;
    for (size_t pos = 0; pos < packed_len;) {
        size_t take = packed_len - pos < PIECE ? packed_len - pos : PIECE;
        ZSTD_inBuffer ib = { packed + pos, take, 0 };
        ZSTD_outBuffer ob;
        do {
            ob = (ZSTD_outBuffer){ outbuf, PIECE, 0 };
            if (ZSTD_isError(ZSTD_decompressStream(d, &ob, &ib)))
                abort();
            memcpy(scratch + total, outbuf, ob.pos);
            total += ob.pos;
        } while (ib.pos < ib.size || ob.pos == ob.size);
        pos += take;
    }
    ZSTD_freeDCtx(d);
    return total;
}

static size_t br_encode(int level)
{
    BrotliEncoderState *s = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, (uint32_t)level);
    size_t total = 0;
    for (size_t pos = 0; pos < SIZE;) {
        size_t take = SIZE - pos < PIECE ? SIZE - pos : PIECE;
        BrotliEncoderOperation op = pos + take == SIZE ? BROTLI_OPERATION_FINISH
                                                       : BROTLI_OPERATION_PROCESS;
        size_t ai = take;
        const uint8_t *ni = plain + pos;
        do {
            size_t ao = PIECE;
            uint8_t *no = outbuf;
            BrotliEncoderCompressStream(s, op, &ai, &ni, &ao, &no, NULL);
            memcpy(packed + total, outbuf, PIECE - ao);
            total += PIECE - ao;
        } while (ai || BrotliEncoderHasMoreOutput(s) ||
                 (op == BROTLI_OPERATION_FINISH && !BrotliEncoderIsFinished(s)));
        pos += take;
    }
    BrotliEncoderDestroyInstance(s);
    return total;
}

static size_t br_decode(void)
{
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    size_t total = 0;
    for (size_t pos = 0; pos < packed_len;) {
        size_t take = packed_len - pos < PIECE ? packed_len - pos : PIECE;
        size_t ai = take;
        const uint8_t *ni = packed + pos;
        BrotliDecoderResult r;
        do {
            size_t ao = PIECE;
            uint8_t *no = outbuf;
            r = BrotliDecoderDecompressStream(s, &ai, &ni, &ao, &no, NULL);
            if (r == BROTLI_DECODER_RESULT_ERROR)
                abort();
            memcpy(scratch + total, outbuf, PIECE - ao);
            total += PIECE - ao;
        } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
        pos += take;
    }
    BrotliDecoderDestroyInstance(s);
    return total;
}

/* -------------------------------------------------------------- harness */

struct row {
    const char *name;
    int coding, level;
    size_t (*enc)(int level);
    size_t (*dec)(void);
};

static size_t gzip_enc(int l) { return zlib_encode(15 + 16, l); }
static size_t gzip_dec(void) { return zlib_decode(15 + 16); }
static size_t defl_enc(int l) { return zlib_encode(15, l); }
static size_t defl_dec(void) { return zlib_decode(15); }

static double mbps(double secs)
{
    return (double)SIZE / secs / 1e6;
}

int main(void)
{
    make_plain();
    packed = malloc(SIZE + SIZE / 8 + 65536);
    outbuf = malloc(PIECE);
    scratch = malloc(SIZE + PIECE);
    const struct row rows[] = {
        { "gzip", WEFT_CODING_GZIP, 6, gzip_enc, gzip_dec },
        { "deflate", WEFT_CODING_DEFLATE, 6, defl_enc, defl_dec },
        { "br", WEFT_CODING_BR, 5, br_encode, br_decode },
        { "zstd", WEFT_CODING_ZSTD, 3, zstd_encode, zstd_decode },
    };
    printf("%u MiB of text-like data, %u KiB pieces, best of %d; MB/s of plain data\n",
           SIZE >> 20, PIECE >> 10, ROUNDS);
    double worst = 10;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const struct row *r = &rows[i];
        double we = 1e9, ae = 1e9, wd = 1e9, ad = 1e9;
        size_t wn = 0, an = 0;
        for (int k = 0; k < 2 * ROUNDS; k++) {
            /* alternate who goes first, so neither gets the warmer caches */
            bool weft_turn = (k % 2) == (k / 2 % 2);
            double t = now_s();
            if (weft_turn)
                wn = weft_encode(r->coding, r->level);
            else
                an = r->enc(r->level);
            t = now_s() - t;
            if (weft_turn)
                we = t < we ? t : we;
            else
                ae = t < ae ? t : ae;
            if (k % 2 == 0)
                continue;
            /* both encoded: decode the library's output (identical bytes) */
            packed_len = an;
            for (int j = 0; j < 2; j++) {
                bool w = (j == 0) == weft_turn;
                memset(scratch, 0, 4096);
                t = now_s();
                size_t n = w ? weft_decode(r->name) : r->dec();
                t = now_s() - t;
                if (n != SIZE || memcmp(scratch, plain, SIZE) != 0) {
                    fprintf(stderr, "bench_codec: %s: %s decoded something else\n", r->name,
                            w ? "weft" : "the library");
                    return 1;
                }
                if (w)
                    wd = t < wd ? t : wd;
                else
                    ad = t < ad ? t : ad;
            }
        }
        double re = ae / we, rd = ad / wd;
        worst = re < worst ? re : worst;
        worst = rd < worst ? rd : worst;
        printf("%-8s L%-2d encode: weft %7.1f  lib %7.1f  ratio = weft / lib = %.2f"
               "   (%zu vs %zu bytes)\n",
               r->name, r->level, mbps(we), mbps(ae), re, wn, an);
        printf("%-8s     decode: weft %7.1f  lib %7.1f  ratio = weft / lib = %.2f\n", r->name,
               mbps(wd), mbps(ad), rd);
        sink += wn + an;
    }
    printf("lowest ratio = %.2f\n", worst);
    free(plain);
    free(packed);
    free(outbuf);
    free(scratch);
    return 0;
}
