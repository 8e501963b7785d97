/*
 * main.c - `weft`: dispatch to a subcommand, and the tool's own help.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "weft/common.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "serve", weft_cli_serve, "serve a folder over HTTP (like python -m http.server)" },
    { "get", weft_cli_get, "fetch a URL (like curl)" },
    { "bench", weft_cli_bench, "load an HTTP server and report latency (like wrk)" },
    { "echo", weft_cli_echo, "run a TCP, UDP or TLS echo server" },
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: weft COMMAND [OPTIONS] [ARGS]\n\n"
               "weft is an asyncio-style networking toolkit for C; this tool puts it to work.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nOptions:\n"
               "  -h, --help     show this help and exit\n"
               "  -V, --version  show the version and exit\n\n"
               "Run 'weft COMMAND --help' for a command's options.\n");
}

int weft_cli_usage_error(const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "weft %s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'weft %s --help' for more information.\n", name);
    return WEFT_CLI_USAGE;
}

int weft_cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int weft_cli_parse_port(const char *s, uint16_t *out)
{
    uint64_t v;
    if (weft_cli_parse_uint(s, 65535, &v) < 0)
        return -EINVAL;
    *out = (uint16_t)v;
    return 0;
}

int weft_cli_parse_duration(const char *s, uint64_t *out)
{
    if (!s || ((*s < '0' || *s > '9') && *s != '.'))
        return -EINVAL;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || v < 0 || end == s)
        return -EINVAL;
    double scale;
    if (*end == '\0' || strcmp(end, "s") == 0)
        scale = 1e9;
    else if (strcmp(end, "ms") == 0)
        scale = 1e6;
    else if (strcmp(end, "us") == 0)
        scale = 1e3;
    else if (strcmp(end, "m") == 0)
        scale = 60e9;
    else if (strcmp(end, "h") == 0)
        scale = 3600e9;
    else
        return -EINVAL;
    double ns = v * scale;
    if (ns > 9.2e18)
        return -EINVAL;
    *out = (uint64_t)ns;
    return 0;
}

int main(int argc, char **argv)
{
    char *help_argv[3];
    if (argc < 2) {
        usage(stderr);
        return WEFT_CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            /* "weft help serve" is "weft serve --help" */
            help_argv[0] = argv[2];
            help_argv[1] = "--help";
            help_argv[2] = NULL;
            argv = help_argv;
            argc = 2;
            cmd = argv[0];
            goto dispatch;
        }
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("weft %s\n", WEFT_VERSION_STRING);
        return 0;
    }
    argc--;
    argv++;
dispatch:
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            char prog[32];
            snprintf(prog, sizeof prog, "weft %s", commands[i].name);
            argv[0] = prog;
            return commands[i].run(argc, argv);
        }
    }
    fprintf(stderr, "weft: '%s' is not a weft command.\nTry 'weft --help' for the list.\n", cmd);
    return WEFT_CLI_USAGE;
}
