/* TLS against real peers: `openssl s_server` as the server for weft's
 * client, `openssl s_client` as the client of weft's server. Each peer is
 * started by the test on a free loopback port (s_server -accept :0 reports
 * it), killed by PID and waited for, every wait bounded. Certificates are
 * made at test time (tests/lib/mkcerts.sh). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "weft.h"
#include "weft_test.h"
#include "weft_test_tls.h"

/* ---------------------------------------------------------- processes */

struct peer {
    pid_t pid;
    int port;
    char out[256];   /* its stdout + stderr */
};

/* Run argv (openssl ...) in the certificate folder, stdin from in_path (or
 * /dev/null; or, for DELAYED_EOF, a pipe that ends after half a second, so
 * that s_client stays long enough to read the server's session tickets and
 * alerts), stdout and stderr to p->out. stdbuf makes its stdout unbuffered
 * so that s_server's "ACCEPT host:port" line shows at once. */
#define DELAYED_EOF "<delayed eof>"
static void peer_spawn(struct peer *p, const char *const *argv, const char *in_path)
{
    static int seq;
    snprintf(p->out, sizeof p->out, "%s/peer-%d-%d.out", weft_test_certs(), (int)getpid(), seq++);
    p->port = 0;
    const char *dir = weft_test_certs();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        bool delayed = in_path && strcmp(in_path, DELAYED_EOF) == 0;
        int in = open(in_path && !delayed ? in_path : "/dev/null", O_RDONLY);
        int out = open(p->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        const char *args[64] = { "sh", "-c", "exec stdbuf -o0 openssl \"$@\"", "sh" };
        int n = 4;
        if (delayed)
            args[2] = "sleep 0.5 | stdbuf -o0 openssl \"$@\"";
        for (int i = 0; argv[i] && n < 63; i++)
            args[n++] = argv[i];
        args[n] = NULL;
        execvp("sh", (char *const *)args);
        _exit(127);
    }
    p->pid = pid;
}

static bool output_has(const struct peer *p, const char *needle)
{
    FILE *f = fopen(p->out, "r");
    if (!f)
        return false;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

/* s_server on 127.0.0.1, a free port; waits (<= 10 s) for it to listen. */
static void server_start(struct peer *p, const char *const *args)
{
    /* s_server sends only the leaf of -cert: the intermediate goes with
     * -cert_chain (a self-signed leaf ignores it). */
    const char *argv[48] = { "s_server", "-accept", "127.0.0.1:0", "-cert_chain", "inter.pem" };
    int n = 5;
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    peer_spawn(p, argv, NULL);
    for (int i = 0; i < 1000 && !p->port; i++) {
        FILE *f = fopen(p->out, "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (strchr(line, '\n') && sscanf(line, "ACCEPT 127.0.0.1:%d", &p->port) == 1)
                break;
        if (f)
            fclose(f);
        if (!p->port)
            weft_test_nap_ms(10);
    }
    if (!p->port)
        fail_msg("openssl s_server did not start (see %s)", p->out);
}

/* Wait for the peer to exit, at most timeout_ms; then kill it. Returns its
 * exit status, or -1 if it had to be killed. */
static int peer_wait(struct peer *p, int timeout_ms)
{
    int st;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        if (waitpid(p->pid, &st, WNOHANG) == p->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        weft_test_nap_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
    return -1;
}

static void peer_stop(struct peer *p)
{
    kill(p->pid, SIGTERM);
    if (peer_wait(p, 3000) == -1)
        fprintf(stderr, "peer %d needed SIGKILL\n", (int)p->pid);
    unlink(p->out);
}

/* peer_wait on the executor, so the loop goes on serving the peer. */
struct wait_job {
    struct peer *p;
    int timeout_ms;
};

static int wait_job_fn(void *arg)
{
    struct wait_job *j = arg;
    return peer_wait(j->p, j->timeout_ms);
}

static int peer_wait_async(struct peer *p, int timeout_ms)
{
    struct wait_job j = { p, timeout_ms };
    int r = weft_run_in_executor(wait_job_fn, &j);
    if (r != 0) { /* show what the peer said */
        char cmd[300];
        snprintf(cmd, sizeof cmd, "tail -n 20 '%s' >&2", p->out);
        if (system(cmd) != 0)
            fprintf(stderr, "(no output)\n");
    }
    return r;
}

/* ------------------------------------------------------------ helpers */

static weft_tls_ctx *client_ctx(void)
{
    weft_tls_ctx *c;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_CLIENT, &c), 0);
    assert_int_equal(weft_tls_ctx_clear_default_verify_paths(c), 0);
    assert_int_equal(weft_tls_ctx_load_verify_locations(c, weft_test_cert("ca.pem"), NULL), 0);
    return c;
}

static weft_tls_ctx *server_ctx(void)
{
    weft_tls_ctx *s;
    assert_int_equal(weft_tls_ctx_new(WEFT_TLS_SERVER, &s), 0);
    assert_int_equal(weft_tls_ctx_load_cert_chain(s, weft_test_cert("server-chain.pem"),
                                                  weft_test_cert("server.key")), 0);
    return s;
}

static void fill(unsigned char *p, size_t len, size_t off)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)((off + i) * 2654435761u >> 13);
}

/* Write a file of n pattern bytes; its SHA-256 into digest. */
static void make_file(const char *path, size_t n, unsigned char digest[32])
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 20);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t off = 0; off < n;) {
        size_t k = n - off < (1u << 20) ? n - off : (1u << 20);
        fill(buf, k, off);
        EVP_DigestUpdate(md, buf, k);
        assert_int_equal(fwrite(buf, 1, k, f), k);
        off += k;
    }
    EVP_DigestFinal_ex(md, digest, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    fclose(f);
}

/* GET path over a fresh TLS connection; the body's SHA-256 and length.
 * Returns 0, or the error of the connection or of the read. */
static int https_get(int port, weft_tls_ctx *ctx, const char *host, const char *path,
                     unsigned char digest[32], size_t *body_len, weft_stream **keep)
{
    weft_stream *s;
    int r = weft_tls_open_connection("127.0.0.1", (uint16_t)port, NULL, ctx, host, NULL, &s);
    if (r)
        return r;
    char req[256];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
    assert_int_equal(weft_stream_write(s, req, (size_t)len), 0);
    char line[1024];
    /* Status line and headers. */
    do {
        r = weft_stream_readline(s, line, sizeof line);
        if (r <= 0) {
            weft_stream_close(s);
            return r < 0 ? r : -EPROTO;
        }
    } while (!(r == 2 && line[0] == '\r') && !(r == 1));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    char *buf = malloc(65536);
    size_t total = 0;
    while ((r = weft_stream_read(s, buf, 65536)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)r);
        total += (size_t)r;
    }
    EVP_DigestFinal_ex(md, digest, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    *body_len = total;
    if (keep) {
        *keep = s;
    } else {
        weft_stream_close(s);
    }
    return r;
}

/* ======================================== weft client vs openssl s_server */

static int download_main(void *arg)
{
    size_t n = WEFT_SCALED((size_t)100 << 20);
    unsigned char want[32], got[32];
    char path[256];
    snprintf(path, sizeof path, "%s/big.bin", weft_test_certs());
    make_file(path, n, want);
    struct peer p;
    const char *args[] = { "-cert", "server-chain.pem", "-key", "server.key", "-WWW", NULL };
    server_start(&p, args);
    weft_tls_ctx *cc = client_ctx();
    size_t len = 0;
    uint64_t t0 = weft_test_now_ns();
    int r = https_get(p.port, cc, "localhost", "/big.bin", got, &len, NULL);
    double secs = (double)(weft_test_now_ns() - t0) / 1e9;
    fprintf(stderr, "%zu MB in %.2f s\n", n >> 20, secs);
    /* s_server ends with close_notify: a clean end. */
    assert_int_equal(r, 0);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, 32);
    peer_stop(&p);
    unlink(path);
    weft_tls_ctx_free(cc);
    return 0;
}

static void client_downloads_100mb_from_s_server(void **state)
{
    assert_int_equal(weft_run(download_main, NULL), 0);
}

static int alpn_resume_main(void *arg)
{
    struct peer p;
    const char *args[] = { "-cert", "server-chain.pem", "-key", "server.key", "-www",
                           "-alpn", "h2,http/1.1", NULL };
    server_start(&p, args);
    weft_tls_ctx *cc = client_ctx();
    assert_int_equal(weft_tls_ctx_set_alpn(cc, "http/1.1,h2"), 0);
    for (int i = 0; i < 2; i++) {
        weft_stream *s;
        unsigned char d[32];
        size_t len;
        int r = https_get(p.port, cc, "localhost", "/", d, &len, &s);
        assert_int_equal(r, 0);
        assert_true(len > 0);
        weft_tls *t = weft_stream_tls(s);
        /* The server's preference wins among what we offered. */
        assert_string_equal(weft_tls_alpn(t), "h2");
        assert_string_equal(weft_tls_version(t), "TLSv1.3");
        assert_int_equal(weft_tls_session_reused(t), i == 1);
        weft_stream_close(s);
    }
    /* And over TLS 1.2 (session IDs / RFC 5077 tickets). */
    weft_tls_ctx *c12 = client_ctx();
    assert_int_equal(weft_tls_ctx_set_versions(c12, WEFT_TLS_1_2, WEFT_TLS_1_2), 0);
    for (int i = 0; i < 2; i++) {
        weft_stream *s;
        unsigned char d[32];
        size_t len;
        assert_int_equal(https_get(p.port, c12, "localhost", "/", d, &len, &s), 0);
        assert_string_equal(weft_tls_version(weft_stream_tls(s)), "TLSv1.2");
        assert_int_equal(weft_tls_session_reused(weft_stream_tls(s)), i == 1);
        weft_stream_close(s);
    }
    peer_stop(&p);
    weft_tls_ctx_free(cc);
    weft_tls_ctx_free(c12);
    return 0;
}

static void alpn_and_resumption_with_s_server(void **state)
{
    assert_int_equal(weft_run(alpn_resume_main, NULL), 0);
}

static int verify_main(void *arg)
{
    struct {
        const char *chain, *key, *host;
        int err;
        const char *detail;
    } cases[] = {
        { "self.pem", "self.key", "localhost", WEFT_ETLS_VERIFY, "self-signed certificate" },
        { "expired-chain.pem", "expired.key", "localhost", WEFT_ETLS_VERIFY, "certificate has expired" },
        { "wronghost-chain.pem", "wronghost.key", "localhost", WEFT_ETLS_VERIFY, "hostname mismatch" },
        { "ipsan-chain.pem", "ipsan.key", "127.0.0.2", WEFT_ETLS_VERIFY, "IP address mismatch" },
        { "ipsan-chain.pem", "ipsan.key", "127.0.0.1", 0, NULL },
        { "server-chain.pem", "server.key", "localhost", 0, NULL },
    };
    weft_tls_ctx *cc = client_ctx();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct peer p;
        const char *args[] = { "-cert", cases[i].chain, "-key", cases[i].key, "-www", NULL };
        server_start(&p, args);
        unsigned char d[32];
        size_t len;
        int r = https_get(p.port, cc, cases[i].host, "/", d, &len, NULL);
        assert_int_equal(r, cases[i].err);
        if (r && !strstr(weft_tls_ctx_errdetail(cc), cases[i].detail))
            fail_msg("case %zu: detail '%s'", i, weft_tls_ctx_errdetail(cc));
        peer_stop(&p);
    }
    weft_tls_ctx_free(cc);
    return 0;
}

static void verification_against_s_server(void **state)
{
    assert_int_equal(weft_run(verify_main, NULL), 0);
}

static int client_cert_main(void *arg)
{
    struct peer p;
    const char *args[] = { "-cert", "server-chain.pem", "-key", "server.key", "-www",
                           "-Verify", "2", "-CAfile", "ca.pem", "-verify_return_error", NULL };
    server_start(&p, args);
    unsigned char d[32];
    size_t len;
    /* Without a certificate: refused. With TLS 1.3 the client learns it on
     * its first read, after its side of the handshake is done. */
    weft_tls_ctx *cc = client_ctx();
    int r = https_get(p.port, cc, "localhost", "/", d, &len, NULL);
    assert_int_equal(r, WEFT_ETLS_HANDSHAKE);
    assert_non_null(strstr(weft_tls_ctx_errdetail(cc), "certificate required"));
    /* With one. */
    assert_int_equal(weft_tls_ctx_load_cert_chain(cc, weft_test_cert("client-chain.pem"),
                                                  weft_test_cert("client.key")), 0);
    assert_int_equal(https_get(p.port, cc, "localhost", "/", d, &len, NULL), 0);
    assert_true(len > 0);
    peer_stop(&p);
    weft_tls_ctx_free(cc);
    return 0;
}

static void client_certificate_with_s_server(void **state)
{
    assert_int_equal(weft_run(client_cert_main, NULL), 0);
}

/* ======================================== openssl s_client vs weft server */

struct sink {
    size_t n;
    unsigned char digest[32];
    char subject[128];
    char alpn[32];
    bool reused;
    int result;
};

static int sink_handler(weft_stream *s, void *ud)
{
    struct sink *k = ud;
    weft_tls *t = weft_stream_tls(s);
    if (weft_tls_alpn(t))
        snprintf(k->alpn, sizeof k->alpn, "%s", weft_tls_alpn(t));
    if (weft_tls_peer_subject(t, k->subject, sizeof k->subject) < 0)
        k->subject[0] = '\0';
    k->reused = weft_tls_session_reused(t);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    char *buf = malloc(65536);
    int n;
    k->n = 0;
    while ((n = weft_stream_read(s, buf, 65536)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)n);
        k->n += (size_t)n;
    }
    EVP_DigestFinal_ex(md, k->digest, NULL);
    EVP_MD_CTX_free(md);
    free(buf);
    weft_stream_write(s, "bye\n", 4);
    k->result = n;
    return n;
}

static void client_args(const char **argv, int port, const char *const *extra)
{
    static char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    int n = 0;
    argv[n++] = "s_client";
    argv[n++] = "-connect";
    argv[n++] = addr;
    argv[n++] = "-servername";
    argv[n++] = "localhost";
    argv[n++] = "-CAfile";
    argv[n++] = "ca.pem";
    argv[n++] = "-verify_return_error";
    argv[n++] = "-cert_chain"; /* sent with a -cert, as for s_server */
    argv[n++] = "inter.pem";
    for (int i = 0; extra[i]; i++)
        argv[n++] = extra[i];
    argv[n++] = "-nocommands"; /* a line of data starting with Q would quit */
    argv[n] = NULL;
}

static int upload_main(void *arg)
{
    weft_tls_ctx *sc = server_ctx();
    assert_int_equal(weft_tls_ctx_set_alpn(sc, "h2,http/1.1"), 0);
    struct sink k = {0};
    weft_server *srv;
    assert_int_equal(weft_tls_stream_server_open(NULL, "127.0.0.1", 0, NULL, sc, NULL, sink_handler,
                                                 &k, &srv), 0);
    size_t n = WEFT_SCALED((size_t)32 << 20);
    unsigned char want[32];
    char path[256];
    snprintf(path, sizeof path, "%s/up.bin", weft_test_certs());
    make_file(path, n, want);
    const char *argv[32];
    /* -quiet turns ign_eof on: -no_ign_eof after it ends at the file's end. */
    const char *extra[] = { "-quiet", "-no_ign_eof", "-alpn", "http/1.1,h2", NULL };
    client_args(argv, weft_server_port(srv), extra);
    struct peer p;
    peer_spawn(&p, argv, path);
    assert_int_equal(peer_wait_async(&p, 60000), 0);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    if (k.result != 0)
        fail_msg("sink: %s", weft_strerror(k.result));
    assert_int_equal(k.n, n);
    assert_memory_equal(k.digest, want, 32);
    assert_string_equal(k.alpn, "h2");
    unlink(p.out);
    unlink(path);
    weft_server_free(srv);
    weft_tls_ctx_free(sc);
    return 0;
}

static void s_client_uploads_to_weft_server(void **state)
{
    assert_int_equal(weft_run(upload_main, NULL), 0);
}

static int server_client_cert_main(void *arg)
{
    weft_tls_ctx *sc = server_ctx();
    assert_int_equal(weft_tls_ctx_set_verify(sc, WEFT_TLS_VERIFY_REQUIRED), 0);
    assert_int_equal(weft_tls_ctx_load_verify_locations(sc, weft_test_cert("ca.pem"), NULL), 0);
    struct sink k = {0};
    weft_server *srv;
    assert_int_equal(weft_tls_stream_server_open(NULL, "127.0.0.1", 0, NULL, sc, NULL, sink_handler,
                                                 &k, &srv), 0);
    const char *argv[32];
    struct peer p;
    /* With a client certificate, twice: the second run resumes. */
    char sess[256];
    snprintf(sess, sizeof sess, "%s/sess.pem", weft_test_certs());
    const char *with1[] = { "-cert", "client-chain.pem", "-key", "client.key", "-sess_out", sess, NULL };
    client_args(argv, weft_server_port(srv), with1);
    peer_spawn(&p, argv, DELAYED_EOF);
    assert_int_equal(peer_wait_async(&p, 20000), 0);
    assert_string_equal(k.subject, "CN = weft test client");
    assert_false(k.reused);
    assert_true(output_has(&p, "New, TLSv1.3"));
    fprintf(stderr, "%s\n", p.out);
    const char *with2[] = { "-cert", "client-chain.pem", "-key", "client.key", "-sess_in", sess, NULL };
    client_args(argv, weft_server_port(srv), with2);
    peer_spawn(&p, argv, DELAYED_EOF);
    assert_int_equal(peer_wait_async(&p, 20000), 0);
    assert_true(output_has(&p, "Reused, TLSv1.3"));
    assert_true(k.reused);
    unlink(p.out);
    /* Without: the handshake fails and the handler never runs. */
    memset(&k, 0, sizeof k);
    k.result = 12345;
    const char *without[] = { NULL };
    client_args(argv, weft_server_port(srv), without);
    peer_spawn(&p, argv, DELAYED_EOF);
    peer_wait_async(&p, 20000);
    assert_true(output_has(&p, "alert certificate required"));
    assert_int_equal(k.result, 12345);
    unlink(p.out);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    weft_server_free(srv);
    weft_tls_ctx_free(sc);
    return 0;
}

static void s_client_certificate_and_resumption(void **state)
{
    assert_int_equal(weft_run(server_client_cert_main, NULL), 0);
}

/* STARTTLS as s_client -starttls smtp speaks it. */
struct smtp {
    weft_tls_ctx *sc;
    int result;
    char got[64];
};

static int smtp_handler(weft_stream *s, void *ud)
{
    struct smtp *m = ud;
    char line[256];
    weft_stream_write(s, "220 weft ESMTP\r\n", 16);
    if (weft_stream_readline(s, line, sizeof line) <= 0 || strncmp(line, "EHLO", 4) != 0)
        return m->result = -1;
    weft_stream_write(s, "250-weft\r\n250 STARTTLS\r\n", 24);
    if (weft_stream_readline(s, line, sizeof line) <= 0 || strncmp(line, "STARTTLS", 8) != 0)
        return m->result = -2;
    weft_stream_write(s, "220 go ahead\r\n", 14);
    int r = weft_tls_start_tls(s, m->sc, NULL, NULL);
    if (r)
        return m->result = r;
    r = weft_stream_readline(s, m->got, sizeof m->got);
    if (r <= 0)
        return m->result = -3;
    weft_stream_write(s, m->got, (size_t)r);
    weft_stream_drain(s);
    return m->result = 1;
}

static int smtp_main(void *arg)
{
    struct smtp m = { server_ctx(), 0, "" };
    weft_server *srv;
    assert_int_equal(weft_stream_server_open(NULL, "127.0.0.1", 0, NULL, smtp_handler, &m, &srv), 0);
    char in[256];
    snprintf(in, sizeof in, "%s/smtp.in", weft_test_certs());
    FILE *f = fopen(in, "w");
    fputs("over tls\n", f);
    fclose(f);
    const char *argv[32];
    const char *extra[] = { "-starttls", "smtp", "-quiet", NULL };
    client_args(argv, weft_server_port(srv), extra);
    struct peer p;
    peer_spawn(&p, argv, in);
    assert_int_equal(peer_wait_async(&p, 20000), 0);
    assert_int_equal(m.result, 1);
    assert_string_equal(m.got, "over tls\n");
    assert_true(output_has(&p, "over tls"));
    unlink(p.out);
    unlink(in);
    assert_int_equal(weft_server_shutdown(srv, WEFT_SEC(5)), 0);
    weft_server_free(srv);
    weft_tls_ctx_free(m.sc);
    return 0;
}

static void start_tls_with_s_client_smtp(void **state)
{
    assert_int_equal(weft_run(smtp_main, NULL), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(client_downloads_100mb_from_s_server),
    cmocka_unit_test(alpn_and_resumption_with_s_server),
    cmocka_unit_test(verification_against_s_server),
    cmocka_unit_test(client_certificate_with_s_server),
    cmocka_unit_test(s_client_uploads_to_weft_server),
    cmocka_unit_test(s_client_certificate_and_resumption),
    cmocka_unit_test(start_tls_with_s_client_smtp),
};

WEFT_TEST_MAIN(tests)
