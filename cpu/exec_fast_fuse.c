/*
 * exec_fast_fuse.c - CMP or TEST followed by the Jcc that ends its block,
 * run as one threaded routine (issue 9, third round; "macro-op fusion" in
 * the Intel and AMD optimization manuals).  Semantics: SDM Vol 2 CMP, TEST
 * and Jcc; the conditions of Vol 1 Appendix B.
 *
 * Compilers end most loops and ifs with `cmp/test ... ; jcc`.  Run apart,
 * the CMP stores the lazy-flags record (cpu/flags.h) and dispatches to the
 * Jcc, which loads the record back and decodes it.  Fused, one routine
 * does the CMP's body, then the condition straight from the operands it
 * still holds in host registers -- with the condition and the operand size
 * constants, a compare or two -- and jumps to the terminator (or, for a
 * self-loop, back to the block's start).  The record is still stored, the
 * same as unfused: a later instruction may read the flags (a Jcc's target,
 * PUSHF, ADC ...), and a fault or an interrupt after the pair must find
 * them (tests/unit/test_fastpath.c checks the pair against the generic
 * handlers of both, flags included).
 *
 * The count is exact without the Jcc's routine: the block's instructions
 * are counted when it is entered (exec_fast.h), and neither half can fault
 * on the fused path: a CMP that cannot finish goes to its generic routine,
 * which then goes on into the Jcc's own routine; a non-canonical target
 * (only a Jcc at the very top of the lower half can have one) is left to
 * the Jcc's own routine, which raises #GP.
 */
#include "cpu/exec_fast_body.h"

#define FUSE_ONE(cc, name, op, o0, o1, sz, ea)                                                     \
	static HOT void name##_cc##cc(struct cpu *c, const struct binsn *bi, u64 rip)              \
	{                                                                                          \
		const struct binsn *j = bi + 1;                                                    \
		u64 n = rip + bi->i.len, t;                                                        \
		bool taken;                                                                        \
		if (unlikely(!alu_body(c, &bi->i, &n, true, op, o0, o1, sz, ea))) {                \
			exec_thr_row(c, bi, rip);                                                  \
			return;                                                                    \
		}                                                                                  \
		/* The record just stored: the compiler forwards it (no load). */                  \
		cpu_cond_try(c, cc, &taken);                                                       \
		n += j->i.len;                                                                     \
		if (taken) {                                                                       \
			t = n + j->i.imm;                                                          \
			if (j->self) {                                                             \
				thr_loop(c, j, t);                                                 \
				return;                                                            \
			}                                                                          \
			if (unlikely(!canon_fast(c, t))) {                                         \
				thr_next(c, bi, n - j->i.len); /* the Jcc's routine */             \
				return;                                                            \
			}                                                                          \
			n = t;                                                                     \
		}                                                                                  \
		thr_next(c, j, n); /* the terminator */                                            \
	}

/* Only the conditions cpu_cond_try() answers from the record are fused:
 * after CMP (LAZY_SUB) B, Z, BE, L, LE and their negations; after TEST
 * (LAZY_LOGIC) all but P and NP. */
#define CMP_CCS(X, ...)                                                                            \
	X(2, __VA_ARGS__)                                                                          \
	X(3, __VA_ARGS__)                                                                          \
	X(4, __VA_ARGS__)                                                                          \
	X(5, __VA_ARGS__)                                                                          \
	X(6, __VA_ARGS__)                                                                          \
	X(7, __VA_ARGS__)                                                                          \
	X(12, __VA_ARGS__)                                                                         \
	X(13, __VA_ARGS__)                                                                         \
	X(14, __VA_ARGS__)                                                                         \
	X(15, __VA_ARGS__)
#define TEST_CCS(X, ...)                                                                           \
	X(0, __VA_ARGS__)                                                                          \
	X(1, __VA_ARGS__)                                                                          \
	X(8, __VA_ARGS__)                                                                          \
	X(9, __VA_ARGS__)                                                                          \
	CMP_CCS(X, __VA_ARGS__)
#define FUSE_ENTRY(cc, name, ...) [cc] = name##_cc##cc,

/* One shape: sizes 1, 4 and 8 (16-bit operands are not fused). */
#define FUSE_SHAPE(CCS, name, op, o0, o1, ea)                                                      \
	CCS(FUSE_ONE, name##_8, op, o0, o1, 1, ea)                                                 \
	CCS(FUSE_ONE, name##_32, op, o0, o1, 4, ea)                                                \
	CCS(FUSE_ONE, name##_64, op, o0, o1, 8, ea)
#define FUSE_ROW(CCS, name)                                                                        \
	{                                                                                          \
		{CCS(FUSE_ENTRY, name##_8)}, {CCS(FUSE_ENTRY, name##_32)},                         \
		{                                                                                  \
			CCS(FUSE_ENTRY, name##_64)                                                 \
		}                                                                                  \
	}

/* The shapes compilers emit before a Jcc: reg/reg, reg/imm, and one
 * [base + disp] operand (exec_fast_body.h EA_BD). */
FUSE_SHAPE(CMP_CCS, cmp_gg, F_CMP, OPR_GPR, OPR_GPR, EA_ANY)
FUSE_SHAPE(CMP_CCS, cmp_gi, F_CMP, OPR_GPR, OPR_IMM, EA_ANY)
FUSE_SHAPE(CMP_CCS, cmp_gmbd, F_CMP, OPR_GPR, OPR_MEM, EA_BD)
FUSE_SHAPE(CMP_CCS, cmp_mgbd, F_CMP, OPR_MEM, OPR_GPR, EA_BD)
FUSE_SHAPE(CMP_CCS, cmp_mibd, F_CMP, OPR_MEM, OPR_IMM, EA_BD)
FUSE_SHAPE(TEST_CCS, test_gg, F_TEST, OPR_GPR, OPR_GPR, EA_ANY)
FUSE_SHAPE(TEST_CCS, test_gi, F_TEST, OPR_GPR, OPR_IMM, EA_ANY)
FUSE_SHAPE(TEST_CCS, test_mgbd, F_TEST, OPR_MEM, OPR_GPR, EA_BD)
FUSE_SHAPE(TEST_CCS, test_mibd, F_TEST, OPR_MEM, OPR_IMM, EA_BD)

enum { FS_GG, FS_GI, FS_GM_BD, FS_MG_BD, FS_MI_BD, FS_COUNT };

/* [CMP 0, TEST 1][shape][size 1: 0, 4: 1, 8: 2][cc]; NULL: not fused. */
static binsn_fn *const fuse_table[2][FS_COUNT][3][16] = {
    {
	FUSE_ROW(CMP_CCS, cmp_gg),
	FUSE_ROW(CMP_CCS, cmp_gi),
	FUSE_ROW(CMP_CCS, cmp_gmbd),
	FUSE_ROW(CMP_CCS, cmp_mgbd),
	FUSE_ROW(CMP_CCS, cmp_mibd),
    },
    {
	FUSE_ROW(TEST_CCS, test_gg),
	FUSE_ROW(TEST_CCS, test_gi),
	{{NULL}}, /* TEST has no Gv, Ev form */
	FUSE_ROW(TEST_CCS, test_mgbd),
	FUSE_ROW(TEST_CCS, test_mibd),
    },
};

binsn_fn *exec_fast_fused(const struct insn *cmp, const struct insn *jcc)
{
	enum fast_kind k = exec_fast_kind(cmp, 8);
	unsigned o0 = cmp->opr[0], o1 = cmp->opr[1], sz = cmp->opsz[0];
	bool bd = o0 == OPR_MEM || o1 == OPR_MEM;
	int shape;

	if ((k != K_CMP && k != K_TEST) || exec_fast_kind(jcc, 8) != K_JCC64 || sz == 2)
		return NULL;
	if (bd && !ea_is_bd(cmp))
		return NULL;
	if (o0 == OPR_GPR && o1 == OPR_GPR)
		shape = FS_GG;
	else if (o0 == OPR_GPR && o1 == OPR_IMM)
		shape = FS_GI;
	else if (o0 == OPR_GPR && o1 == OPR_MEM)
		shape = FS_GM_BD;
	else if (o0 == OPR_MEM && o1 == OPR_GPR)
		shape = FS_MG_BD;
	else if (o0 == OPR_MEM && o1 == OPR_IMM)
		shape = FS_MI_BD;
	else
		return NULL;
	return fuse_table[k == K_TEST][shape][sz == 1 ? 0 : sz == 4 ? 1 : 2][jcc->opcode & 0xf];
}
