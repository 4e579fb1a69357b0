/*
 * isr32.S - interrupt and exception entry stubs for 32-bit protected mode
 * (pm32.h): one frame shape for every vector, then the sample's C handler.
 *
 * Follows the Intel SDM Vol. 3A 6.12.1 "Exception- or Interrupt-Handler
 * Procedures": through a 32-bit gate the CPU pushes EFLAGS, CS, EIP (and
 * first SS, ESP when it switches to the TSS's ring-0 stack, coming from
 * ring 3), then an error code for the vectors of Table 6-1 that have one.
 * Each stub pushes a dummy error code where the CPU pushes none, then the
 * vector; the common part saves the general registers (PUSHA) and calls
 * pm32_trap(struct frame32 *).  What the handler changes in the frame
 * (EIP, EAX ...) is what IRET and POPA restore.
 */
#include "samples/lib/pm32.h"

	.text
.macro stub vec
isr32_\vec:
	.if !PM32_HAS_ERROR(\vec)
	pushl $0		/* no error code from the CPU: a dummy */
	.endif
	pushl $\vec
	jmp isr32_common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \v
	.endr
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	stub \v
	.endr
	/* Two software-interrupt vectors, for system calls and the like. */
	.globl isr32_128, isr32_129
	stub 128
	stub 129

isr32_common:
	pusha
	push %esp		/* struct frame32 * */
	call pm32_trap
	add $4, %esp
	popa
	add $8, %esp		/* vector, error code */
	iret

/* The stubs' addresses, for pm32_set_gate(): 0-31, then 32-47. */
	.section .rodata
	.balign 4
	.globl isr32_table
isr32_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long isr32_\v
	.endr
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.long isr32_\v
	.endr
