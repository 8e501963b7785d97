/* TLS transports over real loopback sockets and memory pairs, weft on both
 * ends: streams, a protocol server, start_tls, bulk data with SHA-256,
 * resumption, verification errors, truncation (no close_notify). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "weft.h"
#include "weft_test.h"
#include "weft_test_tls.h"

static weft_tls_ctx *client_ctx(void)
{
    weft_tls_ctx *c;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_CLIENT, &c), 0);
    assert_int_equal(weft_tls_ctx_clear_default_verify_paths(c), 0);
    assert_int_equal(weft_tls_ctx_load_verify_locations(c, weft_test_cert("ca.pem"), NULL), 0);
    return c;
}

static weft_tls_ctx *server_ctx_with(const char *chain, const char *key)
{
    weft_tls_ctx *s;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_SERVER, &s), 0);
    assert_int_equal(weft_tls_ctx_load_cert_chain(s, weft_test_cert(chain), weft_test_cert(key)), 0);
    return s;
}

static weft_tls_ctx *server_ctx(void)
{
    return server_ctx_with("server-chain.pem", "server.key");
}

/* --------------------------------------------------------- echo server */

static int echo_handler(weft_stream *s, void *ud)
{
    char buf[16384];
    for (;;) {
        int n = weft_stream_read(s, buf, sizeof buf);
        if (n <= 0)
            return n;
        if (weft_stream_write(s, buf, (size_t)n) < 0 || weft_stream_drain(s) < 0)
            return -1;
    }
}

struct echo_env {
    weft_tls_ctx *sctx, *cctx;
    weft_server *srv;
    int port;
};

static void echo_env_open(struct echo_env *e)
{
    e->sctx = server_ctx();
    e->cctx = client_ctx();
    assert_int_equal(weft_tls_stream_server_open(NULL, "127.0.0.1", 0, NULL, e->sctx, NULL,
                                                 echo_handler, NULL, &e->srv), 0);
    e->port = weft_server_port(e->srv);
    assert_true(e->port > 0);
}

static void echo_env_close(struct echo_env *e)
{
    assert_int_equal(weft_server_shutdown(e->srv, WEFT_SEC(5)), 0);
    weft_server_free(e->srv);
    weft_tls_ctx_free(e->sctx);
    weft_tls_ctx_free(e->cctx);
}

static int stream_echo_main(void *arg)
{
    int fds0 = weft_test_count_fds();
    struct echo_env e;
    echo_env_open(&e);
    assert_int_equal(weft_tls_ctx_set_alpn(e.sctx, "echo/1,h2"), 0);
    assert_int_equal(weft_tls_ctx_set_alpn(e.cctx, "h2,echo/1"), 0);
    for (int round = 0; round < 2; round++) {
        weft_stream *s;
        int r = weft_tls_open_connection("localhost", (uint16_t)e.port, NULL, e.cctx, NULL, NULL, &s);
        if (r)
            fail_msg("open_connection: %s: %s", weft_strerror(r), weft_tls_ctx_errdetail(e.cctx));
        weft_tls *t = weft_stream_tls(s);
        assert_non_null(t);
        assert_string_equal(weft_tls_alpn(t), "echo/1");
        assert_string_equal(weft_transport_kind(weft_stream_transport(s)), "tls");
        assert_true(weft_transport_fd(weft_stream_transport(s)) >= 0);
        assert_int_equal(weft_stream_write(s, "hello\n", 6), 0);
        char line[64];
        assert_int_equal(weft_stream_readline(s, line, sizeof line), 6);
        assert_memory_equal(line, "hello\n", 6);
        /* The second connection resumes the first one's session (the
         * tickets came with the first read). */
        assert_int_equal(weft_tls_session_reused(t), round == 1);
        /* No sendfile through TLS: the stream copies instead. */
        char path[] = "/tmp/weft-tls-sf-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(write(fd, "file data\n", 10), 10);
        assert_int_equal(weft_stream_sendfile(s, fd, 0, 10), 10);
        close(fd);
        assert_int_equal(weft_stream_readline(s, line, sizeof line), 10);
        assert_memory_equal(line, "file data\n", 10);
        assert_int_equal(weft_stream_close(s), 0);
    }
    echo_env_close(&e);
    assert_int_equal(weft_test_count_fds(), fds0);
    return 0;
}

static void stream_echo_alpn_resumption_sendfile(void **state)
{
    assert_int_equal(weft_run(stream_echo_main, NULL), 0);
}

/* ------------------------------------------------------------- bulk data */

struct bulk {
    size_t n;
    unsigned char digest[32];
};

static void fill(unsigned char *p, size_t len, size_t off)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)((off + i) * 2654435761u >> 13);
}

static int sink_handler(weft_stream *s, void *ud)
{
    struct bulk *b = ud;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    char *buf = malloc(65536);
    int n;
    while ((n = weft_stream_read(s, buf, 65536)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)n);
        b->n += (size_t)n;
    }
    EVP_DigestFinal_ex(md, b->digest, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    return n;
}

static int bulk_main(void *arg)
{
    weft_tls_ctx *sctx = server_ctx(), *cctx = client_ctx();
    struct bulk got = {0};
    weft_server *srv;
    assert_int_equal(weft_tls_stream_server_open(NULL, "127.0.0.1", 0, NULL, sctx, NULL,
                                                 sink_handler, &got, &srv), 0);
    weft_stream *s;
    assert_int_equal(weft_tls_open_connection("127.0.0.1", (uint16_t)weft_server_port(srv), NULL,
                                              cctx, NULL, NULL, &s), 0);
    size_t total = WEFT_SCALED((size_t)100 << 20), chunk = 256 * 1024, off = 0;
    unsigned char *buf = malloc(chunk), want[32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    while (off < total) {
        size_t n = total - off < chunk ? total - off : chunk;
        fill(buf, n, off);
        EVP_DigestUpdate(md, buf, n);
        assert_int_equal(weft_stream_write(s, buf, n), 0);
        assert_int_equal(weft_stream_drain(s), 0);
        off += n;
    }
    EVP_DigestFinal_ex(md, want, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    /* The sink learns the end from our close_notify. */
    assert_int_equal(weft_stream_close(s), 0);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(10)), 0);
    assert_int_equal(got.n, total);
    assert_memory_equal(got.digest, want, 32);
    weft_server_free(srv);
    weft_tls_ctx_free(sctx);
    weft_tls_ctx_free(cctx);
    return 0;
}

static void bulk_100mb_sha256(void **state)
{
    assert_int_equal(weft_run(bulk_main, NULL), 0);
}

/* ----------------------------------------------------------- start_tls */

struct starttls_env {
    weft_tls_ctx *sctx;
    int server_result;
};

static int starttls_handler(weft_stream *s, void *ud)
{
    struct starttls_env *e = ud;
    char line[64];
    int n = weft_stream_readline(s, line, sizeof line);
    if (n != 10 || memcmp(line, "STARTTLS\r\n", 10) != 0)
        return e->server_result = -1;
    weft_stream_write(s, "220 go\r\n", 8);
    weft_stream_drain(s);
    int r = weft_tls_start_tls(s, e->sctx, NULL, NULL);
    if (r)
        return e->server_result = r;
    if (!weft_stream_tls(s))
        return e->server_result = -2;
    n = weft_stream_readline(s, line, sizeof line);
    weft_stream_write(s, line, (size_t)n);
    weft_stream_drain(s);
    return e->server_result = 1;
}

static int starttls_main(void *arg)
{
    struct starttls_env e = { server_ctx(), 0 };
    weft_tls_ctx *cctx = client_ctx();
    weft_server *srv;
    assert_int_equal(weft_stream_server_open(NULL, "127.0.0.1", 0, NULL, starttls_handler, &e, &srv), 0);
    weft_stream *s;
    assert_int_equal(weft_stream_open_connection("127.0.0.1", (uint16_t)weft_server_port(srv), NULL, &s), 0);
    assert_int_equal(weft_stream_write(s, "STARTTLS\r\n", 10), 0);
    char line[64];
    assert_int_equal(weft_stream_readline(s, line, sizeof line), 8);
    assert_null(weft_stream_tls(s));
    assert_int_equal(weft_tls_start_tls(s, cctx, "localhost", NULL), 0);
    assert_non_null(weft_stream_tls(s));
    assert_true(weft_tls_peer_verified(weft_stream_tls(s)));
    assert_int_equal(weft_stream_write(s, "secret\n", 7), 0);
    assert_int_equal(weft_stream_readline(s, line, sizeof line), 7);
    assert_memory_equal(line, "secret\n", 7);
    assert_int_equal(weft_stream_read(s, line, sizeof line), 0); /* close_notify */
    assert_int_equal(weft_stream_close(s), 0);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    assert_int_equal(e.server_result, 1);
    weft_server_free(srv);
    weft_tls_ctx_free(e.sctx);
    weft_tls_ctx_free(cctx);
    return 0;
}

static void start_tls_both_sides(void **state)
{
    assert_int_equal(weft_run(starttls_main, NULL), 0);
}

/* ------------------------------------------------------ verification */

static int verify_main(void *arg)
{
    struct { const char *chain, *key, *host; int err; const char *detail; } cases[] = {
        { "expired-chain.pem", "expired.key", "localhost", WEFT_ETLS_VERIFY, "certificate has expired" },
        { "self.pem", "self.key", "localhost", WEFT_ETLS_VERIFY, "self-signed certificate" },
        { "wronghost-chain.pem", "wronghost.key", "localhost", WEFT_ETLS_VERIFY, "hostname mismatch" },
        { "ipsan-chain.pem", "ipsan.key", "127.0.0.1", 0, NULL },
        { "server-chain.pem", "server.key", "127.0.0.1", 0, NULL },
    };
    weft_tls_ctx *cctx = client_ctx();
    int fds0 = weft_test_count_fds();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        weft_tls_ctx *sctx = server_ctx_with(cases[i].chain, cases[i].key);
        weft_server *srv;
        assert_int_equal(weft_tls_stream_server_open(NULL, "127.0.0.1", 0, NULL, sctx, NULL,
                                                     echo_handler, NULL, &srv), 0);
        weft_stream *s = NULL;
        int r = weft_tls_open_connection(cases[i].host, (uint16_t)weft_server_port(srv), NULL, cctx,
                                         NULL, NULL, &s);
        assert_int_equal(r, cases[i].err);
        if (r) {
            assert_null(s);
            if (!strstr(weft_tls_ctx_errdetail(cctx), cases[i].detail))
                fail_msg("case %zu: '%s'", i, weft_tls_ctx_errdetail(cctx));
        } else {
            assert_int_equal(weft_stream_close(s), 0);
        }
        assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
        weft_server_free(srv);
        weft_tls_ctx_free(sctx);
    }
    weft_tls_ctx_free(cctx);
    assert_int_equal(weft_test_count_fds(), fds0);
    return 0;
}

static void verification_errors_over_sockets(void **state)
{
    assert_int_equal(weft_run(verify_main, NULL), 0);
}

/* ------------------------------------------- truncation, memory pairs */

struct side {
    weft_transport *t;
    int status;
    int lost;
    bool lost_called;
    char data[64];
    size_t n;
};

static void side_done(weft_transport *t, int status, void *ud)
{
    struct side *sd = ud;
    sd->status = status;
    sd->t = status == 0 ? t : NULL;
}

static void p_data(weft_transport *t, const void *d, size_t len, void *ud)
{
    struct side *sd = ud;
    memcpy(sd->data + sd->n, d, len);
    sd->n += len;
}

static void p_lost(weft_transport *t, int err, void *ud)
{
    struct side *sd = ud;
    sd->lost = err;
    sd->lost_called = true;
}

static const weft_protocol recorder = { .data_received = p_data, .connection_lost = p_lost };

static void no_close_notify_is_reported(void **state)
{
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    weft_tls_ctx *sctx = server_ctx(), *cctx = client_ctx();
    weft_transport *a, *b;
    assert_int_equal(weft_memory_pair_open(loop, NULL, NULL, NULL, NULL, NULL, &a, &b), 0);
    struct side c = {0}, s = {0};
    c.status = s.status = 1;
    assert_int_equal(weft_tls_wrap(a, cctx, "localhost", NULL, &recorder, &c, side_done, &c, NULL), 0);
    assert_int_equal(weft_tls_wrap(b, sctx, NULL, NULL, &recorder, &s, side_done, &s, NULL), 0);
    while (c.status == 1 || s.status == 1)
        weft_loop_run_once(loop, WEFT_SEC(1));
    assert_int_equal(c.status, 0);
    assert_int_equal(s.status, 0);
    assert_int_equal(weft_transport_write(s.t, "last words", 10), 0);
    weft_loop_run_once(loop, 0);
    weft_loop_run_once(loop, 0);
    /* The server's TCP side goes away without a close_notify. */
    weft_transport_close(b);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(c.n, 10);
    assert_memory_equal(c.data, "last words", 10);
    assert_true(c.lost_called);
    assert_int_equal(c.lost, WEFT_ETLS_NO_CLOSE_NOTIFY);
    assert_true(s.lost_called);
    assert_int_equal(weft_loop_close(loop), 0);
    weft_tls_ctx_free(sctx);
    weft_tls_ctx_free(cctx);
}

static void handshake_failure_reaches_done_cb(void **state)
{
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    weft_tls_ctx *sctx = server_ctx_with("expired-chain.pem", "expired.key"), *cctx = client_ctx();
    weft_transport *a, *b;
    assert_int_equal(weft_memory_pair_open(loop, NULL, NULL, NULL, NULL, NULL, &a, &b), 0);
    struct side c = {0}, s = {0};
    c.status = s.status = 1;
    assert_int_equal(weft_tls_wrap(a, cctx, "localhost", NULL, &recorder, &c, side_done, &c, NULL), 0);
    assert_int_equal(weft_tls_wrap(b, sctx, NULL, NULL, &recorder, &s, side_done, &s, NULL), 0);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(c.status, WEFT_ETLS_VERIFY);
    assert_non_null(strstr(weft_tls_ctx_errdetail(cctx), "certificate has expired"));
    assert_int_equal(s.status, WEFT_ETLS_HANDSHAKE);
    assert_false(c.lost_called);
    assert_int_equal(weft_loop_close(loop), 0);
    weft_tls_ctx_free(sctx);
    weft_tls_ctx_free(cctx);
}

/* ------------------------------------ over Unix sockets, over TLS, CA folders */

struct wrap_wait {
    weft_future *f;
    weft_transport *t;
};

static void wrap_done(weft_transport *t, int status, void *ud)
{
    struct wrap_wait *w = ud;
    w->t = status == 0 ? t : NULL;
    weft_future_set_result(w->f, status, NULL);
}

/* @suspends. Handshake over the connected pair a (client) / b (server), both
 * without a protocol yet; returns the client's status and the two TLS
 * transports (still without a protocol). */
static int tls_pair(weft_transport *a, weft_transport *b, weft_tls_ctx *cctx,
                    weft_tls_ctx *sctx, weft_transport **ta, weft_transport **tb)
{
    struct wrap_wait wc = {0}, ws = {0};
    assert_int_equal(weft_future_new(NULL, &wc.f), 0);
    assert_int_equal(weft_future_new(NULL, &ws.f), 0);
    assert_int_equal(weft_tls_wrap(a, cctx, "localhost", NULL, NULL, NULL, wrap_done, &wc, NULL), 0);
    assert_int_equal(weft_tls_wrap(b, sctx, NULL, NULL, NULL, NULL, wrap_done, &ws, NULL), 0);
    int rc = weft_future_await(wc.f, NULL);
    int rs = weft_future_await(ws.f, NULL);
    weft_future_unref(wc.f);
    weft_future_unref(ws.f);
    if (rc == 0)
        assert_int_equal(rs, 0);
    *ta = wc.t;
    *tb = ws.t;
    return rc;
}

static void digest(const void *p, size_t n, unsigned char out[32])
{
    EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

/* The server side: read n bytes, answer their SHA-256, then wait for EOF. */
static int digest_server(void *arg)
{
    weft_stream *s = arg;
    size_t n = WEFT_SCALED((size_t)4 << 20);
    unsigned char *buf = malloc(n), d[32];
    assert_int_equal(weft_stream_readexactly(s, buf, n), (int)n);
    digest(buf, n, d);
    free(buf);
    assert_int_equal(weft_stream_write(s, d, 32), 0);
    char c;
    assert_int_equal(weft_stream_read(s, &c, 1), 0); /* the client's close_notify */
    return weft_stream_close(s);
}

/* Send 4 MiB from a to b, check the digest that comes back, close both. */
static void digest_round(weft_transport *ta, weft_transport *tb)
{
    weft_stream *sa, *sb;
    assert_int_equal(weft_stream_attach(ta, &sa), 0);
    assert_int_equal(weft_stream_attach(tb, &sb), 0);
    weft_task *srv;
    assert_int_equal(weft_task_spawn(NULL, digest_server, sb, &srv), 0);
    size_t n = WEFT_SCALED((size_t)4 << 20);
    unsigned char *buf = malloc(n), want[32], got[32];
    fill(buf, n, 7);
    digest(buf, n, want);
    assert_int_equal(weft_stream_write(sa, buf, n), 0);
    assert_int_equal(weft_stream_drain(sa), 0);
    free(buf);
    assert_int_equal(weft_stream_readexactly(sa, got, 32), 32);
    assert_memory_equal(got, want, 32);
    assert_int_equal(weft_stream_close(sa), 0);
    assert_int_equal(weft_task_join(srv), 0);
}

static int layered_main(void *arg)
{
    int fds0 = weft_test_count_fds();
    weft_tls_ctx *sctx = server_ctx(), *cctx = client_ctx();
    weft_transport *a, *b, *ta, *tb, *tta, *ttb;
    /* TLS over a Unix stream socket pair. */
    assert_int_equal(weft_socketpair_open(weft_loop_current(), NULL, NULL, NULL, NULL, &a, &b), 0);
    assert_string_equal(weft_transport_kind(a), "unix");
    assert_int_equal(tls_pair(a, b, cctx, sctx, &ta, &tb), 0);
    assert_string_equal(weft_tls_version(weft_transport_tls(ta)), "TLSv1.3");
    digest_round(ta, tb);
    /* TLS inside TLS (what a CONNECT tunnel through an HTTPS proxy is). */
    assert_int_equal(weft_socketpair_open(weft_loop_current(), NULL, NULL, NULL, NULL, &a, &b), 0);
    assert_int_equal(tls_pair(a, b, cctx, sctx, &ta, &tb), 0);
    assert_int_equal(tls_pair(ta, tb, cctx, sctx, &tta, &ttb), 0);
    assert_string_equal(weft_transport_kind(tta), "tls");
    digest_round(tta, ttb);
    weft_tls_ctx_free(sctx);
    weft_tls_ctx_free(cctx);
    assert_int_equal(weft_test_count_fds(), fds0);
    return 0;
}

static void over_unix_sockets_and_over_tls(void **state)
{
    assert_int_equal(weft_run(layered_main, NULL), 0);
}

/* A client trusting a c_rehash folder ("<subject hash>.0" -> the CA). */
static int ca_folder_main(void *arg)
{
    char dir[] = "/tmp/weft-capath-XXXXXX", link[64];
    assert_non_null(mkdtemp(dir));
    FILE *f = fopen(weft_test_cert("ca.pem"), "r");
    assert_non_null(f);
    X509 *ca = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(ca);
    snprintf(link, sizeof link, "%s/%08lx.0", dir, X509_subject_name_hash(ca));
    X509_free(ca);
    weft_tls_ctx *sctx = server_ctx();
    for (int round = 0; round < 2; round++) {
        /* Round 0: the folder is empty, so nothing is trusted. */
        if (round == 1)
            assert_int_equal(symlink(weft_test_cert("ca.pem"), link), 0);
        weft_tls_ctx *cctx;
        assert_int_equal(weft_tls_ctx_new(WEFT_TLS_CLIENT, &cctx), 0);
        assert_int_equal(weft_tls_ctx_clear_default_verify_paths(cctx), 0);
        assert_int_equal(weft_tls_ctx_load_verify_locations(cctx, NULL, dir), 0);
        weft_transport *a, *b, *ta, *tb;
        assert_int_equal(weft_memory_pair_open(weft_loop_current(), NULL, NULL, NULL, NULL, NULL,
                                               &a, &b), 0);
        int r = tls_pair(a, b, cctx, sctx, &ta, &tb);
        if (round == 0) {
            assert_int_equal(r, WEFT_ETLS_VERIFY);
            assert_non_null(strstr(weft_tls_ctx_errdetail(cctx), "unable to get local issuer"));
        } else {
            assert_int_equal(r, 0);
            assert_true(weft_tls_peer_verified(weft_transport_tls(ta)));
            weft_transport_close(ta);
            weft_transport_close(tb);
        }
        weft_tls_ctx_free(cctx);
        /* Let the closes (or the failed handshake's ends) finish. */
        for (int i = 0; i < 20; i++)
            weft_yield();
    }
    weft_tls_ctx_free(sctx);
    unlink(link);
    assert_int_equal(rmdir(dir), 0);
    return 0;
}

static void ca_folder_is_trusted(void **state)
{
    assert_int_equal(weft_run(ca_folder_main, NULL), 0);
}

/* ------------------------------------------- failed handshakes, server side */

struct hs_log {
    int n;
    int err[4];
    char detail[4][256];
    int port[4];            /* the peer's port, as the hook saw it */
    int accepted;           /* the factory ran */
    weft_future *done;      /* set after the second failure */
};

static void hs_failed(weft_transport *t, int err, const char *detail, void *ud)
{
    struct hs_log *l = ud;
    assert_true(l->n < 4);
    assert_non_null(weft_transport_tls(t));
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    l->port[l->n] = weft_transport_peername(t, &ss, &len) == 0
                        ? weft_addr_port((struct sockaddr *)&ss) : -1;
    l->err[l->n] = err;
    snprintf(l->detail[l->n], sizeof l->detail[0], "%s", detail);
    if (++l->n == 2)
        weft_future_set_result(l->done, 0, NULL);
}

static const weft_protocol *hs_factory(weft_server *srv, weft_transport *t, void *ud,
                                       void **pud)
{
    ((struct hs_log *)ud)->accepted++;
    return NULL;
}

static int local_port(weft_stream *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(weft_stream_sockname(s, &ss, &len), 0);
    return weft_addr_port((struct sockaddr *)&ss);
}

static int hs_hook_main(void *arg)
{
    int fds0 = weft_test_count_fds();
    weft_tls_ctx *sctx = server_ctx();
    struct hs_log l = {0};
    assert_int_equal(weft_future_new(NULL, &l.done), 0);
    weft_tls_opts o = {
        .handshake_timeout_ns = WEFT_MSEC(200),
        .handshake_failed = hs_failed,
        .handshake_failed_ud = &l,
    };
    weft_server *srv;
    assert_int_equal(weft_tls_server_open(NULL, "127.0.0.1", 0, NULL, sctx, &o, hs_factory, &l,
                                          &srv), 0);
    uint16_t port = (uint16_t)weft_server_port(srv);
    /* Plain text to the TLS port: not a ClientHello. */
    weft_stream *plain, *silent;
    assert_int_equal(weft_stream_open_connection("127.0.0.1", port, NULL, &plain), 0);
    assert_int_equal(weft_stream_write(plain, "GET / HTTP/1.0\r\n\r\n", 18), 0);
    /* And a client that says nothing: the handshake timeout ends it. */
    assert_int_equal(weft_stream_open_connection("127.0.0.1", port, NULL, &silent), 0);
    int plain_port = local_port(plain), silent_port = local_port(silent);
    int scope = weft_timeout_push(WEFT_SEC(10));
    assert_int_equal(weft_future_await(l.done, NULL), 0);
    weft_timeout_pop(scope);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.accepted, 0);
    int ip = l.port[0] == plain_port ? 0 : 1, is = 1 - ip;
    assert_int_equal(l.port[ip], plain_port);
    assert_true(l.err[ip] == WEFT_ETLS_HANDSHAKE || l.err[ip] == WEFT_ETLS_PROTOCOL);
    assert_true(strlen(l.detail[ip]) > 0);
    assert_int_equal(l.port[is], silent_port);
    assert_int_equal(l.err[is], -ETIMEDOUT);
    assert_string_equal(l.detail[is], "the TLS handshake timed out");
    /* Both clients see the server hang up (the plain one maybe after an
     * alert record, or with a reset since its request was never read). */
    char buf[64];
    int r;
    scope = weft_timeout_push(WEFT_SEC(10));
    while ((r = weft_stream_read(plain, buf, sizeof buf)) > 0)
        ;
    assert_true(r == 0 || r == -ECONNRESET);
    assert_int_equal(weft_stream_read(silent, buf, sizeof buf), 0);
    assert_false(weft_timeout_pop(scope));
    weft_stream_close(plain);
    weft_stream_close(silent);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    weft_server_free(srv);
    weft_future_unref(l.done);
    weft_tls_ctx_free(sctx);
    assert_int_equal(weft_test_count_fds(), fds0);
    return 0;
}

static void server_reports_failed_handshakes(void **state)
{
    assert_int_equal(weft_run(hs_hook_main, NULL), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(stream_echo_alpn_resumption_sendfile),
    cmocka_unit_test(bulk_100mb_sha256),
    cmocka_unit_test(start_tls_both_sides),
    cmocka_unit_test(verification_errors_over_sockets),
    cmocka_unit_test(no_close_notify_is_reported),
    cmocka_unit_test(handshake_failure_reaches_done_cb),
    cmocka_unit_test(server_reports_failed_handshakes),
    cmocka_unit_test(over_unix_sockets_and_over_tls),
    cmocka_unit_test(ca_folder_is_trusted),
};

WEFT_TEST_MAIN(tests)
