/*
 * fuzz_range.c - the Range header parser (static_range.c). Byte 0 picks the
 * range limit, byte 1 the file size (a table of edge sizes or a value from
 * the next 8 bytes); the rest is the header value, in an exact-size buffer.
 * Invariants:
 *  - the result is -ERANGE, 0, or 1..limit ranges;
 *  - every range lies within the file (first <= last < size);
 *  - no two ranges overlap or touch (they were coalesced), and together they
 *    are no bigger than the file (the overlapping-ranges attack);
 *  - when coalescing happened they are ascending;
 *  - parsing is deterministic, and a larger limit never turns a result
 *    into another non-zero answer;
 *  - the multipart length is the framing weft__static_part_head/tail make.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1_fuzz.h" /* CHECK */
#include "server/static_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t sizes[] = {
    0, 1, 2, 10, 100, 1000, 4096, 10000, 1u << 20, 1ull << 32, INT64_MAX, UINT64_MAX / 2,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned max = 1 + data[0] % 80;
    uint64_t fsize;
    size_t off = 2;
    uint8_t sel = data[1];
    if (sel < 0xf0) {
        fsize = sizes[sel % (sizeof sizes / sizeof *sizes)];
    } else {
        if (size < 10)
            return 0;
        memcpy(&fsize, data + 2, 8);
        fsize %= (uint64_t)INT64_MAX;
        off = 10;
    }
    size_t len = size - off;
    char *v = malloc(len ? len : 1);
    memcpy(v, data + off, len);

    struct weft__static_range *r = malloc(max * sizeof *r);
    int n = weft__static_range_parse(v, len, fsize, max, r);
    CHECK(n == -ERANGE || (n >= 0 && (unsigned)n <= max));
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        CHECK(r[i].first <= r[i].last);
        CHECK(r[i].last < fsize);
        total += r[i].last - r[i].first + 1;
        for (int j = 0; j < i; j++)
            CHECK(r[j].last + 1 < r[i].first || r[i].last + 1 < r[j].first);
    }
    CHECK(total <= fsize);

    /* Deterministic, and a bigger limit changes nothing the smaller one
     * accepted. */
    struct weft__static_range *r2 = malloc((max + 8) * sizeof *r2);
    int n2 = weft__static_range_parse(v, len, fsize, max + 8, r2);
    if (n != 0) {
        CHECK(n2 == n);
        CHECK(memcmp(r, r2, (size_t)(n > 0 ? n : 0) * sizeof *r) == 0);
    }

    if (n > 1) {
        char b[25], head[512];
        weft__static_boundary(b);
        const char *ct = "application/octet-stream";
        uint64_t sum = 0;
        for (int i = 0; i < n; i++) {
            int h = weft__static_part_head(head, sizeof head, b, ct, &r[i], fsize, i == 0);
            CHECK(h > 0);
            sum += (uint64_t)h + r[i].last - r[i].first + 1;
        }
        int t = weft__static_part_tail(head, sizeof head, b);
        CHECK(t > 0);
        CHECK(weft__static_multipart_length(b, ct, r, (size_t)n, fsize) == sum + (uint64_t)t);
    }
    free(r2);
    free(r);
    free(v);
    return 0;
}
