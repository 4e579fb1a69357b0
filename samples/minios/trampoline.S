/*
 * trampoline.S - where minios's application processors start.  A start-up
 * IPI with vector 08h starts an AP in real mode at 0800:0000 = physical
 * 0x8000 (Intel SDM Vol. 3A §9.4.4 "MP Initialization Example", the INIT-
 * SIPI-SIPI sequence), every other register in its INIT state.
 *
 * smp.c copies tramp_start .. tramp_end to TRAMP_ADDR and fills in the
 * data words at the end (CR3, the AP's stack).  The code loads a small
 * flat GDT of its own, sets CR0.PE (§10.9.1), reloads the segments, turns
 * paging on with the BSP's page directory and calls ap_main, which loads
 * the AP's own GDT, TSS and IDT.  Addresses inside the copy are computed
 * relative to tramp_start (T()), so the code runs at TRAMP_ADDR although
 * it was linked elsewhere; ap_main itself is an absolute address.
 */
#define TRAMP_ADDR 0x8000
#define T(sym)	   ((sym) - tramp_start + TRAMP_ADDR)

	.section .rodata.tramp, "a"
	.globl tramp_start, tramp_end, tramp_cr3, tramp_stack
	.code16
tramp_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tramp_gdtr)	/* 32-bit operand size: the full 32-bit base */
	movl %cr0, %eax
	orl $1, %eax		/* CR0.PE */
	movl %eax, %cr0
	ljmpl $0x08, $T(tramp32)	/* a far jump loads CS from the new GDT */

	.code32
tramp32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl T(tramp_cr3), %eax	/* the BSP's page directory */
	movl %eax, %cr3
	movl %cr0, %eax
	orl $0x80010000, %eax	/* CR0.PG and CR0.WP, as mm.c sets them */
	movl %eax, %cr0
	movl T(tramp_stack), %esp
	movl $ap_main, %eax
	call *%eax
1:	cli
	hlt
	jmp 1b

	.balign 8
tramp_gdt:			/* null, 0x08 flat code, 0x10 flat data */
	.quad 0
	.quad 0x00CF9A000000FFFF
	.quad 0x00CF92000000FFFF
	.word 0
tramp_gdtr:
	.word 3 * 8 - 1
	.long T(tramp_gdt)
tramp_cr3:
	.long 0
tramp_stack:
	.long 0
tramp_end:
