/*
 * compress.c - the compression middleware: responses are encoded with the
 * content coding the client prefers (gzip, br, zstd; weft/http_codec.h),
 * as nginx's gzip module and aiohttp's enable_compression do.
 *
 * A prepare hook decides, right before the head goes out, and installs a
 * body filter; the filter feeds the body to an encoder and emits what comes
 * out, so whole bodies, streamed writes and sendfile (read, then encoded)
 * all go the same way. Encoders and their output buffers are pooled per
 * thread (weft_codec_reset keeps the library's memory), so a compressed
 * response costs no allocation in the steady state.
 *
 * A response is left alone when compressing would be wrong or useless: a
 * status without a body (1xx, 204, 304) or a partial one (206, Content-Range),
 * a Content-Encoding already set, Cache-Control: no-transform, a media type
 * that is already compressed (weft_coding_compressible), a declared length
 * under min_length, or a client that accepts none of the codings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"
#include "weft/http_codec.h"

#define OUT_BUF (16u * 1024u)
#define POOL_MAX 16
#define DEFAULT_MIN_LENGTH 256

struct weft__compress_cfg {
    int codings[WEFT_CODING_COUNT];
    size_t ncodings;
    int level;
    uint64_t min_length;
    bool flush_writes;
};

/* One response's encoder and output room; pooled per thread by coding. */
struct zstate {
    struct zstate *next;
    weft_codec *enc;
    int coding;
    int level;
    char out[OUT_BUF];
};

static __thread struct zstate *pool[WEFT_CODING_COUNT];
static __thread unsigned pool_len[WEFT_CODING_COUNT];

static struct zstate *zstate_get(int coding, int level)
{
    for (struct zstate **pp = &pool[coding]; *pp; pp = &(*pp)->next) {
        if ((*pp)->level == level) {
            struct zstate *z = *pp;
            *pp = z->next;
            pool_len[coding]--;
            return z;
        }
    }
    struct zstate *z = malloc(sizeof *z);
    if (!z)
        return NULL;
    if (weft_codec_encoder_new(coding, level, &z->enc) != 0) {
        free(z);
        return NULL;
    }
    z->coding = coding;
    z->level = level;
    return z;
}

static void zstate_put(struct zstate *z)
{
    if (pool_len[z->coding] >= POOL_MAX) {
        weft_codec_free(z->enc);
        free(z);
        return;
    }
    weft_codec_reset(z->enc);
    z->next = pool[z->coding];
    pool[z->coding] = z;
    pool_len[z->coding]++;
}

/* ------------------------------------------------------------- the filter */

static int z_write(weft_web_response *resp, const void *data, size_t len, bool last, void *ud)
{
    struct zstate *z = ud;
    const char *in = data;
    const struct weft__compress_cfg *cfg = HX_OF_RESP(resp)->c->srv->app->compress;
    unsigned flags = last ? WEFT_CODEC_FINISH : (cfg && cfg->flush_writes ? WEFT_CODEC_FLUSH : 0);
    for (;;) {
        size_t used = len, got = sizeof z->out;
        int r = weft_codec_process(z->enc, in, &used, z->out, &got, flags);
        if (r < 0)
            return r;
        if (got) {
            int e = weft_web_response_filter_emit(resp, z->out, got);
            if (e < 0)
                return e;
        }
        in += used;
        len -= used;
        if (r == WEFT_CODEC_END)
            return 0;
        /* Room left over and all input used: nothing more pending. */
        if (!len && got < sizeof z->out && !last)
            return 0;
    }
}

static void z_done(weft_web_response *resp, void *ud)
{
    (void)resp;
    zstate_put(ud);
}

static const weft_web_body_filter z_filter = {z_write, z_done};

/* ---------------------------------------------------------- the decision */

static bool has_token(const char *v, const char *token)
{
    weft_h1_slice s = {v, strlen(v)};
    return weft_h1_list_has(s, token);
}

static int z_prepare(weft_web_request *req, weft_web_response *resp, void *ud)
{
    const struct weft__compress_cfg *cfg = ud;
    weft_http_headers *h = resp->headers;
    int st = resp->status;
    if (st < 200 || st == 204 || st == 206 || st == 304 || resp->filter)
        return 0;
    if (weft_http_headers_get(h, "Content-Encoding") || weft_http_headers_get(h, "Content-Range"))
        return 0;
    const char *cc = weft_http_headers_get(h, "Cache-Control");
    if (cc && has_token(cc, "no-transform"))
        return 0;
    const char *ct = weft_http_headers_get(h, "Content-Type");
    if (!ct || !weft_coding_compressible(ct, strlen(ct)))
        return 0;
    uint64_t clen = 0;
    bool known = resp->has_clen;
    if (known) {
        clen = resp->clen;
    } else {
        const char *cl = weft_http_headers_get(h, "Content-Length");
        if (cl) {
            known = true;
            clen = strtoull(cl, NULL, 10);
        }
    }
    if (known && clen < cfg->min_length)
        return 0;
    /* From here on the answer depends on Accept-Encoding: say so to caches
     * whatever we pick. */
    const char *vary = weft_http_headers_get(h, "Vary");
    if (!vary) {
        weft_http_headers_add(h, "Vary", "Accept-Encoding");
    } else if (!has_token(vary, "Accept-Encoding") && !has_token(vary, "*")) {
        size_t n = strlen(vary);
        char *v = weft__hx_alloc(HX_OF_RESP(resp), n + 18);
        if (v) {
            memcpy(v, vary, n);
            memcpy(v + n, ", Accept-Encoding", 18);
            weft_http_headers_set(h, "Vary", v);
        }
    }
    const char *ae = weft_web_request_header(req, "Accept-Encoding");
    int coding = weft_accept_encoding_select(ae, ae ? strlen(ae) : 0,
                                             cfg->ncodings ? cfg->codings : NULL, cfg->ncodings);
    if (coding <= WEFT_CODING_IDENTITY)
        return 0; /* identity, or nothing acceptable: send it as is, as nginx does */
    struct zstate *z = zstate_get(coding, cfg->level);
    if (!z)
        return 0; /* no memory for an encoder: uncompressed is still correct */
    int err = weft_web_response_set_body_filter(resp, &z_filter, z);
    if (err) {
        zstate_put(z);
        return 0;
    }
    weft_http_headers_set(h, "Content-Encoding", weft_coding_name(coding));
    weft_http_headers_remove(h, "Content-Length");
    /* A strong validator names these exact bytes; ours differ (nginx does
     * the same). */
    const char *etag = weft_http_headers_get(h, "ETag");
    if (etag && etag[0] == '"') {
        size_t n = strlen(etag);
        char *w = weft__hx_alloc(HX_OF_RESP(resp), n + 3);
        if (w) {
            memcpy(w, "W/", 2);
            memcpy(w + 2, etag, n + 1);
            weft_http_headers_set(h, "ETag", w);
        }
    }
    return 0;
}

static const weft_web_middleware z_middleware = {.prepare = z_prepare};

int weft_web_app_use_compression(weft_web_app *app, const weft_web_compress_opts *opts)
{
    if (!app)
        return -EINVAL;
    if (atomic_load(&app->running) > 0)
        return -EBUSY;
    if (app->compress)
        return -EALREADY;
    struct weft__compress_cfg *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return -ENOMEM;
    cfg->level = WEFT_CODEC_LEVEL_DEFAULT;
    cfg->min_length = DEFAULT_MIN_LENGTH;
    if (opts) {
        if (opts->ncodings > WEFT_CODING_COUNT || (opts->ncodings && !opts->codings)) {
            free(cfg);
            return -EINVAL;
        }
        for (size_t i = 0; i < opts->ncodings; i++) {
            if (opts->codings[i] <= WEFT_CODING_IDENTITY || opts->codings[i] >= WEFT_CODING_COUNT) {
                free(cfg);
                return -EINVAL;
            }
            cfg->codings[i] = opts->codings[i];
        }
        cfg->ncodings = opts->ncodings;
        if (opts->level)
            cfg->level = opts->level;
        if (opts->min_length)
            cfg->min_length = opts->min_length;
        cfg->flush_writes = opts->flush_writes;
    }
    /* A level the encoders refuse is refused now, not per response. */
    for (int c = WEFT_CODING_GZIP; c < WEFT_CODING_COUNT; c++) {
        bool used = !cfg->ncodings;
        for (size_t i = 0; i < cfg->ncodings; i++)
            used = used || cfg->codings[i] == c;
        if (!used || c == WEFT_CODING_DEFLATE)
            continue;
        weft_codec *probe;
        if (weft_codec_encoder_new(c, cfg->level, &probe) != 0) {
            free(cfg);
            return -EINVAL;
        }
        weft_codec_free(probe);
    }
    int err = weft_web_app_use(app, &z_middleware, cfg);
    if (err) {
        free(cfg);
        return err;
    }
    app->compress = cfg;
    return 0;
}

void weft__compress_free(struct weft__compress_cfg *cfg)
{
    free(cfg);
}

/* The pools live as long as some server of this thread compresses: the
 * last one to go empties them (a thread's TLS does not outlive it). */
static __thread unsigned pool_users;

void weft__compress_thread_acquire(void)
{
    pool_users++;
}

void weft__compress_thread_release(void)
{
    if (!pool_users || --pool_users)
        return;
    for (int c = 0; c < WEFT_CODING_COUNT; c++) {
        while (pool[c]) {
            struct zstate *z = pool[c];
            pool[c] = z->next;
            weft_codec_free(z->enc);
            free(z);
        }
        pool_len[c] = 0;
    }
}
