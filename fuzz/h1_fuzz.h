/*
 * h1_fuzz.h - what the HTTP/1 fuzz targets share: an invariant check that
 * aborts (so libFuzzer keeps the input), limits picked by the first input
 * byte, and field-by-field comparison of two parses of the same bytes.
 */
#ifndef WEFT_H1_FUZZ_H
#define WEFT_H1_FUZZ_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http1.h"

#define CHECK(x)                                                                \
    do {                                                                        \
        if (!(x)) {                                                             \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #x, __FILE__, __LINE__); \
            abort();                                                            \
        }                                                                       \
    } while (0)

#define FUZZ_NHDR 128

/* Small limits half the time, so inputs of a few hundred bytes reach them. */
static inline void fuzz_limits(uint8_t sel, weft_h1_limits *l)
{
    weft_h1_limits_init(l);
    if (sel & 1)
        l->max_request_line = 64;
    if (sel & 2)
        l->max_head = 300;
    if (sel & 4)
        l->max_headers = 4;
    if (sel & 8)
        l->max_body = 100;
    if (sel & 16)
        l->max_chunk_ext = 4;
    if (sel & 32)
        l->max_trailers = 16;
}

/* Slice s lies inside [lo, hi) (or is absent). */
static inline void in_range(weft_h1_slice s, const char *lo, const char *hi)
{
    if (!s.ptr) {
        CHECK(s.len == 0);
        return;
    }
    CHECK(s.ptr >= lo && s.ptr + s.len <= hi);
}

static inline void same_slice(weft_h1_slice a, weft_h1_slice b)
{
    CHECK(a.ptr == b.ptr && a.len == b.len);
}

/* Same bytes, maybe at other addresses. */
static inline void same_text(weft_h1_slice a, weft_h1_slice b)
{
    CHECK((a.ptr == NULL) == (b.ptr == NULL));
    CHECK(a.len == b.len);
    CHECK(a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline void check_headers(const weft_h1_header *h, size_t n, const char *lo, const char *hi)
{
    for (size_t i = 0; i < n; i++) {
        in_range(h[i].name, lo, hi);
        in_range(h[i].value, lo, hi);
        CHECK(h[i].name.len > 0);
        for (size_t k = 0; k < h[i].name.len; k++)
            CHECK(h[i].name.ptr[k] > 0x20 && h[i].name.ptr[k] < 0x7f && h[i].name.ptr[k] != ':');
        const char *v = h[i].value.ptr;
        size_t vl = h[i].value.len;
        for (size_t k = 0; k < vl; k++)
            CHECK(v[k] != '\r' && v[k] != '\n' && v[k] != '\0' && v[k] != 0x7f);
        if (vl) {
            CHECK(v[0] != ' ' && v[0] != '\t');
            CHECK(v[vl - 1] != ' ' && v[vl - 1] != '\t');
        }
    }
}

#endif
