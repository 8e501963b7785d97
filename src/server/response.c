/*
 * response.c - what a handler sends: the head (status line, headers,
 * framing), the body (whole, streamed, from a file) and the end.
 *
 * Bytes go into the exchange's cork (x->out) while one of our callbacks
 * runs the handler (x->in_run): the connection writes the cork once per
 * batch. Otherwise they are written at once. Big bodies are not copied
 * into the cork: they go out with the cork in one writev, and the transport
 * copies only what the kernel did not take.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server_int.h"

#define SENDFILE_COPY_CHUNK (64u * 1024u)

void weft__response_reset(struct hx *x)
{
    weft_web_response *r = &x->resp;
    if (r->filter && r->filter->done)
        r->filter->done(r, r->filter_ud);
    weft_http_headers *h = r->headers;
    if (h)
        weft_http_headers_clear(h);
    memset(r, 0, sizeof *r);
    r->headers = h;
    r->status = 200;
    r->keep_alive = true;
}

/* ------------------------------------------------------------ the cork */

static int out_reserve(struct hx *x, size_t n)
{
    if (x->out_cap - x->out_len >= n)
        return 0;
    size_t cap = x->out_cap ? x->out_cap : 4096;
    while (cap - x->out_len < n)
        cap *= 2;
    char *nb = realloc(x->out, cap);
    if (!nb)
        return -ENOMEM;
    x->out = nb;
    x->out_cap = cap;
    return 0;
}

static int out_put(struct hx *x, const void *p, size_t n)
{
    int err = out_reserve(x, n);
    if (err)
        return err;
    memcpy(x->out + x->out_len, p, n);
    x->out_len += n;
    return 0;
}

static int conn_err(const struct conn *c)
{
    return (c->flags & CF_LOST) || !c->t ? WEFT_ECLOSED : 0;
}

int weft__hx_flush(struct hx *x)
{
    if (!x->out_len)
        return 0;
    struct conn *c = x->c;
    size_t n = x->out_len;
    x->out_len = 0;
    int err = conn_err(c);
    if (err)
        return err;
    return weft_transport_write(c->t, x->out, n);
}

/* Body bytes (or any bytes after the head): into the cork, or straight out
 * together with it. */
static int put_bytes(struct hx *x, const void *p, size_t n)
{
    if (n <= WEFT__HTTP_COPY_MAX && (x->in_run || x->out_len + n <= WEFT__HTTP_COPY_MAX))
        return out_put(x, p, n);
    struct conn *c = x->c;
    int err = conn_err(c);
    if (err) {
        x->out_len = 0;
        return err;
    }
    struct iovec iov[2] = {{x->out, x->out_len}, {(void *)p, n}};
    err = weft_transport_writev(c->t, x->out_len ? iov : iov + 1, x->out_len ? 2 : 1);
    x->out_len = 0;
    return err;
}

/* After a write: out now unless our callback sends the batch, then wait if
 * the client is behind. */
static int after_write(struct hx *x)
{
    int err = 0;
    if (!x->in_run || x->out_len > WEFT__HTTP_CORK_MAX)
        err = weft__hx_flush(x);
    if (err)
        return err;
    if (x->c->flags & CF_PAUSED_W)
        return weft_web_response_drain(&x->resp);
    return 0;
}

/* ------------------------------------------------------------- the head */

size_t weft__u64_dec(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static bool ieq(const char *a, size_t alen, const char *lit)
{
    size_t n = strlen(lit);
    if (alen != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((a[i] | 0x20) != lit[i])
            return false;
    return true;
}

static int parse_clen(const char *v, size_t n, uint64_t *out)
{
    if (!n || n > 19)
        return -EINVAL;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -EINVAL;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

static int run_prepare_hooks(struct hx *x)
{
    weft_web_app *app = x->c->srv->app;
    for (size_t i = app->nmw; i-- > 0;) {
        const weft_web_middleware *mw = app->mw[i].mw;
        if (!mw->prepare)
            continue;
        int r = mw->prepare(&x->req, &x->resp, app->mw[i].ud);
        if (r < 0)
            return r;
    }
    return 0;
}

/* "HTTP/1.1 200 OK\r\nServer: weft\r\nDate: ...\r\n": the start of almost every
 * head, rebuilt per thread when the date (a new second) or the Server value
 * changes, so a response's first 70 bytes are one memcpy. */
struct head_prefix {
    unsigned date_gen;
    const char *server;
    size_t len;
    char buf[256];
};
static __thread struct head_prefix prefix200;

static size_t put_status_line(char *o, int st, const char *reason)
{
    size_t rl = strlen(reason);
    memcpy(o, "HTTP/1.1 ", 9);
    o[9] = (char)('0' + st / 100);
    o[10] = (char)('0' + st / 10 % 10);
    o[11] = (char)('0' + st % 10);
    o[12] = ' ';
    memcpy(o + 13, reason, rl);
    o[13 + rl] = '\r';
    o[14 + rl] = '\n';
    return 15 + rl;
}

static size_t put_date(char *o, const char *date)
{
    memcpy(o, "Date: ", 6);
    memcpy(o + 6, date, WEFT_HTTP_DATE_LEN);
    o[6 + WEFT_HTTP_DATE_LEN] = '\r';
    o[7 + WEFT_HTTP_DATE_LEN] = '\n';
    return 8 + WEFT_HTTP_DATE_LEN;
}

/* Status line, then Server and Date unless the handler set its own. */
static size_t put_prefix(char *o, const weft_web_app *app, int st, const char *reason,
                         bool server, bool date)
{
    unsigned gen;
    const char *d = weft__http_date_now_gen(&gen);
    if (st == 200 && !reason && server && date && app->server_header_len < 128) {
        struct head_prefix *hp = &prefix200;
        if (hp->date_gen != gen || hp->server != app->server_header || !hp->len) {
            size_t n = put_status_line(hp->buf, 200, "OK");
            if (app->server_header) {
                memcpy(hp->buf + n, app->server_header, app->server_header_len);
                n += app->server_header_len;
            }
            n += put_date(hp->buf + n, d);
            hp->len = n;
            hp->date_gen = gen;
            hp->server = app->server_header;
        }
        memcpy(o, hp->buf, hp->len);
        return hp->len;
    }
    size_t n = put_status_line(o, st, reason ? reason : weft_http_reason(st));
    if (server && app->server_header) {
        memcpy(o + n, app->server_header, app->server_header_len);
        n += app->server_header_len;
    }
    if (date)
        n += put_date(o + n, d);
    return n;
}

/* Build the head into the cork. */
static int emit_head(struct hx *x)
{
    weft_web_response *resp = &x->resp;
    weft_web_request *req = &x->req;
    struct conn *c = x->c;
    weft_web_server *srv = c->srv;
    weft_web_app *app = srv->app;
    resp->state = RS_PREPARING;
    if (app->has_prepare && !resp->no_hooks) {
        int r = run_prepare_hooks(x);
        if (r < 0) {
            resp->state = RS_NEW;
            return r;
        }
    }
    int st = resp->status;
    const char *reason = resp->reason;
    size_t nh = weft_http_headers_count(resp->headers);
    size_t need = 9 + 4 + (reason ? strlen(reason) : 40) + 2 + app->server_header_len + 8 +
                  WEFT_HTTP_DATE_LEN + 2 + 40 + 26 + 2;
    if (nh)
        need += weft_http_headers_wire_len(resp->headers);
    int err = out_reserve(x, need);
    if (err) {
        resp->state = RS_NEW;
        return err;
    }
    size_t start = x->out_len;
    bool server = true, date = true;
again:;
    char *o = x->out + start;
    o += put_prefix(o, app, st, reason, server, date);
    /* The handler's fields, in its order, noting what concerns framing. */
    for (size_t i = 0; i < nh; i++) {
        const char *n, *v;
        size_t nl, vl;
        weft_http_headers_at(resp->headers, i, &n, &nl, &v, &vl);
        switch (n[0] | 0x20) {
        case 'c':
            if (ieq(n, nl, "content-length")) {
                if (!resp->has_clen) {
                    if (parse_clen(v, vl, &resp->clen) != 0) {
                        resp->state = RS_NEW;
                        return -EINVAL;
                    }
                    resp->has_clen = true;
                }
                continue; /* framing is ours */
            }
            if (ieq(n, nl, "connection")) {
                weft_h1_slice sl = {v, vl};
                if (weft_h1_list_has(sl, "close"))
                    resp->keep_alive = false;
                continue;
            }
            break;
        case 't':
            if (ieq(n, nl, "transfer-encoding"))
                continue;
            break;
        case 'd':
            if (date && ieq(n, nl, "date")) {
                date = false; /* theirs, not ours: start over without */
                goto again;
            }
            break;
        case 's':
            if (server && ieq(n, nl, "server")) {
                server = false;
                goto again;
            }
            break;
        }
        memcpy(o, n, nl);
        o += nl;
        *o++ = ':';
        *o++ = ' ';
        memcpy(o, v, vl);
        o += vl;
        *o++ = '\r';
        *o++ = '\n';
    }
    if (resp->filter)
        resp->has_clen = false; /* the filter decides the length */
    if (st < 200 || st == 204 || st == 304)
        resp->no_body = true;
    if (st < 200 || st == 204)
        resp->framing = RF_NONE;
    else if (resp->has_clen)
        resp->framing = RF_LENGTH;
    else if (resp->no_body)
        resp->framing = RF_NONE; /* HEAD or 304 of unknown length: say nothing of it */
    else if (req->h.version >= 1)
        resp->framing = RF_CHUNKED;
    else
        resp->framing = RF_CLOSE;

    bool close = !resp->keep_alive || !(req->h.flags & WEFT_H1_F_KEEP_ALIVE) ||
                 srv->draining || (c->flags & (CF_CLOSING | CF_EOF | CF_LOST)) ||
                 c->nreq >= srv->o.max_keepalive_requests || resp->framing == RF_CLOSE ||
                 req->body_err ||
                 (!req->body_done && (req->h.flags & WEFT_H1_F_EXPECT_CONTINUE) &&
                  !req->continue_sent);
    resp->close_after = close;

    if (resp->framing == RF_LENGTH) {
        memcpy(o, "Content-Length: ", 16);
        o += 16;
        o += weft__u64_dec(o, resp->clen);
        *o++ = '\r';
        *o++ = '\n';
    } else if (resp->framing == RF_CHUNKED) {
        memcpy(o, "Transfer-Encoding: chunked\r\n", 28);
        o += 28;
    }
    if (close) {
        memcpy(o, "Connection: close\r\n", 19);
        o += 19;
    } else if (req->h.version == 0) {
        memcpy(o, "Connection: keep-alive\r\n", 24);
        o += 24;
    }
    *o++ = '\r';
    *o++ = '\n';
    x->out_len = (size_t)(o - x->out);
    resp->state = RS_PREPARED;
    return 0;
}

/* ----------------------------------------------------------- public: head */

int weft_web_response_set_status(weft_web_response *resp, int status)
{
    if (resp->state != RS_NEW && resp->state != RS_PREPARING)
        return -EBUSY;
    if (status < 200 || status > 599)
        return -EINVAL;
    resp->status = status;
    return 0;
}

int weft_web_response_status(const weft_web_response *resp)
{
    return resp->status;
}

int weft_web_response_set_reason(weft_web_response *resp, const char *reason)
{
    if (resp->state != RS_NEW && resp->state != RS_PREPARING)
        return -EBUSY;
    if (!reason) {
        resp->reason = NULL;
        return 0;
    }
    size_t n = strlen(reason);
    if (!weft_http_value_valid(reason, n))
        return -EINVAL;
    char *d = weft__hx_strdup(HX_OF_RESP(resp), reason, n);
    if (!d)
        return -ENOMEM;
    resp->reason = d;
    return 0;
}

int weft_web_response_set_header(weft_web_response *resp, const char *name, const char *value)
{
    if (resp->state != RS_NEW && resp->state != RS_PREPARING)
        return -EBUSY;
    return weft_http_headers_set(resp->headers, name, value);
}

int weft_web_response_add_header(weft_web_response *resp, const char *name, const char *value)
{
    if (resp->state != RS_NEW && resp->state != RS_PREPARING)
        return -EBUSY;
    return weft_http_headers_add(resp->headers, name, value);
}

weft_http_headers *weft_web_response_headers(weft_web_response *resp)
{
    return resp->headers;
}

int weft_web_response_set_content_length(weft_web_response *resp, uint64_t len)
{
    if (resp->state != RS_NEW && resp->state != RS_PREPARING)
        return -EBUSY;
    resp->clen = len;
    resp->has_clen = true;
    return 0;
}

int weft_web_response_set_keep_alive(weft_web_response *resp, bool keep)
{
    resp->keep_alive = keep;
    if (!keep && resp->state >= RS_PREPARED)
        resp->close_after = true; /* too late for the header, not for the close */
    return 0;
}

int weft_web_response_prepare(weft_web_response *resp)
{
    if (resp->state != RS_NEW)
        return -EBUSY;
    struct hx *x = HX_OF_RESP(resp);
    int err = emit_head(x);
    if (err)
        return err;
    if (!x->in_run)
        return weft__hx_flush(x);
    return 0;
}

bool weft_web_response_prepared(const weft_web_response *resp)
{
    return resp->state >= RS_PREPARED;
}

bool weft_web_response_finished(const weft_web_response *resp)
{
    return resp->state == RS_DONE;
}

uint64_t weft_web_response_body_bytes(const weft_web_response *resp)
{
    return resp->sent;
}

/* ----------------------------------------------------------- public: body */

static int body_write(struct hx *x, const void *data, size_t len, bool last);

int weft_web_response_send(weft_web_response *resp, const void *body, size_t len)
{
    if (!weft__current_task)
        return -EPERM;
    if (resp->state != RS_NEW)
        return -EBUSY;
    if (len && !body)
        return -EINVAL;
    struct hx *x = HX_OF_RESP(resp);
    resp->clen = len;
    resp->has_clen = true;
    int err = emit_head(x);
    if (err)
        return err;
    if (resp->filter) {
        /* A filter changes the length: streamed, then ended. */
        if (!resp->no_body) {
            resp->filter_ended = true;
            err = body_write(x, body, len, true);
        }
        if (err)
            return err;
        return weft_web_response_write_eof(resp);
    }
    resp->state = RS_DONE;
    if (!resp->no_body && len) {
        err = put_bytes(x, body, len);
        if (err)
            return err;
        resp->sent = len;
    }
    return after_write(x);
}

int weft_web_response_send_text(weft_web_response *resp, const char *content_type,
                                 const char *text)
{
    if (content_type) {
        int err = weft_web_response_set_header(resp, "Content-Type", content_type);
        if (err)
            return err;
    }
    return weft_web_response_send(resp, text, text ? strlen(text) : 0);
}

/* "404 Not Found\n": the body of error pages. */
#define STATUS_TEXT_MAX 72
static size_t status_text(int status, char *out)
{
    const char *reason = weft_http_reason(status);
    size_t rl = strlen(reason);
    if (rl > STATUS_TEXT_MAX - 5)
        rl = STATUS_TEXT_MAX - 5;
    out[0] = (char)('0' + status / 100);
    out[1] = (char)('0' + status / 10 % 10);
    out[2] = (char)('0' + status % 10);
    size_t n = 3;
    if (rl) {
        out[n++] = ' ';
        memcpy(out + n, reason, rl);
        n += rl;
    }
    out[n++] = '\n';
    return n;
}

int weft_web_response_send_error(weft_web_response *resp, int status)
{
    int err = weft_web_response_set_status(resp, status);
    if (err)
        return err;
    char body[STATUS_TEXT_MAX];
    size_t n = status_text(status, body);
    weft_http_headers_remove(resp->headers, "Content-Length");
    err = weft_web_response_set_header(resp, "Content-Type", "text/plain; charset=utf-8");
    if (err)
        return err;
    return weft_web_response_send(resp, body, n);
}

static int begin_body(struct hx *x)
{
    weft_web_response *resp = &x->resp;
    if (resp->state == RS_DONE)
        return -EBUSY;
    if (resp->state == RS_NEW)
        return emit_head(x);
    return 0;
}

/* Body bytes as they go on the wire: framed (a chunk), counted, checked
 * against the declared length. */
static int raw_body(struct hx *x, const void *data, size_t len)
{
    weft_web_response *resp = &x->resp;
    if (!len)
        return 0;
    if (resp->framing == RF_LENGTH && resp->sent + len > resp->clen)
        return -EINVAL;
    int err;
    if (resp->framing == RF_CHUNKED) {
        char hdr[WEFT_H1_CHUNK_HEADER_MAX];
        size_t hl = weft_h1_chunk_header(hdr, len);
        err = out_put(x, hdr, hl);
        if (!err)
            err = put_bytes(x, data, len);
        if (!err)
            err = out_put(x, "\r\n", 2);
    } else {
        err = put_bytes(x, data, len);
    }
    if (err)
        return err;
    resp->sent += len;
    return 0;
}

/* Body bytes from the handler: through the body filter when one is set. */
static int body_write(struct hx *x, const void *data, size_t len, bool last)
{
    weft_web_response *resp = &x->resp;
    if (resp->filter && !resp->in_filter) {
        resp->in_filter = true;
        int err = resp->filter->write(resp, data, len, last, resp->filter_ud);
        resp->in_filter = false;
        return err;
    }
    return raw_body(x, data, len);
}

int weft_web_response_filter_emit(weft_web_response *resp, const void *data, size_t len)
{
    if (!resp->in_filter)
        return -EINVAL; /* only from the filter's write */
    struct hx *x = HX_OF_RESP(resp);
    if (len && !data)
        return -EINVAL;
    int err = raw_body(x, data, len);
    if (err)
        return err;
    if (!x->in_run || x->out_len > WEFT__HTTP_CORK_MAX)
        err = weft__hx_flush(x);
    if (!err && (x->c->flags & CF_PAUSED_W))
        err = weft_web_response_drain(resp);
    return err;
}

int weft_web_response_set_body_filter(weft_web_response *resp, const weft_web_body_filter *f,
                                       void *ud)
{
    if (resp->state != RS_NEW && resp->state != RS_PREPARING)
        return -EBUSY;
    if (!f || !f->write || resp->filter)
        return -EINVAL;
    resp->filter = f;
    resp->filter_ud = ud;
    return 0;
}

int weft_web_response_write(weft_web_response *resp, const void *data, size_t len)
{
    if (!weft__current_task)
        return -EPERM;
    if (len && !data)
        return -EINVAL;
    struct hx *x = HX_OF_RESP(resp);
    int err = begin_body(x);
    if (err)
        return err;
    if (resp->no_body || !len)
        return after_write(x);
    err = body_write(x, data, len, false);
    if (err)
        return err;
    return after_write(x);
}

/* sendfile's fallback: read the file and write what it gives. */
static int copy_file(struct hx *x, int fd, off_t offset, size_t count)
{
    char *buf = malloc(count < SENDFILE_COPY_CHUNK ? count : SENDFILE_COPY_CHUNK);
    if (!buf)
        return -ENOMEM;
    int err = 0;
    while (count) {
        size_t want = count < SENDFILE_COPY_CHUNK ? count : SENDFILE_COPY_CHUNK;
        ssize_t n = pread(fd, buf, want, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? -errno : -EIO; /* shorter than promised */
            break;
        }
        err = x->resp.filter ? body_write(x, buf, (size_t)n, false) : put_bytes(x, buf, (size_t)n);
        if (!err)
            err = weft__hx_flush(x);
        if (!err && (x->c->flags & CF_PAUSED_W))
            err = weft_web_response_drain(&x->resp);
        if (err)
            break;
        offset += n;
        count -= (size_t)n;
    }
    free(buf);
    return err;
}

int weft_web_response_sendfile(weft_web_response *resp, int fd, off_t offset, size_t count)
{
    if (!weft__current_task)
        return -EPERM;
    if (fd < 0 || offset < 0)
        return -EINVAL;
    struct hx *x = HX_OF_RESP(resp);
    int err = begin_body(x);
    if (err)
        return err;
    if (resp->no_body || !count)
        return after_write(x);
    if (resp->filter) {
        /* The bytes must pass through the filter: read them. */
        err = copy_file(x, fd, offset, count);
        if (err)
            resp->broken = true;
        return err ? err : after_write(x);
    }
    if (resp->framing == RF_LENGTH && resp->sent + count > resp->clen)
        return -EINVAL;
    if (resp->framing == RF_CHUNKED) {
        char hdr[WEFT_H1_CHUNK_HEADER_MAX];
        size_t hl = weft_h1_chunk_header(hdr, count);
        err = out_put(x, hdr, hl);
        if (err)
            return err;
    }
    /* The file's bytes follow what is corked. */
    err = weft__hx_flush(x);
    if (err)
        return err;
    struct conn *c = x->c;
    err = weft_transport_sendfile(c->t, fd, offset, count);
    if (err == -ENOTSUP)
        err = copy_file(x, fd, offset, count);
    if (err) {
        resp->broken = true;
        return err;
    }
    resp->sent += count;
    if (resp->framing == RF_CHUNKED) {
        err = out_put(x, "\r\n", 2);
        if (err)
            return err;
    }
    return after_write(x);
}

struct drain_waiter {
    struct weft__wait w;
    struct hx *x;
};

static void drain_unhook(struct weft__wait *w)
{
    struct drain_waiter *dw = (struct drain_waiter *)w;
    if (dw->x->drain_wait == w)
        dw->x->drain_wait = NULL;
}

int weft_web_response_drain(weft_web_response *resp)
{
    if (!weft__current_task)
        return -EPERM;
    struct hx *x = HX_OF_RESP(resp);
    int err = weft__hx_flush(x);
    if (err)
        return err;
    struct conn *c = x->c;
    while ((c->flags & CF_PAUSED_W) && !(c->flags & CF_LOST)) {
        struct drain_waiter dw = {.w.unhook = drain_unhook, .x = x};
        x->drain_wait = &dw.w;
        int r = weft__task_wait(&dw.w);
        if (x->drain_wait == &dw.w)
            x->drain_wait = NULL;
        if (r < 0)
            return r;
    }
    return conn_err(c);
}

int weft_web_response_write_eof(weft_web_response *resp)
{
    if (!weft__current_task)
        return -EPERM;
    struct hx *x = HX_OF_RESP(resp);
    if (resp->state == RS_DONE)
        return 0;
    int err = begin_body(x);
    if (err)
        return err;
    if (resp->filter && !resp->no_body && !resp->filter_ended) {
        resp->filter_ended = true;
        err = body_write(x, NULL, 0, true); /* the filter's tail */
        if (err) {
            resp->broken = true;
            resp->state = RS_DONE;
            return err;
        }
    }
    resp->state = RS_DONE;
    if (!resp->no_body) {
        if (resp->framing == RF_CHUNKED)
            err = out_put(x, WEFT_H1_CHUNK_LAST, sizeof WEFT_H1_CHUNK_LAST - 1);
        else if (resp->framing == RF_LENGTH && resp->sent < resp->clen)
            resp->broken = true; /* the client must not take it for complete */
    }
    if (err)
        return err;
    return after_write(x);
}

/* ------------------------------------------------------ after the handler */

static int error_status(int result)
{
    if (result == -ETIMEDOUT)
        return 408;
    int st = weft_h1_error_status(result);
    return st ? st : 500;
}

void weft__response_finish(struct hx *x, int result)
{
    weft_web_response *resp = &x->resp;
    int err = 0;
    if (resp->state == RS_NEW) {
        if (result >= 100 && result <= 599)
            err = weft_web_response_send_error(resp, result == 100 ? 500 : result);
        else if (result < 0)
            err = weft_web_response_send_error(resp, error_status(result));
        else if ((resp->no_body || resp->status == 304) && !resp->has_clen)
            err = weft_web_response_write_eof(resp); /* no Content-Length: 0 for
                                                        a HEAD or a 304: the
                                                        GET's length is unknown */
        else
            err = weft_web_response_send(resp, NULL, 0);
        if (err == -EINVAL || err == -ENOMEM || (err < 0 && resp->state == RS_NEW)) {
            /* A prepare hook or a bad header refused: answer plainly. */
            weft_http_headers_clear(resp->headers);
            resp->no_hooks = true;
            resp->status = 500;
            resp->state = RS_NEW;
            resp->has_clen = false;
            weft_web_response_send_error(resp, 500);
        }
    } else if (result < 0 && resp->state != RS_DONE) {
        resp->broken = true; /* never end a body that was cut short */
        resp->state = RS_DONE;
        weft__hx_flush(x);
    } else if (resp->state != RS_DONE) {
        weft_web_response_write_eof(resp);
    }
    if (resp->broken)
        resp->close_after = true;
}

/* ------------------------------------------------------- canned answers */

void weft__response_canned(struct conn *c, int status)
{
    if (!c->t || (c->flags & CF_LOST))
        return;
    weft_web_app *app = c->srv->app;
    char buf[512];
    char body[STATUS_TEXT_MAX];
    size_t bl = status_text(status, body);
    size_t n = 0;
    memcpy(buf, "HTTP/1.1 ", 9);
    n = 9;
    memcpy(buf + n, body, bl - 1); /* "400 Bad Request" */
    n += bl - 1;
    memcpy(buf + n, "\r\n", 2);
    n += 2;
    if (app->server_header && app->server_header_len < 200) {
        memcpy(buf + n, app->server_header, app->server_header_len);
        n += app->server_header_len;
    }
    memcpy(buf + n, "Date: ", 6);
    memcpy(buf + n + 6, weft__http_date_now(), WEFT_HTTP_DATE_LEN);
    n += 6 + WEFT_HTTP_DATE_LEN;
    static const char tail[] = "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                               "Connection: close\r\nContent-Length: ";
    memcpy(buf + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;
    n += weft__u64_dec(buf + n, bl);
    memcpy(buf + n, "\r\n\r\n", 4);
    n += 4;
    memcpy(buf + n, body, bl);
    n += bl;
    if (c->x) {
        out_put(c->x, buf, n);
        weft__hx_flush(c->x);
    } else {
        weft_transport_write(c->t, buf, n);
    }
}
