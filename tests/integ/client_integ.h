/*
 * client_integ.h - what the HTTP client's tests against real servers share:
 * running a task on a fresh loop with an fd-leak check, and one-call
 * fetches that collect status, body and error text.
 */
#ifndef WEFT_CLIENT_INTEG_H
#define WEFT_CLIENT_INTEG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft.h"
#include "weft_peers.h"
#include "weft_test.h"

#define SKIP_WITHOUT(prog)                                                         \
    do {                                                                           \
        if (!weft_peer_have(prog)) {                                               \
            fprintf(stderr, "SKIP: %s not installed\n", prog);                     \
            skip();                                                                \
        }                                                                          \
    } while (0)

/* Run fn(arg) as a task until it and whatever it left end; the loop must
 * close and the fd count must be back where it was. */
static inline int integ_run(weft_task_fn fn, void *arg)
{
    int fds = weft_test_count_fds();
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    weft_task *t;
    assert_int_equal(weft_task_spawn(loop, fn, arg, &t), 0);
    int rc = weft_loop_run_until_complete(loop, t);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(weft_loop_close(loop), 0);
    assert_int_equal(weft_test_count_fds(), fds);
    return rc;
}

/* What one fetch gave. */
struct got {
    int rc;              /* of the request */
    int body_rc;         /* of read_all */
    int status;
    char *body;          /* malloc'd, NUL-terminated */
    size_t len;
    size_t nhist;
    char url[512];
    char err[WEFT_HTTP_ERRBUF_SIZE];
    char ce[64];         /* Content-Encoding */
    int64_t clen;
};

/* @suspends. One request with its body read whole. */
static inline void fetch(weft_http_session *s, const char *method, const char *url,
                         weft_http_request_opts *o, struct got *g)
{
    memset(g, 0, sizeof *g);
    weft_http_request_opts none = {0};
    if (!o)
        o = &none;
    o->errbuf = g->err;
    weft_http_response *r;
    g->rc = weft_http_session_request(s, method, url, o, &r);
    if (g->rc < 0) {
        fprintf(stderr, "  %s %s: %s (%s)\n", method, url, weft_strerror(g->rc), g->err);
        return;
    }
    g->status = weft_http_response_status(r);
    g->nhist = weft_http_response_history_count(r);
    g->clen = weft_http_response_content_length(r);
    snprintf(g->url, sizeof g->url, "%s", weft_http_response_url(r));
    const char *ce = weft_http_response_header(r, "Content-Encoding");
    snprintf(g->ce, sizeof g->ce, "%s", ce ? ce : "");
    const char *b;
    g->body_rc = weft_http_response_read_all(r, &b, &g->len);
    if (g->body_rc == 0) {
        g->body = malloc(g->len + 1);
        memcpy(g->body, b, g->len + 1);
    }
    weft_http_response_free(r);
}

static inline void got_free(struct got *g)
{
    free(g->body);
    g->body = NULL;
}

#endif
