/*
 * exec_bcd.c - the decimal-arithmetic adjustments DAA DAS AAA AAS AAM AAD
 * (all invalid in 64-bit mode; the decoder gives #UD there).
 *
 * Follows the pseudo-code of SDM Vol 2A "DAA", "DAS", "AAA", "AAS", "AAM",
 * "AAD" step by step, and Vol 1 §4.7 (BCD integers).
 *
 * Packed BCD keeps two decimal digits per byte (0x42 is 42); unpacked BCD one
 * digit per byte.  After a binary ADD/SUB of BCD values these instructions
 * repair AL (and AH) using CF and AF -- AF being the carry out of the low
 * nibble, which exists in RFLAGS precisely for this purpose.
 *
 * Flags the SDM leaves undefined (OF after DAA/DAS; OF SF ZF PF after
 * AAA/AAS; OF AF CF after AAM/AAD) cannot be compared with the 64-bit host
 * (the instructions do not exist there); our choices are documented at each
 * function and follow what is reported for Intel processors: the status flags
 * are those of the 8-bit addition/subtraction the adjustment performs.
 */
#include "cpu/alu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/operand.h"

static inline u64 al(struct cpu *c)
{
	return cpu_get_reg(c, RAX, 1, false);
}
static inline u64 ah(struct cpu *c)
{
	return cpu_get_reg(c, 4, 1, false); /* reg 4 without REX = AH */
}

/* DAA (27): decimal adjust AL after addition.  OF: overflow of the
 * correction added to AL (undefined in the SDM). */
void DAA(struct cpu *c, const struct insn *i)
{
	u64 f = cpu_rflags(c);
	u64 old_al = al(c), a = old_al, nf = 0;
	bool old_cf = f & FL_CF;

	if ((a & 0xf) > 9 || (f & FL_AF)) {
		a += 6;
		if (old_cf || a > 0xff)
			nf |= FL_CF;
		nf |= FL_AF;
	}
	if (old_al > 0x99 || old_cf) {
		a += 0x60;
		nf |= FL_CF;
	} else {
		nf &= ~(u64)FL_CF; /* "ELSE CF <- 0" */
	}
	a &= 0xff;
	nf |= flags_szp(a, 1);
	if ((~old_al & a) & 0x80) /* positive + positive correction = negative */
		nf |= FL_OF;
	cpu_set_reg(c, RAX, 1, false, a);
	flags_write(c, FL_ARITH, nf);
}

/* DAS (2F): decimal adjust AL after subtraction.  Note the SDM's DAS has no
 * "ELSE CF <- 0" in its second step, unlike DAA.  OF: overflow of the
 * subtraction of the correction (undefined in the SDM). */
void DAS(struct cpu *c, const struct insn *i)
{
	u64 f = cpu_rflags(c);
	u64 old_al = al(c), a = old_al, nf = 0;
	bool old_cf = f & FL_CF;

	if ((a & 0xf) > 9 || (f & FL_AF)) {
		if (old_cf || a < 6)
			nf |= FL_CF;
		a -= 6;
		nf |= FL_AF;
	}
	if (old_al > 0x99 || old_cf) {
		a -= 0x60;
		nf |= FL_CF;
	}
	a &= 0xff;
	nf |= flags_szp(a, 1);
	if ((old_al & ~a) & 0x80) /* negative - positive correction = positive */
		nf |= FL_OF;
	cpu_set_reg(c, RAX, 1, false, a);
	flags_write(c, FL_ARITH, nf);
}

/* AAA (37) / AAS (3F): ASCII adjust after addition/subtraction (unpacked
 * BCD).  The SDM's current pseudo-code adds 0x106 to AX as a whole (so a
 * carry out of AL reaches AH); AAS subtracts 6 from AX and 1 from AH.
 * Undefined OF SF ZF PF: from the final AL, OF = 0. */
static void aaa_aas(struct cpu *c, bool sub)
{
	u64 f = cpu_rflags(c);
	u64 ax = cpu_get_reg(c, RAX, 2, false), nf = 0;

	if ((ax & 0xf) > 9 || (f & FL_AF)) {
		if (sub) {
			/* AX <- AX - 6 (a borrow out of AL reaches AH);
			 * AH <- AH - 1. */
			ax = (ax - 6) & 0xffff;
			ax = (ax & 0xff) | ((((ax >> 8) - 1) & 0xff) << 8);
		} else {
			ax += 0x106;
		}
		nf = FL_AF | FL_CF;
	}
	ax &= 0xff0f; /* AL <- AL AND 0FH */
	cpu_set_reg(c, RAX, 2, false, ax);
	flags_write(c, FL_ARITH, nf | flags_szp(ax & 0xff, 1));
}
void AAA(struct cpu *c, const struct insn *i)
{
	aaa_aas(c, false);
}
void AAS(struct cpu *c, const struct insn *i)
{
	aaa_aas(c, true);
}

/* AAM Ib (D4 ib; ib = 10 normally): AH = AL / ib, AL = AL mod ib.  A zero
 * divisor raises #DE.  SF ZF PF from AL; undefined OF AF CF: cleared. */
void AAM_Ib(struct cpu *c, const struct insn *i)
{
	u64 base = opnd_load(c, i, 0) & 0xff, a = al(c);

	if (base == 0)
		cpu_raise(c, EXC_DE, 0);
	cpu_set_reg(c, RAX, 2, false, ((a / base) << 8) | (a % base));
	flags_write(c, FL_ARITH, flags_szp(a % base, 1));
}

/* AAD Ib (D5 ib): AL = (AL + AH * ib) & 0xFF, AH = 0 -- the inverse of AAM,
 * done before a DIV.  SF ZF PF from AL; undefined OF AF CF: those of the
 * 8-bit addition AL + (AH * ib). */
void AAD_Ib(struct cpu *c, const struct insn *i)
{
	u64 base = opnd_load(c, i, 0) & 0xff;
	u64 prod = (ah(c) * base) & 0xff, a = al(c);
	u64 r = (a + prod) & 0xff;

	cpu_set_reg(c, RAX, 2, false, r);
	flags_lazy(c, LAZY_ADD, 1, r, a, prod);
}
