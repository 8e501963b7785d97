/*
 * repr.c - weft_repr(): bytes shown the way Python's repr() shows the text
 * they decode to, so that logs of the C examples read like the Python ones.
 */
#include <errno.h>
#include <string.h>

#include "common/common_int.h"
#include "weft/common.h"

/* Length of the valid UTF-8 sequence at p (2..4 bytes) whose code point is
 * printable enough to keep (>= U+00A0, past the C1 controls), or 0. */
static size_t utf8_keep(const unsigned char *p, size_t n)
{
    uint32_t cp;
    size_t len = weft__utf8_seq(p, n, &cp);
    return len >= 2 && cp >= 0xa0 ? len : 0;
}

/* The next element of the repr at p: its text in out (<= 4 bytes, or a
 * pointer into the data for kept UTF-8) and how many input bytes it eats. */
static size_t element(const unsigned char *p, size_t n, char quote, char tmp[5],
                      const char **text, size_t *tlen)
{
    static const char hex[] = "0123456789abcdef";
    unsigned c = p[0];
    size_t k;
    *text = tmp;
    switch (c) {
    case '\n': memcpy(tmp, "\\n", 2); *tlen = 2; return 1;
    case '\r': memcpy(tmp, "\\r", 2); *tlen = 2; return 1;
    case '\t': memcpy(tmp, "\\t", 2); *tlen = 2; return 1;
    case '\\': memcpy(tmp, "\\\\", 2); *tlen = 2; return 1;
    default: break;
    }
    if (c == (unsigned char)quote) {
        tmp[0] = '\\';
        tmp[1] = quote;
        *tlen = 2;
        return 1;
    }
    if (c >= 0x20 && c < 0x7f) {
        tmp[0] = (char)c;
        *tlen = 1;
        return 1;
    }
    if (c >= 0x80 && (k = utf8_keep(p, n)) != 0) {
        *text = (const char *)p;
        *tlen = k;
        return k;
    }
    tmp[0] = '\\';
    tmp[1] = 'x';
    tmp[2] = hex[c >> 4];
    tmp[3] = hex[c & 15];
    *tlen = 4;
    return 1;
}

int weft_repr(const void *data, size_t len, char *buf, size_t size)
{
    if (!buf || size < 8)
        return -EINVAL;
    const unsigned char *p = data;
    if (!p)
        len = 0;
    /* Python picks double quotes for text with ' and no ". */
    char quote = len && memchr(p, '\'', len) && !memchr(p, '"', len) ? '"' : '\'';
    char tmp[5];
    const char *text;
    size_t tlen;

    /* Does the whole thing fit (both quotes and the NUL)? */
    size_t total = 2;
    for (size_t i = 0; i < len;) {
        i += element(p + i, len - i, quote, tmp, &text, &tlen);
        total += tlen;
    }
    size_t room = total < size ? size - 2 : size - 5; /* leave "..." + quote + NUL */
    size_t pos = 0;
    buf[pos++] = quote;
    for (size_t i = 0; i < len;) {
        size_t used = element(p + i, len - i, quote, tmp, &text, &tlen);
        if (pos + tlen > room)
            break;
        memcpy(buf + pos, text, tlen);
        pos += tlen;
        i += used;
    }
    if (total >= size) {
        memcpy(buf + pos, "...", 3);
        pos += 3;
    }
    buf[pos++] = quote;
    buf[pos] = 0;
    return (int)pos;
}
