/*
 * static_cond.c - validators and preconditions (RFC 9110 §8.8, §13).
 *
 * The ETag is strong and built from what changes when the file does: inode
 * (a file replaced by rename), size, and mtime to the nanosecond (an edit
 * within the same second). Last-Modified has only seconds, so it is the
 * weaker of the two and the RFC's order lets the ETag decide whenever the
 * client sent one.
 *
 * Anything malformed (a date weft cannot read, a broken entity-tag list)
 * makes its header count as absent where that is safe (If-Modified-Since,
 * If-Unmodified-Since, If-Range: the client just gets the full 200) and as
 * "no match" for If-Match, which then fails closed with 412.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "server/static_int.h"
#include "weft/http.h"

int weft__static_etag(const struct stat *st, char *out)
{
    uint64_t ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
    return snprintf(out, WEFT__STATIC_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
                    (uint64_t)st->st_ino, (uint64_t)st->st_size, ns);
}

static const char *skip_ows_commas(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    return p;
}

bool weft__static_etag_list_match(const char *list, const char *etag, bool strong)
{
    const char *p = skip_ows_commas(list);
    if (*p == '*') {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        return *q == '\0';
    }
    /* etag is ours: "\"...\"", never weak. Compare opaque-tags. */
    size_t elen = strlen(etag);
    while (*p) {
        bool weak = false;
        if (p[0] == 'W' && p[1] == '/') {
            weak = true;
            p += 2;
        }
        if (*p != '"')
            return false; /* not an entity-tag: stop, nothing more can match */
        const char *end = strchr(p + 1, '"');
        if (!end)
            return false;
        size_t tlen = (size_t)(end + 1 - p);
        if (tlen == elen && memcmp(p, etag, elen) == 0 && !(strong && weak))
            return true;
        p = end + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p && *p != ',')
            return false;
        p = skip_ows_commas(p);
    }
    return false;
}

/* A usable HTTP-date: parsed, and not in the future (a client's clock ahead
 * of ours must not make a stale copy look fresh). */
static bool date_of(const char *s, time_t now, time_t *out)
{
    if (!s || weft_http_date_parse(s, strlen(s), out) < 0)
        return false;
    return *out <= now;
}

int weft__static_cond_eval(const struct weft__static_cond_req *q,
                           const struct weft__static_validators *v)
{
    time_t t;
    /* 1. If-Match, else 2. If-Unmodified-Since. */
    if (q->if_match) {
        if (!weft__static_etag_list_match(q->if_match, v->etag, true))
            return 412;
    } else if (q->if_unmodified_since && weft_http_date_parse(q->if_unmodified_since,
                                                              strlen(q->if_unmodified_since),
                                                              &t) == 0) {
        if (v->mtime > t)
            return 412;
    }
    /* 3. If-None-Match, else 4. If-Modified-Since (GET and HEAD only). */
    if (q->if_none_match) {
        if (weft__static_etag_list_match(q->if_none_match, v->etag, false))
            return q->get_or_head ? 304 : 412;
    } else if (q->get_or_head && date_of(q->if_modified_since, v->now, &t)) {
        if (v->mtime <= t)
            return 304;
    }
    return 0;
}

bool weft__static_if_range(const char *value, const struct weft__static_validators *v)
{
    const char *p = value;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"' || (p[0] == 'W' && p[1] == '/')) {
        /* An entity-tag: strong comparison, and a weak one never matches. */
        if (*p != '"')
            return false;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        return n == strlen(v->etag) && memcmp(p, v->etag, n) == 0;
    }
    time_t t;
    if (weft_http_date_parse(p, strlen(p), &t) < 0)
        return false;
    /* An exact match, and Last-Modified strong: one second older than now,
     * so no second write within the same second can share it. */
    return t == v->mtime && v->mtime < v->now;
}
