/*
 * fuzz_coding_headers.c - the two header parsers of weft/http_codec.h:
 * Accept-Encoding (weights, the server's pick) and Content-Encoding (the
 * decoder stack). The input is the header value. Invariants:
 *  - every weight is within 0..1000; absent header weighs all 1000;
 *  - the pick is one of the server's preferences or identity, weighs > 0
 *    (or identity does), and no preference weighs more than it, unless the
 *    client named identity higher; NOT_ACCEPTABLE only when nothing is;
 *  - a Content-Encoding either makes a decoder of at most max_layers codings,
 *    each named in the value, or fails with UNSUPPORTED / TOO_MANY.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "weft/http_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                \
    do {                                                                        \
        if (!(x)) {                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* Does the (non-NUL-terminated) value mention name, case-insensitively? */
static bool mentions(const char *v, size_t n, const char *name)
{
    size_t k = strlen(name);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(v + i, name, k) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *v = (const char *)data;
    int q[WEFT_CODING_COUNT];
    for (int c = 0; c < WEFT_CODING_COUNT; c++) {
        q[c] = weft_accept_encoding_q(v, size, c);
        CHECK(q[c] >= 0 && q[c] <= 1000);
        CHECK(weft_accept_encoding_q(NULL, 0, c) == 1000);
    }
    const int prefs[] = { WEFT_CODING_BR, WEFT_CODING_GZIP, WEFT_CODING_ZSTD, WEFT_CODING_DEFLATE };
    int pick = weft_accept_encoding_select(v, size, prefs, 4);
    if (pick == WEFT_EHTTP_CODING_NOT_ACCEPTABLE) {
        CHECK(q[WEFT_CODING_IDENTITY] == 0);
        for (int i = 0; i < 4; i++)
            CHECK(q[prefs[i]] == 0);
    } else {
        CHECK(pick >= 0 && pick < WEFT_CODING_COUNT);
        if (pick == WEFT_CODING_IDENTITY) {
            CHECK(q[WEFT_CODING_IDENTITY] > 0);
        } else {
            CHECK(q[pick] > 0);
            for (int i = 0; i < 4; i++)
                CHECK(q[prefs[i]] <= q[pick]);
        }
    }
    CHECK(weft_accept_encoding_select(NULL, 0, prefs, 4) == WEFT_CODING_IDENTITY);

    weft_codec *d;
    int r = weft_codec_decoder_new(v, size, NULL, &d);
    if (r == 0) {
        int list[WEFT_CODEC_MAX_LAYERS];
        size_t n = weft_codec_codings(d, list, WEFT_CODEC_MAX_LAYERS);
        CHECK(n <= WEFT_CODEC_DEFAULT_MAX_LAYERS);
        for (size_t i = 0; i < n; i++) {
            CHECK(list[i] > WEFT_CODING_IDENTITY && list[i] < WEFT_CODING_COUNT);
            CHECK(mentions(v, size, weft_coding_name(list[i])));
        }
        weft_codec_free(d);
    } else {
        CHECK(r == WEFT_EHTTP_CODING_UNSUPPORTED || r == WEFT_EHTTP_CODING_TOO_MANY);
    }
    (void)weft_coding_compressible(v, size);
    return 0;
}
