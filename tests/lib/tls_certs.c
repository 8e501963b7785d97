/* Throwaway test certificates made by tests/lib/mkcerts.sh (see weft_test_tls.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft_test_tls.h"

static char certs_dir[64];
static pid_t owner;

static void remove_certs(void)
{
    char cmd[128];
    if (certs_dir[0] && getpid() == owner) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", certs_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", certs_dir);
    }
}

const char *weft__test_certs(const char *source_dir)
{
    if (certs_dir[0])
        return certs_dir;
    snprintf(certs_dir, sizeof certs_dir, "/tmp/weft-certs-XXXXXX");
    if (!mkdtemp(certs_dir)) {
        perror("mkdtemp");
        abort();
    }
    owner = getpid();
    atexit(remove_certs);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "bash '%s/tests/lib/mkcerts.sh' '%s'", source_dir, certs_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "mkcerts.sh failed\n");
        abort();
    }
    return certs_dir;
}

const char *weft__test_cert(const char *source_dir, const char *name)
{
    /* A few slots so that several paths can be used in one expression. */
    static char slots[16][128];
    static unsigned next;
    char *p = slots[next++ % 16];
    snprintf(p, 128, "%s/%s", weft__test_certs(source_dir), name);
    return p;
}
