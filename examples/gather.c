/*
 * gather.c - the C twin of asyncio.gather:
 *
 *     async def work(name, delay):
 *         await asyncio.sleep(delay)
 *         return len(name) * 10
 *
 *     results = await asyncio.gather(*[work(n, d) for n, d in jobs])
 *     for (name, _), r in zip(jobs, results):
 *         print(f"{name}: {r}")
 *
 * Three jobs of 0.3, 0.1 and 0.2 s take 0.3 s together, not 0.6, and the
 * results come back in the order the jobs were given. A task group is
 * TaskGroup and gather at once: if one job fails, the others are cancelled
 * and the failure is reported.
 *
 * Usage: gather [--fail]   (--fail makes the second job fail)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <weft.h>

struct job {
    const char *name;
    int delay_ms;
    bool fail;
};

static int work(void *arg)
{
    struct job *job = arg;
    int err = weft_sleep(WEFT_MSEC(job->delay_ms));
    if (err < 0) {
        printf("%s: cancelled (%s)\n", job->name, weft_strerror(err));
        return err;
    }
    if (job->fail)
        return -EIO;
    return (int)strlen(job->name) * 10;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int main_task(void *arg)
{
    bool fail = *(bool *)arg;
    struct job jobs[] = {
        {"python.org", 300, false},
        {"github.com", 100, fail},
        {"example", 200, false},
    };
    size_t n = sizeof jobs / sizeof jobs[0];

    double t0 = seconds();
    weft_group *group;
    int err = weft_group_new(&group);
    if (err < 0)
        return err;
    for (size_t i = 0; i < n; i++)
        weft_group_spawn(group, work, &jobs[i]);
    err = weft_group_wait(group);

    if (err < 0) {
        printf("gather failed: %s\n", weft_strerror(err));
    } else {
        for (size_t i = 0; i < n; i++)
            printf("%s: %d\n", jobs[i].name, weft_group_result(group, (int)i));
    }
    printf("took %.1f s\n", seconds() - t0);
    weft_group_free(group);
    return err;
}

int main(int argc, char **argv)
{
    bool fail = argc > 1 && strcmp(argv[1], "--fail") == 0;
    return weft_run(main_task, &fail) < 0 ? 1 : 0;
}
