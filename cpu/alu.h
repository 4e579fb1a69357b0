/*
 * alu.h - the size-generic semantics of the integer instructions, shared by
 * the handler files cpu/exec_{alu,shift,muldiv,bit,bcd,mov}.c.
 *
 * These functions know nothing about operands or encodings: they take values
 * and an operand size in bytes (1, 2, 4, 8), return the result and record the
 * flags (lazily where cpu/flags.h has an op for it, directly otherwise).  The
 * handlers fetch operands, call one of these, then write the result back.
 * Keeping the semantics separate lets the unit tests and the differential
 * tester run them against the host CPU without decoding anything.
 *
 * Flags the SDM leaves undefined: each function documents the value it
 * produces; alu_undefined_flags() names them so a tester can mask them.
 */
#ifndef VMLAB_CPU_ALU_H
#define VMLAB_CPU_ALU_H

#include "cpu/cpu.h"

/* The eight classic ALU operations in their ModRM.reg / opcode-bits-5:3
 * order (SDM Vol 2 Appendix A, opcodes 00-3F and group 1). */
enum alu_op { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* a OP b; records the flags.  CMP returns a - b like SUB (caller discards). */
u64 alu_arith(struct cpu *c, enum alu_op op, u64 a, u64 b, unsigned size);
/* The result only (reads CF for ADC/SBB, records nothing). */
u64 alu_arith_result(struct cpu *c, enum alu_op op, u64 a, u64 b, unsigned size);
/* Record the flags of `a OP b = res` (after the result was written). */
void alu_arith_flags(struct cpu *c, enum alu_op op, u64 res, u64 a, u64 b, unsigned size);

/* Group 2 in ModRM.reg order (SDM Vol 2 Table A-6); /6 is an alias of SHL. */
enum shift_op { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* Shift/rotate v by count (masked here to 5 bits, 6 for size 8).  When the
 * masked count is 0 the flags are untouched and v is returned unchanged. */
u64 alu_shift(struct cpu *c, enum shift_op op, u64 v, unsigned count, unsigned size);
/* SHLD (left) / SHRD: shift dst, filling from src (SDM Vol 2 "SHLD"/"SHRD"). */
u64 alu_shxd(struct cpu *c, bool left, u64 dst, u64 src, unsigned count, unsigned size);

/*
 * Multiply: the double-width product of a and b as (hi:lo), both `size` bytes.
 * Flags: CF = OF = "the upper half is significant"; SF ZF AF PF undefined and
 * left unchanged (as AMD does).  For size 1 hi:lo is AH:AL.
 */
void alu_mul(struct cpu *c, bool sign, u64 a, u64 b, unsigned size, u64 *lo, u64 *hi);
/* Divide hi:lo by d: false when the SDM raises #DE (d == 0 or the quotient
 * does not fit), else quotient/remainder.  Flags: undefined, left unchanged. */
bool alu_div(bool sign, u64 lo, u64 hi, u64 d, unsigned size, u64 *quot, u64 *rem);

/* One step of CRC-32C as the CRC32 instruction does it (reflected, no
 * inversion): the CRC of `bytes` bytes of data, least significant first. */
u32 alu_crc32c(u32 crc, u64 data, unsigned bytes);

/* PDEP/PEXT: deposit/extract the bits of src selected by mask (BMI2). */
u64 alu_pdep(u64 src, u64 mask);
u64 alu_pext(u64 src, u64 mask);

/* Arithmetic flags (FL_*) that are undefined after this operation per the SDM;
 * `count` is the masked count for shifts, 0 otherwise.  For the testers. */
enum alu_class {
	ALUC_ARITH,
	ALUC_LOGIC,
	ALUC_SHIFT,
	ALUC_ROTATE,
	ALUC_SHXD,
	ALUC_MUL,
	ALUC_DIV,
	ALUC_BT,
	ALUC_BSF,
	ALUC_CNT,
	ALUC_BCD_ADJ,
	ALUC_AAM,
	ALUC_DAA,
};
u64 alu_undefined_flags(enum alu_class k, unsigned count);

#endif
