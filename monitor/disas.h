/*
 * disas.h - disassembly for the monitor with capstone, in the CPU's
 * current code size (16, 32 or 64 bits; SDM Vol 1 §3.6 default operand
 * and address sizes), Intel syntax, with symbol labels for branch targets.
 */
#ifndef VMLAB_MONITOR_DISAS_H
#define VMLAB_MONITOR_DISAS_H

#include "lib/common.h"
#include "lib/err.h"
#include "monitor/symbols.h"

struct disas {
	size_t cs[3]; /* capstone handles for 16-, 32-, 64-bit code; 0 = closed */
	const struct symtab *syms;
};

int disas_open(struct disas *d, const struct symtab *syms, struct err *e);
void disas_close(struct disas *d);

/*
 * Disassemble one instruction of `bits`-bit code at addr from buf[0..len):
 * "mnemonic operands" (plus " <sym+off>" for a direct branch target) into
 * text; returns its length in bytes, 0 when the bytes are not an
 * instruction (text = "(bad)").
 */
unsigned disas_one(struct disas *d, int bits, const u8 *buf, size_t len, u64 addr, char *text,
		   size_t tlen);

#endif
