/*
 * exec_fast_spec.c - the block cache's routines specialised by operand kind
 * and operand size, and Jcc by condition (issue 9).  The bodies and their
 * rules are cpu/exec_fast_body.h's, the semantics SDM Vol 2's (ADD OR AND
 * SUB XOR CMP TEST MOV; Jcc with the conditions of Vol 1 Appendix B); a
 * body that cannot finish hands the instruction to exec_thr_row, the
 * generic routine (cpu/exec_fast.c).
 */
#include "cpu/exec_fast_body.h"

/*
 * Specialised threaded routines: the same bodies with the operand kinds and
 * the operand size as constants, for 8-, 32- and 64-bit operands, so that the
 * compiler drops every switch (mov_thr serves all shapes in ~370 machine
 * instructions; MOV r64, r64 needs a dozen).  Chosen at block build time.
 */
enum shape { S_GG, S_GI, S_GM, S_MG, S_MI, S_GM_BD, S_MG_BD, S_MI_BD, S_COUNT };
static const u8 shape_o0[S_COUNT] = {OPR_GPR, OPR_GPR, OPR_GPR, OPR_MEM,
				     OPR_MEM, OPR_GPR, OPR_MEM, OPR_MEM};
static const u8 shape_o1[S_COUNT] = {OPR_GPR, OPR_IMM, OPR_MEM, OPR_GPR,
				     OPR_IMM, OPR_MEM, OPR_GPR, OPR_IMM};

#define SPEC_ONE(name, call, o0, o1, sz, ea)                                                       \
	static HOT void name(struct cpu *c, const struct binsn *bi, u64 rip)                       \
	{                                                                                          \
		u64 n = rip + bi->i.len; /* no wrap inside a block (exec_fast.h) */                \
		if (unlikely(!call(c, &bi->i, &n, true, o0, o1, sz, ea))) {                        \
			exec_thr_row(c, bi, rip);                                                  \
			return;                                                                    \
		}                                                                                  \
		thr_next(c, bi, n);                                                                \
	}
#define SPEC_SHAPES(pfx, call, sz, sfx)                                                            \
	SPEC_ONE(pfx##_gg##sfx, call, OPR_GPR, OPR_GPR, sz, EA_ANY)                                \
	SPEC_ONE(pfx##_gi##sfx, call, OPR_GPR, OPR_IMM, sz, EA_ANY)                                \
	SPEC_ONE(pfx##_gm##sfx, call, OPR_GPR, OPR_MEM, sz, EA_ANY)                                \
	SPEC_ONE(pfx##_mg##sfx, call, OPR_MEM, OPR_GPR, sz, EA_ANY)                                \
	SPEC_ONE(pfx##_mi##sfx, call, OPR_MEM, OPR_IMM, sz, EA_ANY)                                \
	SPEC_ONE(pfx##_gmbd##sfx, call, OPR_GPR, OPR_MEM, sz, EA_BD)                               \
	SPEC_ONE(pfx##_mgbd##sfx, call, OPR_MEM, OPR_GPR, sz, EA_BD)                               \
	SPEC_ONE(pfx##_mibd##sfx, call, OPR_MEM, OPR_IMM, sz, EA_BD)
#define SPEC_SIZES(pfx, call)                                                                      \
	SPEC_SHAPES(pfx, call, 1, _8)                                                              \
	SPEC_SHAPES(pfx, call, 4, _32)                                                             \
	SPEC_SHAPES(pfx, call, 8, _64)
#define SPEC_SIZE_ROW(pfx, sfx)                                                                    \
	{                                                                                          \
		pfx##_gg##sfx, pfx##_gi##sfx, pfx##_gm##sfx, pfx##_mg##sfx, pfx##_mi##sfx,         \
		    pfx##_gmbd##sfx, pfx##_mgbd##sfx, pfx##_mibd##sfx                              \
	}
#define SPEC_ROW(pfx)                                                                              \
	{                                                                                          \
		SPEC_SIZE_ROW(pfx, _8), SPEC_SIZE_ROW(pfx, _32), SPEC_SIZE_ROW(pfx, _64)           \
	}

#define ALU_SPEC(name, op)                                                                         \
	FAST_INLINE bool name##_k(struct cpu *c, const struct insn *i, const u64 *nrip, bool thr,  \
				  unsigned o0, unsigned o1, unsigned sz, unsigned ea)              \
	{                                                                                          \
		return alu_body(c, i, nrip, thr, op, o0, o1, sz, ea);                              \
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
 * or two of the lazy record; a record it does not know asks cpu_cond().
 * A taken self-loop (binsn.self) goes straight back to the block's start
 * (thr_loop); its target needs no canonical check: the block ran there.
 */
/* Any lazy record: cpu_cond() (out of line: a call would give every
 * routine below a stack frame). */
static __attribute__((noinline)) void jcc64_slow(struct cpu *c, const struct binsn *bi, u64 rip,
						 unsigned cc)
{
	u64 n = rip + bi->i.len, t = n + bi->i.imm;

	if (!cpu_cond(c, cc)) {
		thr_next(c, bi, n);
		return;
	}
	if (bi->self) {
		thr_loop(c, bi, t);
		return;
	}
	if (unlikely(!canon_fast(c, t))) {
		exec_thr_row(c, bi, rip);
		return;
	}
	thr_next(c, bi, t);
}

#define JCC_CC(cc)                                                                                 \
	static HOT void jcc64_cc##cc(struct cpu *c, const struct binsn *bi, u64 rip)               \
	{                                                                                          \
		u64 n = rip + bi->i.len, t;                                                        \
		bool taken;                                                                        \
		if (unlikely(!cpu_cond_try(c, cc, &taken))) {                                      \
			jcc64_slow(c, bi, rip, cc);                                                \
			return;                                                                    \
		}                                                                                  \
		if (taken) {                                                                       \
			t = n + bi->i.imm;                                                         \
			if (bi->self) {                                                            \
				thr_loop(c, bi, t);                                                \
				return;                                                            \
			}                                                                          \
			if (unlikely(!canon_fast(c, t))) {                                         \
				exec_thr_row(c, bi, rip);                                          \
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

/* JMP rel8/rel32 back to its own block's start (binsn.self): the target
 * is the block's first instruction, canonical since it ran. */
HOT void exec_thr_jmp_self(struct cpu *c, const struct binsn *bi, u64 rip)
{
	thr_loop(c, bi, rip + bi->i.len + bi->i.imm);
}

static binsn_fn *const jcc_table[16] = {
    jcc64_cc0, jcc64_cc1, jcc64_cc2,  jcc64_cc3,  jcc64_cc4,  jcc64_cc5,  jcc64_cc6,  jcc64_cc7,
    jcc64_cc8, jcc64_cc9, jcc64_cc10, jcc64_cc11, jcc64_cc12, jcc64_cc13, jcc64_cc14, jcc64_cc15,
};

/* [kind - K_ADD][size 1: 0, 4: 1, 8: 2][shape] */
static binsn_fn *const spec_table[8][3][S_COUNT] = {
    SPEC_ROW(add), SPEC_ROW(or),  SPEC_ROW(and),  SPEC_ROW(sub),
    SPEC_ROW(xor), SPEC_ROW(cmp), SPEC_ROW(test), SPEC_ROW(mov),
};

binsn_fn *exec_fast_spec(enum fast_kind k, const struct insn *i)
{
	if (k >= K_ADD && k <= K_MOV && i->opsz[0] != 2) {
		int sz = i->opsz[0] == 1 ? 0 : i->opsz[0] == 4 ? 1 : 2;
		/* The [base + disp] variant when it fits, else the general one. */
		for (int sh = ea_is_bd(i) ? S_COUNT - 1 : S_MI; sh >= 0; sh--)
			if (i->opr[0] == shape_o0[sh] && i->opr[1] == shape_o1[sh])
				return spec_table[k - K_ADD][sz][sh];
	}
	if (k == K_JCC64)
		return jcc_table[i->opcode & 0xf];
	return NULL;
}
