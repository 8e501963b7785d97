/*
 * curl_multi.c - the libcurl anchor of bench_client: N keep-alive GETs over
 * C connections with one multi handle (curl's event-driven engine), one
 * thread. Built by bench_client at run time (libcurl is only needed there).
 *
 * Usage: curl_multi URL N C   -> prints "REQS SECONDS ERRORS"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    const char *url = argv[1];
    long total = atol(argv[2]);
    int conns = atoi(argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
    CURL **h = calloc((size_t)conns, sizeof *h);
    long started = 0, done = 0, errors = 0;
    for (int i = 0; i < conns && started < total; i++, started++) {
        h[i] = curl_easy_init();
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(h[i], CURLOPT_TCP_NODELAY, 1L);
        curl_multi_add_handle(m, h[i]);
    }
    double t0 = now();
    int running = 1;
    while (done < total) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            if (msg->data.result != CURLE_OK)
                errors++;
            done++;
            curl_multi_remove_handle(m, e);
            if (started < total) {
                started++;
                curl_multi_add_handle(m, e); /* the same handle: its connection is reused */
            }
        }
        if (done < total)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    double dt = now() - t0;
    printf("%ld %.6f %ld\n", done, dt, errors);
    for (int i = 0; i < conns; i++)
        if (h[i])
            curl_easy_cleanup(h[i]);
    free(h);
    curl_multi_cleanup(m);
    curl_global_cleanup();
    return 0;
}
