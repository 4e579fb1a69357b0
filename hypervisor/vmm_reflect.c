/*
 * vmm_reflect.c - the trap-and-emulate VMM reflects an event into the guest
 * (SDM Vol 3 ch. 6: §6.11-6.12 the IDT gates and the frames a 32-bit gate
 * pushes, §6.12.1 the stack switch through the TSS, §6.13 error codes,
 * §6.15 Table 6-5 double faults).  Split from vmm_trap.c.
 *
 * What the real CPU would have done for a ring-0 kernel, the VMM does on
 * the guest's VIRTUAL IDT: read the gate, check it, switch to the guest's
 * ring-0 stack (ss0:esp0 of the guest TSS) when coming from ring 3, push
 * the frame with the guest's view of EFLAGS and selectors (virtual IF and
 * IOPL, RPL 0 where the real CPU holds RPL 1), and enter the handler at
 * virtual CPL 0 -- real ring 1.
 */
#include "cpu/exception.h"
#include "cpu/isa.h"
#include "cpu/segment.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

/* ---- reflection through the guest's virtual IDT ---------------------------- */

/* Push a dword on the guest stack at ss_base + *esp. */
static bool push32(struct vmm *m, u64 ss_base, u32 *esp, u32 v)
{
	*esp -= 4;
	return vmm_write(m, (ss_base + *esp) & 0xffffffff, &v, 4);
}

/* The guest's view of a real selector: RPL 1 was the guest's RPL 0. */
static u16 guest_sel(const struct vmm *m, u16 sel)
{
	return vmm_guest_sel(sel, m->v.cpl); /* RPL 1 -> 0, 2 -> 1 (vmm.h) */
}

/*
 * The guest's IDT cannot deliver vector vec (SDM Vol 3 §6.12.1, §6.15):
 * beyond the limit or the wrong type is #GP, not present #NP, with the
 * error code vec*8 + 2 (IDT) + EXT (1 unless INT n).  A failure while
 * delivering a contributory exception or #PF becomes #DF (Table 6-5), and
 * one while delivering #DF shuts the machine down.
 */
static void bad_gate(struct vmm *m, struct cpu *c, int vec, int fault, bool soft)
{
	bool contributory = !soft && (vec == EXC_DE || (vec >= EXC_TS && vec <= EXC_PF));

	if (vec == EXC_DF) {
		vmm_fail(m, "guest cannot take #DF (virtual IDT unusable): shutdown");
		return;
	}
	if (contributory) {
		vmm_reflect(m, c, EXC_DF, true, 0, (u32)c->rip, false);
		return;
	}
	vmm_reflect(m, c, fault, true, (u32)vec * 8 + 2 + (soft ? 0 : 1), (u32)c->rip, false);
}

void vmm_reflect(struct vmm *m, struct cpu *c, int vec, bool has_error, u32 error, u32 ret,
		 bool soft)
{
	struct vcpu *v = &m->v;
	u64 lo = 0, cd = 0;
	struct gate g;
	u32 esp, eflags = vmm_guest_eflags(m, c);
	u64 ss_base;
	/* From virtual-8086 mode the selectors are paragraphs: pushed raw. */
	bool v86 = (c->rflags & FL_VM) != 0;
	u16 old_cs = v86 ? c->seg[SEG_CS].sel : guest_sel(m, c->seg[SEG_CS].sel);
	u16 old_ss = v86 ? c->seg[SEG_SS].sel : guest_sel(m, c->seg[SEG_SS].sel);
	u16 old_ds = c->seg[SEG_DS].sel, old_es = c->seg[SEG_ES].sel;
	u16 old_fs = c->seg[SEG_FS].sel, old_gs = c->seg[SEG_GS].sel;
	u32 old_esp = (u32)c->gpr[RSP];
	unsigned target_dpl;

	/* The gate (SDM Vol 3 §6.11): within the IDT limit, present, an
	 * interrupt or trap gate; INT n also needs CPL <= gate DPL. */
	if ((u32)vec * 8 + 7 > v->idtr.limit || !vmm_read(m, v->idtr.base + vec * 8, &lo, 8))
		return bad_gate(m, c, vec, EXC_GP, soft);
	desc_to_gate(lo, 0, false, &g);
	if (g.type != 0xe && g.type != 0xf)
		return bad_gate(m, c, vec, EXC_GP, soft); /* (task gates: not here) */
	if (soft && g.dpl < v->cpl) {
		/* #GP(vector*8+2): the IDT bit set (SDM Vol 3 §6.13); checked
		 * before P (SDM Vol 2 INT n: a not-present DPL-0 gate gives
		 * INT n from ring 3 #GP, not #NP). */
		return vmm_reflect(m, c, EXC_GP, true, (u32)vec * 8 + 2, (u32)c->rip, false);
	}
	if (!g.present)
		return bad_gate(m, c, vec, EXC_NP, soft);
	if (!vmm_guest_desc(m, g.sel, &cd)) /* GDT or LDT */
		goto bad;
	target_dpl = (cd >> 45) & 3;

	/* Inner-privilege transfer: the stack from the guest's TSS (ss0:esp0). */
	if (target_dpl < v->cpl) {
		u32 esp0 = 0;
		u16 ss0 = 0;

		if (!vmm_read(m, v->tss_base + 4, &esp0, 4) ||
		    !vmm_read(m, v->tss_base + 8, &ss0, 2))
			goto bad;
		v->cpl = 0;
		vmm_load_seg(m, c, SEG_SS, ss0);
		esp = esp0;
		ss_base = c->seg[SEG_SS].base;
		/* Leaving virtual-8086 mode (SDM Vol 3 §20.3.1.1, Figure 20-4):
		 * GS, FS, DS, ES first, then loaded with null. */
		if (v86 && (!push32(m, ss_base, &esp, old_gs) || !push32(m, ss_base, &esp, old_fs) ||
			    !push32(m, ss_base, &esp, old_ds) || !push32(m, ss_base, &esp, old_es)))
			goto bad;
		if (!push32(m, ss_base, &esp, old_ss) || !push32(m, ss_base, &esp, old_esp))
			goto bad;
		if (v86) {
			seg_load_null(c, SEG_DS, 0);
			seg_load_null(c, SEG_ES, 0);
			seg_load_null(c, SEG_FS, 0);
			seg_load_null(c, SEG_GS, 0);
		}
	} else {
		esp = old_esp;
		ss_base = c->seg[SEG_SS].base;
	}
	if (!push32(m, ss_base, &esp, eflags) || !push32(m, ss_base, &esp, old_cs) ||
	    !push32(m, ss_base, &esp, ret) || (has_error && !push32(m, ss_base, &esp, error)))
		goto bad;
	c->gpr[RSP] = esp;

	/* Enter the handler at virtual CPL 0 (real ring 1). */
	v->cpl = 0;
	vmm_load_seg(m, c, SEG_CS, g.sel);
	c->rip = c->next_rip = g.offset;
	if (g.type == 0xe)
		v->vif = false; /* interrupt gate: IF = 0 (virtually) */
	cpu_set_rflags(c, cpu_rflags(c) & ~(u64)(FL_TF | FL_NT | FL_RF | FL_VM));
	v->halted = false;
	c->halted = false;
	m->stats.reflect[vec]++;
	m->stats.reflect_total++;
	trace_emit(&m->vm->trace, TRACE_REFLECT, c->index, ret, (u64)vec, error, 0, 0, NULL);
	return;
bad:
	/* A real CPU would try #DF, then shut down; a guest whose IDT is
	 * this broken gets the shutdown directly. */
	vmm_fail(m, "guest cannot take vector %d (virtual IDT/TSS/stack unusable): shutdown", vec);
}
