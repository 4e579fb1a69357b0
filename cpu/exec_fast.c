/*
 * exec_fast.c - specialised handlers for the hottest instruction forms,
 * chosen once per decoded instruction when the block cache builds a block
 * (issue 9; the forms and their semantics are those of SDM Vol 2: ADD OR
 * AND SUB XOR CMP TEST, MOV, LEA, Jcc, JMP, CALL, RET, PUSH, POP).
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

/* Jcc rel8/rel32: the condition is the opcode's low nibble (70+cc, 0F 80+cc);
 * the displacement was sign-extended by the decoder. */
FAST_INLINE bool jcc64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	if (cpu_cond_fast(c, i->opcode & 0xf)) {
		u64 t = *nrip + i->imm;
		if (!cpu_canonical(c, t))
			GENERIC(c, i);
		*nrip = t;
	}
	return true;
}

FAST_INLINE bool jmp64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 t = *nrip + i->imm;
	if (!cpu_canonical(c, t))
		GENERIC(c, i);
	*nrip = t;
	return true;
}

/* CALL rel32: push the return address, jump. */
FAST_INLINE bool call64_body(struct cpu *c, const struct insn *i, u64 *nrip)
{
	u64 t = *nrip + i->imm, sp = c->gpr[RSP] - 8;
	u8 *h;

	if (c->stack_size != 8 || !cpu_canonical(c, t) || !(h = mem_fast_host(c, SEG_SS, sp, 8, 1)))
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
	if (!cpu_canonical(c, t))
		GENERIC(c, i);
	c->gpr[RSP] = sp + 8;
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

/* Store order matters on the hot path: see block.c's block_exec. */
#define HOT __attribute__((optimize("no-tree-slp-vectorize")))

/* Retire the instruction bi and continue with the next one of the block:
 * cpu_step's step 5 (RF needs no clearing: block_exec runs the threaded
 * chain only when RF is clear, and nothing in a block sets it).  bc->exit
 * (an invalidation, MMIO, a TLB flush ...) stops the chain here. */
FAST_INLINE void thr_next(struct cpu *c, const struct binsn *bi, u64 rip)
{
	c->rip = rip;
	c->stats.insns++;
	if (c->retired)
		(*c->retired)++;
	if (unlikely(c->bc->exit))
		return;
	bi[1].run(c, bi + 1); /* a tail call: a jump */
}

/* The row's generic handler, exactly as the block loop calls it (cpu_step's
 * steps 4 and 5): the fallback of every fast routine. */
static HOT void thr_row(struct cpu *c, const struct binsn *bi)
{
	u64 rip = c->rip;

	c->insn_rip = rip;
	c->next_rip = (rip + bi->i.len) & bi->mask;
	isa_forms[bi->i.form].handler(c, &bi->i);
	thr_next(c, bi, c->next_rip);
}

/* The same with the form's CPUID feature checked first. */
static HOT void thr_gated(struct cpu *c, const struct binsn *bi)
{
	u64 rip = c->rip;

	c->insn_rip = rip;
	c->next_rip = (rip + bi->i.len) & bi->mask;
	if (!cpu_has_feature(c, isa_forms[bi->i.form].feature))
		cpu_raise(c, EXC_UD, 0);
	isa_forms[bi->i.form].handler(c, &bi->i);
	thr_next(c, bi, c->next_rip);
}

void exec_thr_stop(struct cpu *c, const struct binsn *bi)
{
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
	static HOT void name##_thr(struct cpu *c, const struct binsn *bi)                          \
	{                                                                                          \
		u64 n = (c->rip + bi->i.len) & bi->mask;                                           \
		if (unlikely(!name##_body(c, &bi->i, &n))) {                                       \
			thr_row(c, bi);                                                            \
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
	static HOT void name(struct cpu *c, const struct binsn *bi)                                \
	{                                                                                          \
		u64 n = (c->rip + bi->i.len) & bi->mask;                                           \
		if (unlikely(!call(c, &bi->i, &n, o0, o1, sz))) {                                  \
			thr_row(c, bi);                                                            \
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
	K_PUSH64,
	K_POP64,
	K_COUNT
};

static const struct {
	insn_handler *fast;
	binsn_fn *thr;
} fast_table[K_COUNT] = {
#define K(kind, name) [kind] = {name##_fast, name##_thr}
    K(K_ADD, add),     K(K_OR, or),	    K(K_AND, and),     K(K_SUB, sub),
    K(K_XOR, xor),     K(K_CMP, cmp),	    K(K_TEST, test),   K(K_MOV, mov),
    K(K_LEA, lea),     K(K_JCC64, jcc64),   K(K_JMP64, jmp64), K(K_CALL64, call64),
    K(K_RET64, ret64), K(K_PUSH64, push64), K(K_POP64, pop64),
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
	if (k != K_NONE && !gated) /* (no fast form is gated: BASE rows all) */
		return fast_table[k].thr;
	return gated ? thr_gated : thr_row;
}
