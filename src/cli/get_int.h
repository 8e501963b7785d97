/*
 * get_int.h - `weft get`: what get.c (options, the request, exit statuses)
 * shares with get_show.c (what is printed: -v traces, -i heads, the -o
 * progress bar).
 */
#ifndef WEFT_CLI_GET_INT_H
#define WEFT_CLI_GET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "weft/http_client.h"

/* -v: print the request heads sent, the response heads received and what
 * happens between (connects, TLS, redirects, retries) on stderr, curl's
 * "> ", "< " and "* " lines. Hook for weft_http_request_opts.trace. */
void weft__get_trace(const weft_http_trace *ev, void *ud);

/* -i / -I: the status line and headers of r, as received, to f. */
void weft__get_print_head(FILE *f, const weft_http_response *r);

/* The -o progress bar on stderr (only when it is a terminal). */
typedef struct get_progress {
    bool on;
    int64_t total;          /* bytes expected, -1 unknown */
    uint64_t done;
    uint64_t start_ns, last_ns;
} get_progress;

void weft__get_progress_start(get_progress *p, bool on, int64_t total);
void weft__get_progress_update(get_progress *p, uint64_t done);
void weft__get_progress_end(get_progress *p);

uint64_t weft__get_now_ns(void);

#endif
