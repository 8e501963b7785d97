/*
 * fuzz_static_path.c - the request path cleaner (static_path.c). Byte 0
 * picks the hidden-file policy and the output room; the rest is the path.
 * Invariants:
 *  - errors are only the documented ones;
 *  - a clean path has the returned length, no NUL, no leading or trailing
 *    '/', no empty, "." or ".." segment, no segment over NAME_MAX, and no
 *    hidden segment unless the policy shows them;
 *  - it never writes past the room it was given (exact-size buffer);
 *  - cleaning is idempotent: the result, percent-encoded back into a path,
 *    cleans to itself.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1_fuzz.h" /* CHECK */
#include "server/static_int.h"
#include "weft/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum weft__static_hidden h = (enum weft__static_hidden)(data[0] % 3);
    size_t cap = (data[0] & 0x80) ? 1u + (size_t)(data[0] >> 2 & 31) : WEFT__STATIC_PATH_MAX + 1;
    size_t len = size - 1;
    char *in = malloc(len ? len : 1);
    memcpy(in, data + 1, len);
    char *out = malloc(cap);
    bool dir = false;
    int n = weft__static_path_clean(in, len, h, out, cap, &dir);
    if (n < 0) {
        CHECK(n == -EINVAL || n == -EACCES || n == -ENOENT || n == -ENAMETOOLONG);
        goto done;
    }
    CHECK((size_t)n < cap && out[n] == '\0' && strlen(out) == (size_t)n);
    if (n > 0)
        CHECK(out[0] != '/' && out[n - 1] != '/');
    for (int s = 0; s < n;) {
        int e = s;
        while (e < n && out[e] != '/')
            e++;
        int sl = e - s;
        CHECK(sl > 0 && sl <= NAME_MAX);
        CHECK(!(sl == 1 && out[s] == '.'));
        CHECK(!(sl == 2 && out[s] == '.' && out[s + 1] == '.'));
        if (h != WEFT__STATIC_HIDDEN_SHOW)
            CHECK(!weft__static_name_hidden(out + s, (size_t)sl));
        s = e + 1;
    }
    /* Idempotent: encode each segment back and clean again. */
    size_t rcap = 3 * (size_t)n + 2;
    char *re = malloc(rcap + 1);
    size_t o = 0;
    re[o++] = '/';
    for (int s = 0; s < n;) {
        int e = s;
        while (e < n && out[e] != '/')
            e++;
        int w = weft_percent_encode(out + s, (size_t)(e - s), WEFT_PCT_COMPONENT, re + o,
                                    rcap + 1 - o);
        CHECK(w >= 0 && o + (size_t)w <= rcap);
        o += (size_t)w;
        if (e < n)
            re[o++] = '/';
        s = e + 1;
    }
    char *again = malloc(cap);
    bool dir2;
    int n2 = weft__static_path_clean(re, o, h, again, cap, &dir2);
    CHECK(n2 == n && memcmp(again, out, (size_t)n) == 0);
    free(again);
    free(re);
done:
    free(out);
    free(in);
    return 0;
}
