/*
 * form.c - application/x-www-form-urlencoded pairs.
 *
 * Pairs live as NUL-terminated copies in one growable array; a form is small
 * (tens of pairs), so lookups are linear.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "weft/form.h"
#include "http/url_int.h"

typedef struct pair {
    char *name, *value; /* one allocation: name NUL value NUL */
    size_t nlen, vlen;
} pair;

struct weft_form {
    pair *v;
    size_t n, cap;
};

int weft_form_new(weft_form **out)
{
    weft_form *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    *out = f;
    return 0;
}

void weft_form_free(weft_form *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].name);
    free(f->v);
    free(f);
}

/* Reserve a slot and a buffer for a pair of the given lengths. */
static pair *push(weft_form *f, size_t nlen, size_t vlen)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        pair *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return NULL;
        f->v = v;
        f->cap = cap;
    }
    if (nlen > SIZE_MAX / 2 || vlen > SIZE_MAX / 2)
        return NULL;
    char *m = malloc(nlen + vlen + 2);
    if (!m)
        return NULL;
    pair *p = &f->v[f->n++];
    p->name = m;
    p->value = m + nlen + 1;
    p->nlen = nlen;
    p->vlen = vlen;
    return p;
}

int weft_form_add(weft_form *f, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (nlen == WEFT_FORM_NTS)
        nlen = strlen(name);
    if (vlen == WEFT_FORM_NTS)
        vlen = value ? strlen(value) : 0;
    pair *p = push(f, nlen, vlen);
    if (!p)
        return -ENOMEM;
    memcpy(p->name, name, nlen);
    p->name[nlen] = '\0';
    if (vlen)
        memcpy(p->value, value, vlen);
    p->value[vlen] = '\0';
    return 0;
}

size_t weft_form_count(const weft_form *f)
{
    return f->n;
}

int weft_form_get(const weft_form *f, size_t i, const char **name, size_t *nlen,
                  const char **value, size_t *vlen)
{
    if (i >= f->n)
        return -ERANGE;
    const pair *p = &f->v[i];
    if (name)
        *name = p->name;
    if (nlen)
        *nlen = p->nlen;
    if (value)
        *value = p->value;
    if (vlen)
        *vlen = p->vlen;
    return 0;
}

const char *weft_form_find(const weft_form *f, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i].nlen == nl && !memcmp(f->v[i].name, name, nl)) {
            if (vlen)
                *vlen = f->v[i].vlen;
            return f->v[i].value;
        }
    }
    return NULL;
}

int weft_form_encode(const weft_form *f, char **out)
{
    weft__sb sb = { 0 };
    for (size_t i = 0; i < f->n; i++) {
        if (i)
            weft__sb_putc(&sb, '&');
        weft__pct_put(&sb, f->v[i].name, f->v[i].nlen, WEFT__C_FORM_SAFE, true);
        weft__sb_putc(&sb, '=');
        weft__pct_put(&sb, f->v[i].value, f->v[i].vlen, WEFT__C_FORM_SAFE, true);
        if (sb.len > INT_MAX) {
            weft__sb_free(&sb);
            return -EOVERFLOW;
        }
    }
    size_t len;
    char *s = weft__sb_take(&sb, &len);
    if (!s)
        return -ENOMEM;
    *out = s;
    return (int)len;
}

int weft_form_parse(const char *s, size_t len, const weft_form_limits *lim, weft_form **out)
{
    size_t max_pairs = lim && lim->max_pairs ? lim->max_pairs : WEFT_FORM_MAX_PAIRS;
    size_t max_len = lim && lim->max_length ? lim->max_length : WEFT_FORM_MAX_LENGTH;
    if (len > max_len)
        return -E2BIG;
    weft_form *f;
    int rc = weft_form_new(&f);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        if (end > i) {
            if (f->n == max_pairs) {
                weft_form_free(f);
                return -E2BIG;
            }
            const char *eq = memchr(s + i, '=', end - i);
            size_t nraw = eq ? (size_t)(eq - (s + i)) : end - i;
            size_t vstart = eq ? nraw + 1 : nraw;
            pair *p = push(f, nraw, end - i - vstart);
            if (!p) {
                weft_form_free(f);
                return -ENOMEM;
            }
            /* Decoding only shrinks, so the raw lengths bound the buffers. */
            p->nlen = weft__pct_decode(p->name, s + i, nraw, true);
            p->name[p->nlen] = '\0';
            p->vlen = weft__pct_decode(p->value, s + i + vstart, end - i - vstart, true);
            p->value[p->vlen] = '\0';
        }
        i = end + 1;
    }
    *out = f;
    return 0;
}
