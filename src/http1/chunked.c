/*
 * chunked.c - the chunked transfer coding (RFC 9112 §7.1): an incremental
 * decoder that keeps its place across calls, and the chunk-header encoder.
 *
 * The decoder is a byte state machine for the framing (size lines, CRLFs,
 * trailers) and a memmove for the data, so it can decode in place: output
 * never runs ahead of input. It is as strict as the head parser, for the
 * same reason (two readings of a chunked body are a smuggling hole): hex
 * digits only, at most 16 of them, CRLF and nothing else after data,
 * no whitespace after the size unless an extension follows.
 */
#include <errno.h>
#include <string.h>

#include "http1/http1_int.h"

enum {
    S_SIZE,     /* hex digits of the chunk size */
    S_SIZE_WS,  /* BWS after the size, which must lead to ';' */
    S_EXT,      /* chunk extensions, skipped up to CR */
    S_SIZE_LF,  /* LF after the size line's CR */
    S_DATA,     /* chunk data */
    S_DATA_CR,  /* CR after data */
    S_DATA_LF,  /* LF after data */
    S_TR_START, /* start of a trailer line, or of the final CRLF */
    S_TR_NAME,  /* trailer field name */
    S_TR_VALUE, /* trailer field value */
    S_TR_LF,    /* LF ending a trailer line */
    S_END_LF,   /* LF of the final CRLF */
    S_DONE,
    S_ERROR,    /* sticky: a decoder that failed stays failed */
};

#define MAX_HEX_DIGITS 16 /* 16 hex digits fit 64 bits; leading zeros count too */

void weft_h1_chunked_init(weft_h1_chunked *c, const weft_h1_limits *l)
{
    weft_h1_limits def;
    if (!l) {
        weft_h1_limits_init(&def);
        l = &def;
    }
    memset(c, 0, sizeof *c);
    c->_max_body = l->max_body;
    c->_max_ext = l->max_chunk_ext;
    c->_max_trailers = l->max_trailers;
    c->_state = S_SIZE;
}

bool weft_h1_chunked_done(const weft_h1_chunked *c)
{
    return c->_state == S_DONE;
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (unsigned char)(ch | 0x20);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* One framing byte. Returns 0, or an error. */
static int step(weft_h1_chunked *c, unsigned char ch)
{
    int h;
    switch (c->_state) {
    case S_SIZE:
        if ((h = hexval(ch)) >= 0) {
            if (++c->_digits > MAX_HEX_DIGITS)
                return WEFT_EHTTP_BAD_CHUNK;
            c->_left = (c->_left << 4) | (uint64_t)h;
            return 0;
        }
        if (c->_digits == 0)
            return WEFT_EHTTP_BAD_CHUNK;
        c->_count = 1; /* extension bytes, counted from the ';' or BWS */
        if (ch == '\r')
            c->_state = S_SIZE_LF;
        else if (ch == ';')
            c->_state = S_EXT;
        else if (ch == ' ' || ch == '\t')
            c->_state = S_SIZE_WS;
        else
            return WEFT_EHTTP_BAD_CHUNK;
        return 0;
    case S_SIZE_WS:
        if (ch == ';')
            c->_state = S_EXT;
        else if (ch != ' ' && ch != '\t')
            return WEFT_EHTTP_BAD_CHUNK;
        if (++c->_count > c->_max_ext)
            return WEFT_EHTTP_BAD_CHUNK;
        return 0;
    case S_EXT:
        /* Extensions mean nothing to weft; check only that they are field
         * bytes, so no CR, LF or NUL hides in them. */
        if (ch == '\r')
            c->_state = S_SIZE_LF;
        else if (!h1_is(ch, H1_VALUE) || ++c->_count > c->_max_ext)
            return WEFT_EHTTP_BAD_CHUNK;
        return 0;
    case S_SIZE_LF:
        if (ch != '\n')
            return WEFT_EHTTP_BAD_CHUNK;
        c->_digits = 0;
        if (c->_left == 0) {
            c->_count = 0;
            c->_state = S_TR_START;
            return 0;
        }
        if (c->_left > c->_max_body - c->_total)
            return WEFT_EHTTP_BODY_TOO_LARGE;
        c->_total += c->_left;
        c->_state = S_DATA;
        return 0;
    case S_DATA_CR:
        if (ch != '\r')
            return WEFT_EHTTP_BAD_CHUNK;
        c->_state = S_DATA_LF;
        return 0;
    case S_DATA_LF:
        if (ch != '\n')
            return WEFT_EHTTP_BAD_CHUNK;
        c->_state = S_SIZE;
        return 0;
    default:
        break;
    }

    /* The trailer section: field lines, counted against the limit, then
     * the CRLF that ends the body. */
    if (!(c->_state == S_TR_START && ch == '\r') && c->_state != S_END_LF &&
        ++c->_count > c->_max_trailers)
        return WEFT_EHTTP_HEADERS_TOO_LARGE;
    switch (c->_state) {
    case S_TR_START:
        if (ch == '\r')
            c->_state = S_END_LF;
        else if (h1_is(ch, H1_TOKEN))
            c->_state = S_TR_NAME;
        else
            return WEFT_EHTTP_BAD_CHUNK; /* obs-fold, empty name, junk */
        return 0;
    case S_TR_NAME:
        if (ch == ':')
            c->_state = S_TR_VALUE;
        else if (!h1_is(ch, H1_TOKEN))
            return WEFT_EHTTP_BAD_CHUNK;
        return 0;
    case S_TR_VALUE:
        if (ch == '\r')
            c->_state = S_TR_LF;
        else if (!h1_is(ch, H1_VALUE))
            return WEFT_EHTTP_BAD_CHUNK;
        return 0;
    case S_TR_LF:
    case S_END_LF:
        if (ch != '\n')
            return WEFT_EHTTP_BAD_CHUNK;
        c->_state = c->_state == S_TR_LF ? S_TR_START : S_DONE;
        return 0;
    }
    return WEFT_EHTTP_BAD_CHUNK;
}

int weft_h1_chunked_decode_to(weft_h1_chunked *c, const char *in, size_t *inlen,
                              char *out, size_t *outlen)
{
    size_t n = *inlen, room = *outlen, i = 0, o = 0;
    int r = 0;
    if (c->_state == S_ERROR)
        return WEFT_EHTTP_BAD_CHUNK;
    while (i < n && c->_state != S_DONE) {
        if (c->_state == S_DATA) {
            size_t k = n - i;
            if (k > c->_left)
                k = (size_t)c->_left;
            if (k > room - o)
                k = room - o;
            if (k == 0)
                break; /* out of room */
            memmove(out + o, in + i, k);
            i += k;
            o += k;
            c->_left -= k;
            if (c->_left == 0)
                c->_state = S_DATA_CR;
            continue;
        }
        if ((r = step(c, (unsigned char)in[i])) < 0) {
            c->_state = S_ERROR;
            break;
        }
        i++;
    }
    *inlen = i;
    *outlen = o;
    if (r < 0)
        return r;
    return c->_state == S_DONE ? 0 : -EAGAIN;
}

int weft_h1_chunked_decode(weft_h1_chunked *c, char *buf, size_t *len)
{
    size_t total = *len, in = total, out = total;
    /* With as much room as input, decode_to never runs out of room, so
     * -EAGAIN means every byte was used. */
    int r = weft_h1_chunked_decode_to(c, buf, &in, buf, &out);
    *len = out;
    if (r < 0)
        return r;
    /* Done: slide what follows the body down to sit right after it. */
    memmove(buf + out, buf + in, total - in);
    return (int)(total - in);
}

size_t weft_h1_chunk_header(char *out, uint64_t size)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = hex[size & 0xf];
        size >>= 4;
    } while (size);
    while (n)
        out[k++] = tmp[--n];
    out[k++] = '\r';
    out[k++] = '\n';
    return k;
}
