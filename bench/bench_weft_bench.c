/*
 * bench_weft_bench.c - `weft bench` against wrk, the anchor, in one run.
 *
 * Builds the floor server (../shared/bench/floor.c, the least an HTTP/1.1
 * server can do) with cc -O2 and pins it to CPU 1; then runs wrk and
 * `weft bench` in turn, pinned to CPU 0, with the same connections and one
 * thread each, against it: keep-alive GETs, 3 rounds of 3 s each, taken
 * alternately so that neither gets the quieter moment. Prints each run's
 * requests/s, the medians and the ratio weft / wrk (goal >= 0.9).
 *
 * Usage: bench_weft_bench [CONNECTIONS] [SECONDS]   (default 64 connections, 3 s)
 * Finds the weft tool next to this program (../weft) and the floor server in
 * $WEFT_SHARED/bench, ../shared/bench beside the source tree, or
 * /work/shared/bench. Needs wrk and taskset; says so and exits 0 without them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 3

static char tmp[] = "/tmp/weft-bench-XXXXXX";

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static bool find_floor(char *out, size_t n)
{
    const char *env = getenv("WEFT_SHARED");
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s", __FILE__);
    char *slash = strrchr(src, '/');
    if (slash)
        *slash = 0; /* .../bench */
    const char *cands[3] = { NULL, NULL, "/work/shared/bench/floor.c" };
    char a[PATH_MAX + 32], b[PATH_MAX + 32];
    if (env) {
        snprintf(a, sizeof a, "%s/bench/floor.c", env);
        cands[0] = a;
    }
    snprintf(b, sizeof b, "%s/../../shared/bench/floor.c", src);
    cands[1] = b;
    for (int i = 0; i < 3; i++)
        if (cands[i] && exists(cands[i])) {
            snprintf(out, n, "%s", cands[i]);
            return true;
        }
    return false;
}

/* Run a shell command, return its stdout (first 64 KiB). */
static char *capture(const char *cmd)
{
    static char buf[65536];
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? buf : NULL;
}

static double wrk_rps(int conns, int secs, int port)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "taskset -c 0 wrk -t 1 -c %d -d %ds http://127.0.0.1:%d/ 2>&1", conns, secs, port);
    char *out = capture(cmd);
    char *p = out ? strstr(out, "Requests/sec:") : NULL;
    return p ? strtod(p + 13, NULL) : -1;
}

static double weft_rps(const char *weft, int conns, int secs, int port)
{
    char cmd[PATH_MAX + 256];
    snprintf(cmd, sizeof cmd,
             "taskset -c 0 '%s' bench --json -t 1 -c %d -d %ds http://127.0.0.1:%d/ 2>&1", weft,
             conns, secs, port);
    char *out = capture(cmd);
    char *p = out ? strstr(out, "\"requests_per_sec\":") : NULL;
    return p ? strtod(p + 19, NULL) : -1;
}

/* A port nothing listens on now (the kernel's pick for port 0). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int conns = argc > 1 ? atoi(argv[1]) : 64, secs = argc > 2 ? atoi(argv[2]) : 3;
    char floor_src[PATH_MAX], weft[PATH_MAX + 16], self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    *strrchr(self, '/') = 0; /* build/bench */
    snprintf(weft, sizeof weft, "%s/../weft", self);
    if (!exists(weft) || !find_floor(floor_src, sizeof floor_src) ||
        system("command -v wrk >/dev/null && command -v taskset >/dev/null") != 0) {
        printf("bench_weft_bench: needs the weft tool, wrk, taskset and shared/bench/floor.c;"
               " skipped\n");
        return 0;
    }
    if (!mkdtemp(tmp))
        return 1;
    char cmd[PATH_MAX * 2 + 64];
    snprintf(cmd, sizeof cmd, "cc -O2 -o %s/floor '%s'", tmp, floor_src);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_weft_bench: cannot build the floor server\n");
        return 1;
    }
    int port = free_port();
    if (port <= 0)
        return 1;
    pid_t srv = fork();
    if (srv == 0) {
        char bin[PATH_MAX], ps[16];
        snprintf(bin, sizeof bin, "%s/floor", tmp);
        snprintf(ps, sizeof ps, "%d", port);
        execlp("taskset", "taskset", "-c", "1", bin, ps, (char *)NULL);
        _exit(127);
    }
    /* wait until it accepts */
    for (int i = 0; i < 50; i++) {
        snprintf(cmd, sizeof cmd, "exec 3<>/dev/tcp/127.0.0.1/%d", port);
        char sh[sizeof cmd + 32];
        snprintf(sh, sizeof sh, "bash -c '%s' 2>/dev/null", cmd);
        if (system(sh) == 0)
            break;
        usleep(100000);
    }
    printf("floor server on CPU 1, load generators on CPU 0, %d connections, 1 thread, %d s"
           " runs (machine may be shared: see the notes)\n",
           conns, secs);
    double w[ROUNDS], k[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        if (r % 2 == 0) {
            k[r] = wrk_rps(conns, secs, port);
            w[r] = weft_rps(weft, conns, secs, port);
        } else {
            w[r] = weft_rps(weft, conns, secs, port);
            k[r] = wrk_rps(conns, secs, port);
        }
        printf("  round %d: wrk %10.0f req/s   weft bench %10.0f req/s\n", r + 1, k[r], w[r]);
    }
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_weft_bench: could not remove %s\n", tmp);
    qsort(w, ROUNDS, sizeof *w, cmp_double);
    qsort(k, ROUNDS, sizeof *k, cmp_double);
    if (w[0] < 0 || k[0] < 0) {
        fprintf(stderr, "bench_weft_bench: a run failed\n");
        return 1;
    }
    printf("median: wrk %.0f req/s, weft bench %.0f req/s   ratio = weft / wrk = %.2f\n",
           k[ROUNDS / 2], w[ROUNDS / 2], w[ROUNDS / 2] / k[ROUNDS / 2]);
    return 0;
}
