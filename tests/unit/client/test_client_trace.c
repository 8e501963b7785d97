/* Tracing hooks and timings: the events of a fresh and of a reused
 * request in order, with times that never go back, the head as sent, the
 * session's hooks before the request's; the timings of a response; IPv6
 * literal URLs; the shared header list of a response. */
#include "fake_server.h"

#define MAXEV 64

struct ctx {
    struct fake f;
    int ev[MAXEV], nev;
    uint64_t t[MAXEV];
    char head[1024];
    int session_first;      /* the session hook ran before the request's */
    uint64_t done_count;
    weft_http_timings tm[2];
    char host_seen[128];
    bool list_ok;
};

static struct fake_answer ok(struct fake *f, const char *m, const char *p, const char *req,
                             int conn, int n)
{
    return (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 5\r\n\r\nhello",
        .delay_ns = WEFT_MSEC(5)};
}

static void session_hook(const weft_http_trace *ev, void *ud)
{
    struct ctx *c = ud;
    if (c->nev < MAXEV) {
        c->ev[c->nev] = ev->event;
        c->t[c->nev] = ev->elapsed_ns;
        c->nev++;
    }
    if (ev->event == WEFT_HTTP_TRACE_REQUEST_SENT && ev->head)
        snprintf(c->head, sizeof c->head, "%.*s", (int)ev->head_len, ev->head);
    if (ev->event == WEFT_HTTP_TRACE_DONE)
        c->done_count = ev->count;
    if (ev->event == WEFT_HTTP_TRACE_FIRST_BYTE)
        c->session_first = 1;
}

static void request_hook(const weft_http_trace *ev, void *ud)
{
    struct ctx *c = ud;
    if (ev->event == WEFT_HTTP_TRACE_FIRST_BYTE && c->session_first == 1)
        c->session_first = 2;
}

static int traced(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    assert_int_equal(weft_http_session_add_trace(s, session_hook, c), 0);
    weft_http_request_opts o = {.trace = request_hook, .trace_ud = c};
    for (int i = 0; i < 2; i++) {
        weft_http_response *r;
        assert_int_equal(weft_http_session_get(s, "http://[::1]:8080/x", &o, &r), 0);
        assert_string_equal(weft_http_response_url(r), "http://[::1]:8080/x");
        const char *b;
        assert_int_equal(weft_http_response_read_all(r, &b, NULL), 0);
        weft_http_response_timings(r, &c->tm[i]);
        const weft_http_headers *h = weft_http_response_headers(r);
        c->list_ok = h && weft_http_headers_count(h) == 3 &&
                     !strcmp(weft_http_headers_get(h, "x-a"), "1") &&
                     weft_http_headers_find(h, "X-A", 1) == 1;
        weft_http_response_free(r);
        if (i == 0)
            snprintf(c->host_seen, sizeof c->host_seen, "%s", c->f.target[0].host);
    }
    weft_http_session_close(s);
    return 0;
}

static int find(const struct ctx *c, int ev, int from)
{
    for (int i = from; i < c->nev; i++)
        if (c->ev[i] == ev)
            return i;
    return -1;
}

static void test_events_in_order(void **state)
{
    struct ctx c = {0};
    c.f.route = ok;
    c.f.ud = &c;
    fake_run(traced, &c, true);
    /* First request: start, (a connection made by the test's connector:
     * no DNS events), sent, first byte, head, done. Second: reused. */
    int start = find(&c, WEFT_HTTP_TRACE_REQUEST_START, 0);
    int sent = find(&c, WEFT_HTTP_TRACE_REQUEST_SENT, start);
    int first = find(&c, WEFT_HTTP_TRACE_FIRST_BYTE, sent);
    int head = find(&c, WEFT_HTTP_TRACE_RESPONSE_HEADERS, first);
    int done = find(&c, WEFT_HTTP_TRACE_DONE, head);
    assert_true(start == 0 && sent > start && first > sent && head > first && done > head);
    for (int i = 1; i <= done; i++)
        assert_true(c.t[i] >= c.t[i - 1]);
    assert_true(c.t[first] >= WEFT_MSEC(5)); /* the server waited 5 ms */
    int start2 = find(&c, WEFT_HTTP_TRACE_REQUEST_START, done);
    int reused = find(&c, WEFT_HTTP_TRACE_CONNECTION_REUSED, start2);
    int done2 = find(&c, WEFT_HTTP_TRACE_DONE, reused);
    assert_true(start2 > done && reused > start2 && done2 > reused);
    assert_int_equal(c.done_count, 5);
    assert_true(strncmp(c.head, "GET /x HTTP/1.1\r\nHost: [::1]:8080\r\n", 35) == 0);
    assert_int_equal(c.session_first, 2);
    assert_string_equal(c.host_seen, "::1");
    /* Timings: cumulative, in order; the second had no connect. */
    assert_true(c.tm[0].first_byte_ns >= WEFT_MSEC(5));
    assert_true(c.tm[0].headers_ns >= c.tm[0].first_byte_ns);
    assert_true(c.tm[0].done_ns >= c.tm[0].headers_ns);
    assert_false(c.tm[0].reused);
    assert_true(c.tm[1].reused);
    assert_int_equal(c.tm[1].connect_ns, 0);
    assert_true(c.list_ok);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_events_in_order),
};

WEFT_TEST_MAIN(tests)
