/*
 * io.h - x86 port I/O for sample guests: IN and OUT as inline functions.
 *
 * Follows Intel SDM Vol. 2A "IN - Input from Port" and Vol. 2B "OUT - Output
 * to Port".  The port number goes in DX (or an 8-bit immediate when it is
 * below 256: the "N" constraint lets gcc pick that form), the data in
 * AL/AX/EAX.  At CPL 0 these never fault; the I/O permission bitmap only
 * matters when CPL > IOPL.
 */
#ifndef SAMPLES_LIB_IO_H
#define SAMPLES_LIB_IO_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
