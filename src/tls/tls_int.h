/*
 * tls_int.h - TLS internals shared by the files of src/tls/: the context and
 * engine structs, the client session cache, error mapping.
 */
#ifndef WEFT_TLS_INT_H
#define WEFT_TLS_INT_H

#include <openssl/ssl.h>

#include "weft/tls.h"

#define WEFT__TLS_DETAIL 256

/* A growable byte queue: bytes live in [off, len) of data[0..cap). */
struct weft__tls_buf {
    unsigned char *data;
    size_t off, len, cap;
};

/* One entry of the client session cache. */
struct weft__tls_sess {
    char *key;              /* "host:port", owned */
    SSL_SESSION *sess;      /* one reference, owned */
    uint64_t used;          /* LRU stamp */
};

struct weft__tls_sni {
    char *name;             /* lower case; "*.x.y" for a wildcard */
    weft_tls_ctx *ctx;      /* one reference */
};

struct weft_tls_ctx {
    SSL_CTX *ssl_ctx;
    int refs;
    enum weft_tls_role role;
    enum weft_tls_verify verify;
    bool check_hostname;
    bool default_paths;         /* the system store is trusted */
    /* ALPN in wire format (length-prefixed names), our preference order. */
    unsigned char *alpn;
    size_t alpn_len;
    struct weft__tls_sni *sni;
    size_t nsni;
    /* Client session cache (role == CLIENT). */
    struct weft__tls_sess *sess;
    size_t nsess, max_sess;
    uint64_t sess_clock;
    char detail[WEFT__TLS_DETAIL];
};

struct weft_tls {
    SSL *ssl;
    weft_tls_ctx *ctx;          /* the context we were made with (a ref) */
    struct weft__tls_buf in;    /* ciphertext fed, not yet read by OpenSSL */
    struct weft__tls_buf out;   /* ciphertext OpenSSL wrote, not yet sent */
    char *session_key;          /* client cache key, owned; NULL = none */
    char *alpn;                 /* the negotiated protocol, NUL-terminated */
    /* Optional direct output (transports): records go straight to it while
     * nothing is queued in out, saving a copy through our buffer. */
    void (*out_cb)(const void *data, size_t len, void *ud);
    void *out_ud;
    bool in_eof;                /* weft_tls_feed_eof() was called */
    bool handshake_done;
    bool shutdown_sent;
    bool close_notify_in;
    int failed;                 /* sticky fatal error, 0 if none */
    char detail[WEFT__TLS_DETAIL];
};

/* engine.c: receive straight into the engine's input buffer. in_space
 * returns room for up to *len bytes (at least 1; *len is in and out);
 * in_commit says how many were stored there. -ENOMEM gives NULL. */
void *weft__tls_in_space(weft_tls *t, size_t *len);
void weft__tls_in_commit(weft_tls *t, size_t n);
/* Send output through cb (NULL: buffer it for out_peek, the default). */
void weft__tls_set_output(weft_tls *t, void (*cb)(const void *, size_t, void *), void *ud);
/* Record a failure's detail in the context too, for calls that return
 * only a code (weft_tls_open_connection). */
void weft__tls_ctx_note(weft_tls_ctx *ctx, int err, const char *detail);

/* ctx.c: the client cache; the session key -> session. */
SSL_SESSION *weft__tls_cache_get(weft_tls_ctx *ctx, const char *key);
void weft__tls_cache_put(weft_tls_ctx *ctx, const char *key, SSL_SESSION *sess);

/* Write OpenSSL's error queue (or fallback) into detail and clear the queue. */
void weft__tls_detail_from_queue(char *detail, const char *fallback);

#endif
