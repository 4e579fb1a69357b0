/*
 * exec_branch.c - near control transfers: Jcc, JMP, CALL, RET, LOOPcc and
 * JrCXZ (SDM Vol 1 §6.3 "Calling procedures using CALL and RET", Vol 2A
 * "CALL", "Jcc", "JMP", Vol 2A/2B "LOOP/LOOPcc", "RET").
 *
 * A handler changes control flow by writing c->next_rip, which cpu_step()
 * has already set to the address of the following instruction -- the base
 * that a relative branch's displacement is added to.
 *
 * Every near target goes through branch_target(), which applies the rules
 * that hold for all of them:
 *
 *   - the operand size sets the width of the instruction pointer.  With a
 *     16-bit operand size the target is truncated to 16 bits (IP), with 32 to
 *     32 bits (EIP).  In 64-bit mode near branches always use 64 bits: the
 *     66h prefix is ignored on Intel processors (the decoder's F64 rows).
 *   - in 64-bit mode the target must be canonical, otherwise #GP(0);
 *     elsewhere it must lie within CS.limit, otherwise #GP(0).  Both faults
 *     are taken BEFORE anything changes (no push, no pop, no count update),
 *     so RIP still names the branch.
 */
#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/isa.h" /* the handler prototypes */
#include "cpu/mem.h"
#include "cpu/operand.h"
#include "cpu/system.h" /* cpu_canonical */

/* The operand size of a near branch: 8 in 64-bit mode whatever the
 * prefixes say, else the instruction's operand size (2 or 4). */
static unsigned branch_osize(const struct cpu *c, const struct insn *i)
{
	if (c->mode == CPU_MODE_LONG64)
		return 8;
	return i->osize == 2 ? 2 : 4;
}

/* Truncate and check a near-branch target (see the file comment). */
static u64 branch_target(struct cpu *c, u64 t, unsigned osz)
{
	t &= mask_of(osz);
	if (c->mode == CPU_MODE_LONG64) {
		if (!cpu_canonical(c, t))
			cpu_raise(c, EXC_GP, 0);
	} else if (t > c->seg[SEG_CS].limit) {
		cpu_raise(c, EXC_GP, 0);
	}
	return t;
}

/*
 * next_rip + displacement: the target of every relative (J) form.  `dsz` is
 * the displacement's encoded size: 1 for Jb; for Jz 2 with a 16-bit operand
 * size outside 64-bit mode, else 4 (rel32 is sign-extended to 64 bits).
 * The displacement is sign-extended here whether or not the decoder did.
 */
static u64 rel_target(struct cpu *c, const struct insn *i, unsigned dsz)
{
	return branch_target(c, c->next_rip + (u64)sext(i->imm, dsz), branch_osize(c, i));
}

static unsigned jz_size(const struct cpu *c, const struct insn *i)
{
	return (c->mode != CPU_MODE_LONG64 && i->osize == 2) ? 2 : 4;
}

/* ---- Jcc: one row per condition, short (Jb) and near (Jz) ----
 * The low nibble of the opcode (70+cc, 0F 80+cc) is the condition code of
 * SDM Vol 1 Appendix B; cpu_cond() evaluates it from the lazy flags. */

#define JCC(name, cc)                                                                              \
	void name##_Jb(struct cpu *c, const struct insn *i)                                        \
	{                                                                                          \
		if (cpu_cond_fast(c, cc))                                                          \
			c->next_rip = rel_target(c, i, 1);                                         \
	}                                                                                          \
	void name##_Jz(struct cpu *c, const struct insn *i)                                        \
	{                                                                                          \
		if (cpu_cond_fast(c, cc))                                                          \
			c->next_rip = rel_target(c, i, jz_size(c, i));                             \
	}

JCC(JO, 0x0)
JCC(JNO, 0x1)
JCC(JB, 0x2)
JCC(JNB, 0x3)
JCC(JZ, 0x4)
JCC(JNZ, 0x5)
JCC(JBE, 0x6)
JCC(JNBE, 0x7)
JCC(JS, 0x8)
JCC(JNS, 0x9)
JCC(JP, 0xa)
JCC(JNP, 0xb)
JCC(JL, 0xc)
JCC(JNL, 0xd)
JCC(JLE, 0xe)
JCC(JNLE, 0xf)

/* ---- JMP near ---- */

/* EB cb / E9 cw,cd: JMP rel. */
void JMP_Jb(struct cpu *c, const struct insn *i)
{
	c->next_rip = rel_target(c, i, 1);
}
void JMP_Jz(struct cpu *c, const struct insn *i)
{
	c->next_rip = rel_target(c, i, jz_size(c, i));
}

/* FF /4: JMP r/m -- absolute target read from a register or memory. */
void JMP_Ev(struct cpu *c, const struct insn *i)
{
	unsigned osz = branch_osize(c, i);

	c->next_rip = branch_target(c, opnd_load(c, i, 0), osz);
}

/* ---- CALL near: push the return address (next_rip), then jump ----
 * The push uses the operand size for the data and c->stack_size for the
 * RSP arithmetic (cpu_push).  The target is checked before the push, so a
 * bad target leaves the stack untouched (SDM Vol 2A CALL pseudocode). */

void CALL_Jz(struct cpu *c, const struct insn *i)
{
	unsigned osz = branch_osize(c, i);
	u64 t = rel_target(c, i, jz_size(c, i));

	cpu_push_fast(c, osz, c->next_rip);
	c->next_rip = t;
}

/* FF /2: CALL r/m.  The operand is read with the pre-push RSP, so
 * `call [rsp]` calls through the old top of stack. */
void CALL_Ev(struct cpu *c, const struct insn *i)
{
	unsigned osz = branch_osize(c, i);
	u64 t = branch_target(c, opnd_load(c, i, 0), osz);

	cpu_push_fast(c, osz, c->next_rip);
	c->next_rip = t;
}

/* ---- RET near ----
 * Pop the return address, check it, then release imm16 more bytes of
 * parameters (RET Iw).  If the popped target is bad, RSP is put back so the
 * #GP is restartable. */
static void ret_near(struct cpu *c, const struct insn *i, u64 release)
{
	unsigned osz = branch_osize(c, i);
	u64 old_rsp = c->gpr[RSP];
	u64 t = cpu_pop_fast(c, osz);
	u64 sp;

	if (c->mode == CPU_MODE_LONG64 ? !cpu_canonical(c, t & mask_of(osz))
				       : (t & mask_of(osz)) > c->seg[SEG_CS].limit) {
		c->gpr[RSP] = old_rsp;
		cpu_raise(c, EXC_GP, 0);
	}
	c->next_rip = t & mask_of(osz);
	if (release) {
		/* Only SP, ESP or RSP moves, per the stack size. */
		sp = cpu_get_reg(c, RSP, c->stack_size, false);
		cpu_set_reg(c, RSP, c->stack_size, false, sp + release);
	}
}

void RET_near(struct cpu *c, const struct insn *i)
{
	ret_near(c, i, 0);
}
void RET_Iw(struct cpu *c, const struct insn *i)
{
	ret_near(c, i, i->imm & 0xffff);
}

/* ---- LOOP / LOOPE / LOOPNE / JrCXZ ----
 * The count register is CX, ECX or RCX by the ADDRESS size (67h prefix),
 * while the operand size still sets the IP width of the target.  LOOPcc
 * decrements the count without touching any flag.  The target is checked
 * before the new count is written, so a #GP leaves the count as it was. */

static void loop_common(struct cpu *c, const struct insn *i, int zf_need)
{
	u64 cnt = (cpu_get_reg(c, RCX, i->asize, false) - 1) & mask_of(i->asize);
	bool take = cnt != 0;
	u64 t = c->next_rip;

	if (zf_need >= 0)
		take = take && flag_zf(c) == (bool)zf_need;
	if (take)
		t = rel_target(c, i, 1);
	cpu_set_reg(c, RCX, i->asize, false, cnt);
	c->next_rip = t;
}

/* E2: LOOP -- decrement, branch while count != 0. */
void LOOP_Jb(struct cpu *c, const struct insn *i)
{
	loop_common(c, i, -1);
}
/* E1: LOOPE/LOOPZ -- also requires ZF = 1. */
void LOOPE_Jb(struct cpu *c, const struct insn *i)
{
	loop_common(c, i, 1);
}
/* E0: LOOPNE/LOOPNZ -- also requires ZF = 0. */
void LOOPNE_Jb(struct cpu *c, const struct insn *i)
{
	loop_common(c, i, 0);
}

/* E3: JCXZ / JECXZ / JRCXZ (by address size) -- branch if the count is 0. */
void JrCXZ_Jb(struct cpu *c, const struct insn *i)
{
	if (cpu_get_reg(c, RCX, i->asize, false) == 0)
		c->next_rip = rel_target(c, i, 1);
}
