/*
 * start.S - vprobe's multiboot v1 entry (Multiboot spec §3.1.1): a 32-bit
 * kernel loaded at 1 MiB; installs its own GDT (flat ring-0 code/data) and
 * a stack, then calls vprobe_main().
 */
	.text
	.align 4
	.long 0x1BADB002, 0x00000000, -(0x1BADB002)

	.globl _start
_start:
	cli
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $stack_top, %esp
	call vprobe_main
2:	hlt
	jmp 2b

	.data
	.align 8
	.globl vprobe_gdt
vprobe_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: code, DPL 0, flat */
	.quad 0x00cf92000000ffff /* 0x10: data, DPL 0, flat */
gdt_desc:
	.word 3 * 8 - 1
	.long vprobe_gdt

	.bss
	.align 16
	.space 8192
stack_top:
