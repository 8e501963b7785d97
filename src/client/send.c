/*
 * send.c - a request on the wire: the head (request line, Host, the
 * session's default headers merged with the request's, auth, cookies,
 * framing) written into the session's scratch buffer and sent with the
 * first piece of the body in one write; then the body from memory, a form,
 * a multipart builder, a file or fd (sendfile(2) where the transport can) or
 * a callback, chunked when its length is unknown, with back-pressure
 * (drain) between pieces.
 *
 * A server may answer before the upload is over (413, 401): between pieces
 * we look for bytes from it and stop sending when some have come, as curl
 * does; the connection is then not reused, since the request was cut short.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weft/sock.h"
#include "client/client_int.h"

/* Bodies up to this size go out in the same write as the head. */
#define SMALL_BODY (64u * 1024)
/* Pieces of a large body between two drains. */
#define PIECE (256u * 1024)
/* Buffer for bodies read from a pipe or a callback. */
#define READ_CHUNK (16u * 1024)

/* ------------------------------------------------------------ constructors */

weft_http_body weft_http_body_memory(const void *data, size_t len)
{
    return (weft_http_body){.kind = WEFT_HTTP_BODY_MEMORY, .data = data, .len = len, .fd = -1};
}

weft_http_body weft_http_body_string(const char *s)
{
    return weft_http_body_memory(s, s ? strlen(s) : 0);
}

weft_http_body weft_http_body_file(const char *path)
{
    return (weft_http_body){.kind = WEFT_HTTP_BODY_FILE, .path = path, .fd = -1, .length = -1};
}

weft_http_body weft_http_body_fd(int fd, int64_t length)
{
    return (weft_http_body){.kind = WEFT_HTTP_BODY_FD, .fd = fd, .length = length};
}

weft_http_body weft_http_body_callback(weft_http_body_read_cb read,
                                       weft_http_body_rewind_cb rewind, void *ud,
                                       int64_t length)
{
    return (weft_http_body){.kind = WEFT_HTTP_BODY_CALLBACK, .read = read, .rewind = rewind,
                            .ud = ud, .length = length, .fd = -1};
}

weft_http_body weft_http_body_form(const weft_form *form)
{
    return (weft_http_body){.kind = WEFT_HTTP_BODY_FORM, .form = form, .fd = -1};
}

weft_http_body weft_http_body_multipart(const weft_multipart *m)
{
    return (weft_http_body){.kind = WEFT_HTTP_BODY_MULTIPART, .multipart = m, .fd = -1};
}

/* ------------------------------------------------------------ methods */

int weft__hc_method_id(const char *m)
{
    static const struct { const char *name; int id; } tab[] = {
        {"GET", WEFT_H1_METHOD_GET},         {"HEAD", WEFT_H1_METHOD_HEAD},
        {"POST", WEFT_H1_METHOD_POST},       {"PUT", WEFT_H1_METHOD_PUT},
        {"DELETE", WEFT_H1_METHOD_DELETE},   {"CONNECT", WEFT_H1_METHOD_CONNECT},
        {"OPTIONS", WEFT_H1_METHOD_OPTIONS}, {"TRACE", WEFT_H1_METHOD_TRACE},
        {"PATCH", WEFT_H1_METHOD_PATCH},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(m, tab[i].name) == 0)
            return tab[i].id;
    return WEFT_H1_METHOD_OTHER;
}

bool weft__hc_idempotent(int id)
{
    return id == WEFT_H1_METHOD_GET || id == WEFT_H1_METHOD_HEAD || id == WEFT_H1_METHOD_PUT ||
           id == WEFT_H1_METHOD_DELETE || id == WEFT_H1_METHOD_OPTIONS ||
           id == WEFT_H1_METHOD_TRACE;
}

/* ------------------------------------------------------------ rewinding */

static bool fd_is_regular(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

bool weft__hc_body_rewindable(const weft_http_body *b)
{
    if (!b)
        return true;
    switch (b->kind) {
    case WEFT_HTTP_BODY_FD:
        return fd_is_regular(b->fd); /* sent by offset: the fd's position never moves */
    case WEFT_HTTP_BODY_CALLBACK:
        return b->rewind != NULL;
    default:
        return true;
    }
}

int weft__hc_body_rewind(const weft_http_body *b)
{
    if (!b)
        return 0;
    if (b->kind == WEFT_HTTP_BODY_CALLBACK) {
        if (!b->rewind)
            return WEFT_EHTTP_REWIND;
        int r = b->rewind(b->ud);
        return r < 0 ? WEFT_EHTTP_REWIND : 0;
    }
    return weft__hc_body_rewindable(b) ? 0 : WEFT_EHTTP_REWIND;
}

/* ------------------------------------------------------------ the head */

struct head {
    weft_http_session *s;
    size_t len;
    int err;
};

static void put(struct head *h, const char *p, size_t n)
{
    if (h->err)
        return;
    char *b = weft__hc_session_wbuf(h->s, h->len + n + 1);
    if (!b) {
        h->err = -ENOMEM;
        return;
    }
    memcpy(b + h->len, p, n);
    h->len += n;
}

static void puts_(struct head *h, const char *s)
{
    put(h, s, strlen(s));
}

static void field(struct head *h, const char *name, const char *value)
{
    puts_(h, name);
    put(h, ": ", 2);
    puts_(h, value);
    put(h, "\r\n", 2);
}

static bool ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static bool is_content_field(const char *n)
{
    return strncasecmp(n, "content-", 8) == 0 || ieq(n, "transfer-encoding");
}

/* The framing fields weft writes itself, never the caller's copy. */
static bool is_framing_field(const char *n)
{
    return ieq(n, "content-length") || ieq(n, "transfer-encoding") || ieq(n, "expect") ||
           ieq(n, "connection") || ieq(n, "host");
}

static bool skip_field(const struct weft__hc_send *q, const char *n)
{
    if (q->strip_auth && (ieq(n, "authorization") || ieq(n, "cookie")))
        return true;
    if (q->strip_content && is_content_field(n))
        return true;
    return false;
}

/* The body's length (-1 unknown: chunked) and Content-Type, opening what
 * must be opened. */
struct body_plan {
    int64_t length;
    const char *ctype;
    char *form;      /* encoded form (malloc'd) */
    int fd;          /* file or fd to read from, -1 */
    bool own_fd;     /* opened by us */
    bool regular;
    off_t offset;
};

static int plan_body(const weft_http_body *b, struct body_plan *p, char *errbuf)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->length = 0;
    if (!b || b->kind == WEFT_HTTP_BODY_NONE)
        return 0;
    p->ctype = b->content_type;
    struct stat st;
    switch (b->kind) {
    case WEFT_HTTP_BODY_MEMORY:
        if (b->len && !b->data)
            return -EINVAL;
        p->length = (int64_t)b->len;
        return 0;
    case WEFT_HTTP_BODY_FORM: {
        if (!b->form)
            return -EINVAL;
        int n = weft_form_encode(b->form, &p->form);
        if (n < 0)
            return n;
        p->length = n;
        p->ctype = "application/x-www-form-urlencoded";
        return 0;
    }
    case WEFT_HTTP_BODY_MULTIPART:
        if (!b->multipart)
            return -EINVAL;
        p->length = (int64_t)weft_multipart_length(b->multipart);
        p->ctype = weft_multipart_content_type(b->multipart);
        return 0;
    case WEFT_HTTP_BODY_FILE:
        if (!b->path)
            return -EINVAL;
        p->fd = open(b->path, O_RDONLY | O_CLOEXEC);
        if (p->fd < 0) {
            int err = -errno;
            weft__hc_err(errbuf, "cannot open %s: %s", b->path, weft_strerror(err));
            return err;
        }
        p->own_fd = true;
        goto have_fd;
    case WEFT_HTTP_BODY_FD:
        if (b->fd < 0)
            return -EBADF;
        p->fd = b->fd;
    have_fd:
        if (fstat(p->fd, &st) < 0)
            return -errno;
        p->length = b->kind == WEFT_HTTP_BODY_FD ? b->length : -1;
        if (S_ISREG(st.st_mode)) {
            p->regular = true;
            off_t cur = b->kind == WEFT_HTTP_BODY_FD ? lseek(p->fd, 0, SEEK_CUR) : 0;
            if (cur < 0)
                cur = 0;
            p->offset = cur;
            int64_t left = st.st_size > cur ? (int64_t)(st.st_size - cur) : 0;
            if (p->length < 0 || p->length > left)
                p->length = p->length < 0 ? left : p->length;
        }
        return 0;
    case WEFT_HTTP_BODY_CALLBACK:
        if (!b->read)
            return -EINVAL;
        p->length = b->length < 0 ? -1 : b->length;
        return 0;
    default:
        return -EINVAL;
    }
}

static void plan_free(struct body_plan *p)
{
    free(p->form);
    if (p->own_fd && p->fd >= 0)
        close(p->fd);
}

static bool method_wants_length(int id)
{
    return id == WEFT_H1_METHOD_POST || id == WEFT_H1_METHOD_PUT || id == WEFT_H1_METHOD_PATCH;
}

static int build_head(weft_http_session *s, const struct weft__hc_send *q,
                      const struct body_plan *bp, bool has_body, struct head *h)
{
    h->s = s;
    h->len = 0;
    h->err = 0;
    const weft_http_headers *uh = q->headers;
    puts_(h, q->method);
    put(h, " ", 1);
    puts_(h, q->target);
    put(h, " HTTP/1.1\r\n", 11);
    const char *host = uh ? weft_http_headers_get(uh, "Host") : NULL;
    field(h, "Host", host ? host : weft_url_host_header(q->url));

    bool user_cookie = false;
    if (q->session_headers) {
        size_t n = weft_http_headers_count(s->headers);
        for (size_t i = 0; i < n; i++) {
            const char *name, *value;
            weft_http_headers_at(s->headers, i, &name, NULL, &value, NULL);
            if (is_framing_field(name) || skip_field(q, name))
                continue;
            if (q->accept_encoding == NULL && ieq(name, "accept-encoding"))
                continue;
            if (uh && weft_http_headers_get(uh, name))
                continue;
            field(h, name, value);
        }
    }
    size_t n = uh ? weft_http_headers_count(uh) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *name, *value;
        weft_http_headers_at(uh, i, &name, NULL, &value, NULL);
        if (is_framing_field(name) || skip_field(q, name))
            continue;
        if (q->cookie && !user_cookie && ieq(name, "cookie")) {
            /* The caller's cookies and the jar's in one field (RFC 6265 §5.4). */
            puts_(h, name);
            put(h, ": ", 2);
            puts_(h, value);
            put(h, "; ", 2);
            puts_(h, q->cookie);
            put(h, "\r\n", 2);
            user_cookie = true;
            continue;
        }
        field(h, name, value);
    }
    bool have_auth = uh && !q->strip_auth && weft_http_headers_get(uh, "Authorization");
    if (q->authorization && !have_auth)
        field(h, "Authorization", q->authorization);
    if (q->proxy_authorization && !(uh && weft_http_headers_get(uh, "Proxy-Authorization")))
        field(h, "Proxy-Authorization", q->proxy_authorization);
    if (q->cookie && !user_cookie)
        field(h, "Cookie", q->cookie);
    if (has_body) {
        if (bp->ctype && !(uh && !q->strip_content && weft_http_headers_get(uh, "Content-Type")))
            field(h, "Content-Type", bp->ctype);
        if (bp->length >= 0) {
            char num[24];
            snprintf(num, sizeof num, "%lld", (long long)bp->length);
            field(h, "Content-Length", num);
        } else {
            field(h, "Transfer-Encoding", "chunked");
        }
        if (q->expect100)
            field(h, "Expect", "100-continue");
    } else if (method_wants_length(q->method_id)) {
        field(h, "Content-Length", "0");
    }
    if (q->close)
        field(h, "Connection", "close");
    put(h, "\r\n", 2);
    return h->err;
}

/* ------------------------------------------------------------ the body */

/* The server has begun to answer while we upload. */
static bool answered(const struct weft__hc_conn *c)
{
    return weft__hc_conn_pending(c) > 0 || weft_stream_at_eof(c->st);
}

static int write_drain(weft_stream *st, const void *p, size_t n)
{
    int rc = weft_stream_write(st, p, n);
    if (rc == 0)
        rc = weft_stream_drain(st);
    return rc;
}

/* Send n bytes of memory in pieces, watching for an early answer. */
static int send_memory(struct weft__hc_conn *c, const char *p, size_t n, bool *early)
{
    while (n) {
        if (answered(c)) {
            *early = true;
            return 0;
        }
        size_t k = n < PIECE ? n : PIECE;
        int rc = write_drain(c->st, p, k);
        if (rc < 0)
            return rc;
        p += k;
        n -= k;
    }
    return 0;
}

/* Bytes produced by a pipe, an fd or a callback. */
static int read_source(const weft_http_body *b, int fd, char *buf, size_t cap)
{
    if (b->kind == WEFT_HTTP_BODY_CALLBACK)
        return b->read(buf, cap, b->ud);
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r >= 0)
            return (int)r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        int w = weft_fd_wait(fd, WEFT_READABLE); /* a non-blocking pipe */
        if (w < 0)
            return w;
    }
}

static int send_stream(struct weft__hc_conn *c, const weft_http_body *b,
                       const struct body_plan *bp, bool *early, uint64_t *sent, char *errbuf)
{
    char *buf = malloc(READ_CHUNK + WEFT_H1_CHUNK_HEADER_MAX + 2);
    if (!buf)
        return -ENOMEM;
    char *data = buf + WEFT_H1_CHUNK_HEADER_MAX;
    bool chunked = bp->length < 0;
    int64_t left = bp->length;
    int rc = 0;
    for (;;) {
        if (answered(c)) {
            *early = true;
            break;
        }
        size_t want = READ_CHUNK;
        if (!chunked && (int64_t)want > left)
            want = (size_t)left;
        int n = want ? read_source(b, bp->fd, data, want) : 0;
        if (n < 0) {
            rc = n;
            weft__hc_err(errbuf, "reading the request body failed: %s", weft_strerror(n));
            break;
        }
        if (n == 0) {
            if (!chunked && left > 0) {
                rc = -EIO;
                weft__hc_err(errbuf, "the request body ended %lld bytes short of its length",
                             (long long)left);
                break;
            }
            if (chunked)
                rc = write_drain(c->st, WEFT_H1_CHUNK_LAST, 5);
            break;
        }
        *sent += (uint64_t)n;
        if (chunked) {
            char hdr[WEFT_H1_CHUNK_HEADER_MAX];
            size_t hl = weft_h1_chunk_header(hdr, (uint64_t)n);
            memcpy(data - hl, hdr, hl);
            memcpy(data + n, "\r\n", 2);
            rc = write_drain(c->st, data - hl, hl + (size_t)n + 2);
        } else {
            left -= n;
            rc = write_drain(c->st, data, (size_t)n);
        }
        if (rc < 0)
            break;
    }
    free(buf);
    return rc;
}

static int send_body(struct weft__hc_conn *c, const weft_http_body *b,
                     const struct body_plan *bp, bool *early, uint64_t *sent, char *errbuf)
{
    int rc = 0;
    switch (b->kind) {
    case WEFT_HTTP_BODY_MEMORY:
        *sent = b->len;
        return send_memory(c, b->data, b->len, early);
    case WEFT_HTTP_BODY_FORM:
        *sent = (uint64_t)bp->length;
        return send_memory(c, bp->form, (size_t)bp->length, early);
    case WEFT_HTTP_BODY_MULTIPART: {
        int niov = weft_multipart_iov(b->multipart, NULL, 0);
        struct iovec *iov = malloc((size_t)(niov > 0 ? niov : 1) * sizeof *iov);
        if (!iov)
            return -ENOMEM;
        weft_multipart_iov(b->multipart, iov, niov);
        for (int i = 0; i < niov && rc == 0 && !*early; i++)
            rc = send_memory(c, iov[i].iov_base, iov[i].iov_len, early);
        free(iov);
        *sent = (uint64_t)bp->length;
        return rc;
    }
    case WEFT_HTTP_BODY_FILE:
    case WEFT_HTTP_BODY_FD:
        if (bp->regular && bp->length >= 0) {
            off_t off = bp->offset;
            uint64_t left = (uint64_t)bp->length;
            while (left) {
                if (answered(c)) {
                    *early = true;
                    return 0;
                }
                size_t k = left < (4u << 20) ? (size_t)left : (4u << 20);
                int64_t n = weft_stream_sendfile(c->st, bp->fd, off, k);
                if (n < 0)
                    return (int)n;
                if ((size_t)n < k) {
                    weft__hc_err(errbuf, "the request body file shrank while being sent");
                    return -EIO;
                }
                off += n;
                left -= (uint64_t)n;
                *sent += (uint64_t)n;
            }
            return 0;
        }
        return send_stream(c, b, bp, early, sent, errbuf);
    case WEFT_HTTP_BODY_CALLBACK:
        return send_stream(c, b, bp, early, sent, errbuf);
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ 100-continue */

/* Wait up to a second for the server's word on our Expect: 100-continue.
 * Returns 0 to send the body (a 100 came, and was consumed, or nothing did),
 * 1 when a final answer came instead, or an error. */
static int await_continue(struct weft__hc_conn *c)
{
    weft_h1_parser p;
    weft_h1_parser_init(&p, NULL);
    weft_h1_header hdrs[WEFT_H1_DEFAULT_MAX_HEADERS];
    weft_h1_response h1;
    int scope = weft_timeout_push(WEFT_SEC(1));
    if (scope < 0)
        return scope;
    int rc;
    for (;;) {
        if (c->rlen > c->rpos) {
            int n = weft_h1_parse_response(&p, c->buf + c->rpos, c->rlen - c->rpos,
                                           WEFT_H1_METHOD_OTHER, &h1, hdrs,
                                           WEFT_H1_DEFAULT_MAX_HEADERS);
            if (n > 0) {
                if (h1.status == 100) {
                    c->rpos += (size_t)n;
                    rc = 0;
                } else {
                    rc = h1.status < 200 ? 0 : 1; /* other 1xx: read_head skips them */
                }
                break;
            }
            if (n != -EAGAIN) {
                rc = 1; /* read_head reports it */
                break;
            }
        }
        rc = weft__hc_conn_fill(c);
        if (rc <= 0) {
            rc = rc == 0 ? 1 : rc;
            break;
        }
    }
    bool expired = weft_timeout_pop(scope);
    if (expired && rc == -ETIMEDOUT)
        rc = 0; /* no word in a second: send anyway (RFC 9110 §10.1.1) */
    return rc;
}

/* ------------------------------------------------------------ sending */

int weft__hc_send_request(weft_http_session *s, struct weft__hc_conn *c,
                          const struct weft__hc_send *q, struct weft__hc_trace *tc, bool *early)
{
    *early = false;
    if (!c->st || weft_stream_is_closing(c->st))
        return WEFT_ECLOSED;
    const weft_http_body *b = q->body && q->body->kind != WEFT_HTTP_BODY_NONE ? q->body : NULL;
    struct body_plan bp;
    int rc = plan_body(b, &bp, NULL);
    if (rc < 0)
        return rc;
    struct head h;
    rc = build_head(s, q, &bp, b != NULL, &h);
    if (rc < 0)
        goto out;
    c->nreq++;
    c->got_byte = false;

    /* A small body rides in the head's write. */
    size_t inline_len = 0;
    const char *inline_ptr = NULL;
    if (b && !q->expect100) {
        if (b->kind == WEFT_HTTP_BODY_MEMORY && b->len <= SMALL_BODY) {
            inline_ptr = b->data;
            inline_len = b->len;
        } else if (b->kind == WEFT_HTTP_BODY_FORM && bp.length <= (int64_t)SMALL_BODY) {
            inline_ptr = bp.form;
            inline_len = (size_t)bp.length;
        }
    }
    if (inline_len) {
        struct iovec iov[2] = {{s->wbuf, h.len}, {(void *)inline_ptr, inline_len}};
        rc = weft_stream_writev(c->st, iov, 2);
    } else {
        rc = weft_stream_write(c->st, s->wbuf, h.len);
    }
    if (rc < 0)
        goto out;
    if (tc->on) {
        weft_http_trace ev = {.event = WEFT_HTTP_TRACE_REQUEST_SENT, .head = s->wbuf,
                              .head_len = h.len};
        if (!b)
            weft__hc_trace_emit(tc, &ev);
    }
    uint64_t sent = 0;
    if (b) {
        if (q->expect100) {
            rc = await_continue(c);
            if (rc < 0)
                goto out;
            if (rc == 1) {
                *early = true;
                rc = 0;
                goto out;
            }
        }
        if (b->kind == WEFT_HTTP_BODY_MEMORY && inline_len == b->len && inline_ptr) {
            sent = b->len;
        } else if (b->kind == WEFT_HTTP_BODY_FORM && inline_ptr) {
            sent = inline_len;
        } else {
            rc = send_body(c, b, &bp, early, &sent, NULL);
            if (rc < 0)
                goto out;
        }
        if (tc->on) {
            /* The head is gone from the scratch buffer once a body streamed;
             * rebuild it for the hook (only when someone listens). */
            struct head h2;
            if (build_head(s, q, &bp, true, &h2) == 0) {
                weft_http_trace ev = {.event = WEFT_HTTP_TRACE_REQUEST_SENT, .head = s->wbuf,
                                      .head_len = h2.len, .count = sent};
                weft__hc_trace_emit(tc, &ev);
            }
        }
    }
    if (!*early)
        rc = weft_stream_drain(c->st);
out:
    plan_free(&bp);
    if (*early)
        c->dead = true; /* the request was cut short: the connection cannot be reused */
    return rc;
}
