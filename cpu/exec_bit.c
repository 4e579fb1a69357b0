/*
 * exec_bit.c - single bits and bit counts: BT BTS BTR BTC, BSF BSR, TZCNT
 * LZCNT POPCNT, and the VEX-encoded BMI1/BMI2 group (ANDN BEXTR BLSI BLSMSK
 * BLSR BZHI MULX PDEP PEXT RORX SARX SHLX SHRX).
 *
 * Follows SDM Vol 2A/2B pages of each mnemonic and Vol 1 §3.4.3.
 *
 * The surprise of this file is BT* with a REGISTER bit offset and a MEMORY
 * operand (SDM "BT", "bit string" addressing, Vol 1 §3.1.1.9): the offset is
 * a signed number of bits that may lie far outside the operand -- from -2^63
 * to 2^63-1 -- so the instruction addresses the operand-sized word at
 *     EA + (offset >> log2(bits)) * (bits / 8)      (arithmetic shift)
 * and tests bit (offset & (bits - 1)) there.  With an immediate offset, or a
 * register operand, the offset is just taken modulo the operand size.
 *
 * Undefined flags follow the AMD host where we could observe them (checked in
 * tests/unit/test_flags.c); each place says what it does.
 */
#include "cpu/alu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/operand.h"
#include "cpu/mem.h"

/* ---- BT BTS BTR BTC ------------------------------------------------------ */

enum bt_op { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

static void bt(struct cpu *c, const struct insn *i, enum bt_op op, bool imm)
{
	unsigned sz = insn_opnd_size(i, 0), bits = sz * 8;
	u64 off = opnd_load(c, i, 1), v, nv, bit;
	u64 addr = 0;

	if (imm || !i->mem) {
		/* Offset modulo the operand size; the operand itself. */
		bit = off & (bits - 1);
		v = op == BT_TEST ? opnd_load(c, i, 0) : opnd_load_rmw(c, i, 0);
	} else {
		/* Register offset into a memory bit string: signed, unbounded. */
		s64 soff = sext(off, sz);
		bit = (u64)soff & (bits - 1);
		addr = (insn_ea_fast(c, i) + (u64)((soff >> __builtin_ctz(bits)) * (s64)sz)) &
		       mask_of(i->asize);
		v = op == BT_TEST ? cpu_read(c, i->seg, addr, sz)
				  : cpu_rmw_read(c, i->seg, addr, sz);
	}

	switch (op) {
	case BT_SET: nv = v | (1ULL << bit); break;
	case BT_RESET: nv = v & ~(1ULL << bit); break;
	case BT_COMPLEMENT: nv = v ^ (1ULL << bit); break;
	default: nv = v; break;
	}
	if (op != BT_TEST) {
		if (imm || !i->mem)
			opnd_store(c, i, 0, nv);
		else
			cpu_write(c, i->seg, addr, sz, nv);
	}
	/* CF = the old bit.  ZF unaffected; OF SF AF PF undefined: unchanged
	 * (Intel and AMD both leave them). */
	flags_write(c, FL_CF, (v >> bit) & 1 ? FL_CF : 0);
}

void BT_EvGv(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_TEST, false);
}
void BTS_EvGv(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_SET, false);
}
void BTR_EvGv(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_RESET, false);
}
void BTC_EvGv(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_COMPLEMENT, false);
}
void BT_EvIb(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_TEST, true);
}
void BTS_EvIb(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_SET, true);
}
void BTR_EvIb(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_RESET, true);
}
void BTC_EvIb(struct cpu *c, const struct insn *i)
{
	bt(c, i, BT_COMPLEMENT, true);
}

/* ---- bit scans and counts ------------------------------------------------ */

/*
 * BSF/BSR Gv,Ev: index of the lowest/highest set bit.  Source 0: ZF = 1 and
 * the destination is left unchanged (not even zero-extended); the SDM says
 * "undefined" but Intel and AMD both leave it, and software relies on it.
 * Other flags undefined: we produce CF = OF = SF = AF = 0 and PF from the
 * result (what the AMD host does).
 */
static void bsx(struct cpu *c, const struct insn *i, bool rev)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 s = opnd_load(c, i, 1) & mask_of(sz), r;

	if (s == 0) {
		flags_write(c, FL_ARITH, FL_ZF | FL_PF);
		return;
	}
	r = rev ? 63 - (u64)__builtin_clzll(s) : (u64)__builtin_ctzll(s);
	opnd_store(c, i, 0, r);
	flags_write(c, FL_ARITH, parity8(r) ? FL_PF : 0);
}
void BSF_GvEv(struct cpu *c, const struct insn *i)
{
	bsx(c, i, false);
}
void BSR_GvEv(struct cpu *c, const struct insn *i)
{
	bsx(c, i, true);
}

/* TZCNT/LZCNT Gv,Ev (F3 0F BC/BD): count of trailing/leading zeros; the
 * operand size when the source is 0.  CF = (source == 0), ZF = (result ==
 * 0); OF SF PF AF undefined: as the AMD host, SF AF PF are cleared and OF
 * is left unchanged. */
static void xzcnt(struct cpu *c, const struct insn *i, bool lead)
{
	unsigned sz = insn_opnd_size(i, 0), bits = sz * 8;
	u64 s = opnd_load(c, i, 1) & mask_of(sz), r;

	if (s == 0)
		r = bits;
	else if (lead)
		r = (u64)__builtin_clzll(s) - (64 - bits);
	else
		r = (u64)__builtin_ctzll(s);
	opnd_store(c, i, 0, r);
	flags_write(c, FL_ARITH & ~(u64)FL_OF, (s == 0 ? FL_CF : 0) | (r == 0 ? FL_ZF : 0));
}
void TZCNT_GvEv(struct cpu *c, const struct insn *i)
{
	xzcnt(c, i, false);
}
void LZCNT_GvEv(struct cpu *c, const struct insn *i)
{
	xzcnt(c, i, true);
}

/* POPCNT Gv,Ev (F3 0F B8): ZF = (source == 0); OF SF AF CF PF cleared. */
void POPCNT_GvEv(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 s = opnd_load(c, i, 1) & mask_of(sz);
	opnd_store(c, i, 0, (u64)__builtin_popcountll(s));
	flags_write(c, FL_ARITH, s == 0 ? FL_ZF : 0);
}

/* ---- BMI1 / BMI2 (VEX-encoded, operand size y = 32 or 64 by VEX.W) ----- */

/* Flags of the BMI logic group: ZF SF from the result, OF = 0, CF given;
 * AF PF undefined: as the AMD host, AF = 0 and PF from the result. */
static void bmi_flags(struct cpu *c, u64 r, unsigned sz, bool cf)
{
	flags_write(c, FL_ARITH, flags_szp(r, sz) | (cf ? FL_CF : 0));
}

/* ANDN Gy,By,Ey: Gy = ~By & Ey. */
void ANDN_GyByEy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 r = ~opnd_load(c, i, 1) & opnd_load(c, i, 2) & mask_of(sz);
	opnd_store(c, i, 0, r);
	bmi_flags(c, r, sz, false);
}

/* BLSR By,Ey: reset the lowest set bit.  CF = (source == 0). */
void BLSR_ByEy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 s = opnd_load(c, i, 1) & mask_of(sz), r = s & (s - 1);
	opnd_store(c, i, 0, r);
	bmi_flags(c, r, sz, s == 0);
}

/* BLSMSK By,Ey: mask up to and including the lowest set bit. CF = (s == 0). */
void BLSMSK_ByEy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 s = opnd_load(c, i, 1) & mask_of(sz), r = (s ^ (s - 1)) & mask_of(sz);
	opnd_store(c, i, 0, r);
	bmi_flags(c, r, sz, s == 0);
}

/* BLSI By,Ey: isolate the lowest set bit.  CF = (source != 0). */
void BLSI_ByEy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 s = opnd_load(c, i, 1) & mask_of(sz), r = s & (0 - s);
	opnd_store(c, i, 0, r);
	bmi_flags(c, r, sz, s != 0);
}

/* BEXTR Gy,Ey,By: bits [start, start+len) of Ey, start = By[7:0], len =
 * By[15:8], both clipped to the operand size.  ZF from the result, CF = OF
 * = 0; SF AF PF undefined: as the AMD host, SF PF from the result, AF = 1. */
void BEXTR_GyEyBy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0), bits = sz * 8;
	u64 s = opnd_load(c, i, 1) & mask_of(sz), ctl = opnd_load(c, i, 2);
	unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
	u64 r = 0;

	if (start < bits) {
		r = s >> start;
		if (len < 64)
			r &= (1ULL << len) - 1;
	}
	opnd_store(c, i, 0, r);
	flags_write(c, FL_ARITH, flags_szp(r, sz) | FL_AF);
}

/* BZHI Gy,Ey,By: zero the bits from index n = By[7:0] up.  CF = (n > bits-1),
 * in which case the source is copied unchanged.  ZF SF from the result. */
void BZHI_GyEyBy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0), bits = sz * 8;
	u64 s = opnd_load(c, i, 1) & mask_of(sz);
	unsigned n = opnd_load(c, i, 2) & 0xff;
	u64 r = n < bits ? s & ((1ULL << n) - 1) : s;
	opnd_store(c, i, 0, r);
	bmi_flags(c, r, sz, n > bits - 1);
}

/* PDEP Gy,By,Ey: deposit the low bits of By at the set positions of the
 * mask Ey.  PEXT: gather the bits of By at the mask's positions to the low
 * end.  No flags. */
u64 alu_pdep(u64 src, u64 mask)
{
	u64 r = 0;
	for (u64 b = 1; mask; b <<= 1, mask &= mask - 1)
		if (src & b)
			r |= mask & (0 - mask); /* the lowest remaining mask bit */
	return r;
}
u64 alu_pext(u64 src, u64 mask)
{
	u64 r = 0;
	for (u64 b = 1; mask; b <<= 1, mask &= mask - 1)
		if (src & mask & (0 - mask))
			r |= b;
	return r;
}
void PDEP_GyByEy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	opnd_store(c, i, 0, alu_pdep(opnd_load(c, i, 1), opnd_load(c, i, 2) & mask_of(sz)));
}
void PEXT_GyByEy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	opnd_store(c, i, 0, alu_pext(opnd_load(c, i, 1), opnd_load(c, i, 2) & mask_of(sz)));
}

/* MULX Gy,By,Ey: unsigned rDX * Ey; By = low half, Gy = high half (written
 * last, so it wins when Gy and By name the same register).  No flags. */
void MULX_GyByEy(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0), n = sz * 8;
	u64 s = opnd_load(c, i, 2) & mask_of(sz);
	u128 p = (u128)cpu_get_reg(c, RDX, sz, false) * s;
	opnd_store(c, i, 1, (u64)p & mask_of(sz));
	opnd_store(c, i, 0, (u64)(p >> n) & mask_of(sz));
}

/* SHLX/SARX/SHRX Gy,Ey,By: shifts by By (masked to 5/6 bits), no flags.
 * RORX Gy,Ey,Ib: rotate right by the immediate, no flags. */
static void shiftx(struct cpu *c, const struct insn *i, int kind)
{
	unsigned sz = insn_opnd_size(i, 0), bits = sz * 8;
	u64 s = opnd_load(c, i, 1) & mask_of(sz), r;
	unsigned n = opnd_load(c, i, 2) & (bits - 1);

	switch (kind) {
	case 0: r = s << n; break;			   /* SHLX */
	case 1: r = (u64)(sext(s, sz) >> n); break;	   /* SARX */
	case 2: r = s >> n; break;			   /* SHRX */
	default: r = n ? (s >> n) | (s << (bits - n)) : s; /* RORX */
	}
	opnd_store(c, i, 0, r & mask_of(sz));
}
void SHLX_GyEyBy(struct cpu *c, const struct insn *i)
{
	shiftx(c, i, 0);
}
void SARX_GyEyBy(struct cpu *c, const struct insn *i)
{
	shiftx(c, i, 1);
}
void SHRX_GyEyBy(struct cpu *c, const struct insn *i)
{
	shiftx(c, i, 2);
}
void RORX_GyEyIb(struct cpu *c, const struct insn *i)
{
	shiftx(c, i, 3);
}
