/*
 * date_cache.c - the Date header value, formatted once per second per
 * thread (every response carries one; formatting it each time would cost
 * more than the rest of a small response's head).
 */
#include <time.h>

#include "server/server_int.h"

static __thread time_t cached_sec = -1;
static __thread char cached[WEFT_HTTP_DATE_LEN + 1];

const char *weft__http_date_now(void)
{
    struct timespec ts;
    /* The coarse clock is a few milliseconds behind at most and costs no
     * system call: plenty for a value with one-second resolution. */
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != cached_sec) {
        if (weft_http_date_format(ts.tv_sec, cached) < 0)
            weft_http_date_format(0, cached);
        cached_sec = ts.tv_sec;
    }
    return cached;
}
