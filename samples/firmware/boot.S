/*
 * boot.S - vmlab's BIOS: INT 19h, the bootstrap loader.
 *
 * The PC boot contract, which every boot sector relies on: read sector 0
 * (LBA 0; CHS 0/0/1) of the boot disk to 0000:7C00, check the signature
 * 0x55 0xAA at its last two bytes (0x7DFE), and jump to 0000:7C00 with
 * DL = the BIOS drive number (0x80, the first hard disk), interrupts on,
 * in real mode.  Nothing else is promised: a portable boot sector sets up
 * its own segments and stack.
 */
#include "samples/firmware/bios.h"

	.code16
	.text

	.globl int19_boot
int19_boot:
	sti
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7C00, %sp
	/* INT 13h AH=02h: 1 sector, cylinder 0, head 0, sector 1, drive 80h,
	 * to ES:BX = 0000:7C00; a retry after a reset, as BIOSes do. */
	movw $2, %si
1:	movw $0x0201, %ax
	movw $0x0001, %cx
	movw $0x0080, %dx
	movw $0x7C00, %bx
	int $0x13
	jnc 2f
	xorb %ah, %ah
	int $0x13
	decw %si
	jnz 1b
	movw $msg_no_disk, %si
	jmp 9f
2:	cmpw $0xAA55, 0x7DFE
	je 3f
	movw $msg_no_sig, %si
	jmp 9f
3:	movw $msg_booting, %si
	call bios_puts
	/* Jump with the registers a boot sector may look at in a known state. */
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	movl $0x80, %edx
	ljmp $0, $0x7C00
9:	call bios_puts
	/* Nothing to boot: stop here (QEMU would wait forever; vmlab reports
	 * a CPU halted with interrupts off). */
	cli
1:	hlt
	jmp 1b

	.section .rodata
msg_booting: .asciz "Booting from hard disk 80h...\r\n"
msg_no_disk: .asciz "No bootable disk: cannot read sector 0 of drive 80h\r\n"
msg_no_sig:  .asciz "No bootable disk: no 55AAh signature in sector 0 of drive 80h\r\n"
