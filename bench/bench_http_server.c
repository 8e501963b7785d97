/*
 * bench_http_server.c - the HTTP server's user-space cost per request, with
 * no kernel in the way: a client and the server on an in-memory transport
 * pair, one loop.
 *
 * The anchor is ../shared/bench/floor.c as a weft protocol on the same kind
 * of transport: it counts the requests in what arrived (a "\r\n\r\n" each)
 * and answers all of them with one write of a fixed response. So both sides
 * pay the same transport and loop costs, and ratio = weft / floor (time per
 * request) is what the server itself adds: parsing, routing, the handler's
 * task switch, the head with Date and Server, keep-alive bookkeeping.
 *
 * Cases: 16 pipelined requests per write (the batch must be answered in
 * one write), and one request at a time. Best of five rounds each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft.h"

static const char REQ[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
static const char FLOOR_RESP[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n"
                                 "Content-Type: text/plain\r\n\r\nHello, World!";
enum { ROUNDS = 5, BATCHES = 20000 };

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------- the client */

struct client {
    weft_transport *t;
    size_t got;        /* bytes received */
    size_t resp_len;   /* bytes per response (learnt from the first) */
    char first[512];
    size_t first_len;
};

static void c_data(weft_transport *t, const void *d, size_t n, void *ud)
{
    (void)t;
    struct client *c = ud;
    if (c->first_len < sizeof c->first) {
        size_t k = n < sizeof c->first - c->first_len ? n : sizeof c->first - c->first_len;
        memcpy(c->first + c->first_len, d, k);
        c->first_len += k;
    }
    c->got += n;
}

static const weft_protocol client_proto = {.data_received = c_data};

/* ------------------------------------------------------------- the floor */

struct floor_conn {
    weft_transport *t;
    unsigned match;
    char out[16 * 1024];
};

static void f_made(weft_transport *t, void *ud)
{
    ((struct floor_conn *)ud)->t = t;
}

static void f_data(weft_transport *t, const void *d, size_t n, void *ud)
{
    struct floor_conn *f = ud;
    const char *p = d;
    unsigned m = f->match, reqs = 0;
    for (size_t k = 0; k < n; k++) {
        if (p[k] == "\r\n\r\n"[m]) {
            if (++m == 4)
                reqs++, m = 0;
        } else {
            m = p[k] == '\r';
        }
    }
    f->match = m;
    size_t len = 0;
    for (unsigned i = 0; i < reqs && len + sizeof FLOOR_RESP <= sizeof f->out; i++) {
        memcpy(f->out + len, FLOOR_RESP, sizeof FLOOR_RESP - 1);
        len += sizeof FLOOR_RESP - 1;
    }
    if (len)
        weft_transport_write(t, f->out, len);
}

static const weft_protocol floor_proto = {.connection_made = f_made, .data_received = f_data};

/* ------------------------------------------------------------- weft */

static int hello(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    return weft_web_response_send_text(resp, "text/plain", "Hello, World!");
}

/* ------------------------------------------------------------- driving */

/* Send `depth` requests per write, BATCHES times; ns per request. */
static double drive(weft_loop *loop, struct client *c, int depth)
{
    char batch[64 * 16];
    size_t bl = 0;
    for (int i = 0; i < depth; i++) {
        memcpy(batch + bl, REQ, sizeof REQ - 1);
        bl += sizeof REQ - 1;
    }
    /* Learn the response size from one request. */
    if (!c->resp_len) {
        weft_transport_write(c->t, REQ, sizeof REQ - 1);
        while (!c->got)
            weft_loop_run_once(loop, WEFT_SEC(1));
        for (int i = 0; i < 10; i++)
            weft_loop_run_once(loop, 0);
        c->resp_len = c->got;
    }
    double best = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = now_ns();
        for (int b = 0; b < BATCHES / depth * 4; b++) {
            size_t want = c->got + (size_t)depth * c->resp_len;
            weft_transport_write(c->t, batch, bl);
            while (c->got < want)
                weft_loop_run_once(loop, WEFT_SEC(1));
        }
        double ns = (double)(now_ns() - t0) / ((double)(BATCHES / depth * 4) * depth);
        if (ns < best)
            best = ns;
    }
    return best;
}

int main(void)
{
    weft_loop *loop;
    if (weft_loop_new(&loop) != 0)
        return 1;
    weft_memory_pair_opts po = {.capacity = 1 << 20};

    /* weft */
    weft_web_app *app;
    weft_web_server *srv;
    weft_web_app_new(&app);
    weft_web_app_set_handler(app, hello, NULL);
    weft_web_server_opts so = {.max_keepalive_requests = SIZE_MAX};
    weft_web_server_new(loop, app, &so, &srv);
    struct client wc = {0};
    weft_transport *a, *b;
    weft_memory_pair_open(loop, &po, NULL, NULL, &client_proto, &wc, &a, &b);
    wc.t = b;
    weft_web_server_serve(srv, a);

    /* the floor */
    struct floor_conn *fc = calloc(1, sizeof *fc);
    struct client flc = {0};
    weft_transport *fa, *fb;
    weft_memory_pair_open(loop, &po, &floor_proto, fc, &client_proto, &flc, &fa, &fb);
    flc.t = fb;

    printf("bench_http_server: ns per request over a memory pair, best of %d\n", ROUNDS);
    int depths[] = {16, 1};
    /* BENCH_ONLY=weft|floor runs one side (for profiling it alone). */
    const char *only = getenv("BENCH_ONLY");
    for (int i = 0; i < 2; i++) {
        double w = only && strcmp(only, "floor") == 0 ? 0 : drive(loop, &wc, depths[i]);
        double f = only && strcmp(only, "weft") == 0 ? 1 : drive(loop, &flc, depths[i]);
        printf("  %-22s weft %7.1f ns  floor %7.1f ns  ratio %.2f\n",
               depths[i] == 16 ? "pipelined x16" : "one at a time", w, f, w / f);
    }
    if ((!only || strcmp(only, "floor") != 0) &&
        (!strstr(wc.first, "HTTP/1.1 200 OK\r\n") || !strstr(wc.first, "Hello, World!"))) {
        fprintf(stderr, "unexpected response:\n%.*s\n", (int)wc.first_len, wc.first);
        return 1;
    }
    weft_transport_close(b);
    weft_transport_close(fb);
    weft_transport_close(fa);
    weft_web_server_free(srv);
    weft_loop_run(loop);
    free(fc);
    weft_web_app_free(app);
    return weft_loop_close(loop) == 0 ? 0 : 1;
}
