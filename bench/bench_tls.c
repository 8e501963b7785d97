/*
 * bench_tls.c - TLS throughput and handshake rate, each against an anchor
 * measured in the same run.
 *
 *   bulk recv: a blocking OpenSSL client sends N MB; the server is weft's TLS
 *              stream server (one loop thread) vs a plain blocking OpenSSL
 *              SSL_read loop. Goal >= 0.9.
 *   bulk send: weft's TLS client stream (write + drain) vs a blocking
 *              OpenSSL SSL_write loop, both into the same blocking server.
 *              Goal >= 0.9.
 *   handshakes: full (never resumed) TLS 1.3 handshakes per second by one
 *              blocking OpenSSL client, against weft's TLS server and against
 *              `openssl s_server`. Goal >= 1.0.
 *
 * The certificate (EC P-256, self-signed) is made in memory and written to
 * a temporary folder for s_server. BENCH_MB (default 512) sets the bulk size,
 * BENCH_SECS (default 2) the handshake run time, BENCH_ROUNDS (default 3)
 * how many times the receive comparison alternates (best of each kept; it
 * also prints MB per CPU second of the receiving thread, a figure a loaded
 * machine disturbs far less than throughput).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "weft.h"
#include "bench_util.h"

static char certdir[64], certfile[128], keyfile[128];
static size_t bulk_bytes;
static double hs_secs;

static void remove_cert(void);

static void die(const char *what)
{
    fprintf(stderr, "bench_tls: %s\n", what);
    ERR_print_errors_fp(stderr);
    if (certdir[0])
        remove_cert();
    exit(1);
}

/* ------------------------------------------------------------ certificate */

static void make_cert(void)
{
    snprintf(certdir, sizeof certdir, "/tmp/weft-bench-tls-XXXXXX");
    if (!mkdtemp(certdir))
        die("mkdtemp");
    snprintf(certfile, sizeof certfile, "%s/cert.pem", certdir);
    snprintf(keyfile, sizeof keyfile, "%s/key.pem", certdir);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!key || !x)
        die("keygen");
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, n);
    if (!X509_sign(x, key, EVP_sha256()))
        die("sign");
    FILE *f = fopen(certfile, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(keyfile, "w");
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void remove_cert(void)
{
    unlink(certfile);
    unlink(keyfile);
    rmdir(certdir);
}

/* ------------------------------------------------------ blocking OpenSSL */

static SSL_CTX *blocking_client_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    return c;
}

static SSL_CTX *blocking_server_ctx(void)
{
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_file(c, certfile, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(c, keyfile, SSL_FILETYPE_PEM) != 1)
        die("server cert");
    return c;
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int tcp_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0)
        die("listen");
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Send bulk_bytes over TLS to port with a blocking SSL_write loop. */
static void blocking_send(int port)
{
    SSL_CTX *c = blocking_client_ctx();
    int fd = tcp_connect(port);
    SSL *s = SSL_new(c);
    SSL_set_fd(s, fd);
    if (SSL_connect(s) != 1)
        die("SSL_connect");
    static char buf[256 * 1024];
    memset(buf, 'x', sizeof buf);
    for (size_t sent = 0; sent < bulk_bytes;) {
        size_t n = bulk_bytes - sent < sizeof buf ? bulk_bytes - sent : sizeof buf;
        size_t w;
        if (SSL_write_ex(s, buf, n, &w) != 1)
            die("SSL_write");
        sent += w;
    }
    /* close_notify, then read to the end: closing with unread data (the
     * server's session tickets) would send an RST, which makes the kernel
     * drop what the server has not read yet. */
    SSL_shutdown(s);
    char b[4096];
    while (SSL_read(s, b, sizeof b) > 0)
        ;
    ERR_clear_error();
    SSL_free(s);
    close(fd);
    SSL_CTX_free(c);
}

/* A blocking server: accept one connection and read to the end. */
struct sink_thread {
    int lfd;
    size_t got;
    double t_end;
    double cpu;     /* thread CPU seconds from the end of the handshake to EOF */
};

static void *blocking_sink(void *arg)
{
    struct sink_thread *st = arg;
    SSL_CTX *c = blocking_server_ctx();
    int fd = accept(st->lfd, NULL, NULL);
    SSL *s = SSL_new(c);
    SSL_set_fd(s, fd);
    if (SSL_accept(s) != 1)
        die("SSL_accept");
    double c0 = bench_thread_cpu();
    static char buf[64 * 1024];
    size_t n;
    while (SSL_read_ex(s, buf, sizeof buf, &n) == 1)
        st->got += n;
    st->t_end = bench_now();
    st->cpu = bench_thread_cpu() - c0;
    SSL_free(s);
    close(fd);
    SSL_CTX_free(c);
    return NULL;
}

/* ------------------------------------------------------------ weft side */

struct weft_side {
    pthread_t thread;
    weft_loop *loop;
    weft_server *srv;
    int port;
    atomic_int ready;
    atomic_size_t got;
    atomic_int done;
    double t_end;
    double cpu;           /* sink: thread CPU seconds, handshake excluded */
    int mode;             /* 0 sink server, 1 handshake server */
};

static int sink_handler(weft_stream *s, void *ud)
{
    struct weft_side *w = ud;
    double c0 = bench_thread_cpu();
    char *buf = malloc(64 * 1024);
    int n;
    size_t got = 0;
    while ((n = weft_stream_read(s, buf, 64 * 1024)) > 0)
        got += (size_t)n;
    free(buf);
    w->t_end = bench_now();
    w->cpu = bench_thread_cpu() - c0;
    atomic_store(&w->got, got);
    atomic_store(&w->done, 1);
    return 0;
}

static const weft_protocol idle_proto = {0};

static const weft_protocol *hs_factory(weft_server *srv, weft_transport *t, void *ud, void **pud)
{
    return &idle_proto; /* the handshake is all we measure */
}

static void stop_cb(void *ud)
{
    weft_server_close(((struct weft_side *)ud)->srv);
}

static int weft_server_main(void *arg)
{
    struct weft_side *w = arg;
    weft_tls_ctx *ctx;
    if (weft_tls_ctx_new(WEFT_TLS_SERVER, &ctx) || weft_tls_ctx_load_cert_chain(ctx, certfile, keyfile))
        die("weft ctx");
    int r = w->mode == 0
                ? weft_tls_stream_server_open(NULL, "127.0.0.1", 0, NULL, ctx, NULL, sink_handler, w, &w->srv)
                : weft_tls_server_open(NULL, "127.0.0.1", 0, NULL, ctx, NULL, hs_factory, w, &w->srv);
    weft_tls_ctx_free(ctx);
    if (r)
        die("weft server");
    w->loop = weft_loop_current();
    w->port = weft_server_port(w->srv);
    atomic_store(&w->ready, 1);
    weft_server_serve_forever(w->srv);
    weft_server_shutdown(w->srv, WEFT_SEC(1));
    weft_server_free(w->srv);
    return 0;
}

static void *weft_thread(void *arg)
{
    weft_run(weft_server_main, arg);
    return NULL;
}

static void weft_side_start(struct weft_side *w, int mode)
{
    memset(w, 0, sizeof *w);
    w->mode = mode;
    pthread_create(&w->thread, NULL, weft_thread, w);
    while (!atomic_load(&w->ready))
        usleep(1000);
}

static void weft_side_stop(struct weft_side *w)
{
    weft_loop_call_soon_threadsafe(w->loop, stop_cb, w);
    pthread_join(w->thread, NULL);
}

/* weft client: send bulk_bytes to port. */
struct send_args {
    int port;
};

static int weft_send_main(void *arg)
{
    struct send_args *a = arg;
    weft_tls_ctx *ctx;
    weft_tls_ctx_new(WEFT_TLS_CLIENT, &ctx);
    weft_tls_ctx_set_insecure_no_verify(ctx);
    weft_stream *s;
    if (weft_tls_open_connection("127.0.0.1", (uint16_t)a->port, NULL, ctx, NULL, NULL, &s))
        die("weft connect");
    static char buf[256 * 1024];
    memset(buf, 'x', sizeof buf);
    for (size_t sent = 0; sent < bulk_bytes;) {
        size_t n = bulk_bytes - sent < sizeof buf ? bulk_bytes - sent : sizeof buf;
        if (weft_stream_write(s, buf, n) || weft_stream_drain(s))
            die("weft write");
        sent += n;
    }
    weft_stream_close(s);
    weft_tls_ctx_free(ctx);
    return 0;
}

/* ------------------------------------------------------------ handshakes */

static int count_handshakes(int port, double secs)
{
    SSL_CTX *c = blocking_client_ctx();
    SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    int n = 0;
    double end = bench_now() + secs;
    while (bench_now() < end) {
        int fd = tcp_connect(port);
        if (fd < 0)
            die("connect");
        SSL *s = SSL_new(c);
        SSL_set_fd(s, fd);
        if (SSL_connect(s) != 1)
            die("handshake");
        /* Send close_notify and read until the server ends too, so that
         * its side of the handshake (and its tickets) is counted. */
        SSL_shutdown(s);
        char b[256];
        while (SSL_read(s, b, sizeof b) > 0)
            ;
        ERR_clear_error();
        n++;
        SSL_free(s);
        close(fd);
    }
    SSL_CTX_free(c);
    return n;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    bulk_bytes = (size_t)(getenv("BENCH_MB") ? atoi(getenv("BENCH_MB")) : 512) << 20;
    hs_secs = getenv("BENCH_SECS") ? atof(getenv("BENCH_SECS")) : 2.0;
    make_cert();
    double mb = (double)bulk_bytes / (1 << 20);

    /* ---- bulk recv: same blocking client, weft server vs blocking server,
     * alternated BENCH_ROUNDS times; the best of each is kept, in wall time
     * and in the receiving thread's CPU time (MB per CPU second). */
    int rounds = getenv("BENCH_ROUNDS") ? atoi(getenv("BENCH_ROUNDS")) : 3;
    if (rounds < 1)
        rounds = 1;
    double weft_recv = 0, anchor_recv = 0, weft_eff = 0, anchor_eff = 0;
    struct weft_side w;
    int port;
    pthread_t th;
    double t0;
    for (int r = 0; r < rounds; r++) {
        weft_side_start(&w, 0);
        t0 = bench_now();
        blocking_send(w.port);
        while (!atomic_load(&w.done))
            usleep(100);
        if (atomic_load(&w.got) != bulk_bytes)
            die("weft sink short");
        if (mb / (w.t_end - t0) > weft_recv)
            weft_recv = mb / (w.t_end - t0);
        if (mb / w.cpu > weft_eff)
            weft_eff = mb / w.cpu;
        weft_side_stop(&w);

        struct sink_thread st = { tcp_listen(&port), 0, 0, 0 };
        pthread_create(&th, NULL, blocking_sink, &st);
        t0 = bench_now();
        blocking_send(port);
        pthread_join(th, NULL);
        if (mb / (st.t_end - t0) > anchor_recv)
            anchor_recv = mb / (st.t_end - t0);
        if (mb / st.cpu > anchor_eff)
            anchor_eff = mb / st.cpu;
        close(st.lfd);
    }
    printf("tls bulk recv: weft %.0f MB/s, blocking OpenSSL %.0f MB/s, ratio %.2f (goal >= 0.9)\n",
           weft_recv, anchor_recv, weft_recv / anchor_recv);
    printf("tls bulk recv per CPU second of the receiver: weft %.0f MB, blocking OpenSSL %.0f MB, "
           "ratio %.2f\n", weft_eff, anchor_eff, weft_eff / anchor_eff);

    /* ---- bulk send: weft client vs blocking client, same blocking server */
    struct sink_thread st2 = { tcp_listen(&port), 0, 0, 0 };
    pthread_create(&th, NULL, blocking_sink, &st2);
    struct send_args sa = { port };
    t0 = bench_now();
    weft_run(weft_send_main, &sa);
    pthread_join(th, NULL);
    double weft_send = mb / (st2.t_end - t0);
    close(st2.lfd);
    struct sink_thread st3 = { tcp_listen(&port), 0, 0, 0 };
    pthread_create(&th, NULL, blocking_sink, &st3);
    t0 = bench_now();
    blocking_send(port);
    pthread_join(th, NULL);
    double anchor_send = mb / (st3.t_end - t0);
    close(st3.lfd);
    printf("tls bulk send: weft %.0f MB/s, blocking OpenSSL %.0f MB/s, ratio %.2f (goal >= 0.9)\n",
           weft_send, anchor_send, weft_send / anchor_send);

    /* ---- handshakes: weft server vs openssl s_server, same client */
    weft_side_start(&w, 1);
    int n_weft = count_handshakes(w.port, hs_secs);
    weft_side_stop(&w);

    int sport;
    int probe = tcp_listen(&sport);
    close(probe);
    char accept_arg[32];
    snprintf(accept_arg, sizeof accept_arg, "127.0.0.1:%d", sport);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("openssl", "openssl", "s_server", "-accept", accept_arg, "-cert", certfile, "-key",
               keyfile, "-quiet", "-naccept", "1000000", (char *)NULL);
        _exit(127);
    }
    int fd = -1;
    for (int i = 0; i < 500 && fd < 0; i++) {
        fd = tcp_connect(sport);
        if (fd < 0)
            usleep(10000);
    }
    if (fd < 0)
        die("s_server did not start");
    close(fd);
    int n_ossl = count_handshakes(sport, hs_secs);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    printf("tls handshakes: weft server %.0f/s, openssl s_server %.0f/s, ratio %.2f (goal >= 1.0)\n",
           n_weft / hs_secs, n_ossl / hs_secs, (double)n_weft / n_ossl);
    remove_cert();
    return 0;
}
