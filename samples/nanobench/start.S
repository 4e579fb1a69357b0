/*
 * start.S - nanobench's multiboot v1 entry (Multiboot spec §3.1.1, §3.2:
 * EBX holds the multiboot information), its exception and system-call
 * entry points (SDM Vol 3 §6.12: the frame a 32-bit interrupt gate pushes,
 * with an error code for #PF, Table 6-1), and the ring-3 round trip.
 *
 * The three handlers the benchmarks time are a few instructions each and
 * never call C, so that an iteration costs a fixed, known number of guest
 * instructions (samples/nanobench/bench.S lists them).  Every other vector
 * goes to nb_unexpected() in main.c, which reports it and stops.
 */
	.text
	.align 4
	.long 0x1BADB002, 0x00000000, -(0x1BADB002)

	.globl _start
_start:
	cli
	mov $stack_top, %esp
	push %ebx		/* struct multiboot_info * */
	call nb_main
1:	hlt
	jmp 1b

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
 * system call; EAX = 0 is exit: back to the kernel that entered user mode. */
	.globl sys_entry
sys_entry:
	cmp $0, %eax
	je leave_user
	incl sys_count
	iret

/* SYSENTER from ring 3 (IA32_SYSENTER_CS/ESP/EIP, main.c): at CPL 0 on
 * the MSR's stack, IF = 0.  Note the ESP the CPU gave (main.c checks it is
 * IA32_SYSENTER_ESP), count, and SYSEXIT to EDX with stack ECX. */
	.globl sysenter_entry
sysenter_entry:
	mov %esp, sysenter_esp_seen
	incl sysenter_count
	sysexit

/* Everything else: push the vector and report (no return). */
.macro unexpected vec
	.globl unexp_\vec
unexp_\vec:
	pushl $\vec
	call nb_unexpected
.endm
	.irp v, 1,2,3,4,5,6,7,8,9,10,11,12,13,15,16,17,18,19
	unexpected \v
	.endr

	.section .rodata
	.align 4
	.globl unexp_table	/* [vector] for 1-19 (0 and 14 are timed) */
unexp_table:
	.long 0
	.irp v, 1,2,3,4,5,6,7,8,9,10,11,12,13
	.long unexp_\v
	.endr
	.long 0
	.irp v, 15,16,17,18,19
	.long unexp_\v
	.endr
	.text

/* void enter_user(void (*eip)(void), u32 esp): IRET to ring 3 (SDM §6.12.1
 * in reverse: SS, ESP, EFLAGS, CS, EIP); returns when the user code makes
 * the exit call.  EFLAGS = 0x002: IF stays 0, IOPL 0. */
	.globl enter_user
enter_user:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, kern_esp
	mov 20(%esp), %eax
	mov 24(%esp), %ecx
	mov $0x23, %dx
	mov %dx, %ds
	mov %dx, %es
	mov %dx, %fs
	mov %dx, %gs
	pushl $0x23
	push %ecx
	pushl $0x002
	pushl $0x1b
	push %eax
	iret

/* From the exit call, at ring 0 on the TSS stack: forget the user frame. */
leave_user:
	mov kern_esp, %esp
	mov $0x10, %dx
	mov %dx, %ds
	mov %dx, %es
	mov %dx, %fs
	mov %dx, %gs
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.bss
	.align 16
	.globl de_count, pf_count, sys_count, sysenter_count, sysenter_esp_seen
sysenter_count:	.long 0
sysenter_esp_seen: .long 0
de_count:	.long 0
pf_count:	.long 0
sys_count:	.long 0
kern_esp:	.long 0
	.space 16384
stack_top:
