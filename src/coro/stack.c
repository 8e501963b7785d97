/*
 * stack.c - coroutine stacks: mmap'd, guarded, lazily committed, pooled.
 *
 * A stack is an anonymous private mapping; the kernel commits a page only
 * when it is first touched, so a task that only ever used 6 KiB of a 256 KiB
 * stack costs 8 KiB of RSS. The lowest page is PROT_NONE: running off the end
 * of the stack faults there instead of scribbling on the neighbour. A SIGSEGV
 * handler (on an alternate stack, since the faulting one is full) says so in
 * plain words before the process dies the usual way.
 *
 * Freed stacks are kept in a per-thread pool, so spawning a task usually
 * costs no system call at all.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro/coro_int.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define WEFT_HAVE_VALGRIND 1
#endif
#endif

#if defined(WEFT_ASAN) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define WEFT_ASAN_FIBERS 1
#endif

#define DEFAULT_STACK (256u * 1024u)
#define MIN_STACK (16u * 1024u)
#define POOL_MAX 256

static atomic_size_t default_stack_size = DEFAULT_STACK;

static __thread struct weft__stack *pool;
static __thread unsigned pool_len;

static size_t page_size(void)
{
    static size_t ps;
    if (!ps)
        ps = (size_t)sysconf(_SC_PAGESIZE);
    return ps;
}

int weft_coro_set_stack_size(size_t bytes)
{
    if (bytes < MIN_STACK)
        bytes = MIN_STACK;
    if (bytes > (1u << 30))
        return -EINVAL;
    size_t ps = page_size();
    atomic_store(&default_stack_size, (bytes + ps - 1) / ps * ps);
    return 0;
}

size_t weft_coro_stack_size(void)
{
    return atomic_load(&default_stack_size);
}

/* ----------------------------------------------------------- overflow report */

static __thread const struct weft__stack *running_stack;

#ifndef WEFT_ASAN_FIBERS /* ASan has its own SEGV handler that reports overflows */
static atomic_bool handler_installed;

static void overflow_handler(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    const struct weft__stack *s = running_stack;
    char *addr = si->si_addr;
    if (s && addr >= (char *)s->map && addr < (char *)s->lo) {
        static const char msg[] = "weft: coroutine stack overflow (the task ran past its guard "
                                  "page; raise weft_coro_set_stack_size())\n";
        ssize_t r = write(2, msg, sizeof msg - 1);
        (void)r;
    }
    /* Fall back to the default action: the faulting access repeats and the
     * process dies with SIGSEGV, as it would have without us. */
    signal(sig, SIG_DFL);
}

static void install_overflow_handler(void)
{
    /* Each thread that runs tasks needs its own alternate stack. */
    static __thread bool altstack_done;
    if (!altstack_done) {
        altstack_done = true;
        stack_t ss;
        if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE)) {
            size_t size = 64 * 1024;
            void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (mem != MAP_FAILED) {
                ss.ss_sp = mem;
                ss.ss_size = size;
                ss.ss_flags = 0;
                sigaltstack(&ss, NULL);
            }
        }
    }
    if (atomic_exchange(&handler_installed, true))
        return;
    struct sigaction old;
    /* Leave an application's own SIGSEGV handler alone. */
    if (sigaction(SIGSEGV, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = overflow_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
}
#else
static void install_overflow_handler(void)
{
}
#endif

void weft__stack_guard_enter(const struct weft__stack *s)
{
    running_stack = s;
}

/* ----------------------------------------------------------------- the pool */

static struct weft__stack *stack_map(size_t size)
{
    size_t guard = page_size();
    size_t map_size = size + guard;
    void *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    if (mprotect(map, guard, PROT_NONE) != 0) {
        munmap(map, map_size);
        return NULL;
    }
    struct weft__stack *s = malloc(sizeof *s);
    if (!s) {
        munmap(map, map_size);
        return NULL;
    }
    s->map = map;
    s->map_size = map_size;
    s->lo = (char *)map + guard;
    s->size = size;
    s->next = NULL;
#ifdef WEFT_HAVE_VALGRIND
    s->valgrind_id = VALGRIND_STACK_REGISTER(s->lo, (char *)s->lo + size);
#else
    s->valgrind_id = 0;
#endif
    install_overflow_handler();
    return s;
}

static void stack_unmap(struct weft__stack *s)
{
#ifdef WEFT_HAVE_VALGRIND
    VALGRIND_STACK_DEREGISTER(s->valgrind_id);
#endif
    munmap(s->map, s->map_size);
    free(s);
}

struct weft__stack *weft__stack_get(void)
{
    size_t size = atomic_load(&default_stack_size);
    while (pool) {
        struct weft__stack *s = pool;
        pool = s->next;
        pool_len--;
        if (s->size == size)
            return s;
        stack_unmap(s); /* the default size changed since it was pooled */
    }
    return stack_map(size);
}

void weft__stack_put(struct weft__stack *s)
{
#ifdef WEFT_ASAN_FIBERS
    /* The frames of the task that ended left redzones poisoned: clear them
     * so the next task on this stack starts clean. */
    ASAN_UNPOISON_MEMORY_REGION(s->lo, s->size);
#endif
    if (pool_len >= POOL_MAX || s->size != atomic_load(&default_stack_size)) {
        stack_unmap(s);
        return;
    }
    s->next = pool;
    pool = s;
    pool_len++;
}

void weft__stack_pool_drain(void)
{
    while (pool) {
        struct weft__stack *s = pool;
        pool = s->next;
        stack_unmap(s);
    }
    pool_len = 0;
}

/* ------------------------------------------------------------ the switch */

#ifdef WEFT_ASAN_FIBERS
/* The thread's own stack, learnt from ASan on the first switch away from it. */
static __thread const void *thread_stack_lo;
static __thread size_t thread_stack_size;
#endif

void weft__switch(struct weft__ctx *from, struct weft__ctx *to, const void *to_lo, size_t to_size,
                  bool finished)
{
#ifdef WEFT_ASAN_FIBERS
    void *fake = NULL;
    if (!to_lo) {
        to_lo = thread_stack_lo;
        to_size = thread_stack_size;
    }
    __sanitizer_start_switch_fiber(finished ? NULL : &fake, to_lo, to_size);
    weft__ctx_jump(from, to);
    const void *old_lo;
    size_t old_size;
    __sanitizer_finish_switch_fiber(fake, &old_lo, &old_size);
    (void)old_lo;
    (void)old_size;
#else
    (void)to_lo;
    (void)to_size;
    (void)finished;
    weft__ctx_jump(from, to);
#endif
}

/* A new coroutine's first act: tell ASan the switch into it is complete and
 * learn the bounds of the stack it came from (the thread's own). */
void weft__switch_first_entry(void);
void weft__switch_first_entry(void)
{
#ifdef WEFT_ASAN_FIBERS
    const void *lo;
    size_t size;
    __sanitizer_finish_switch_fiber(NULL, &lo, &size);
    if (!thread_stack_lo) {
        thread_stack_lo = lo;
        thread_stack_size = size;
    }
#endif
}
