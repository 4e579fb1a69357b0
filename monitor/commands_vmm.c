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
 *   pt      (under --virt=trap with guest paging on; `pt` in
 *           commands_paging.c hands over) the guest's 2-level walk next to
 *           the shadow's walk (SDM Vol 3 §4.3), and which level differs
 *           and why (hypervisor/shadow_pt.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/isa.h"
#include "hypervisor/shadow_pt.h"
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

/* An entry's flags, as the SDM names them (Table 4-5/4-6). */
static void pflags(char *buf, size_t n, u32 e, bool pde)
{
	snprintf(buf, n, "%s%s%s%s%s%s", e & PTE_P ? "P" : "-", e & PTE_W ? " W" : " R",
		 e & PTE_U ? " U" : " S", e & PTE_A ? " A" : "", e & PTE_D ? " D" : "",
		 pde && (e & PDE_PS) ? " PS" : "");
}

/* One level: index, then the guest's and the shadow's entry side by side. */
static void level(struct monitor *m, const char *name, unsigned idx, bool gok, u32 gpa, u32 g,
		  bool sok, u32 spa, u32 s, bool pde, bool mark)
{
	char gf[32] = "", sf[32] = "", gcol[64] = "-", scol[64] = "-";

	if (gok) {
		pflags(gf, sizeof(gf), g, pde);
		snprintf(gcol, sizeof(gcol), "@%08x %08x %s", gpa, g, gf);
	}
	if (sok) {
		pflags(sf, sizeof(sf), s, pde);
		snprintf(scol, sizeof(scol), "@%08x %08x %s", spa, s, sf);
	}
	mon_printf(m, "%s[%4u]  %-34s %s%s\n", name, idx, gcol, scol, mark ? "  <-" : "");
}

/* `pt VADDR` under the VMM: the guest's walk and the shadow's. */
bool mon_vmm_pt(struct monitor *m, u64 lin)
{
	struct vmm *v = m->vm->vmm;
	struct spt_view w;
	u32 a = (u32)lin;

	spt_view(v, a, &w);
	mon_printf(
	    m, "linear 0x%08x: guest CR3 0x%08x, shadow CR3 0x%08x (%u cached, %u pool pages)\n", a,
	    w.gcr3, w.scr3, w.cached, w.pool_used);
	mon_printf(m, "%-10s %-34s %s\n", "", "guest (guest-physical)", "shadow (real-physical)");
	level(m, "PDE", a >> 22, true, w.gpde_pa, w.gpde, true, w.spde_pa, w.spde, true,
	      w.differs == 1);
	if (w.g_has_pte || w.s_has_pte)
		level(m, "PTE", (a >> 12) & 0x3ff, w.g_has_pte, w.gpte_pa, w.gpte, w.s_has_pte,
		      w.spte_pa, w.spte, false, w.differs == 2);
	if (w.g_ok)
		mon_printf(m, "  guest  -> 0x%08x %s %s%s\n", w.g_pa,
			   w.g_w ? "writable" : "read-only", w.g_u ? "user" : "supervisor",
			   w.traced ? " (holds a traced page table)" : "");
	else
		mon_printf(m, "  guest  -> not mapped\n");
	if (w.s_ok)
		mon_printf(m, "  shadow -> 0x%08x %s %s\n", w.s_pa,
			   w.spte & PTE_W ? "writable" : "read-only",
			   w.spte & PTE_U ? "user" : "supervisor");
	else
		mon_printf(m, "  shadow -> not mapped\n");
	mon_printf(m, "  %s: %s\n",
		   w.differs ? (w.differs == 1 ? "differs at the PDE" : "differs at the PTE")
			     : "agree",
		   w.why);
	return true;
}

const struct mon_cmd mon_cmds_vmm[] = {
    {"traps", NULL, cmd_traps, "traps",
     "--virt=trap: traps by reason and Popek-Goldberg class, holes, reflections"},
    {"vcpu", NULL, cmd_vcpu, "vcpu", "--virt=trap: the virtual CPU next to the real one"},
    {NULL},
};
