// bench-libs: uv
/*
 * bench_stream.c - coroutine streams against their anchors, measured in the
 * same run:
 *
 *   rss:       memory per idle connection: a weft stream server whose
 *              handler task sits in weft_stream_read on each of N (10,000)
 *              connections, opened by a child process. Goal <= 8 KiB.
 *   bulk recv: a blocking sender thread writes BENCH_MB over loopback; the
 *              receiver is a weft stream handler (weft_stream_read into a
 *              256 KiB buffer) vs a plain blocking read loop. Goal >= 0.9.
 *   bulk send: a weft client stream (write + drain, 256 KiB chunks) vs a
 *              plain blocking write loop, into the same blocking reader.
 *              Goal >= 0.9.
 *   ping-pong: one connection each to a weft stream echo handler and a
 *              libuv echo server (uv_try_write, uv_write for the rest), each
 *              on its own thread; one blocking client does 64-byte round
 *              trips on them in alternating batches for BENCH_SECS, so
 *              that both see the same load. Goal >= 1.0.
 *
 * BENCH_MB (default 1024), BENCH_SECS (default 2), BENCH_CONNS (default
 * 10000); BENCH_ONLY=rss|recv|send|pp runs one part (for
 * profiling). RLIMIT_NOFILE is raised as far as the hard limit allows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "weft.h"
#include "bench_util.h"

#define CHUNK (256u * 1024u)
#define MSG 64

static size_t bulk_bytes;
static double pp_secs;
static int nconns;

static void die(const char *what)
{
    fprintf(stderr, "bench_stream: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ------------------------------------------------------ blocking sockets */

static int listen_loopback(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("listen");
    *port = ntohs(a.sin_port);
    return fd;
}

static int connect_loopback(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("write");
        p += w;
        n -= (size_t)w;
    }
}

/* Send bulk_bytes to port, then close. */
static void *blocking_sender(void *arg)
{
    uint16_t port = (uint16_t)(uintptr_t)arg;
    int fd = connect_loopback(port);
    char *buf = malloc(CHUNK);
    memset(buf, 'x', CHUNK);
    for (size_t sent = 0; sent < bulk_bytes; sent += CHUNK)
        write_all(fd, buf, CHUNK);
    close(fd);
    free(buf);
    return NULL;
}

/* Accept one connection on lfd and read it to EOF; returns the byte count. */
struct reader {
    int lfd;
    size_t got;
    double end;
};

static void *blocking_reader(void *arg)
{
    struct reader *r = arg;
    int fd = accept(r->lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    char *buf = malloc(CHUNK);
    ssize_t n;
    while ((n = read(fd, buf, CHUNK)) > 0)
        r->got += (size_t)n;
    r->end = bench_now();
    close(fd);
    free(buf);
    return NULL;
}

/* ------------------------------------------------------------ bulk recv */

static double recv_anchor(void)
{
    struct reader r = {0};
    uint16_t port;
    r.lfd = listen_loopback(&port);
    pthread_t rt, st;
    double t0 = bench_now();
    pthread_create(&rt, NULL, blocking_reader, &r);
    pthread_create(&st, NULL, blocking_sender, (void *)(uintptr_t)port);
    pthread_join(st, NULL);
    pthread_join(rt, NULL);
    close(r.lfd);
    if (r.got != bulk_bytes)
        die("anchor recv count");
    return (double)r.got / (r.end - t0);
}

struct weft_recv {
    size_t got;
    double end;
};

static int recv_handler(weft_stream *s, void *ud)
{
    struct weft_recv *w = ud;
    char *buf = malloc(CHUNK);
    int n;
    while ((n = weft_stream_read(s, buf, CHUNK)) > 0)
        w->got += (size_t)n;
    w->end = bench_now();
    free(buf);
    return n;
}

/* The server must stay open until the sender's connection is accepted, so
 * the task waits for the handler to be done rather than closing first. */
struct recv_run {
    struct weft_recv w;
    double t0;
    weft_server *srv;
};

static int recv_one(weft_stream *s, void *ud)
{
    struct recv_run *r = ud;
    weft_server_close(r->srv); /* one connection is all we want */
    return recv_handler(s, &r->w);
}

static int recv_weft_main(void *arg)
{
    struct recv_run *r = arg;
    if (weft_stream_server_open(NULL, "127.0.0.1", 0, NULL, recv_one, r, &r->srv) != 0)
        die("weft server");
    pthread_t st;
    r->t0 = bench_now();
    pthread_create(&st, NULL, blocking_sender, (void *)(uintptr_t)weft_server_port(r->srv));
    weft_server_wait_closed(r->srv);
    weft_server_free(r->srv);
    pthread_join(st, NULL);
    return 0;
}

static double recv_weft(void)
{
    struct recv_run r = {.t0 = 0};
    if (weft_run(recv_weft_main, &r) != 0 || r.w.got != bulk_bytes)
        die("weft recv count");
    return (double)r.w.got / (r.w.end - r.t0);
}

/* ------------------------------------------------------------ bulk send */

static double send_anchor(void)
{
    struct reader r = {0};
    uint16_t port;
    r.lfd = listen_loopback(&port);
    pthread_t rt;
    double t0 = bench_now();
    pthread_create(&rt, NULL, blocking_reader, &r);
    blocking_sender((void *)(uintptr_t)port);
    pthread_join(rt, NULL);
    close(r.lfd);
    if (r.got != bulk_bytes)
        die("anchor send count");
    return (double)r.got / (r.end - t0);
}

struct send_run {
    uint16_t port;
};

static int send_weft_main(void *arg)
{
    struct send_run *sr = arg;
    weft_stream *s;
    if (weft_stream_open_connection("127.0.0.1", sr->port, NULL, &s) != 0)
        die("open_connection");
    char *buf = malloc(CHUNK);
    memset(buf, 'x', CHUNK);
    for (size_t sent = 0; sent < bulk_bytes; sent += CHUNK) {
        if (weft_stream_write(s, buf, CHUNK) != 0 || weft_stream_drain(s) != 0)
            die("weft write");
    }
    free(buf);
    return weft_stream_close(s);
}

static double send_weft(void)
{
    struct reader r = {0};
    struct send_run sr;
    r.lfd = listen_loopback(&sr.port);
    pthread_t rt;
    double t0 = bench_now();
    pthread_create(&rt, NULL, blocking_reader, &r);
    if (weft_run(send_weft_main, &sr) != 0)
        die("weft send");
    pthread_join(rt, NULL);
    close(r.lfd);
    if (r.got != bulk_bytes)
        die("weft send count");
    return (double)r.got / (r.end - t0);
}

/* ------------------------------------------------------------ ping-pong */

/* MSG-byte round trips on fd, n times. */
static void round_trips(int fd, int n)
{
    char buf[MSG];
    memset(buf, 'p', sizeof buf);
    for (int i = 0; i < n; i++) {
        write_all(fd, buf, MSG);
        size_t got = 0;
        while (got < MSG) {
            ssize_t r = read(fd, buf + got, MSG - got);
            if (r <= 0)
                die("ping-pong read");
            got += (size_t)r;
        }
    }
}

/* One client alternates batches of round trips between the two servers
 * for pp_secs in all, so that both see the same machine (other work on a
 * shared machine comes and goes). rates[i]: trips/s of each over the whole
 * run; *ratio: the median over adjacent pairs of batches of b's rate / a's. */
#define PP_BATCH 500
#define PP_MAXPAIRS 4096

static long pp_trips[2];

static void ping_pong(uint16_t port_a, uint16_t port_b, double rates[2], double *ratio)
{
    int fd[2] = {connect_loopback(port_a), connect_loopback(port_b)};
    double spent[2] = {0, 0};
    long trips[2] = {0, 0};
    static double pair[PP_MAXPAIRS];
    int npairs = 0;
    round_trips(fd[0], 100); /* warm both up */
    round_trips(fd[1], 100);
    double end = bench_now() + pp_secs;
    while (bench_now() < end && npairs < PP_MAXPAIRS) {
        double d[2];
        for (int k = 0; k < 2; k++) {
            double t0 = bench_now();
            round_trips(fd[k], PP_BATCH);
            d[k] = bench_now() - t0;
            spent[k] += d[k];
            trips[k] += PP_BATCH;
        }
        pair[npairs++] = d[0] / d[1];
    }
    close(fd[0]);
    close(fd[1]);
    for (int i = 0; i < 2; i++) {
        rates[i] = (double)trips[i] / spent[i];
        pp_trips[i] = trips[i] + 100;
    }
    qsort(pair, (size_t)npairs, sizeof pair[0], bench_cmp_double);
    *ratio = pair[npairs / 2];
}

/* weft: a stream echo handler, the server on its own thread. */
struct pp_weft {
    uint16_t port;
    atomic_int ready;
    weft_server *srv;
    double cpu; /* the server thread's CPU time */
};

static int pp_handler(weft_stream *s, void *ud)
{
    struct pp_weft *p = ud;
    char buf[4096];
    int n;
    while ((n = weft_stream_read(s, buf, sizeof buf)) > 0)
        if (weft_stream_write(s, buf, (size_t)n) != 0 || weft_stream_drain(s) != 0)
            break;
    weft_server_close(p->srv);
    return 0;
}

static int pp_weft_server(void *arg)
{
    struct pp_weft *p = arg;
    if (weft_stream_server_open(NULL, "127.0.0.1", 0, NULL, pp_handler, p, &p->srv) != 0)
        die("weft echo server");
    p->port = (uint16_t)weft_server_port(p->srv);
    atomic_store(&p->ready, 1);
    weft_server_wait_closed(p->srv);
    weft_server_free(p->srv);
    return 0;
}

static void *pp_weft_thread(void *arg)
{
    struct pp_weft *p = arg;
    double c0 = bench_thread_cpu();
    if (weft_run(pp_weft_server, arg) != 0)
        die("weft echo run");
    p->cpu = bench_thread_cpu() - c0;
    return NULL;
}

/* libuv: the echo server as an experienced libuv user writes it. */
struct uv_conn {
    uv_tcp_t tcp;
    char buf[4096];
};

struct uv_wreq {
    uv_write_t req;
    char data[];
};

static struct {
    uv_loop_t loop;
    uv_tcp_t server;
    uint16_t port;
    atomic_int ready;
    double cpu;
} uvs;

static void uv_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct uv_conn *c = (struct uv_conn *)h;
    buf->base = c->buf;
    buf->len = sizeof c->buf;
}

static void uv_closed(uv_handle_t *h)
{
    free(h);
}

static void uv_written(uv_write_t *req, int status)
{
    free(req);
}

static void uv_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0) {
        uv_close((uv_handle_t *)s, uv_closed);
        uv_close((uv_handle_t *)&uvs.server, NULL); /* one client: the run ends with it */
        return;
    }
    if (n == 0)
        return;
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
    int w = uv_try_write(s, &b, 1);
    if (w == n)
        return;
    if (w < 0)
        w = 0;
    struct uv_wreq *r = malloc(sizeof *r + (size_t)(n - w));
    memcpy(r->data, buf->base + w, (size_t)(n - w));
    uv_buf_t rest = uv_buf_init(r->data, (unsigned)(n - w));
    uv_write(&r->req, s, &rest, 1, uv_written);
}

static void uv_connection(uv_stream_t *server, int status)
{
    struct uv_conn *c = malloc(sizeof *c);
    uv_tcp_init(&uvs.loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, uv_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, uv_alloc, uv_read);
}

static void *uv_thread(void *arg)
{
    double c0 = bench_thread_cpu();
    uv_loop_init(&uvs.loop);
    uv_tcp_init(&uvs.loop, &uvs.server);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_bind(&uvs.server, (struct sockaddr *)&a, 0);
    if (uv_listen((uv_stream_t *)&uvs.server, 128, uv_connection) != 0)
        die("uv_listen");
    int len = sizeof a;
    uv_tcp_getsockname(&uvs.server, (struct sockaddr *)&a, &len);
    uvs.port = ntohs(a.sin_port);
    atomic_store(&uvs.ready, 1);
    uv_run(&uvs.loop, UV_RUN_DEFAULT);
    uv_loop_close(&uvs.loop);
    uvs.cpu = bench_thread_cpu() - c0;
    return NULL;
}

/* Both echo servers on their own threads, one client between them. (Not
 * pinned to CPUs: on a shared machine a pinned server waits for a busy CPU.) */
static void pp_both(double *uv_rate, double *weft_rate, double *ratio, double cpu_us[2])
{
    struct pp_weft p = {0};
    atomic_store(&uvs.ready, 0);
    pthread_t tu, tw;
    pthread_create(&tu, NULL, uv_thread, NULL);
    pthread_create(&tw, NULL, pp_weft_thread, &p);
    while (!atomic_load(&uvs.ready) || !atomic_load(&p.ready))
        usleep(1000);
    double rates[2];
    ping_pong(uvs.port, p.port, rates, ratio);
    pthread_join(tu, NULL);
    pthread_join(tw, NULL);
    *uv_rate = rates[0];
    *weft_rate = rates[1];
    cpu_us[0] = uvs.cpu / (double)pp_trips[0] * 1e6;
    cpu_us[1] = p.cpu / (double)pp_trips[1] * 1e6;
}

/* ----------------------------------------------------- RSS per idle conn */

struct idle {
    int parked;    /* handlers sitting in read */
    int ended;
};

static int idle_handler(weft_stream *s, void *ud)
{
    struct idle *st = ud;
    char buf[1024];
    st->parked++;
    int n = weft_stream_read(s, buf, sizeof buf); /* nothing comes until the end */
    st->parked--;
    st->ended++;
    return n;
}

/* The child: open n connections, then hold them until killed. */
static void idle_client(uint16_t port, int n)
{
    int *fds = calloc((size_t)n, sizeof *fds);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0) {
            perror("bench_stream: idle client connect");
            _exit(1);
        }
    }
    pause();
    _exit(0);
}

struct rss_run {
    size_t base, full;
    int n;
    double secs;
};

static int rss_main(void *arg)
{
    struct rss_run *r = arg;
    struct idle st = {0};
    weft_server *srv;
    weft_server_opts o = {.backlog = 4096};
    if (weft_stream_server_open(NULL, "127.0.0.1", 0, &o, idle_handler, &st, &srv) != 0)
        die("weft idle server");
    uint16_t port = (uint16_t)weft_server_port(srv);

    /* Warm up: pools, scratch buffers, the loop's fd table at full size. */
    pid_t warm = fork();
    if (warm == 0)
        idle_client(port, 200);
    while (st.parked < 200)
        weft_sleep(WEFT_MSEC(5));
    kill(warm, SIGKILL);
    waitpid(warm, NULL, 0);
    while (st.parked)
        weft_sleep(WEFT_MSEC(5));

    r->base = bench_rss_bytes();
    if (!r->base)
        die("statm");
    double t0 = bench_now();
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0)
        idle_client(port, r->n);
    while (st.parked < r->n) {
        int status;
        if (waitpid(child, &status, WNOHANG) == child) {
            fprintf(stderr, "bench_stream: the idle client failed\n");
            exit(1);
        }
        weft_sleep(WEFT_MSEC(10));
    }
    r->secs = bench_now() - t0;
    weft_sleep(WEFT_MSEC(100)); /* let the last reads settle */
    r->full = bench_rss_bytes();
    if (!r->full)
        die("statm");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    weft_server_close(srv);
    weft_server_wait_closed(srv);
    weft_server_free(srv);
    return 0;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ------------------------------------------------------------------ main */

/* Run anchor and weft in turn, runs times: the best of each, and the median
 * of the ratios of the pairs (each pair ran close together in time, so a
 * shared machine's load shifts both alike). */
static double paired(double (*anchor)(void), double (*weft)(void), int runs, double *best_a,
                     double *best_w)
{
    double r[16];
    *best_a = *best_w = 0;
    for (int i = 0; i < runs; i++) {
        double a = anchor(), w = weft();
        if (a > *best_a)
            *best_a = a;
        if (w > *best_w)
            *best_w = w;
        r[i] = w / a;
    }
    qsort(r, (size_t)runs, sizeof r[0], bench_cmp_double);
    return r[runs / 2];
}

static const char *only;

static bool part(const char *name)
{
    return !only || strcmp(only, name) == 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *e;
    bulk_bytes = (size_t)((e = getenv("BENCH_MB")) ? atol(e) : 1024) << 20;
    bulk_bytes -= bulk_bytes % CHUNK;
    pp_secs = (e = getenv("BENCH_SECS")) ? atof(e) : 2.0;
    nconns = (e = getenv("BENCH_CONNS")) ? atoi(e) : 10000;
    only = getenv("BENCH_ONLY");
    raise_nofile();
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)nconns + 64 > rl.rlim_cur) {
        nconns = (int)rl.rlim_cur - 64;
        printf("(RLIMIT_NOFILE %lu: %d connections)\n", (unsigned long)rl.rlim_cur, nconns);
    }

    /* First, while the heap is fresh. */
    if (part("rss")) {
        struct rss_run r = {.n = nconns};
        if (weft_run(rss_main, &r) != 0)
            die("rss run");
        double per = (double)(r.full - r.base) / r.n;
        printf("rss per idle connection (%d handlers parked in read, set up in %.2f s): "
               "%.2f KiB, goal <= 8 KiB: ratio %.2f (<= 1 meets it)\n",
               r.n, r.secs, per / 1024, per / 8192);
    }
    if (part("recv")) {
        double ar, wr, ratio = paired(recv_anchor, recv_weft, 5, &ar, &wr);
        printf("bulk recv %zu MB: blocking read %.0f MB/s, weft stream %.0f MB/s (best of 5): "
               "ratio %.2f (median of 5 pairs) (goal >= 0.9)\n",
               bulk_bytes >> 20, ar / 1e6, wr / 1e6, ratio);
    }
    if (part("send")) {
        double as, ws, ratio = paired(send_anchor, send_weft, 5, &as, &ws);
        printf("bulk send %zu MB: blocking write %.0f MB/s, weft stream %.0f MB/s (best of 5): "
               "ratio %.2f (median of 5 pairs) (goal >= 0.9)\n",
               bulk_bytes >> 20, as / 1e6, ws / 1e6, ratio);
    }
    if (part("pp")) {
        double pu, pw, ratio, cpu[2];
        pp_both(&pu, &pw, &ratio, cpu);
        printf("ping-pong %d B, %.1f s in alternating batches of %d: libuv echo %.0f rt/s, "
               "weft stream echo %.0f rt/s: ratio %.2f (median of batch pairs; of the "
               "totals %.2f) (goal >= 1.0)\n",
               MSG, pp_secs, PP_BATCH, pu, pw, ratio, pw / pu);
        printf("ping-pong server CPU per round trip: libuv %.2f us, weft %.2f us: ratio %.2f "
               "(libuv / weft, less noisy on a shared machine)\n",
               cpu[0], cpu[1], cpu[0] / cpu[1]);
    }
    return 0;
}
