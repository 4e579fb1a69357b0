/*
 * start.S - trap32's multiboot v1 entry (Multiboot spec §3.1.1) and its
 * interrupt entry stubs (SDM Vol 3 §6.12: the frame the CPU pushes for an
 * interrupt or exception through a 32-bit gate, with and without an error
 * code, and with a stack switch from ring 3).
 *
 * Every stub pushes a dummy error code where the CPU pushes none, then the
 * vector, then PUSHA, and calls trap32_trap(struct frame *) in main.c.
 * enter_user/leave_user run the ring-3 task like a function call: IRET to
 * ring 3, and back through the exit system call.
 */
	.text
	.align 4
	.long 0x1BADB002, 0x00000000, -(0x1BADB002)

	.globl _start
_start:
	cli
	mov $stack_top, %esp
	call trap32_main
1:	hlt
	jmp 1b

/* Vectors 8, 10-14, 17 push an error code (SDM Vol 3 Table 6-1). */
.macro stub vec
	.globl stub_\vec
stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17)
	.else
	pushl $0
	.endif
	pushl $\vec
	jmp common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
	stub \v
	.endr
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,128,129
	stub \v
	.endr

/* The stubs' addresses, for the IDT main.c builds: 0-19, then 32-47. */
	.section .rodata
	.align 4
	.globl stub_table
stub_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19
	.long stub_\v
	.endr
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.long stub_\v
	.endr
	.text

common:
	pusha
	push %esp		/* struct frame * */
	call trap32_trap
	add $4, %esp
	popa
	add $8, %esp		/* vector, error code */
	iret

/* u32 enter_user(u32 eip, u32 esp): run the ring-3 task; returns the
 * value leave_user() is given (the exit system call). */
	.globl enter_user
enter_user:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, kern_saved_esp
	mov 20(%esp), %eax
	mov 24(%esp), %ecx
	mov $0x23, %dx		/* user data: RPL 3 (DS is nulled by IRET otherwise) */
	mov %dx, %ds
	mov %dx, %es
	mov %dx, %fs
	mov %dx, %gs
	pushl $0x23		/* SS */
	push %ecx		/* ESP */
	pushl $0x202		/* EFLAGS: IF = 1, IOPL 0 */
	pushl $0x1b		/* CS: user code, RPL 3 */
	push %eax		/* EIP */
	iret

/* void leave_user(u32 code): from the exit system call (at ring 0, on the
 * TSS stack): drop the interrupt frame, return from enter_user. */
	.globl leave_user
leave_user:
	mov 4(%esp), %eax
	mov kern_saved_esp, %esp
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
kern_saved_esp:
	.long 0
	.space 8192
stack_top:
