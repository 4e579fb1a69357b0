/*
 * boot.S - a test boot sector for vmlab's BIOS (and any PC BIOS): it
 * exercises the boot contract and the BIOS services a real boot loader
 * uses, prints what it gets on the screen and COM1 (INT 10h teletype),
 * and ends through the debug-exit port (0xF4) with status 0x10 -> 33.
 *
 * Stage 1 is the boot sector proper (sector 0, loaded at 0000:7C00 by
 * INT 19h with DL = boot drive): it sets up its segments and stack, then
 * loads stage 2 from the next sectors with INT 13h AH=02h (CHS), the way
 * a two-stage loader does.  Stage 2 (tests.S) calls the services.
 *
 * Stage 1 stays below offset 446 so the partition table area is zero:
 * QEMU guesses the disk geometry from a partition table when it finds one.
 */
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
	ljmp $0, $1f        /* some BIOSes enter at 07C0:0000: normalise CS */
1:	sti
	cld
	movb %dl, boot_drive
	movw $msg_stage1, %si
	call puts
	movb boot_drive, %al
	call puthex8
	call crlf
	/* stage 2: sectors 2.. (CHS 0/0/2..) to 0000:7E00 */
	movb $2, %ah
	movb $STAGE2_SECTORS, %al
	movw $0x0002, %cx
	xorb %dh, %dh
	movb boot_drive, %dl
	movw $0x7E00, %bx
	int $0x13
	jc 2f
	jmp stage2
2:	movw $msg_load_fail, %si
	call puts
	movb $0x01, %al     /* exit status 3: stage 2 did not load */
	outb %al, $0xF4
	cli
	hlt

/* ---- printing through INT 10h AH=0Eh (used by stage 2 as well) ---------- */
	.globl putc, puts, puthex8, puthex16, puthex32, crlf
putc:
	pushw %ax
	pushw %bx
	movb $0x0E, %ah
	xorw %bx, %bx
	int $0x10
	popw %bx
	popw %ax
	ret
puts:                   /* the NUL-terminated string at DS:SI */
	pushw %ax
	pushw %si
3:	lodsb
	testb %al, %al
	jz 4f
	call putc
	jmp 3b
4:	popw %si
	popw %ax
	ret
crlf:
	pushw %ax
	movb $'\r', %al
	call putc
	movb $'\n', %al
	call putc
	popw %ax
	ret
puthex32:               /* EAX */
	rorl $16, %eax
	call puthex16
	rorl $16, %eax
puthex16:               /* AX */
	xchgb %al, %ah
	call puthex8
	xchgb %al, %ah
puthex8:                /* AL */
	pushw %ax
	shrb $4, %al
	call 5f
	popw %ax
	pushw %ax
	call 5f
	popw %ax
	ret
5:	andb $0x0F, %al
	addb $'0', %al
	cmpb $'9', %al
	jbe 6f
	addb $'A' - '9' - 1, %al
6:	jmp putc

	.globl boot_drive
boot_drive: .byte 0
msg_stage1:    .asciz "bootsect: stage 1 running, DL="
msg_load_fail: .asciz "bootsect: cannot load stage 2\r\n"

	.section .signature, "a"
	.byte 0x55, 0xAA
