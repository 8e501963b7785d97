/*
 * session.c - requests.Session with auth and default headers (the C twin
 * of seeds/000):
 *
 *     with requests.Session() as s:
 *         s.auth = ('user', 'pass')
 *         s.headers.update({"X-My-Default-Header": "bar"})
 *         headers = {"X-My-Header": "foo"}
 *         with s.get(url, headers=headers, stream=True) as r1:
 *             print(f"{r1.status_code}: {r1.reason}")
 *             for name in r1.headers: print(f"{name}: {r1.headers[name]}")
 *             for chunk in r1.iter_content(chunk_size=4096): print(chunk)
 *
 * A blocking client keeps its pool, cookies and settings between requests,
 * as a requests.Session does. The URL is fetched twice: the second request
 * reuses the first one's connection.
 *
 * Usage: session URL
 */
#include <stdio.h>

#include "weft.h"

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://www.python.org/";
    weft_http_client *client;
    if (weft_http_client_new(NULL, &client) < 0)
        return 1;
    weft_http_session *s = weft_http_client_session(client);
    weft_http_session_set_auth(s, WEFT_HTTP_AUTH_BASIC, "user", "pass");
    weft_http_headers_set(weft_http_session_headers(s), "X-My-Default-Header", "bar");

    weft_http_headers *headers;
    weft_http_headers_new(&headers);
    weft_http_headers_add(headers, "X-My-Header", "foo");
    weft_http_request_opts o = {.headers = headers};
    int rc = 0;
    for (int round = 0; round < 2 && rc == 0; round++) {
        weft_http_response *r1;
        rc = weft_http_session_get(s, url, &o, &r1);
        if (rc < 0) {
            fprintf(stderr, "session: %s\n", weft_strerror(rc));
            break;
        }
        printf("%d: %s\n", weft_http_response_status(r1), weft_http_response_reason(r1));
        for (size_t i = 0; i < weft_http_response_header_count(r1); i++) {
            const char *name, *value;
            weft_http_response_header_at(r1, i, &name, &value);
            printf("%s: %s\n", name, value);
        }
        static char chunk[4096];
        int n;
        while ((n = weft_http_response_read(r1, chunk, sizeof chunk)) > 0)
            printf("%.*s", n, chunk);
        rc = n;
        weft_http_response_free(r1);
    }
    weft_http_session_stats st;
    weft_http_session_get_stats(s, &st);
    printf("connections opened: %llu, reused: %llu\n",
           (unsigned long long)st.connections_opened, (unsigned long long)st.connections_reused);
    weft_http_headers_free(headers);
    weft_http_client_free(client);
    return rc < 0;
}
