/*
 * serial32.S - COM1 output for 32-bit code that runs before we have C:
 * the narrated boot of samples/tour prints with these.
 *
 * The same polled 16550 protocol as serial.c (PC16550D data sheet): wait
 * until LSR bit 5 (THRE) is set, then OUT the byte to THR.  Every routine
 * preserves all general registers (PUSHAL/POPAL), so boot code can print
 * in the middle of a computation.  The macros of samples/lib/say32.h (SAY
 * "text", SAYHEX reg ...) wrap these calls for boot code.
 */
#include "samples/lib/serial.h"

	.section .text.boot32, "ax"
	.code32

/* serial32_init: the same register writes as serial_init() in serial.c */
	.globl serial32_init
serial32_init:
	pushal
	movw $COM1_PORT + 1, %dx
	xorb %al, %al
	outb %al, %dx           /* IER = 0: no interrupts */
	movw $COM1_PORT + 3, %dx
	movb $0x80, %al
	outb %al, %dx           /* LCR.DLAB = 1 */
	movw $COM1_PORT + 0, %dx
	movb $1, %al
	outb %al, %dx           /* DLL = 1: 115200 baud */
	movw $COM1_PORT + 1, %dx
	xorb %al, %al
	outb %al, %dx           /* DLM = 0 */
	movw $COM1_PORT + 3, %dx
	movb $0x03, %al
	outb %al, %dx           /* LCR = 8N1, DLAB = 0 */
	movw $COM1_PORT + 2, %dx
	movb $0x07, %al
	outb %al, %dx           /* FCR: FIFOs on and cleared */
	movw $COM1_PORT + 4, %dx
	movb $0x03, %al
	outb %al, %dx           /* MCR: DTR, RTS */
	popal
	ret

/* serial32_putc: send AL ('\n' as "\r\n") */
	.globl serial32_putc
serial32_putc:
	pushal
	cmpb $'\n', %al
	jne 1f
	movb $'\r', %al
	call tx
	movb $'\n', %al
1:	call tx
	popal
	ret

tx:	movb %al, %ah
	movw $COM1_PORT + 5, %dx /* LSR */
2:	inb %dx, %al
	testb $0x20, %al         /* THRE? */
	jz 2b
	movb %ah, %al
	movw $COM1_PORT, %dx     /* THR */
	outb %al, %dx
	ret

/* serial32_puts: send the NUL-terminated string at ESI */
	.globl serial32_puts
serial32_puts:
	pushal
3:	lodsb
	testb %al, %al
	jz 4f
	call serial32_putc
	jmp 3b
4:	popal
	ret

/* serial32_puthex: send EAX as "0x" and 8 hex digits */
	.globl serial32_puthex
serial32_puthex:
	pushal
	movl %eax, %edx
	call prefix
	call hex8
	popal
	ret

/* serial32_puthex64: send EDX:EAX as "0x" and 16 hex digits */
	.globl serial32_puthex64
serial32_puthex64:
	pushal
	movl %eax, %ebx
	call prefix
	call hex8               /* the high half first */
	movl %ebx, %edx
	call hex8
	popal
	ret

prefix:	movb $'0', %al
	call serial32_putc
	movb $'x', %al
	jmp serial32_putc

/* hex8: send EDX as 8 hex digits, most significant first (clobbers EAX, ECX, EDX) */
hex8:	movl $8, %ecx
5:	roll $4, %edx            /* next nibble into the low 4 bits */
	movb %dl, %al
	andb $0x0F, %al
	addb $'0', %al
	cmpb $'9', %al
	jbe 6f
	addb $'a' - '0' - 10, %al
6:	call serial32_putc
	loop 5b
	ret
