/*
 * tests.S - stage 2 of the test boot sector: calls the BIOS services a
 * boot loader relies on and prints every result, so that a run on vmlab can
 * be compared byte for byte with a run of the same BIOS and disk on QEMU.
 * Nothing printed depends on time (tick counts and the RTC are only checked
 * for success).
 *
 * The disk image (built by sample.mk) holds marker strings "LBA <n>" at
 * sectors 1000, 1001 and 8100 (the last one beyond the CHS-addressable
 * part of the 4 MiB disk).  Sector 3000 is written and read back.
 */
	.code16
	.text

#define MARK_CHS   1000
#define MARK_LBA   8100
#define WRITE_LBA  3000
#define BEYOND_END 10000
#define BUF        0x9000 /* two sectors of buffer at 0000:9000 */

/* Print label, AH and CF after an INT 13h/15h call: "label: AH=xx CF=c". */
.macro SHOW_AH_CF label
	pushf
	movw $\label, %si
	call puts
	movw $s_ah, %si
	call puts
	pushw %ax
	movb %ah, %al
	call puthex8
	popw %ax
	popf
	call show_cf
.endm

	.globl stage2
stage2:
	movw $s_stage2, %si
	call puts

	/* --- INT 10h: the cursor after the BIOS's lines and ours, the mode */
	movb $0x03, %ah
	xorb %bh, %bh
	int $0x10
	movw $s_cursor, %si
	call puts
	movw %dx, %ax
	call puthex16
	movb $0x0F, %ah
	int $0x10
	movw $s_mode, %si
	call puts
	call puthex16
	call crlf

	/* --- INT 11h, INT 12h */
	int $0x11
	movw $s_equip, %si
	call puts
	call puthex16
	int $0x12
	movw $s_basemem, %si
	call puts
	call puthex16
	call crlf

	/* --- INT 13h AH=08h: the geometry we use for CHS below */
	movb $0x08, %ah
	movb boot_drive, %dl
	int $0x13
	SHOW_AH_CF s_params
	movw $s_chs, %si
	call puts
	movw %cx, %ax
	call puthex16
	movb %dh, %al
	call puthex8
	movb $' ', %al
	call putc
	movb %dl, %al
	call puthex8
	call crlf
	/* decode: spt = CL & 3Fh, heads = DH + 1 */
	movb %cl, %al
	andw $0x3F, %ax
	movw %ax, spt
	movzbw %dh, %ax
	incw %ax
	movw %ax, heads

	/* --- AH=15h, AH=41h, AH=48h */
	movb $0x15, %ah
	movb boot_drive, %dl
	int $0x13
	SHOW_AH_CF s_type
	movw $s_size, %si
	call puts
	movw %cx, %ax
	call puthex16
	movw %dx, %ax
	call puthex16
	call crlf
	movb $0x41, %ah
	movw $0x55AA, %bx
	movb boot_drive, %dl
	int $0x13
	SHOW_AH_CF s_edd
	movw $s_bx, %si
	call puts
	movw %bx, %ax
	call puthex16
	movw $s_cx, %si
	call puts
	movw %cx, %ax
	call puthex16
	call crlf
	movw $edd_params, %si
	movw $0x1A, (%si)
	movb $0x48, %ah
	movb boot_drive, %dl
	int $0x13
	SHOW_AH_CF s_edd_params
	movw $edd_params, %si
	movw $5, %cx        /* size+flags, cylinders, heads, spt, sectors (low) */
	xorw %bx, %bx
1:	movb $' ', %al
	call putc
	movl edd_params(%bx), %eax
	call puthex32
	addw $4, %bx
	loop 1b
	call crlf

	/* --- AH=02h: two sectors at LBA 1000 through CHS */
	movl $MARK_CHS, %eax
	call lba_to_chs     /* -> CX, DH */
	movw $0x0202, %ax
	movb boot_drive, %dl
	movw $BUF, %bx
	int $0x13
	SHOW_AH_CF s_chs_read
	call show_al
	call show_buf

	/* --- AH=42h: the marker beyond the CHS range */
	movl $MARK_LBA, %eax
	call dap_setup
	movb $0x42, %ah
	movb boot_drive, %dl
	movw $dap, %si
	int $0x13
	SHOW_AH_CF s_lba_read
	call crlf
	movw $BUF, %si
	call puts
	call crlf

	/* --- AH=43h: write a sector, AH=02h: read it back through CHS */
	movw $BUF, %di
	movw $256, %cx
	xorw %ax, %ax
	rep stosw
	movw $s_written, %si
	movw $BUF, %di
2:	lodsb
	stosb
	testb %al, %al
	jnz 2b
	movl $WRITE_LBA, %eax
	call dap_setup
	movw $1, dap + 2
	movw $0x4300, %ax
	movb boot_drive, %dl
	movw $dap, %si
	int $0x13
	SHOW_AH_CF s_lba_write
	call crlf
	movw $BUF, %di      /* clear the buffer, so the read must fill it */
	movw $256, %cx
	xorw %ax, %ax
	rep stosw
	movl $WRITE_LBA, %eax
	call lba_to_chs
	movw $0x0201, %ax
	movb boot_drive, %dl
	movw $BUF, %bx
	int $0x13
	SHOW_AH_CF s_read_back
	call crlf
	movw $BUF, %si
	call puts
	call crlf

	/* --- errors the guest can cause: answers, not crashes */
	movl $BEYOND_END, %eax
	call dap_setup
	movb $0x42, %ah
	movb boot_drive, %dl
	movw $dap, %si
	int $0x13
	SHOW_AH_CF s_err_end
	movw $s_dap_count, %si
	call puts
	movw dap + 2, %ax
	call puthex16
	call crlf
	movw $0x0201, %ax   /* sector 0 does not exist in CHS */
	movw $0x0000, %cx
	xorb %dh, %dh
	movb boot_drive, %dl
	movw $BUF, %bx
	int $0x13
	SHOW_AH_CF s_err_sector0
	call crlf
	movb $0x08, %ah     /* no slave disk */
	movb $0x81, %dl
	int $0x13
	SHOW_AH_CF s_err_slave
	call crlf
	movb $0x99, %ah     /* no such function */
	movb boot_drive, %dl
	int $0x13
	SHOW_AH_CF s_err_func
	call crlf

	/* --- INT 15h E820: the whole map */
	xorl %ebx, %ebx
3:	movl $0xE820, %eax
	movl $0x534D4150, %edx
	movl $24, %ecx
	movw $e820_buf, %di
	int $0x15
	jc 4f
	pushl %ebx
	movw $s_e820, %si
	call puts
	movl e820_buf + 4, %eax
	call puthex32
	movl e820_buf, %eax
	call puthex32
	movb $' ', %al
	call putc
	movl e820_buf + 12, %eax
	call puthex32
	movl e820_buf + 8, %eax
	call puthex32
	movb $' ', %al
	call putc
	movl e820_buf + 16, %eax
	call puthex8
	movw $s_cx, %si
	call puts
	movb %cl, %al
	call puthex8
	call crlf
	popl %ebx
	testl %ebx, %ebx
	jnz 3b
4:
	/* --- E801h, 88h, A20 */
	movw $0xE801, %ax
	int $0x15
	pushf
	movw %ax, regs
	movw %bx, regs + 2
	movw %cx, regs + 4
	movw %dx, regs + 6
	movw $s_e801, %si
	call puts
	xorw %bx, %bx
7:	movb $' ', %al
	call putc
	movw regs(%bx), %ax
	call puthex16
	addw $2, %bx
	cmpw $8, %bx
	jb 7b
	popf
	call show_cf
	call crlf
	movb $0x88, %ah
	int $0x15
	pushf
	movw $s_88, %si
	call puts
	call puthex16
	popf
	call show_cf
	call crlf
	movw $0x2401, %ax
	int $0x15
	SHOW_AH_CF s_a20_on
	movw $0x2402, %ax
	int $0x15
	movw $s_a20_state, %si
	call puts
	call puthex8
	call crlf

	/* --- INT 1Ah (only success: the values depend on the clock) */
	xorb %ah, %ah
	int $0x1A
	pushf
	movw $s_ticks, %si
	call puts
	popf
	call show_cf
	movb $0x02, %ah
	int $0x1A
	pushf
	movw $s_rtc, %si
	call puts
	popf
	call show_cf
	call crlf

	/* --- INT 16h: no key is waiting */
	movb $0x01, %ah
	int $0x16
	movw $s_kbd_empty, %si
	jz 5f
	movw $s_kbd_key, %si
5:	call puts

	movw $s_done, %si
	call puts
	movb $0x10, %al     /* debug-exit: status (0x10 << 1) | 1 = 33 */
	outb %al, $0xF4
	cli
6:	hlt
	jmp 6b

/* ---- helpers ---------------------------------------------------------------- */

/* " CF=0" / " CF=1" from the flags as they are. */
show_cf:
	pushw %si
	movw $s_cf0, %si
	jnc 1f
	movw $s_cf1, %si
1:	call puts
	popw %si
	ret

show_al:
	pushw %si
	movw $s_al, %si
	call puts
	popw %si
	call puthex8
	call crlf
	ret

/* The strings at the start of the two sectors of BUF. */
show_buf:
	movw $BUF, %si
	call puts
	call crlf
	movw $BUF + 512, %si
	call puts
	call crlf
	ret

/* EAX = LBA -> CX, DH for INT 13h AH=02h (the formula in every boot
 * loader): sector = LBA % spt + 1, head = (LBA / spt) % heads,
 * cylinder = LBA / spt / heads, CL bits 7-6 = cylinder bits 9-8. */
lba_to_chs:
	xorl %edx, %edx
	movzwl spt, %ecx
	divl %ecx
	incw %dx
	movw %dx, %cx       /* CL = sector */
	xorl %edx, %edx
	pushw %cx
	movzwl heads, %ecx
	divl %ecx           /* EAX = cylinder, DX = head */
	popw %cx
	movb %dl, %dh
	movb %al, %ch
	shlb $6, %ah
	orb %ah, %cl
	ret

/* A disk address packet for 2 sectors at EAX to 0000:BUF. */
dap_setup:
	movb $0x10, dap
	movb $0, dap + 1
	movw $2, dap + 2
	movw $BUF, dap + 4
	movw $0, dap + 6
	movl %eax, dap + 8
	movl $0, dap + 12
	ret

	.data
	.balign 4
spt:        .word 0
regs:       .fill 8, 1, 0
heads:      .word 0
dap:        .fill 16, 1, 0
edd_params: .fill 0x1A, 1, 0
	.balign 4
e820_buf:   .fill 24, 1, 0

s_stage2:      .asciz "bootsect: stage 2 loaded\r\n"
s_cursor:      .asciz "int10 cursor="
s_mode:        .asciz " mode="
s_equip:       .asciz "int11 equipment="
s_basemem:     .asciz " int12 base KiB="
s_params:      .asciz "int13/08 params"
s_chs:         .asciz " CX="
s_type:        .asciz "int13/15 type"
s_size:        .asciz " sectors="
s_edd:         .asciz "int13/41 edd"
s_bx:          .asciz " BX="
s_cx:          .asciz " CX="
s_edd_params:  .asciz "int13/48 params"
s_chs_read:    .asciz "int13/02 read LBA 1000 by CHS"
s_al:          .asciz " AL="
s_lba_read:    .asciz "int13/42 read LBA 8100"
s_written:     .asciz "written by bootsect through int13/43"
s_lba_write:   .asciz "int13/43 write LBA 3000"
s_read_back:   .asciz "int13/02 read back"
s_err_end:     .asciz "int13/42 beyond the end"
s_dap_count:   .asciz " count="
s_err_sector0: .asciz "int13/02 sector 0"
s_err_slave:   .asciz "int13/08 drive 81h"
s_err_func:    .asciz "int13/99 unknown"
s_e820:        .asciz "e820 "
s_e801:        .asciz "int15/e801 "
s_88:          .asciz "int15/88 "
s_a20_on:      .asciz "int15/2401 a20 on"
s_a20_state:   .asciz " int15/2402 a20="
s_ticks:       .asciz "int1a/00 ticks"
s_rtc:         .asciz " int1a/02 rtc"
s_kbd_empty:   .asciz "int16/01 no key waiting\r\n"
s_kbd_key:     .asciz "int16/01 a key is waiting\r\n"
s_done:        .asciz "bootsect: done\r\n"
s_ah:          .asciz " AH="
s_cf0:         .asciz " CF=0"
s_cf1:         .asciz " CF=1"
