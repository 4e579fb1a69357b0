/*
 * user32.S - run ring-3 code like a function call, in 32-bit protected
 * mode (pm32.h): enter_user() IRETs to ring 3, leave_user() (called at
 * ring 0 from a system-call handler) comes back out of enter_user().
 *
 * Follows the Intel SDM Vol. 3A 6.12.1 read backwards: an IRET to a less
 * privileged ring pops EIP, CS, EFLAGS, then ESP and SS.  A data segment
 * register that the new CPL may not use would be nulled by that IRET
 * (SDM Vol. 2A IRET, "RETURN-TO-OUTER-PRIVILEGE-LEVEL"), so DS-GS are set
 * to the ring-3 data selector first.
 */
#include "samples/lib/pm32.h"

/* u32 enter_user(void (*eip)(void), u32 esp, u32 eflags) */
	.text
	.globl enter_user
enter_user:
	push %ebp		/* cdecl: the callee saves these four */
	push %ebx
	push %esi
	push %edi
	mov %esp, user32_kern_esp /* where leave_user() resumes */
	mov 20(%esp), %eax	/* eip */
	mov 24(%esp), %ecx	/* esp */
	mov 28(%esp), %edx	/* eflags */
	mov $PM32_UDATA, %bx
	mov %bx, %ds
	mov %bx, %es
	mov %bx, %fs
	mov %bx, %gs
	pushl $PM32_UDATA	/* SS */
	push %ecx		/* ESP */
	push %edx		/* EFLAGS */
	pushl $PM32_UCODE	/* CS */
	push %eax		/* EIP */
	iret

/* void leave_user(u32 code): at ring 0, on the TSS stack: forget the
 * interrupt frame(s) and return code from enter_user(). */
	.globl leave_user
leave_user:
	mov 4(%esp), %eax
	mov user32_kern_esp, %esp
	mov $PM32_KDATA, %dx
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
	.balign 4
user32_kern_esp:
	.long 0
