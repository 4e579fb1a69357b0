/*
 * exec_alu.c - the two-operand ALU instructions ADD OR ADC SBB AND SUB XOR
 * CMP TEST and the one-operand INC DEC NEG NOT, in every encoding.
 *
 * Follows SDM Vol 2A/2B, the pages of each mnemonic, and Vol 2 Appendix A
 * (opcodes 00-3F, 40-4F, 80-85, group 1 80/81/83, group 3 F6/F7, group 4/5
 * FE/FF).  Flags: Vol 1 Appendix A.
 *
 * Every handler has the same three steps:
 *   1. read the operands (memory reads, which may fault, come first; a
 *      destination that is also written is read "with write intent" so a
 *      read-only page faults as a write, as on hardware);
 *   2. write the result (this may still fault on a page split);
 *   3. record the flags -- only now, so a faulting instruction leaves RFLAGS
 *      exactly as it was.
 */
#include "cpu/alu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/operand.h"

/* ---- the semantics ------------------------------------------------------- */

/* Inline for the handlers below (op is a constant there); alu.h's
 * alu_arith_result() is the out-of-line copy for everyone else. */
static inline __attribute__((always_inline)) u64 arith_result(struct cpu *c, enum alu_op op, u64 a,
							      u64 b, unsigned size)
{
	u64 r;

	switch (op) {
	case ALU_ADD: r = a + b; break;
	case ALU_OR: r = a | b; break;
	case ALU_ADC: r = a + b + flag_cf(c); break;
	case ALU_SBB: r = a - b - flag_cf(c); break;
	case ALU_AND: r = a & b; break;
	case ALU_XOR: r = a ^ b; break;
	default: r = a - b; break; /* SUB, CMP */
	}
	return r & mask_of(size);
}

u64 alu_arith_result(struct cpu *c, enum alu_op op, u64 a, u64 b, unsigned size)
{
	return arith_result(c, op, a, b, size);
}

void alu_arith_flags(struct cpu *c, enum alu_op op, u64 res, u64 a, u64 b, unsigned size)
{
	/* enum alu_op -> the lazy record that reproduces its flags. */
	static const u8 lazy[8] = {
	    [ALU_ADD] = LAZY_ADD,   [ALU_OR] = LAZY_LOGIC,  [ALU_ADC] = LAZY_ADC,
	    [ALU_SBB] = LAZY_SBB,   [ALU_AND] = LAZY_LOGIC, [ALU_SUB] = LAZY_SUB,
	    [ALU_XOR] = LAZY_LOGIC, [ALU_CMP] = LAZY_SUB,
	};
	flags_lazy(c, lazy[op], size, res, a, b);
}

u64 alu_arith(struct cpu *c, enum alu_op op, u64 a, u64 b, unsigned size)
{
	u64 r = alu_arith_result(c, op, a, b, size);
	alu_arith_flags(c, op, r, a, b, size);
	return r;
}

/* ---- operand plumbing ---------------------------------------------------- */

/* Handlers below are one line each calling these with a constant `op`:
 * always_inline gives every form its own straight-line copy, with the
 * operation's switch folded away (the hot path of issue 9). */
#define ALU_INLINE static inline __attribute__((always_inline))

/* The lazy record of each operation (alu_arith_flags' table, as a switch
 * the compiler folds for a constant op). */
ALU_INLINE enum lazy_op lazy_of(enum alu_op op)
{
	switch (op) {
	case ALU_ADD: return LAZY_ADD;
	case ALU_ADC: return LAZY_ADC;
	case ALU_SBB: return LAZY_SBB;
	case ALU_SUB:
	case ALU_CMP: return LAZY_SUB;
	default: return LAZY_LOGIC; /* OR AND XOR */
	}
}

/*
 * dest(0) OP= src(1).  The source may be narrower than the destination: an
 * Ib with an Ev destination (opcode 83) and an Iz with a 64-bit destination
 * are sign-extended to the operand size (SDM Vol 2 §2.2.1.5).
 */
ALU_INLINE void alu_binary(struct cpu *c, const struct insn *i, enum alu_op op)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 b = sext(opnd_load(c, i, 1), insn_opnd_size(i, 1)) & mask_of(sz);
	u64 a, r;

	if (op == ALU_CMP) {
		a = opnd_load(c, i, 0);
		flags_record(c, LAZY_SUB, sz, (a - b) & mask_of(sz), a, b);
		return;
	}
	a = opnd_load_rmw(c, i, 0);
	r = arith_result(c, op, a, b, sz);
	opnd_store(c, i, 0, r);
	flags_record(c, lazy_of(op), sz, r, a, b);
}

/* TEST: AND that only sets flags (SDM Vol 2 "TEST"). */
ALU_INLINE void alu_test(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 b = sext(opnd_load(c, i, 1), insn_opnd_size(i, 1)) & mask_of(sz);
	u64 a = opnd_load(c, i, 0);
	flags_record(c, LAZY_LOGIC, sz, a & b, a, b);
}

/* INC/DEC: like ADD/SUB 1 but CF is preserved (flags.c keeps the old CF). */
ALU_INLINE void alu_incdec(struct cpu *c, const struct insn *i, bool dec)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 a = opnd_load_rmw(c, i, 0);
	u64 r = (dec ? a - 1 : a + 1) & mask_of(sz);
	opnd_store(c, i, 0, r);
	flags_lazy(c, dec ? LAZY_DEC : LAZY_INC, sz, r, a, 1);
}

/* ---- the handlers, one per isa.def row ----------------------------------- */

/* The nine encodings of each classic ALU operation (SDM Vol 2 Table A-2):
 *   00 Eb,Gb  01 Ev,Gv  02 Gb,Eb  03 Gv,Ev  04 AL,Ib  05 rAX,Iz
 *   80 /n Eb,Ib  81 /n Ev,Iz  83 /n Ev,Ib (sign-extended) */
#define ALU_FORMS(NAME, OP)                                                                        \
	void NAME##_EbGb(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_EvGv(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_GbEb(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_GvEv(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_ALIb(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_rAXIz(struct cpu *c, const struct insn *i)                                     \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_EbIb(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_EvIz(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}                                                                                          \
	void NAME##_EvIb(struct cpu *c, const struct insn *i)                                      \
	{                                                                                          \
		alu_binary(c, i, OP);                                                              \
	}

ALU_FORMS(ADD, ALU_ADD)
ALU_FORMS(OR, ALU_OR)
ALU_FORMS(ADC, ALU_ADC)
ALU_FORMS(SBB, ALU_SBB)
ALU_FORMS(AND, ALU_AND)
ALU_FORMS(SUB, ALU_SUB)
ALU_FORMS(XOR, ALU_XOR)
ALU_FORMS(CMP, ALU_CMP)

/* 82 /n Eb,Ib: an alias of 80 outside 64-bit mode; one row, the operation
 * is ModRM.reg (which is the enum alu_op order). */
void ALU82_EbIb(struct cpu *c, const struct insn *i)
{
	alu_binary(c, i, (enum alu_op)(i->reg & 7));
}

/* TEST: 84 Eb,Gb  85 Ev,Gv  A8 AL,Ib  A9 rAX,Iz  F6 /0 Eb,Ib  F7 /0 Ev,Iz. */
void TEST_EbGb(struct cpu *c, const struct insn *i)
{
	alu_test(c, i);
}
void TEST_EvGv(struct cpu *c, const struct insn *i)
{
	alu_test(c, i);
}
void TEST_ALIb(struct cpu *c, const struct insn *i)
{
	alu_test(c, i);
}
void TEST_rAXIz(struct cpu *c, const struct insn *i)
{
	alu_test(c, i);
}
void TEST_EbIb(struct cpu *c, const struct insn *i)
{
	alu_test(c, i);
}
void TEST_EvIz(struct cpu *c, const struct insn *i)
{
	alu_test(c, i);
}

/* INC/DEC: FE /0 /1 Eb, FF /0 /1 Ev, and 40+r / 48+r Zv outside 64-bit mode
 * (in 64-bit mode those bytes are REX prefixes). */
void INC_Eb(struct cpu *c, const struct insn *i)
{
	alu_incdec(c, i, false);
}
void INC_Ev(struct cpu *c, const struct insn *i)
{
	alu_incdec(c, i, false);
}
void INC_Zv(struct cpu *c, const struct insn *i)
{
	alu_incdec(c, i, false);
}
void DEC_Eb(struct cpu *c, const struct insn *i)
{
	alu_incdec(c, i, true);
}
void DEC_Ev(struct cpu *c, const struct insn *i)
{
	alu_incdec(c, i, true);
}
void DEC_Zv(struct cpu *c, const struct insn *i)
{
	alu_incdec(c, i, true);
}

/* NEG (F6/F7 /3): 0 - dest.  CF = (dest != 0), the rest as for SUB, which is
 * exactly what the lazy SUB record with src1 = 0 computes. */
static void alu_neg(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 a = opnd_load_rmw(c, i, 0);
	u64 r = (0 - a) & mask_of(sz);
	opnd_store(c, i, 0, r);
	flags_lazy(c, LAZY_SUB, sz, r, 0, a);
}
void NEG_Eb(struct cpu *c, const struct insn *i)
{
	alu_neg(c, i);
}
void NEG_Ev(struct cpu *c, const struct insn *i)
{
	alu_neg(c, i);
}

/* NOT (F6/F7 /2): one's complement; no flags affected. */
static void alu_not(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 a = opnd_load_rmw(c, i, 0);
	opnd_store(c, i, 0, ~a & mask_of(sz));
}
void NOT_Eb(struct cpu *c, const struct insn *i)
{
	alu_not(c, i);
}
void NOT_Ev(struct cpu *c, const struct insn *i)
{
	alu_not(c, i);
}

/*
 * The flags the SDM calls undefined after each class of instruction (for a
 * shift, a function of the masked count).  vmlab produces a fixed value for
 * each of them (documented where computed); a differential tester running
 * against a different vendor's CPU should mask these bits.
 */
u64 alu_undefined_flags(enum alu_class k, unsigned count)
{
	switch (k) {
	case ALUC_LOGIC: return FL_AF;
	case ALUC_SHIFT: return count == 0 ? 0 : FL_AF | (count > 1 ? FL_OF : 0);
	case ALUC_ROTATE: return count > 1 ? FL_OF : 0;
	case ALUC_SHXD: return count == 0 ? 0 : FL_AF | (count > 1 ? FL_OF : 0);
	case ALUC_MUL: return FL_SF | FL_ZF | FL_AF | FL_PF;
	case ALUC_DIV: return FL_ARITH;
	case ALUC_BT: return FL_OF | FL_SF | FL_AF | FL_PF;
	case ALUC_BSF: return FL_CF | FL_OF | FL_SF | FL_AF | FL_PF;
	case ALUC_CNT: return FL_OF | FL_SF | FL_AF | FL_PF;	 /* TZCNT/LZCNT */
	case ALUC_BCD_ADJ: return FL_OF | FL_SF | FL_ZF | FL_PF; /* AAA/AAS */
	case ALUC_AAM: return FL_OF | FL_AF | FL_CF;		 /* AAM/AAD */
	case ALUC_DAA: return FL_OF;				 /* DAA/DAS */
	default: return 0;
	}
}
