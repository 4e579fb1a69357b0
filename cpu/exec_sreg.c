/*
 * exec_sreg.c - loading and storing data segment registers: MOV Sreg,r/m,
 * MOV r/m,Sreg and the far-pointer loads LDS/LES/LFS/LGS/LSS.  The
 * descriptor checks themselves are cpu_load_seg() (cpu/segment.c).
 *
 * Follows SDM Vol 2 "MOV - Move" (segment register forms), "LDS/LES/LFS/
 * LGS/LSS" and Vol 3 §5.10.  Split from exec_far.c.
 */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"

/* ---- MOV Sreg and the far-pointer loads ------------------------------------ */

/* 8E: MOV Sreg, r/m16.  CS cannot be loaded this way (#UD); MOV SS shadows
 * interrupts for one instruction so `mov ss; mov esp` is atomic. */
void MOV_SwEw(struct cpu *c, const struct insn *i)
{
	unsigned s = i->reg & 7;
	u16 sel;

	if (s == SEG_CS || s >= SEG_COUNT)
		cpu_raise(c, EXC_UD, 0);
	sel = (u16)opnd_read(c, i, 1);
	CPU_INTERCEPT(c, i);
	cpu_load_seg(c, (enum sreg)s, sel);
	if (s == SEG_SS)
		c->intr_shadow = 1;
}

/* 8C: MOV r/m, Sreg.  A register gets the selector zero-extended to the
 * operand size; memory always 16 bits.  Reading CS reveals the CPL in its
 * RPL bits: a virtualization hole. */
void MOV_EvSw(struct cpu *c, const struct insn *i)
{
	unsigned s = i->reg & 7;
	u16 sel;

	if (s >= SEG_COUNT)
		cpu_raise(c, EXC_UD, 0);
	CPU_INTERCEPT(c, i);
	sel = c->seg[s].sel;
	if (i->mem)
		cpu_write(c, i->seg, insn_ea(c, i), 2, sel);
	else
		cpu_set_reg(c, i->rm, i->osize, true, sel);
}

/* LDS/LES/LFS/LGS/LSS r, m16:16/32/64: the segment load may fault, so the
 * general register is written only after it succeeded. */
static void load_far(struct cpu *c, const struct insn *i, enum sreg s)
{
	u16 sel;
	u64 off;

	cpu_read_farptr(c, i, &sel, &off);
	cpu_load_seg(c, s, sel);
	cpu_set_reg(c, i->reg, i->osize, true, off);
}

void LES_GzMp(struct cpu *c, const struct insn *i)
{
	load_far(c, i, SEG_ES);
}
void LDS_GzMp(struct cpu *c, const struct insn *i)
{
	load_far(c, i, SEG_DS);
}
void LSS_GvMp(struct cpu *c, const struct insn *i)
{
	load_far(c, i, SEG_SS);
}
void LFS_GvMp(struct cpu *c, const struct insn *i)
{
	load_far(c, i, SEG_FS);
}
void LGS_GvMp(struct cpu *c, const struct insn *i)
{
	load_far(c, i, SEG_GS);
}

/* ---- ARPL ------------------------------------------------------------------ */

/* 63 /r: ARPL r/m16, r16 (SDM Vol 2 "ARPL"): raise the RPL of the selector
 * in r/m16 to the RPL of r16 if it is lower, and say so in ZF.  An OS uses
 * it to stop a caller from passing a selector more privileged than itself
 * (Vol 3 §5.10.4).  Protected mode only: #UD in real and VM86 mode (in
 * 64-bit mode opcode 63 is MOVSXD, a different row). */
void ARPL_EwGw(struct cpu *c, const struct insn *i)
{
	u16 dst, src;

	if (c->mode == CPU_MODE_REAL || c->mode == CPU_MODE_VM86)
		cpu_raise(c, EXC_UD, 0);
	dst = (u16)opnd_read_rmw(c, i, 0);
	src = (u16)opnd_read(c, i, 1);
	if ((dst & 3) < (src & 3)) {
		opnd_write(c, i, 0, (dst & ~3u) | (src & 3));
		flags_write(c, FL_ZF, FL_ZF);
	} else {
		flags_write(c, FL_ZF, 0);
	}
}
