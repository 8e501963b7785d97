/*
 * happy.c - Happy Eyeballs v2 connection racing (RFC 8305 section 5), on
 * fd watchers and embedded timers.
 *
 * The addresses are reordered to alternate families, starting with the
 * family of the first one (First Address Family Count = 1). One attempt
 * starts; the next starts attempt_delay later, or at once when an attempt
 * fails. The first socket to become writable with SO_ERROR 0 wins; every
 * other attempt is closed. Sockets and connect() go through
 * weft__happy_sys so tests can make an attempt hang or fail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coro/coro_int.h"
#include "dns/dns_int.h"

#define DEFAULT_ATTEMPT_DELAY_NS WEFT_MSEC(250)

struct weft__happy_sys weft__happy_sys = {.socket = socket, .connect = connect};

struct target {
    union {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } addr;
    socklen_t len;
    int family;
};

struct attempt {
    struct weft_happy *h;
    int fd;                   /* -1 when not running */
    weft_io *io;
    struct weft__timer timer; /* attempt_timeout */
};

struct weft_happy {
    weft_loop *loop;
    struct target *targets;
    struct attempt *att;
    size_t n, next, running;
    uint64_t attempt_delay, attempt_timeout;
    struct weft__timer delay_timer, overall_timer;
    int last_err, last_real_err; /* last error; last one that is not "unreachable" */

    weft_happy_cb cb;
    void *ud;
    struct weft__call done_call;
    bool finished, cancelled;
    int status, fd;
};

static void start_next(struct weft_happy *h);

static bool unreachable_err(int err)
{
    return err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EAFNOSUPPORT ||
           err == -EADDRNOTAVAIL || err == -EPROTONOSUPPORT;
}

static void record_err(struct weft_happy *h, int err)
{
    h->last_err = err;
    if (!unreachable_err(err))
        h->last_real_err = err;
}

static void attempt_close(struct weft_happy *h, struct attempt *a)
{
    if (a->fd < 0)
        return;
    weft__timer_stop(h->loop, &a->timer);
    weft_io_close(a->io);
    a->io = NULL;
    close(a->fd);
    a->fd = -1;
    h->running--;
}

/* Stop everything; the outcome is delivered from the loop. */
static void finish(struct weft_happy *h, int status, int fd)
{
    for (size_t i = 0; i < h->n; i++)
        attempt_close(h, &h->att[i]);
    weft__timer_stop(h->loop, &h->delay_timer);
    weft__timer_stop(h->loop, &h->overall_timer);
    h->finished = true;
    h->status = status;
    h->fd = fd;
    weft__loop_post(h->loop, &h->done_call);
}

static void happy_free(struct weft_happy *h)
{
    free(h->targets);
    free(h->att);
    free(h);
}

static void deliver(void *arg)
{
    struct weft_happy *h = arg;
    if (h->cancelled) {
        if (h->fd >= 0)
            close(h->fd);
    } else {
        h->cb(h->status, h->fd, h->ud);
    }
    happy_free(h);
}

/* Nothing running and nothing left to start: the race is lost. */
static void check_exhausted(struct weft_happy *h)
{
    if (!h->finished && h->running == 0 && h->next == h->n)
        finish(h, h->last_real_err ? h->last_real_err : h->last_err ? h->last_err : -ECONNREFUSED,
               -1);
}

static void attempt_failed(struct weft_happy *h, struct attempt *a, int err)
{
    record_err(h, err);
    attempt_close(h, a);
    /* RFC 8305: a failure starts the next attempt at once. */
    start_next(h);
    check_exhausted(h);
}

static void attempt_won(struct weft_happy *h, struct attempt *a)
{
    int fd = a->fd;
    weft__timer_stop(h->loop, &a->timer);
    weft_io_close(a->io);
    a->io = NULL;
    a->fd = -1;
    h->running--;
    finish(h, 0, fd);
}

static void attempt_io(weft_io *io, unsigned events, void *ud)
{
    struct attempt *a = ud;
    struct weft_happy *h = a->h;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    if (soerr == 0 && !(events & WEFT_HANGUP))
        attempt_won(h, a);
    else
        attempt_failed(h, a, soerr ? -soerr : -ECONNRESET);
}

static void attempt_timeout(void *ud)
{
    struct attempt *a = ud;
    attempt_failed(a->h, a, -ETIMEDOUT);
}

static void delay_fired(void *ud)
{
    struct weft_happy *h = ud;
    start_next(h);
    check_exhausted(h);
}

static void overall_fired(void *ud)
{
    struct weft_happy *h = ud;
    finish(h, -ETIMEDOUT, -1);
}

/* Start attempts until one is in progress (then arm the delay) or none is
 * left. An attempt that connects at once wins. */
static void start_next(struct weft_happy *h)
{
    weft__timer_stop(h->loop, &h->delay_timer);
    while (!h->finished && h->next < h->n) {
        size_t i = h->next++;
        struct target *tg = &h->targets[i];
        struct attempt *a = &h->att[i];
        int fd = weft__happy_sys.socket(tg->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                        IPPROTO_TCP);
        if (fd < 0) {
            record_err(h, -errno);
            continue;
        }
        int rc = weft__happy_sys.connect(fd, &tg->addr.sa, tg->len);
        int err = rc == 0 ? 0 : errno;
        if (rc != 0 && err != EINPROGRESS && err != EINTR) {
            close(fd);
            record_err(h, -err);
            continue;
        }
        if (rc == 0) {
            finish(h, 0, fd);
            return;
        }
        int e = weft_io_open(h->loop, fd, attempt_io, a, &a->io);
        if (e == 0)
            e = weft_io_watch(a->io, WEFT_WRITABLE);
        if (e != 0) {
            if (a->io)
                weft_io_close(a->io);
            a->io = NULL;
            close(fd);
            record_err(h, e);
            continue;
        }
        a->fd = fd;
        h->running++;
        uint64_t now = weft_loop_now(h->loop);
        if (h->attempt_timeout)
            weft__timer_start(h->loop, &a->timer, now + h->attempt_timeout);
        if (h->next < h->n)
            weft__timer_start(h->loop, &h->delay_timer, now + h->attempt_delay);
        return;
    }
}

int weft_happy_connect_cb(weft_loop *loop, const weft_addrinfo *addrs,
                          const weft_happy_opts *opts, weft_happy_cb cb, void *ud,
                          weft_happy **out)
{
    static const weft_happy_opts defaults;
    if (!loop)
        loop = weft__current_loop;
    if (!loop || !cb || !addrs)
        return -EINVAL;
    if (!opts)
        opts = &defaults;
    size_t total = 0;
    for (const weft_addrinfo *ai = addrs; ai; ai = ai->next)
        if (ai->family == AF_INET || ai->family == AF_INET6)
            total++;
    if (total == 0)
        return -EINVAL;
    size_t n = total;
    if (opts->max_attempts > 0 && n > (size_t)opts->max_attempts)
        n = (size_t)opts->max_attempts;

    struct weft_happy *h = calloc(1, sizeof *h);
    const weft_addrinfo **fam[2];
    fam[0] = calloc(total, sizeof *fam[0]);
    fam[1] = calloc(total, sizeof *fam[1]);
    if (h) {
        h->targets = calloc(n, sizeof *h->targets);
        h->att = calloc(n, sizeof *h->att);
    }
    if (!h || !h->targets || !h->att || !fam[0] || !fam[1]) {
        free(fam[0]);
        free(fam[1]);
        if (h)
            happy_free(h);
        return -ENOMEM;
    }
    /* Interleave: first family, other family, first, ... (each family in
     * its own order), the rest of the longer family at the end. */
    size_t nf[2] = {0, 0};
    int first = -1;
    for (const weft_addrinfo *ai = addrs; ai; ai = ai->next) {
        if (ai->family != AF_INET && ai->family != AF_INET6)
            continue;
        if (first < 0)
            first = ai->family;
        int f = ai->family == first ? 0 : 1;
        fam[f][nf[f]++] = ai;
    }
    size_t k = 0;
    for (size_t i = 0; k < n && (i < nf[0] || i < nf[1]); i++) {
        for (int f = 0; f < 2 && k < n; f++) {
            if (i >= nf[f])
                continue;
            const weft_addrinfo *ai = fam[f][i];
            struct target *tg = &h->targets[k++];
            tg->family = ai->family;
            tg->len = ai->addrlen <= sizeof tg->addr ? ai->addrlen : sizeof tg->addr;
            memcpy(&tg->addr, &ai->addr, tg->len);
        }
    }
    free(fam[0]);
    free(fam[1]);
    for (size_t i = 0; i < n; i++) {
        h->att[i].h = h;
        h->att[i].fd = -1;
        weft__timer_init(&h->att[i].timer, attempt_timeout, &h->att[i]);
    }
    h->loop = loop;
    h->n = n;
    h->attempt_delay = opts->attempt_delay_ns ? opts->attempt_delay_ns : DEFAULT_ATTEMPT_DELAY_NS;
    h->attempt_timeout = opts->attempt_timeout_ns;
    h->cb = cb;
    h->ud = ud;
    h->fd = -1;
    h->done_call.cb = deliver;
    h->done_call.ud = h;
    weft__timer_init(&h->delay_timer, delay_fired, h);
    weft__timer_init(&h->overall_timer, overall_fired, h);
    if (opts->timeout_ns)
        weft__timer_start(loop, &h->overall_timer, weft_loop_now(loop) + opts->timeout_ns);
    start_next(h);
    check_exhausted(h);
    if (out)
        *out = h;
    return 0;
}

void weft_happy_cancel(weft_happy *h)
{
    if (!h)
        return;
    if (h->finished) {
        h->cancelled = true; /* deliver() closes the fd and frees */
        return;
    }
    for (size_t i = 0; i < h->n; i++)
        attempt_close(h, &h->att[i]);
    weft__timer_stop(h->loop, &h->delay_timer);
    weft__timer_stop(h->loop, &h->overall_timer);
    happy_free(h);
}

/* ------------------------------------------------------------ coroutine */

struct happy_waiter {
    struct weft__wait w;
    weft_happy *h;
    int fd;
};

static void happy_wake(int status, int fd, void *ud)
{
    struct happy_waiter *hw = ud;
    hw->h = NULL;
    hw->fd = fd;
    weft__task_wake(&hw->w, status);
}

static void happy_unhook(struct weft__wait *w)
{
    struct happy_waiter *hw = (struct happy_waiter *)w;
    weft_happy_cancel(hw->h);
    hw->h = NULL;
}

int weft_happy_connect(const weft_addrinfo *addrs, const weft_happy_opts *opts, int *fd_out)
{
    if (!fd_out)
        return -EINVAL;
    *fd_out = -1;
    weft_task *t = weft__current_task;
    if (!t)
        return -EPERM;
    int err = weft__task_check(t);
    if (err)
        return err;
    struct happy_waiter hw = {.w.unhook = happy_unhook, .fd = -1};
    err = weft_happy_connect_cb(weft__current_loop, addrs, opts, happy_wake, &hw, &hw.h);
    if (err)
        return err;
    int rc = weft__task_wait(&hw.w);
    if (rc == 0)
        *fd_out = hw.fd;
    return rc;
}
