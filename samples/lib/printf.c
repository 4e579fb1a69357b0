/*
 * printf.c - a small printf for sample guests (no libc, no floating point).
 *
 * Follows the C11 standard's description of fprintf (7.21.6.1) for the
 * subset we support: flags '-' and '0', a decimal field width, the 'l'
 * length modifier, and the conversions d u x p s c %.  Output goes to
 * the serial port one byte at a time, so nothing is buffered: if the guest
 * dies, everything printed before is already on the wire.
 */
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"

#include <stdint.h>

/* Print the digits of v in base 10 or 16 into a field of `width` bytes. */
static int put_number(uint64_t v, unsigned base, int neg, int width, char pad, int left)
{
	char buf[24];
	int n = 0, len, out = 0;

	do {
		unsigned d = v % base;
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	len = n + neg;

	/* With zero padding the sign comes before the zeros: -0042. */
	if (neg && pad == '0') {
		serial_putc('-');
		out++;
	}
	for (; !left && len < width; len++, out++)
		serial_putc(pad);
	if (neg && pad != '0') {
		serial_putc('-');
		out++;
	}
	while (n) {
		serial_putc(buf[--n]);
		out++;
	}
	for (; left && out < width; out++)
		serial_putc(' ');
	return out;
}

static int put_string(const char *s, int width, int left)
{
	int len = 0, out = 0;

	if (!s)
		s = "(null)";
	while (s[len])
		len++;
	for (; !left && len + out < width; out++)
		serial_putc(' ');
	for (int i = 0; i < len; i++, out++)
		serial_putc(s[i]);
	for (; left && out < width; out++)
		serial_putc(' ');
	return out;
}

int vprintf(const char *fmt, va_list ap)
{
	int out = 0;

	for (; *fmt; fmt++) {
		int width = 0, left = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			serial_putc(*fmt);
			out++;
			continue;
		}
		fmt++;
		/* Flags, then the width, then the length modifier. */
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		if (left)
			pad = ' ';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng = 1;
			fmt++;
		}

		switch (*fmt) {
		case 'd': {
			int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
			/* Negate through unsigned so INT64_MIN does not overflow. */
			uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
			out += put_number(mag, 10, v < 0, width, pad, left);
			break;
		}
		case 'u':
			out += put_number(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned),
					  10, 0, width, pad, left);
			break;
		case 'x':
			out += put_number(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned),
					  16, 0, width, pad, left);
			break;
		case 'p':
			serial_puts("0x");
			out +=
			    2 + put_number((uintptr_t)va_arg(ap, void *), 16, 0, width, pad, left);
			break;
		case 's': out += put_string(va_arg(ap, const char *), width, left); break;
		case 'c':
			serial_putc((char)va_arg(ap, int));
			out++;
			break;
		case '%':
			serial_putc('%');
			out++;
			break;
		case '\0': return out; /* a lone '%' at the end: stop */
		default:
			/* Unknown conversion: show it verbatim so the bug is visible. */
			serial_putc('%');
			serial_putc(*fmt);
			out += 2;
			break;
		}
	}
	return out;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
