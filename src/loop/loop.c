/*
 * loop.c - the reactor: one epoll set, a timer heap, a FIFO of ready
 * callbacks and an eventfd for wake-ups from other threads.
 *
 * One iteration: compute how long we may sleep (0 if callbacks are ready,
 * until the next timer otherwise), wait in epoll, refresh the cached clock,
 * run fd callbacks, move cross-thread calls to the ready queue, fire due
 * timers, then run the callbacks that were ready when the batch began
 * (callbacks they queue wait for the next iteration, so a callback that
 * re-queues itself cannot starve I/O).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "loop/loop_int.h"

#define EVENT_BATCH 256

__thread weft_loop *weft__current_loop;

/* epoll user data for the loop's own fds; never a valid weft_io pointer. */
static char wake_tag;
char weft__signal_tag;

uint64_t weft__clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int weft_loop_new(weft_loop **out)
{
    weft_loop *loop = calloc(1, sizeof *loop);
    if (!loop)
        return -ENOMEM;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        int err = -errno;
        free(loop);
        return err;
    }
    loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (loop->wakefd < 0) {
        int err = -errno;
        close(loop->epfd);
        free(loop);
        return err;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &wake_tag};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) != 0) {
        int err = -errno;
        close(loop->wakefd);
        close(loop->epfd);
        free(loop);
        return err;
    }
    loop->sigfd = -1;
    sigemptyset(&loop->sigmask);
    loop->ready_tail = &loop->ready_head;
    loop->ts_tail = &loop->ts_head;
    pthread_mutex_init(&loop->ts_lock, NULL);
    atomic_init(&loop->stop_requested, false);
    atomic_init(&loop->wake_pending, false);
    loop->now = weft__clock_ns();
    *out = loop;
    return 0;
}

static bool loop_has_pending_threadsafe(weft_loop *loop)
{
    pthread_mutex_lock(&loop->ts_lock);
    bool any = loop->ts_head != NULL;
    pthread_mutex_unlock(&loop->ts_lock);
    return any;
}

int weft_loop_close(weft_loop *loop)
{
    if (!loop)
        return -EINVAL;
    if (loop->running)
        return -EBUSY;
    /* Users still active: keep the singletons they may be using. */
    if (loop->nready || loop->tasks_alive || loop->jobs_pending)
        return -EBUSY;
    /* Release per-loop singletons (they may close fds and stop timers). */
    while (loop->close_hooks) {
        struct weft__close_hook *h = loop->close_hooks;
        loop->close_hooks = h->next;
        h->next = NULL;
        h->fn(loop, h);
    }
    if (loop->nready || loop->timers.len || loop->nio_open || loop->jobs_pending ||
        loop->tasks_alive || loop->refs || loop_has_pending_threadsafe(loop))
        return -EBUSY;
    weft__executor_shutdown(loop);
    weft__signal_close(loop);
    while (loop->free_calls) {
        struct weft__call *c = loop->free_calls;
        loop->free_calls = c->next;
        free(c);
    }
    weft__heap_free(&loop->timers);
    free(loop->io_by_fd);
    close(loop->wakefd);
    close(loop->epfd);
    pthread_mutex_destroy(&loop->ts_lock);
    if (weft__current_loop == loop)
        weft__current_loop = NULL;
    free(loop);
    return 0;
}

void weft__loop_add_close_hook(weft_loop *loop, struct weft__close_hook *hook)
{
    hook->next = loop->close_hooks;
    loop->close_hooks = hook;
}

struct weft__close_hook *weft__loop_find_close_hook(weft_loop *loop,
                                                    void (*fn)(weft_loop *, struct weft__close_hook *))
{
    for (struct weft__close_hook *h = loop->close_hooks; h; h = h->next)
        if (h->fn == fn)
            return h;
    return NULL;
}

void weft__loop_remove_close_hook(weft_loop *loop, struct weft__close_hook *hook)
{
    for (struct weft__close_hook **p = &loop->close_hooks; *p; p = &(*p)->next) {
        if (*p == hook) {
            *p = hook->next;
            hook->next = NULL;
            return;
        }
    }
}

uint64_t weft_loop_now(const weft_loop *loop)
{
    return loop->now;
}

uint64_t weft_loop_update_time(weft_loop *loop)
{
    if (!loop->virtual_clock)
        loop->now = weft__clock_ns();
    return loop->now;
}

weft_loop *weft_loop_current(void)
{
    return weft__current_loop;
}

int weft_loop_use_virtual_clock(weft_loop *loop)
{
    if (loop->timers.len)
        return -EBUSY;
    loop->virtual_clock = true;
    loop->now = 0;
    return 0;
}

/* ------------------------------------------------------------ callbacks */

void weft__loop_post(weft_loop *loop, struct weft__call *node)
{
    node->next = NULL;
    *loop->ready_tail = node;
    loop->ready_tail = &node->next;
    loop->nready++;
}

/* Public call_soon nodes come from a free list and go back after they run;
 * the tag tells the batch runner to recycle them. */
static void public_call_trampoline(void *arg);

struct public_call {
    struct weft__call node;
    weft_cb cb;
    void *ud;
};

static struct public_call *public_call_alloc(weft_loop *loop)
{
    struct public_call *pc;
    if (loop->free_calls) {
        pc = (struct public_call *)loop->free_calls;
        loop->free_calls = pc->node.next;
    } else {
        pc = malloc(sizeof *pc);
    }
    return pc;
}

static void public_call_trampoline(void *arg)
{
    (void)arg; /* never called: run_batch dispatches public calls itself */
}

int weft_loop_call_soon(weft_loop *loop, weft_cb cb, void *ud)
{
    if (!loop || !cb)
        return -EINVAL;
    struct public_call *pc = public_call_alloc(loop);
    if (!pc)
        return -ENOMEM;
    pc->node.cb = public_call_trampoline;
    pc->node.ud = pc;
    pc->cb = cb;
    pc->ud = ud;
    weft__loop_post(loop, &pc->node);
    return 0;
}

void weft__loop_wakeup(weft_loop *loop)
{
    /* Several threads may post at once; one eventfd write wakes the loop. */
    if (atomic_exchange(&loop->wake_pending, true))
        return;
    uint64_t one = 1;
    ssize_t r;
    do
        r = write(loop->wakefd, &one, sizeof one);
    while (r < 0 && errno == EINTR);
}

int weft_loop_call_soon_threadsafe(weft_loop *loop, weft_cb cb, void *ud)
{
    if (!loop || !cb)
        return -EINVAL;
    /* malloc, not the free list: that belongs to the loop thread. */
    struct public_call *pc = malloc(sizeof *pc);
    if (!pc)
        return -ENOMEM;
    pc->node.cb = public_call_trampoline;
    pc->node.ud = pc;
    pc->node.next = NULL;
    pc->cb = cb;
    pc->ud = ud;
    weft__loop_post_threadsafe(loop, &pc->node);
    return 0;
}

void weft__loop_post_threadsafe(weft_loop *loop, struct weft__call *node)
{
    node->next = NULL;
    pthread_mutex_lock(&loop->ts_lock);
    *loop->ts_tail = node;
    loop->ts_tail = &node->next;
    pthread_mutex_unlock(&loop->ts_lock);
    weft__loop_wakeup(loop);
}

void weft_loop_stop(weft_loop *loop)
{
    atomic_store(&loop->stop_requested, true);
    if (weft__current_loop != loop)
        weft__loop_wakeup(loop);
}

/* Move cross-thread calls (already public_call nodes) to the ready queue. */
static void drain_threadsafe(weft_loop *loop)
{
    uint64_t v;
    while (read(loop->wakefd, &v, sizeof v) > 0)
        ;
    atomic_store(&loop->wake_pending, false);
    pthread_mutex_lock(&loop->ts_lock);
    struct weft__call *list = loop->ts_head;
    loop->ts_head = NULL;
    loop->ts_tail = &loop->ts_head;
    pthread_mutex_unlock(&loop->ts_lock);
    while (list) {
        struct weft__call *c = list;
        list = c->next;
        weft__loop_post(loop, c);
    }
}

/* Run the callbacks that are ready now; ones they queue wait for next time. */
static int run_batch(weft_loop *loop)
{
    struct weft__call *head = loop->ready_head;
    size_t n = loop->nready;
    if (!n)
        return 0;
    loop->ready_head = NULL;
    loop->ready_tail = &loop->ready_head;
    loop->nready = 0;
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct weft__call *c = head;
        head = c->next;
        if (c->cb == public_call_trampoline) {
            struct public_call *pc = c->ud;
            weft_cb cb = pc->cb;
            void *ud = pc->ud;
            pc->node.next = loop->free_calls;
            loop->free_calls = &pc->node;
            cb(ud);
        } else {
            c->cb(c->ud);
        }
        ran++;
    }
    return ran;
}

/* ------------------------------------------------------------ fd watchers */

static int io_grow(weft_loop *loop, int fd)
{
    if (fd < loop->io_cap)
        return 0;
    int cap = loop->io_cap ? loop->io_cap : 64;
    while (cap <= fd)
        cap *= 2;
    struct weft_io **tab = realloc(loop->io_by_fd, (size_t)cap * sizeof *tab);
    if (!tab)
        return -ENOMEM;
    memset(tab + loop->io_cap, 0, (size_t)(cap - loop->io_cap) * sizeof *tab);
    loop->io_by_fd = tab;
    loop->io_cap = cap;
    return 0;
}

int weft_io_open(weft_loop *loop, int fd, weft_io_cb cb, void *ud, weft_io **out)
{
    if (!loop || fd < 0 || !cb || !out)
        return -EINVAL;
    int err = io_grow(loop, fd);
    if (err)
        return err;
    if (loop->io_by_fd[fd])
        return -EEXIST;
    weft_io *io = calloc(1, sizeof *io);
    if (!io)
        return -ENOMEM;
    io->loop = loop;
    io->fd = fd;
    io->cb = cb;
    io->ud = ud;
    /* Register with no events now, so that a bad fd fails here, visibly. */
    struct epoll_event ev = {.events = 0, .data.ptr = io};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        err = -errno;
        free(io);
        return err;
    }
    loop->io_by_fd[fd] = io;
    loop->nio_open++;
    *out = io;
    return 0;
}

int weft_io_watch(weft_io *io, unsigned events)
{
    events &= WEFT_READABLE | WEFT_WRITABLE;
    weft_loop *loop = io->loop;
    if (events && !io->interest)
        loop->nio_active++;
    else if (!events && io->interest)
        loop->nio_active--;
    io->interest = events;
    if (events == io->registered)
        return 0;
    struct epoll_event ev = {.events = 0, .data.ptr = io};
    if (events & WEFT_READABLE)
        ev.events |= EPOLLIN | EPOLLRDHUP;
    if (events & WEFT_WRITABLE)
        ev.events |= EPOLLOUT;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) != 0)
        return -errno;
    io->registered = events;
    return 0;
}

void weft_io_close(weft_io *io)
{
    if (!io)
        return;
    weft_loop *loop = io->loop;
    if (io->interest)
        loop->nio_active--;
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    loop->io_by_fd[io->fd] = NULL;
    loop->nio_open--;
    if (loop->dispatching) {
        /* Events for it may still sit in this batch: free it afterwards. */
        io->closed = true;
        io->next_closed = loop->closed_ios;
        loop->closed_ios = io;
    } else {
        free(io);
    }
}

int weft_io_fd(const weft_io *io)
{
    return io->fd;
}

/* ------------------------------------------------------------ the iteration */

static bool loop_alive(weft_loop *loop)
{
    return loop->nready || loop->timers.len || loop->nio_active || loop->jobs_pending ||
           loop->refs;
}

static void fire_timers(weft_loop *loop)
{
    /* Timers armed while firing (even for "now") wait for the next iteration. */
    uint64_t seq_limit = loop->timer_seq;
    struct weft__timer *t;
    while ((t = weft__heap_min(&loop->timers)) && t->when <= loop->now && t->seq < seq_limit) {
        weft__heap_remove(&loop->timers, t);
        t->cb(t->ud);
    }
}

static int poll_timeout_ms(weft_loop *loop, uint64_t cap_ns)
{
    if (loop->nready || atomic_load(&loop->stop_requested))
        return 0;
    uint64_t wait = cap_ns;
    struct weft__timer *t = weft__heap_min(&loop->timers);
    if (t) {
        if (loop->virtual_clock)
            return 0; /* virtual time: never sleep for a timer, jump to it */
        uint64_t now = weft__clock_ns();
        uint64_t left = t->when > now ? t->when - now : 0;
        if (left < wait)
            wait = left;
    }
    if (wait == WEFT_NEVER)
        return -1;
    /* Round up: epoll counts milliseconds and a timer must never fire early. */
    uint64_t ms = (wait + 999999) / 1000000;
    return ms > 1000000 ? 1000000 : (int)ms;
}

static int loop_iterate(weft_loop *loop, uint64_t cap_ns)
{
    struct epoll_event events[EVENT_BATCH];
    int timeout = poll_timeout_ms(loop, cap_ns);
    int n = epoll_wait(loop->epfd, events, EVENT_BATCH, timeout);
    if (n < 0 && errno != EINTR)
        return -errno;
    if (n < 0)
        n = 0;
    if (!loop->virtual_clock)
        loop->now = weft__clock_ns();

    int ran = 0;
    loop->dispatching = true;
    for (int i = 0; i < n; i++) {
        void *tag = events[i].data.ptr;
        if (tag == &wake_tag) {
            drain_threadsafe(loop);
            continue;
        }
        if (tag == &weft__signal_tag) {
            weft__signal_dispatch(loop);
            continue;
        }
        weft_io *io = tag;
        if (io->closed)
            continue;
        unsigned ev = 0;
        if (events[i].events & (EPOLLIN | EPOLLRDHUP))
            ev |= WEFT_READABLE;
        if (events[i].events & EPOLLOUT)
            ev |= WEFT_WRITABLE;
        if (events[i].events & (EPOLLERR | EPOLLHUP))
            ev |= WEFT_HANGUP | (io->interest & (WEFT_READABLE | WEFT_WRITABLE));
        ev &= io->interest | WEFT_HANGUP;
        if (!ev)
            continue;
        io->cb(io, ev, io->ud);
        ran++;
    }
    loop->dispatching = false;
    while (loop->closed_ios) {
        weft_io *io = loop->closed_ios;
        loop->closed_ios = io->next_closed;
        free(io);
    }

    /* Virtual time jumps to the next timer only when nothing else is ready. */
    if (loop->virtual_clock && n == 0 && !loop->nready) {
        struct weft__timer *t = weft__heap_min(&loop->timers);
        if (t && t->when > loop->now)
            loop->now = t->when;
    }
    fire_timers(loop);
    ran += run_batch(loop);
    return ran;
}

static int loop_run_mode(weft_loop *loop, bool forever)
{
    if (loop->running)
        return -EBUSY;
    weft_loop *prev = weft__current_loop;
    weft__current_loop = loop;
    loop->running = true;
    int err = 0;
    while (!atomic_load(&loop->stop_requested)) {
        if (!forever && !loop_alive(loop) && !loop_has_pending_threadsafe(loop))
            break;
        int r = loop_iterate(loop, WEFT_NEVER);
        if (r < 0) {
            err = r;
            break;
        }
    }
    atomic_store(&loop->stop_requested, false);
    loop->running = false;
    weft__current_loop = prev;
    return err;
}

int weft_loop_run(weft_loop *loop)
{
    return loop_run_mode(loop, false);
}

int weft_loop_run_forever(weft_loop *loop)
{
    return loop_run_mode(loop, true);
}

int weft_loop_run_once(weft_loop *loop, uint64_t timeout_ns)
{
    if (loop->running)
        return -EBUSY;
    weft_loop *prev = weft__current_loop;
    weft__current_loop = loop;
    loop->running = true;
    int r = loop_iterate(loop, timeout_ns);
    loop->running = false;
    weft__current_loop = prev;
    return r;
}

int weft_loop_advance(weft_loop *loop, uint64_t delta_ns)
{
    if (!loop->virtual_clock)
        return -EINVAL;
    uint64_t target = loop->now + delta_ns;
    /* Step through each due timer so callbacks see the time they were due. */
    struct weft__timer *t;
    while ((t = weft__heap_min(&loop->timers)) && t->when <= target) {
        if (t->when > loop->now)
            loop->now = t->when;
        weft__heap_remove(&loop->timers, t);
        t->cb(t->ud);
    }
    loop->now = target;
    return 0;
}
