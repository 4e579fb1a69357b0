/*
 * work.h - the integer workloads of samples/hello, each with a result a
 * mathematician (not our emulator) can vouch for.
 */
#ifndef SAMPLES_HELLO_WORK_H
#define SAMPLES_HELLO_WORK_H

#include <stdint.h>

uint64_t work_primes(unsigned limit);			/* count of primes below limit */
uint64_t work_collatz(unsigned limit, unsigned *steps); /* start < limit with the longest chain */
uint32_t work_crc32(const char *s, uint64_t n);		/* CRC-32/ISO-HDLC */
uint64_t work_mul(unsigned rounds);			/* xorshift64* with MUL high halves */
uint64_t work_div(unsigned rounds);			/* DIV/IDIV, signed and unsigned */
uint64_t work_div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem); /* DIV r/m64 */
uint64_t work_bits(unsigned rounds); /* shifts, rotates, BSF/BSR, BSWAP */
uint64_t work_strings(void);	     /* REP MOVSB/STOSB, REPE CMPSB, REPNE SCASB */
uint64_t work_adc(void);	     /* ADD/ADC carry chain over 256 bits */

#endif
