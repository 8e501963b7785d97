/*
 * multipart.c - multipart/form-data bodies (RFC 7578, HTML form encoding).
 *
 * Each part is kept as three pieces: its head ("--boundary" CRLF, headers,
 * CRLF), its data, and the CRLF that ends it; the closing "--boundary--" CRLF
 * follows the last part. Keeping them apart lets weft_multipart_iov() hand
 * borrowed file data straight to writev.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "weft/multipart.h"
#include "http/url_int.h"

/* Where a part's data comes from. A future WEFT__SRC_FD (read at send time)
 * belongs here; length() and iov() are the only places that look. */
enum src_kind { WEFT__SRC_COPY, WEFT__SRC_REF };

typedef struct part {
    char *head;          /* owned */
    size_t head_len;
    enum src_kind kind;
    const char *data;    /* owned when kind == COPY */
    size_t len;
} part;

struct weft_multipart {
    part *parts;
    size_t n, cap;
    char boundary[80];
    char content_type[128];
    char closing[88];    /* "--" boundary "--" CRLF */
    size_t closing_len;
};

static const char CRLF[] = "\r\n";

static bool bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c && strchr("'()+_,-./:=?", c));
}

static int make(const char *b, weft_multipart **out)
{
    size_t bl = strlen(b);
    if (bl == 0 || bl > 70)
        return -EINVAL;
    bool token = true;
    for (size_t i = 0; i < bl; i++) {
        if (!bchar((unsigned char)b[i]))
            return -EINVAL;
        if (strchr("'(),/:=?", b[i]))
            token = false; /* tspecials: the parameter must be quoted */
    }
    weft_multipart *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    memcpy(m->boundary, b, bl + 1);
    snprintf(m->content_type, sizeof m->content_type, "multipart/form-data; boundary=%s%s%s",
             token ? "" : "\"", b, token ? "" : "\"");
    m->closing_len = (size_t)snprintf(m->closing, sizeof m->closing, "--%s--\r\n", b);
    *out = m;
    return 0;
}

int weft_multipart_new_with_boundary(const char *boundary, weft_multipart **out)
{
    return make(boundary, out);
}

int weft_multipart_new(weft_multipart **out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    unsigned char rnd[24];
    size_t got = 0;
    while (got < sizeof rnd) {
        ssize_t r = getrandom(rnd + got, sizeof rnd - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)r;
    }
    char b[5 + sizeof rnd + 1] = "weft-";
    for (size_t i = 0; i < sizeof rnd; i++)
        b[5 + i] = alphabet[rnd[i] & 63];
    b[5 + sizeof rnd] = '\0';
    return make(b, out);
}

void weft_multipart_free(weft_multipart *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->parts[i].head);
        if (m->parts[i].kind == WEFT__SRC_COPY)
            free((void *)m->parts[i].data);
    }
    free(m->parts);
    free(m);
}

const char *weft_multipart_boundary(const weft_multipart *m) { return m->boundary; }
const char *weft_multipart_content_type(const weft_multipart *m) { return m->content_type; }

/* The HTML standard's escaping of names and filenames in Content-Disposition. */
static void put_quoted(weft__sb *sb, const char *s)
{
    weft__sb_putc(sb, '"');
    for (; *s; s++) {
        if (*s == '"')
            weft__sb_put(sb, "%22", 3);
        else if (*s == '\r')
            weft__sb_put(sb, "%0D", 3);
        else if (*s == '\n')
            weft__sb_put(sb, "%0A", 3);
        else
            weft__sb_putc(sb, *s);
    }
    weft__sb_putc(sb, '"');
}

static int add(weft_multipart *m, const char *name, const char *filename, const char *ctype,
               bool file, const void *data, size_t len, enum src_kind kind)
{
    if (!name || (ctype && strpbrk(ctype, "\r\n")))
        return -EINVAL;
    /* The data must not contain the delimiter, or the body would end early. */
    char delim[80];
    size_t dl = (size_t)snprintf(delim, sizeof delim, "--%s", m->boundary);
    if (len && memmem(data, len, delim, dl))
        return -EINVAL;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        part *p = realloc(m->parts, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        m->parts = p;
        m->cap = cap;
    }
    weft__sb sb = { 0 };
    weft__sb_put(&sb, delim, dl);
    weft__sb_puts(&sb, "\r\nContent-Disposition: form-data; name=");
    put_quoted(&sb, name);
    if (filename) {
        weft__sb_puts(&sb, "; filename=");
        put_quoted(&sb, filename);
    }
    if (file) {
        weft__sb_puts(&sb, "\r\nContent-Type: ");
        weft__sb_puts(&sb, ctype ? ctype : "application/octet-stream");
    }
    weft__sb_puts(&sb, "\r\n\r\n");
    size_t hl;
    char *head = weft__sb_take(&sb, &hl);
    if (!head)
        return -ENOMEM;
    const char *d = data;
    if (kind == WEFT__SRC_COPY) {
        char *c = malloc(len ? len : 1);
        if (!c) {
            free(head);
            return -ENOMEM;
        }
        if (len)
            memcpy(c, data, len);
        d = c;
    }
    m->parts[m->n++] = (part){ .head = head, .head_len = hl, .kind = kind, .data = d, .len = len };
    return 0;
}

int weft_multipart_add_field(weft_multipart *m, const char *name, const char *value, size_t vlen)
{
    return add(m, name, NULL, NULL, false, value, vlen, WEFT__SRC_COPY);
}

int weft_multipart_add_file(weft_multipart *m, const char *name, const char *filename,
                            const char *content_type, const void *data, size_t len)
{
    return add(m, name, filename, content_type, true, data, len, WEFT__SRC_COPY);
}

int weft_multipart_add_file_ref(weft_multipart *m, const char *name, const char *filename,
                                const char *content_type, const void *data, size_t len)
{
    return add(m, name, filename, content_type, true, data, len, WEFT__SRC_REF);
}

size_t weft_multipart_length(const weft_multipart *m)
{
    size_t n = m->closing_len;
    for (size_t i = 0; i < m->n; i++)
        n += m->parts[i].head_len + m->parts[i].len + 2;
    return n;
}

int weft_multipart_iov(const weft_multipart *m, struct iovec *iov, int max)
{
    int k = 0;
#define PUT(p, l)                                                   \
    do {                                                            \
        if (k < max)                                                \
            iov[k] = (struct iovec){ .iov_base = (void *)(p), .iov_len = (l) }; \
        k++;                                                        \
    } while (0)
    for (size_t i = 0; i < m->n; i++) {
        const part *p = &m->parts[i];
        PUT(p->head, p->head_len);
        if (p->len)
            PUT(p->data, p->len);
        PUT(CRLF, 2);
    }
    PUT(m->closing, m->closing_len);
#undef PUT
    return k;
}

int weft_multipart_body(const weft_multipart *m, char **out, size_t *len)
{
    size_t total = weft_multipart_length(m);
    char *b = malloc(total + 1);
    if (!b)
        return -ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < m->n; i++) {
        const part *p = &m->parts[i];
        memcpy(b + o, p->head, p->head_len);
        o += p->head_len;
        if (p->len)
            memcpy(b + o, p->data, p->len);
        o += p->len;
        memcpy(b + o, CRLF, 2);
        o += 2;
    }
    memcpy(b + o, m->closing, m->closing_len);
    o += m->closing_len;
    b[o] = '\0';
    *out = b;
    *len = o;
    return 0;
}
