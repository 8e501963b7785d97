/*
 * switch_aarch64.S - context switch for the AArch64 procedure call standard.
 *
 * void weft__ctx_switch(void **from_sp, void *to_sp)
 *
 * Saves x19-x28, the frame pointer x29, the link register x30 and the low
 * halves of v8-v15 (d8-d15), which AAPCS64 makes callee-saved, in a 176-byte
 * frame, then swaps stacks and returns through the restored x30. ctx.c builds
 * the same frame on a fresh stack with x30 = weft__ctx_trampoline, x19 = the
 * entry function and x20 = its argument.
 */
#if defined(__aarch64__) && !defined(WEFT_UCONTEXT)
    .text
    .globl weft__ctx_switch
    .type weft__ctx_switch, %function
    .p2align 4
weft__ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    /* br rather than ret: the return address belongs to the other context,
     * so ret would always miss the return-stack predictor. */
    br x30
    .size weft__ctx_switch, .-weft__ctx_switch

    .globl weft__ctx_trampoline
    .type weft__ctx_trampoline, %function
    .p2align 4
weft__ctx_trampoline:
    mov x29, #0                 /* outermost frame for unwinders */
    mov x0, x20
    blr x19
    brk #0                      /* entry functions never return */
    .size weft__ctx_trampoline, .-weft__ctx_trampoline
#endif
    .section .note.GNU-stack,"",%progbits
