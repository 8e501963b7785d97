/*
 * get.c - `weft get`: fetch a URL like curl, on weft's HTTP client (the
 * blocking face: a private loop runs inside each call).
 *
 * The flags mean what they mean to curl users, and so do the exit statuses
 * where curl has one (6 for DNS, 7 for connect, 28 for a timeout, 22 for an
 * HTTP error with -f, ...): scripts written for curl keep working. The table
 * is in usage() below and docs/weft-get.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/get_int.h"
#include "http/codec_int.h"
#include "weft/http_client.h"
#include "weft/http_codec.h"

/* Exit statuses (curl's numbers). */
enum {
    EXIT_OK = 0,
    EXIT_OTHER = 1,
    EXIT_URL = 3,
    EXIT_DNS = 6,
    EXIT_CONNECT = 7,
    EXIT_PROTOCOL = 8,
    EXIT_PARTIAL = 18,
    EXIT_HTTP = 22,
    EXIT_WRITE = 23,
    EXIT_READ = 26,
    EXIT_TIMEOUT = 28,
    EXIT_TLS = 35,
    EXIT_REDIRECTS = 47,
    EXIT_TLS_VERIFY = 60,
    EXIT_ENCODING = 61,
};

#define MAX_HEADERS 128
#define MAX_DATA (1u << 30) /* -d bodies are read into memory */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: weft get URL [OPTIONS]\n\n"
            "Fetch URL and write the body to stdout, like curl. A URL without a scheme\n"
            "is taken as http://.\n\n"
            "Options:\n"
            "  -o, --output FILE      write the body to FILE ('-': stdout); a progress bar\n"
            "                         shows on stderr when it is a terminal\n"
            "  -i, --include          write the response head before the body\n"
            "  -I, --head             send HEAD and write the response head only\n"
            "  -X, --request METHOD   the method (default GET, or POST with -d)\n"
            "  -H, --header 'K: V'    add a header; 'K:' removes a default one, 'K;' sends\n"
            "                         it empty (repeatable)\n"
            "  -d, --data DATA        POST DATA as application/x-www-form-urlencoded;\n"
            "                         @FILE reads it from FILE (@- stdin) without CR/LF;\n"
            "                         several -d are joined with '&'\n"
            "      --data-binary DATA like -d, but @FILE is sent byte for byte\n"
            "  -L, --location         follow redirects (3xx with Location)\n"
            "      --max-redirs N     follow at most N redirects (default 50)\n"
            "      --cacert FILE      trust the CA certificates in FILE (https)\n"
            "  -k, --insecure         do not verify the server's certificate (https)\n"
            "  -u, --user USER:PASS   credentials, sent with Basic authentication\n"
            "      --digest           use Digest authentication (RFC 7616) with -u\n"
            "      --anyauth          answer whichever challenge the server sends\n"
            "  -x, --proxy URL        use an HTTP proxy (CONNECT for https); without -x\n"
            "                         http_proxy, https_proxy and no_proxy apply\n"
            "      --compressed       ask for gzip, deflate, br or zstd and decode it\n"
            "  -b, --cookie FILE|K=V  send cookies from a Netscape cookie file, or this\n"
            "                         'name=value; ...' string\n"
            "  -c, --cookie-jar FILE  write every cookie to FILE afterwards\n"
            "  -A, --user-agent UA    the User-Agent (default weft/%s)\n"
            "      --max-time T       give up on the whole transfer after T (10, 2.5, 500ms)\n"
            "      --connect-timeout T  give up connecting after T (default 30s)\n"
            "      --dns-servers LIST resolve with these servers ('127.0.0.1:53,...')\n"
            "  -f, --fail             fail with exit 22 and no body on an HTTP status >= 400\n"
            "  -v, --verbose          show request and response heads, connects, TLS and\n"
            "                         each redirect on stderr\n"
            "  -s, --silent           no progress bar and no error messages\n"
            "  -S, --show-error       with -s, still print error messages\n"
            "  -h, --help             show this help and exit\n\n"
            "Exit statuses (as curl's):\n"
            "   0  success                        22  HTTP status >= 400 with -f\n"
            "   1  other failure                  23  cannot write the output\n"
            "   2  bad usage                      26  cannot read a -d @file or -b file\n"
            "   3  bad URL                        28  timeout (--max-time, connect, read)\n"
            "   6  DNS: cannot resolve the host   35  TLS handshake failed\n"
            "   7  cannot connect (refused, ...)  47  too many redirects\n"
            "   8  malformed response (protocol)  60  TLS certificate not verified\n"
            "  18  body cut short                 61  bad content encoding (or a bomb)\n",
            WEFT_VERSION_STRING);
}

/* --------------------------------------------------------------- options */

struct get_opts {
    const char *url, *output, *method, *cacert, *user, *proxy, *cookie, *cookie_jar;
    const char *agent, *dns_servers;
    bool include, head, follow, insecure, compressed, fail, verbose, silent, show_error;
    int auth;
    long max_redirs;
    uint64_t max_time, connect_timeout;
    char *data;       /* -d / --data-binary, joined */
    size_t data_len;
    bool has_data;
    char *hdr[MAX_HEADERS];
    int nhdr;
};

static bool quiet(const struct get_opts *o)
{
    return o->silent && !o->show_error;
}

static int fail_msg(const struct get_opts *o, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_msg(const struct get_opts *o, int code, const char *fmt, ...)
{
    if (!quiet(o)) {
        va_list ap;
        fprintf(stderr, "weft get: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    return code;
}

/* Read a whole file (or stdin for "-") into memory. */
static int slurp(const char *path, char **out, size_t *len)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    int err = 0;
    for (;;) {
        if (!buf) {
            err = -ENOMEM;
            break;
        }
        if (n == cap) {
            if (cap >= MAX_DATA) {
                err = -EFBIG;
                break;
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                err = -ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = -errno;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (fd != 0)
        close(fd);
    if (err) {
        free(buf);
        return err;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

/* Add one -d / --data-binary to the body, '&' between pieces (curl). */
static int add_data(struct get_opts *o, const char *arg, bool binary, const char **why)
{
    char *piece = NULL;
    size_t plen = 0;
    if (arg[0] == '@') {
        int r = slurp(arg + 1, &piece, &plen);
        if (r < 0) {
            *why = weft_strerror(r);
            return r;
        }
        if (!binary) { /* -d @file drops CR and LF, as curl does */
            size_t k = 0;
            for (size_t i = 0; i < plen; i++)
                if (piece[i] != '\r' && piece[i] != '\n')
                    piece[k++] = piece[i];
            plen = k;
        }
    } else {
        plen = strlen(arg);
        piece = malloc(plen + 1);
        if (!piece)
            return -ENOMEM;
        memcpy(piece, arg, plen);
    }
    size_t need = o->data_len + (o->has_data ? 1 : 0) + plen;
    char *nd = realloc(o->data, need + 1);
    if (!nd) {
        free(piece);
        return -ENOMEM;
    }
    o->data = nd;
    if (o->has_data)
        o->data[o->data_len++] = '&';
    memcpy(o->data + o->data_len, piece, plen);
    o->data_len += plen;
    o->data[o->data_len] = 0;
    o->has_data = true;
    free(piece);
    return 0;
}

/* --------------------------------------------------------------- results */

/* Exit status and message for a failed request or body read. */
static int report(const struct get_opts *o, int err, const char *errbuf, bool in_body)
{
    const char *line = errbuf && errbuf[0] ? errbuf : weft_strerror(err);
    if (err == WEFT_ETLS_VERIFY)
        return fail_msg(o, EXIT_TLS_VERIFY, "TLS: the server's certificate was not verified: %s",
                        line);
    if (err == WEFT_EHTTP_TOO_MANY_REDIRECTS)
        return fail_msg(o, EXIT_REDIRECTS, "too many redirects: %s", line);
    if (err <= WEFT_EHTTP_CODING_UNSUPPORTED && err >= WEFT_EHTTP_CODING_NOT_ACCEPTABLE)
        return fail_msg(o, EXIT_ENCODING, "bad content encoding: %s", line);
    if (in_body && (err == WEFT_EHTTP_TRUNCATED || err == -ECONNRESET || err == -EPIPE ||
                    err == WEFT_ETLS_NO_CLOSE_NOTIFY))
        return fail_msg(o, EXIT_PARTIAL, "the body was cut short: %s", line);
    switch (weft_http_error_class(err)) {
    case WEFT_HTTP_ERR_URL:
        return fail_msg(o, EXIT_URL, "bad URL: %s", line);
    case WEFT_HTTP_ERR_DNS:
        return fail_msg(o, EXIT_DNS, "DNS: %s", line);
    case WEFT_HTTP_ERR_CONNECT:
        return fail_msg(o, EXIT_CONNECT, "connect: %s", line);
    case WEFT_HTTP_ERR_TLS:
        return fail_msg(o, EXIT_TLS, "TLS: %s", line);
    case WEFT_HTTP_ERR_TIMEOUT:
        return fail_msg(o, EXIT_TIMEOUT, "timeout: %s", line);
    case WEFT_HTTP_ERR_PROTOCOL:
        return fail_msg(o, EXIT_PROTOCOL, "protocol error: %s", line);
    case WEFT_HTTP_ERR_STATUS:
        return fail_msg(o, EXIT_HTTP, "%s", line);
    default:
        return fail_msg(o, EXIT_OTHER, "%s", line);
    }
}

/* Where the body goes: stdout, or a file opened at the first byte (curl
 * creates no file for a transfer that fails before any data). */
struct sink {
    const char *path;   /* NULL: stdout */
    FILE *f;
    bool checked_binary;
    bool forced;        /* -o -: binary to a terminal is what was asked */
};

static int sink_open(struct sink *k)
{
    if (k->f)
        return 0;
    if (!k->path) {
        k->f = stdout;
        return 0;
    }
    k->f = fopen(k->path, "wb");
    return k->f ? 0 : -errno;
}

static int sink_write(struct sink *k, const void *p, size_t n)
{
    int r = sink_open(k);
    if (r < 0)
        return r;
    if (!k->checked_binary) {
        k->checked_binary = true;
        /* curl's guard: raw bytes to a terminal scramble it */
        if (k->f == stdout && !k->forced && isatty(1) && memchr(p, 0, n))
            return -EILSEQ;
    }
    if (n && fwrite(p, 1, n, k->f) != n)
        return -errno ? -errno : -EIO;
    return 0;
}

static int sink_close(struct sink *k)
{
    if (!k->f)
        return 0;
    int r = 0;
    if (k->f == stdout)
        r = fflush(stdout) ? -errno : 0;
    else
        r = fclose(k->f) ? -errno : 0;
    k->f = NULL;
    return r;
}

/* ------------------------------------------------------------------ main */

enum {
    OPT_MAX_REDIRS = 256, OPT_CACERT, OPT_DIGEST, OPT_ANYAUTH, OPT_COMPRESSED, OPT_MAX_TIME,
    OPT_CONNECT_TIMEOUT, OPT_DATA_BINARY, OPT_DNS_SERVERS,
};

static int parse_args(int argc, char **argv, struct get_opts *o)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "include", no_argument, NULL, 'i' },
        { "head", no_argument, NULL, 'I' },
        { "request", required_argument, NULL, 'X' },
        { "header", required_argument, NULL, 'H' },
        { "data", required_argument, NULL, 'd' },
        { "data-binary", required_argument, NULL, OPT_DATA_BINARY },
        { "location", no_argument, NULL, 'L' },
        { "max-redirs", required_argument, NULL, OPT_MAX_REDIRS },
        { "cacert", required_argument, NULL, OPT_CACERT },
        { "insecure", no_argument, NULL, 'k' },
        { "user", required_argument, NULL, 'u' },
        { "digest", no_argument, NULL, OPT_DIGEST },
        { "anyauth", no_argument, NULL, OPT_ANYAUTH },
        { "proxy", required_argument, NULL, 'x' },
        { "compressed", no_argument, NULL, OPT_COMPRESSED },
        { "cookie", required_argument, NULL, 'b' },
        { "cookie-jar", required_argument, NULL, 'c' },
        { "user-agent", required_argument, NULL, 'A' },
        { "max-time", required_argument, NULL, OPT_MAX_TIME },
        { "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
        { "dns-servers", required_argument, NULL, OPT_DNS_SERVERS },
        { "fail", no_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { "silent", no_argument, NULL, 's' },
        { "show-error", no_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    uint64_t v;
    const char *why = NULL;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:iIX:H:d:Lku:x:b:c:A:fvsSh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': o->output = optarg; break;
        case 'i': o->include = true; break;
        case 'I': o->head = true; break;
        case 'X':
            if (!weft_http_token_valid(optarg, strlen(optarg)))
                return weft_cli_usage_error("get", "bad method '%s'", optarg);
            o->method = optarg;
            break;
        case 'H':
            if (o->nhdr == MAX_HEADERS)
                return weft_cli_usage_error("get", "too many -H (at most %d)", MAX_HEADERS);
            o->hdr[o->nhdr++] = optarg;
            break;
        case 'd':
        case OPT_DATA_BINARY:
            if (add_data(o, optarg, opt == OPT_DATA_BINARY, &why) < 0)
                return fail_msg(o, EXIT_READ, "cannot read the data in '%s': %s", optarg + 1,
                                why ? why : "out of memory");
            break;
        case 'L': o->follow = true; break;
        case OPT_MAX_REDIRS:
            if (weft_cli_parse_uint(optarg, 1000, &v) < 0)
                return weft_cli_usage_error("get", "bad --max-redirs '%s'", optarg);
            o->max_redirs = (long)v;
            break;
        case OPT_CACERT: o->cacert = optarg; break;
        case 'k': o->insecure = true; break;
        case 'u': o->user = optarg; break;
        case OPT_DIGEST: o->auth = WEFT_HTTP_AUTH_DIGEST; break;
        case OPT_ANYAUTH: o->auth = WEFT_HTTP_AUTH_ANY; break;
        case 'x': o->proxy = optarg; break;
        case OPT_COMPRESSED: o->compressed = true; break;
        case 'b': o->cookie = optarg; break;
        case 'c': o->cookie_jar = optarg; break;
        case 'A': o->agent = optarg; break;
        case OPT_MAX_TIME:
        case OPT_CONNECT_TIMEOUT:
            if (weft_cli_parse_duration(optarg, &v) < 0 || v == 0)
                return weft_cli_usage_error("get", "bad time '%s'", optarg);
            if (opt == OPT_MAX_TIME)
                o->max_time = v;
            else
                o->connect_timeout = v;
            break;
        case OPT_DNS_SERVERS: o->dns_servers = optarg; break;
        case 'f': o->fail = true; break;
        case 'v': o->verbose = true; break;
        case 's': o->silent = true; break;
        case 'S': o->show_error = true; break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "Try 'weft get --help' for more information.\n");
            return WEFT_CLI_USAGE;
        }
    }
    if (optind != argc - 1)
        return weft_cli_usage_error("get", optind < argc ? "one URL only" : "a URL is needed");
    o->url = argv[optind];
    if (o->head && o->has_data)
        return weft_cli_usage_error("get", "-I and -d do not go together");
    return 0;
}

/* The request headers from -H: extra headers, and default headers removed
 * ("K:") from the session. */
static int build_headers(const struct get_opts *o, weft_http_session *s, weft_http_headers *h)
{
    for (int i = 0; i < o->nhdr; i++) {
        const char *a = o->hdr[i];
        const char *colon = strchr(a, ':'), *semi = strchr(a, ';');
        if (semi && (!colon || semi < colon) && semi[1] == '\0') {
            /* "Name;": the header with an empty value */
            if (weft_http_headers_addn(h, a, (size_t)(semi - a), "", 0) < 0)
                return weft_cli_usage_error("get", "bad header '%s'", a);
            continue;
        }
        if (!colon)
            return weft_cli_usage_error("get", "bad header '%s' (want 'Name: value')", a);
        size_t nlen = (size_t)(colon - a);
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (!*v) {
            /* "Name:": do not send it (a default of the session) */
            char name[256];
            if (nlen >= sizeof name || !weft_http_token_valid(a, nlen))
                return weft_cli_usage_error("get", "bad header '%s'", a);
            memcpy(name, a, nlen);
            name[nlen] = 0;
            weft_http_headers_remove(weft_http_session_headers(s), name);
            weft_http_headers_remove(h, name);
            continue;
        }
        if (weft_http_headers_addn(h, a, nlen, v, strlen(v)) < 0)
            return weft_cli_usage_error("get", "bad header '%s'", a);
    }
    return 0;
}

static bool has_header(const struct get_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < o->nhdr; i++)
        if (strncasecmp(o->hdr[i], name, n) == 0 && (o->hdr[i][n] == ':' || o->hdr[i][n] == ';'))
            return true;
    return false;
}

static int run(struct get_opts *o)
{
    /* the codecs as the client's decoders, for --compressed */
    weft__codec_client_register();

    char *url = NULL;
    if (!strstr(o->url, "://")) { /* curl takes "host/path" as http:// */
        if (asprintf(&url, "http://%s", o->url) < 0)
            return EXIT_OTHER;
    } else if (!(url = strdup(o->url))) {
        return EXIT_OTHER;
    }
    char *proxy = NULL;
    if (o->proxy && o->proxy[0] && !strstr(o->proxy, "://") &&
        asprintf(&proxy, "http://%s", o->proxy) < 0)
        proxy = NULL;

    weft_http_session_opts so = { 0 };
    so.flags = (o->compressed ? 0 : WEFT_HTTP_SESSION_NO_DECOMPRESS) |
               (o->insecure ? WEFT_HTTP_SESSION_INSECURE : 0) |
               (o->proxy ? 0 : WEFT_HTTP_SESSION_TRUST_ENV);
    so.cafile = o->cacert;
    so.timeout_ns = o->max_time ? o->max_time : WEFT_NEVER; /* curl has no total limit */
    so.connect_timeout_ns = o->connect_timeout;
    so.max_body = UINT64_MAX;
    so.proxy = proxy ? proxy : o->proxy;
    so.dns_servers = o->dns_servers;
    char ua[64];
    snprintf(ua, sizeof ua, "weft/%s", WEFT_VERSION_STRING);
    so.user_agent = o->agent ? o->agent : ua;

    int status = EXIT_OK, rc;
    weft_http_client *cli = NULL;
    weft_http_headers *hdrs = NULL;
    weft_http_response *resp = NULL;
    struct sink sink = { .path = o->output && strcmp(o->output, "-") ? o->output : NULL,
                         .forced = o->output && strcmp(o->output, "-") == 0 };
    char errbuf[WEFT_HTTP_ERRBUF_SIZE] = "";

    rc = weft_http_client_new(&so, &cli);
    if (rc < 0) {
        status = weft_http_error_class(rc) == WEFT_HTTP_ERR_TLS
                     ? fail_msg(o, EXIT_TLS, "TLS: cannot use --cacert %s: %s",
                                o->cacert ? o->cacert : "", weft_strerror(rc))
                 : weft_http_error_class(rc) == WEFT_HTTP_ERR_URL
                     ? fail_msg(o, EXIT_URL, "bad proxy URL '%s': %s", o->proxy ? o->proxy : "",
                                weft_strerror(rc))
                     : fail_msg(o, EXIT_OTHER, "cannot start: %s", weft_strerror(rc));
        goto out;
    }
    weft_http_session *s = weft_http_client_session(cli);
    if ((rc = weft_http_headers_new(&hdrs)) < 0) {
        status = fail_msg(o, EXIT_OTHER, "%s", weft_strerror(rc));
        goto out;
    }
    if ((rc = build_headers(o, s, hdrs)) != 0) {
        status = rc;
        goto out;
    }
    /* cookies: a file to load, or a literal Cookie header (it has a '=') */
    weft_cookie_jar *jar = weft_http_session_cookie_jar(s);
    if (o->cookie) {
        if (strchr(o->cookie, '=')) {
            weft_http_headers_add(hdrs, "Cookie", o->cookie);
        } else if (jar) {
            rc = weft_cookie_jar_load(jar, o->cookie, time(NULL));
            if (rc < 0 && rc != -ENOENT) { /* curl ignores a missing file */
                status = fail_msg(o, EXIT_READ, "cannot read cookies from %s: %s", o->cookie,
                                  weft_strerror(rc));
                goto out;
            }
        }
    }

    weft_http_request_opts ro = { 0 };
    ro.headers = hdrs;
    ro.errbuf = errbuf;
    if (o->verbose) {
        ro.trace = weft__get_trace;
        ro.trace_ud = o;
    }
    bool zero_redirects = o->follow && o->max_redirs == 0;
    if (!o->follow || zero_redirects)
        ro.flags |= WEFT_HTTP_NO_REDIRECTS;
    else
        ro.max_redirects = o->max_redirs > 0 ? (int)o->max_redirs : 50;
    if (o->user) {
        const char *colon = strchr(o->user, ':');
        static char name[256];
        size_t nl = colon ? (size_t)(colon - o->user) : strlen(o->user);
        if (nl >= sizeof name) {
            status = weft_cli_usage_error("get", "user name too long");
            goto out;
        }
        memcpy(name, o->user, nl);
        name[nl] = 0;
        ro.auth = o->auth ? o->auth : WEFT_HTTP_AUTH_BASIC;
        ro.username = name;
        ro.password = colon ? colon + 1 : "";
    }
    const char *method = o->method;
    if (o->has_data) {
        ro.body = weft_http_body_memory(o->data, o->data_len);
        if (!has_header(o, "Content-Type"))
            ro.body.content_type = "application/x-www-form-urlencoded";
        if (!method)
            method = "POST";
    }
    if (o->head && !method)
        method = "HEAD";
    if (!method)
        method = "GET";

    rc = weft_http_session_request(s, method, url, &ro, &resp);
    if (rc < 0) {
        status = report(o, rc, errbuf, false);
        goto out;
    }
    int code = weft_http_response_status(resp);
    if (zero_redirects && code >= 300 && code < 400 && weft_http_response_header(resp, "Location")) {
        status = fail_msg(o, EXIT_REDIRECTS, "maximum (0) redirects followed");
        goto out;
    }
    if (o->fail && code >= 400) {
        status = fail_msg(o, EXIT_HTTP, "the server answered %d%s%s", code,
                          weft_http_response_reason(resp)[0] ? " " : "",
                          weft_http_response_reason(resp));
        goto out;
    }
    /* heads: every hop's with -L, as curl -i shows them */
    if (o->include || o->head) {
        if ((rc = sink_open(&sink)) < 0) {
            status = fail_msg(o, EXIT_WRITE, "cannot write %s: %s", o->output, weft_strerror(rc));
            goto out;
        }
        for (size_t i = 0; i < weft_http_response_history_count(resp); i++)
            weft__get_print_head(sink.f, weft_http_response_history(resp, i));
        weft__get_print_head(sink.f, resp);
    }
    if (!o->head) {
        bool coded = o->compressed && weft_http_response_header(resp, "Content-Encoding");
        get_progress prog;
        weft__get_progress_start(&prog, sink.path && !o->silent && isatty(2),
                                 coded ? -1 : weft_http_response_content_length(resp));
        static char buf[1 << 16];
        uint64_t total = 0;
        int n;
        while ((n = weft_http_response_read(resp, buf, sizeof buf)) > 0) {
            if ((rc = sink_write(&sink, buf, (size_t)n)) < 0) {
                weft__get_progress_end(&prog);
                if (rc == -EILSEQ)
                    status = fail_msg(o, EXIT_WRITE, "binary output can mess up your terminal;"
                                                     " use -o FILE, or -o - to send it anyway");
                else
                    status = fail_msg(o, EXIT_WRITE, "cannot write the output: %s",
                                      weft_strerror(rc));
                goto out;
            }
            total += (uint64_t)n;
            weft__get_progress_update(&prog, total);
        }
        weft__get_progress_end(&prog);
        if (n < 0) {
            status = report(o, n, NULL, true);
            goto out;
        }
        if (sink.path && (rc = sink_open(&sink)) < 0) { /* an empty body still makes the file */
            status = fail_msg(o, EXIT_WRITE, "cannot write %s: %s", sink.path, weft_strerror(rc));
            goto out;
        }
    }
out:
    if ((rc = sink_close(&sink)) < 0 && status == EXIT_OK)
        status = fail_msg(o, EXIT_WRITE, "cannot write the output: %s", weft_strerror(rc));
    /* the jar is written even after an HTTP error, as curl does */
    if (cli && o->cookie_jar) {
        weft_cookie_jar *j = weft_http_session_cookie_jar(weft_http_client_session(cli));
        if (j && (rc = weft_cookie_jar_save(j, o->cookie_jar, time(NULL))) < 0 &&
            status == EXIT_OK)
            status = fail_msg(o, EXIT_WRITE, "cannot write cookies to %s: %s", o->cookie_jar,
                              weft_strerror(rc));
    }
    weft_http_response_free(resp);
    weft_http_headers_free(hdrs);
    weft_http_client_free(cli);
    free(proxy);
    free(url);
    return status;
}

int weft_cli_get(int argc, char **argv)
{
    struct get_opts o = { 0 };
    o.max_redirs = -1;
    int r = parse_args(argc, argv, &o);
    if (r == 0)
        r = run(&o);
    else if (r < 0)
        r = 0; /* --help */
    free(o.data);
    return r;
}
