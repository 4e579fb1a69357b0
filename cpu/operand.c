/*
 * operand.c - operand access for instruction handlers: the size of operand
 * n, the effective address of a memory operand, and read/write of every
 * operand kind of cpu/operands.def (SDM Vol 2 §2.1.5 addressing forms,
 * Vol 1 §3.7 operand addressing, Appendix A.2 operand codes).
 *
 * A handler says "operand 0" and "operand 1" and never cares whether the
 * bytes named a register, memory, an immediate or AL: that is decided here
 * from the row's operand descriptors and the decoded struct insn.
 */
#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/operand.h"
#include "lib/err.h"

#define IMM_SX 1 /* cpu/operands.def: sign-extend the immediate to the operand size */

/* insn_opnd_size_slow() and insn_resolve() live in cpu/decode.c: the
 * decoder is also linked alone (tests/decodecheck.mk). */

static const struct opnd_desc *desc(const struct insn *i, int n)
{
	const struct isa_form *f = &isa_forms[i->form];
	if (n < 0 || n >= f->nopnd)
		panic("%s has no operand %d", f->name, n);
	return &f->opnd[n];
}

/*
 * The effective address (segment offset) of the ModRM memory operand:
 * base + index * scale + disp, wrapped to the address size (SDM Vol 1
 * §3.7.5).  RIP-relative addressing is relative to the NEXT instruction.
 */
u64 insn_ea(struct cpu *c, const struct insn *i)
{
	u64 ea = (u64)i->disp;

	if (i->rip_rel)
		ea += c->next_rip;
	if (i->base >= 0)
		ea += c->gpr[i->base];
	if (i->index >= 0)
		ea += c->gpr[i->index] * i->scale;
	return ea & mask_of(i->asize);
}

/* String operands: X = seg:rSI (DS by default, overridable), Y = ES:rDI. */
static u64 string_off(struct cpu *c, const struct insn *i, int reg)
{
	return c->gpr[reg] & mask_of(i->asize);
}

/* The fixed-register operand sizes may be v/z: resolve like any other. */
static unsigned size_of(const struct insn *i, int n)
{
	return insn_opnd_size_slow(i, n);
}

u64 opnd_read(struct cpu *c, const struct insn *i, int n)
{
	if (i->opr[n] != OPR_SLOW) /* resolved at decode time (operand.h) */
		return opnd_load(c, i, n);
	const struct opnd_desc *o = desc(i, n);
	unsigned sz = size_of(i, n);
	bool rex = i->rex != 0;

	switch (o->kind) {
	case OK_E:
		if (!i->mem)
			return cpu_get_reg(c, i->rm, sz, rex);
		/* fall through */
	case OK_M:
		if (sz == 0 || sz > 8)
			panic("%s: operand %d is not a scalar: use insn_ea()",
			      isa_forms[i->form].name, n);
		return cpu_read(c, i->seg, insn_ea(c, i), sz);
	case OK_G: return cpu_get_reg(c, i->reg, sz, rex);
	case OK_R:
	case OK_Z: return cpu_get_reg(c, i->rm, sz, rex);
	case OK_B: return cpu_get_reg(c, i->vex_vvvv, sz, false);
	case OK_REG: return cpu_get_reg(c, o->reg, sz, rex);
	case OK_I:
		/* i->imm is sign-extended from its encoded width; an "imm8
		 * sign-extended" operand keeps that up to the operand size,
		 * any other immediate is zero-extended (ports, vectors, counts). */
		if (o->reg == IMM_SX)
			return i->imm & mask_of(i->osize);
		return (n == 1 && isa_forms[i->form].opnd[0].kind == OK_I ? i->imm2 : i->imm) &
		       mask_of(sz);
	case OK_J:
		/* The branch target: next RIP + rel, wrapped to the operand size. */
		return (c->next_rip + i->imm) & mask_of(i->osize);
	case OK_A: return i->imm; /* the offset; the selector is i->imm2 */
	case OK_O: return cpu_read(c, i->seg, i->imm & mask_of(i->asize), sz);
	case OK_X: return cpu_read(c, i->seg, string_off(c, i, RSI), sz);
	case OK_Y: return cpu_read(c, SEG_ES, string_off(c, i, RDI), sz);
	case OK_S: return c->seg[i->reg & 7].sel;
	case OK_SEG: return c->seg[o->reg].sel;
	case OK_C:
		switch (i->reg) {
		case 0: return c->cr0;
		case 2: return c->cr2;
		case 3: return c->cr3;
		case 4: return c->cr4;
		case 8: return c->cr8;
		}
		cpu_raise(c, EXC_UD, 0); /* CR1, CR5-7, CR9-15 do not exist */
	case OK_D:
		if ((i->reg & 7) != i->reg)
			cpu_raise(c, EXC_UD, 0); /* DR8-15 do not exist */
		return c->dr[i->reg];
	case OK_ONE: return 1;
	}
	panic("%s: operand %d of kind %d cannot be read", isa_forms[i->form].name, n, o->kind);
}

/* Read with write intent: a fault on a memory operand is a write fault. */
u64 opnd_read_rmw(struct cpu *c, const struct insn *i, int n)
{
	if (i->opr[n] == OPR_GPR || i->opr[n] == OPR_MEM)
		return opnd_load_rmw(c, i, n);
	const struct opnd_desc *o = desc(i, n);
	unsigned sz = size_of(i, n);

	if ((o->kind == OK_E || o->kind == OK_M) && i->mem)
		return cpu_rmw_read(c, i->seg, insn_ea(c, i), sz);
	if (o->kind == OK_O)
		return cpu_rmw_read(c, i->seg, i->imm & mask_of(i->asize), sz);
	if (o->kind == OK_Y)
		return cpu_rmw_read(c, SEG_ES, string_off(c, i, RDI), sz);
	return opnd_read(c, i, n);
}

void opnd_write(struct cpu *c, const struct insn *i, int n, u64 v)
{
	if (i->opr[n] == OPR_GPR || i->opr[n] == OPR_MEM) {
		opnd_store(c, i, n, v);
		return;
	}
	const struct opnd_desc *o = desc(i, n);
	unsigned sz = size_of(i, n);
	bool rex = i->rex != 0;

	switch (o->kind) {
	case OK_E:
		if (!i->mem) {
			cpu_set_reg(c, i->rm, sz, rex, v);
			return;
		}
		/* fall through */
	case OK_M:
		if (sz == 0 || sz > 8)
			panic("%s: operand %d is not a scalar: use insn_ea()",
			      isa_forms[i->form].name, n);
		cpu_write(c, i->seg, insn_ea(c, i), sz, v);
		return;
	case OK_G: cpu_set_reg(c, i->reg, sz, rex, v); return;
	case OK_R:
	case OK_Z: cpu_set_reg(c, i->rm, sz, rex, v); return;
	case OK_B: cpu_set_reg(c, i->vex_vvvv, sz, false, v); return;
	case OK_REG: cpu_set_reg(c, o->reg, sz, rex, v); return;
	case OK_O: cpu_write(c, i->seg, i->imm & mask_of(i->asize), sz, v); return;
	case OK_Y: cpu_write(c, SEG_ES, string_off(c, i, RDI), sz, v); return;
	case OK_X: cpu_write(c, i->seg, string_off(c, i, RSI), sz, v); return;
	default:
		/* Segment, control and debug registers have side effects and
		 * checks (descriptor loads, CR0/CR4 rules): their handlers do
		 * them, never a plain operand write. */
		panic("%s: operand %d of kind %d cannot be written with opnd_write",
		      isa_forms[i->form].name, n, o->kind);
	}
}
