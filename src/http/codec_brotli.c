/*
 * codec_brotli.c - br through libbrotli, both directions.
 *
 * The decoder never enables the large-window extension, so a stream's window
 * is at most 16 MiB (RFC 7932); a Brotli stream has no checksum, so only
 * format errors and truncation can be detected.
 */
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <errno.h>

#include "http/codec_int.h"

/* ---------------------------------------------------------------- decoder */

static int br_dec_init(weft__codec_stage *s)
{
    s->u.p = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!s->u.p)
        return -ENOMEM;
    s->live = true;
    return 0;
}

static int br_dec_run(weft__codec_stage *s, const uint8_t *in, size_t *inlen, uint8_t *out,
                      size_t *outlen, int op)
{
    (void)op;
    BrotliDecoderState *st = s->u.p;
    if (s->ended) {
        *outlen = 0;
        if (*inlen == 0)
            return 1;
        *inlen = 0;
        s->detail = "data after the end of the brotli stream";
        return WEFT_EHTTP_CODING_CORRUPT;
    }
    size_t ai = *inlen, ao = *outlen;
    const uint8_t *ni = in;
    uint8_t *no = out;
    BrotliDecoderResult r = BrotliDecoderDecompressStream(st, &ai, &ni, &ao, &no, NULL);
    *inlen -= ai;
    *outlen -= ao;
    switch (r) {
    case BROTLI_DECODER_RESULT_SUCCESS:
        s->ended = true;
        if (ai) {
            s->detail = "data after the end of the brotli stream";
            return WEFT_EHTTP_CODING_CORRUPT;
        }
        return 1;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        return 0;
    default: {
        BrotliDecoderErrorCode e = BrotliDecoderGetErrorCode(st);
        s->detail = BrotliDecoderErrorString(e);
        /* allocation failures are -21..-30 (decode.h) */
        return e <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES &&
                       e >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES
                   ? -ENOMEM
                   : WEFT_EHTTP_CODING_CORRUPT;
    }
    }
}

static void br_dec_end(weft__codec_stage *s)
{
    if (s->live)
        BrotliDecoderDestroyInstance(s->u.p);
    s->u.p = NULL;
    s->live = false;
}

static int br_dec_reset(weft__codec_stage *s)
{
    /* libbrotli has no reset: a new instance is a few small allocations */
    br_dec_end(s);
    s->ended = false;
    return br_dec_init(s);
}

const weft__codec_ops weft__br_decoder = { br_dec_init, br_dec_run, br_dec_reset, br_dec_end };

/* ---------------------------------------------------------------- encoder */

static int br_enc_init(weft__codec_stage *s)
{
    BrotliEncoderState *st = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    if (!st)
        return -ENOMEM;
    if (!BrotliEncoderSetParameter(st, BROTLI_PARAM_QUALITY, (uint32_t)s->level)) {
        BrotliEncoderDestroyInstance(st);
        return -EINVAL;
    }
    s->u.p = st;
    s->live = true;
    return 0;
}

static int br_enc_run(weft__codec_stage *s, const uint8_t *in, size_t *inlen, uint8_t *out,
                      size_t *outlen, int op)
{
    static const BrotliEncoderOperation op_of[] = { BROTLI_OPERATION_PROCESS,
                                                    BROTLI_OPERATION_FLUSH,
                                                    BROTLI_OPERATION_FINISH };
    BrotliEncoderState *st = s->u.p;
    size_t ai = *inlen, ao = *outlen;
    const uint8_t *ni = in;
    uint8_t *no = out;
    int done = 0;
    for (;;) {
        size_t before_i = ai, before_o = ao;
        if (!BrotliEncoderCompressStream(st, op_of[op], &ai, &ni, &ao, &no, NULL)) {
            s->detail = "brotli encoder failed";
            done = -ENOMEM; /* the only failure left once parameters are valid */
            break;
        }
        if (op == WEFT__OP_FINISH && BrotliEncoderIsFinished(st)) {
            s->ended = true;
            done = 1;
            break;
        }
        if (ai == 0 && !BrotliEncoderHasMoreOutput(st) && op != WEFT__OP_FINISH) {
            done = 1;
            break;
        }
        if (ao == 0 || (ai == before_i && ao == before_o))
            break; /* full, or nothing moves (never spin) */
    }
    *inlen -= ai;
    *outlen -= ao;
    return done;
}

static void br_enc_end(weft__codec_stage *s)
{
    if (s->live)
        BrotliEncoderDestroyInstance(s->u.p);
    s->u.p = NULL;
    s->live = false;
}

static int br_enc_reset(weft__codec_stage *s)
{
    br_enc_end(s);
    s->ended = false;
    return br_enc_init(s);
}

const weft__codec_ops weft__br_encoder = { br_enc_init, br_enc_run, br_enc_reset, br_enc_end };
