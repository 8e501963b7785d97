/*
 * codec_accept.c - coding names, Accept-Encoding negotiation (RFC 9110
 * §12.5.3) and which media types are worth compressing.
 */
#include <errno.h>
#include <string.h>

#include "http/url_int.h"
#include "weft/http.h"
#include "weft/http_codec.h"

static const char *const names[WEFT_CODING_COUNT] = {
    [WEFT_CODING_IDENTITY] = "identity", [WEFT_CODING_GZIP] = "gzip",
    [WEFT_CODING_DEFLATE] = "deflate",   [WEFT_CODING_BR] = "br",
    [WEFT_CODING_ZSTD] = "zstd",
};

const char *weft_coding_name(int coding)
{
    return coding >= 0 && coding < WEFT_CODING_COUNT ? names[coding] : NULL;
}

int weft_coding_from_name(const char *name, size_t len)
{
    for (int i = 0; i < WEFT_CODING_COUNT; i++)
        if (weft__ieq(name, len, names[i]))
            return i;
    if (weft__ieq(name, len, "x-gzip"))
        return WEFT_CODING_GZIP;
    return WEFT_EHTTP_CODING_UNSUPPORTED;
}

/* ---------------------------------------------------------- Accept-Encoding */

/* What one Accept-Encoding value says: a weight per coding when listed, and
 * for "*". -1: not mentioned. */
typedef struct weights {
    int q[WEFT_CODING_COUNT];
    int star;
} weights;

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths, or -1. */
static int parse_q(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    int q = (s[0] - '0') * 1000;
    if (n == 1)
        return q;
    if (s[1] != '.' || n > 5)
        return -1;
    int scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        q += (s[i] - '0') * scale;
    }
    return q <= 1000 ? q : -1;
}

/* Read one element "token *( OWS ; OWS name=value )" of v[0..n); returns
 * its weight (1000 without q) or -1 when it does not parse. */
static int parse_element(const char *v, size_t n, size_t *toklen)
{
    size_t i = 0;
    while (i < n && v[i] != ';' && !ows(v[i]))
        i++;
    *toklen = i;
    if (i == 0 || !(weft_http_token_valid(v, i) || (i == 1 && v[0] == '*')))
        return -1;
    int q = 1000;
    while (i < n) {
        while (i < n && ows(v[i]))
            i++;
        if (i == n)
            break;
        if (v[i] != ';')
            return -1;
        i++;
        while (i < n && ows(v[i]))
            i++;
        size_t ps = i;
        while (i < n && v[i] != ';' && !ows(v[i]))
            i++;
        const char *p = v + ps;
        size_t pn = i - ps;
        if (pn >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            q = parse_q(p + 2, pn - 2);
            if (q < 0)
                return -1;
        }
        /* other parameters mean nothing for codings: ignored */
    }
    return q;
}

static void parse_weights(const char *v, size_t len, weights *w)
{
    for (int i = 0; i < WEFT_CODING_COUNT; i++)
        w->q[i] = -1;
    w->star = -1;
    size_t i = 0;
    while (i < len) {
        while (i < len && (ows(v[i]) || v[i] == ','))
            i++;
        size_t start = i;
        while (i < len && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && ows(v[end - 1]))
            end--;
        if (end == start)
            continue;
        size_t toklen;
        int q = parse_element(v + start, end - start, &toklen);
        if (q < 0)
            continue; /* a bad element is skipped, not the whole header */
        if (toklen == 1 && v[start] == '*') {
            if (w->star < 0)
                w->star = q;
            continue;
        }
        int c = weft_coding_from_name(v + start, toklen);
        if (c >= 0 && w->q[c] < 0)
            w->q[c] = q; /* the first mention counts */
    }
}

static int weight_of(const weights *w, int coding)
{
    if (w->q[coding] >= 0)
        return w->q[coding];
    if (w->star >= 0)
        return w->star;
    return coding == WEFT_CODING_IDENTITY ? 1000 : 0;
}

int weft_accept_encoding_q(const char *value, size_t len, int coding)
{
    if (coding < 0 || coding >= WEFT_CODING_COUNT)
        return 0;
    if (!value)
        return 1000;
    weights w;
    parse_weights(value, len, &w);
    return weight_of(&w, coding);
}

static const int default_prefs[] = { WEFT_CODING_ZSTD, WEFT_CODING_BR, WEFT_CODING_GZIP };

int weft_accept_encoding_select(const char *value, size_t len, const int *prefs, size_t nprefs)
{
    if (!value)
        return WEFT_CODING_IDENTITY; /* no header: send as is, as servers do */
    if (!prefs) {
        prefs = default_prefs;
        nprefs = sizeof default_prefs / sizeof *default_prefs;
    }
    weights w;
    parse_weights(value, len, &w);
    int best = -1, bestq = 0;
    for (size_t i = 0; i < nprefs; i++) {
        int c = prefs[i];
        if (c <= WEFT_CODING_IDENTITY || c >= WEFT_CODING_COUNT)
            continue;
        int q = weight_of(&w, c);
        if (q > bestq) {
            best = c;
            bestq = q;
        }
    }
    /* Identity is acceptable unless excluded, but it competes by weight only
     * when the client names it: "gzip;q=0.5" still asks for gzip, while
     * "gzip;q=0.1, identity" prefers the body as is. Ties go to compressing. */
    int idq = weight_of(&w, WEFT_CODING_IDENTITY);
    if (best >= 0 && (w.q[WEFT_CODING_IDENTITY] < 0 || bestq >= w.q[WEFT_CODING_IDENTITY]))
        return best;
    if (idq > 0)
        return WEFT_CODING_IDENTITY;
    return best >= 0 ? best : WEFT_EHTTP_CODING_NOT_ACCEPTABLE;
}

/* ------------------------------------------------------------ media types */

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && weft__ieq(s + n - k, k, suffix);
}

bool weft_coding_compressible(const char *ct, size_t len)
{
    if (!ct)
        return false;
    size_t n = 0;
    while (n < len && ct[n] != ';')
        n++;
    while (n && ows(ct[n - 1]))
        n--;
    size_t s = 0;
    while (s < n && ows(ct[s]))
        s++;
    ct += s;
    n -= s;
    /* type "/" subtype, both non-empty */
    const char *slash = memchr(ct, '/', n);
    if (!slash || slash == ct || slash == ct + n - 1)
        return false;
    if (n > 5 && weft__ieq(ct, 5, "text/"))
        return true;
    if (ends_with(ct, n, "+json") || ends_with(ct, n, "+xml"))
        return true; /* ld+json, rss+xml, svg+xml, ... */
    static const char *const types[] = {
        "application/json", "application/javascript", "application/x-javascript",
        "application/ecmascript", "application/xml", "application/wasm",
        "application/x-www-form-urlencoded", "application/yaml", "application/toml",
        "application/graphql", "application/x-ndjson", "application/vnd.ms-fontobject",
        "application/x-font-ttf", "application/x-font-otf", "font/ttf", "font/otf",
        "font/collection", "image/bmp", "image/x-icon", "image/vnd.microsoft.icon",
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (weft__ieq(ct, n, types[i]))
            return true;
    return false;
}
