/* Subprocesses: exit codes (pidfd and SIGCHLD paths), 100 at once, big
 * outputs on both pipes, communicate through cat, signals, cancellation,
 * stdio modes, fd hygiene, limits, no zombies and no leaked fds. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft.h"
#include "weft/process.h"
#include "process/process_int.h"
#include "weft_test.h"

/* Every child a test made has been reaped: the test process has none left. */
static void assert_no_children(void)
{
    int st;
    errno = 0;
    assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

/* Run fn as weft_run's main and check that nothing leaked. */
static void run_clean(weft_task_fn fn, void *arg)
{
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(fn, arg), 0);
    assert_int_equal(weft_test_count_fds(), fds);
    assert_no_children();
}

static int shell_rc(const char *cmd)
{
    weft_process *p;
    int r = weft_process_shell(NULL, cmd, NULL, &p);
    if (r)
        return r;
    int rc = -1000;
    assert_int_equal(weft_process_wait(p, &rc), 0);
    assert_true(weft_process_exited(p));
    assert_int_equal(weft_process_returncode(p), rc);
    weft_process_free(p);
    return rc;
}

/* ------------------------------------------------------------ exit codes */

struct many {
    int n;
    bool sigchld;
};

static int many_main(void *arg)
{
    struct many *m = arg;
    weft__process_force_sigchld(m->sigchld);
    weft_process **ps = calloc((size_t)m->n, sizeof *ps);
    for (int i = 0; i < m->n; i++) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "exit %d", i % 200);
        if (i % 10 == 0) {
            const char *argv[] = {"/bin/true", NULL};
            assert_int_equal(weft_process_spawn(NULL, argv, NULL, &ps[i]), 0);
        } else {
            assert_int_equal(weft_process_shell(NULL, cmd, NULL, &ps[i]), 0);
        }
        assert_int_equal(weft__process_uses_sigchld(ps[i]), m->sigchld);
    }
    /* Wait in reverse order: most have ended long before we ask. */
    for (int i = m->n - 1; i >= 0; i--) {
        int rc;
        assert_int_equal(weft_process_wait(ps[i], &rc), 0);
        assert_int_equal(rc, i % 10 == 0 ? 0 : i % 200);
        weft_process_free(ps[i]);
    }
    free(ps);
    weft__process_force_sigchld(false);
    return 0;
}

static void hundred_concurrent_pidfd(void **state)
{
    struct many m = {100, false};
    run_clean(many_main, &m);
}

static void hundred_concurrent_sigchld(void **state)
{
    struct many m = {100, true};
    run_clean(many_main, &m);
}

/* 100 children at once, each a filter with its own input and output pipes,
 * all talking at the same time (300 pipe ends in flight). */
struct filter_job {
    int id;
    int rc;
};

static int filter_job_main(void *arg)
{
    struct filter_job *j = arg;
    size_t n = 20000 + (size_t)j->id * 97;
    char *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)(i * 7 + (size_t)j->id);
    const char *argv[] = {"cat", NULL};
    weft_process_options o = {.stdin_mode = WEFT_STDIO_PIPE, .stdout_mode = WEFT_STDIO_PIPE,
                              .stderr_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    int rc = weft_process_spawn(NULL, argv, &o, &p);
    if (rc) {
        free(in);
        return j->rc = rc;
    }
    char *out, *err;
    size_t outlen, errlen;
    rc = weft_process_communicate(p, in, n, &out, &outlen, &err, &errlen);
    if (rc == 0 && (outlen != n || memcmp(out, in, n) != 0 || errlen != 0))
        rc = -EBADMSG;
    if (rc == 0)
        rc = weft_process_returncode(p);
    free(out);
    free(err);
    free(in);
    weft_process_free(p);
    return j->rc = rc;
}

static int hundred_filters_main(void *arg)
{
    struct filter_job jobs[100];
    weft_group *g;
    assert_int_equal(weft_group_new(&g), 0);
    for (int i = 0; i < 100; i++) {
        jobs[i] = (struct filter_job){.id = i, .rc = -1};
        assert_true(weft_group_spawn(g, filter_job_main, &jobs[i]) >= 0);
    }
    assert_int_equal(weft_group_wait(g), 0);
    weft_group_free(g);
    for (int i = 0; i < 100; i++)
        assert_int_equal(jobs[i].rc, 0);
    return 0;
}

static void hundred_concurrent_filters(void **state)
{
    run_clean(hundred_filters_main, NULL);
}

/* ----------------------------------------------------------- big outputs */

static int big_outputs_main(void *arg)
{
    size_t n = WEFT_SCALED(10000000u);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "head -c %zu /dev/zero; head -c %zu /dev/zero >&2; exit 3", n, n);
    weft_process_options o = {.stdout_mode = WEFT_STDIO_PIPE, .stderr_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    assert_int_equal(weft_process_shell(NULL, cmd, &o, &p), 0);
    char *out, *err;
    size_t outlen, errlen;
    assert_int_equal(weft_process_communicate(p, NULL, 0, &out, &outlen, &err, &errlen), 0);
    assert_int_equal(outlen, n);
    assert_int_equal(errlen, n);
    for (size_t i = 0; i < n; i += 4093)
        assert_true(out[i] == 0 && err[i] == 0);
    assert_int_equal(weft_process_returncode(p), 3);
    assert_int_equal(weft_process_stdout_fd(p), -1); /* at EOF and closed */
    free(out);
    free(err);
    weft_process_free(p);
    return 0;
}

static void ten_mb_on_stdout_and_stderr(void **state)
{
    run_clean(big_outputs_main, NULL);
}

static int cat_main(void *arg)
{
    size_t n = WEFT_SCALED(10000000u);
    char *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)(i * 131 + (i >> 13));
    const char *argv[] = {"cat", NULL};
    weft_process_options o = {.stdin_mode = WEFT_STDIO_PIPE, .stdout_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    assert_int_equal(weft_process_spawn(NULL, argv, &o, &p), 0);
    char *out;
    size_t outlen;
    assert_int_equal(weft_process_communicate(p, in, n, &out, &outlen, NULL, NULL), 0);
    assert_int_equal(outlen, n);
    assert_memory_equal(out, in, n);
    int rc;
    assert_int_equal(weft_process_wait(p, &rc), 0);
    assert_int_equal(rc, 0);
    free(out);
    free(in);
    weft_process_free(p);

    /* A child that never reads its input: EPIPE is not an error. */
    const char *t[] = {"/bin/true", NULL};
    assert_int_equal(weft_process_spawn(NULL, t, &o, &p), 0);
    char big[200000] = {0};
    assert_int_equal(weft_process_communicate(p, big, sizeof big, &out, &outlen, NULL, NULL), 0);
    assert_int_equal(outlen, 0);
    assert_string_equal(out ? out : "", "");
    free(out);
    assert_int_equal(weft_process_returncode(p), 0);
    weft_process_free(p);
    return 0;
}

static void communicate_ten_mb_through_cat(void **state)
{
    run_clean(cat_main, NULL);
}

static int limit_main(void *arg)
{
    weft_process_options o = {.stdout_mode = WEFT_STDIO_PIPE, .output_limit = 100000};
    weft_process *p;
    assert_int_equal(weft_process_shell(NULL, "exec head -c 1000000 /dev/zero", &o, &p), 0);
    char *out = (char *)1;
    size_t outlen = 7;
    assert_int_equal(weft_process_communicate(p, NULL, 0, &out, &outlen, NULL, NULL), -EFBIG);
    assert_null(out);
    assert_int_equal(outlen, 0);
    int rc;
    assert_int_equal(weft_process_wait(p, &rc), 0);
    /* head saw its stdout closed. We ignore SIGPIPE, but the child starts
     * with default dispositions, so SIGPIPE kills it. */
    assert_int_equal(rc, -SIGPIPE);
    weft_process_free(p);
    return 0;
}

static void output_limit_is_a_clean_error(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    run_clean(limit_main, NULL);
}

/* ------------------------------------------------------------- signals */

static int signals_main(void *arg)
{
    const char *argv[] = {"sleep", "30", NULL};
    weft_process *p;
    int rc;
    assert_int_equal(weft_process_spawn(NULL, argv, NULL, &p), 0);
    assert_int_equal(weft_process_kill(p), 0);
    assert_int_equal(weft_process_wait(p, &rc), 0);
    assert_int_equal(rc, -SIGKILL);
    assert_int_equal(weft_process_kill(p), -ESRCH); /* reaped: never signalled again */
    weft_process_free(p);

    assert_int_equal(weft_process_spawn(NULL, argv, NULL, &p), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(10)), 0);
    assert_int_equal(weft_process_terminate(p), 0);
    assert_int_equal(weft_process_wait(p, &rc), 0);
    assert_int_equal(rc, -SIGTERM);
    weft_process_free(p);

    /* A child can see a signal we block in the loop thread: the mask is reset. */
    assert_int_equal(shell_rc("kill -USR1 $$; sleep 5"), -SIGUSR1);
    /* The shell reports a signal that killed its child as 128 + n. */
    assert_int_equal(shell_rc("sh -c 'kill -9 $$'; exit $?"), 128 + SIGKILL);
    return 0;
}

static void killed_and_terminated_children_report_the_signal(void **state)
{
    /* Block a signal as a loop with a handler would: children must not inherit it. */
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr, NULL);
    run_clean(signals_main, NULL);
    weft__process_force_sigchld(true);
    run_clean(signals_main, NULL);
    weft__process_force_sigchld(false);
}

/* ------------------------------------------------------ cancel, deadline */

static int wait_child(void *arg)
{
    int rc;
    return weft_process_wait(arg, &rc);
}

static int cancel_main(void *arg)
{
    const char *argv[] = {"sleep", "30", NULL};
    weft_process *p;
    assert_int_equal(weft_process_spawn(NULL, argv, NULL, &p), 0);

    weft_task *t;
    assert_int_equal(weft_task_spawn(NULL, wait_child, p, &t), 0);
    assert_int_equal(weft_sleep(WEFT_MSEC(5)), 0);
    weft_task_cancel(t);
    assert_int_equal(weft_task_join(t), -ECANCELED);
    assert_false(weft_process_exited(p)); /* cancelling the waiter spares the child */

    int scope = weft_timeout_push(WEFT_MSEC(20));
    int rc;
    assert_int_equal(weft_process_wait(p, &rc), -ETIMEDOUT);
    weft_timeout_pop(scope);

    /* communicate is interruptible too, and leaves the pipes usable. */
    weft_process *c;
    weft_process_options o = {.stdout_mode = WEFT_STDIO_PIPE};
    assert_int_equal(weft_process_shell(NULL, "echo hi; exec sleep 30", &o, &c), 0);
    scope = weft_timeout_push(WEFT_MSEC(50));
    assert_int_equal(weft_process_communicate(c, NULL, 0, NULL, NULL, NULL, NULL), -ETIMEDOUT);
    weft_timeout_pop(scope);
    assert_true(weft_process_stdout_fd(c) >= 0);
    assert_int_equal(weft_process_kill(c), 0);
    char *out;
    size_t outlen;
    assert_int_equal(weft_process_communicate(c, NULL, 0, &out, &outlen, NULL, NULL), 0);
    assert_int_equal(weft_process_returncode(c), -SIGKILL);
    free(out); /* "hi\n" went with the interrupted call, or is here */
    weft_process_free(c);

    weft_process_free(p); /* still running: killed and reaped here */
    return 0;
}

static void cancel_waiting_for_a_child(void **state)
{
    run_clean(cancel_main, NULL);
}

/* --------------------------------------------------------- stdio, env, cwd */

static char *capture(const char *const argv[], weft_process_options *o, int *rc)
{
    weft_process *p;
    o->stdout_mode = WEFT_STDIO_PIPE;
    assert_int_equal(weft_process_spawn(NULL, argv, o, &p), 0);
    char *out;
    assert_int_equal(weft_process_communicate(p, NULL, 0, &out, NULL, NULL, NULL), 0);
    *rc = weft_process_returncode(p);
    weft_process_free(p);
    return out;
}

static int stdio_main(void *arg)
{
    int rc;
    char *out;

    const char *both[] = {"sh", "-c", "echo out; echo err >&2", NULL};
    weft_process_options o = {.stderr_mode = WEFT_STDIO_STDOUT};
    out = capture(both, &o, &rc);
    assert_string_equal(out, "out\nerr\n");
    free(out);

    o = (weft_process_options){.stderr_mode = WEFT_STDIO_DEVNULL};
    out = capture(both, &o, &rc);
    assert_string_equal(out, "out\n");
    free(out);

    /* stdin from /dev/null: cat sees EOF at once. */
    const char *cat[] = {"cat", NULL};
    o = (weft_process_options){.stdin_mode = WEFT_STDIO_DEVNULL};
    out = capture(cat, &o, &rc);
    assert_string_equal(out, "");
    assert_int_equal(rc, 0);
    free(out);

    const char *pwd[] = {"pwd", NULL};
    o = (weft_process_options){.cwd = "/usr"};
    out = capture(pwd, &o, &rc);
    assert_string_equal(out, "/usr\n");
    free(out);

    const char *env[] = {"WEFT_X=hello", "PATH=/usr/bin:/bin", NULL};
    const char *echo[] = {"/bin/sh", "-c", "echo \"$WEFT_X\"; env | wc -l", NULL};
    o = (weft_process_options){.env = env};
    out = capture(echo, &o, &rc);
    /* dash adds PWD to the environment it passes on. */
    assert_true(strncmp(out, "hello\n", 6) == 0);
    free(out);

    /* Only 0, 1, 2 reach the child, even fds without close-on-exec. */
    int leaky = dup(2);
    assert_true(leaky > 2);
    const char *ls[] = {"ls", "/proc/self/fd", NULL};
    o = (weft_process_options){0};
    out = capture(ls, &o, &rc);
    assert_string_equal(out, "0\n1\n2\n3\n"); /* 3: the directory ls reads */
    free(out);
    close(leaky);

    /* No such program: reported synchronously, nothing left behind. */
    weft_process *p = (weft_process *)1;
    const char *none[] = {"/nonexistent/weft-no-such-program", NULL};
    assert_int_equal(weft_process_spawn(NULL, none, NULL, &p), -ENOENT);
    const char *none2[] = {"weft-no-such-program-in-path", NULL};
    assert_int_equal(weft_process_spawn(NULL, none2, NULL, &p), -ENOENT);
    o = (weft_process_options){.cwd = "/nonexistent-dir", .stdout_mode = WEFT_STDIO_PIPE};
    assert_int_equal(weft_process_spawn(NULL, pwd, &o, &p), -ENOENT);
    o = (weft_process_options){.stdout_mode = WEFT_STDIO_STDOUT};
    assert_int_equal(weft_process_spawn(NULL, pwd, &o, &p), -EINVAL);
    return 0;
}

static void stdio_modes_env_cwd_and_fd_hygiene(void **state)
{
    run_clean(stdio_main, NULL);
}

/* ------------------------------------------------- callbacks, free, leaks */

static void on_exit_cb(weft_process *p, int rc, void *ud)
{
    int *seen = ud;
    *seen = rc;
    weft_process_free(p); /* freeing from inside the callback is allowed */
}

static void exit_callback_without_tasks(void **state)
{
    int fds = weft_test_count_fds();
    weft_loop *loop;
    assert_int_equal(weft_loop_new(&loop), 0);
    for (int mode = 0; mode < 2; mode++) {
        weft__process_force_sigchld(mode == 1);
        int seen = -1000;
        weft_process_options o = {.on_exit = on_exit_cb, .ud = &seen};
        weft_process *p;
        assert_int_equal(weft_process_shell(loop, "exit 42", &o, &p), 0);
        assert_int_equal(seen, -1000); /* never inside the call */
        assert_int_equal(weft_loop_run(loop), 0);
        assert_int_equal(seen, 42);
    }
    weft__process_force_sigchld(false);
    assert_int_equal(weft_loop_close(loop), 0);
    assert_int_equal(weft_test_count_fds(), fds);
    assert_no_children();
}

static int free_running_main(void *arg)
{
    weft__process_force_sigchld(arg != NULL);
    const char *argv[] = {"sleep", "30", NULL};
    weft_process_options o = {.stdin_mode = WEFT_STDIO_PIPE, .stdout_mode = WEFT_STDIO_PIPE,
                              .stderr_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    assert_int_equal(weft_process_spawn(NULL, argv, &o, &p), 0);
    pid_t pid = weft_process_pid(p);
    assert_true(pid > 0);
    weft_process_free(p);
    int st;
    errno = 0;
    assert_int_equal(waitpid(pid, &st, WNOHANG), -1); /* already reaped */
    assert_int_equal(errno, ECHILD);
    weft__process_force_sigchld(false);
    return 0;
}

static void free_kills_and_reaps_a_running_child(void **state)
{
    run_clean(free_running_main, NULL);
    run_clean(free_running_main, (void *)1);
}

/* ------------------------------------------------------------- streams */

static int streams_main(void *arg)
{
    weft_process_options o = {.stdin_mode = WEFT_STDIO_PIPE, .stdout_mode = WEFT_STDIO_PIPE,
                              .stderr_mode = WEFT_STDIO_PIPE};
    weft_process *p;
    assert_int_equal(weft_process_shell(NULL, "echo line1; echo warn >&2; cat; echo done", &o, &p), 0);
    weft_stream *in = weft_process_stdin_stream(p);
    weft_stream *out = weft_process_stdout_stream(p);
    assert_non_null(in);
    assert_non_null(out);
    assert_ptr_equal(weft_process_stdout_stream(p), out); /* made once */
    assert_int_equal(weft_process_stdout_fd(p), -1);      /* the stream has the pipe */
    char line[64];
    assert_int_equal(weft_stream_readline(out, line, sizeof line), 6);
    assert_memory_equal(line, "line1\n", 6);
    assert_int_equal(weft_stream_write(in, "abc\n", 4), 0);
    assert_int_equal(weft_stream_drain(in), 0);
    assert_int_equal(weft_stream_readline(out, line, sizeof line), 4);
    assert_memory_equal(line, "abc\n", 4);
    /* The rest through communicate: stdin via its stream, stderr as a plain pipe. */
    char *rest, *err;
    size_t restlen, errlen;
    assert_int_equal(weft_process_communicate(p, "xyz\n", 4, &rest, &restlen, &err, &errlen), 0);
    assert_string_equal(rest, "xyz\ndone\n");
    assert_string_equal(err, "warn\n");
    assert_int_equal(weft_process_returncode(p), 0);
    assert_null(weft_process_stdin_stream(p)); /* closed by communicate */
    free(rest);
    free(err);
    weft_process_free(p);

    /* A child that is still running when freed, with streams open. */
    assert_int_equal(weft_process_shell(NULL, "exec sleep 30", &o, &p), 0);
    assert_non_null(weft_process_stdout_stream(p));
    assert_non_null(weft_process_stdin_stream(p));
    assert_int_equal(weft_stream_write(weft_process_stdin_stream(p), "x", 1), 0);
    weft_process_free(p);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0); /* let the streams finish closing */

    /* The output limit through a stream. */
    weft_process_options lo = {.stdout_mode = WEFT_STDIO_PIPE, .output_limit = 50000};
    assert_int_equal(weft_process_shell(NULL, "exec head -c 200000 /dev/zero", &lo, &p), 0);
    assert_non_null(weft_process_stdout_stream(p));
    assert_int_equal(weft_process_communicate(p, NULL, 0, &rest, NULL, NULL, NULL), -EFBIG);
    int rc;
    assert_int_equal(weft_process_wait(p, &rc), 0);
    weft_process_free(p);
    assert_int_equal(weft_sleep(WEFT_MSEC(1)), 0);
    return 0;
}

static void pipes_as_streams(void **state)
{
    run_clean(streams_main, NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(pipes_as_streams),
    cmocka_unit_test(hundred_concurrent_pidfd),
    cmocka_unit_test(hundred_concurrent_sigchld),
    cmocka_unit_test(hundred_concurrent_filters),
    cmocka_unit_test(ten_mb_on_stdout_and_stderr),
    cmocka_unit_test(communicate_ten_mb_through_cat),
    cmocka_unit_test(output_limit_is_a_clean_error),
    cmocka_unit_test(killed_and_terminated_children_report_the_signal),
    cmocka_unit_test(cancel_waiting_for_a_child),
    cmocka_unit_test(stdio_modes_env_cwd_and_fd_hygiene),
    cmocka_unit_test(exit_callback_without_tasks),
    cmocka_unit_test(free_kills_and_reaps_a_running_child),
};

WEFT_TEST_MAIN(tests)
