/*
 * headers.c - an ordered, case-insensitive HTTP header list.
 *
 * Each field is one allocation holding "name\0value\0"; the list is an array
 * of pointers to them, so order is kept, lookups are a linear scan (a message
 * has tens of fields, where a scan beats hashing) and nothing moves when a
 * field is added. Removal shifts the array down. A cleared list keeps a few
 * of its field allocations for the next fields (a server clears and refills
 * one list per response), so a reused list usually adds without malloc.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weft/http.h"
#include "http1/http1_int.h"

struct field {
    size_t nlen, vlen;
    size_t cap;  /* bytes of mem */
    char mem[]; /* name NUL value NUL */
};

#define SPARE_FIELDS 8
#define SPARE_MAX_CAP 256 /* bigger fields are freed, not kept */

struct weft_http_headers {
    struct field **f;
    size_t n, cap;
    size_t bytes; /* sum of nlen + vlen, against WEFT_HTTP_HEADERS_MAX_BYTES */
    struct field *spare[SPARE_FIELDS]; /* freed fields kept for reuse */
    size_t nspare;
};

static void field_drop(weft_http_headers *h, struct field *f)
{
    if (h->nspare < SPARE_FIELDS && f->cap <= SPARE_MAX_CAP)
        h->spare[h->nspare++] = f;
    else
        free(f);
}

/* tchar (RFC 9110 §5.6.2), from the parser's byte-class table: one load per
 * byte, where a strchr() over the punctuation cost more than the rest of
 * adding a field (the server sets headers on every response). */
bool weft_http_token_valid(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(weft__h1_class[(unsigned char)s[i]] & H1_TOKEN))
            return false;
    return true;
}

bool weft_http_value_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
            return false;
    return true;
}

static bool ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z'))
            return false;
    }
    return true;
}

int weft_http_headers_new(weft_http_headers **out)
{
    weft_http_headers *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    *out = h;
    return 0;
}

void weft_http_headers_clear(weft_http_headers *h)
{
    for (size_t i = 0; i < h->n; i++)
        field_drop(h, h->f[i]);
    h->n = 0;
    h->bytes = 0;
}

void weft_http_headers_free(weft_http_headers *h)
{
    if (!h)
        return;
    weft_http_headers_clear(h);
    while (h->nspare)
        free(h->spare[--h->nspare]);
    free(h->f);
    free(h);
}

static struct field *field_new(weft_http_headers *h, const char *name, size_t nlen,
                               const char *value, size_t vlen)
{
    size_t need = nlen + vlen + 2;
    struct field *f = NULL;
    for (size_t i = h->nspare; i-- > 0;) {
        if (h->spare[i]->cap >= need) {
            f = h->spare[i];
            h->spare[i] = h->spare[--h->nspare];
            break;
        }
    }
    if (!f) {
        size_t cap = need < 48 ? 48 : need; /* room to be reused */
        f = malloc(sizeof *f + cap);
        if (!f)
            return NULL;
        f->cap = cap;
    }
    f->nlen = nlen;
    f->vlen = vlen;
    memcpy(f->mem, name, nlen);
    f->mem[nlen] = '\0';
    memcpy(f->mem + nlen + 1, value, vlen);
    f->mem[nlen + 1 + vlen] = '\0';
    return f;
}

/* Trim OWS and check both parts; returns 0 or -EINVAL. */
static int check(const char *name, size_t nlen, const char **value, size_t *vlen)
{
    if (!weft_http_token_valid(name, nlen))
        return -EINVAL;
    const char *v = *value;
    size_t n = *vlen;
    while (n && (v[0] == ' ' || v[0] == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (!weft_http_value_valid(v, n))
        return -EINVAL;
    *value = v;
    *vlen = n;
    return 0;
}

/* Append a field already checked and trimmed. */
static int add_checked(weft_http_headers *h, const char *name, size_t nlen, const char *value,
                       size_t vlen)
{
    if (h->n >= WEFT_HTTP_HEADERS_MAX_FIELDS ||
        h->bytes + nlen + vlen > WEFT_HTTP_HEADERS_MAX_BYTES)
        return -E2BIG;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct field **f = realloc(h->f, cap * sizeof *f);
        if (!f)
            return -ENOMEM;
        h->f = f;
        h->cap = cap;
    }
    struct field *f = field_new(h, name, nlen, value, vlen);
    if (!f)
        return -ENOMEM;
    h->f[h->n++] = f;
    h->bytes += nlen + vlen;
    return 0;
}

int weft_http_headers_addn(weft_http_headers *h, const char *name, size_t nlen,
                           const char *value, size_t vlen)
{
    int rc = check(name, nlen, &value, &vlen);
    if (rc < 0)
        return rc;
    return add_checked(h, name, nlen, value, vlen);
}

int weft_http_headers_add(weft_http_headers *h, const char *name, const char *value)
{
    return weft_http_headers_addn(h, name, strlen(name), value, strlen(value));
}

int weft_http_headers_copy(weft_http_headers *dst, const weft_http_headers *src)
{
    if (dst == src)
        return 0;
    weft_http_headers_clear(dst);
    for (size_t i = 0; i < src->n; i++) {
        const struct field *f = src->f[i];
        /* Checked and trimmed when they went into src. */
        int rc = add_checked(dst, f->mem, f->nlen, f->mem + f->nlen + 1, f->vlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int weft_http_headers_find(const weft_http_headers *h, const char *name, size_t from)
{
    size_t nlen = strlen(name);
    for (size_t i = from; i < h->n; i++)
        if (ieq(h->f[i]->mem, h->f[i]->nlen, name, nlen))
            return (int)i;
    return -1;
}

static void remove_at(weft_http_headers *h, size_t i)
{
    h->bytes -= h->f[i]->nlen + h->f[i]->vlen;
    field_drop(h, h->f[i]);
    memmove(h->f + i, h->f + i + 1, (h->n - i - 1) * sizeof *h->f);
    h->n--;
}

int weft_http_headers_remove(weft_http_headers *h, const char *name)
{
    int removed = 0;
    for (int i = weft_http_headers_find(h, name, 0); i >= 0;
         i = weft_http_headers_find(h, name, (size_t)i)) {
        remove_at(h, (size_t)i);
        removed++;
    }
    return removed;
}

int weft_http_headers_set(weft_http_headers *h, const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value);
    int rc = check(name, nlen, &value, &vlen);
    if (rc < 0)
        return rc;
    int i = weft_http_headers_find(h, name, 0);
    if (i < 0)
        return add_checked(h, name, nlen, value, vlen);
    struct field *old = h->f[i];
    if (h->bytes - old->vlen + vlen > WEFT_HTTP_HEADERS_MAX_BYTES)
        return -E2BIG;
    /* Keep the name as first sent: only the value changes. */
    struct field *f = field_new(h, old->mem, old->nlen, value, vlen);
    if (!f)
        return -ENOMEM;
    h->bytes = h->bytes - old->vlen + vlen;
    h->f[i] = f;
    field_drop(h, old);
    for (int j = weft_http_headers_find(h, name, (size_t)i + 1); j >= 0;
         j = weft_http_headers_find(h, name, (size_t)j))
        remove_at(h, (size_t)j);
    return 0;
}

int weft_http_headers_setdefault(weft_http_headers *h, const char *name, const char *value)
{
    if (weft_http_headers_find(h, name, 0) >= 0)
        return 0;
    return weft_http_headers_add(h, name, value);
}

const char *weft_http_headers_get(const weft_http_headers *h, const char *name)
{
    int i = weft_http_headers_find(h, name, 0);
    return i < 0 ? NULL : h->f[i]->mem + h->f[i]->nlen + 1;
}

bool weft_http_headers_has_token(const weft_http_headers *h, const char *name, const char *token)
{
    size_t tlen = strlen(token);
    for (int i = weft_http_headers_find(h, name, 0); i >= 0;
         i = weft_http_headers_find(h, name, (size_t)i + 1)) {
        const char *v = h->f[i]->mem + h->f[i]->nlen + 1;
        while (*v) {
            while (*v == ' ' || *v == '\t' || *v == ',')
                v++;
            const char *e = v;
            while (*e && *e != ',')
                e++;
            const char *t = e;
            while (t > v && (t[-1] == ' ' || t[-1] == '\t'))
                t--;
            if (t > v && ieq(v, (size_t)(t - v), token, tlen))
                return true;
            v = e;
        }
    }
    return false;
}

size_t weft_http_headers_count(const weft_http_headers *h)
{
    return h->n;
}

int weft_http_headers_at(const weft_http_headers *h, size_t i, const char **name, size_t *nlen,
                         const char **value, size_t *vlen)
{
    if (i >= h->n)
        return -ERANGE;
    const struct field *f = h->f[i];
    if (name)
        *name = f->mem;
    if (nlen)
        *nlen = f->nlen;
    if (value)
        *value = f->mem + f->nlen + 1;
    if (vlen)
        *vlen = f->vlen;
    return 0;
}

size_t weft_http_headers_wire_len(const weft_http_headers *h)
{
    return h->bytes + h->n * 4; /* ": " and CRLF per field */
}

size_t weft_http_headers_write(const weft_http_headers *h, char *out)
{
    char *p = out;
    for (size_t i = 0; i < h->n; i++) {
        const struct field *f = h->f[i];
        memcpy(p, f->mem, f->nlen);
        p += f->nlen;
        *p++ = ':';
        *p++ = ' ';
        memcpy(p, f->mem + f->nlen + 1, f->vlen);
        p += f->vlen;
        *p++ = '\r';
        *p++ = '\n';
    }
    return (size_t)(p - out);
}
