/*
 * bench_h1_parse.c - how fast the HTTP/1 head parser is, against the floor.
 *
 * The floor is the least any HTTP/1 server must do with a request: find the
 * "\r\n\r\n" that ends it, which is all ../shared/bench/floor.c does (with a
 * byte loop; here with the faster of memmem and a memchr per line, so the
 * anchor is as hard as it can be). Each case prints ns per message for weft
 * and for the floor, measured in this run, and ratio = weft / floor (time).
 * Every timing is the best of five rounds; the whole run takes about 1 s.
 *
 * Cases: a browser-like GET (~500 bytes, 10 fields) parsed whole; the same
 * GET arriving in two reads (the second call resumes); a small response.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "weft/http1.h"

static const char GET[] =
    "GET /wiki/Hypertext_Transfer_Protocol?action=view&oldid=1182 HTTP/1.1\r\n"
    "Host: en.wikipedia.org\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://www.google.com/\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f2a1c9e4b7d6a3f; theme=dark; lang=en\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "\r\n";

static const char RESP[] =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 20 Nov 2023 10:00:00 GMT\r\n"
    "Server: weft/0.1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 13\r\n"
    "\r\n";

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keep the compiler from hoisting work on *p out of the timing loop. */
#define OPAQUE(p) __asm__ volatile("" : : "r"(p) : "memory")

enum { ROUNDS = 5 };

static volatile size_t sink;

/* memmem() for "\r\n\r\n", and memchr() for each LF checking the three
 * bytes before it; glibc makes either the faster depending on the CPU, so
 * the floor is whichever is faster here. */
static size_t end_memmem(const char *buf, size_t len)
{
    const char *e = memmem(buf, len, "\r\n\r\n", 4);
    return e ? (size_t)(e - buf) + 4 : 0;
}

static size_t end_memchr(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len, *q;
    while ((q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (q - buf >= 3 && q[-1] == '\r' && q[-2] == '\n' && q[-3] == '\r')
            return (size_t)(q - buf) + 1;
        p = q + 1;
    }
    return 0;
}

static double scan_ns(size_t (*scan)(const char *, size_t), const char *buf, size_t len, long iters)
{
    double best = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        size_t acc = 0;
        uint64_t t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            OPAQUE(buf);
            acc += scan(buf, len);
        }
        double ns = (double)(now_ns() - t0) / (double)iters;
        sink = acc;
        if (ns < best)
            best = ns;
    }
    return best;
}

static double floor_ns(const char *buf, size_t len, long iters)
{
    if (end_memmem(buf, len) != len || end_memchr(buf, len) != len)
        abort();
    double a = scan_ns(end_memmem, buf, len, iters), b = scan_ns(end_memchr, buf, len, iters);
    printf("floor for %zu B: memmem %.1f ns, memchr per line %.1f ns\n", len, a, b);
    return a < b ? a : b;
}

static double req_ns(const char *buf, size_t len, size_t split, long iters)
{
    weft_h1_parser p;
    weft_h1_request req;
    weft_h1_header hdrs[32];
    double best = 1e30;
    weft_h1_parser_init(&p, NULL);
    for (int r = 0; r < ROUNDS; r++) {
        size_t acc = 0;
        uint64_t t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            OPAQUE(buf);
            int n;
            if (split && weft_h1_parse_request(&p, buf, split, &req, hdrs, 32) != -EAGAIN)
                abort();
            n = weft_h1_parse_request(&p, buf, len, &req, hdrs, 32);
            acc += (size_t)n + req.nheaders;
        }
        double ns = (double)(now_ns() - t0) / (double)iters;
        sink = acc;
        if (ns < best)
            best = ns;
    }
    return best;
}

static double resp_ns(const char *buf, size_t len, long iters)
{
    weft_h1_parser p;
    weft_h1_response resp;
    weft_h1_header hdrs[32];
    double best = 1e30;
    weft_h1_parser_init(&p, NULL);
    for (int r = 0; r < ROUNDS; r++) {
        size_t acc = 0;
        uint64_t t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            OPAQUE(buf);
            int n = weft_h1_parse_response(&p, buf, len, WEFT_H1_METHOD_GET, &resp, hdrs, 32);
            acc += (size_t)n + resp.content_length;
        }
        double ns = (double)(now_ns() - t0) / (double)iters;
        sink = acc;
        if (ns < best)
            best = ns;
    }
    return best;
}

static void report(const char *name, size_t len, double weft, double fl)
{
    printf("%-22s %4zu B   weft %7.1f ns/msg (%5.2f GB/s)   floor %6.1f ns/msg   ratio = weft / floor = %.2f\n",
           name, len, weft, (double)len / weft, fl, weft / fl);
}

int main(void)
{
    /* Check the parser agrees with itself before timing it. */
    weft_h1_parser p;
    weft_h1_request req;
    weft_h1_response resp;
    weft_h1_header hdrs[32];
    weft_h1_parser_init(&p, NULL);
    if (weft_h1_parse_request(&p, GET, sizeof GET - 1, &req, hdrs, 32) != (int)sizeof GET - 1 ||
        req.nheaders != 10 ||
        weft_h1_parse_response(&p, RESP, sizeof RESP - 1, WEFT_H1_METHOD_GET, &resp, hdrs, 32) !=
            (int)sizeof RESP - 1 || resp.content_length != 13) {
        fprintf(stderr, "bench_h1_parse: the parser rejects the benchmark messages\n");
        return 1;
    }
    /* Heap copies, so no case gets a cache-line advantage from .rodata. */
    char *get = malloc(sizeof GET), *rsp = malloc(sizeof RESP);
    memcpy(get, GET, sizeof GET);
    memcpy(rsp, RESP, sizeof RESP);
    size_t glen = sizeof GET - 1, rlen = sizeof RESP - 1;
    long iters = 200000;

    double fg = floor_ns(get, glen, iters);
    report("request (whole)", glen, req_ns(get, glen, 0, iters), fg);
    report("request (2 reads)", glen, req_ns(get, glen, glen / 2, iters), fg);
    report("response (whole)", rlen, resp_ns(rsp, rlen, iters), floor_ns(rsp, rlen, iters));
    free(get);
    free(rsp);
    return 0;
}
