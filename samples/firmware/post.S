/*
 * post.S - vmlab's BIOS, part 1: the reset vector and the power-on self
 * test (POST), which turns a CPU fresh out of reset into the machine a boot
 * sector expects (the "PC boot contract").
 *
 * At reset (SDM Vol. 3A §10.1.4) the CPU is in real mode with CS = F000
 * but a hidden CS base of FFFF0000, so its first fetch is at FFFFFFF0: the
 * last 16 bytes of this ROM, which vmlab (hypervisor/firmware.c) and QEMU
 * (-bios) map at the top of 4 GiB.  The far jump there reloads CS the
 * real-mode way (base = F000 << 4 = F0000) and we continue in the copy of
 * the ROM at 0xF0000, where everything below runs.
 *
 * POST, in order: IVT -> BDA/EBDA -> interrupt controller (8259A) -> timer
 * (8254) -> serial port -> keyboard controller -> memory size (CMOS) and
 * the E820 map -> screen -> disks (ATA IDENTIFY) -> banner -> INT 19h.
 * Other files: video.S (INT 10h), disk.S (INT 13h), services.S (INT 11h,
 * 12h, 15h), keyboard.S (INT 09h, 16h), clock.S (INT 08h, 1Ah) and
 * boot.S (INT 19h).
 *
 * Not done yet: Intel MP tables (no LAPIC/IOAPIC to describe yet), ACPI,
 * PCI enumeration, option ROMs, floppies, INT 13h for CD-ROMs.
 */
#include "samples/firmware/bios.h"

	.code16
	.text

/* Set IVT entry \vec (DS = 0) to F000:\handler. */
.macro SETVEC vec, handler
	movw $\handler, (\vec * 4)
	movw $0xF000, (\vec * 4 + 2)
.endm

	.globl post_start
post_start:
	cli
	cld
	/* A stack below the boot sector's load address (0x7C00). */
	xorw %ax, %ax
	movw %ax, %ss
	movw $0x7C00, %sp
	movw %ax, %ds
	movw %ax, %es

	/* 1. Clear the IVT and the BDA (0x000-0x4FF), then point every vector at
	 * an IRET, the hardware IRQ vectors at handlers that acknowledge the
	 * interrupt controller, and the services at their handlers. */
	xorw %di, %di
	movw $0x500 / 2, %cx
	rep stosw
	xorw %di, %di
	movw $256, %cx
1:	movw $default_iret, (%di)
	movw $0xF000, 2(%di)
	addw $4, %di
	loop 1b
	movw $0x08 * 4, %di /* IRQ 0-7 -> vectors 08h-0Fh */
	movw $8, %cx
1:	movw $irq_master, (%di)
	addw $4, %di
	loop 1b
	movw $0x70 * 4, %di /* IRQ 8-15 -> vectors 70h-77h */
	movw $8, %cx
1:	movw $irq_slave, (%di)
	addw $4, %di
	loop 1b
	SETVEC 0x08, int08_timer
	SETVEC 0x09, int09_keyboard
	SETVEC 0x10, int10_video
	SETVEC 0x11, int11_equipment
	SETVEC 0x12, int12_memory
	SETVEC 0x13, int13_disk
	SETVEC 0x15, int15_system
	SETVEC 0x16, int16_keyboard
	SETVEC 0x19, int19_boot
	SETVEC 0x1A, int1a_time

	/* 2. The BIOS data area (segment 0x40) and the EBDA. */
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movw $COM1, BDA_COM1
	movw $EBDA_SEG, BDA_EBDA_SEG
	/* Equipment word: bit 1 x87 present, bits 5-4 = 10b 80x25 colour,
	 * bits 11-9 = one serial port, no floppy (bit 0 clear). */
	movw $0x0222, BDA_EQUIPMENT
	movw $(640 - EBDA_KB), BDA_MEM_KB
	movw $BDA_KB_BUF, BDA_KB_HEAD
	movw $BDA_KB_BUF, BDA_KB_TAIL
	movw $EBDA_SEG, %ax
	movw %ax, %es
	xorw %di, %di
	movw $EBDA_KB * 512, %cx
	xorw %ax, %ax
	rep stosw
	movb $EBDA_KB, %es:EBDA_SIZE_KB

	/* 3. The 8259A pair (8259A datasheet, "Initialization command words"):
	 * ICW1 0x11 = edge triggered, cascade, ICW4 follows; ICW2 = vector base
	 * (0x08 master, 0x70 slave, the PC/AT assignment); ICW3 = the slave
	 * hangs on master IR2; ICW4 0x01 = 8086 mode, normal EOI.  Then mask
	 * all but IRQ 0 (timer), IRQ 1 (keyboard) and IRQ 2 (the cascade). */
	movb $0x11, %al
	outb %al, $PIC1_CMD
	outb %al, $PIC2_CMD
	movb $0x08, %al
	outb %al, $PIC1_DATA
	movb $0x70, %al
	outb %al, $PIC2_DATA
	movb $0x04, %al
	outb %al, $PIC1_DATA
	movb $0x02, %al
	outb %al, $PIC2_DATA
	movb $0x01, %al
	outb %al, $PIC1_DATA
	outb %al, $PIC2_DATA
	movb $0xF8, %al
	outb %al, $PIC1_DATA
	movb $0xFF, %al
	outb %al, $PIC2_DATA

	/* 4. The 8254 channel 0: mode 3 (square wave), lobyte/hibyte, count 0
	 * = 65536 -> 1193182 Hz / 65536 = 18.2 Hz, the classic PC tick. */
	movb $0x36, %al
	outb %al, $PIT_MODE
	xorb %al, %al
	outb %al, $PIT_CH0
	outb %al, $PIT_CH0

	/* 5. COM1: 9600 baud (divisor 12), 8 data bits, no parity, 1 stop bit,
	 * FIFOs on, DTR and RTS up, no interrupts (16550 datasheet). */
	movw $COM1 + 3, %dx
	movb $0x80, %al /* LCR: DLAB */
	outb %al, %dx
	movw $COM1, %dx
	movb $12, %al
	outb %al, %dx
	incw %dx
	xorb %al, %al
	outb %al, %dx   /* IER (DLAB: divisor high) */
	movw $COM1 + 3, %dx
	movb $0x03, %al /* LCR: 8N1, DLAB off */
	outb %al, %dx
	movw $COM1 + 1, %dx
	xorb %al, %al
	outb %al, %dx   /* IER: no interrupts */
	movw $COM1 + 2, %dx
	movb $0x07, %al /* FCR: enable and clear the FIFOs */
	outb %al, %dx
	movw $COM1 + 4, %dx
	movb $0x03, %al /* MCR: DTR, RTS */
	outb %al, %dx

	/* 6. The i8042: command byte 0x61 = keyboard interrupt on, system flag,
	 * scan-code translation to set 1 (what INT 09h decodes); A20 on through
	 * the fast gate (port 0x92 bit 1). */
	call kbc_wait_input
	movb $0x60, %al
	outb %al, $KBC_STAT
	call kbc_wait_input
	movb $0x61, %al
	outb %al, $KBC_DATA
	inb $PORT_A20, %al
	orb $0x02, %al
	andb $0xFE, %al /* bit 0 would reset the machine */
	outb %al, $PORT_A20

	/* 7. Memory: size from the CMOS, then the E820 map (services.S). */
	call mem_size_from_cmos
	call e820_build

	/* 8. The screen: mode 3, cleared, cursor home (video.S). */
	call video_init

	/* 9. The disks on the primary ATA channel (disk.S). */
	call disk_detect

	/* 10. Say hello, then boot. */
	call post_banner
	sti
	int $0x19
	/* INT 19h returns only when there is nothing to boot. */
	cli
1:	hlt
	jmp 1b

/* Wait until the i8042 input buffer is empty (status bit 1), bounded so a
 * missing controller cannot hang POST. */
kbc_wait_input:
	pushw %cx
	movw $0xFFFF, %cx
1:	inb $KBC_STAT, %al
	testb $0x02, %al
	jz 2f
	loop 1b
2:	popw %cx
	ret

/* "vmlab BIOS: 639 KiB base, 130048 KiB extended" then one line per disk. */
post_banner:
	movw $msg_banner, %si
	call bios_puts
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movzwl BDA_MEM_KB, %eax
	call bios_putdec
	movw $msg_base, %si
	call bios_puts
	movw $EBDA_SEG, %ax
	movw %ax, %fs
	movl %fs:EBDA_RAM_TOP, %eax
	subl $0x100000, %eax
	shrl $10, %eax
	call bios_putdec
	movw $msg_ext, %si
	call bios_puts
	movw $EBDA_DISK, %bx
	movb $'0', %cl
1:	cmpb $0, %fs:DISK_PRESENT(%bx)
	je 2f
	movw $msg_hd, %si
	call bios_puts
	movb %cl, %al
	call bios_putc
	movw $msg_colon, %si
	call bios_puts
	movl %fs:DISK_SECTORS(%bx), %eax
	call bios_putdec
	movw $msg_sectors, %si
	call bios_puts
	movzwl %fs:DISK_CYLS(%bx), %eax
	call bios_putdec
	movb $'/', %al
	call bios_putc
	movzwl %fs:DISK_HEADS(%bx), %eax
	call bios_putdec
	movb $'/', %al
	call bios_putc
	movzwl %fs:DISK_SPT(%bx), %eax
	call bios_putdec
	movw $msg_crlf, %si
	call bios_puts
2:	addw $DISK_REC_SIZE, %bx
	incb %cl
	cmpb $'2', %cl
	jb 1b
	ret

/* ---- shared interrupt plumbing ------------------------------------------- */

/* Leave a service handler (entered with BIOS_ENTER): CF clear or set in the
 * caller's FLAGS image, registers restored from the (possibly updated)
 * frame.  Jump here, don't call. */
	.globl bios_iret_ok, bios_iret_err
bios_iret_ok:
	andw $0xFFFE, F_FLAGS(%bp)
	jmp 1f
bios_iret_err:
	orw $0x0001, F_FLAGS(%bp)
1:	popal
	popw %es
	popw %ds
	/* fall through */
default_iret:
	iret

/* An IRQ nobody handles: acknowledge it so the controller is not stuck. */
irq_master:
	pushw %ax
	movb $PIC_EOI, %al
	outb %al, $PIC1_CMD
	popw %ax
	iret
irq_slave:
	pushw %ax
	movb $PIC_EOI, %al
	outb %al, $PIC2_CMD
	outb %al, $PIC1_CMD
	popw %ax
	iret

	.section .rodata
msg_banner:  .asciz "vmlab BIOS: "
msg_base:    .asciz " KiB base, "
msg_ext:     .asciz " KiB extended\r\n"
msg_hd:      .asciz "hd"
msg_colon:   .asciz ": "
msg_sectors: .asciz " sectors, CHS "
	.globl msg_crlf
msg_crlf:    .asciz "\r\n"

/* ---- the last 16 bytes: the reset vector (SDM Vol. 3A §10.1.4) ---------- */
	.section .reset, "ax"
	.globl reset_vector
reset_vector:                   /* F000:FFF0 = physical FFFFFFF0 */
	ljmp $0xF000, $post_start
	.org 5
	.ascii "11/22/25"       /* F000:FFF5 the BIOS date (PC convention) */
	.org 14
	.byte 0xFC              /* F000:FFFE model byte: PC/AT */
	.byte 0x00
