/*
 * fuzz_static_cond.c - the request validators (static_cond.c): entity-tag
 * lists (If-Match / If-None-Match), If-Range, and the precondition order.
 * The input is up to five NUL-separated header values (If-Match,
 * If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range); a
 * missing one is absent. Invariants:
 *  - every value is read within its bytes (each in an exact-size buffer);
 *  - a strong match implies a weak one; our own ETag always matches itself
 *    and "*"; W/ of it matches weakly only;
 *  - the result is 0, 304 or 412, and 304 only for GET/HEAD;
 *  - If-Match present and not matching strongly is always 412;
 *  - If-Range matches only our exact strong ETag or an exact date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1_fuzz.h" /* CHECK */
#include "server/static_int.h"
#include "weft/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ETAG "\"2a-400-17\""

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v[5] = { 0 };
    size_t start = 0;
    for (int k = 0; k < 5 && start <= size; k++) {
        const uint8_t *z = memchr(data + start, 0, size - start);
        size_t len = z ? (size_t)(z - data) - start : size - start;
        v[k] = malloc(len + 1);
        memcpy(v[k], data + start, len);
        v[k][len] = '\0';
        start += len + 1;
        if (!z)
            break;
    }
    for (int k = 0; k < 5; k++) {
        if (!v[k])
            continue;
        bool strong = weft__static_etag_list_match(v[k], ETAG, true);
        bool weak = weft__static_etag_list_match(v[k], ETAG, false);
        CHECK(!strong || weak);
    }
    CHECK(weft__static_etag_list_match(ETAG, ETAG, true));
    CHECK(weft__static_etag_list_match("*", ETAG, true));
    CHECK(!weft__static_etag_list_match("W/" ETAG, ETAG, true));
    CHECK(weft__static_etag_list_match("W/" ETAG, ETAG, false));

    struct weft__static_validators val = { .etag = ETAG, .mtime = 784111777, .now = 1700000000 };
    for (int gh = 0; gh < 2; gh++) {
        struct weft__static_cond_req q = {
            .if_match = v[0],
            .if_none_match = v[1],
            .if_modified_since = v[2],
            .if_unmodified_since = v[3],
            .get_or_head = gh,
        };
        int r = weft__static_cond_eval(&q, &val);
        CHECK(r == 0 || r == 304 || r == 412);
        CHECK(r != 304 || gh);
        if (v[0] && !weft__static_etag_list_match(v[0], ETAG, true))
            CHECK(r == 412);
    }
    if (v[4] && weft__static_if_range(v[4], &val)) {
        const char *p = v[4];
        while (*p == ' ' || *p == '\t')
            p++;
        time_t t;
        CHECK(strncmp(p, ETAG, strlen(ETAG)) == 0 ||
              (weft_http_date_parse(p, strlen(p), &t) == 0 && t == val.mtime));
    }
    for (int k = 0; k < 5; k++)
        free(v[k]);
    return 0;
}
