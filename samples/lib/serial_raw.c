/*
 * serial_raw.c - COM1 output byte for byte, for the 32-bit protected-mode
 * samples (pm32.h): no "\r\n" for '\n' as serial_putc() sends, because
 * their output is compared byte for byte with QEMU's and with what they
 * printed before they shared this library (tests/suites/trap.sh).
 *
 * The same polled 16550 protocol as serial.c (PC16550D data sheet): wait
 * until LSR (base + 5) bit 5, THRE, says the transmitter holding register
 * is empty, then OUT the byte to THR (base + 0).  A separate file so that
 * the 64-bit samples, which link serial.o whole, keep their layout.
 */
#include "samples/lib/io.h"
#include "samples/lib/serial.h"

void serial_tx(char c)
{
	while (!(inb(COM1_PORT + 5) & 0x20)) /* LSR.THRE */
		;
	outb(COM1_PORT, (uint8_t)c);
}

void serial_write(const char *s)
{
	while (*s)
		serial_tx(*s++);
}

void serial_puthex(uint32_t v, int digits)
{
	serial_write("0x");
	for (int k = (digits - 1) * 4; k >= 0; k -= 4)
		serial_tx("0123456789abcdef"[(v >> k) & 15]);
}

void serial_putdec(uint32_t v)
{
	char b[12]; /* 4294967295: 10 digits */
	int k = 0;

	do
		b[k++] = (char)('0' + v % 10);
	while (v /= 10);
	while (k)
		serial_tx(b[--k]);
}
