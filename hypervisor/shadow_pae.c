/*
 * shadow_pae.c - PAE shadow page tables for 32-bit guests that page with
 * CR4.PAE (SDM Vol 3 §4.4 "PAE paging": a 4-entry PDPT, 512-entry page
 * directories and page tables of 8-byte entries, 2 MiB pages, the XD bit
 * with IA32_EFER.NXE; §4.4.1 the PDPTEs; shadow_pt.h has the vocabulary).
 *
 * A PAE guest gets a PAE shadow: the real CPU pages in PAE mode too (the
 * VMM mirrors CR4.PAE into the real CR4, vmm_paging.c), so the shadow can
 * carry XD -- a non-PAE shadow could not say "readable but not
 * executable".  The shape mirrors the guest's:
 *
 *   root (SPT_PD, mode SPT_MODE_PAE)  a pool page whose first 32 bytes are
 *        the shadow PDPT; its source frame is the guest's PDPT frame;
 *   SPT_PAE_PD  one per PDPT slot in use, built from the guest PD that
 *        slot's guest PDPTE names (traced); slot 3 always exists, because
 *        its entry 0x1f8 maps the VMM's own region (0xFF000000..);
 *   SPT_PAE_PT  one per shadow PDE in use, built from the guest PT that
 *        guest PDE names (traced), or from nothing for a guest 2 MiB page
 *        (SPT_NO_FRAME: split into 4 KiB shadow entries).
 *
 * The invariant is shadow_pt.c's: a shadow leaf grants at most what the
 * guest's walk grants now (the rights are those of the WHOLE walk, put in
 * the leaf; upper shadow levels grant everything, shadow PDPTEs are P only
 * since their R/W, U/S bits are reserved), never maps the VMM's region,
 * and every source frame is traced, so a guest write to a PDPTE, PDE or
 * PTE zaps what was built from it.  vmlab's CPU re-reads PDPTEs on every
 * walk (mmu/paging.h), so a traced guest PDPT write takes effect at once
 * here as it does under --virt=none.
 */
#include <stdio.h>
#include <string.h>

#include "mmu/paging.h" /* first: shadow_pt.h redefines PTE_P/A/D as macros */

#include "cpu/mem.h"
#include "hypervisor/shadow_pt.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "lib/err.h"

/* Host view of pool page k as 8-byte entries. */
static u64 *tab(struct vmm *m, int k)
{
	return (u64 *)spt_table(m, k);
}

/* The pool page an 8-byte shadow entry points to, or -1. */
static int page_of(u64 e)
{
	return (e >> 32) ? -1 : spt_page_of((u32)e);
}

/* Entries that grant everything below them (the leaf says what the guest
 * allows); R/W, U/S are reserved in a PDPTE. */
#define PDPTE_BITS (PTE_P)
#define PDE_BITS   (PTE_P | PTE_W | PTE_U | PTE_A)

/* Empty shadow PD j of its root, keeping the VMM's slot in PD 3. */
static void pd_empty(struct vmm *m, int j)
{
	struct spt *s = m->spt;
	u64 *pd = tab(m, j);

	for (int k = 0; k < VMM_SPT_POOL_N; k++)
		if (s->page[k].kind == SPT_PAE_PT && s->page[k].owner == j)
			spt_page_free(m, k);
	for (int i = 0; i < 512; i++)
		if (!(s->page[j].slot == VMM_PAE_PDPTE && i == (int)VMM_PAE_PDE))
			pd[i] = 0;
}

/* Make shadow PD j (slot 3 of its root) keep only the VMM's region and
 * forget its source frame. */
static void pd3_reset(struct vmm *m, int j)
{
	struct spt_page *p = &m->spt->page[j];

	pd_empty(m, j);
	if (p->frame != SPT_NO_FRAME)
		spt_trace_del(m, p->frame);
	p->frame = SPT_NO_FRAME;
}

/* The shadow PD of PDPT slot `slot` under root r, or -1. */
static int pd_of(struct vmm *m, int r, unsigned slot)
{
	return page_of(tab(m, r)[slot]);
}

void spt_pae_root_init(struct vmm *m, struct cpu *c, int k)
{
	int j = spt_page_alloc(m, c);
	u64 *pd = tab(m, j);

	/* spt_page_alloc cannot take k: spt_switch marked it a directory. */
	m->spt->page[j] = (struct spt_page){
	    .kind = SPT_PAE_PD, .frame = SPT_NO_FRAME, .owner = (u16)k, .slot = VMM_PAE_PDPTE};
	pd[VMM_PAE_PDE] = (VMM_AREA_BASE + VMM_SPT_AREA_PAE_PT_OFF) | PTE_P | PTE_W | PTE_A;
	tab(m, k)[VMM_PAE_PDPTE] = spt_page_pa(j) | PDPTE_BITS;
}

void spt_pae_root_clear(struct vmm *m, int k)
{
	for (unsigned slot = 0; slot < 4; slot++) {
		int j = pd_of(m, k, slot);

		if (j < 0)
			continue;
		if (slot == VMM_PAE_PDPTE) {
			pd3_reset(m, j);
		} else {
			spt_page_free(m, j);
			tab(m, k)[slot] = 0;
		}
	}
}

u64 *spt_pae_leaf(struct vmm *m, u32 lin)
{
	int r = m->spt->active, j, t;

	if (r < 0 || (j = pd_of(m, r, lin >> 30)) < 0)
		return NULL;
	if ((lin >> 30) == VMM_PAE_PDPTE && ((lin >> 21) & 0x1ff) == VMM_PAE_PDE)
		return NULL; /* the VMM's own page table */
	if ((t = page_of(tab(m, j)[(lin >> 21) & 0x1ff])) < 0)
		return NULL;
	return &tab(m, t)[(lin >> 12) & 0x1ff];
}

u64 *spt_pae_pt_for(struct vmm *m, struct cpu *c, u32 lin, u32 pdf, u32 ptf)
{
	struct spt *s = m->spt;
	unsigned slot = lin >> 30, pdi = (lin >> 21) & 0x1ff;
	int r, j, t, fresh;

again:
	r = s->active;
	if (r < 0)
		panic("shadow: no active PAE shadow");
	/* 1. The shadow PD of this PDPT slot, built from guest PD pdf. */
	j = pd_of(m, r, slot);
	if (j >= 0 && s->page[j].frame != pdf) {
		/* Built from another guest PD (or none yet: slot 3). */
		if (slot == VMM_PAE_PDPTE) {
			pd3_reset(m, j);
			s->page[j].frame = pdf;
			spt_trace_add(m, c, pdf);
		} else {
			spt_page_free(m, j);
			tab(m, r)[slot] = 0;
			j = -1;
		}
		spt_flush_users(m, r, 0, true);
	}
	if (j < 0) {
		/* A pool page; the allocation may flush the root: look again. */
		fresh = spt_page_alloc(m, c);
		if (pd_of(m, r, slot) >= 0 || s->active != r)
			goto again;
		s->page[fresh] = (struct spt_page){
		    .kind = SPT_PAE_PD, .frame = pdf, .owner = (u16)r, .slot = (u16)slot};
		spt_trace_add(m, c, pdf);
		tab(m, r)[slot] = spt_page_pa(fresh) | PDPTE_BITS;
		j = fresh;
	}
	/* 2. The shadow PT of this PDE, built from guest PT ptf. */
	t = page_of(tab(m, j)[pdi]);
	if (t >= 0 && s->page[t].frame == ptf)
		return tab(m, t);
	if (t >= 0) {
		/* A 2 MiB <-> 4 KiB change of the same guest PDE. */
		spt_page_free(m, t);
		tab(m, j)[pdi] = 0;
		spt_flush_users(m, r, 0, true);
	}
	fresh = spt_page_alloc(m, c);
	if (s->page[j].kind != SPT_PAE_PD || s->page[j].frame != pdf || pd_of(m, r, slot) != j ||
	    s->active != r)
		goto again; /* the allocation flushed the PD away */
	s->page[fresh] =
	    (struct spt_page){.kind = SPT_PAE_PT, .frame = ptf, .owner = (u16)j, .slot = (u16)pdi};
	if (ptf != SPT_NO_FRAME)
		spt_trace_add(m, c, ptf);
	tab(m, j)[pdi] = spt_page_pa(fresh) | PDE_BITS;
	return tab(m, fresh);
}

/* The linear address of entry idx of PAE shadow page k (a PD: its 2 MiB
 * region; a PT: its page). */
static u32 lin_of(struct vmm *m, int k, u32 idx)
{
	const struct spt_page *p = &m->spt->page[k];

	if (p->kind == SPT_PAE_PD)
		return (u32)p->slot << 30 | idx << 21;
	return (u32)m->spt->page[p->owner].slot << 30 | (u32)p->slot << 21 | idx << 12;
}

/* The root a PAE shadow page belongs to. */
static int root_of(struct vmm *m, int k)
{
	const struct spt_page *p = &m->spt->page[k];

	if (p->kind == SPT_PD)
		return k;
	if (p->kind == SPT_PAE_PD)
		return p->owner;
	return m->spt->page[p->owner].owner;
}

void spt_pae_entry_written(struct vmm *m, struct cpu *c, int k, u32 pa, u32 val)
{
	struct spt *s = m->spt;
	struct spt_page *p = &s->page[k];
	u32 idx = (pa & 0xfff) >> 3; /* either dword of an 8-byte entry */
	int r = root_of(m, k), t;
	u64 *e;

	if (p->kind == SPT_PD) {
		/* A guest PDPTE (only the 32 bytes at the guest's CR3). */
		u32 base = p->cr3 & 0xfe0;

		if ((pa & 0xfff) < base || (pa & 0xfff) >= base + 32)
			return;
		idx = ((pa & 0xfff) - base) >> 3;
		if ((t = pd_of(m, k, idx)) < 0)
			return;
		if (idx == VMM_PAE_PDPTE) {
			pd3_reset(m, t);
		} else {
			spt_page_free(m, t);
			tab(m, k)[idx] = 0;
		}
		if (c)
			spt_flush_users(m, k, 0, true);
		m->stats.spt_syncs++;
		spt_ev(m, c, pa, SPT_EV_SYNC, val, "sync-pdpte");
		return;
	}
	e = &tab(m, k)[idx];
	if (p->kind == SPT_PAE_PD) {
		/* A guest PDE: the shadow PT built from it goes. */
		if (p->slot == VMM_PAE_PDPTE && idx == VMM_PAE_PDE)
			return; /* never the VMM's slot (the guest's is ignored) */
		if ((t = page_of(*e)) >= 0)
			spt_page_free(m, t);
		if (!*e)
			return;
		*e = 0;
		if (c)
			spt_flush_users(m, r, 0, true);
		m->stats.spt_syncs++;
		spt_ev(m, c, pa, SPT_EV_SYNC, val, "sync-pde");
		return;
	}
	/* A guest PTE: its shadow entry goes (a hidden fault refills it). */
	if (!*e)
		return;
	*e = 0;
	if (c)
		spt_flush_users(m, r, lin_of(m, k, idx), false);
	m->stats.spt_syncs++;
	spt_ev(m, c, pa, SPT_EV_SYNC, val, "sync-pte");
}

bool spt_pae_unmap_writable(struct vmm *m, u32 f)
{
	bool hit = false;

	for (int k = 0; k < VMM_SPT_POOL_N; k++) {
		u64 *pt = tab(m, k);

		if (m->spt->page[k].kind != SPT_PAE_PT)
			continue;
		for (int j = 0; j < 512; j++)
			if ((pt[j] & (PTE_P | PTE_W)) == (PTE_P | PTE_W) &&
			    ((pt[j] & PAE_ADDR) >> 12) == f) {
				pt[j] &= ~(u64)(PTE_W | PTE_D);
				hit = true;
			}
	}
	return hit;
}

/* ---- one leaf, either format (vmm_paging.c's fills and trace writes) ---- */

bool spt_active_pae(const struct vmm *m)
{
	return m->spt && m->spt->active >= 0 && (m->spt->page[m->spt->active].mode & SPT_MODE_PAE);
}

/* The 32-bit leaf slot for lin in the active shadow, or NULL. */
static u32 *leaf32(struct vmm *m, u32 lin)
{
	int t = spt_page_of(spt_table(m, m->spt->active)[lin >> 22]);

	return (t < 0 || (lin >> 22) == VMM_PDE) ? NULL : &spt_table(m, t)[(lin >> 12) & 0x3ff];
}

bool spt_leaf_get(struct vmm *m, u32 lin, u64 *e)
{
	if (!m->spt || m->spt->active < 0)
		return false;
	if (spt_active_pae(m)) {
		u64 *p = spt_pae_leaf(m, lin);

		*e = p ? *p : 0;
		return p != NULL;
	}
	u32 *p = leaf32(m, lin);

	*e = p ? *p : 0;
	return p != NULL;
}

void spt_leaf_set(struct vmm *m, u32 lin, u64 e)
{
	if (spt_active_pae(m)) {
		u64 *p = spt_pae_leaf(m, lin);

		if (!p)
			panic("shadow: no PAE shadow page table for 0x%x", lin);
		*p = e;
		return;
	}
	u32 *p = leaf32(m, lin);

	if (!p)
		panic("shadow: no shadow page table for 0x%x", lin);
	*p = (u32)e;
}

/* ---- the guest's walk -------------------------------------------------------- */

/*
 * The guest's walk is the MMU's own walker run over GUEST-physical memory
 * with the VIRTUAL control registers: the guest sees exactly the rules
 * --virt=none applies.  Its A/D writes go through vmm_phys_write, so a walk
 * that sets A in a traced table syncs the shadows (an A/D-only change zaps
 * nothing, spt_entry_written).
 */
static bool gm_read(void *o, u64 pa, unsigned size, u64 *val)
{
	*val = 0;
	return vmm_phys_read(o, pa, val, size);
}

static bool gm_write(void *o, u64 pa, unsigned size, u64 val)
{
	return vmm_phys_write(o, pa, &val, size);
}

bool spt_guest_walk(struct vmm *m, u32 lin, enum spt_acc acc, bool user, bool ac, bool sys,
		    bool set_ad, struct spt_gwalk *g, u32 *gerr)
{
	struct pg_mem mem = {.read = gm_read, .write = gm_write, .opaque = m};
	/* The guest's EFER.NXE is the real one: the VMM passes it through
	 * (vmm_msr.c); LME/LMA never get that far (refused). */
	u64 efer = (m->vm && m->vm->cpus) ? m->vm->cpus[m->cur].efer & EFER_NXE : 0;
	struct pg_ctx ctx = {.cr0 = m->v.cr0,
			     .cr3 = m->v.cr3,
			     .cr4 = m->v.cr4,
			     .efer = efer,
			     .cpl = user ? 3 : 0,
			     .ac = ac,
			     .mem = &mem};
	unsigned flags = (sys ? PG_SYS : 0) | (set_ad ? 0 : PG_DEBUG);
	struct pg_walk w;
	enum pg_status st = mmu_walk(&ctx, lin, (enum pg_access)acc, flags, &w);
	bool pae = w.mode == PG_MODE_PAE;

	if (st == PG_WALK_OK && !set_ad &&
	    !(mmu_rights(&ctx, w.user, w.writable, w.nx) &
	      PG_PERM(mmu_class(&ctx, flags & ~PG_DEBUG), acc))) {
		/* PG_DEBUG skipped the rights check: do it here. */
		st = PG_WALK_FAULT;
		w.err = (acc == SPT_WRITE ? PFEC_W : 0) | (user ? PFEC_U : 0) | PFEC_P |
			(acc == SPT_FETCH && ((ctx.cr4 & CR4_SMEP) || (pae && efer)) ? PFEC_I : 0);
	}
	if (st == PG_WALK_MEMFAULT) {
		/* A table outside guest RAM reads as not present. */
		*gerr = (acc == SPT_WRITE ? PFEC_W : 0) | (user ? PFEC_U : 0);
		return false;
	}
	if (st != PG_WALK_OK) {
		*gerr = w.err;
		return false;
	}
	g->pa = w.pa;
	g->user = w.user;
	g->writable = w.writable;
	g->nx = w.nx;
	g->dirty = w.dirty;
	g->pdf = g->ptf = SPT_NO_FRAME;
	for (int k = 0; k < w.nsteps; k++) {
		if (w.steps[k].level == 2 && pae)
			g->pdf = (u32)(w.steps[k].addr >> 12);
		if (w.steps[k].level == 1)
			g->ptf = (u32)(w.steps[k].addr >> 12);
	}
	return true;
}
