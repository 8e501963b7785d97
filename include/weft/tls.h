/*
 * weft/tls.h - TLS: contexts (Python's ssl.SSLContext), an engine that does
 * no I/O (feed it ciphertext, take ciphertext out), and TLS as a transport
 * layered over another transport (see the last section).
 *
 * Built on OpenSSL 3. Secure by default: a client context verifies the
 * server's certificate chain against the system store and checks the host
 * name (or IP address) it was given; TLS 1.2 is the minimum version. Turning
 * verification off takes a call whose name says what it does.
 *
 * Errors are weft codes (include/weft/common.h):
 *   WEFT_ETLS_HANDSHAKE       the handshake failed (no shared protocol or
 *                             cipher, an alert from the peer, the peer
 *                             rejected our certificate or sent none)
 *   WEFT_ETLS_VERIFY          the peer's certificate did not verify: chain,
 *                             expiry, host name or IP address
 *   WEFT_ETLS_PROTOCOL        a malformed record or unexpected message after
 *                             the handshake
 *   WEFT_ETLS_NO_CLOSE_NOTIFY the peer closed the connection without sending
 *                             close_notify (the data may be truncated)
 *   WEFT_ETLS_CONFIG          a bad file, key, option or argument given to weft
 * and OpenSSL's own words ("certificate has expired", "hostname mismatch",
 * "no application protocol") are kept for weft_tls_errdetail() /
 * weft_tls_ctx_errdetail().
 *
 * Threads: a context may be shared by the connections of one loop; it is not
 * locked, so give each thread's loop its own contexts (they are cheap).
 */
#ifndef WEFT_TLS_H
#define WEFT_TLS_H

#include "weft/common.h"
#include "weft/net.h"
#include "weft/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_tls_ctx weft_tls_ctx;
typedef struct weft_tls weft_tls;

/* OpenSSL's own objects, for what weft does not wrap (weft_tls_ctx_ssl_ctx,
 * weft_tls_ssl). Include <openssl/ssl.h> to use them. */
struct ssl_ctx_st;
struct ssl_st;

/* Protocol versions (the values are the wire versions, as in OpenSSL). */
#define WEFT_TLS_1_2 0x0303
#define WEFT_TLS_1_3 0x0304

/* =============================================================== contexts */

enum weft_tls_role {
    WEFT_TLS_CLIENT = 0,
    WEFT_TLS_SERVER = 1,
};

/* How the peer's certificate is checked (Python's verify_mode). */
enum weft_tls_verify {
    WEFT_TLS_VERIFY_NONE = 0,     /* ask for nothing, check nothing */
    WEFT_TLS_VERIFY_OPTIONAL = 1, /* server: ask for a client certificate and
                                     verify it if one is sent */
    WEFT_TLS_VERIFY_REQUIRED = 2, /* the peer must present a certificate that
                                     verifies; the handshake fails otherwise */
};

/* Make a context. A client context starts with: verification REQUIRED
 * against the system's CA store, host name checking on, TLS 1.2..1.3, a
 * session cache of 64 entries keyed by "host:port" (so reconnecting to the
 * same server resumes the session). A server context starts with: no
 * client certificate asked for, TLS 1.2..1.3, session tickets and a session
 * cache on; it needs weft_tls_ctx_load_cert_chain() before use.
 * Returns 0 and *out (one reference), -ENOMEM or WEFT_ETLS_CONFIG. */
int weft_tls_ctx_new(enum weft_tls_role role, weft_tls_ctx **out);

/* Reference counting: every connection made with the context holds one, so a
 * context may be freed as soon as the last connection was started. */
void weft_tls_ctx_ref(weft_tls_ctx *ctx);
void weft_tls_ctx_free(weft_tls_ctx *ctx);

enum weft_tls_role weft_tls_ctx_role(const weft_tls_ctx *ctx);

/* Why the last failing call on this context failed (OpenSSL's words), or "". */
const char *weft_tls_ctx_errdetail(const weft_tls_ctx *ctx);

/* Our certificate chain and private key, from PEM files: certfile holds the
 * leaf first, then any intermediates; keyfile may be NULL when the key is in
 * certfile. The key must match the certificate. Servers need one; clients
 * use one to answer a server that asks for a client certificate.
 * Returns 0 or WEFT_ETLS_CONFIG (detail: "No such file", "key values
 * mismatch", ...). */
int weft_tls_ctx_load_cert_chain(weft_tls_ctx *ctx, const char *certfile,
                                 const char *keyfile);

/* Trust the CA certificates in cafile (PEM, several allowed) and/or the
 * hashed folder capath (c_rehash layout), in addition to what is already
 * trusted. Either may be NULL, not both. Returns 0 or WEFT_ETLS_CONFIG. */
int weft_tls_ctx_load_verify_locations(weft_tls_ctx *ctx, const char *cafile,
                                       const char *capath);

/* Trust only what load_verify_locations adds, not the system store: for a
 * client that talks to servers of its own private CA. Call before loading. */
int weft_tls_ctx_clear_default_verify_paths(weft_tls_ctx *ctx);

/* Set how the peer is verified (see enum weft_tls_verify). A client must
 * stay REQUIRED unless it calls weft_tls_ctx_set_insecure_no_verify(). */
int weft_tls_ctx_set_verify(weft_tls_ctx *ctx, enum weft_tls_verify mode);

/* Client: whether the certificate must match the server_hostname given to
 * the connection (DNS name or IP address). On by default. */
int weft_tls_ctx_set_check_hostname(weft_tls_ctx *ctx, bool check);

/* Client, tests and debugging only: accept ANY server certificate, with no
 * chain and no host name check. An attacker on the path can then read and
 * change everything. */
int weft_tls_ctx_set_insecure_no_verify(weft_tls_ctx *ctx);

/* ALPN. protocols is a comma-separated list in order of preference, e.g.
 * "h2,http/1.1" (each 1..255 bytes). A client offers them; a server picks
 * the first of its own list that the client offers, and fails the handshake
 * ("no application protocol") if the client offered ALPN but none matches.
 * NULL or "" clears. Returns 0 or WEFT_ETLS_CONFIG. */
int weft_tls_ctx_set_alpn(weft_tls_ctx *ctx, const char *protocols);

/* Lowest and highest protocol version allowed (WEFT_TLS_1_2, WEFT_TLS_1_3;
 * 0 = no limit of OpenSSL's own). Default: 1.2 .. 1.3. */
int weft_tls_ctx_set_versions(weft_tls_ctx *ctx, int min_version, int max_version);

/* Cipher lists in OpenSSL syntax: tls12 for TLS <= 1.2 ("ECDHE+AESGCM"),
 * tls13 for TLS 1.3 suites ("TLS_AES_128_GCM_SHA256"). NULL keeps one. */
int weft_tls_ctx_set_ciphers(weft_tls_ctx *ctx, const char *tls12, const char *tls13);

/* Server, SNI: when a client asks for server name hostname, use sub (its
 * certificate, its ALPN list, its client verification) instead of ctx.
 * hostname is matched without case; "*.example.com" matches one label.
 * Names not listed get ctx itself. ctx takes a reference on sub.
 * Returns 0, -ENOMEM, -EINVAL (a client context, sub == ctx). */
int weft_tls_ctx_add_sni(weft_tls_ctx *ctx, const char *hostname, weft_tls_ctx *sub);

/* Session resumption. Client: the cache keeps the newest session per key
 * ("host:port" for connections, see weft_tls_set_session_key) for up to
 * max_entries keys, least recently used out first; 0 turns it off.
 * Server: the size of OpenSSL's server-side cache (TLS 1.2 session IDs);
 * 0 turns it off. Default 64 (client), 1024 (server). */
int weft_tls_ctx_set_session_cache(weft_tls_ctx *ctx, size_t max_entries);

/* Server: stateless session tickets (RFC 5077 / TLS 1.3 tickets). On by
 * default, with keys OpenSSL makes at random per context. */
int weft_tls_ctx_set_session_tickets(weft_tls_ctx *ctx, bool on);

/* OpenSSL's SSL_CTX, for settings weft does not wrap. Owned by ctx. */
struct ssl_ctx_st *weft_tls_ctx_ssl_ctx(weft_tls_ctx *ctx);

/* ================================================= the engine (no I/O) */
/*
 * A weft_tls is one TLS connection with no socket: the caller moves the
 * bytes. Ciphertext from the network goes in with weft_tls_feed(); the
 * ciphertext the engine wants sent is taken with weft_tls_out_peek() /
 * weft_tls_out_consume() after every call. Plaintext comes out of
 * weft_tls_read() and goes in through weft_tls_write(). The engine never
 * blocks and never waits: -EAGAIN means "feed me more ciphertext" (that is
 * want-read; there is no want-write, since the output buffer grows: send
 * what weft_tls_out_pending() reports before feeding more).
 *
 *     weft_tls_new(ctx, "example.com", &t);
 *     for (;;) {
 *         int r = weft_tls_handshake(t);
 *         send_all(t);                       // peek + consume
 *         if (r == 0) break;                 // done
 *         if (r != -EAGAIN) fail(r, weft_tls_errdetail(t));
 *         weft_tls_feed(t, buf, recv(fd, buf, sizeof buf, 0));
 *     }
 */

/* A connection using ctx (client or server after ctx's role). A client
 * passes the name it connects to: it is sent as SNI (unless it is an IP
 * literal) and checked against the certificate (DNS name or IP address);
 * with check_hostname on it must not be NULL. The client session key
 * defaults to server_hostname. Returns 0, -ENOMEM or WEFT_ETLS_CONFIG
 * (detail in weft_tls_ctx_errdetail). */
int weft_tls_new(weft_tls_ctx *ctx, const char *server_hostname, weft_tls **out);
void weft_tls_free(weft_tls *t);

/* Client: the session cache key (e.g. "example.com:443"), set before the
 * handshake; a cached session for it is offered for resumption. */
int weft_tls_set_session_key(weft_tls *t, const char *key);

/* Ciphertext received from the peer (copied). 0 or -ENOMEM. */
int weft_tls_feed(weft_tls *t, const void *data, size_t len);
/* The network reached end of file: nothing more will be fed. */
void weft_tls_feed_eof(weft_tls *t);

/* Drive the handshake. 0 when it is complete (also when called again
 * later), -EAGAIN when it needs more input, or WEFT_ETLS_HANDSHAKE,
 * WEFT_ETLS_VERIFY, WEFT_ETLS_PROTOCOL. In every case send the output:
 * a failed handshake usually leaves an alert for the peer there. */
int weft_tls_handshake(weft_tls *t);
bool weft_tls_handshake_done(const weft_tls *t);

/* Decrypted application data. Returns the count (> 0), 0 at a clean end
 * (the peer's close_notify arrived), -EAGAIN when more ciphertext is needed,
 * WEFT_ETLS_NO_CLOSE_NOTIFY when the input ended (weft_tls_feed_eof)
 * without close_notify, or another WEFT_ETLS_* error. Drives the handshake
 * if it is not done. Post-handshake messages (TLS 1.3 session tickets, key
 * updates) are handled inside and may leave output to send. */
int weft_tls_read(weft_tls *t, void *buf, size_t cap);

/* Encrypt len bytes of application data. Returns len (it is all taken:
 * the records are in the output), -EAGAIN when the handshake is not done
 * yet (keep the data and call again after it is), -EPIPE after shutdown,
 * or a WEFT_ETLS_* error. */
int weft_tls_write(weft_tls *t, const void *data, size_t len);

/* Queue our close_notify (once; later calls do nothing). Returns 1 when the
 * peer's close_notify has also been seen, 0 otherwise, or an error. */
int weft_tls_shutdown(weft_tls *t);

/* Ciphertext to send: peek gives the bytes waiting (NULL, *len = 0 if
 * none); consume drops the first n of them once they are sent. The pointer
 * is valid until the next call on t. */
const void *weft_tls_out_peek(weft_tls *t, size_t *len);
void weft_tls_out_consume(weft_tls *t, size_t n);
size_t weft_tls_out_pending(const weft_tls *t);

/* Why the last failure happened, in OpenSSL's words ("certificate has
 * expired", "hostname mismatch", "tlsv1 alert unknown ca"), or "". */
const char *weft_tls_errdetail(const weft_tls *t);

/* After the handshake: the ALPN protocol chosen (NULL when none), the
 * version ("TLSv1.3"), the cipher suite, whether the session was resumed,
 * the SNI name the client asked for (server side; NULL when none), and
 * whether the peer sent a certificate that verified. */
const char *weft_tls_alpn(const weft_tls *t);
const char *weft_tls_version(const weft_tls *t);
const char *weft_tls_cipher(const weft_tls *t);
bool weft_tls_session_reused(const weft_tls *t);
const char *weft_tls_server_name(const weft_tls *t);
bool weft_tls_peer_verified(const weft_tls *t);
/* The peer certificate's subject, one line ("CN = localhost"), into buf.
 * Returns its length, -ENOENT when there is none, -ENOSPC. */
int weft_tls_peer_subject(const weft_tls *t, char *buf, size_t cap);
bool weft_tls_close_notify_received(const weft_tls *t);

/* Client: save the session (after a read has taken the server's tickets in
 * TLS 1.3) as DER bytes to keep across runs, and give it to a new
 * connection before the handshake. save returns the length (> 0), -ENOENT
 * when there is no resumable session, -ENOSPC when cap is too small (call
 * with cap 0 to learn the size). load returns 0 or WEFT_ETLS_CONFIG. */
int weft_tls_session_save(const weft_tls *t, void *buf, size_t cap);
int weft_tls_session_load(weft_tls *t, const void *der, size_t len);

/* OpenSSL's SSL object, owned by t. */
struct ssl_st *weft_tls_ssl(weft_tls *t);

/* ============================================ TLS over a transport */
/*
 * A TLS transport is a weft_transport (kind "tls") layered over another
 * transport (TCP, Unix, a memory pair, even another TLS transport), so
 * protocols and streams use it unchanged. It is the protocol of the lower
 * transport and owns it: closing or aborting the TLS transport ends both.
 *
 * Ending. weft_transport_close() sends close_notify after the buffered data
 * and then closes the lower transport (it does not wait for the peer's
 * close_notify). A close_notify from the peer is an orderly end:
 * eof_received, then connection_lost(0) (or the protocol keeps writing if
 * eof_received returns true). A peer that closes the connection WITHOUT
 * close_notify may have been cut short by an attacker: all data that did
 * arrive is delivered, then eof_received is NOT called and connection_lost
 * gets WEFT_ETLS_NO_CLOSE_NOTIFY; a stream reports it as the read error after
 * the last byte (where plain TCP would return 0). Protocols that frame their
 * own messages (HTTP with Content-Length) may treat it as an EOF.
 *
 * Errors after the handshake (a corrupt record, an alert) end the
 * connection with connection_lost(WEFT_ETLS_PROTOCOL or _HANDSHAKE); the
 * detail is in weft_tls_errdetail(weft_transport_tls(t)) during
 * connection_lost, and in weft_tls_ctx_errdetail(ctx) afterwards.
 *
 * No sendfile (-ENOTSUP: the bytes must be encrypted; weft_stream_sendfile
 * falls back to read + write) and no write_eof (TLS has no half-close that
 * every peer understands).
 */

typedef struct weft_tls_opts {
    uint64_t handshake_timeout_ns;  /* give up on the handshake after this; 0: 60 s */
    /* Servers only (weft_tls_server_open, weft_tls_stream_server_open): an
     * accepted connection's handshake failed and it is being closed without
     * reaching the factory or handler. For logging (asyncio reports "SSL
     * handshake failed" through its exception handler; nginx logs it): t is
     * the TLS transport, valid during the call only, whose peername still
     * answers; err is a WEFT_ETLS_* code, -ETIMEDOUT (handshake_timeout_ns)
     * or the connection's error; detail is OpenSSL's words or weft's ("the
     * peer closed the connection during the handshake"), never NULL. */
    void (*handshake_failed)(weft_transport *t, int err, const char *detail, void *ud);
    void *handshake_failed_ud;
} weft_tls_opts;

/* The handshake ended. status 0: t is up (and its protocol's
 * connection_made has run, when it was given one); status < 0: it failed
 * (WEFT_ETLS_*, -ETIMEDOUT, -ECONNRESET, -ECANCELED after an abort, ...)
 * and t is still valid during this call only, for weft_transport_tls(t)
 * and its errdetail. Runs exactly once, from the loop. */
typedef void (*weft_tls_done_cb)(weft_transport *t, int status, void *ud);

/* Start TLS over lower, a connected transport, live or not yet started
 * (made with a NULL protocol). The TLS transport becomes lower's protocol
 * (for a live one: from its next callback on; STARTTLS must make sure the
 * peer has nothing unread in flight) and owns it from now on, also when the
 * handshake fails. server_hostname is for clients (see weft_tls_new); the
 * context's role chooses the side. proto / proto_ud become the TLS
 * transport's protocol once the handshake is done; with proto NULL, set one
 * later (weft_transport_set_protocol, weft_stream_attach) from cb. opts may be
 * NULL. *out (may be NULL) is the TLS transport: weft_transport_abort() on it
 * gives up the handshake (cb gets -ECANCELED). Returns 0 (cb will run) or
 * -ENOMEM / WEFT_ETLS_CONFIG (cb will not run, lower is untouched). */
int weft_tls_wrap(weft_transport *lower, weft_tls_ctx *ctx, const char *server_hostname,
                  const weft_tls_opts *opts, const weft_protocol *proto, void *proto_ud,
                  weft_tls_done_cb cb, void *ud, weft_transport **out);

/* The engine of a TLS transport (for weft_tls_alpn, _version,
 * _session_reused, _peer_subject, _errdetail), or NULL when t is not TLS.
 * Owned by t. */
weft_tls *weft_transport_tls(weft_transport *t);

/* A TCP server whose connections are TLS (asyncio's create_server with
 * ssl=ctx): factory is asked for a protocol once a connection's handshake
 * is done, with the TLS transport; connections whose handshake fails are
 * closed without reaching the factory. Arguments as weft_tcp_server_open,
 * plus the server context and opts (may be NULL). Free with
 * weft_server_free(). */
int weft_tls_server_open(weft_loop *loop, const char *host, uint16_t port,
                         const weft_server_opts *sopts, weft_tls_ctx *ctx,
                         const weft_tls_opts *opts, weft_protocol_factory factory, void *ud,
                         weft_server **out);

/* ------------------------------------------------------------ streams */

/* @suspends. Connect over TCP and do the TLS handshake (asyncio's
 * open_connection(host, port, ssl=ctx)). server_hostname NULL means host.
 * The session cache key is "host:port", so a second connection resumes.
 * Returns 0 and *out, or the connection's error, or a TLS error whose
 * detail is then in weft_tls_ctx_errdetail(ctx). */
int weft_tls_open_connection(const char *host, uint16_t port, const weft_connect_opts *copts,
                             weft_tls_ctx *ctx, const char *server_hostname,
                             const weft_tls_opts *opts, weft_stream **out);

/* @suspends. Upgrade a live stream to TLS in place (STARTTLS, CONNECT
 * tunnels): call it when the protocol says the next byte is the handshake,
 * with no other task reading or writing the stream meanwhile. On success the
 * same weft_stream handle now reads and writes plaintext over TLS. On
 * failure the connection is closed and the stream reports the error. */
int weft_tls_start_tls(weft_stream *s, weft_tls_ctx *ctx, const char *server_hostname,
                       const weft_tls_opts *opts);

/* The engine of a stream's TLS transport, or NULL (not TLS, or closed). */
weft_tls *weft_stream_tls(const weft_stream *s);

/* A stream server over TLS (asyncio.start_server(..., ssl=ctx)): handler
 * runs in its own task for each connection whose handshake succeeded, with a
 * borrowed stream, as weft_stream_server_open. host must be a literal or
 * localhost; not @suspends. */
int weft_tls_stream_server_open(weft_loop *loop, const char *host, uint16_t port,
                                const weft_server_opts *sopts, weft_tls_ctx *ctx,
                                const weft_tls_opts *opts, weft_stream_handler handler,
                                void *ud, weft_server **out);

#ifdef __cplusplus
}
#endif
#endif
