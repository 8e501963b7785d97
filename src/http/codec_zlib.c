/*
 * codec_zlib.c - gzip and deflate through zlib, both directions.
 *
 * "deflate" in HTTP means the zlib format (RFC 9110 §8.4.1.2), but some old
 * servers sent raw deflate, so the decoder looks at the first two bytes, as
 * browsers do: a valid zlib header (method 8, window <= 32 KiB, no preset
 * dictionary, check bits right) is zlib, anything else raw deflate.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "http/codec_int.h"

/* zlib counts in uInt; feed it at most this much per call. */
#define ZCHUNK ((size_t)UINT_MAX & ~(size_t)0xfff)

static const char *zdetail(const z_stream *z, const char *fallback)
{
    return z->msg ? z->msg : fallback;
}

/* ---------------------------------------------------------------- decoder */

static int gzip_dec_init(weft__codec_stage *s)
{
    memset(&s->u.z, 0, sizeof s->u.z);
    /* 15 + 16: gzip only (not zlib auto-detection: a "gzip" body must be gzip). */
    int r = inflateInit2(&s->u.z, 15 + 16);
    if (r != Z_OK)
        return r == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
    s->live = true;
    return 0;
}

static int deflate_dec_init(weft__codec_stage *s)
{
    /* The library stream starts once the header says which format it is. */
    memset(&s->u.z, 0, sizeof s->u.z);
    s->detected = false;
    s->nhdr = s->hdr_off = 0;
    return 0;
}

static bool is_zlib_header(uint8_t cmf, uint8_t flg)
{
    return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (flg & 0x20) == 0 &&
           ((unsigned)cmf * 256 + flg) % 31 == 0;
}

/* Start the library stream for the format the two held bytes announce. */
static int deflate_detect(weft__codec_stage *s)
{
    int bits = is_zlib_header(s->hdr[0], s->hdr[1]) ? 15 : -15;
    int r = s->live ? inflateReset2(&s->u.z, bits) : inflateInit2(&s->u.z, bits);
    if (r != Z_OK)
        return r == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
    s->live = true;
    s->detected = true;
    return 0;
}

/* One inflate() or deflate() call over in/out; returns its zlib status,
 * counting what moved. */
static int z_step(int (*fn)(z_streamp, int), z_stream *z, const uint8_t *in, size_t inlen,
                  size_t *used, uint8_t *out, size_t outlen, size_t *made, int flush)
{
    size_t ni = inlen < ZCHUNK ? inlen : ZCHUNK;
    size_t no = outlen < ZCHUNK ? outlen : ZCHUNK;
    z->next_in = (Bytef *)(uintptr_t)in;
    z->avail_in = (uInt)ni;
    z->next_out = out;
    z->avail_out = (uInt)no;
    int r = fn(z, flush);
    *used = ni - z->avail_in;
    *made = no - z->avail_out;
    return r;
}

static int inflate_some(z_stream *z, const uint8_t *in, size_t inlen, size_t *used,
                        uint8_t *out, size_t outlen, size_t *made)
{
    return z_step(inflate, z, in, inlen, used, out, outlen, made, Z_NO_FLUSH);
}

static int inflate_error(weft__codec_stage *s, int r)
{
    if (r == Z_MEM_ERROR) {
        s->detail = "out of memory";
        return -ENOMEM;
    }
    /* Z_DATA_ERROR (bad data or check value), Z_NEED_DICT (a preset
     * dictionary HTTP has no way to name), Z_STREAM_ERROR */
    s->detail = zdetail(&s->u.z, r == Z_NEED_DICT ? "preset dictionary required" : "invalid data");
    return WEFT_EHTTP_CODING_CORRUPT;
}

static int zlib_dec_run(weft__codec_stage *s, const uint8_t *in, size_t *inlen, uint8_t *out,
                        size_t *outlen, int op)
{
    (void)op;
    size_t ilen = *inlen, olen = *outlen, iu = 0, ou = 0;
    int ret = 0;

    if (s->coding == WEFT_CODING_DEFLATE && !s->detected) {
        while (s->nhdr < 2 && iu < ilen)
            s->hdr[s->nhdr++] = in[iu++];
        if (s->nhdr < 2)
            goto out;
        if ((ret = deflate_detect(s)) < 0)
            goto out;
    }
    /* Bytes held for detection go in first. */
    while (s->coding == WEFT_CODING_DEFLATE && s->hdr_off < s->nhdr && ou < olen) {
        size_t u, m;
        int r = inflate_some(&s->u.z, s->hdr + s->hdr_off, s->nhdr - s->hdr_off, &u, out + ou,
                             olen - ou, &m);
        s->hdr_off += (uint8_t)u;
        ou += m;
        if (r == Z_STREAM_END) {
            s->ended = true;
            break;
        }
        if (r == Z_BUF_ERROR)
            break;
        if (r != Z_OK) {
            ret = inflate_error(s, r);
            goto out;
        }
    }
    if (s->coding == WEFT_CODING_DEFLATE && s->hdr_off < s->nhdr) {
        if (s->ended) {
            s->detail = "data after the end of the deflate stream";
            ret = WEFT_EHTTP_CODING_CORRUPT;
        }
        goto out; /* else the output is full */
    }

    while (ou < olen) {
        if (s->ended) {
            if (iu == ilen)
                break;
            if (s->coding != WEFT_CODING_GZIP) {
                s->detail = "data after the end of the deflate stream";
                ret = WEFT_EHTTP_CODING_CORRUPT;
                goto out;
            }
            /* Another gzip member follows, as gzip(1) writes for
             * concatenated files: decode it too. */
            inflateReset(&s->u.z);
            s->ended = false;
        }
        size_t u, m;
        int r = inflate_some(&s->u.z, in + iu, ilen - iu, &u, out + ou, olen - ou, &m);
        iu += u;
        ou += m;
        if (r == Z_STREAM_END) {
            s->ended = true;
            continue;
        }
        if (r == Z_BUF_ERROR || u + m == 0)
            break; /* nothing more can happen without input */
        if (r != Z_OK) {
            ret = inflate_error(s, r);
            goto out;
        }
        if (iu == ilen && ou < olen)
            break; /* all input used, output not full: nothing is pending */
    }
    if (s->ended && iu < ilen && ou == olen && s->coding != WEFT_CODING_GZIP) {
        /* output full exactly at the end, but bytes follow: still corrupt */
        s->detail = "data after the end of the deflate stream";
        ret = WEFT_EHTTP_CODING_CORRUPT;
    }
out:
    *inlen = iu;
    *outlen = ou;
    if (ret < 0)
        return ret;
    return s->ended && iu == ilen ? 1 : 0;
}

static int zlib_dec_reset(weft__codec_stage *s)
{
    s->ended = false;
    if (s->coding == WEFT_CODING_DEFLATE) {
        /* the next stream may be in the other format: detect again (the
         * live library stream is reset with the right window then) */
        s->detected = false;
        s->nhdr = s->hdr_off = 0;
        return 0;
    }
    return inflateReset(&s->u.z) == Z_OK ? 0 : -EINVAL;
}

static void zlib_dec_end(weft__codec_stage *s)
{
    if (s->live)
        inflateEnd(&s->u.z);
    s->live = false;
}

const weft__codec_ops weft__gzip_decoder = { gzip_dec_init, zlib_dec_run, zlib_dec_reset,
                                             zlib_dec_end };
const weft__codec_ops weft__deflate_decoder = { deflate_dec_init, zlib_dec_run, zlib_dec_reset,
                                                zlib_dec_end };

/* ---------------------------------------------------------------- encoder */

static int zlib_enc_init(weft__codec_stage *s)
{
    memset(&s->u.z, 0, sizeof s->u.z);
    int bits = s->coding == WEFT_CODING_GZIP ? 15 + 16 : 15;
    int r = deflateInit2(&s->u.z, s->level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY);
    if (r != Z_OK)
        return r == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
    s->live = true;
    return 0;
}

static int deflate_some(z_stream *z, const uint8_t *in, size_t inlen, size_t *used, uint8_t *out,
                        size_t outlen, size_t *made, int flush)
{
    return z_step(deflate, z, in, inlen, used, out, outlen, made, flush);
}

static size_t take_zpend(weft__codec_stage *s, uint8_t *out, size_t room)
{
    size_t n = (size_t)(s->zp_tail - s->zp_head);
    if (n > room)
        n = room;
    memcpy(out, s->zpend + s->zp_head, n);
    s->zp_head += (uint8_t)n;
    if (s->zp_head == s->zp_tail)
        s->zp_head = s->zp_tail = 0;
    return n;
}

static int zlib_enc_run(weft__codec_stage *s, const uint8_t *in, size_t *inlen, uint8_t *out,
                        size_t *outlen, int op)
{
    static const int flush_of[] = { Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FINISH };
    z_stream *z = &s->u.z;
    size_t ilen = *inlen, olen = *outlen, iu = 0, ou = 0;
    int done = 0, r = Z_OK;

    ou += take_zpend(s, out, olen);
    if (s->zp_head != s->zp_tail)
        goto out; /* still full of an earlier flush */
    if (s->z_finished) {
        s->ended = true;
        done = 1;
        goto out;
    }
    /* All input first, without flushing ... */
    while (iu < ilen && ou < olen) {
        size_t u, m;
        r = deflate_some(z, in + iu, ilen - iu, &u, out + ou, olen - ou, &m, Z_NO_FLUSH);
        iu += u;
        ou += m;
        if (r != Z_OK && r != Z_BUF_ERROR)
            goto fail;
        if (u + m == 0)
            break;
    }
    if (iu < ilen)
        goto out; /* output full */
    if (op == WEFT__OP_RUN) {
        done = 1;
        goto out;
    }
    /* ... then the flush or the end, through zpend when room is short. */
    while (ou < olen) {
        bool small = olen - ou < 16;
        uint8_t *dst = small ? s->zpend : out + ou;
        size_t room = small ? sizeof s->zpend : olen - ou, u, m;
        r = deflate_some(z, NULL, 0, &u, dst, room, &m, flush_of[op]);
        if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END)
            goto fail;
        if (small) {
            s->zp_tail = (uint8_t)m;
            ou += take_zpend(s, out + ou, olen - ou);
        } else {
            ou += m;
        }
        if (r == Z_STREAM_END)
            s->z_finished = true;
        if (m < room) {
            /* zlib stopped with room left: the flush or end is written */
            if (s->zp_head == s->zp_tail && (op == WEFT__OP_FLUSH || s->z_finished)) {
                s->ended = s->z_finished;
                done = 1;
            }
            break;
        }
    }
out:
    *inlen = iu;
    *outlen = ou;
    return done;
fail:
    s->detail = zdetail(z, "deflate failed");
    *inlen = iu;
    *outlen = ou;
    return r == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
}

static int zlib_enc_reset(weft__codec_stage *s)
{
    s->ended = s->z_finished = false;
    s->zp_head = s->zp_tail = 0;
    return deflateReset(&s->u.z) == Z_OK ? 0 : -EINVAL;
}

static void zlib_enc_end(weft__codec_stage *s)
{
    if (s->live)
        deflateEnd(&s->u.z);
    s->live = false;
}

const weft__codec_ops weft__zlib_encoder = { zlib_enc_init, zlib_enc_run, zlib_enc_reset,
                                             zlib_enc_end };
