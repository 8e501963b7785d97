/*
 * switch_x86_64.S - context switch for the System V x86-64 ABI.
 *
 * void weft__ctx_switch(void **from_sp, void *to_sp)
 *
 * Saves rbp, rbx, r12-r15 (callee-saved), the SSE control word (MXCSR) and
 * the x87 control word, which the ABI also makes callee-saved, then swaps
 * stacks. The frame it leaves is 64 bytes:
 *   [sp+0]  mxcsr (4 bytes), x87 cw (2 bytes)
 *   [sp+8]  r15  [sp+16] r14  [sp+24] r13  [sp+32] r12
 *   [sp+40] rbx  [sp+48] rbp  [sp+56] return address
 * ctx.c builds the same frame on a fresh stack with the return address set
 * to weft__ctx_trampoline and the entry function in r12, its argument in r13.
 */
#if defined(__x86_64__) && !defined(WEFT_UCONTEXT)
    .text
    .globl weft__ctx_switch
    .type weft__ctx_switch, @function
    /* A cache line of its own. With 16-byte alignment the same code ran a
     * switch in 7 or in 14 ns depending on where the linker put it (measured
     * on AMD EPYC; most likely the prediction of the one indirect jmp below,
     * which alternates between two targets); at 64 it is 7 ns in every
     * layout tried. */
    .p2align 6
weft__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    /* pop + jmp rather than ret: the return address belongs to the other
     * context, so ret would always miss the return-stack predictor. */
    popq %rcx
    jmpq *%rcx
    .cfi_endproc
    .size weft__ctx_switch, .-weft__ctx_switch

    .globl weft__ctx_trampoline
    .type weft__ctx_trampoline, @function
    .p2align 4
weft__ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip          /* the outermost frame: stop unwinding here */
    xorl %ebp, %ebp
    movq %r13, %rdi
    callq *%r12
    ud2                         /* entry functions never return */
    .cfi_endproc
    .size weft__ctx_trampoline, .-weft__ctx_trampoline
#endif
    .section .note.GNU-stack,"",@progbits
