/*
 * cpu.c - the processor's state: power-on reset, mode derivation, register
 * access by size, RFLAGS, and raising exceptions.
 *
 * Follows SDM Vol 3 §10.1 (processor state after reset) and Vol 3 §2.2
 * (modes of operation).  Instruction execution is in step.c; memory in mem.c;
 * exception delivery in exception.c.
 */
#include "cpu/cpu.h"

#include <string.h>

#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/mem.h"
#include "lib/err.h"

const char *const cpu_mode_name[CPU_MODE_COUNT] = {
    [CPU_MODE_REAL] = "real",		[CPU_MODE_VM86] = "virtual-8086",
    [CPU_MODE_PROT16] = "protected-16", [CPU_MODE_PROT32] = "protected-32",
    [CPU_MODE_COMPAT16] = "compat-16",	[CPU_MODE_COMPAT32] = "compat-32",
    [CPU_MODE_LONG64] = "long-64",
};

void cpu_init(struct cpu *c, int index, struct bus *bus, struct trace *t, u64 *retired)
{
	memset(c, 0, sizeof(*c));
	c->index = index;
	c->bus = bus;
	c->trace = t;
	c->retired = retired;
	c->block_cache = true;
	cpu_mem_init(c);
	cpu_reset(c);
}

void cpu_fini(struct cpu *c)
{
	cpu_mem_fini(c);
}

/* A real-mode style data segment as reset leaves it: base 0, limit 0xFFFF,
 * present, read/write, accessed (SDM Vol 3 Table 10-1). */
static void reset_data_seg(struct segment *s)
{
	s->sel = 0;
	s->base = 0;
	s->limit = 0xffff;
	s->attr = SEGA_P | SEGA_S | 0x3;
}

/*
 * Power-on / RESET state (SDM Vol 3 Table 10-1).  The first instruction is
 * fetched from CS.base + EIP = 0xFFFF0000 + 0xFFF0 = 0xFFFFFFF0: the reset
 * vector, 16 bytes below 4 GiB, where the firmware ROM lives.  CS.sel is
 * 0xF000 but its hidden base is 0xFFFF0000 until the first far jump.
 */
void cpu_reset(struct cpu *c)
{
	memset(c->gpr, 0, sizeof(c->gpr));
	/* EDX holds the processor signature (family/model/stepping) after reset. */
	c->gpr[RDX] = 0x000306a9;
	c->rip = 0xfff0;
	c->rflags = FL_1;
	c->lf.op = LAZY_NONE;
	for (int s = 0; s < SEG_COUNT; s++)
		reset_data_seg(&c->seg[s]);
	c->seg[SEG_CS].sel = 0xf000;
	c->seg[SEG_CS].base = 0xffff0000;
	c->seg[SEG_CS].attr = SEGA_P | SEGA_S | 0xb; /* code, execute/read, accessed */
	c->gdtr = (struct dtr){0, 0xffff};
	c->idtr = (struct dtr){0, 0xffff};
	c->ldtr = (struct segment){0, 0, 0xffff, SEGA_P | 0x2};
	c->tr = (struct segment){0, 0, 0xffff, SEGA_P | 0xb};
	c->cr0 = CR0_ET | CR0_NW | CR0_CD;
	c->cr2 = c->cr3 = c->cr4 = c->cr8 = 0;
	c->xcr0 = 1;
	c->efer = 0;
	memset(c->dr, 0, sizeof(c->dr));
	c->dr[6] = 0xffff0ff0;
	c->dr[7] = 0x400;
	memset(&c->msr, 0, sizeof(c->msr));
	/* IA32_APIC_BASE: 0xFEE00000, global enable (bit 11), BSP flag (bit 8). */
	c->msr.apic_base = 0xfee00000 | BIT(11) | (c->index == 0 ? BIT(8) : 0);
	c->msr.pat = 0x0007040600070406ULL;
	c->tsc_offset = 0;
	c->halted = false;
	c->shutdown = false;
	c->wait_for_sipi = c->index != 0; /* application processors wait for SIPI */
	c->intr_shadow = 0;
	c->nmi_pending = c->nmi_blocked = false;
	c->delivering = -1;
	c->pending_vector = -1;
	c->mode = CPU_MODE_REAL;
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);
}

/*
 * Which mode are we in?  (SDM Vol 3 §2.2, Figure 2-3.)
 *   CR0.PE = 0                     real-address mode
 *   EFLAGS.VM = 1 (PE = 1)         virtual-8086 mode
 *   EFER.LMA = 1, CS.L = 1         64-bit mode
 *   EFER.LMA = 1, CS.L = 0         compatibility mode (16 or 32 by CS.D)
 *   otherwise                      protected mode (16 or 32 by CS.D)
 * CPL is CS.RPL in protected mode (SS.DPL equals it after every legal load),
 * 0 in real mode and 3 in virtual-8086 mode.
 */
void cpu_update_mode(struct cpu *c)
{
	enum cpu_mode old = c->mode, m;
	bool d = c->seg[SEG_CS].attr & SEGA_DB;

	if (!(c->cr0 & CR0_PE)) {
		m = CPU_MODE_REAL;
		c->cpl = 0;
	} else if (c->rflags & FL_VM) {
		m = CPU_MODE_VM86;
		c->cpl = 3;
	} else {
		c->cpl = c->seg[SEG_CS].sel & 3;
		if (c->efer & EFER_LMA)
			m = (c->seg[SEG_CS].attr & SEGA_L) ? CPU_MODE_LONG64
			    : d				   ? CPU_MODE_COMPAT32
							   : CPU_MODE_COMPAT16;
		else
			m = d ? CPU_MODE_PROT32 : CPU_MODE_PROT16;
	}
	c->mode = m;
	c->code_size = m == CPU_MODE_LONG64				  ? 8
		       : (m == CPU_MODE_PROT32 || m == CPU_MODE_COMPAT32) ? 4
									  : 2;
	if (m == CPU_MODE_LONG64)
		c->stack_size = 8;
	else if (m == CPU_MODE_REAL || m == CPU_MODE_VM86)
		c->stack_size = 2;
	else
		c->stack_size = (c->seg[SEG_SS].attr & SEGA_DB) ? 4 : 2;
	if (m != old)
		trace_emit(c->trace, TRACE_MODE, c->index, c->seg[SEG_CS].base + c->rip, old, m, 0,
			   0, NULL);
}

void cpu_load_seg_real(struct cpu *c, enum sreg s, u16 sel)
{
	struct segment *sg = &c->seg[s];

	/* Real and virtual-8086 mode: the hidden base is simply sel * 16; the
	 * limit and attributes keep whatever the cache held (the "unreal mode"
	 * trick relies on that), except in VM86 where they are forced. */
	sg->sel = sel;
	sg->base = (u64)sel << 4;
	if (c->mode == CPU_MODE_VM86) {
		sg->limit = 0xffff;
		sg->attr = SEGA_P | SEGA_S | (3 << SEGA_DPL_SHIFT) | (s == SEG_CS ? 0xb : 0x3);
	}
	if (s == SEG_CS || s == SEG_SS)
		cpu_update_mode(c);
}

/* Byte registers 4-7 are AH, CH, DH, BH unless a REX prefix is present
 * (then they are SPL, BPL, SIL, DIL) - SDM Vol 2 §3.7.2.1. */
u64 cpu_get_reg(const struct cpu *c, int reg, unsigned size, bool rex)
{
	switch (size) {
	case 1:
		if (!rex && reg >= 4 && reg < 8)
			return (c->gpr[reg - 4] >> 8) & 0xff;
		return c->gpr[reg] & 0xff;
	case 2: return c->gpr[reg] & 0xffff;
	case 4: return c->gpr[reg] & 0xffffffff;
	default: return c->gpr[reg];
	}
}

/* 8- and 16-bit writes merge into the register; a 32-bit write zero-extends
 * into the full 64-bit register (SDM Vol 1 §3.4.1.1). */
void cpu_set_reg(struct cpu *c, int reg, unsigned size, bool rex, u64 v)
{
	switch (size) {
	case 1:
		if (!rex && reg >= 4 && reg < 8)
			c->gpr[reg - 4] = (c->gpr[reg - 4] & ~0xff00ULL) | ((v & 0xff) << 8);
		else
			c->gpr[reg] = (c->gpr[reg] & ~0xffULL) | (v & 0xff);
		break;
	case 2: c->gpr[reg] = (c->gpr[reg] & ~0xffffULL) | (v & 0xffff); break;
	case 4: c->gpr[reg] = v & 0xffffffff; break;
	default: c->gpr[reg] = v; break;
	}
}

u64 cpu_rflags(struct cpu *c)
{
	flags_materialize(c);
	return c->rflags;
}

/* Write RFLAGS wholesale.  Bit 1 always reads 1; bits 3, 5, 15 and 22-63
 * always read 0.  Privilege rules (IOPL, IF, VM ...) are the caller's job:
 * this is the raw register write. */
void cpu_set_rflags(struct cpu *c, u64 v)
{
	u64 old = c->rflags;
	const u64 valid = FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT | FL_RF | FL_VM |
			  FL_AC | FL_VIF | FL_VIP | FL_ID;

	c->lf.op = LAZY_NONE;
	c->rflags = (v & valid) | FL_1;
	if ((old ^ c->rflags) & FL_VM)
		cpu_update_mode(c);
}

/* Which vectors push an error code (SDM Vol 3 §6.13, Table 6-1). */
static bool vector_has_error(int v)
{
	return v == EXC_DF || (v >= EXC_TS && v <= EXC_PF) || v == EXC_AC || v == EXC_CP;
}

void cpu_raise(struct cpu *c, int vector, u32 error_code)
{
	c->pending_vector = vector;
	c->pending_has_error = vector_has_error(vector);
	c->pending_error = c->pending_has_error ? error_code : 0;
	if (!c->fault_jmp_set)
		panic("cpu%d: exception %d raised outside instruction execution", c->index, vector);
	longjmp(c->fault_jmp, 1);
}

void cpu_raise_pf(struct cpu *c, u64 linear, u32 error_code)
{
	c->cr2 = linear;
	cpu_raise(c, EXC_PF, error_code);
}
