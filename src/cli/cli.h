/*
 * cli.h - the `weft` tool: one function per subcommand, each in its own file
 * (echo.c, serve.c, get.c, bench.c), so subcommands grow independently.
 *
 * A subcommand gets argv with argv[0] set to "weft NAME" (for getopt's
 * messages) and returns the process exit status. Conventions, as users of
 * command-line tools expect: --help / -h prints usage to stdout and exits 0;
 * a bad option prints one line and "Try 'weft NAME --help'." to stderr and
 * exits 2; runtime failures print "weft NAME: what failed: why" to stderr.
 */
#ifndef WEFT_CLI_H
#define WEFT_CLI_H

#include <stdbool.h>
#include <stdint.h>

int weft_cli_echo(int argc, char **argv);
int weft_cli_serve(int argc, char **argv);
int weft_cli_get(int argc, char **argv);
int weft_cli_bench(int argc, char **argv);

/* Exit status for usage errors (bad option or argument), as getopt tools do. */
#define WEFT_CLI_USAGE 2

/* Print "weft NAME: <msg>\nTry 'weft NAME --help' for more information."
 * to stderr and return WEFT_CLI_USAGE. */
int weft_cli_usage_error(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parse a TCP/UDP port (0..65535). Returns 0, or -EINVAL. */
int weft_cli_parse_port(const char *s, uint16_t *out);

/* Parse a non-negative decimal integer no greater than max. Returns 0 or -EINVAL. */
int weft_cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Parse a duration: "10" or "10s" seconds, "250ms", "2m", "1.5" (seconds,
 * fractions allowed). Returns 0 and nanoseconds in *out, or -EINVAL. */
int weft_cli_parse_duration(const char *s, uint64_t *out);

#endif
