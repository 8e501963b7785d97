/*
 * weft/http_server.h - the HTTP/1.1 server (aiohttp's web server, for C).
 *
 *     static int hello(weft_web_request *req, weft_web_response *resp, void *ud)
 *     {
 *         return weft_web_response_send_text(resp, "text/plain", "Hello, world");
 *     }
 *
 *     int main(void)
 *     {
 *         weft_web_app *app;
 *         weft_web_app_new(&app);
 *         weft_web_app_get(app, "/", hello, NULL);
 *         int rc = weft_web_run_app(app, NULL);   // http://0.0.0.0:8080, Ctrl+C stops
 *         weft_web_app_free(app);
 *         return rc < 0;
 *     }
 *
 * The model.
 * - An *app* (weft_web_app) is what to serve: routes, a default handler,
 *   middleware, the access log. Configure it first; once a server listens
 *   or serves a connection with it, it is read-only (changes are -EBUSY)
 *   and may be shared by servers on several threads.
 * - A *server* (weft_web_server) runs an app on one loop: its listening
 *   sockets (plain or TLS), its connections, its limits and timeouts.
 *   weft_web_run_app() is the one-call way: N loops on N threads sharing
 *   the port through SO_REUSEPORT, TLS, graceful shutdown on SIGINT/SIGTERM.
 * - A *handler* runs once per request, in a task (it may call any @suspends
 *   function), with a request to read and a response to fill. A task exists
 *   only while a request is in flight: an idle keep-alive connection holds
 *   no coroutine stack and no buffer.
 *
 * Requests. The server parses with weft/http1.h, strictly: a malformed,
 * ambiguous or over-limit request is answered 400/413/414/431/501/505 (417
 * for an Expect other than 100-continue) and the connection is closed; the
 * handler never sees it. Keep-alive, pipelining (answered in order, the
 * responses to one read batch corked into one write), HTTP/1.0, Expect:
 * 100-continue (sent when the handler first reads the body; a handler that
 * answers without reading it gets the connection closed after the
 * response) and Connection: close are handled by the server.
 *
 * Responses. The status defaults to 200. The server adds Date (cached per
 * second), Server (see weft_web_app_set_server_header) and the framing: a
 * body given whole gets Content-Length; a streamed body gets the
 * Content-Length the handler declared, else chunked (HTTP/1.1) or, for an
 * HTTP/1.0 client, the end of the connection. Responses to HEAD, and 1xx,
 * 204 and 304 responses, carry no body: what the handler writes for them is
 * dropped (headers, Content-Length included, are still sent). The server
 * owns Connection and Transfer-Encoding: values the handler sets for them
 * are not sent (Connection: close from the handler means "close after").
 *
 * Names. The server's request and response are weft_web_request and
 * weft_web_response (weft_web_request_path, weft_web_response_send...); the HTTP
 * client's response is weft_web_response (weft/http_client.h).
 *
 * Strings. Every string the request returns is NUL-terminated, owned by the
 * request and valid until the handler returns; a handler that keeps one
 * longer must copy it. weft_web_request and weft_web_response are borrowed
 * for the handler's run only.
 *
 * Errors. Functions return 0 (or a count) or a negative code: -EINVAL for
 * bad arguments, -EBUSY for a change that comes too late (an app already
 * running, headers already sent), WEFT_ECLOSED / -ECONNRESET / -EPIPE when
 * the client went away, -ETIMEDOUT when a body read or a drain hit its
 * timeout, -ECANCELED at shutdown, and the body errors of weft/http1.h.
 *
 * Threads. A server and everything it hands out belong to its loop's
 * thread. An app is shared read-only (see above).
 */
#ifndef WEFT_WEB_SERVER_H
#define WEFT_WEB_SERVER_H

#include <sys/socket.h>
#include <sys/types.h>

#include "weft/common.h"
#include "weft/http.h"
#include "weft/http1.h"
#include "weft/loop.h"
#include "weft/net.h"
#include "weft/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_web_app weft_web_app;
typedef struct weft_web_server weft_web_server;
typedef struct weft_web_request weft_web_request;
typedef struct weft_web_response weft_web_response;

/* A request handler. It runs in a task and may suspend. Its return value:
 *   0          done: whatever it did not finish is finished for it (a
 *              response never started is sent as set so far: status 200 by
 *              default, empty body; a started body is ended);
 *   100..599   an HTTP status: if no response was started, the server sends
 *              weft_web_response_send_error(resp, status) ("return 404;");
 *   < 0        an error: 500 if no response was started (408 for
 *              -ETIMEDOUT), else the connection is closed after what was
 *              sent (a body cut short is never passed off as complete). */
typedef int (*weft_web_handler)(weft_web_request *req, weft_web_response *resp, void *ud);

/* ===================================================================== apps */

/* Make an empty app: no routes, no default handler (so every request gets
 * 404), no middleware, no access log, "Server: weft". 0 or -ENOMEM. */
int weft_web_app_new(weft_web_app **out);

/* Free the app. Every server running it must have been freed first. */
void weft_web_app_free(weft_web_app *app);

/* ---------------------------------------------------------------- routing */

/* Route requests whose method is `method` and whose path matches `pattern`
 * to handler(req, resp, ud). Routes are tried in the order they were added;
 * the first match wins.
 *
 * method: a method token ("GET", "POST", "PURGE", ...; case-sensitive, as
 * RFC 9110 says) or "*" for any method. A "GET" route answers HEAD too
 * (the body is dropped), unless a "HEAD" route for the path comes first.
 *
 * pattern: an absolute path of literal segments and captures, matched
 * against the decoded path (weft_web_request_path):
 *   "/about"               exactly /about
 *   "/users/{id}"          {id}: one non-empty segment (no '/')
 *   "/files/{tail:.*}"     {name:.*}: the rest of the path, '/' included,
 *                          possibly empty; only as the last element
 * A capture is a whole segment ("/v{n}.json" is -EINVAL); a {name:.*} tail
 * may follow a literal prefix ("/static/{path:.*}"). Captured values are
 * read with weft_web_request_match(req, "id").
 *
 * No route matches: the default handler runs if one is set, else 404. A
 * path matched only by routes of other methods: 405 with an Allow header
 * listing them (the default handler is not asked).
 *
 * Returns 0, -EINVAL (bad method or pattern), -ENOMEM, -EBUSY (the app is
 * running). */
int weft_web_app_add_route(weft_web_app *app, const char *method, const char *pattern,
                            weft_web_handler handler, void *ud);

/* add_route(app, "GET", ...) and add_route(app, "POST", ...) (aiohttp's
 * add_get / add_post). */
int weft_web_app_get(weft_web_app *app, const char *pattern, weft_web_handler handler,
                      void *ud);
int weft_web_app_post(weft_web_app *app, const char *pattern, weft_web_handler handler,
                       void *ud);

/* The handler for requests no route matches (a plain handler that does its
 * own dispatch, or a static file handler behind API routes). NULL: 404. */
int weft_web_app_set_handler(weft_web_app *app, weft_web_handler handler, void *ud);

/* ------------------------------------------------------------- middleware */

/* Hooks around every request, each optional:
 *   before   runs before the route's handler. It may answer the request
 *            itself (weft_web_response_send..., return 0): the handler is
 *            then skipped, as are the before hooks after it. A return < 0
 *            or a status is treated as a handler's return.
 *   prepare  runs once, right before the response head goes out: the last
 *            moment to change the status or headers (add headers,
 *            content-coding negotiation). A return < 0 fails the response
 *            (500 if nothing was sent).
 *   after    runs after the response ended, or failed (result is the
 *            handler's return, or the error that ended the response):
 *            logging, metrics. The request and response can still be read.
 * before hooks run in the order the middleware was added, prepare and after
 * hooks in the reverse order (the first added is the outermost). */
typedef struct weft_web_middleware {
    int (*before)(weft_web_request *req, weft_web_response *resp, void *ud);
    int (*prepare)(weft_web_request *req, weft_web_response *resp, void *ud);
    void (*after)(weft_web_request *req, weft_web_response *resp, int result, void *ud);
} weft_web_middleware;

/* Add a middleware (the table is borrowed: keep it alive, usually static
 * const; ud is passed to its hooks). At most 32. -EINVAL, -E2BIG, -EBUSY. */
int weft_web_app_use(weft_web_app *app, const weft_web_middleware *mw, void *ud);

/* ------------------------------------------------------------ access log */

enum weft_web_log_format {
    WEFT_WEB_LOG_COMMON = 0,   /* host ident user [time] "request" status bytes */
    WEFT_WEB_LOG_COMBINED = 1, /* COMMON + "referer" "user-agent" */
};

/* Log every request to fd in Common or Combined Log Format, as nginx and
 * Apache write it:
 *     127.0.0.1 - - [10/Oct/2000:13:55:36 +0200] "GET / HTTP/1.1" 200 2326 "-" "curl/7.88.1"
 * (local time; bytes: body bytes sent, "-" for none; non-printable bytes,
 * '"' and '\' in the quoted fields are escaped as \xHH). Lines of one loop
 * iteration are gathered into one write(2); each server buffers its own
 * lines, so several threads can share one fd. fd stays the caller's and
 * must stay open while servers run. fd < 0 turns the log off (the default).
 * -EBUSY once running. */
int weft_web_app_set_access_log(weft_web_app *app, int fd, enum weft_web_log_format fmt);

/* ------------------------------------------------------------ compression */

/* How responses are compressed (weft/http_codec.h). Zero fields take the
 * defaults. */
typedef struct weft_web_compress_opts {
    const int *codings;   /* enum weft_coding values the server will apply, most
                             preferred first; NULL: zstd, br, gzip (deflate is
                             left out: old clients disagree on what it means) */
    size_t ncodings;
    int level;            /* the codings' own scale; 0: each one's default
                             (gzip 6, br 5, zstd 3: web servers' fast settings) */
    uint64_t min_length;  /* a body declared shorter goes as is; default 256 */
    bool flush_writes;    /* flush the encoder at every write (server-sent
                             events, progress); costs ratio */
} weft_web_compress_opts;

/* Compress response bodies with the coding the request's Accept-Encoding
 * prefers, as nginx's gzip module does: sets Content-Encoding, adds
 * Accept-Encoding to Vary, drops Content-Length (the body is streamed),
 * weakens a strong ETag. Left alone: statuses without a body, 206 and
 * Content-Range, a Content-Encoding already set, Cache-Control:
 * no-transform, media types that are already compressed (images, audio,
 * video, archives: weft_coding_compressible), bodies declared shorter than
 * min_length, clients that accept no coding of ours. Once per app (it is a
 * middleware: its prepare hook runs with the others'). opts may be NULL.
 * -EALREADY, -EINVAL (a level a coding refuses), -EBUSY, -ENOMEM. */
int weft_web_app_use_compression(weft_web_app *app, const weft_web_compress_opts *opts);

/* ------------------------------------------------------------ other knobs */

/* The Server header of every response ("weft" by default; NULL: none).
 * Copied. -EINVAL for a value with CR, LF or NUL. */
int weft_web_app_set_server_header(weft_web_app *app, const char *value);

/* ================================================================ servers */

/* Limits and timeouts of a server. Every field left 0 takes its default, so
 * `weft_web_server_opts o = {.keepalive_timeout_ns = WEFT_SEC(5)};` is
 * complete. Times: WEFT_NEVER means no limit. */
typedef struct weft_web_server_opts {
    /* Parser limits (each 0 field: its default): request line 8 KiB (414),
     * head 64 KiB and 100 fields (431), body 1 MiB (413; UINT64_MAX: none;
     * it bounds Content-Length and decoded chunked bodies). */
    weft_h1_limits limits;
    /* The whole head of a request must arrive within this time of its first
     * byte, or the client gets 408 and is closed (slowloris). Default 10 s. */
    uint64_t header_timeout_ns;
    /* A handler waiting for body bytes gets -ETIMEDOUT after this long
     * without any (and the connection is closed). Default 60 s. */
    uint64_t body_timeout_ns;
    /* An idle keep-alive connection is closed after this long. Default 75 s. */
    uint64_t keepalive_timeout_ns;
    /* A response whose bytes stay above the write buffer's high-water mark
     * this long (the client does not read) is aborted. Default 60 s. */
    uint64_t write_timeout_ns;
    /* After an error response, unread request bytes are read and dropped
     * for at most this long before closing, so that the client sees the
     * answer instead of a reset (nginx's lingering close). Default 2 s. */
    uint64_t linger_timeout_ns;
    /* Open connections; more are closed as soon as they are accepted.
     * Default 16384. */
    size_t max_connections;
    /* Requests served on one connection before it is closed (nginx's
     * keepalive_requests). Default 10000; SIZE_MAX: no limit. */
    size_t max_keepalive_requests;
    /* Received bytes kept beyond the request in progress (pipelined
     * requests, a body the handler has not read yet) before the server
     * stops reading from the connection. Default 64 KiB. */
    size_t max_pipeline_bytes;
    /* Handler tasks kept parked for the next requests instead of ending
     * (their stacks are reused; an idle connection holds none). Default 64. */
    size_t idle_tasks;
} weft_web_server_opts;

/* Make a server for app on loop (NULL: the current thread's loop) with no
 * listening socket yet. opts may be NULL (all defaults); it is copied.
 * Returns 0, -EINVAL, -ENOMEM. The app must outlive the server. */
int weft_web_server_new(weft_loop *loop, weft_web_app *app, const weft_web_server_opts *opts,
                         weft_web_server **out);

/* Listen on host:port over TCP (host: an IP literal, "localhost", or NULL /
 * "" for every interface; port 0 picks a free port). sopts may be NULL
 * (set reuse_port to share the port with servers on other threads). May be
 * called several times (another address, a TLS port). Not @suspends. */
int weft_web_server_listen(weft_web_server *srv, const char *host, uint16_t port,
                            const weft_server_opts *sopts);

/* Listen for HTTPS: as weft_web_server_listen, each connection doing the
 * TLS handshake with ctx (a server context, used from this loop only; the
 * server takes a reference) before it is served. topts may be NULL. */
int weft_web_server_listen_tls(weft_web_server *srv, const char *host, uint16_t port,
                                const weft_server_opts *sopts, weft_tls_ctx *ctx,
                                const weft_tls_opts *topts);

/* Serve one connection on any connected transport that has no protocol yet
 * and was not started (a memory pair side in tests, a socketpair, an
 * accepted fd wrapped by the caller, a TLS transport from weft_tls_wrap's
 * callback). The server owns t from here on. It counts against
 * max_connections (-EAGAIN when full: t is then closed). */
int weft_web_server_serve(weft_web_server *srv, weft_transport *t);

/* The bound port of the first listening socket, or -errno (-ENOTCONN when
 * the server does not listen). */
int weft_web_server_port(const weft_web_server *srv);
/* Address of the first listening socket. */
int weft_web_server_sockname(const weft_web_server *srv, struct sockaddr_storage *ss,
                              socklen_t *len);

/* Open connections, and how many of them have a request in flight. */
size_t weft_web_server_nconnections(const weft_web_server *srv);
size_t weft_web_server_nactive(const weft_web_server *srv);

weft_loop *weft_web_server_loop(const weft_web_server *srv);
weft_web_app *weft_web_server_app(const weft_web_server *srv);

/* Stop accepting (close the listening sockets); connections go on. Wakes
 * weft_web_server_serve_forever. Idempotent. Usable from a signal handler
 * callback of the server's loop. */
void weft_web_server_close(weft_web_server *srv);

/* @suspends. Wait until weft_web_server_close() is called (from a signal
 * handler, another task). If the waiting task is cancelled, the server is
 * closed and -ECANCELED returned. */
int weft_web_server_serve_forever(weft_web_server *srv);

/* @suspends. Graceful shutdown: stop accepting, close idle connections (and
 * ones whose next request has not fully arrived), let requests in flight
 * finish (their responses get Connection: close) until grace_ns from now,
 * then cancel the handlers still running, abort their connections and wait
 * for them. Returns 0 when everything ended in time, -ETIMEDOUT when some
 * had to be stopped, -ECANCELED when the calling task was cancelled (all is
 * still stopped and waited for). */
int weft_web_server_shutdown(weft_web_server *srv, uint64_t grace_ns);

/* Free the server. Connections still open are aborted and handlers still
 * running cancelled; the memory goes once the last of them has ended (run
 * the loop until then before closing it). NULL is a no-op. */
void weft_web_server_free(weft_web_server *srv);

/* =============================================================== run_app */

/* What weft_web_run_app does. Zero fields take the defaults (port 0 is
 * really port 0). */
typedef struct weft_web_run_opts {
    const char *host;         /* NULL or "": every interface (0.0.0.0 and ::) */
    uint16_t port;            /* 0 picks a free port (on_ready can tell which);
                                 NULL opts mean 8080, aiohttp's default */
    int workers;              /* loops, each on its own thread, sharing the port
                                 through SO_REUSEPORT; 0 or 1: one, run on the
                                 calling thread */
    const char *tls_cert;     /* PEM certificate chain and key: serve HTTPS */
    const char *tls_key;      /*   (a context is made for each worker) */
    weft_web_server_opts server; /* limits and timeouts of each worker's server */
    uint64_t shutdown_grace_ns;   /* on SIGINT/SIGTERM: time in-flight requests get
                                     to finish; default 10 s */
    bool no_signals;          /* leave SIGINT/SIGTERM alone (stop it with
                                 weft_web_run_stop) */
    /* Called once, when every worker listens (from the calling thread's
     * loop), with the first worker's server: print where it serves. NULL:
     * prints aiohttp's "======== Running on http://HOST:PORT ========" and
     * "(Press CTRL+C to quit)" to stdout. */
    void (*on_ready)(weft_web_server *srv, void *ud);
    void *ud;
} weft_web_run_opts;

/* Serve app until SIGINT or SIGTERM (aiohttp's web.run_app): make the
 * loops (one per worker, the first on this thread), listen on every one,
 * call on_ready, run; on the signal, shut every worker down gracefully
 * (weft_web_server_shutdown with shutdown_grace_ns) and return 0. A second
 * signal during the grace period stops at once. While it runs SIGPIPE is
 * ignored (if it was at its default), as nginx and Python do. Returns an
 * error if any worker cannot start (-EADDRINUSE, WEFT_ETLS_CONFIG, ...):
 * then nothing runs. Call it outside any loop or task (-EBUSY otherwise).
 * opts may be NULL. */
int weft_web_run_app(weft_web_app *app, const weft_web_run_opts *opts);

/* Ask a running weft_web_run_app to shut down as if signalled. Safe from
 * any thread (for no_signals setups and tests). -ESRCH if none runs. */
int weft_web_run_stop(void);

/* ================================================================ requests */

/* The method token as sent ("GET"), and enum weft_h1_method. */
const char *weft_web_request_method(const weft_web_request *req);
int weft_web_request_method_id(const weft_web_request *req);

/* The request-target exactly as sent ("/a%20b?x=1", "*", "host:443",
 * "http://host/p"). */
const char *weft_web_request_target(const weft_web_request *req);

/* The path, percent-decoded ("/a b"), without the query. Not normalised:
 * "." and ".." segments and repeated '/' are kept as sent (decoded: "%2e%2e"
 * is ".." and "%2F" is '/'), so code that maps paths to files must refuse
 * them. A path whose decoding has a NUL byte, or a malformed escape, was
 * answered 400 before any handler. "" for CONNECT, "*" for OPTIONS *;
 * absolute-form targets give their path ("/" when empty). */
const char *weft_web_request_path(const weft_web_request *req);

/* The query string after '?', as sent (not decoded), or NULL without '?'. */
const char *weft_web_request_query_string(const weft_web_request *req);

/* The first query parameter named name, decoded as a form
 * (application/x-www-form-urlencoded: '+' is a space), or NULL. The query
 * is parsed on the first call (weft/form.h limits). */
const char *weft_web_request_query(weft_web_request *req, const char *name);

/* 1 for HTTP/1.1, 0 for HTTP/1.0 (the minor version). */
int weft_web_request_version(const weft_web_request *req);

/* The Host header (or the authority of an absolute-form target), or NULL
 * (HTTP/1.0 without one). */
const char *weft_web_request_host(const weft_web_request *req);

/* "http" or "https". */
const char *weft_web_request_scheme(const weft_web_request *req);

/* A route capture ("id" of "/users/{id}"), decoded, or NULL. */
const char *weft_web_request_match(const weft_web_request *req, const char *name);

/* -------------------------------------------------------------- headers */

/* The value of the first header field named name (any case), or NULL. */
const char *weft_web_request_header(const weft_web_request *req, const char *name);

/* Header fields in the order received: count, and field i (names keep the
 * sender's case; values have their surrounding whitespace removed). at
 * returns 0 or -ERANGE; nlen / vlen may be NULL. */
size_t weft_web_request_header_count(const weft_web_request *req);
int weft_web_request_header_at(const weft_web_request *req, size_t i, const char **name,
                                size_t *nlen, const char **value, size_t *vlen);

/* True when the comma-separated values of the fields named name include
 * token, case-insensitively (Connection: keep-alive, Accept-Encoding: gzip
 * has "gzip"). Parameters after ';' are not stripped. */
bool weft_web_request_header_has_token(const weft_web_request *req, const char *name,
                                        const char *token);

/* The header fields as a weft_http_headers list (weft/http.h), made on the
 * first call and owned by the request. NULL on -ENOMEM. */
const weft_http_headers *weft_web_request_headers(weft_web_request *req);

/* ------------------------------------------------------------------ body */

/* The declared body length: Content-Length, -1 for chunked (unknown until
 * read), 0 for a request without a body. */
int64_t weft_web_request_content_length(const weft_web_request *req);
bool weft_web_request_has_body(const weft_web_request *req);

/* @suspends. Read up to n body bytes (decoded from chunked) into buf.
 * Returns the count (> 0), 0 at the end of the body, or an error:
 * WEFT_EHTTP_BAD_CHUNK / _BODY_TOO_LARGE (the body broke the protocol or
 * its limit; the handler may answer 400 / 413, then the connection closes),
 * WEFT_EHTTP_TRUNCATED (the client closed before the end), -ETIMEDOUT (no
 * byte for body_timeout_ns), -ECANCELED. The first read sends
 * "100 Continue" if the client asked for it. */
int weft_web_request_read(weft_web_request *req, void *buf, size_t n);

/* @suspends. Read the whole body (at most the server's max_body) into
 * memory owned by the request, NUL-terminated: *data (may be NULL) and
 * *len. A second call returns the same. Errors as for read. */
int weft_web_request_read_body(weft_web_request *req, const char **data, size_t *len);

/* ------------------------------------------------------------ connection */

/* The client's address (0, -ENOTSOCK for memory transports), and the
 * same as text without the port ("127.0.0.1", "::1"; "-" when unknown). */
int weft_web_request_peername(const weft_web_request *req, struct sockaddr_storage *ss,
                               socklen_t *len);
const char *weft_web_request_remote(weft_web_request *req);

/* The connection's transport (for weft_transport_tls(), the local
 * address). Borrowed: do not close it (weft_web_response_set_keep_alive
 * (resp, false) asks for the close). */
weft_transport *weft_web_request_transport(const weft_web_request *req);

/* The server handling the request. */
weft_web_server *weft_web_request_server(const weft_web_request *req);

/* =============================================================== responses */

/* The status (200 until set). set accepts 200..599 (-EINVAL otherwise: 1xx
 * are the server's, and 101 waits for a way to hand the connection to
 * another protocol) and -EBUSY once the head was sent. The reason phrase is
 * the standard one (weft_http_reason) unless set_reason gives another
 * (copied; no CR/LF/NUL). */
int weft_web_response_set_status(weft_web_response *resp, int status);
int weft_web_response_status(const weft_web_response *resp);
int weft_web_response_set_reason(weft_web_response *resp, const char *reason);

/* Header fields to send (weft/http.h rules: a name must be a token, a
 * value must have no CR, LF or NUL). set replaces every field of that
 * name, add appends another (Set-Cookie). -EBUSY once the head was sent. */
int weft_web_response_set_header(weft_web_response *resp, const char *name, const char *value);
int weft_web_response_add_header(weft_web_response *resp, const char *name, const char *value);
/* The list itself, editable until the head is sent (then still readable). */
weft_http_headers *weft_web_response_headers(weft_web_response *resp);

/* Declare the body length of a streamed response (Content-Length): the
 * handler then writes exactly that many bytes (more is -EINVAL; fewer
 * closes the connection after the response). -EBUSY once the head was sent. */
int weft_web_response_set_content_length(weft_web_response *resp, uint64_t len);

/* false: close the connection after this response (Connection: close).
 * true (default) keeps it open when the client and the server allow. */
int weft_web_response_set_keep_alive(weft_web_response *resp, bool keep);

/* @suspends. Send the whole response with this body (copied), framed with
 * Content-Length: the response is complete when this returns. The head
 * carries the status and headers set so far. -EBUSY if the response was
 * already started. */
int weft_web_response_send(weft_web_response *resp, const void *body, size_t len);

/* @suspends. send() of a NUL-terminated text with this Content-Type (NULL:
 * keep the one set, else none). */
int weft_web_response_send_text(weft_web_response *resp, const char *content_type,
                                 const char *text);

/* @suspends. Send a short error page: status and "404 Not Found\n" as
 * text/plain. Headers set before are kept (WWW-Authenticate, Allow, ...). */
int weft_web_response_send_error(weft_web_response *resp, int status);

/* Start a streamed response (aiohttp's prepare): the head is queued now
 * with the status and headers as they are. Writing does it implicitly.
 * Not @suspends. -EBUSY if already prepared. */
int weft_web_response_prepare(weft_web_response *resp);

/* @suspends. Write body bytes of a streamed response (prepared on the first
 * call): a chunk of a chunked body, or the next bytes of a Content-Length
 * or close-delimited one. Waits while the client is slow to read (see
 * drain). Returns 0 or an error (the client went away, -ETIMEDOUT after
 * write_timeout_ns, -EINVAL past the declared Content-Length). */
int weft_web_response_write(weft_web_response *resp, const void *data, size_t len);

/* @suspends. Write count bytes of the file fd from offset as body bytes:
 * zero-copy with sendfile(2) on plain sockets, read and write under TLS (or
 * when a middleware transforms the body). fd stays the caller's and may be
 * closed as soon as this returns. A file shorter than promised fails with
 * -EIO (and the connection closes). Returns 0 or an error as write. */
int weft_web_response_sendfile(weft_web_response *resp, int fd, off_t offset, size_t count);

/* @suspends. Wait while the connection's write buffer is above its high
 * water mark (back-pressure for handlers that write in a loop). */
int weft_web_response_drain(weft_web_response *resp);

/* @suspends. End the body (the last chunk of a chunked one); the response
 * is complete. Later writes are -EBUSY. Returning from the handler does it. */
int weft_web_response_write_eof(weft_web_response *resp);

/* ------------------------------------------------------------ body filters */

/* A transformation of the body between the handler and the wire (the
 * compression middleware's content-coding is one): write gets every piece
 * the handler writes (sendfile's too, read from the file), and last = true
 * once at the end (len may be 0), when it must pass on everything it holds.
 * It passes its output on with weft_web_response_filter_emit(), which may
 * suspend (back-pressure). done runs when the response is over, whatever
 * happened (free the filter's state there); it may be NULL. */
typedef struct weft_web_body_filter {
    int (*write)(weft_web_response *resp, const void *data, size_t len, bool last, void *ud);
    void (*done)(weft_web_response *resp, void *ud);
} weft_web_body_filter;

/* Put a filter on the body; only before the head is sent (a middleware's
 * prepare hook is the place), one per response. The response is then
 * streamed: a Content-Length is dropped (the filter decides the length) and
 * the body goes chunked (HTTP/1.1) or up to the close (HTTP/1.0); sendfile
 * reads the file instead of sendfile(2). The table is borrowed (static
 * const). -EBUSY once the head is out, -EINVAL for a second filter. */
int weft_web_response_set_body_filter(weft_web_response *resp, const weft_web_body_filter *f,
                                       void *ud);

/* From a filter's write only: send filtered bytes (-EINVAL elsewhere). */
int weft_web_response_filter_emit(weft_web_response *resp, const void *data, size_t len);

/* The head was sent (or queued), and the response is complete. */
bool weft_web_response_prepared(const weft_web_response *resp);
bool weft_web_response_finished(const weft_web_response *resp);

/* Body bytes sent so far (what the access log reports). */
uint64_t weft_web_response_body_bytes(const weft_web_response *resp);

#ifdef __cplusplus
}
#endif
#endif
