/* The reactor: call_soon order, timers, fd watchers, threadsafe calls, signals, close. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weft.h"
#include "loop/loop_int.h"
#include "weft_test.h"

static weft_loop *new_loop(void)
{
    weft_loop *loop = NULL;
    assert_int_equal(weft_loop_new(&loop), 0);
    assert_non_null(loop);
    return loop;
}

/* ------------------------------------------------------------ call_soon */

struct order {
    int seen[64];
    int n;
    weft_loop *loop;
};


struct tagged {
    struct order *o;
    int tag;
};

static void record_tag(void *ud)
{
    struct tagged *t = ud;
    t->o->seen[t->o->n++] = t->tag;
}

static void call_soon_fifo(void **state)
{
    weft_loop *loop = new_loop();
    struct order o = {.n = 0};
    struct tagged tags[32];
    for (int i = 0; i < 32; i++) {
        tags[i] = (struct tagged){&o, i};
        assert_int_equal(weft_loop_call_soon(loop, record_tag, &tags[i]), 0);
    }
    assert_int_equal(o.n, 0); /* never inside the registering call */
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(o.n, 32);
    for (int i = 0; i < 32; i++)
        assert_int_equal(o.seen[i], i);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* A callback queued by a callback runs on the next iteration, after I/O. */
struct requeue {
    weft_loop *loop;
    int count;
};

static void requeue_cb(void *ud)
{
    struct requeue *r = ud;
    if (++r->count < 3)
        weft_loop_call_soon(r->loop, requeue_cb, r);
}

static void call_soon_from_callback_waits_a_batch(void **state)
{
    weft_loop *loop = new_loop();
    struct requeue r = {loop, 0};
    weft_loop_call_soon(loop, requeue_cb, &r);
    assert_int_equal(weft_loop_run_once(loop, 0), 1);
    assert_int_equal(r.count, 1);
    assert_int_equal(weft_loop_run_once(loop, 0), 1);
    assert_int_equal(r.count, 2);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(r.count, 3);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* ------------------------------------------------------------ timers */

struct timer_log {
    weft_loop *loop;
    uint64_t due[16];
    uint64_t fired_at[16];
    int order[16];
    int n;
};

struct timer_arg {
    struct timer_log *log;
    int id;
};

static void timer_cb(void *ud)
{
    struct timer_arg *a = ud;
    struct timer_log *l = a->log;
    l->fired_at[a->id] = weft_test_now_ns();
    l->order[l->n++] = a->id;
}

static void timers_fire_in_order_never_early(void **state)
{
    weft_loop *loop = new_loop();
    struct timer_log log = {.loop = loop};
    struct timer_arg args[8];
    /* Delays out of order, two equal ones to check insertion order. */
    uint64_t delays_ms[8] = {30, 10, 20, 10, 5, 40, 1, 25};
    uint64_t start = weft_test_now_ns();
    for (int i = 0; i < 8; i++) {
        args[i] = (struct timer_arg){&log, i};
        log.due[i] = start + WEFT_MSEC(delays_ms[i]);
        assert_int_equal(weft_loop_call_later(loop, WEFT_MSEC(delays_ms[i]), timer_cb, &args[i], NULL), 0);
    }
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(log.n, 8);
    int expect[8] = {6, 4, 1, 3, 2, 7, 0, 5};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(log.order[i], expect[i]);
        /* Never early: fired no sooner than its delay after it was set. */
        assert_true(log.fired_at[log.order[i]] >= log.due[log.order[i]]);
    }
    assert_int_equal(weft_loop_close(loop), 0);
}

static void timer_cancel_prevents_callback(void **state)
{
    weft_loop *loop = new_loop();
    struct timer_log log = {.loop = loop};
    struct timer_arg a0 = {&log, 0}, a1 = {&log, 1};
    weft_timer *t0, *t1;
    assert_int_equal(weft_loop_call_later(loop, WEFT_MSEC(5), timer_cb, &a0, &t0), 0);
    assert_int_equal(weft_loop_call_later(loop, WEFT_MSEC(1), timer_cb, &a1, &t1), 0);
    weft_timer_cancel(t0);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.order[0], 1);
    assert_int_equal(weft_loop_close(loop), 0);
}

static void count_cb(void *ud)
{
    (*(int *)ud)++;
}

/* 100,000 timers at pseudo-random deadlines (many equal), a third of them
 * cancelled: the rest fire in deadline order, equal deadlines in the order
 * they were set, none before its deadline, each exactly once. */
struct big_timer {
    uint64_t due;
    int seq;
    int fired;
    uint64_t fired_at;
    int rank;              /* position in the firing order */
    weft_loop *loop;
    int *next_rank;
};

static void big_timer_cb(void *ud)
{
    struct big_timer *t = ud;
    t->fired++;
    t->fired_at = weft_loop_now(t->loop);
    t->rank = (*t->next_rank)++;
}

static void hundred_thousand_timers(void **state)
{
    weft_loop *loop = new_loop();
    assert_int_equal(weft_loop_use_virtual_clock(loop), 0);
    int n = WEFT_SCALED(100000), next_rank = 0;
    struct big_timer *ts = calloc((size_t)n, sizeof *ts);
    weft_timer **handles = malloc(sizeof *handles * (size_t)n);
    uint32_t x = 12345;
    for (int i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        /* 10,000 distinct deadlines: about 10 timers share each one. */
        ts[i] = (struct big_timer){.due = WEFT_MSEC((x >> 8) % 10000), .seq = i, .loop = loop,
                                   .next_rank = &next_rank, .rank = -1};
        assert_int_equal(weft_loop_call_at(loop, ts[i].due, big_timer_cb, &ts[i], &handles[i]), 0);
    }
    int cancelled = 0;
    for (int i = 0; i < n; i += 3) {
        weft_timer_cancel(handles[i]);
        cancelled++;
    }
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(next_rank, n - cancelled);
    /* Index the fired timers by rank and walk them in firing order. */
    struct big_timer **by_rank = calloc((size_t)n, sizeof *by_rank);
    for (int i = 0; i < n; i++) {
        if (i % 3 == 0) {
            assert_int_equal(ts[i].fired, 0);
            continue;
        }
        assert_int_equal(ts[i].fired, 1);
        assert_true(ts[i].fired_at >= ts[i].due); /* never early */
        assert_true(ts[i].fired_at == ts[i].due); /* virtual time: and never late */
        by_rank[ts[i].rank] = &ts[i];
    }
    for (int r = 1; r < n - cancelled; r++) {
        const struct big_timer *a = by_rank[r - 1], *b = by_rank[r];
        assert_true(a->due < b->due || (a->due == b->due && a->seq < b->seq));
    }
    free(by_rank);
    free(handles);
    free(ts);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* The clock is read once per iteration: callbacks of one batch all see the
 * same time, even when one of them is slow; the next iteration sees it move. */
struct clock_seen {
    weft_loop *loop;
    uint64_t t[3];
    int n;
};

static void note_clock(void *ud)
{
    struct clock_seen *c = ud;
    c->t[c->n++] = weft_loop_now(c->loop);
    if (c->n == 1) {
        uint64_t t0 = weft_test_now_ns();
        while (weft_test_now_ns() - t0 < WEFT_MSEC(2))
            ; /* a callback that computes for 2 ms */
    }
}

static void clock_cached_per_iteration(void **state)
{
    weft_loop *loop = new_loop();
    struct clock_seen c = {.loop = loop};
    assert_int_equal(weft_loop_call_soon(loop, note_clock, &c), 0);
    assert_int_equal(weft_loop_call_soon(loop, note_clock, &c), 0);
    assert_int_equal(weft_loop_run_once(loop, 0), 2);
    assert_int_equal(c.n, 2);
    assert_true(c.t[1] == c.t[0]);
    assert_int_equal(weft_loop_call_soon(loop, note_clock, &c), 0);
    assert_int_equal(weft_loop_run_once(loop, 0), 1);
    assert_true(c.t[2] >= c.t[0] + WEFT_MSEC(2));
    /* weft_loop_update_time() re-reads it on demand. */
    assert_true(weft_loop_update_time(loop) >= c.t[2]);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* Virtual time: a long timer fires at once in real time, at its virtual time. */
static void virtual_clock_jumps(void **state)
{
    weft_loop *loop = new_loop();
    assert_int_equal(weft_loop_use_virtual_clock(loop), 0);
    int fired = 0;
    assert_int_equal(weft_loop_call_later(loop, WEFT_SEC(3600), count_cb, &fired, NULL), 0);
    uint64_t t0 = weft_test_now_ns();
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(fired, 1);
    assert_int_equal(weft_loop_now(loop), WEFT_SEC(3600));
    assert_true(weft_test_now_ns() - t0 < WEFT_SEC(5));
    /* advance() fires what falls due and no more. */
    assert_int_equal(weft_loop_call_later(loop, WEFT_SEC(10), count_cb, &fired, NULL), 0);
    assert_int_equal(weft_loop_advance(loop, WEFT_SEC(9)), 0);
    assert_int_equal(fired, 1);
    assert_int_equal(weft_loop_advance(loop, WEFT_SEC(1)), 0);
    assert_int_equal(fired, 2);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* ------------------------------------------------------------ fd watchers */

struct pipe_ctx {
    weft_io *io;
    int fd;
    char buf[64];
    size_t got;
    int calls;
};

static void pipe_readable(weft_io *io, unsigned ev, void *ud)
{
    struct pipe_ctx *p = ud;
    p->calls++;
    assert_true(ev & WEFT_READABLE);
    ssize_t n = read(p->fd, p->buf + p->got, sizeof p->buf - p->got);
    if (n > 0)
        p->got += (size_t)n;
    if (n == 0 || p->got >= 5)
        weft_io_watch(io, 0); /* done: stop watching so the loop can end */
}

static void io_watch_readable(void **state)
{
    int fds0 = weft_test_count_fds();
    weft_loop *loop = new_loop();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct pipe_ctx p = {.fd = sv[0]};
    assert_int_equal(weft_io_open(loop, sv[0], pipe_readable, &p, &p.io), 0);
    weft_io *dup_io;
    assert_int_equal(weft_io_open(loop, sv[0], pipe_readable, &p, &dup_io), -EEXIST);
    assert_int_equal(weft_io_watch(p.io, WEFT_READABLE), 0);
    assert_int_equal(write(sv[1], "hello", 5), 5);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(p.got, 5);
    assert_memory_equal(p.buf, "hello", 5);
    assert_int_equal(weft_loop_close(loop), -EBUSY); /* the watcher is still open */
    weft_io_close(p.io);
    assert_int_equal(weft_loop_close(loop), 0);
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(weft_test_count_fds(), fds0);
}

/* Closing a watcher from another watcher's callback in the same batch must
 * not deliver the stale event. */
struct two {
    weft_io *a, *b;
    int a_calls, b_calls;
};

static void close_other(weft_io *io, unsigned ev, void *ud)
{
    struct two *t = ud;
    if (io == t->a) {
        t->a_calls++;
        if (t->b) {
            weft_io_close(t->b);
            t->b = NULL;
        }
        weft_io_watch(io, 0);
    } else {
        t->b_calls++;
        if (t->a) {
            weft_io_close(t->a);
            t->a = NULL;
        }
        weft_io_watch(io, 0);
    }
}

static void io_close_in_batch(void **state)
{
    weft_loop *loop = new_loop();
    int s1[2], s2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s1), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s2), 0);
    struct two t = {0};
    assert_int_equal(weft_io_open(loop, s1[0], close_other, &t, &t.a), 0);
    assert_int_equal(weft_io_open(loop, s2[0], close_other, &t, &t.b), 0);
    weft_io_watch(t.a, WEFT_READABLE);
    weft_io_watch(t.b, WEFT_READABLE);
    assert_int_equal(write(s1[1], "x", 1), 1);
    assert_int_equal(write(s2[1], "x", 1), 1);
    assert_int_equal(weft_loop_run_once(loop, WEFT_SEC(5)), 1);
    assert_int_equal(t.a_calls + t.b_calls, 1);
    if (t.a)
        weft_io_close(t.a);
    if (t.b)
        weft_io_close(t.b);
    assert_int_equal(weft_loop_close(loop), 0);
    close(s1[0]); close(s1[1]); close(s2[0]); close(s2[1]);
}

/* ------------------------------------------------------------ threads */

#define TS_THREADS 4
#define TS_PER_THREAD 25000

struct ts_ctx {
    weft_loop *loop;
    int counts[TS_THREADS];
    int last[TS_THREADS];
    int total;
    bool out_of_order;
};

struct ts_item {
    struct ts_ctx *ctx;
    int thread, seq;
};

static void ts_cb(void *ud)
{
    struct ts_item *it = ud;
    struct ts_ctx *c = it->ctx;
    /* Per-thread FIFO: each thread's calls arrive in the order it made them. */
    if (it->seq != c->last[it->thread] + 1)
        c->out_of_order = true;
    c->last[it->thread] = it->seq;
    c->counts[it->thread]++;
    if (++c->total == TS_THREADS * TS_PER_THREAD)
        weft_loop_stop(c->loop);
    free(it);
}

struct ts_thread {
    struct ts_ctx *ctx;
    int id;
};

static void *ts_main(void *arg)
{
    struct ts_thread *t = arg;
    for (int i = 0; i < TS_PER_THREAD; i++) {
        struct ts_item *it = malloc(sizeof *it);
        *it = (struct ts_item){t->ctx, t->id, i};
        while (weft_loop_call_soon_threadsafe(t->ctx->loop, ts_cb, it) != 0)
            ;
    }
    return NULL;
}

static void call_soon_threadsafe_four_threads(void **state)
{
    weft_loop *loop = new_loop();
    struct ts_ctx ctx = {.loop = loop};
    for (int i = 0; i < TS_THREADS; i++)
        ctx.last[i] = -1;
    pthread_t th[TS_THREADS];
    struct ts_thread args[TS_THREADS];
    for (int i = 0; i < TS_THREADS; i++) {
        args[i] = (struct ts_thread){&ctx, i};
        assert_int_equal(pthread_create(&th[i], NULL, ts_main, &args[i]), 0);
    }
    assert_int_equal(weft_loop_run_forever(loop), 0);
    for (int i = 0; i < TS_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(ctx.total, TS_THREADS * TS_PER_THREAD);
    for (int i = 0; i < TS_THREADS; i++)
        assert_int_equal(ctx.counts[i], TS_PER_THREAD);
    assert_false(ctx.out_of_order);
    assert_int_equal(weft_loop_close(loop), 0);
}

static void *stopper_main(void *arg)
{
    weft_loop_stop(arg);
    return NULL;
}

static void stop_from_other_thread(void **state)
{
    weft_loop *loop = new_loop();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stopper_main, loop), 0);
    /* run_forever would block for ever on an idle loop without the wake-up. */
    assert_int_equal(weft_loop_run_forever(loop), 0);
    pthread_join(th, NULL);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* ------------------------------------------------------------ signals */

struct sig_ctx {
    weft_loop *loop;
    int got;
};

static void on_sigusr1(void *ud)
{
    struct sig_ctx *s = ud;
    s->got++;
    weft_loop_stop(s->loop);
}

static void raise_later(void *ud)
{
    (void)ud;
    kill(getpid(), SIGUSR1);
}

static void signal_handler_runs_on_loop(void **state)
{
    weft_loop *loop = new_loop();
    struct sig_ctx s = {loop, 0};
    assert_int_equal(weft_loop_add_signal_handler(loop, SIGUSR1, on_sigusr1, &s), 0);
    assert_int_equal(weft_loop_add_signal_handler(loop, SIGUSR1, on_sigusr1, &s), -EEXIST);
    assert_int_equal(weft_loop_add_signal_handler(loop, SIGKILL, on_sigusr1, &s), -EINVAL);
    weft_loop_call_soon(loop, raise_later, NULL);
    assert_int_equal(weft_loop_run_forever(loop), 0);
    assert_int_equal(s.got, 1);
    assert_int_equal(weft_loop_remove_signal_handler(loop, SIGUSR1), 0);
    assert_int_equal(weft_loop_remove_signal_handler(loop, SIGUSR1), -ENOENT);
    assert_int_equal(weft_loop_close(loop), 0);
}

static void close_refuses_pending_work(void **state)
{
    weft_loop *loop = new_loop();
    int n = 0;
    weft_timer *t;
    assert_int_equal(weft_loop_call_later(loop, WEFT_SEC(10), count_cb, &n, &t), 0);
    assert_int_equal(weft_loop_close(loop), -EBUSY);
    weft_timer_cancel(t);
    assert_int_equal(weft_loop_call_soon(loop, count_cb, &n), 0);
    assert_int_equal(weft_loop_close(loop), -EBUSY);
    assert_int_equal(weft_loop_run(loop), 0);
    assert_int_equal(n, 1);
    assert_int_equal(weft_loop_close(loop), 0);
}

/* A per-loop singleton with a close hook: released by weft_loop_close() once
 * users are gone, even though it still holds a timer. */
struct singleton {
    struct weft__close_hook hook;
    struct weft__timer timer;
    int released;
};

static void singleton_release(weft_loop *loop, struct weft__close_hook *h)
{
    struct singleton *s = (struct singleton *)h;
    weft__timer_stop(loop, &s->timer);
    s->released++;
}

static void close_hooks_release_singletons(void **state)
{
    weft_loop *loop = new_loop();
    struct singleton s = {0};
    int n = 0;
    weft__timer_init(&s.timer, count_cb, &n);
    weft__timer_start(loop, &s.timer, weft_loop_now(loop) + WEFT_SEC(60));
    s.hook.fn = singleton_release;
    weft__loop_add_close_hook(loop, &s.hook);
    assert_ptr_equal(weft__loop_find_close_hook(loop, singleton_release), &s.hook);
    /* A queued callback means a user is still active: the singleton stays. */
    assert_int_equal(weft_loop_call_soon(loop, count_cb, &n), 0);
    assert_int_equal(weft_loop_close(loop), -EBUSY);
    assert_int_equal(s.released, 0);
    assert_int_equal(weft_loop_run_once(loop, 0), 1);
    assert_int_equal(weft_loop_close(loop), 0);
    assert_int_equal(s.released, 1);
    assert_int_equal(n, 1);
}

static void strerror_names_codes(void **state)
{
    assert_string_equal(weft_strerror(-ECONNREFUSED), "Connection refused");
    assert_string_equal(weft_strerror(WEFT_ETLS_VERIFY), "TLS certificate verification failed");
    assert_string_equal(weft_strerror(0), "success");
    assert_non_null(weft_strerror(-4999));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(call_soon_fifo),
    cmocka_unit_test(call_soon_from_callback_waits_a_batch),
    cmocka_unit_test(timers_fire_in_order_never_early),
    cmocka_unit_test(timer_cancel_prevents_callback),
    cmocka_unit_test(hundred_thousand_timers),
    cmocka_unit_test(clock_cached_per_iteration),
    cmocka_unit_test(virtual_clock_jumps),
    cmocka_unit_test(io_watch_readable),
    cmocka_unit_test(io_close_in_batch),
    cmocka_unit_test(call_soon_threadsafe_four_threads),
    cmocka_unit_test(stop_from_other_thread),
    cmocka_unit_test(signal_handler_runs_on_loop),
    cmocka_unit_test(close_refuses_pending_work),
    cmocka_unit_test(close_hooks_release_singletons),
    cmocka_unit_test(strerror_names_codes),
};

WEFT_TEST_MAIN(tests)
