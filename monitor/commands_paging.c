/*
 * commands_paging.c - paging in the monitor: `pt VADDR` shows the page
 * walk level by level (SDM Vol 3 §4.3 32-bit, §4.4 PAE, §4.5 4-level
 * paging) with each entry's address, raw value and flags, ending in the
 * physical address or the page fault the access would raise (§4.7); `tlb`
 * shows the soft TLB's statistics and valid entries (mmu/tlb.h).
 */
#include <string.h>

#include "cpu/mem.h"
#include "mmu/paging.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "mmu/tlb.h"
#include "monitor/repl.h"

/* The entry's name and the linear-address bits that index its table. */
static const char *level_name(enum pg_mode mode, int level, u64 lin, unsigned *idx)
{
	static const char *const n4[5] = {"", "PTE", "PDE", "PDPTE", "PML4E"};
	static const char *const n32[3] = {"", "PTE", "PDE"};

	switch (mode) {
	case PG_MODE_32:
		*idx = (unsigned)(level == 2 ? BITS(lin, 31, 22) : BITS(lin, 21, 12));
		return n32[level];
	case PG_MODE_PAE:
		*idx = (unsigned)(level == 3   ? BITS(lin, 31, 30)
				  : level == 2 ? BITS(lin, 29, 21)
					       : BITS(lin, 20, 12));
		return n4[level];
	default:
		*idx = (unsigned)BITS(lin, 12 + 9 * (level - 1) + 8, 12 + 9 * (level - 1));
		return n4[level];
	}
}

static bool cmd_pt(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);
	struct pg_walk w;
	u64 lin;
	bool ok;

	if (argc < 2)
		return mon_error(m, "usage: pt VADDR");
	if (!mon_eval(m, rest, &lin))
		return false;
	/* --virt=trap with guest paging: the guest's walk beside the shadow's
	 * (commands_vmm.c). */
	if (m->vm->vmm && (m->vm->vmm->v.cr0 & CR0_PG))
		return mon_vmm_pt(m, lin);
	memset(&w, 0, sizeof(w));
	ok = cpu_debug_walk(c, lin, &w);
	if (w.mode == PG_MODE_NONE) {
		mon_printf(m, "paging is off (CR0.PG = 0): linear 0x%llx = physical 0x%llx\n",
			   (unsigned long long)lin, (unsigned long long)w.pa);
		return true;
	}
	mon_printf(m, "%s paging, CR3 = 0x%llx, linear 0x%llx\n", pg_mode_name[w.mode],
		   (unsigned long long)c->cr3, (unsigned long long)w.lin);
	for (int i = 0; i < w.nsteps; i++) {
		const struct pg_step *s = &w.steps[i];
		char flags[128];
		unsigned idx;
		const char *name = level_name(w.mode, s->level, w.lin, &idx);

		mmu_format_entry(s->val, s->level, w.mode, flags, sizeof(flags));
		mon_printf(m, "  %-5s[%3u] @ 0x%09llx = 0x%016llx  %s\n", name, idx,
			   (unsigned long long)s->addr, (unsigned long long)s->val, flags);
	}
	if (ok) {
		mon_printf(m, "  -> physical 0x%llx (%llu KiB page%s%s%s)\n",
			   (unsigned long long)w.pa, (unsigned long long)(w.page_size >> 10),
			   w.writable ? ", writable" : ", read-only",
			   w.user ? ", user" : ", supervisor", w.nx ? ", no-execute" : "");
	} else {
		mon_printf(m,
			   "  -> not mapped: a read at CPL %u raises #PF, error code 0x%x "
			   "(P=%u W/R=%u U/S=%u RSVD=%u I/D=%u)\n",
			   c->cpl, w.err, !!(w.err & PFEC_P), !!(w.err & PFEC_W),
			   !!(w.err & PFEC_U), !!(w.err & PFEC_RSVD), !!(w.err & PFEC_I));
	}
	return true;
}

static bool cmd_tlb(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);
	const struct tlb *t = c->tlb;
	unsigned shown = 0;

	if (!t)
		return mon_error(m, "cpu%d has no TLB", m->cpu);
	mon_printf(m,
		   "tlb: %u valid of %u; %llu hits, %llu misses, %llu fills, %llu walks "
		   "(%llu refs), %llu entries flushed\n",
		   tlb_count(t), TLB_SIZE, (unsigned long long)t->stats.hits,
		   (unsigned long long)t->stats.misses, (unsigned long long)t->stats.fills,
		   (unsigned long long)t->stats.walks, (unsigned long long)t->stats.walk_refs,
		   (unsigned long long)t->stats.flushed);
	for (unsigned i = 0; i < TLB_SIZE; i++) {
		const struct tlb_entry *e = &t->e[i];

		if (!e->perm && !e->granted)
			continue;
		if (!e->perm)
			continue;
		mon_printf(m, "  0x%012llx -> 0x%09llx pcid %llu %s%s%s size %lluK\n",
			   (unsigned long long)(e->tag & ~0xfffULL), (unsigned long long)e->pa,
			   (unsigned long long)(e->tag & 0xfff),
			   e->granted & (PG_PERM(PG_CLASS_SUP, PG_WRITE)) ? "W" : "R",
			   e->granted & PG_PERM(PG_CLASS_USER, PG_READ) ? "U" : "S",
			   e->global ? " G" : "", (unsigned long long)(1ULL << e->shift) >> 10);
		if (++shown >= 64 && argc < 2) {
			mon_printf(m, "  ... (tlb all: every entry)\n");
			break;
		}
	}
	return true;
}

const struct mon_cmd mon_cmds_paging[] = {
    {"pt", NULL, cmd_pt, "pt VADDR", "the page walk of VADDR, level by level"},
    {"tlb", NULL, cmd_tlb, "tlb [all]", "TLB statistics and valid entries"},
    {NULL},
};
