/*
 * lib.c - the small C library minios needs: memory and string functions
 * (gcc may call memset/memcpy itself, even in freestanding code), a
 * printf, CRC-32 (IEEE 802.3, the reflected polynomial 0xEDB88320), a
 * 64-bit division (no 32-bit libgcc here), panic and the debug-exit port.
 */
#include "samples/minios/kernel.h"

void *memset(void *d, int c, size_t n)
{
	u8 *p = d;
	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *p = d;
	const u8 *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

/* Shift-and-subtract long division: one quotient bit per step. */
u64 udivmod64(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;
	if (!d)
		panic("udivmod64: division by zero");
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

/* ---- printf: %d %u %x %X %s %c %p %%, widths, '0' and '-' flags, 'll' ---- */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, u64 v, unsigned base, int neg, int width, char pad, int left,
		    int upper)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;
	do {
		u64 r;
		v = udivmod64(v, base, &r);
		tmp[n++] = digits[r];
	} while (v);
	if (neg)
		tmp[n++] = '-';
	if (neg && pad == '0') { /* the sign goes before the zeros */
		put(o, '-');
		n--;
		width--;
	}
	int digits_n = n;
	if (!left)
		for (int i = n; i < width; i++)
			put(o, pad);
	while (n)
		put(o, tmp[--n]);
	if (left)
		for (int i = digits_n; i < width; i++)
			put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		int width = 0, left = 0, lng = 0;
		char pad = ' ';
		fmt++;
		if (*fmt == '-') {
			left = 1;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			long long v = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad, left, 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			u64 v = lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
			put_num(&o, v, *fmt == 'u' ? 10 : 16, 0, width, pad, left, *fmt == 'X');
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (u32)va_arg(ap, void *), 16, 0, 8, '0', 0, 0);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = (int)strlen(s);
			if (!left)
				for (int i = n; i < width; i++)
					put(&o, ' ');
			while (*s)
				put(&o, *s++);
			if (left)
				for (int i = n; i < width; i++)
					put(&o, ' ');
			break;
		}
		case 'c': put(&o, (char)va_arg(ap, int)); break;
		case '%': put(&o, '%'); break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
		if (!*fmt)
			break;
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int kprintf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
	return n;
}

void panic(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	cli();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	kprintf("minios: PANIC: %s\n", buf);
	machine_exit(0x7f);
}

/* CRC-32 bit by bit: the check value of "123456789" is 0xCBF43926. */
u32 crc32(const void *p, size_t n)
{
	const u8 *b = p;
	u32 c = 0xFFFFFFFFu;
	while (n--) {
		c ^= *b++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
	}
	return ~c;
}

/* QEMU's isa-debug-exit and vmlab's port 0xF4: status (v << 1) | 1.  On
 * a machine without the device we fall through to a halt. */
void machine_exit(u8 v)
{
	console_flush();
	cli();
	outb(0xF4, v);
	for (;;)
		__asm__ volatile("hlt");
}
