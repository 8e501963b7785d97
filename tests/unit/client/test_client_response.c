/* The client's responses over in-memory connections: heads, every body
 * framing, and every way a server can break one (truncation, bad chunks,
 * bad status lines, oversized heads), plus what the request looks like on
 * the wire and keep-alive reuse. */
#include <fcntl.h>
#include <unistd.h>

#include "fake_server.h"

static struct fake_answer answer_fixed(struct fake *f, const char *m, const char *p,
                                       const char *req, int conn, int n)
{
    const struct fake_answer *a = f->ud;
    return a[n < 8 ? n : 7];
}

struct ctx {
    struct fake f;
    struct fake_answer ans[8];
    weft_http_session_opts o;
    weft_http_request_opts ro;
    int rc, rc2;
    int status;
    char body[4096];
    size_t blen;
    weft_http_session_stats st;
    char hdr[256];
};

static void setup(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    c->f.route = answer_fixed;
    c->f.ud = c->ans;
}

/* One GET of http://example.test/, body read whole. */
static int get_once(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, &c->o);
    weft_http_response *r;
    c->rc = weft_http_session_get(s, "http://example.test/", &c->ro, &r);
    if (c->rc == 0) {
        c->status = weft_http_response_status(r);
        const char *b;
        c->rc2 = weft_http_response_read_all(r, &b, &c->blen);
        if (c->rc2 == 0)
            memcpy(c->body, b, c->blen + 1);
        const char *x = weft_http_response_header(r, "x-a");
        snprintf(c->hdr, sizeof c->hdr, "%s", x ? x : "(none)");
        weft_http_response_free(r);
    }
    weft_http_session_get_stats(s, &c->st);
    weft_http_session_close(s);
    return 0;
}

static void test_content_length(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \r\n\r\nhello"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.status, 200);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "hello");
    assert_string_equal(c.hdr, "b c");
    /* The request on the wire. */
    assert_int_equal(c.f.nreq, 1);
    assert_true(strncmp(c.f.req[0], "GET / HTTP/1.1\r\nHost: example.test\r\n", 36) == 0);
    assert_non_null(strstr(c.f.req[0], "\r\nUser-Agent: weft/"));
    assert_non_null(strstr(c.f.req[0], "\r\nAccept: */*\r\n"));
    assert_null(strcasestr(c.f.req[0], "content-length"));
    assert_string_equal(c.f.target[0].host, "example.test");
    assert_int_equal(c.f.target[0].port, 80);
}

static int get_pieces(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_response *r;
    c->rc = weft_http_session_get(s, "http://example.test/x", NULL, &r);
    assert_int_equal(c->rc, 0);
    assert_int_equal(weft_http_response_content_length(r), -1);
    char buf[3];
    int n;
    while ((n = weft_http_response_read(r, buf, sizeof buf)) > 0) {
        assert_true(n <= 3);
        memcpy(c->body + c->blen, buf, (size_t)n);
        c->blen += (size_t)n;
    }
    c->rc2 = n;
    assert_int_equal(weft_http_response_read(r, buf, 1), n); /* sticks */
    assert_int_equal(weft_http_response_bytes_read(r), c->blen);
    weft_http_response_free(r);
    weft_http_session_get_stats(s, &c->st);
    weft_http_session_close(s);
    return 0;
}

static void test_chunked_pieces(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n"};
    fake_run(get_pieces, &c, false);
    assert_int_equal(c.rc2, 0);
    c.body[c.blen] = '\0';
    assert_string_equal(c.body, "hello world");
}

static void test_chunked_trickled(void **state)
{
    /* One byte per write: every parse and decode state is crossed. */
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        .trickle_ns = WEFT_MSEC(1)};
    fake_run(get_pieces, &c, true);
    assert_int_equal(c.rc2, 0);
    c.body[c.blen] = '\0';
    assert_string_equal(c.body, "abcde");
}

static void test_close_delimited(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.0 200 OK\r\n\r\nuntil the end", .close = true};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "until the end");
}

static void test_truncated_length(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
                                    .close = true};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, WEFT_EHTTP_TRUNCATED);
}

static void test_truncated_chunked(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", .close = true};
    fake_run(get_pieces, &c, false);
    assert_int_equal(c.rc2, WEFT_EHTTP_TRUNCATED);
}

static void test_truncated_before_last_chunk(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        .close = true};
    fake_run(get_pieces, &c, false);
    assert_int_equal(c.rc2, WEFT_EHTTP_TRUNCATED);
}

static void test_bad_chunk(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"};
    fake_run(get_pieces, &c, false);
    assert_int_equal(c.rc2, WEFT_EHTTP_BAD_CHUNK);
    assert_int_equal(c.st.idle, 0); /* never reused after that */
}

static void test_bad_status(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_BAD_STATUS);
    assert_int_equal(weft_http_error_class(c.rc), WEFT_HTTP_ERR_PROTOCOL);
}

static void test_not_http(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "SSH-2.0-OpenSSH_9.2\r\n", .close = true};
    fake_run(get_once, &c, false);
    assert_true(c.rc == WEFT_EHTTP_BAD_STATUS || c.rc == WEFT_EHTTP_PARSE);
}

static void test_disconnected(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "", .close = true};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_DISCONNECTED);
    assert_int_equal(c.f.conns, 1); /* a fresh connection is not retried */
    assert_int_equal(weft_http_error_class(c.rc), WEFT_HTTP_ERR_CONNECT);
}

static void test_truncated_head(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Le", .close = true};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_TRUNCATED);
}

static void test_conflicting_length(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_BAD_LENGTH);
}

static void test_te_and_length(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                "0\r\n\r\n"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_BAD_FRAMING);
}

static void test_interim_skipped(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.status, 201);
    assert_string_equal(c.body, "ok");
}

static void test_head_limits(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.max_headers = 3;
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nContent-Length: 0\r\n\r\n"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_HEADERS_TOO_LARGE);

    setup(&c);
    c.o.max_head = 1024;
    static char big[4096];
    int n = snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(big + n, 'x', 2000);
    strcpy(big + n + 2000, "\r\nContent-Length: 0\r\n\r\n");
    c.ans[0] = (struct fake_answer){.data = big};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_HEADERS_TOO_LARGE);
}

static void test_body_limit(void **state)
{
    struct ctx c;
    setup(&c);
    c.o.max_body = 4;
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, WEFT_EHTTP_BODY_TOO_LARGE);

    setup(&c); /* exactly at the limit is fine, chunked too */
    c.ro.max_body = 5;
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "hello");

    setup(&c); /* no limit at all (the sum must not wrap) */
    c.ro.max_body = UINT64_MAX;
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"};
    fake_run(get_once, &c, false);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "hello");
}

/* ------------------------------------------------------------ reuse */

static int get_twice(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, &c->o);
    for (int i = 0; i < 2; i++) {
        weft_http_response *r;
        int rc = weft_http_session_request(s, i == 0 ? c->ro.username ? "HEAD" : "GET" : "GET",
                                           "http://example.test/", NULL, &r);
        if (i == 0)
            c->rc = rc;
        else
            c->rc2 = rc;
        if (rc)
            continue;
        const char *b;
        size_t n;
        assert_int_equal(weft_http_response_read_all(r, &b, &n), 0);
        if (i == 1) {
            memcpy(c->body, b, n + 1);
            c->status = weft_http_response_status(r);
        }
        weft_http_response_free(r);
    }
    weft_http_session_get_stats(s, &c->st);
    weft_http_session_close(s);
    return 0;
}

static void test_keepalive_reuse(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"};
    c.ans[1] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"};
    fake_run(get_twice, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "two");
    assert_int_equal(c.f.conns, 1);
    assert_int_equal(c.st.connections_opened, 1);
    assert_int_equal(c.st.connections_reused, 1);
    assert_int_equal(c.f.req_conn[1], 0);
}

static void test_head_no_body(void **state)
{
    struct ctx c;
    setup(&c);
    c.ro.username = "x"; /* get_twice: first request is HEAD */
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"};
    c.ans[1] = (struct fake_answer){.data = "HTTP/1.1 204 No Content\r\n\r\n"};
    fake_run(get_twice, &c, false);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.rc2, 0);
    assert_int_equal(c.status, 204);
    assert_string_equal(c.body, "");
    assert_int_equal(c.f.conns, 1); /* HEAD's Content-Length did not eat the next response */
}

static void test_connection_close_not_reused(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\none"};
    c.ans[1] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"};
    fake_run(get_twice, &c, false);
    assert_int_equal(c.rc2, 0);
    assert_int_equal(c.f.conns, 2);
}

static void test_excess_bytes_not_reused(void **state)
{
    /* More bytes than Content-Length said: the body is what was framed,
     * but a connection with bytes nobody asked for is not trusted again. */
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nonetwo"};
    c.ans[1] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"};
    fake_run(get_twice, &c, false);
    assert_int_equal(c.rc2, 0);
    assert_string_equal(c.body, "two");
    assert_int_equal(c.f.conns, 2);
}

/* Free a response with its body unread: a large one closes the
 * connection, one that already arrived keeps it. */
static int free_unread(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_response *r;
    assert_int_equal(weft_http_session_get(s, "http://example.test/", NULL, &r), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0); /* let the short body arrive */
    weft_http_response_free(r);
    assert_int_equal(weft_http_session_get(s, "http://example.test/", NULL, &r), 0);
    const char *b;
    assert_int_equal(weft_http_response_read_all(r, &b, NULL), 0);
    snprintf(c->body, sizeof c->body, "%s", b);
    weft_http_response_free(r);
    weft_http_session_close(s);
    return 0;
}

static void test_free_unread_body(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nshort"};
    c.ans[1] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
    fake_run(free_unread, &c, true);
    assert_string_equal(c.body, "ok");
    assert_int_equal(c.f.conns, 1);

    setup(&c);
    c.ans[0] = (struct fake_answer){
        .data = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly a little", .stall = true};
    c.ans[1] = (struct fake_answer){.data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
    fake_run(free_unread, &c, true);
    assert_string_equal(c.body, "ok");
    assert_int_equal(c.f.conns, 2);
}

/* ------------------------------------------------------------ request bodies */

static int post_body(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_response *r;
    c->rc = weft_http_session_post(s, "http://example.test/up", &c->ro, &r);
    if (c->rc == 0) {
        const char *b;
        c->rc2 = weft_http_response_read_all(r, &b, NULL);
        weft_http_response_free(r);
    }
    weft_http_session_close(s);
    return 0;
}

static const char *req_body(const char *req)
{
    const char *p = strstr(req, "\r\n\r\n");
    return p ? p + 4 : "";
}

static void test_body_memory_and_form(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = fake_ok("");
    c.ro.body = weft_http_body_string("a=1");
    c.ro.body.content_type = "text/plain";
    fake_run(post_body, &c, false);
    assert_int_equal(c.rc, 0);
    assert_non_null(strstr(c.f.req[0], "\r\nContent-Length: 3\r\n"));
    assert_non_null(strstr(c.f.req[0], "\r\nContent-Type: text/plain\r\n"));
    assert_string_equal(req_body(c.f.req[0]), "a=1");

    setup(&c);
    c.ans[0] = fake_ok("");
    weft_form *form;
    assert_int_equal(weft_form_new(&form), 0);
    weft_form_add(form, "name", WEFT_FORM_NTS, "J Doe", WEFT_FORM_NTS);
    weft_form_add(form, "x", WEFT_FORM_NTS, "&=", WEFT_FORM_NTS);
    c.ro.body = weft_http_body_form(form);
    fake_run(post_body, &c, false);
    weft_form_free(form);
    assert_non_null(strstr(c.f.req[0], "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    assert_string_equal(req_body(c.f.req[0]), "name=J+Doe&x=%26%3D");

    setup(&c); /* POST without a body says Content-Length: 0 */
    c.ans[0] = fake_ok("");
    fake_run(post_body, &c, false);
    assert_non_null(strstr(c.f.req[0], "\r\nContent-Length: 0\r\n"));
}

struct gen {
    int left;
    int rewinds;
};

static int gen_read(void *buf, size_t cap, void *ud)
{
    struct gen *g = ud;
    if (!g->left)
        return 0;
    g->left--;
    memcpy(buf, "part;", 5);
    return 5;
}

static void test_body_callback_chunked(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = fake_ok("");
    struct gen g = {.left = 3};
    c.ro.body = weft_http_body_callback(gen_read, NULL, &g, -1);
    fake_run(post_body, &c, false);
    assert_int_equal(c.rc, 0);
    assert_non_null(strstr(c.f.req[0], "\r\nTransfer-Encoding: chunked\r\n"));
    assert_null(strcasestr(c.f.req[0], "content-length"));
    assert_string_equal(req_body(c.f.req[0]), "5\r\npart;\r\n5\r\npart;\r\n5\r\npart;\r\n0\r\n\r\n");

    setup(&c); /* a known length that the callback does not reach is an error */
    g.left = 1;
    c.ans[0] = fake_ok("");
    c.ro.body = weft_http_body_callback(gen_read, NULL, &g, 10);
    fake_run(post_body, &c, false);
    assert_int_equal(c.rc, -EIO);
}

static void test_body_file_and_pipe(void **state)
{
    char path[] = "/tmp/weft-body-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "file contents", 13), 13);
    close(fd);
    struct ctx c;
    setup(&c);
    c.ans[0] = fake_ok("");
    c.ro.body = weft_http_body_file(path);
    fake_run(post_body, &c, false);
    assert_int_equal(c.rc, 0);
    assert_non_null(strstr(c.f.req[0], "\r\nContent-Length: 13\r\n"));
    assert_string_equal(req_body(c.f.req[0]), "file contents");

    setup(&c); /* an fd from its current offset */
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 5, SEEK_SET), 5);
    c.ans[0] = fake_ok("");
    c.ro.body = weft_http_body_fd(fd, -1);
    fake_run(post_body, &c, false);
    close(fd);
    assert_string_equal(req_body(c.f.req[0]), "contents");
    unlink(path);

    setup(&c); /* a pipe: unknown length, chunked */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "piped", 5), 5);
    close(p[1]);
    c.ans[0] = fake_ok("");
    c.ro.body = weft_http_body_fd(p[0], -1);
    fake_run(post_body, &c, false);
    close(p[0]);
    assert_int_equal(c.rc, 0);
    assert_string_equal(req_body(c.f.req[0]), "5\r\npiped\r\n0\r\n\r\n");

    setup(&c);
    c.ro.body = weft_http_body_file("/nonexistent/weft");
    fake_run(post_body, &c, false);
    assert_int_equal(c.rc, -ENOENT);
}

static void test_body_multipart(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = fake_ok("");
    weft_multipart *m;
    assert_int_equal(weft_multipart_new_with_boundary("BOUNDARY", &m), 0);
    weft_multipart_add_field(m, "a", "1", 1);
    weft_multipart_add_file(m, "f", "x.txt", "text/plain", "data", 4);
    c.ro.body = weft_http_body_multipart(m);
    fake_run(post_body, &c, false);
    char *want;
    size_t wlen;
    assert_int_equal(weft_multipart_body(m, &want, &wlen), 0);
    assert_non_null(strstr(c.f.req[0],
                           "\r\nContent-Type: multipart/form-data; boundary=BOUNDARY\r\n"));
    assert_memory_equal(req_body(c.f.req[0]), want, wlen);
    free(want);
    weft_multipart_free(m);
}

/* ------------------------------------------------------------ headers */

static void test_header_merging(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = fake_ok("");
    weft_http_headers *h;
    assert_int_equal(weft_http_headers_new(&h), 0);
    weft_http_headers_add(h, "user-agent", "mine/1");
    weft_http_headers_add(h, "X-My-Header", "foo");
    weft_http_headers_add(h, "Content-Length", "999"); /* framing is ours */
    c.ro.headers = h;
    fake_run(get_once, &c, false);
    weft_http_headers_free(h);
    assert_int_equal(c.rc, 0);
    assert_non_null(strstr(c.f.req[0], "\r\nuser-agent: mine/1\r\n"));
    assert_null(strstr(c.f.req[0], "weft/"));
    assert_non_null(strstr(c.f.req[0], "\r\nX-My-Header: foo\r\n"));
    assert_null(strstr(c.f.req[0], "999"));
}

static int params_and_base(void *arg)
{
    struct ctx *c = arg;
    weft_http_session_opts o = {.base_url = "http://example.test/api/v1/"};
    weft_http_session *s = fake_session(&c->f, &o);
    weft_http_headers_add(weft_http_session_headers(s), "X-Default", "bar");
    weft_form *p;
    weft_form_new(&p);
    weft_form_add(p, "q", WEFT_FORM_NTS, "a b", WEFT_FORM_NTS);
    weft_http_request_opts ro = {.params = p};
    weft_http_response *r;
    c->rc = weft_http_session_get(s, "items?x=1", &ro, &r);
    if (c->rc == 0) {
        snprintf(c->hdr, sizeof c->hdr, "%s", weft_http_response_url(r));
        weft_http_response_free(r);
    }
    weft_form_free(p);
    c->rc2 = weft_http_session_get(s, "ftp://example.test/", NULL, &r);
    weft_http_session_close(s);
    return 0;
}

static void test_params_and_base_url(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = fake_ok("");
    fake_run(params_and_base, &c, false);
    assert_int_equal(c.rc, 0);
    assert_true(strncmp(c.f.req[0], "GET /api/v1/items?x=1&q=a+b HTTP/1.1\r\n", 38) == 0);
    assert_non_null(strstr(c.f.req[0], "\r\nX-Default: bar\r\n"));
    assert_string_equal(c.hdr, "http://example.test/api/v1/items?x=1&q=a+b");
    assert_int_equal(c.rc2, WEFT_EURL_SCHEME);
}

static void test_bad_method_and_url(void **state)
{
    struct ctx c;
    setup(&c);
    c.ans[0] = fake_ok("");
    c.o.flags = 0;
    weft_http_session *s;
    /* Outside a task, without a blocking client: -EPERM. */
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    assert_int_equal(weft_http_session_new(loop, NULL, &s), 0);
    weft_http_response *r;
    assert_int_equal(weft_http_session_get(s, "http://example.test/", NULL, &r), -EPERM);
    weft_http_session_free(s);
    assert_int_equal(weft_loop_close(loop), 0);
    assert_int_equal(weft_http_error_class(WEFT_EURL_HOST), WEFT_HTTP_ERR_URL);
    assert_int_equal(weft_http_error_class(WEFT_EDNS_NXDOMAIN), WEFT_HTTP_ERR_DNS);
    assert_int_equal(weft_http_error_class(WEFT_ETLS_VERIFY), WEFT_HTTP_ERR_TLS);
    assert_int_equal(weft_http_error_class(-ECONNREFUSED), WEFT_HTTP_ERR_CONNECT);
    assert_int_equal(weft_http_error_class(WEFT_EHTTP_READ_TIMEOUT), WEFT_HTTP_ERR_TIMEOUT);
    assert_int_equal(weft_http_error_class(WEFT_EHTTP_STATUS), WEFT_HTTP_ERR_STATUS);
    assert_int_equal(weft_http_error_class(-ENOMEM), WEFT_HTTP_ERR_LOCAL);
    assert_int_equal(weft_http_error_class(0), WEFT_HTTP_ERR_NONE);
}

static int bad_method(void *arg)
{
    struct ctx *c = arg;
    weft_http_session *s = fake_session(&c->f, NULL);
    weft_http_response *r;
    c->rc = weft_http_session_request(s, "GE T", "http://example.test/", NULL, &r);
    c->rc2 = weft_http_session_get(s, "http://exa mple.test/", NULL, &r);
    weft_http_session_close(s);
    return 0;
}

static void test_bad_method(void **state)
{
    struct ctx c;
    setup(&c);
    fake_run(bad_method, &c, false);
    assert_int_equal(c.rc, WEFT_EHTTP_BAD_METHOD);
    assert_true(c.rc2 <= WEFT_EURL && c.rc2 > WEFT_ECOOKIE);
    assert_int_equal(c.f.nreq, 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_content_length),
    cmocka_unit_test(test_chunked_pieces),
    cmocka_unit_test(test_chunked_trickled),
    cmocka_unit_test(test_close_delimited),
    cmocka_unit_test(test_truncated_length),
    cmocka_unit_test(test_truncated_chunked),
    cmocka_unit_test(test_truncated_before_last_chunk),
    cmocka_unit_test(test_bad_chunk),
    cmocka_unit_test(test_bad_status),
    cmocka_unit_test(test_not_http),
    cmocka_unit_test(test_disconnected),
    cmocka_unit_test(test_truncated_head),
    cmocka_unit_test(test_conflicting_length),
    cmocka_unit_test(test_te_and_length),
    cmocka_unit_test(test_interim_skipped),
    cmocka_unit_test(test_head_limits),
    cmocka_unit_test(test_body_limit),
    cmocka_unit_test(test_keepalive_reuse),
    cmocka_unit_test(test_head_no_body),
    cmocka_unit_test(test_connection_close_not_reused),
    cmocka_unit_test(test_excess_bytes_not_reused),
    cmocka_unit_test(test_free_unread_body),
    cmocka_unit_test(test_body_memory_and_form),
    cmocka_unit_test(test_body_callback_chunked),
    cmocka_unit_test(test_body_file_and_pipe),
    cmocka_unit_test(test_body_multipart),
    cmocka_unit_test(test_header_merging),
    cmocka_unit_test(test_params_and_base_url),
    cmocka_unit_test(test_bad_method_and_url),
    cmocka_unit_test(test_bad_method),
};

WEFT_TEST_MAIN(tests)
