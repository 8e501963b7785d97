/*
 * http_client_lowlevel.c - one connection, one request, the body in chunks
 * (the C twin of http.client, seeds/000):
 *
 *     conn = http.client.HTTPSConnection("www.python.org")
 *     conn.putrequest("GET", "/")
 *     conn.putheader("X-My-Header: foo")
 *     conn.endheaders()
 *     r1 = conn.getresponse()
 *     print(f"{r1.status}: {r1.reason}")
 *     for h in r1.headers: print(f"{h.header}: {h.value}")
 *     while chunk := r1.read(200): print(repr(chunk))
 *     conn.close()
 *
 * Usage: http_client_lowlevel [ORIGIN [PATH]]   (default https://www.python.org /)
 */
#include <stdio.h>

#include "weft.h"

/* print(repr(chunk)), near enough: printable bytes as they are. */
static void print_repr(const unsigned char *p, int n)
{
    putchar('b');
    putchar('\'');
    for (int i = 0; i < n; i++) {
        if (p[i] == '\n')
            fputs("\\n", stdout);
        else if (p[i] == '\r')
            fputs("\\r", stdout);
        else if (p[i] == '\'' || p[i] == '\\')
            printf("\\%c", p[i]);
        else if (p[i] >= 0x20 && p[i] < 0x7f)
            putchar(p[i]);
        else
            printf("\\x%02x", p[i]);
    }
    puts("'");
}

static const char *origin = "https://www.python.org";
static const char *path = "/";

static int main_task(void *arg)
{
    weft_http_conn *conn;
    int rc = weft_http_conn_open(NULL, origin, &conn);
    if (rc < 0) {
        fprintf(stderr, "connect: %s\n", weft_strerror(rc));
        return 1;
    }
    weft_http_headers *h;
    weft_http_headers_new(&h);
    weft_http_headers_add(h, "X-My-Header", "foo");
    rc = weft_http_conn_request(conn, "GET", path, h, NULL);
    weft_http_headers_free(h);

    weft_http_response *r1;
    if (rc == 0)
        rc = weft_http_conn_getresponse(conn, &r1);
    if (rc < 0) {
        fprintf(stderr, "request: %s\n", weft_strerror(rc));
        weft_http_conn_close(conn);
        return 1;
    }
    printf("%d: %s\n", weft_http_response_status(r1), weft_http_response_reason(r1));
    printf("headers:\n");
    for (size_t i = 0; i < weft_http_response_header_count(r1); i++) {
        const char *name, *value;
        weft_http_response_header_at(r1, i, &name, &value);
        printf("%s: %s\n", name, value);
    }
    unsigned char chunk[200];
    int n;
    while ((n = weft_http_response_read(r1, chunk, sizeof chunk)) > 0)
        print_repr(chunk, n);
    if (n < 0)
        fprintf(stderr, "read: %s\n", weft_strerror(n));
    weft_http_response_free(r1);
    weft_http_conn_close(conn);
    return n < 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        origin = argv[1];
    if (argc > 2)
        path = argv[2];
    return weft_run(main_task, NULL);
}
