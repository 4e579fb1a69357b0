/*
 * string.c - memset, memcpy, memcmp and strlen for sample guests.
 *
 * Even with -ffreestanding, gcc may emit calls to memset/memcpy/memcmp for
 * struct copies and zeroing (the C standard lets a freestanding compiler
 * assume they exist), so every sample links these.  They are deliberately
 * the plain byte loops: the samples that want to exercise the x86 string
 * instructions (REP MOVSB ...) do so explicitly with inline assembly.
 */
#include "samples/lib/string.h"

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
