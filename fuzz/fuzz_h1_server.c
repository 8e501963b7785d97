/*
 * fuzz_h1_server.c - arbitrary bytes into an HTTP server connection over a
 * memory transport pair (virtual clock: timeouts fire without waiting).
 *
 * Byte 0 picks how the bytes are delivered (all at once, 1, 7 or 61 bytes
 * at a time) and whether the client half-closes after them; byte 1 picks
 * small or default limits; the rest is what the client sends. The app has a
 * plain handler, a body echo, a streamed response, a handler that sleeps,
 * one that fails and a big text body (compressed when the request's
 * Accept-Encoding asks). Invariants on every input:
 *  - the server never crashes, leaks or hangs: the loop runs dry and closes;
 *  - what the client receives is a sequence of well-formed responses (the
 *    strict response parser accepts every one, with 100 Continue interim
 *    responses allowed), one per request a handler saw, in order, plus at
 *    most one final error answer;
 *  - the connection is gone when the loop has run dry (nothing lingers).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                              \
        }                                                                         \
    } while (0)

#define MAX_SEEN 256

struct run {
    char *in;
    size_t in_len, in_cap;
    bool lost;
    int methods[MAX_SEEN]; /* method of each request a handler answered */
    int nseen;
};

static void c_data(weft_transport *t, const void *d, size_t n, void *ud)
{
    (void)t;
    struct run *r = ud;
    if (r->in_len + n > r->in_cap) {
        r->in_cap = (r->in_len + n) * 2;
        r->in = realloc(r->in, r->in_cap);
        CHECK(r->in);
    }
    memcpy(r->in + r->in_len, d, n);
    r->in_len += n;
}

static void c_lost(weft_transport *t, int err, void *ud)
{
    (void)t;
    (void)err;
    ((struct run *)ud)->lost = true;
}

static const weft_protocol client = {.data_received = c_data, .connection_lost = c_lost};

static int h_hello(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)ud;
    return weft_web_response_send_text(resp, "text/plain", weft_web_request_path(req));
}

static int h_echo(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)ud;
    const char *d;
    size_t n;
    int r = weft_web_request_read_body(req, &d, &n);
    if (r < 0)
        return r;
    return weft_web_response_send(resp, d, n);
}

static int h_stream(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)ud;
    char buf[64];
    int r = weft_web_request_read(req, buf, sizeof buf); /* part of the body */
    if (r < 0)
        return r;
    for (int i = 0; i < 3; i++)
        if ((r = weft_web_response_write(resp, "chunk", 5)) < 0)
            return r;
    return 0;
}

static int h_sleep(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    int r = weft_sleep(WEFT_MSEC(10));
    if (r < 0)
        return r;
    return weft_web_response_send_text(resp, NULL, "late");
}

static int h_big(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    static char text[3000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "compress me "[i % 12];
    weft_web_response_set_header(resp, "Content-Type", "text/plain");
    return weft_web_response_send(resp, text, sizeof text);
}

static int h_fail(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)resp;
    (void)ud;
    return -EIO;
}

static void after(weft_web_request *req, weft_web_response *resp, int result, void *ud)
{
    (void)resp;
    (void)result;
    struct run *r = ud;
    if (r->nseen < MAX_SEEN)
        r->methods[r->nseen] = weft_web_request_method_id(req);
    r->nseen++;
}

/* Parse what the client got: responses in order, each to a request a
 * handler saw, then at most one answer no handler gave (a bad request). */
static void check_responses(const struct run *r)
{
    size_t off = 0;
    int i = 0;
    bool final_error = false;
    while (off < r->in_len) {
        CHECK(!final_error);
        weft_h1_parser p;
        weft_h1_response h;
        weft_h1_header hdrs[64];
        weft_h1_parser_init(&p, NULL);
        int method = i < r->nseen && i < MAX_SEEN ? r->methods[i] : WEFT_H1_METHOD_GET;
        int hl = weft_h1_parse_response(&p, r->in + off, r->in_len - off, method, &h, hdrs, 64);
        CHECK(hl > 0);
        off += (size_t)hl;
        if (h.status == 100)
            continue; /* interim */
        if (h.body == WEFT_H1_BODY_LENGTH) {
            CHECK(r->in_len - off >= h.content_length);
            off += h.content_length;
        } else if (h.body == WEFT_H1_BODY_CHUNKED) {
            weft_h1_chunked ch;
            weft_h1_chunked_init(&ch, NULL);
            size_t inlen = r->in_len - off;
            char *tmp = malloc(inlen + 1);
            size_t outlen = inlen + 1;
            int cr = weft_h1_chunked_decode_to(&ch, r->in + off, &inlen, tmp, &outlen);
            free(tmp);
            CHECK(cr == 0);
            off += inlen;
        } else if (h.body == WEFT_H1_BODY_CLOSE) {
            off = r->in_len; /* an HTTP/1.0 streamed body: up to the close */
        }
        if (i >= r->nseen)
            final_error = true; /* no handler saw it: must be the last word */
        i++;
    }
    CHECK(i >= r->nseen || r->nseen > MAX_SEEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const size_t chunks[] = {0, 1, 7, 61};
    size_t chunk = chunks[data[0] & 3];
    bool half_close = data[0] & 4;
    weft_web_server_opts o = {0};
    if (data[1] & 1) {
        o.limits.max_request_line = 64;
        o.limits.max_head = 256;
        o.limits.max_headers = 4;
        o.limits.max_body = 32;
        o.max_pipeline_bytes = 128;
    }
    data += 2;
    size -= 2;

    static const weft_web_middleware mw = {.after = after};
    struct run r = {0};
    weft_loop *loop;
    CHECK(weft_loop_new(&loop) == 0);
    CHECK(weft_loop_use_virtual_clock(loop) == 0);
    weft_web_app *app;
    CHECK(weft_web_app_new(&app) == 0);
    weft_web_app_get(app, "/", h_hello, NULL);
    weft_web_app_add_route(app, "*", "/echo", h_echo, NULL);
    weft_web_app_add_route(app, "*", "/stream", h_stream, NULL);
    weft_web_app_get(app, "/sleep/{x}", h_sleep, NULL);
    weft_web_app_get(app, "/fail", h_fail, NULL);
    weft_web_app_get(app, "/big", h_big, NULL);
    weft_web_app_use_compression(app, NULL);
    weft_web_app_use(app, &mw, &r);
    weft_web_server *srv;
    CHECK(weft_web_server_new(loop, app, &o, &srv) == 0);
    weft_memory_pair_opts po = {.chunk = chunk};
    weft_transport *a, *b;
    CHECK(weft_memory_pair_open(loop, &po, NULL, NULL, &client, &r, &a, &b) == 0);
    CHECK(weft_web_server_serve(srv, a) == 0);
    if (size)
        CHECK(weft_transport_write(b, data, size) == 0);
    if (half_close)
        weft_transport_write_eof(b);
    /* Run until the server has nothing more to do: timeouts close the
     * connection in virtual time at the latest. */
    for (int i = 0; i < 1000000 && weft_web_server_nconnections(srv); i++)
        weft_loop_run_once(loop, 0);
    CHECK(weft_web_server_nconnections(srv) == 0);
    weft_loop_run(loop);
    CHECK(r.lost);
    check_responses(&r);
    weft_web_server_free(srv);
    CHECK(weft_loop_run(loop) == 0);
    CHECK(weft_loop_close(loop) == 0);
    weft_web_app_free(app);
    free(r.in);
    return 0;
}
