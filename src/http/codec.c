/*
 * codec.c - content-coding streams: stacking, limits and the public contract
 * of weft_codec_process (weft/http_codec.h). The libraries are behind the
 * stage operations of codec_int.h.
 *
 * A decoder of "gzip, br" is two stages: st[0] decodes br from the wire and
 * st[1] decodes gzip from st[0]'s buffer into the caller's output. Output is
 * pulled from the last stage: when its input buffer runs dry it asks the
 * stage before for more, so no stage ever makes more than its buffer holds,
 * and the work of one call is bounded by the caller's output room.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/codec_int.h"

struct weft_codec {
    bool encoder;
    bool done;               /* the stream is complete */
    int err;                 /* sticky error, 0 while healthy */
    const char *detail;      /* library text for err */
    weft_codec_limits lim;
    uint64_t total_in, total_out;
    /* the caller's input during one decoding call (stage 0 reads it) */
    const uint8_t *in;
    size_t inlen;
    /* encoder: a FLUSH or FINISH the output was too small to complete, and
     * how many of the caller's bytes it still covers */
    int pend_op;
    size_t pend_in;
    unsigned nstage;
    weft__codec_stage st[]; /* wire side first */
};

void weft_codec_limits_init(weft_codec_limits *l)
{
    l->max_output = WEFT_CODEC_DEFAULT_MAX_OUTPUT;
    l->max_ratio = WEFT_CODEC_DEFAULT_MAX_RATIO;
    l->ratio_grace = WEFT_CODEC_DEFAULT_RATIO_GRACE;
    l->max_layers = WEFT_CODEC_DEFAULT_MAX_LAYERS;
    l->zstd_window_log_max = WEFT_CODEC_DEFAULT_ZSTD_WINDOW_LOG;
}

int weft__codec_level_default(int coding)
{
    switch (coding) {
    case WEFT_CODING_GZIP:
    case WEFT_CODING_DEFLATE:
        return 6;
    case WEFT_CODING_BR:
        return 5;
    case WEFT_CODING_ZSTD:
        return 3;
    default:
        return 0;
    }
}

bool weft__codec_level_valid(int coding, int level)
{
    switch (coding) {
    case WEFT_CODING_GZIP:
    case WEFT_CODING_DEFLATE:
        return level >= 0 && level <= 9;
    case WEFT_CODING_BR:
        return level >= 0 && level <= 11;
    case WEFT_CODING_ZSTD:
        return level >= 1 && level <= 19;
    default:
        return level == 0;
    }
}

static const weft__codec_ops *decoder_ops(int coding)
{
    switch (coding) {
    case WEFT_CODING_GZIP: return &weft__gzip_decoder;
    case WEFT_CODING_DEFLATE: return &weft__deflate_decoder;
    case WEFT_CODING_BR: return &weft__br_decoder;
    case WEFT_CODING_ZSTD: return &weft__zstd_decoder;
    default: return NULL;
    }
}

static const weft__codec_ops *encoder_ops(int coding)
{
    switch (coding) {
    case WEFT_CODING_GZIP:
    case WEFT_CODING_DEFLATE: return &weft__zlib_encoder;
    case WEFT_CODING_BR: return &weft__br_encoder;
    case WEFT_CODING_ZSTD: return &weft__zstd_encoder;
    default: return NULL;
    }
}

void weft_codec_free(weft_codec *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nstage; i++) {
        c->st[i].ops->end(&c->st[i]);
        free(c->st[i].buf);
    }
    free(c);
}

static weft_codec *codec_alloc(unsigned nstage)
{
    weft_codec *c = calloc(1, sizeof *c + nstage * sizeof(weft__codec_stage));
    if (c)
        c->detail = "";
    return c;
}

int weft_codec_decoder_new_codings(const int *codings, size_t n, const weft_codec_limits *limits,
                                   weft_codec **out)
{
    weft_codec_limits lim;
    if (limits)
        lim = *limits;
    else
        weft_codec_limits_init(&lim);
    if (lim.max_layers > WEFT_CODEC_MAX_LAYERS || lim.zstd_window_log_max < 10 ||
        lim.zstd_window_log_max > 31)
        return -EINVAL;
    /* identity is no stage at all */
    size_t nreal = 0;
    for (size_t i = 0; i < n; i++) {
        if (codings[i] == WEFT_CODING_IDENTITY)
            continue;
        if (!decoder_ops(codings[i]))
            return WEFT_EHTTP_CODING_UNSUPPORTED;
        nreal++;
    }
    if (nreal > lim.max_layers)
        return WEFT_EHTTP_CODING_TOO_MANY;
    weft_codec *c = codec_alloc((unsigned)nreal);
    if (!c)
        return -ENOMEM;
    c->lim = lim;
    /* applied first is decoded last: st[] runs wire side first */
    for (size_t i = n; i-- > 0;) {
        if (codings[i] == WEFT_CODING_IDENTITY)
            continue;
        weft__codec_stage *s = &c->st[c->nstage++];
        s->ops = decoder_ops(codings[i]);
        s->coding = codings[i];
        s->window_log_max = lim.zstd_window_log_max;
        s->detail = "";
        int r = s->ops->init(s);
        if (r == 0 && c->nstage < nreal && !(s->buf = malloc(WEFT__CODEC_STAGE_BUF)))
            r = -ENOMEM;
        if (r < 0) {
            weft_codec_free(c);
            return r;
        }
    }
    *out = c;
    return 0;
}

/* Split a Content-Encoding value into codings; at most max (then TOO_MANY). */
static int parse_content_encoding(const char *v, size_t len, int *codings, size_t max,
                                  size_t *n)
{
    size_t i = 0, count = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < len && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end == start)
            continue;
        int coding = weft_coding_from_name(v + start, end - start);
        if (coding < 0)
            return coding;
        if (coding == WEFT_CODING_IDENTITY)
            continue; /* "identity" in Content-Encoding is legacy noise */
        if (count == max)
            return WEFT_EHTTP_CODING_TOO_MANY;
        codings[count++] = coding;
    }
    *n = count;
    return 0;
}

int weft_codec_decoder_new(const char *content_encoding, size_t len,
                           const weft_codec_limits *limits, weft_codec **out)
{
    weft_codec_limits lim;
    if (limits)
        lim = *limits;
    else
        weft_codec_limits_init(&lim);
    if (lim.max_layers > WEFT_CODEC_MAX_LAYERS)
        return -EINVAL;
    int codings[WEFT_CODEC_MAX_LAYERS];
    size_t n = 0;
    int r = parse_content_encoding(content_encoding ? content_encoding : "",
                                   content_encoding ? len : 0, codings, lim.max_layers, &n);
    if (r < 0)
        return r;
    return weft_codec_decoder_new_codings(codings, n, &lim, out);
}

int weft_codec_encoder_new(int coding, int level, weft_codec **out)
{
    if (coding < 0 || coding >= WEFT_CODING_COUNT)
        return -EINVAL;
    if (level == WEFT_CODEC_LEVEL_DEFAULT)
        level = weft__codec_level_default(coding);
    if (!weft__codec_level_valid(coding, level))
        return -EINVAL;
    bool identity = coding == WEFT_CODING_IDENTITY;
    weft_codec *c = codec_alloc(identity ? 0 : 1);
    if (!c)
        return -ENOMEM;
    c->encoder = true;
    weft_codec_limits_init(&c->lim);
    c->lim.max_output = UINT64_MAX;
    c->lim.max_ratio = 0;
    if (!identity) {
        weft__codec_stage *s = &c->st[0];
        s->ops = encoder_ops(coding);
        s->coding = coding;
        s->level = level;
        s->detail = "";
        c->nstage = 1;
        int r = s->ops->init(s);
        if (r < 0) {
            weft_codec_free(c);
            return r;
        }
    }
    *out = c;
    return 0;
}

void weft_codec_reset(weft_codec *c)
{
    c->done = false;
    c->err = 0;
    c->detail = "";
    c->total_in = c->total_out = 0;
    c->pend_op = 0;
    c->pend_in = 0;
    for (unsigned i = 0; i < c->nstage; i++) {
        weft__codec_stage *s = &c->st[i];
        s->total_out = 0;
        s->head = s->tail = 0;
        s->detail = "";
        int r = s->ops->reset(s);
        if (r < 0 && !c->err) {
            c->err = r; /* the codec reports it on its next use */
            c->detail = "reset failed";
        }
    }
}

bool weft_codec_done(const weft_codec *c)
{
    return c->done;
}

uint64_t weft_codec_total_in(const weft_codec *c)
{
    return c->total_in;
}

uint64_t weft_codec_total_out(const weft_codec *c)
{
    return c->total_out;
}

size_t weft_codec_codings(const weft_codec *c, int *out, size_t max)
{
    /* st[] is in decoding order; the applied order is the reverse */
    for (unsigned i = 0; i < c->nstage && i < max; i++)
        out[i] = c->encoder ? c->st[i].coding : c->st[c->nstage - 1 - i].coding;
    return c->nstage;
}

const char *weft_codec_errdetail(const weft_codec *c)
{
    return c->detail ? c->detail : "";
}

static int fail(weft_codec *c, int err, const char *detail)
{
    c->err = err;
    c->detail = detail ? detail : "";
    return err;
}

/* ------------------------------------------------------------- decoding */

/* The expansion-ratio check of one stage's output against the wire bytes. */
static bool over_ratio(const weft_codec *c, uint64_t out)
{
    if (c->lim.max_ratio == 0 || out <= c->lim.ratio_grace)
        return false;
    return out / c->lim.max_ratio > c->total_in;
}

/* Fill dst[0..room) with output of stage k, as far as input allows; *made
 * says how much. Stage 0 reads the caller's input, stage k > 0 the buffer of
 * stage k - 1, refilled from it when empty. */
static int pump(weft_codec *c, unsigned k, uint8_t *dst, size_t room, size_t *made)
{
    weft__codec_stage *s = &c->st[k];
    weft__codec_stage *up = k ? &c->st[k - 1] : NULL;
    size_t got = 0;
    int r = 0;
    while (got < room) {
        const uint8_t *src = up ? up->buf + up->head : c->in;
        size_t srclen = up ? up->tail - up->head : c->inlen;
        size_t inl = srclen, outl = room - got;
        r = s->ops->run(s, src, &inl, dst + got, &outl, WEFT__OP_RUN);
        if (up) {
            up->head += inl;
        } else {
            c->in += inl;
            c->inlen -= inl;
            c->total_in += inl;
        }
        got += outl;
        s->total_out += outl;
        if (r < 0) {
            c->detail = s->detail;
            break;
        }
        if (over_ratio(c, s->total_out)) {
            r = WEFT_EHTTP_CODING_RATIO;
            c->detail = k + 1 < c->nstage ? "an inner coding expands too much"
                                          : "the body expands too much";
            break;
        }
        if (got == room)
            break;
        /* Room is left, so the stage used all its input (stages return early
         * only when full) and nothing is pending: it needs more input. */
        if (inl < srclen) {
            r = WEFT_EHTTP_CODING_CORRUPT; /* a library broke its contract */
            c->detail = "decoder stalled";
            break;
        }
        if (!up)
            break;
        up->head = up->tail = 0;
        size_t filled = 0;
        r = pump(c, k - 1, up->buf, WEFT__CODEC_STAGE_BUF, &filled);
        up->tail = filled;
        if (r < 0 || filled == 0)
            break;
    }
    *made = got;
    return r < 0 ? r : 0;
}

static bool all_ended(const weft_codec *c)
{
    for (unsigned i = 0; i < c->nstage; i++)
        if (!c->st[i].ended || c->st[i].head != c->st[i].tail)
            return false;
    return true;
}

static int decode(weft_codec *c, const uint8_t *in, size_t *inlen, uint8_t *out, size_t *outlen,
                  unsigned flags)
{
    size_t room = *outlen, given = *inlen;
    /* Never produce more than one byte past max_output: that byte proves the
     * body is too large without decoding the rest. */
    uint64_t left = c->lim.max_output - c->total_out;
    if (c->lim.max_output != UINT64_MAX && left < UINT64_MAX && room > left + 1)
        room = (size_t)(left + 1);
    size_t made = 0;
    int r = 0;
    if (c->nstage == 0) {
        made = *inlen < room ? *inlen : room;
        if (made)
            memcpy(out, in, made);
        c->total_in += made;
        *inlen = made;
    } else {
        c->in = in;
        c->inlen = *inlen;
        r = pump(c, c->nstage - 1, out, room, &made);
        *inlen -= c->inlen;
        c->in = NULL;
        c->inlen = 0;
    }
    c->total_out += made;
    *outlen = made;
    if (r < 0)
        return fail(c, r, c->detail);
    if (c->total_out > c->lim.max_output)
        return fail(c, WEFT_EHTTP_CODING_TOO_LARGE, "the decoded body is over max_output");
    bool finish = flags & WEFT_CODEC_FINISH;
    if (c->nstage == 0) {
        /* identity has no end of its own: the caller's FINISH is it */
        c->done = finish && *inlen == given;
        return c->done ? WEFT_CODEC_END : 0;
    }
    /* Complete when every stage has ended with nothing left over, or when
     * the body was empty: no byte at all is no data lost (browsers and
     * urllib3 accept an empty "gzip" body, which servers do send). */
    c->done = *inlen == given && (all_ended(c) || (finish && c->total_in == 0));
    if (c->done)
        return WEFT_CODEC_END;
    if (finish && made < room)
        return fail(c, WEFT_EHTTP_CODING_TRUNCATED, "the body ended inside the coded stream");
    return 0;
}

/* ------------------------------------------------------------- encoding */

static int encode(weft_codec *c, const uint8_t *in, size_t *inlen, uint8_t *out, size_t *outlen,
                  unsigned flags)
{
    int op = (flags & WEFT_CODEC_FINISH) ? WEFT__OP_FINISH
             : (flags & WEFT_CODEC_FLUSH) ? WEFT__OP_FLUSH
                                          : WEFT__OP_RUN;
    size_t ilen = *inlen, olen = *outlen;
    if (c->nstage == 0) {
        size_t n = ilen < olen ? ilen : olen;
        if (n)
            memcpy(out, in, n);
        *inlen = *outlen = n;
        c->total_in += n;
        c->total_out += n;
        c->done = op == WEFT__OP_FINISH && n == ilen;
        return c->done ? WEFT_CODEC_END : 0;
    }
    weft__codec_stage *s = &c->st[0];
    size_t iu = 0, ou = 0;
    int r;
    if (c->pend_op) {
        /* Finish what the last call could not, over the same bytes only:
         * the libraries forbid changing the input mid-flush. */
        size_t n = c->pend_in < ilen ? c->pend_in : ilen;
        size_t u = n, m = olen;
        r = s->ops->run(s, in, &u, out, &m, c->pend_op);
        iu += u;
        ou += m;
        c->pend_in = n - u;
        if (r < 0)
            goto error;
        if (r == 0)
            goto out; /* output full again */
        c->pend_op = 0;
    }
    if (s->ended) {
        if (iu < ilen) {
            r = -EINVAL; /* input after the end of the stream */
            goto error;
        }
        goto out;
    }
    size_t u = ilen - iu, m = olen - ou;
    r = s->ops->run(s, in + iu, &u, out + ou, &m, op);
    if (r < 0) {
        iu += u;
        ou += m;
        goto error;
    }
    if (r == 0 && op != WEFT__OP_RUN) {
        c->pend_op = op;
        c->pend_in = ilen - iu - u;
    }
    iu += u;
    ou += m;
out:
    *inlen = iu;
    *outlen = ou;
    c->total_in += iu;
    c->total_out += ou;
    c->done = s->ended;
    return c->done ? WEFT_CODEC_END : 0;
error:
    *inlen = iu;
    *outlen = ou;
    c->total_in += iu;
    c->total_out += ou;
    return fail(c, r, s->detail);
}

int weft_codec_process(weft_codec *c, const void *in, size_t *inlen, void *out, size_t *outlen,
                       unsigned flags)
{
    if (c->err) {
        *inlen = *outlen = 0;
        return c->err;
    }
    if ((*inlen && !in) || (*outlen && !out)) {
        *inlen = *outlen = 0;
        return -EINVAL;
    }
    /* Empty input or output may come as NULL; the stages add offsets to
     * both pointers, and an offset (even 0) on NULL is undefined, so give
     * them a real address of no length instead. */
    static const uint8_t no_input[1];
    static uint8_t no_output[1];
    if (!in)
        in = no_input;
    if (!out)
        out = no_output;
    if (c->encoder)
        return encode(c, in, inlen, out, outlen, flags);
    return decode(c, in, inlen, out, outlen, flags);
}

/* ------------------------------------------------------------- one-shot */

/* Run c over the whole input into a growing buffer. */
static int run_all(weft_codec *c, const void *in, size_t len, void **out, size_t *outlen)
{
    size_t cap = len < 4096 ? 4096 : len, n = 0;
    uint8_t *buf = malloc(cap + 1);
    const uint8_t *p = in;
    int r;
    *out = NULL;
    *outlen = 0;
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (cap - n < 4096) {
            size_t ncap = cap * 2;
            uint8_t *nb = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t u = len, m = cap - n;
        r = weft_codec_process(c, p, &u, buf + n, &m, WEFT_CODEC_FINISH);
        p += u;
        len -= u;
        n += m;
        if (r < 0) {
            free(buf);
            return r;
        }
        if (r == WEFT_CODEC_END && len == 0)
            break;
        if (r == WEFT_CODEC_END && !c->encoder)
            continue; /* a gzip member or zstd frame ended; more follow */
    }
    buf[n] = 0;
    *out = buf;
    *outlen = n;
    return 0;
}

int weft_http_decode(const char *content_encoding, size_t celen, const void *in, size_t len,
                     const weft_codec_limits *limits, void **out, size_t *outlen)
{
    weft_codec *c;
    *out = NULL;
    *outlen = 0;
    int r = weft_codec_decoder_new(content_encoding, celen, limits, &c);
    if (r < 0)
        return r;
    r = run_all(c, in, len, out, outlen);
    weft_codec_free(c);
    return r;
}

int weft_http_encode(int coding, int level, const void *in, size_t len, void **out,
                     size_t *outlen)
{
    weft_codec *c;
    *out = NULL;
    *outlen = 0;
    int r = weft_codec_encoder_new(coding, level, &c);
    if (r < 0)
        return r;
    r = run_all(c, in, len, out, outlen);
    weft_codec_free(c);
    return r;
}
