/*
 * exec_system.c - the operating system's instructions: descriptor-table
 * registers, LDTR/TR, the descriptor probes LAR/LSL/VERR/VERW, TLB and
 * cache control, STAC/CLAC, SWAPGS, the FS/GS base instructions,
 * XGETBV/XSETBV, HLT and the x87 escape policy.  (Control and debug
 * registers: exec_cr.c.)
 *
 * Follows SDM Vol 2 (each mnemonic's page), Vol 3 §2.5 (control registers),
 * §2.4 (GDTR/IDTR/LDTR/TR), §17.2 (debug registers), §2.5 CR4.UMIP.
 *
 * Every sensitive handler has the same three steps, in this order
 * (STYLE.md §3):
 *   1. the architectural check: CPL, mode, CR4.UMIP ... -> #GP/#UD;
 *   2. CPU_INTERCEPT: the virtualization mode may take the instruction;
 *   3. the emulation.
 * Several of them -- SGDT, SIDT, SLDT, STR, SMSW, LAR, LSL, VERR, VERW --
 * do NOT trap at CPL 3 on a real x86 (unless UMIP): they are the classic
 * "virtualization holes" that let a deprivileged guest kernel see the truth.
 */
#include "cpu/system.h"

#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"

static bool prot_mode(const struct cpu *c)
{
	return c->mode != CPU_MODE_REAL && c->mode != CPU_MODE_VM86;
}

static void need_cpl0(struct cpu *c)
{
	if (c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
}

/* ---- GDTR / IDTR (SDM Vol 2 "LGDT/LIDT", "SGDT", "SIDT") ---------------- */

/* The pseudo-descriptor in memory: limit (2 bytes), then the base: 3 bytes
 * with a 16-bit operand size, 4 with 32, 8 in 64-bit mode. */
static void load_dtr(struct cpu *c, const struct insn *i, struct dtr *t)
{
	u64 ea = insn_ea(c, i), base;
	u16 limit;

	need_cpl0(c);
	CPU_INTERCEPT(c, i);
	limit = (u16)cpu_read(c, i->seg, ea, 2);
	if (c->mode == CPU_MODE_LONG64) {
		base = cpu_read(c, i->seg, ea + 2, 8);
		if (!cpu_canonical(c, base))
			cpu_raise(c, EXC_GP, 0);
	} else {
		base = cpu_read(c, i->seg, ea + 2, 4);
		if (i->osize == 2)
			base &= 0xffffff;
	}
	t->limit = limit;
	t->base = base;
}

static void store_dtr(struct cpu *c, const struct insn *i, const struct dtr *t)
{
	u64 ea = insn_ea(c, i);

	cpu_umip_check(c);
	CPU_INTERCEPT(c, i);
	/* Modern processors store all 32 base bits even with a 16-bit
	 * operand size (the 286 stored 0xFF in the top byte). */
	cpu_write(c, i->seg, ea, 2, t->limit);
	cpu_write(c, i->seg, ea + 2, c->mode == CPU_MODE_LONG64 ? 8 : 4, t->base);
}

void LGDT_Ms(struct cpu *c, const struct insn *i)
{
	load_dtr(c, i, &c->gdtr);
}
void LIDT_Ms(struct cpu *c, const struct insn *i)
{
	load_dtr(c, i, &c->idtr);
}
void SGDT_Ms(struct cpu *c, const struct insn *i)
{
	store_dtr(c, i, &c->gdtr);
}
void SIDT_Ms(struct cpu *c, const struct insn *i)
{
	store_dtr(c, i, &c->idtr);
}

/* ---- LDTR and TR (SDM Vol 2 "LLDT", "LTR", "SLDT", "STR") --------------- */

/* Read a system descriptor named by a GDT selector: 16 bytes in IA-32e
 * mode (the base has 64 bits), 8 otherwise.  #GP(sel) when out of the GDT. */
static void read_sys_desc(struct cpu *c, u16 sel, u64 *lo, u64 *hi, u64 *addr)
{
	bool ok;

	*hi = 0;
	if (sel & SEL_TI)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (c->efer & EFER_LMA)
		ok = seg_read_desc16(c, sel, true, lo, hi, addr);
	else
		ok = seg_read_desc(c, sel, lo, addr);
	if (!ok)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
}

static void sys_seg(struct cpu *c, struct segment *s, u16 sel, u64 lo, u64 hi)
{
	desc_to_segment(lo, sel, s);
	if (c->efer & EFER_LMA) {
		s->base |= (hi & 0xffffffffu) << 32;
		if (!cpu_canonical(c, s->base))
			cpu_raise(c, EXC_GP, SEL_ERR(sel));
	}
}

void LLDT_Ew(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 lo, hi, addr;
	struct segment s;

	if (!prot_mode(c))
		cpu_raise(c, EXC_UD, 0);
	need_cpl0(c);
	sel = (u16)opnd_read(c, i, 0);
	CPU_INTERCEPT(c, i);
	if (SEL_IS_NULL(sel)) {
		/* A null LDTR is legal: later LDT references fault. */
		c->ldtr = (struct segment){sel, 0, 0, SEGA_UNUSABLE};
		return;
	}
	read_sys_desc(c, sel, &lo, &hi, &addr);
	if ((lo & BIT(44)) || BITS(lo, 43, 40) != DESC_LDT)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!(lo & BIT(47)))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
	sys_seg(c, &s, sel, lo, hi);
	c->ldtr = s;
}

void LTR_Ew(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 lo, hi, addr;
	unsigned type;
	struct segment s;

	if (!prot_mode(c))
		cpu_raise(c, EXC_UD, 0);
	need_cpl0(c);
	sel = (u16)opnd_read(c, i, 0);
	CPU_INTERCEPT(c, i);
	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, 0);
	read_sys_desc(c, sel, &lo, &hi, &addr);
	type = (unsigned)BITS(lo, 43, 40);
	/* An AVAILABLE TSS: loading a busy one would mean two tasks share it.
	 * IA-32e mode knows only the 64-bit TSS (type 9). */
	if ((lo & BIT(44)) || !(type == DESC_TSS || (type == DESC_TSS16 && !(c->efer & EFER_LMA))))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!(lo & BIT(47)))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
	sys_seg(c, &s, sel, lo, hi);
	/* Mark the descriptor busy in memory (type bit 1), then in the cache. */
	lo |= BIT(41);
	cpu_write_lin(c, addr + 5, 1, (lo >> 40) & 0xff, true);
	s.attr |= 2;
	c->tr = s;
}

/* SLDT/STR: a register destination gets the selector zero-extended to the
 * operand size; memory always gets 16 bits. */
static void store_sel(struct cpu *c, const struct insn *i, u16 sel)
{
	if (!prot_mode(c))
		cpu_raise(c, EXC_UD, 0);
	cpu_umip_check(c);
	CPU_INTERCEPT(c, i);
	if (i->mem)
		cpu_write(c, i->seg, insn_ea(c, i), 2, sel);
	else
		cpu_set_reg(c, i->rm, i->osize, true, sel);
}

void SLDT_Ev(struct cpu *c, const struct insn *i)
{
	store_sel(c, i, c->ldtr.sel);
}
void STR_Ev(struct cpu *c, const struct insn *i)
{
	store_sel(c, i, c->tr.sel);
}

/* ---- LAR, LSL, VERR, VERW: ask about a selector without loading it ------
 * (SDM Vol 2 "LAR", "LSL", "VERR/VERW").  They never fault for a bad
 * selector: they answer in ZF.  Because they work at CPL 3 they tell a
 * deprivileged guest kernel its true privilege level. */

/* Read and privilege-check the descriptor for the probes; false -> ZF = 0. */
static bool probe(struct cpu *c, u16 sel, u64 *d)
{
	u64 addr;
	u32 a;

	if (SEL_IS_NULL(sel) || !seg_read_desc(c, sel, d, &addr))
		return false;
	a = desc_attr(*d);
	/* Conforming code is visible from every level; everything else only
	 * when DPL >= max(CPL, RPL). */
	if (!seg_is_conforming(a) && (seg_dpl(a) < c->cpl || seg_dpl(a) < SEL_RPL(sel)))
		return false;
	return true;
}

static void set_zf(struct cpu *c, bool z)
{
	flags_write(c, FL_ZF, z ? FL_ZF : 0);
}

static void probe_prologue(struct cpu *c, const struct insn *i)
{
	if (!prot_mode(c))
		cpu_raise(c, EXC_UD, 0);
}

void LAR_GvEw(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 d;
	bool ok;
	unsigned t;

	probe_prologue(c, i);
	sel = (u16)opnd_read(c, i, 1);
	CPU_INTERCEPT(c, i);
	ok = probe(c, sel, &d);
	if (ok && !(d & BIT(44))) {
		/* System descriptors LAR accepts (SDM Vol 2 LAR Table 3-52). */
		t = (unsigned)BITS(d, 43, 40);
		ok = (c->efer & EFER_LMA)
			 ? (t == DESC_LDT || t == DESC_TSS || t == DESC_TSS_BUSY || t == DESC_CALL)
			 : (t != 0 && t != 8 && t != 10 && t != 13 && t != 14 && t != 15 &&
			    t != DESC_INT16 && t != DESC_TRAP16);
	}
	if (ok)
		cpu_set_reg(c, i->reg, i->osize == 2 ? 2 : 4, true,
			    (d >> 32) & (i->osize == 2 ? 0xff00 : 0xf0ff00));
	set_zf(c, ok);
}

void LSL_GvEw(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 d;
	bool ok;
	unsigned t;

	probe_prologue(c, i);
	sel = (u16)opnd_read(c, i, 1);
	CPU_INTERCEPT(c, i);
	ok = probe(c, sel, &d);
	if (ok && !(d & BIT(44))) {
		/* Only descriptors that have a limit: LDT and TSS. */
		t = (unsigned)BITS(d, 43, 40);
		ok = t == DESC_LDT || t == DESC_TSS || t == DESC_TSS_BUSY ||
		     (!(c->efer & EFER_LMA) && (t == DESC_TSS16 || t == DESC_TSS16_BUSY));
	}
	if (ok)
		cpu_set_reg(c, i->reg, i->osize == 2 ? 2 : 4, true, desc_limit(d));
	set_zf(c, ok);
}

static void verify(struct cpu *c, const struct insn *i, bool write)
{
	u16 sel;
	u64 d = 0;
	bool ok;
	u32 a;

	probe_prologue(c, i);
	sel = (u16)opnd_read(c, i, 0);
	CPU_INTERCEPT(c, i);
	ok = probe(c, sel, &d);
	a = desc_attr(d);
	if (ok)
		ok = write ? seg_is_writable_data(a) : seg_is_readable(a);
	set_zf(c, ok);
}

void VERR_Ew(struct cpu *c, const struct insn *i)
{
	verify(c, i, false);
}
void VERW_Ew(struct cpu *c, const struct insn *i)
{
	verify(c, i, true);
}

/* ---- TLB and caches ------------------------------------------------------ */

/* 0F 01 /7: INVLPG m -- drop the translation of the page holding m.  The
 * operand is an address, not an access: no segment-limit check, no fault. */
void INVLPG_Mb(struct cpu *c, const struct insn *i)
{
	u64 lin;

	need_cpl0(c);
	CPU_INTERCEPT(c, i);
	lin = c->seg[i->seg].base + insn_ea(c, i);
	if (c->mode != CPU_MODE_LONG64)
		lin &= 0xffffffffu;
	else if (!cpu_canonical(c, lin))
		return; /* a non-canonical address has no translation: no-op */
	cpu_tlb_flush_page(c, lin);
}

/* 66 0F 38 82: INVPCID (only reached when CPUID advertises it). */
void INVPCID_GyMdq(struct cpu *c, const struct insn *i)
{
	u64 type = c->gpr[i->reg];
	u64 ea = insn_ea(c, i), pcid, lin;

	need_cpl0(c);
	pcid = cpu_read(c, i->seg, ea, 8);
	lin = cpu_read(c, i->seg, ea + 8, 8);
	/* The descriptor's bits 63:12 are reserved; type 0 needs a canonical
	 * address; without CR4.PCIDE only PCID 0 may be named by types 0 and 1
	 * (SDM Vol 2 "INVPCID" Operation). */
	if (type > 3 || (pcid >> 12))
		cpu_raise(c, EXC_GP, 0);
	if (type == 0 && !cpu_canonical(c, lin))
		cpu_raise(c, EXC_GP, 0);
	if (type <= 1 && pcid && !(c->cr4 & CR4_PCIDE))
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	cpu_tlb_invpcid(c, (unsigned)type, (u16)pcid, lin);
}

/* 0F 09 / 0F 08: there are no caches to write back or invalidate. */
void WBINVD(struct cpu *c, const struct insn *i)
{
	need_cpl0(c);
	CPU_INTERCEPT(c, i);
}
void INVD(struct cpu *c, const struct insn *i)
{
	need_cpl0(c);
	CPU_INTERCEPT(c, i);
}

/* ---- SMAP (SDM Vol 2 "STAC", "CLAC"; Vol 3 §4.6): RFLAGS.AC lets CPL 0
 * touch user pages while CR4.SMAP = 1.  #UD at CPL > 0 (not #GP), and in
 * VM86 mode; the CPUID gate (SMAP) is step.c's. ---------------------------- */

static void smap_insn(struct cpu *c, const struct insn *i, bool set)
{
	if (c->cpl > 0 || c->mode == CPU_MODE_VM86)
		cpu_raise(c, EXC_UD, 0);
	CPU_INTERCEPT(c, i);
	if (set)
		c->rflags |= FL_AC;
	else
		c->rflags &= ~(u64)FL_AC;
}

/* 0F 01 CB: STAC sets RFLAGS.AC. */
void STAC(struct cpu *c, const struct insn *i)
{
	smap_insn(c, i, true);
}

/* 0F 01 CA: CLAC clears RFLAGS.AC. */
void CLAC(struct cpu *c, const struct insn *i)
{
	smap_insn(c, i, false);
}

/* ---- 64-bit FS/GS bases (SDM Vol 2 "SWAPGS", "RDFSBASE/RDGSBASE",
 * "WRFSBASE/WRGSBASE") -------------------------------------------------- */

/* 0F 01 F8: exchange GS.base with IA32_KERNEL_GS_BASE -- how a 64-bit
 * kernel finds its per-CPU data on entry without touching a register. */
void SWAPGS(struct cpu *c, const struct insn *i)
{
	u64 t;

	need_cpl0(c);
	CPU_INTERCEPT(c, i);
	t = c->seg[SEG_GS].base;
	c->seg[SEG_GS].base = c->msr.kernel_gs_base;
	c->msr.kernel_gs_base = t;
}

static void fsgs_check(struct cpu *c)
{
	if (!(c->cr4 & CR4_FSGSBASE))
		cpu_raise(c, EXC_UD, 0);
}

static void rd_base(struct cpu *c, const struct insn *i, enum sreg s)
{
	fsgs_check(c);
	cpu_set_reg(c, i->rm, i->osize == 8 ? 8 : 4, true, c->seg[s].base);
}

static void wr_base(struct cpu *c, const struct insn *i, enum sreg s)
{
	u64 v;

	fsgs_check(c);
	v = cpu_get_reg(c, i->rm, i->osize == 8 ? 8 : 4, true);
	if (!cpu_canonical(c, v))
		cpu_raise(c, EXC_GP, 0);
	c->seg[s].base = v;
}

void RDFSBASE_Ry(struct cpu *c, const struct insn *i)
{
	rd_base(c, i, SEG_FS);
}
void RDGSBASE_Ry(struct cpu *c, const struct insn *i)
{
	rd_base(c, i, SEG_GS);
}
void WRFSBASE_Ry(struct cpu *c, const struct insn *i)
{
	wr_base(c, i, SEG_FS);
}
void WRGSBASE_Ry(struct cpu *c, const struct insn *i)
{
	wr_base(c, i, SEG_GS);
}

/* F3 0F C7 /7: RDPID r -- IA32_TSC_AUX without the TSC read. */
void RDPID_Ry(struct cpu *c, const struct insn *i)
{
	cpu_set_reg(c, i->rm, c->mode == CPU_MODE_LONG64 ? 8 : 4, true, c->msr.tsc_aux);
}

/* ---- XCR0 (SDM Vol 2 "XGETBV", "XSETBV"; Vol 1 §13.3) ------------------- */

void XGETBV(struct cpu *c, const struct insn *i)
{
	if (!(c->cr4 & CR4_OSXSAVE))
		cpu_raise(c, EXC_UD, 0);
	if ((u32)c->gpr[RCX] != 0)
		cpu_raise(c, EXC_GP, 0);
	c->gpr[RAX] = (u32)c->xcr0;
	c->gpr[RDX] = c->xcr0 >> 32;
}

void XSETBV(struct cpu *c, const struct insn *i)
{
	u64 v = ((c->gpr[RDX] & 0xffffffffu) << 32) | (c->gpr[RAX] & 0xffffffffu);

	if (!(c->cr4 & CR4_OSXSAVE))
		cpu_raise(c, EXC_UD, 0);
	need_cpl0(c);
	/* Only XCR0 exists; bit 0 (x87) must be set, and we have no other
	 * state component (no SSE/AVX), so XCR0 = 1 is the only legal value. */
	if ((u32)c->gpr[RCX] != 0 || v != 1)
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	c->xcr0 = v;
}

/* ---- HLT and the x87 escapes -------------------------------------------- */

/* F4: HLT stops the processor until an interrupt (or NMI) arrives; the
 * handler's IRET returns to the instruction after HLT. */
void HLT(struct cpu *c, const struct insn *i)
{
	need_cpl0(c);
	CPU_INTERCEPT(c, i);
	c->halted = true;
}

/*
 * D8-DF: x87 floating point.  vmlab has no FPU and CPUID says so (FPU = 0).
 * The policy, written down once:
 *   - CR0.EM = 1 or CR0.TS = 1 -> #NM (device not available): this is the
 *     path an OS with an FPU emulator (EM) or lazy FPU switching (TS) uses,
 *     and it must work the same whether or not an FPU exists;
 *   - otherwise                -> #UD: there is no FPU to execute it.
 * (A CPU *with* an FPU would execute the instruction in the second case.)
 * NOTE: cpu_step checks the row's CPUID feature first; for this policy to be
 * reachable the ESC rows must not be gated on FPU.
 */
static void x87_escape(struct cpu *c)
{
	if (c->cr0 & (CR0_EM | CR0_TS))
		cpu_raise(c, EXC_NM, 0);
	cpu_raise(c, EXC_UD, 0);
}

/* One handler per escape byte, as the ISA table has one row each:
 * ESC_D8 ... ESC_DF. */
#define X87_ESCAPE_FORM(op)                                                                        \
	void ESC_##op(struct cpu *c, const struct insn *i)                                         \
	{                                                                                          \
		x87_escape(c);                                                                     \
	}
X87_ESCAPE_FORM(D8)
X87_ESCAPE_FORM(D9)
X87_ESCAPE_FORM(DA)
X87_ESCAPE_FORM(DB)
X87_ESCAPE_FORM(DC)
X87_ESCAPE_FORM(DD)
X87_ESCAPE_FORM(DE)
X87_ESCAPE_FORM(DF)

/* ---- performance counters (SDM Vol 2 "RDPMC") ---------------------------- */

/* 0F 33: RDPMC.  At CPL > 0 it is allowed only with CR4.PCE = 1 (#GP(0)
 * otherwise).  vmlab models no performance-monitoring counters (CPUID leaf
 * 0AH reports none), so every counter index in ECX is invalid: #GP(0) by the
 * SDM.  (QEMU 7.2 raises #UD there instead; systest32 only tests CPL 3.) */
void RDPMC(struct cpu *c, const struct insn *i)
{
	if (c->cpl > 0 && !(c->cr4 & CR4_PCE))
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	cpu_raise(c, EXC_GP, 0);
}
