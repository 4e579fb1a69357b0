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

/* flags_lazy for the hot handlers, inline: any op but LAZY_INC/LAZY_DEC
 * (which must save the old CF first), with res, src1 and src2 already
 * masked to `size` bytes. */
static inline void flags_record(struct cpu *c, enum lazy_op op, unsigned size, u64 res, u64 src1,
				u64 src2)
{
	c->lf.op = op;
	c->lf.size = size;
	c->lf.res = res;
	c->lf.src1 = src1;
	c->lf.src2 = src2;
}

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

/*
 * cpu_cond() with its two commonest cases inline: after CMP/SUB (LAZY_SUB)
 * the orders come straight from the sources, after TEST/AND/OR/XOR
 * (LAZY_SUB's CF = OF = 0 cousin LAZY_LOGIC) from the result's sign and
 * zero.  cpu_cond_try() answers those in *r and returns true; O, S and P
 * conditions and every other record return false (ask cpu_cond()).  With
 * cc a constant the compiler folds the whole test to a compare or two.
 */
static inline __attribute__((always_inline)) bool cpu_cond_try(const struct cpu *c, unsigned cc,
							       bool *r)
{
	unsigned k = cc & 0xe;

	if (c->lf.op == LAZY_SUB && k != 0x0 && k != 0x8 && k != 0xa) {
		u64 a = c->lf.src1, b = c->lf.src2;
		unsigned sh = 64 - c->lf.size * 8;
		s64 sa = (s64)(a << sh), sb = (s64)(b << sh); /* same order as sext */

		switch (k) {
		case 0x2: *r = a < b; break;   /* B: CF */
		case 0x4: *r = a == b; break;  /* Z: ZF */
		case 0x6: *r = a <= b; break;  /* BE: CF | ZF */
		case 0xc: *r = sa < sb; break; /* L: SF != OF */
		default: *r = sa <= sb; break; /* LE: ZF | (SF != OF) */
		}
		*r ^= cc & 1;
		return true;
	}
	if (c->lf.op == LAZY_LOGIC && k != 0xa) {
		u64 res = c->lf.res;
		bool sf = (res >> (c->lf.size * 8 - 1)) & 1;

		switch (k) {
		case 0x0: *r = false; break;	     /* O: OF = 0 */
		case 0x2: *r = false; break;	     /* B: CF = 0 */
		case 0x4: *r = res == 0; break;	     /* Z */
		case 0x6: *r = res == 0; break;	     /* BE: CF | ZF */
		case 0x8: *r = sf; break;	     /* S */
		case 0xc: *r = sf; break;	     /* L: SF != OF(0) */
		default: *r = sf || res == 0; break; /* LE */
		}
		*r ^= cc & 1;
		return true;
	}
	return false;
}

static inline bool cpu_cond_fast(struct cpu *c, unsigned cc)
{
	bool r;

	return cpu_cond_try(c, cc, &r) ? r : cpu_cond(c, cc);
}

/* The parity flag of the low byte (PF = even number of set bits). */
static inline bool parity8(u64 v)
{
	return !__builtin_parity((unsigned)(v & 0xff));
}

#endif
