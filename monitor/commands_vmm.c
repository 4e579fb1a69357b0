/*
 * commands_vmm.c - the trap-and-emulate VMM seen from the monitor
 * (DESIGN.md §4 --virt=trap, issue 8; Popek & Goldberg 1974 for the classes,
 * Adams & Agesen ASPLOS 2006 §3 for "VMM work per guest instruction"):
 *
 *   traps   traps by reason and by Popek-Goldberg class, what was emulated,
 *           the holes, reflections by vector, shadow syncs, and how often
 *           the VMM ran per guest instruction;
 *   vcpu    the guest's virtual CPU (what it believes) next to the real
 *           CPU (what ring compression made of it).
 */
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
	struct cpu *c = &m->vm->cpus[0];
	u64 fl = cpu_rflags(c);

	if (!v)
		return false;
	mon_printf(m, "%-8s %-18s %-18s (* = differs)\n", "", "virtual (guest)", "real (cpu0)");
	row(m, "cpl", v->v.cpl, c->cpl);
	row(m, "if", v->v.vif, (fl & FL_IF) != 0);
	row(m, "iopl", v->v.iopl, (fl >> 12) & 3);
	row(m, "cr0", v->v.cr0, c->cr0);
	row(m, "cr2", v->v.cr2, c->cr2);
	row(m, "cr3", v->v.cr3, c->cr3);
	row(m, "cr4", v->v.cr4, c->cr4);
	row(m, "gdtr", v->v.gdtr.base, c->gdtr.base);
	row(m, "gdtr.lim", v->v.gdtr.limit, c->gdtr.limit);
	row(m, "idtr", v->v.idtr.base, c->idtr.base);
	row(m, "idtr.lim", v->v.idtr.limit, c->idtr.limit);
	row(m, "ldtr", v->v.ldtr, c->ldtr.sel);
	row(m, "tr", v->v.tr, c->tr.sel);
	row(m, "tss", v->v.tss_base, c->tr.base);
	row(m, "cs", guest_view(c->seg[SEG_CS].sel), c->seg[SEG_CS].sel);
	row(m, "ss", guest_view(c->seg[SEG_SS].sel), c->seg[SEG_SS].sel);
	row(m, "halted", v->v.halted, c->halted);
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
