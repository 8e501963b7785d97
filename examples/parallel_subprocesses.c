/*
 * parallel_subprocesses.c - several children at once with
 * create_subprocess_exec (row 10 of EXAMPLES.md, with subprocess_sort.c):
 * each is read line by line as it writes, so their output interleaves, and
 * together they take as long as the slowest, not the sum.
 *
 *     async def run(name, delay):
 *         proc = await asyncio.create_subprocess_exec(
 *             "sh", "-c", f"for i in 1 2 3; do echo {name} $i; sleep {delay}; done",
 *             stdout=asyncio.subprocess.PIPE)
 *         async for line in proc.stdout:
 *             print(f"[{name}] {line.decode().rstrip()}")
 *         return await proc.wait()
 *
 *     codes = await asyncio.gather(run("a", 0.1), run("b", 0.15), run("c", 0.2))
 */
#include <stdio.h>
#include <stdlib.h>

#include "weft.h"

struct job {
    const char *name;
    const char *delay;
    int returncode;
};

static int run(void *arg)
{
    struct job *j = arg;
    char script[128];
    snprintf(script, sizeof script, "for i in 1 2 3; do echo %s $i; sleep %s; done; exit %d",
             j->name, j->delay, j->name[0] - 'a');
    const char *argv[] = {"sh", "-c", script, NULL};
    weft_process_options opts = {.stdout_mode = WEFT_STDIO_PIPE};
    weft_process *proc;
    int rc = weft_process_spawn(NULL, argv, &opts, &proc);
    if (rc < 0)
        return rc;

    char line[256];
    int n;
    while ((n = weft_stream_readline(weft_process_stdout_stream(proc), line, sizeof line)) > 0)
        printf("[%s] %.*s\n", j->name, line[n - 1] == '\n' ? n - 1 : n, line);

    rc = weft_process_wait(proc, &j->returncode);
    weft_process_free(proc);
    return rc;
}

static int amain(void *arg)
{
    struct job jobs[] = {{.name = "a", .delay = "0.1"}, {.name = "b", .delay = "0.15"},
                         {.name = "c", .delay = "0.2"}};
    uint64_t t0 = weft_loop_update_time(weft_loop_current());
    weft_group *g;
    weft_group_new(&g);
    for (int i = 0; i < 3; i++)
        weft_group_spawn(g, run, &jobs[i]);
    int rc = weft_group_wait(g); /* asyncio.gather */
    weft_group_free(g);
    double secs = (double)(weft_loop_update_time(weft_loop_current()) - t0) / 1e9;
    printf("returncodes: %d %d %d\n", jobs[0].returncode, jobs[1].returncode,
           jobs[2].returncode);
    printf("3 children in parallel took %.2f s\n", secs);
    return rc;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    return weft_run(amain, NULL) == 0 ? 0 : 1;
}
