/* The decoding hook in the response body path, with toy codings of the
 * test's own (the real gzip/br/zstd codecs plug into the same table):
 * Accept-Encoding follows what is registered, a Content-Encoding stack is
 * undone in reverse order, a coding nobody knows is delivered as it came,
 * NO_DECOMPRESS turns it all off, and a coded stream cut short is an error,
 * not a short body. */
#include "fake_server.h"

/* "x-rot13": rot13 of letters; "x-dup": every byte doubled on the wire
 * (decoding keeps every other byte), ended by a '!' pair; both streaming. */
static int rot_open(void **st)
{
    *st = NULL;
    return 0;
}

static int rot_decode(void *st, const char *in, size_t *inlen, char *out, size_t *outlen)
{
    size_t n = *inlen < *outlen ? *inlen : *outlen;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'a' && c <= 'z')
            c = (char)('a' + (c - 'a' + 13) % 26);
        out[i] = c;
    }
    *inlen = *outlen = n;
    return 0;
}

static void rot_close(void *st)
{
}

static const struct weft__hc_decoder_ops rot13 = {
    .name = "x-rot13", .open = rot_open, .decode = rot_decode, .close = rot_close};

struct dup {
    int half;   /* 1: the first of a pair was seen */
    bool ended;
};

static int dup_open(void **st)
{
    *st = calloc(1, sizeof(struct dup));
    return *st ? 0 : -ENOMEM;
}

static int dup_decode(void *st, const char *in, size_t *inlen, char *out, size_t *outlen)
{
    struct dup *d = st;
    size_t i = 0, o = 0;
    while (i < *inlen && o < *outlen && !d->ended) {
        if (d->half) {
            if (in[i] == '!') {
                d->ended = true;
            } else {
                out[o++] = in[i];
            }
            d->half = 0;
        } else {
            d->half = 1;
        }
        i++;
    }
    *inlen = i;
    *outlen = o;
    return d->ended ? 1 : 0;
}

static int dup_finish(void *st)
{
    return ((struct dup *)st)->ended ? 0 : WEFT_EHTTP_TRUNCATED;
}

static void dup_close(void *st)
{
    free(st);
}

static const struct weft__hc_decoder_ops dup_ops = {.name = "x-dup",
                                                .open = dup_open,
                                                .decode = dup_decode,
                                                .finish = dup_finish,
                                                .close = dup_close};

struct ctx {
    struct fake f;
    const char *answer;
    weft_http_request_opts ro;
    int rc, rc2;
    char body[256];
};

static struct fake_answer route(struct fake *f, const char *m, const char *p, const char *req,
                                int conn, int n)
{
    struct ctx *c = f->ud;
    return (struct fake_answer){.data = c->answer};
}

static int fetch(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_response *r;
    c->rc = weft_http_session_get(s, "http://a.test/", &c->ro, &r);
    if (c->rc == 0) {
        /* Small reads, so the decoder is driven across many calls. */
        size_t got = 0;
        char b[3];
        int n;
        while ((n = weft_http_response_read(r, b, sizeof b)) > 0) {
            memcpy(c->body + got, b, (size_t)n);
            got += (size_t)n;
        }
        c->body[got] = '\0';
        c->rc2 = n;
        weft_http_response_free(r);
    }
    weft_http_session_close(s);
    return 0;
}

static void run(struct ctx *c, const char *answer)
{
    memset(c, 0, sizeof *c);
    c->f.route = route;
    c->f.ud = c;
    c->answer = answer;
}

static void test_accept_encoding_follows_registry(void **state)
{
    struct ctx c;
    run(&c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    fake_run(fetch, &c, false);
    /* What is registered so far (the codecs, when linked in) is offered. */
    /* (A copy: the registry rebuilds its string as decoders are added.) */
    char before_buf[128];
    const char *before = weft__hc_accept_encoding();
    if (before)
        before = strcpy(before_buf, before);
    char want[256];
    if (before) {
        snprintf(want, sizeof want, "\r\nAccept-Encoding: %s\r\n", before);
        assert_non_null(strstr(c.f.req[0], want));
    } else {
        assert_null(strcasestr(c.f.req[0], "accept-encoding"));
    }
    assert_int_equal(weft__hc_register_decoder(&rot13), 0);
    assert_int_equal(weft__hc_register_decoder(&dup_ops), 0);
    assert_int_equal(weft__hc_register_decoder(&rot13), 0); /* same name: replaced */
    run(&c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    fake_run(fetch, &c, false);
    snprintf(want, sizeof want, "\r\nAccept-Encoding: %s%sx-rot13, x-dup\r\n",
             before ? before : "", before ? ", " : "");
    assert_non_null(strstr(c.f.req[0], want));
    run(&c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    c.ro.flags = WEFT_HTTP_NO_DECOMPRESS;
    fake_run(fetch, &c, false);
    assert_null(strcasestr(c.f.req[0], "accept-encoding"));
}

static void test_single_coding(void **state)
{
    weft__hc_register_decoder(&rot13);
    struct ctx c;
    run(&c, "HTTP/1.1 200 OK\r\nContent-Encoding: x-rot13\r\nContent-Length: 11\r\n\r\n"
            "uryyb jbeyq");
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "hello world");

    run(&c, "HTTP/1.1 200 OK\r\nContent-Encoding: x-rot13\r\nContent-Length: 11\r\n\r\n"
            "uryyb jbeyq");
    c.ro.flags = WEFT_HTTP_NO_DECOMPRESS;
    fake_run(fetch, &c, false);
    assert_string_equal(c.body, "uryyb jbeyq");
}

static void test_stacked_codings_chunked(void **state)
{
    /* Applied x-dup first, then x-rot13: undone rot13 first. */
    weft__hc_register_decoder(&rot13);
    weft__hc_register_decoder(&dup_ops);
    struct ctx c;
    run(&c, "HTTP/1.1 200 OK\r\nContent-Encoding: x-dup, x-rot13\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
            "5\r\nuuvv!\r\n1\r\n!\r\n0\r\n\r\n");
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "hi");
}

static void test_unknown_coding_raw(void **state)
{
    weft__hc_register_decoder(&rot13);
    struct ctx c;
    run(&c, "HTTP/1.1 200 OK\r\nContent-Encoding: x-unknown\r\nContent-Length: 3\r\n\r\nabc");
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "abc");

    run(&c, "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc");
    fake_run(fetch, &c, false);
    assert_string_equal(c.body, "abc");
}

static void test_coded_stream_cut_short(void **state)
{
    weft__hc_register_decoder(&dup_ops);
    struct ctx c;
    /* The framing is complete, but the coded stream never reached its end. */
    run(&c, "HTTP/1.1 200 OK\r\nContent-Encoding: x-dup\r\nContent-Length: 4\r\n\r\nhhii");
    fake_run(fetch, &c, false);
    assert_int_equal(c.rc2, WEFT_EHTTP_TRUNCATED);
    assert_string_equal(c.body, "hi");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_accept_encoding_follows_registry),
    cmocka_unit_test(test_single_coding),
    cmocka_unit_test(test_stacked_codings_chunked),
    cmocka_unit_test(test_unknown_coding_raw),
    cmocka_unit_test(test_coded_stream_cut_short),
};

WEFT_TEST_MAIN(tests)
