/*
 * cookie_int.h - the cookie record shared by the parser, the jar and the
 * Netscape file reader/writer.
 */
#ifndef WEFT_HTTP_COOKIE_INT_H
#define WEFT_HTTP_COOKIE_INT_H

#include "weft/cookie.h"

struct weft_cookie {
    const char *name, *value; /* NUL-terminated, in mem[] */
    const char *domain;       /* parsed: Domain attribute or NULL; jar: always set */
    const char *path;         /* parsed: Path attribute or NULL; jar: always set */
    size_t nlen, vlen;
    time_t expires;           /* meaningful when persistent */
    time_t creation;          /* jar: first stored (kept on replace) */
    time_t last_access;       /* jar: last sent or stored (for LRU eviction) */
    uint64_t seq;             /* jar: creation order, breaks ties of equal times */
    bool persistent, secure, http_only, host_only;
    enum weft_samesite samesite;
    char mem[];
};

/* One allocation holding copies of the strings; domain/path may be NULL. */
weft_cookie *weft__cookie_alloc(const char *name, size_t nlen, const char *value, size_t vlen,
                                const char *domain, const char *path);

/* True when byte c may not appear in a cookie name or value (RFC 6265bis:
 * controls other than HTAB). Rejecting CR/LF here is what keeps a cookie
 * from injecting a header into the requests it rides on. */
static inline bool weft__cookie_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Insert c (owned by the jar afterwards; freed on failure) with the replace,
 * expiry and limit rules of weft_cookie_jar_store. */
int weft__jar_insert(weft_cookie_jar *jar, weft_cookie *c, time_t now);

/* 400 days: RFC 6265bis caps every cookie lifetime at this. */
#define WEFT__COOKIE_MAX_AGE ((time_t)400 * 24 * 3600)

#endif
