/*
 * trampoline.S - where an application processor starts: the start-up IPI
 * with vector 08h starts it in real mode at 0800:0000 = physical 0x8000
 * (Intel SDM Vol 3A §9.4.4.1, the MP initialization protocol), with
 * CS = 0800h, IP = 0 and every other register in its INIT state.
 *
 * The BSP copies tramp_start .. tramp_end to TRAMP_ADDR and fills the
 * three data words at the end (GDTR, CR3, the AP's stack).  The code then
 * takes the path of samples/lib/start32.S again: protected mode, PAE,
 * EFER.LME, paging (SDM Vol 3A §10.8.5), and calls ap_main in 64-bit mode.
 * Addresses are computed relative to tramp_start, so the copy works at
 * TRAMP_ADDR wherever the image was linked.
 */
#include "samples/lib/boot.h"

#define TRAMP_ADDR 0x8000
#define T(sym)	   ((sym) - tramp_start + TRAMP_ADDR)

	.section .rodata.tramp, "a"
	.globl tramp_start, tramp_end, tramp_gdtr, tramp_cr3, tramp_stack
	.code16
tramp_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tramp_gdtr)     /* 32-bit operand: the full 32-bit GDT base */
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $T(tramp32)

	.code32
tramp32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $CR4_PAE, %eax
	movl %eax, %cr4
	movl T(tramp_cr3), %eax /* the BSP's page tables */
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl $(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	ljmp $SEL_CODE64, $T(tramp64)

	.code64
tramp64:
	movq T(tramp_stack), %rsp
	movabsq $ap_main, %rax
	call *%rax
1:	hlt
	jmp 1b

	.balign 8
	.word 0
tramp_gdtr:
	.word 0                 /* limit */
	.long 0                 /* base */
tramp_cr3:
	.long 0
	.balign 8
tramp_stack:
	.quad 0
tramp_end:
