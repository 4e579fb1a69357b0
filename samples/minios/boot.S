/*
 * boot.S - minios's boot sector (sector 0 of the disk, 512 bytes).
 *
 * A PC BIOS loads it at 0000:7C00 with DL = the boot drive (BIOS Boot
 * Specification 1.01 §6.5.1) and jumps to it in real mode.  It then:
 *   1. asks INT 13h AH=41h whether the EDD extensions exist: the BIOS must
 *      answer BX = AA55h to our 55AAh (EDD 3.0 §3.1, "checks 55AA");
 *   2. loads the kernel (sectors 1..KERNEL_SECTORS) to 1000:0000 (physical
 *      0x10000) with INT 13h AH=42h extended reads, 32 KiB at a time so a
 *      disk address packet never crosses a 64 KiB segment (EDD 3.0 §3.2);
 *   3. checks the kernel header magic "MNOS";
 *   4. enables the A20 gate with the "fast A20" bit of port 92h and checks
 *      that 0000:0500 and FFFF:0510 (1 MiB higher) no longer alias;
 *   5. loads a flat GDT, sets CR0.PE and far-jumps into 32-bit protected
 *      mode (Intel SDM Vol. 3A §10.9.1 "Switching to Protected Mode");
 *   6. jumps to the kernel entry at 0x10000 + 8 with EDX = the boot drive.
 * Failures print a message through INT 10h and stop at a HLT.
 */
#define KERNEL_LOAD_SEG 0x1000
#define KERNEL_CHUNK	64 /* sectors per AH=42h call: 32 KiB */

	.code16
	.section .stage1, "ax"
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7C00, %sp
	ljmp $0, $1f /* some BIOSes enter at 07C0:0000: normalise CS */
1:	sti
	cld
	movb %dl, boot_drive
	movw $msg_hello, %si
	call puts

	/* 1. EDD present?  AH=41h BX=55AAh -> CF=0, BX=AA55h */
	movb $0x41, %ah
	movw $0x55AA, %bx
	movb boot_drive, %dl
	int $0x13
	jc no_edd
	cmpw $0xAA55, %bx
	jne no_edd

	/* 2. the kernel: KERNEL_SECTORS from LBA 1, in KERNEL_CHUNK pieces */
	movw $KERNEL_SECTORS, %cx
load:	movw $KERNEL_CHUNK, %ax
	cmpw %ax, %cx
	jae 2f
	movw %cx, %ax
2:	movw %ax, dap_count
	pushw %cx
	movb $0x42, %ah
	movb boot_drive, %dl
	movw $dap, %si
	int $0x13
	popw %cx
	jc read_err
	movw dap_count, %ax
	subw %ax, %cx
	addw %ax, dap_lba /* the kernel is far below LBA 65536 */
	shlw $5, %ax      /* sectors * 512 / 16 = paragraphs */
	addw %ax, dap_seg
	testw %cx, %cx
	jnz load

	/* 3. the header the kernel's entry.S puts first */
	movw $KERNEL_LOAD_SEG, %ax
	movw %ax, %es
	cmpl $0x534F4E4D, %es:0 /* "MNOS" little-endian */
	jne bad_kernel

	/* 4. A20 through port 92h bit 1 (bit 0 would reset the machine) */
	inb $0x92, %al
	orb $2, %al
	andb $0xFE, %al
	outb %al, $0x92
	movw $0xFFFF, %ax
	movw %ax, %es
	movw $0x1234, 0x500
	movw $0x5678, %es:0x510 /* physical 0x100500 */
	cmpw $0x1234, 0x500
	jne no_a20

	/* 5. protected mode: interrupts off (no IDT yet), GDT, CR0.PE */
	cli
	lgdt gdt_desc
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmp $0x08, $pm32

no_edd:	movw $msg_noedd, %si
	jmp die
read_err:
	movw $msg_read, %si
	jmp die
bad_kernel:
	movw $msg_magic, %si
	jmp die
no_a20:	movw $msg_a20, %si
die:	call puts
3:	cli
	hlt
	jmp 3b

puts: /* the NUL-terminated string at DS:SI, INT 10h AH=0Eh teletype */
	lodsb
	testb %al, %al
	jz 4f
	movb $0x0E, %ah
	xorw %bx, %bx
	int $0x10
	jmp puts
4:	ret

	.code32
pm32:	/* 6. flat data segments, a stack below the EBDA, enter the kernel */
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	movl $0x9F000, %esp
	movzbl boot_drive, %edx
	movl $(KERNEL_LOAD_SEG * 16 + 8), %eax
	jmp *%eax

	.p2align 3
gdt:	.quad 0                  /* 0x00: null */
	.quad 0x00CF9A000000FFFF /* 0x08: code, base 0, limit 4 GiB, 32-bit */
	.quad 0x00CF92000000FFFF /* 0x10: data, base 0, limit 4 GiB */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt

dap:	.byte 16, 0 /* disk address packet: size, reserved */
dap_count:
	.word 0
	.word 0 /* buffer offset */
dap_seg:
	.word KERNEL_LOAD_SEG
dap_lba:
	.quad 1

boot_drive:
	.byte 0
msg_hello:
	.asciz "minios: boot sector\r\n"
msg_noedd:
	.asciz "minios: no INT 13h extensions\r\n"
msg_read:
	.asciz "minios: disk read error\r\n"
msg_magic:
	.asciz "minios: bad kernel\r\n"
msg_a20:
	.asciz "minios: A20 stuck\r\n"

	.section .signature, "a"
	.byte 0x55, 0xAA
