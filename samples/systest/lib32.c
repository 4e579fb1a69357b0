/*
 * lib32.c - samples/systest: the serial console and a small printf for the
 * 32-bit test kernel (systest32).
 *
 * samples/lib is built as 64-bit code and its printf divides 64-bit
 * numbers (which a -m32 build would need libgcc for), so the 32-bit kernel
 * carries this 32-bit subset: %s %c %d %u %x with an optional '-', '0' and
 * width.  COM1 is a 16550 (polled, as in samples/lib/serial.c).
 */
#include <stdarg.h>
#include <stdint.h>

#include "samples/lib/exit.h"
#include "samples/lib/io.h"
#include "samples/systest/sys32.h"

#define COM1 0x3F8

void serial_init32(void)
{
	outb(COM1 + 1, 0x00); /* IER: no interrupts, we poll */
	outb(COM1 + 3, 0x80); /* LCR.DLAB: the next two set the divisor */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0x07); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void putc32(char ch)
{
	if (ch == '\n')
		putc32('\r');
	while (!(inb(COM1 + 5) & 0x20)) /* LSR.THRE */
		;
	outb(COM1, (uint8_t)ch);
}

static void pad(int n, char ch)
{
	while (n-- > 0)
		putc32(ch);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	char buf[16];

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int left = 0, width = 0, n = 0;
		char z = ' ';
		const char *s;
		uint32_t v;

		if (*fmt != '%') {
			putc32(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '-')
			left = 1, fmt++;
		if (*fmt == '0')
			z = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 's':
			s = va_arg(ap, const char *);
			while (s[n])
				n++;
			break;
		case 'c':
			buf[0] = (char)va_arg(ap, int);
			s = buf, n = 1;
			break;
		case 'd':
		case 'u':
		case 'x': {
			unsigned base = *fmt == 'x' ? 16 : 10;
			int neg = 0;

			v = va_arg(ap, uint32_t);
			if (*fmt == 'd' && (int32_t)v < 0)
				neg = 1, v = 0 - v;
			do
				buf[15 - n++] = "0123456789abcdef"[v % base];
			while ((v /= base) != 0);
			if (neg)
				buf[15 - n++] = '-';
			s = buf + 16 - n;
			break;
		}
		default: s = fmt, n = 1; break;
		}
		if (!left)
			pad(width - n, z);
		for (int k = 0; k < n; k++)
			putc32(s[k]);
		if (left)
			pad(width - n, ' ');
	}
	va_end(ap);
	return 0;
}

void guest_exit(unsigned v)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)v);
	for (;;)
		__asm__ volatile("cli; hlt");
}
