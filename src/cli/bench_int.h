/*
 * bench_int.h - `weft bench`: the load engine (bench_load.c) and the command
 * that configures it and reports (bench.c).
 *
 * The engine runs one loop per thread, each with its share of the
 * connections, entirely on transport callbacks: a request is preformatted
 * once, written with one write per batch, and its response parsed in place in
 * the connection's read buffer (weft's strict HTTP/1.1 parser), with no
 * allocation per request.
 */
#ifndef WEFT_CLI_BENCH_INT_H
#define WEFT_CLI_BENCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/hist.h"

/* What to run. Filled by bench.c; the engine only reads it. */
typedef struct bench_cfg {
    const char *host;          /* to connect to (a literal or a name) */
    uint16_t port;
    bool tls;
    const char *sni;           /* TLS server name (the URL's host) */
    bool insecure;             /* -k: no certificate verification */
    const char *cacert;        /* --cacert */
    const char *request;       /* one request, preformatted */
    size_t reqlen;
    int method;                /* enum weft_h1_method of the request */
    unsigned connections;
    unsigned threads;
    unsigned pipeline;         /* requests in flight per connection */
    uint64_t requests;         /* -n: exact total; 0 = until the deadline */
    uint64_t duration_ns;      /* -d, or the cap of a -n run */
    double rate;               /* --rate: requests/s in total; 0 = closed loop */
    uint64_t timeout_ns;       /* per request (and per connect) */
} bench_cfg;

enum bench_err {
    BENCH_ERR_CONNECT = 0,     /* connect or TLS handshake failed */
    BENCH_ERR_READ,            /* the connection broke with requests in flight */
    BENCH_ERR_TIMEOUT,         /* no response within the timeout */
    BENCH_ERR_PARSE,           /* the response was not valid HTTP/1.1 */
    BENCH_ERR_STATUS,          /* a response with status >= 400 */
    BENCH_NERR
};

/* What one thread measured; merged into one at the end. */
typedef struct bench_result {
    weft_hist lat;                 /* latency of completed requests, ns */
    uint64_t completed;            /* responses received (any status) */
    uint64_t issued;               /* requests written */
    uint64_t bytes;                /* bytes read, heads and bodies */
    uint64_t connects;             /* connections established */
    uint64_t status[1000];         /* count per status code */
    uint64_t errors[BENCH_NERR];   /* requests (connect: attempts) per kind */
    char first_error[BENCH_NERR][160]; /* what the first of each kind said */
    uint64_t start_ns, end_ns;     /* first request sent, last response (or deadline) */
    bool gave_up;                  /* connections stopped retrying to connect */
} bench_result;

/* Run the load described by cfg on cfg->threads threads; *out gets the
 * merged result. Returns 0, or -errno when it could not start. */
int weft__bench_run(const bench_cfg *cfg, bench_result *out);

/* Merge src into dst. */
void weft__bench_merge(bench_result *dst, const bench_result *src);

#endif
