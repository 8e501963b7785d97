/*
 * get.c - `weft get`: not built yet (see the issue that brings it).
 */
#include <stdio.h>

#include "cli/cli.h"

int weft_cli_get(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "weft get: not available in this build yet\n");
    return 1;
}
