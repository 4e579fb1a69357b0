/*
 * shadow_pt.c - the shadow page-table cache of the trap-and-emulate VMM:
 * a pool of shadow pages, shadow directories cached per guest CR3 (LRU),
 * and the traces that keep every cached shadow coherent with the guest's
 * tables (SDM Vol 3 §4.3 32-bit paging, §4.10.4 "Invalidation of TLBs";
 * Adams & Agesen ASPLOS 2006 §2.3; shadow_pt.h has the vocabulary).
 *
 * The invariant everything here keeps: every present shadow entry grants
 * at most what the guest's tables grant NOW, for the same linear address
 * and the same frame, and never maps the VMM's region:
 *
 *   - a shadow PT is built from the guest PT its guest PDE points to; both
 *     source frames (the guest PD and the guest PT) are traced, so a guest
 *     write to either reaches spt_entry_written(), which zaps what it built;
 *   - a traced frame is mapped read-only by every shadow: the guest cannot
 *     write its tables without the VMM seeing it;
 *   - nothing else changes guest memory behind the VMM's back (devices use
 *     the CPU's port I/O here; the VMM's own writes go through
 *     vmm_phys_write, which reports writes to traced frames).
 *
 * Why cache at all: a guest kernel switches address spaces on every context
 * switch.  Dropping the shadow on each CR3 write (the "virtual TLB" of the
 * first slice) costs one hidden fault per page touched afterwards; a cached
 * shadow makes the switch back free.  The price is the traces: each guest
 * write to a page table becomes a VMM entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/shadow_pt.h"
#include "cpu/mem.h"
#include "cpu/system.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "lib/err.h"

struct spt *spt_create(u64 mem_size)
{
	struct spt *s = xcalloc(1, sizeof(*s));

	s->nframes = (u32)(mem_size >> 12);
	s->traced = xcalloc(s->nframes + 1, sizeof(u16));
	s->wmapped = xcalloc(s->nframes + 1, 1);
	s->active = -1;
	for (int j = 0; j < SPT_MAX_CPUS; j++)
		s->cpu_active[j] = -1;
	return s;
}

void spt_destroy(struct spt *s)
{
	if (!s)
		return;
	free(s->traced);
	free(s->wmapped);
	free(s);
}

u32 *spt_table(struct vmm *m, int k)
{
	return (u32 *)(m->area + VMM_SPT_POOL_OFF + (size_t)k * 4096);
}

u32 spt_page_pa(int k)
{
	return (u32)(VMM_AREA_BASE + VMM_SPT_POOL_OFF + (u64)k * 4096);
}

int spt_page_of(u32 spde)
{
	u32 base = (u32)(VMM_AREA_BASE + VMM_SPT_POOL_OFF), a = spde & ~0xfffu;

	if (!(spde & PTE_P) || a < base || a >= base + VMM_SPT_POOL_N * 4096u)
		return -1;
	return (int)((a - base) >> 12);
}

bool spt_is_traced(const struct vmm *m, u32 f)
{
	return m->spt && f < m->spt->nframes && m->spt->traced[f];
}

void spt_note_writable(struct vmm *m, u32 f)
{
	if (f < m->spt->nframes)
		m->spt->wmapped[f] = 1;
}

/* ---- SMP: who uses which directory ------------------------------------------ */

/* The directory CPU j pages through (the current CPU's is s->active). */
static int active_of(const struct spt *s, int j)
{
	return j == s->cur ? s->active : s->cpu_active[j];
}

/* Is directory k in some real CPU's CR3 other than the current one's? */
static bool pd_used_elsewhere(const struct vmm *m, int k)
{
	const struct spt *s = m->spt;

	for (int j = 0; j < m->vm->ncpus && j < SPT_MAX_CPUS; j++)
		if (j != s->cur && s->cpu_active[j] == k)
			return true;
	return false;
}

/*
 * A shadow entry of directory pdk (or, pdk < 0, of any) went away: every
 * CPU paging through it drops what its soft TLB cached from it -- page
 * `lin`, or everything when all_ is set.  Over-invalidation is safe, under-
 * invalidation is not: the other CPUs' TLBs are the VMM's, not the guest's
 * (the guest's own TLB semantics are the shadow's, kept coherent by traces).
 */
void spt_flush_users(struct vmm *m, int pdk, u32 lin, bool all_)
{
	struct spt *s = m->spt;

	for (int j = 0; j < m->vm->ncpus && j < SPT_MAX_CPUS; j++) {
		int k = active_of(s, j);

		if (k < 0 || (pdk >= 0 && k != pdk))
			continue;
		if (all_)
			cpu_tlb_flush(&m->vm->cpus[j], true);
		else
			cpu_tlb_flush_page(&m->vm->cpus[j], lin);
	}
}

void spt_cpu_switch(struct spt *s, int cpu)
{
	if (cpu == s->cur)
		return;
	s->cpu_active[s->cur] = s->active;
	s->active = s->cpu_active[cpu];
	s->cur = cpu;
}

void spt_cpu_release(struct spt *s, int cpu)
{
	if (cpu == s->cur)
		s->active = -1;
	else
		s->cpu_active[cpu] = -1;
}

void spt_ev(struct vmm *m, struct cpu *c, u64 addr, int kind, u64 val, const char *what)
{
	trace_emit(&m->vm->trace, TRACE_SHADOW, c ? c->index : 0, addr, (u64)kind, val, 0, 0, what);
}

/* ---- traces ------------------------------------------------------------------ */

/*
 * Frame f becomes a source frame.  The first time, any writable shadow
 * mapping of it (made while it was ordinary data: the guest filled the
 * table before using it) loses W, in every cached shadow.
 */
void spt_trace_add(struct vmm *m, struct cpu *c, u32 f)
{
	struct spt *s = m->spt;
	bool hit = false;

	if (f >= s->nframes)
		return; /* outside RAM: the guest walk never reads it anyway */
	if (s->traced[f]++ || !s->wmapped[f])
		return;
	for (int k = 0; k < VMM_SPT_POOL_N; k++) {
		u32 *pt = spt_table(m, k);

		if (s->page[k].kind != SPT_PT)
			continue;
		for (int j = 0; j < 1024; j++)
			if ((pt[j] & (PTE_P | PTE_W)) == (PTE_P | PTE_W) && (pt[j] >> 12) == f) {
				pt[j] &= ~(PTE_W | PTE_D);
				hit = true;
			}
	}
	hit |= spt_pae_unmap_writable(m, f);
	s->wmapped[f] = 0;
	if (hit) {
		m->stats.spt_protects++;
		spt_ev(m, c, (u64)f << 12, SPT_EV_PROTECT, 0, "protect");
		if (c)
			spt_flush_users(m, -1, 0, true); /* any CPU may have cached W */
	}
}

void spt_trace_del(struct vmm *m, u32 f)
{
	struct spt *s = m->spt;

	if (f >= s->nframes)
		return;
	if (!s->traced[f])
		panic("shadow: untracing frame 0x%x that is not traced", f);
	s->traced[f]--;
}

/* ---- the pool ------------------------------------------------------------------- */

void spt_page_free(struct vmm *m, int k)
{
	struct spt_page *p = &m->spt->page[k];

	if (p->kind == SPT_FREE)
		return;
	if (p->frame != SPT_NO_FRAME)
		spt_trace_del(m, p->frame);
	if (p->kind == SPT_PAE_PD) {
		/* Its page tables go with it (PAE: the root owns PDs, a PD
		 * owns PTs). */
		for (int j = 0; j < VMM_SPT_POOL_N; j++)
			if (m->spt->page[j].kind == SPT_PAE_PT && m->spt->page[j].owner == k)
				spt_page_free(m, j);
	}
	if (p->kind == SPT_PD) {
		/* Its page tables go with it. */
		for (int j = 0; j < VMM_SPT_POOL_N; j++)
			if ((m->spt->page[j].kind == SPT_PT ||
			     m->spt->page[j].kind == SPT_PAE_PD) &&
			    m->spt->page[j].owner == k)
				spt_page_free(m, j);
		if (pd_used_elsewhere(m, k))
			panic("shadow: freeing directory %d in another CPU's CR3", k);
		m->spt->npd--;
		if (m->spt->active == k)
			m->spt->active = -1;
	}
	p->kind = SPT_FREE;
}

/* Evict the least recently used directory other than `keep`; false when
 * there is none. */
static bool evict_lru(struct vmm *m, struct cpu *c, int keep)
{
	struct spt *s = m->spt;
	int best = -1;

	for (int k = 0; k < VMM_SPT_POOL_N; k++)
		if (s->page[k].kind == SPT_PD && k != keep && !pd_used_elsewhere(m, k) &&
		    (best < 0 || s->page[k].used < s->page[best].used))
			best = k;
	if (best < 0)
		return false;
	spt_ev(m, c, s->page[best].cr3, SPT_EV_EVICT, 0, "evict");
	m->stats.spt_evictions++;
	spt_page_free(m, best);
	return true;
}

/* Drop the page tables of directory k (keeping the directory itself). */
static void pd_clear(struct vmm *m, int k)
{
	u32 *pd = spt_table(m, k);

	if (m->spt->page[k].mode & SPT_MODE_PAE) {
		spt_pae_root_clear(m, k);
		return;
	}
	for (int j = 0; j < 1024; j++) {
		int t = spt_page_of(pd[j]);

		if (j != (int)VMM_PDE && t >= 0)
			spt_page_free(m, t);
		if (j != (int)VMM_PDE)
			pd[j] = 0;
	}
}

/* A free pool page: evicting cached address spaces first, then, when only
 * directories in use are left, their page tables (a counted flush): the
 * current CPU's first, then the other CPUs' (SMP), whose TLBs go too. */
int spt_page_alloc(struct vmm *m, struct cpu *c)
{
	struct spt *s = m->spt;
	int next = 0; /* 0: the current CPU's directory; j + 1: CPU j's */

	for (;;) {
		int victim = -1;

		for (int k = 0; k < VMM_SPT_POOL_N; k++)
			if (s->page[k].kind == SPT_FREE) {
				memset(spt_table(m, k), 0, 4096);
				return k;
			}
		if (evict_lru(m, c, s->active))
			continue;
		for (; victim < 0 && next <= m->vm->ncpus && next <= SPT_MAX_CPUS; next++)
			victim = next == 0	      ? s->active
				 : next - 1 == s->cur ? -1
						      : s->cpu_active[next - 1];
		if (victim < 0)
			panic("shadow: pool of %d pages exhausted without a directory",
			      VMM_SPT_POOL_N);
		m->stats.spt_flushes++;
		spt_ev(m, c, s->page[victim].cr3, SPT_EV_FLUSH, 0, "flush");
		pd_clear(m, victim);
		spt_flush_users(m, victim, 0, true);
	}
}

/* ---- the cache ---------------------------------------------------------------- */

void spt_drop_all(struct vmm *m, struct cpu *c)
{
	for (int k = 0; k < VMM_SPT_POOL_N; k++)
		if (m->spt->page[k].kind == SPT_PD && !pd_used_elsewhere(m, k))
			spt_page_free(m, k);
	m->stats.spt_flushes++;
	spt_ev(m, c, m->v.cr3, SPT_EV_FLUSH, 0, "flush");
	if (c)
		cpu_tlb_flush(c, true);
}

void spt_switch(struct vmm *m, struct cpu *c, u32 cr3)
{
	struct spt *s = m->spt;
	int k = -1;
	u32 *pd;
	u8 mode = ((m->v.cr0 & CR0_WP) ? SPT_MODE_WP : 0) |
		  ((m->v.cr4 & CR4_PSE) ? SPT_MODE_PSE : 0) |
		  ((m->v.cr4 & CR4_PAE) ? SPT_MODE_PAE : 0);

	/* PAE: CR3 names a 32-byte aligned PDPT (SDM Vol 3 §4.4.1). */
	cr3 &= (mode & SPT_MODE_PAE) ? ~0x1fu : ~0xfffu;
	/* The key: the guest CR3 and the walk rules (another vCPU may share
	 * the address space under another CR0.WP/CR4.PSE). */
	for (int j = 0; j < VMM_SPT_POOL_N; j++)
		if (s->page[j].kind == SPT_PD && s->page[j].cr3 == cr3 && s->page[j].mode == mode)
			k = j;
	if (k >= 0) {
		/* HIT: this address space was shadowed before; the traces kept
		 * it coherent while it was not in use. */
		m->stats.spt_hits++;
		spt_ev(m, c, cr3, SPT_EV_HIT, spt_page_pa(k), "hit");
	} else {
		/* MISS: a new, empty shadow directory (hidden faults fill it). */
		if (s->npd >= SPT_CACHE_MAX)
			evict_lru(m, c, -1);
		k = spt_page_alloc(m, c);
		s->page[k] =
		    (struct spt_page){.kind = SPT_PD, .frame = cr3 >> 12, .cr3 = cr3, .mode = mode};
		s->npd++;
		s->active = k; /* before any further allocation: never evicted */
		spt_trace_add(m, c, cr3 >> 12);
		pd = spt_table(m, k);
		/* The VMM's own region: supervisor read/write for the real
		 * CPU's implicit accesses (GDT, IDT, TSS). */
		if (mode & SPT_MODE_PAE)
			spt_pae_root_init(m, c, k);
		else
			pd[VMM_PDE] =
			    (u32)(VMM_AREA_BASE + VMM_SPT_AREA_PT_OFF) | PTE_P | PTE_W | PTE_A;
		m->stats.spt_misses++;
		spt_ev(m, c, cr3, SPT_EV_MISS, spt_page_pa(k), "miss");
	}
	s->page[k].used = ++s->clock;
	s->active = k;
	if (c) {
		cpu_write_cr(c, 3, spt_page_pa(k));
		cpu_tlb_flush(c, true);
	}
}

u32 *spt_pt_for(struct vmm *m, struct cpu *c, u32 lin, u32 frame)
{
	struct spt *s = m->spt;
	int pdk = s->active, t;
	u32 *pd, slot = lin >> 22;

	if (pdk < 0)
		panic("shadow: no active shadow directory");
	pd = spt_table(m, pdk);
	t = spt_page_of(pd[slot]);
	if (t >= 0 && s->page[t].frame == frame)
		return spt_table(m, t);
	if (t >= 0) {
		/* Built from another guest table: the trace on the guest PD
		 * should have zapped it -- but a 4 MiB <-> 4 KiB change of
		 * the same PDE arrives here too.  Start it again. */
		spt_page_free(m, t);
		pd[slot] = 0;
		spt_flush_users(m, pdk, 0, true);
	}
	t = spt_page_alloc(m, c);
	/* page_alloc may have flushed the active directory: pdk is kept. */
	s->page[t] =
	    (struct spt_page){.kind = SPT_PT, .frame = frame, .owner = (u16)pdk, .slot = (u16)slot};
	if (frame != SPT_NO_FRAME)
		spt_trace_add(m, c, frame);
	/* The PDE grants everything; the PTEs say what the guest allows
	 * (the combined PDE & PTE rights of the guest's walk). */
	pd[slot] = spt_page_pa(t) | PTE_P | PTE_W | PTE_U | PTE_A;
	return spt_table(m, t);
}

/* Does the change old -> val only set A and/or D? */
static bool only_sets_ad(u32 old, u32 val)
{
	u32 d = old ^ val;

	return !(d & ~(PTE_A | PTE_D)) && (val & d) == d;
}

void spt_entry_written(struct vmm *m, struct cpu *c, u32 pa, u32 old, u32 val)
{
	struct spt *s = m->spt;
	u32 f = pa >> 12, idx = (pa & 0xfff) >> 2;

	bool ad = only_sets_ad(old, val);

	if (!s || old == val)
		return;
	for (int k = 0; k < VMM_SPT_POOL_N; k++) {
		struct spt_page *p = &s->page[k];

		if (p->kind == SPT_FREE || p->frame != f)
			continue;
		if (p->kind == SPT_PD && (p->mode & SPT_MODE_PAE)) {
			/* A PDPTE: A and D are reserved bits there (§4.4.1). */
			spt_pae_entry_written(m, c, k, pa, val);
			continue;
		}
		if (p->kind == SPT_PAE_PD || p->kind == SPT_PAE_PT) {
			/* A/D live in the low dword of an 8-byte entry. */
			if (!(ad && !(pa & 4)))
				spt_pae_entry_written(m, c, k, pa, val);
			continue;
		}
		if (ad)
			continue;
		if (p->kind == SPT_PD && idx != VMM_PDE) {
			/* A guest PDE: the shadow page table built from it goes. */
			u32 *pd = spt_table(m, k);
			int t = spt_page_of(pd[idx]);

			if (t >= 0)
				spt_page_free(m, t);
			if (pd[idx]) {
				pd[idx] = 0;
				if (c)
					spt_flush_users(m, k, 0, true);
				m->stats.spt_syncs++;
				spt_ev(m, c, pa, SPT_EV_SYNC, val, "sync-pde");
			}
		} else if (p->kind == SPT_PT) {
			/* A guest PTE: its shadow entry goes (refilled by a hidden
			 * fault with the new value). */
			u32 *pt = spt_table(m, k);

			if (pt[idx]) {
				pt[idx] = 0;
				if (c)
					spt_flush_users(m, p->owner, (u32)p->slot << 22 | idx << 12,
							false);
				m->stats.spt_syncs++;
				spt_ev(m, c, pa, SPT_EV_SYNC, val, "sync-pte");
			}
		}
	}
}

/* ---- the view: guest walk and shadow walk side by side (monitor `pt`) ---- */

static bool rd32(struct vmm *m, u32 pa, u32 *v)
{
	*v = 0;
	return vmm_phys_read(m, pa, v, 4);
}

void spt_view(struct vmm *m, u32 lin, struct spt_view *v)
{
	struct spt *s = m->spt;
	u32 pdi = lin >> 22, pti = (lin >> 12) & 0x3ff;
	bool big;

	memset(v, 0, sizeof(*v));
	v->lin = lin;
	if (m->v.cr4 & CR4_PAE) {
		snprintf(v->why, sizeof(v->why),
			 "PAE paging: the side-by-side view shows 32-bit tables only");
		return;
	}
	for (int k = 0; s && k < VMM_SPT_POOL_N; k++) {
		v->cached += s->page[k].kind == SPT_PD;
		v->pool_used += s->page[k].kind != SPT_FREE;
	}

	/* 1. The guest's walk, as its tables say (no A/D updates). */
	v->gcr3 = (u32)m->v.cr3 & ~0xfffu;
	v->gpde_pa = v->gcr3 + pdi * 4;
	v->g_err = 0; /* a read at CPL 0, not present */
	big = false;
	if (rd32(m, v->gpde_pa, &v->gpde) && (v->gpde & PTE_P)) {
		big = (v->gpde & PDE_PS) && (m->v.cr4 & CR4_PSE);
		if (big) {
			v->g_ok = true;
			v->g_pa = (v->gpde & 0xffc00000u) | (lin & 0x3fffff);
			v->g_w = v->gpde & PTE_W;
			v->g_u = v->gpde & PTE_U;
		} else {
			v->g_has_pte = true;
			v->gpte_pa = (v->gpde & ~0xfffu) + pti * 4;
			if (rd32(m, v->gpte_pa, &v->gpte) && (v->gpte & PTE_P)) {
				v->g_ok = true;
				v->g_pa = (v->gpte & ~0xfffu) | (lin & 0xfff);
				v->g_w = (v->gpde & PTE_W) && (v->gpte & PTE_W);
				v->g_u = (v->gpde & PTE_U) && (v->gpte & PTE_U);
			}
		}
	}
	if (v->g_ok)
		v->traced = spt_is_traced(m, v->g_pa >> 12);

	/* 2. The real CPU's walk through the active shadow. */
	if (!s || s->active < 0) {
		snprintf(v->why, sizeof(v->why), "no shadow: guest paging is off");
		return;
	}
	v->scr3 = spt_page_pa(s->active);
	v->spde_pa = v->scr3 + pdi * 4;
	v->spde = spt_table(m, s->active)[pdi];
	if (v->spde & PTE_P) {
		int t = spt_page_of(v->spde);

		v->s_has_pte = true;
		v->spte_pa = (v->spde & ~0xfffu) + pti * 4;
		if (t >= 0)
			v->spte = spt_table(m, t)[pti];
		else if (pdi == VMM_PDE)
			v->spte = ((u32 *)(m->area + VMM_SPT_AREA_PT_OFF))[pti];
		if (v->spte & PTE_P) {
			v->s_ok = true;
			v->s_pa = (v->spte & ~0xfffu) | (lin & 0xfff);
		}
	}

	/* 3. Where and why they differ. */
	if (pdi == VMM_PDE) {
		v->differs = 1;
		snprintf(v->why, sizeof(v->why),
			 "the VMM's own slot (0x%llx and up): never filled from the guest, "
			 "whose segments end below it",
			 (unsigned long long)VMM_AREA_BASE);
	} else if (!v->g_ok) {
		v->differs = v->s_ok ? 2 : 0;
		snprintf(v->why, sizeof(v->why), "%s",
			 v->s_ok ? "STALE: the shadow maps a page the guest does not"
				 : "not mapped by the guest: an access is a TRUE fault, reflected "
				   "as #PF to the guest");
	} else if (!(v->spde & PTE_P)) {
		v->differs = 1;
		snprintf(v->why, sizeof(v->why),
			 "shadow PDE empty: the first access is a HIDDEN fault that builds "
			 "a shadow page table from the guest's %s",
			 big ? "4 MiB page" : "page table");
	} else if (!v->s_ok) {
		v->differs = 2;
		snprintf(v->why, sizeof(v->why),
			 "shadow PTE empty (not touched yet, or zapped by a sync or INVLPG): "
			 "the next access is a HIDDEN fault");
	} else if ((v->s_pa & ~0xfffu) != (v->g_pa & ~0xfffu)) {
		v->differs = 2;
		snprintf(v->why, sizeof(v->why), "STALE: the shadow maps another frame");
	} else if (v->g_w && !(v->spte & PTE_W)) {
		v->differs = 2;
		if (v->traced)
			snprintf(v->why, sizeof(v->why),
				 "read-only in the shadow: frame 0x%x holds a guest page table "
				 "(TRACED: a write traps, is performed and synced)",
				 v->g_pa >> 12);
		else
			snprintf(v->why, sizeof(v->why),
				 "read-only in the shadow until the first write: guest D = 0 "
				 "(dirty-bit emulation)");
	} else if (v->g_u != !!(v->spte & PTE_U) || (!v->g_w && (v->spte & PTE_W))) {
		v->differs = 2;
		snprintf(v->why, sizeof(v->why), "STALE: rights differ from the guest's");
	} else {
		snprintf(v->why, sizeof(v->why),
			 "same translation and rights; the shadow PDE points to the VMM's "
			 "shadow page table, not to the guest's");
	}
}
