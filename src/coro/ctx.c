/*
 * ctx.c - builds the first frame of a new coroutine stack (see ctx.h).
 */
#include <stdint.h>
#include <string.h>

#include "coro/ctx.h"

#ifdef WEFT_CTX_UCONTEXT

#include <stdlib.h>

/* makecontext passes int arguments only: split the pointers in two. */
static void uc_entry(unsigned fhi, unsigned flo, unsigned ahi, unsigned alo)
{
    weft__ctx_entry entry = (weft__ctx_entry)(((uintptr_t)fhi << 32) | flo);
    void *arg = (void *)(((uintptr_t)ahi << 32) | alo);
    entry(arg);
    abort();
}

void weft__ctx_make(struct weft__ctx *ctx, void *lo, size_t size, weft__ctx_entry entry, void *arg)
{
    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = lo;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = NULL;
    uintptr_t f = (uintptr_t)entry, a = (uintptr_t)arg;
    makecontext(&ctx->uc, (void (*)(void))uc_entry, 4, (unsigned)(f >> 32), (unsigned)f,
                (unsigned)(a >> 32), (unsigned)a);
}

void weft__ctx_jump(struct weft__ctx *from, struct weft__ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}

#else

void weft__ctx_trampoline(void);

void weft__ctx_make(struct weft__ctx *ctx, void *lo, size_t size, weft__ctx_entry entry, void *arg)
{
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    /* The return address sits at top - 8 so that, once popped by ret, the
     * trampoline runs with rsp 16-byte aligned and its call leaves the entry
     * function with the alignment the ABI promises (rsp + 8 aligned). */
    uint64_t *frame = (uint64_t *)(top - 64);
    memset(frame, 0, 64);
    uint32_t mxcsr = 0x1F80;  /* all exceptions masked, round to nearest */
    uint16_t fpucw = 0x037F;  /* x87 default */
    memcpy((char *)frame, &mxcsr, 4);
    memcpy((char *)frame + 4, &fpucw, 2);
    frame[4] = (uint64_t)(uintptr_t)entry; /* r12 */
    frame[3] = (uint64_t)(uintptr_t)arg;   /* r13 */
    frame[7] = (uint64_t)(uintptr_t)weft__ctx_trampoline;
    ctx->sp = frame;
#elif defined(__aarch64__)
    uint64_t *frame = (uint64_t *)(top - 176);
    memset(frame, 0, 176);
    frame[0] = (uint64_t)(uintptr_t)entry;                 /* x19 */
    frame[1] = (uint64_t)(uintptr_t)arg;                   /* x20 */
    frame[11] = (uint64_t)(uintptr_t)weft__ctx_trampoline; /* x30 */
    ctx->sp = frame;
#endif
}

#endif
