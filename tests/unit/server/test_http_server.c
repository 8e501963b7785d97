/* The HTTP server over memory transport pairs with a virtual clock: request
 * parsing byte by byte, keep-alive, pipelining (one write per batch),
 * HTTP/1.0, routing, bodies, 100-continue, bad requests (answered and
 * closed, the handler never called), timeouts without waiting, graceful
 * shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "http_env.h"

/* ----------------------------------------------------------- handlers */

static int h_hello(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct env *e = ud;
    e->calls++;
    char body[256];
    snprintf(body, sizeof body, "hello %s %s", weft_web_request_method(req),
             weft_web_request_path(req));
    return weft_web_response_send_text(resp, "text/plain", body);
}

static int h_echo(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct env *e = ud;
    e->calls++;
    const char *data;
    size_t len;
    int r = weft_web_request_read_body(req, &data, &len);
    if (r < 0)
        return r;
    return weft_web_response_send(resp, data, len);
}

static int h_stream(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    struct env *e = ud;
    e->calls++;
    const char *parts[] = {"one,", "two,", "three"};
    for (int i = 0; i < 3; i++) {
        int r = weft_web_response_write(resp, parts[i], strlen(parts[i]));
        if (r < 0)
            return r;
    }
    return 0;
}

static int h_slow(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct env *e = ud;
    e->calls++;
    int r = weft_sleep(WEFT_SEC(1));
    if (r < 0)
        return r;
    return weft_web_response_send_text(resp, NULL, weft_web_request_path(req));
}

static int h_user(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct env *e = ud;
    e->calls++;
    char body[256];
    snprintf(body, sizeof body, "user=%s tail=%s q=%s", weft_web_request_match(req, "id"),
             weft_web_request_match(req, "rest") ? weft_web_request_match(req, "rest") : "-",
             weft_web_request_query(req, "q") ? weft_web_request_query(req, "q") : "-");
    return weft_web_response_send_text(resp, "text/plain", body);
}

static int h_status(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)resp;
    struct env *e = ud;
    e->calls++;
    return atoi(weft_web_request_path(req) + 8); /* "/status/418" */
}

static int h_fail(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)resp;
    struct env *e = ud;
    e->calls++;
    return -EIO;
}

static void add_routes(struct env *e)
{
    assert_int_equal(weft_web_app_get(e->app, "/", h_hello, e), 0);
    assert_int_equal(weft_web_app_get(e->app, "/hello", h_hello, e), 0);
    assert_int_equal(weft_web_app_post(e->app, "/echo", h_echo, e), 0);
    assert_int_equal(weft_web_app_add_route(e->app, "PUT", "/echo", h_echo, e), 0);
    assert_int_equal(weft_web_app_get(e->app, "/stream", h_stream, e), 0);
    assert_int_equal(weft_web_app_get(e->app, "/slow/{n}", h_slow, e), 0);
    assert_int_equal(weft_web_app_get(e->app, "/users/{id}", h_user, e), 0);
    assert_int_equal(weft_web_app_get(e->app, "/users/{id}/files/{rest:.*}", h_user, e), 0);
    assert_int_equal(weft_web_app_get(e->app, "/status/{code}", h_status, e), 0);
    assert_int_equal(weft_web_app_get(e->app, "/fail", h_fail, e), 0);
}

static void setup(struct env *e, const weft_web_server_opts *o, size_t chunk)
{
    env_open_with(e, o);
    add_routes(e);
    env_connect(e, chunk, 0);
}

/* ------------------------------------------------------------------ cases */

static void get_and_keep_alive(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    struct resp r;
    send_str(&e, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello GET /hello");
    assert_string_equal(resp_header(&r, "Content-Type"), "text/plain");
    assert_string_equal(resp_header(&r, "Server"), "weft");
    assert_non_null(resp_header(&r, "Date"));
    assert_int_equal(strlen(resp_header(&r, "Date")), WEFT_HTTP_DATE_LEN);
    assert_null(resp_header(&r, "Connection"));
    /* The same connection carries the next request; idle it holds nothing. */
    settle(&e);
    assert_int_equal(weft_web_server_nactive(e.srv), 0);
    send_str(&e, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "hello GET /");
    assert_false(e.c.lost);
    assert_int_equal(weft_web_server_nconnections(e.srv), 1);
    env_close(&e);
}

static void byte_by_byte(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 1);
    send_str(&e, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world"
                 "GET /hello?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    struct resp r;
    get_response(&e, WEFT_H1_METHOD_POST, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello world");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "hello GET /hello");
    assert_int_equal(e.calls, 2);
    env_close(&e);
}

static void pipelined_one_write(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    char req[4096] = "";
    for (int i = 0; i < 16; i++) {
        char one[128];
        snprintf(one, sizeof one, "GET /users/%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
        strcat(req, one);
    }
    send_str(&e, req);
    struct resp r;
    for (int i = 0; i < 16; i++) {
        get_response(&e, WEFT_H1_METHOD_GET, &r);
        char want[64];
        snprintf(want, sizeof want, "user=%d tail=- q=-", i);
        assert_string_equal(r.body, want);
    }
    /* 16 answers arrived in one delivery: the server wrote them at once. */
    assert_int_equal(e.c.ndata, 1);
    env_close(&e);
}

static void pipelined_with_slow_handler(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    send_str(&e, "GET /slow/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET /slow/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    struct resp r;
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "/slow/1");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "hello GET /hello");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "/slow/2");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "hello GET /");
    env_close(&e);
}

static void http10_and_connection_close(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    struct resp r;
    /* HTTP/1.0 with keep-alive asked: kept, and said so. */
    send_str(&e, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(resp_header(&r, "Connection"), "keep-alive");
    assert_string_equal(r.body, "hello GET /hello");
    /* A streamed body to HTTP/1.0: no chunked, ends with the connection. */
    send_str(&e, "GET /stream HTTP/1.0\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_false(r.chunked);
    assert_null(resp_header(&r, "Transfer-Encoding"));
    assert_string_equal(r.body, "one,two,three");
    assert_true(e.c.eof);
    env_close(&e);

    setup(&e, NULL, 0);
    send_str(&e, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(resp_header(&r, "Connection"), "close");
    PUMP(&e, e.c.eof);
    env_close(&e);
}

static void chunked_stream_and_head(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    struct resp r;
    send_str(&e, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_true(r.chunked);
    assert_string_equal(r.body, "one,two,three");
    send_str(&e, "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_HEAD, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(resp_header(&r, "Content-Length"), "17"); /* "hello HEAD /hello" */
    assert_int_equal(r.body_len, 0);
    /* Nothing followed the head: the next response parses cleanly. */
    send_str(&e, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "hello GET /hello");
    env_close(&e);
}

/* A handler that answers a HEAD or a 304 without a body and without saying
 * how long the GET's body would be: the head carries no Content-Length (not
 * a false "0") and no Transfer-Encoding, and the connection goes on. */
static int h_not_modified(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    weft_web_response_set_header(resp, "ETag", "\"v1\"");
    return weft_web_response_set_status(resp, 304);
}

static int h_nothing(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)resp;
    (void)ud;
    return 0;
}

static void bodiless_without_length(void **state)
{
    (void)state;
    struct env e;
    env_open(&e);
    assert_int_equal(weft_web_app_get(e.app, "/cached", h_not_modified, NULL), 0);
    assert_int_equal(weft_web_app_get(e.app, "/nothing", h_nothing, NULL), 0);
    env_connect(&e, 0, 0);
    struct resp r;
    send_str(&e, "GET /cached HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 304);
    assert_string_equal(resp_header(&r, "ETag"), "\"v1\"");
    assert_null(resp_header(&r, "Content-Length"));
    assert_null(resp_header(&r, "Transfer-Encoding"));
    send_str(&e, "HEAD /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_HEAD, &r);
    assert_int_equal(r.status, 200);
    assert_null(resp_header(&r, "Content-Length"));
    assert_null(resp_header(&r, "Transfer-Encoding"));
    assert_null(resp_header(&r, "Connection"));
    /* A GET of the same handler says its (empty) length, as before. */
    send_str(&e, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(resp_header(&r, "Content-Length"), "0");
    assert_false(e.c.lost);
    env_close(&e);
}

static void routing(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    struct resp r;
    send_str(&e, "GET /users/a%20b?q=x+y HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "user=a b tail=- q=x y");
    send_str(&e, "GET /users/7/files/a/b/c.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "user=7 tail=a/b/c.txt q=-");
    send_str(&e, "GET /users/ HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "404 Not Found\n");
    send_str(&e, "DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_DELETE, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(resp_header(&r, "Allow"), "POST, PUT");
    send_str(&e, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_POST, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(resp_header(&r, "Allow"), "GET, HEAD");
    send_str(&e, "GET /status/418 HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 418);
    send_str(&e, "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 500);
    assert_false(e.c.lost);
    env_close(&e);
}

static void bad_patterns_refused(void **state)
{
    (void)state;
    weft_web_app *app;
    assert_int_equal(weft_web_app_new(&app), 0);
    assert_int_equal(weft_web_app_get(app, "nope", h_hello, NULL), -EINVAL);
    assert_int_equal(weft_web_app_get(app, "/v{n}.json", h_hello, NULL), -EINVAL);
    assert_int_equal(weft_web_app_get(app, "/{a:.*}/x", h_hello, NULL), -EINVAL);
    assert_int_equal(weft_web_app_get(app, "/{a:[0-9]+}", h_hello, NULL), -EINVAL);
    assert_int_equal(weft_web_app_get(app, "/{}", h_hello, NULL), -EINVAL);
    assert_int_equal(weft_web_app_add_route(app, "G T", "/", h_hello, NULL), -EINVAL);
    assert_int_equal(weft_web_app_add_route(app, "*", "/{x}/{y:.*}", h_hello, NULL), 0);
    weft_web_app_free(app);
}

static void bodies(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 3);
    struct resp r;
    send_str(&e, "PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_PUT, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello world");
    /* A body the handler does not read is skipped, the connection kept. */
    send_str(&e, "GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
                 "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                 "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        get_response(&e, WEFT_H1_METHOD_GET, &r);
        assert_int_equal(r.status, 200);
    }
    assert_string_equal(r.body, "hello GET /hello");
    assert_false(e.c.lost);
    env_close(&e);
}

static void expect_continue(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    struct resp r;
    send_str(&e, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    PUMP(&e, strstr(e.c.buf ? e.c.buf : "", "\r\n\r\n"));
    assert_string_equal(e.c.buf, "HTTP/1.1 100 Continue\r\n\r\n");
    e.c.off = e.c.len;
    send_str(&e, "data");
    get_response(&e, WEFT_H1_METHOD_POST, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "data");
    /* Answered without reading the body: no 100, and the connection closes
     * (the client would otherwise wait for a 100 or send the body). */
    send_str(&e, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_POST, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(resp_header(&r, "Connection"), "close");
    PUMP(&e, e.c.eof);
    env_close(&e);
}

struct bad_case {
    const char *req;
    int status;
};

static void bad_requests_answered_and_closed(void **state)
{
    (void)state;
    char longuri[9000 + 64];
    strcpy(longuri, "GET /");
    memset(longuri + 5, 'a', 9000);
    strcpy(longuri + 9005, " HTTP/1.1\r\nHost: x\r\n\r\n");
    char manyhdr[8192];
    strcpy(manyhdr, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 120; i++)
        sprintf(manyhdr + strlen(manyhdr), "X-%d: y\r\n", i);
    strcat(manyhdr, "\r\n");
    const struct bad_case cases[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
        {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        {"GET / HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400},
        {"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        {"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413},
        {"GET / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n", 417},
        {longuri, 414},
        {manyhdr, 431},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct env e;
        setup(&e, NULL, 0);
        send_str(&e, cases[i].req);
        struct resp r;
        get_response(&e, WEFT_H1_METHOD_GET, &r);
        if (r.status != cases[i].status)
            fail_msg("case %zu: status %d, want %d", i, r.status, cases[i].status);
        assert_string_equal(resp_header(&r, "Connection"), "close");
        PUMP(&e, e.c.eof || e.c.lost);
        assert_int_equal(e.calls, 0);
        env_close(&e);
    }
}

static void header_timeout_cuts_slowloris(void **state)
{
    (void)state;
    struct env e;
    weft_web_server_opts o = {.header_timeout_ns = WEFT_SEC(5)};
    setup(&e, &o, 0);
    uint64_t t0 = weft_loop_now(e.loop);
    /* A head trickled a byte a second never completes in time. */
    const char *slow = "GET / HTTP/1.1\r\nHost: x\r\nX-A: aaaaaaaaaaaaaaaa";
    for (size_t i = 0; slow[i] && !e.c.eof; i++) {
        assert_int_equal(weft_transport_write(e.c.t, slow + i, 1), 0);
        settle(&e);
        weft_loop_advance(e.loop, WEFT_SEC(1));
        settle(&e);
    }
    PUMP(&e, e.c.eof);
    uint64_t took = weft_loop_now(e.loop) - t0;
    assert_true(took >= WEFT_SEC(5) && took <= WEFT_SEC(6));
    struct resp r;
    assert_true(next_response(&e.c, WEFT_H1_METHOD_GET, &r));
    assert_int_equal(r.status, 408);
    assert_int_equal(e.calls, 0);
    env_close(&e);
}

static void idle_keepalive_timeout(void **state)
{
    (void)state;
    struct env e;
    weft_web_server_opts o = {.keepalive_timeout_ns = WEFT_SEC(30)};
    setup(&e, &o, 0);
    struct resp r;
    send_str(&e, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    uint64_t t0 = weft_loop_now(e.loop);
    weft_loop_advance(e.loop, WEFT_SEC(29));
    settle(&e);
    assert_false(e.c.eof);
    PUMP(&e, e.c.eof);
    uint64_t took = weft_loop_now(e.loop) - t0;
    assert_true(took >= WEFT_SEC(30) && took < WEFT_SEC(31));
    assert_int_equal(e.c.off, e.c.len); /* closed without another word */
    env_close(&e);
}

static void body_timeout(void **state)
{
    (void)state;
    struct env e;
    weft_web_server_opts o = {.body_timeout_ns = WEFT_SEC(7)};
    setup(&e, &o, 0);
    send_str(&e, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    uint64_t t0 = weft_loop_now(e.loop);
    struct resp r;
    get_response(&e, WEFT_H1_METHOD_POST, &r);
    assert_int_equal(r.status, 408);
    uint64_t took = weft_loop_now(e.loop) - t0;
    assert_true(took >= WEFT_SEC(7) && took < WEFT_SEC(8));
    PUMP(&e, e.c.eof);
    env_close(&e);
}

static int h_big(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    struct env *e = ud;
    e->calls++;
    static char block[65536];
    memset(block, 'z', sizeof block);
    for (int i = 0; i < 64; i++) {
        int r = weft_web_response_write(resp, block, sizeof block);
        if (r < 0)
            return r;
    }
    return 0;
}

static void write_timeout_aborts(void **state)
{
    (void)state;
    struct env e;
    weft_web_server_opts o = {.write_timeout_ns = WEFT_SEC(20)};
    env_open_with(&e, &o);
    assert_int_equal(weft_web_app_get(e.app, "/big", h_big, &e), 0);
    env_connect(&e, 0, 4096);
    /* The client asks, then reads nothing: the response cannot get out. */
    weft_transport_pause_reading(e.c.t);
    uint64_t t0 = weft_loop_now(e.loop);
    send_str(&e, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    settle(&e);
    assert_int_equal(weft_web_server_nactive(e.srv), 1);
    PUMP(&e, weft_web_server_nconnections(e.srv) == 0);
    uint64_t took = weft_loop_now(e.loop) - t0;
    if (!(took >= WEFT_SEC(20) && took < WEFT_SEC(21)))
        fail_msg("took %llu ns", (unsigned long long)took);
    env_close(&e);
}

static int before_mw(weft_web_request *req, weft_web_response *resp, void *ud)
{
    char *log = ud;
    strcat(log, "b");
    if (strcmp(weft_web_request_path(req), "/blocked") == 0)
        return weft_web_response_send_error(resp, 403);
    return 0;
}

static int prepare_mw(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    char *log = ud;
    strcat(log, "p");
    return weft_web_response_set_header(resp, "X-Frame-Options", "DENY");
}

static void after_mw(weft_web_request *req, weft_web_response *resp, int result, void *ud)
{
    (void)req;
    (void)result;
    char *log = ud;
    char s[16];
    snprintf(s, sizeof s, "a%d", weft_web_response_status(resp));
    strcat(log, s);
}

static void middleware(void **state)
{
    (void)state;
    static const weft_web_middleware mw = {before_mw, prepare_mw, after_mw};
    char log[256] = "";
    struct env e;
    env_open(&e);
    add_routes(&e);
    assert_int_equal(weft_web_app_use(e.app, &mw, log), 0);
    env_connect(&e, 0, 0);
    struct resp r;
    send_str(&e, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(resp_header(&r, "X-Frame-Options"), "DENY");
    send_str(&e, "GET /blocked HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 403);
    settle(&e);
    assert_string_equal(log, "bpa200bpa403");
    assert_int_equal(e.calls, 1);
    /* A running app is read-only. */
    assert_int_equal(weft_web_app_get(e.app, "/late", h_hello, &e), -EBUSY);
    env_close(&e);
}

static int shutdown_main(void *arg)
{
    struct env *e = arg;
    return weft_web_server_shutdown(e->srv, WEFT_SEC(5));
}

static void graceful_shutdown(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    /* A second, idle connection. */
    struct client idle = {0};
    weft_transport *a, *b;
    assert_int_equal(weft_memory_pair_open(e.loop, NULL, NULL, NULL, &client_proto, &idle, &a, &b),
                     0);
    idle.t = b;
    assert_int_equal(weft_web_server_serve(e.srv, a), 0);
    send_str(&e, "GET /slow/x HTTP/1.1\r\nHost: x\r\n\r\n");
    settle(&e);
    assert_int_equal(weft_web_server_nactive(e.srv), 1);
    weft_task *t;
    assert_int_equal(weft_task_spawn(e.loop, shutdown_main, &e, &t), 0);
    struct resp r;
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "/slow/x");
    assert_string_equal(resp_header(&r, "Connection"), "close");
    assert_int_equal(weft_loop_run_until_complete(e.loop, t), 0);
    assert_true(idle.eof || idle.lost);
    assert_true(e.c.eof || e.c.lost);
    assert_int_equal(weft_web_server_nconnections(e.srv), 0);
    if (idle.t)
        weft_transport_abort(idle.t);
    free(idle.buf);
    env_close(&e);
}

static int shutdown_short(void *arg)
{
    struct env *e = arg;
    return weft_web_server_shutdown(e->srv, WEFT_MSEC(500));
}

static void shutdown_past_grace_cancels(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    send_str(&e, "GET /slow/x HTTP/1.1\r\nHost: x\r\n\r\n");
    settle(&e);
    weft_task *t;
    uint64_t t0 = weft_loop_now(e.loop);
    /* h_slow sleeps 1 s; half a second of grace is not enough. */
    assert_int_equal(weft_task_spawn(e.loop, shutdown_short, &e, &t), 0);
    assert_int_equal(weft_loop_run_until_complete(e.loop, t), -ETIMEDOUT);
    uint64_t took = weft_loop_now(e.loop) - t0;
    assert_true(took >= WEFT_MSEC(500) && took < WEFT_SEC(1));
    PUMP(&e, e.c.lost);
    assert_int_equal(e.c.len, 0); /* no half-made answer */
    assert_int_equal(weft_web_server_nconnections(e.srv), 0);
    env_close(&e);
}

static void idle_connection_holds_nothing(void **state)
{
    (void)state;
    struct env e;
    setup(&e, NULL, 0);
    struct resp r;
    send_str(&e, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    settle(&e);
    assert_int_equal(weft_web_server_nactive(e.srv), 0);
    assert_int_equal(weft_web_server_nconnections(e.srv), 1);
    env_close(&e);
}

/* --------------------------------------------- files, lengths, access log */

static char file_path[256];

static int h_file(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct env *e = ud;
    e->calls++;
    int fd = open(file_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 404;
    const char *q = weft_web_request_query_string(req);
    size_t promise = q ? (size_t)atoi(q) : 10000;
    if (!q || strcmp(q, "chunked") != 0)
        weft_web_response_set_content_length(resp, promise);
    else
        promise = 10000;
    int r = weft_web_response_sendfile(resp, fd, 0, promise);
    close(fd);
    return r;
}

static void sendfile_over_memory_copies(void **state)
{
    (void)state;
    snprintf(file_path, sizeof file_path, "/tmp/weft-http-unit-%d", (int)getpid());
    FILE *f = fopen(file_path, "w");
    assert_non_null(f);
    for (int i = 0; i < 10000; i++)
        fputc('a' + i % 26, f);
    fclose(f);
    struct env e;
    env_open(&e);
    assert_int_equal(weft_web_app_get(e.app, "/file", h_file, &e), 0);
    env_connect(&e, 0, 0);
    struct resp r;
    /* A memory transport cannot sendfile(2): the bytes are read and written. */
    send_str(&e, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.body_len, 10000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(r.body[i], 'a' + i % 26);
    send_str(&e, "GET /file?chunked HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_true(r.chunked);
    assert_int_equal(r.body_len, 10000);
    send_str(&e, "HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_HEAD, &r);
    assert_string_equal(resp_header(&r, "Content-Length"), "10000");
    assert_int_equal(r.body_len, 0);
    /* Promised more than the file holds: cut, closed, not complete. */
    send_str(&e, "GET /file?20000 HTTP/1.1\r\nHost: x\r\n\r\n");
    PUMP(&e, e.c.eof || e.c.lost);
    assert_false(next_response(&e.c, WEFT_H1_METHOD_GET, &r));
    unlink(file_path);
    env_close(&e);
}

static int h_lengths(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct env *e = ud;
    e->calls++;
    const char *p = weft_web_request_path(req);
    weft_web_response_set_content_length(resp, 5);
    if (strcmp(p, "/over") == 0) {
        assert_int_equal(weft_web_response_write(resp, "abc", 3), 0);
        assert_int_equal(weft_web_response_write(resp, "def", 3), -EINVAL);
        return weft_web_response_write(resp, "de", 2);
    }
    if (strcmp(p, "/short") == 0)
        return weft_web_response_write(resp, "abc", 3); /* then returns */
    if (strcmp(p, "/close") == 0) {
        weft_web_response_set_keep_alive(resp, false);
        return weft_web_response_write(resp, "abcde", 5);
    }
    /* Headers after the head are refused. */
    assert_int_equal(weft_web_response_prepare(resp), 0);
    assert_int_equal(weft_web_response_set_header(resp, "X", "y"), -EBUSY);
    assert_int_equal(weft_web_response_set_status(resp, 404), -EBUSY);
    return weft_web_response_write(resp, "12345", 5);
}

static void declared_lengths(void **state)
{
    (void)state;
    struct env e;
    env_open(&e);
    assert_int_equal(weft_web_app_add_route(e.app, "GET", "/{x}", h_lengths, &e), 0);
    env_connect(&e, 0, 0);
    struct resp r;
    send_str(&e, "GET /over HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "abcde");
    send_str(&e, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "12345");
    send_str(&e, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(resp_header(&r, "Connection"), "close");
    PUMP(&e, e.c.eof);
    env_close(&e);

    env_open(&e);
    assert_int_equal(weft_web_app_add_route(e.app, "GET", "/{x}", h_lengths, &e), 0);
    env_connect(&e, 0, 0);
    send_str(&e, "GET /short HTTP/1.1\r\nHost: x\r\n\r\n");
    PUMP(&e, e.c.eof || e.c.lost);
    assert_false(next_response(&e.c, WEFT_H1_METHOD_GET, &r)); /* 3 of 5 bytes, then closed */
    env_close(&e);
}

static int h_ua(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)req;
    (void)ud;
    return weft_web_response_send(resp, "12345678", 8);
}

static void access_log_lines(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe2(p, O_NONBLOCK), 0);
    for (int fmt = 0; fmt < 2; fmt++) {
        struct env e;
        env_open(&e);
        assert_int_equal(weft_web_app_get(e.app, "/", h_ua, &e), 0);
        assert_int_equal(weft_web_app_set_access_log(e.app, p[1], fmt), 0);
        env_connect(&e, 0, 0);
        struct resp r;
        send_str(&e, "GET /?a=\"b\" HTTP/1.1\r\nHost: x\r\nReferer: http://r/\r\n"
                     "User-Agent: evil\" \\ \xc3\xa9" "agent\r\n\r\n"
                     "GET /missing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                     "GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n");
        get_response(&e, WEFT_H1_METHOD_GET, &r);
        get_response(&e, WEFT_H1_METHOD_GET, &r);
        get_response(&e, WEFT_H1_METHOD_GET, &r);
        assert_int_equal(r.status, 400);
        settle(&e);
        env_close(&e);
        char buf[4096];
        ssize_t n = read(p[0], buf, sizeof buf - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        /* "- - -" with no socket address, the local time in brackets. */
        char *l1 = buf, *l2 = strchr(buf, '\n');
        assert_non_null(l2);
        *l2++ = '\0';
        char *l3 = strchr(l2, '\n');
        assert_non_null(l3);
        *l3++ = '\0';
        assert_non_null(strchr(l3, '\n'));
        *strchr(l3, '\n') = '\0';
        /* The bad request's line, as it came, escaped. */
        const char *rest3 = strstr(l3, "] ");
        assert_non_null(rest3);
        assert_string_equal(rest3, fmt == WEFT_WEB_LOG_COMMON
                                       ? "] \"GET /\\x7F HTTP/1.1\" 400 -"
                                       : "] \"GET /\\x7F HTTP/1.1\" 400 - \"-\" \"-\"");
        assert_int_equal(strncmp(l1, "- - - [", 7), 0);
        const char *rest1 = strstr(l1, "] ");
        const char *rest2 = strstr(l2, "] ");
        assert_non_null(rest1);
        assert_non_null(rest2);
        if (fmt == WEFT_WEB_LOG_COMMON) {
            assert_string_equal(rest1, "] \"GET /?a=\\x22b\\x22 HTTP/1.1\" 200 8");
            assert_string_equal(rest2, "] \"GET /missing HTTP/1.0\" 404 14");
        } else {
            assert_string_equal(rest1, "] \"GET /?a=\\x22b\\x22 HTTP/1.1\" 200 8 \"http://r/\" "
                                       "\"evil\\x22 \\x5C \\xC3\\xA9agent\"");
            assert_string_equal(rest2, "] \"GET /missing HTTP/1.0\" 404 14 \"-\" \"-\"");
        }
    }
    close(p[0]);
    close(p[1]);
}

/* A filter that upper-cases the body and holds back the last byte of each
 * piece until the next (to see that the end flushes what is held). */
struct upper {
    char held;
    bool has;
    int done;
};

static int upper_write(weft_web_response *resp, const void *data, size_t len, bool last,
                       void *ud)
{
    struct upper *u = ud;
    char buf[8192];
    size_t n = 0;
    if (u->has && (len || last)) {
        buf[n++] = u->held;
        u->has = false;
    }
    const char *p = data;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i] >= 'a' && p[i] <= 'z' ? (char)(p[i] - 32) : p[i];
        if (i + 1 == len && !last) {
            u->held = ch;
            u->has = true;
        } else {
            buf[n++] = ch;
        }
        if (n == sizeof buf) {
            int r = weft_web_response_filter_emit(resp, buf, n);
            if (r < 0)
                return r;
            n = 0;
        }
    }
    return n ? weft_web_response_filter_emit(resp, buf, n) : 0;
}

static void upper_done(weft_web_response *resp, void *ud)
{
    (void)resp;
    ((struct upper *)ud)->done++;
}

static const weft_web_body_filter upper_filter = {upper_write, upper_done};

static int upper_prepare(weft_web_request *req, weft_web_response *resp, void *ud)
{
    if (!weft_web_request_header(req, "X-Upper"))
        return 0;
    struct upper *u = ud;
    u->has = false;
    return weft_web_response_set_body_filter(resp, &upper_filter, u);
}

static void body_filter(void **state)
{
    (void)state;
    static const weft_web_middleware mw = {.prepare = upper_prepare};
    struct upper u = {0};
    snprintf(file_path, sizeof file_path, "/tmp/weft-http-unit-f-%d", (int)getpid());
    FILE *f = fopen(file_path, "w");
    assert_non_null(f);
    for (int i = 0; i < 10000; i++)
        fputc('a' + i % 26, f);
    fclose(f);
    struct env e;
    env_open(&e);
    add_routes(&e);
    assert_int_equal(weft_web_app_get(e.app, "/file", h_file, &e), 0);
    assert_int_equal(weft_web_app_use(e.app, &mw, &u), 0);
    env_connect(&e, 0, 0);
    struct resp r;
    /* Whole (send): chunked now, no Content-Length. */
    send_str(&e, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Upper: 1\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_true(r.chunked);
    assert_null(resp_header(&r, "Content-Length"));
    assert_string_equal(r.body, "HELLO GET /HELLO");
    /* Streamed writes. */
    send_str(&e, "GET /stream HTTP/1.1\r\nHost: x\r\nX-Upper: 1\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "ONE,TWO,THREE");
    /* sendfile goes through the filter (read, not spliced). */
    send_str(&e, "GET /file HTTP/1.1\r\nHost: x\r\nX-Upper: 1\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.body_len, 10000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(r.body[i], 'A' + i % 26);
    /* HEAD: no body, the filter never writes. */
    send_str(&e, "HEAD /hello HTTP/1.1\r\nHost: x\r\nX-Upper: 1\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_HEAD, &r);
    assert_int_equal(r.body_len, 0);
    /* Without the header: untouched, with its length. */
    send_str(&e, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    get_response(&e, WEFT_H1_METHOD_GET, &r);
    assert_string_equal(r.body, "hello GET /hello");
    assert_string_equal(resp_header(&r, "Content-Length"), "16");
    settle(&e);
    assert_int_equal(u.done, 4);
    unlink(file_path);
    env_close(&e);
}

/* Strings taken before a handler suspends are still good after it resumes,
 * while other connections' bytes go through the scratch buffer and this
 * connection's input buffer grows and moves. */
static int h_keep(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct env *e = ud;
    e->calls++;
    const char *path = weft_web_request_path(req);
    const char *tag = weft_web_request_header(req, "X-Tag");
    const char *method = weft_web_request_method(req);
    char before[256];
    snprintf(before, sizeof before, "%s %s %s", method, path, tag ? tag : "-");
    const char *body;
    size_t len;
    int r = weft_web_request_read_body(req, &body, &len); /* suspends: the body trickles */
    if (r < 0)
        return r;
    char after[512];
    snprintf(after, sizeof after, "%s %s %s", method, path, tag ? tag : "-");
    if (strcmp(before, after) != 0)
        return 500;
    snprintf(after, sizeof after, "%s|%zu", before, len);
    return weft_web_response_send_text(resp, "text/plain", after);
}

static void strings_stay_put(void **state)
{
    (void)state;
    struct env e;
    env_open(&e);
    add_routes(&e);
    assert_int_equal(weft_web_app_post(e.app, "/keep/{x}", h_keep, &e), 0);
    env_connect(&e, 0, 0);
    struct client other = {0};
    weft_transport *a, *b;
    assert_int_equal(weft_memory_pair_open(e.loop, NULL, NULL, NULL, &client_proto, &other, &a, &b),
                     0);
    other.t = b;
    assert_int_equal(weft_web_server_serve(e.srv, a), 0);
    send_str(&e, "POST /keep/a%20b HTTP/1.1\r\nHost: x\r\nX-Tag: first\r\nContent-Length: 200000\r\n\r\n");
    settle(&e);
    static char chunk[4000];
    memset(chunk, 'q', sizeof chunk);
    for (int i = 0; i < 50; i++) {
        /* Someone else's requests, through the same scratch buffer. */
        const char *o = "GET /hello?zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz HTTP/1.1\r\nHost: y\r\n"
                        "X-Tag: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n\r\n";
        assert_int_equal(weft_transport_write(other.t, o, strlen(o)), 0);
        settle(&e);
        assert_int_equal(weft_transport_write(e.c.t, chunk, sizeof chunk), 0);
        settle(&e);
    }
    struct resp r;
    get_response(&e, WEFT_H1_METHOD_POST, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "POST /keep/a b first|200000");
    weft_transport_abort(other.t);
    settle(&e);
    free(other.buf);
    env_close(&e);
}

/* ------------------------------------------------------------ compression */

static char big_text[20000];

static int h_text(weft_web_request *req, weft_web_response *resp, void *ud)
{
    (void)ud;
    const char *p = weft_web_request_path(req);
    const char *ct = strstr(p, "png") ? "image/png" : "text/html; charset=utf-8";
    weft_web_response_set_header(resp, "Content-Type", ct);
    weft_web_response_set_header(resp, "ETag", "\"v1\"");
    if (strstr(p, "notransform"))
        weft_web_response_set_header(resp, "Cache-Control", "public, no-transform");
    if (strstr(p, "small"))
        return weft_web_response_send(resp, big_text, 100);
    if (strstr(p, "stream")) {
        for (int i = 0; i < 4; i++) {
            int r = weft_web_response_write(resp, big_text + i * 5000, 5000);
            if (r < 0)
                return r;
        }
        return 0;
    }
    return weft_web_response_send(resp, big_text, sizeof big_text);
}

/* Send a GET with Accept-Encoding ae, return the decoded body's length (or
 * -1 when it came uncompressed) and check it is big_text. */
static void check_coded(struct env *e, const char *path, const char *ae, const char *want_ce)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n%s%s%s\r\n", path,
             ae ? "Accept-Encoding: " : "", ae ? ae : "", ae ? "\r\n" : "");
    send_str(e, req);
    struct resp r;
    get_response(e, WEFT_H1_METHOD_GET, &r);
    assert_int_equal(r.status, 200);
    char ce_buf[64];
    const char *ce = resp_header(&r, "Content-Encoding");
    if (ce) {
        snprintf(ce_buf, sizeof ce_buf, "%s", ce); /* resp_header's buffer is reused */
        ce = ce_buf;
    }
    if (!want_ce) {
        if (ce)
            fail_msg("%s (%s): Content-Encoding %s", path, ae ? ae : "-", ce);
        assert_true(r.body_len == 20000 || r.body_len == 100);
        assert_memory_equal(r.body, big_text, r.body_len);
        return;
    }
    if (!ce || strcmp(ce, want_ce) != 0)
        fail_msg("%s (%s): Content-Encoding %s, want %s", path, ae, ce ? ce : "-", want_ce);
    char vary[256];
    snprintf(vary, sizeof vary, "%s", resp_header(&r, "Vary"));
    assert_string_equal(vary, "Accept-Encoding");
    assert_string_equal(resp_header(&r, "ETag"), "W/\"v1\"");
    assert_null(resp_header(&r, "Content-Length"));
    assert_true(r.body_len < 20000 / 4); /* text that repeats compresses well */
    void *plain;
    size_t plen;
    assert_int_equal(weft_http_decode(ce, strlen(ce), r.body, r.body_len, NULL, &plain, &plen), 0);
    assert_int_equal(plen, 20000);
    assert_memory_equal(plain, big_text, plen);
    free(plain);
}

static void compression(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof big_text; i++)
        big_text[i] = "<p>weft compresses this</p>\n"[i % 28];
    struct env e;
    env_open(&e);
    assert_int_equal(weft_web_app_add_route(e.app, "GET", "/{x}", h_text, &e), 0);
    assert_int_equal(weft_web_app_use_compression(e.app, NULL), 0);
    assert_int_equal(weft_web_app_use_compression(e.app, NULL), -EALREADY);
    env_connect(&e, 0, 0);
    check_coded(&e, "/page", "gzip", "gzip");
    check_coded(&e, "/page", "gzip, deflate, br, zstd", "zstd");
    check_coded(&e, "/page", "gzip;q=1, br;q=0.9", "gzip");
    check_coded(&e, "/page", "br", "br");
    check_coded(&e, "/stream", "gzip", "gzip");
    check_coded(&e, "/page", NULL, NULL);            /* no Accept-Encoding: identity */
    check_coded(&e, "/page", "identity", NULL);
    check_coded(&e, "/page", "compress", NULL);      /* nothing of ours */
    check_coded(&e, "/page", "*;q=0", NULL);         /* nothing acceptable: as is */
    check_coded(&e, "/page.png", "gzip", NULL);      /* already compressed */
    check_coded(&e, "/small", "gzip", NULL);         /* under min_length */
    check_coded(&e, "/notransform", "gzip", NULL);
    /* HEAD gets the head a GET would. */
    send_str(&e, "HEAD /page HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
    struct resp r;
    get_response(&e, WEFT_H1_METHOD_HEAD, &r);
    assert_string_equal(resp_header(&r, "Content-Encoding"), "gzip");
    assert_int_equal(r.body_len, 0);
    assert_false(e.c.lost);
    env_close(&e);

    /* A level that gzip refuses is refused up front. */
    weft_web_app *app;
    assert_int_equal(weft_web_app_new(&app), 0);
    weft_web_compress_opts o = {.level = 11};
    assert_int_equal(weft_web_app_use_compression(app, &o), -EINVAL);
    int only_br[] = {WEFT_CODING_BR};
    weft_web_compress_opts o2 = {.codings = only_br, .ncodings = 1, .level = 11};
    assert_int_equal(weft_web_app_use_compression(app, &o2), 0);
    weft_web_app_free(app);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(get_and_keep_alive),
    cmocka_unit_test(byte_by_byte),
    cmocka_unit_test(pipelined_one_write),
    cmocka_unit_test(pipelined_with_slow_handler),
    cmocka_unit_test(http10_and_connection_close),
    cmocka_unit_test(chunked_stream_and_head),
    cmocka_unit_test(bodiless_without_length),
    cmocka_unit_test(routing),
    cmocka_unit_test(bad_patterns_refused),
    cmocka_unit_test(bodies),
    cmocka_unit_test(expect_continue),
    cmocka_unit_test(bad_requests_answered_and_closed),
    cmocka_unit_test(header_timeout_cuts_slowloris),
    cmocka_unit_test(idle_keepalive_timeout),
    cmocka_unit_test(body_timeout),
    cmocka_unit_test(write_timeout_aborts),
    cmocka_unit_test(middleware),
    cmocka_unit_test(graceful_shutdown),
    cmocka_unit_test(shutdown_past_grace_cancels),
    cmocka_unit_test(idle_connection_holds_nothing),
    cmocka_unit_test(sendfile_over_memory_copies),
    cmocka_unit_test(declared_lengths),
    cmocka_unit_test(access_log_lines),
    cmocka_unit_test(body_filter),
    cmocka_unit_test(strings_stay_put),
    cmocka_unit_test(compression),
};

WEFT_TEST_MAIN(tests)
