/*
 * trap64.S - entry stubs for exception vectors 0..31 in 64-bit mode.
 *
 * Follows the Intel SDM Vol. 3A 6.14 "Exception and Interrupt Handling in
 * 64-bit Mode".  On an exception the CPU aligns RSP to 16 bytes, pushes
 * SS, RSP, RFLAGS, CS, RIP and, for some vectors, an error code, then jumps
 * to the gate's handler.  Vectors 8, 10-14, 17, 21, 29 and 30 push an error
 * code (Table 6-1); for the others each stub pushes a 0 in its place, so the
 * common code sees one frame layout (struct trap_frame in trap.h).
 */
	.text
	.code64

.macro STUB vec, has_error
	.balign 16
stub\vec:
	.if \has_error == 0
	pushq $0                /* dummy error code */
	.endif
	pushq $\vec             /* vector number */
	jmp trap_common
.endm

	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 20, 0
	STUB 21, 1
	STUB 22, 0
	STUB 23, 0
	STUB 24, 0
	STUB 25, 0
	STUB 26, 0
	STUB 27, 0
	STUB 28, 0
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0

trap_common:
	/* Save all general registers, RAX first: struct trap_frame order. */
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	/* 5 CPU words + error + vector + 15 registers = 22 quadwords: RSP is
	 * still 16-byte aligned, as the ABI wants at a call. */
	cld
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp          /* drop vector and error code */
	iretq                   /* back to frame.rip with frame.rflags */

/* The stub addresses, for trap.c to put in the IDT. */
	.section .rodata
	.balign 8
	.globl trap_stubs
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad stub\v
	.endr
