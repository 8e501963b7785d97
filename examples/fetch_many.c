/*
 * fetch_many.c - ten (or any number of) URLs fetched at once over one
 * session, results in the order given:
 *
 *     async with aiohttp.ClientSession() as s:
 *         async def fetch(url):
 *             async with s.get(url) as r:
 *                 return r.status, len(await r.read())
 *         results = await asyncio.gather(*(fetch(u) for u in urls))
 *
 * Usage: fetch_many URL...
 * Prints "STATUS BYTES URL" per URL, then the total time.
 */
#include <stdio.h>
#include <time.h>

#include "weft.h"

struct job {
    weft_http_session *s;
    const char *url;
    int status;
    size_t bytes;
    int err;
};

static int fetch(void *arg)
{
    struct job *j = arg;
    weft_http_response *r;
    j->err = weft_http_session_get(j->s, j->url, NULL, &r);
    if (j->err == 0) {
        j->status = weft_http_response_status(r);
        j->err = weft_http_response_read_all(r, NULL, &j->bytes);
        weft_http_response_free(r);
    }
    return 0; /* one failure does not cancel the others */
}

static int nurls;
static char **urls;

static int main_task(void *arg)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    weft_http_session *s;
    weft_http_session_new(NULL, NULL, &s);
    struct job jobs[64];
    weft_group *g;
    weft_group_new(&g);
    for (int i = 0; i < nurls; i++) {
        jobs[i] = (struct job){.s = s, .url = urls[i]};
        weft_group_spawn(g, fetch, &jobs[i]);
    }
    weft_group_wait(g);
    weft_group_free(g);
    int failed = 0;
    for (int i = 0; i < nurls; i++) {
        if (jobs[i].err < 0) {
            printf("error %s %s\n", weft_strerror(jobs[i].err), jobs[i].url);
            failed++;
        } else {
            printf("%d %zu %s\n", jobs[i].status, jobs[i].bytes, jobs[i].url);
        }
    }
    weft_http_session_close(s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("took %.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return failed != 0;
}

int main(int argc, char **argv)
{
    nurls = argc - 1 > 64 ? 64 : argc - 1;
    urls = argv + 1;
    if (!nurls) {
        fprintf(stderr, "usage: fetch_many URL...\n");
        return 2;
    }
    return weft_run(main_task, NULL);
}
