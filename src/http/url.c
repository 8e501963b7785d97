/*
 * url.c - parse, resolve and serialise URLs (RFC 3986, with browser leniency).
 *
 * Every URL goes through three steps:
 *   1. clean:   copy the input, dropping leading/trailing C0/space and any
 *               tab/CR/LF inside (WHATWG), turning '\' into '/' for the
 *               special schemes before '?'/'#' (browsers do; a server that
 *               treats '\' differently is how open redirects happen);
 *   2. split:   cut the copy into spans (scheme, user, password, host, port,
 *               path, query, fragment) without interpreting them; resolution
 *               (RFC 3986 5.2.2) recombines spans of the reference and base;
 *   3. build:   normalise each span (percent-encoding, host canonical form,
 *               dot segments, default port) into one buffer that the url owns.
 * Because build only ever produces what split accepts and normalisation is
 * idempotent, href() re-parses to itself; fuzz_url.c checks exactly that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft/url.h"
#include "http/url_int.h"

struct weft_url {
    char *mem;          /* all strings below, NUL-separated, owned */
    const char *href, *scheme, *user, *pass, *host, *hostname, *path, *query,
        *fragment, *target, *host_header, *origin;
    size_t href_len;
    int port;           /* effective port, -1 when none */
    int explicit_port;  /* port written in the URL and not the default, or -1 */
    bool has_host;      /* has an authority */
    bool special;       /* http, https, ws, wss */
};

typedef struct span {
    const char *p;
    size_t n;
} span;

/* The split form of a URL or reference: spans into someone else's memory. */
typedef struct raw {
    span scheme, user, pass, host, port, path, query, frag;
    bool has_scheme, has_auth, has_pass, has_port, has_query, has_frag;
} raw;

int weft_url_default_port(const char *scheme)
{
    if (!strcmp(scheme, "http") || !strcmp(scheme, "ws"))
        return 80;
    if (!strcmp(scheme, "https") || !strcmp(scheme, "wss"))
        return 443;
    return -1;
}

static bool scheme_special(const char *s, size_t n)
{
    return weft__ieq(s, n, "http") || weft__ieq(s, n, "https") || weft__ieq(s, n, "ws") ||
           weft__ieq(s, n, "wss");
}

/* ---------------------------------------------------------------- 1. clean */

/* Size of the on-stack copy that spares typical URLs a malloc. */
#define CLEAN_STACK 1024

/* Stores the cleaned copy of the input in *out (length *outn): in stack
 * (CLEAN_STACK bytes) when it fits, else on the heap (free when != stack). */
static int clean(const char *s, size_t n, size_t max, char *stack, char **out, size_t *outn)
{
    if (n > max)
        return WEFT_EURL_TOO_LONG;
    while (n && (unsigned char)*s <= 0x20) {
        s++;
        n--;
    }
    while (n && (unsigned char)s[n - 1] <= 0x20)
        n--;
    char *b = n < CLEAN_STACK ? stack : malloc(n + 1);
    if (!b)
        return -ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            b[o++] = s[i];
    b[o] = '\0';
    *out = b;
    *outn = o;
    return 0;
}

/* Scheme at the start of b: ALPHA *( ALPHA / DIGIT / + - . ) ":". Returns its
 * length, or 0 when b does not start with one. */
static size_t scan_scheme(const char *b, size_t n)
{
    if (n == 0 || !((b[0] | 0x20) >= 'a' && (b[0] | 0x20) <= 'z'))
        return 0;
    size_t i = 1;
    while (i < n && (weft__cclass[(unsigned char)b[i]] & WEFT__C_SCHEME))
        i++;
    return (i < n && b[i] == ':') ? i : 0;
}

static void backslashes(char *b, size_t n)
{
    for (size_t i = 0; i < n && b[i] != '?' && b[i] != '#'; i++)
        if (b[i] == '\\')
            b[i] = '/';
}

/* ---------------------------------------------------------------- 2. split */

static int split_authority(const char *a, size_t n, raw *r)
{
    r->has_auth = true;
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (a[i] == '@')
            at = a + i; /* the last '@' ends the userinfo, as browsers read it */
    if (at) {
        const char *colon = memchr(a, ':', (size_t)(at - a));
        if (colon) {
            r->user = (span){ a, (size_t)(colon - a) };
            r->pass = (span){ colon + 1, (size_t)(at - colon - 1) };
            r->has_pass = true;
        } else {
            r->user = (span){ a, (size_t)(at - a) };
        }
        n -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    size_t hend = n;
    if (n && a[0] == '[') {
        const char *rb = memchr(a, ']', n);
        if (!rb)
            return WEFT_EURL_HOST;
        hend = (size_t)(rb - a) + 1;
        if (hend < n && a[hend] != ':')
            return WEFT_EURL_HOST;
    } else {
        const char *colon = memchr(a, ':', n);
        if (colon)
            hend = (size_t)(colon - a);
    }
    r->host = (span){ a, hend };
    if (hend < n) {
        r->has_port = true;
        r->port = (span){ a + hend + 1, n - hend - 1 };
    }
    return 0;
}

/* Split b (scheme already removed when scheme_len > 0). `skip_slashes` makes
 * any run of slashes introduce the authority (special schemes parsed without
 * a base: "http:example.com", "http:///example.com"). */
static int split_rest(const char *b, size_t n, bool skip_slashes, raw *r)
{
    size_t i = 0;
    if (skip_slashes || (n >= 2 && b[0] == '/' && b[1] == '/')) {
        while (i < n && b[i] == '/')
            i++;
        if (!skip_slashes)
            i = 2;
        size_t a = i;
        while (i < n && b[i] != '/' && b[i] != '?' && b[i] != '#')
            i++;
        int rc = split_authority(b + a, i - a, r);
        if (rc)
            return rc;
    }
    size_t p = i;
    while (i < n && b[i] != '?' && b[i] != '#')
        i++;
    r->path = (span){ b + p, i - p };
    if (i < n && b[i] == '?') {
        size_t q = ++i;
        while (i < n && b[i] != '#')
            i++;
        r->has_query = true;
        r->query = (span){ b + q, i - q };
    }
    if (i < n && b[i] == '#') {
        r->has_frag = true;
        r->frag = (span){ b + i + 1, n - i - 1 };
    }
    return 0;
}

/* ---------------------------------------------------------------- 3. build */

/* Append span s with percent-encoding normalised: %xx of unreserved bytes
 * decoded (RFC 3986 6.2.2.2), other escapes upper-cased, a stray '%' becomes
 * %25, unsafe bytes and those in `also` are encoded. */
/* A set of ASCII bytes as a 128-bit mask, for the extra bytes each
 * component must encode (cheaper than strchr on every byte). */
typedef struct cset {
    uint64_t w[2];
} cset;
static const cset ENC_USER = { { (1ull << ':') | (1ull << '/') | (1ull << '?') | (1ull << '#'),
                                 (1ull << ('@' - 64)) | (1ull << ('[' - 64)) | (1ull << (']' - 64)) } };
static const cset ENC_PASS = { { (1ull << '/') | (1ull << '?') | (1ull << '#'),
                                 (1ull << ('@' - 64)) | (1ull << ('[' - 64)) | (1ull << (']' - 64)) } };
static const cset ENC_PATH = { { (1ull << '?') | (1ull << '#'), 0 } };
static const cset ENC_QUERY = { { 1ull << '#', 0 } };
static const cset ENC_NONE = { { 0, 0 } };

static inline bool in_set(const cset *m, unsigned char c)
{
    return c < 128 && (m->w[c >> 6] >> (c & 63)) & 1;
}

static void norm_put(weft__sb *sb, span s, const cset *also)
{
    if (s.n > SIZE_MAX / 3 || weft__sb_reserve(sb, s.n * 3))
        return;
    char *o = sb->p + sb->len;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (weft__cclass[c] & WEFT__C_UNRESERVED) { /* the common case */
            *o++ = (char)c;
            continue;
        }
        if (c == '%') {
            int hi = i + 2 < s.n ? weft__hexval((unsigned char)s.p[i + 1]) : -1;
            int lo = hi >= 0 ? weft__hexval((unsigned char)s.p[i + 2]) : -1;
            if (lo >= 0) {
                unsigned v = (unsigned)(hi << 4 | lo);
                if (weft__cclass[v] & WEFT__C_UNRESERVED) {
                    *o++ = (char)v;
                } else {
                    *o++ = '%';
                    *o++ = weft__hexdig[hi];
                    *o++ = weft__hexdig[lo];
                }
                i += 2;
                continue;
            }
        } else if (!(weft__cclass[c] & WEFT__C_UNSAFE) && !in_set(also, c)) {
            *o++ = (char)c;
            continue;
        }
        *o++ = '%';
        *o++ = weft__hexdig[c >> 4];
        *o++ = weft__hexdig[c & 15];
    }
    sb->len = (size_t)(o - sb->p);
    sb->p[sb->len] = '\0';
}

/* RFC 3986 5.2.4 in place over p[0..n); returns the new length. The output
 * never outruns the input, so writing behind the read position is safe. */
static size_t remove_dot_segments(char *p, size_t n)
{
    /* Most paths have no dot segment at all: leave them untouched. */
    if (n && p[0] != '.' && !memmem(p, n, "/.", 2))
        return n;
    size_t i = 0, out = 0;
#define AT(lit) (n - i >= sizeof(lit) - 1 && !memcmp(p + i, lit, sizeof(lit) - 1))
#define IS(lit) (n - i == sizeof(lit) - 1 && !memcmp(p + i, lit, sizeof(lit) - 1))
    while (i < n) {
        if (AT("../")) {
            i += 3;
        } else if (AT("./")) {
            i += 2;
        } else if (AT("/./")) {
            i += 2;
        } else if (IS("/.")) {
            i += 1;
            p[i] = '/';
        } else if (AT("/../") || IS("/..")) {
            if (AT("/../")) {
                i += 3;
            } else {
                i += 2;
                p[i] = '/';
            }
            while (out && p[out - 1] != '/')
                out--;
            if (out)
                out--;
        } else if (IS(".") || IS("..")) {
            i = n;
        } else {
            size_t j = i + (p[i] == '/');
            while (j < n && p[j] != '/')
                j++;
            if (out != i)
                memmove(p + out, p + i, j - i);
            out += j - i;
            i = j;
        }
    }
#undef AT
#undef IS
    return out;
}

/* Append sb->p[off..off+n) to sb itself (reserve first: the buffer may move). */
static void put_self(weft__sb *sb, size_t off, size_t n)
{
    if (weft__sb_reserve(sb, n))
        return;
    memcpy(sb->p + sb->len, sb->p + off, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

static size_t mark(weft__sb *sb)
{
    weft__sb_putc(sb, '\0');
    return sb->len;
}

static int parse_port(span s, int *port)
{
    if (s.n == 0) {
        *port = -1; /* "http://h:/" - an empty port means the default */
        return 0;
    }
    unsigned v = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return WEFT_EURL_PORT;
        v = v * 10 + (unsigned)(s.p[i] - '0');
        if (v > 65535)
            return WEFT_EURL_PORT;
    }
    /* Port 0 cannot be connected to; rejecting it here gives a clear error
     * instead of a confusing one from connect(). */
    if (v == 0)
        return WEFT_EURL_PORT;
    *port = (int)v;
    return 0;
}

/* ":" and the decimal port (1..65535) into b; returns the length. */
static size_t fmt_port(char *b, int port)
{
    char d[8];
    size_t n = 0, o = 0;
    do {
        d[n++] = (char)('0' + port % 10);
        port /= 10;
    } while (port);
    b[o++] = ':';
    while (n)
        b[o++] = d[--n];
    b[o] = '\0';
    return o;
}

static int build(const raw *r, size_t max, weft_url **out)
{
    weft__sb sb = { 0 };
    int rc = WEFT_EURL;
    weft_url *u = calloc(1, sizeof *u);
    if (!u)
        return -ENOMEM;
    char hostbuf[WEFT__HOST_MAX + 1] = "";
    int hostlen = 0, kind = WEFT__HOST_NAME;

    /* One allocation for everything: each piece at most triples when
     * encoded, and href, target, Host and origin repeat them. */
    weft__sb_reserve(&sb, 3 * (r->scheme.n + r->user.n + r->pass.n + r->path.n + r->query.n +
                                r->frag.n) * 2 + 4 * WEFT__HOST_MAX / 2 + 64);
    u->special = scheme_special(r->scheme.p, r->scheme.n);
    u->has_host = r->has_auth;
    u->explicit_port = -1;
    if (r->has_auth) {
        if (r->host.n) {
            hostlen = weft__host_canon(r->host.p, r->host.n, hostbuf, &kind);
            if (hostlen < 0) {
                rc = hostlen;
                goto fail;
            }
        } else if (u->special || r->user.n || r->has_pass || (r->has_port && r->port.n)) {
            rc = WEFT_EURL_HOST;
            goto fail;
        }
        if (r->has_port && (rc = parse_port(r->port, &u->explicit_port)) < 0)
            goto fail;
    }

    /* scheme */
    size_t o_scheme = 0;
    for (size_t i = 0; i < r->scheme.n; i++)
        weft__sb_putc(&sb, weft__lower(r->scheme.p[i]));
    size_t o_user = mark(&sb);
    norm_put(&sb, r->user, &ENC_USER);
    size_t o_pass = mark(&sb);
    norm_put(&sb, r->pass, &ENC_PASS);
    size_t o_host = mark(&sb);
    weft__sb_put(&sb, hostbuf, (size_t)hostlen);
    size_t o_hostname = mark(&sb);
    if (kind == WEFT__HOST_IPV6)
        weft__sb_put(&sb, hostbuf + 1, (size_t)hostlen - 2);
    else
        weft__sb_put(&sb, hostbuf, (size_t)hostlen);
    size_t o_path = mark(&sb);
    norm_put(&sb, r->path, &ENC_PATH);
    if (sb.err)
        goto nomem;
    size_t plen = sb.len - o_path;
    if (plen)
        sb.len = o_path + remove_dot_segments(sb.p + o_path, plen);
    if (sb.len == o_path && u->special)
        weft__sb_putc(&sb, '/');
    if (sb.p)
        sb.p[sb.len] = '\0';
    size_t o_query = mark(&sb);
    norm_put(&sb, r->query, &ENC_QUERY);
    size_t o_frag = mark(&sb);
    norm_put(&sb, r->frag, &ENC_NONE);
    size_t e_frag = sb.len;
    if (sb.err)
        goto nomem;

    u->port = u->explicit_port;
    int def = weft_url_default_port(sb.p + o_scheme);
    if (u->explicit_port == def)
        u->explicit_port = -1; /* "http://h:80/" is "http://h/" */
    if (u->port < 0)
        u->port = def;
    char portstr[16];
    size_t portlen = 0;
    if (u->explicit_port > 0)
        portlen = fmt_port(portstr, u->explicit_port);

    /* href */
    size_t o_href = mark(&sb);
    put_self(&sb, o_scheme, o_user - 1 - o_scheme);
    weft__sb_putc(&sb, ':');
    size_t userlen = o_pass - 1 - o_user, passlen = o_host - 1 - o_pass;
    if (r->has_auth) {
        weft__sb_put(&sb, "//", 2);
        if (userlen || passlen) {
            put_self(&sb, o_user, userlen);
            if (passlen) {
                weft__sb_putc(&sb, ':');
                put_self(&sb, o_pass, passlen);
            }
            weft__sb_putc(&sb, '@');
        }
        weft__sb_put(&sb, hostbuf, (size_t)hostlen);
        weft__sb_put(&sb, portstr, portlen);
    } else if (o_query - 1 - o_path >= 2 && sb.p[o_path] == '/' && sb.p[o_path + 1] == '/') {
        /* A path starting "//" without an authority would re-parse as one;
         * WHATWG's "/." prefix keeps it a path. */
        weft__sb_put(&sb, "/.", 2);
    }
    put_self(&sb, o_path, o_query - 1 - o_path);
    if (r->has_query) {
        weft__sb_putc(&sb, '?');
        put_self(&sb, o_query, o_frag - 1 - o_query);
    }
    if (r->has_frag) {
        weft__sb_putc(&sb, '#');
        put_self(&sb, o_frag, e_frag - o_frag);
    }
    size_t href_len = sb.len - o_href;
    if (href_len > max) {
        rc = WEFT_EURL_TOO_LONG;
        goto fail;
    }

    /* request target: path[?query] ("/" when a non-special URL has no path) */
    size_t o_target = mark(&sb);
    if (o_query - 1 == o_path)
        weft__sb_putc(&sb, '/');
    put_self(&sb, o_path, o_query - 1 - o_path);
    if (r->has_query) {
        weft__sb_putc(&sb, '?');
        put_self(&sb, o_query, o_frag - 1 - o_query);
    }
    /* Host header */
    size_t o_hh = mark(&sb);
    weft__sb_put(&sb, hostbuf, (size_t)hostlen);
    weft__sb_put(&sb, portstr, portlen);
    /* origin */
    size_t o_origin = mark(&sb);
    if (u->special) {
        put_self(&sb, o_scheme, o_user - 1 - o_scheme);
        weft__sb_put(&sb, "://", 3);
        weft__sb_put(&sb, hostbuf, (size_t)hostlen);
        weft__sb_put(&sb, portstr, portlen);
    } else {
        weft__sb_puts(&sb, "null");
    }
    mark(&sb);
    if (sb.err)
        goto nomem;

    size_t used;
    u->mem = weft__sb_take(&sb, &used);
    char *fit = realloc(u->mem, used + 1); /* give back the generous reserve */
    if (fit)
        u->mem = fit;
    const char *m = u->mem;
    u->href = m + o_href;
    u->href_len = href_len;
    u->scheme = m + o_scheme;
    u->user = m + o_user;
    u->pass = m + o_pass;
    u->host = m + o_host;
    u->hostname = m + o_hostname;
    u->path = m + o_path;
    u->query = r->has_query ? m + o_query : NULL;
    u->fragment = r->has_frag ? m + o_frag : NULL;
    u->target = m + o_target;
    u->host_header = m + o_hh;
    u->origin = m + o_origin;
    *out = u;
    return 0;
nomem:
    rc = -ENOMEM;
fail:
    weft__sb_free(&sb);
    free(u);
    return rc;
}

/* ---------------------------------------------------------------- public */

static void release(char *b, const char *stack)
{
    if (b != stack)
        free(b);
}


static size_t opt_max(const weft_url_options *opt)
{
    return opt && opt->max_length ? opt->max_length : WEFT_URL_MAX_LENGTH;
}

int weft_url_parse_opt(const char *s, size_t len, const weft_url_options *opt,
                       weft_url **out)
{
    char *b;
    size_t n;
    char stack[CLEAN_STACK];
    int rc = clean(s, len, opt_max(opt), stack, &b, &n);
    if (rc)
        return rc;
    raw r = { 0 };
    size_t sl = scan_scheme(b, n);
    if (sl == 0) {
        release(b, stack);
        return WEFT_EURL_SCHEME;
    }
    r.has_scheme = true;
    r.scheme = (span){ b, sl };
    bool special = scheme_special(b, sl);
    if (special)
        backslashes(b + sl + 1, n - sl - 1);
    rc = split_rest(b + sl + 1, n - sl - 1, special, &r);
    if (rc == 0)
        rc = build(&r, opt_max(opt), out);
    release(b, stack);
    return rc;
}

int weft_url_parse(const char *s, size_t len, weft_url **out)
{
    return weft_url_parse_opt(s, len, NULL, out);
}

int weft_url_resolve_opt(const weft_url *base, const char *ref, size_t len,
                         const weft_url_options *opt, weft_url **out)
{
    char *b;
    size_t n;
    char stack[CLEAN_STACK];
    int rc = clean(ref, len, opt_max(opt), stack, &b, &n);
    if (rc)
        return rc;
    size_t sl = scan_scheme(b, n);
    const char *rest = b;
    size_t rn = n;
    if (sl) {
        bool special = scheme_special(b, sl);
        bool same = weft__ieq(b, sl, base->scheme);
        if (special)
            backslashes(b + sl + 1, n - sl - 1);
        if (!(special && same && !(n - sl - 1 >= 2 && b[sl + 1] == '/' && b[sl + 2] == '/'))) {
            /* An absolute URL: the base plays no part. */
            raw r = { .has_scheme = true, .scheme = { b, sl } };
            rc = split_rest(b + sl + 1, n - sl - 1, special, &r);
            if (rc == 0)
                rc = build(&r, opt_max(opt), out);
            release(b, stack);
            return rc;
        }
        /* "http:g" against an http base: relative, as browsers read it */
        rest = b + sl + 1;
        rn = n - sl - 1;
    } else if (base->special) {
        backslashes(b, n);
    }

    raw R = { 0 };
    rc = split_rest(rest, rn, false, &R);
    if (rc) {
        release(b, stack);
        return rc;
    }
    /* RFC 3986 5.2.2, with T's spans pointing into R, the base, or merged. */
    raw T = { .has_scheme = true, .scheme = { base->scheme, strlen(base->scheme) } };
    weft__sb merged = { 0 };
    char portbuf[16];
    if (R.has_auth) {
        T.has_auth = true;
        T.user = R.user;
        T.pass = R.pass;
        T.has_pass = R.has_pass;
        T.host = R.host;
        T.port = R.port;
        T.has_port = R.has_port;
        T.path = R.path;
        T.query = R.query;
        T.has_query = R.has_query;
    } else {
        if (R.path.n == 0) {
            T.path = (span){ base->path, strlen(base->path) };
            if (R.has_query) {
                T.query = R.query;
                T.has_query = true;
            } else if (base->query) {
                T.query = (span){ base->query, strlen(base->query) };
                T.has_query = true;
            }
        } else {
            if (R.path.p[0] == '/') {
                T.path = R.path;
            } else {
                /* merge (5.2.3): the base path up to its last '/', then R */
                const char *bp = base->path;
                const char *slash = strrchr(bp, '/');
                if (base->has_host && *bp == '\0')
                    weft__sb_putc(&merged, '/');
                else if (slash)
                    weft__sb_put(&merged, bp, (size_t)(slash - bp) + 1);
                weft__sb_put(&merged, R.path.p, R.path.n);
                if (merged.err) {
                    release(b, stack);
                    return -ENOMEM;
                }
                T.path = (span){ merged.p, merged.len };
            }
            T.query = R.query;
            T.has_query = R.has_query;
        }
        if (base->has_host) {
            T.has_auth = true;
            T.user = (span){ base->user, strlen(base->user) };
            T.pass = (span){ base->pass, strlen(base->pass) };
            T.has_pass = T.pass.n > 0;
            T.host = (span){ base->host, strlen(base->host) };
            if (base->explicit_port > 0) {
                T.has_port = true;
                T.port = (span){ portbuf, (size_t)snprintf(portbuf, sizeof portbuf, "%d",
                                                           base->explicit_port) };
            }
        }
    }
    T.frag = R.frag;
    T.has_frag = R.has_frag;
    rc = build(&T, opt_max(opt), out);
    weft__sb_free(&merged);
    release(b, stack);
    return rc;
}

int weft_url_resolve(const weft_url *base, const char *ref, size_t len, weft_url **out)
{
    return weft_url_resolve_opt(base, ref, len, NULL, out);
}

int weft_url_dup(const weft_url *u, weft_url **out)
{
    /* href is canonical, so parsing it again yields an equal url. */
    weft_url_options o = { .max_length = u->href_len + 1 };
    return weft_url_parse_opt(u->href, u->href_len, &o, out);
}

void weft_url_free(weft_url *u)
{
    if (!u)
        return;
    free(u->mem);
    free(u);
}

const char *weft_url_href(const weft_url *u) { return u->href; }
size_t weft_url_href_len(const weft_url *u) { return u->href_len; }
const char *weft_url_scheme(const weft_url *u) { return u->scheme; }
const char *weft_url_username(const weft_url *u) { return u->user; }
const char *weft_url_password(const weft_url *u) { return u->pass; }
const char *weft_url_host(const weft_url *u) { return u->host; }
const char *weft_url_hostname(const weft_url *u) { return u->hostname; }
int weft_url_port(const weft_url *u) { return u->port; }
bool weft_url_has_host(const weft_url *u) { return u->has_host; }
const char *weft_url_path(const weft_url *u) { return u->path; }
const char *weft_url_query(const weft_url *u) { return u->query; }
const char *weft_url_fragment(const weft_url *u) { return u->fragment; }
const char *weft_url_request_target(const weft_url *u) { return u->target; }
const char *weft_url_host_header(const weft_url *u) { return u->host_header; }
const char *weft_url_origin(const weft_url *u) { return u->origin; }
bool weft_url_is_special(const weft_url *u) { return u->special; }

bool weft_url_is_secure(const weft_url *u)
{
    return !strcmp(u->scheme, "https") || !strcmp(u->scheme, "wss");
}

bool weft_url_same_origin(const weft_url *a, const weft_url *b)
{
    return a->special && b->special && !strcmp(a->origin, b->origin);
}
