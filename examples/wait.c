/*
 * wait.c - the C twin of
 *
 *     async def wait(delay):
 *         print(f'wait for {delay} seconds at {time.strftime("%X")}')
 *         await asyncio.sleep(delay)
 *         print(f'waited for {delay} seconds at {time.strftime("%X")}')
 *
 *     loop = asyncio.get_event_loop()          # low level
 *     loop.run_until_complete(wait(2))
 *     asyncio.run(wait(2))                     # high level (preferred)
 *
 * Usage: wait [SECONDS]   (default 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft.h>

static const char *clock_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    strftime(buf, size, "%X", localtime(&t));
    return buf;
}

static int wait(void *arg)
{
    int delay = *(int *)arg;
    char buf[32];
    printf("wait for %d seconds at %s\n", delay, clock_now(buf, sizeof buf));
    int err = weft_sleep(WEFT_SEC(delay));
    printf("waited for %d seconds at %s\n", delay, clock_now(buf, sizeof buf));
    return err;
}

int main(int argc, char **argv)
{
    int delay = argc > 1 ? atoi(argv[1]) : 2;

    /* Low level: a loop of our own, one task run until complete. */
    weft_loop *loop;
    weft_task *task;
    if (weft_loop_new(&loop) != 0 || weft_task_spawn(loop, wait, &delay, &task) != 0)
        return 1;
    int err = weft_loop_run_until_complete(loop, task);
    weft_loop_close(loop);
    if (err < 0) {
        fprintf(stderr, "wait: %s\n", weft_strerror(err));
        return 1;
    }

    /* High level (preferred): weft_run makes the loop and closes it. */
    err = weft_run(wait, &delay);
    if (err < 0) {
        fprintf(stderr, "wait: %s\n", weft_strerror(err));
        return 1;
    }
    return 0;
}
