/*
 * ctx.h - the machine context switch under tasks.
 *
 * A context is just a saved stack pointer: weft__ctx_switch() pushes the
 * callee-saved registers on the current stack, stores the stack pointer in
 * *from_sp, loads to_sp and pops the registers saved there. Everything else
 * (caller-saved registers) the C compiler already spilled around the call.
 * weft__ctx_make() lays out a fresh stack so that the first switch to it
 * "returns" into entry(arg), which must never return.
 *
 * Built with WEFT_UCONTEXT, the same interface runs on makecontext/
 * swapcontext instead (portable, about 20x slower: it saves the signal mask
 * with a system call on every switch).
 */
#ifndef WEFT_CTX_H
#define WEFT_CTX_H

#include <stddef.h>

#if defined(WEFT_UCONTEXT) || !(defined(__x86_64__) || defined(__aarch64__))
#define WEFT_CTX_UCONTEXT 1
#include <ucontext.h>
struct weft__ctx {
    ucontext_t uc;
};
#else
struct weft__ctx {
    void *sp;
};
#endif

typedef void (*weft__ctx_entry)(void *arg);

/* Prepare ctx to start entry(arg) on the stack [lo, lo + size). */
void weft__ctx_make(struct weft__ctx *ctx, void *lo, size_t size, weft__ctx_entry entry, void *arg);

/* Save the current context in from and continue in to. */
#ifdef WEFT_CTX_UCONTEXT
void weft__ctx_jump(struct weft__ctx *from, struct weft__ctx *to);
#else
void weft__ctx_switch(void **from_sp, void *to_sp);
static inline void weft__ctx_jump(struct weft__ctx *from, struct weft__ctx *to)
{
    weft__ctx_switch(&from->sp, to->sp);
}
#endif

#endif
