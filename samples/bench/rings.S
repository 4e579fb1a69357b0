/*
 * rings.S - samples/bench: the ring-crossing parts of the benchmarks.
 *
 * SYSCALL/SYSRET (SDM Vol 2B SYSCALL, SYSRET; Vol 3A 5.8.8 "Fast System
 * Calls in 64-Bit Mode") and INT n / IRETQ through a DPL-3 interrupt gate
 * (Vol 3A 6.12.1, 6.14).  bench_enter_user() drops to ring 3 with IRETQ and
 * runs a user loop; the user loop asks for RAX = -1 when it is done, and the
 * ring-0 entry then restores the kernel stack saved by bench_enter_user()
 * and returns from it.
 */
	.code64
	.text

/* uint64_t bench_enter_user(void (*entry)(void), uint64_t user_rsp, uint64_t n) */
	.globl bench_enter_user
bench_enter_user:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, bench_saved_ksp(%rip)
	push $0x23              /* SS: user data, RPL 3 */
	push %rsi               /* RSP */
	push $0x2               /* RFLAGS: IF = 0 (nothing to interrupt us) */
	push $0x2b              /* CS: user code 64, RPL 3 */
	push %rdi               /* RIP */
	mov %rdx, %rdi          /* the loop count, for the user code */
	iretq

/* Ring 0 again: back to bench_enter_user's caller. */
back_to_kernel:
	mov bench_saved_ksp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

/* LSTAR: RCX = user RIP, R11 = user RFLAGS; no stack switch. */
	.globl bench_syscall_entry
bench_syscall_entry:
	cmp $-1, %rax
	je back_to_kernel
	add $1, %r8             /* the "work" of the system call */
	sysretq

/* IDT vector 0x80, DPL 3: the CPU switched to TSS.RSP0. */
	.globl bench_int80_entry
bench_int80_entry:
	cmp $-1, %rax
	je back_to_kernel
	add $1, %r8
	iretq

/* Ring-3 loops: RDI = iterations. */
	.globl bench_user_syscall
bench_user_syscall:
	xor %r8, %r8
1:	xor %eax, %eax
	syscall
	dec %rdi
	jnz 1b
	mov $-1, %rax
	syscall

	.globl bench_user_int80
bench_user_int80:
	xor %r8, %r8
1:	xor %eax, %eax
	int $0x80
	dec %rdi
	jnz 1b
	mov $-1, %rax
	int $0x80

/* A patchable function for the self-modifying-code benchmark:
 * B8 imm32 = MOV EAX, imm32; C3 = RET.  It lives in .data (writable and,
 * with no NX bit set, executable). */
	.data
	.globl bench_smc_code
	.balign 64
bench_smc_code:
	.byte 0xb8, 0, 0, 0, 0, 0xc3
	.balign 8
bench_saved_ksp:
	.quad 0
	.section .note.GNU-stack, "", @progbits
