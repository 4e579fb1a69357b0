/*
 * printf.h - printf-lite for sample guests, printing to COM1.
 */
#ifndef SAMPLES_LIB_PRINTF_H
#define SAMPLES_LIB_PRINTF_H

#include <stdarg.h>

/*
 * Conversions: %s %c %d %u %x %ld %lu %lx %p %%, with an optional '0' flag
 * and a field width (e.g. %08x, %016lx, %-12s).  No floating point: samples
 * are built with -mgeneral-regs-only.
 */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
