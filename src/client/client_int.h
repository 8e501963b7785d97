/*
 * client_int.h - the HTTP client's internals, shared by the files of
 * src/client/ (one job each: session, pool, connect, send, response, fetch,
 * redirect, auth, proxy, trace, decode, conn, blocking).
 *
 * Ownership, in one picture:
 *
 *   session ──pools──> pool (one per scheme/host/port/proxy/TLS key)
 *      │                 └─ idle connections (most recently used first)
 *      ├─ all connections (busy ones are owned by the request or response
 *      │  using them; idle ones by the pool)
 *      └─ waiters: requests queued for a connection, FIFO, on their stacks
 *
 *   response ──> connection while its body is being read, then gives it
 *                back (pool) or lets go of it (single connection)
 *
 * The session struct is reference counted: the owner, every live response,
 * every single connection and every running request hold one, so that
 * weft_http_session_free() can release the loop's resources (sockets,
 * timers, resolver) at once while the memory stays valid for them.
 *
 * Hot path (the pooled keep-alive GET): the URL comes from a per-session
 * cache, the pool from the URL, the request head is written into a session
 * scratch buffer and sent with one write, the response head is parsed in
 * the connection's buffer and copied once into the response's own, which is
 * recycled with its header array. No allocation per request in steady state.
 */
#ifndef WEFT_CLIENT_INT_H
#define WEFT_CLIENT_INT_H

#include "weft/http_client.h"
#include "weft/http1.h"
#include "weft/stream.h"
#include "coro/coro_int.h"

struct weft__hc_pool;
struct weft__hc_conn;
struct weft__hc_waiter;
struct weft__hc_decoder;

/* ------------------------------------------------------------------ URLs */

/* A parsed URL shared by reference: the session's cache, requests and
 * responses hold it without copying. */
struct weft__hc_url {
    int refs;
    weft_url *u;
    /* The pool this URL went to last, valid while the session's settings
     * generation is still gen (saves building the pool key per request). */
    struct weft__hc_pool *pool;
    const void *pool_proxy;
    const void *pool_tls;
    unsigned gen;
};
struct weft__hc_url *weft__hc_url_new(weft_url *u); /* takes u (freed on failure) */
struct weft__hc_url *weft__hc_url_ref(struct weft__hc_url *x);
void weft__hc_url_unref(struct weft__hc_url *x);

#define WEFT__HC_URL_CACHE 8

/* Parse s (resolved against base when not NULL) and insist on http/https:
 * 0, WEFT_EURL_SCHEME or the parser's error. */
int weft__hc_parse_http_url(const weft_url *base, const char *s, size_t len, weft_url **out);

/* ----------------------------------------------------------------- proxies */

/* One proxy: where to connect and what to say to it. */
struct weft__hc_proxy {
    weft_url *url;    /* http://host:port */
    char *auth;       /* "Basic ..." for Proxy-Authorization, or NULL */
};

/* The proxies of a session: one per scheme, and the exceptions. */
struct weft__hc_proxies {
    struct weft__hc_proxy http, https;
    char **no_proxy;  /* NULL-terminated entries, lower-case; "*" matches all */
};

void weft__hc_proxies_clear(struct weft__hc_proxies *p);
/* Set both schemes to proxy (NULL/"": none) and no_proxy. 0 or WEFT_EURL_*. */
int weft__hc_proxies_set(struct weft__hc_proxies *p, const char *proxy, const char *no_proxy);
/* Read the environment (curl's rules: http_proxy lower case only). */
int weft__hc_proxies_from_env(struct weft__hc_proxies *p);
/* The proxy for url, or NULL (none, or no_proxy matches). */
const struct weft__hc_proxy *weft__hc_proxy_for(const struct weft__hc_proxies *p,
                                                const weft_url *url);
/* Parse a proxy URL into *px (a scheme-less "host:port" means http://). */
int weft__hc_proxy_parse(struct weft__hc_proxy *px, const char *spec);
void weft__hc_proxy_clear(struct weft__hc_proxy *px);
/* True when host (canonical, no brackets) and port match a no_proxy list. */
bool weft__hc_no_proxy_match(char *const *list, const char *host, int port);

/* -------------------------------------------------------------------- auth */

/* Digest state kept per origin so that later requests answer at once with
 * the server's nonce and the next nc (what requests' HTTPDigestAuth does). */
struct weft__hc_digest {
    struct weft__hc_digest *next;
    char *origin;
    char *realm, *nonce, *opaque, *algorithm;
    bool qop_auth;    /* qop=auth offered (else RFC 2069, no qop) */
    bool userhash;
    bool sess;        /* -sess variant */
    int md;           /* 0 MD5, 1 SHA-256, 2 SHA-512-256 */
    uint32_t nc;
};

/* "Basic base64(user:pass)" (malloc'd) or NULL on -ENOMEM. */
char *weft__hc_basic_value(const char *user, const char *pass);

/* Find the challenges of a 401 (WWW-Authenticate) or 407 response. Returns
 * a bit set: 1 Basic offered, 2 Digest offered (its parameters stored into
 * *d, replacing what was there, origin kept), 4 Digest said stale=true. */
int weft__hc_auth_challenges(const weft_http_response *r, const char *field,
                             struct weft__hc_digest *d);
/* The Authorization value answering d for method and uri (the request
 * target), nc incremented. malloc'd; NULL on -ENOMEM. */
char *weft__hc_digest_value(struct weft__hc_digest *d, const char *user, const char *pass,
                            const char *method, const char *uri);
/* Tests: a fixed cnonce (RFC 7616's examples) instead of a random one. */
extern char weft__hc_digest_test_cnonce[65];
/* Free d's strings (not d itself). */
void weft__hc_digest_free(struct weft__hc_digest *d);

/* ----------------------------------------------------------------- tracing */

/* What a request's events need: the hooks and its start. */
struct weft__hc_trace {
    weft_http_session *s;
    weft_http_trace_cb cb;   /* the request's own hook (after the session's) */
    void *ud;
    uint64_t t0;
    const char *method, *url;
    bool on;                 /* any hook at all: skip building events otherwise */
};

void weft__hc_trace_init(struct weft__hc_trace *tc, weft_http_session *s,
                         weft_http_trace_cb cb, void *ud);
/* Fill time, elapsed, method and url of ev and run the hooks. */
void weft__hc_trace_emit(struct weft__hc_trace *tc, weft_http_trace *ev);
/* Shorthand for events with only an error / a status. */
void weft__hc_trace_simple(struct weft__hc_trace *tc, int event, int status, int error,
                           const char *detail);

/* -------------------------------------------------------------- decoding */

/* A content-coding decoder (gzip, deflate, br, zstd come from src/http's
 * codecs; the client only sees this table). decode takes up to *inlen bytes
 * at in and writes up to *outlen at out, updating both to what it used and
 * made; it returns 0 (more to come), 1 (the coded stream ended) or an error.
 * finish() is asked once the input has ended: 0 if the stream was complete. */
struct weft__hc_decoder_ops {
    const char *name;          /* the coding as in Content-Encoding: "gzip" */
    int (*open)(void **state);
    int (*decode)(void *state, const char *in, size_t *inlen, char *out, size_t *outlen);
    int (*finish)(void *state);
    void (*close)(void *state);
};

/* Register a decoder (the codecs do, and tests do with a toy one). At most
 * 8. Later registrations of the same name replace earlier ones. */
int weft__hc_register_decoder(const struct weft__hc_decoder_ops *ops);
/* The Accept-Encoding value to send ("gzip, deflate, br, zstd"), or NULL
 * when no decoder is registered. */
const char *weft__hc_accept_encoding(void);
/* A decoder stack for a Content-Encoding value (codings applied in order,
 * decoded in reverse), or NULL with 0 for "identity"/none, or -ENOTSUP for
 * a coding without a decoder (the body is then delivered as it came). */
int weft__hc_decoder_open(const char *content_encoding, struct weft__hc_decoder **out);
/* Decode: as the ops' decode, through the whole stack. */
int weft__hc_decoder_run(struct weft__hc_decoder *d, const char *in, size_t *inlen, char *out,
                         size_t *outlen);
/* The last run moved nothing at all (it needs more input). */
bool weft__hc_decoder_stalled(const struct weft__hc_decoder *d);
int weft__hc_decoder_finish(struct weft__hc_decoder *d);
void weft__hc_decoder_free(struct weft__hc_decoder *d);

/* ---------------------------------------------------------- connections */

struct weft__hc_conn {
    weft_http_session *s;
    struct weft__hc_pool *pool;      /* NULL for a weft_http_conn's */
    weft_stream *st;
    struct weft__hc_conn *inext, *iprev; /* pool's idle list, MRU first */
    struct weft__hc_conn *lnext, *lprev; /* session's idle LRU, oldest first */
    struct weft__hc_conn *anext, *aprev; /* session's list of every connection */
    char *buf;                       /* read buffer: unconsumed bytes [rpos, rlen) */
    size_t rpos, rlen, cap;
    weft_h1_parser parser;
    uint64_t idle_since;
    unsigned nreq;                   /* requests sent on it */
    bool idle;                       /* in the pool */
    bool keep;                       /* the last response allowed reuse */
    bool dead;                       /* never reuse: error, close, session closed */
    bool proxied_http;               /* http through a proxy: absolute-form targets */
    bool got_byte;                   /* a response byte arrived for the current request */
    uint64_t read_timeout;           /* of whoever reads now: WEFT_NEVER or the longest wait */
    uint64_t deadline;               /* of whoever reads now: loop time or WEFT_NEVER */
    char peer[64];
    struct weft_http_timings tm;     /* of the connection's setup */
};

/* Longest a connection's read buffer grows (a head over the limit fails
 * before this). */
#define WEFT__HC_BUF_INIT (16u * 1024)

/* Free a connection now: abort (dropping unsent bytes) or flush-then-close. */
void weft__hc_conn_destroy(struct weft__hc_conn *c, bool abort);
/* @suspends. Read more into c->buf: count > 0, 0 at EOF, or an error.
 * A wait is bounded by c->read_timeout (WEFT_EHTTP_READ_TIMEOUT) and
 * c->deadline (-ETIMEDOUT); reads that need no wait cost no timer. */
int weft__hc_conn_fill(struct weft__hc_conn *c);
/* @suspends. Read into dst directly (buffered bytes first), same bounds. */
int weft__hc_conn_read(struct weft__hc_conn *c, void *dst, size_t n);
/* Bytes buffered, ours and the stream's. */
size_t weft__hc_conn_pending(const struct weft__hc_conn *c);
/* True when an idle connection can still carry a request. */
bool weft__hc_conn_usable(const struct weft__hc_conn *c);

/* What a connection is made to. */
struct weft__hc_target {
    bool https;
    const char *host;                /* hostname, no brackets */
    int port;
    const struct weft__hc_proxy *proxy;
    weft_tls_ctx *tls;
};

/* @suspends. Make a connection (DNS, Happy Eyeballs, proxy tunnel, TLS),
 * under the connect timeout. Fills c->st, c->peer and c->tm. */
int weft__hc_connect(weft_http_session *s, struct weft__hc_conn *c,
                     const struct weft__hc_target *t, uint64_t connect_timeout,
                     struct weft__hc_trace *tc, char *errbuf);

/* Tests replace the connector (tests/unit/client): it must set c->st. */
typedef int (*weft__hc_connector)(weft_http_session *s, struct weft__hc_conn *c,
                                  const struct weft__hc_target *t, void *ud);
void weft__hc_set_connector(weft_http_session *s, weft__hc_connector fn, void *ud);

/* ------------------------------------------------------------------ pools */

struct weft__hc_pool {
    struct weft__hc_pool *next;
    char *key;
    struct weft__hc_target t;        /* host/proxy strings owned by the pool */
    char *host_store;
    struct weft__hc_proxy proxy_store;
    size_t nconns;                   /* connecting + busy + idle */
    struct weft__hc_conn *idle;      /* MRU first */
};

/* The pool for a target (made on first use). NULL on -ENOMEM. */
struct weft__hc_pool *weft__hc_pool_get(weft_http_session *s, const struct weft__hc_target *t);

/* @suspends. A connection of pool p: an idle one (*reused = true) or a new
 * one under the limits, queueing FIFO when at a limit. */
int weft__hc_acquire(weft_http_session *s, struct weft__hc_pool *p, bool fresh,
                     uint64_t pool_timeout, uint64_t connect_timeout,
                     struct weft__hc_trace *tc, struct weft_http_timings *tm, char *errbuf,
                     struct weft__hc_conn **out, bool *reused);
/* Give a connection back after a response: idle if it can be reused, else
 * destroyed. Serves the waiters. */
void weft__hc_release(struct weft__hc_conn *c);
/* Drop a connection of a pool (error): destroyed, slot freed, waiters served. */
void weft__hc_discard(struct weft__hc_conn *c);
/* @suspends. Close the idle connections and wait until they are gone. */
int weft__hc_pool_close_idle(weft_http_session *s);
/* Close every connection and wake every waiter with WEFT_ECLOSED. */
void weft__hc_pool_shutdown(weft_http_session *s);
/* Arm / run the idle timer. */
void weft__hc_idle_timer(void *arg);

/* --------------------------------------------------------------- sessions */

struct weft_http_session {
    weft_loop *loop;
    int refs;
    bool closed;

    /* settings */
    size_t limit, limit_per_host, max_head, max_headers;
    uint64_t idle_timeout, timeout, connect_timeout, read_timeout, pool_timeout;
    uint64_t max_body, dns_ttl;
    int max_redirects;
    unsigned flags;
    char *dns_servers;
    weft_resolver *resolver;
    bool own_resolver;
    struct weft__hc_url *base;
    struct weft__hc_proxies proxies;
    weft_tls_ctx *tls;               /* NULL until first needed (default ctx) */
    bool tls_default;                /* tls is the one we made */
    char *cafile;
    weft_http_headers *headers;
    int auth;
    char *user, *pass, *basic;       /* basic: the precomputed Authorization value */
    struct weft__hc_digest *digests;
    weft_cookie_jar *jar;
    struct { weft_http_trace_cb cb; void *ud; } *traces;
    size_t ntraces;

    /* the pool */
    struct weft__hc_pool *pools;
    size_t nconns, nidle;
    struct weft__hc_conn *lru_head, *lru_tail;
    struct weft__hc_conn *all;
    struct weft__hc_waiter *wq_head, *wq_tail;
    size_t nwaiting;
    struct weft__timer idle_timer;

    /* recycling and scratch */
    weft_http_response *free_resp;
    size_t nfree_resp;
    char *wbuf;
    size_t wcap;
    struct { char *raw; struct weft__hc_url *url; } ucache[WEFT__HC_URL_CACHE];
    unsigned ucache_next;

    weft_http_session_stats stats;
    unsigned gen;                    /* bumped when proxies or TLS settings change */
    weft_http_client *blocking;      /* set for a blocking client's session */
    weft__hc_connector connector;
    void *connector_ud;
};

void weft__hc_session_ref(weft_http_session *s);
void weft__hc_session_unref(weft_http_session *s);
/* The TLS context for https (the default one made on first use). */
int weft__hc_session_tls(weft_http_session *s, weft_tls_ctx **out);
/* @suspends-free: the resolver (made on first use). */
int weft__hc_session_resolver(weft_http_session *s, weft_resolver **out);
/* Parse url (relative to the base URL if any), through the cache. */
int weft__hc_session_url(weft_http_session *s, const char *url, struct weft__hc_url **out);
/* Room for n bytes in the scratch buffer. */
char *weft__hc_session_wbuf(weft_http_session *s, size_t n);

/* -------------------------------------------------------------- responses */

/* How much of the body is left and how it is framed. Kept apart so that a
 * single connection can skip the rest of a response freed early. */
struct weft__hc_body {
    int framing;                     /* enum weft_h1_body */
    uint64_t left;                   /* LENGTH: bytes still to come */
    weft_h1_chunked ch;              /* CHUNKED */
    bool done;
};

struct weft_http_response {
    weft_http_session *s;            /* a reference */
    struct weft__hc_conn *conn;      /* while the body is being read */
    weft_http_conn *pconn;           /* the single connection it came from, if so */
    int status, version;
    unsigned h1flags;
    const char *reason;
    char *head;                      /* our copy of the head, fields NUL-terminated */
    size_t head_len, head_cap;
    weft_h1_header *hdrs;
    size_t nhdrs, hdrs_cap;
    weft_http_headers *hlist;        /* made on demand */
    struct weft__hc_url *url;
    char method[24];
    int method_id;
    weft_http_response **hist;
    size_t nhist, hist_cap;

    struct weft__hc_body b;
    int64_t clen;
    int err;                         /* sticky read error */
    bool ended;                      /* a read returned the end: later ones return 0 */
    uint64_t nread;                  /* decoded bytes handed out */
    struct weft__hc_decoder *dec;
    char *raw;                       /* coded bytes waiting for the decoder */
    size_t rawpos, rawlen, rawcap;
    bool raw_end;

    char *body;                      /* read_all */
    size_t blen, bcap;
    bool have_all;

    uint64_t deadline;               /* total timeout, loop time (WEFT_NEVER) */
    uint64_t read_timeout;
    uint64_t max_body;
    weft_http_timings tm;
    struct weft__hc_trace tc;        /* copy with the method/url of the hop */
    char peer[64];
    weft_http_client *owner;         /* one-shot: freed with the response */
    weft_http_response *next_free;
};

/* A clean response object (recycled from the session when possible). */
weft_http_response *weft__hc_resp_new(weft_http_session *s);
/* @suspends. Read and parse the next response head from c into r (interim
 * 1xx skipped) under c's timeouts. Sets r's body state and c->keep; the
 * caller attaches r to c (r->conn) or releases c when there is no body. */
int weft__hc_read_head(struct weft__hc_conn *c, weft_http_response *r, int method_id,
                       struct weft__hc_trace *tc);
/* Time and trace the end of the body. */
void weft__hc_resp_emit_done(weft_http_response *r);
/* The body is finished (or failed): let go of the connection. */
void weft__hc_resp_detach(weft_http_response *r, bool reuse);
/* @suspends. Read and drop up to max bytes of body; 0 when it ended, 1 when
 * more was left (the connection must then be closed), or an error. */
int weft__hc_resp_drain(weft_http_response *r, size_t max);
/* Set up the decoder for the response's Content-Encoding. */
int weft__hc_resp_setup_decoding(weft_http_response *r);
/* Append h to r's history (taking it). */
int weft__hc_resp_add_history(weft_http_response *r, weft_http_response *h);
/* Recycle the object or free it. */
void weft__hc_resp_release(weft_http_response *r);

/* ---------------------------------------------------------------- sending */

/* One request on the wire. */
struct weft__hc_send {
    const char *method;
    int method_id;
    const weft_url *url;
    const char *target;              /* request-target (origin- or absolute-form) */
    const weft_http_headers *headers;/* the caller's, may be NULL */
    const weft_http_body *body;      /* NULL or kind NONE: none */
    const char *authorization;       /* value to send, or NULL */
    const char *proxy_authorization;
    const char *cookie;              /* from the jar, or NULL */
    const char *accept_encoding;     /* NULL: none added */
    bool strip_auth;                 /* the caller's Authorization / Cookie dropped */
    bool strip_content;              /* the caller's Content-* dropped (method rewritten) */
    bool close;                      /* Connection: close */
    bool expect100;
    bool session_headers;            /* add the session's defaults */
};

/* @suspends. Send the head and the body. With expect100, waits up to 1 s
 * for an interim answer (*early = true when a final one came instead and the
 * body was not sent). Also *early when the server answered mid-upload. */
int weft__hc_send_request(weft_http_session *s, struct weft__hc_conn *c,
                          const struct weft__hc_send *q, struct weft__hc_trace *tc,
                          bool *early);
/* Can the body be sent again (after rewinding)? Rewind it. */
bool weft__hc_body_rewindable(const weft_http_body *b);
int weft__hc_body_rewind(const weft_http_body *b);
/* True for methods RFC 9110 calls idempotent. */
bool weft__hc_idempotent(int method_id);
/* enum weft_h1_method of a method string. */
int weft__hc_method_id(const char *method);

/* -------------------------------------------------------------- redirects */

/* Is r a redirect to follow (3xx with Location)? */
bool weft__hc_is_redirect(const weft_http_response *r);
/* The method after a redirect of status (303 -> GET, 301/302 POST -> GET). */
const char *weft__hc_redirect_method(int status, const char *method, bool *body_dropped);
/* Resolve the Location of r against its URL; 0 or a WEFT_EURL_* error. */
int weft__hc_redirect_url(const weft_http_response *r, weft_url **out);
/* May credentials set for `from` go to `to`? (same origin, or the http ->
 * https upgrade of the same host on default ports). */
bool weft__hc_same_auth_scope(const weft_url *from, const weft_url *to);

/* ----------------------------------------------------------- single conns */

struct weft_http_conn {
    weft_http_session *s;            /* a reference */
    bool own_session;                /* made for this connection */
    struct weft__hc_conn *c;
    weft_url *origin;
    uint8_t fifo[256];               /* methods of the requests awaiting responses */
    unsigned fhead, fcount;
    weft_http_response *cur;         /* whose body is being read */
    struct weft__hc_body skip;       /* the rest of a response freed early */
    bool skipping;
    bool broken;
};

/* ------------------------------------------------------------- blocking */

struct weft_http_client {
    weft_loop *loop;
    weft_http_session *s;
};

/* How a @suspends entry point on s's objects goes on: 0 here (a task on
 * s's loop), 1 through weft__hc_block (outside any task, blocking client),
 * or -EPERM (outside a task otherwise, or a task of another loop). */
int weft__hc_face(const weft_http_session *s);
/* Run fn(arg) as a task on the blocking client's loop until it ends, from
 * outside any task. -EPERM when s has no blocking client or when called
 * from inside a task. */
int weft__hc_block(weft_http_session *s, weft_task_fn fn, void *arg);

/* ----------------------------------------------------------------- misc */

/* Write "what: why" into errbuf (may be NULL). */
void weft__hc_err(char *errbuf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
