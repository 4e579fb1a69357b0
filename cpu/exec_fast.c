/*
 * exec_fast.c - specialised handlers for the hottest instruction forms,
 * chosen once per decoded instruction when the block cache builds a block
 * (issue 9; the forms and their semantics are those of SDM Vol 2: ADD OR
 * AND SUB XOR CMP TEST, MOV, LEA, Jcc, JMP, CALL, RET, PUSH, POP; JMP and
 * CALL r/m64).
 *
 * Why: the generic handlers (exec_alu.c, exec_mov.c ...) handle every mode,
 * size and fault, so each one is a function with a frame and several calls.
 * A fast handler handles only the common case -- operands in registers or in
 * memory that hits the soft TLB (cpu/mem.h's inline path), 64-bit branches
 * whose target is canonical -- and is a small leaf function.
 *
 * The rule that keeps them correct: a fast handler changes NOTHING until it
 * knows it can finish.  If anything is unusual (a TLB miss, a fault to
 * raise, a page split, MMIO, a 16-bit stack ...) it hands the instruction,
 * untouched, to the form's generic handler (a tail call), which is the
 * reference and does everything from the start.  The plain interpreter
 * (cpu_step) never uses these: the block cache on/off comparison of the
 * guest tests and tests/unit/test_fastpath.c check them against it.
 *
 * Each fast form is written once, as a "body" that returns false (having
 * changed nothing) when it cannot finish, and is wrapped twice:
 *   - as an insn_handler (name_fast), for the block loop's one call per
 *     instruction and for the tests;
 *   - as a threaded routine (name_thr, see exec_fast.h): it executes the
 *     instruction, commits RIP, retires it and tail-calls the next
 *     instruction's routine, so a block runs as a chain of jumps with no
 *     return to a dispatch loop in between (issue 9, third pass).
 * Bodies get the fall-through RIP in *nrip and store a branch target there.
 */
#include "cpu/exec_fast.h"

#include "cpu/block.h"
#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/operand.h"
#include "cpu/system.h" /* cpu_canonical */

#define FAST_INLINE static inline __attribute__((always_inline))

/* A body cannot finish: nothing has been changed, the caller hands the
 * instruction to the generic handler of its isa.def row. */
#define GENERIC(c, i) return false

/* The classic ALU operations the fast path knows (ADC/SBB are left to
 * exec_alu.c: they read CF). */
enum fop { F_ADD, F_OR, F_AND, F_SUB, F_XOR, F_CMP, F_TEST };

/*
 * dest(0) OP src(1) with the operands in registers, an immediate, or one
 * memory operand that hits the TLB.  Same formulas as exec_alu.c's
 * alu_binary: the source is sign-extended from its own size (83 /n Ib,
 * 81 /n Iz with REX.W), results and sources are masked to the operand size.
 */
FAST_INLINE bool alu_body(struct cpu *c, const struct insn *i, const u64 *nrip, enum fop op,
			  unsigned o0, unsigned o1, unsigned sz)
{
	bool writes = op != F_CMP && op != F_TEST;
	u64 a, b, r, m = mask_of(sz);
	u8 *h = NULL;

	switch (o1) {
	case OPR_GPR: b = gpr_load(c, i->opreg[1], i->opsh[1], sz); break;
	case OPR_IMM: b = (u64)sext(i->immv, i->opsz[1]) & m; break;
	case OPR_MEM:
		h = mem_fast_host(c, i->seg, insn_ea_at(c, i, *nrip), sz, 0);
		if (!h)
			GENERIC(c, i);
		b = mem_host_load(h, sz);
		h = NULL;
		break;
	default: GENERIC(c, i);
	}
	if (o0 == OPR_GPR) {
		a = gpr_load(c, i->opreg[0], i->opsh[0], sz);
	} else {
		h = mem_fast_host(c, i->seg, insn_ea_at(c, i, *nrip), sz, writes);
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
	FAST_INLINE bool name##_body(struct cpu *c, const struct insn *i, u64 *nrip)               \
	{                                                                                          \
		return alu_body(c, i, nrip, op, i->opr[0], i->opr[1], i->opsz[0]);                 \
	}
ALU_BODY(add, F_ADD)
ALU_BODY(or, F_OR)
ALU_BODY(and, F_AND)
ALU_BODY(sub, F_SUB)
ALU_BODY(xor, F_XOR)
ALU_BODY(cmp, F_CMP)
ALU_BODY(test, F_TEST)

/* MOV dest(0), src(1): exec_mov.c's mov_generic formula. */
FAST_INLINE bool mov_body_k(struct cpu *c, const struct insn *i, const u64 *nrip, unsigned o0,
			    unsigned o1, unsigned sz)
{
	u64 v;
	u8 *h;

	switch (o1) {
	case OPR_GPR: v = gpr_load(c, i->opreg[1], i->opsh[1], sz); break;
	case OPR_IMM: v = (u64)sext(i->immv, i->opsz[1]) & mask_of(sz); break;
	case OPR_MEM:
		h = mem_fast_host(c, i->seg, insn_ea_at(c, i, *nrip), sz, 0);
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
	h = mem_fast_host(c, i->seg, insn_ea_at(c, i, *nrip), sz, 1);
	if (!h)
		GENERIC(c, i);
	mem_host_store(h, sz, v);
	return true;
}

FAST_INLINE bool mov_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	return mov_body_k(c, i, nrip, i->opr[0], i->opr[1], i->opsz[0]);
}

/* LEA Gv, M: the offset, truncated to the operand size; no memory access. */
FAST_INLINE bool lea_body(struct cpu *c, const struct insn *i, u64 *nrip)
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
FAST_INLINE bool jcc64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	if (cpu_cond_fast(c, i->opcode & 0xf)) {
		u64 t = *nrip + i->imm;
		if (!canon_fast(c, t))
			GENERIC(c, i);
		*nrip = t;
	}
	return true;
}

FAST_INLINE bool jmp64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 t = *nrip + i->imm;
	if (!canon_fast(c, t))
		GENERIC(c, i);
	*nrip = t;
	return true;
}

/* CALL rel32: push the return address, jump. */
FAST_INLINE bool call64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 t = *nrip + i->imm, sp = c->gpr[RSP] - 8;
	u8 *h;

	if (c->stack_size != 8 || !canon_fast(c, t) || !(h = mem_fast_host(c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, *nrip);
	c->gpr[RSP] = sp;
	*nrip = t;
	return true;
}

/* RET: pop the return address. */
FAST_INLINE bool ret64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 sp = c->gpr[RSP], t;
	u8 *h;

	if (c->stack_size != 8 || !(h = mem_fast_host(c, SEG_SS, sp, 8, 0)))
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
FAST_INLINE bool ind64_target(struct cpu *c, const struct insn *i, const u64 *nrip, u64 *t)
{
	u8 *h;

	if (i->opr[0] == OPR_GPR) {
		*t = c->gpr[i->opreg[0]];
	} else {
		h = mem_fast_host(c, i->seg, insn_ea_at(c, i, *nrip), 8, 0);
		if (!h)
			return false;
		*t = mem_host_load(h, 8);
	}
	return canon_fast(c, *t);
}

FAST_INLINE bool jmpind64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 t;

	if (!ind64_target(c, i, nrip, &t))
		GENERIC(c, i);
	*nrip = t;
	return true;
}

FAST_INLINE bool callind64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 t, sp = c->gpr[RSP] - 8;
	u8 *h;

	if (c->stack_size != 8 || !ind64_target(c, i, nrip, &t) ||
	    !(h = mem_fast_host(c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, *nrip);
	c->gpr[RSP] = sp;
	*nrip = t;
	return true;
}

/* PUSH r64 / POP r64.  POP RSP leaves the popped value in RSP. */
FAST_INLINE bool push64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 sp = c->gpr[RSP] - 8;
	u8 *h;

	if (c->stack_size != 8 || !(h = mem_fast_host(c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, c->gpr[i->opreg[0]]); /* the value before the push */
	c->gpr[RSP] = sp;
	return true;
}

FAST_INLINE bool pop64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 sp = c->gpr[RSP], v;
	u8 *h;

	if (c->stack_size != 8 || !(h = mem_fast_host(c, SEG_SS, sp, 8, 0)))
		GENERIC(c, i);
	v = mem_host_load(h, 8);
	c->gpr[RSP] = sp + 8;
	c->gpr[i->opreg[0]] = v;
	return true;
}

/* ---- the two wrappers of every body ----------------------------------- */

/* Store order matters on the hot path: see block_run.c's exec_block_loop. */
#define HOT __attribute__((optimize("no-tree-slp-vectorize")))

/* Continue with the next instruction of the block, whose address is rip
 * (a tail call: a jump).  Nothing is retired here (exec_fast.h): a fast
 * body can neither fault nor touch a device, invalidated code or the TLB,
 * so nothing can have set bc->exit either -- only the generic routines
 * below retire, and look at bc->exit. */
FAST_INLINE void thr_next(struct cpu *c, const struct binsn *bi, u64 rip)
{
	bi[1].run(c, bi + 1, rip);
}

/*
 * The row's generic handler, exactly as cpu_step calls it (its steps 4 and
 * 5): the fallback of every fast routine.  Everything before bi is retired
 * first, so the handler sees the exact instruction count (virtual time)
 * and a fault leaves it exact; RIP is committed for the handler to see.
 */
static HOT void thr_row(struct cpu *c, const struct binsn *bi, u64 rip)
{
	exec_thr_retire(c, bi);
	c->rip = rip;
	c->insn_rip = rip;
	c->next_rip = (rip + bi->i.len) & bi->mask;
	isa_forms[bi->i.form].handler(c, &bi->i);
	rip = c->next_rip;
	c->rip = rip;
	exec_thr_retire(c, bi + 1);
	/* bc->exit: a device access, invalidated code, a TLB flush. */
	if (unlikely(c->bc->exit))
		return;
	thr_next(c, bi, rip);
}

/* The same with the form's CPUID feature checked first. */
static HOT void thr_gated(struct cpu *c, const struct binsn *bi, u64 rip)
{
	exec_thr_retire(c, bi);
	c->rip = rip;
	c->insn_rip = rip;
	c->next_rip = (rip + bi->i.len) & bi->mask;
	if (!cpu_has_feature(c, isa_forms[bi->i.form].feature))
		cpu_raise(c, EXC_UD, 0);
	isa_forms[bi->i.form].handler(c, &bi->i);
	rip = c->next_rip;
	c->rip = rip;
	exec_thr_retire(c, bi + 1);
	if (unlikely(c->bc->exit))
		return;
	thr_next(c, bi, rip);
}

/* The end of a block that returns to its caller: retire, commit RIP. */
void exec_thr_stop(struct cpu *c, const struct binsn *bi, u64 rip)
{
	exec_thr_retire(c, bi);
	c->rip = rip;
}

/*
 * name_fast: the insn_handler (c->next_rip already holds the fall-through).
 * name_thr: the threaded routine; the fast case stores nothing but what the
 * instruction changes and RIP (c->insn_rip and c->next_rip are for
 * handlers, which it does not call); otherwise the generic routine.
 */
#define WRAP(name)                                                                                 \
	static void name##_fast(struct cpu *c, const struct insn *i)                               \
	{                                                                                          \
		u64 n = c->next_rip;                                                               \
		if (!name##_body(c, i, &n)) {                                                      \
			isa_forms[i->form].handler(c, i);                                          \
			return;                                                                    \
		}                                                                                  \
		c->next_rip = n;                                                                   \
	}                                                                                          \
	static HOT void name##_thr(struct cpu *c, const struct binsn *bi, u64 rip)                 \
	{                                                                                          \
		u64 n = (rip + bi->i.len) & bi->mask;                                              \
		if (unlikely(!name##_body(c, &bi->i, &n))) {                                       \
			thr_row(c, bi, rip);                                                       \
			return;                                                                    \
		}                                                                                  \
		thr_next(c, bi, n);                                                                \
	}
WRAP(add)
WRAP(or)
WRAP(and)
WRAP(sub)
WRAP(xor)
WRAP(cmp)
WRAP(test)
WRAP(mov)
WRAP(lea)
WRAP(jcc64)
WRAP(jmp64)
WRAP(call64)
WRAP(ret64)
WRAP(jmpind64)
WRAP(callind64)
WRAP(push64)
WRAP(pop64)

/*
 * Specialised threaded routines: the same bodies with the operand kinds and
 * the operand size as constants, for 8-, 32- and 64-bit operands, so that the
 * compiler drops every switch (mov_thr serves all shapes in ~370 machine
 * instructions; MOV r64, r64 needs a dozen).  Chosen at block build time.
 */
enum shape { S_GG, S_GI, S_GM, S_MG, S_MI, S_COUNT };
static const u8 shape_o0[S_COUNT] = {OPR_GPR, OPR_GPR, OPR_GPR, OPR_MEM, OPR_MEM};
static const u8 shape_o1[S_COUNT] = {OPR_GPR, OPR_IMM, OPR_MEM, OPR_GPR, OPR_IMM};

#define SPEC_ONE(name, call, o0, o1, sz)                                                           \
	static HOT void name(struct cpu *c, const struct binsn *bi, u64 rip)                       \
	{                                                                                          \
		u64 n = (rip + bi->i.len) & bi->mask;                                              \
		if (unlikely(!call(c, &bi->i, &n, o0, o1, sz))) {                                  \
			thr_row(c, bi, rip);                                                       \
			return;                                                                    \
		}                                                                                  \
		thr_next(c, bi, n);                                                                \
	}
#define SPEC_SHAPES(pfx, call, sz, sfx)                                                            \
	SPEC_ONE(pfx##_gg##sfx, call, OPR_GPR, OPR_GPR, sz)                                        \
	SPEC_ONE(pfx##_gi##sfx, call, OPR_GPR, OPR_IMM, sz)                                        \
	SPEC_ONE(pfx##_gm##sfx, call, OPR_GPR, OPR_MEM, sz)                                        \
	SPEC_ONE(pfx##_mg##sfx, call, OPR_MEM, OPR_GPR, sz)                                        \
	SPEC_ONE(pfx##_mi##sfx, call, OPR_MEM, OPR_IMM, sz)
#define SPEC_SIZES(pfx, call)                                                                      \
	SPEC_SHAPES(pfx, call, 1, _8)                                                              \
	SPEC_SHAPES(pfx, call, 4, _32)                                                             \
	SPEC_SHAPES(pfx, call, 8, _64)
#define SPEC_ROW(pfx)                                                                              \
	{                                                                                          \
		{pfx##_gg_8, pfx##_gi_8, pfx##_gm_8, pfx##_mg_8, pfx##_mi_8},                      \
		    {pfx##_gg_32, pfx##_gi_32, pfx##_gm_32, pfx##_mg_32, pfx##_mi_32},             \
		{                                                                                  \
			pfx##_gg_64, pfx##_gi_64, pfx##_gm_64, pfx##_mg_64, pfx##_mi_64            \
		}                                                                                  \
	}

#define ALU_SPEC(name, op)                                                                         \
	FAST_INLINE bool name##_k(struct cpu *c, const struct insn *i, const u64 *nrip,            \
				  unsigned o0, unsigned o1, unsigned sz)                           \
	{                                                                                          \
		return alu_body(c, i, nrip, op, o0, o1, sz);                                       \
	}                                                                                          \
	SPEC_SIZES(name, name##_k)
ALU_SPEC(add, F_ADD)
ALU_SPEC(or, F_OR)
ALU_SPEC(and, F_AND)
ALU_SPEC(sub, F_SUB)
ALU_SPEC(xor, F_XOR)
ALU_SPEC(cmp, F_CMP)
ALU_SPEC(test, F_TEST)
SPEC_SIZES(mov, mov_body_k)

/*
 * Jcc in 64-bit mode, one routine per condition code (the opcode's low
 * nibble, SDM Vol 1 Appendix B), so that cpu_cond_try() folds to a compare
 * or two of the lazy record; a record it does not know goes to jcc64_thr,
 * which asks cpu_cond().
 */
#define JCC_CC(cc)                                                                                 \
	static HOT void jcc64_cc##cc(struct cpu *c, const struct binsn *bi, u64 rip)               \
	{                                                                                          \
		u64 n = rip + bi->i.len, t;                                                        \
		bool taken;                                                                        \
		if (unlikely(!cpu_cond_try(c, cc, &taken))) {                                      \
			jcc64_thr(c, bi, rip);                                                     \
			return;                                                                    \
		}                                                                                  \
		if (taken) {                                                                       \
			t = n + bi->i.imm;                                                         \
			if (unlikely(!canon_fast(c, t))) {                                         \
				thr_row(c, bi, rip);                                               \
				return;                                                            \
			}                                                                          \
			n = t;                                                                     \
		}                                                                                  \
		thr_next(c, bi, n);                                                                \
	}
JCC_CC(0)
JCC_CC(1)
JCC_CC(2)
JCC_CC(3)
JCC_CC(4)
JCC_CC(5)
JCC_CC(6)
JCC_CC(7)
JCC_CC(8)
JCC_CC(9)
JCC_CC(10)
JCC_CC(11)
JCC_CC(12)
JCC_CC(13)
JCC_CC(14)
JCC_CC(15)

static binsn_fn *const jcc_table[16] = {
    jcc64_cc0, jcc64_cc1, jcc64_cc2,  jcc64_cc3,  jcc64_cc4,  jcc64_cc5,  jcc64_cc6,  jcc64_cc7,
    jcc64_cc8, jcc64_cc9, jcc64_cc10, jcc64_cc11, jcc64_cc12, jcc64_cc13, jcc64_cc14, jcc64_cc15,
};

/* [kind - K_ADD][size 1: 0, 4: 1, 8: 2][shape] */
static binsn_fn *const spec_table[8][3][S_COUNT] = {
    SPEC_ROW(add), SPEC_ROW(or),  SPEC_ROW(and),  SPEC_ROW(sub),
    SPEC_ROW(xor), SPEC_ROW(cmp), SPEC_ROW(test), SPEC_ROW(mov),
};

/* ---- choosing ---------------------------------------------------------- */

/* Are operands 0 and 1 of kinds the ALU/MOV fast paths read and write? */
static bool plain_operands(const struct insn *i)
{
	return (i->opr[0] == OPR_GPR || i->opr[0] == OPR_MEM) &&
	       (i->opr[1] == OPR_GPR || i->opr[1] == OPR_IMM || i->opr[1] == OPR_MEM) && !i->lock;
}

/* JMP/CALL r/m64: a 64-bit register or memory operand. */
static bool ind64_ok(const struct insn *i)
{
	return (i->opr[0] == OPR_GPR || i->opr[0] == OPR_MEM) && i->opsz[0] == 8 && !i->lock;
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

static const struct {
	insn_handler *fast;
	binsn_fn *thr;
} fast_table[K_COUNT] = {
#define K(kind, name) [kind] = {name##_fast, name##_thr}
    K(K_ADD, add),
    K(K_OR, or),
    K(K_AND, and),
    K(K_SUB, sub),
    K(K_XOR, xor),
    K(K_CMP, cmp),
    K(K_TEST, test),
    K(K_MOV, mov),
    K(K_LEA, lea),
    K(K_JCC64, jcc64),
    K(K_JMP64, jmp64),
    K(K_CALL64, call64),
    K(K_RET64, ret64),
    K(K_JMPIND64, jmpind64),
    K(K_CALLIND64, callind64),
    K(K_PUSH64, push64),
    K(K_POP64, pop64),
#undef K
};

#define ALU_ROWS(NAME, kind)                                                                       \
	case FORM_##NAME##_EbGb:                                                                   \
	case FORM_##NAME##_EvGv:                                                                   \
	case FORM_##NAME##_GbEb:                                                                   \
	case FORM_##NAME##_GvEv:                                                                   \
	case FORM_##NAME##_ALIb:                                                                   \
	case FORM_##NAME##_rAXIz:                                                                  \
	case FORM_##NAME##_EbIb:                                                                   \
	case FORM_##NAME##_EvIz:                                                                   \
	case FORM_##NAME##_EvIb: return plain_operands(i) ? kind : K_NONE;

static enum fast_kind fast_kind_of(const struct insn *i, unsigned code_size)
{
	bool b64 = code_size == 8;

	switch (i->form) {
		ALU_ROWS(ADD, K_ADD)
		ALU_ROWS(OR, K_OR)
		ALU_ROWS(AND, K_AND)
		ALU_ROWS(SUB, K_SUB)
		ALU_ROWS(XOR, K_XOR)
		ALU_ROWS(CMP, K_CMP)
	case FORM_TEST_EbGb:
	case FORM_TEST_EvGv:
	case FORM_TEST_ALIb:
	case FORM_TEST_rAXIz:
	case FORM_TEST_EbIb:
	case FORM_TEST_EvIz: return plain_operands(i) ? K_TEST : K_NONE;
	case FORM_MOV_EbGb:
	case FORM_MOV_EvGv:
	case FORM_MOV_GbEb:
	case FORM_MOV_GvEv:
	case FORM_MOV_ZbIb:
	case FORM_MOV_ZvIv:
	case FORM_MOV_EbIb:
	case FORM_MOV_EvIz: return plain_operands(i) ? K_MOV : K_NONE;
	case FORM_LEA_GvM: return i->opr[0] == OPR_GPR && i->opsh[0] == 0 ? K_LEA : K_NONE;
	case FORM_JO_Jb ... FORM_JNLE_Jb:
	case FORM_JO_Jz ... FORM_JNLE_Jz: return b64 ? K_JCC64 : K_NONE;
	case FORM_JMP_Jb:
	case FORM_JMP_Jz: return b64 ? K_JMP64 : K_NONE;
	case FORM_CALL_Jz: return b64 ? K_CALL64 : K_NONE;
	case FORM_RET_near: return b64 ? K_RET64 : K_NONE;
	case FORM_JMP_Ev: return b64 && ind64_ok(i) ? K_JMPIND64 : K_NONE;
	case FORM_CALL_Ev: return b64 && ind64_ok(i) ? K_CALLIND64 : K_NONE;
	case FORM_PUSH_Zv: return b64 && i->osize == 8 && i->opr[0] == OPR_GPR ? K_PUSH64 : K_NONE;
	case FORM_POP_Zv: return b64 && i->osize == 8 && i->opr[0] == OPR_GPR ? K_POP64 : K_NONE;
	default: return K_NONE;
	}
}

insn_handler *exec_fast_handler(const struct insn *i, unsigned code_size)
{
	return fast_table[fast_kind_of(i, code_size)].fast;
}

binsn_fn *exec_fast_threaded(const struct insn *i, unsigned code_size, bool gated)
{
	enum fast_kind k = fast_kind_of(i, code_size);

	if (k >= K_ADD && k <= K_MOV && i->opsz[0] != 2 && !gated) {
		int sz = i->opsz[0] == 1 ? 0 : i->opsz[0] == 4 ? 1 : 2;
		for (int sh = 0; sh < S_COUNT; sh++)
			if (i->opr[0] == shape_o0[sh] && i->opr[1] == shape_o1[sh])
				return spec_table[k - K_ADD][sz][sh];
	}
	if (k == K_JCC64 && !gated)
		return jcc_table[i->opcode & 0xf];
	if (k != K_NONE && !gated) /* (no fast form is gated: BASE rows all) */
		return fast_table[k].thr;
	return gated ? thr_gated : thr_row;
}
