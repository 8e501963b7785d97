/*
 * redirects.c - the history of redirect hops (the C twin of aiohttp's
 * r.history, seeds/000, and urllib2's SmartRedirectHandler, seeds/003):
 *
 *     async with s.get(url) as r1:
 *         for h in r1.history:
 *             print(h.status, h.url)
 *         print(r1.status, r1.url)
 *
 * Usage: redirects URL [--max N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

static const char *url;
static int max_redirects;

static int main_task(void *arg)
{
    weft_http_session *s;
    weft_http_session_new(NULL, NULL, &s);
    char err[WEFT_HTTP_ERRBUF_SIZE];
    weft_http_request_opts o = {.max_redirects = max_redirects, .errbuf = err};
    weft_http_response *r1;
    int rc = weft_http_session_get(s, url, &o, &r1);
    if (rc < 0) {
        printf("error: %s\n", err);
    } else {
        for (size_t i = 0; i < weft_http_response_history_count(r1); i++) {
            const weft_http_response *h = weft_http_response_history(r1, i);
            printf("%d %s\n", weft_http_response_status(h), weft_http_response_url(h));
        }
        printf("%d %s\n", weft_http_response_status(r1), weft_http_response_url(r1));
        weft_http_response_free(r1);
    }
    weft_http_session_close(s);
    return rc < 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--max") && i + 1 < argc)
            max_redirects = atoi(argv[++i]);
        else
            url = argv[i];
    }
    if (!url) {
        fprintf(stderr, "usage: redirects URL [--max N]\n");
        return 2;
    }
    return weft_run(main_task, NULL);
}
