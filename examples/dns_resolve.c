/*
 * dns_resolve.c - resolve several names at once and print their addresses:
 * the C twin of the Python example
 *
 *     infos = await loop.getaddrinfo(host, port, family=AF_UNSPEC, type=SOCK_STREAM)
 *     await asyncio.gather(*[resolve_host(h) for h in hosts])
 *
 * Usage: dns_resolve [--server IP[:PORT]] NAME...
 * Prints "NAME -> ADDRESS (IPv4|IPv6)" per address, or "NAME: error" per
 * failure; exits 1 if any name failed.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <weft.h>

struct job {
    const char *host;
};

static int resolve_host(void *arg)
{
    struct job *j = arg;
    weft_dns_hints hints = {.family = AF_UNSPEC, .socktype = SOCK_STREAM};
    weft_addrinfo *infos;
    int n = weft_getaddrinfo(j->host, "80", &hints, &infos);
    if (n < 0) {
        printf("%s: %s\n", j->host, weft_strerror(n));
        return 0; /* one failure must not cancel the other look-ups */
    }
    for (weft_addrinfo *ai = infos; ai; ai = ai->next) {
        char ip[WEFT_ADDRSTRLEN];
        printf("%s -> %s (%s)\n", j->host, weft_addrinfo_ntop(ai, ip, sizeof ip),
               ai->family == AF_INET ? "IPv4" : "IPv6");
    }
    weft_addrinfo_free(infos);
    return 1;
}

struct args {
    int argc;
    char **argv;
};

static int amain(void *arg)
{
    struct args *a = arg;
    int first = 1;
    if (a->argc > 2 && strcmp(a->argv[1], "--server") == 0) {
        /* Our own DNS server instead of /etc/resolv.conf's. */
        weft_resolver_opts opts = {.servers = a->argv[2]};
        weft_resolver *r;
        int err = weft_resolver_new(NULL, &opts, &r);
        if (err < 0) {
            fprintf(stderr, "bad server %s: %s\n", a->argv[2], weft_strerror(err));
            return err;
        }
        weft_resolver_set_default(NULL, r);
        first = 3;
    }
    int count = a->argc - first;
    struct job jobs[count > 0 ? count : 1];
    weft_group *g;
    int err = weft_group_new(&g);
    if (err < 0)
        return err;
    for (int i = 0; i < count; i++) {
        jobs[i].host = a->argv[first + i];
        weft_group_spawn(g, resolve_host, &jobs[i]);
    }
    err = weft_group_wait(g);
    int ok = 0;
    for (int i = 0; i < count; i++)
        ok += weft_group_result(g, i) == 1;
    weft_group_free(g);
    if (err < 0)
        return err;
    return ok == count ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s [--server IP[:PORT]] NAME...\n", argv[0]);
        return 2;
    }
    struct args a = {argc, argv};
    int rc = weft_run(amain, &a);
    return rc == 0 ? 0 : 1;
}
