/*
 * process.c - child processes: posix_spawn, pidfd or SIGCHLD reaping, wait,
 * signals and communicate() (weft/process.h).
 *
 * Lifetime: a process record is reference counted. The caller's handle is one
 * reference; code about to run user callbacks (on_exit) takes another so that
 * a callback freeing the process, or another one, cannot pull the record
 * from under the loop that is iterating.
 *
 * Reaping: with a pidfd, a readable pidfd means the child ended and
 * waitpid(pid, WNOHANG) reaps it. Without one, each loop keeps a list of its
 * unreaped children and sweeps it with waitpid(pid, WNOHANG) on SIGCHLD
 * (standard signals coalesce: one SIGCHLD may stand for many exits), plus a
 * slow timer in case the signal went to another thread. Both paths only ever
 * wait for pids weft started and has not reaped, so a pid is never reused
 * under us: until we reap it, it stays ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "weft/process.h"
#include "weft/sock.h"
#include "coro/coro_int.h"
#include "process/process_int.h"
#include "net/sock_int.h"

extern char **environ;

#define DEFAULT_OUTPUT_LIMIT ((size_t)64 << 20)
#define READ_CHUNK 65536
#define SWEEP_PERIOD WEFT_SEC(1)

struct proc_waiter {
    struct weft__wait w;
    weft_process *p;
    struct proc_waiter *prev, *next;
};

struct comm;
struct reaper;

struct weft_process {
    weft_loop *loop;
    int refs;
    pid_t pid;
    int pidfd;                 /* -1 in the SIGCHLD fallback or once reaped */
    weft_io *pidio;
    bool exited;
    int returncode;
    int fds[3];                /* our ends of the child's 0, 1, 2; -1 if none */
    weft_stream *streams[3];   /* or the pipe taken over as a stream */
    bool communicating;        /* a communicate() through streams runs */
    size_t output_limit;
    weft_process_exit_cb on_exit;
    void *ud;
    struct proc_waiter *waiters;
    struct comm *comm;         /* a communicate() in progress */
    struct reaper *reaper;     /* SIGCHLD fallback: the list we are on */
    weft_process *prev_child, *next_child;
};

/* ------------------------------------------------------ SIGCHLD fallback */

struct reaper {
    weft_loop *loop;
    weft_process *head;
    size_t nchildren;
    struct weft__call sweep_call;  /* a sweep right after install */
    bool sweep_queued;
    struct weft__timer backstop;   /* in case SIGCHLD went elsewhere */
    struct reaper *next;
};

static __thread struct reaper *reapers;
static __thread bool force_sigchld;
static atomic_bool no_pidfd; /* pidfd_open said ENOSYS once: do not ask again */

void weft__process_force_sigchld(bool on)
{
    force_sigchld = on;
}

bool weft__process_uses_sigchld(const weft_process *p)
{
    return p->reaper != NULL;
}

static void process_reaped(weft_process *p, int status);
static void reaper_sweep(void *ud);

static void reaper_sigchld(void *ud)
{
    reaper_sweep(ud);
}

static void reaper_backstop(void *ud)
{
    struct reaper *r = ud;
    weft__timer_start(r->loop, &r->backstop, r->loop->now + SWEEP_PERIOD);
    reaper_sweep(r);
}

static void reaper_put(struct reaper *r);

static void reaper_sweep_cb(void *ud)
{
    struct reaper *r = ud;
    /* sweep_queued stays set during the sweep so that r outlives it even
     * when its last child is reaped; then r may go. */
    reaper_sweep(r);
    r->sweep_queued = false;
    reaper_put(r);
}

static struct reaper *reaper_get(weft_loop *loop, int *err)
{
    for (struct reaper *r = reapers; r; r = r->next)
        if (r->loop == loop)
            return r;
    struct reaper *r = calloc(1, sizeof *r);
    if (!r) {
        *err = -ENOMEM;
        return NULL;
    }
    /* Blocks SIGCHLD in this thread, so an exit from now on stays pending
     * for the signalfd instead of being discarded. */
    *err = weft_loop_add_signal_handler(loop, SIGCHLD, reaper_sigchld, r);
    if (*err) {
        free(r);
        return NULL;
    }
    r->loop = loop;
    r->sweep_call.cb = reaper_sweep_cb;
    r->sweep_call.ud = r;
    weft__timer_init(&r->backstop, reaper_backstop, r);
    weft__timer_start(loop, &r->backstop, loop->now + SWEEP_PERIOD);
    r->next = reapers;
    reapers = r;
    return r;
}

static void reaper_put(struct reaper *r)
{
    if (r->nchildren || r->sweep_queued)
        return;
    weft__timer_stop(r->loop, &r->backstop);
    weft_loop_remove_signal_handler(r->loop, SIGCHLD);
    for (struct reaper **pp = &reapers; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    free(r);
}

static void reaper_add(struct reaper *r, weft_process *p)
{
    p->reaper = r;
    p->prev_child = NULL;
    p->next_child = r->head;
    if (r->head)
        r->head->prev_child = p;
    r->head = p;
    r->nchildren++;
    weft__loop_ref(r->loop); /* a signalfd alone does not keep the loop running */
    /* The child may have ended before SIGCHLD was blocked: look once. */
    if (!r->sweep_queued) {
        r->sweep_queued = true;
        weft__loop_post(r->loop, &r->sweep_call);
    }
}

static void reaper_remove(weft_process *p)
{
    struct reaper *r = p->reaper;
    if (!r)
        return;
    if (p->prev_child)
        p->prev_child->next_child = p->next_child;
    else
        r->head = p->next_child;
    if (p->next_child)
        p->next_child->prev_child = p->prev_child;
    p->prev_child = p->next_child = NULL;
    p->reaper = NULL;
    r->nchildren--;
    weft__loop_unref(r->loop);
    reaper_put(r);
}

static void process_unref(weft_process *p)
{
    if (--p->refs == 0)
        free(p);
}

static void reaper_sweep(void *ud)
{
    struct reaper *r = ud;
    /* Pass 1 collects the ended children (holding a reference each), pass 2
     * reports them: a callback may free any process, or spawn new ones. */
    weft_process *done = NULL;
    for (weft_process *p = r->head, *next; p; p = next) {
        next = p->next_child;
        int status;
        pid_t got = waitpid(p->pid, &status, WNOHANG);
        if (got == 0 || (got < 0 && errno == EINTR))
            continue;
        if (got < 0)
            status = 255 << 8; /* someone else reaped it (wait(-1) elsewhere) */
        p->returncode = status; /* raw status until pass 2 */
        p->refs++;
        reaper_remove(p);      /* may free r when it was the last child */
        p->next_child = done;
        done = p;
    }
    while (done) {
        weft_process *p = done;
        done = p->next_child;
        p->next_child = NULL;
        process_reaped(p, p->returncode);
        process_unref(p);
    }
}

/* ---------------------------------------------------------------- pidfd */

static void pidfd_cb(weft_io *io, unsigned events, void *ud)
{
    weft_process *p = ud;
    int status;
    pid_t got = waitpid(p->pid, &status, WNOHANG);
    if (got == 0 || (got < 0 && errno == EINTR))
        return; /* not yet: level-triggered, we will hear again */
    if (got < 0)
        status = 255 << 8;
    p->refs++;
    process_reaped(p, status);
    process_unref(p);
}

/* ------------------------------------------------------------ reporting */

static void comm_exit_seen(struct comm *c);

static void process_reaped(weft_process *p, int status)
{
    p->exited = true;
    p->returncode = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
    if (p->pidio) {
        weft_io_close(p->pidio);
        p->pidio = NULL;
    }
    if (p->pidfd >= 0) {
        close(p->pidfd);
        p->pidfd = -1;
    }
    reaper_remove(p);
    while (p->waiters) {
        struct proc_waiter *w = p->waiters;
        p->waiters = w->next;
        w->prev = w->next = NULL;
        weft__task_wake(&w->w, 0);
    }
    if (p->comm)
        comm_exit_seen(p->comm);
    if (p->on_exit)
        p->on_exit(p, p->returncode, p->ud);
}

/* ---------------------------------------------------------------- spawn */

/* A pipe whose child end is >= 3, so that placing it on 0, 1 or 2 with dup2
 * cannot clobber another one; the parent end is non-blocking. */
static int make_pipe(int *parent, int *child, bool child_reads)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -errno;
    int c = child_reads ? fds[0] : fds[1];
    int me = child_reads ? fds[1] : fds[0];
    if (c < 3) {
        int moved = fcntl(c, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) {
            int err = -errno;
            close(fds[0]);
            close(fds[1]);
            return err;
        }
        close(c);
        c = moved;
    }
    fcntl(me, F_SETFL, fcntl(me, F_GETFL) | O_NONBLOCK);
    *parent = me;
    *child = c;
    return 0;
}

static int spawn(weft_loop *loop, const char *path, const char *const argv[], bool search,
                 const weft_process_options *opt, weft_process **out)
{
    static const weft_process_options defaults;
    if (!opt)
        opt = &defaults;
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !argv || !argv[0] || !out)
        return -EINVAL;
    enum weft_stdio modes[3] = {opt->stdin_mode, opt->stdout_mode, opt->stderr_mode};
    for (int i = 0; i < 3; i++)
        if ((unsigned)modes[i] > WEFT_STDIO_STDOUT || (modes[i] == WEFT_STDIO_STDOUT && i != 2))
            return -EINVAL;

    weft_process *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->loop = loop;
    p->refs = 1;
    p->pidfd = -1;
    p->fds[0] = p->fds[1] = p->fds[2] = -1;
    p->output_limit = opt->output_limit ? opt->output_limit : DEFAULT_OUTPUT_LIMIT;
    p->on_exit = opt->on_exit;
    p->ud = opt->ud;

    int child_fds[3] = {-1, -1, -1};
    int err = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_init = false, attr_init = false;

    for (int i = 0; i < 3 && !err; i++)
        if (modes[i] == WEFT_STDIO_PIPE)
            err = make_pipe(&p->fds[i], &child_fds[i], i == 0);
    if (err)
        goto fail;

    if ((err = posix_spawn_file_actions_init(&fa)) != 0)
        goto fail_errno;
    fa_init = true;
    if ((err = posix_spawnattr_init(&attr)) != 0)
        goto fail_errno;
    attr_init = true;

    if (opt->cwd && (err = posix_spawn_file_actions_addchdir_np(&fa, opt->cwd)) != 0)
        goto fail_errno;
    for (int i = 0; i < 3; i++) {
        switch (modes[i]) {
        case WEFT_STDIO_PIPE:
            err = posix_spawn_file_actions_adddup2(&fa, child_fds[i], i);
            break;
        case WEFT_STDIO_DEVNULL:
            err = posix_spawn_file_actions_addopen(&fa, i, "/dev/null",
                                                   i == 0 ? O_RDONLY : O_WRONLY, 0);
            break;
        case WEFT_STDIO_STDOUT:
            err = posix_spawn_file_actions_adddup2(&fa, 1, 2);
            break;
        case WEFT_STDIO_INHERIT:
            break;
        }
        if (err)
            goto fail_errno;
    }
    /* Nothing but 0, 1 and 2 crosses exec, close-on-exec flag or not. */
    if ((err = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0)
        goto fail_errno;

    /* The loop thread blocks the signals it handles through signalfd (and
     * SIGCHLD in the fallback); a child must start with a clean slate. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (opt->new_session)
        flags |= POSIX_SPAWN_SETSID;
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, flags);

    char *const *envp = (char *const *)(opt->env ? opt->env : (const char *const *)environ);
    pid_t pid;
    if (search)
        err = posix_spawnp(&pid, path, &fa, &attr, (char *const *)argv, envp);
    else
        err = posix_spawn(&pid, path, &fa, &attr, (char *const *)argv, envp);
    if (err)
        goto fail_errno; /* glibc reaped the failed child already */
    p->pid = pid;

    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    for (int i = 0; i < 3; i++)
        if (child_fds[i] >= 0)
            close(child_fds[i]);

    /* Watch for the exit. The child is ours and unreaped, so pidfd_open
     * cannot name a recycled pid. */
    int pidfd = -1;
    if (!force_sigchld && !no_pidfd) {
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0 && errno == ENOSYS)
            no_pidfd = true;
    }
    if (pidfd >= 0) {
        err = weft_io_open(loop, pidfd, pidfd_cb, p, &p->pidio);
        if (!err)
            err = weft_io_watch(p->pidio, WEFT_READABLE);
        if (err) {
            if (p->pidio)
                weft_io_close(p->pidio);
            p->pidio = NULL;
            close(pidfd);
            goto fail_child;
        }
        p->pidfd = pidfd;
    } else {
        struct reaper *r = reaper_get(loop, &err);
        if (!r)
            goto fail_child;
        reaper_add(r, p);
    }
    *out = p;
    return 0;

fail_child: {
    /* We could not watch it: do not leave it running or as a zombie. */
    kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    goto fail;
}
fail_errno:
    err = -err;
fail:
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_init)
        posix_spawnattr_destroy(&attr);
    for (int i = 0; i < 3; i++) {
        if (child_fds[i] >= 0)
            close(child_fds[i]);
        if (p->fds[i] >= 0)
            close(p->fds[i]);
    }
    free(p);
    return err;
}

int weft_process_spawn(weft_loop *loop, const char *const argv[],
                       const weft_process_options *opt, weft_process **out)
{
    if (!argv || !argv[0])
        return -EINVAL;
    return spawn(loop, argv[0], argv, strchr(argv[0], '/') == NULL, opt, out);
}

int weft_process_shell(weft_loop *loop, const char *cmd, const weft_process_options *opt,
                       weft_process **out)
{
    if (!cmd)
        return -EINVAL;
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return spawn(loop, "/bin/sh", argv, false, opt, out);
}

pid_t weft_process_pid(const weft_process *p)
{
    return p->pid;
}

bool weft_process_exited(const weft_process *p)
{
    return p->exited;
}

int weft_process_returncode(const weft_process *p)
{
    return p->returncode;
}

/* ----------------------------------------------------------------- wait */

static void proc_waiter_unhook(struct weft__wait *w)
{
    struct proc_waiter *pw = (struct proc_waiter *)w;
    weft_process *p = pw->p;
    if (pw->prev)
        pw->prev->next = pw->next;
    else if (p->waiters == pw)
        p->waiters = pw->next;
    if (pw->next)
        pw->next->prev = pw->prev;
    pw->prev = pw->next = NULL;
}

int weft_process_wait(weft_process *p, int *returncode)
{
    if (!weft__current_task)
        return -EPERM;
    if (!p->exited) {
        struct proc_waiter pw = {.w.unhook = proc_waiter_unhook, .p = p, .next = p->waiters};
        if (p->waiters)
            p->waiters->prev = &pw;
        p->waiters = &pw;
        int err = weft__task_wait(&pw.w);
        if (err)
            return err; /* includes WEFT_ECLOSED: p may be gone, do not touch it */
    }
    if (returncode)
        *returncode = p->returncode;
    return 0;
}

/* -------------------------------------------------------------- signals */

int weft_process_send_signal(weft_process *p, int signo)
{
    if (p->exited)
        return -ESRCH;
    int r;
    if (p->pidfd >= 0)
        r = (int)syscall(SYS_pidfd_send_signal, p->pidfd, signo, NULL, 0);
    else
        r = kill(p->pid, signo);
    return r == 0 ? 0 : -errno;
}

int weft_process_terminate(weft_process *p)
{
    return weft_process_send_signal(p, SIGTERM);
}

int weft_process_kill(weft_process *p)
{
    return weft_process_send_signal(p, SIGKILL);
}

/* ---------------------------------------------------------------- pipes */

int weft_process_stdin_fd(const weft_process *p)
{
    return p->fds[0];
}

int weft_process_stdout_fd(const weft_process *p)
{
    return p->fds[1];
}

int weft_process_stderr_fd(const weft_process *p)
{
    return p->fds[2];
}

static void close_pipe(weft_process *p, int i)
{
    if (p->fds[i] >= 0) {
        close(p->fds[i]);
        p->fds[i] = -1;
    }
}

static void close_stream(weft_process *p, int i)
{
    if (p->streams[i]) {
        weft_stream_free(p->streams[i]); /* flushes in the background, then closes */
        p->streams[i] = NULL;
    }
}

void weft_process_close_stdin(weft_process *p)
{
    if (p->comm || p->communicating)
        return; /* communicate owns it until it ends */
    close_pipe(p, 0);
    close_stream(p, 0);
}

static weft_stream *take_stream(weft_process *p, int i)
{
    if (p->streams[i] || p->fds[i] < 0 || p->comm || p->communicating)
        return p->streams[i];
    if (weft__current_loop != p->loop)
        return NULL;
    weft_stream *s;
    int fd = p->fds[i];
    p->fds[i] = -1; /* the stream owns it now, also if opening fails */
    if (weft_stream_open_fd(fd, i == 0 ? WEFT_FD_WRITE : WEFT_FD_READ, &s) != 0)
        return NULL;
    p->streams[i] = s;
    return s;
}

weft_stream *weft_process_stdin_stream(weft_process *p)
{
    return take_stream(p, 0);
}

weft_stream *weft_process_stdout_stream(weft_process *p)
{
    return take_stream(p, 1);
}

weft_stream *weft_process_stderr_stream(weft_process *p)
{
    return take_stream(p, 2);
}

/* ---------------------------------------------------------- communicate */

struct obuf {
    char *data;
    size_t len, cap;
};

struct comm {
    struct weft__wait w;       /* first: the unhook casts back */
    weft_process *p;
    const char *in;
    size_t inlen, inoff;
    struct obuf o[3];          /* [1] stdout, [2] stderr */
    weft_io *io[3];
    int nopen;                 /* watchers still open */
    int error;
};

static void comm_close_io(struct comm *c, int i)
{
    if (c->io[i]) {
        weft_io_close(c->io[i]);
        c->io[i] = NULL;
        c->nopen--;
    }
}

/* All pipes are done (or failed): finish now, or once the child has ended. */
static void comm_pipes_done(struct comm *c)
{
    weft_process *p = c->p;
    if (c->error || p->exited) {
        p->comm = NULL;
        weft__task_wake(&c->w, c->error);
    }
    /* else: process_reaped() calls comm_exit_seen() */
}

static void comm_exit_seen(struct comm *c)
{
    if (c->nopen == 0) {
        c->p->comm = NULL;
        weft__task_wake(&c->w, 0);
    }
}

static void comm_fail(struct comm *c, int err)
{
    c->error = err;
    for (int i = 0; i < 3; i++) {
        comm_close_io(c, i);
        close_pipe(c->p, i);
    }
    comm_pipes_done(c);
}

static int obuf_reserve(struct obuf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return 0;
    size_t cap = b->cap ? b->cap : READ_CHUNK * 2;
    while (cap - b->len < more)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

static void comm_io_cb(weft_io *io, unsigned events, void *ud)
{
    struct comm *c = ud;
    weft_process *p = c->p;
    int i = c->io[0] == io ? 0 : c->io[1] == io ? 1 : 2;
    int fd = p->fds[i];

    if (i == 0) {
        while (c->inoff < c->inlen) {
            size_t n = c->inlen - c->inoff;
            ssize_t r = weft__write_nosigpipe(fd, c->in + c->inoff, n > READ_CHUNK * 4 ? READ_CHUNK * 4 : n);
            if (r > 0) {
                c->inoff += (size_t)r;
                continue;
            }
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && errno == EAGAIN)
                return;
            if (r < 0 && errno != EPIPE) {
                comm_fail(c, -errno);
                return;
            }
            break; /* EPIPE: the child does not want the rest */
        }
        comm_close_io(c, 0);
        close_pipe(p, 0);
    } else {
        struct obuf *b = &c->o[i];
        for (;;) {
            if (obuf_reserve(b, READ_CHUNK + 1) != 0) {
                comm_fail(c, -ENOMEM);
                return;
            }
            ssize_t r = read(fd, b->data + b->len, b->cap - b->len - 1);
            if (r > 0) {
                b->len += (size_t)r;
                if (b->len > p->output_limit) {
                    comm_fail(c, -EFBIG);
                    return;
                }
                continue;
            }
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && errno == EAGAIN)
                return;
            if (r < 0) {
                comm_fail(c, -errno);
                return;
            }
            break; /* end of file */
        }
        comm_close_io(c, i);
        close_pipe(p, i);
    }
    if (c->nopen == 0)
        comm_pipes_done(c);
}

static void comm_unhook(struct weft__wait *w)
{
    struct comm *c = (struct comm *)w;
    for (int i = 0; i < 3; i++)
        comm_close_io(c, i);
    if (c->p->comm == c)
        c->p->comm = NULL;
}

static void hand_out(struct obuf *b, char **data, size_t *len)
{
    if (data) {
        if (b->data)
            b->data[b->len] = '\0';
        *data = b->data;
        b->data = NULL;
    }
    if (len)
        *len = b->len;
    free(b->data);
}

/* communicate() when some pipe is a stream: one task per pipe in a group
 * (streams through weft_stream_*, plain pipes through weft/sock.h), so the
 * first failure (-EFBIG) cancels the others. */
struct pipe_job {
    weft_process *p;
    int i;
    const char *in;
    size_t inlen;
    struct obuf *buf;
};

static bool peer_gone(int r)
{
    return r == -EPIPE || r == -ECONNRESET || r == WEFT_ECLOSED;
}

static int pipe_writer(void *arg)
{
    struct pipe_job *j = arg;
    weft_process *p = j->p;
    int r = 0;
    weft_stream *s = p->streams[0];
    if (s) {
        if (j->inlen) {
            r = weft_stream_write(s, j->in, j->inlen);
            if (!r)
                r = weft_stream_drain(s);
        }
        if (r == 0 || peer_gone(r)) {
            p->streams[0] = NULL;
            int c = weft_stream_close(s);
            if (!r)
                r = c;
        }
    } else if (p->fds[0] >= 0) {
        r = weft_sock_sendall(p->fds[0], j->in, j->inlen, NULL);
        if (r == 0 || peer_gone(r))
            close_pipe(p, 0);
    }
    return peer_gone(r) ? 0 : r; /* the child did not want all of it: fine */
}

static int pipe_reader(void *arg)
{
    struct pipe_job *j = arg;
    weft_process *p = j->p;
    struct obuf *b = j->buf;
    for (;;) {
        if (obuf_reserve(b, READ_CHUNK + 1) != 0)
            return -ENOMEM;
        size_t room = b->cap - b->len - 1;
        int n = p->streams[j->i] ? weft_stream_read(p->streams[j->i], b->data + b->len, room)
                                 : weft_sock_recv(p->fds[j->i], b->data + b->len, room);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        b->len += (size_t)n;
        if (b->len > p->output_limit)
            return -EFBIG;
    }
    close_pipe(p, j->i); /* a stream stays, at its end */
    return 0;
}

static int communicate_streams(weft_process *p, const void *input, size_t len,
                               struct obuf o[3])
{
    weft_group *g;
    int rc = weft_group_new(&g);
    if (rc)
        return rc;
    struct pipe_job jobs[3];
    p->communicating = true;
    for (int i = 0; i < 3 && rc >= 0; i++) {
        if (p->fds[i] < 0 && !p->streams[i])
            continue;
        jobs[i] = (struct pipe_job){.p = p, .i = i, .in = input, .inlen = input ? len : 0,
                                    .buf = &o[i]};
        rc = weft_group_spawn(g, i == 0 ? pipe_writer : pipe_reader, &jobs[i]);
    }
    int w = weft_group_wait(g); /* also when a spawn failed: cancels the rest */
    weft_group_free(g);
    p->communicating = false;
    if (rc >= 0)
        rc = w;
    if (rc == -EFBIG || rc == -ENOMEM) {
        for (int i = 0; i < 3; i++) {
            close_pipe(p, i);
            close_stream(p, i);
        }
    }
    if (rc >= 0)
        rc = weft_process_wait(p, NULL);
    return rc;
}

int weft_process_communicate(weft_process *p, const void *input, size_t len, char **out,
                             size_t *outlen, char **err, size_t *errlen)
{
    if (out)
        *out = NULL;
    if (outlen)
        *outlen = 0;
    if (err)
        *err = NULL;
    if (errlen)
        *errlen = 0;
    if (!weft__current_task)
        return -EPERM;
    if (p->comm || p->communicating)
        return -EBUSY;
    if (p->streams[0] || p->streams[1] || p->streams[2]) {
        struct obuf o[3] = {{0}};
        int rc = communicate_streams(p, input, len, o);
        if (rc) {
            for (int i = 1; i < 3; i++)
                free(o[i].data);
            return rc;
        }
        hand_out(&o[1], out, outlen);
        hand_out(&o[2], err, errlen);
        return 0;
    }
    struct comm c = {.w.unhook = comm_unhook, .p = p, .in = input, .inlen = input ? len : 0};
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        if (p->fds[i] < 0)
            continue;
        rc = weft_io_open(p->loop, p->fds[i], comm_io_cb, &c, &c.io[i]);
        if (!rc) {
            c.nopen++;
            rc = weft_io_watch(c.io[i], i == 0 ? WEFT_WRITABLE : WEFT_READABLE);
        }
    }
    if (rc) {
        if (rc == -EEXIST)
            rc = -EBUSY; /* someone else watches one of the pipes */
        for (int i = 0; i < 3; i++)
            comm_close_io(&c, i);
        return rc;
    }
    p->comm = &c;
    if (c.nopen == 0 && p->exited)
        p->comm = NULL; /* nothing to do at all */
    else
        rc = weft__task_wait(&c.w);
    /* Interrupted or failed, p may still be live (or, on WEFT_ECLOSED,
     * freed): c is ours alone now. */
    if (rc) {
        for (int i = 1; i < 3; i++)
            free(c.o[i].data);
        return rc;
    }
    hand_out(&c.o[1], out, outlen);
    hand_out(&c.o[2], err, errlen);
    return 0;
}

/* ----------------------------------------------------------------- free */

void weft_process_free(weft_process *p)
{
    if (!p)
        return;
    if (!p->exited) {
        /* Still running: kill and reap it now (SIGKILL cannot be caught, so
         * this wait is short), so that no zombie outlives the handle. */
        kill(p->pid, SIGKILL);
        int status;
        while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
            ;
        p->on_exit = NULL;
        struct comm *c = p->comm;
        p->comm = NULL;
        if (c) {
            for (int i = 0; i < 3; i++)
                comm_close_io(c, i);
            weft__task_wake(&c->w, WEFT_ECLOSED);
        }
        while (p->waiters) {
            struct proc_waiter *w = p->waiters;
            p->waiters = w->next;
            w->prev = w->next = NULL;
            weft__task_wake(&w->w, WEFT_ECLOSED);
        }
        process_reaped(p, status);
    } else if (p->comm) {
        struct comm *c = p->comm;
        p->comm = NULL;
        for (int i = 0; i < 3; i++)
            comm_close_io(c, i);
        weft__task_wake(&c->w, WEFT_ECLOSED);
    }
    for (int i = 0; i < 3; i++) {
        close_pipe(p, i);
        close_stream(p, i);
    }
    process_unref(p);
}
