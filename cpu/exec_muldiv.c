/*
 * exec_muldiv.c - MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV.
 *
 * Follows SDM Vol 2A "MUL", "IMUL", "DIV", "IDIV" and Vol 3 §6.15 "#DE".
 *
 *   MUL/IMUL r/m  (F6/F7 /4 /5)   AX = AL * r/m8;  rDX:rAX = rAX * r/m
 *   IMUL Gv,Ev    (0F AF)         Gv = low half of Gv * Ev
 *   IMUL Gv,Ev,Iz/Ib (69 / 6B)    Gv = low half of Ev * imm (sign-extended)
 *   DIV/IDIV r/m  (F6/F7 /6 /7)   AL,AH = AX / r/m8;  rAX,rDX = rDX:rAX / r/m
 *
 * Flags: after a multiply CF = OF = 1 when the upper half carries information
 * (MUL: it is nonzero; IMUL: it is not just the sign extension of the lower
 * half).  SF ZF AF PF are undefined; we leave them unchanged, as the AMD
 * host does.  After a divide all six are undefined; we leave them unchanged.
 * Divide by zero, and a quotient too big for the destination, raise #DE
 * before any register is written.
 */
#include "cpu/alu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/operand.h"

/* ---- the semantics ------------------------------------------------------- */

void alu_mul(struct cpu *c, bool sign, u64 a, u64 b, unsigned size, u64 *lo, u64 *hi)
{
	unsigned n = size * 8;
	u64 m = mask_of(size);
	u128 p;
	bool wide;

	if (sign)
		p = (u128)((s128)sext(a, size) * (s128)sext(b, size));
	else
		p = (u128)(a & m) * (u128)(b & m);
	*lo = (u64)p & m;
	*hi = (u64)(p >> n) & m;
	if (sign) /* significant unless hi:lo == sign extension of lo */
		wide = (s128)p != (s128)sext(*lo, size);
	else
		wide = *hi != 0;
	flags_write(c, FL_CF | FL_OF, wide ? FL_CF | FL_OF : 0);
}

bool alu_div(bool sign, u64 lo, u64 hi, u64 d, unsigned size, u64 *quot, u64 *rem)
{
	unsigned n = size * 8;
	u64 m = mask_of(size);

	lo &= m;
	hi &= m;
	d &= m;
	if (d == 0)
		return false;
	if (!sign) {
		u128 x = ((u128)hi << n) | lo, q = x / d;
		if (q > m)
			return false;
		*quot = (u64)q;
		*rem = (u64)(x % d);
		return true;
	}
	/* Signed: the 2n-bit dividend hi:lo, sign-extended to 128 bits. */
	s128 x, sd = sext(d, size), q;
	if (size == 8)
		x = (s128)(((u128)hi << 64) | lo);
	else
		x = (s128)(sext((hi << n) | lo, size * 2));
	/* The one C overflow (INT128_MIN / -1) is also an x86 overflow. */
	if (size == 8 && sd == -1 && x == (s128)((u128)1 << 127))
		return false;
	q = x / sd;
	if (q > (s128)(m >> 1) || q < -(s128)(m >> 1) - 1)
		return false;
	*quot = (u64)q & m;
	*rem = (u64)(x % sd) & m;
	return true;
}

/* ---- handlers -------------------------------------------------------------- */

/* One-operand MUL/IMUL: the implicit accumulator times operand 0. */
static void mul_acc(struct cpu *c, const struct insn *i, bool sign)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 b = opnd_load(c, i, 0), lo, hi;
	u64 a = cpu_get_reg(c, RAX, sz, false);

	alu_mul(c, sign, a, b, sz, &lo, &hi);
	if (sz == 1) {
		cpu_set_reg(c, RAX, 2, false, (hi << 8) | lo); /* AX */
	} else {
		cpu_set_reg(c, RAX, sz, false, lo);
		cpu_set_reg(c, RDX, sz, false, hi);
	}
}

void MUL_Eb(struct cpu *c, const struct insn *i)
{
	mul_acc(c, i, false);
}
void MUL_Ev(struct cpu *c, const struct insn *i)
{
	mul_acc(c, i, false);
}
void IMUL_Eb(struct cpu *c, const struct insn *i)
{
	mul_acc(c, i, true);
}
void IMUL_Ev(struct cpu *c, const struct insn *i)
{
	mul_acc(c, i, true);
}

/* Two- and three-operand IMUL: operand 0 = G (destination), operand 1 = E,
 * operand 2 = the immediate when present (sign-extended to the size). */
static void imul_trunc(struct cpu *c, const struct insn *i, int src2)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 a = opnd_load(c, i, 1);
	u64 b = sext(opnd_load(c, i, src2), insn_opnd_size(i, src2));
	u64 lo, hi;

	alu_mul(c, true, a, b, sz, &lo, &hi);
	opnd_store(c, i, 0, lo); /* a register: cannot fault */
}

void IMUL_GvEv(struct cpu *c, const struct insn *i)
{
	imul_trunc(c, i, 0);
}
void IMUL_GvEvIz(struct cpu *c, const struct insn *i)
{
	imul_trunc(c, i, 2);
}
void IMUL_GvEvIb(struct cpu *c, const struct insn *i)
{
	imul_trunc(c, i, 2);
}

/* DIV/IDIV: operand 0 is the divisor. */
static void div_acc(struct cpu *c, const struct insn *i, bool sign)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 d = opnd_load(c, i, 0), lo, hi, q, r;

	if (sz == 1) {
		u64 ax = cpu_get_reg(c, RAX, 2, false);
		lo = ax & 0xff;
		hi = ax >> 8;
	} else {
		lo = cpu_get_reg(c, RAX, sz, false);
		hi = cpu_get_reg(c, RDX, sz, false);
	}
	if (!alu_div(sign, lo, hi, d, sz, &q, &r))
		cpu_raise(c, EXC_DE, 0);
	if (sz == 1) {
		cpu_set_reg(c, RAX, 2, false, (r << 8) | q); /* AH = rem, AL = quot */
	} else {
		cpu_set_reg(c, RAX, sz, false, q);
		cpu_set_reg(c, RDX, sz, false, r);
	}
}

void DIV_Eb(struct cpu *c, const struct insn *i)
{
	div_acc(c, i, false);
}
void DIV_Ev(struct cpu *c, const struct insn *i)
{
	div_acc(c, i, false);
}
void IDIV_Eb(struct cpu *c, const struct insn *i)
{
	div_acc(c, i, true);
}
void IDIV_Ev(struct cpu *c, const struct insn *i)
{
	div_acc(c, i, true);
}
