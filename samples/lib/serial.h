/*
 * serial.h - polled output on COM1, the 16550 UART at I/O port 0x3F8.
 * serial.c is built twice: 64-bit for the long-mode samples, 32-bit (-m32,
 * lib32.a, samples/lib/rules.mk) for the protected-mode ones, which print
 * with the raw functions of serial_raw.c.
 */
#ifndef SAMPLES_LIB_SERIAL_H
#define SAMPLES_LIB_SERIAL_H

#define COM1_PORT 0x3F8

#ifndef __ASSEMBLER__
#include <stdint.h>

void serial_init(void);
/* Send one byte; '\n' goes out as "\r\n" so terminals start a new line. */
void serial_putc(char c);
void serial_puts(const char *s);

/*
 * serial_raw.c, the raw path: every byte exactly as given ('\n' stays
 * one byte).  The 32-bit samples print with these: their output is
 * compared byte for byte with QEMU's.
 */
void serial_tx(char c);
void serial_write(const char *s);
/* "0x" and the low `digits` hex digits of v, raw. */
void serial_puthex(uint32_t v, int digits);
/* v in decimal, raw. */
void serial_putdec(uint32_t v);
#endif

#endif
