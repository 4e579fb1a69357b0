/*
 * video.S - vmlab's BIOS, INT 10h video services on the 80x25 colour text
 * screen (VGA text memory at B800:0000, CRTC index/data at 0x3D4/0x3D5),
 * plus the BIOS's own printing helpers.
 *
 * Register conventions are the IBM PC/AT BIOS's (Ralf Brown's Interrupt
 * List, INT 10h).  Only page 0 exists.  The teletype function (AH = 0Eh)
 * also sends every byte to COM1, so a machine without a display (QEMU
 * -display none, vmlab in a terminal) shows what a boot sector prints.
 *
 * The cursor lives in the BDA (0x450: column, 0x451: row) and in CRTC
 * registers 0x0E/0x0F (cursor location high/low, in cells from the start
 * of the screen), which the VGA device shows (VGA spec, CRTC registers).
 *
 *   AH=00h set mode (text modes only: clears the screen)
 *   AH=01h set cursor shape     AH=02h set cursor     AH=03h get cursor
 *   AH=06h/07h scroll window up/down                  AH=08h read char+attr
 *   AH=09h write char+attr CX times                   AH=0Ah write char CX times
 *   AH=0Eh teletype             AH=0Fh get mode
 */
#include "samples/firmware/bios.h"

	.code16
	.text

#define VGA_SEG 0xB800
#define COLS    80
#define ROWS    25
#define BLANK   0x0720 /* a space, light grey on black */

	.globl int10_video
int10_video:
	BIOS_ENTER
	cld
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movw $VGA_SEG, %ax
	movw %ax, %es
	movb F_AH(%bp), %ah
	cmpb $0x0E, %ah
	je v_teletype
	cmpb $0x00, %ah
	je v_set_mode
	cmpb $0x01, %ah
	je v_set_shape
	cmpb $0x02, %ah
	je v_set_cursor
	cmpb $0x03, %ah
	je v_get_cursor
	cmpb $0x06, %ah
	je v_scroll_up
	cmpb $0x07, %ah
	je v_scroll_down
	cmpb $0x08, %ah
	je v_read_char
	cmpb $0x09, %ah
	je v_write_attr
	cmpb $0x0A, %ah
	je v_write_char
	cmpb $0x0F, %ah
	je v_get_mode
	jmp bios_iret_ok /* unknown functions do nothing, as on most BIOSes */

v_teletype:
	movb F_AL(%bp), %al
	call tty_out
	jmp bios_iret_ok

v_set_mode:
	movb F_AL(%bp), %al
	andb $0x7F, %al
	movb %al, BDA_VMODE
	call video_clear
	jmp bios_iret_ok

v_set_shape:
	movw F_ECX(%bp), %cx
	xchgb %ch, %cl
	movw %cx, BDA_CURSOR_SHAPE /* byte 0x60 end line, 0x61 start line */
	movw $CRTC_ADDR, %dx
	movb $0x0A, %al
	movb %cl, %ah /* start line */
	outw %ax, %dx
	movb $0x0B, %al
	movb %ch, %ah /* end line */
	outw %ax, %dx
	jmp bios_iret_ok

v_set_cursor:
	cmpb $0, F_BH(%bp)
	jne bios_iret_ok /* only page 0 */
	movw F_EDX(%bp), %dx
	movw %dx, BDA_CURSOR
	call cursor_sync
	jmp bios_iret_ok

v_get_cursor:
	movw BDA_CURSOR, %dx
	movw %dx, F_EDX(%bp)
	movw BDA_CURSOR_SHAPE, %cx
	xchgb %ch, %cl
	movw %cx, F_ECX(%bp)
	jmp bios_iret_ok

/* Scroll the window (CH,CL)-(DH,DL) by AL lines (0: clear it), filling
 * with attribute BH.  Up: rows move towards the top. */
v_scroll_up:
	movw $COLS * 2, %si /* source row is below the destination */
	movb F_CH(%bp), %bl /* first destination row */
	movb $1, %bh        /* row step */
	jmp v_scroll
v_scroll_down:
	movw $-COLS * 2, %si
	movb F_DH(%bp), %bl
	movb $-1, %bh
v_scroll:
	/* locals below the frame: -2 height, -4 width, -6 lines, -8 the byte
	 * distance from a destination row to its source row */
	subw $8, %sp
	movb F_DH(%bp), %al
	subb F_CH(%bp), %al
	incb %al
	movzbw %al, %ax
	movw %ax, -2(%bp)
	movb F_DL(%bp), %al
	subb F_CL(%bp), %al
	incb %al
	movzbw %al, %ax
	movw %ax, -4(%bp)
	/* AL = 0 or more lines than the window has: blank the whole window */
	movzbw F_AL(%bp), %ax
	testw %ax, %ax
	jz 1f
	cmpw -2(%bp), %ax
	jbe 2f
1:	movw -2(%bp), %ax
2:	movw %ax, -6(%bp)
	imulw %si, %ax
	movw %ax, -8(%bp)
	xorw %cx, %cx       /* CX = rows done; BL = current row */
3:	cmpw -2(%bp), %cx
	jae 9f
	movzbw %bl, %ax
	movw $COLS * 2, %dx
	mulw %dx
	movzbw F_CL(%bp), %di
	shlw $1, %di
	addw %ax, %di       /* DI = cell (row BL, left column of the window) */
	pushw %cx
	movw -2(%bp), %ax
	subw -6(%bp), %ax   /* rows that receive a copy: height - lines */
	cmpw %ax, %cx
	movw -4(%bp), %cx
	jae 4f
	pushw %ds           /* copy the row `lines` away, inside VGA memory */
	pushw %es
	popw %ds
	movw %di, %si
	addw -8(%bp), %si
	rep movsw
	popw %ds
	jmp 5f
4:	movb F_BH(%bp), %ah /* blank it with the caller's attribute */
	movb $' ', %al
	rep stosw
5:	popw %cx
	addb %bh, %bl
	incw %cx
	jmp 3b
9:	addw $8, %sp
	jmp bios_iret_ok

v_read_char:
	call cursor_offset
	movw %es:(%di), %ax
	movw %ax, F_EAX(%bp)
	jmp bios_iret_ok

v_write_attr:
	call cursor_offset
	movb F_AL(%bp), %al
	movb F_BL(%bp), %ah
	movw F_ECX(%bp), %cx
	rep stosw
	jmp bios_iret_ok

v_write_char:
	call cursor_offset
	movw F_ECX(%bp), %cx
	movb F_AL(%bp), %al
	jcxz 2f
1:	stosb
	incw %di
	loop 1b
2:	jmp bios_iret_ok

v_get_mode:
	movb BDA_VMODE, %al
	movb $COLS, %ah
	movw %ax, F_EAX(%bp)
	movb $0, F_BH(%bp)
	jmp bios_iret_ok

/* DI = offset of the cursor cell (DS = BDA). */
cursor_offset:
	movb BDA_CURSOR + 1, %al
	movb $COLS, %ah
	mulb %ah
	movzbw BDA_CURSOR, %di
	addw %ax, %di
	shlw $1, %di
	ret

/* Write the BDA cursor to CRTC registers 0x0E/0x0F (DS = BDA). */
cursor_sync:
	pushw %ax
	pushw %bx
	pushw %dx
	call cursor_offset
	movw %di, %bx
	shrw $1, %bx
	movw $CRTC_ADDR, %dx
	movb $0x0E, %al
	movb %bh, %ah
	outw %ax, %dx
	movb $0x0F, %al
	movb %bl, %ah
	outw %ax, %dx
	popw %dx
	popw %bx
	popw %ax
	ret

/* Blank the screen and home the cursor (DS = BDA, ES = VGA). */
video_clear:
	xorw %di, %di
	movw $BLANK, %ax
	movw $COLS * ROWS, %cx
	rep stosw
	movw $0, BDA_CURSOR
	call cursor_sync
	ret

/*
 * The teletype: AL to COM1 and to the screen at the cursor.  CR homes the
 * column, LF moves down a row, BS moves left, BEL is not drawn; a write in
 * the last column wraps, and moving below the last row scrolls the screen
 * up one line.  DS = BDA, ES = VGA.
 */
tty_out:
	pushw %cx
	pushw %dx
	pushw %di
	pushw %si
	call serial_out
	movw BDA_CURSOR, %dx /* DL column, DH row */
	cmpb $'\r', %al
	je 1f
	cmpb $'\n', %al
	je 2f
	cmpb $'\b', %al
	je 3f
	cmpb $7, %al
	je 9f
	call cursor_offset
	stosb                /* the character; the attribute stays */
	incb %dl
	cmpb $COLS, %dl
	jb 8f
1:	xorb %dl, %dl
	jmp 8f
2:	incb %dh
	jmp 8f
3:	testb %dl, %dl
	jz 8f
	decb %dl
8:	cmpb $ROWS, %dh
	jb 7f
	/* scroll: rows 1..24 up to 0..23, blank row 24 */
	pushw %ds
	pushw %es
	popw %ds
	xorw %di, %di
	movw $COLS * 2, %si
	movw $COLS * (ROWS - 1), %cx
	rep movsw
	movw $BLANK, %ax
	movw $COLS, %cx
	rep stosw
	popw %ds
	movb $ROWS - 1, %dh
7:	movw %dx, BDA_CURSOR
	call cursor_sync
9:	popw %si
	popw %di
	popw %dx
	popw %cx
	ret

/* AL to COM1 once the transmitter holding register is empty (LSR bit 5);
 * bounded, so a missing UART cannot hang the BIOS. */
serial_out:
	pushw %ax
	pushw %cx
	pushw %dx
	movb %al, %ah
	movw $COM1 + 5, %dx
	movw $0xFFFF, %cx
1:	inb %dx, %al
	testb $0x20, %al
	jnz 2f
	loop 1b
2:	movw $COM1, %dx
	movb %ah, %al
	outb %al, %dx
	popw %dx
	popw %cx
	popw %ax
	ret

/* POST: mode 3 in the BDA, blank screen, cursor home. */
	.globl video_init
video_init:
	pushw %ds
	pushw %es
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movw $VGA_SEG, %ax
	movw %ax, %es
	movb $3, BDA_VMODE
	movw $COLS, BDA_VCOLS
	movw $0x1000, BDA_VPAGE_SIZE
	movw $CRTC_ADDR, BDA_CRTC_BASE
	movb $ROWS - 1, BDA_VROWS
	movw $0x0607, BDA_CURSOR_SHAPE /* start line 6, end line 7 */
	call video_clear
	popw %es
	popw %ds
	ret

/* ---- printing helpers for the BIOS itself (through INT 10h) ------------- */

/* Print AL. */
	.globl bios_putc
bios_putc:
	pushw %ax
	pushw %bx
	movb $0x0E, %ah
	xorw %bx, %bx
	int $0x10
	popw %bx
	popw %ax
	ret

/* Print the NUL-terminated string at CS:SI. */
	.globl bios_puts
bios_puts:
	pushw %ax
	pushw %si
1:	movb %cs:(%si), %al
	testb %al, %al
	jz 2f
	call bios_putc
	incw %si
	jmp 1b
2:	popw %si
	popw %ax
	ret

/* Print EAX in decimal. */
	.globl bios_putdec
bios_putdec:
	pushal
	movl $10, %ebx
	xorw %cx, %cx
1:	xorl %edx, %edx
	divl %ebx
	pushw %dx
	incw %cx
	testl %eax, %eax
	jnz 1b
2:	popw %ax
	addb $'0', %al
	call bios_putc
	loop 2b
	popal
	ret
