/*
 * date_cache.c - the Date header value, formatted once per second per
 * thread (every response carries one; formatting it each time would cost
 * more than the rest of a small response's head).
 */
#include <time.h>

#include "server/server_int.h"

static __thread time_t cached_sec = -1;
static __thread char cached[WEFT_HTTP_DATE_LEN + 1];
static __thread unsigned cached_gen; /* changes with the text */

const char *weft__http_date_now_gen(unsigned *gen)
{
    const char *d = weft__http_date_now();
    *gen = cached_gen;
    return d;
}

const char *weft__http_date_now(void)
{
    /* All the responses of one loop iteration share the loop's cached
     * clock: read the wall clock once per iteration, not per response. */
    static __thread uint64_t seen_loop_now;
    weft_loop *loop = weft_loop_current();
    if (loop && cached_sec >= 0) {
        uint64_t now = weft_loop_now(loop);
        if (now == seen_loop_now)
            return cached;
        seen_loop_now = now;
    }
    struct timespec ts;
    /* The coarse clock is a few milliseconds behind at most and costs no
     * system call: plenty for a value with one-second resolution. */
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != cached_sec) {
        if (weft_http_date_format(ts.tv_sec, cached) < 0)
            weft_http_date_format(0, cached);
        cached_sec = ts.tv_sec;
        cached_gen++;
    }
    return cached;
}
