/*
 * flags.h - lazy arithmetic flags and condition codes (SDM Vol 1 §3.4.3,
 * Appendix B "EFLAGS condition codes").
 *
 * Flag-setting instructions record (op, size, result, sources) in c->lf
 * instead of computing six flags that are usually overwritten unread; the
 * flags are computed when something reads them (Jcc, PUSHF, ADC ...).
 *
 * Invariant: c->rflags holds every non-arithmetic bit at all times, and the
 * arithmetic bits (CF PF AF ZF SF OF) only when c->lf.op == LAZY_NONE.
 */
#ifndef VMLAB_CPU_FLAGS_H
#define VMLAB_CPU_FLAGS_H

#include "cpu/cpu.h"

enum lazy_op {
	LAZY_NONE, /* flags are in c->rflags */
	LAZY_ADD,  /* res = src1 + src2 */
	LAZY_ADC,  /* res = src1 + src2 + CF(old): CF recomputed from operands */
	LAZY_SUB,  /* res = src1 - src2 (also CMP, NEG with src1 = 0) */
	LAZY_SBB,
	LAZY_LOGIC, /* AND/OR/XOR/TEST: CF = OF = 0, AF undefined (0) */
	LAZY_INC,   /* like ADD with src2 = 1, CF preserved (kept in rflags) */
	LAZY_DEC,
	LAZY_SHL, /* SHL/SAL: src1 = value, src2 = masked count (nonzero) */
	LAZY_SHR, /* SHR: as above */
	LAZY_SAR, /* SAR: as above */
	LAZY_COUNT
};

/* Record a flag-setting result. */
void flags_lazy(struct cpu *c, enum lazy_op op, unsigned size, u64 res, u64 src1, u64 src2);

/* Materialize lazy flags into c->rflags (afterwards lf.op == LAZY_NONE). */
void flags_materialize(struct cpu *c);

/* Set/clear arithmetic flags directly (materializes first); mask of FL_*. */
void flags_write(struct cpu *c, u64 mask, u64 values);

/* ZF, SF and PF of a `size`-byte result (for ops that set flags directly). */
u64 flags_szp(u64 res, unsigned size);

/* The six arithmetic flags (FL_ARITH bits) without materializing. */
u64 flags_get(struct cpu *c);

bool flag_cf(struct cpu *c);
bool flag_zf(struct cpu *c);

/* Evaluate condition code cc (0 = O, 1 = NO, 2 = B ... 15 = NLE / G). */
bool cpu_cond(struct cpu *c, unsigned cc);

/* The parity flag of the low byte (PF = even number of set bits). */
static inline bool parity8(u64 v)
{
	return !__builtin_parity((unsigned)(v & 0xff));
}

#endif
