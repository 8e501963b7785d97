/*
 * server_int.h - the HTTP server's internals, shared by the files of
 * src/server/ (one job each: app, router, server, conn, worker, request,
 * response, access log, run).
 *
 * The objects and who owns what:
 *
 *   weft_web_app     routes, middleware, log settings; read-only once a
 *                     server listens or serves with it (app->running).
 *   weft_web_server  one loop's server: listeners, the list of connections,
 *                     the pools (exchanges, parked worker tasks), the
 *                     per-thread scratch read buffer and the access log buffer.
 *                     Reference counted: the owner, each connection and each
 *                     worker task hold one.
 *   struct conn       one connection; small, because an idle keep-alive
 *                     connection is just this (plus the transport): no
 *                     buffer, no task.
 *   struct hx         an exchange: everything a request in flight needs (the
 *                     parser, the header array, the input buffer, the
 *                     request, the response, the output cork buffer). Taken
 *                     from the server's pool when a request's first byte
 *                     arrives and given back when the connection goes idle.
 *   struct worker     a task that runs handlers, one request at a time; parked
 *                     in the server's pool between requests so that starting
 *                     a request costs two context switches, not a spawn.
 *
 * The hot path (conn.c): bytes land in the server's scratch buffer (the
 * transport's get_buffer), the requests in them are parsed there in place,
 * and each is handed to a parked worker with weft__task_wake_now(), which
 * runs the handler inside the read callback. A handler that finishes without
 * suspending has written its response into the exchange's cork buffer; when
 * the batch is done the cork goes out in one write. Whatever must outlive
 * the callback (a partial request, a suspended handler's request) is copied
 * from the scratch buffer into the exchange's own buffer first.
 */
#ifndef WEFT_SERVER_INT_H
#define WEFT_SERVER_INT_H

#include <stdatomic.h>

#include "weft/http_server.h"
#include "weft/form.h"
#include "coro/coro_int.h"
#include "net/net_int.h"

#define WEFT__HTTP_MAX_MIDDLEWARE 32
#define WEFT__HTTP_MAX_CAPTURES 16

/* Defaults of weft_web_server_opts. */
#define WEFT__HTTP_HEADER_TIMEOUT WEFT_SEC(10)
#define WEFT__HTTP_BODY_TIMEOUT WEFT_SEC(60)
#define WEFT__HTTP_KEEPALIVE_TIMEOUT WEFT_SEC(75)
#define WEFT__HTTP_WRITE_TIMEOUT WEFT_SEC(60)
#define WEFT__HTTP_LINGER_TIMEOUT WEFT_SEC(2)
#define WEFT__HTTP_MAX_CONNECTIONS 16384u
#define WEFT__HTTP_MAX_KEEPALIVE_REQUESTS 10000u
#define WEFT__HTTP_MAX_PIPELINE (64u * 1024u)
#define WEFT__HTTP_IDLE_TASKS 64u

/* Size of the per-server scratch read buffer. */
#define WEFT__HTTP_SCRATCH (64u * 1024u)
/* Output corked in an exchange beyond this is written out at once. */
#define WEFT__HTTP_CORK_MAX (64u * 1024u)
/* Bodies above this are written from the caller's memory, not copied into
 * the cork. */
#define WEFT__HTTP_COPY_MAX (16u * 1024u)
/* Exchanges kept in the pool, and the input buffer an exchange may keep. */
#define WEFT__HTTP_POOL_MAX 256u
#define WEFT__HTTP_KEEP_IBUF (16u * 1024u)
#define WEFT__HTTP_KEEP_OBUF (64u * 1024u)

/* ------------------------------------------------------------------ apps */

struct weft__route_seg {
    char *lit;     /* literal segment text (no '/'), or NULL for a capture */
    char *name;    /* capture name */
};

struct weft__route {
    char *method;              /* NULL: any method */
    char *pattern;
    struct weft__route_seg *segs;
    size_t nsegs;
    char *tail_prefix;         /* literal before a {name:.*} tail ("" if none) */
    char *tail_name;           /* NULL: no tail capture */
    weft_web_handler handler;
    void *ud;
};

struct weft__mw {
    const weft_web_middleware *mw;
    void *ud;
};

struct weft_web_app {
    struct weft__route *routes;
    size_t nroutes, cap;
    weft_web_handler def;
    void *def_ud;
    struct weft__mw mw[WEFT__HTTP_MAX_MIDDLEWARE];
    size_t nmw;
    bool has_prepare;          /* some middleware has a prepare hook */
    int log_fd;
    int log_fmt;
    char *server_header;       /* "Server: weft\r\n" ready to copy, or NULL */
    struct weft__compress_cfg *compress; /* weft_web_app_use_compression's */
    size_t server_header_len;
    atomic_int running;        /* servers using the app */
};

/* Find the handler for req (router.c): fills the request's captures. On no
 * match returns NULL and sets *status to 404 or 405 (with *allow holding
 * the Allow value in arena memory of the exchange). */
struct hx;
weft_web_handler weft__route_find(const weft_web_app *app, struct hx *x, void **ud,
                                   int *status, const char **allow);
int weft__route_compile(struct weft__route *r, const char *method, const char *pattern);
void weft__route_free(struct weft__route *r);

/* -------------------------------------------------------------- requests */

struct weft__capture {
    const char *name;
    const char *value;
};

struct weft_web_request {
    weft_h1_request h;         /* the parsed head: slices into the input buffer */
    const char *method;        /* NUL-terminated views (in place or arena) */
    const char *target;
    const char *path;
    const char *query;         /* NULL without '?' */
    const char *host;
    struct weft__capture caps[WEFT__HTTP_MAX_CAPTURES];
    int ncaps;
    weft_form *qform;          /* parsed query, lazily */
    bool qparsed;
    weft_http_headers *hlist;  /* header list copy, lazily */
    bool hlist_built;
    const char *remote;        /* lazily, arena */

    /* body */
    uint64_t body_left;        /* LENGTH: bytes still to read */
    weft_h1_chunked chunked;
    bool body_done;            /* the whole body was read */
    int body_err;              /* sticky read error */
    bool continue_sent;
    bool body_touched;         /* the handler read (or tried to) */
    char *body_all;            /* read_body's copy (malloc) */
    size_t body_all_len;
    bool body_all_done;
};

/* Framing of a response body. */
enum { RF_NONE, RF_LENGTH, RF_CHUNKED, RF_CLOSE };
/* Response states. */
enum { RS_NEW, RS_PREPARING, RS_PREPARED, RS_DONE };

struct weft_web_response {
    int status;
    const char *reason;        /* NULL: the standard one */
    weft_http_headers *headers;
    uint64_t clen;
    bool has_clen;
    bool keep_alive;           /* the handler's wish */
    uint8_t state;             /* RS_* */
    uint8_t framing;           /* RF_* */
    bool no_body;              /* HEAD, 1xx, 204, 304 */
    bool close_after;          /* decided when the head was built */
    bool broken;               /* the body was cut short: close the connection */
    bool no_hooks;             /* a prepare hook failed: the 500 goes without */
    const weft_web_body_filter *filter; /* transforms the body (coding) */
    void *filter_ud;
    bool in_filter;            /* inside filter->write: emit goes out raw */
    bool filter_ended;         /* the filter got its last call */
    uint64_t sent;             /* body bytes written */
};

/* ------------------------------------------------------------- exchanges */

/* Exchange states. */
enum {
    XS_HEAD,     /* waiting for / parsing a request head */
    XS_RUN,      /* a handler owns the request */
    XS_DONE,     /* the handler finished; the connection decides what next */
    XS_DISCARD,  /* dropping the rest of a body nobody read */
};

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char mem[];
};

struct hx {
    struct weft_web_request req;
    struct weft_web_response resp;
    struct conn *c;
    struct worker *w;
    uint8_t state;             /* XS_* */
    bool in_run;               /* a loop callback of ours is running the worker */
    bool partial;              /* a partial head was seen (header deadline set) */

    weft_h1_parser parser;
    weft_h1_header *hdrs;      /* [nhdrs_cap] */
    size_t nhdrs_cap;

    /* Input: in[0..in_len) holds received bytes, in_pos is the next unread
     * one. in is the server's scratch buffer during a read callback, else
     * ibuf. The head of the request in flight is copied to hbuf (its views
     * point there, so they stay put while the input buffer moves). */
    char *in;
    size_t in_len, in_pos;
    char *ibuf;
    size_t icap;
    char *hbuf;
    size_t hcap;

    /* Output cork. */
    char *out;
    size_t out_len, out_cap;

    /* Waits of the handler on this exchange. */
    struct weft__wait *body_wait;
    struct weft__wait *drain_wait;
    struct weft__call cont;    /* continue the connection after an async handler */

    /* Per-request strings (paths, captures, reasons). */
    struct arena_chunk *arena;
    char arena0[512];
    size_t arena0_used;

    struct hx *next_free;
};

#define HX_OF_REQ(r) ((struct hx *)((char *)(r) - offsetof(struct hx, req)))
#define HX_OF_RESP(r) ((struct hx *)((char *)(r) - offsetof(struct hx, resp)))

/* Memory that lives until the request ends. NULL on -ENOMEM. */
void *weft__hx_alloc(struct hx *x, size_t n);
char *weft__hx_strdup(struct hx *x, const char *s, size_t n);

/* Reset the request and response for the next request (request.c,
 * response.c). */
void weft__request_reset(struct hx *x);
void weft__response_reset(struct hx *x);
/* Set up the request after its head was parsed: NUL-terminate the views,
 * decode the path. Returns 0 or an HTTP status to answer with (400). */
int weft__request_setup(struct hx *x);
/* Move the head's views after the input moved by delta bytes. */
void weft__request_rebase(struct hx *x, const char *old_base, size_t len, char *new_base);
/* Drop the rest of the body from the input. Returns 1 when the body ended,
 * 0 when more is needed, or a parse error. */
int weft__request_discard(struct hx *x);

/* The peer's address without the port ("127.0.0.1"), or "-" (request.c). */
void weft__remote_text(weft_transport *t, char *buf, size_t cap);

/* Finish the response after the handler returned (response.c). */
void weft__response_finish(struct hx *x, int result);
/* Write the cork out (if anything is in it). */
int weft__hx_flush(struct hx *x);
/* Queue an error response built from nothing (bad requests, timeouts):
 * "HTTP/1.1 400 Bad Request", Connection: close. */
void weft__response_canned(struct conn *c, int status);

/* ----------------------------------------------------------- connections */

enum {
    CF_LOST      = 1u << 0,  /* connection_lost ran: t is gone */
    CF_EOF       = 1u << 1,  /* the client will send nothing more */
    CF_PAUSED_W  = 1u << 2,  /* the transport asked us to stop writing */
    CF_PAUSED_R  = 1u << 3,  /* we paused reading (too much buffered) */
    CF_CLOSING   = 1u << 4,  /* closing: no more requests */
    CF_LINGER    = 1u << 5,  /* half-closed after an error, dropping input */
    CF_TLS       = 1u << 6,
    CF_MADE      = 1u << 7,  /* connection_made ran */
};

struct conn {
    weft_transport *t;
    weft_web_server *srv;
    struct conn *prev, *next;   /* the server's list */
    struct hx *x;               /* the exchange in flight, or NULL when idle */
    struct weft__timer timer;   /* the one timeout of the current phase */
    uint64_t deadline;          /* when it is due (the timer may fire earlier) */
    uint32_t nreq;              /* requests started on this connection */
    uint16_t flags;             /* CF_* */
};

/* Protocol of server connections (conn.c). */
extern const weft_protocol weft__http_conn_protocol;
struct conn *weft__conn_new(weft_web_server *srv, weft_transport *t, bool tls);
/* Run the connection's state machine from loop context (conn.c). */
void weft__conn_process(struct conn *c);
/* Set the timeout of the current phase. */
void weft__conn_deadline(struct conn *c, uint64_t when);
/* Close the connection now if it has no request in flight (shutdown). */
void weft__conn_close_idle(struct conn *c);
/* Wake a handler wait of ours from loop context, running it at once. */
void weft__conn_wake(struct conn *c, struct weft__wait *w, int result);

/* --------------------------------------------------------------- workers */

struct worker {
    weft_task *task;
    weft_web_server *srv;
    struct weft__wait park;     /* parked: waiting for the next job */
    struct hx *job;
    struct worker *prev, *next; /* the server's idle or busy list */
    bool idle;
};

/* Hand x to a worker (worker.c): at once if one is parked and we are in
 * loop context, else through a new task. Returns 0 or -ENOMEM. */
int weft__worker_start(weft_web_server *srv, struct hx *x);
/* Start one worker that parks at once (so the first request finds one). */
void weft__workers_prime(weft_web_server *srv);
/* Cancel parked workers (they end), or every busy one too. */
void weft__workers_stop_idle(weft_web_server *srv);
void weft__workers_cancel_busy(weft_web_server *srv);

/* -------------------------------------------------------------- servers */

struct listener {
    weft_server *srv;
    struct listener *next;
};

struct srv_waiter {
    struct weft__wait w;
    struct srv_waiter *prev, *next;
    bool for_close;             /* serve_forever: wake on close, else when all ended */
};

struct weft_web_server {
    weft_loop *loop;
    weft_web_app *app;
    weft_web_server_opts o;    /* with defaults filled in */
    int refs;
    bool closed;                /* not accepting */
    bool draining;              /* shutting down: close after each response */
    bool freed;
    bool app_marked;            /* counted in app->running */
    struct listener *listeners;
    struct conn *conns;
    size_t nconns, nactive;

    struct hx *free_hx;
    size_t nfree_hx;
    struct worker *idle_workers, *busy_workers;
    size_t nidle, nbusy;

    char *scratch;              /* WEFT__HTTP_SCRATCH bytes */
    bool scratch_busy;          /* a read callback is using it */

    struct srv_waiter *waiters;
    size_t nwait_end;           /* waiters for "everything ended" among them */

    /* access log */
    char *log;
    size_t log_len, log_cap;
    bool log_posted;
    struct weft__call log_call;
};

void weft__server_ref_http(weft_web_server *srv);
void weft__server_unref_http(weft_web_server *srv);
/* Exchanges from the pool (server.c). */
struct hx *weft__hx_get(weft_web_server *srv);
void weft__hx_put(weft_web_server *srv, struct hx *x);
/* A connection ended / a request started or ended: wakes shutdown waiters. */
void weft__server_notify_http(weft_web_server *srv);

/* ---------------------------------------------------------- compression */

struct weft__compress_cfg;
void weft__compress_free(struct weft__compress_cfg *cfg);
/* Encoder pools are per thread: servers that compress hold them. */
void weft__compress_thread_acquire(void);
void weft__compress_thread_release(void);

/* ----------------------------------------------------------- access log */

/* Append the log line of a finished request (access_log.c). */
void weft__access_log(struct hx *x);
void weft__access_log_flush(weft_web_server *srv);
/* The line of an answer no handler gave (a bad request, a timeout): raw is
 * what arrived of the request (its first line is logged, escaped), or NULL. */
void weft__access_log_canned(struct conn *c, int status, const char *raw, size_t len);

/* ----------------------------------------------------------- formatting */

/* The current Date header value (IMF-fixdate), cached per second per
 * thread (date_cache.c). Points at WEFT_HTTP_DATE_LEN chars. */
const char *weft__http_date_now(void);
/* The same, with a number that changes whenever the text does. */
const char *weft__http_date_now_gen(unsigned *gen);
/* Decimal digits of v at out (room for 20); returns the length. */
size_t weft__u64_dec(char *out, uint64_t v);

#endif
