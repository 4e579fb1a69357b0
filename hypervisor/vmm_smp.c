/*
 * vmm_smp.c - several virtual CPUs under the trap-and-emulate VMM: the
 * "world switch" between them (vmm.h "SMP"; SDM Vol 3 §9.4 for the
 * INIT/SIPI start of an application processor, §7.2.1-7.2.2 for the TSS
 * descriptor and its busy bit; Adams & Agesen ASPLOS 2006 §3 for the VMM
 * that lives in every address space).
 *
 * The VMM keeps ONE struct vcpu in struct vmm (m->v) and ONE reserved area
 * mapped at VMM_AREA_BASE: that is the view of the CPU that runs now, and
 * everything in the VMM (vmm_emul.c, vmm_ldt.c, shadow.c ...) works on it.
 * The other CPUs' views are saved here, in their struct vmm_world, exactly
 * as a real VMM saves the state of a CPU it is not running:
 *
 *   per CPU (saved/restored)              shared by all CPUs
 *   ------------------------------------  ----------------------------------
 *   the virtual CPU (struct vcpu: CPL,     the VMM's IDT (256 identical
 *     virtual IF, CRs, GDTR/IDTR, LDTR,      gates, never used for delivery)
 *     TR, MSRs, halted)                    the shadow page-table cache and
 *   real-mode phase or taken over            its pool (shadow_pt.h: SMP)
 *   the shadow GDT's contents (the          the trap statistics (plus the
 *     guest's GDTR is per CPU) and its       per-CPU counts kept here)
 *     own VMM TSS descriptor (busy once
 *     its TR is loaded)
 *   the VMM TSS
 *   the shadow LDT's contents
 *   its active shadow directory (spt)
 *
 * The switch happens where the run loop (vm.c) hands the machine to the
 * next CPU -- never inside a VMM entry -- because the real CPU uses the
 * area natively too: a segment load at ring 1 reads the shadow GDT without
 * the VMM.  Only the slots in use are copied (a guest GDT has a handful),
 * so a switch costs a few hundred bytes of copying per slice.
 *
 * Nothing a guest CPU does reaches another CPU's saved world: the saved
 * worlds are host memory, and the area itself lies above every guest
 * segment's (truncated) limit and outside every shadow mapping the guest
 * controls.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/system.h"
#include "hypervisor/config.h"
#include "hypervisor/shadow_pt.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

_Static_assert(SPT_MAX_CPUS >= CONFIG_MAX_CPUS, "one shadow directory per CPU");

/* The TSS bytes the VMM uses (a 32-bit TSS is 104 bytes, SDM Fig. 7-2). */
#define VMM_TSS_BYTES 104

/* One CPU's VMM state while another CPU runs. */
struct vmm_world {
	struct vcpu v;
	bool active;		 /* taken over (else: real-mode phase) */
	unsigned gdt_slots;	 /* shadow GDT slots in use (m->shadow_gdt_slots) */
	u64 *gdt;		 /* [8192] its shadow GDT; [0, gdt_slots) valid */
	u64 tss_desc;		 /* its VMM TSS descriptor (slot VMM_TSS_SEL) */
	u8 tss[VMM_TSS_BYTES];	 /* its VMM TSS */
	u64 *ldt;		 /* [8192] its shadow LDT; [0, ldt_slots) valid */
	struct cpu_hooks native; /* the CPU's hooks before the VMM took it */
	struct vmm_cpu_stats st; /* its VMM work, up to its last switch-out */
	struct vmm_cpu_stats at; /* the machine-wide counters at switch-in */
};

/* Slots of the current shadow LDT (vmm_ldt.c's rule). */
static unsigned ldt_slots(const struct vcpu *v)
{
	if (!(v->ldtr & ~3))
		return 0;
	return v->ldt_limit >= VMM_LDT_SIZE ? VMM_LDT_SIZE / 8 : (v->ldt_limit + 1) / 8;
}

/* The machine-wide counters a per-CPU line is made of. */
static void counters(const struct vmm *m, struct vmm_cpu_stats *s)
{
	memcpy(s->traps, m->stats.traps, sizeof(s->traps));
	s->reflect = m->stats.reflect_total;
	s->pf_hidden = m->stats.pf_hidden;
	s->pf_true = m->stats.pf_true;
	s->holes = m->stats.hole_total;
	s->trace_writes = m->stats.spt_trace_writes;
}

static void add(struct vmm_cpu_stats *to, const struct vmm_cpu_stats *now,
		const struct vmm_cpu_stats *then)
{
	for (int k = 0; k < VMM_TRAP_COUNT; k++)
		to->traps[k] += now->traps[k] - then->traps[k];
	to->reflect += now->reflect - then->reflect;
	to->pf_hidden += now->pf_hidden - then->pf_hidden;
	to->pf_true += now->pf_true - then->pf_true;
	to->holes += now->holes - then->holes;
	to->trace_writes += now->trace_writes - then->trace_writes;
}

void vmm_smp_init(struct vmm *m)
{
	struct vm *vm = m->vm;
	u64 tss_desc;

	memcpy(&tss_desc, m->area + VMM_GDT_OFF + VMM_TSS_SEL, 8);
	m->worlds = xcalloc((size_t)vm->ncpus, sizeof(*m->worlds));
	for (int i = 0; i < vm->ncpus; i++) {
		struct vmm_world *w = &m->worlds[i];

		w->gdt = xcalloc(8192, 8);
		w->ldt = xcalloc(8192, 8);
		w->tss_desc = tss_desc;
		memcpy(w->tss, m->area + VMM_TSS_OFF, VMM_TSS_BYTES);
		w->native = vm->cpus[i].hooks;
	}
	m->cur = 0;
	counters(m, &m->worlds[0].at);
}

void vmm_smp_free(struct vmm *m)
{
	if (!m->worlds)
		return;
	for (int i = 0; i < m->vm->ncpus; i++) {
		free(m->worlds[i].gdt);
		free(m->worlds[i].ldt);
	}
	free(m->worlds);
	m->worlds = NULL;
}

struct vcpu *vmm_vcpu_of(struct vmm *m, int cpu)
{
	return cpu == m->cur || !m->worlds ? &m->v : &m->worlds[cpu].v;
}

bool vmm_cpu_active(const struct vmm *m, int cpu)
{
	return cpu == m->cur || !m->worlds ? m->active : m->worlds[cpu].active;
}

void vmm_cpu_stats(const struct vmm *m, int cpu, struct vmm_cpu_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!m->worlds) {
		counters(m, out);
		return;
	}
	*out = m->worlds[cpu].st;
	if (cpu == m->cur) {
		struct vmm_cpu_stats now;

		counters(m, &now);
		add(out, &now, &m->worlds[cpu].at);
	}
	out->switches = m->worlds[cpu].st.switches;
}

/*
 * The CPU was reset by an INIT IPI (SDM Vol 3 §9.4.4) after the VMM had
 * taken it over: it is back in real mode, waiting for (or just past) its
 * SIPI.  Its VMM state returns to the real-mode phase: the native hooks
 * (but for the CR0.PE watch), no virtual CPU, an empty shadow GDT, no
 * shadow directory.  It is taken over again at its next CR0.PE write.
 */
static void cpu_deactivate(struct vmm *m, struct cpu *c)
{
	bool (*watch)(void *, struct cpu *, const struct insn *) = c->hooks.intercept;

	c->hooks = m->worlds[c->index].native;
	c->hooks.intercept = watch;
	c->pg_strict = false;
	memset(&m->v, 0, sizeof(m->v));
	memset(m->area + VMM_GDT_OFF, 0, (size_t)m->shadow_gdt_slots * 8);
	m->shadow_gdt_slots = 0;
	memcpy(m->area + VMM_GDT_OFF + VMM_TSS_SEL, &m->worlds[c->index].tss_desc, 8);
	/* The descriptor as vmm_create wrote it: available (type 9). */
	m->area[VMM_GDT_OFF + VMM_TSS_SEL + 5] = 0x89;
	if (m->spt)
		spt_cpu_release(m->spt, c->index);
	m->active = false;
}

/* Save the current CPU's world (the area's per-CPU parts, the vcpu). */
static void world_save(struct vmm *m, struct vmm_world *w)
{
	struct vmm_cpu_stats now;

	w->v = m->v;
	w->active = m->active;
	w->gdt_slots = m->shadow_gdt_slots;
	memcpy(w->gdt, m->area + VMM_GDT_OFF, (size_t)w->gdt_slots * 8);
	memcpy(&w->tss_desc, m->area + VMM_GDT_OFF + VMM_TSS_SEL, 8);
	memcpy(w->tss, m->area + VMM_TSS_OFF, VMM_TSS_BYTES);
	memcpy(w->ldt, m->area + VMM_LDT_OFF, (size_t)ldt_slots(&w->v) * 8);
	counters(m, &now);
	add(&w->st, &now, &w->at);
}

/* Load CPU i's world into the area and m->v. */
static void world_load(struct vmm *m, struct vmm_world *w)
{
	unsigned old = m->shadow_gdt_slots;

	memcpy(m->area + VMM_GDT_OFF, w->gdt, (size_t)w->gdt_slots * 8);
	/* The real GDTR limit covers every slot: the previous CPU's extra
	 * slots must not stay reachable (shadow.c assumes them null). */
	if (old > w->gdt_slots)
		memset(m->area + VMM_GDT_OFF + (size_t)w->gdt_slots * 8, 0,
		       (size_t)(old - w->gdt_slots) * 8);
	memcpy(m->area + VMM_GDT_OFF + VMM_TSS_SEL, &w->tss_desc, 8);
	memcpy(m->area + VMM_TSS_OFF, w->tss, VMM_TSS_BYTES);
	/* The LDT beyond the slots in use is unreachable: the real LDTR's
	 * limit ends there (vmm_ldt.c). */
	memcpy(m->area + VMM_LDT_OFF, w->ldt, (size_t)ldt_slots(&w->v) * 8);
	m->v = w->v;
	m->active = w->active;
	m->shadow_gdt_slots = w->gdt_slots;
	counters(m, &w->at);
	w->st.switches++;
}

void vmm_world_switch(struct vmm *m, struct cpu *c)
{
	if (!m->worlds)
		return;
	if (c->index != m->cur) {
		world_save(m, &m->worlds[m->cur]);
		world_load(m, &m->worlds[c->index]);
		if (m->spt)
			spt_cpu_switch(m->spt, c->index);
		m->cur = c->index;
	}
	/* Taken over, but CR0.PE is clear again: only an INIT does that (the
	 * guest's own MOV CR0 clearing PE is refused by the emulation). */
	if (m->active && !(c->cr0 & CR0_PE))
		cpu_deactivate(m, c);
}
