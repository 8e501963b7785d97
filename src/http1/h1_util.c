/*
 * h1_util.c - small HTTP/1 helpers: limits, header lookup, token lists and
 * the status a server answers each parse error with.
 */
#include <string.h>

#include "http1/http1_int.h"

void weft_h1_limits_init(weft_h1_limits *l)
{
    l->max_request_line = WEFT_H1_DEFAULT_MAX_REQUEST_LINE;
    l->max_head = WEFT_H1_DEFAULT_MAX_HEAD;
    l->max_headers = WEFT_H1_DEFAULT_MAX_HEADERS;
    l->max_body = WEFT_H1_DEFAULT_MAX_BODY;
    l->max_chunk_ext = WEFT_H1_DEFAULT_MAX_CHUNK_EXT;
    l->max_trailers = WEFT_H1_DEFAULT_MAX_TRAILERS;
}

static bool ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (h1_lower((unsigned char)a[i]) != h1_lower((unsigned char)b[i]))
            return false;
    return true;
}

bool weft_h1_slice_ieq(weft_h1_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.ptr && s.len == n && ieq(s.ptr, lit, n);
}

int weft_h1_header_find(const weft_h1_header *hdrs, size_t n, const char *name, size_t from)
{
    size_t nl = strlen(name);
    for (size_t i = from; i < n; i++)
        if (hdrs[i].name.len == nl && ieq(hdrs[i].name.ptr, name, nl))
            return (int)i;
    return -1;
}

bool weft_h1_list_has(weft_h1_slice v, const char *token)
{
    size_t tl = strlen(token), i = 0;
    if (!v.ptr)
        return false;
    while (i <= v.len) {
        size_t s = i, e;
        while (s < v.len && (v.ptr[s] == ' ' || v.ptr[s] == '\t'))
            s++;
        e = s;
        while (e < v.len && v.ptr[e] != ',')
            e++;
        i = e + 1;
        while (e > s && (v.ptr[e - 1] == ' ' || v.ptr[e - 1] == '\t'))
            e--;
        if (e - s == tl && ieq(v.ptr + s, token, tl))
            return true;
    }
    return false;
}

int weft_h1_error_status(int err)
{
    switch (err) {
    case WEFT_EHTTP_PARSE:
    case WEFT_EHTTP_BAD_METHOD:
    case WEFT_EHTTP_BAD_LENGTH:
    case WEFT_EHTTP_BAD_CHUNK:
    case WEFT_EHTTP_BAD_FRAMING:
    case WEFT_EHTTP_TRUNCATED:
        return 400;
    case WEFT_EHTTP_BODY_TOO_LARGE:
        return 413;
    case WEFT_EHTTP_URI_TOO_LONG:
        return 414;
    case WEFT_EHTTP_HEADERS_TOO_LARGE:
        return 431;
    case WEFT_EHTTP_BAD_TE:
        return 501;
    case WEFT_EHTTP_VERSION:
        return 505;
    }
    return 0;
}
