/*
 * pct.c - the string builder, character classes and percent-encoding used by
 * the URL, form and cookie code.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "weft/url.h"
#include "http/url_int.h"

const char weft__hexdig[16] = "0123456789ABCDEF";

/* Bits from url_int.h: 1 unreserved, 2 sub-delim, 4 unsafe, 8 hex, 16 scheme,
 * 32 form-safe, 64 "/:@". Generated once; see the WEFT__C_* comments. */
const uint8_t weft__cclass[256] = {
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  2,  4,  0,  2,  0,  2,  2,  2,  2, 34, 18,  2, 49, 49, 64,
    57, 57, 57, 57, 57, 57, 57, 57, 57, 57, 64,  2,  4,  2,  4,  0,
    64, 57, 57, 57, 57, 57, 57, 49, 49, 49, 49, 49, 49, 49, 49, 49,
    49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49,  0,  4,  0,  4, 33,
     4, 57, 57, 57, 57, 57, 57, 49, 49, 49, 49, 49, 49, 49, 49, 49,
    49, 49, 49, 49, 49, 49, 49, 49, 49, 49, 49,  4,  4,  4,  1,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
};

/* ------------------------------------------------------------ string builder */

int weft__sb_reserve(weft__sb *sb, size_t extra)
{
    if (sb->err)
        return sb->err;
    if (extra > SIZE_MAX / 2 - sb->len) {
        sb->err = -ENOMEM;
        return sb->err;
    }
    size_t need = sb->len + extra + 1; /* room for the NUL */
    if (need <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(sb->p, cap);
    if (!p) {
        sb->err = -ENOMEM;
        return sb->err;
    }
    sb->p = p;
    sb->cap = cap;
    return 0;
}

void weft__sb_put(weft__sb *sb, const void *s, size_t n)
{
    if (weft__sb_reserve(sb, n))
        return;
    if (n)
        memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void weft__sb_putc_slow(weft__sb *sb, char c)
{
    if (weft__sb_reserve(sb, 1))
        return;
    sb->p[sb->len++] = c;
    sb->p[sb->len] = '\0';
}

void weft__sb_puts(weft__sb *sb, const char *s)
{
    weft__sb_put(sb, s, strlen(s));
}

char *weft__sb_take(weft__sb *sb, size_t *len)
{
    if (!sb->err && !sb->p)
        weft__sb_reserve(sb, 0);
    if (sb->err) {
        weft__sb_free(sb);
        return NULL;
    }
    sb->p[sb->len] = '\0';
    char *p = sb->p;
    if (len)
        *len = sb->len;
    sb->p = NULL;
    sb->len = sb->cap = 0;
    return p;
}

void weft__sb_free(weft__sb *sb)
{
    free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
}

/* ------------------------------------------------------------ encode / decode */

void weft__pct_put(weft__sb *sb, const char *s, size_t n, unsigned keep, bool plus_space)
{
    /* Worst case triples the input; reserving once keeps the loop branch-light. */
    if (n > SIZE_MAX / 3 || weft__sb_reserve(sb, n * 3))
        return;
    char *o = sb->p + sb->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (weft__cclass[c] & keep) {
            *o++ = (char)c;
        } else if (c == ' ' && plus_space) {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = weft__hexdig[c >> 4];
            *o++ = weft__hexdig[c & 15];
        }
    }
    sb->len = (size_t)(o - sb->p);
    sb->p[sb->len] = '\0';
}

size_t weft__pct_decode(char *dst, const char *src, size_t n, bool plus_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%' && i + 2 < n) {
            int hi = weft__hexval((unsigned char)src[i + 1]);
            int lo = weft__hexval((unsigned char)src[i + 2]);
            if (hi >= 0 && lo >= 0) {
                dst[o++] = (char)(hi << 4 | lo);
                i += 2;
                continue;
            }
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        dst[o++] = c;
    }
    return o;
}

static unsigned pct_keep(enum weft_pct_set set)
{
    switch (set) {
    case WEFT_PCT_COMPONENT: return WEFT__C_UNRESERVED;
    case WEFT_PCT_PATH: return WEFT__C_UNRESERVED | WEFT__C_SUBDELIM | WEFT__C_PCHAR_XTRA;
    case WEFT_PCT_FORM: return WEFT__C_FORM_SAFE;
    }
    return 0;
}

int weft_percent_encode(const char *src, size_t len, enum weft_pct_set set,
                        char *dst, size_t cap)
{
    if ((unsigned)set > WEFT_PCT_FORM)
        return -EINVAL;
    unsigned keep = pct_keep(set);
    bool plus = set == WEFT_PCT_FORM;
    size_t need = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        size_t w = (weft__cclass[c] & keep) || (plus && c == ' ') ? 1 : 3;
        if (need + w < cap) {
            if (w == 1) {
                dst[need] = (c == ' ' && plus) ? '+' : (char)c;
            } else {
                dst[need] = '%';
                dst[need + 1] = weft__hexdig[c >> 4];
                dst[need + 2] = weft__hexdig[c & 15];
            }
        } else if (need < cap) {
            cap = need + 1; /* an escape must not be cut in half: stop here */
        }
        need += w;
        if (need > INT_MAX)
            return -EOVERFLOW;
    }
    if (cap)
        dst[need < cap ? need : cap - 1] = '\0';
    return (int)need;
}

int weft_percent_decode(const char *src, size_t len, bool plus_as_space, bool strict,
                        char *dst)
{
    if (len > INT_MAX)
        return -EOVERFLOW;
    if (strict) {
        for (size_t i = 0; i < len; i++)
            if (src[i] == '%' && (i + 2 >= len ||
                                  weft__hexval((unsigned char)src[i + 1]) < 0 ||
                                  weft__hexval((unsigned char)src[i + 2]) < 0))
                return WEFT_EURL;
    }
    size_t n = weft__pct_decode(dst, src, len, plus_as_space);
    dst[n] = '\0';
    return (int)n;
}
