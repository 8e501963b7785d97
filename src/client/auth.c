/*
 * auth.c - HTTP authentication: Basic (RFC 7617) and Digest (RFC 7616:
 * MD5, SHA-256 and SHA-512-256, their -sess variants, qop=auth, userhash,
 * and RFC 2069's no-qop form), with OpenSSL's EVP for the hashes and the
 * random cnonce.
 *
 * Challenges are parsed per RFC 9110 §11.6.1, where one header may carry
 * several challenges ("Basic realm=x, Digest realm=y, nonce=z") and a
 * parameter list is told from the next challenge by its '='. Of several
 * Digest challenges the strongest algorithm we know wins (RFC 7616 §3.7).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "client/client_int.h"

char weft__hc_digest_test_cnonce[65];

/* ------------------------------------------------------------ Basic */

char *weft__hc_basic_value(const char *user, const char *pass)
{
    size_t lu = strlen(user), lp = strlen(pass ? pass : "");
    size_t n = lu + 1 + lp;
    char *plain = malloc(n + 1);
    char *out = malloc(6 + 4 * ((n + 2) / 3) + 1);
    if (!plain || !out) {
        free(plain);
        free(out);
        return NULL;
    }
    memcpy(plain, user, lu);
    plain[lu] = ':';
    memcpy(plain + lu + 1, pass ? pass : "", lp);
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, (int)n);
    OPENSSL_cleanse(plain, n);
    free(plain);
    return out;
}

/* ------------------------------------------------------------ challenges */

static bool tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A token or quoted-string value, unescaped, into a malloc'd string. */
static const char *read_value(const char *p, char **out)
{
    if (*p == '"') {
        p++;
        size_t cap = strlen(p) + 1, n = 0;
        char *v = malloc(cap);
        if (!v)
            return NULL;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            v[n++] = *p++;
        }
        if (*p == '"')
            p++;
        v[n] = '\0';
        *out = v;
        return p;
    }
    const char *s = p;
    while (tchar(*p) || *p == '/' || *p == '=')
        p++;
    *out = strndup(s, (size_t)(p - s));
    return *out ? p : NULL;
}

static int md_rank(const char *alg, int *md, bool *sess)
{
    static const struct { const char *name; int md; bool sess; int rank; } algs[] = {
        {"MD5", 0, false, 1},          {"MD5-sess", 0, true, 1},
        {"SHA-256", 1, false, 2},      {"SHA-256-sess", 1, true, 2},
        {"SHA-512-256", 2, false, 3},  {"SHA-512-256-sess", 2, true, 3},
    };
    if (!alg) {
        *md = 0;
        *sess = false;
        return 1;
    }
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        if (strcasecmp(alg, algs[i].name) == 0) {
            *md = algs[i].md;
            *sess = algs[i].sess;
            return algs[i].rank;
        }
    }
    return 0; /* unknown: not usable */
}

struct chal {
    char *realm, *nonce, *opaque, *algorithm, *qop;
    bool stale, userhash;
};

static void chal_free(struct chal *c)
{
    free(c->realm);
    free(c->nonce);
    free(c->opaque);
    free(c->algorithm);
    free(c->qop);
    memset(c, 0, sizeof *c);
}

static bool qop_has_auth(const char *qop)
{
    for (const char *p = qop; p && *p;) {
        p = skip_ws(p);
        size_t n = strcspn(p, ", \t");
        if (n == 4 && strncasecmp(p, "auth", 4) == 0)
            return true;
        p += n;
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
    }
    return false;
}

/* Take a parsed Digest challenge into d if it beats what d has. */
static int consider(struct chal *c, struct weft__hc_digest *d, int *best)
{
    int md;
    bool sess;
    int rank = md_rank(c->algorithm, &md, &sess);
    int bits = c->stale ? 4 : 0;
    if (!rank || !c->nonce || (c->qop && !qop_has_auth(c->qop)) || rank <= *best) {
        chal_free(c);
        return bits;
    }
    *best = rank;
    free(d->realm);
    free(d->nonce);
    free(d->opaque);
    free(d->algorithm);
    d->realm = c->realm ? c->realm : strdup("");
    d->nonce = c->nonce;
    d->opaque = c->opaque;
    d->algorithm = c->algorithm;
    d->qop_auth = c->qop != NULL;
    d->userhash = c->userhash;
    d->md = md;
    d->sess = sess;
    d->nc = 0;
    free(c->qop);
    memset(c, 0, sizeof *c);
    return bits | 2;
}

static int parse_header(const char *v, struct weft__hc_digest *d, int *best)
{
    int bits = 0;
    const char *p = v;
    for (;;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (tchar(*p))
            p++;
        if (p == s)
            break; /* garbage: stop, keep what we have */
        size_t slen = (size_t)(p - s);
        bool digest = slen == 6 && strncasecmp(s, "Digest", 6) == 0;
        if (slen == 5 && strncasecmp(s, "Basic", 5) == 0)
            bits |= 1;
        struct chal c = {0};
        /* Its parameters, up to a token not followed by '=' (the next
         * challenge's scheme). */
        for (;;) {
            p = skip_ws(p);
            const char *ns = p;
            while (tchar(*p))
                p++;
            const char *ne = p;
            const char *q = skip_ws(p);
            if (ne == ns || *q != '=') {
                p = ns;
                break;
            }
            p = skip_ws(q + 1);
            char *val = NULL;
            if (!(p = read_value(p, &val))) {
                chal_free(&c);
                return -ENOMEM;
            }
            size_t nl = (size_t)(ne - ns);
            char **slot = NULL;
            if (nl == 5 && strncasecmp(ns, "realm", 5) == 0)
                slot = &c.realm;
            else if (nl == 5 && strncasecmp(ns, "nonce", 5) == 0)
                slot = &c.nonce;
            else if (nl == 6 && strncasecmp(ns, "opaque", 6) == 0)
                slot = &c.opaque;
            else if (nl == 9 && strncasecmp(ns, "algorithm", 9) == 0)
                slot = &c.algorithm;
            else if (nl == 3 && strncasecmp(ns, "qop", 3) == 0)
                slot = &c.qop;
            else if (nl == 5 && strncasecmp(ns, "stale", 5) == 0)
                c.stale = strcasecmp(val, "true") == 0;
            else if (nl == 8 && strncasecmp(ns, "userhash", 8) == 0)
                c.userhash = strcasecmp(val, "true") == 0;
            if (slot && !*slot) {
                *slot = val;
                val = NULL;
            }
            free(val);
            p = skip_ws(p);
            if (*p == ',')
                p++;
        }
        if (digest)
            bits |= consider(&c, d, best);
        else
            chal_free(&c);
    }
    return bits;
}

int weft__hc_auth_challenges(const weft_http_response *r, const char *field,
                             struct weft__hc_digest *d)
{
    int bits = 0, best = 0;
    size_t n = weft_http_response_header_count(r);
    for (size_t i = 0; i < n; i++) {
        const char *name, *value;
        weft_http_response_header_at(r, i, &name, &value);
        if (strcasecmp(name, field) != 0)
            continue;
        int b = parse_header(value, d, &best);
        if (b < 0)
            return 0;
        bits |= b;
    }
    if (!(bits & 2))
        bits &= ~4;
    return bits;
}

/* ------------------------------------------------------------ answers */

/* Hex digest of the concatenation of parts (NULL-ended) in algorithm md. */
static void hash_hex(int md, char out[129], const char *const *parts)
{
    const EVP_MD *m = md == 0 ? EVP_md5() : md == 1 ? EVP_sha256() : EVP_sha512_256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char bin[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    out[0] = '\0';
    if (!ctx)
        return;
    if (EVP_DigestInit_ex(ctx, m, NULL) == 1) {
        for (size_t i = 0; parts[i]; i++)
            EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
        EVP_DigestFinal_ex(ctx, bin, &len);
    }
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", bin[i]);
    out[2 * len] = '\0';
}

/* Append s as a quoted-string (with \ escapes) to buf. */
static size_t put_quoted(char *buf, const char *s)
{
    size_t n = 0;
    buf[n++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf[n++] = '\\';
        buf[n++] = *s;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return n;
}

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

char *weft__hc_digest_value(struct weft__hc_digest *d, const char *user, const char *pass,
                            const char *method, const char *uri)
{
    if (!d->nonce || has_ctl(user) || has_ctl(uri))
        return NULL;
    const char *realm = d->realm ? d->realm : "";
    unsigned char rnd[16];
    char cnonce[65];
    if (weft__hc_digest_test_cnonce[0]) {
        snprintf(cnonce, sizeof cnonce, "%s", weft__hc_digest_test_cnonce);
    } else {
        if (RAND_bytes(rnd, sizeof rnd) != 1)
            return NULL;
        for (int i = 0; i < 16; i++)
            sprintf(cnonce + 2 * i, "%02x", rnd[i]);
    }
    char nc[9];
    snprintf(nc, sizeof nc, "%08x", ++d->nc);

    char ha1[129], ha2[129], resp[129], uh[129];
    hash_hex(d->md, ha1, (const char *const[]){user, ":", realm, ":", pass, NULL});
    if (d->sess) {
        char base[129];
        memcpy(base, ha1, sizeof base);
        hash_hex(d->md, ha1, (const char *const[]){base, ":", d->nonce, ":", cnonce, NULL});
    }
    hash_hex(d->md, ha2, (const char *const[]){method, ":", uri, NULL});
    if (d->qop_auth)
        hash_hex(d->md, resp, (const char *const[]){ha1, ":", d->nonce, ":", nc, ":", cnonce,
                                                     ":auth:", ha2, NULL});
    else
        hash_hex(d->md, resp, (const char *const[]){ha1, ":", d->nonce, ":", ha2, NULL});
    const char *uname = user;
    if (d->userhash) {
        hash_hex(d->md, uh, (const char *const[]){user, ":", realm, NULL});
        uname = uh;
    }
    size_t cap = 2 * (strlen(uname) + strlen(realm) + strlen(d->nonce) + strlen(uri) +
                      (d->opaque ? strlen(d->opaque) : 0)) +
                 (d->algorithm ? strlen(d->algorithm) : 0) + 512;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t n = (size_t)sprintf(out, "Digest username=");
    n += put_quoted(out + n, uname);
    n += (size_t)sprintf(out + n, ", realm=");
    n += put_quoted(out + n, realm);
    n += (size_t)sprintf(out + n, ", nonce=");
    n += put_quoted(out + n, d->nonce);
    n += (size_t)sprintf(out + n, ", uri=");
    n += put_quoted(out + n, uri);
    if (d->algorithm && !has_ctl(d->algorithm) && !strpbrk(d->algorithm, " ,\""))
        n += (size_t)sprintf(out + n, ", algorithm=%s", d->algorithm);
    n += (size_t)sprintf(out + n, ", response=\"%s\"", resp);
    if (d->opaque) {
        n += (size_t)sprintf(out + n, ", opaque=");
        n += put_quoted(out + n, d->opaque);
    }
    if (d->qop_auth)
        n += (size_t)sprintf(out + n, ", qop=auth, nc=%s, cnonce=\"%s\"", nc, cnonce);
    if (d->userhash)
        n += (size_t)sprintf(out + n, ", userhash=true");
    /* Values a server sent us must not smuggle a header line. */
    if (has_ctl(out)) {
        free(out);
        return NULL;
    }
    return out;
}

void weft__hc_digest_free(struct weft__hc_digest *d)
{
    free(d->origin);
    free(d->realm);
    free(d->nonce);
    free(d->opaque);
    free(d->algorithm);
    d->origin = d->realm = d->nonce = d->opaque = d->algorithm = NULL;
}
