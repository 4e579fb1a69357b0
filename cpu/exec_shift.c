/*
 * exec_shift.c - shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR (group 2:
 * C0/C1 by Ib, D0/D1 by 1, D2/D3 by CL) and the double shifts SHLD/SHRD.
 *
 * Follows SDM Vol 2B "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD".
 *
 * The surprises, all from the SDM's pseudo-code:
 *   - The count is masked to 5 bits (6 bits with a 64-bit operand) BEFORE
 *     anything else; a masked count of 0 changes nothing, not even flags.
 *   - 8- and 16-bit shifts may therefore shift by up to 31: the value simply
 *     becomes 0 (or all sign bits for SAR).
 *   - RCL/RCR rotate size+1 bits (the operand and CF), so 8/16-bit counts are
 *     taken modulo 9/17.  ROL/ROR take the count modulo the size, but still
 *     update CF whenever the masked count is nonzero.
 *   - OF is defined for a count of 1 only.  For larger counts we apply the
 *     count-1 formula expressed on the result (MSB(res) XOR CF for left
 *     shifts/rotates, XOR of the two top result bits for right ones), which
 *     is what the hardware does (checked against the host in test_flags.c).
 *   - AF after a shift is undefined: AMD sets it to 1, we do the same.
 */
#include "cpu/alu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/operand.h"

/* Bit `n` of v as 0/1. */
static inline unsigned bit(u128 v, unsigned n)
{
	return (unsigned)(v >> n) & 1;
}

/* Set CF and OF, leave SF ZF AF PF (rotates touch only these two). */
static void set_cf_of(struct cpu *c, bool cf, bool of)
{
	flags_write(c, FL_CF | FL_OF, (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

u64 alu_shift(struct cpu *c, enum shift_op op, u64 v, unsigned count, unsigned size)
{
	unsigned n = size * 8;
	u64 m = mask_of(size);
	unsigned cnt = count & (size == 8 ? 63 : 31);
	u64 r;

	v &= m;
	if (cnt == 0)
		return v;

	switch (op) {
	case SH_SHL:
	case SH_SAL:
		r = (v << cnt) & m; /* cnt <= 63: defined in C */
		flags_lazy(c, LAZY_SHL, size, r, v, cnt);
		return r;
	case SH_SHR:
		r = v >> cnt;
		flags_lazy(c, LAZY_SHR, size, r, v, cnt);
		return r;
	case SH_SAR:
		r = (u64)(sext(v, size) >> cnt) & m;
		flags_lazy(c, LAZY_SAR, size, r, v, cnt);
		return r;
	case SH_ROL: {
		unsigned t = cnt % n;
		r = t ? ((v << t) | (v >> (n - t))) & m : v;
		/* CF = the bit that went round to bit 0; OF = MSB(res) ^ CF. */
		set_cf_of(c, r & 1, bit(r, n - 1) ^ (r & 1));
		return r;
	}
	case SH_ROR: {
		unsigned t = cnt % n;
		r = t ? ((v >> t) | (v << (n - t))) & m : v;
		/* CF = the bit that went round to the MSB; OF = MSB ^ MSB-1. */
		set_cf_of(c, bit(r, n - 1), bit(r, n - 1) ^ bit(r, n - 2));
		return r;
	}
	case SH_RCL:
	case SH_RCR: {
		/* Rotate the (n+1)-bit value CF:v.  u128 holds 65 bits. */
		unsigned t = size <= 2 ? cnt % (n + 1) : cnt;
		u128 x = ((u128)flag_cf(c) << n) | v;
		u128 xm = ((u128)1 << (n + 1)) - 1;
		if (t) {
			if (op == SH_RCL)
				x = ((x << t) | (x >> (n + 1 - t))) & xm;
			else
				x = ((x >> t) | (x << (n + 1 - t))) & xm;
		}
		r = (u64)x & m;
		if (op == SH_RCL)
			set_cf_of(c, bit(x, n), bit(r, n - 1) ^ bit(x, n));
		else
			set_cf_of(c, bit(x, n), bit(r, n - 1) ^ bit(r, n - 2));
		return r;
	}
	}
	return v;
}

/*
 * SHLD dst, src, count: dst shifted left, vacated bits filled from the top of
 * src.  SHRD: dst shifted right, filled from the bottom of src.
 *
 * A 16-bit operand with a count of 17..31 is "undefined" in the SDM.  Intel
 * processors since the P6 behave as if shifting the 48-bit value
 * dst:src:dst (SHLD) or dst:src:dst read downwards (SHRD); AMD matches, so
 * we model exactly that (and it gives the right answer for counts <= 16 too).
 */
u64 alu_shxd(struct cpu *c, bool left, u64 dst, u64 src, unsigned count, unsigned size)
{
	unsigned n = size * 8;
	u64 m = mask_of(size), r, f;
	unsigned cnt = count & (size == 8 ? 63 : 31);
	bool cf;

	dst &= m;
	src &= m;
	if (cnt == 0)
		return dst;

	if (size == 2) {
		u64 y = (dst << 32) | (src << 16) | dst;
		if (left) {
			r = (y >> (32 - cnt)) & m;
			cf = bit(y, 48 - cnt);
		} else {
			r = (y >> cnt) & m;
			cf = bit(y, cnt - 1);
		}
	} else {
		/* The 2n-bit concatenation dst:src (SHLD) or src:dst (SHRD). */
		u128 y = left ? ((u128)dst << n) | src : ((u128)src << n) | dst;
		if (left) {
			r = (u64)(y >> (n - cnt)) & m;
			cf = bit(y, 2 * n - cnt);
		} else {
			r = (u64)(y >> cnt) & m;
			cf = bit(y, cnt - 1);
		}
	}
	/* SF ZF PF from the result, CF the last bit out, AF = 1 (undefined).
	 * OF is defined for count 1 only ("the sign changed"); as for SHL/SHR
	 * we express it on the result so that it extends to every count the way
	 * the hardware does: SHLD MSB(res) ^ CF, SHRD MSB(res) ^ MSB-1(res). */
	f = flags_szp(r, size) | FL_AF | (cf ? FL_CF : 0);
	if (left ? bit(r, n - 1) != cf : bit(r, n - 1) != bit(r, n - 2))
		f |= FL_OF;
	flags_write(c, FL_ARITH, f);
	return r;
}

/* ---- handlers -------------------------------------------------------------- */

/*
 * Write a result whose flags the semantics already recorded: the write may
 * still fault (a page split), and a faulting instruction must leave RFLAGS
 * untouched, so the old flag state is put back around the write.
 */
static void write_keep_flags(struct cpu *c, const struct insn *i, u64 r,
			     const struct lazy_flags *old_lf, u64 old_rflags)
{
	struct lazy_flags new_lf = c->lf;
	u64 new_rflags = c->rflags;

	c->lf = *old_lf;
	c->rflags = old_rflags;
	opnd_store(c, i, 0, r);
	c->lf = new_lf;
	c->rflags = new_rflags;
}

/* Group 2: operand 0 is the destination, operand 1 the count (Ib, 1 or CL);
 * the handler name selects the operation. */
static void shift_group2(struct cpu *c, const struct insn *i, enum shift_op op)
{
	unsigned sz = insn_opnd_size(i, 0);
	unsigned cnt = (unsigned)opnd_load(c, i, 1);
	u64 v = opnd_load_rmw(c, i, 0);
	struct lazy_flags lf = c->lf;
	u64 fl = c->rflags;

	if ((cnt & (sz == 8 ? 63 : 31)) == 0) {
		/* Flags untouched, value unchanged - but a 32-bit register is still
		 * written, so its upper half is zeroed (the host CPU does this;
		 * found by the differential tester). */
		if (!i->mem && sz == 4)
			opnd_store(c, i, 0, v);
		return;
	}
	write_keep_flags(c, i, alu_shift(c, op, v, cnt, sz), &lf, fl);
}

#define SHIFT_FORMS(NAME, OP)                                                                      \
	void NAME##_EbIb(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		shift_group2(c, i, OP);                                                            \
	}                                                                                          \
	void NAME##_EvIb(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		shift_group2(c, i, OP);                                                            \
	}                                                                                          \
	void NAME##_Eb1(struct cpu *c, const struct insn *i)                                       \
	{                                                                                          \
		shift_group2(c, i, OP);                                                            \
	}                                                                                          \
	void NAME##_Ev1(struct cpu *c, const struct insn *i)                                       \
	{                                                                                          \
		shift_group2(c, i, OP);                                                            \
	}                                                                                          \
	void NAME##_EbCL(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		shift_group2(c, i, OP);                                                            \
	}                                                                                          \
	void NAME##_EvCL(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		shift_group2(c, i, OP);                                                            \
	}

SHIFT_FORMS(ROL, SH_ROL)
SHIFT_FORMS(ROR, SH_ROR)
SHIFT_FORMS(RCL, SH_RCL)
SHIFT_FORMS(RCR, SH_RCR)
SHIFT_FORMS(SHL, SH_SHL)
SHIFT_FORMS(SHR, SH_SHR)
SHIFT_FORMS(SAL, SH_SAL)
SHIFT_FORMS(SAR, SH_SAR)

/* SHLD/SHRD Ev, Gv, Ib|CL (0F A4/A5, 0F AC/AD): operand 2 is the count. */
static void shift_double(struct cpu *c, const struct insn *i, bool left)
{
	unsigned sz = insn_opnd_size(i, 0);
	unsigned cnt = (unsigned)opnd_load(c, i, 2);
	u64 src = opnd_load(c, i, 1);
	u64 dst = opnd_load_rmw(c, i, 0);
	struct lazy_flags lf = c->lf;
	u64 fl = c->rflags;

	if ((cnt & (sz == 8 ? 63 : 31)) == 0) {
		if (!i->mem && sz == 4)
			opnd_store(c, i, 0, dst); /* zero-extends, as for shifts */
		return;
	}
	write_keep_flags(c, i, alu_shxd(c, left, dst, src, cnt, sz), &lf, fl);
}

void SHLD_EvGvIb(struct cpu *c, const struct insn *i)
{
	shift_double(c, i, true);
}
void SHLD_EvGvCL(struct cpu *c, const struct insn *i)
{
	shift_double(c, i, true);
}
void SHRD_EvGvIb(struct cpu *c, const struct insn *i)
{
	shift_double(c, i, false);
}
void SHRD_EvGvCL(struct cpu *c, const struct insn *i)
{
	shift_double(c, i, false);
}
