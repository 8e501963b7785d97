/*
 * engine.c - one TLS connection with no I/O: OpenSSL reads and writes
 * through a small BIO of our own whose read side takes bytes from t->in
 * (ciphertext the caller fed) and whose write side appends to t->out
 * (ciphertext the caller takes). A memory BIO would do too, but ours lets
 * the caller send straight out of the buffer (peek/consume) without a copy,
 * and lets us tell OpenSSL "end of input" exactly when the network said so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls/tls_int.h"

/* ----------------------------------------------------------------- buffers */

static int buf_append(struct weft__tls_buf *b, const void *data, size_t len)
{
    if (b->off == b->len)
        b->off = b->len = 0;
    if (b->len + len > b->cap && b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + len)
            cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d)
            return -ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static size_t buf_avail(const struct weft__tls_buf *b)
{
    return b->len - b->off;
}

/* --------------------------------------------------------------- the BIO */

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *bio, const char *data, int len)
{
    weft_tls *t = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (len <= 0)
        return 0;
    if (t->out_cb && buf_avail(&t->out) == 0) {
        t->out_cb(data, (size_t)len, t->out_ud);
        return len;
    }
    if (buf_append(&t->out, data, (size_t)len) < 0)
        return -1;
    return len;
}

static int bio_read(BIO *bio, char *data, int len)
{
    weft_tls *t = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t avail = buf_avail(&t->in);
    if (avail == 0) {
        if (t->in_eof)
            return 0;          /* end of file: no retry flag */
        BIO_set_retry_read(bio);
        return -1;
    }
    size_t n = avail < (size_t)len ? avail : (size_t)len;
    memcpy(data, t->in.data + t->in.off, n);
    t->in.off += n;
    if (t->in.off == t->in.len)
        t->in.off = t->in.len = 0;
    return (int)n;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    weft_tls *t = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_PENDING:
        return (long)buf_avail(&t->in);
    case BIO_CTRL_WPENDING:
        return (long)buf_avail(&t->out);
    case BIO_CTRL_EOF:
        return t->in_eof && buf_avail(&t->in) == 0;
    default:
        return 0;
    }
}

static int bio_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static void make_bio_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "weft");
    if (!m)
        return;
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    bio_method = m;
}

/* ------------------------------------------------------------------ errors */

/* Alerts that mean "your certificate (or lack of one) was refused": with
 * TLS 1.3 a client learns this only after its side of the handshake is done,
 * on its first read, but it is a handshake failure all the same. */
static bool is_certificate_alert(int reason)
{
    switch (reason) {
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return true;
    default:
        return false;
    }
}

static int fail(weft_tls *t, int code, const char *detail)
{
    t->failed = code;
    if (detail) {
        snprintf(t->detail, sizeof t->detail, "%s", detail);
        ERR_clear_error();
    } else {
        weft__tls_detail_from_queue(t->detail, weft_strerror(code));
    }
    return code;
}

/* Map the result of a failed SSL_* call to -EAGAIN or a sticky weft code. */
static int ssl_error(weft_tls *t, int ret)
{
    int e = SSL_get_error(t->ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: /* never: our output grows */
        ERR_clear_error();
        return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        t->close_notify_in = true;
        ERR_clear_error();
        return 0;
    case SSL_ERROR_SYSCALL:
        /* Our BIO sets no errno: this is an end of input OpenSSL did not
         * name (older behaviour), so treat it as one. */
        if (!t->handshake_done)
            return fail(t, WEFT_ETLS_HANDSHAKE, "the peer closed the connection during the handshake");
        return fail(t, WEFT_ETLS_NO_CLOSE_NOTIFY, "the peer closed the connection without close_notify");
    case SSL_ERROR_SSL:
        break;
    default:
        return fail(t, WEFT_ETLS, NULL);
    }
    unsigned long err = ERR_peek_error();
    int reason = ERR_GET_REASON(err);
    if (ERR_GET_LIB(err) == ERR_LIB_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        if (!t->handshake_done)
            return fail(t, WEFT_ETLS_HANDSHAKE, "the peer closed the connection during the handshake");
        return fail(t, WEFT_ETLS_NO_CLOSE_NOTIFY, "the peer closed the connection without close_notify");
    }
    long vr = SSL_get_verify_result(t->ssl);
    if (ERR_GET_LIB(err) == ERR_LIB_SSL && reason == SSL_R_CERTIFICATE_VERIFY_FAILED &&
        vr != X509_V_OK)
        return fail(t, WEFT_ETLS_VERIFY, X509_verify_cert_error_string(vr));
    if (ERR_GET_LIB(err) == ERR_LIB_SSL && is_certificate_alert(reason))
        return fail(t, WEFT_ETLS_HANDSHAKE, NULL);
    return fail(t, t->handshake_done ? WEFT_ETLS_PROTOCOL : WEFT_ETLS_HANDSHAKE, NULL);
}

/* ------------------------------------------------------------------ engine */

static bool is_ip_literal(const char *host)
{
    unsigned char a[16];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

int weft_tls_new(weft_tls_ctx *ctx, const char *server_hostname, weft_tls **out)
{
    *out = NULL;
    pthread_once(&bio_once, make_bio_method);
    if (!bio_method)
        return -ENOMEM;
    bool client = ctx->role == WEFT_TLS_CLIENT;
    bool check = client && ctx->verify != WEFT_TLS_VERIFY_NONE && ctx->check_hostname;
    char host[256] = "";
    if (server_hostname) {
        /* "[::1]" as in URLs: the address is inside the brackets. */
        size_t n = strlen(server_hostname);
        if (n >= sizeof host) {
            snprintf(ctx->detail, sizeof ctx->detail, "server_hostname is too long");
            return WEFT_ETLS_CONFIG;
        }
        if (n > 2 && server_hostname[0] == '[' && server_hostname[n - 1] == ']')
            snprintf(host, sizeof host, "%.*s", (int)(n - 2), server_hostname + 1);
        else
            memcpy(host, server_hostname, n + 1);
    }
    if (check && !host[0]) {
        snprintf(ctx->detail, sizeof ctx->detail,
                 "check_hostname needs a server_hostname (or turn the check off)");
        return WEFT_ETLS_CONFIG;
    }
    weft_tls *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    ERR_clear_error();
    t->ssl = SSL_new(ctx->ssl_ctx);
    BIO *bio = t->ssl ? BIO_new(bio_method) : NULL;
    if (!bio) {
        SSL_free(t->ssl);
        free(t);
        ERR_clear_error();
        return -ENOMEM;
    }
    BIO_set_data(bio, t);
    SSL_set_bio(t->ssl, bio, bio); /* one reference, owned by the SSL */
    SSL_set_app_data(t->ssl, t);
    t->ctx = ctx;
    weft_tls_ctx_ref(ctx);

    if (!client) {
        SSL_set_accept_state(t->ssl);
        *out = t;
        return 0;
    }
    SSL_set_connect_state(t->ssl);
    if (host[0]) {
        bool ip = is_ip_literal(host);
        int ok = 1;
        /* RFC 6066: SNI carries DNS names only, never addresses. */
        if (!ip)
            ok = SSL_set_tlsext_host_name(t->ssl, host);
        if (ok == 1 && check) {
            if (ip) {
                ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host);
            } else {
                SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                ok = SSL_set1_host(t->ssl, host);
            }
        }
        if (ok != 1 || !(t->session_key = strdup(host))) {
            weft__tls_detail_from_queue(ctx->detail, "invalid server_hostname");
            weft_tls_free(t);
            return WEFT_ETLS_CONFIG;
        }
    }
    *out = t;
    return 0;
}

void weft_tls_free(weft_tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    weft_tls_ctx_free(t->ctx);
    free(t->in.data);
    free(t->out.data);
    free(t->session_key);
    free(t->alpn);
    free(t);
}

int weft_tls_set_session_key(weft_tls *t, const char *key)
{
    if (t->ctx->role != WEFT_TLS_CLIENT || SSL_in_before(t->ssl) != 1)
        return -EINVAL;
    char *k = key ? strdup(key) : NULL;
    if (key && !k)
        return -ENOMEM;
    free(t->session_key);
    t->session_key = k;
    return 0;
}

void *weft__tls_in_space(weft_tls *t, size_t *len)
{
    struct weft__tls_buf *b = &t->in;
    size_t want = *len ? *len : 16384;
    if (b->off == b->len)
        b->off = b->len = 0;
    if (b->cap - b->len < want && b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->cap - b->len < want) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap - b->len < want)
            cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (!d)
            return NULL;
        b->data = d;
        b->cap = cap;
    }
    *len = b->cap - b->len;
    return b->data + b->len;
}

void weft__tls_set_output(weft_tls *t, void (*cb)(const void *, size_t, void *), void *ud)
{
    t->out_cb = cb;
    t->out_ud = ud;
}

void weft__tls_in_commit(weft_tls *t, size_t n)
{
    t->in.len += n;
}

int weft_tls_feed(weft_tls *t, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    return buf_append(&t->in, data, len);
}

void weft_tls_feed_eof(weft_tls *t)
{
    t->in_eof = true;
}

static void handshake_complete(weft_tls *t)
{
    t->handshake_done = true;
    const unsigned char *p;
    unsigned len;
    SSL_get0_alpn_selected(t->ssl, &p, &len);
    if (len) {
        t->alpn = malloc(len + 1);
        if (t->alpn) {
            memcpy(t->alpn, p, len);
            t->alpn[len] = '\0';
        }
    }
}

int weft_tls_handshake(weft_tls *t)
{
    if (t->failed)
        return t->failed;
    if (t->handshake_done)
        return 0;
    if (SSL_in_before(t->ssl) && !SSL_is_server(t->ssl) && t->session_key &&
        t->ctx->max_sess && !SSL_get0_session(t->ssl)) {
        /* A copy again (see new_session_cb in ctx.c): this connection must
         * not be able to spoil the cached session for the next one. */
        SSL_SESSION *s = weft__tls_cache_get(t->ctx, t->session_key);
        SSL_SESSION *copy = s ? SSL_SESSION_dup(s) : NULL;
        if (copy) {
            SSL_set_session(t->ssl, copy);
            SSL_SESSION_free(copy);
        }
    }
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        handshake_complete(t);
        return 0;
    }
    r = ssl_error(t, r);
    if (r == 0) /* close_notify in the middle of a handshake */
        return fail(t, WEFT_ETLS_HANDSHAKE, "the peer closed the connection during the handshake");
    return r;
}

bool weft_tls_handshake_done(const weft_tls *t)
{
    return t->handshake_done;
}

int weft_tls_read(weft_tls *t, void *buf, size_t cap)
{
    if (t->failed)
        return t->failed;
    if (t->close_notify_in)
        return 0;
    if (!t->handshake_done) {
        int r = weft_tls_handshake(t);
        if (r < 0)
            return r;
    }
    if (cap > INT_MAX)
        cap = INT_MAX;
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(t->ssl, buf, cap, &n) == 1)
        return (int)n;
    return ssl_error(t, 0);
}

int weft_tls_write(weft_tls *t, const void *data, size_t len)
{
    if (t->failed)
        return t->failed;
    if (t->shutdown_sent)
        return -EPIPE;
    if (!t->handshake_done) {
        int r = weft_tls_handshake(t);
        if (r < 0)
            return r;
    }
    if (len == 0)
        return 0;
    if (len > 1u << 30)
        len = 1u << 30;
    size_t n = 0;
    ERR_clear_error();
    if (SSL_write_ex(t->ssl, data, len, &n) == 1)
        return (int)n;
    int r = ssl_error(t, 0);
    return r == 0 ? -EPIPE : r;
}

int weft_tls_shutdown(weft_tls *t)
{
    if (!t->shutdown_sent) {
        t->shutdown_sent = true;
        /* No close_notify before the handshake is done or after a fatal
         * error (OpenSSL already queued an alert then). */
        if (t->handshake_done && !t->failed) {
            ERR_clear_error();
            if (SSL_shutdown(t->ssl) < 0)
                ERR_clear_error();
        }
    }
    return t->close_notify_in ? 1 : 0;
}

const void *weft_tls_out_peek(weft_tls *t, size_t *len)
{
    *len = buf_avail(&t->out);
    return *len ? t->out.data + t->out.off : NULL;
}

void weft_tls_out_consume(weft_tls *t, size_t n)
{
    size_t avail = buf_avail(&t->out);
    t->out.off += n < avail ? n : avail;
    if (t->out.off == t->out.len)
        t->out.off = t->out.len = 0;
}

size_t weft_tls_out_pending(const weft_tls *t)
{
    return buf_avail(&t->out);
}

const char *weft_tls_errdetail(const weft_tls *t)
{
    return t->detail;
}

const char *weft_tls_alpn(const weft_tls *t)
{
    return t->alpn;
}

const char *weft_tls_version(const weft_tls *t)
{
    return SSL_get_version(t->ssl);
}

const char *weft_tls_cipher(const weft_tls *t)
{
    return SSL_get_cipher_name(t->ssl);
}

bool weft_tls_session_reused(const weft_tls *t)
{
    return t->handshake_done && SSL_session_reused(t->ssl) == 1;
}

const char *weft_tls_server_name(const weft_tls *t)
{
    return SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
}

bool weft_tls_peer_verified(const weft_tls *t)
{
    if (!t->handshake_done || SSL_get_verify_mode(t->ssl) == SSL_VERIFY_NONE)
        return false;
    X509 *peer = SSL_get0_peer_certificate(t->ssl);
    return peer && SSL_get_verify_result(t->ssl) == X509_V_OK;
}

int weft_tls_peer_subject(const weft_tls *t, char *buf, size_t cap)
{
    X509 *peer = SSL_get0_peer_certificate(t->ssl);
    if (!peer)
        return -ENOENT;
    BIO *m = BIO_new(BIO_s_mem());
    if (!m)
        return -ENOMEM;
    X509_NAME_print_ex(m, X509_get_subject_name(peer), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    char *p;
    long n = BIO_get_mem_data(m, &p);
    int r = -ENOSPC;
    if (n >= 0 && (size_t)n < cap) {
        memcpy(buf, p, (size_t)n);
        buf[n] = '\0';
        r = (int)n;
    }
    BIO_free(m);
    return r;
}

bool weft_tls_close_notify_received(const weft_tls *t)
{
    return t->close_notify_in;
}

int weft_tls_session_save(const weft_tls *t, void *buf, size_t cap)
{
    SSL_SESSION *s = SSL_get1_session(t->ssl);
    if (!s)
        return -ENOENT;
    int r = -ENOENT;
    if (SSL_SESSION_is_resumable(s)) {
        int n = i2d_SSL_SESSION(s, NULL);
        if (n <= 0) {
            r = -ENOMEM;
        } else if ((size_t)n > cap) {
            r = cap == 0 ? n : -ENOSPC;
        } else {
            unsigned char *p = buf;
            r = i2d_SSL_SESSION(s, &p);
        }
    }
    SSL_SESSION_free(s);
    ERR_clear_error();
    return r;
}

int weft_tls_session_load(weft_tls *t, const void *der, size_t len)
{
    const unsigned char *p = der;
    ERR_clear_error();
    SSL_SESSION *s = d2i_SSL_SESSION(NULL, &p, (long)len);
    if (!s || SSL_set_session(t->ssl, s) != 1) {
        SSL_SESSION_free(s);
        weft__tls_detail_from_queue(t->detail, "cannot load the session");
        return WEFT_ETLS_CONFIG;
    }
    SSL_SESSION_free(s);
    return 0;
}

struct ssl_st *weft_tls_ssl(weft_tls *t)
{
    return t->ssl;
}
