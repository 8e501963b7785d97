/*
 * subprocess_sort.c - running programs (row 10 of EXAMPLES.md):
 *
 *   1. Popen(["sort"], stdin=PIPE, stdout=PIPE).communicate(input)
 *   2. create_subprocess_exec, reading its stdout as a stream, and wait
 *   3. several subprocesses at once, in a task group
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

/* 1. A filter: feed sort its input, get its output, no deadlock whatever
 *    the sizes. */
static int sort_lines(const char *input, char **output)
{
    const char *argv[] = {"sort", NULL};
    weft_process_options o = {.stdin_mode = WEFT_STDIO_PIPE, .stdout_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    int rc = weft_process_spawn(NULL, argv, &o, &p);
    if (rc < 0)
        return rc;
    rc = weft_process_communicate(p, input, strlen(input), output, NULL, NULL, NULL);
    if (rc == 0)
        rc = weft_process_returncode(p); /* communicate waited for the exit */
    weft_process_free(p);
    return rc;
}

/* 3. One of several children run at once. */
struct job {
    const char *input;
    char *output;
    int rc;
};

static int sort_job(void *arg)
{
    struct job *j = arg;
    /* Each child also sleeps 0.3 s: run one after another they would take
     * 1.2 s, together about 0.3. */
    const char *argv[] = {"sh", "-c", "sleep 0.3; sort", NULL};
    weft_process_options o = {.stdin_mode = WEFT_STDIO_PIPE, .stdout_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    int rc = weft_process_spawn(NULL, argv, &o, &p);
    if (rc < 0)
        return rc;
    rc = weft_process_communicate(p, j->input, strlen(j->input), &j->output, NULL, NULL, NULL);
    j->rc = weft_process_returncode(p);
    weft_process_free(p);
    return rc;
}

static int amain(void *arg)
{
    /* 1 */
    char *out;
    int rc = sort_lines("x\na\nb\ny\n", &out);
    if (rc != 0)
        return fprintf(stderr, "sort failed: %d\n", rc), 1;
    printf("sorted: %s", out);
    free(out);

    /* 2: proc = await create_subprocess_exec(..., stdout=PIPE);
     *    line = await proc.stdout.readline(); await proc.wait() */
    const char *argv[] = {"echo", "hello from a child", NULL};
    weft_process_options o = {.stdout_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    rc = weft_process_spawn(NULL, argv, &o, &p);
    if (rc < 0)
        return fprintf(stderr, "spawn: %s\n", weft_strerror(rc)), 1;
    printf("started pid %d\n", (int)weft_process_pid(p));
    char line[256];
    int n = weft_stream_readline(weft_process_stdout_stream(p), line, sizeof line);
    int returncode;
    weft_process_wait(p, &returncode);
    printf("child said: %.*s", n > 0 ? n : 0, line);
    printf("returncode: %d\n", returncode);
    weft_process_free(p);

    /* 3 */
    struct job jobs[4] = {{.input = "d\nc\n"}, {.input = "b\na\n"},
                          {.input = "z\ny\n"}, {.input = "2\n1\n"}};
    uint64_t t0 = weft_loop_update_time(weft_loop_current());
    weft_group *g;
    weft_group_new(&g);
    for (int i = 0; i < 4; i++)
        weft_group_spawn(g, sort_job, &jobs[i]);
    rc = weft_group_wait(g);
    weft_group_free(g);
    double secs = (double)(weft_loop_update_time(weft_loop_current()) - t0) / 1e9;
    for (int i = 0; i < 4; i++) {
        for (char *c = jobs[i].output; c && *c; c++)
            if (*c == '\n')
                *c = ' ';
        printf("job %d (rc %d): %s\n", i, jobs[i].rc, jobs[i].output ? jobs[i].output : "");
        free(jobs[i].output);
    }
    printf("4 subprocesses in parallel took %.2f s\n", secs);
    return rc;
}

int main(void)
{
    return weft_run(amain, NULL) == 0 ? 0 : 1;
}
