/*
 * bench_coro.c - the coroutine layer's hot paths, each against an anchor
 * measured in the same run (machines here are shared; ratios travel better
 * than absolute times).
 *
 *   switch        weft__ctx_jump round trips vs swapcontext round trips
 *   spawn+join    a task spawned and joined vs pthread_create + join
 *   timers        1,000,000 timers set then cancelled vs libuv's timers
 *   memory        RSS growth per sleeping task (10,000 tasks)
 */
// bench-libs: uv
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <uv.h>

#include "weft.h"
#include "bench_util.h"
#include "coro/coro_int.h"

/* Best of a few runs: the least disturbed one is the closest to the truth. */
#define BEST_OF 5

/* --------------------------------------------------------------- switch */

#define SWITCHES 5000000
static struct weft__ctx main_ctx, co_ctx;
static ucontext_t uc_main, uc_co;

static void weft_co(void *arg)
{
    for (;;)
        weft__ctx_jump(&co_ctx, &main_ctx);
}

static void uc_co_fn(void)
{
    for (;;)
        swapcontext(&uc_co, &uc_main);
}

static double bench_switch_weft(void)
{
    static char stack[64 * 1024] __attribute__((aligned(16)));
    weft__ctx_make(&co_ctx, stack, sizeof stack, weft_co, NULL);
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < SWITCHES; i++)
        weft__ctx_jump(&main_ctx, &co_ctx);
    return (double)(bench_now_ns() - t0) / (2.0 * SWITCHES); /* two switches per round trip */
}

static double bench_switch_uc(void)
{
    static char stack[64 * 1024] __attribute__((aligned(16)));
    getcontext(&uc_co);
    uc_co.uc_stack.ss_sp = stack;
    uc_co.uc_stack.ss_size = sizeof stack;
    uc_co.uc_link = NULL;
    makecontext(&uc_co, uc_co_fn, 0);
    int n = SWITCHES / 10;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < n; i++)
        swapcontext(&uc_main, &uc_co);
    return (double)(bench_now_ns() - t0) / (2.0 * n);
}

/* ---------------------------------------------------------- spawn + join */

#define SPAWNS 1000000

static int nothing(void *arg)
{
    return 0;
}

static int spawn_join_main(void *arg)
{
    double *out = arg;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < SPAWNS; i++) {
        weft_task *t;
        weft_task_spawn(NULL, nothing, NULL, &t);
        weft_task_join(t);
    }
    *out = (double)(bench_now_ns() - t0) / SPAWNS;
    return 0;
}

static double bench_spawn_weft(void)
{
    double ns = 0;
    weft_run(spawn_join_main, &ns);
    return ns;
}

static void *thread_nothing(void *arg)
{
    return arg;
}

static double bench_spawn_pthread(void)
{
    int n = 20000;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < n; i++) {
        pthread_t th;
        pthread_create(&th, NULL, thread_nothing, NULL);
        pthread_join(th, NULL);
    }
    return (double)(bench_now_ns() - t0) / n;
}

/* --------------------------------------------------------------- timers */

#define TIMERS 1000000

static void noop(void *ud)
{
}

static double bench_timers_weft(void)
{
    weft_loop *loop;
    weft_loop_new(&loop);
    weft_timer **h = malloc(sizeof *h * TIMERS);
    uint32_t x = 1;
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < TIMERS; i++) {
        x = x * 1103515245u + 12345u;
        weft_loop_call_later(loop, WEFT_MSEC(x % 60000), noop, NULL, &h[i]);
    }
    for (int i = 0; i < TIMERS; i++)
        weft_timer_cancel(h[i]);
    double s = (double)(bench_now_ns() - t0) / 1e9;
    free(h);
    weft_loop_close(loop);
    return s;
}

static void uv_noop(uv_timer_t *t)
{
}

static double bench_timers_uv(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t *h = malloc(sizeof *h * TIMERS);
    uint32_t x = 1;
    uint64_t t0 = bench_now_ns();
    /* Same work as weft's public timers: a handle each, set, then cancelled. */
    for (int i = 0; i < TIMERS; i++) {
        x = x * 1103515245u + 12345u;
        uv_timer_init(&loop, &h[i]);
        uv_timer_start(&h[i], uv_noop, x % 60000, 0);
    }
    for (int i = 0; i < TIMERS; i++)
        uv_timer_stop(&h[i]);
    double s = (double)(bench_now_ns() - t0) / 1e9;
    for (int i = 0; i < TIMERS; i++)
        uv_close((uv_handle_t *)&h[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(h);
    return s;
}

/* --------------------------------------------------------------- memory */

#define SLEEPERS 10000

static int sleeper(void *arg)
{
    return weft_sleep(WEFT_SEC(3600));
}

static int memory_main(void *arg)
{
    double *per_task = arg;
    weft_task **t = malloc(sizeof *t * SLEEPERS);
    size_t before = bench_rss_bytes();
    for (int i = 0; i < SLEEPERS; i++)
        weft_task_spawn(NULL, sleeper, NULL, &t[i]);
    weft_sleep(WEFT_MSEC(1)); /* let every task start and park */
    size_t after = bench_rss_bytes();
    *per_task = (double)(after - before) / SLEEPERS;
    for (int i = 0; i < SLEEPERS; i++) {
        weft_task_cancel(t[i]);
        weft_task_join(t[i]);
    }
    free(t);
    return 0;
}

int main(void)
{
    double w = 1e9, u = 1e9;
    for (int i = 0; i < BEST_OF; i++) {
        double a = bench_switch_weft(), b = bench_switch_uc();
        w = a < w ? a : w;
        u = b < u ? b : u;
    }
    printf("switch:      weft %.2f ns  swapcontext %.2f ns  speed-up %.1fx  (goal <= 10 ns, >= 10x)\n",
           w, u, u / w);

    w = u = 1e9;
    for (int i = 0; i < 3; i++) {
        double a = bench_spawn_weft(), b = bench_spawn_pthread();
        w = a < w ? a : w;
        u = b < u ? b : u;
    }
    printf("spawn+join:  weft %.0f ns  pthread %.0f ns  speed-up %.1fx  (goal <= 1000 ns)\n", w, u,
           u / w);

    w = u = 1e9;
    for (int i = 0; i < 3; i++) {
        double a = bench_timers_weft(), b = bench_timers_uv();
        w = a < w ? a : w;
        u = b < u ? b : u;
    }
    printf("timers 1M:   weft %.3f s  libuv %.3f s  ratio weft/libuv %.2f  (goal < 0.5 s)\n", w, u,
           w / u);

    double per_task = 0;
    weft_run(memory_main, &per_task);
    printf("memory:      %.2f KiB RSS per sleeping task (%d tasks, stack %zu KiB reserved each)  "
           "ratio to goal 8 KiB %.2f\n",
           per_task / 1024, SLEEPERS, weft_coro_stack_size() / 1024, per_task / 8192);
    return 0;
}
