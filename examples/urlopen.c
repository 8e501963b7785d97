/*
 * urlopen.c - urllib.request.urlopen, GET and a form POST, from plain
 * blocking code (the C twin of seeds/000 and seeds/003):
 *
 *     with urllib.request.urlopen(url) as r1:
 *         print(f"{r1.status}: {r1.reason}")
 *         for h in r1.headers: print(f"{h.header}: {h.value}")
 *         while chunk := r1.read(200): print(repr(chunk))
 *
 *     postdata = urllib.parse.urlencode({'form': 'value'})
 *     req = urllib.request.urlopen(url, data=postdata)
 *
 * No loop and no task here: weft_http_get / weft_http_post run weft's
 * engine on a private loop and return like any blocking call.
 *
 * Usage: urlopen URL               GET, print status, headers and the body
 *        urlopen URL NAME=VALUE... POST the pairs as a form
 */
#include <stdio.h>
#include <string.h>

#include "weft.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: urlopen URL [NAME=VALUE...]\n");
        return 2;
    }
    const char *url = argv[1];
    weft_form *form = NULL;
    weft_http_request_opts o = {0};
    if (argc > 2) {
        weft_form_new(&form);
        for (int i = 2; i < argc; i++) {
            const char *eq = strchr(argv[i], '=');
            size_t nlen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
            weft_form_add(form, argv[i], nlen, eq ? eq + 1 : "", WEFT_FORM_NTS);
        }
        o.body = weft_http_body_form(form);
    }
    char err[WEFT_HTTP_ERRBUF_SIZE];
    o.errbuf = err;
    weft_http_response *r1;
    int rc = form ? weft_http_post(url, &o, &r1) : weft_http_get(url, &o, &r1);
    weft_form_free(form);
    if (rc < 0) {
        fprintf(stderr, "urlopen: %s\n", err);
        return 1;
    }
    printf("%d: %s\n", weft_http_response_status(r1), weft_http_response_reason(r1));
    for (size_t i = 0; i < weft_http_response_header_count(r1); i++) {
        const char *name, *value;
        weft_http_response_header_at(r1, i, &name, &value);
        printf("%s: %s\n", name, value);
    }
    char chunk[200];
    int n;
    while ((n = weft_http_response_read(r1, chunk, sizeof chunk)) > 0)
        printf("%.*s\n", n, chunk);
    if (n < 0)
        fprintf(stderr, "urlopen: reading the body: %s\n", weft_strerror(n));
    weft_http_response_free(r1);
    return n < 0;
}
