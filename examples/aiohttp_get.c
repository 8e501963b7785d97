/*
 * aiohttp_get.c - an aiohttp ClientSession GET printing status, headers
 * and the body as it arrives (the C twin of seeds/000):
 *
 *     async with aiohttp.ClientSession() as s:
 *         async with s.get(url) as r1:
 *             print(f"{r1.status}: {r1.reason}")
 *             for name in r1.headers: print(f"{name}: {r1.headers[name]}")
 *             while True:
 *                 chunk = await r1.content.read(chunk_size)
 *                 if not chunk: break
 *                 print(repr(chunk))
 *
 * Usage: aiohttp_get URL [CHUNK_SIZE]
 */
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

static const char *url = "http://www.python.org/";
static size_t chunk_size = 1024;

static int main_task(void *arg)
{
    weft_http_session *s;
    weft_http_session_new(NULL, NULL, &s);
    weft_http_response *r1;
    int rc = weft_http_session_get(s, url, NULL, &r1);
    if (rc < 0) {
        fprintf(stderr, "aiohttp_get: %s\n", weft_strerror(rc));
        weft_http_session_close(s);
        return 1;
    }
    printf("%d: %s\n", weft_http_response_status(r1), weft_http_response_reason(r1));
    for (size_t i = 0; i < weft_http_response_header_count(r1); i++) {
        const char *name, *value;
        weft_http_response_header_at(r1, i, &name, &value);
        printf("%s: %s\n", name, value);
    }
    char *chunk = malloc(chunk_size);
    for (;;) {
        rc = weft_http_response_read(r1, chunk, chunk_size);
        if (rc <= 0)
            break;
        printf("%.*s\n", rc, chunk);
    }
    if (rc < 0)
        fprintf(stderr, "aiohttp_get: %s\n", weft_strerror(rc));
    free(chunk);
    weft_http_response_free(r1);
    weft_http_session_close(s);
    return rc < 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        url = argv[1];
    if (argc > 2)
        chunk_size = (size_t)atoi(argv[2]);
    return weft_run(main_task, NULL);
}
