/*
 * keyboard.S - vmlab's BIOS: the keyboard interrupt (IRQ 1, INT 09h) and
 * the keyboard services of INT 16h.
 *
 * The i8042 translates the keyboard's codes to scan code set 1 (POST sets
 * the translate bit of its command byte), so every key press is one "make"
 * byte at port 0x60 and its release the same byte with bit 7 set.  INT 09h
 * turns make codes into (scan code << 8) | ASCII words, following a US
 * layout, and queues them in the 16-word ring buffer of the BDA
 * (0x41E-0x43D, head 0x41A, tail 0x41C, IBM PC/AT layout).  Shift, Ctrl
 * and Alt are tracked in the BDA flags byte 0x417.  Keys without ASCII
 * (function keys, arrows: their 0xE0 prefix is skipped) queue ASCII 0.
 *
 *   INT 16h AH=00h/10h wait for a key: AX = scan << 8 | ASCII
 *           AH=01h/11h peek: ZF = 1 when none, else AX = the key (kept)
 *           AH=02h/12h AL = shift flags
 */
#include "samples/firmware/bios.h"

	.code16
	.text

#define KEYMAP_LEN 0x3A /* scan codes with an ASCII meaning: 0x00-0x39 */

	.globl int09_keyboard
int09_keyboard:
	pushw %ds
	pushw %ax
	pushw %bx
	movw $BDA_SEG, %ax
	movw %ax, %ds
	inb $KBC_DATA, %al
	movb %al, %ah         /* AH = scan code as read */
	andb $0x7F, %al       /* AL = the key */
	/* modifiers: bit 0 right shift, 1 left shift, 2 ctrl, 3 alt */
	movb $0x01, %bl
	cmpb $0x36, %al
	je 5f
	movb $0x02, %bl
	cmpb $0x2A, %al
	je 5f
	movb $0x04, %bl
	cmpb $0x1D, %al
	je 5f
	movb $0x08, %bl
	cmpb $0x38, %al
	je 5f
	testb $0x80, %ah      /* other releases, and the 0xE0/0xE1 prefixes */
	jnz 9f
	/* ASCII from the table, shifted or not; Ctrl makes a control code */
	xorb %bh, %bh
	cmpb $KEYMAP_LEN, %al
	jae 2f
	movb %al, %bl
	testb $0x03, BDA_KB_FLAGS
	jz 1f
	addb $KEYMAP_LEN, %bl
1:	movb %cs:keymap(%bx), %bh
	testb $0x04, BDA_KB_FLAGS
	jz 2f
	andb $0x1F, %bh
2:	movb %bh, %al         /* AX = scan << 8 | ASCII */
	/* queue it unless the ring is full (tail + 2 == head) */
	movw BDA_KB_TAIL, %bx
	pushw %bx
	addw $2, %bx
	cmpw $BDA_KB_BUF_END, %bx
	jb 3f
	movw $BDA_KB_BUF, %bx
3:	cmpw BDA_KB_HEAD, %bx
	popw %bx
	je 9f
	movw %ax, (%bx)
	addw $2, %bx
	cmpw $BDA_KB_BUF_END, %bx
	jb 4f
	movw $BDA_KB_BUF, %bx
4:	movw %bx, BDA_KB_TAIL
	jmp 9f
5:	testb $0x80, %ah      /* a modifier: make sets, break clears */
	jnz 6f
	orb %bl, BDA_KB_FLAGS
	jmp 9f
6:	notb %bl
	andb %bl, BDA_KB_FLAGS
9:	movb $PIC_EOI, %al
	outb %al, $PIC1_CMD
	popw %bx
	popw %ax
	popw %ds
	iret

	.globl int16_keyboard
int16_keyboard:
	BIOS_ENTER
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movb F_AH(%bp), %ah
	andb $0xEF, %ah       /* 10h-12h: the "enhanced" twins */
	cmpb $0x00, %ah
	je k_wait
	cmpb $0x01, %ah
	je k_peek
	cmpb $0x02, %ah
	je k_flags
	jmp bios_iret_ok

k_wait:
	cli
	movw BDA_KB_HEAD, %bx
	cmpw BDA_KB_TAIL, %bx
	jne 1f
	sti                   /* nothing yet: sleep until an interrupt */
	hlt
	jmp k_wait
1:	movw (%bx), %ax
	movw %ax, F_EAX(%bp)
	addw $2, %bx
	cmpw $BDA_KB_BUF_END, %bx
	jb 2f
	movw $BDA_KB_BUF, %bx
2:	movw %bx, BDA_KB_HEAD
	jmp bios_iret_ok

k_peek:
	cli
	movw BDA_KB_HEAD, %bx
	cmpw BDA_KB_TAIL, %bx
	je 1f
	movw (%bx), %ax
	movw %ax, F_EAX(%bp)
	andw $~0x0040, F_FLAGS(%bp) /* ZF = 0: a key is waiting */
	jmp bios_iret_ok
1:	orw $0x0040, F_FLAGS(%bp)   /* ZF = 1: none */
	jmp bios_iret_ok

k_flags:
	movb BDA_KB_FLAGS, %al
	movb %al, F_AL(%bp)
	jmp bios_iret_ok

	.section .rodata
/* Scan code set 1 -> ASCII, US layout: codes 0x00-0x39 plain, then shifted. */
keymap:
	.byte 0, 27
	.ascii "1234567890-="
	.byte 8, 9
	.ascii "qwertyuiop[]"
	.byte 13, 0
	.ascii "asdfghjkl;'`"
	.byte 0
	.ascii "\\zxcvbnm,./"
	.byte 0, '*', 0, ' '
keymap_shift:
	.byte 0, 27
	.ascii "!@#$%^&*()_+"
	.byte 8, 9
	.ascii "QWERTYUIOP{}"
	.byte 13, 0
	.ascii "ASDFGHJKL:\"~"
	.byte 0
	.ascii "|ZXCVBNM<>?"
	.byte 0, '*', 0, ' '
