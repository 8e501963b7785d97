/*
 * static_path.c - a request path made safe to look up under a root.
 *
 * Decoding comes first and every check runs on decoded bytes, so an escape
 * cannot hide a dot segment ("%2e%2e"), a NUL ("%00") or a slash ("%2f")
 * from them. Dot segments are then resolved lexically, as RFC 3986 §5.2.4
 * (and nginx) do, and a ".." that would climb above the root is refused
 * rather than clamped, so an attack is answered as one. What comes out is
 * only a clean name: static_open.c still opens it with RESOLVE_BENEATH, so a
 * symlink cannot lead out either.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "server/static_int.h"

bool weft__static_name_hidden(const char *name, size_t len)
{
    return len > 0 && name[0] == '.' &&
           !(len == 11 && memcmp(name, ".well-known", 11) == 0);
}

/* Decode one raw segment src[0..n) into dst (room checked by the caller:
 * decoding never grows). Returns the decoded length or an error. */
static int decode_segment(const char *src, size_t n, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -EINVAL;
            int hi = weft__hexval((unsigned char)src[i + 1]);
            int lo = weft__hexval((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return -EINVAL;
            c = (char)(hi << 4 | lo);
            i += 2;
            if (c == '/')
                return -ENOENT;
        }
        if (c == '\0')
            return -EINVAL;
        dst[o++] = c;
    }
    return (int)o;
}

int weft__static_path_clean(const char *path, size_t len, enum weft__static_hidden hidden,
                            char *out, size_t cap, bool *dir)
{
    if (len == 0 || path[0] != '/' || cap == 0)
        return -EINVAL;
    if (cap > WEFT__STATIC_PATH_MAX + 1)
        cap = WEFT__STATIC_PATH_MAX + 1;
    size_t o = 0; /* bytes of out in use */
    bool want_dir = false;
    size_t i = 0;
    while (i < len) {
        while (i < len && path[i] == '/')
            i++;
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        size_t raw = i - start;
        if (raw == 0) { /* the path ended in '/' */
            want_dir = true;
            break;
        }
        want_dir = false;
        /* The decoded segment goes after a separator; decoding never grows,
         * so raw bytes of room (plus the NUL) are enough. */
        size_t at = o ? o + 1 : 0;
        if (at + raw + 1 > cap) {
            /* It may still fit decoded ("%61" is one byte): decode into a
             * scratch buffer that holds the longest raw segment that can
             * decode to NAME_MAX bytes. */
            char seg[3 * NAME_MAX];
            if (raw > sizeof seg)
                return -ENAMETOOLONG;
            int d = decode_segment(path + start, raw, seg);
            if (d < 0)
                return d;
            if ((size_t)d > NAME_MAX || at + (size_t)d + 1 > cap)
                return -ENAMETOOLONG;
            memcpy(out + at, seg, (size_t)d);
            raw = (size_t)d;
        } else {
            int d = decode_segment(path + start, raw, out + at);
            if (d < 0)
                return d;
            raw = (size_t)d;
        }
        const char *seg = out + at;
        if (raw == 1 && seg[0] == '.') {
            want_dir = true;
            continue;
        }
        if (raw == 2 && seg[0] == '.' && seg[1] == '.') {
            if (o == 0) /* nothing left to remove: climbing above the root */
                return -EACCES;
            /* Drop the last segment of out[0..o). */
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* its separator */
            want_dir = true;
            continue;
        }
        if (raw > NAME_MAX)
            return -ENAMETOOLONG;
        if (at)
            out[o] = '/';
        o = at + raw;
    }
    out[o] = '\0';
    if (hidden != WEFT__STATIC_HIDDEN_SHOW) {
        for (size_t s = 0; s < o;) {
            size_t e = s;
            while (e < o && out[e] != '/')
                e++;
            if (weft__static_name_hidden(out + s, e - s))
                return hidden == WEFT__STATIC_HIDDEN_DENY ? -EACCES : -ENOENT;
            s = e + 1;
        }
    }
    *dir = want_dir;
    return (int)o;
}
