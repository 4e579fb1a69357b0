/*
 * vmm_msr.c - the guest's model-specific registers and the fast system
 * calls under the trap-and-emulate VMM (SDM Vol 2 RDMSR, WRMSR, SYSENTER,
 * SYSEXIT; Vol 3 §5.8.7 "Performing Fast Calls to System Procedures with
 * the SYSENTER and SYSEXIT Instructions"; Vol 4 for the MSR numbers).
 *
 * The rule (Popek & Goldberg's "resource control"): nothing the guest
 * writes may lower the REAL privilege floor.  Some MSRs name a code segment
 * the CPU will enter WITHOUT reading a descriptor -- SYSENTER loads a flat
 * CPL-0 CS from IA32_SYSENTER_CS -- so handing the guest's value to the
 * real CPU would let the guest kernel's SYSENTER handler (or any ring-3
 * program!) run at REAL ring 0, and SYSEXIT from there is not even a trap.
 * Like a real VMM, vmlab keeps those MSRs VIRTUAL (struct vcpu) and leaves
 * the real ones at values that make the instructions fault:
 *
 *   IA32_SYSENTER_CS/ESP/EIP   real CS = 0: SYSENTER is #GP(0) (SDM Vol 2
 *                              SYSENTER: "IF IA32_SYSENTER_CS[15:2] = 0
 *                              THEN #GP(0)"), the VMM enters the guest's
 *                              handler at ring 1 (vmm_sysenter); SYSEXIT
 *                              at real CPL 1 is #GP(0) too, emulated back
 *                              to ring 3 (vmm_sysexit).
 *   IA32_STAR/LSTAR/CSTAR/     SYSCALL/SYSRET/SWAPGS exist in 64-bit mode
 *   FMASK/KERNEL_GS_BASE       only, which the VMM refuses; kept virtual
 *                              anyway, so no later change can expose them.
 *   IA32_EFER                  LME refused (vmm.h); SCE, NXE pass (no
 *                              effect on 32-bit non-PAE paging).
 *   IA32_FS_BASE/GS_BASE       set the segment base directly: the VMM
 *                              re-truncates the limit below its area.
 *   the rest (TSC, PAT, MTRR,  harmless to the host: the real CPU's.
 *   APIC_BASE, MISC_ENABLE)    (APIC relocation is not modelled.)
 */
#include "cpu/exception.h"
#include "cpu/isa.h"
#include "cpu/segment.h"
#include "cpu/system.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

/* The virtual copy of MSR idx, or NULL when the real CPU's is used. */
static u64 *virtual_msr(struct vmm *m, u32 idx)
{
	struct vcpu *v = &m->v;

	switch (idx) {
	case MSR_SYSENTER_CS: return &v->sysenter_cs;
	case MSR_SYSENTER_ESP: return &v->sysenter_esp;
	case MSR_SYSENTER_EIP: return &v->sysenter_eip;
	case MSR_STAR: return &v->star;
	case MSR_LSTAR: return &v->lstar;
	case MSR_CSTAR: return &v->cstar;
	case MSR_SFMASK: return &v->sfmask;
	case MSR_KERNEL_GS_BASE: return &v->kernel_gs_base;
	default: return NULL;
	}
}

/* The checks cpu_msr_write makes for these MSRs (cpu/msr.c, SDM Vol 4):
 * false = #GP(0). */
static bool virtual_msr_valid(struct cpu *c, u32 idx, u64 val)
{
	switch (idx) {
	case MSR_SYSENTER_CS:
	case MSR_SFMASK: return !(val >> 32);
	case MSR_STAR: return true;
	default: return cpu_canonical(c, val);
	}
}

/* The take-over (vmm_trap.c activate): whatever the firmware wrote in real
 * mode becomes the virtual value; the real MSRs are cleared (CS = 0). */
void vmm_msr_takeover(struct vmm *m, struct cpu *c)
{
	static const u32 idx[] = {MSR_SYSENTER_CS, MSR_SYSENTER_ESP,  MSR_SYSENTER_EIP,
				  MSR_STAR,	   MSR_LSTAR,	      MSR_CSTAR,
				  MSR_SFMASK,	   MSR_KERNEL_GS_BASE};

	for (unsigned k = 0; k < ARRAY_SIZE(idx); k++) {
		u64 val = 0;

		if (cpu_msr_read(c, idx[k], &val))
			*virtual_msr(m, idx[k]) = val;
		cpu_msr_write(c, idx[k], 0);
	}
}

/* Re-truncate a segment whose base the guest set through an MSR, as
 * shadow_desc truncates descriptors: it must end below the VMM's area. */
static void clip_segment(struct segment *s)
{
	u64 top = s->base + (u64)s->limit;

	if ((s->attr & (SEGA_S | 0xc)) == (SEGA_S | 0x4))
		top = s->base + ((s->attr & SEGA_DB) ? 0xffffffffULL : 0xffffULL);
	if (top < VMM_AREA_BASE)
		return;
	if (s->base >= VMM_AREA_BASE || (s->attr & (SEGA_S | 0xc)) == (SEGA_S | 0x4)) {
		s->attr |= SEGA_UNUSABLE; /* cannot be truncated: unusable */
		s->attr &= ~(u32)SEGA_P;
		return;
	}
	s->limit = (u32)(VMM_AREA_BASE - s->base - 1);
}

bool vmm_rdmsr(struct vmm *m, struct cpu *c, u32 idx, u64 *val)
{
	u64 *vp = virtual_msr(m, idx);

	if (vp) {
		*val = *vp;
		return true;
	}
	return cpu_msr_read(c, idx, val);
}

bool vmm_wrmsr(struct vmm *m, struct cpu *c, u32 idx, u64 val)
{
	u64 *vp = virtual_msr(m, idx);

	if (vp) {
		if (!virtual_msr_valid(c, idx, val))
			return false;
		*vp = idx == MSR_SYSENTER_CS ? val & 0xffff : val;
		return true;
	}
	/* Long mode is where this VMM stops (vmm.h): IA32_EFER.LME would
	 * let CR0.PG enter IA-32e mode, whose 64-bit code has no ring 1 to
	 * compress to (segment limits are ignored there). */
	if (idx == MSR_EFER && (val & EFER_LME)) {
		vmm_refuse(m,
			   "guest sets EFER.LME (long mode) at eip=0x%llx: the VMM runs 32-bit "
			   "protected-mode guests only",
			   (unsigned long long)c->rip);
		return true;
	}
	if (!cpu_msr_write(c, idx, val))
		return false;
	if (idx == MSR_FS_BASE)
		clip_segment(&c->seg[SEG_FS]);
	if (idx == MSR_GS_BASE)
		clip_segment(&c->seg[SEG_GS]);
	return true;
}

/* A flat segment as SYSENTER/SYSEXIT load it (base 0, 4 GiB, no GDT read),
 * at the compressed DPL and truncated below the VMM's area. */
static void flat(struct segment *s, u16 sel, bool code, unsigned dpl)
{
	s->sel = sel;
	s->base = 0;
	s->limit = (u32)(VMM_AREA_BASE - 1);
	s->attr = SEGA_P | SEGA_S | SEGA_G | SEGA_DB | (dpl << SEGA_DPL_SHIFT) | (code ? 0xb : 0x3);
}

/*
 * SYSENTER (SDM Vol 2 SYSENTER, Operation), from guest ring 3 or 0: it
 * faulted because the real IA32_SYSENTER_CS is 0.  With the guest's own
 * (virtual) MSRs: #GP(0) if its CS[15:2] is 0; else RFLAGS.VM/IF/RF = 0
 * (IF virtually), CS = SYSENTER_CS & ~3 and SS = CS + 8, flat, at virtual
 * CPL 0 -- real ring 1 (RPL and DPL 1); ESP and EIP from the MSRs.
 */
void vmm_sysenter(struct vmm *m, struct cpu *c)
{
	struct vcpu *v = &m->v;
	u16 sel = (u16)v->sysenter_cs & 0xfffc;

	if (!sel)
		cpu_raise(c, EXC_GP, 0);
	v->vif = false;
	v->cpl = 0;
	cpu_set_rflags(c, cpu_rflags(c) & ~(u64)(FL_VM | FL_RF));
	flat(&c->seg[SEG_CS], sel | 1, true, 1);
	flat(&c->seg[SEG_SS], (u16)((sel + 8) | 1), false, 1);
	cpu_update_mode(c);
	c->gpr[RSP] = (u32)v->sysenter_esp;
	c->rip = c->next_rip = (u32)v->sysenter_eip;
}

/*
 * SYSEXIT (SDM Vol 2 SYSEXIT, 32-bit form), from the virtual kernel (at
 * real CPL 1 it is #GP(0)): #GP(0) if the guest's SYSENTER_CS[15:2] is 0;
 * else CS = SYSENTER_CS + 16, SS = + 24, both RPL 3 and flat; ESP = ECX,
 * EIP = EDX.  The 64-bit form (REX.W) does not exist in 32-bit code.
 */
void vmm_sysexit(struct vmm *m, struct cpu *c)
{
	struct vcpu *v = &m->v;
	u16 sel = (u16)v->sysenter_cs & 0xfffc;

	if (!sel || v->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
	v->cpl = 3;
	flat(&c->seg[SEG_CS], (u16)((sel + 16) | 3), true, 3);
	flat(&c->seg[SEG_SS], (u16)((sel + 24) | 3), false, 3);
	cpu_update_mode(c);
	c->gpr[RSP] = (u32)c->gpr[RCX];
	c->rip = c->next_rip = (u32)c->gpr[RDX];
}
