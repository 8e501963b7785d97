/*
 * fetch.c - weft_http_session_request: one request from the caller's point
 * of view, made of hops. Each hop takes a connection from the pool, sends,
 * reads the head, stores cookies; then a redirect or an authentication
 * challenge makes another hop, and the hops before the last become the
 * response's history.
 *
 * Retry: a keep-alive connection may have been closed by the server just
 * as we reused it. When that shows (the write fails, or the connection ends
 * before a single response byte) and the request is idempotent with a body
 * that can be sent again, it is sent once more on a fresh connection --
 * what urllib3, Go's net/http and curl do. Anything else is reported.
 *
 * Timeouts: the total one is a deadline scope over the whole call (and is
 * carried into the response for the body reads); the connect one is a scope
 * around each connection's setup; the read one bounds each wait for bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_int.h"

/* Most bytes of a redirect's body we read to keep the connection; a longer
 * body closes it instead. */
#define DRAIN_MAX (64u * 1024)

struct req {
    weft_http_session *s;
    const weft_http_request_opts *o;
    char method[24];
    int method_id;
    struct weft__hc_url *url;      /* this hop's */
    struct weft__hc_url *first;    /* the URL the caller asked for: the auth scope */
    const weft_http_body *body;    /* NULL once a redirect dropped it */
    bool strip_auth, strip_content;
    uint64_t deadline, connect_timeout, read_timeout, pool_timeout, max_body;
    int max_redirects;
    unsigned flags;
    int auth;
    const char *user, *pass;
    char *basic;                   /* our Basic value when not the session's */
    const char *basic_use;
    struct weft__hc_proxy proxy;   /* a per-request proxy */
    int proxy_mode;                /* 0 session's, 1 opts->proxy, 2 none */
    weft_tls_ctx *tls;
    struct weft__hc_trace tc;
    char *errbuf;
    char *creds;                   /* user and password from the URL (one allocation) */
    int pending;                   /* the next hop answers a challenge: 1 Digest, 2 Basic */
    int answers;                   /* challenges of this URL answered */
};

static uint64_t pick(uint64_t v, uint64_t dflt)
{
    return v ? v : dflt;
}

/* ------------------------------------------------------------ the URL */

/* url + opts->params, through the session's cache when there are none. */
static int request_url(weft_http_session *s, const char *url, const weft_form *params,
                       struct weft__hc_url **out)
{
    struct weft__hc_url *x;
    int err = weft__hc_session_url(s, url, &x);
    if (err || !params || weft_form_count(params) == 0) {
        if (!err)
            *out = x;
        return err;
    }
    char *q;
    int qlen = weft_form_encode(params, &q);
    if (qlen < 0) {
        weft__hc_url_unref(x);
        return qlen;
    }
    const weft_url *u = x->u;
    const char *frag = weft_url_fragment(u);
    const char *oldq = weft_url_query(u);
    size_t n = strlen(weft_url_origin(u)) + strlen(weft_url_path(u)) +
               (oldq ? strlen(oldq) + 1 : 0) + (size_t)qlen + (frag ? strlen(frag) + 1 : 0) +
               strlen(weft_url_username(u)) + strlen(weft_url_password(u)) + 8;
    char *full = malloc(n);
    if (!full) {
        free(q);
        weft__hc_url_unref(x);
        return -ENOMEM;
    }
    const char *href = weft_url_href(u);
    /* Everything before the query (or fragment) stays as it is. */
    size_t keep = strcspn(href, "?#");
    snprintf(full, n, "%.*s?%s%s%s%s%s", (int)keep, href, oldq && *oldq ? oldq : "",
             oldq && *oldq && qlen ? "&" : "", q, frag ? "#" : "", frag ? frag : "");
    free(q);
    weft__hc_url_unref(x);
    weft_url *nu;
    err = weft_url_parse(full, strlen(full), &nu);
    free(full);
    if (err)
        return err;
    if (!(*out = weft__hc_url_new(nu)))
        return -ENOMEM;
    return 0;
}

/* ------------------------------------------------------------ credentials */

static int pick_credentials(struct req *q)
{
    weft_http_session *s = q->s;
    const weft_http_request_opts *o = q->o;
    if (o->auth != WEFT_HTTP_AUTH_NONE) {
        if (!o->username || o->auth < 0 || o->auth > WEFT_HTTP_AUTH_ANY)
            return -EINVAL;
        q->auth = o->auth;
        q->user = o->username;
        q->pass = o->password ? o->password : "";
    } else if (*weft_url_username(q->url->u)) {
        /* http://user:pass@host/: Basic, as requests and curl do. */
        const weft_url *u = q->url->u;
        const char *eu = weft_url_username(u), *ep = weft_url_password(u);
        size_t lu = strlen(eu), lp = strlen(ep);
        if (!(q->creds = malloc(lu + lp + 2)))
            return -ENOMEM;
        int n = weft_percent_decode(eu, lu, false, false, q->creds);
        char *pw = q->creds + n + 1;
        weft_percent_decode(ep, lp, false, false, pw);
        q->auth = s->auth == WEFT_HTTP_AUTH_NONE ? WEFT_HTTP_AUTH_BASIC : s->auth;
        q->user = q->creds;
        q->pass = pw;
    } else {
        q->auth = s->auth;
        q->user = s->user;
        q->pass = s->pass;
        if (s->auth == WEFT_HTTP_AUTH_BASIC)
            q->basic_use = s->basic;
    }
    if (q->auth == WEFT_HTTP_AUTH_BASIC && !q->basic_use) {
        if (!(q->basic = weft__hc_basic_value(q->user, q->pass)))
            return -ENOMEM;
        q->basic_use = q->basic;
    }
    return 0;
}

static struct weft__hc_digest *digest_find(weft_http_session *s, const char *origin, bool make)
{
    for (struct weft__hc_digest *d = s->digests; d; d = d->next)
        if (strcmp(d->origin, origin) == 0)
            return d;
    if (!make)
        return NULL;
    struct weft__hc_digest *d = calloc(1, sizeof *d);
    if (!d || !(d->origin = strdup(origin))) {
        free(d);
        return NULL;
    }
    d->next = s->digests;
    s->digests = d;
    return d;
}

/* ------------------------------------------------------------ one hop */

static const struct weft__hc_proxy *hop_proxy(struct req *q)
{
    if (q->proxy_mode == 2)
        return NULL;
    if (q->proxy_mode == 1) {
        if (weft__hc_no_proxy_match(q->s->proxies.no_proxy, weft_url_hostname(q->url->u),
                                    weft_url_port(q->url->u)))
            return NULL;
        return &q->proxy;
    }
    return weft__hc_proxy_for(&q->s->proxies, q->url->u);
}

static bool retryable(int rc)
{
    return rc == -EPIPE || rc == -ECONNRESET || rc == WEFT_EHTTP_DISCONNECTED ||
           rc == WEFT_ETLS_NO_CLOSE_NOTIFY || rc == -ECONNABORTED || rc == WEFT_ECLOSED;
}

static int one_hop(struct req *q, weft_http_response **out)
{
    weft_http_session *s = q->s;
    const weft_url *u = q->url->u;
    bool https = weft_url_is_secure(u);
    struct weft__hc_target t = {.https = https, .host = weft_url_hostname(u),
                                .port = weft_url_port(u), .proxy = hop_proxy(q)};
    if (https) {
        if (q->tls) {
            t.tls = q->tls;
        } else {
            int err = weft__hc_session_tls(s, &t.tls);
            if (err) {
                weft__hc_err(q->errbuf, "cannot make the TLS context: %s", weft_strerror(err));
                return err;
            }
        }
    }
    struct weft__hc_url *x = q->url;
    struct weft__hc_pool *pool;
    if (x->pool && x->gen == s->gen && x->pool_proxy == t.proxy && x->pool_tls == t.tls) {
        pool = x->pool;
    } else {
        if (!(pool = weft__hc_pool_get(s, &t)))
            return -ENOMEM;
        x->pool = pool;
        x->pool_proxy = t.proxy;
        x->pool_tls = t.tls;
        x->gen = s->gen;
    }

    /* The request-target: absolute-form to an http proxy (RFC 9112 §3.2.2). */
    char *abs = NULL;
    const char *target = weft_url_request_target(u);
    if (t.proxy && !https) {
        size_t n = strlen(weft_url_origin(u)) + strlen(target) + 1;
        if (!(abs = malloc(n)))
            return -ENOMEM;
        snprintf(abs, n, "%s%s", weft_url_origin(u), target);
        target = abs;
    }

    bool in_scope = weft__hc_same_auth_scope(q->first->u, u);
    char *authz = NULL;
    const char *authz_use = NULL;
    if (in_scope && q->pending == 2) {
        authz = weft__hc_basic_value(q->user, q->pass);
    } else if (in_scope && (q->pending == 1 || q->auth == WEFT_HTTP_AUTH_DIGEST ||
                            q->auth == WEFT_HTTP_AUTH_ANY)) {
        /* Answer the challenge just received, or -- for a later request --
         * a nonce this origin gave before, with the next nc. */
        struct weft__hc_digest *d = digest_find(s, weft_url_origin(u), false);
        if (d && d->nonce)
            authz = weft__hc_digest_value(d, q->user, q->pass, q->method, target);
    }
    authz_use = authz;
    if (!authz && in_scope && q->auth == WEFT_HTTP_AUTH_BASIC)
        authz_use = q->basic_use;
    q->pending = 0;

    char *cookie = NULL;
    if (s->jar && !(q->flags & WEFT_HTTP_NO_COOKIES) && weft_cookie_jar_count(s->jar))
        weft_cookie_jar_header(s->jar, u, time(NULL), &cookie);

    bool no_dec = (q->flags & WEFT_HTTP_NO_DECOMPRESS) ||
                  (s->flags & WEFT_HTTP_SESSION_NO_DECOMPRESS);
    struct weft__hc_send sq = {
        .method = q->method,
        .method_id = q->method_id,
        .url = u,
        .target = target,
        .headers = q->o->headers,
        .body = q->body,
        .authorization = authz_use,
        .proxy_authorization = t.proxy && !https ? t.proxy->auth : NULL,
        .cookie = cookie,
        .accept_encoding = no_dec ? NULL : weft__hc_accept_encoding(),
        .strip_auth = q->strip_auth,
        .strip_content = q->strip_content,
        .close = (q->flags & WEFT_HTTP_NO_KEEPALIVE) || (s->flags & WEFT_HTTP_SESSION_NO_KEEPALIVE),
        .expect100 = (q->flags & WEFT_HTTP_EXPECT_CONTINUE) && q->body,
        .session_headers = true,
    };
    q->tc.url = weft_url_href(u);
    q->tc.method = q->method;

    bool fresh = q->flags & WEFT_HTTP_FRESH_CONNECT;
    weft_http_response *r = NULL;
    struct weft__hc_conn *c = NULL;
    int rc;
    for (int attempt = 0;; attempt++) {
        r = weft__hc_resp_new(s);
        if (!r) {
            rc = -ENOMEM;
            goto out;
        }
        bool reused;
        rc = weft__hc_acquire(s, pool, fresh, q->pool_timeout, q->connect_timeout, &q->tc, &r->tm,
                              q->errbuf, &c, &reused);
        if (rc < 0)
            goto out;
        s->stats.requests++;
        if (reused) {
            s->stats.connections_reused++;
            if (q->tc.on) {
                weft_http_trace ev = {.event = WEFT_HTTP_TRACE_CONNECTION_REUSED,
                                      .host = t.host, .port = t.port, .detail = c->peer};
                weft__hc_trace_emit(&q->tc, &ev);
            }
        } else {
            r->tm.dns_ns = c->tm.dns_ns;
            r->tm.connect_ns = c->tm.connect_ns;
            r->tm.tls_ns = c->tm.tls_ns;
        }
        r->tm.reused = reused;
        c->read_timeout = q->read_timeout;
        c->deadline = q->deadline;
        bool early;
        rc = weft__hc_send_request(s, c, &sq, &q->tc, &early);
        uint64_t now = weft_loop_now(s->loop);
        r->tm.sent_ns = now > q->tc.t0 ? now - q->tc.t0 : 1;
        if (rc == 0)
            rc = weft__hc_read_head(c, r, q->method_id, &q->tc);
        if (rc == 0)
            break;
        bool again = reused && !c->got_byte && attempt == 0 && retryable(rc) &&
                     !(q->flags & WEFT_HTTP_NO_RETRY) && weft__hc_idempotent(q->method_id) &&
                     !s->closed && weft__hc_body_rewindable(q->body);
        weft__hc_discard(c);
        c = NULL;
        weft__hc_resp_release(r);
        r = NULL;
        if (!again) {
            if (rc == WEFT_EHTTP_READ_TIMEOUT)
                weft__hc_err(q->errbuf, "no response from %s within the read timeout", t.host);
            else if (rc == WEFT_EHTTP_DISCONNECTED)
                weft__hc_err(q->errbuf, "%s closed the connection without a response", t.host);
            else if (rc != -ETIMEDOUT && q->errbuf && !q->errbuf[0])
                weft__hc_err(q->errbuf, "request to %s failed: %s", t.host, weft_strerror(rc));
            goto out;
        }
        s->stats.retries++;
        if (q->tc.on)
            weft__hc_trace_simple(&q->tc, WEFT_HTTP_TRACE_RETRY, 0, rc, NULL);
        if ((rc = weft__hc_body_rewind(q->body)) < 0)
            goto out;
        fresh = true;
    }

    r->url = weft__hc_url_ref(q->url);
    memcpy(r->method, q->method, sizeof r->method);
    r->method_id = q->method_id;
    r->deadline = q->deadline;
    r->read_timeout = q->read_timeout;
    r->max_body = q->max_body;
    r->tc = q->tc;
    r->conn = c;
    if (!no_dec && (rc = weft__hc_resp_setup_decoding(r)) < 0)
        goto out;
    if (r->b.done) {
        weft__hc_resp_detach(r, true);
        if (!r->dec) {
            r->ended = true;
            weft__hc_resp_emit_done(r);
        }
    }
    if (q->tc.on) {
        weft_http_trace ev = {.event = WEFT_HTTP_TRACE_RESPONSE_HEADERS, .status = r->status,
                              .response = r};
        weft__hc_trace_emit(&q->tc, &ev);
    }
    *out = r;
    r = NULL;
out:
    if (r) {
        if (r->conn)
            weft__hc_resp_detach(r, false);
        weft__hc_resp_release(r);
    }
    free(abs);
    free(authz);
    free(cookie);
    return rc;
}

static void store_cookies(struct req *q, const weft_http_response *r)
{
    weft_cookie_jar *jar = q->s->jar;
    if (!jar || (q->flags & WEFT_HTTP_NO_COOKIES))
        return;
    time_t now = 0;
    for (size_t i = 0; i < r->nhdrs; i++) {
        if (strcasecmp(r->hdrs[i].name.ptr, "Set-Cookie") != 0)
            continue;
        if (!now)
            now = time(NULL);
        /* A cookie the jar refuses (bad domain, over a limit) is ignored,
         * as RFC 6265 says; it does not fail the request. */
        weft_cookie_jar_set(jar, r->url->u, r->hdrs[i].value.ptr, r->hdrs[i].value.len, now);
    }
}

/* After a 401: answer its challenge? Sets q->pending for the next hop. */
static bool answer_challenge(struct req *q, const weft_http_response *r)
{
    if (q->auth != WEFT_HTTP_AUTH_DIGEST && q->auth != WEFT_HTTP_AUTH_ANY)
        return false;
    if (!weft__hc_same_auth_scope(q->first->u, r->url->u))
        return false;
    struct weft__hc_digest tmp = {0};
    int offered = weft__hc_auth_challenges(r, "WWW-Authenticate", &tmp);
    /* One answer per URL: a second 401 means the credentials are wrong,
     * unless the server only says our nonce went stale (one more then). */
    bool stale = (offered & 4) && q->answers == 1;
    if (q->answers && !stale) {
        weft__hc_digest_free(&tmp);
        return false;
    }
    if (offered & 2) {
        struct weft__hc_digest *d = digest_find(q->s, weft_url_origin(r->url->u), true);
        if (!d) {
            weft__hc_digest_free(&tmp);
            return false;
        }
        char *origin = d->origin;
        struct weft__hc_digest *next = d->next;
        d->origin = NULL;
        weft__hc_digest_free(d);
        *d = tmp;
        d->origin = origin;
        d->next = next;
        d->nc = 0;
        q->pending = 1;
    } else {
        weft__hc_digest_free(&tmp);
        if (!((offered & 1) && q->auth == WEFT_HTTP_AUTH_ANY))
            return false;
        q->pending = 2;
    }
    q->answers++;
    return true;
}

/* Prepare the next hop after a redirect. */
static int follow(struct req *q, const weft_http_response *r)
{
    weft_url *nu;
    int err = weft__hc_redirect_url(r, &nu);
    if (err) {
        weft__hc_err(q->errbuf, "cannot follow the redirect to %s: %s",
                     weft_http_response_header(r, "Location"), weft_strerror(err));
        return err;
    }
    bool dropped;
    const char *m = weft__hc_redirect_method(r->status, q->method, &dropped);
    if (m != q->method) {
        snprintf(q->method, sizeof q->method, "%s", m);
        q->method_id = weft__hc_method_id(q->method);
    }
    if (dropped) {
        q->body = NULL;
        q->strip_content = true;
    } else if (q->body && q->body->kind != WEFT_HTTP_BODY_NONE) {
        if ((err = weft__hc_body_rewind(q->body)) < 0) {
            weft_url_free(nu);
            weft__hc_err(q->errbuf, "a %d redirect needs the request body again, "
                                    "and it cannot be rewound", r->status);
            return err;
        }
    }
    if (!weft__hc_same_auth_scope(q->first->u, nu))
        q->strip_auth = true; /* no Authorization or caller's Cookie to another origin */
    struct weft__hc_url *x = weft__hc_url_new(nu);
    if (!x)
        return -ENOMEM;
    weft__hc_url_unref(q->url);
    q->url = x;
    q->pending = 0;
    q->answers = 0;
    return 0;
}

static int run(struct req *q, weft_http_response **out)
{
    weft_http_session *s = q->s;
    weft_http_response **hist = NULL;
    size_t nhist = 0;
    int redirects = 0, rc;
    weft_http_response *r = NULL;
    for (;;) {
        rc = one_hop(q, &r);
        if (rc < 0)
            break;
        store_cookies(q, r);
        bool again = false;
        if (q->max_redirects >= 0 && weft__hc_is_redirect(r)) {
            if (redirects == q->max_redirects) {
                weft__hc_err(q->errbuf, "stopped after %d redirects (last to %s)", redirects,
                             weft_http_response_header(r, "Location"));
                rc = WEFT_EHTTP_TOO_MANY_REDIRECTS;
                break;
            }
            redirects++;
            if ((rc = follow(q, r)) < 0)
                break;
            again = true;
            if (q->tc.on) {
                weft_http_trace ev = {.event = WEFT_HTTP_TRACE_REDIRECT, .status = r->status,
                                      .detail = weft_url_href(q->url->u), .response = r};
                weft__hc_trace_emit(&q->tc, &ev);
            }
        } else if (r->status == 401 && answer_challenge(q, r)) {
            if (q->body && (rc = weft__hc_body_rewind(q->body)) < 0) {
                weft__hc_err(q->errbuf, "answering the 401 needs the request body again, "
                                        "and it cannot be rewound");
                break;
            }
            again = true;
        }
        if (!again)
            break;
        /* Keep the connection if the body is short; then the hop goes to
         * the history. */
        int d = weft__hc_resp_drain(r, DRAIN_MAX);
        if (d != 0 && r->conn)
            weft__hc_resp_detach(r, false);
        weft_http_response **h = realloc(hist, (nhist + 1) * sizeof *h);
        if (!h) {
            rc = -ENOMEM;
            break;
        }
        hist = h;
        hist[nhist++] = r;
        r = NULL;
        if (s->closed) {
            rc = WEFT_ECLOSED;
            break;
        }
    }
    if (rc == 0) {
        for (size_t i = 0; i < nhist && rc == 0; i++) {
            rc = weft__hc_resp_add_history(r, hist[i]);
            if (rc == 0)
                hist[i] = NULL;
        }
    }
    for (size_t i = 0; i < nhist; i++)
        if (hist[i])
            weft__hc_resp_release(hist[i]);
    free(hist);
    if (rc < 0) {
        if (r) {
            if (r->conn)
                weft__hc_resp_detach(r, false);
            weft__hc_resp_release(r);
        }
        return rc;
    }
    *out = r;
    return 0;
}

/* ------------------------------------------------------------ entry */

struct req_arg {
    weft_http_session *s;
    const char *method, *url;
    const weft_http_request_opts *opts;
    weft_http_response **out;
};

static int request_task(void *arg)
{
    struct req_arg *a = arg;
    return weft_http_session_request(a->s, a->method, a->url, a->opts, a->out);
}

int weft_http_session_request(weft_http_session *s, const char *method, const char *url,
                              const weft_http_request_opts *opts, weft_http_response **out)
{
    static const weft_http_request_opts none;
    if (!s || !method || !url || !out)
        return -EINVAL;
    int face = weft__hc_face(s);
    if (face < 0)
        return face;
    if (face == 1) {
        struct req_arg a = {s, method, url, opts, out};
        return weft__hc_block(s, request_task, &a);
    }
    if (!opts)
        opts = &none;
    if (opts->errbuf)
        opts->errbuf[0] = '\0';
    if (s->closed)
        return WEFT_ECLOSED;
    size_t mlen = strlen(method);
    if (mlen >= sizeof ((struct req *)0)->method || !weft_http_token_valid(method, mlen))
        return WEFT_EHTTP_BAD_METHOD;

    struct req q = {.s = s, .o = opts};
    memcpy(q.method, method, mlen + 1);
    q.method_id = weft__hc_method_id(method);
    q.body = opts->body.kind != WEFT_HTTP_BODY_NONE ? &opts->body : NULL;
    q.flags = opts->flags;
    if (s->flags & WEFT_HTTP_SESSION_NO_REDIRECTS)
        q.flags |= WEFT_HTTP_NO_REDIRECTS;
    if (s->flags & WEFT_HTTP_SESSION_NO_KEEPALIVE)
        q.flags |= WEFT_HTTP_NO_KEEPALIVE;
    q.connect_timeout = pick(opts->connect_timeout_ns, s->connect_timeout);
    q.read_timeout = pick(opts->read_timeout_ns, s->read_timeout);
    q.pool_timeout = s->pool_timeout;
    q.max_body = pick(opts->max_body, s->max_body);
    q.max_redirects = opts->max_redirects > 0 ? opts->max_redirects
                      : opts->max_redirects < 0 ? -1 : s->max_redirects;
    if (q.flags & WEFT_HTTP_NO_REDIRECTS)
        q.max_redirects = -1;
    q.tls = opts->tls_ctx;
    q.errbuf = opts->errbuf;

    int rc = request_url(s, url, opts->params, &q.url);
    if (rc < 0) {
        weft__hc_err(q.errbuf, "bad URL %s: %s", url, weft_strerror(rc));
        return rc;
    }
    q.first = weft__hc_url_ref(q.url);
    if (opts->proxy) {
        if (!*opts->proxy) {
            q.proxy_mode = 2;
        } else if ((rc = weft__hc_proxy_parse(&q.proxy, opts->proxy)) == 0) {
            q.proxy_mode = 1;
        }
    }
    if (rc == 0)
        rc = pick_credentials(&q);
    if (rc < 0) {
        weft__hc_url_unref(q.url);
        weft__hc_url_unref(q.first);
        weft__hc_proxy_clear(&q.proxy);
        free(q.basic);
        free(q.creds);
        return rc;
    }

    weft__hc_session_ref(s);
    weft__hc_trace_init(&q.tc, s, opts->trace, opts->trace_ud);
    q.tc.method = q.method;
    q.tc.url = weft_url_href(q.url->u);
    if (q.tc.on)
        weft__hc_trace_simple(&q.tc, WEFT_HTTP_TRACE_REQUEST_START, 0, 0, NULL);
    uint64_t total = pick(opts->timeout_ns, s->timeout);
    q.deadline = total == WEFT_NEVER || q.tc.t0 + total < q.tc.t0 ? WEFT_NEVER : q.tc.t0 + total;
    int scope = q.deadline != WEFT_NEVER ? weft_timeout_push_at(q.deadline) : -1;
    if (q.deadline != WEFT_NEVER && scope < 0) {
        rc = scope;
    } else {
        rc = run(&q, out);
        if (scope >= 0 && weft_timeout_pop(scope) && rc == -ETIMEDOUT)
            weft__hc_err(q.errbuf, "request to %s timed out after %llu ms", url,
                         (unsigned long long)(total / 1000000u));
    }
    if (rc < 0 && q.tc.on)
        weft__hc_trace_simple(&q.tc, WEFT_HTTP_TRACE_ERROR, 0, rc, q.errbuf);
    if (rc < 0 && q.errbuf && !q.errbuf[0])
        weft__hc_err(q.errbuf, "%s %s: %s", q.method, url, weft_strerror(rc));
    weft__hc_url_unref(q.url);
    weft__hc_url_unref(q.first);
    weft__hc_proxy_clear(&q.proxy);
    free(q.basic);
    free(q.creds);
    weft__hc_session_unref(s);
    return rc;
}

int weft_http_session_get(weft_http_session *s, const char *url,
                          const weft_http_request_opts *opts, weft_http_response **out)
{
    return weft_http_session_request(s, "GET", url, opts, out);
}

int weft_http_session_head(weft_http_session *s, const char *url,
                           const weft_http_request_opts *opts, weft_http_response **out)
{
    return weft_http_session_request(s, "HEAD", url, opts, out);
}

int weft_http_session_post(weft_http_session *s, const char *url,
                           const weft_http_request_opts *opts, weft_http_response **out)
{
    return weft_http_session_request(s, "POST", url, opts, out);
}

int weft_http_session_put(weft_http_session *s, const char *url,
                          const weft_http_request_opts *opts, weft_http_response **out)
{
    return weft_http_session_request(s, "PUT", url, opts, out);
}

int weft_http_session_delete(weft_http_session *s, const char *url,
                             const weft_http_request_opts *opts, weft_http_response **out)
{
    return weft_http_session_request(s, "DELETE", url, opts, out);
}
