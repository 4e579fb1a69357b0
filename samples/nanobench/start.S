/*
 * start.S - nanobench's timed exception and system-call entry points (SDM
 * Vol 3 §6.12: the frame a 32-bit interrupt gate pushes, with an error
 * code for #PF, Table 6-1).  The multiboot entry, the other vectors and
 * the ring-3 round trip come from samples/lib (entry32.S, isr32.S,
 * user32.S; pm32.h).
 *
 * The handlers the benchmarks time are a few instructions each and never
 * call C, so that an iteration costs a fixed, known number of guest
 * instructions (samples/nanobench/bench.S lists them).
 */
	.text

/* #DE (vector 0, no error code): count it and resume after the 2-byte
 * DIV r/m32 that faulted -- a fault pushes the faulting EIP (SDM §6.5). */
	.globl de_entry
de_entry:
	incl de_count
	addl $2, (%esp)
	iret

/* #PF (vector 14, error code): count it, skip the 2-byte MOV r32, [r32]
 * that touched the not-present page, drop the error code, resume. */
	.globl pf_entry
pf_entry:
	incl pf_count
	addl $2, 4(%esp)
	add $4, %esp
	iret

/* INT 0x80 from ring 3 (a DPL-3 interrupt gate): EAX = 1 counts a null
 * system call; EAX = 0 is exit: back to the kernel that entered user mode
 * (leave_user(0), samples/lib/user32.S). */
	.globl sys_entry
sys_entry:
	cmp $0, %eax
	je 1f
	incl sys_count
	iret
1:	pushl $0
	call leave_user		/* does not return */

/* SYSENTER from ring 3 (IA32_SYSENTER_CS/ESP/EIP, main.c): at CPL 0 on
 * the MSR's stack, IF = 0.  Note the ESP the CPU gave (main.c checks it is
 * IA32_SYSENTER_ESP), count, and SYSEXIT to EDX with stack ECX. */
	.globl sysenter_entry
sysenter_entry:
	mov %esp, sysenter_esp_seen
	incl sysenter_count
	sysexit

	.bss
	.align 16
	.globl de_count, pf_count, sys_count, sysenter_count, sysenter_esp_seen
sysenter_count:	.long 0
sysenter_esp_seen: .long 0
de_count:	.long 0
pf_count:	.long 0
sys_count:	.long 0
