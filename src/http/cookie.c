/*
 * cookie.c - Set-Cookie parsing (RFC 6265 5.2) and the cookie record.
 *
 * The RFC's parser is deliberately forgiving: unknown attributes and bad
 * attribute values are ignored, not errors; only a pair without '=' or an
 * empty name drops the cookie. We add RFC 6265bis's rejections of control
 * characters and its size limits, so nothing stored can break a header line.
 */
#include <errno.h>
#include <stdlib.h>

#include "http/cookie_int.h"
#include "http/url_int.h"

weft_cookie *weft__cookie_alloc(const char *name, size_t nlen, const char *value, size_t vlen,
                                const char *domain, const char *path)
{
    size_t dl = domain ? strlen(domain) + 1 : 0, pl = path ? strlen(path) + 1 : 0;
    weft_cookie *c = calloc(1, sizeof *c + nlen + vlen + 2 + dl + pl);
    if (!c)
        return NULL;
    char *m = c->mem;
    memcpy(m, name, nlen);
    c->name = m;
    c->nlen = nlen;
    m += nlen + 1;
    memcpy(m, value, vlen);
    c->value = m;
    c->vlen = vlen;
    m += vlen + 1;
    if (domain) {
        memcpy(m, domain, dl);
        c->domain = m;
        m += dl;
    }
    if (path) {
        memcpy(m, path, pl);
        c->path = m;
    }
    return c;
}

static bool wsp(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **p, size_t *n)
{
    while (*n && wsp(**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n && wsp((*p)[*n - 1]))
        (*n)--;
}

static bool has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (weft__cookie_ctl((unsigned char)s[i]))
            return true;
    return false;
}

/* Max-Age: an optional '-' and digits; anything else is ignored (5.2.2). */
static bool parse_max_age(const char *v, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && v[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n)
        return false;
    int64_t x = 0;
    for (; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        if (x < INT64_MAX / 10)
            x = x * 10 + (v[i] - '0'); /* saturate: "forever" stays huge */
    }
    *out = neg ? -x : x;
    return true;
}

int weft_cookie_parse(const char *s, size_t len, time_t now, const weft_cookie_limits *lim,
                      weft_cookie **out)
{
    size_t max_len = lim && lim->max_length ? lim->max_length : WEFT_COOKIE_MAX_LENGTH;
    size_t max_size = lim && lim->max_size ? lim->max_size : WEFT_COOKIE_MAX_SIZE;
    size_t max_attrs = lim && lim->max_attrs ? lim->max_attrs : WEFT_COOKIE_MAX_ATTRS;
    size_t max_av = lim && lim->max_attr_value ? lim->max_attr_value : WEFT_COOKIE_MAX_ATTR_VALUE;
    if (len > max_len)
        return WEFT_ECOOKIE;

    const char *semi = memchr(s, ';', len);
    size_t pair_len = semi ? (size_t)(semi - s) : len;
    const char *eq = memchr(s, '=', pair_len);
    if (!eq)
        return WEFT_ECOOKIE;
    const char *name = s, *value = eq + 1;
    size_t nlen = (size_t)(eq - s), vlen = pair_len - nlen - 1;
    trim(&name, &nlen);
    trim(&value, &vlen);
    /* A tab is legal inside a value but not in a name: names are tokens
     * (4.1.1), and a tab there could not be written to a cookie file. */
    if (nlen == 0 || nlen + vlen > max_size || has_ctl(name, nlen) || has_ctl(value, vlen) ||
        memchr(name, '\t', nlen))
        return WEFT_ECOOKIE;

    /* Attributes: the last of each kind wins, so remember spans and decide after. */
    const char *dom = NULL, *path = NULL;
    size_t dom_n = 0, path_n = 0, nattrs = 0;
    bool has_maxage = false, has_expires = false, secure = false, httponly = false;
    int64_t maxage = 0;
    time_t expires = 0;
    enum weft_samesite samesite = WEFT_SAMESITE_DEFAULT;
    size_t i = pair_len;
    while (i < len) {
        i++; /* the ';' */
        const char *a = s + i;
        const char *next = memchr(a, ';', len - i);
        size_t alen = next ? (size_t)(next - a) : len - i;
        i += alen;
        if (++nattrs > max_attrs)
            return WEFT_ECOOKIE;
        const char *aeq = memchr(a, '=', alen);
        const char *an = a, *av = aeq ? aeq + 1 : a + alen;
        size_t ann = aeq ? (size_t)(aeq - a) : alen, avn = aeq ? alen - ann - 1 : 0;
        trim(&an, &ann);
        trim(&av, &avn);
        if (avn > max_av)
            continue; /* RFC 6265bis: over-long attribute values are ignored */
        if (weft__ieq(an, ann, "expires")) {
            time_t t;
            if (weft_cookie_parse_date(av, avn, &t) == 0) {
                has_expires = true;
                expires = t;
            }
        } else if (weft__ieq(an, ann, "max-age")) {
            int64_t v;
            if (parse_max_age(av, avn, &v)) {
                has_maxage = true;
                maxage = v;
            }
        } else if (weft__ieq(an, ann, "domain")) {
            if (avn == 0)
                continue; /* 6265bis: an empty Domain is ignored */
            if (av[0] == '.') {
                av++;
                avn--;
            }
            dom = av;
            dom_n = avn;
        } else if (weft__ieq(an, ann, "path")) {
            /* Not starting with '/' means "use the default path" (5.2.4);
             * controls would corrupt a cookie file, so the same for them. */
            if (avn == 0 || av[0] != '/' || has_ctl(av, avn) || memchr(av, '\t', avn)) {
                path = NULL;
                path_n = 0;
            } else {
                path = av;
                path_n = avn;
            }
        } else if (weft__ieq(an, ann, "secure")) {
            secure = true;
        } else if (weft__ieq(an, ann, "httponly")) {
            httponly = true;
        } else if (weft__ieq(an, ann, "samesite")) {
            if (weft__ieq(av, avn, "strict"))
                samesite = WEFT_SAMESITE_STRICT;
            else if (weft__ieq(av, avn, "lax"))
                samesite = WEFT_SAMESITE_LAX;
            else if (weft__ieq(av, avn, "none"))
                samesite = WEFT_SAMESITE_NONE;
            else
                samesite = WEFT_SAMESITE_DEFAULT;
        }
    }

    char dbuf[WEFT_COOKIE_MAX_ATTR_VALUE + 1], pbuf[WEFT_COOKIE_MAX_ATTR_VALUE + 1];
    if (dom) {
        if (dom_n >= sizeof dbuf)
            return WEFT_ECOOKIE;
        for (size_t k = 0; k < dom_n; k++)
            dbuf[k] = weft__lower(dom[k]);
        dbuf[dom_n] = '\0';
        if (memchr(dbuf, '\0', dom_n))
            return WEFT_ECOOKIE;
    }
    if (path) {
        if (path_n >= sizeof pbuf)
            return WEFT_ECOOKIE;
        memcpy(pbuf, path, path_n);
        pbuf[path_n] = '\0';
    }
    weft_cookie *c = weft__cookie_alloc(name, nlen, value, vlen, dom ? dbuf : NULL,
                                        path ? pbuf : NULL);
    if (!c)
        return -ENOMEM;
    c->secure = secure;
    c->http_only = httponly;
    c->samesite = samesite;
    time_t cap; /* now + 400 days, saturating */
    if (__builtin_add_overflow(now, WEFT__COOKIE_MAX_AGE, &cap))
        cap = (time_t)INT64_MAX;
    /* 5.3 step 3: Max-Age wins over Expires wherever each appears. */
    if (has_maxage) {
        c->persistent = true;
        if (maxage <= 0)
            c->expires = (time_t)INT64_MIN; /* "the earliest representable time" */
        else if (maxage > WEFT__COOKIE_MAX_AGE ||
                 __builtin_add_overflow(now, (time_t)maxage, &c->expires))
            c->expires = cap;
    } else if (has_expires) {
        c->persistent = true;
        c->expires = expires;
    }
    /* RFC 6265bis: no cookie lives longer than 400 days from now. */
    if (c->persistent && c->expires > cap)
        c->expires = cap;
    *out = c;
    return 0;
}

void weft_cookie_free(weft_cookie *c)
{
    free(c);
}

const char *weft_cookie_name(const weft_cookie *c) { return c->name; }
const char *weft_cookie_value(const weft_cookie *c) { return c->value; }
const char *weft_cookie_domain(const weft_cookie *c) { return c->domain; }
const char *weft_cookie_path(const weft_cookie *c) { return c->path; }
bool weft_cookie_secure(const weft_cookie *c) { return c->secure; }
bool weft_cookie_http_only(const weft_cookie *c) { return c->http_only; }
bool weft_cookie_host_only(const weft_cookie *c) { return c->host_only; }
enum weft_samesite weft_cookie_samesite(const weft_cookie *c) { return c->samesite; }
time_t weft_cookie_creation(const weft_cookie *c) { return c->creation; }

bool weft_cookie_expires(const weft_cookie *c, time_t *expires)
{
    if (c->persistent && expires)
        *expires = c->expires;
    return c->persistent;
}
