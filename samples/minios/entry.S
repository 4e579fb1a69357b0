/*
 * entry.S - minios's kernel entry, interrupt stubs and the ring switch.
 *
 * The header (magic "MNOS", image size) is what boot.S checks; boot.S
 * jumps to _start at offset 8 in 32-bit protected mode, paging off.
 *
 * Every IDT vector has a stub that makes the stack look the same for all
 * of them (Intel SDM Vol. 3A §7.12.1, Figure 7-4): the CPU pushed EFLAGS,
 * CS, EIP (and SS, ESP on a privilege change; an error code for some
 * exceptions); the stub pushes a dummy error code where the CPU did not,
 * then the vector; trap_common saves ES, DS, the general registers, loads
 * kernel data segments and calls trap_dispatch(struct trapframe *).
 */
	.section .head, "ax"
	.long 0x534F4E4D /* "MNOS" */
	.long image_end - 0x10000
	.globl _start
_start:
	movl $kstack_top, %esp
	movl %edx, boot_drive
	/* zero the BSS: it is not in the image boot.S loaded */
	movl $bss_start, %edi
	movl $bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	cld
	rep stosb
	call kmain
1:	cli
	hlt
	jmp 1b

	.text
/* vectors with an error code (SDM Vol. 3A Table 7-1): 8, 10-14, 17, 21 */
	.macro stub v
	.p2align 3
stub_\v:
	.if !(\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21)
	pushl $0
	.endif
	pushl $\v
	jmp trap_common
	.endm

	.altmacro
	.set i, 0
	.rept 50
	stub %i
	.set i, i + 1
	.endr
	stub 128
	stub 255

	/* the table trap.c builds the IDT from: 50 stubs (exceptions, IRQs, two
	 * IPI vectors), int 0x80, APIC spurious */
	.section .rodata
	.globl trap_stubs
	.macro stubaddr v
	.long stub_\v
	.endm
trap_stubs:
	.set i, 0
	.rept 50
	stubaddr %i
	.set i, i + 1
	.endr
	stubaddr 128
	stubaddr 255

	.text
trap_common:
	pushl %es
	pushl %ds
	pushal
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp /* the struct trapframe * argument */
	call trap_dispatch
	addl $4, %esp
	.globl trap_return
trap_return:
	popal
	popl %ds
	popl %es
	addl $8, %esp /* vector, error code */
	iret

/*
 * int user_enter(u32 eip, u32 esp, u32 *saved_esp): run ring-3 code at
 * EIP with stack ESP.  The kernel's callee-saved registers and stack
 * pointer are kept in *saved_esp; user_return(saved_esp, code), called
 * from the exit system call (or when the program is killed), comes back
 * here and makes user_enter return CODE.  The way in is an IRET with a
 * ring-3 frame (SDM Vol. 3A §6.12.1 "Calls to ... Handler Procedures",
 * IRET to a less privileged level).
 */
	.globl user_enter, user_return
user_enter:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl 28(%esp), %eax /* saved_esp */
	movl %esp, (%eax)
	movl 20(%esp), %ecx /* eip */
	movl 24(%esp), %edx /* esp */
	movw $0x23, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	pushl $0x23   /* SS */
	pushl %edx    /* ESP */
	pushl $0x202  /* EFLAGS: IF=1, IOPL=0 */
	pushl $0x1B   /* CS */
	pushl %ecx    /* EIP */
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	iret

user_return: /* (u32 saved_esp, int code): never returns to its caller */
	movl 8(%esp), %eax
	movl 4(%esp), %esp
	movw $0x10, %dx
	movw %dx, %fs
	movw %dx, %gs
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.bss
	.p2align 12
	.globl kstack_top, boot_drive
kstack:	.space 16384
kstack_top:
boot_drive:
	.long 0
