/*
 * bench.c - `weft bench`: an HTTP/1.1 load generator like wrk, built on
 * weft's loops, transports, TLS and response parser (the engine is in
 * bench_load.c). This file reads the command line, formats the request once
 * and prints the report.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "cli/bench_int.h"
#include "cli/cli.h"
#include "weft/http.h"
#include "weft/http1.h"
#include "weft/url.h"

#define MAX_CONNECTIONS 100000u
#define MAX_THREADS 256u
#define MAX_PIPELINE 1024u
#define MAX_HEADERS 64
#define N_CAP_DEFAULT (600ull * 1000000000ull) /* a -n run without -d: 10 minutes at most */

static const char *const err_names[BENCH_NERR] = { "connect", "read", "timeout", "parse",
                                                   "status" };

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: weft bench URL [OPTIONS]\n\n"
            "Load an HTTP/1.1 server with keep-alive connections and report throughput and\n"
            "latency, like wrk. http:// and https:// URLs.\n\n"
            "Options:\n"
            "  -c, --connections N  connections to keep open (default 10)\n"
            "  -t, --threads N      threads, each with its own loop and share of the\n"
            "                       connections (default 2, at most the connections)\n"
            "  -d, --duration T     run for T (10s, 500ms, 2m; default 10s); with -n, a cap\n"
            "  -n, --requests N     send exactly N requests in total, then stop (each is\n"
            "                       answered or counted as an error); capped at 10 min\n"
            "                       unless -d says otherwise\n"
            "  -H, --header 'K: V'  add a request header (repeatable; replaces Host or\n"
            "                       User-Agent)\n"
            "  -X, --method M       request method (default GET; no request body)\n"
            "      --pipeline N     requests in flight per connection (default 1)\n"
            "      --rate R         open loop: R requests/s in total at a constant pace;\n"
            "                       latency counts from when each request was due\n"
            "                       (coordinated omission corrected)\n"
            "      --timeout T      a request (or connect) with no answer after T fails\n"
            "                       as a timeout (default 5s)\n"
            "  -k, --insecure       https: do not verify the server's certificate\n"
            "      --cacert FILE    https: trust the CA certificates in FILE\n"
            "      --json           print the report as one JSON object\n"
            "  -h, --help           show this help and exit\n\n"
            "Latency percentiles come from a log-linear histogram (0.4%% resolution) merged\n"
            "across threads. Errors are counted by kind: connect (connect or TLS handshake\n"
            "failed), read (connection broke with requests in flight), timeout, parse\n"
            "(not valid HTTP/1.1) and status (responses with status >= 400).\n\n"
            "Exit status: 0 when every request got a response below 400 (and, with -n, all\n"
            "N did); 1 when any failed; 2 for bad usage.\n\n"
            "Example: weft bench -c 64 -t 2 -d 10s http://127.0.0.1:8080/\n");
}

/* --------------------------------------------------------------- request */

static int build_request(bench_cfg *cfg, const char *method, const weft_url *u, char **hdrs,
                         int nhdr, char **out)
{
    const char *host = NULL, *ua = NULL;
    size_t cap = 256 + strlen(method) + strlen(weft_url_request_target(u)) +
                 strlen(weft_url_host_header(u));
    for (int i = 0; i < nhdr; i++) {
        cap += strlen(hdrs[i]) + 2;
        if (strncasecmp(hdrs[i], "host:", 5) == 0)
            host = hdrs[i];
        else if (strncasecmp(hdrs[i], "user-agent:", 11) == 0)
            ua = hdrs[i];
    }
    char *r = malloc(cap), *p = r;
    if (!r)
        return -ENOMEM;
    p += sprintf(p, "%s %s HTTP/1.1\r\n", method, weft_url_request_target(u));
    if (host)
        p += sprintf(p, "%s\r\n", host);
    else
        p += sprintf(p, "Host: %s\r\n", weft_url_host_header(u));
    if (!ua)
        p += sprintf(p, "User-Agent: weft-bench/%s\r\n", WEFT_VERSION_STRING);
    for (int i = 0; i < nhdr; i++)
        if (hdrs[i] != host)
            p += sprintf(p, "%s\r\n", hdrs[i]);
    p += sprintf(p, "\r\n");
    cfg->request = r;
    cfg->reqlen = (size_t)(p - r);
    *out = r;
    return 0;
}

/* "Name: value" with a token name and a clean value; normalised to one
 * space after the colon. */
static char *parse_header(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || !weft_http_token_valid(s, (size_t)(colon - s)))
        return NULL;
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vl = strlen(v);
    while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        vl--;
    if (!weft_http_value_valid(v, vl))
        return NULL;
    char *h = malloc((size_t)(colon - s) + vl + 3);
    if (!h)
        return NULL;
    sprintf(h, "%.*s: %.*s", (int)(colon - s), s, (int)vl, v);
    return h;
}

static int method_id(const char *m)
{
    static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "DELETE",
                                         "CONNECT", "OPTIONS", "TRACE", "PATCH" };
    for (int i = 0; i < 9; i++)
        if (strcmp(m, names[i]) == 0)
            return i + 1; /* enum weft_h1_method: GET is 1 */
    return WEFT_H1_METHOD_OTHER;
}

/* ---------------------------------------------------------------- report */

static void fmt_time(char *buf, size_t n, double ns)
{
    if (ns < 1e3)
        snprintf(buf, n, "%.0fns", ns);
    else if (ns < 1e6)
        snprintf(buf, n, "%.1fus", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, n, "%.2fms", ns / 1e6);
    else
        snprintf(buf, n, "%.2fs", ns / 1e9);
}

static void fmt_bytes(char *buf, size_t n, double b)
{
    if (b < 1024)
        snprintf(buf, n, "%.0fB", b);
    else if (b < 1024 * 1024)
        snprintf(buf, n, "%.2fKB", b / 1024);
    else if (b < 1024.0 * 1024 * 1024)
        snprintf(buf, n, "%.2fMB", b / (1024 * 1024));
    else
        snprintf(buf, n, "%.2fGB", b / (1024.0 * 1024 * 1024));
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static const double pcts[] = { 50, 90, 99, 99.9 };
static const char *const pct_names[] = { "p50", "p90", "p99", "p99_9" };

static void report_json(const bench_cfg *cfg, const bench_result *r, double secs)
{
    printf("{\"url_host\":");
    json_string(cfg->sni);
    printf(",\"threads\":%u,\"connections\":%u,\"pipeline\":%u,\"rate\":%.3f,", cfg->threads,
           cfg->connections, cfg->pipeline, cfg->rate);
    printf("\"requests\":%llu,\"issued\":%llu,\"duration_s\":%.6f,\"requests_per_sec\":%.2f,",
           (unsigned long long)r->completed, (unsigned long long)r->issued, secs,
           secs > 0 ? (double)r->completed / secs : 0.0);
    printf("\"bytes\":%llu,\"bytes_per_sec\":%.2f,\"connects\":%llu,",
           (unsigned long long)r->bytes, secs > 0 ? (double)r->bytes / secs : 0.0,
           (unsigned long long)r->connects);
    printf("\"latency_ns\":{\"min\":%llu,\"mean\":%.1f,\"stdev\":%.1f,\"max\":%llu",
           (unsigned long long)(r->lat.count ? r->lat.min : 0), weft_hist_mean(&r->lat),
           weft_hist_stdev(&r->lat), (unsigned long long)r->lat.max);
    for (int i = 0; i < 4; i++)
        printf(",\"%s\":%llu", pct_names[i],
               (unsigned long long)weft_hist_percentile(&r->lat, pcts[i]));
    printf("},\"status\":{");
    const char *sep = "";
    for (int s = 0; s < 1000; s++)
        if (r->status[s]) {
            printf("%s\"%d\":%llu", sep, s, (unsigned long long)r->status[s]);
            sep = ",";
        }
    printf("},\"errors\":{");
    for (int k = 0; k < BENCH_NERR; k++)
        printf("%s\"%s\":%llu", k ? "," : "", err_names[k], (unsigned long long)r->errors[k]);
    printf("},\"first_errors\":{");
    sep = "";
    for (int k = 0; k < BENCH_NERR; k++)
        if (r->first_error[k][0]) {
            printf("%s\"%s\":", sep, err_names[k]);
            json_string(r->first_error[k]);
            sep = ",";
        }
    printf("}}\n");
}

static void report_text(const bench_cfg *cfg, const char *url, const bench_result *r,
                        double secs)
{
    char a[32], b[32], c[32];
    printf("Running %s @ %s\n", cfg->requests ? "a fixed-count test" : "a timed test", url);
    printf("  %u thread%s and %u connection%s, pipeline %u, ", cfg->threads,
           cfg->threads == 1 ? "" : "s", cfg->connections, cfg->connections == 1 ? "" : "s",
           cfg->pipeline);
    if (cfg->rate > 0)
        printf("open loop at %.0f requests/s\n", cfg->rate);
    else
        printf("closed loop\n");
    fmt_bytes(a, sizeof a, (double)r->bytes);
    printf("  Requests      %llu in %.2fs, %s read\n", (unsigned long long)r->completed, secs, a);
    printf("  Requests/sec  %.2f\n", secs > 0 ? (double)r->completed / secs : 0.0);
    fmt_bytes(a, sizeof a, secs > 0 ? (double)r->bytes / secs : 0.0);
    printf("  Transfer/sec  %s\n", a);
    fmt_time(a, sizeof a, weft_hist_mean(&r->lat));
    fmt_time(b, sizeof b, weft_hist_stdev(&r->lat));
    fmt_time(c, sizeof c, (double)r->lat.max);
    printf("  Latency       avg %s  stdev %s  max %s\n", a, b, c);
    printf("               ");
    for (int i = 0; i < 4; i++) {
        fmt_time(a, sizeof a, (double)weft_hist_percentile(&r->lat, pcts[i]));
        printf(" p%g %s", pcts[i], a);
    }
    printf("\n  Status codes ");
    int shown = 0;
    for (int s = 0; s < 1000; s++)
        if (r->status[s]) {
            printf(" %d: %llu", s, (unsigned long long)r->status[s]);
            shown++;
        }
    printf("%s\n  Errors       ", shown ? "" : " none");
    for (int k = 0; k < BENCH_NERR; k++)
        printf(" %s %llu%s", err_names[k], (unsigned long long)r->errors[k],
               k + 1 < BENCH_NERR ? "," : "\n");
    for (int k = 0; k < BENCH_NERR; k++)
        if (r->errors[k] && r->first_error[k][0])
            printf("    %s: %s\n", err_names[k], r->first_error[k]);
    if (cfg->requests && r->completed + r->errors[BENCH_ERR_READ] + r->errors[BENCH_ERR_TIMEOUT] +
                                 r->errors[BENCH_ERR_PARSE] <
                             cfg->requests)
        printf("  Stopped before all %llu requests were answered%s\n",
               (unsigned long long)cfg->requests,
               r->gave_up ? " (connections gave up connecting)" : " (the time cap passed)");
}

/* ------------------------------------------------------------------ main */

enum { OPT_PIPELINE = 256, OPT_RATE, OPT_TIMEOUT, OPT_CACERT, OPT_JSON };

int weft_cli_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "connections", required_argument, NULL, 'c' },
        { "threads", required_argument, NULL, 't' },
        { "duration", required_argument, NULL, 'd' },
        { "requests", required_argument, NULL, 'n' },
        { "header", required_argument, NULL, 'H' },
        { "method", required_argument, NULL, 'X' },
        { "pipeline", required_argument, NULL, OPT_PIPELINE },
        { "rate", required_argument, NULL, OPT_RATE },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "insecure", no_argument, NULL, 'k' },
        { "cacert", required_argument, NULL, OPT_CACERT },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bench_cfg cfg = { .connections = 10, .pipeline = 1, .timeout_ns = 5000000000ull };
    uint64_t v;
    bool threads_set = false, duration_set = false, json = false;
    const char *method = "GET";
    char *hdrs[MAX_HEADERS];
    int nhdr = 0, status = WEFT_CLI_USAGE, opt;
    cfg.duration_ns = 10000000000ull;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:t:d:n:H:X:kh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            if (weft_cli_parse_uint(optarg, MAX_CONNECTIONS, &v) < 0 || v == 0) {
                status = weft_cli_usage_error("bench", "bad connection count '%s' (1..%u)",
                                              optarg, MAX_CONNECTIONS);
                goto out;
            }
            cfg.connections = (unsigned)v;
            break;
        case 't':
            if (weft_cli_parse_uint(optarg, MAX_THREADS, &v) < 0 || v == 0) {
                status = weft_cli_usage_error("bench", "bad thread count '%s' (1..%u)", optarg,
                                              MAX_THREADS);
                goto out;
            }
            cfg.threads = (unsigned)v;
            threads_set = true;
            break;
        case 'd':
            if (weft_cli_parse_duration(optarg, &v) < 0 || v == 0) {
                status = weft_cli_usage_error("bench", "bad duration '%s'", optarg);
                goto out;
            }
            cfg.duration_ns = v;
            duration_set = true;
            break;
        case 'n':
            if (weft_cli_parse_uint(optarg, 1000000000000ull, &v) < 0 || v == 0) {
                status = weft_cli_usage_error("bench", "bad request count '%s'", optarg);
                goto out;
            }
            cfg.requests = v;
            break;
        case 'H':
            if (nhdr == MAX_HEADERS) {
                status = weft_cli_usage_error("bench", "too many -H (at most %d)", MAX_HEADERS);
                goto out;
            }
            if (!(hdrs[nhdr] = parse_header(optarg))) {
                status = weft_cli_usage_error("bench", "bad header '%s' (want 'Name: value')",
                                              optarg);
                goto out;
            }
            nhdr++;
            break;
        case 'X':
            if (!weft_http_token_valid(optarg, strlen(optarg)) || strlen(optarg) > 32) {
                status = weft_cli_usage_error("bench", "bad method '%s'", optarg);
                goto out;
            }
            method = optarg;
            break;
        case OPT_PIPELINE:
            if (weft_cli_parse_uint(optarg, MAX_PIPELINE, &v) < 0 || v == 0) {
                status = weft_cli_usage_error("bench", "bad pipeline depth '%s' (1..%u)", optarg,
                                              MAX_PIPELINE);
                goto out;
            }
            cfg.pipeline = (unsigned)v;
            break;
        case OPT_RATE: {
            char *end;
            errno = 0;
            double r = strtod(optarg, &end);
            if (errno || *end || !(r > 0) || r > 1e9) {
                status = weft_cli_usage_error("bench", "bad rate '%s' (requests/s, > 0)", optarg);
                goto out;
            }
            cfg.rate = r;
            break;
        }
        case OPT_TIMEOUT:
            if (weft_cli_parse_duration(optarg, &v) < 0 || v < 1000000ull) {
                status = weft_cli_usage_error("bench", "bad timeout '%s' (at least 1ms)", optarg);
                goto out;
            }
            cfg.timeout_ns = v;
            break;
        case 'k':
            cfg.insecure = true;
            break;
        case OPT_CACERT:
            cfg.cacert = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case 'h':
            usage(stdout);
            status = 0;
            goto out;
        default:
            fprintf(stderr, "Try 'weft bench --help' for more information.\n");
            goto out;
        }
    }
    if (optind != argc - 1) {
        status = weft_cli_usage_error("bench", optind < argc ? "one URL only" : "a URL is needed");
        goto out;
    }
    const char *url = argv[optind];
    weft_url *u;
    int r = weft_url_parse(url, strlen(url), &u);
    if (r < 0) {
        status = weft_cli_usage_error("bench", "bad URL '%s': %s", url, weft_strerror(r));
        goto out;
    }
    const char *scheme = weft_url_scheme(u);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        status = weft_cli_usage_error("bench", "only http:// and https:// URLs, not '%s:'", scheme);
        weft_url_free(u);
        goto out;
    }
    if (!threads_set)
        cfg.threads = cfg.connections < 2 ? 1 : 2;
    if (cfg.threads > cfg.connections) {
        weft_url_free(u);
        status = weft_cli_usage_error("bench", "more threads (%u) than connections (%u)",
                                      cfg.threads, cfg.connections);
        goto out;
    }
    if (cfg.requests && !duration_set)
        cfg.duration_ns = N_CAP_DEFAULT;
    cfg.host = weft_url_hostname(u);
    cfg.sni = cfg.host;
    cfg.port = (uint16_t)weft_url_port(u);
    cfg.tls = strcmp(scheme, "https") == 0;
    cfg.method = method_id(method);
    char *req;
    if (build_request(&cfg, method, u, hdrs, nhdr, &req) < 0) {
        weft_url_free(u);
        fprintf(stderr, "weft bench: out of memory\n");
        status = 1;
        goto out;
    }
    /* every connection is an fd: make room up to the hard limit */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < cfg.connections + 64u) {
        rl.rlim_cur = rl.rlim_max < cfg.connections + 64u ? rl.rlim_max : cfg.connections + 64u;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    bench_result *res = malloc(sizeof *res);
    if (!res) {
        free(req);
        weft_url_free(u);
        status = 1;
        goto out;
    }
    r = weft__bench_run(&cfg, res);
    if (r < 0) {
        fprintf(stderr, "weft bench: cannot start: %s%s%s\n", weft_strerror(r),
                res->first_error[BENCH_ERR_CONNECT][0] ? ": " : "",
                res->first_error[BENCH_ERR_CONNECT]);
        status = 1;
    } else {
        double secs = res->end_ns > res->start_ns ? (double)(res->end_ns - res->start_ns) / 1e9
                                                  : 0.0;
        if (json)
            report_json(&cfg, res, secs);
        else
            report_text(&cfg, url, res, secs);
        uint64_t errs = 0;
        for (int k = 0; k < BENCH_NERR; k++)
            errs += res->errors[k];
        status = errs || res->completed == 0 ||
                         (cfg.requests && res->completed < cfg.requests)
                     ? 1
                     : 0;
    }
    free(res);
    free(req);
    weft_url_free(u);
out:
    for (int i = 0; i < nhdr; i++)
        free(hdrs[i]);
    return status;
}
