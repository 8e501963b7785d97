/*
 * weft/process.h - child processes (asyncio.create_subprocess_exec / _shell,
 * subprocess.Popen and communicate()).
 *
 *     const char *argv[] = {"sort", NULL};
 *     weft_process_options o = {.stdin_mode = WEFT_STDIO_PIPE,
 *                               .stdout_mode = WEFT_STDIO_PIPE};
 *     weft_process *p;
 *     weft_process_spawn(NULL, argv, &o, &p);
 *     char *out; size_t outlen;
 *     weft_process_communicate(p, "x\na\nb\ny\n", 8, &out, &outlen, NULL, NULL);
 *     int rc; weft_process_wait(p, &rc);           // rc: exit code or -signal
 *     free(out); weft_process_free(p);
 *
 * Spawning uses posix_spawn (vfork-style, so a big parent is cheap to
 * spawn from): the child gets the pipes or files asked for on 0, 1, 2,
 * default signal dispositions, an empty signal mask, and no other fd - every
 * descriptor from 3 up is closed, close-on-exec or not, so nothing leaks.
 *
 * Exit is watched with a pidfd (Linux >= 5.3) as an fd watcher on the loop;
 * on kernels without one weft falls back to SIGCHLD through the loop's
 * signalfd and reaps only its own children, each with waitpid(pid, WNOHANG),
 * never wait(-1), so other code's children are left alone. In that fallback
 * weft owns the loop's SIGCHLD handler (spawn fails with -EEXIST if the
 * application installed one). Either way every child weft starts is reaped:
 * no zombies.
 *
 * A weft_process belongs to its loop's thread. Its pipe fds are
 * non-blocking and close-on-exec and belong to the process object.
 */
#ifndef WEFT_PROCESS_H
#define WEFT_PROCESS_H

#include <sys/types.h>

#include "weft/common.h"
#include "weft/loop.h"
#include "weft/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_process weft_process;

/* What each of the child's stdin / stdout / stderr is connected to. */
enum weft_stdio {
    WEFT_STDIO_INHERIT = 0, /* the parent's own fd (the default) */
    WEFT_STDIO_PIPE,        /* a pipe to weft (subprocess.PIPE) */
    WEFT_STDIO_DEVNULL,     /* /dev/null (subprocess.DEVNULL) */
    WEFT_STDIO_STDOUT,      /* stderr only: wherever stdout goes (subprocess.STDOUT) */
};

typedef void (*weft_process_exit_cb)(weft_process *p, int returncode, void *ud);

typedef struct weft_process_options {
    enum weft_stdio stdin_mode, stdout_mode, stderr_mode;
    const char *cwd;              /* working directory of the child; NULL: ours */
    const char *const *env;       /* "NAME=value" list ending in NULL; NULL: our environ */
    bool new_session;             /* setsid() in the child (start_new_session) */
    /* Most bytes communicate() keeps of each output (default 64 MiB): past it
     * communicate fails with -EFBIG instead of growing without bound. */
    size_t output_limit;
    /* Called on the loop once the child has ended and been reaped, with the
     * same returncode weft_process_wait() gives (the callback face of
     * asyncio's SubprocessProtocol.process_exited). May be NULL. */
    weft_process_exit_cb on_exit;
    void *ud;
} weft_process_options;

/* Start argv[0] with arguments argv (NULL-terminated); argv[0] without a
 * slash is looked up in our PATH (posix_spawnp). opt may be NULL (everything
 * inherited). loop NULL means the current thread's loop. Returns 0 and
 * *out, or -errno: -ENOENT / -EACCES when the program cannot be executed
 * (reported here, synchronously, no child is left behind), -EMFILE, -EAGAIN.
 * The caller owns *out: weft_process_free() it. */
int weft_process_spawn(weft_loop *loop, const char *const argv[],
                       const weft_process_options *opt, weft_process **out);

/* Run cmd with /bin/sh -c (create_subprocess_shell). Mind shell injection:
 * never paste untrusted text into cmd. */
int weft_process_shell(weft_loop *loop, const char *cmd, const weft_process_options *opt,
                       weft_process **out);

pid_t weft_process_pid(const weft_process *p);

/* @suspends. Wait for the child to end. Returns 0 and stores in *returncode
 * (may be NULL) its exit code (0..255) or, if a signal killed it, minus the
 * signal number, as asyncio's Process.returncode; or -ECANCELED /
 * -ETIMEDOUT, the child running on. Returns at once if it has ended. */
int weft_process_wait(weft_process *p, int *returncode);

/* Whether the child has ended and been reaped; then its returncode. */
bool weft_process_exited(const weft_process *p);
int weft_process_returncode(const weft_process *p);

/* Send a signal: 0 or -errno; -ESRCH once the child has been reaped (the pid
 * may belong to someone else by then, so weft never signals it). Through the
 * pidfd when there is one. terminate is SIGTERM, kill is SIGKILL. */
int weft_process_send_signal(weft_process *p, int signo);
int weft_process_terminate(weft_process *p);
int weft_process_kill(weft_process *p);

/* The weft side of each pipe (-1 for streams that are not WEFT_STDIO_PIPE or
 * were closed). The fd stays owned by the process: read and write it with
 * weft/sock.h calls or wrap it; do not close it, use close_stdin. */
int weft_process_stdin_fd(const weft_process *p);
int weft_process_stdout_fd(const weft_process *p);
int weft_process_stderr_fd(const weft_process *p);

/* The pipes as coroutine streams (asyncio's proc.stdin / proc.stdout /
 * proc.stderr): weft_stream_write + weft_stream_drain to stdin, then
 * weft_process_close_stdin; weft_stream_read / readline / readuntil from
 * stdout and stderr. The stream is made on the first call (on the process's
 * loop, which must be the current one) and takes over the pipe, so the
 * matching _fd call returns -1 from then on. It belongs to the process:
 * do not close or free it; weft_process_free does. NULL when the stream is
 * not a pipe or was closed. */
weft_stream *weft_process_stdin_stream(weft_process *p);
weft_stream *weft_process_stdout_stream(weft_process *p);
weft_stream *weft_process_stderr_stream(weft_process *p);

/* Close our end of the child's stdin (flushing what its stream holds), so
 * the child reads end of file. */
void weft_process_close_stdin(weft_process *p);

/* @suspends. Popen.communicate: write len bytes of input (may be NULL/0) to
 * stdin and close it, while reading stdout and stderr to their ends at the
 * same time (so a child that fills one pipe while we wait on another cannot
 * deadlock), then wait for the child to end. On success returns 0 and hands
 * out the captured outputs as malloc'd, NUL-terminated buffers the caller
 * frees (*out and *outlen, *err and *errlen; the pointers may be NULL to discard a
 * stream, and streams that are not pipes give NULL/0). A child that exits
 * without reading its input is not an error (EPIPE is ignored, as Python
 * does). Errors: -EFBIG when an output passes options.output_limit (our ends
 * of the pipes are closed, the child is left running: kill it or wait),
 * -ECANCELED / -ETIMEDOUT (outputs so far are dropped; the pipes stay
 * open), -EBUSY while another communicate runs. Pipes already taken as
 * streams are served through them (what their buffers hold comes first). */
int weft_process_communicate(weft_process *p, const void *input, size_t len, char **out,
                             size_t *outlen, char **err, size_t *errlen);

/* Free the process and close our ends of its pipes. A child still running is
 * killed (SIGKILL) and reaped first, as asyncio does when a subprocess
 * transport is closed, so no zombie stays behind; to let a child outlive
 * its handle, start it with /bin/sh -c 'cmd &' instead. Tasks still waiting
 * on the process must have finished. */
void weft_process_free(weft_process *p);

#ifdef __cplusplus
}
#endif
#endif
