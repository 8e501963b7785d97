/*
 * bench_client.c - the HTTP client's session API against the load tools
 * and client libraries people compare it with, all in the same run, against
 * the floor server (../shared/bench/floor.c: the least a server can do):
 *
 *   weft        64 tasks over one weft_http_session (keep-alive pool of 64),
 *               each GET read whole, in this process
 *   wrk         wrk -t1 -c64 (a load generator, the ceiling)
 *   libcurl     curl's multi interface, 64 easy handles reused (bench/client/
 *               curl_multi.c, built here when libcurl's headers are installed)
 *   curl -Z     the curl tool with --parallel --parallel-max 64
 *   aiohttp     64 tasks over one ClientSession (bench/client/aiohttp_bench.py)
 *
 * The server runs on CPU 0, every client on CPU 1 (one client core), each
 * client ROUNDS times interleaved; the median counts. Goals (issue 6): weft
 * >= 0.7x wrk, >= 2x libcurl multi, >= 10x aiohttp.
 *
 * Environment: BENCH_REQS (20000 GETs per run), BENCH_CONNS (64),
 * BENCH_ROUNDS (3), BENCH_SECS (wrk's run time, 2), WEFT_FLOOR_SRC (where
 * floor.c is; by default ../shared/bench/floor.c beside the repository).
 * A tool that is missing is reported and skipped, never faked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "weft.h"

#define MAX_ROUNDS 9

static char tmpdir[64];
static char url[64];
static long nreq = 20000;
static int nconn = 64, rounds = 3;
static double wrk_secs = 2;
static pid_t floor_pid = -1;
static int ncpu;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cleanup(void)
{
    if (floor_pid > 0) {
        kill(floor_pid, SIGKILL);
        waitpid(floor_pid, NULL, 0);
        floor_pid = -1;
    }
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_client: could not remove %s\n", tmpdir);
        tmpdir[0] = '\0';
    }
}

static void pin(int cpu)
{
    if (ncpu < 2)
        return; /* one core: nothing to separate */
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % ncpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static bool exists(const char *p)
{
    return access(p, F_OK) == 0;
}

static bool have_program(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* Run argv pinned to cpu with its stdout into outfile; returns exit status. */
static int run_pinned(int cpu, const char *const *argv, const char *outfile)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pin(cpu);
        FILE *f = freopen(outfile, "w", stdout);
        FILE *e = freopen("/dev/null", "w", stderr); /* progress meters */
        if (!f || !e)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    bind(fd, (struct sockaddr *)&sin, sizeof sin);
    getsockname(fd, (struct sockaddr *)&sin, &len);
    close(fd);
    return ntohs(sin.sin_port);
}

static bool accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
    close(fd);
    return ok;
}

/* ------------------------------------------------------------ weft */

static weft_http_session *wsess;
static long wleft, werrors;

static int weft_worker(void *arg)
{
    while (wleft > 0) {
        wleft--;
        weft_http_response *r;
        int rc = weft_http_session_get(wsess, url, NULL, &r);
        if (rc == 0) {
            size_t len;
            rc = weft_http_response_read_all(r, NULL, &len);
            if (rc == 0 && (weft_http_response_status(r) != 200 || len != 13))
                rc = -EPROTO;
            weft_http_response_free(r);
        }
        if (rc < 0)
            werrors++;
    }
    return 0;
}

static double weft_secs;

static int weft_main(void *arg)
{
    weft_http_session_opts o = {.limit = (size_t)nconn};
    if (weft_http_session_new(NULL, &o, &wsess) < 0)
        return -1;
    wleft = nreq;
    werrors = 0;
    weft_group *g;
    weft_group_new(&g);
    double t0 = now();
    for (int i = 0; i < nconn; i++)
        weft_group_spawn(g, weft_worker, NULL);
    weft_group_wait(g);
    weft_secs = now() - t0;
    weft_group_free(g);
    weft_http_session_close(wsess);
    return 0;
}

static double run_weft(void)
{
    /* In a child pinned to the client core, like the other tools. */
    char out[128];
    snprintf(out, sizeof out, "%s/weft.out", tmpdir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pin(1);
        weft_run(weft_main, NULL);
        FILE *f = fopen(out, "w");
        fprintf(f, "%ld %.6f %ld\n", nreq, weft_secs, werrors);
        fclose(f);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    FILE *f = fopen(out, "r");
    long n = 0, errs = 0;
    double secs = 0;
    if (!f || fscanf(f, "%ld %lf %ld", &n, &secs, &errs) != 3 || secs <= 0) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    if (errs)
        fprintf(stderr, "bench_client: weft had %ld errors\n", errs);
    return (double)n / secs;
}

/* ------------------------------------------------------------ anchors */

/* A "REQS SECONDS ERRORS" line from a tool. */
static double rate_from(const char *path, const char *who)
{
    FILE *f = fopen(path, "r");
    long n = 0, errs = 0;
    double secs = 0;
    int ok = f ? fscanf(f, "%ld %lf %ld", &n, &secs, &errs) : 0;
    if (f)
        fclose(f);
    if (ok != 3 || secs <= 0)
        return -1;
    if (errs)
        fprintf(stderr, "bench_client: %s had %ld errors\n", who, errs);
    return (double)n / secs;
}

static double run_wrk(void)
{
    char c[16], d[16], out[128];
    snprintf(c, sizeof c, "-c%d", nconn);
    snprintf(d, sizeof d, "-d%.0fs", wrk_secs);
    snprintf(out, sizeof out, "%s/wrk.out", tmpdir);
    const char *argv[] = {"wrk", "-t1", c, d, url, NULL};
    if (run_pinned(1, argv, out) != 0)
        return -1;
    FILE *f = fopen(out, "r");
    char line[256];
    double rps = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Requests/sec: %lf", &rps) == 1)
            break;
    if (f)
        fclose(f);
    return rps;
}

static char curl_multi_bin[128];

static double run_libcurl(void)
{
    char n[24], c[16], out[128];
    snprintf(n, sizeof n, "%ld", nreq);
    snprintf(c, sizeof c, "%d", nconn);
    snprintf(out, sizeof out, "%s/curl_multi.out", tmpdir);
    const char *argv[] = {curl_multi_bin, url, n, c, NULL};
    if (run_pinned(1, argv, out) != 0)
        return -1;
    return rate_from(out, "libcurl multi");
}

static char curl_cfg[128];

static double run_curl_parallel(void)
{
    char c[16], out[128];
    snprintf(c, sizeof c, "%d", nconn);
    snprintf(out, sizeof out, "%s/curl.out", tmpdir);
    const char *argv[] = {"curl", "-s", "--no-progress-meter", "--parallel",
                          "--parallel-immediate", "--parallel-max", c, "-K", curl_cfg, NULL};
    double t0 = now();
    int rc = run_pinned(1, argv, out);
    double dt = now() - t0;
    return rc == 0 ? (double)nreq / dt : -1;
}

static char aio_script[512];

static double run_aiohttp(void)
{
    /* Fewer requests: at aiohttp's pace 20,000 would take many seconds, and
     * a rate does not need them. */
    char n[24], c[16], out[128];
    snprintf(n, sizeof n, "%ld", nreq / 4 > 1000 ? nreq / 4 : nreq);
    snprintf(c, sizeof c, "%d", nconn);
    snprintf(out, sizeof out, "%s/aiohttp.out", tmpdir);
    const char *argv[] = {"/usr/bin/python3", aio_script, url, n, c, NULL};
    if (run_pinned(1, argv, out) != 0)
        return -1;
    return rate_from(out, "aiohttp");
}

/* ------------------------------------------------------------ main */

struct tool {
    const char *name;
    double (*run)(void);
    bool on;
    double r[MAX_ROUNDS];
    int n;
    double median;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *find_floor(const char *srcdir)
{
    static char p[600];
    const char *env = getenv("WEFT_FLOOR_SRC");
    if (env && exists(env))
        return env;
    const char *cands[] = {"%s/../shared/bench/floor.c", "%s/../../shared/bench/floor.c",
                           "/work/shared/bench/floor.c"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        snprintf(p, sizeof p, cands[i], srcdir);
        if (exists(p))
            return p;
    }
    return NULL;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (getenv("BENCH_REQS"))
        nreq = atol(getenv("BENCH_REQS"));
    if (getenv("BENCH_CONNS"))
        nconn = atoi(getenv("BENCH_CONNS"));
    if (getenv("BENCH_ROUNDS"))
        rounds = atoi(getenv("BENCH_ROUNDS"));
    if (getenv("BENCH_SECS"))
        wrk_secs = atof(getenv("BENCH_SECS"));
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 3;

    /* This file's folder: bench/ of the source tree. */
    char here[512];
    snprintf(here, sizeof here, "%s", __FILE__);
    char *benchdir = dirname(here);
    char srcdir[512];
    snprintf(srcdir, sizeof srcdir, "%s/..", benchdir);

    const char *floor_src = find_floor(srcdir);
    if (!floor_src) {
        printf("bench_client: SKIP (floor.c not found; set WEFT_FLOOR_SRC)\n");
        return 0;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/weft-bench-client-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    atexit(cleanup);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cc -O2 -o '%s/floor' '%s'", tmpdir, floor_src);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_client: cannot build floor.c\n");
        return 1;
    }
    int port = free_port();
    char floor_bin[128], portarg[16];
    snprintf(floor_bin, sizeof floor_bin, "%s/floor", tmpdir);
    snprintf(portarg, sizeof portarg, "%d", port);
    fflush(stdout);
    floor_pid = fork();
    if (floor_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        pin(0);
        execl(floor_bin, floor_bin, portarg, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !accepts(port); i++)
        usleep(10000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);

    struct tool tools[] = {
        {.name = "weft session", .run = run_weft, .on = true},
        {.name = "wrk", .run = run_wrk, .on = have_program("wrk")},
        {.name = "libcurl multi", .run = run_libcurl},
        {.name = "curl --parallel", .run = run_curl_parallel, .on = have_program("curl")},
        {.name = "aiohttp", .run = run_aiohttp},
    };
    snprintf(curl_multi_bin, sizeof curl_multi_bin, "%s/curl_multi", tmpdir);
    snprintf(cmd, sizeof cmd, "cc -O2 -o '%s' '%s/client/curl_multi.c' -lcurl 2>/dev/null",
             curl_multi_bin, benchdir);
    tools[2].on = system(cmd) == 0;
    snprintf(aio_script, sizeof aio_script, "%s/client/aiohttp_bench.py", benchdir);
    tools[4].on = system("/usr/bin/python3 -c 'import aiohttp' 2>/dev/null") == 0;
    if (tools[3].on) {
        snprintf(curl_cfg, sizeof curl_cfg, "%s/curl.cfg", tmpdir);
        FILE *f = fopen(curl_cfg, "w");
        for (long i = 0; i < nreq; i++)
            fprintf(f, "url = \"%s\"\noutput = \"/dev/null\"\n", url);
        fclose(f);
    }

    printf("bench_client: %ld GETs, %d connections, keep-alive, floor server on CPU 0, "
           "clients on CPU 1, %d rounds (median)\n",
           nreq, nconn, rounds);
    size_t ntools = sizeof tools / sizeof tools[0];
    for (int round = 0; round < rounds; round++) {
        for (size_t t = 0; t < ntools; t++) {
            if (!tools[t].on)
                continue;
            double r = tools[t].run();
            if (r > 0)
                tools[t].r[tools[t].n++] = r;
        }
    }
    for (size_t t = 0; t < ntools; t++) {
        if (tools[t].n) {
            qsort(tools[t].r, (size_t)tools[t].n, sizeof(double), cmp_double);
            tools[t].median = tools[t].r[tools[t].n / 2];
        }
    }
    double w = tools[0].median;
    printf("  %-16s %12s %12s\n", "client", "req/s", "weft / it");
    for (size_t t = 0; t < ntools; t++) {
        if (!tools[t].on || !tools[t].n) {
            printf("  %-16s %12s\n", tools[t].name, "skipped (not installed or failed)");
            continue;
        }
        printf("  %-16s %12.0f %12.2f\n", tools[t].name, tools[t].median,
               w / tools[t].median);
    }
    if (tools[1].n)
        printf("weft session vs wrk: %.2f (goal >= 0.7)\n", w / tools[1].median);
    if (tools[2].n)
        printf("weft session vs libcurl multi: %.2f (goal >= 2)\n", w / tools[2].median);
    if (tools[3].n)
        printf("weft session vs curl --parallel: %.2f (goal >= 2)\n", w / tools[3].median);
    if (tools[4].n)
        printf("weft session vs aiohttp: %.1f (goal >= 10)\n", w / tools[4].median);
    return w > 0 ? 0 : 1;
}
