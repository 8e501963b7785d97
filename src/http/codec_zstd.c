/*
 * codec_zstd.c - zstd through libzstd, both directions.
 *
 * RFC 9659 caps the window of the "zstd" content coding at 8 MiB so that a
 * client needs bounded memory per response; the decoder refuses larger
 * windows (settable), and the encoder stays within it by capping the level
 * at 19 (the "ultra" levels above need larger windows).
 */
#include <errno.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "http/codec_int.h"

static int zstd_error(weft__codec_stage *s, size_t r)
{
    s->detail = ZSTD_getErrorName(r);
    switch (ZSTD_getErrorCode(r)) {
    case ZSTD_error_memory_allocation:
        return -ENOMEM;
    case ZSTD_error_frameParameter_windowTooLarge:
        return WEFT_EHTTP_CODING_TOO_LARGE;
    default:
        return WEFT_EHTTP_CODING_CORRUPT;
    }
}

/* ---------------------------------------------------------------- decoder */

static int zstd_dec_params(weft__codec_stage *s)
{
    size_t r = ZSTD_DCtx_setParameter(s->u.p, ZSTD_d_windowLogMax, (int)s->window_log_max);
    return ZSTD_isError(r) ? -EINVAL : 0;
}

static int zstd_dec_init(weft__codec_stage *s)
{
    s->u.p = ZSTD_createDCtx();
    if (!s->u.p)
        return -ENOMEM;
    s->live = true;
    return zstd_dec_params(s);
}

static int zstd_dec_run(weft__codec_stage *s, const uint8_t *in, size_t *inlen, uint8_t *out,
                        size_t *outlen, int op)
{
    (void)op;
    ZSTD_inBuffer ib = { in, *inlen, 0 };
    ZSTD_outBuffer ob = { out, *outlen, 0 };
    int ret = 0;
    while (ob.pos < ob.size) {
        if (s->ended && ib.pos == ib.size)
            break;
        size_t pi = ib.pos, po = ob.pos;
        size_t r = ZSTD_decompressStream(s->u.p, &ob, &ib);
        if (ZSTD_isError(r)) {
            ret = zstd_error(s, r);
            break;
        }
        /* 0: a frame is complete and flushed. Another frame may follow
         * (zstd(1) concatenates them), so more input clears the flag. */
        if (r == 0)
            s->ended = true;
        else if (ib.pos > pi || ob.pos > po)
            s->ended = false;
        if (ib.pos == ib.size && (r != 0 || ob.pos < ob.size))
            break; /* input used: the rest needs more of it */
        if (ib.pos == pi && ob.pos == po)
            break; /* nothing moves (never spin) */
    }
    *inlen = ib.pos;
    *outlen = ob.pos;
    if (ret < 0)
        return ret;
    return s->ended && ib.pos == ib.size ? 1 : 0;
}

static int zstd_dec_reset(weft__codec_stage *s)
{
    s->ended = false;
    size_t r = ZSTD_DCtx_reset(s->u.p, ZSTD_reset_session_only);
    return ZSTD_isError(r) ? -EINVAL : 0;
}

static void zstd_dec_end(weft__codec_stage *s)
{
    if (s->live)
        ZSTD_freeDCtx(s->u.p);
    s->u.p = NULL;
    s->live = false;
}

const weft__codec_ops weft__zstd_decoder = { zstd_dec_init, zstd_dec_run, zstd_dec_reset,
                                             zstd_dec_end };

/* ---------------------------------------------------------------- encoder */

static int zstd_enc_init(weft__codec_stage *s)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    if (!c)
        return -ENOMEM;
    s->u.p = c;
    s->live = true;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, s->level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)))
        return -EINVAL;
    return 0;
}

static int zstd_enc_run(weft__codec_stage *s, const uint8_t *in, size_t *inlen, uint8_t *out,
                        size_t *outlen, int op)
{
    static const ZSTD_EndDirective dir_of[] = { ZSTD_e_continue, ZSTD_e_flush, ZSTD_e_end };
    ZSTD_inBuffer ib = { in, *inlen, 0 };
    ZSTD_outBuffer ob = { out, *outlen, 0 };
    int done = 0;
    for (;;) {
        size_t pi = ib.pos, po = ob.pos;
        size_t r = ZSTD_compressStream2(s->u.p, &ob, &ib, dir_of[op]);
        if (ZSTD_isError(r)) {
            done = zstd_error(s, r);
            if (done == WEFT_EHTTP_CODING_CORRUPT)
                done = -EINVAL; /* an encoder has no corrupt input */
            break;
        }
        if (ib.pos == ib.size && (op == WEFT__OP_RUN || r == 0)) {
            if (op == WEFT__OP_FINISH)
                s->ended = true;
            done = 1;
            break;
        }
        if (ob.pos == ob.size || (ib.pos == pi && ob.pos == po))
            break;
    }
    *inlen = ib.pos;
    *outlen = ob.pos;
    return done;
}

static int zstd_enc_reset(weft__codec_stage *s)
{
    s->ended = false;
    size_t r = ZSTD_CCtx_reset(s->u.p, ZSTD_reset_session_only);
    return ZSTD_isError(r) ? -EINVAL : 0;
}

static void zstd_enc_end(weft__codec_stage *s)
{
    if (s->live)
        ZSTD_freeCCtx(s->u.p);
    s->u.p = NULL;
    s->live = false;
}

const weft__codec_ops weft__zstd_encoder = { zstd_enc_init, zstd_enc_run, zstd_enc_reset,
                                             zstd_enc_end };
