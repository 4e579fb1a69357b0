/*
 * exec_sysfast.c - the fast system calls: SYSCALL/SYSRET (IA32_STAR,
 * LSTAR, CSTAR, SFMASK) and SYSENTER/SYSEXIT (IA32_SYSENTER_CS/ESP/EIP).
 * They load CS and SS with fixed flat descriptors instead of reading the
 * GDT -- which is why the OS must lay its GDT out in the order they assume.
 *
 * Follows SDM Vol 2 "SYSCALL", "SYSRET", "SYSENTER", "SYSEXIT" (the
 * Operation pseudocode) and Vol 3 §5.8.7-5.8.8.  Split from exec_far.c.
 */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"

/* ---- fast system calls ----------------------------------------------------- */

/* The flat segments SYSCALL/SYSENTER load without reading the GDT. */
static void flat(struct segment *s, u16 sel, bool code, unsigned dpl, bool l)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->attr = SEGA_P | SEGA_S | SEGA_G | (dpl << SEGA_DPL_SHIFT) | (code ? 0xb : 0x3) |
		  (code && l ? SEGA_L : SEGA_DB);
}

/* 0F 05: SYSCALL (64-bit mode; SDM Vol 2 SYSCALL).  RCX = return RIP,
 * R11 = RFLAGS, CS/SS from STAR[47:32], RIP = LSTAR, RFLAGS &= ~FMASK. */
void SYSCALL(struct cpu *c, const struct insn *i)
{
	u16 sel = (u16)(c->msr.star >> 32);

	if (c->mode != CPU_MODE_LONG64 || !(c->efer & EFER_SCE))
		cpu_raise(c, EXC_UD, 0);
	CPU_INTERCEPT(c, i);
	c->gpr[RCX] = c->next_rip;
	c->gpr[R11] = cpu_rflags(c) & ~(u64)FL_RF;
	cpu_set_rflags(c, c->gpr[R11] & ~c->msr.sfmask & ~(u64)(FL_RF | FL_VM));
	flat(&c->seg[SEG_CS], sel & 0xfffc, true, 0, true);
	flat(&c->seg[SEG_SS], (u16)(sel + 8), false, 0, false);
	cpu_update_mode(c);
	c->next_rip = c->msr.lstar;
}

/* 0F 07: SYSRET -- back to CPL 3: 64-bit (REX.W) or compatibility mode. */
void SYSRET(struct cpu *c, const struct insn *i)
{
	u16 sel = (u16)(c->msr.star >> 48);
	bool to64 = i->osize == 8;

	if (c->mode != CPU_MODE_LONG64 || !(c->efer & EFER_SCE))
		cpu_raise(c, EXC_UD, 0);
	if (c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
	/* The famous one: a non-canonical RCX faults here, at CPL 0 but with
	 * the user's RSP already in place on most kernels' exit path. */
	if (to64 && !cpu_canonical(c, c->gpr[RCX]))
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	cpu_set_rflags(c, (c->gpr[R11] & 0x3c7fd7) | FL_1);
	flat(&c->seg[SEG_CS], (u16)((to64 ? sel + 16 : sel) | 3), true, 3, to64);
	flat(&c->seg[SEG_SS], (u16)((sel + 8) | 3), false, 3, false);
	cpu_update_mode(c);
	c->next_rip = to64 ? c->gpr[RCX] : (u32)c->gpr[RCX];
}

/* 0F 34: SYSENTER (SDM Vol 2 SYSENTER): CS from SYSENTER_CS, SS = CS + 8,
 * ESP/EIP from the MSRs, CPL 0, IF and VM cleared. */
void SYSENTER(struct cpu *c, const struct insn *i)
{
	u16 sel = (u16)c->msr.sysenter_cs;
	bool lm = c->efer & EFER_LMA;

	if (!(c->cr0 & CR0_PE) || (sel & 0xfffc) == 0)
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	cpu_set_rflags(c, cpu_rflags(c) & ~(u64)(FL_VM | FL_IF | FL_RF));
	flat(&c->seg[SEG_CS], sel & 0xfffc, true, 0, lm);
	flat(&c->seg[SEG_SS], (u16)((sel & 0xfffc) + 8), false, 0, false);
	cpu_update_mode(c);
	c->gpr[RSP] = lm ? c->msr.sysenter_esp : (u32)c->msr.sysenter_esp;
	c->next_rip = lm ? c->msr.sysenter_eip : (u32)c->msr.sysenter_eip;
}

/* 0F 35: SYSEXIT: CPL 3 at RDX with stack RCX; CS = SYSENTER_CS + 16
 * (+32 with REX.W, to 64-bit mode). */
void SYSEXIT(struct cpu *c, const struct insn *i)
{
	u16 sel = (u16)c->msr.sysenter_cs;
	bool to64 = i->osize == 8;

	if (!(c->cr0 & CR0_PE) || (sel & 0xfffc) == 0 || c->cpl != 0 || c->mode == CPU_MODE_VM86)
		cpu_raise(c, EXC_GP, 0);
	if (to64 && (!cpu_canonical(c, c->gpr[RCX]) || !cpu_canonical(c, c->gpr[RDX])))
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	sel = (u16)((sel + (to64 ? 32 : 16)) | 3);
	flat(&c->seg[SEG_CS], sel, true, 3, to64);
	flat(&c->seg[SEG_SS], (u16)(sel + 8), false, 3, false);
	cpu_update_mode(c);
	c->gpr[RSP] = to64 ? c->gpr[RCX] : (u32)c->gpr[RCX];
	c->next_rip = to64 ? c->gpr[RDX] : (u32)c->gpr[RDX];
}
