/*
 * cookie_jar.c - cookie storage (RFC 6265 5.3) and the Cookie header (5.4).
 *
 * The jar is a flat array in creation order. Jars hold hundreds of cookies,
 * not millions, and a request scans them once, so a linear pass is simpler
 * and about as fast as a per-domain index would be at this size.
 */
#include <errno.h>
#include <stdlib.h>

#include "http/cookie_int.h"
#include "http/url_int.h"

struct weft_cookie_jar {
    weft_cookie **v;   /* owned cookies, in storage order */
    size_t n, cap;
    uint64_t seq;      /* last creation sequence number handed out */
    weft_cookie_jar_limits lim;
};

int weft_cookie_jar_new(const weft_cookie_jar_limits *lim, weft_cookie_jar **out)
{
    weft_cookie_jar *j = calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    if (lim)
        j->lim = *lim;
    if (!j->lim.max_cookies)
        j->lim.max_cookies = WEFT_COOKIE_JAR_MAX;
    if (!j->lim.max_per_domain)
        j->lim.max_per_domain = WEFT_COOKIE_JAR_MAX_PER_DOMAIN;
    *out = j;
    return 0;
}

void weft_cookie_jar_clear(weft_cookie_jar *jar)
{
    for (size_t i = 0; i < jar->n; i++)
        free(jar->v[i]);
    jar->n = 0;
}

void weft_cookie_jar_free(weft_cookie_jar *jar)
{
    if (!jar)
        return;
    weft_cookie_jar_clear(jar);
    free(jar->v);
    free(jar);
}

size_t weft_cookie_jar_count(const weft_cookie_jar *jar)
{
    return jar->n;
}

const weft_cookie *weft_cookie_jar_at(const weft_cookie_jar *jar, size_t i)
{
    return i < jar->n ? jar->v[i] : NULL;
}

static bool expired(const weft_cookie *c, time_t now)
{
    return c->persistent && c->expires <= now;
}

static void remove_at(weft_cookie_jar *jar, size_t i)
{
    free(jar->v[i]);
    memmove(&jar->v[i], &jar->v[i + 1], (jar->n - i - 1) * sizeof *jar->v);
    jar->n--;
}

int weft_cookie_jar_expire(weft_cookie_jar *jar, time_t now)
{
    size_t o = 0, gone = 0;
    for (size_t i = 0; i < jar->n; i++) {
        if (expired(jar->v[i], now)) {
            free(jar->v[i]);
            gone++;
        } else {
            jar->v[o++] = jar->v[i];
        }
    }
    jar->n = o;
    return (int)gone;
}

/* Least recently used cookie other than `keep`, optionally only of `domain`. */
static size_t lru(const weft_cookie_jar *jar, const weft_cookie *keep, const char *domain)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < jar->n; i++) {
        const weft_cookie *c = jar->v[i];
        if (c == keep || (domain && strcmp(c->domain, domain)))
            continue;
        if (best == SIZE_MAX || c->last_access < jar->v[best]->last_access ||
            (c->last_access == jar->v[best]->last_access && c->seq < jar->v[best]->seq))
            best = i;
    }
    return best;
}

static size_t count_domain(const weft_cookie_jar *jar, const char *domain)
{
    size_t n = 0;
    for (size_t i = 0; i < jar->n; i++)
        n += !strcmp(jar->v[i]->domain, domain);
    return n;
}

int weft__jar_insert(weft_cookie_jar *jar, weft_cookie *c, time_t now)
{
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < jar->n; i++) {
        const weft_cookie *o = jar->v[i];
        if (o->nlen == c->nlen && !memcmp(o->name, c->name, c->nlen) &&
            !strcmp(o->domain, c->domain) && !strcmp(o->path, c->path)) {
            at = i;
            break;
        }
    }
    c->last_access = now;
    if (at != SIZE_MAX) {
        /* 5.3 step 11: the new cookie takes the old one's creation time. */
        c->creation = jar->v[at]->creation;
        c->seq = jar->v[at]->seq;
        if (expired(c, now)) {
            remove_at(jar, at); /* a Set-Cookie in the past is a deletion */
            free(c);
            return 0;
        }
        free(jar->v[at]);
        jar->v[at] = c;
    } else {
        if (expired(c, now)) {
            free(c);
            return 0;
        }
        if (jar->n == jar->cap) {
            size_t cap = jar->cap ? jar->cap * 2 : 16;
            weft_cookie **v = realloc(jar->v, cap * sizeof *v);
            if (!v) {
                free(c);
                return -ENOMEM;
            }
            jar->v = v;
            jar->cap = cap;
        }
        c->creation = now;
        c->seq = ++jar->seq;
        jar->v[jar->n++] = c;
    }
    /* Over a limit: expired cookies go first, then the least recently used. */
    bool swept = false;
    while (count_domain(jar, c->domain) > jar->lim.max_per_domain ||
           jar->n > jar->lim.max_cookies) {
        if (!swept) {
            swept = true;
            weft_cookie_jar_expire(jar, now);
            continue;
        }
        bool dom = count_domain(jar, c->domain) > jar->lim.max_per_domain;
        size_t i = lru(jar, c, dom ? c->domain : NULL);
        if (i == SIZE_MAX)
            break; /* only c itself is left: limits of 0 are not possible */
        remove_at(jar, i);
    }
    return 0;
}

/* 5.1.3: s domain-matches d. */
static bool domain_match(const char *s, const char *d)
{
    size_t sl = strlen(s), dl = strlen(d);
    if (sl == dl)
        return !strcmp(s, d);
    return sl > dl && s[sl - dl - 1] == '.' && !strcmp(s + sl - dl, d) && !weft__host_is_ip(s);
}

/* 5.1.4: the directory of the request path, "/" at least. */
static void default_path(const char *upath, char *out, size_t cap)
{
    const char *slash = upath[0] == '/' ? strrchr(upath, '/') : NULL;
    size_t n = slash ? (size_t)(slash - upath) : 0;
    if (n == 0 || n >= cap) {
        strcpy(out, "/");
        return;
    }
    memcpy(out, upath, n);
    out[n] = '\0';
}

/* 5.1.4: request path rp path-matches cookie path cp. */
static bool path_match(const char *rp, const char *cp)
{
    size_t cl = strlen(cp);
    if (strncmp(rp, cp, cl))
        return false;
    return rp[cl] == '\0' || cp[cl - 1] == '/' || rp[cl] == '/';
}

static bool prefix(const char *name, size_t nlen, const char *p)
{
    size_t pl = strlen(p);
    return nlen >= pl && weft__ieq(name, pl, p);
}

int weft_cookie_jar_store(weft_cookie_jar *jar, const weft_url *url, const weft_cookie *pc,
                          time_t now)
{
    const char *host = weft_url_hostname(url);
    if (!*host)
        return WEFT_ECOOKIE;
    char dom[WEFT__HOST_MAX + 1];
    bool host_only = true;
    strcpy(dom, host);
    if (pc->domain) {
        int kind;
        if (weft__host_canon(pc->domain, strlen(pc->domain), dom, &kind) < 0)
            return WEFT_ECOOKIE;
        bool single_label = kind == WEFT__HOST_NAME && !strchr(dom, '.');
        if (single_label || weft__host_is_ip(host)) {
            /* Without a public suffix list a single label is treated as one
             * (5.3 step 5): allowed only as the host itself, host-only. The
             * same for IP addresses, which have no parent domains. */
            if (strcmp(dom, host))
                return WEFT_ECOOKIE;
        } else if (!domain_match(host, dom)) {
            return WEFT_ECOOKIE;
        } else {
            host_only = false;
        }
    }
    char path[WEFT_COOKIE_MAX_ATTR_VALUE + 1];
    if (pc->path && strlen(pc->path) < sizeof path)
        strcpy(path, pc->path);
    else
        default_path(weft_url_path(url), path, sizeof path);
    bool secure_url = weft_url_is_secure(url);
    if (pc->secure && !secure_url)
        return WEFT_ECOOKIE; /* 6265bis: only secure origins set Secure cookies */
    if (prefix(pc->name, pc->nlen, "__secure-") && !pc->secure)
        return WEFT_ECOOKIE;
    if (prefix(pc->name, pc->nlen, "__host-") &&
        (!pc->secure || !host_only || pc->domain || strcmp(path, "/")))
        return WEFT_ECOOKIE;

    weft_cookie *c = weft__cookie_alloc(pc->name, pc->nlen, pc->value, pc->vlen, dom, path);
    if (!c)
        return -ENOMEM;
    c->persistent = pc->persistent;
    c->expires = pc->expires;
    c->secure = pc->secure;
    c->http_only = pc->http_only;
    c->samesite = pc->samesite;
    c->host_only = host_only;
    return weft__jar_insert(jar, c, now);
}

int weft_cookie_jar_set(weft_cookie_jar *jar, const weft_url *url, const char *set_cookie,
                        size_t len, time_t now)
{
    weft_cookie *pc;
    int rc = weft_cookie_parse(set_cookie, len, now, &jar->lim.cookie, &pc);
    if (rc)
        return rc;
    rc = weft_cookie_jar_store(jar, url, pc, now);
    weft_cookie_free(pc);
    return rc;
}

/* 5.4 step 2: longer paths first, then earlier creation. */
static int order(const void *a, const void *b)
{
    const weft_cookie *x = *(const weft_cookie *const *)a, *y = *(const weft_cookie *const *)b;
    size_t xl = strlen(x->path), yl = strlen(y->path);
    if (xl != yl)
        return xl > yl ? -1 : 1;
    if (x->creation != y->creation)
        return x->creation < y->creation ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int weft_cookie_jar_header(weft_cookie_jar *jar, const weft_url *url, time_t now, char **out)
{
    *out = NULL;
    weft_cookie_jar_expire(jar, now);
    const char *host = weft_url_hostname(url);
    const char *rpath = *weft_url_path(url) == '/' ? weft_url_path(url) : "/";
    bool secure = weft_url_is_secure(url);
    if (!*host || jar->n == 0)
        return 0;
    weft_cookie **sel = malloc(jar->n * sizeof *sel);
    if (!sel)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < jar->n; i++) {
        weft_cookie *c = jar->v[i];
        bool dm = c->host_only ? !strcmp(host, c->domain) : domain_match(host, c->domain);
        if (dm && path_match(rpath, c->path) && (!c->secure || secure))
            sel[k++] = c;
    }
    if (k == 0) {
        free(sel);
        return 0;
    }
    qsort(sel, k, sizeof *sel, order);
    weft__sb sb = { 0 };
    for (size_t i = 0; i < k; i++) {
        if (i)
            weft__sb_put(&sb, "; ", 2);
        weft__sb_put(&sb, sel[i]->name, sel[i]->nlen);
        weft__sb_putc(&sb, '=');
        weft__sb_put(&sb, sel[i]->value, sel[i]->vlen);
        sel[i]->last_access = now;
    }
    free(sel);
    size_t len;
    char *s = weft__sb_take(&sb, &len);
    if (!s)
        return -ENOMEM;
    if (len > INT32_MAX) {
        free(s);
        return -EOVERFLOW;
    }
    *out = s;
    return (int)len;
}
