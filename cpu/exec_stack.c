/*
 * exec_stack.c - PUSH, POP, PUSHA/PUSHAD, POPA/POPAD, ENTER and LEAVE
 * (SDM Vol 1 §6.2 "Stacks", §6.5 "Procedure calls for block-structured
 * languages"; Vol 2B "PUSH", "POP", "PUSHA/PUSHAD", "POPA/POPAD", Vol 2A
 * "ENTER", "LEAVE").
 *
 * Two sizes meet in every stack instruction and must not be confused:
 *   - the OPERAND size (i->osize: 2, 4, or in 64-bit mode 8) is the size
 *     of the data pushed or popped;
 *   - the STACK size (c->stack_size: SS.B, or 8 in 64-bit mode) is the width
 *     of the stack pointer arithmetic: SP, ESP or RSP.  With a 16-bit stack,
 *     SP wraps at 64 KiB and bits 63:16 of RSP never change.
 *
 * Faults must leave RSP as it was (SDM Vol 3 §6.5: faults are restartable).
 * The simple forms use cpu_push()/cpu_pop(), which commit RSP only after the
 * access succeeded.  The forms that touch the stack several times (PUSHA,
 * POPA, ENTER, LEAVE, POP to memory) compute addresses from a local copy of
 * the stack pointer and commit RSP once, at the end.
 */
#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/isa.h" /* the handler prototypes */
#include "cpu/mem.h"
#include "cpu/operand.h"
#include "cpu/segment.h"
#include "cpu/system.h" /* CPU_INTERCEPT */

/* The stack pointer as SP/ESP/RSP, and writing it back at that width. */
static u64 sp_get(const struct cpu *c)
{
	return cpu_get_reg(c, RSP, c->stack_size, false);
}
static void sp_set(struct cpu *c, u64 v)
{
	cpu_set_reg(c, RSP, c->stack_size, false, v);
}
/* SS-relative access at a stack-pointer-width offset. */
static u64 stk_read(struct cpu *c, u64 off, unsigned sz)
{
	return cpu_read(c, SEG_SS, off & mask_of(c->stack_size), sz);
}
static void stk_write(struct cpu *c, u64 off, unsigned sz, u64 v)
{
	cpu_write(c, SEG_SS, off & mask_of(c->stack_size), sz, v);
}

/* ---- PUSH ---- */

/* 50+rw/rd/ro: PUSH r.  PUSH rSP pushes the value rSP had BEFORE the
 * instruction (SDM Vol 2B PUSH: "the value that existed before"). */
void PUSH_Zv(struct cpu *c, const struct insn *i)
{
	cpu_push_fast(c, i->osize, opnd_load(c, i, 0));
}

/* FF /6: PUSH r/m.  The effective address is computed with the old rSP, so
 * `push [rsp]` copies the current top of stack. */
void PUSH_Ev(struct cpu *c, const struct insn *i)
{
	cpu_push_fast(c, i->osize, opnd_load(c, i, 0));
}

/* 6A ib: PUSH imm8, sign-extended to the operand size. */
void PUSH_Ib(struct cpu *c, const struct insn *i)
{
	cpu_push(c, i->osize, (u64)sext(i->imm, 1) & mask_of(i->osize));
}

/* 68 iw/id: PUSH imm16/imm32; in 64-bit mode imm32 sign-extended to 64. */
void PUSH_Iz(struct cpu *c, const struct insn *i)
{
	unsigned isz = i->osize == 2 ? 2 : 4;

	cpu_push(c, i->osize, (u64)sext(i->imm, isz) & mask_of(i->osize));
}

/*
 * PUSH Sreg (06 0E 16 1E, 0F A0, 0F A8).  With a 32- or 64-bit operand size
 * the stack pointer moves by 4 or 8, but current Intel processors write only
 * the 16-bit selector and leave the upper bytes of the slot unmodified (SDM
 * Vol 2B PUSH, "Operation", note on segment registers).  We do the same.
 */
static void push_sreg(struct cpu *c, const struct insn *i, enum sreg s)
{
	u64 sp = sp_get(c) - i->osize;

	/* Behaviour-sensitive (the selector's RPL reveals the CPL, Robin &
	 * Irvine 2000): no architectural check, but pg-strict traps it and the
	 * virtualization mode may take it. */
	CPU_INTERCEPT(c, i);
	stk_write(c, sp, 2, c->seg[s].sel);
	sp_set(c, sp);
}
void PUSH_ES(struct cpu *c, const struct insn *i)
{
	push_sreg(c, i, SEG_ES);
}
void PUSH_CS(struct cpu *c, const struct insn *i)
{
	push_sreg(c, i, SEG_CS);
}
void PUSH_SS(struct cpu *c, const struct insn *i)
{
	push_sreg(c, i, SEG_SS);
}
void PUSH_DS(struct cpu *c, const struct insn *i)
{
	push_sreg(c, i, SEG_DS);
}
void PUSH_FS(struct cpu *c, const struct insn *i)
{
	push_sreg(c, i, SEG_FS);
}
void PUSH_GS(struct cpu *c, const struct insn *i)
{
	push_sreg(c, i, SEG_GS);
}

/* ---- POP ---- */

/* 58+r: POP r.  RSP is incremented before the register is written, so
 * POP rSP leaves the popped value in rSP (SDM Vol 2B POP). */
void POP_Zv(struct cpu *c, const struct insn *i)
{
	u64 v = cpu_pop_fast(c, i->osize);

	opnd_store(c, i, 0, v);
}

/*
 * 8F /0: POP r/m.  "If the ESP register is used as a base register for
 * addressing a destination operand in memory, the POP instruction computes
 * the effective address of the operand after it increments the ESP
 * register" (SDM Vol 2B POP).  We therefore compute the address with the
 * incremented rSP but commit rSP only after the store succeeded.
 */
void POP_Ev(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize;
	u64 sp = sp_get(c);
	u64 v = stk_read(c, sp, sz);
	u64 old, ea;

	if (!i->mem) {
		sp_set(c, sp + sz);
		opnd_write(c, i, 0, v);
		return;
	}
	old = c->gpr[RSP];
	sp_set(c, sp + sz);
	ea = insn_ea(c, i);
	c->gpr[RSP] = old; /* not committed yet: the store may fault */
	cpu_write(c, i->seg, ea, sz, v);
	sp_set(c, sp + sz);
}

/*
 * POP Sreg (07 17 1F, 0F A1, 0F A9): the selector is the low 16 bits of
 * the popped slot.  cpu_load_seg() does every check of the current mode and
 * may fault, so rSP moves only after it succeeded.  POP SS inhibits
 * interrupts for one instruction so that `pop ss; mov esp, ...` is atomic
 * (SDM Vol 3 §6.8.3).
 */
static void pop_sreg(struct cpu *c, const struct insn *i, enum sreg s)
{
	u64 sp = sp_get(c);
	u16 sel;

	CPU_INTERCEPT(c, i);
	sel = (u16)stk_read(c, sp, 2);
	cpu_load_seg(c, s, sel);
	sp_set(c, sp + i->osize);
	if (s == SEG_SS)
		c->intr_shadow = 1;
}
void POP_ES(struct cpu *c, const struct insn *i)
{
	pop_sreg(c, i, SEG_ES);
}
void POP_SS(struct cpu *c, const struct insn *i)
{
	pop_sreg(c, i, SEG_SS);
}
void POP_DS(struct cpu *c, const struct insn *i)
{
	pop_sreg(c, i, SEG_DS);
}
void POP_FS(struct cpu *c, const struct insn *i)
{
	pop_sreg(c, i, SEG_FS);
}
void POP_GS(struct cpu *c, const struct insn *i)
{
	pop_sreg(c, i, SEG_GS);
}

/* ---- PUSHA / POPA (invalid in 64-bit mode: the decoder's F_I64) ---- */

/* 60: PUSHA/PUSHAD -- AX CX DX BX, the ORIGINAL SP, BP SI DI, in that
 * order, each of the operand size. */
void PUSHA(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize;
	u64 sp = sp_get(c);

	for (int r = RAX; r <= RDI; r++)
		stk_write(c, sp - (u64)(r + 1) * sz, sz, cpu_get_reg(c, r, sz, false));
	sp_set(c, sp - 8 * sz);
}

/* 61: POPA/POPAD -- DI SI BP, skip the saved SP, BX DX CX AX.  All eight
 * slots are read before any register changes, so a fault is clean. */
void POPA(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize;
	u64 sp = sp_get(c), v[8];

	for (int r = RAX; r <= RDI; r++)
		v[r] = stk_read(c, sp + (u64)(7 - r) * sz, sz);
	for (int r = RAX; r <= RDI; r++)
		if (r != RSP)
			cpu_set_reg(c, r, sz, false, v[r]);
	sp_set(c, sp + 8 * sz);
}

/* ---- ENTER / LEAVE ---- */

/*
 * C8 iw ib: ENTER AllocSize, NestingLevel (SDM Vol 2A ENTER; Vol 1 §6.5).
 *
 *   push rBP; FrameTemp = rSP
 *   for level-1 times: rBP -= osize; push [SS:rBP]   (copy the "display":
 *                                                      enclosing frames)
 *   if level > 0: push FrameTemp                     (our own frame)
 *   rBP = FrameTemp; rSP -= AllocSize
 *
 * The level is taken modulo 32.  rBP and rSP arithmetic use the stack size;
 * the data, and the width of the final rBP write, the operand size.  The
 * display walk uses a temporary frame pointer, and every store goes through
 * a local stack pointer: rBP and rSP change only at the very end, so a #PF
 * or #SS on any push leaves the registers untouched.
 */
void ENTER_IwIb(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize;
	u64 alloc = i->imm & 0xffff;
	unsigned level = (unsigned)i->imm2 & 31;
	u64 sp = sp_get(c), bp = cpu_get_reg(c, RBP, c->stack_size, false);
	u64 frame;

	sp -= sz;
	stk_write(c, sp, sz, cpu_get_reg(c, RBP, sz, false));
	frame = sp & mask_of(c->stack_size);
	if (level > 0) {
		for (unsigned n = 1; n < level; n++) {
			bp -= sz;
			sp -= sz;
			stk_write(c, sp, sz, stk_read(c, bp, sz));
		}
		sp -= sz;
		stk_write(c, sp, sz, frame);
	}
	sp -= alloc;
	/* Hardware probes the new top of stack: #SS(0) when it is outside SS's
	 * limit, #PF "if a write using the final value of the stack pointer
	 * would cause a page fault" (SDM Vol 2A ENTER, Exceptions).  So an
	 * ENTER that allocates a frame on an unmapped page faults HERE, before
	 * any register changes -- the host CPU does exactly that.  A read with
	 * write intent checks the page without storing anything. */
	cpu_rmw_read(c, SEG_SS, sp & mask_of(c->stack_size), sz);
	cpu_set_reg(c, RBP, sz, false, frame);
	sp_set(c, sp);
}

/* C9: LEAVE -- rSP = rBP (stack size), then pop rBP (operand size).  The
 * pop is read before either register changes. */
void LEAVE(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize;
	u64 bp = cpu_get_reg(c, RBP, c->stack_size, false);
	u64 v = stk_read(c, bp, sz);

	sp_set(c, bp + sz);
	cpu_set_reg(c, RBP, sz, false, v);
}
