/*
 * serve.c - `weft serve`: serve a folder over HTTP, the way
 * `python -m http.server` does, on weft's server (weft/http_static.h on
 * weft/http_server.h's run_app: N loops on N threads sharing the port,
 * graceful shutdown on SIGINT/SIGTERM).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "weft/http_server.h"
#include "weft/http_static.h"
#include "weft/net.h"

#define NAME "serve"
#define DEFAULT_PORT 8000
#define MAX_WORKERS 1024

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: weft serve [OPTIONS] [DIR]\n"
            "\n"
            "Serve the folder DIR (default: the current one) over HTTP, like\n"
            "'python -m http.server': files with their MIME types, Range and conditional\n"
            "requests, index.html, and a listing for folders without one. Each request is\n"
            "logged to stderr (Combined Log Format). Ctrl+C (SIGINT) or SIGTERM stops it,\n"
            "letting requests in flight finish.\n"
            "\n"
            "Options:\n"
            "  -b, --bind ADDR        address to listen on (default: every interface)\n"
            "  -p, --port N           port to listen on (default %d; 0: any free port)\n"
            "  -d, --directory DIR    the folder to serve (same as the DIR argument)\n"
            "  -w, --workers N        N event loops on N threads sharing the port through\n"
            "                         SO_REUSEPORT (default 1)\n"
            "      --tls-cert FILE    serve HTTPS with this PEM certificate (chain)\n"
            "      --tls-key FILE     and this PEM private key\n"
            "      --no-listing       answer 403 for a folder without index.html\n"
            "      --hidden MODE      files and folders whose name starts with '.':\n"
            "                         hide (404, default), deny (403) or show\n"
            "      --no-symlinks      refuse every symlink (default: follow those that\n"
            "                         stay inside DIR; never those leading out)\n"
            "      --cache-control V  send 'Cache-Control: V' with files\n"
            "      --access-log FILE  append the access log to FILE instead of stderr\n"
            "  -q, --quiet            no access log\n"
            "  -h, --help             show this help and exit\n"
            "\n"
            "Examples:\n"
            "  weft serve                         this folder on http://0.0.0.0:8000/\n"
            "  weft serve public --port 8080 --bind 127.0.0.1\n"
            "  weft serve --workers 2 --tls-cert cert.pem --tls-key key.pem\n",
            DEFAULT_PORT);
}

struct banner {
    const char *bind; /* as given, NULL: every interface */
    bool tls;
};

/* "Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...", as
 * python -m http.server prints it, with the port actually bound. */
static void on_ready(weft_web_server *srv, void *ud)
{
    const struct banner *b = ud;
    const char *host = b->bind && *b->bind ? b->bind : "0.0.0.0";
    int port = weft_web_server_port(srv);
    bool v6 = strchr(host, ':') != NULL;
    const char *scheme = b->tls ? "https" : "http";
    printf("Serving %s on %s port %d (%s://%s%s%s:%d/) ...\n", b->tls ? "HTTPS" : "HTTP", host,
           port, scheme, v6 ? "[" : "", host, v6 ? "]" : "", port);
    fflush(stdout);
}

enum {
    OPT_TLS_CERT = 256,
    OPT_TLS_KEY,
    OPT_NO_LISTING,
    OPT_HIDDEN,
    OPT_NO_SYMLINKS,
    OPT_CACHE_CONTROL,
    OPT_ACCESS_LOG,
};

static const struct option long_opts[] = {
    { "bind", required_argument, NULL, 'b' },
    { "port", required_argument, NULL, 'p' },
    { "directory", required_argument, NULL, 'd' },
    { "workers", required_argument, NULL, 'w' },
    { "tls-cert", required_argument, NULL, OPT_TLS_CERT },
    { "tls-key", required_argument, NULL, OPT_TLS_KEY },
    { "no-listing", no_argument, NULL, OPT_NO_LISTING },
    { "hidden", required_argument, NULL, OPT_HIDDEN },
    { "no-symlinks", no_argument, NULL, OPT_NO_SYMLINKS },
    { "cache-control", required_argument, NULL, OPT_CACHE_CONTROL },
    { "access-log", required_argument, NULL, OPT_ACCESS_LOG },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* A bare number where DIR goes is most likely python's `http.server 8080`
 * habit: say how weft spells it. */
static bool looks_like_port(const char *s)
{
    uint16_t port;
    struct stat st;
    return weft_cli_parse_port(s, &port) == 0 && stat(s, &st) < 0;
}

int weft_cli_serve(int argc, char **argv)
{
    const char *dir = NULL, *bind = NULL, *cert = NULL, *key = NULL, *log_path = NULL;
    uint16_t port = DEFAULT_PORT;
    uint64_t workers = 1;
    bool quiet = false;
    weft_web_static_opts so = { .listing = true };

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":b:p:d:w:qh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'b': bind = optarg; break;
        case 'p':
            if (weft_cli_parse_port(optarg, &port) < 0)
                return weft_cli_usage_error(NAME, "invalid port '%s' (0 to 65535)", optarg);
            break;
        case 'd': dir = optarg; break;
        case 'w':
            if (weft_cli_parse_uint(optarg, MAX_WORKERS, &workers) < 0 || workers == 0)
                return weft_cli_usage_error(NAME, "invalid worker count '%s' (1 to %d)",
                                            optarg, MAX_WORKERS);
            break;
        case OPT_TLS_CERT: cert = optarg; break;
        case OPT_TLS_KEY: key = optarg; break;
        case OPT_NO_LISTING: so.listing = false; break;
        case OPT_HIDDEN:
            if (strcmp(optarg, "hide") == 0)
                so.hidden = WEFT_WEB_STATIC_HIDDEN_HIDE;
            else if (strcmp(optarg, "deny") == 0)
                so.hidden = WEFT_WEB_STATIC_HIDDEN_DENY;
            else if (strcmp(optarg, "show") == 0)
                so.hidden = WEFT_WEB_STATIC_HIDDEN_SHOW;
            else
                return weft_cli_usage_error(NAME, "invalid --hidden '%s' (hide, deny or show)",
                                            optarg);
            break;
        case OPT_NO_SYMLINKS: so.no_symlinks = true; break;
        case OPT_CACHE_CONTROL: so.cache_control = optarg; break;
        case OPT_ACCESS_LOG: log_path = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        case ':': return weft_cli_usage_error(NAME, "option '%s' needs a value", argv[optind - 1]);
        default: return weft_cli_usage_error(NAME, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        if (dir)
            return weft_cli_usage_error(NAME, "the folder is given twice ('%s' and '%s')", dir,
                                        argv[optind]);
        dir = argv[optind++];
        if (looks_like_port(dir))
            return weft_cli_usage_error(NAME, "'%s' is no folder; to pick the port, use "
                                              "--port %s", dir, dir);
    }
    if (optind < argc)
        return weft_cli_usage_error(NAME, "unexpected argument '%s'", argv[optind]);
    if (!cert != !key)
        return weft_cli_usage_error(NAME, "--tls-cert and --tls-key go together");
    if (!dir)
        dir = ".";

    weft_web_static *st;
    int rc = weft_web_static_new(dir, &so, &st);
    if (rc < 0) {
        fprintf(stderr, "weft serve: cannot serve '%s': %s\n", dir, weft_strerror(rc));
        return 1;
    }
    int log_fd = quiet ? -1 : STDERR_FILENO;
    if (log_path && !quiet) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            fprintf(stderr, "weft serve: cannot open the access log '%s': %s\n", log_path,
                    strerror(errno));
            weft_web_static_free(st);
            return 1;
        }
    }
    weft_web_app *app = NULL;
    rc = weft_web_app_new(&app);
    if (rc == 0)
        rc = weft_web_app_set_handler(app, weft_web_static_handler, st);
    if (rc == 0 && log_fd >= 0)
        rc = weft_web_app_set_access_log(app, log_fd, WEFT_WEB_LOG_COMBINED);
    if (rc == 0)
        rc = weft_web_app_set_server_header(app, "weft/" WEFT_VERSION_STRING);
    if (rc < 0) {
        fprintf(stderr, "weft serve: %s\n", weft_strerror(rc));
    } else {
        struct banner b = { .bind = bind, .tls = cert != NULL };
        weft_web_run_opts ro = {
            .host = bind,
            .port = port,
            .workers = (int)workers,
            .tls_cert = cert,
            .tls_key = key,
            .on_ready = on_ready,
            .ud = &b,
        };
        rc = weft_web_run_app(app, &ro);
        if (rc < 0)
            fprintf(stderr, "weft serve: cannot serve on %s%s%s port %u: %s\n",
                    bind && strchr(bind, ':') ? "[" : "", bind ? bind : "0.0.0.0",
                    bind && strchr(bind, ':') ? "]" : "", port, weft_strerror(rc));
    }
    if (app)
        weft_web_app_free(app);
    weft_web_static_free(st);
    if (log_fd > STDERR_FILENO)
        close(log_fd);
    return rc < 0 ? 1 : 0;
}
