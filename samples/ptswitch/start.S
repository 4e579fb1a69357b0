/*
 * start.S - ptswitch's multiboot v1 entry (Multiboot spec §3.1.1) and its
 * two interrupt entries (SDM Vol 3 §6.12: the frame a 32-bit gate pushes,
 * with an error code for #PF, vector 14, Table 6-1).
 */
	.text
	.align 4
	.long 0x1BADB002, 0x00000000, -(0x1BADB002)

	.globl _start
_start:
	cli
	mov $stack_top, %esp
	call ptswitch_main
1:	hlt
	jmp 1b

/* #PF: error code on the stack; ptswitch_pf(err) fixes the mapping. */
	.globl pf_entry
pf_entry:
	pusha
	pushl 32(%esp)		/* the error code, above PUSHA's 8 registers */
	call ptswitch_pf
	add $4, %esp
	popa
	add $4, %esp		/* drop the error code */
	iret

/* Any other vector: report and stop. */
	.globl other_entry
other_entry:
	call ptswitch_unexpected
2:	hlt
	jmp 2b

	.bss
	.align 16
	.space 16384
stack_top:
