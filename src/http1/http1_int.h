/*
 * http1_int.h - what the HTTP/1 parser files share: byte classes and the
 * scanners that skip runs of allowed bytes, 16 at a time where SSE2 exists.
 */
#ifndef WEFT_HTTP1_INT_H
#define WEFT_HTTP1_INT_H

#include <stddef.h>
#include <stdint.h>

#include "weft/http1.h"

#if defined(__SSE2__) && !defined(WEFT_H1_NO_SIMD)
#include <emmintrin.h>
#define WEFT_H1_SSE2 1
#endif

/* Byte classes, one bit each in weft__h1_class[]. */
#define H1_TOKEN  0x01u /* tchar (RFC 9110 §5.6.2): method, field name, coding */
#define H1_VALUE  0x02u /* field-vchar, SP, HTAB (RFC 9110 §5.5), reason phrase */
#define H1_TARGET 0x04u /* request-target: VCHAR except '#' (ASCII only) */
#define H1_HOST   0x08u /* Host / authority: unreserved, sub-delims, % : [ ] */
#define H1_HEX    0x10u /* hex digit */

extern const uint8_t weft__h1_class[256];

static inline int h1_is(unsigned char c, unsigned cls)
{
    return weft__h1_class[c] & cls;
}

/* ASCII lower case of a byte (for comparing names known to be tokens). */
static inline unsigned char h1_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* First index in [i, end) whose byte is not a target byte, or end. */
static inline size_t h1_skip_target(const char *b, size_t i, size_t end)
{
#ifdef WEFT_H1_SSE2
    /* In range 0x21..0x7E: add 0x5F so the range lands on -128..-35 signed;
     * anything greater than -35 is outside. '#' is tested apart. */
    const __m128i bias = _mm_set1_epi8(0x5F), top = _mm_set1_epi8((char)0xDD);
    const __m128i hash = _mm_set1_epi8('#');
    while (end - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i bad = _mm_or_si128(_mm_cmpgt_epi8(_mm_add_epi8(v, bias), top),
                                   _mm_cmpeq_epi8(v, hash));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < end && h1_is((unsigned char)b[i], H1_TARGET))
        i++;
    return i;
}

/* First index in [i, end) whose byte is not allowed in a field value, or
 * end. HTAB is allowed; the vector loop stops on it and the byte loop passes
 * it, since tabs are rare. */
static inline size_t h1_skip_value(const char *b, size_t i, size_t end)
{
#ifdef WEFT_H1_SSE2
    /* Stop bytes are 0x00..0x1F (max(v, 0x1F) == 0x1F) and DEL. */
    const __m128i c1f = _mm_set1_epi8(0x1F), del = _mm_set1_epi8(0x7F);
    while (end - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f),
                                   _mm_cmpeq_epi8(v, del));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        if (!m) {
            i += 16;
            continue;
        }
        i += (size_t)__builtin_ctz(m);
        if (b[i] != '\t')
            return i;
        i++;
    }
#endif
    while (i < end && h1_is((unsigned char)b[i], H1_VALUE))
        i++;
    return i;
}

/* First index in [i, end) whose byte is not a token byte, or end. Field
 * names are nearly all letters, digits and '-', so the vector loop tests
 * for those and lets the byte test decide on anything else. */
static inline size_t h1_skip_token(const char *b, size_t i, size_t end)
{
#ifdef WEFT_H1_SSE2
    /* x in [lo, hi] (unsigned) iff x + (0x80 - lo) < -128 + (hi - lo + 1) signed. */
    const __m128i a_bias = _mm_set1_epi8((char)(0x80 - 'a')), a_lim = _mm_set1_epi8((char)(-128 + 26));
    const __m128i d_bias = _mm_set1_epi8((char)(0x80 - '0')), d_lim = _mm_set1_epi8((char)(-128 + 10));
    const __m128i case_bit = _mm_set1_epi8(0x20), dash = _mm_set1_epi8('-');
    while (end - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i alpha = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, case_bit), a_bias), a_lim);
        __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, d_bias), d_lim);
        __m128i ok = _mm_or_si128(_mm_or_si128(alpha, digit), _mm_cmpeq_epi8(v, dash));
        unsigned m = ~(unsigned)_mm_movemask_epi8(ok) & 0xFFFFu;
        if (!m) {
            i += 16;
            continue;
        }
        i += (size_t)__builtin_ctz(m);
        if (!h1_is((unsigned char)b[i], H1_TOKEN))
            return i;
        i++;
    }
#endif
    while (end - i >= 4 && h1_is((unsigned char)b[i], H1_TOKEN) &&
           h1_is((unsigned char)b[i + 1], H1_TOKEN) && h1_is((unsigned char)b[i + 2], H1_TOKEN) &&
           h1_is((unsigned char)b[i + 3], H1_TOKEN))
        i += 4;
    while (i < end && h1_is((unsigned char)b[i], H1_TOKEN))
        i++;
    return i;
}

#endif
