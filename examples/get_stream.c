/*
 * get_stream.c - requests.get with headers and stream=True, iter_content
 * (the C twin of seeds/000):
 *
 *     headers = {"X-My-Header": "foo"}
 *     with requests.get(url, headers=headers, stream=True) as r1:
 *         print(f"{r1.status_code}: {r1.reason}")
 *         for name in r1.headers: print(f"{name}: {r1.headers[name]}")
 *         for chunk in r1.iter_content(chunk_size=4096):
 *             print(len(chunk))
 *
 * Blocking, as requests is: each read returns as soon as some of the body
 * has arrived, so a large download never sits whole in memory.
 *
 * Usage: get_stream URL   (prints the size of each chunk, then the total)
 */
#include <stdio.h>

#include "weft.h"

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://www.python.org/";
    weft_http_headers *headers;
    weft_http_headers_new(&headers);
    weft_http_headers_add(headers, "X-My-Header", "foo");
    char err[WEFT_HTTP_ERRBUF_SIZE];
    weft_http_request_opts o = {.headers = headers, .errbuf = err};
    weft_http_response *r1;
    int rc = weft_http_get(url, &o, &r1);
    weft_http_headers_free(headers);
    if (rc < 0) {
        fprintf(stderr, "get_stream: %s\n", err);
        return 1;
    }
    printf("%d: %s\n", weft_http_response_status(r1), weft_http_response_reason(r1));
    for (size_t i = 0; i < weft_http_response_header_count(r1); i++) {
        const char *name, *value;
        weft_http_response_header_at(r1, i, &name, &value);
        printf("%s: %s\n", name, value);
    }
    static char chunk[4096];
    unsigned long long total = 0;
    int n;
    while ((n = weft_http_response_read(r1, chunk, sizeof chunk)) > 0) {
        printf("chunk %d\n", n);
        total += (unsigned)n;
    }
    printf("total %llu\n", total);
    if (n < 0)
        fprintf(stderr, "get_stream: %s\n", weft_strerror(n));
    weft_http_response_free(r1);
    return n < 0;
}
