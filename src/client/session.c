/*
 * session.c - weft_http_session: settings, defaults, the URL cache, the
 * shared pieces (resolver, TLS context, cookie jar) and the reference count
 * that lets the session release its loop resources at once on free while
 * responses still point at it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "http/codec_int.h"

static uint64_t pick_time(uint64_t v, uint64_t dflt)
{
    return v ? v : dflt;
}

void weft__hc_err(char *errbuf, const char *fmt, ...)
{
    if (!errbuf)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, WEFT_HTTP_ERRBUF_SIZE, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ URLs */

struct weft__hc_url *weft__hc_url_new(weft_url *u)
{
    struct weft__hc_url *x = malloc(sizeof *x);
    if (!x) {
        weft_url_free(u);
        return NULL;
    }
    memset(x, 0, sizeof *x);
    x->refs = 1;
    x->u = u;
    return x;
}

struct weft__hc_url *weft__hc_url_ref(struct weft__hc_url *x)
{
    x->refs++;
    return x;
}

void weft__hc_url_unref(struct weft__hc_url *x)
{
    if (x && --x->refs == 0) {
        weft_url_free(x->u);
        free(x);
    }
}

int weft__hc_parse_http_url(const weft_url *base, const char *s, size_t len, weft_url **out)
{
    weft_url *u;
    int err = base ? weft_url_resolve(base, s, len, &u) : weft_url_parse(s, len, &u);
    if (err)
        return err;
    const char *sch = weft_url_scheme(u);
    if (strcmp(sch, "http") != 0 && strcmp(sch, "https") != 0) {
        weft_url_free(u); /* file:, ftp:, javascript: ... are not ours */
        return WEFT_EURL_SCHEME;
    }
    *out = u;
    return 0;
}

static void ucache_clear(weft_http_session *s)
{
    for (unsigned i = 0; i < WEFT__HC_URL_CACHE; i++) {
        free(s->ucache[i].raw);
        weft__hc_url_unref(s->ucache[i].url);
        s->ucache[i].raw = NULL;
        s->ucache[i].url = NULL;
    }
}

int weft__hc_session_url(weft_http_session *s, const char *url, struct weft__hc_url **out)
{
    if (!url)
        return -EINVAL;
    for (unsigned i = 0; i < WEFT__HC_URL_CACHE; i++) {
        if (s->ucache[i].raw && strcmp(s->ucache[i].raw, url) == 0) {
            *out = weft__hc_url_ref(s->ucache[i].url);
            return 0;
        }
    }
    weft_url *u;
    int err = weft__hc_parse_http_url(s->base ? s->base->u : NULL, url, strlen(url), &u);
    if (err)
        return err;
    struct weft__hc_url *x = weft__hc_url_new(u);
    if (!x)
        return -ENOMEM;
    char *raw = strdup(url);
    if (raw) {
        unsigned i = s->ucache_next++ % WEFT__HC_URL_CACHE;
        free(s->ucache[i].raw);
        weft__hc_url_unref(s->ucache[i].url);
        s->ucache[i].raw = raw;
        s->ucache[i].url = weft__hc_url_ref(x);
    }
    *out = x;
    return 0;
}

char *weft__hc_session_wbuf(weft_http_session *s, size_t n)
{
    if (n > s->wcap) {
        size_t cap = s->wcap ? s->wcap : 4096;
        while (cap < n)
            cap *= 2;
        char *b = realloc(s->wbuf, cap);
        if (!b)
            return NULL;
        s->wbuf = b;
        s->wcap = cap;
    }
    return s->wbuf;
}

/* ----------------------------------------------------- shared resources */

int weft__hc_session_tls(weft_http_session *s, weft_tls_ctx **out)
{
    if (!s->tls) {
        weft_tls_ctx *ctx;
        int err = weft_tls_ctx_new(WEFT_TLS_CLIENT, &ctx);
        if (err)
            return err;
        /* We speak HTTP/1.1 only: say so, so that an h2 server does not
         * pick h2 for us. */
        err = weft_tls_ctx_set_alpn(ctx, "http/1.1");
        if (!err && s->cafile) {
            err = weft_tls_ctx_clear_default_verify_paths(ctx);
            if (!err)
                err = weft_tls_ctx_load_verify_locations(ctx, s->cafile, NULL);
        }
        if (!err && (s->flags & WEFT_HTTP_SESSION_INSECURE))
            err = weft_tls_ctx_set_insecure_no_verify(ctx);
        if (err) {
            weft_tls_ctx_free(ctx);
            return err;
        }
        s->tls = ctx;
        s->tls_default = true;
    }
    *out = s->tls;
    return 0;
}

int weft__hc_session_resolver(weft_http_session *s, weft_resolver **out)
{
    if (s->closed)
        return WEFT_ECLOSED; /* its loop resources are gone for good */
    if (!s->resolver) {
        weft_resolver_opts o = {0};
        o.servers = s->dns_servers;
        o.cache_ttl_max_ns = s->dns_ttl;
        int err = weft_resolver_new(s->loop, &o, &s->resolver);
        if (err)
            return err;
        s->own_resolver = true;
    }
    *out = s->resolver;
    return 0;
}

weft_resolver *weft_http_session_resolver(weft_http_session *s)
{
    weft_resolver *r = NULL;
    if (s && !s->closed)
        weft__hc_session_resolver(s, &r);
    return r;
}

/* ------------------------------------------------------------ lifetime */

static int default_headers(weft_http_session *s, const char *ua)
{
    char buf[64];
    if (!ua) {
        snprintf(buf, sizeof buf, "weft/%s", WEFT_VERSION_STRING);
        ua = buf;
    }
    int err = weft_http_headers_add(s->headers, "User-Agent", ua);
    if (!err)
        err = weft_http_headers_add(s->headers, "Accept", "*/*");
    const char *ae = weft__hc_accept_encoding();
    if (!err && ae && !(s->flags & WEFT_HTTP_SESSION_NO_DECOMPRESS))
        err = weft_http_headers_add(s->headers, "Accept-Encoding", ae);
    return err;
}

int weft_http_session_new(weft_loop *loop, const weft_http_session_opts *opts,
                          weft_http_session **out)
{
    static const weft_http_session_opts none;
    if (!out)
        return -EINVAL;
    if (!opts)
        opts = &none;
    if (!loop)
        loop = weft__current_loop;
    if (!loop)
        return -EINVAL;
    weft_http_session *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->refs = 1;
    s->limit = opts->limit ? opts->limit : WEFT_HTTP_DEFAULT_LIMIT;
    s->limit_per_host = opts->limit_per_host ? opts->limit_per_host : WEFT_HTTP_UNLIMITED;
    s->idle_timeout = pick_time(opts->idle_timeout_ns, WEFT_HTTP_DEFAULT_IDLE_TIMEOUT);
    s->timeout = pick_time(opts->timeout_ns, WEFT_HTTP_DEFAULT_TIMEOUT);
    s->connect_timeout = pick_time(opts->connect_timeout_ns, WEFT_HTTP_DEFAULT_CONNECT_TIMEOUT);
    s->read_timeout = pick_time(opts->read_timeout_ns, WEFT_NEVER);
    s->pool_timeout = pick_time(opts->pool_timeout_ns, WEFT_NEVER);
    s->max_redirects = opts->max_redirects > 0 ? opts->max_redirects
                                               : WEFT_HTTP_DEFAULT_MAX_REDIRECTS;
    s->max_body = opts->max_body ? opts->max_body : WEFT_HTTP_DEFAULT_MAX_BODY;
    s->max_head = opts->max_head ? opts->max_head : WEFT_HTTP_DEFAULT_MAX_HEAD;
    s->max_headers = opts->max_headers ? opts->max_headers : WEFT_HTTP_DEFAULT_MAX_HEADERS;
    s->dns_ttl = pick_time(opts->dns_ttl_ns, WEFT_HTTP_DEFAULT_DNS_TTL);
    s->flags = opts->flags;
    weft__timer_init(&s->idle_timer, weft__hc_idle_timer, s);
    /* The content codings (src/http) into the decoder registry; a static
     * libweft links them only when something refers to them. */
    weft__codec_client_register();

    int err = -ENOMEM;
    if (opts->dns_servers && !(s->dns_servers = strdup(opts->dns_servers)))
        goto fail;
    if (opts->cafile && !(s->cafile = strdup(opts->cafile)))
        goto fail;
    if ((err = weft_http_headers_new(&s->headers)) != 0)
        goto fail;
    if ((err = default_headers(s, opts->user_agent)) != 0)
        goto fail;
    if (!(s->flags & WEFT_HTTP_SESSION_NO_COOKIES) &&
        (err = weft_cookie_jar_new(NULL, &s->jar)) != 0)
        goto fail;
    if (opts->proxy || opts->no_proxy)
        err = weft__hc_proxies_set(&s->proxies, opts->proxy, opts->no_proxy);
    else if (s->flags & WEFT_HTTP_SESSION_TRUST_ENV)
        err = weft__hc_proxies_from_env(&s->proxies);
    if (err)
        goto fail;
    if (opts->base_url && (err = weft_http_session_set_base_url(s, opts->base_url)) != 0)
        goto fail;
    if (opts->resolver)
        s->resolver = opts->resolver;
    if (opts->tls_ctx) {
        weft_tls_ctx_ref(opts->tls_ctx);
        s->tls = opts->tls_ctx;
    } else if (s->cafile || (s->flags & WEFT_HTTP_SESSION_INSECURE)) {
        weft_tls_ctx *ctx;
        if ((err = weft__hc_session_tls(s, &ctx)) != 0)
            goto fail;
    }
    *out = s;
    return 0;
fail:
    s->closed = true;
    weft__hc_session_unref(s);
    return err;
}

void weft__hc_session_ref(weft_http_session *s)
{
    s->refs++;
}

static void session_destroy(weft_http_session *s)
{
    while (s->free_resp) {
        weft_http_response *r = s->free_resp;
        s->free_resp = r->next_free;
        free(r->head);
        free(r->hdrs);
        free(r->body);
        free(r->raw);
        free(r->hist);
        free(r);
    }
    while (s->pools) {
        struct weft__hc_pool *p = s->pools;
        s->pools = p->next;
        free(p->key);
        free(p->host_store);
        weft__hc_proxy_clear(&p->proxy_store);
        if (p->t.tls)
            weft_tls_ctx_free(p->t.tls);
        free(p);
    }
    while (s->digests) {
        struct weft__hc_digest *d = s->digests;
        s->digests = d->next;
        weft__hc_digest_free(d);
        free(d);
    }
    ucache_clear(s);
    weft__hc_url_unref(s->base);
    weft__hc_proxies_clear(&s->proxies);
    if (s->tls)
        weft_tls_ctx_free(s->tls);
    weft_http_headers_free(s->headers);
    weft_cookie_jar_free(s->jar);
    free(s->traces);
    free(s->user);
    free(s->pass);
    free(s->basic);
    free(s->dns_servers);
    free(s->cafile);
    free(s->wbuf);
    free(s);
}

void weft__hc_session_unref(weft_http_session *s)
{
    if (--s->refs == 0)
        session_destroy(s);
}

/* Release what lives on the loop: sockets, the idle timer, the resolver. */
static void session_shutdown(weft_http_session *s)
{
    if (s->closed)
        return;
    s->closed = true;
    weft__hc_pool_shutdown(s);
    weft__timer_stop(s->loop, &s->idle_timer);
    if (s->own_resolver) {
        weft_resolver_free(s->resolver);
        s->own_resolver = false;
    }
    s->resolver = NULL;
}

void weft_http_session_free(weft_http_session *s)
{
    if (!s)
        return;
    session_shutdown(s);
    weft__hc_session_unref(s);
}

struct close_arg {
    weft_http_session *s;
};

static int close_task(void *arg)
{
    return weft_http_session_close(((struct close_arg *)arg)->s);
}

int weft_http_session_close(weft_http_session *s)
{
    if (!s)
        return 0;
    int face = weft__hc_face(s);
    if (face < 0)
        return face;
    if (face == 1) {
        struct close_arg a = {s};
        return weft__hc_block(s, close_task, &a);
    }
    /* Close the idle connections ourselves and wait for each to be gone,
     * so that the caller sees their fds closed; busy ones are aborted and
     * end with the requests using them. */
    weft__hc_session_ref(s);
    int rc = weft__hc_pool_close_idle(s);
    weft_http_session_free(s);
    weft__hc_session_unref(s);
    return rc;
}

/* ------------------------------------------------------------ settings */

weft_http_headers *weft_http_session_headers(weft_http_session *s)
{
    return s ? s->headers : NULL;
}

int weft_http_session_set_auth(weft_http_session *s, int type, const char *username,
                               const char *password)
{
    if (!s || type < WEFT_HTTP_AUTH_NONE || type > WEFT_HTTP_AUTH_ANY)
        return -EINVAL;
    if (type != WEFT_HTTP_AUTH_NONE && !username)
        return -EINVAL;
    char *u = NULL, *p = NULL, *b = NULL;
    if (type != WEFT_HTTP_AUTH_NONE) {
        u = strdup(username);
        p = strdup(password ? password : "");
        if (u && p && type == WEFT_HTTP_AUTH_BASIC)
            b = weft__hc_basic_value(u, p);
        if (!u || !p || (type == WEFT_HTTP_AUTH_BASIC && !b)) {
            free(u);
            free(p);
            free(b);
            return -ENOMEM;
        }
    }
    free(s->user);
    free(s->pass);
    free(s->basic);
    s->auth = type;
    s->user = u;
    s->pass = p;
    s->basic = b;
    return 0;
}

int weft_http_session_set_base_url(weft_http_session *s, const char *url)
{
    if (!s)
        return -EINVAL;
    struct weft__hc_url *x = NULL;
    if (url) {
        weft_url *u;
        int err = weft__hc_parse_http_url(NULL, url, strlen(url), &u);
        if (err)
            return err;
        if (!(x = weft__hc_url_new(u)))
            return -ENOMEM;
    }
    weft__hc_url_unref(s->base);
    s->base = x;
    ucache_clear(s); /* relative entries meant the old base */
    return 0;
}

int weft_http_session_set_proxy(weft_http_session *s, const char *proxy, const char *no_proxy)
{
    if (!s)
        return -EINVAL;
    s->gen++;
    return weft__hc_proxies_set(&s->proxies, proxy, no_proxy);
}

int weft_http_session_set_tls_ctx(weft_http_session *s, weft_tls_ctx *ctx)
{
    if (!s)
        return -EINVAL;
    if (ctx && weft_tls_ctx_role(ctx) != WEFT_TLS_CLIENT)
        return -EINVAL;
    if (ctx)
        weft_tls_ctx_ref(ctx);
    if (s->tls)
        weft_tls_ctx_free(s->tls);
    s->tls = ctx;
    s->tls_default = false;
    s->gen++;
    return 0;
}

weft_cookie_jar *weft_http_session_cookie_jar(weft_http_session *s)
{
    return s ? s->jar : NULL;
}

int weft_http_session_add_trace(weft_http_session *s, weft_http_trace_cb cb, void *ud)
{
    if (!s || !cb)
        return -EINVAL;
    void *t = realloc(s->traces, (s->ntraces + 1) * sizeof *s->traces);
    if (!t)
        return -ENOMEM;
    s->traces = t;
    s->traces[s->ntraces].cb = cb;
    s->traces[s->ntraces].ud = ud;
    s->ntraces++;
    return 0;
}

void weft_http_session_get_stats(const weft_http_session *s, weft_http_session_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!s)
        return;
    *out = s->stats;
    out->open = s->nconns;
    out->idle = s->nidle;
    out->waiting = s->nwaiting;
}

void weft__hc_set_connector(weft_http_session *s, weft__hc_connector fn, void *ud)
{
    s->connector = fn;
    s->connector_ud = ud;
}
