/* The HTTP server on real loopback sockets, against real clients: curl
 * (GET, HEAD, keep-alive reuse, chunked upload, 100-continue), Python's
 * http.client and requests, a raw-socket suite of malformed and smuggling
 * requests (each answered 400-class and closed, the handler never sees
 * them), slowloris cut off within the header timeout, 10,000 idle
 * keep-alive connections with the server's RSS per connection measured,
 * graceful shutdown with a request in flight, and fd counts unchanged.
 *
 * The server runs on its own thread (its own loop), the clients on the
 * test's thread or as child processes (curl, python3) bounded by
 * timeout(1); the RSS case forks the server into a process of its own so
 * that only its memory is counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft.h"
#include "weft_test.h"
#include "weft_test_tls.h"

/* ------------------------------------------------------------ the server */

struct live {
    pthread_t th;
    weft_web_server_opts opts;
    weft_loop *loop;
    weft_web_server *srv;
    weft_web_app *app;
    atomic_int port;        /* > 0 once listening, < 0 on failure */
    atomic_int calls;       /* handler runs */
    int shutdown_rc;
    bool compress;          /* weft_web_app_use_compression */
    const char *tls_chain;  /* listen for HTTPS with this chain and key */
    const char *tls_key;
    char file[256];         /* served by /file */
    uint64_t file_len;      /* what /file promises (may exceed the file) */
};

static int h_hello(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct live *l = ud;
    atomic_fetch_add(&l->calls, 1);
    (void)req;
    return weft_web_response_send_text(resp, "text/plain", "hello\n");
}

/* Echo the body back with its length and a digest-like sum. */
static int h_upload(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct live *l = ud;
    atomic_fetch_add(&l->calls, 1);
    char buf[65536];
    uint64_t total = 0, sum = 0;
    for (;;) {
        int n = weft_web_request_read(req, buf, sizeof buf);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        for (int i = 0; i < n; i++)
            sum = sum * 31 + (unsigned char)buf[i];
        total += (uint64_t)n;
    }
    char out[128];
    snprintf(out, sizeof out, "%llu %llu\n", (unsigned long long)total, (unsigned long long)sum);
    return weft_web_response_send_text(resp, "text/plain", out);
}

static int h_echo(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct live *l = ud;
    atomic_fetch_add(&l->calls, 1);
    const char *d;
    size_t n;
    int r = weft_web_request_read_body(req, &d, &n);
    if (r < 0)
        return r;
    const char *ct = weft_web_request_header(req, "Content-Type");
    if (ct)
        weft_web_response_set_header(resp, "Content-Type", ct);
    return weft_web_response_send(resp, d, n);
}

/* 1 MiB streamed in 4 KiB chunks (chunked). */
static int h_stream(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct live *l = ud;
    (void)req;
    atomic_fetch_add(&l->calls, 1);
    char block[4096];
    for (int i = 0; i < 256; i++) {
        memset(block, 'a' + i % 26, sizeof block);
        int r = weft_web_response_write(resp, block, sizeof block);
        if (r < 0)
            return r;
    }
    return 0;
}

static int h_slow(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct live *l = ud;
    (void)req;
    atomic_fetch_add(&l->calls, 1);
    int r = weft_sleep(WEFT_MSEC(300));
    if (r < 0)
        return r;
    return weft_web_response_send_text(resp, "text/plain", "slow\n");
}

/* The file, by sendfile: Content-Length first, then the bytes. */
static int h_file(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct live *l = ud;
    (void)req;
    atomic_fetch_add(&l->calls, 1);
    int fd = open(l->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 404;
    weft_web_response_set_header(resp, "Content-Type", "application/octet-stream");
    weft_web_response_set_content_length(resp, l->file_len);
    int r = weft_web_response_sendfile(resp, fd, 0, (size_t)l->file_len);
    close(fd);
    return r;
}

/* 200 KB of HTML-ish text, from a file (sendfile through the encoder) or
 * from memory. */
static int h_text(weft_web_request *req, weft_web_response *resp, void *ud)
{
    struct live *l = ud;
    atomic_fetch_add(&l->calls, 1);
    weft_web_response_set_header(resp, "Content-Type", "text/html");
    if (weft_web_request_query_string(req)) {
        int fd = open(l->file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 404;
        weft_web_response_set_content_length(resp, l->file_len);
        int r = weft_web_response_sendfile(resp, fd, 0, (size_t)l->file_len);
        close(fd);
        return r;
    }
    static char text[200000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "<li>an item of a long list</li>\n"[i % 32];
    return weft_web_response_send(resp, text, sizeof text);
}

static int server_main(void *arg)
{
    struct live *l = arg;
    int err = weft_web_app_new(&l->app);
    if (!err) {
        weft_web_app_get(l->app, "/", h_hello, l);
        weft_web_app_post(l->app, "/upload", h_upload, l);
        weft_web_app_add_route(l->app, "PUT", "/upload", h_upload, l);
        weft_web_app_post(l->app, "/echo", h_echo, l);
        weft_web_app_get(l->app, "/stream", h_stream, l);
        weft_web_app_get(l->app, "/slow", h_slow, l);
        weft_web_app_get(l->app, "/file", h_file, l);
        weft_web_app_get(l->app, "/text", h_text, l);
        if (l->compress)
            weft_web_app_use_compression(l->app, NULL);
        err = weft_web_server_new(NULL, l->app, &l->opts, &l->srv);
    }
    if (!err && l->tls_chain) {
        weft_tls_ctx *ctx;
        err = weft_tls_ctx_new(WEFT_TLS_SERVER, &ctx);
        if (!err) {
            err = weft_tls_ctx_load_cert_chain(ctx, l->tls_chain, l->tls_key);
            if (!err)
                err = weft_web_server_listen_tls(l->srv, "127.0.0.1", 0, NULL, ctx, NULL);
            weft_tls_ctx_free(ctx);
        }
    } else if (!err) {
        err = weft_web_server_listen(l->srv, "127.0.0.1", 0, NULL);
    }
    if (err) {
        atomic_store(&l->port, err);
        return err;
    }
    l->loop = weft_loop_current();
    atomic_store(&l->port, weft_web_server_port(l->srv));
    weft_web_server_serve_forever(l->srv);
    l->shutdown_rc = weft_web_server_shutdown(l->srv, WEFT_SEC(5));
    weft_web_server_free(l->srv);
    return 0;
}

static void *server_thread(void *arg)
{
    weft_run(server_main, arg);
    return NULL;
}

static void live_start_tls(struct live *l, const weft_web_server_opts *o, bool compress,
                           const char *chain, const char *key)
{
    memset(l, 0, sizeof *l);
    l->compress = compress;
    l->tls_chain = chain;
    l->tls_key = key;
    if (o)
        l->opts = *o;
    assert_int_equal(pthread_create(&l->th, NULL, server_thread, l), 0);
    for (int i = 0; i < 2000 && atomic_load(&l->port) == 0; i++)
        usleep(5000);
    assert_true(atomic_load(&l->port) > 0);
}

static void live_start_with(struct live *l, const weft_web_server_opts *o, bool compress)
{
    live_start_tls(l, o, compress, NULL, NULL);
}

static void live_start(struct live *l, const weft_web_server_opts *o)
{
    live_start_with(l, o, false);
}

static void close_cb(void *ud)
{
    weft_web_server_close(ud);
}

static void live_stop(struct live *l)
{
    assert_int_equal(weft_loop_call_soon_threadsafe(l->loop, close_cb, l->srv), 0);
    pthread_join(l->th, NULL);
    weft_web_app_free(l->app);
}

/* ------------------------------------------------------------ raw clients */

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void raw_send(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EPIPE)
            return; /* the server already answered and closed */
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

static void raw_send_str(int fd, const char *s)
{
    raw_send(fd, s, strlen(s));
}

/* Read until EOF (or the 10 s receive timeout); returns the length read
 * and whether the server closed (EOF or reset, not the timeout). */
static size_t raw_read_all(int fd, char *buf, size_t cap, bool *closed)
{
    size_t len = 0;
    *closed = false;
    for (;;) {
        if (len + 1 >= cap)
            break;
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r > 0) {
            len += (size_t)r;
            continue;
        }
        *closed = r == 0 || errno == ECONNRESET;
        break;
    }
    buf[len] = '\0';
    return len;
}

/* ------------------------------------------------------- child processes */

/* Run a shell command, capture its stdout (at most cap - 1 bytes), return
 * its exit status. Every command is bounded by timeout(1). */
static int run_cmd(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/weft-http-live-%d-%s", (int)getpid(), name);
    return path;
}

/* ------------------------------------------------------------------ cases */

static void curl_clients(void **state)
{
    (void)state;
    int fds0 = weft_test_count_fds();
    struct live l;
    weft_web_server_opts o = {.limits.max_body = 16u << 20};
    live_start(&l, &o);
    int port = atomic_load(&l.port);
    char cmd[2048], out[65536];

    /* GET and keep-alive reuse: three URLs, one connection. */
    snprintf(cmd, sizeof cmd,
             "timeout 20 curl -sS -w '%%{http_code} %%{num_connects}\\n' "
             "http://127.0.0.1:%d/ http://127.0.0.1:%d/ http://127.0.0.1:%d/",
             port, port, port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, "hello\n200 1\nhello\n200 0\nhello\n200 0\n");

    /* HEAD: the head of a GET, no body. */
    snprintf(cmd, sizeof cmd, "timeout 20 curl -sS -I http://127.0.0.1:%d/ | tr -d '\\r'", port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "HTTP/1.1 200 OK\n"));
    assert_non_null(strstr(out, "Content-Length: 6\n"));

    /* A chunked upload of 3 MB, and the same with Expect: 100-continue. */
    const char *file = tmp_path("upload");
    snprintf(cmd, sizeof cmd, "head -c 3000000 /dev/urandom > %s", file);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "timeout 20 python3 -c 'import sys; d=open(sys.argv[1],\"rb\").read(); s=0\n"
             "for b in d: s=(s*31+b)%%(1<<64)\n"
             "print(len(d), s)' %s",
             file);
    char want[128];
    assert_int_equal(run_cmd(cmd, want, sizeof want), 0);
    snprintf(cmd, sizeof cmd,
             "timeout 20 curl -sS -H 'Transfer-Encoding: chunked' --data-binary @%s "
             "http://127.0.0.1:%d/upload",
             file, port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, want);
    snprintf(cmd, sizeof cmd,
             "timeout 20 curl -sS -v -H 'Expect: 100-continue' -T %s "
             "http://127.0.0.1:%d/upload 2>&1 | tr -d '\\r'",
             file, port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "< HTTP/1.1 100 Continue\n"));
    assert_non_null(strstr(out, "< HTTP/1.1 200 OK\n"));
    assert_non_null(strstr(out, want));
    unlink(file);

    /* A 1 MiB chunked download. */
    snprintf(cmd, sizeof cmd,
             "timeout 20 curl -sS -D - -o /dev/null -w 'size=%%{size_download}\\n' "
             "http://127.0.0.1:%d/stream | tr -d '\\r'",
             port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "Transfer-Encoding: chunked\n"));
    assert_non_null(strstr(out, "size=1048576\n"));

    live_stop(&l);
    assert_int_equal(l.shutdown_rc, 0);
    assert_int_equal(weft_test_count_fds(), fds0);
}

static void python_clients(void **state)
{
    (void)state;
    struct live l;
    live_start(&l, NULL);
    int port = atomic_load(&l.port);
    const char *script = tmp_path("clients.py");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("import http.client, sys, requests\n"
          "port = int(sys.argv[1])\n"
          "c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)\n"
          "for i in range(20):\n"
          "    c.request('GET', '/')\n"
          "    r = c.getresponse()\n"
          "    assert r.status == 200 and r.read() == b'hello\\n'\n"
          "c.request('POST', '/echo', body=b'x' * 100000, headers={'Content-Type': 'app/x'})\n"
          "r = c.getresponse()\n"
          "assert r.status == 200 and r.getheader('Content-Type') == 'app/x'\n"
          "assert r.read() == b'x' * 100000\n"
          "c.request('GET', '/nope')\n"
          "r = c.getresponse(); assert r.status == 404, r.status; r.read()\n"
          "c.request('DELETE', '/')\n"
          "r = c.getresponse(); assert r.status == 405; assert r.getheader('Allow') == 'GET, HEAD'; r.read()\n"
          "c.close()\n"
          "s = requests.Session()\n"
          "for i in range(5):\n"
          "    r = s.get(f'http://127.0.0.1:{port}/')\n"
          "    assert r.status_code == 200 and r.text == 'hello\\n'\n"
          "r = s.post(f'http://127.0.0.1:{port}/echo', data={'a': '1', 'b': 'x y'})\n"
          "assert r.text == 'a=1&b=x+y', r.text\n"
          "r = s.get(f'http://127.0.0.1:{port}/stream', stream=True)\n"
          "assert sum(len(x) for x in r.iter_content(65536)) == 1 << 20\n"
          "def gen():\n"
          "    for i in range(100): yield b'0123456789' * 100\n"
          "r = s.post(f'http://127.0.0.1:{port}/upload', data=gen())\n"
          "assert r.text.split()[0] == '100000', r.text\n"
          "print('ok')\n",
          f);
    fclose(f);
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd, "timeout 60 python3 %s %d 2>&1", script, port);
    int rc = run_cmd(cmd, out, sizeof out);
    unlink(script);
    if (rc != 0)
        fail_msg("python clients failed: %s", out);
    assert_string_equal(out, "ok\n");
    live_stop(&l);
}

struct bad {
    const char *name;
    const char *req;
};

static void malformed_and_smuggling(void **state)
{
    (void)state;
    int fds0 = weft_test_count_fds();
    struct live l;
    live_start(&l, NULL);
    int port = atomic_load(&l.port);
    static const struct bad cases[] = {
        {"CL+TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"TE+CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"},
        {"two CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nGET /"},
        {"CL list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab"},
        {"CL sign", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"},
        {"CL neg", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"},
        {"CL hex", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n"},
        {"TE space", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"},
        {"TE xchunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"},
        {"TE chunked,identity", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"},
        {"TE twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"TE obs-fold", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"},
        {"TE vertical tab", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\x0b" "chunked\r\n\r\n0\r\n\r\n"},
        {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"},
        {"bare CR", "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n"},
        {"NUL in value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n"},
        {"space in name", "GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n"},
        {"no Host", "GET / HTTP/1.1\r\n\r\n"},
        {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
        {"bad version", "GET / HTTP/1.2\r\nHost: x\r\n\r\n"},
        {"HTTP/0.9", "GET /\r\n\r\n"},
        {"method junk", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"two spaces", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"chunk overflow", "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nx\r\n0\r\n\r\n"},
        {"chunk junk", "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n"},
        {"chunk no CRLF", "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n"},
        {"path NUL", "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"TLS hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int before = atomic_load(&l.calls);
        int fd = raw_connect(port);
        const char *r = cases[i].req;
        size_t n = strlen(r);
        if (strcmp(cases[i].name, "NUL in value") == 0)
            n = 35; /* the NUL is part of it */
        raw_send(fd, r, n);
        char buf[8192];
        bool closed;
        raw_read_all(fd, buf, sizeof buf, &closed);
        close(fd);
        int status = 0;
        sscanf(buf, "HTTP/1.1 %d", &status);
        /* Chunk errors reach the handler's body read, which answers 400. */
        bool body_case = strncmp(cases[i].name, "chunk", 5) == 0;
        if (status < 400 || status > 505 || !closed || !strstr(buf, "Connection: close\r\n"))
            fail_msg("%s: status %d, closed %d:\n%s", cases[i].name, status, closed, buf);
        if (!body_case && atomic_load(&l.calls) != before)
            fail_msg("%s reached a handler", cases[i].name);
        /* Whatever was smuggled after it never got its own answer. */
        if (strstr(buf + 12, "HTTP/1.1 "))
            fail_msg("%s: two responses:\n%s", cases[i].name, buf);
    }
    live_stop(&l);
    assert_int_equal(weft_test_count_fds(), fds0);
}

static void slowloris_cut_off(void **state)
{
    (void)state;
    weft_web_server_opts o = {.header_timeout_ns = WEFT_MSEC(800)};
    struct live l;
    live_start(&l, &o);
    int port = atomic_load(&l.port);
    int fd = raw_connect(port);
    const char *head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    uint64_t t0 = weft_test_now_ns();
    bool cut = false;
    char buf[2048];
    bool closed;
    for (int i = 0; i < 100 && !cut; i++) {
        char b = i < (int)strlen(head) ? head[i] : 'a';
        if (send(fd, &b, 1, MSG_NOSIGNAL) != 1)
            break;
        if (i == 3) {
            /* Meanwhile an honest client on another connection is served. */
            int ok = raw_connect(port);
            raw_send_str(ok, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            raw_read_all(ok, buf, sizeof buf, &closed);
            close(ok);
            assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) == 1)
            cut = true;
    }
    raw_read_all(fd, buf, sizeof buf, &closed);
    uint64_t took = weft_test_now_ns() - t0;
    close(fd);
    assert_true(closed);
    assert_non_null(strstr(buf, "HTTP/1.1 408 Request Timeout\r\n"));
    if (took < WEFT_MSEC(800) || took > WEFT_MSEC(2000))
        fail_msg("cut off after %llu ms", (unsigned long long)(took / 1000000));
    live_stop(&l);
}

static void graceful_shutdown_in_flight(void **state)
{
    (void)state;
    int fds0 = weft_test_count_fds();
    struct live l;
    live_start(&l, NULL);
    int port = atomic_load(&l.port);
    int busy = raw_connect(port), idle = raw_connect(port);
    raw_send_str(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[4096];
    assert_true(recv(idle, buf, sizeof buf, 0) > 0); /* now idle, kept alive */
    raw_send_str(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    usleep(50000); /* the request reaches the handler, which sleeps 300 ms */
    assert_int_equal(weft_loop_call_soon_threadsafe(l.loop, close_cb, l.srv), 0);
    bool closed;
    raw_read_all(busy, buf, sizeof buf, &closed);
    assert_true(closed);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_non_null(strstr(buf, "slow\n"));
    raw_read_all(idle, buf, sizeof buf, &closed);
    assert_true(closed);
    assert_int_equal(buf[0], '\0'); /* closed without a word */
    close(busy);
    close(idle);
    pthread_join(l.th, NULL);
    weft_web_app_free(l.app);
    assert_int_equal(l.shutdown_rc, 0);
    /* No longer listening. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), -1);
    close(fd);
    assert_int_equal(weft_test_count_fds(), fds0);
}

static void make_file(struct live *l, uint64_t len, uint64_t promise)
{
    snprintf(l->file, sizeof l->file, "%s", tmp_path("file"));
    int fd = open(l->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    char block[65536];
    for (uint64_t off = 0; off < len; off += sizeof block) {
        for (size_t i = 0; i < sizeof block; i++)
            block[i] = (char)((off + i) * 7 + 3);
        size_t n = len - off < sizeof block ? (size_t)(len - off) : sizeof block;
        assert_int_equal(write(fd, block, n), (ssize_t)n);
    }
    close(fd);
    l->file_len = promise;
}

static void sendfile_downloads(void **state)
{
    (void)state;
    int fds0 = weft_test_count_fds();
    struct live l;
    live_start(&l, NULL);
    int port = atomic_load(&l.port);
    make_file(&l, 8u << 20, 8u << 20);
    char cmd[1024], out[4096];
    /* Whole, and checked byte for byte. */
    snprintf(cmd, sizeof cmd,
             "timeout 30 curl -sS http://127.0.0.1:%d/file | cmp - %s && echo same", port, l.file);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, "same\n");
    /* HEAD: the length, no bytes. */
    snprintf(cmd, sizeof cmd, "timeout 30 curl -sS -I http://127.0.0.1:%d/file | tr -d '\\r'", port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "Content-Length: 8388608\n"));
    /* Clients that vanish half-way, with a reset: sendfile(2) to them must
     * not raise SIGPIPE in the server (that would kill this process). */
    for (int i = 0; i < 8; i++) {
        int fd = raw_connect(port);
        raw_send_str(fd, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
        char buf[65536];
        assert_true(recv(fd, buf, sizeof buf, 0) > 0);
        if (i % 2) {
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        } else {
            shutdown(fd, SHUT_RDWR);
        }
        close(fd);
        usleep(20000);
    }
    /* A file shorter than promised: the body is cut and the connection
     * closed, never passed off as complete. */
    make_file(&l, 100000, 200000);
    int fd = raw_connect(port);
    raw_send_str(fd, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
    static char big[400000];
    bool closed;
    size_t n = raw_read_all(fd, big, sizeof big, &closed);
    close(fd);
    assert_true(closed);
    char *body = strstr(big, "\r\n\r\n");
    assert_non_null(body);
    assert_true(n - (size_t)(body + 4 - big) < 200000);
    /* And the server still serves. */
    snprintf(cmd, sizeof cmd, "timeout 20 curl -sS http://127.0.0.1:%d/", port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, "hello\n");
    unlink(l.file);
    live_stop(&l);
    assert_int_equal(weft_test_count_fds(), fds0);
}

/* ------------------------------------------------------ memory per idle */

static int rss_server_main(void *arg)
{
    int wfd = *(int *)arg;
    weft_web_app *app;
    weft_web_server *srv;
    struct live dummy = {0};
    if (weft_web_app_new(&app) != 0)
        return 1;
    weft_web_app_get(app, "/", h_hello, &dummy);
    if (weft_web_server_new(NULL, app, NULL, &srv) != 0 ||
        weft_web_server_listen(srv, "127.0.0.1", 0, NULL) != 0)
        return 1;
    int port = weft_web_server_port(srv);
    if (write(wfd, &port, sizeof port) != sizeof port)
        return 1;
    weft_web_server_serve_forever(srv); /* until SIGKILL */
    return 0;
}

static void idle_connections_rss(void **state)
{
    (void)state;
    const int n = WEFT_SCALED(10000);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)n + 64)
        fail_msg("RLIMIT_NOFILE %llu is too low for %d connections",
                 (unsigned long long)rl.rlim_cur, n);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        _exit(weft_run(rss_server_main, &p[1]));
    }
    close(p[1]);
    int port = 0;
    assert_int_equal(read(p[0], &port, sizeof port), (ssize_t)sizeof port);
    close(p[0]);
    int *fds = calloc((size_t)n, sizeof *fds);
    char buf[1024];
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    /* Warm up: pools, stacks and the scratch buffer exist before we measure. */
    for (int i = 0; i < 64; i++) {
        fds[i] = raw_connect(port);
        raw_send(fds[i], req, sizeof req - 1);
        assert_true(recv(fds[i], buf, sizeof buf, 0) > 0);
    }
    for (int i = 0; i < 64; i++)
        close(fds[i]);
    usleep(100000);
    size_t rss0 = weft_test_rss_bytes_of(pid);
    for (int i = 0; i < n; i++) {
        fds[i] = raw_connect(port);
        raw_send(fds[i], req, sizeof req - 1);
        ssize_t r = recv(fds[i], buf, sizeof buf, 0);
        assert_true(r > 0);
        assert_non_null(strstr(buf, "200 OK"));
    }
    usleep(100000);
    size_t rss1 = weft_test_rss_bytes_of(pid);
    double per = rss1 > rss0 ? (double)(rss1 - rss0) / n : 0;
    printf("RSS %zu KiB idle, %zu KiB with %d idle keep-alive connections: %.0f bytes each\n",
           rss0 / 1024, rss1 / 1024, n, per);
    /* Every one is still open and answers again. */
    for (int i = 0; i < n; i += n / 16) {
        raw_send(fds[i], req, sizeof req - 1);
        assert_true(recv(fds[i], buf, sizeof buf, 0) > 0);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
#ifndef __SANITIZE_ADDRESS__
    /* nginx holds about 0.5 KiB per idle connection here; we want no more.
     * (ASan's allocator pads every block, so only the plain build checks.) */
    if (per > 640)
        fail_msg("%.0f bytes of RSS per idle connection", per);
#endif
}

/* ------------------------------------------------------------ compression */

static void compression_real_clients(void **state)
{
    (void)state;
    int fds0 = weft_test_count_fds();
    struct live l;
    live_start_with(&l, NULL, true);
    int port = atomic_load(&l.port);
    /* The same text as a file, for sendfile through the encoder. */
    snprintf(l.file, sizeof l.file, "%s", tmp_path("text"));
    FILE *f = fopen(l.file, "w");
    assert_non_null(f);
    for (size_t i = 0; i < 200000; i++)
        fputc("<li>an item of a long list</li>\n"[i % 32], f);
    fclose(f);
    l.file_len = 200000;
    char cmd[2048], out[4096], hdr[256], body[256];
    snprintf(hdr, sizeof hdr, "%s", tmp_path("hdr")); /* tmp_path reuses its buffer */
    snprintf(body, sizeof body, "%s", tmp_path("body"));
    const char *codings[] = {"gzip", "br", "zstd", "deflate;q=0.1, gzip;q=0.5"};
    const char *want[] = {"gzip", "br", "zstd", "gzip"};
    for (int src = 0; src < 2; src++) {
        for (int i = 0; i < 4; i++) {
            /* curl decodes what it asked for; the size it downloaded is the
             * coded one, the body it wrote the decoded one. */
            snprintf(cmd, sizeof cmd,
                     "timeout 20 curl -sS --compressed -H 'Accept-Encoding: %s' -D %s "
                     "-w '%%{size_download}\\n' -o %s 'http://127.0.0.1:%d/text%s' && "
                     "tr -d '\\r' < %s | grep -i '^content-encoding:' && "
                     "cmp %s %s && echo same",
                     codings[i], hdr, body, port, src ? "?file" : "", hdr, body, l.file);
            assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
            unsigned long coded = strtoul(out, NULL, 10);
            char line[128];
            snprintf(line, sizeof line, "\nContent-Encoding: %s\nsame\n", want[i]);
            if (!strstr(out, line) || coded == 0 || coded > 20000)
                fail_msg("%s (%s): %s", codings[i], src ? "file" : "memory", out);
        }
    }
    /* Python's requests asks for gzip and deflate and decodes them. */
    snprintf(cmd, sizeof cmd,
             "timeout 20 python3 -c 'import requests, sys\n"
             "r = requests.get(\"http://127.0.0.1:%d/text\")\n"
             "print(r.headers[\"Content-Encoding\"], len(r.content), r.text[:31])'",
             port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, "gzip 200000 <li>an item of a long list</li>\n");
    unlink(l.file);
    unlink(hdr);
    unlink(body);
    live_stop(&l);
    assert_int_equal(weft_test_count_fds(), fds0);
}

/* ------------------------------------------------------------------ TLS */

static void https_clients(void **state)
{
    (void)state;
    const char *ca = weft_test_cert("ca.pem");
    int fds0 = weft_test_count_fds();
    struct live l;
    live_start_tls(&l, NULL, true, weft_test_cert("server-chain.pem"), weft_test_cert("server.key"));
    int port = atomic_load(&l.port);
    make_file(&l, 3u << 20, 3u << 20);
    char cmd[2048], out[4096];
    /* Keep-alive over TLS. */
    snprintf(cmd, sizeof cmd,
             "timeout 20 curl -sS --cacert %s -w ' %%{num_connects}\\n' "
             "https://localhost:%d/ https://localhost:%d/",
             ca, port, port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, "hello\n 1\nhello\n 0\n");
    /* sendfile under TLS: the bytes are read and encrypted. */
    snprintf(cmd, sizeof cmd,
             "timeout 30 curl -sS --cacert %s https://localhost:%d/file | cmp - %s && echo same",
             ca, port, l.file);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, "same\n");
    /* Compressed, over TLS, from a file. */
    snprintf(cmd, sizeof cmd,
             "timeout 30 curl -sS --compressed -H 'Accept-Encoding: br' --cacert %s "
             "-w '%%{size_download}' -o /dev/null 'https://localhost:%d/text'",
             ca, port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_true(strtoul(out, NULL, 10) > 0 && strtoul(out, NULL, 10) < 20000);
    unlink(l.file);
    live_stop(&l);
    assert_int_equal(weft_test_count_fds(), fds0);
}

/* ------------------------------------------------------------ run_app */

struct run_ctx {
    weft_web_app *app;
    atomic_int port;
    int rc;
    weft_web_run_opts o;
};

static void on_ready(weft_web_server *srv, void *ud)
{
    struct run_ctx *r = ud;
    atomic_store(&r->port, weft_web_server_port(srv));
}

static void *run_thread(void *arg)
{
    struct run_ctx *r = arg;
    r->rc = weft_web_run_app(r->app, &r->o);
    return NULL;
}

static int busy_main(void *arg)
{
    return weft_web_run_app(arg, NULL);
}

static void run_app_workers_and_stop(void **state)
{
    (void)state;
    int fds0 = weft_test_count_fds();
    struct live dummy = {0};
    struct run_ctx r = {0};
    assert_int_equal(weft_web_app_new(&r.app), 0);
    assert_int_equal(weft_web_app_get(r.app, "/", h_hello, &dummy), 0);
    r.o = (weft_web_run_opts){.host = "127.0.0.1", .workers = 3, .no_signals = true,
                               .on_ready = on_ready, .ud = &r};
    assert_int_equal(weft_web_run_stop(), -ESRCH);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_thread, &r), 0);
    for (int i = 0; i < 2000 && !atomic_load(&r.port); i++)
        usleep(5000);
    int port = atomic_load(&r.port);
    assert_true(port > 0);
    /* 30 connections spread over the workers; all answered. */
    char cmd[512], out[4096];
    snprintf(cmd, sizeof cmd,
             "for i in $(seq 30); do timeout 10 curl -sS http://127.0.0.1:%d/ || exit 1; done "
             "| grep -c hello",
             port);
    assert_int_equal(run_cmd(cmd, out, sizeof out), 0);
    assert_string_equal(out, "30\n");
    assert_int_equal(atomic_load(&dummy.calls), 30);
    assert_int_equal(weft_web_run_stop(), 0);
    pthread_join(th, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(weft_web_run_stop(), -ESRCH);
    /* Not from inside a loop. */
    assert_int_equal(weft_run(busy_main, r.app), -EBUSY);
    weft_web_app_free(r.app);
    assert_int_equal(weft_test_count_fds(), fds0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(curl_clients),
    cmocka_unit_test(python_clients),
    cmocka_unit_test(malformed_and_smuggling),
    cmocka_unit_test(slowloris_cut_off),
    cmocka_unit_test(graceful_shutdown_in_flight),
    cmocka_unit_test(idle_connections_rss),
    cmocka_unit_test(sendfile_downloads),
    cmocka_unit_test(run_app_workers_and_stop),
    cmocka_unit_test(compression_real_clients),
    cmocka_unit_test(https_clients),
};

WEFT_TEST_MAIN(tests)
