/*
 * bench.c - `weft bench`: not built yet (see the issue that brings it).
 */
#include <stdio.h>

#include "cli/cli.h"

int weft_cli_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "weft bench: not available in this build yet\n");
    return 1;
}
