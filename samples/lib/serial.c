/*
 * serial.c - polled driver for the 16550 UART on COM1 (port 0x3F8).
 *
 * Follows the National Semiconductor PC16550D data sheet, "Register
 * Description".  Register offsets from the base port:
 *   +0 THR (write) / RBR (read), or DLL when LCR.DLAB = 1
 *   +1 IER, or DLM when LCR.DLAB = 1
 *   +2 FCR (write) / IIR (read)
 *   +3 LCR   +4 MCR   +5 LSR   +6 MSR   +7 SCR
 * "Polled" means we never take an interrupt: before each byte we read LSR
 * until bit 5 (THRE, transmitter holding register empty) says the UART can
 * accept another byte, then OUT the byte to THR.
 */
#include "samples/lib/serial.h"
#include "samples/lib/io.h"

#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1	 0x03 /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB 0x80 /* divisor latch access bit */
#define LSR_THRE 0x20 /* transmitter holding register empty */

void serial_init(void)
{
	unsigned base = COM1_PORT;

	outb(base + UART_IER, 0x00);	 /* no interrupts: we poll */
	outb(base + UART_LCR, LCR_DLAB); /* next two writes set the divisor */
	outb(base + UART_DLL, 0x01);	 /* 115200 / 1 = 115200 baud */
	outb(base + UART_DLM, 0x00);
	outb(base + UART_LCR, LCR_8N1); /* DLAB off again, 8N1 */
	outb(base + UART_FCR, 0x07);	/* enable and clear both FIFOs */
	outb(base + UART_MCR, 0x03);	/* DTR and RTS: "we are here" */
}

static void uart_tx(char c)
{
	/* Spin until THR is empty.  An emulated UART says so at once. */
	while (!(inb(COM1_PORT + UART_LSR) & LSR_THRE))
		;
	outb(COM1_PORT + UART_THR, (unsigned char)c);
}

void serial_putc(char c)
{
	if (c == '\n')
		uart_tx('\r');
	uart_tx(c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}
