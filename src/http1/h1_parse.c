/*
 * h1_parse.c - the HTTP/1.1 request and response head parser (RFC 9112).
 *
 * The head is read line by line. A line is accepted only once its CRLF is
 * in the buffer; then the parser remembers its end (p->_line), so the next
 * call resumes there. Inside an unfinished line the parser remembers how far
 * it has proved there is no LF (p->_scanned) and only memchr()s the new
 * bytes, so feeding a head byte by byte stays linear.
 *
 * The answer depends only on the bytes, never on how they were split into
 * calls, which the fuzz targets check. That rules out reporting a bad byte
 * in a line whose end has not arrived (its end might push the line over a
 * limit first), with one exception made on purpose: the method is checked
 * as soon as its bytes arrive, so a TLS hello or other garbage sent to a
 * plain-text port is refused at once instead of after 8 KiB. To keep that
 * exception consistent, the method is checked before anything else on the
 * request line, complete or not.
 *
 * Limits are enforced by never looking past them: a line is scanned only up
 * to the byte where it would be too long ("cap"). A line whose LF is not
 * found before the cap is over a limit if the cap was the limit, or just
 * incomplete if the cap was the end of the data.
 */
#include <errno.h>
#include <string.h>

#include "http1/http1_int.h"

/* p->_seen bits: which framing fields the head had so far. */
enum {
    SEEN_CL = 1u << 0,
    SEEN_TE = 1u << 1,
    SEEN_CHUNKED = 1u << 2,      /* chunked appeared in Transfer-Encoding */
    TE_LAST_CHUNKED = 1u << 3,   /* ... and is the last coding so far */
    SEEN_HOST = 1u << 4,
    SEEN_UPGRADE = 1u << 5,
    CONN_CLOSE = 1u << 6,
    CONN_KEEP_ALIVE = 1u << 7,
    CONN_UPGRADE = 1u << 8,
};

#define METHOD_MAX 32        /* longest method accepted (WebDAV's are ~16) */
#define CL_MAX_DIGITS 19     /* 19 digits always fit in 64 bits */
#define NOPOS ((size_t)-1)   /* error position of an error reported at once */

static size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

void weft_h1_parser_init(weft_h1_parser *p, const weft_h1_limits *l)
{
    memset(p, 0, sizeof *p);
    if (l)
        p->lim = *l;
    else
        weft_h1_limits_init(&p->lim);
    /* The method check needs METHOD_MAX + 1 bytes of line; offsets must not
     * overflow when a few bytes are added to a limit. */
    if (p->lim.max_request_line < 64)
        p->lim.max_request_line = 64;
    if (p->lim.max_request_line > (1u << 30))
        p->lim.max_request_line = 1u << 30;
    if (p->lim.max_head > (1u << 30))
        p->lim.max_head = 1u << 30;
}

void weft_h1_parser_reset(weft_h1_parser *p)
{
    weft_h1_limits lim = p->lim;
    memset(p, 0, sizeof *p);
    p->lim = lim;
}

/* ------------------------------------------------------------ small scanners */

/* The method at b[ls..): 0 with *sp at the SP after it, -EAGAIN when the
 * bytes end first, or WEFT_EHTTP_BAD_METHOD. */
static int scan_method(const char *b, size_t ls, size_t end, size_t *sp)
{
    size_t lim = min_sz(end, ls + METHOD_MAX + 1);
    size_t i = h1_skip_token(b, ls, lim);
    if (i - ls > METHOD_MAX)
        return WEFT_EHTTP_BAD_METHOD;
    if (i == end)
        return -EAGAIN;
    if (b[i] != ' ' || i == ls)
        return WEFT_EHTTP_BAD_METHOD;
    *sp = i;
    return 0;
}

/* "HTTP/1.x" at b[v..): the index after it, 0 when the bytes end first, or
 * an error (bad, or WEFT_EHTTP_VERSION for a well-formed other version). */
static long scan_version(const char *b, size_t v, size_t end, int *minor, size_t *at, int bad)
{
    static const char pre[] = "HTTP/";
    for (size_t k = 0; k < 5; k++) {
        if (v + k >= end)
            return 0;
        if (b[v + k] != pre[k]) {
            *at = v + k;
            return bad;
        }
    }
    for (size_t k = 5; k < 8; k++) {
        if (v + k >= end)
            return 0;
        int ok = k == 6 ? b[v + k] == '.' : (b[v + k] >= '0' && b[v + k] <= '9');
        if (!ok) {
            *at = v + k;
            return bad;
        }
    }
    if (b[v + 5] != '1' || b[v + 7] > '1') {
        *at = v + 7;
        return WEFT_EHTTP_VERSION;
    }
    *minor = b[v + 7] - '0';
    return (long)(v + 8);
}

/* CRLF at b[i..): the index after it, 0 when the bytes end first, or bad. */
static long scan_crlf(const char *b, size_t i, size_t end, size_t *at, int bad)
{
    if (i >= end)
        return 0;
    if (b[i] != '\r') {
        *at = i;
        return bad;
    }
    if (i + 1 >= end)
        return 0;
    if (b[i + 1] != '\n') {
        *at = i + 1;
        return bad;
    }
    return (long)(i + 2);
}

/* s[0..n) equals the lower-case literal lit of the same length. */
static int name_is(const char *s, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (h1_lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

static int method_id(const char *m, size_t n)
{
    switch (n) {
    case 3:
        if (!memcmp(m, "GET", 3)) return WEFT_H1_METHOD_GET;
        if (!memcmp(m, "PUT", 3)) return WEFT_H1_METHOD_PUT;
        break;
    case 4:
        if (!memcmp(m, "POST", 4)) return WEFT_H1_METHOD_POST;
        if (!memcmp(m, "HEAD", 4)) return WEFT_H1_METHOD_HEAD;
        break;
    case 5:
        if (!memcmp(m, "PATCH", 5)) return WEFT_H1_METHOD_PATCH;
        if (!memcmp(m, "TRACE", 5)) return WEFT_H1_METHOD_TRACE;
        break;
    case 6:
        if (!memcmp(m, "DELETE", 6)) return WEFT_H1_METHOD_DELETE;
        break;
    case 7:
        if (!memcmp(m, "OPTIONS", 7)) return WEFT_H1_METHOD_OPTIONS;
        if (!memcmp(m, "CONNECT", 7)) return WEFT_H1_METHOD_CONNECT;
        break;
    }
    return WEFT_H1_METHOD_OTHER;
}

/* ------------------------------------------------------------ request-target */

static int all_host_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!h1_is((unsigned char)s[i], H1_HOST))
            return 0;
    return 1;
}

/* authority-form (RFC 9112 §3.2.3): host ":" port, port 1-5 digits. */
static int is_authority_form(const char *t, size_t n)
{
    if (!all_host_chars(t, n))
        return 0;
    size_t c = n;
    while (c > 0 && t[c - 1] != ':')
        c--;
    if (c < 2 || n - c < 1 || n - c > 5)
        return 0;
    for (size_t i = c; i < n; i++)
        if (t[i] < '0' || t[i] > '9')
            return 0;
    return 1;
}

/* absolute-form: scheme "://" authority [path-abempty] ["?" query]. On
 * success *auth_end is the index where the authority ends. We insist on
 * the "//" authority: every HTTP(S) URI has one, and the server needs it. */
static int is_absolute_form(const char *t, size_t n, size_t *auth_start, size_t *auth_end)
{
    size_t i = 0;
    if (n == 0 || !((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z'))
        return 0;
    while (i < n && (((t[i] | 0x20) >= 'a' && (t[i] | 0x20) <= 'z') ||
                     (t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-' || t[i] == '.'))
        i++;
    if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
        return 0;
    size_t a = i + 3, e = a;
    while (e < n && t[e] != '/' && t[e] != '?')
        e++;
    /* No userinfo ('@' is not a host byte): RFC 9110 §4.2.4 says to treat it as an error. */
    if (e == a || !all_host_chars(t + a, e - a))
        return 0;
    *auth_start = a;
    *auth_end = e;
    return 1;
}

/* The target's form, which must suit the method; -1 when it is malformed. */
static int target_form(const char *t, size_t n, int method)
{
    size_t as, ae;
    if (method == WEFT_H1_METHOD_CONNECT)
        return is_authority_form(t, n) ? WEFT_H1_FORM_AUTHORITY : -1;
    if (t[0] == '/')
        return WEFT_H1_FORM_ORIGIN;
    if (n == 1 && t[0] == '*')
        return method == WEFT_H1_METHOD_OPTIONS ? WEFT_H1_FORM_ASTERISK : -1;
    return is_absolute_form(t, n, &as, &ae) ? WEFT_H1_FORM_ABSOLUTE : -1;
}

/* Fill authority, path and query of a request whose target is known good. */
static void split_target(weft_h1_request *r)
{
    const char *t = r->target.ptr;
    size_t n = r->target.len, ps = 0, as = 0, ae = 0;
    r->authority = (weft_h1_slice){ NULL, 0 };
    r->path = (weft_h1_slice){ NULL, 0 };
    r->query = (weft_h1_slice){ NULL, 0 };
    switch (r->form) {
    case WEFT_H1_FORM_AUTHORITY:
        r->authority = r->target;
        return;
    case WEFT_H1_FORM_ASTERISK:
        r->path = r->target;
        return;
    case WEFT_H1_FORM_ABSOLUTE:
        is_absolute_form(t, n, &as, &ae);
        r->authority = (weft_h1_slice){ t + as, ae - as };
        ps = ae;
        break;
    }
    const char *q = memchr(t + ps, '?', n - ps);
    size_t pe = q ? (size_t)(q - t) : n;
    r->path = (weft_h1_slice){ t + ps, pe - ps };
    if (q)
        r->query = (weft_h1_slice){ q + 1, n - pe - 1 };
}

/* ------------------------------------------------------------ start lines */

/* Line parsers return the index after the line's LF (> 0), 0 when the bytes
 * end before it, or an error with *at the index of the offending byte (the
 * caller then looks for the line's LF), or NOPOS for an error that stands
 * whether or not the line is complete. */

static long request_line(weft_h1_parser *p, const char *b, size_t ls, size_t end, size_t *at)
{
    size_t sp, te, ts;
    int minor = 0, r = scan_method(b, ls, end, &sp);
    if (r == -EAGAIN)
        return 0;
    if (r < 0) {
        *at = NOPOS;
        return r;
    }
    ts = sp + 1;
    te = h1_skip_target(b, ts, end);
    if (te == end)
        return 0;
    if (b[te] != ' ' || te == ts) {
        *at = te;
        return WEFT_EHTTP_PARSE;
    }
    long v = scan_version(b, te + 1, end, &minor, at, WEFT_EHTTP_PARSE);
    if (v <= 0)
        return v;
    long next = scan_crlf(b, (size_t)v, end, at, WEFT_EHTTP_PARSE);
    if (next <= 0)
        return next;
    int mid = method_id(b + ls, sp - ls);
    int form = target_form(b + ts, te - ts, mid);
    if (form < 0) {
        *at = ts;
        return WEFT_EHTTP_PARSE;
    }
    p->_start_off = ls;
    p->_start_len = (size_t)next - 2 - ls;
    p->_f1 = sp - ls;
    p->_f2 = te - ls;
    p->_version = minor;
    p->_method = mid;
    p->_form = form;
    return next;
}

static long status_line(weft_h1_parser *p, const char *b, size_t ls, size_t end, size_t *at)
{
    int minor = 0, status = 0;
    long v = scan_version(b, ls, end, &minor, at, WEFT_EHTTP_BAD_STATUS);
    if (v <= 0)
        return v;
    size_t i = (size_t)v, rs, re;
    if (i >= end)
        return 0;
    if (b[i] != ' ') {
        *at = i;
        return WEFT_EHTTP_BAD_STATUS;
    }
    for (size_t k = 1; k <= 3; k++) {
        if (i + k >= end)
            return 0;
        char c = b[i + k];
        if (c < '0' || c > '9' || (k == 1 && c == '0')) {
            *at = i + k;
            return WEFT_EHTTP_BAD_STATUS;
        }
        status = status * 10 + (c - '0');
    }
    i += 4;
    if (i >= end)
        return 0;
    /* RFC 9112 wants "SP reason" even when the reason is empty; accepting a
     * status line that omits it costs nothing, since no framing hangs on it. */
    rs = re = i;
    if (b[i] == ' ') {
        rs = i + 1;
        re = h1_skip_value(b, rs, end);
        if (re == end)
            return 0;
    }
    long next = scan_crlf(b, re, end, at, WEFT_EHTTP_BAD_STATUS);
    if (next <= 0)
        return next;
    p->_start_off = ls;
    p->_start_len = (size_t)next - 2 - ls;
    p->_f1 = rs - ls;
    p->_f2 = re - ls;
    p->_version = minor;
    p->_status = status;
    return next;
}

/* ------------------------------------------------------------ framing fields */

/* A decimal Content-Length: 1 to 19 digits, nothing else. */
static int parse_length(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > CL_MAX_DIGITS)
        return WEFT_EHTTP_BAD_LENGTH;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return WEFT_EHTTP_BAD_LENGTH;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Next element of a comma-separated list in v[*i..n): its bounds without
 * surrounding spaces/tabs, possibly empty. Returns 0 at the end of v. */
static int list_next(const char *v, size_t n, size_t *i, size_t *es, size_t *ee)
{
    if (*i > n)
        return 0;
    size_t s = *i, e;
    while (s < n && (v[s] == ' ' || v[s] == '\t'))
        s++;
    e = s;
    while (e < n && v[e] != ',')
        e++;
    *i = e + 1;
    while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
        e--;
    *es = s;
    *ee = e;
    return 1;
}

static int content_length(weft_h1_parser *p, const char *v, size_t n, int is_req)
{
    uint64_t val;
    int r;
    if (is_req) {
        /* Requests: exactly one field with one number. A repeat, even an
         * identical one, is refused as nginx does: the one place two parsers
         * must never disagree is the body length. */
        if (p->_seen & SEEN_CL)
            return WEFT_EHTTP_BAD_LENGTH;
        if ((r = parse_length(v, n, &val)) < 0)
            return r;
    } else {
        /* Responses: RFC 9110 §8.6 lets a recipient accept a list or repeats
         * of one identical value; servers in the wild do send those. */
        size_t i = 0, es, ee;
        int first = !(p->_seen & SEEN_CL);
        val = p->_clen;
        while (list_next(v, n, &i, &es, &ee)) {
            uint64_t x;
            if ((r = parse_length(v + es, ee - es, &x)) < 0)
                return r;
            if (!first && x != val)
                return WEFT_EHTTP_BAD_LENGTH;
            val = x;
            first = 0;
        }
    }
    p->_clen = val;
    p->_seen |= SEEN_CL;
    return 0;
}

static int known_coding(const char *s, size_t n)
{
    static const char *const codings[] = { "gzip", "x-gzip", "deflate", "compress", "x-compress" };
    for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++)
        if (strlen(codings[i]) == n && name_is(s, codings[i], n))
            return 1;
    return 0;
}

/* Transfer-Encoding (RFC 9112 §6.1). Requests may carry only "chunked":
 * weft decodes no other transfer coding, and a proxy in front of it might
 * read "gzip, chunked" or "chunked, gzip" differently. Responses may stack
 * known codings before chunked; chunked must not repeat. */
static int transfer_encoding(weft_h1_parser *p, const char *v, size_t n, int is_req)
{
    size_t i = 0, es, ee;
    if (p->_version == 0)
        return WEFT_EHTTP_BAD_FRAMING; /* §6.1: TE in 1.0 means faulty framing */
    p->_seen |= SEEN_TE;
    while (list_next(v, n, &i, &es, &ee)) {
        if (ee == es || h1_skip_token(v, es, ee) != ee)
            return WEFT_EHTTP_BAD_FRAMING; /* empty element, parameters, junk */
        if (ee - es == 7 && name_is(v + es, "chunked", 7)) {
            if (p->_seen & SEEN_CHUNKED)
                return WEFT_EHTTP_BAD_FRAMING;
            p->_seen |= SEEN_CHUNKED | TE_LAST_CHUNKED;
            continue;
        }
        if (p->_seen & SEEN_CHUNKED && is_req)
            return WEFT_EHTTP_BAD_FRAMING; /* chunked not last: §6.3 says 400 */
        if (is_req || !known_coding(v + es, ee - es))
            return WEFT_EHTTP_BAD_TE;      /* not implemented: 501 */
        p->_seen &= ~(unsigned)TE_LAST_CHUNKED;
        p->_flags |= WEFT_H1_F_TE_CODED;
    }
    return 0;
}

static void connection(weft_h1_parser *p, const char *v, size_t n)
{
    size_t i = 0, es, ee;
    while (list_next(v, n, &i, &es, &ee)) {
        size_t l = ee - es;
        if (l == 5 && name_is(v + es, "close", 5))
            p->_seen |= CONN_CLOSE;
        else if (l == 10 && name_is(v + es, "keep-alive", 10))
            p->_seen |= CONN_KEEP_ALIVE;
        else if (l == 7 && name_is(v + es, "upgrade", 7))
            p->_seen |= CONN_UPGRADE;
    }
}

/* Note what a field means for framing and connection handling. */
static int framing_field(weft_h1_parser *p, const char *b, const weft_h1_header *h, int is_req)
{
    const char *n = h->name.ptr, *v = h->value.ptr;
    size_t vl = h->value.len;
    switch (h->name.len) {
    case 4:
        if (is_req && name_is(n, "host", 4)) {
            /* §3.2: one Host, or 400. Host bytes only: no spaces, no
             * userinfo, no path, so no two readings of it. */
            if (p->_seen & SEEN_HOST || !all_host_chars(v, vl))
                return WEFT_EHTTP_PARSE;
            p->_seen |= SEEN_HOST;
            p->_host_off = (size_t)(v - b);
            p->_host_len = vl;
        }
        break;
    case 6:
        if (is_req && name_is(n, "expect", 6)) {
            if (vl == 12 && name_is(v, "100-continue", 12)) {
                if (p->_version == 1) /* RFC 9110 §10.1.1: ignore it from 1.0 */
                    p->_flags |= WEFT_H1_F_EXPECT_CONTINUE;
            } else {
                p->_flags |= WEFT_H1_F_EXPECT_OTHER;
            }
        }
        break;
    case 7:
        if (name_is(n, "upgrade", 7))
            p->_seen |= SEEN_UPGRADE;
        break;
    case 10:
        if (name_is(n, "connection", 10))
            connection(p, v, vl);
        break;
    case 14:
        if (name_is(n, "content-length", 14))
            return content_length(p, v, vl, is_req);
        break;
    case 17:
        if (name_is(n, "transfer-encoding", 17))
            return transfer_encoding(p, v, vl, is_req);
        break;
    }
    return 0;
}

/* One field line at b[ls..), b[ls] not CR. */
static long field_line(weft_h1_parser *p, const char *b, size_t ls, size_t end, size_t *at,
                       weft_h1_header *hdrs, size_t max_hdrs, int is_req)
{
    /* A line starting with SP or HTAB (obs-fold), a space before the colon
     * or an empty name all stop the token scan on something but ':'. */
    size_t ne = h1_skip_token(b, ls, end);
    if (ne == end)
        return 0;
    if (ne == ls || b[ne] != ':') {
        *at = ne;
        return WEFT_EHTTP_PARSE;
    }
    size_t vs = ne + 1;
    while (vs < end && (b[vs] == ' ' || b[vs] == '\t'))
        vs++;
    size_t ve = h1_skip_value(b, vs, end);
    long next = scan_crlf(b, ve, end, at, WEFT_EHTTP_PARSE);
    if (next <= 0)
        return next;
    size_t vt = ve;
    while (vt > vs && (b[vt - 1] == ' ' || b[vt - 1] == '\t'))
        vt--;
    *at = ve;
    if (p->_nhdr >= max_hdrs)
        return WEFT_EHTTP_HEADERS_TOO_LARGE;
    weft_h1_header *h = &hdrs[p->_nhdr++];
    h->name = (weft_h1_slice){ b + ls, ne - ls };
    h->value = (weft_h1_slice){ b + vs, vt - vs };
    int r = framing_field(p, b, h, is_req);
    return r < 0 ? r : next;
}

/* ------------------------------------------------------------ the driver */

/* Where the scan of the line at ls must stop: the end of the data, or the
 * first byte that would put the line or the head over its limit. A line's
 * LF must sit below cap; for the start line that allows max_request_line
 * bytes plus CR LF. */
static size_t line_cap(const weft_h1_parser *p, size_t ls, size_t len)
{
    size_t cap = min_sz(len, p->lim.max_head);
    if (!p->_start_len)
        cap = min_sz(cap, ls + p->lim.max_request_line + 2);
    return cap;
}

/* The line at p->_line has no LF below cap: over a limit, or -EAGAIN. */
static int tail(weft_h1_parser *p, const char *b, size_t cap, int is_req)
{
    size_t ls = p->_line, sp;
    if (!p->_start_len) {
        /* A lone CR may start an empty line before the request line. */
        if (is_req && !(cap - ls == 1 && b[ls] == '\r') &&
            scan_method(b, ls, cap, &sp) == WEFT_EHTTP_BAD_METHOD)
            return WEFT_EHTTP_BAD_METHOD;
        if (cap - ls >= p->lim.max_request_line + 2)
            return is_req ? WEFT_EHTTP_URI_TOO_LONG : WEFT_EHTTP_HEADERS_TOO_LARGE;
    }
    if (cap >= p->lim.max_head)
        return WEFT_EHTTP_HEADERS_TOO_LARGE;
    p->_scanned = cap;
    return -EAGAIN;
}

/* Common end-of-head work: keep-alive from version and Connection. */
static unsigned keep_alive(const weft_h1_parser *p)
{
    if (p->_seen & CONN_CLOSE)
        return 0;
    if (p->_version == 1 || p->_seen & CONN_KEEP_ALIVE)
        return WEFT_H1_F_KEEP_ALIVE;
    return 0;
}

static int finish_request(weft_h1_parser *p, const char *b, size_t end, weft_h1_request *r,
                          weft_h1_header *hdrs)
{
    const char *s = b + p->_start_off;
    if (p->_version == 1 && !(p->_seen & SEEN_HOST))
        return WEFT_EHTTP_PARSE; /* RFC 9112 §3.2 */
    if ((p->_seen & (SEEN_TE | SEEN_CL)) == (SEEN_TE | SEEN_CL))
        return WEFT_EHTTP_BAD_FRAMING; /* §6.1: the classic smuggling pair */
    r->method = (weft_h1_slice){ s, p->_f1 };
    r->method_id = p->_method;
    r->target = (weft_h1_slice){ s + p->_f1 + 1, p->_f2 - p->_f1 - 1 };
    r->form = p->_form;
    split_target(r);
    r->version = p->_version;
    r->host = (p->_seen & SEEN_HOST) ? (weft_h1_slice){ b + p->_host_off, p->_host_len }
                                     : (weft_h1_slice){ NULL, 0 };
    r->headers = hdrs;
    r->nheaders = p->_nhdr;
    r->content_length = 0;
    if (p->_seen & SEEN_TE) {
        r->body = WEFT_H1_BODY_CHUNKED; /* the only coding a request may have */
    } else if (p->_seen & SEEN_CL) {
        r->body = WEFT_H1_BODY_LENGTH;
        r->content_length = p->_clen;
    } else {
        r->body = WEFT_H1_BODY_NONE;
    }
    r->flags = p->_flags | keep_alive(p);
    if ((p->_seen & (SEEN_UPGRADE | CONN_UPGRADE)) == (SEEN_UPGRADE | CONN_UPGRADE))
        r->flags |= WEFT_H1_F_UPGRADE;
    if (r->body == WEFT_H1_BODY_LENGTH && r->content_length > p->lim.max_body)
        return WEFT_EHTTP_BODY_TOO_LARGE;
    return (int)end;
}

static int finish_response(weft_h1_parser *p, const char *b, size_t end, int req_method,
                           weft_h1_response *r, weft_h1_header *hdrs)
{
    const char *s = b + p->_start_off;
    int st = p->_status;
    if ((p->_seen & (SEEN_TE | SEEN_CL)) == (SEEN_TE | SEEN_CL))
        return WEFT_EHTTP_BAD_FRAMING; /* §6.3 rule 3: "ought to be handled as an error" */
    r->version = p->_version;
    r->status = st;
    r->reason = (weft_h1_slice){ s + p->_f1, p->_f2 - p->_f1 };
    r->headers = hdrs;
    r->nheaders = p->_nhdr;
    r->content_length = 0;
    r->flags = p->_flags;
    /* RFC 9112 §6.3, in its order. */
    if (req_method == WEFT_H1_METHOD_HEAD || st < 200 || st == 204 || st == 304) {
        r->body = WEFT_H1_BODY_NONE;
        if (st == 101)
            r->flags |= WEFT_H1_F_UPGRADE;
    } else if (req_method == WEFT_H1_METHOD_CONNECT && st < 300) {
        r->body = WEFT_H1_BODY_NONE;
        r->flags |= WEFT_H1_F_TUNNEL;
    } else if (p->_seen & SEEN_TE) {
        r->body = (p->_seen & TE_LAST_CHUNKED) ? WEFT_H1_BODY_CHUNKED : WEFT_H1_BODY_CLOSE;
    } else if (p->_seen & SEEN_CL) {
        r->body = WEFT_H1_BODY_LENGTH;
        r->content_length = p->_clen;
    } else {
        r->body = WEFT_H1_BODY_CLOSE;
    }
    if (r->body != WEFT_H1_BODY_CLOSE)
        r->flags |= keep_alive(p);
    if (r->body == WEFT_H1_BODY_LENGTH && r->content_length > p->lim.max_body)
        return WEFT_EHTTP_BODY_TOO_LARGE;
    return (int)end;
}

struct out {
    int is_req;
    int req_method;
    weft_h1_request *req;
    weft_h1_response *resp;
};

static int parse_head(weft_h1_parser *p, const char *b, size_t len, const struct out *o,
                      weft_h1_header *hdrs, size_t max_hdrs)
{
    int is_req = o->is_req;
    /* Offsets saved by the previous call refer to that buffer and array. */
    if (p->_base != b || p->_hdrs != hdrs || len < p->_scanned) {
        weft_h1_parser_reset(p);
        p->_base = b;
        p->_hdrs = hdrs;
    }
    max_hdrs = min_sz(max_hdrs, p->lim.max_headers);

    size_t ls = p->_line, cap;
    if (p->_scanned > ls) {
        /* Mid-line: only the new bytes can hold its LF. */
        cap = line_cap(p, ls, len);
        if (!memchr(b + p->_scanned, '\n', cap - p->_scanned))
            return tail(p, b, cap, is_req);
    }
    for (;;) {
        size_t at = NOPOS;
        long next;
        cap = line_cap(p, ls, len);
        if (!p->_start_len) {
            if (is_req && ls + 1 < cap && b[ls] == '\r' && b[ls + 1] == '\n') {
                /* §2.2: ignore empty lines before the request line. */
                ls += 2;
                p->_line = p->_scanned = ls;
                continue;
            }
            if (is_req && ls + 1 == cap && b[ls] == '\r')
                next = 0; /* maybe an empty line: wait for its LF */
            else
                next = is_req ? request_line(p, b, ls, cap, &at) : status_line(p, b, ls, cap, &at);
        } else if (ls < cap && b[ls] == '\r') {
            if (ls + 1 >= cap) {
                next = 0;
            } else if (b[ls + 1] == '\n') {
                size_t end = ls + 2;
                int r = is_req ? finish_request(p, b, end, o->req, hdrs)
                               : finish_response(p, b, end, o->req_method, o->resp, hdrs);
                weft_h1_parser_reset(p);
                return r;
            } else {
                at = ls + 1; /* bare CR */
                next = WEFT_EHTTP_PARSE;
            }
        } else {
            next = field_line(p, b, ls, cap, &at, hdrs, max_hdrs, is_req);
        }
        if (next > 0) {
            ls = (size_t)next;
            p->_line = p->_scanned = ls;
            continue;
        }
        if (next < 0 && (at == NOPOS || memchr(b + at, '\n', cap - at))) {
            weft_h1_parser_reset(p);
            return (int)next;
        }
        /* Out of bytes, or a bad byte in a line whose end is not here yet. */
        int r = tail(p, b, cap, is_req);
        if (r != -EAGAIN)
            weft_h1_parser_reset(p);
        return r;
    }
}

int weft_h1_parse_request(weft_h1_parser *p, const char *buf, size_t len,
                          weft_h1_request *req, weft_h1_header *hdrs, size_t max_hdrs)
{
    struct out o = { .is_req = 1, .req = req };
    return parse_head(p, buf, len, &o, hdrs, max_hdrs);
}

int weft_h1_parse_response(weft_h1_parser *p, const char *buf, size_t len, int req_method,
                           weft_h1_response *resp, weft_h1_header *hdrs, size_t max_hdrs)
{
    struct out o = { .is_req = 0, .req_method = req_method, .resp = resp };
    return parse_head(p, buf, len, &o, hdrs, max_hdrs);
}
