/*
 * msr.c - model-specific registers and RDMSR/WRMSR (SDM Vol 2B "RDMSR",
 * "WRMSR"; Vol 4 ch. 2 "Model-Specific Registers", Table 2-2 architectural
 * MSRs; Vol 3 §2.2.1 for IA32_EFER).
 *
 * vmlab implements the documented set below and nothing else: any other
 * index raises #GP(0), exactly what a real processor does for an MSR it does
 * not have.  A guest probing MSRs (Linux does) sees #GP and copes.
 *
 * Values are checked as the SDM says: reserved bits set -> #GP(0); a
 * non-canonical address in an MSR that holds one -> #GP(0).
 */
#include "cpu/system.h"

#include "cpu/cpuid.h"
#include "cpu/insn.h"
#include "cpu/mem.h"

const char *cpu_msr_name(u32 index)
{
	switch (index) {
	case MSR_TSC: return "IA32_TIME_STAMP_COUNTER";
	case MSR_PLATFORM_ID: return "IA32_PLATFORM_ID";
	case MSR_APIC_BASE: return "IA32_APIC_BASE";
	case MSR_FEATURE_CONTROL: return "IA32_FEATURE_CONTROL";
	case MSR_TSC_ADJUST: return "IA32_TSC_ADJUST";
	case MSR_BIOS_SIGN_ID: return "IA32_BIOS_SIGN_ID";
	case MSR_MTRRCAP: return "IA32_MTRRCAP";
	case MSR_SYSENTER_CS: return "IA32_SYSENTER_CS";
	case MSR_SYSENTER_ESP: return "IA32_SYSENTER_ESP";
	case MSR_SYSENTER_EIP: return "IA32_SYSENTER_EIP";
	case MSR_MCG_CAP: return "IA32_MCG_CAP";
	case MSR_MCG_STATUS: return "IA32_MCG_STATUS";
	case MSR_MISC_ENABLE: return "IA32_MISC_ENABLE";
	case MSR_PAT: return "IA32_PAT";
	case MSR_MTRR_DEF_TYPE: return "IA32_MTRR_DEF_TYPE";
	case MSR_EFER: return "IA32_EFER";
	case MSR_STAR: return "IA32_STAR";
	case MSR_LSTAR: return "IA32_LSTAR";
	case MSR_CSTAR: return "IA32_CSTAR";
	case MSR_SFMASK: return "IA32_FMASK";
	case MSR_FS_BASE: return "IA32_FS_BASE";
	case MSR_GS_BASE: return "IA32_GS_BASE";
	case MSR_KERNEL_GS_BASE: return "IA32_KERNEL_GS_BASE";
	case MSR_TSC_AUX: return "IA32_TSC_AUX";
	default: return NULL;
	}
}

bool cpu_msr_read(struct cpu *c, u32 index, u64 *v)
{
	switch (index) {
	case MSR_TSC: *v = cpu_tsc(c); return true;
	case MSR_PLATFORM_ID: *v = 0; return true;
	case MSR_APIC_BASE: *v = c->msr.apic_base; return true;
	/* Lock bit set, VMX disabled: firmware has "locked" the feature. */
	case MSR_FEATURE_CONTROL: *v = 1; return true;
	case MSR_TSC_ADJUST:
		if (!cpu_has_feature(c, CPUF_TSC_ADJUST))
			return false;
		*v = c->msr.tsc_adjust;
		return true;
	case MSR_BIOS_SIGN_ID:
		*v = 0;
		return true; /* no microcode loaded */
	/* MTRRs are not advertised (CPUID.MTRR = 0); the two registers read as
	 * "no variable ranges, no fixed ranges" and whatever was written. */
	case MSR_MTRRCAP: *v = 0; return true;
	case MSR_MTRR_DEF_TYPE: *v = c->msr.mtrr_def_type; return true;
	case MSR_SYSENTER_CS: *v = c->msr.sysenter_cs; return true;
	case MSR_SYSENTER_ESP: *v = c->msr.sysenter_esp; return true;
	case MSR_SYSENTER_EIP: *v = c->msr.sysenter_eip; return true;
	case MSR_MCG_CAP: *v = 0; return true; /* no machine-check banks */
	case MSR_MCG_STATUS: *v = 0; return true;
	case MSR_MISC_ENABLE: *v = c->msr.misc_enable; return true;
	case MSR_PAT: *v = c->msr.pat; return true;
	case MSR_EFER: *v = c->efer; return true;
	case MSR_STAR: *v = c->msr.star; return true;
	case MSR_LSTAR: *v = c->msr.lstar; return true;
	case MSR_CSTAR: *v = c->msr.cstar; return true;
	case MSR_SFMASK: *v = c->msr.sfmask; return true;
	/* FS.base/GS.base ARE the segment caches: one copy, no aliasing bugs. */
	case MSR_FS_BASE: *v = c->seg[SEG_FS].base; return true;
	case MSR_GS_BASE: *v = c->seg[SEG_GS].base; return true;
	case MSR_KERNEL_GS_BASE: *v = c->msr.kernel_gs_base; return true;
	case MSR_TSC_AUX:
		if (!cpu_has_feature(c, RDTSCP) && !cpu_has_feature(c, RDPID))
			return false;
		*v = c->msr.tsc_aux;
		return true;
	default: return false;
	}
}

/* A PAT entry must be a defined memory type: UC WC WT WP WB UC- (0 1 4 5 6 7). */
static bool pat_valid(u64 v)
{
	for (int k = 0; k < 8; k++) {
		unsigned t = (v >> (k * 8)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/*
 * IA32_EFER (SDM Vol 3 §2.2.1, §10.8.5): SCE (0), LME (8), LMA (10, read
 * only: the processor sets it when paging is enabled with LME = 1), NXE (11).
 * LME may not change while paging is on.
 */
static bool efer_write(struct cpu *c, u64 v)
{
	u64 ok = EFER_SCE | EFER_LME | EFER_LMA | (cpu_has_feature(c, CPUF_NX) ? EFER_NXE : 0);
	u64 old = c->efer;

	if (v & ~ok)
		return false;
	if ((c->cr0 & CR0_PG) && ((v ^ old) & EFER_LME))
		return false;
	c->efer = (v & ~EFER_LMA) | (old & EFER_LMA);
	if ((old ^ c->efer) & EFER_NXE)
		cpu_tlb_flush(c, true); /* cached translations carry the NX decision */
	cpu_update_mode(c);
	return true;
}

static bool apic_base_write(struct cpu *c, u64 v)
{
	/* Bits: 8 BSP (read only), 10 x2APIC enable (not offered), 11 global
	 * enable, 12..MAXPHYADDR-1 the base.  Clearing bit 11 disables the
	 * local APIC; setting it again re-enables it (the device model reads
	 * c->msr.apic_base). */
	u64 base_mask = ((1ULL << CPUID_MAXPHYADDR) - 1) & ~0xfffULL;

	if (v & ~(base_mask | BIT(11) | BIT(8)))
		return false;
	c->msr.apic_base = (v & ~BIT(8)) | (c->msr.apic_base & BIT(8));
	return true;
}

bool cpu_msr_write(struct cpu *c, u32 index, u64 v)
{
	switch (index) {
	case MSR_TSC:
		/* Writing the TSC moves the offset so that it reads v now. */
		c->tsc_offset += v - cpu_tsc(c);
		return true;
	case MSR_APIC_BASE: return apic_base_write(c, v);
	case MSR_TSC_ADJUST:
		if (!cpu_has_feature(c, CPUF_TSC_ADJUST))
			return false;
		c->tsc_offset += v - c->msr.tsc_adjust;
		c->msr.tsc_adjust = v;
		return true;
	case MSR_BIOS_SIGN_ID: return true; /* microcode update trigger: ignored */
	case MSR_MTRR_DEF_TYPE:
		if (v & ~0xcffULL)
			return false;
		c->msr.mtrr_def_type = v;
		return true;
	case MSR_SYSENTER_CS: c->msr.sysenter_cs = v & 0xffff; return !(v >> 32);
	case MSR_SYSENTER_ESP:
		if (!cpu_canonical(c, v))
			return false;
		c->msr.sysenter_esp = v;
		return true;
	case MSR_SYSENTER_EIP:
		if (!cpu_canonical(c, v))
			return false;
		c->msr.sysenter_eip = v;
		return true;
	case MSR_MCG_STATUS: return v == 0;
	case MSR_MISC_ENABLE:
		/* Bit 0 fast strings, 3 TM, 7 perfmon, 11/12 BTS/PEBS unavailable,
		 * 16 EIST, 18 MONITOR, 22 limit CPUID, 34 XD disable: store them,
		 * none changes behaviour here. */
		c->msr.misc_enable = v;
		return true;
	case MSR_PAT:
		if (!pat_valid(v))
			return false;
		c->msr.pat = v;
		return true;
	case MSR_EFER: return efer_write(c, v);
	case MSR_STAR: c->msr.star = v; return true;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if (!cpu_canonical(c, v))
			return false;
		if (index == MSR_LSTAR)
			c->msr.lstar = v;
		else if (index == MSR_CSTAR)
			c->msr.cstar = v;
		else if (index == MSR_FS_BASE)
			c->seg[SEG_FS].base = v;
		else if (index == MSR_GS_BASE)
			c->seg[SEG_GS].base = v;
		else
			c->msr.kernel_gs_base = v;
		return true;
	case MSR_SFMASK:
		if (v >> 32)
			return false;
		c->msr.sfmask = v;
		return true;
	case MSR_TSC_AUX:
		if (v >> 32 || (!cpu_has_feature(c, RDTSCP) && !cpu_has_feature(c, RDPID)))
			return false;
		c->msr.tsc_aux = v;
		return true;
	default: return false;
	}
}

/* ---- the instructions (0F 32 RDMSR, 0F 30 WRMSR) ---------------------- */

/* ECX selects the MSR; the value travels in EDX:EAX.  Privileged: CPL 0
 * only (in real mode CPL is 0).  Check order per STYLE.md §3. */
void RDMSR(struct cpu *c, const struct insn *i)
{
	u32 index = (u32)c->gpr[RCX];
	u64 v;

	if (c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
	if (c->hooks.intercept && c->hooks.intercept(c->hooks.opaque, c, i))
		return;
	if (!cpu_msr_read(c, index, &v))
		cpu_raise(c, EXC_GP, 0);
	trace_emit(c->trace, TRACE_MSR, c->index, c->seg[SEG_CS].base + c->rip, index, v, 0, 0,
		   cpu_msr_name(index));
	c->gpr[RAX] = (u32)v;
	c->gpr[RDX] = v >> 32;
}

void WRMSR(struct cpu *c, const struct insn *i)
{
	u32 index = (u32)c->gpr[RCX];
	u64 v = ((c->gpr[RDX] & 0xffffffffu) << 32) | (c->gpr[RAX] & 0xffffffffu);

	if (c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
	if (c->hooks.intercept && c->hooks.intercept(c->hooks.opaque, c, i))
		return;
	if (!cpu_msr_write(c, index, v))
		cpu_raise(c, EXC_GP, 0);
	trace_emit(c->trace, TRACE_MSR, c->index, c->seg[SEG_CS].base + c->rip, index, v, 1, 0,
		   cpu_msr_name(index));
}
