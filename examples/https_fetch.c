/*
 * https_fetch.c - fetch several HTTPS pages at once over TLS streams, with a
 * hand-written GET (the C twin of "HTTP Client with SSL", seeds/004):
 *
 *     async def fetch_https(host, path="/"):
 *         ctx = ssl.create_default_context()
 *         reader, writer = await asyncio.open_connection(host, 443, ssl=ctx)
 *         writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n...")
 *         response = await reader.read()
 *     responses = await asyncio.gather(*tasks)
 *
 * Usage: https_fetch [--cacert FILE] [--insecure] HOST[:PORT][/PATH]...
 * Prints "HOST: <status line>" for each, in the order given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

struct fetch {
    char host[256];
    uint16_t port;
    char path[512];
    weft_tls_ctx *ctx;
    char status[256];   /* the response's first line */
    size_t body_bytes;  /* everything after it */
};

static int fetch_https(void *arg)
{
    struct fetch *f = arg;
    weft_stream *s;
    int r = weft_tls_open_connection(f->host, f->port, NULL, f->ctx, NULL, NULL, &s);
    if (r < 0) {
        snprintf(f->status, sizeof f->status, "error: %s (%s)", weft_strerror(r),
                 weft_tls_ctx_errdetail(f->ctx));
        return 0; /* one failed fetch does not cancel the others */
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", f->path, f->host);
    weft_stream_write(s, req, (size_t)n);
    weft_stream_drain(s);

    /* Read the whole response (until the server closes). */
    char buf[16384];
    size_t total = 0;
    while ((n = weft_stream_read(s, buf, sizeof buf)) > 0) {
        if (total == 0) {
            size_t len = strcspn(buf, "\r\n");
            if (len >= (size_t)n)
                len = (size_t)n;
            snprintf(f->status, sizeof f->status, "%.*s", (int)len, buf);
        }
        total += (size_t)n;
    }
    f->body_bytes = total;
    if (n < 0 && total == 0)
        snprintf(f->status, sizeof f->status, "error: %s", weft_strerror(n));
    weft_stream_close(s);
    return 0;
}

struct args {
    int n;
    struct fetch *f;
};

static int main_task(void *arg)
{
    struct args *a = arg;
    weft_group *g;
    if (weft_group_new(&g) < 0)
        return 1;
    for (int i = 0; i < a->n; i++)
        weft_group_spawn(g, fetch_https, &a->f[i]);  /* asyncio.gather */
    weft_group_wait(g);
    weft_group_free(g);
    for (int i = 0; i < a->n; i++)
        printf("%s: %s\n", a->f[i].host, a->f[i].status);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cafile = NULL;
    bool insecure = false;
    struct args a = { 0, calloc((size_t)argc, sizeof(struct fetch)) };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cacert") == 0 && i + 1 < argc) {
            cafile = argv[++i];
        } else if (strcmp(argv[i], "--insecure") == 0) {
            insecure = true;
        } else {
            struct fetch *f = &a.f[a.n++];
            const char *slash = strchr(argv[i], '/');
            size_t hl = slash ? (size_t)(slash - argv[i]) : strlen(argv[i]);
            snprintf(f->host, sizeof f->host, "%.*s", (int)hl, argv[i]);
            snprintf(f->path, sizeof f->path, "%s", slash ? slash : "/");
            f->port = 443;
            char *colon = strrchr(f->host, ':');
            if (colon && !strchr(colon, ']')) {
                f->port = (uint16_t)atoi(colon + 1);
                *colon = '\0';
            }
        }
    }
    if (a.n == 0) {
        fprintf(stderr, "usage: %s [--cacert FILE] [--insecure] HOST[:PORT][/PATH]...\n", argv[0]);
        return 2;
    }
    /* ssl.create_default_context(): verification on, system CAs. */
    weft_tls_ctx *ctx;
    if (weft_tls_ctx_new(WEFT_TLS_CLIENT, &ctx) < 0)
        return 1;
    if (cafile && weft_tls_ctx_load_verify_locations(ctx, cafile, NULL) < 0) {
        fprintf(stderr, "%s: %s\n", cafile, weft_tls_ctx_errdetail(ctx));
        return 1;
    }
    if (insecure)
        weft_tls_ctx_set_insecure_no_verify(ctx);
    for (int i = 0; i < a.n; i++)
        a.f[i].ctx = ctx;
    int r = weft_run(main_task, &a);
    weft_tls_ctx_free(ctx);
    free(a.f);
    return r;
}
