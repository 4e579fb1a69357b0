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
 * Each fast form is written once, as a "body" (cpu/exec_fast_body.h) that
 * returns false (having changed nothing) when it cannot finish, and is
 * wrapped twice, here:
 *   - as an insn_handler (name_fast), for the block loop's one call per
 *     instruction and for the tests;
 *   - as a threaded routine (name_thr, see exec_fast.h): it executes the
 *     instruction, commits RIP, retires it and tail-calls the next
 *     instruction's routine, so a block runs as a chain of jumps with no
 *     return to a dispatch loop in between (issue 9, third pass).
 * The hottest forms also get routines specialised by operand kind and size
 * (cpu/exec_fast_spec.c).  This file: the generic routines, the wrappers,
 * and the choice of a routine for a decoded instruction.
 */
#include "cpu/exec_fast_body.h"

/* ---- the generic routines ---------------------------------------------- */

/*
 * Before a generic handler: take back the pre-counted instructions from bi
 * on (exec_fast.h), so that the count is exact for the handler (virtual
 * time) and for a fault, and bring the counters that follow it up to date.
 */
static inline __attribute__((always_inline)) void thr_before(struct cpu *c, const struct binsn *bi,
							     u64 rip)
{
	c->stats.insns -= bi->left;
	exec_thr_sync(c, bi->blk);
	c->rip = rip;
	c->insn_rip = rip;
	c->next_rip = (rip + bi->i.len) & bi->mask;
}

/*
 * After it: count bi and again the rest of the block; stop when the
 * handler asked for it (bc->exit: a device access, invalidated code, a TLB
 * flush), else redo the memory fast path's constants (the handler may have
 * changed the CPL, RFLAGS.AC, CR3 ...: cpu/mem.h) and go on.
 */
static inline __attribute__((always_inline)) void thr_after(struct cpu *c, const struct binsn *bi)
{
	u64 rip = c->next_rip;

	c->rip = rip;
	if (unlikely(c->bc->exit)) {
		c->stats.insns++; /* bi itself: the rest is not run */
		exec_thr_sync(c, bi->blk);
		return;
	}
	c->stats.insns += bi->left;
	mem_chain_ctx(c);
	thr_next(c, bi, rip);
}

/* The row's generic handler, exactly as cpu_step calls it (its steps 4
 * and 5): the fallback of every fast routine. */
HOT void exec_thr_row(struct cpu *c, const struct binsn *bi, u64 rip)
{
	thr_before(c, bi, rip);
	isa_forms[bi->i.form].handler(c, &bi->i);
	thr_after(c, bi);
}

/* The same with the form's CPUID feature checked first. */
static HOT void thr_gated(struct cpu *c, const struct binsn *bi, u64 rip)
{
	thr_before(c, bi, rip);
	if (!cpu_has_feature(c, isa_forms[bi->i.form].feature))
		cpu_raise(c, EXC_UD, 0);
	isa_forms[bi->i.form].handler(c, &bi->i);
	thr_after(c, bi);
}

/* The end of a block that returns to its caller: every instruction of the
 * block has run, the count is exact; commit RIP.  Such a block ends with a
 * sensitive or serializing instruction (not chain_ok), which only a generic
 * routine runs: rip is its c->next_rip, already in the code size of the
 * mode it leaves behind (an INT or IRET may change it), so no mask here
 * (block_thr_chain has one: its blocks keep their mode). */
void exec_thr_stop(struct cpu *c, const struct binsn *bi, u64 rip)
{
	exec_thr_sync(c, bi->blk);
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
		if (!name##_body(c, i, &n, false)) {                                               \
			isa_forms[i->form].handler(c, i);                                          \
			return;                                                                    \
		}                                                                                  \
		c->next_rip = n;                                                                   \
	}                                                                                          \
	static HOT void name##_thr(struct cpu *c, const struct binsn *bi, u64 rip)                 \
	{                                                                                          \
		u64 n = rip + bi->i.len; /* no wrap inside a block (exec_fast.h) */                \
		if (unlikely(!name##_body(c, &bi->i, &n, true))) {                                 \
			exec_thr_row(c, bi, rip);                                                  \
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

enum fast_kind exec_fast_kind(const struct insn *i, unsigned code_size)
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
	return fast_table[exec_fast_kind(i, code_size)].fast;
}

binsn_fn *exec_fast_threaded(const struct insn *i, unsigned code_size, bool gated)
{
	enum fast_kind k = exec_fast_kind(i, code_size);
	binsn_fn *f;

	if (gated) /* (no fast form is gated: BASE rows all) */
		return thr_gated;
	if (k == K_NONE)
		return exec_thr_row;
	f = exec_fast_spec(k, i);
	return f ? f : fast_table[k].thr;
}

/*
 * The routines that depend on the block around the instruction, chosen
 * once the block is decoded (entries tmp[0..n-1], `bytes` long, in code of
 * size code_size; `plain`: 64-bit code with no straddling tail):
 *   - a relative JMP/Jcc that ends the block and jumps back to its first
 *     byte (target = fall-through - bytes, whatever linear address the
 *     block runs at) is a self-loop: binsn.self, and for JMP its own
 *     routine (exec_fast_body.h thr_loop);
 *   - a CMP/TEST right before the Jcc that ends the block runs the pair in
 *     one routine (cpu/exec_fast_fuse.c).
 */
void exec_fast_block_end(struct binsn *tmp, unsigned n, unsigned bytes, unsigned code_size,
			 bool plain)
{
	struct binsn *last = &tmp[n - 1];
	enum fast_kind k = exec_fast_kind(&last->i, code_size);
	binsn_fn *f;

	if (last->gated || (k != K_JCC64 && k != K_JMP64))
		return;
	if (plain && last->i.imm + bytes == 0) {
		last->self = true;
		if (k == K_JMP64)
			last->run = exec_thr_jmp_self;
	}
	if (k == K_JCC64 && n >= 2 && !tmp[n - 2].gated) {
		f = exec_fast_fused(&tmp[n - 2].i, &last->i);
		if (f)
			tmp[n - 2].run = f;
	}
}
