/*
 * operand.h - inline operand access for the hot instruction handlers: the
 * same answers as opnd_read()/opnd_write()/opnd_read_rmw() of cpu/operand.c
 * (SDM Vol 2 §2.1.5, Appendix A.2), taken from the fields the decoder
 * resolved (struct insn opr/opsz/opreg/opsh/immv) instead of the row's
 * operand descriptors.
 *
 * The generic functions stay the reference: every operand the decoder left
 * OPR_SLOW (segment/control/debug registers, strings, moffs, relative
 * targets, a hand-built struct insn) goes to them, and so does every memory
 * access that misses cpu/mem.h's inline TLB hit path.
 */
#ifndef VMLAB_CPU_OPERAND_H
#define VMLAB_CPU_OPERAND_H

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/mem.h"

/* The effective address of the ModRM memory operand (SDM Vol 1 §3.7.5):
 * base + index * scale + disp (+ next RIP), wrapped to the address size.
 * _at: with the next instruction's RIP given (the threaded routines of
 * cpu/exec_fast.c do not keep c->next_rip up to date). */
static inline u64 insn_ea_at(const struct cpu *c, const struct insn *i, u64 next_rip)
{
	u64 ea = (u64)i->disp;

	if (i->rip_rel)
		ea += next_rip;
	if (i->base >= 0)
		ea += c->gpr[i->base];
	if (i->index >= 0)
		ea += c->gpr[i->index] * i->scale;
	return i->asize == 8 ? ea : ea & mask_of(i->asize);
}

static inline u64 insn_ea_fast(const struct cpu *c, const struct insn *i)
{
	return insn_ea_at(c, i, c->next_rip);
}

/* A general register of 1, 2, 4 or 8 bytes; sh = 8 for AH/CH/DH/BH. */
static inline u64 gpr_load(const struct cpu *c, unsigned r, unsigned sh, unsigned sz)
{
	return (c->gpr[r] >> sh) & mask_of(sz);
}

/* 8- and 16-bit writes merge, a 32-bit write zero-extends (Vol 1 §3.4.1.1). */
static inline void gpr_store(struct cpu *c, unsigned r, unsigned sh, unsigned sz, u64 v)
{
	switch (sz) {
	case 1: c->gpr[r] = (c->gpr[r] & ~(0xffULL << sh)) | ((v & 0xff) << sh); break;
	case 2: c->gpr[r] = (c->gpr[r] & ~0xffffULL) | (v & 0xffff); break;
	case 4: c->gpr[r] = v & 0xffffffff; break;
	default: c->gpr[r] = v; break;
	}
}

static inline u64 opnd_load(struct cpu *c, const struct insn *i, int n)
{
	switch (i->opr[n]) {
	case OPR_GPR: return gpr_load(c, i->opreg[n], i->opsh[n], i->opsz[n]);
	case OPR_MEM: return cpu_read_fast(c, i->seg, insn_ea_fast(c, i), i->opsz[n]);
	case OPR_IMM: return i->immv;
	default: return opnd_read(c, i, n);
	}
}

/* Read a destination with write intent (a read-only page faults as a write). */
static inline u64 opnd_load_rmw(struct cpu *c, const struct insn *i, int n)
{
	switch (i->opr[n]) {
	case OPR_GPR: return gpr_load(c, i->opreg[n], i->opsh[n], i->opsz[n]);
	case OPR_MEM: return cpu_rmw_read_fast(c, i->seg, insn_ea_fast(c, i), i->opsz[n]);
	default: return opnd_read_rmw(c, i, n);
	}
}

static inline void opnd_store(struct cpu *c, const struct insn *i, int n, u64 v)
{
	switch (i->opr[n]) {
	case OPR_GPR: gpr_store(c, i->opreg[n], i->opsh[n], i->opsz[n], v); break;
	case OPR_MEM: cpu_write_fast(c, i->seg, insn_ea_fast(c, i), i->opsz[n], v); break;
	default: opnd_write(c, i, n, v); break;
	}
}

#endif
