/*
 * url_int.h - helpers shared by the URL, form, multipart and cookie code.
 *
 * Nothing here does I/O. The string builder grows geometrically and records
 * the first allocation failure, so callers can append without checking every
 * step and test sb.err once at the end (the pattern of a sticky error).
 */
#ifndef WEFT_HTTP_URL_INT_H
#define WEFT_HTTP_URL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable byte string, always NUL-terminated once anything was appended. */
typedef struct weft__sb {
    char *p;     /* heap buffer or NULL */
    size_t len;  /* bytes used, excluding the NUL */
    size_t cap;  /* bytes allocated */
    int err;     /* 0, or the first -ENOMEM; later appends are ignored */
} weft__sb;

int weft__sb_reserve(weft__sb *sb, size_t extra);
void weft__sb_put(weft__sb *sb, const void *s, size_t n);
void weft__sb_putc_slow(weft__sb *sb, char c);
static inline void weft__sb_putc(weft__sb *sb, char c)
{
    if (sb->len + 2 <= sb->cap) { /* room for c and the NUL */
        sb->p[sb->len++] = c;
        sb->p[sb->len] = '\0';
        return;
    }
    weft__sb_putc_slow(sb, c);
}
void weft__sb_puts(weft__sb *sb, const char *s);
/* Take ownership of the buffer (never NULL on success; "" when empty). */
char *weft__sb_take(weft__sb *sb, size_t *len);
void weft__sb_free(weft__sb *sb);

/* Character classes for percent-encoding, one bit per set (see pct.c). */
enum {
    WEFT__C_UNRESERVED = 1 << 0, /* ALPHA DIGIT - . _ ~ (RFC 3986 2.3) */
    WEFT__C_SUBDELIM   = 1 << 1, /* ! $ & ' ( ) * + , ; = */
    WEFT__C_UNSAFE     = 1 << 2, /* bytes we always percent-encode in URLs */
    WEFT__C_HEX        = 1 << 3,
    WEFT__C_SCHEME     = 1 << 4, /* ALPHA DIGIT + - . */
    WEFT__C_FORM_SAFE  = 1 << 5, /* kept as-is by form encoding: ALPHA DIGIT * - . _ */
    WEFT__C_PCHAR_XTRA = 1 << 6, /* / : @ */
};
extern const uint8_t weft__cclass[256];

static inline int weft__hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static inline char weft__lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

extern const char weft__hexdig[16]; /* "0123456789ABCDEF" */

/* Append s percent-encoded: bytes in class `keep` pass, everything else
 * becomes %XX. With plus_space, ' ' becomes '+'. */
void weft__pct_put(weft__sb *sb, const char *s, size_t n, unsigned keep, bool plus_space);

/* Decode %XX (and '+' when plus_space) into dst, which may equal src.
 * Malformed escapes are copied literally. Returns the decoded length. */
size_t weft__pct_decode(char *dst, const char *src, size_t n, bool plus_space);

/* Canonicalise a host name or IP literal (already percent-decoded or not:
 * this function decodes). Writes the ASCII form into out (NUL-terminated):
 * lower-case reg-name or A-labels, dotted-quad IPv4, or bracketed IPv6 when
 * `brackets` (the input had them). Sets *kind. Returns the length or
 * WEFT_EURL_HOST. out must hold at least WEFT__HOST_MAX + 1 bytes. */
enum { WEFT__HOST_NAME = 0, WEFT__HOST_IPV4 = 1, WEFT__HOST_IPV6 = 2 };
#define WEFT__HOST_MAX 255
int weft__host_canon(const char *s, size_t n, char *out, int *kind);

/* True when s (NUL-terminated, canonical) is an IPv4 or IPv6 literal
 * (the bracket-free forms, as cookie code sees them). */
bool weft__host_is_ip(const char *s);

/* Case-insensitive comparison of n bytes against a lower-case ASCII literal. */
static inline bool weft__ieq(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++)
        if (weft__lower(s[i]) != lit[i])
            return false;
    return i == n && lit[i] == '\0';
}

#endif
