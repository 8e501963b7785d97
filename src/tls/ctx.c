/*
 * ctx.c - TLS contexts: verification defaults, certificates, ALPN, SNI,
 * versions, and the client-side session cache keyed by "host:port".
 *
 * OpenSSL keeps client sessions only if someone stores them: a client
 * SSL_CTX has no useful internal cache (it cannot know which server a
 * session belongs to). We take each new session in the new-session callback
 * and file it under the connection's key, so that the next connection to the
 * same host:port offers it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls/tls_int.h"

/* Session id context for servers: resumption with client certificates fails
 * without one ("session id context uninitialized"). */
static const unsigned char sid_ctx[] = "weft";

void weft__tls_detail_from_queue(char *detail, const char *fallback)
{
    unsigned long e;
    const char *data = NULL, *first = NULL;
    int flags = 0;
    char firstdata[128] = "";
    /* The oldest error is the root cause ("No such file or directory"),
     * later ones add the layers ("system lib", "PEM lib"). */
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        if (first)
            continue;
        /* System errors carry errno as their reason. */
        first = ERR_SYSTEM_ERROR(e) ? strerror(ERR_GET_REASON(e)) : ERR_reason_error_string(e);
        if (data && (flags & ERR_TXT_STRING))
            snprintf(firstdata, sizeof firstdata, "%s", data);
    }
    if (!first)
        first = fallback;
    if (firstdata[0])
        snprintf(detail, WEFT__TLS_DETAIL, "%s (%s)", first, firstdata);
    else
        snprintf(detail, WEFT__TLS_DETAIL, "%s", first);
}

void weft__tls_ctx_note(weft_tls_ctx *ctx, int err, const char *detail)
{
    snprintf(ctx->detail, sizeof ctx->detail, "%s", detail && *detail ? detail : weft_strerror(err));
}

static int config_error(weft_tls_ctx *ctx, const char *fallback)
{
    weft__tls_detail_from_queue(ctx->detail, fallback);
    return WEFT_ETLS_CONFIG;
}

static int config_error_msg(weft_tls_ctx *ctx, const char *msg)
{
    ERR_clear_error();
    snprintf(ctx->detail, sizeof ctx->detail, "%s", msg);
    return WEFT_ETLS_CONFIG;
}

/* ------------------------------------------------------------ client cache */

SSL_SESSION *weft__tls_cache_get(weft_tls_ctx *ctx, const char *key)
{
    for (size_t i = 0; i < ctx->nsess; i++) {
        if (strcmp(ctx->sess[i].key, key) == 0) {
            ctx->sess[i].used = ++ctx->sess_clock;
            return ctx->sess[i].sess;
        }
    }
    return NULL;
}

/* Takes over the caller's reference on sess. */
void weft__tls_cache_put(weft_tls_ctx *ctx, const char *key, SSL_SESSION *sess)
{
    for (size_t i = 0; i < ctx->nsess; i++) {
        if (strcmp(ctx->sess[i].key, key) == 0) {
            SSL_SESSION_free(ctx->sess[i].sess);
            ctx->sess[i].sess = sess;
            ctx->sess[i].used = ++ctx->sess_clock;
            return;
        }
    }
    char *k = strdup(key);
    if (!k) {
        SSL_SESSION_free(sess);
        return;
    }
    size_t slot = ctx->nsess;
    if (ctx->nsess == ctx->max_sess) {
        /* Full: the least recently used entry goes. The cache is small
         * (tens of servers), so a scan costs less than an index would. */
        slot = 0;
        for (size_t i = 1; i < ctx->nsess; i++)
            if (ctx->sess[i].used < ctx->sess[slot].used)
                slot = i;
        free(ctx->sess[slot].key);
        SSL_SESSION_free(ctx->sess[slot].sess);
    } else {
        ctx->nsess++;
    }
    ctx->sess[slot] = (struct weft__tls_sess){ k, sess, ++ctx->sess_clock };
}

static void cache_clear(weft_tls_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nsess; i++) {
        free(ctx->sess[i].key);
        SSL_SESSION_free(ctx->sess[i].sess);
    }
    ctx->nsess = 0;
}

/* OpenSSL hands us each session the server gives (TLS 1.2 at the end of
 * the handshake, TLS 1.3 with every NewSessionTicket). We keep a copy, not
 * the object itself: OpenSSL marks a connection's own session
 * non-resumable when the connection is freed without a TLS shutdown, a
 * pre-TLS 1.1 rule that would make every abrupt close cost the next
 * connection a full handshake. */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
    weft_tls *t = SSL_get_app_data(ssl);
    if (!t || !t->session_key || t->ctx->max_sess == 0 || !SSL_SESSION_is_resumable(sess))
        return 0;
    SSL_SESSION *copy = SSL_SESSION_dup(sess);
    if (copy)
        weft__tls_cache_put(t->ctx, t->session_key, copy);
    return 0;
}

/* ------------------------------------------------------------ server hooks */

static bool sni_match(const char *pattern, const char *name)
{
    if (pattern[0] == '*' && pattern[1] == '.') {
        const char *dot = strchr(name, '.');
        return dot && dot != name && strcasecmp(dot, pattern + 1) == 0;
    }
    return strcasecmp(pattern, name) == 0;
}

static int servername_cb(SSL *ssl, int *alert, void *arg)
{
    weft_tls_ctx *ctx = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name)
        return SSL_TLSEXT_ERR_NOACK;
    /* Exact names first, then wildcards, whatever the order they were added. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ctx->nsni; i++) {
            bool wild = ctx->sni[i].name[0] == '*';
            if (wild != (pass == 1) || !sni_match(ctx->sni[i].name, name))
                continue;
            SSL_CTX *sub = ctx->sni[i].ctx->ssl_ctx;
            if (!SSL_set_SSL_CTX(ssl, sub))
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            /* The verify mode was copied into the SSL when it was made;
             * the new context brings its own. */
            SSL_set_verify(ssl, SSL_CTX_get_verify_mode(sub), NULL);
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

/* Server preference: the first of our protocols that the client offers. */
static int alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{
    weft_tls_ctx *cur = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    weft_tls *t = SSL_get_app_data(ssl);
    const unsigned char *ours = cur ? cur->alpn : NULL;
    size_t ours_len = cur ? cur->alpn_len : 0;
    if (!ours && t) { /* an SNI context without a list of its own */
        ours = t->ctx->alpn;
        ours_len = t->ctx->alpn_len;
    }
    if (!ours)
        return SSL_TLSEXT_ERR_NOACK;
    for (size_t i = 0; i < ours_len; i += 1u + ours[i]) {
        for (unsigned j = 0; j < inlen; j += 1u + in[j]) {
            if (j + 1u + in[j] > inlen)
                break;
            if (in[j] == ours[i] && memcmp(in + j + 1, ours + i + 1, ours[i]) == 0) {
                *out = in + j + 1;
                *outlen = in[j];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
}

/* ------------------------------------------------------------------ context */

static void apply_verify(weft_tls_ctx *ctx)
{
    int mode = SSL_VERIFY_NONE;
    if (ctx->verify != WEFT_TLS_VERIFY_NONE)
        mode = SSL_VERIFY_PEER;
    if (ctx->role == WEFT_TLS_SERVER && ctx->verify == WEFT_TLS_VERIFY_REQUIRED)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx->ssl_ctx, mode, NULL);
}

int weft_tls_ctx_new(enum weft_tls_role role, weft_tls_ctx **out)
{
    *out = NULL;
    if (role != WEFT_TLS_CLIENT && role != WEFT_TLS_SERVER)
        return -EINVAL;
    weft_tls_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return -ENOMEM;
    ctx->refs = 1;
    ctx->role = role;
    ERR_clear_error();
    ctx->ssl_ctx = SSL_CTX_new(role == WEFT_TLS_SERVER ? TLS_server_method()
                                                       : TLS_client_method());
    if (!ctx->ssl_ctx) {
        free(ctx);
        ERR_clear_error();
        return -ENOMEM;
    }
    SSL_CTX *s = ctx->ssl_ctx;
    SSL_CTX_set_app_data(s, ctx);
    SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
    /* Renegotiation is a source of bugs and attacks, and TLS 1.3 has none. */
    SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION);
    if (role == WEFT_TLS_CLIENT) {
        ctx->verify = WEFT_TLS_VERIFY_REQUIRED;
        ctx->check_hostname = true;
        if (SSL_CTX_set_default_verify_paths(s) != 1) {
            /* No system store is not fatal: a CA file may come next. */
            ERR_clear_error();
        }
        ctx->default_paths = true;
        ctx->max_sess = 64;
        ctx->sess = calloc(ctx->max_sess, sizeof *ctx->sess);
        if (!ctx->sess) {
            SSL_CTX_free(s);
            free(ctx);
            return -ENOMEM;
        }
        SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(s, new_session_cb);
    } else {
        ctx->verify = WEFT_TLS_VERIFY_NONE;
        ctx->check_hostname = false;
        SSL_CTX_set_options(s, SSL_OP_CIPHER_SERVER_PREFERENCE);
        SSL_CTX_set_session_id_context(s, sid_ctx, sizeof sid_ctx - 1);
        SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(s, 1024);
        SSL_CTX_set_tlsext_servername_callback(s, servername_cb);
        SSL_CTX_set_tlsext_servername_arg(s, ctx);
        SSL_CTX_set_alpn_select_cb(s, alpn_select_cb, ctx);
    }
    apply_verify(ctx);
    *out = ctx;
    return 0;
}

void weft_tls_ctx_ref(weft_tls_ctx *ctx)
{
    ctx->refs++;
}

void weft_tls_ctx_free(weft_tls_ctx *ctx)
{
    if (!ctx || --ctx->refs > 0)
        return;
    cache_clear(ctx);
    free(ctx->sess);
    for (size_t i = 0; i < ctx->nsni; i++) {
        free(ctx->sni[i].name);
        weft_tls_ctx_free(ctx->sni[i].ctx);
    }
    free(ctx->sni);
    free(ctx->alpn);
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}

enum weft_tls_role weft_tls_ctx_role(const weft_tls_ctx *ctx)
{
    return ctx->role;
}

const char *weft_tls_ctx_errdetail(const weft_tls_ctx *ctx)
{
    return ctx->detail;
}

struct ssl_ctx_st *weft_tls_ctx_ssl_ctx(weft_tls_ctx *ctx)
{
    return ctx->ssl_ctx;
}

int weft_tls_ctx_load_cert_chain(weft_tls_ctx *ctx, const char *certfile, const char *keyfile)
{
    if (!certfile)
        return config_error_msg(ctx, "no certificate file given");
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx->ssl_ctx, certfile) != 1)
        return config_error(ctx, "cannot load the certificate chain");
    if (SSL_CTX_use_PrivateKey_file(ctx->ssl_ctx, keyfile ? keyfile : certfile,
                                    SSL_FILETYPE_PEM) != 1)
        return config_error(ctx, "cannot load the private key");
    if (SSL_CTX_check_private_key(ctx->ssl_ctx) != 1)
        return config_error(ctx, "the private key does not match the certificate");
    return 0;
}

int weft_tls_ctx_clear_default_verify_paths(weft_tls_ctx *ctx)
{
    /* A fresh, empty store replaces the one holding the system CAs. */
    X509_STORE *st = X509_STORE_new();
    if (!st)
        return -ENOMEM;
    SSL_CTX_set_cert_store(ctx->ssl_ctx, st);
    ctx->default_paths = false;
    return 0;
}

int weft_tls_ctx_load_verify_locations(weft_tls_ctx *ctx, const char *cafile, const char *capath)
{
    if (!cafile && !capath)
        return config_error_msg(ctx, "neither a CA file nor a CA folder given");
    ERR_clear_error();
    if (SSL_CTX_load_verify_locations(ctx->ssl_ctx, cafile, capath) != 1)
        return config_error(ctx, "cannot load the CA certificates");
    if (ctx->role == WEFT_TLS_SERVER && cafile) {
        /* Tell clients which CAs we accept for their certificates. */
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cafile);
        if (names)
            SSL_CTX_set_client_CA_list(ctx->ssl_ctx, names);
        ERR_clear_error();
    }
    return 0;
}

int weft_tls_ctx_set_verify(weft_tls_ctx *ctx, enum weft_tls_verify mode)
{
    if (mode != WEFT_TLS_VERIFY_NONE && mode != WEFT_TLS_VERIFY_OPTIONAL &&
        mode != WEFT_TLS_VERIFY_REQUIRED)
        return config_error_msg(ctx, "unknown verify mode");
    if (ctx->role == WEFT_TLS_CLIENT && mode != WEFT_TLS_VERIFY_REQUIRED)
        return config_error_msg(ctx, "a client verifies the server; to turn that off, "
                                     "call weft_tls_ctx_set_insecure_no_verify()");
    ctx->verify = mode;
    apply_verify(ctx);
    return 0;
}

int weft_tls_ctx_set_check_hostname(weft_tls_ctx *ctx, bool check)
{
    if (ctx->role != WEFT_TLS_CLIENT)
        return config_error_msg(ctx, "host name checks are for client contexts");
    ctx->check_hostname = check;
    return 0;
}

int weft_tls_ctx_set_insecure_no_verify(weft_tls_ctx *ctx)
{
    if (ctx->role != WEFT_TLS_CLIENT)
        return config_error_msg(ctx, "weft_tls_ctx_set_insecure_no_verify is for client contexts");
    ctx->verify = WEFT_TLS_VERIFY_NONE;
    ctx->check_hostname = false;
    apply_verify(ctx);
    return 0;
}

int weft_tls_ctx_set_alpn(weft_tls_ctx *ctx, const char *protocols)
{
    free(ctx->alpn);
    ctx->alpn = NULL;
    ctx->alpn_len = 0;
    if (!protocols || !*protocols) {
        if (ctx->role == WEFT_TLS_CLIENT)
            SSL_CTX_set_alpn_protos(ctx->ssl_ctx, NULL, 0);
        return 0;
    }
    /* "h2,http/1.1" -> "\x02h2\x08http/1.1": each comma becomes the length
     * of the name after it, so the wire form is as long as the string + 1. */
    size_t n = strlen(protocols);
    unsigned char *w = malloc(n + 1);
    if (!w)
        return -ENOMEM;
    size_t wl = 0;
    const char *p = protocols;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len > 255) {
            free(w);
            return config_error_msg(ctx, "ALPN protocol names must be 1..255 bytes, comma-separated");
        }
        w[wl++] = (unsigned char)len;
        memcpy(w + wl, p, len);
        wl += len;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (ctx->role == WEFT_TLS_CLIENT && SSL_CTX_set_alpn_protos(ctx->ssl_ctx, w, (unsigned)wl) != 0) {
        free(w);
        return config_error(ctx, "cannot set the ALPN list");
    }
    ctx->alpn = w;
    ctx->alpn_len = wl;
    return 0;
}

static bool valid_version(int v)
{
    return v == 0 || v == WEFT_TLS_1_2 || v == WEFT_TLS_1_3;
}

int weft_tls_ctx_set_versions(weft_tls_ctx *ctx, int min_version, int max_version)
{
    if (!valid_version(min_version) || !valid_version(max_version) ||
        (min_version && max_version && min_version > max_version))
        return config_error_msg(ctx, "versions must be WEFT_TLS_1_2 or WEFT_TLS_1_3, min <= max");
    ERR_clear_error();
    if (SSL_CTX_set_min_proto_version(ctx->ssl_ctx, min_version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx->ssl_ctx, max_version) != 1)
        return config_error(ctx, "cannot set the protocol versions");
    return 0;
}

int weft_tls_ctx_set_ciphers(weft_tls_ctx *ctx, const char *tls12, const char *tls13)
{
    ERR_clear_error();
    if (tls12 && SSL_CTX_set_cipher_list(ctx->ssl_ctx, tls12) != 1)
        return config_error(ctx, "no cipher in the TLS 1.2 list is usable");
    if (tls13 && SSL_CTX_set_ciphersuites(ctx->ssl_ctx, tls13) != 1)
        return config_error(ctx, "no suite in the TLS 1.3 list is usable");
    return 0;
}

int weft_tls_ctx_add_sni(weft_tls_ctx *ctx, const char *hostname, weft_tls_ctx *sub)
{
    if (ctx->role != WEFT_TLS_SERVER || !sub || sub == ctx || sub->role != WEFT_TLS_SERVER ||
        !hostname || !*hostname)
        return -EINVAL;
    struct weft__tls_sni *n = realloc(ctx->sni, (ctx->nsni + 1) * sizeof *n);
    if (!n)
        return -ENOMEM;
    ctx->sni = n;
    char *name = strdup(hostname);
    if (!name)
        return -ENOMEM;
    for (char *c = name; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    weft_tls_ctx_ref(sub);
    ctx->sni[ctx->nsni++] = (struct weft__tls_sni){ name, sub };
    return 0;
}

int weft_tls_ctx_set_session_cache(weft_tls_ctx *ctx, size_t max_entries)
{
    if (ctx->role == WEFT_TLS_SERVER) {
        SSL_CTX_set_session_cache_mode(ctx->ssl_ctx,
                                       max_entries ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
        SSL_CTX_sess_set_cache_size(ctx->ssl_ctx, (long)max_entries);
        return 0;
    }
    if (max_entries > 1u << 20)
        return -EINVAL;
    cache_clear(ctx);
    struct weft__tls_sess *s = NULL;
    if (max_entries) {
        s = calloc(max_entries, sizeof *s);
        if (!s)
            return -ENOMEM;
    }
    free(ctx->sess);
    ctx->sess = s;
    ctx->max_sess = max_entries;
    return 0;
}

int weft_tls_ctx_set_session_tickets(weft_tls_ctx *ctx, bool on)
{
    if (ctx->role != WEFT_TLS_SERVER)
        return -EINVAL;
    if (on)
        SSL_CTX_clear_options(ctx->ssl_ctx, SSL_OP_NO_TICKET);
    else
        SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_TICKET);
    return 0;
}
