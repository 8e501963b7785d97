/*
 * echo.c - `weft echo`: not built yet (see the issue that brings it).
 */
#include <stdio.h>

#include "cli/cli.h"

int weft_cli_echo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "weft echo: not available in this build yet\n");
    return 1;
}
