/*
 * bench.S - the nanobenchmark loops (Adams & Agesen, "A Comparison of
 * Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006
 * §4.3: syscall, in, cr8wr, call/ret, pgfault, divzero, ptemod; our 32-bit
 * guest writes CR0 and CR3 where theirs wrote CR8).
 *
 * Each loop is   test ecx,ecx / jz done / 1: BODY / dec ecx / jnz 1b
 * so one iteration retires BODY + 2 instructions, plus the handler's on
 * bare metal (the counts below; a faulting instruction does not retire,
 * SDM Vol 3 §6.5: a fault reports the state before it).  cdecl: ECX, EDX,
 * EAX are ours; EBX, ESI, EDI are saved.
 *
 *   bench_in     IN AL, 0x21                  3 insns   (PIC IMR: harmless)
 *   bench_cr0    MOV CR0, EAX (same value)    3
 *   bench_cr3    MOV CR3, EAX (same value)    3         (flushes the TLB)
 *   bench_call   CALL f; f: INC EAX; RET      5
 *   bench_pf     MOV EAX, [ESI] not present   3 + 4 handler - 1 faulting = 6
 *   bench_de     DIV EBX with EBX = 0         3 + 3 handler - 1 faulting = 5
 *   bench_pte    XOR; MOV [EDI], EDX; INVLPG; ADD EAX, [ESI]      6
 *   user_sys     MOV EAX, 1; INT 0x80         4 + 4 handler = 8 (ring 3)
 *   user_sysenter  MOV ECX, ESP; MOV EDX, ret; SYSENTER
 *                + 3 handler (MOV, INC, SYSEXIT) = 3 + 3 + 2 = 8 (ring 3)
 */
	.text

/* u32 bench_in(u32 n): the last byte read. */
	.globl bench_in
bench_in:
	mov 4(%esp), %ecx
	xor %eax, %eax
	test %ecx, %ecx
	jz 2f
1:	inb $0x21, %al
	dec %ecx
	jnz 1b
2:	ret

/* void bench_cr0(u32 n) */
	.globl bench_cr0
bench_cr0:
	mov 4(%esp), %ecx
	mov %cr0, %eax
	test %ecx, %ecx
	jz 2f
1:	mov %eax, %cr0
	dec %ecx
	jnz 1b
2:	ret

/* void bench_cr3(u32 n) */
	.globl bench_cr3
bench_cr3:
	mov 4(%esp), %ecx
	mov %cr3, %eax
	test %ecx, %ecx
	jz 2f
1:	mov %eax, %cr3
	dec %ecx
	jnz 1b
2:	ret

/* u32 bench_call(u32 n): n (EAX counts the calls). */
	.globl bench_call
bench_call:
	mov 4(%esp), %ecx
	xor %eax, %eax
	test %ecx, %ecx
	jz 2f
1:	call 3f
	dec %ecx
	jnz 1b
2:	ret
3:	inc %eax
	ret

/* void bench_pf(u32 n, u32 va): va must be not present. */
	.globl bench_pf
bench_pf:
	push %esi
	mov 8(%esp), %ecx
	mov 12(%esp), %esi
	test %ecx, %ecx
	jz 2f
1:	mov (%esi), %eax	/* 8b 06: pf_entry skips 2 bytes */
	dec %ecx
	jnz 1b
2:	pop %esi
	ret

/* void bench_de(u32 n) */
	.globl bench_de
bench_de:
	push %ebx
	mov 8(%esp), %ecx
	xor %ebx, %ebx
	test %ecx, %ecx
	jz 2f
1:	divl %ebx		/* f7 f3: de_entry skips 2 bytes */
	dec %ecx
	jnz 1b
2:	pop %ebx
	ret

/* u32 bench_pte(u32 n, u32 *pte, u32 va, u32 flip): each iteration flips
 * the frame the PTE maps (pte ^= flip), drops the stale translation with
 * INVLPG (SDM Vol 3 §4.10.4.1) and adds the first dword of the page now
 * mapped at va.  Returns the sum. */
	.globl bench_pte
bench_pte:
	push %ebx
	push %esi
	push %edi
	mov 16(%esp), %ecx
	mov 20(%esp), %edi
	mov 24(%esp), %esi
	mov 28(%esp), %ebx
	mov (%edi), %edx
	xor %eax, %eax
	test %ecx, %ecx
	jz 2f
1:	xor %ebx, %edx
	mov %edx, (%edi)
	invlpg (%esi)
	add (%esi), %eax
	dec %ecx
	jnz 1b
2:	pop %edi
	pop %esi
	pop %ebx
	ret

/* Ring 3: user_n null system calls, then exit (INT 0x80 with EAX = 0). */
	.globl user_sys
user_sys:
	mov user_n, %ecx
	test %ecx, %ecx
	jz 2f
1:	mov $1, %eax
	int $0x80
	dec %ecx
	jnz 1b
2:	xor %eax, %eax
	int $0x80
3:	jmp 3b			/* not reached */

/* Ring 3: user_n SYSENTER/SYSEXIT round trips (SDM Vol 3 §5.8.7: the
 * caller passes its return EIP in EDX and ESP in ECX, which SYSEXIT
 * restores), then exit (INT 0x80 with EAX = 0).  ESI counts: SYSEXIT
 * takes ECX. */
	.globl user_sysenter
user_sysenter:
	mov user_n, %esi
	test %esi, %esi
	jz 2f
1:	mov %esp, %ecx
	mov $3f, %edx
	sysenter
3:	dec %esi
	jnz 1b
2:	xor %eax, %eax
	int $0x80
4:	jmp 4b			/* not reached */
