/*
 * weft/http_client.h - the HTTP/1.1 client: sessions with a connection pool
 * (aiohttp's ClientSession + TCPConnector, requests' Session), single
 * connections (http.client), and a blocking face for plain threaded C
 * (requests.get, httpx.Client, curl's easy interface over its multi one).
 *
 *     weft_http_session *s;
 *     weft_http_session_new(NULL, NULL, &s);
 *     weft_http_response *r;
 *     int rc = weft_http_session_get(s, "https://example.org/", NULL, &r);
 *     if (rc == 0) {
 *         printf("%d %s\n", weft_http_response_status(r), weft_http_response_reason(r));
 *         char buf[4096];
 *         int n;
 *         while ((n = weft_http_response_read(r, buf, sizeof buf)) > 0)
 *             fwrite(buf, 1, n, stdout);
 *         weft_http_response_free(r);
 *     }
 *     weft_http_session_free(s);
 *
 * The model. A request call sends the request, follows redirects, answers
 * authentication challenges and returns once the head of the final response
 * is in: status, reason, headers, final URL and the history of hops. The body
 * is then read by the caller, in pieces as it arrives (weft_http_response_read,
 * requests' iter_content) or whole (weft_http_response_read_all, under a
 * limit). When the body has been read to its end the connection goes back to
 * the session's pool; freeing a response whose body was not read to the end
 * closes its connection instead (unless the rest had already arrived).
 *
 * Strictness (curl's rigour). A server that closes the connection mid-body,
 * sends a malformed status line, header or chunk, or fewer bytes than its
 * Content-Length gets a clear error from the read that meets it
 * (WEFT_EHTTP_TRUNCATED, _BAD_STATUS, _PARSE, _BAD_CHUNK, ...), never a
 * short body that looks complete. Over TLS, a body delimited by the end of
 * the connection must end with close_notify (WEFT_ETLS_NO_CLOSE_NOTIFY
 * otherwise), as Python's ssl insists.
 *
 * Faces. Every function marked @suspends runs inside a task (weft/coro.h)
 * and returns -EPERM outside one -- except on objects of a blocking client
 * (weft_http_client_new, and the one-shot weft_http_get family): called
 * outside any task, those functions run the client's private loop until
 * they complete, so plain threaded code calls them like any blocking
 * function. One engine, two faces; a blocking client belongs to the thread
 * that made it and must not be used from inside a task.
 *
 * Errors: the transport's (-ECONNREFUSED, -ECONNRESET, -ENETUNREACH), DNS
 * (WEFT_EDNS_*), TLS (WEFT_ETLS_*), HTTP (WEFT_EHTTP_*), URL (WEFT_EURL_*),
 * -ETIMEDOUT (the total timeout or the task's own deadline), -ECANCELED,
 * -ENOMEM, WEFT_ECLOSED (the session or connection was closed meanwhile).
 * weft_http_error_class() sorts any of them into the classes a tool reports.
 * A request given an errbuf also gets one line saying what failed and where.
 *
 * Threads: a session and everything made from it belongs to its loop.
 * Docs: docs/http-client.md (the model, defaults, limits, what is rejected).
 */
#ifndef WEFT_HTTP_CLIENT_H
#define WEFT_HTTP_CLIENT_H

#include <stdint.h>
#include <sys/types.h>

#include "weft/common.h"
#include "weft/loop.h"
#include "weft/http.h"
#include "weft/form.h"
#include "weft/multipart.h"
#include "weft/cookie.h"
#include "weft/url.h"
#include "weft/tls.h"
#include "weft/dns.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_http_session weft_http_session;
typedef struct weft_http_response weft_http_response;
typedef struct weft_http_conn weft_http_conn;
typedef struct weft_http_client weft_http_client;

/* ================================================================ defaults */

#define WEFT_HTTP_DEFAULT_LIMIT          100u          /* connections per session */
#define WEFT_HTTP_DEFAULT_MAX_REDIRECTS  10
#define WEFT_HTTP_DEFAULT_TIMEOUT        WEFT_SEC(300) /* total, as aiohttp */
#define WEFT_HTTP_DEFAULT_CONNECT_TIMEOUT WEFT_SEC(30) /* DNS + TCP + proxy + TLS */
#define WEFT_HTTP_DEFAULT_IDLE_TIMEOUT   WEFT_SEC(15)  /* keep-alive, as aiohttp */
#define WEFT_HTTP_DEFAULT_MAX_BODY       (64u * 1024 * 1024) /* read_all */
#define WEFT_HTTP_DEFAULT_MAX_HEAD       (64u * 1024)
#define WEFT_HTTP_DEFAULT_MAX_HEADERS    100u
#define WEFT_HTTP_DEFAULT_DNS_TTL        WEFT_SEC(10)  /* aiohttp's ttl_dns_cache */
/* "No limit" for the size_t limits below. (Times use WEFT_NEVER.) */
#define WEFT_HTTP_UNLIMITED              SIZE_MAX
/* Room for the one-line error message of weft_http_request_opts.errbuf. */
#define WEFT_HTTP_ERRBUF_SIZE            256

/* ============================================================ request bodies */

/* Callback body: store up to cap bytes at buf and return how many (> 0), 0
 * at the end, or -errno to fail the request. Runs inside the request's task
 * and may suspend (read from a stream, say). */
typedef int (*weft_http_body_read_cb)(void *buf, size_t cap, void *ud);
/* Go back to the start so the body can be sent again (a 307/308 redirect,
 * a Digest challenge, a retry): 0, or -errno when that is impossible. */
typedef int (*weft_http_body_rewind_cb)(void *ud);

enum weft_http_body_kind {
    WEFT_HTTP_BODY_NONE = 0,  /* no body */
    WEFT_HTTP_BODY_MEMORY,    /* data/len, borrowed until the request call returns */
    WEFT_HTTP_BODY_FILE,      /* the file at path, opened when sent */
    WEFT_HTTP_BODY_FD,        /* read from fd (borrowed, not closed) */
    WEFT_HTTP_BODY_CALLBACK,  /* produced by read() */
    WEFT_HTTP_BODY_FORM,      /* form, urlencoded (Content-Type set) */
    WEFT_HTTP_BODY_MULTIPART, /* multipart/form-data (Content-Type set) */
};

/* Where a request body comes from. Make one with the constructors below
 * (or zero it for none). The length decides the framing: known lengths go
 * with Content-Length, unknown ones (-1) are sent chunked. A regular file
 * or fd has a known length (fstat) and goes out with sendfile(2) over plain
 * TCP. Rewinding: memory, form, multipart and files always can; an fd can
 * when it is seekable; a callback when it has a rewind function. A body
 * that cannot be rewound makes a 307/308 redirect or an auth challenge that
 * needs it again fail with WEFT_EHTTP_REWIND. */
typedef struct weft_http_body {
    int kind;                        /* enum weft_http_body_kind */
    const void *data;                /* MEMORY */
    size_t len;                      /* MEMORY */
    const char *path;                /* FILE */
    int fd;                          /* FD */
    int64_t length;                  /* FD / CALLBACK: bytes, or -1 unknown */
    weft_http_body_read_cb read;     /* CALLBACK */
    weft_http_body_rewind_cb rewind; /* CALLBACK, may be NULL */
    void *ud;                        /* CALLBACK */
    const weft_form *form;           /* FORM (borrowed for the call) */
    const weft_multipart *multipart; /* MULTIPART (borrowed for the call) */
    /* Content-Type to send unless the request headers name one; NULL: none
     * (FORM and MULTIPART always send their own). */
    const char *content_type;
} weft_http_body;

weft_http_body weft_http_body_memory(const void *data, size_t len);
/* A NUL-terminated string (not its NUL). */
weft_http_body weft_http_body_string(const char *s);
weft_http_body weft_http_body_file(const char *path);
/* From fd's current offset: length bytes, or to EOF when length is -1 (a
 * regular file then sends its remaining size; a pipe is sent chunked). */
weft_http_body weft_http_body_fd(int fd, int64_t length);
weft_http_body weft_http_body_callback(weft_http_body_read_cb read,
                                       weft_http_body_rewind_cb rewind, void *ud,
                                       int64_t length);
weft_http_body weft_http_body_form(const weft_form *form);
weft_http_body weft_http_body_multipart(const weft_multipart *m);

/* =================================================================== auth */

enum weft_http_auth {
    WEFT_HTTP_AUTH_NONE = 0,
    /* Sent with the first request (requests' auth=(user, pass)). */
    WEFT_HTTP_AUTH_BASIC = 1,
    /* RFC 7616: answer a 401 Digest challenge (MD5, MD5-sess, SHA-256,
     * SHA-256-sess; qop=auth, or none for RFC 2069 servers); the nonce is
     * then reused for the following requests to that origin, nc counting up. */
    WEFT_HTTP_AUTH_DIGEST = 2,
    /* Send nothing until challenged, then answer Digest if offered, else
     * Basic (curl --anyauth). */
    WEFT_HTTP_AUTH_ANY = 3,
};

/* ================================================================= tracing */

/* What happened (aiohttp's TraceConfig signals; one schema for client and
 * server). Events of one request come in this order, the optional ones only
 * when they happen; REDIRECT starts the next hop, which repeats from
 * POOL_WAIT_START. */
enum weft_http_trace_event {
    WEFT_HTTP_TRACE_REQUEST_START = 0, /* method, url */
    WEFT_HTTP_TRACE_POOL_WAIT_START,   /* the pool is at a limit: queued */
    WEFT_HTTP_TRACE_POOL_WAIT_END,     /* error: 0 or why the wait ended */
    WEFT_HTTP_TRACE_CONNECTION_REUSED, /* a keep-alive connection is used; detail: peer */
    WEFT_HTTP_TRACE_DNS_START,         /* host */
    WEFT_HTTP_TRACE_DNS_END,           /* error; count: addresses */
    WEFT_HTTP_TRACE_CONNECT_START,     /* host, port (the proxy's, through one) */
    WEFT_HTTP_TRACE_CONNECT_END,       /* error; detail: the peer "127.0.0.1:8080" */
    WEFT_HTTP_TRACE_PROXY_CONNECT,     /* CONNECT tunnel up; status; error */
    WEFT_HTTP_TRACE_TLS_START,
    WEFT_HTTP_TRACE_TLS_END,           /* error; detail: "TLSv1.3" or OpenSSL's words */
    WEFT_HTTP_TRACE_REQUEST_SENT,      /* head (the request head as sent); count: body bytes */
    WEFT_HTTP_TRACE_FIRST_BYTE,        /* the first byte of the response arrived */
    WEFT_HTTP_TRACE_RESPONSE_HEADERS,  /* status; response */
    WEFT_HTTP_TRACE_REDIRECT,          /* status; detail: the next URL */
    WEFT_HTTP_TRACE_RETRY,             /* a reused connection was closed: retried; error */
    WEFT_HTTP_TRACE_DONE,              /* the body was read to its end; count: its bytes */
    WEFT_HTTP_TRACE_ERROR,             /* error: the request failed */
};

typedef struct weft_http_trace {
    int event;                 /* enum weft_http_trace_event */
    uint64_t time_ns;          /* loop clock when it happened */
    uint64_t elapsed_ns;       /* since REQUEST_START */
    const char *method;        /* of the current hop */
    const char *url;           /* of the current hop */
    const char *host;          /* DNS_* / CONNECT_*: the name being resolved / connected */
    int port;
    int status;                /* RESPONSE_HEADERS, REDIRECT, PROXY_CONNECT, DONE */
    int error;                 /* 0 or the error of the step */
    const char *detail;        /* see the events; NULL when none */
    const char *head;          /* REQUEST_SENT: the request head bytes */
    size_t head_len;
    uint64_t count;            /* see the events */
    const weft_http_response *response; /* RESPONSE_HEADERS, REDIRECT, DONE */
} weft_http_trace;

/* Called on the loop, inside the request's task; the struct and its strings
 * are valid during the call only. Must not call back into the request. */
typedef void (*weft_http_trace_cb)(const weft_http_trace *ev, void *ud);

/* ================================================================ requests */

/* Request flags. */
enum {
    WEFT_HTTP_NO_REDIRECTS    = 1u << 0, /* return a 3xx as it is (allow_redirects=False) */
    WEFT_HTTP_NO_COOKIES      = 1u << 1, /* neither send nor store cookies */
    WEFT_HTTP_NO_DECOMPRESS   = 1u << 2, /* no Accept-Encoding; bodies as sent (curl without
                                            --compressed) */
    WEFT_HTTP_EXPECT_CONTINUE = 1u << 3, /* Expect: 100-continue before a body (waits 1 s) */
    WEFT_HTTP_FRESH_CONNECT   = 1u << 4, /* a new connection, not one from the pool */
    WEFT_HTTP_NO_KEEPALIVE    = 1u << 5, /* Connection: close; the connection is not reused */
    WEFT_HTTP_NO_RETRY        = 1u << 6, /* no retry on a reused connection found closed */
};

/* Per-request options; all optional, so zero (or a NULL pointer) takes the
 * session's settings. A header given here replaces a session default header
 * of the same name. */
typedef struct weft_http_request_opts {
    const weft_http_headers *headers; /* extra request headers (borrowed for the call) */
    const weft_form *params;          /* appended to the URL's query (requests' params=) */
    weft_http_body body;              /* request body */
    unsigned flags;                   /* WEFT_HTTP_* above */
    int max_redirects;                /* 0: the session's; < 0: do not follow */
    uint64_t timeout_ns;              /* total, body reads included; 0: session's */
    uint64_t connect_timeout_ns;      /* 0: session's */
    uint64_t read_timeout_ns;         /* longest wait for the next byte; 0: session's */
    uint64_t max_body;                /* read_all limit; 0: session's */
    int auth;                         /* enum weft_http_auth; NONE: the session's */
    const char *username;             /* with auth */
    const char *password;
    weft_tls_ctx *tls_ctx;            /* NULL: the session's */
    const char *proxy;                /* NULL: the session's; "" no proxy for this one */
    weft_http_trace_cb trace;         /* per-request hook, after the session's */
    void *trace_ud;
    char *errbuf;                     /* WEFT_HTTP_ERRBUF_SIZE bytes: one line on failure */
} weft_http_request_opts;

/* ================================================================ sessions */

/* Session flags. */
enum {
    WEFT_HTTP_SESSION_TRUST_ENV     = 1u << 0, /* read http_proxy, https_proxy, all_proxy,
                                                  no_proxy (and upper case but HTTP_PROXY)
                                                  at creation (aiohttp trust_env) */
    WEFT_HTTP_SESSION_NO_COOKIES    = 1u << 1, /* no cookie jar */
    WEFT_HTTP_SESSION_NO_DECOMPRESS = 1u << 2, /* as WEFT_HTTP_NO_DECOMPRESS for all */
    WEFT_HTTP_SESSION_NO_KEEPALIVE  = 1u << 3, /* no pooling: one connection per request */
    WEFT_HTTP_SESSION_NO_REDIRECTS  = 1u << 4, /* as WEFT_HTTP_NO_REDIRECTS for all */
    WEFT_HTTP_SESSION_INSECURE      = 1u << 5, /* accept any server certificate (curl -k) */
};

/* Session options; zero fields take the default beside them, so
 * `weft_http_session_opts o = {0};` (or NULL) is a valid set. */
typedef struct weft_http_session_opts {
    size_t limit;               /* connections in all: 0 = 100; WEFT_HTTP_UNLIMITED */
    size_t limit_per_host;      /* per (scheme, host, port, proxy, TLS): 0 = unlimited */
    uint64_t idle_timeout_ns;   /* an idle keep-alive connection is closed after: 0 = 15 s */
    uint64_t timeout_ns;        /* total per request: 0 = 300 s; WEFT_NEVER none */
    uint64_t connect_timeout_ns;/* 0 = 30 s; WEFT_NEVER none */
    uint64_t read_timeout_ns;   /* between two reads that get bytes: 0 = none */
    uint64_t pool_timeout_ns;   /* waiting for a pool slot: 0 = none (total bounds it) */
    int max_redirects;          /* 0 = 10 */
    uint64_t max_body;          /* read_all limit: 0 = 64 MiB; UINT64_MAX none */
    size_t max_head;            /* response head bytes: 0 = 64 KiB */
    size_t max_headers;         /* response header fields: 0 = 100 */
    uint64_t dns_ttl_ns;        /* cap on cached DNS answers: 0 = 10 s */
    const char *dns_servers;    /* "127.0.0.1:5353,...": NULL = /etc/resolv.conf */
    weft_resolver *resolver;    /* borrowed resolver instead of the session's own */
    const char *base_url;       /* relative request URLs resolve against it */
    const char *proxy;          /* "http://[user:pass@]host:port" for http and https */
    const char *no_proxy;       /* "localhost,.example.com,10.0.0.0/8" or "*" */
    weft_tls_ctx *tls_ctx;      /* client context (a reference is taken); NULL: the
                                   system CA store, ALPN http/1.1 */
    const char *cafile;         /* with tls_ctx NULL: trust the CAs of this PEM file instead
                                   of the system store (curl --cacert) */
    const char *user_agent;     /* NULL: "weft/<version>" */
    unsigned flags;             /* WEFT_HTTP_SESSION_* */
} weft_http_session_opts;

/* Make a session on loop (NULL: the current thread's). opts may be NULL and
 * is copied. Returns 0, -EINVAL (a bad base_url or proxy: WEFT_EURL_* then),
 * -ENOMEM, WEFT_ETLS_CONFIG (cafile), or a resolver error. */
int weft_http_session_new(weft_loop *loop, const weft_http_session_opts *opts,
                          weft_http_session **out);

/* Close every connection at once and release the session. Requests still
 * running and responses still being read fail with WEFT_ECLOSED; responses
 * stay valid (headers, read body) until freed. Not @suspends. */
void weft_http_session_free(weft_http_session *s);

/* @suspends. The same, but the idle connections are closed first and waited
 * for, so their fds are closed when it returns (aiohttp's `await
 * session.close()`); connections still in use are aborted and end with the
 * requests using them. */
int weft_http_session_close(weft_http_session *s);

/* The default headers (requests' s.headers), sent with every request unless
 * the request gives the same name: starts with User-Agent and Accept: * / *.
 * Owned by the session; change it with weft_http_headers_*(). */
weft_http_headers *weft_http_session_headers(weft_http_session *s);

/* Default credentials (requests' s.auth). type WEFT_HTTP_AUTH_NONE clears.
 * Strings are copied. Returns 0, -EINVAL, -ENOMEM. */
int weft_http_session_set_auth(weft_http_session *s, int type, const char *username,
                               const char *password);

/* Base URL (NULL clears). Returns 0 or a WEFT_EURL_* error. */
int weft_http_session_set_base_url(weft_http_session *s, const char *url);

/* Proxy for both schemes ("http://[user:pass@]host:port"; NULL or "" none)
 * and the no_proxy list. Returns 0 or a WEFT_EURL_* error. */
int weft_http_session_set_proxy(weft_http_session *s, const char *proxy, const char *no_proxy);

/* Replace the TLS client context (a reference is taken; NULL: back to the
 * default). Connections already open keep theirs. */
int weft_http_session_set_tls_ctx(weft_http_session *s, weft_tls_ctx *ctx);

/* The session's cookie jar (owned by it; NULL with _NO_COOKIES): load and
 * save it with weft_cookie_jar_load / _save. */
weft_cookie_jar *weft_http_session_cookie_jar(weft_http_session *s);

/* Add a trace hook for every request of the session (several may be added;
 * they run in order). Returns 0, -ENOMEM. */
int weft_http_session_add_trace(weft_http_session *s, weft_http_trace_cb cb, void *ud);

/* The session's resolver (its own, or the one given in opts). */
weft_resolver *weft_http_session_resolver(weft_http_session *s);

/* @suspends. Send a request and return its response once the head of the
 * final one is in (redirects followed, challenges answered). url may be
 * relative when the session has a base URL. method is any token ("GET",
 * "PATCH"). opts may be NULL. On success *out is a response the caller
 * frees with weft_http_response_free(); an HTTP error status (404, 500) is
 * a success here: see weft_http_response_raise_for_status(). */
int weft_http_session_request(weft_http_session *s, const char *method, const char *url,
                              const weft_http_request_opts *opts, weft_http_response **out);
/* @suspends. Shorthands for the common methods. */
int weft_http_session_get(weft_http_session *s, const char *url,
                          const weft_http_request_opts *opts, weft_http_response **out);
int weft_http_session_head(weft_http_session *s, const char *url,
                           const weft_http_request_opts *opts, weft_http_response **out);
int weft_http_session_post(weft_http_session *s, const char *url,
                           const weft_http_request_opts *opts, weft_http_response **out);
int weft_http_session_put(weft_http_session *s, const char *url,
                          const weft_http_request_opts *opts, weft_http_response **out);
int weft_http_session_delete(weft_http_session *s, const char *url,
                             const weft_http_request_opts *opts, weft_http_response **out);

/* Counters, for tests, monitoring and benchmarks. */
typedef struct weft_http_session_stats {
    uint64_t requests;          /* request calls made (each hop counts once) */
    uint64_t connections_opened;/* connections made */
    uint64_t connections_reused;/* requests that went over a pooled connection */
    uint64_t retries;           /* retries after a reused connection was found closed */
    uint64_t pool_waits;        /* requests that had to queue for a connection */
    size_t open;                /* connections now: connecting + busy + idle */
    size_t idle;                /* of which idle in the pool */
    size_t waiting;             /* requests queued for a connection now */
    size_t max_open;            /* the most connections open at once so far */
} weft_http_session_stats;
void weft_http_session_get_stats(const weft_http_session *s, weft_http_session_stats *out);

/* ================================================================ responses */

int weft_http_response_status(const weft_http_response *r);
/* The reason phrase as the server sent it ("" if none). */
const char *weft_http_response_reason(const weft_http_response *r);
/* HTTP minor version: 1 (HTTP/1.1) or 0 (HTTP/1.0). */
int weft_http_response_version(const weft_http_response *r);
/* True for a status below 400 (aiohttp's ok). */
bool weft_http_response_ok(const weft_http_response *r);
/* 0, or WEFT_EHTTP_STATUS for a status of 400 or more (requests'
 * raise_for_status). */
int weft_http_response_raise_for_status(const weft_http_response *r);

/* Headers, in the order received, names with the server's case. The first
 * value of name (case-insensitive) or NULL; repeated fields (Set-Cookie)
 * through count/at. Strings are NUL-terminated, owned by the response. */
const char *weft_http_response_header(const weft_http_response *r, const char *name);
size_t weft_http_response_header_count(const weft_http_response *r);
int weft_http_response_header_at(const weft_http_response *r, size_t i, const char **name,
                                 const char **value);
/* The same as a weft_http_headers list (made on first call, owned by r),
 * for code that wants the shared type. NULL on -ENOMEM. */
const weft_http_headers *weft_http_response_headers(weft_http_response *r);

/* The URL this response came from (after redirects), serialised, and
 * parsed; owned by r. */
const char *weft_http_response_url(const weft_http_response *r);
const weft_url *weft_http_response_url_parsed(const weft_http_response *r);
/* The method of the request it answers (after redirect rewriting). */
const char *weft_http_response_method(const weft_http_response *r);

/* Redirect history (aiohttp's r.history): the responses that led here, in
 * order, each with its status, URL and headers (and no body). Owned by r. */
size_t weft_http_response_history_count(const weft_http_response *r);
const weft_http_response *weft_http_response_history(const weft_http_response *r, size_t i);

/* Content-Length of the body as sent (before decoding), or -1 when unknown
 * (chunked, close-delimited) ; 0 for a response without a body. */
int64_t weft_http_response_content_length(const weft_http_response *r);
/* Body bytes handed to the caller so far (decoded). */
uint64_t weft_http_response_bytes_read(const weft_http_response *r);
/* True once the body has been read to its end. */
bool weft_http_response_done(const weft_http_response *r);

/* @suspends (or blocking, see Faces). Read up to n (>= 1) body bytes as they
 * arrive, decoded: returns the count, 0 at the end of the body, or an error
 * (WEFT_EHTTP_TRUNCATED, _BAD_CHUNK, WEFT_EHTTP_READ_TIMEOUT, -ETIMEDOUT,
 * -ECONNRESET, ...), which then sticks. */
int weft_http_response_read(weft_http_response *r, void *buf, size_t n);

/* @suspends (or blocking). Read the rest of the body (aiohttp's read()):
 * at most the max_body of the request or session, WEFT_EHTTP_BODY_TOO_LARGE
 * past it. On success *body (NUL-terminated, owned by r, valid until free)
 * and *len (may be NULL) hold the body; calling it again returns the same.
 * Bytes already taken with weft_http_response_read are not in it. */
int weft_http_response_read_all(weft_http_response *r, const char **body, size_t *len);

/* Where time went, in ns since the request started (curl -w's time_*):
 * 0 for steps that did not happen (a reused connection has no DNS or
 * connect time). */
typedef struct weft_http_timings {
    uint64_t pool_wait_ns;  /* waiting for a connection slot */
    uint64_t dns_ns;        /* name resolved */
    uint64_t connect_ns;    /* TCP connected (and the proxy tunnel up) */
    uint64_t tls_ns;        /* TLS handshake done */
    uint64_t sent_ns;       /* request head and body written */
    uint64_t first_byte_ns; /* first response byte */
    uint64_t headers_ns;    /* response head complete */
    uint64_t done_ns;       /* body read to its end (0 until then) */
    bool reused;            /* the connection came from the pool */
} weft_http_timings;
/* Timings of the final hop. */
void weft_http_response_timings(const weft_http_response *r, weft_http_timings *out);

/* The peer the response came from ("127.0.0.1:8080", "[::1]:443", the
 * proxy's address through a proxy), "" when unknown. */
const char *weft_http_response_peer(const weft_http_response *r);
/* The TLS engine of the connection while the body is being read (version,
 * cipher, peer subject), or NULL (plain HTTP, body done). */
weft_tls *weft_http_response_tls(const weft_http_response *r);

/* Free the response and its history. A body not read to its end closes the
 * connection (it is kept when the rest had already arrived). NULL is fine. */
void weft_http_response_free(weft_http_response *r);

/* ============================================================ connections */
/*
 * One connection of its own, outside any pool (Python's http.client
 * HTTPConnection): requests go out in the order sent and may be pipelined
 * (send several, then take their responses in order). No redirects, cookies
 * or auth: exactly the messages asked for, plus Host, the session's default
 * headers and the body framing.
 */

/* @suspends (or blocking). Connect to the origin of url ("http://host:port",
 * "https://host"; a path is ignored) with s's settings: TLS context, proxy,
 * DNS, connect timeout. s may be NULL: the defaults. Returns 0 or an error. */
int weft_http_conn_open(weft_http_session *s, const char *url, weft_http_conn **out);

/* @suspends (or blocking; it only waits while a body streams or the socket
 * is full). Send one request. target: origin-form "/path?query" (NULL:
 * "/"); headers may be NULL; body may be NULL. Returns 0, WEFT_ECLOSED, or a
 * write error. At most 256 requests may await their responses. */
int weft_http_conn_request(weft_http_conn *c, const char *method, const char *target,
                           const weft_http_headers *headers, const weft_http_body *body);

/* @suspends (or blocking). The response to the oldest request not yet
 * answered. The unread rest of the previous response's body is skipped
 * first. Returns 0 and *out (free it), -EINVAL when nothing was sent, or an
 * error (the connection is then unusable). */
int weft_http_conn_getresponse(weft_http_conn *c, weft_http_response **out);

/* True while the connection can carry another request. */
bool weft_http_conn_is_open(const weft_http_conn *c);

/* Close the connection at once; responses still being read fail with
 * WEFT_ECLOSED (they stay valid until freed). NULL is fine. */
void weft_http_conn_close(weft_http_conn *c);

/* ============================================================ blocking face */

/* A blocking client: a private loop and a session on it, for threaded code
 * that has no loop (httpx.Client, curl easy). Use weft_http_client_session()
 * with every session, response and connection call above, from outside any
 * task. opts as for sessions (may be NULL). */
int weft_http_client_new(const weft_http_session_opts *opts, weft_http_client **out);
weft_http_session *weft_http_client_session(weft_http_client *c);
/* Free the session and the loop. Responses still alive stay valid (headers,
 * a body already read); their further reads fail. */
void weft_http_client_free(weft_http_client *c);

/* One-shot blocking requests (requests.get): a fresh client for this
 * request alone, freed with the response. Bodies are then read with
 * weft_http_response_read / _read_all from the same thread. */
int weft_http_request(const char *method, const char *url, const weft_http_request_opts *opts,
                      weft_http_response **out);
int weft_http_get(const char *url, const weft_http_request_opts *opts,
                  weft_http_response **out);
int weft_http_post(const char *url, const weft_http_request_opts *opts,
                   weft_http_response **out);

/* ================================================================= errors */

/* The classes a tool reports failures by (curl's exit codes, aiohttp's
 * exception tree). */
enum weft_http_error_class {
    WEFT_HTTP_ERR_NONE = 0,  /* err >= 0 */
    WEFT_HTTP_ERR_URL,       /* WEFT_EURL_*: the URL could not be used */
    WEFT_HTTP_ERR_DNS,       /* WEFT_EDNS_* */
    WEFT_HTTP_ERR_CONNECT,   /* refused, unreachable, reset before a response, proxy */
    WEFT_HTTP_ERR_TLS,       /* WEFT_ETLS_* */
    WEFT_HTTP_ERR_TIMEOUT,   /* -ETIMEDOUT, WEFT_EHTTP_*_TIMEOUT */
    WEFT_HTTP_ERR_PROTOCOL,  /* malformed or truncated response, too many redirects */
    WEFT_HTTP_ERR_STATUS,    /* WEFT_EHTTP_STATUS (raise_for_status) */
    WEFT_HTTP_ERR_LOCAL,     /* anything else: -ENOMEM, -ECANCELED, a bad argument */
};
int weft_http_error_class(int err);

#ifdef __cplusplus
}
#endif
#endif
