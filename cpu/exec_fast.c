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
 */
#include "cpu/exec_fast.h"

#include "cpu/flags.h"
#include "cpu/operand.h"
#include "cpu/system.h" /* cpu_canonical */

#define FAST_INLINE static inline __attribute__((always_inline))

/* Hand the instruction to the generic handler of its isa.def row. */
#define GENERIC(c, i)                                                                              \
	do {                                                                                       \
		isa_forms[(i)->form].handler(c, i);                                                \
		return;                                                                            \
	} while (0)

/* The classic ALU operations the fast path knows (ADC/SBB are left to
 * exec_alu.c: they read CF). */
enum fop { F_ADD, F_OR, F_AND, F_SUB, F_XOR, F_CMP, F_TEST };

/*
 * dest(0) OP src(1) with the operands in registers, an immediate, or one
 * memory operand that hits the TLB.  Same formulas as exec_alu.c's
 * alu_binary: the source is sign-extended from its own size (83 /n Ib,
 * 81 /n Iz with REX.W), results and sources are masked to the operand size.
 */
FAST_INLINE void alu_fast(struct cpu *c, const struct insn *i, enum fop op)
{
	unsigned sz = i->opsz[0];
	bool writes = op != F_CMP && op != F_TEST;
	u64 a, b, r, m = mask_of(sz);
	u8 *h = NULL;

	switch (i->opr[1]) {
	case OPR_GPR: b = gpr_load(c, i->opreg[1], i->opsh[1], sz); break;
	case OPR_IMM: b = (u64)sext(i->immv, i->opsz[1]) & m; break;
	case OPR_MEM:
		h = mem_fast_host(c, i->seg, insn_ea_fast(c, i), sz, 0);
		if (!h)
			GENERIC(c, i);
		b = mem_host_load(h, sz);
		h = NULL;
		break;
	default: GENERIC(c, i);
	}
	if (i->opr[0] == OPR_GPR) {
		a = gpr_load(c, i->opreg[0], i->opsh[0], sz);
	} else {
		h = mem_fast_host(c, i->seg, insn_ea_fast(c, i), sz, writes);
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
}

#define ALU_FAST(name, op)                                                                         \
	static void name(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_fast(c, i, op);                                                                \
	}
ALU_FAST(add_fast, F_ADD)
ALU_FAST(or_fast, F_OR)
ALU_FAST(and_fast, F_AND)
ALU_FAST(sub_fast, F_SUB)
ALU_FAST(xor_fast, F_XOR)
ALU_FAST(cmp_fast, F_CMP)
ALU_FAST(test_fast, F_TEST)

/* MOV dest(0), src(1): exec_mov.c's mov_generic formula. */
static void mov_fast(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->opsz[0];
	u64 v;
	u8 *h;

	switch (i->opr[1]) {
	case OPR_GPR: v = gpr_load(c, i->opreg[1], i->opsh[1], sz); break;
	case OPR_IMM: v = (u64)sext(i->immv, i->opsz[1]) & mask_of(sz); break;
	case OPR_MEM:
		h = mem_fast_host(c, i->seg, insn_ea_fast(c, i), sz, 0);
		if (!h)
			GENERIC(c, i);
		v = mem_host_load(h, sz);
		break;
	default: GENERIC(c, i);
	}
	if (i->opr[0] == OPR_GPR) {
		gpr_store(c, i->opreg[0], i->opsh[0], sz, v);
		return;
	}
	h = mem_fast_host(c, i->seg, insn_ea_fast(c, i), sz, 1);
	if (!h)
		GENERIC(c, i);
	mem_host_store(h, sz, v);
}

/* LEA Gv, M: the offset, truncated to the operand size; no memory access. */
static void lea_fast(struct cpu *c, const struct insn *i)
{
	gpr_store(c, i->opreg[0], 0, i->opsz[0], insn_ea_fast(c, i) & mask_of(i->opsz[0]));
}

/* ---- 64-bit mode near branches (exec_branch.c has the general rules) ---- */

/* Jcc rel8/rel32: the condition is the opcode's low nibble (70+cc, 0F 80+cc);
 * the displacement was sign-extended by the decoder. */
static void jcc_fast64(struct cpu *c, const struct insn *i)
{
	if (cpu_cond_fast(c, i->opcode & 0xf)) {
		u64 t = c->next_rip + i->imm;
		if (!cpu_canonical(c, t))
			GENERIC(c, i);
		c->next_rip = t;
	}
}

static void jmp_fast64(struct cpu *c, const struct insn *i)
{
	u64 t = c->next_rip + i->imm;
	if (!cpu_canonical(c, t))
		GENERIC(c, i);
	c->next_rip = t;
}

/* CALL rel32: push the return address, jump. */
static void call_fast64(struct cpu *c, const struct insn *i)
{
	u64 t = c->next_rip + i->imm, sp = c->gpr[RSP] - 8;
	u8 *h;

	if (c->stack_size != 8 || !cpu_canonical(c, t) || !(h = mem_fast_host(c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, c->next_rip);
	c->gpr[RSP] = sp;
	c->next_rip = t;
}

/* RET: pop the return address. */
static void ret_fast64(struct cpu *c, const struct insn *i)
{
	u64 sp = c->gpr[RSP], t;
	u8 *h;

	if (c->stack_size != 8 || !(h = mem_fast_host(c, SEG_SS, sp, 8, 0)))
		GENERIC(c, i);
	t = mem_host_load(h, 8);
	if (!cpu_canonical(c, t))
		GENERIC(c, i);
	c->gpr[RSP] = sp + 8;
	c->next_rip = t;
}

/* PUSH r64 / POP r64.  POP RSP leaves the popped value in RSP. */
static void push_fast64(struct cpu *c, const struct insn *i)
{
	u64 sp = c->gpr[RSP] - 8;
	u8 *h;

	if (c->stack_size != 8 || !(h = mem_fast_host(c, SEG_SS, sp, 8, 1)))
		GENERIC(c, i);
	mem_host_store(h, 8, c->gpr[i->opreg[0]]); /* the value before the push */
	c->gpr[RSP] = sp;
}

static void pop_fast64(struct cpu *c, const struct insn *i)
{
	u64 sp = c->gpr[RSP], v;
	u8 *h;

	if (c->stack_size != 8 || !(h = mem_fast_host(c, SEG_SS, sp, 8, 0)))
		GENERIC(c, i);
	v = mem_host_load(h, 8);
	c->gpr[RSP] = sp + 8;
	c->gpr[i->opreg[0]] = v;
}

/* ---- choosing ---------------------------------------------------------- */

/* Are operands 0 and 1 of kinds the ALU/MOV fast paths read and write? */
static bool plain_operands(const struct insn *i)
{
	return (i->opr[0] == OPR_GPR || i->opr[0] == OPR_MEM) &&
	       (i->opr[1] == OPR_GPR || i->opr[1] == OPR_IMM || i->opr[1] == OPR_MEM) && !i->lock;
}

#define ALU_ROWS(NAME, fn)                                                                         \
	case FORM_##NAME##_EbGb:                                                                   \
	case FORM_##NAME##_EvGv:                                                                   \
	case FORM_##NAME##_GbEb:                                                                   \
	case FORM_##NAME##_GvEv:                                                                   \
	case FORM_##NAME##_ALIb:                                                                   \
	case FORM_##NAME##_rAXIz:                                                                  \
	case FORM_##NAME##_EbIb:                                                                   \
	case FORM_##NAME##_EvIz:                                                                   \
	case FORM_##NAME##_EvIb: return plain_operands(i) ? fn : NULL;

insn_handler *exec_fast_handler(const struct insn *i, unsigned code_size)
{
	bool b64 = code_size == 8;

	switch (i->form) {
		ALU_ROWS(ADD, add_fast)
		ALU_ROWS(OR, or_fast)
		ALU_ROWS(AND, and_fast)
		ALU_ROWS(SUB, sub_fast)
		ALU_ROWS(XOR, xor_fast)
		ALU_ROWS(CMP, cmp_fast)
	case FORM_TEST_EbGb:
	case FORM_TEST_EvGv:
	case FORM_TEST_ALIb:
	case FORM_TEST_rAXIz:
	case FORM_TEST_EbIb:
	case FORM_TEST_EvIz: return plain_operands(i) ? test_fast : NULL;
	case FORM_MOV_EbGb:
	case FORM_MOV_EvGv:
	case FORM_MOV_GbEb:
	case FORM_MOV_GvEv:
	case FORM_MOV_ZbIb:
	case FORM_MOV_ZvIv:
	case FORM_MOV_EbIb:
	case FORM_MOV_EvIz: return plain_operands(i) ? mov_fast : NULL;
	case FORM_LEA_GvM: return i->opr[0] == OPR_GPR && i->opsh[0] == 0 ? lea_fast : NULL;
	case FORM_JO_Jb ... FORM_JNLE_Jb:
	case FORM_JO_Jz ... FORM_JNLE_Jz: return b64 ? jcc_fast64 : NULL;
	case FORM_JMP_Jb:
	case FORM_JMP_Jz: return b64 ? jmp_fast64 : NULL;
	case FORM_CALL_Jz: return b64 ? call_fast64 : NULL;
	case FORM_RET_near: return b64 ? ret_fast64 : NULL;
	case FORM_PUSH_Zv: return b64 && i->osize == 8 && i->opr[0] == OPR_GPR ? push_fast64 : NULL;
	case FORM_POP_Zv: return b64 && i->osize == 8 && i->opr[0] == OPR_GPR ? pop_fast64 : NULL;
	default: return NULL;
	}
}
