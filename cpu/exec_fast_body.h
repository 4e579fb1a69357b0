/*
 * exec_fast_body.h - the bodies of the block cache's fast forms, shared by
 * cpu/exec_fast.c (the generic wrappers and the choice of a routine) and
 * cpu/exec_fast_spec.c (the routines specialised by operand kind and size).
 * Semantics: SDM Vol 2 for ADD OR AND SUB XOR CMP TEST, MOV, LEA, Jcc,
 * JMP, CALL, RET, PUSH, POP; JMP and CALL r/m64.  cpu/exec_fast.c says how
 * they stay exact.
 *
 * Every body returns false, having changed nothing, when it cannot finish;
 * the caller then hands the instruction to its generic handler.  Bodies get
 * the fall-through RIP in *nrip and store a branch target there.
 *
 * `thr` (a constant at every use) says where the body runs:
 *   - true: in a threaded chain (cpu/exec_fast.h), where the memory fast
 *     path's per-chain constants are set up (cpu/mem.h mem_chain_host);
 *   - false: called as an insn_handler outside a chain (the block loop, the
 *     tests): the full inline check, mem_fast_host.
 */
#ifndef VMLAB_CPU_EXEC_FAST_BODY_H
#define VMLAB_CPU_EXEC_FAST_BODY_H

#include "cpu/exec_fast.h"

#include "cpu/block_int.h" /* thr_loop: the block's first entry */
#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/operand.h"
#include "cpu/system.h" /* cpu_canonical */

#define FAST_INLINE static inline __attribute__((always_inline))

/* A body cannot finish: nothing has been changed, the caller hands the
 * instruction to the generic handler of its isa.def row. */
#define GENERIC(c, i) return false

/* The host address of a data access that hits the TLB, else NULL. */
FAST_INLINE u8 *fast_host(bool thr, struct cpu *c, enum sreg s, u64 off, unsigned size,
			  unsigned write)
{
	return thr ? mem_chain_host(c, s, off, size, write) : mem_fast_host(c, s, off, size, write);
}

/* gpr_load() knowing that only 8-bit operands may be AH..BH (SDM Vol 1
 * §3.4.1.1): with sz a constant, no shift for the other sizes. */
FAST_INLINE u64 fast_gpr(const struct cpu *c, unsigned r, unsigned sh, unsigned sz)
{
	return sz == 1 ? gpr_load(c, r, sh, 1) : c->gpr[r] & mask_of(sz);
}

/* The 64-bit stack (SDM Vol 1 §6.2).  In a chain the fast path is on only
 * in 64-bit mode (mem_chain_ctx), where the stack size is always 8: an
 * access in any other mode misses and goes to the generic handler. */
FAST_INLINE bool stack64(const struct cpu *c, bool thr)
{
	return thr || c->stack_size == 8;
}

/*
 * The effective address of the memory operand (SDM Vol 2 §2.1.5): any form
 * (EA_ANY, insn_ea_at), or, chosen when the block is built, the commonest
 * one in 64-bit code, [base + disp] with a 64-bit address size (EA_BD).
 */
enum { EA_ANY, EA_BD };

FAST_INLINE u64 ea_of(const struct cpu *c, const struct insn *i, const u64 *nrip, unsigned ea)
{
	return ea == EA_BD ? (u64)i->disp + c->gpr[i->base] : insn_ea_at(c, i, *nrip);
}

/* Operand 1 as an immediate of an sz-byte operation: sign-extended from its
 * own size and masked to sz.  The decoder stores insn.imm already
 * sign-extended from its width (cpu/decode.c), so that is one AND (the
 * fast forms have a single immediate: never ENTER's second). */
FAST_INLINE u64 imm_of(const struct insn *i, unsigned sz)
{
	return i->imm & mask_of(sz);
}

/* Is i's memory operand of the EA_BD form? */
static inline bool ea_is_bd(const struct insn *i)
{
	return i->asize == 8 && !i->rip_rel && i->base >= 0 && i->index < 0;
}

/* The classic ALU operations the fast path knows (ADC/SBB are left to
 * exec_alu.c: they read CF). */
enum fop { F_ADD, F_OR, F_AND, F_SUB, F_XOR, F_CMP, F_TEST };

/*
 * dest(0) OP src(1) with the operands in registers, an immediate, or one
 * memory operand that hits the TLB.  Same formulas as exec_alu.c's
 * alu_binary: the source is sign-extended from its own size (83 /n Ib,
 * 81 /n Iz with REX.W), results and sources are masked to the operand size.
 */
FAST_INLINE bool alu_body(struct cpu *c, const struct insn *i, const u64 *nrip, bool thr,
			  enum fop op, unsigned o0, unsigned o1, unsigned sz, unsigned ea)
{
	bool writes = op != F_CMP && op != F_TEST;
	u64 a, b, r, m = mask_of(sz);
	u8 *h = NULL;

	switch (o1) {
	case OPR_GPR: b = fast_gpr(c, i->opreg[1], i->opsh[1], sz); break;
	case OPR_IMM: b = imm_of(i, sz); break;
	case OPR_MEM:
		h = fast_host(thr, c, i->seg, ea_of(c, i, nrip, ea), sz, 0);
		if (!h)
			GENERIC(c, i);
		b = mem_host_load(h, sz);
		h = NULL;
		break;
	default: GENERIC(c, i);
	}
	if (o0 == OPR_GPR) {
		a = fast_gpr(c, i->opreg[0], i->opsh[0], sz);
	} else {
		h = fast_host(thr, c, i->seg, ea_of(c, i, nrip, ea), sz, writes);
		if (!h)
			GENERIC(c, i);
		a = mem_host_load(h, sz);
	}
	switch (op) {
	case F_ADD: r = (a + b) & m; break;
	case F_OR: r = a | b; break;
	case F_XOR: r = a ^ b; break;
	case F_AND:
	case F_TEST: r = a & b; break;
	default: r = (a - b) & m; break; /* SUB, CMP */
	}
	if (writes) {
		if (h)
			mem_host_store(h, sz, r);
		else
			gpr_store(c, i->opreg[0], i->opsh[0], sz, r);
	}
	flags_record(c,
		     op == F_ADD		  ? LAZY_ADD
		     : op == F_SUB || op == F_CMP ? LAZY_SUB
						  : LAZY_LOGIC,
		     sz, r, a, b);
	return true;
}

#define ALU_BODY(name, op)                                                                         \
	FAST_INLINE bool name##_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)     \
	{                                                                                          \
		return alu_body(c, i, nrip, thr, op, i->opr[0], i->opr[1], i->opsz[0], EA_ANY);    \
	}
ALU_BODY(add, F_ADD)
ALU_BODY(or, F_OR)
ALU_BODY(and, F_AND)
ALU_BODY(sub, F_SUB)
ALU_BODY(xor, F_XOR)
ALU_BODY(cmp, F_CMP)
ALU_BODY(test, F_TEST)

/* MOV dest(0), src(1): exec_mov.c's mov_generic formula. */
FAST_INLINE bool mov_body_k(struct cpu *c, const struct insn *i, const u64 *nrip, bool thr,
			    unsigned o0, unsigned o1, unsigned sz, unsigned ea)
{
	u64 v;
	u8 *h;

	switch (o1) {
	case OPR_GPR: v = fast_gpr(c, i->opreg[1], i->opsh[1], sz); break;
	case OPR_IMM: v = imm_of(i, sz); break;
	case OPR_MEM:
		h = fast_host(thr, c, i->seg, ea_of(c, i, nrip, ea), sz, 0);
		if (!h)
			GENERIC(c, i);
		v = mem_host_load(h, sz);
		break;
	default: GENERIC(c, i);
	}
	if (o0 == OPR_GPR) {
		gpr_store(c, i->opreg[0], i->opsh[0], sz, v);
		return true;
	}
	h = fast_host(thr, c, i->seg, ea_of(c, i, nrip, ea), sz, 1);
	if (!h)
		GENERIC(c, i);
	mem_host_store(h, sz, v);
	return true;
}

FAST_INLINE bool mov_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	return mov_body_k(c, i, nrip, thr, i->opr[0], i->opr[1], i->opsz[0], EA_ANY);
}

/* LEA Gv, M: the offset, truncated to the operand size; no memory access. */
FAST_INLINE bool lea_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	gpr_store(c, i->opreg[0], 0, i->opsz[0], insn_ea_at(c, i, *nrip) & mask_of(i->opsz[0]));
	return true;
}

/* ---- 64-bit mode near branches (exec_branch.c has the general rules) ---- */

/* cpu_canonical() with the common answer first: an address that is
 * canonical for 48 bits is canonical for 57 too (SDM Vol 1 §3.3.7.1). */
FAST_INLINE bool canon_fast(const struct cpu *c, u64 t)
{
	return likely(((t + (1ULL << 47)) >> 48) == 0) || cpu_canonical(c, t);
}

/* Jcc rel8/rel32: the condition is the opcode's low nibble (70+cc, 0F 80+cc);
 * the displacement was sign-extended by the decoder. */
FAST_INLINE bool jcc64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	if (cpu_cond_fast(c, i->opcode & 0xf)) {
		u64 t = *nrip + i->imm;
		if (!canon_fast(c, t))
			GENERIC(c, i);
		*nrip = t;
	}
	return true;
}

FAST_INLINE bool jmp64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	u64 t = *nrip + i->imm;
	if (!canon_fast(c, t))
		GENERIC(c, i);
	*nrip = t;
	return true;
}

/* CALL rel32: push the return address, jump. */
FAST_INLINE bool call64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	u64 t = *nrip + i->imm, sp = c->gpr[RSP] - 8;
	u8 *h;

	if (!stack64(c, thr) || !canon_fast(c, t) || !(h = fast_host(thr, c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, *nrip);
	c->gpr[RSP] = sp;
	*nrip = t;
	return true;
}

/* RET: pop the return address. */
FAST_INLINE bool ret64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	u64 sp = c->gpr[RSP], t;
	u8 *h;

	if (!stack64(c, thr) || !(h = fast_host(thr, c, SEG_SS, sp, 8, 0)))
		GENERIC(c, i);
	t = mem_host_load(h, 8);
	if (!canon_fast(c, t))
		GENERIC(c, i);
	c->gpr[RSP] = sp + 8;
	*nrip = t;
	return true;
}

/* FF /4 JMP r/m64 and FF /2 CALL r/m64 (the operand size is 64 bits in
 * 64-bit mode: F64 rows): the target comes from a register or from memory
 * read with the RSP before any push (`call [rsp]`), and must be canonical
 * (else the generic handler raises #GP(0) before anything changes). */
FAST_INLINE bool ind64_target(struct cpu *c, const struct insn *i, const u64 *nrip, bool thr,
			      u64 *t)
{
	u8 *h;

	if (i->opr[0] == OPR_GPR) {
		*t = c->gpr[i->opreg[0]];
	} else {
		h = fast_host(thr, c, i->seg, insn_ea_at(c, i, *nrip), 8, 0);
		if (!h)
			return false;
		*t = mem_host_load(h, 8);
	}
	return canon_fast(c, *t);
}

FAST_INLINE bool jmpind64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	u64 t;

	if (!ind64_target(c, i, nrip, thr, &t))
		GENERIC(c, i);
	*nrip = t;
	return true;
}

FAST_INLINE bool callind64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	u64 t, sp = c->gpr[RSP] - 8;
	u8 *h;

	if (!stack64(c, thr) || !ind64_target(c, i, nrip, thr, &t) ||
	    !(h = fast_host(thr, c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, *nrip);
	c->gpr[RSP] = sp;
	*nrip = t;
	return true;
}

/* PUSH r64 / POP r64.  POP RSP leaves the popped value in RSP. */
FAST_INLINE bool push64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	u64 sp = c->gpr[RSP] - 8;
	u8 *h;

	if (!stack64(c, thr) || !(h = fast_host(thr, c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, c->gpr[i->opreg[0]]); /* the value before the push */
	c->gpr[RSP] = sp;
	return true;
}

FAST_INLINE bool pop64_body(struct cpu *c, const struct insn *i, u64 *nrip, bool thr)
{
	u64 sp = c->gpr[RSP], v;
	u8 *h;

	if (!stack64(c, thr) || !(h = fast_host(thr, c, SEG_SS, sp, 8, 0)))
		GENERIC(c, i);
	v = mem_host_load(h, 8);
	c->gpr[RSP] = sp + 8;
	c->gpr[i->opreg[0]] = v;
	return true;
}

/* ---- what the wrappers share ------------------------------------------ */

/* Store order matters on the hot path: see block_run.c's exec_block_loop. */
#define HOT __attribute__((optimize("no-tree-slp-vectorize")))

/* Continue with the next instruction of the block, whose address is rip
 * (a tail call: a jump).  Nothing is counted here (exec_fast.h): a fast
 * body can neither fault nor touch a device, invalidated code or the TLB,
 * so nothing can have set bc->exit either -- only the generic routines
 * look at bc->exit. */
FAST_INLINE void thr_next(struct cpu *c, const struct binsn *bi, u64 rip)
{
	bi[1].run(c, bi + 1, rip);
}

/*
 * The taken branch of a self-loop (binsn.self: a relative JMP/Jcc whose
 * target is its own block's first instruction, e.g. the sieve's inner loop
 * `movb $1,(rax) / add rdx,rax / cmp $0xffff,rax / jbe`), issue 9 third
 * round.  The next block is this one, so the chain step's lookup
 * (block_thr_chain: the links, the context) has nothing to find out: the
 * block is valid (an invalidating write goes through a generic routine,
 * which stops the chain), and its context is the chain's (nothing in a
 * chain changes it).  What must not be skipped is kept, in the same order
 * as the chain step: the budget (all of the block must fit, so the count
 * stays exact: cpu/block.h) and the host stack (bc->depth).  When either
 * says no, the terminator runs as usual, finds the same and stops.
 * rip is the target: the block's first instruction.
 */
FAST_INLINE void thr_loop(struct cpu *c, const struct binsn *bi, u64 rip)
{
	struct block_cache *bc = c->bc;
	struct block *b = bi->blk;

	if (unlikely(c->stats.insns + b->n > bc->stop_at || bc->depth <= 1)) {
		thr_next(c, bi, rip); /* the terminator: it stops the chain */
		return;
	}
	bc->depth--; /* counts the entry (exec_thr_sync) */
	c->stats.insns += b->n;
	b->insn[0].run(c, b->insn, rip);
}

/* The fast forms, by the body that runs them. */
enum fast_kind {
	K_NONE,
	K_ADD,
	K_OR,
	K_AND,
	K_SUB,
	K_XOR,
	K_CMP,
	K_TEST,
	K_MOV,
	K_LEA,
	K_JCC64,
	K_JMP64,
	K_CALL64,
	K_RET64,
	K_JMPIND64,
	K_CALLIND64,
	K_PUSH64,
	K_POP64,
	K_COUNT
};

/* exec_fast.c: the fast form of decoded instruction i in code of size
 * code_size (2, 4, 8), K_NONE when it has none. */
enum fast_kind exec_fast_kind(const struct insn *i, unsigned code_size);

/* exec_fast.c: the generic routine, the fallback of every fast one. */
void exec_thr_row(struct cpu *c, const struct binsn *bi, u64 rip);

/* exec_fast_spec.c: the routine specialised for kind k (K_ADD .. K_MOV) of
 * instruction i, or for Jcc64 with its condition, or NULL. */
binsn_fn *exec_fast_spec(enum fast_kind k, const struct insn *i);

#endif
