/*
 * conn_pool.c - a pool of reader/writer pairs (row 9 of EXAMPLES.md): ten
 * requests run at once and share three connections, as asyncio code would
 * with a deque of (reader, writer) and a Semaphore.
 *
 *     conn_pool [host [port]]      (localhost 8888: run echo_server first)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

#define POOL_SIZE 3
#define REQUESTS 10

struct pool {
    const char *host;
    uint16_t port;
    weft_semaphore *slots;        /* at most POOL_SIZE connections in use */
    weft_stream *idle[POOL_SIZE]; /* open and free: reuse these first */
    int nidle;
    int opened;
};

static int pool_get(struct pool *p, weft_stream **s)
{
    int rc = weft_semaphore_acquire(p->slots);
    if (rc < 0)
        return rc;
    if (p->nidle) {
        *s = p->idle[--p->nidle];
        return 0;
    }
    rc = weft_stream_open_connection(p->host, p->port, NULL, s);
    if (rc < 0) {
        weft_semaphore_release(p->slots);
        return rc;
    }
    p->opened++;
    return 0;
}

/* Give a connection back; a broken one is closed instead of kept. */
static void pool_put(struct pool *p, weft_stream *s, bool broken)
{
    if (broken)
        weft_stream_close(s);
    else
        p->idle[p->nidle++] = s;
    weft_semaphore_release(p->slots);
}

static void pool_close(struct pool *p)
{
    while (p->nidle)
        weft_stream_close(p->idle[--p->nidle]);
    weft_semaphore_free(p->slots);
}

struct request {
    struct pool *pool;
    char message[16];
    char reply[1024];
};

static int fetch(void *arg)
{
    struct request *r = arg;
    weft_stream *s;
    int rc = pool_get(r->pool, &s);
    if (rc < 0)
        return rc;
    rc = weft_stream_write(s, r->message, strlen(r->message));
    if (rc == 0)
        rc = weft_stream_drain(s);
    int n = rc ? rc : weft_stream_read(s, r->reply, sizeof r->reply - 1);
    if (n >= 0)
        r->reply[n] = 0;
    pool_put(r->pool, s, n <= 0);
    return n < 0 ? n : 0;
}

static int amain(void *arg)
{
    struct pool *pool = arg;
    weft_semaphore_new(POOL_SIZE, &pool->slots);
    struct request requests[REQUESTS];
    weft_group *g; /* asyncio.gather(*tasks) */
    weft_group_new(&g);
    for (int i = 0; i < REQUESTS; i++) {
        requests[i].pool = pool;
        snprintf(requests[i].message, sizeof requests[i].message, "msg%d", i);
        weft_group_spawn(g, fetch, &requests[i]);
    }
    int rc = weft_group_wait(g);
    for (int i = 0; i < REQUESTS && rc == 0; i++)
        printf("%s\n", requests[i].reply);
    weft_group_free(g);
    printf("%d requests over %d connections\n", REQUESTS, pool->opened);
    pool_close(pool);
    if (rc < 0)
        fprintf(stderr, "conn_pool: %s\n", weft_strerror(rc));
    return rc;
}

int main(int argc, char **argv)
{
    struct pool pool = {
        .host = argc > 1 ? argv[1] : "localhost",
        .port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 8888),
    };
    return weft_run(amain, &pool) == 0 ? 0 : 1;
}
