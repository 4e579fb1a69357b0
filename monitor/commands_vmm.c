/*
 * commands_vmm.c - the trap-and-emulate VMM seen from the monitor
 * (DESIGN.md §4 --virt=trap, issue 8; Popek & Goldberg 1974 for the classes,
 * Adams & Agesen ASPLOS 2006 §3 for "VMM work per guest instruction"):
 *
 *   traps   traps by reason and by Popek-Goldberg class, what was emulated,
 *           the holes, reflections by vector, shadow syncs, and how often
 *           the VMM ran per guest instruction;
 *   vcpu    the guest's virtual CPU (what it believes) next to the real
 *           CPU (what ring compression made of it);
 *   pt      (under --virt=trap with guest paging on) is
 *           commands_vmm_pt.c's: the guest's walk next to the shadow's,
 *           32-bit or PAE.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/isa.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "monitor/repl.h"

static struct vmm *need_vmm(struct monitor *m)
{
	if (!m->vm->vmm)
		mon_error(m, "no VMM: run with --virt=trap");
	return m->vm->vmm;
}

static bool cmd_traps(struct monitor *m, int argc, char **argv, const char *rest)
{
	const struct vmm *v = need_vmm(m);
	u64 by_class[PG_CLASS_COUNT] = {0}, holes_by_class[PG_CLASS_COUNT] = {0};
	u64 entries = 0, guest = m->vm->retired;

	if (!v)
		return false;
	/* 1. Why the VMM was entered. */
	mon_printf(m, "traps by reason:\n");
	for (int k = 0; k < VMM_TRAP_COUNT; k++) {
		entries += v->stats.traps[k];
		mon_printf(m, "  %-8s %10llu\n", vmm_trap_name[k],
			   (unsigned long long)v->stats.traps[k]);
	}

	/* 2. The instructions it emulated and the holes, by PG class: a
	 * PG_CTL/PG_BEH row under "emulated" only happens with pg-strict. */
	for (int f = 0; f < FORM_COUNT; f++) {
		by_class[isa_forms[f].pg] += v->stats.by_form[f];
		holes_by_class[isa_forms[f].pg] += v->stats.holes[f];
	}
	mon_printf(m, "by Popek-Goldberg class:      emulated      holes\n");
	for (int k = 0; k < PG_CLASS_COUNT; k++)
		if (by_class[k] || holes_by_class[k])
			mon_printf(m, "  %-24s %10llu %10llu\n", pg_class_name[k],
				   (unsigned long long)by_class[k],
				   (unsigned long long)holes_by_class[k]);
	for (int f = 0; f < FORM_COUNT; f++) {
		if (v->stats.by_form[f])
			mon_printf(m, "  emulated %-14s %-20s %llu\n", isa_forms[f].name,
				   pg_class_name[isa_forms[f].pg],
				   (unsigned long long)v->stats.by_form[f]);
		if (v->stats.holes[f])
			mon_printf(m, "  hole     %-14s %-20s %llu\n", isa_forms[f].name,
				   pg_class_name[isa_forms[f].pg],
				   (unsigned long long)v->stats.holes[f]);
	}

	/* 3. Reflections through the guest's IDT, by vector. */
	mon_printf(m, "reflections %llu:", (unsigned long long)v->stats.reflect_total);
	for (int vec = 0; vec < 256; vec++)
		if (v->stats.reflect[vec])
			mon_printf(m, " 0x%02x=%llu", vec,
				   (unsigned long long)v->stats.reflect[vec]);
	mon_printf(m, "\nholes %llu, shadow syncs %llu\n", (unsigned long long)v->stats.hole_total,
		   (unsigned long long)v->stats.shadow_syncs);

	mon_printf(
	    m, "shadow paging: hidden faults %llu, true faults %llu, flushes %llu, invlpg %llu\n",
	    (unsigned long long)v->stats.pf_hidden, (unsigned long long)v->stats.pf_true,
	    (unsigned long long)v->stats.spt_flushes, (unsigned long long)v->stats.spt_invlpg);
	mon_printf(m,
		   "shadow cache: hits %llu, misses %llu, evictions %llu, trace writes %llu, "
		   "syncs %llu\n",
		   (unsigned long long)v->stats.spt_hits, (unsigned long long)v->stats.spt_misses,
		   (unsigned long long)v->stats.spt_evictions,
		   (unsigned long long)v->stats.spt_trace_writes,
		   (unsigned long long)v->stats.spt_syncs);

	/* SMP: each CPU's share (its world's counters, vmm_smp.c). */
	for (int i = 0; m->vm->ncpus > 1 && i < m->vm->ncpus; i++) {
		struct vmm_cpu_stats st;
		u64 n = 0;

		vmm_cpu_stats(v, i, &st);
		for (int k = 0; k < VMM_TRAP_COUNT; k++)
			n += st.traps[k];
		mon_printf(m,
			   "cpu%d: %llu entries (%llu emulated, %llu reflected faults, %llu "
			   "interrupts), %llu hidden faults, %llu world switches%s\n",
			   i, (unsigned long long)n,
			   (unsigned long long)(st.traps[VMM_TRAP_PRIV] + st.traps[VMM_TRAP_IO] +
						st.traps[VMM_TRAP_STRICT]),
			   (unsigned long long)st.traps[VMM_TRAP_FAULT],
			   (unsigned long long)st.traps[VMM_TRAP_INTR],
			   (unsigned long long)st.pf_hidden, (unsigned long long)st.switches,
			   vmm_cpu_active(v, i) ? "" : " (real-mode phase)");
	}

	/* 4. VMM work: the VMM is C, so its cost is counted in entries (each a
	 * world switch on real hardware) per guest instruction. */
	mon_printf(m, "vmm entries %llu for %llu guest instructions: %.3f per 1000\n",
		   (unsigned long long)entries, (unsigned long long)guest,
		   guest ? 1000.0 * (double)entries / (double)guest : 0.0);
	return true;
}

/* One row of `vcpu`: the name, the virtual value, the real one, and a
 * marker where ring compression makes them differ. */
static void row(struct monitor *m, const char *name, u64 virt, u64 real)
{
	mon_printf(m, "%-8s 0x%016llx 0x%016llx%s\n", name, (unsigned long long)virt,
		   (unsigned long long)real, virt != real ? "  *" : "");
}

static u16 guest_view(u16 sel)
{
	return (sel & 3) == 1 ? sel & ~3 : sel;
}

static bool cmd_vcpu(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct vmm *v = need_vmm(m);
	int n = argc > 1 ? atoi(argv[1]) : 0; /* `vcpu N`: CPU N (SMP) */
	struct cpu *c;
	const struct vcpu *g;
	char real[24];
	u64 fl;

	if (!v)
		return false;
	if (n < 0 || n >= m->vm->ncpus)
		return mon_error(m, "vcpu: no cpu %d (0..%d)", n, m->vm->ncpus - 1);
	c = &m->vm->cpus[n];
	g = vmm_vcpu_of(v, n);
	fl = cpu_rflags(c);
	snprintf(real, sizeof(real), "real (cpu%d)", n);
	mon_printf(m, "%-8s %-18s %-18s (* = differs)\n", "", "virtual (guest)", real);
	if (!vmm_cpu_active(v, n))
		mon_printf(m, "cpu%d is in its real-mode phase: not taken over yet\n", n);
	row(m, "cpl", g->cpl, c->cpl);
	row(m, "if", g->vif, (fl & FL_IF) != 0);
	row(m, "iopl", g->iopl, (fl >> 12) & 3);
	row(m, "cr0", g->cr0, c->cr0);
	row(m, "cr2", g->cr2, c->cr2);
	row(m, "cr3", g->cr3, c->cr3);
	row(m, "cr4", g->cr4, c->cr4);
	row(m, "gdtr", g->gdtr.base, c->gdtr.base);
	row(m, "gdtr.lim", g->gdtr.limit, c->gdtr.limit);
	row(m, "idtr", g->idtr.base, c->idtr.base);
	row(m, "idtr.lim", g->idtr.limit, c->idtr.limit);
	row(m, "ldtr", g->ldtr, c->ldtr.sel);
	row(m, "tr", g->tr, c->tr.sel);
	row(m, "tss", g->tss_base, c->tr.base);
	row(m, "cs", guest_view(c->seg[SEG_CS].sel), c->seg[SEG_CS].sel);
	row(m, "ss", guest_view(c->seg[SEG_SS].sel), c->seg[SEG_SS].sel);
	row(m, "halted", g->halted, c->halted);
	if (v->fatal[0])
		mon_printf(m, "vmm stopped the VM: %s\n", v->fatal);
	return true;
}

const struct mon_cmd mon_cmds_vmm[] = {
    {"traps", NULL, cmd_traps, "traps",
     "--virt=trap: traps by reason and Popek-Goldberg class, holes, reflections"},
    {"vcpu", NULL, cmd_vcpu, "vcpu", "--virt=trap: the virtual CPU next to the real one"},
    {NULL},
};
