/*
 * static_send.c - one file as an HTTP response: validators, preconditions,
 * Range, and the body through the response's sendfile (zero-copy on plain
 * sockets, read/write under TLS), so a file of any size costs no memory.
 *
 * The request headers that matter here are found in one pass over the
 * list. If-Match and If-None-Match are lists, so repeated fields are joined
 * (RFC 9110 §5.3); the others are single values, and a repeated one is
 * ignored as invalid, which for Range and If-Range means the whole file.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "server/static_int.h"
#include "weft/http.h"
#include "weft/http_server.h"

enum { H_IF_MATCH, H_IF_NONE_MATCH, H_IF_MODIFIED_SINCE, H_IF_UNMODIFIED_SINCE, H_IF_RANGE,
       H_RANGE, H_COUNT };

static const char *const hdr_names[H_COUNT] = {
    "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range",
};

struct req_hdrs {
    const char *v[H_COUNT]; /* NULL: absent (or a repeated single value) */
    unsigned n[H_COUNT];
    char *joined[H_COUNT];  /* owned when a list field was repeated */
    int err;
};

static void join(struct req_hdrs *h, int k, const char *value)
{
    size_t a = strlen(h->v[k]), b = strlen(value);
    char *j = malloc(a + 2 + b + 1);
    if (!j) {
        h->err = -ENOMEM;
        return;
    }
    memcpy(j, h->v[k], a);
    memcpy(j + a, ", ", 2);
    memcpy(j + a + 2, value, b + 1);
    free(h->joined[k]);
    h->joined[k] = j;
    h->v[k] = j;
}

static void collect(weft_web_request *req, struct req_hdrs *h)
{
    memset(h, 0, sizeof *h);
    size_t count = weft_web_request_header_count(req);
    for (size_t i = 0; i < count; i++) {
        const char *name, *value;
        size_t nlen;
        if (weft_web_request_header_at(req, i, &name, &nlen, &value, NULL) < 0)
            break;
        char c = name[0] | 0x20;
        if (c != 'i' && c != 'r')
            continue; /* the common case: none of ours */
        for (int k = 0; k < H_COUNT; k++) {
            if (nlen != strlen(hdr_names[k]) || strcasecmp(name, hdr_names[k]) != 0)
                continue;
            if (h->n[k]++ == 0)
                h->v[k] = value;
            else if (k == H_IF_MATCH || k == H_IF_NONE_MATCH)
                join(h, k, value);
            break;
        }
    }
    for (int k = H_IF_MODIFIED_SINCE; k < H_COUNT; k++)
        if (h->n[k] > 1)
            h->v[k] = NULL;
}

static void release(struct req_hdrs *h)
{
    for (int k = 0; k < H_COUNT; k++)
        free(h->joined[k]);
}

/* Set a header, remembering the first failure (the list refuses only what
 * could not be sent anyway). */
static void set(weft_web_response *resp, const char *name, const char *value, int *err)
{
    int rc = weft_web_response_set_header(resp, name, value);
    if (rc < 0 && *err == 0)
        *err = rc;
}

/* TCP_CORK from the head to the end of the body (nginx's tcp_nopush): the
 * head then leaves in the same segment as the file's first bytes instead of
 * a small packet of its own, which the client would have to wake up and
 * read on its own (measured: the 1 MiB benchmark goes from about 0.7x to
 * par with nginx). Plain TCP sockets only; a layered transport (TLS) has no
 * fd here. Returns the fd to uncork, or -1. */
static int cork(weft_web_request *req)
{
    int fd = weft_transport_fd(weft_web_request_transport(req));
    int one = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one) < 0)
        return -1;
    return fd;
}

/* Uncorking pushes out the last partial segment at once. */
static void uncork(int fd)
{
    int zero = 0;
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero);
}

static int send_ranges(const struct weft_web_static *st, weft_web_response *resp, int fd,
                       uint64_t size, const char *ctype, const struct weft__static_range *r,
                       int n)
{
    int err = 0;
    char buf[512];
    if (n == 1) {
        snprintf(buf, sizeof buf, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, r[0].first,
                 r[0].last, size);
        set(resp, "Content-Type", ctype, &err);
        set(resp, "Content-Range", buf, &err);
        uint64_t len = r[0].last - r[0].first + 1;
        if (err || (err = weft_web_response_set_status(resp, 206)) < 0 ||
            (err = weft_web_response_set_content_length(resp, len)) < 0)
            return err;
        return weft_web_response_sendfile(resp, fd, (off_t)r[0].first, (size_t)len);
    }
    (void)st;
    char boundary[25];
    weft__static_boundary(boundary);
    snprintf(buf, sizeof buf, "multipart/byteranges; boundary=%s", boundary);
    set(resp, "Content-Type", buf, &err);
    uint64_t total = weft__static_multipart_length(boundary, ctype, r, (size_t)n, size);
    if (err || (err = weft_web_response_set_status(resp, 206)) < 0 ||
        (err = weft_web_response_set_content_length(resp, total)) < 0)
        return err;
    size_t hcap = strlen(ctype) + 256;
    char *head = malloc(hcap);
    if (!head)
        return -ENOMEM;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        int hl = weft__static_part_head(head, hcap, boundary, ctype, &r[i], size, i == 0);
        if (hl < 0) {
            rc = hl;
            break;
        }
        rc = weft_web_response_write(resp, head, (size_t)hl);
        if (rc == 0)
            rc = weft_web_response_sendfile(resp, fd, (off_t)r[i].first,
                                             (size_t)(r[i].last - r[i].first + 1));
    }
    if (rc == 0) {
        int tl = weft__static_part_tail(head, hcap, boundary);
        rc = tl < 0 ? tl : weft_web_response_write(resp, head, (size_t)tl);
    }
    free(head);
    return rc;
}

int weft__static_send_file(const struct weft_web_static *st, weft_web_request *req,
                           weft_web_response *resp, int fd, const struct stat *sb,
                           const char *name)
{
    bool head = weft_web_request_method_id(req) == WEFT_H1_METHOD_HEAD;
    uint64_t size = (uint64_t)sb->st_size;
    char etag[WEFT__STATIC_ETAG_MAX], lm[WEFT_HTTP_DATE_LEN + 1];
    weft__static_etag(sb, etag);
    if (weft_http_date_format(sb->st_mtim.tv_sec, lm) < 0)
        lm[0] = '\0';

    struct req_hdrs h;
    collect(req, &h);
    int rc = h.err;
    if (rc < 0)
        goto out;
    struct weft__static_validators v = {
        .etag = etag,
        .mtime = sb->st_mtim.tv_sec,
        .now = time(NULL),
    };
    struct weft__static_cond_req q = {
        .if_match = h.v[H_IF_MATCH],
        .if_none_match = h.v[H_IF_NONE_MATCH],
        .if_modified_since = h.v[H_IF_MODIFIED_SINCE],
        .if_unmodified_since = h.v[H_IF_UNMODIFIED_SINCE],
        .get_or_head = true, /* the handler answers nothing else */
    };
    int cond = weft__static_cond_eval(&q, &v);
    if (cond == 412) {
        rc = 412;
        goto out;
    }

    int err = 0;
    set(resp, "ETag", etag, &err);
    if (lm[0])
        set(resp, "Last-Modified", lm, &err);
    if (st->cache_control)
        set(resp, "Cache-Control", st->cache_control, &err);
    if (err) {
        rc = err;
        goto out;
    }
    if (cond == 304) {
        /* No body, no Content-Type/Length: what a 200 would have said about
         * caching (ETag, Last-Modified, Cache-Control) is all it carries. */
        rc = weft_web_response_set_status(resp, 304);
        /* The server would frame an unprepared empty answer with
         * Content-Length: 0, which a 304 must not claim; the length of the
         * 200 is what RFC 9110 §8.6 allows. */
        if (rc == 0)
            rc = weft_web_response_set_content_length(resp, size);
        if (rc == 0)
            rc = weft_web_response_prepare(resp);
        goto out;
    }

    const char *ctype = weft__static_mime_lookup(st->mime, name, strlen(name));
    if (st->default_type && strcmp(ctype, "application/octet-stream") == 0)
        ctype = st->default_type;
    set(resp, "Accept-Ranges", "bytes", &err);

    /* Range applies to GET only (RFC 9110 §14.2), and only while If-Range,
     * if sent, still names this version of the file. */
    const char *range = h.v[H_RANGE];
    if (range && !head && h.n[H_IF_RANGE] > 0 &&
        (!h.v[H_IF_RANGE] || !weft__static_if_range(h.v[H_IF_RANGE], &v)))
        range = NULL;
    if (range && !head) {
        struct weft__static_range small[WEFT__STATIC_MAX_RANGES], *r = small;
        if (st->max_ranges > WEFT__STATIC_MAX_RANGES) {
            r = malloc(st->max_ranges * sizeof *r);
            if (!r) {
                rc = -ENOMEM;
                goto out;
            }
        }
        int n = weft__static_range_parse(range, strlen(range), size, st->max_ranges, r);
        if (n == -ERANGE) {
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
            set(resp, "Content-Range", cr, &err);
            rc = err ? err : 416;
        } else if (n > 0 && err) {
            rc = err;
        } else if (n > 0) {
            int cfd = cork(req);
            rc = send_ranges(st, resp, fd, size, ctype, r, n);
            uncork(cfd);
        }
        if (r != small)
            free(r);
        if (n != 0)
            goto out;
    }

    set(resp, "Content-Type", ctype, &err);
    if (err) {
        rc = err;
        goto out;
    }
    rc = weft_web_response_set_content_length(resp, size);
    if (rc == 0 && !head && size > 0) {
        int cfd = cork(req);
        rc = weft_web_response_sendfile(resp, fd, 0, (size_t)size);
        uncork(cfd);
    }
    else if (rc == 0)
        rc = weft_web_response_prepare(resp); /* the head, with the length, and no body */
out:
    release(&h);
    return rc;
}
