/*
 * switch_check.c - a self-contained check of the coroutine layer for
 * another architecture, run under qemu-user by tests/peers/cross_aarch64.sh
 * (cmocka and the other libraries are not there for the target, so this
 * links only src/loop, src/coro and src/common).
 *
 * It ping-pongs tasks, keeps floating-point and integer values live across
 * every switch (callee-saved registers must survive), nests deadlines and
 * cancels, and prints "ok" only if every result is right.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    /* Values the compiler keeps in callee-saved registers across the yields. */
    volatile double scale = 1.5;
    double acc = id;
    long iacc = id;
    for (int i = 0; i < 1000; i++) {
        acc = acc * scale / 1.5 + 1.0;
        iacc = iacc * 3 % 1000003 + i;
        if (weft_yield() != 0)
            return -1;
    }
    return (acc == id + 1000.0) ? (int)(iacc % 1000) : -2;
}

static long expected(int id)
{
    long iacc = id;
    for (int i = 0; i < 1000; i++)
        iacc = iacc * 3 % 1000003 + i;
    return iacc % 1000;
}

static int sleeper(void *arg)
{
    return weft_sleep(WEFT_SEC(3600));
}

static int main_task(void *arg)
{
    weft_group *g;
    CHECK(weft_group_new(&g) == 0);
    for (int i = 0; i < 8; i++)
        CHECK(weft_group_spawn(g, worker, (void *)(intptr_t)i) == i);
    CHECK(weft_group_wait(g) == 0);
    for (int i = 0; i < 8; i++)
        CHECK(weft_group_result(g, i) == expected(i));
    weft_group_free(g);

    int scope = weft_timeout_push(WEFT_MSEC(10));
    CHECK(weft_sleep(WEFT_SEC(10)) == -ETIMEDOUT);
    CHECK(weft_timeout_pop(scope));

    weft_task *t;
    CHECK(weft_task_spawn(NULL, sleeper, NULL, &t) == 0);
    CHECK(weft_yield() == 0);
    CHECK(weft_task_cancel(t) == 0);
    CHECK(weft_task_join(t) == -ECANCELED);
    return 0;
}

int main(void)
{
    CHECK(weft_run(main_task, NULL) == 0);
    if (failures)
        return 1;
    printf("ok\n");
    return 0;
}
