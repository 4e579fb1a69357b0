/*
 * serial.h - polled output on COM1, the 16550 UART at I/O port 0x3F8.
 */
#ifndef SAMPLES_LIB_SERIAL_H
#define SAMPLES_LIB_SERIAL_H

#define COM1_PORT 0x3F8

#ifndef __ASSEMBLER__
void serial_init(void);
/* Send one byte; '\n' goes out as "\r\n" so terminals start a new line. */
void serial_putc(char c);
void serial_puts(const char *s);
#endif

#endif
