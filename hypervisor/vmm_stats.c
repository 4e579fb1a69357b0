/*
 * vmm_stats.c - what the trap-and-emulate VMM reports: traps by reason and
 * Popek-Goldberg class, the holes the guest kernel fell into (Popek &
 * Goldberg 1974: sensitive instructions that did not trap), reflections
 * (`--stats`, the monitor's `traps`).  Split from vmm_trap.c.
 */
#include <stdio.h>

#include "cpu/exception.h"
#include "cpu/isa.h"
#include "cpu/segment.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

void vmm_print_holes(const struct vmm *m, FILE *out)
{
	for (int f = 0; f < FORM_COUNT; f++)
		if (m->stats.hole_visible[f])
			fprintf(
			    out,
			    "vmlab: vmm: hole %s (%s) first at eip=0x%llx: the guest saw 0x%llx, "
			    "a ring-0 kernel 0x%llx (%llu of %llu times)\n",
			    isa_forms[f].name, pg_class_name[isa_forms[f].pg],
			    (unsigned long long)m->stats.hole_rip[f],
			    (unsigned long long)m->stats.hole_saw[f],
			    (unsigned long long)m->stats.hole_should[f],
			    (unsigned long long)m->stats.hole_visible[f],
			    (unsigned long long)m->stats.holes[f]);
}

void vmm_print_stats(const struct vmm *m, FILE *out)
{
	fprintf(out, "vmm: traps");
	for (int k = 0; k < VMM_TRAP_COUNT; k++)
		fprintf(out, " %s=%llu", vmm_trap_name[k], (unsigned long long)m->stats.traps[k]);
	fprintf(out, " holes=%llu reflections=%llu shadow-syncs=%llu\n",
		(unsigned long long)m->stats.hole_total, (unsigned long long)m->stats.reflect_total,
		(unsigned long long)m->stats.shadow_syncs);
	fprintf(out,
		"vmm: shadow paging: hidden-faults=%llu true-faults=%llu flushes=%llu "
		"invlpg=%llu\n",
		(unsigned long long)m->stats.pf_hidden, (unsigned long long)m->stats.pf_true,
		(unsigned long long)m->stats.spt_flushes, (unsigned long long)m->stats.spt_invlpg);
	vmm_spt_print_stats(m, out);
	/* SMP: each CPU's share (vmm_smp.c keeps the counts per world). */
	for (int i = 0; m->worlds && m->vm->ncpus > 1 && i < m->vm->ncpus; i++) {
		struct vmm_cpu_stats st;

		vmm_cpu_stats(m, i, &st);
		fprintf(out, "vmm: cpu%d: insns=%llu", i,
			(unsigned long long)m->vm->cpus[i].stats.insns);
		for (int k = 0; k < VMM_TRAP_COUNT; k++)
			fprintf(out, " %s=%llu", vmm_trap_name[k], (unsigned long long)st.traps[k]);
		fprintf(out,
			" reflections=%llu hidden-faults=%llu true-faults=%llu trace-writes=%llu "
			"world-switches=%llu%s\n",
			(unsigned long long)st.reflect, (unsigned long long)st.pf_hidden,
			(unsigned long long)st.pf_true, (unsigned long long)st.trace_writes,
			(unsigned long long)st.switches,
			vmm_cpu_active(m, i) ? "" : " (real-mode phase)");
	}
	for (int f = 0; f < FORM_COUNT; f++) {
		if (m->stats.by_form[f])
			fprintf(out, "vmm:   emulated %-12s %-12s %llu\n", isa_forms[f].name,
				pg_class_name[isa_forms[f].pg],
				(unsigned long long)m->stats.by_form[f]);
		if (m->stats.holes[f])
			fprintf(out, "vmm:   hole     %-12s %-12s %llu\n", isa_forms[f].name,
				pg_class_name[isa_forms[f].pg],
				(unsigned long long)m->stats.holes[f]);
	}
}
