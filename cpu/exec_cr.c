/*
 * exec_cr.c - the control and debug registers: MOV to/from CR0/CR2/CR3/
 * CR4/CR8, CLTS, LMSW, SMSW and MOV to/from DR0-DR7, with the validity
 * checks of each register and the TLB consequences of a write.
 *
 * Follows SDM Vol 2 "MOV - Move to/from Control Registers", "CLTS",
 * "LMSW", "SMSW", "MOV - Move to/from Debug Registers", Vol 3 §2.5
 * (control registers, CR4.UMIP), §10.8.5 (activating IA-32e mode) and
 * §17.2 (debug registers).  Split from exec_system.c.  Each sensitive
 * handler checks in the fixed order of STYLE.md §3: architectural check,
 * CPU_INTERCEPT, emulation.
 */
#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"

static void need_cpl0(struct cpu *c)
{
	if (c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
}

static void trace_cr(struct cpu *c, int n, u64 old, u64 v)
{
	trace_emit(c->trace, TRACE_CR, c->index, c->seg[SEG_CS].base + c->rip, n, old, v, 0, NULL);
}

/* ---- control registers (SDM Vol 3 §2.5, Vol 2 "MOV - Move to/from Control
 * Registers") ------------------------------------------------------------ */

/* CR4 bits this processor implements: the others are reserved -> #GP. */
static u64 cr4_valid(struct cpu *c)
{
	u64 v = CR4_TSD | CR4_MCE | CR4_PCE;

	if (cpu_has_feature(c, CPUF_VME))
		v |= CR4_VME | CR4_PVI;
	if (cpu_has_feature(c, CPUF_DE))
		v |= CR4_DE;
	if (cpu_has_feature(c, CPUF_PSE))
		v |= CR4_PSE;
	if (cpu_has_feature(c, CPUF_PAE))
		v |= CR4_PAE;
	if (cpu_has_feature(c, CPUF_PGE))
		v |= CR4_PGE;
	if (cpu_has_feature(c, SSE))
		v |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (cpu_has_feature(c, CPUF_UMIP))
		v |= CR4_UMIP;
	if (cpu_has_feature(c, FSGSBASE))
		v |= CR4_FSGSBASE;
	if (cpu_has_feature(c, CPUF_PCID))
		v |= CR4_PCIDE;
	if (cpu_has_feature(c, XSAVE))
		v |= CR4_OSXSAVE;
	if (cpu_has_feature(c, CPUF_SMEP))
		v |= CR4_SMEP;
	if (cpu_has_feature(c, SMAP_F))
		v |= CR4_SMAP;
	return v;
}

static void write_cr0(struct cpu *c, u64 v)
{
	const u64 defined = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM |
			    CR0_NW | CR0_CD | CR0_PG;
	u64 old = c->cr0;

	if (v >> 32)
		cpu_raise(c, EXC_GP, 0); /* bits 63:32 reserved */
	v = (v & defined) | CR0_ET;	 /* ET is hardwired to 1 since the i486 */
	if ((v & CR0_PG) && !(v & CR0_PE))
		cpu_raise(c, EXC_GP, 0); /* paging without protection */
	if ((v & CR0_NW) && !(v & CR0_CD))
		cpu_raise(c, EXC_GP, 0); /* not-write-through needs cache-disable */
	if (!(old & CR0_PG) && (v & CR0_PG) && (c->efer & EFER_LME)) {
		/* Activating IA-32e mode (SDM Vol 3 §10.8.5): PAE must be on,
		 * and EFER.LMA becomes 1 -- we are now in compatibility mode
		 * until a far jump loads a CS with L = 1. */
		if (!(c->cr4 & CR4_PAE))
			cpu_raise(c, EXC_GP, 0);
		if (c->seg[SEG_CS].attr & SEGA_L)
			cpu_raise(c, EXC_GP, 0);
	}
	if ((old & CR0_PG) && !(v & CR0_PG)) {
		/* Leaving paging from 64-bit code would pull the floor away. */
		if (c->mode == CPU_MODE_LONG64 || (c->cr4 & CR4_PCIDE))
			cpu_raise(c, EXC_GP, 0);
	}

	c->cr0 = v;
	if (!(old & CR0_PG) && (v & CR0_PG) && (c->efer & EFER_LME))
		c->efer |= EFER_LMA;
	if ((old & CR0_PG) && !(v & CR0_PG))
		c->efer &= ~EFER_LMA;
	/* PG, PE and WP change what every cached translation means. */
	if ((old ^ v) & (CR0_PG | CR0_PE | CR0_WP))
		cpu_tlb_flush(c, true);
	cpu_update_mode(c);
}

static void write_cr4(struct cpu *c, u64 v)
{
	u64 old = c->cr4;

	if (v & ~cr4_valid(c))
		cpu_raise(c, EXC_GP, 0);
	/* In IA-32e mode PAE cannot be turned off (SDM Vol 2 MOV CR). */
	if ((c->efer & EFER_LMA) && !(v & CR4_PAE))
		cpu_raise(c, EXC_GP, 0);
	/* PCIDs exist only in IA-32e mode, and turning them on while CR3
	 * already names a PCID other than 0 is refused (SDM Vol 3 §4.10.1). */
	if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) && (!(c->efer & EFER_LMA) || (c->cr3 & 0xfff)))
		cpu_raise(c, EXC_GP, 0);
	c->cr4 = v;
	if ((old ^ v) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP | CR4_SMAP | CR4_LA57 | CR4_PCIDE))
		cpu_tlb_flush(c, true);
	cpu_update_mode(c);
}

void cpu_write_cr(struct cpu *c, int cr, u64 v)
{
	u64 old, keep;

	switch (cr) {
	case 0:
		old = c->cr0;
		write_cr0(c, v);
		trace_cr(c, 0, old, c->cr0);
		break;
	case 2:
		old = c->cr2;
		c->cr2 = v;
		trace_cr(c, 2, old, v);
		break;
	case 3:
		old = c->cr3;
		/* With CR4.PCIDE = 1, bit 63 of the source is not part of CR3:
		 * it asks to keep the cached translations of the new PCID
		 * (SDM Vol 2 "MOV to CR3", Vol 3 §4.10.4.1). */
		keep = (c->cr4 & CR4_PCIDE) ? (v & BIT(63)) : 0;
		v &= ~keep;
		/* Bits above MAXPHYADDR are reserved (IA-32e mode); outside it
		 * the instruction moved only 32 bits anyway. */
		if ((c->efer & EFER_LMA) && (v >> CPUID_MAXPHYADDR))
			cpu_raise(c, EXC_GP, 0);
		c->cr3 = v;
		/* A CR3 load flushes the non-global translations: all of them
		 * without PCIDs, the new PCID's with them (unless kept). */
		cpu_tlb_mov_cr3(c, v | keep);
		trace_cr(c, 3, old, v);
		break;
	case 4:
		old = c->cr4;
		write_cr4(c, v);
		trace_cr(c, 4, old, c->cr4);
		break;
	case 8:
		/* CR8 is the task-priority register's top 4 bits (64-bit mode). */
		if (v & ~0xfULL)
			cpu_raise(c, EXC_GP, 0);
		old = c->cr8;
		c->cr8 = v;
		trace_cr(c, 8, old, v);
		break;
	default: cpu_raise(c, EXC_UD, 0);
	}
}

static bool cr_exists(unsigned n)
{
	return n == 0 || n == 2 || n == 3 || n == 4 || n == 8;
}

/* 0F 20: MOV r32/r64, CRn (ModRM.reg = n, ModRM.rm = the GPR). */
void MOV_RdCd(struct cpu *c, const struct insn *i)
{
	unsigned n = i->reg, sz = c->mode == CPU_MODE_LONG64 ? 8 : 4;
	u64 v;

	if (!cr_exists(n))
		cpu_raise(c, EXC_UD, 0);
	need_cpl0(c);
	CPU_INTERCEPT(c, i);
	v = n == 0 ? c->cr0 : n == 2 ? c->cr2 : n == 3 ? c->cr3 : n == 4 ? c->cr4 : c->cr8;
	cpu_set_reg(c, i->rm, sz, true, v);
}

/* 0F 22: MOV CRn, r32/r64. */
void MOV_CdRd(struct cpu *c, const struct insn *i)
{
	unsigned n = i->reg, sz = c->mode == CPU_MODE_LONG64 ? 8 : 4;

	if (!cr_exists(n))
		cpu_raise(c, EXC_UD, 0);
	need_cpl0(c);
	CPU_INTERCEPT(c, i);
	cpu_write_cr(c, (int)n, cpu_get_reg(c, i->rm, sz, true));
}

/* 0F 06: CLTS clears CR0.TS (the lazy-FPU-switch flag). */
void CLTS(struct cpu *c, const struct insn *i)
{
	need_cpl0(c);
	CPU_INTERCEPT(c, i);
	cpu_write_cr(c, 0, c->cr0 & ~(u64)CR0_TS);
}

/* 0F 01 /6: LMSW loads CR0 bits 3:0 (PE MP EM TS); it can set PE but never
 * clear it -- the 286's one-way door into protected mode. */
void LMSW_Ew(struct cpu *c, const struct insn *i)
{
	u64 v;

	need_cpl0(c);
	v = opnd_read(c, i, 0) & 0xf;
	CPU_INTERCEPT(c, i);
	cpu_write_cr(c, 0, (c->cr0 & ~0xeULL) | v);
}

/* 0F 01 /4: SMSW stores CR0's low bits.  Not privileged (UMIP aside): a
 * guest kernel at CPL 1 sees that PE/PG are really on. */
void SMSW_Ev(struct cpu *c, const struct insn *i)
{
	cpu_umip_check(c);
	CPU_INTERCEPT(c, i);
	if (i->mem)
		cpu_write(c, i->seg, insn_ea(c, i), 2, c->cr0 & 0xffff);
	else
		cpu_set_reg(c, i->rm, i->osize, true, c->cr0 & mask_of(i->osize));
}

/* ---- debug registers (SDM Vol 3 §17.2, Vol 2 "MOV - Move to/from Debug
 * Registers") ------------------------------------------------------------ */

static unsigned dr_index(struct cpu *c, unsigned n)
{
	if (n > 7)
		cpu_raise(c, EXC_UD, 0);
	/* DR4/DR5 alias DR6/DR7 unless CR4.DE, which makes them #UD. */
	if (n == 4 || n == 5) {
		if (c->cr4 & CR4_DE)
			cpu_raise(c, EXC_UD, 0);
		n += 2;
	}
	need_cpl0(c);
	/* DR7.GD ("general detect"): the next debug-register access raises
	 * #DB with DR6.BD set, before the access (a fault). */
	if (c->dr[7] & BIT(13)) {
		c->dr[6] |= BIT(13);
		c->dr[7] &= ~BIT(13);
		cpu_raise(c, EXC_DB, 0);
	}
	return n;
}

void MOV_RdDd(struct cpu *c, const struct insn *i)
{
	unsigned n = dr_index(c, i->reg), sz = c->mode == CPU_MODE_LONG64 ? 8 : 4;

	CPU_INTERCEPT(c, i);
	cpu_set_reg(c, i->rm, sz, true, c->dr[n]);
}

void MOV_DdRd(struct cpu *c, const struct insn *i)
{
	unsigned n = dr_index(c, i->reg), sz = c->mode == CPU_MODE_LONG64 ? 8 : 4;
	u64 v = cpu_get_reg(c, i->rm, sz, true);

	if (n >= 6 && (v >> 32))
		cpu_raise(c, EXC_GP, 0); /* DR6/DR7 bits 63:32 are reserved */
	CPU_INTERCEPT(c, i);
	if (n == 6)
		v = (v & (0xfULL | BIT(13) | BIT(14) | BIT(15))) | 0xffff0ff0ULL;
	else if (n == 7)
		v = (v & 0xffff27ffULL) | 0x400; /* bit 10 reads 1; 11, 12, 14, 15 read 0 */
	c->dr[n] = v;
}
