/*
 * response.c - weft_http_response: the head parsed in the connection's
 * buffer and copied once into the response's own (fields NUL-terminated in
 * place, so the accessors hand out pointers without copying), and the body:
 * framed by Content-Length, chunked or the end of the connection, decoded
 * when it has a Content-Encoding, read in pieces or whole.
 *
 * A body must end the way its framing says: the connection closing before
 * that is WEFT_EHTTP_TRUNCATED, a bad chunk WEFT_EHTTP_BAD_CHUNK, a coded
 * stream that stops early the decoder's error. Errors stick: every later
 * read returns the same one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

/* Responses kept for reuse per session, and the largest buffers they keep. */
#define FREE_MAX 64
#define KEEP_BUF (256u * 1024)
#define RAW_CHUNK (16u * 1024)

/* ------------------------------------------------------------ objects */

weft_http_response *weft__hc_resp_new(weft_http_session *s)
{
    weft_http_response *r = s->free_resp;
    if (r) {
        s->free_resp = r->next_free;
        s->nfree_resp--;
        char *head = r->head, *body = r->body, *raw = r->raw;
        weft_h1_header *hdrs = r->hdrs;
        size_t head_cap = r->head_cap, hdrs_cap = r->hdrs_cap, bcap = r->bcap,
               rawcap = r->rawcap;
        weft_http_response **hist = r->hist;
        size_t hist_cap = r->hist_cap;
        memset(r, 0, sizeof *r);
        r->head = head;
        r->head_cap = head_cap;
        r->hdrs = hdrs;
        r->hdrs_cap = hdrs_cap;
        r->body = body;
        r->bcap = bcap;
        r->raw = raw;
        r->rawcap = rawcap;
        r->hist = hist;
        r->hist_cap = hist_cap;
    } else {
        r = calloc(1, sizeof *r);
        if (!r)
            return NULL;
    }
    r->s = s;
    weft__hc_session_ref(s);
    r->deadline = WEFT_NEVER;
    r->read_timeout = WEFT_NEVER;
    r->clen = -1;
    return r;
}

void weft__hc_resp_release(weft_http_response *r)
{
    weft_http_session *s = r->s;
    for (size_t i = 0; i < r->nhist; i++)
        weft__hc_resp_release(r->hist[i]);
    r->nhist = 0;
    weft_http_headers_free(r->hlist);
    r->hlist = NULL;
    weft__hc_url_unref(r->url);
    r->url = NULL;
    if (r->dec) {
        weft__hc_decoder_free(r->dec);
        r->dec = NULL;
    }
    weft_http_client *owner = r->owner;
    if (s->nfree_resp < FREE_MAX && !s->closed) {
        if (r->bcap > KEEP_BUF) {
            free(r->body);
            r->body = NULL;
            r->bcap = 0;
        }
        if (r->head_cap > KEEP_BUF) {
            free(r->head);
            r->head = NULL;
            r->head_cap = 0;
        }
        r->next_free = s->free_resp;
        s->free_resp = r;
        s->nfree_resp++;
    } else {
        free(r->head);
        free(r->hdrs);
        free(r->body);
        free(r->raw);
        free(r->hist);
        free(r);
    }
    weft__hc_session_unref(s);
    if (owner)
        weft_http_client_free(owner);
}

int weft__hc_resp_add_history(weft_http_response *r, weft_http_response *h)
{
    if (r->nhist == r->hist_cap) {
        size_t cap = r->hist_cap ? r->hist_cap * 2 : 4;
        weft_http_response **n = realloc(r->hist, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        r->hist = n;
        r->hist_cap = cap;
    }
    /* A hop's own history (none, in practice) moves along with it. */
    for (size_t i = 0; i < h->nhist; i++) {
        int err = weft__hc_resp_add_history(r, h->hist[i]);
        if (err)
            return err;
    }
    h->nhist = 0;
    r->hist[r->nhist++] = h;
    return 0;
}

/* ------------------------------------------------------------ the head */

static int ensure(char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 512;
    while (c < need)
        c *= 2;
    char *n = realloc(*p, c);
    if (!n)
        return -ENOMEM;
    *p = n;
    *cap = c;
    return 0;
}

/* Copy the parsed head out of the connection buffer and NUL-terminate
 * every field where its CR, colon or trailing space was. */
static int take_head(weft_http_response *r, const char *base, size_t n,
                     const weft_h1_response *h1)
{
    int err = ensure(&r->head, &r->head_cap, n + 1);
    if (err)
        return err;
    memcpy(r->head, base, n);
    r->head[n] = '\0';
    r->head_len = n;
    ptrdiff_t d = r->head - base;
    for (size_t i = 0; i < h1->nheaders; i++) {
        weft_h1_header *h = &r->hdrs[i];
        char *name = (char *)h->name.ptr + d, *value = (char *)h->value.ptr + d;
        name[h->name.len] = '\0';
        value[h->value.len] = '\0';
        h->name.ptr = name;
        h->value.ptr = value;
    }
    r->nhdrs = h1->nheaders;
    if (h1->reason.ptr) {
        char *reason = (char *)h1->reason.ptr + d;
        reason[h1->reason.len] = '\0';
        r->reason = reason;
    } else {
        r->reason = "";
    }
    r->status = h1->status;
    r->version = h1->version;
    r->h1flags = h1->flags;
    return 0;
}

static void mark_first_byte(weft_http_response *r, struct weft__hc_trace *tc)
{
    if (r->tm.first_byte_ns)
        return;
    uint64_t now = tc->on ? weft_loop_update_time(r->s->loop) : weft_loop_now(r->s->loop);
    r->tm.first_byte_ns = now > tc->t0 ? now - tc->t0 : 1;
    if (tc->on)
        weft__hc_trace_simple(tc, WEFT_HTTP_TRACE_FIRST_BYTE, 0, 0, NULL);
}

int weft__hc_read_head(struct weft__hc_conn *c, weft_http_response *r, int method_id,
                       struct weft__hc_trace *tc)
{
    weft_http_session *s = r->s;
    if (r->hdrs_cap < s->max_headers) {
        weft_h1_header *h = realloc(r->hdrs, s->max_headers * sizeof *h);
        if (!h)
            return -ENOMEM;
        r->hdrs = h;
        r->hdrs_cap = s->max_headers;
    }
    weft_h1_limits lim;
    weft_h1_limits_init(&lim);
    lim.max_head = s->max_head;
    lim.max_headers = s->max_headers;
    lim.max_body = UINT64_MAX; /* bodies are limited where they are gathered */
    weft_h1_parser_init(&c->parser, &lim);
    weft_h1_response h1;
    int n;
    for (;;) {
        if (c->rlen > c->rpos) {
            mark_first_byte(r, tc);
            n = weft_h1_parse_response(&c->parser, c->buf + c->rpos, c->rlen - c->rpos,
                                       method_id, &h1, r->hdrs, r->hdrs_cap);
            if (n > 0) {
                if (h1.status < 200 && h1.status != 101) {
                    c->rpos += (size_t)n; /* interim (100 Continue, 103): the answer follows */
                    weft_h1_parser_init(&c->parser, &lim);
                    continue;
                }
                break;
            }
            if (n != -EAGAIN) {
                c->dead = true;
                return n;
            }
        }
        n = weft__hc_conn_fill(c);
        if (n > 0)
            continue;
        c->dead = true;
        if (n == 0 || n == WEFT_ETLS_NO_CLOSE_NOTIFY || n == -ECONNRESET)
            return c->rlen > c->rpos ? WEFT_EHTTP_TRUNCATED
                                     : (n == -ECONNRESET ? n : WEFT_EHTTP_DISCONNECTED);
        if (n == WEFT_ECLOSED && s->closed)
            return WEFT_ECLOSED;
        return n;
    }
    int err = take_head(r, c->buf + c->rpos, (size_t)n, &h1);
    if (err)
        return err;
    c->rpos += (size_t)n;
    uint64_t now = tc->on ? weft_loop_update_time(s->loop) : weft_loop_now(s->loop);
    r->tm.headers_ns = now > tc->t0 ? now - tc->t0 : 1;
    r->b.framing = h1.body;
    r->b.left = h1.content_length;
    r->b.done = false;
    if (h1.body == WEFT_H1_BODY_CHUNKED)
        weft_h1_chunked_init(&r->b.ch, &lim);
    r->clen = h1.body == WEFT_H1_BODY_LENGTH ? (int64_t)h1.content_length
                                             : (h1.body == WEFT_H1_BODY_NONE ? 0 : -1);
    if (h1.body == WEFT_H1_BODY_NONE || (h1.body == WEFT_H1_BODY_LENGTH && !h1.content_length))
        r->b.done = true;
    c->keep = (h1.flags & WEFT_H1_F_KEEP_ALIVE) && h1.status != 101;
    memcpy(r->peer, c->peer, sizeof r->peer);
    return 0;
}

/* ------------------------------------------------------------ the body */

void weft__hc_resp_emit_done(weft_http_response *r)
{
    uint64_t now = weft_loop_now(r->s->loop);
    r->tm.done_ns = now > r->tc.t0 ? now - r->tc.t0 : 1;
    if (r->tc.on) {
        weft_http_trace ev = {.event = WEFT_HTTP_TRACE_DONE, .status = r->status,
                              .count = r->nread, .response = r};
        weft__hc_trace_emit(&r->tc, &ev);
    }
}

void weft__hc_resp_detach(weft_http_response *r, bool reuse)
{
    struct weft__hc_conn *c = r->conn;
    if (!c)
        return;
    r->conn = NULL;
    if (!reuse || r->b.framing == WEFT_H1_BODY_CLOSE)
        c->keep = false;
    if (!c->keep)
        c->dead = true;
    if (r->pconn) {
        weft_http_conn *pc = r->pconn;
        if (pc->cur == r)
            pc->cur = NULL;
        if (c->dead)
            pc->broken = true;
        r->pconn = NULL;
        return;
    }
    weft__hc_release(c);
}

static int body_error(int rc)
{
    if (rc == 0 || rc == -ECONNRESET || rc == WEFT_ETLS_NO_CLOSE_NOTIFY)
        return WEFT_EHTTP_TRUNCATED;
    return rc;
}

/* Body bytes as framed, before any content decoding: count, 0 at the end. */
static int raw_read(weft_http_response *r, char *dst, size_t n)
{
    struct weft__hc_body *b = &r->b;
    if (b->done)
        return 0;
    struct weft__hc_conn *c = r->conn;
    if (!c)
        return WEFT_ECLOSED;
    c->read_timeout = r->read_timeout;
    c->deadline = r->deadline;
    int k;
    switch (b->framing) {
    case WEFT_H1_BODY_LENGTH:
        if ((uint64_t)n > b->left)
            n = (size_t)b->left;
        k = weft__hc_conn_read(c, dst, n);
        if (k <= 0)
            return body_error(k);
        b->left -= (uint64_t)k;
        if (!b->left)
            b->done = true;
        return k;
    case WEFT_H1_BODY_CHUNKED:
        for (;;) {
            if (c->rlen > c->rpos) {
                size_t inlen = c->rlen - c->rpos, outlen = n;
                int rc = weft_h1_chunked_decode_to(&b->ch, c->buf + c->rpos, &inlen, dst, &outlen);
                c->rpos += inlen;
                if (rc == 0) {
                    b->done = true;
                    return (int)outlen;
                }
                if (rc != -EAGAIN)
                    return rc;
                if (outlen)
                    return (int)outlen;
            }
            k = weft__hc_conn_fill(c);
            if (k <= 0)
                return body_error(k);
        }
    case WEFT_H1_BODY_CLOSE:
        k = weft__hc_conn_read(c, dst, n);
        if (k == 0)
            b->done = true;
        return k;
    default:
        b->done = true;
        return 0;
    }
}

/* Decoded bytes: through the decoder when the body has a coding. */
static int decoded_read(weft_http_response *r, char *dst, size_t n)
{
    if (!r->dec)
        return raw_read(r, dst, n);
    if (!r->raw) {
        if (!(r->raw = malloc(RAW_CHUNK)))
            return -ENOMEM;
        r->rawcap = RAW_CHUNK;
    }
    for (;;) {
        if (r->rawpos == r->rawlen && !r->raw_end) {
            int k = raw_read(r, r->raw, r->rawcap);
            if (k < 0)
                return k;
            r->rawpos = 0;
            r->rawlen = (size_t)k;
            if (k == 0)
                r->raw_end = true;
        }
        size_t inlen = r->rawlen - r->rawpos, outlen = n;
        int rc = weft__hc_decoder_run(r->dec, r->raw + r->rawpos, &inlen, dst, &outlen);
        r->rawpos += inlen;
        if (rc < 0)
            return rc;
        if (outlen)
            return (int)outlen;
        if (rc == 1) {
            /* The coded stream is complete; what the framing still holds
             * (a chunked terminator, say) is read and dropped. */
            char sink[512];
            int k;
            while ((k = raw_read(r, sink, sizeof sink)) > 0)
                ;
            return k;
        }
        if (weft__hc_decoder_stalled(r->dec)) {
            if (r->raw_end) {
                int f = weft__hc_decoder_finish(r->dec);
                return f < 0 ? f : 0;
            }
            if (r->rawpos != r->rawlen)
                return WEFT_EPROTOCOL; /* a decoder that neither eats nor makes */
        }
    }
}

int weft__hc_resp_setup_decoding(weft_http_response *r)
{
    if (r->b.done)
        return 0;
    const char *ce = weft_http_response_header(r, "Content-Encoding");
    if (!ce)
        return 0;
    int err = weft__hc_decoder_open(ce, &r->dec);
    if (err == -ENOTSUP) {
        r->dec = NULL; /* no decoder for it: hand the bytes over as they came */
        return 0;
    }
    return err;
}

/* One read, with the bookkeeping every reader needs. */
static int body_read(weft_http_response *r, char *dst, size_t n)
{
    if (r->err)
        return r->err;
    if (r->ended)
        return 0;
    int k = decoded_read(r, dst, n);
    if (k > 0) {
        r->nread += (uint64_t)k;
        return k;
    }
    if (k < 0) {
        r->err = k;
        weft__hc_resp_detach(r, false);
        return k;
    }
    r->ended = true;
    weft__hc_resp_detach(r, true);
    weft__hc_resp_emit_done(r);
    return 0;
}

/* Nothing left to wait for: the call can run outside any task. */
static bool settled(const weft_http_response *r)
{
    return r->err || r->ended || (r->b.done && !r->conn && !r->dec);
}

struct read_arg {
    weft_http_response *r;
    void *buf;
    size_t n;
    const char **body;
    size_t *len;
};

static int read_task(void *arg)
{
    struct read_arg *a = arg;
    return weft_http_response_read(a->r, a->buf, a->n);
}

int weft_http_response_read(weft_http_response *r, void *buf, size_t n)
{
    if (!r || !buf)
        return -EINVAL;
    if (!n)
        return 0;
    int face = settled(r) ? 0 : weft__hc_face(r->s);
    if (face < 0)
        return face;
    if (face == 1) {
        struct read_arg a = {r, buf, n, NULL, NULL};
        return weft__hc_block(r->s, read_task, &a);
    }
    if (n > INT32_MAX)
        n = INT32_MAX;
    return body_read(r, buf, n);
}

static int read_all_task(void *arg)
{
    struct read_arg *a = arg;
    return weft_http_response_read_all(a->r, a->body, a->len);
}

int weft_http_response_read_all(weft_http_response *r, const char **body, size_t *len)
{
    if (!r)
        return -EINVAL;
    if (r->have_all) {
        if (body)
            *body = r->body;
        if (len)
            *len = r->blen;
        return 0;
    }
    if (r->err)
        return r->err;
    int face = settled(r) ? 0 : weft__hc_face(r->s);
    if (face < 0)
        return face;
    if (face == 1) {
        struct read_arg a = {r, NULL, 0, body, len};
        return weft__hc_block(r->s, read_all_task, &a);
    }
    uint64_t limit = r->max_body ? r->max_body : r->s->max_body;
    size_t want = RAW_CHUNK;
    if (r->clen >= 0 && !r->dec && (uint64_t)r->clen <= limit)
        want = (size_t)r->clen + 1; /* room for it all and the NUL: one read */
    int err = ensure(&r->body, &r->bcap, want);
    if (err)
        return err;
    r->blen = 0;
    for (;;) {
        if (r->bcap - r->blen < 2) {
            if ((err = ensure(&r->body, &r->bcap, r->bcap * 2)) != 0)
                return err;
        }
        size_t room = r->bcap - r->blen - 1;
        uint64_t left = limit - r->blen; /* blen <= limit here */
        if (left < (uint64_t)room)
            room = (size_t)left + 1; /* one byte past the limit tells */
        int k = body_read(r, r->body + r->blen, room);
        if (k < 0)
            return k;
        if (k == 0)
            break;
        r->blen += (size_t)k;
        if (r->blen > limit) {
            r->err = WEFT_EHTTP_BODY_TOO_LARGE;
            weft__hc_resp_detach(r, false);
            return r->err;
        }
    }
    r->body[r->blen] = '\0';
    r->have_all = true;
    if (body)
        *body = r->body;
    if (len)
        *len = r->blen;
    return 0;
}

/* Drop up to max body bytes (a redirect's or a challenge's body, so that
 * the connection can serve the next hop). */
int weft__hc_resp_drain(weft_http_response *r, size_t max)
{
    char sink[4096];
    size_t got = 0;
    while (!r->err && (r->conn || !r->b.done)) {
        if (got >= max)
            return 1;
        int k = body_read(r, sink, sizeof sink);
        if (k < 0)
            return k;
        if (k == 0)
            return 0;
        got += (size_t)k;
    }
    return r->err ? r->err : 0;
}

/* Without waiting: is the rest of the body already in the buffer? Consume
 * it if so (the connection can then be reused). */
static bool finish_from_buffer(weft_http_response *r)
{
    struct weft__hc_conn *c = r->conn;
    struct weft__hc_body *b = &r->b;
    if (b->done)
        return true;
    size_t have = c->rlen - c->rpos;
    if (b->framing == WEFT_H1_BODY_LENGTH) {
        if (b->left > have)
            return false;
        c->rpos += (size_t)b->left;
        b->left = 0;
        b->done = true;
        return true;
    }
    if (b->framing == WEFT_H1_BODY_CHUNKED) {
        char *p = c->buf + c->rpos;
        while (have) {
            size_t inlen = have, outlen = have;
            int rc = weft_h1_chunked_decode_to(&b->ch, p, &inlen, p, &outlen);
            c->rpos += inlen;
            p += inlen;
            have -= inlen;
            if (rc == 0) {
                b->done = true;
                return true;
            }
            if (rc != -EAGAIN || inlen == 0)
                return false;
        }
    }
    return false;
}

void weft_http_response_free(weft_http_response *r)
{
    if (!r)
        return;
    if (r->conn) {
        weft_http_conn *pc = r->pconn;
        if (pc && !r->b.done) {
            /* A single connection skips the rest when the next response is
             * asked for. */
            pc->skip = r->b;
            pc->skipping = true;
            pc->cur = NULL;
            r->conn = NULL;
            r->pconn = NULL;
        } else {
            bool whole = !r->err && finish_from_buffer(r);
            weft__hc_resp_detach(r, whole);
        }
    }
    weft__hc_resp_release(r);
}

/* ------------------------------------------------------------ accessors */

int weft_http_response_status(const weft_http_response *r)
{
    return r ? r->status : 0;
}

const char *weft_http_response_reason(const weft_http_response *r)
{
    return r && r->reason ? r->reason : "";
}

int weft_http_response_version(const weft_http_response *r)
{
    return r ? r->version : 0;
}

bool weft_http_response_ok(const weft_http_response *r)
{
    return r && r->status < 400;
}

int weft_http_response_raise_for_status(const weft_http_response *r)
{
    return r && r->status >= 400 ? WEFT_EHTTP_STATUS : 0;
}

const char *weft_http_response_header(const weft_http_response *r, const char *name)
{
    if (!r || !name)
        return NULL;
    for (size_t i = 0; i < r->nhdrs; i++)
        if (strcasecmp(r->hdrs[i].name.ptr, name) == 0)
            return r->hdrs[i].value.ptr;
    return NULL;
}

size_t weft_http_response_header_count(const weft_http_response *r)
{
    return r ? r->nhdrs : 0;
}

int weft_http_response_header_at(const weft_http_response *r, size_t i, const char **name,
                                 const char **value)
{
    if (!r || i >= r->nhdrs)
        return -ERANGE;
    if (name)
        *name = r->hdrs[i].name.ptr;
    if (value)
        *value = r->hdrs[i].value.ptr;
    return 0;
}

const weft_http_headers *weft_http_response_headers(weft_http_response *r)
{
    if (!r)
        return NULL;
    if (!r->hlist) {
        weft_http_headers *h;
        if (weft_http_headers_new(&h) != 0)
            return NULL;
        for (size_t i = 0; i < r->nhdrs; i++) {
            int err = weft_http_headers_addn(h, r->hdrs[i].name.ptr, r->hdrs[i].name.len,
                                             r->hdrs[i].value.ptr, r->hdrs[i].value.len);
            /* A field the list refuses (it cannot be, the parser is
             * stricter) is left out rather than failing the whole list. */
            if (err == -ENOMEM) {
                weft_http_headers_free(h);
                return NULL;
            }
        }
        r->hlist = h;
    }
    return r->hlist;
}

const char *weft_http_response_url(const weft_http_response *r)
{
    return r && r->url ? weft_url_href(r->url->u) : "";
}

const weft_url *weft_http_response_url_parsed(const weft_http_response *r)
{
    return r && r->url ? r->url->u : NULL;
}

const char *weft_http_response_method(const weft_http_response *r)
{
    return r ? r->method : "";
}

size_t weft_http_response_history_count(const weft_http_response *r)
{
    return r ? r->nhist : 0;
}

const weft_http_response *weft_http_response_history(const weft_http_response *r, size_t i)
{
    return r && i < r->nhist ? r->hist[i] : NULL;
}

int64_t weft_http_response_content_length(const weft_http_response *r)
{
    return r ? r->clen : -1;
}

uint64_t weft_http_response_bytes_read(const weft_http_response *r)
{
    return r ? r->nread : 0;
}

bool weft_http_response_done(const weft_http_response *r)
{
    return r && !r->err && (r->ended || (r->b.done && !r->conn && !r->dec));
}

void weft_http_response_timings(const weft_http_response *r, weft_http_timings *out)
{
    if (!out)
        return;
    if (!r) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = r->tm;
}

const char *weft_http_response_peer(const weft_http_response *r)
{
    return r ? r->peer : "";
}

weft_tls *weft_http_response_tls(const weft_http_response *r)
{
    return r && r->conn && r->conn->st ? weft_stream_tls(r->conn->st) : NULL;
}
