/*
 * stubs.S - lab 02: interrupt entry stubs and the jump to ring 3 (given).
 *
 * Follows the Intel SDM Vol. 3A 6.14 "Exception and Interrupt Handling in
 * 64-bit Mode" and 6.12.1 (the frame, the privilege-level switch through the
 * TSS).  Every stub makes the frame of struct frame (lab02.h): the CPU's
 * five words (and its error code for vectors 8, 10-14, 17, 21, 29, 30, or a
 * 0 we push), the vector, then all general registers; then it calls
 * lab02_trap(frame) and returns with IRETQ.
 */
	.text
	.code64

.macro STUB vec, has_error
	.balign 16
stub\vec:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp common
.endm

	.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	STUB \v, 0
	.endr
	.irp v, 8,10,11,12,13,14,17,21,29,30
	STUB \v, 1
	.endr
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,128
	STUB \v, 0
	.endr

common:
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
	cld
	movq %rsp, %rdi
	call lab02_trap
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
	addq $16, %rsp          /* vector and error code */
	iretq

/*
 * int enter_user(void (*entry)(void), uint64_t user_rsp)
 * IRETQ to CPL 3: the CPU pops RIP, CS, RFLAGS, RSP, SS (SDM 6.14.3).  The
 * kernel's callee-saved registers and RSP are kept so user_return can come
 * back here.  RFLAGS.IF = 0: the user program runs without interrupts.
 */
	.globl enter_user, user_return
enter_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, kernel_rsp(%rip)
	pushq $0x1b             /* SS = USER_DS */
	pushq %rsi              /* RSP */
	pushq $0x002            /* RFLAGS: only the reserved bit 1 */
	pushq $0x23             /* CS = USER_CS */
	pushq %rdi              /* RIP */
	iretq

/* void user_return(int status): from the SYS_EXIT handler, at CPL 0. */
user_return:
	movq kernel_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	movl %edi, %eax
	ret

	.bss
	.balign 8
kernel_rsp:
	.skip 8

/* The stub of each vector, for idt.c; 0 where there is none. */
	.section .rodata
	.balign 8
	.globl lab02_stubs
lab02_stubs:
	.altmacro
	.macro ENTRY n
	.if (\n < 48) || (\n == 128)
	.quad stub&n
	.else
	.quad 0
	.endif
	.endm
	.set v, 0
	.rept 256
	ENTRY %v
	.set v, v + 1
	.endr
