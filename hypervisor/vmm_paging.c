/*
 * vmm_paging.c - shadow page tables for 32-bit non-PAE guests (SDM Vol 3
 * §4.3 "32-bit paging", §4.8 accessed and dirty flags, §4.10 TLBs; Adams &
 * Agesen ASPLOS 2006 §2.3 "hidden" vs "true" page faults).
 *
 * The guest believes CR3 points to its page directory.  The real CPU's CR3
 * points to the SHADOW page directory in the VMM's area, which maps guest
 * linear addresses straight to host (= guest) physical frames.  The shadow
 * starts empty; every access to a page not yet in it faults into the VMM:
 *
 *   - HIDDEN fault: the guest's own tables allow the access.  The VMM walks
 *     them (setting the guest's A bit, and D on a write), copies the result
 *     into the shadow and resumes: the guest never sees it.
 *   - TRUE fault: the guest's tables forbid it.  The VMM sets the virtual
 *     CR2 and reflects #PF with the error code the guest's walk gives.
 *
 * D-bit emulation: a page whose guest PTE is writable but not dirty gets a
 * read-only shadow entry; the first write faults (hidden), the VMM sets D in
 * the guest PTE and makes the shadow entry writable.  The real CR0.WP is
 * always 1 so that ring 1 (the guest kernel) is held to that too.
 *
 * Coherence, this slice: the shadow is a VIRTUAL TLB.  x86 requires the
 * guest to INVLPG or reload CR3 after changing a present PTE (SDM Vol 3
 * §4.10.4), so the VMM drops the shadow entry on INVLPG and the whole shadow
 * on a CR3 write; a not-present -> present change just takes a hidden fault.
 * Write-protecting ("tracing") the guest's tables, and caching one shadow
 * per CR3, are the next step.
 *
 * Ring compression fits 32-bit paging exactly: the guest kernel (ring 1)
 * and a ring-0 kernel are both "supervisor" (CPL < 3), user stays user.
 */
#include <string.h>

#include "cpu/mem.h"
#include "cpu/system.h"
#include "devices/bus.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

/* 32-bit paging entry bits (SDM Vol 3 Table 4-5, 4-6). */
#define PTE_P  (1u << 0)
#define PTE_W  (1u << 1)
#define PTE_U  (1u << 2)
#define PTE_A  (1u << 5)
#define PTE_D  (1u << 6)
#define PDE_PS (1u << 7)
#define PF_P   (1u << 0) /* #PF error code: protection (not not-present) */
#define PF_W   (1u << 1)
#define PF_U   (1u << 2)

/* The shadow directory's slot for the VMM's own region (never the guest's:
 * its truncated segments cannot reach 0xFE000000 and up). */
#define VMM_PDE ((u32)(VMM_AREA_BASE >> 22))

static u32 *spt_pd(struct vmm *m)
{
	return (u32 *)(m->area + VMM_SPT_PD_OFF);
}

static u32 *spt_pool(struct vmm *m, unsigned k)
{
	return (u32 *)(m->area + VMM_SPT_POOL_OFF + (size_t)k * 4096);
}

static bool phys_rd32(struct vmm *m, u32 pa, u32 *v)
{
	return vmm_phys_read(m, pa, v, 4);
}

/* ---- the guest's walk -------------------------------------------------------- */

/*
 * Translate lin through the guest's tables for an access (write, user).
 * On success *pa is the guest-physical address and *w whether the guest
 * allows writes (for the shadow entry); with set_ad the guest's A/D bits are
 * updated as the hardware would.  On failure *gerr is the #PF error code.
 */
bool vmm_guest_walk(struct vmm *m, u32 lin, bool write, bool user, bool set_ad, u32 *pa, bool *w,
		    u32 *gerr)
{
	u32 pde_pa = ((u32)m->v.cr3 & ~0xfffu) + (lin >> 22) * 4, pde = 0, pte_pa, pte = 0;
	bool wp = (m->v.cr0 & CR0_WP) != 0, allow_w, allow_u;
	u32 err = (write ? PF_W : 0) | (user ? PF_U : 0);

	if (!phys_rd32(m, pde_pa, &pde) || !(pde & PTE_P))
		goto fault;
	if ((pde & PDE_PS) && (m->v.cr4 & CR4_PSE)) {
		/* A 4 MiB page (SDM Vol 3 §4.3, Table 4-4). */
		allow_w = pde & PTE_W;
		allow_u = pde & PTE_U;
		err |= PF_P;
		if ((user && !allow_u) || (write && !allow_w && (user || wp)))
			goto fault;
		if (set_ad && (~pde & (PTE_A | (write ? PTE_D : 0)))) {
			pde |= PTE_A | (write ? PTE_D : 0);
			vmm_phys_write(m, pde_pa, &pde, 4);
		}
		*pa = (pde & 0xffc00000u) | (lin & 0x3fffff);
		*w = allow_w && (pde & PTE_D);
		return true;
	}
	pte_pa = (pde & ~0xfffu) + ((lin >> 12) & 0x3ff) * 4;
	if (!phys_rd32(m, pte_pa, &pte) || !(pte & PTE_P))
		goto fault;
	err |= PF_P;
	allow_w = (pde & PTE_W) && (pte & PTE_W);
	allow_u = (pde & PTE_U) && (pte & PTE_U);
	if ((user && !allow_u) || (write && !allow_w && (user || wp)))
		goto fault;
	if (set_ad) {
		if (!(pde & PTE_A)) {
			pde |= PTE_A;
			vmm_phys_write(m, pde_pa, &pde, 4);
		}
		if (~pte & (PTE_A | (write ? PTE_D : 0))) {
			pte |= PTE_A | (write ? PTE_D : 0);
			vmm_phys_write(m, pte_pa, &pte, 4);
		}
	}
	*pa = (pte & ~0xfffu) | (lin & 0xfff);
	*w = allow_w && (pte & PTE_D);
	return true;
fault:
	*gerr = err;
	return false;
}

/* ---- the shadow ---------------------------------------------------------------- */

/* Empty the shadow (but the VMM's own slot) and the real TLB. */
void vmm_spt_flush(struct vmm *m, struct cpu *c)
{
	u32 *pd = spt_pd(m);

	for (unsigned k = 0; k < 1024; k++)
		if (k != VMM_PDE)
			pd[k] = 0;
	m->spt_used = 0;
	m->stats.spt_flushes++;
	trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, m->v.cr3, 1, 0, 0, 0, "flush");
	cpu_tlb_flush(c, true);
}

/* CR0.PG 0 -> 1: the real CPU pages through the (empty) shadow. */
void vmm_spt_enable(struct vmm *m, struct cpu *c)
{
	u32 *apt = (u32 *)(m->area + VMM_SPT_AREA_PT_OFF);

	/* The VMM's region, supervisor read/write (GDT, IDT, TSS: the
	 * real CPU's implicit accesses), in its own page table. */
	memset(apt, 0, 4096);
	for (u32 off = 0; off < VMM_AREA_SIZE; off += 4096)
		apt[((VMM_AREA_BASE + off) >> 12) & 0x3ff] =
		    (u32)(VMM_AREA_BASE + off) | PTE_P | PTE_W | PTE_A | PTE_D;
	spt_pd(m)[VMM_PDE] = (u32)(VMM_AREA_BASE + VMM_SPT_AREA_PT_OFF) | PTE_P | PTE_W | PTE_A;
	vmm_spt_flush(m, c);
	cpu_write_cr(c, 3, VMM_AREA_BASE + VMM_SPT_PD_OFF);
	cpu_write_cr(c, 0, c->cr0 | CR0_PG | CR0_WP);
}

void vmm_spt_disable(struct vmm *m, struct cpu *c)
{
	cpu_write_cr(c, 0, c->cr0 & ~(u64)CR0_PG);
}

/* INVLPG lin: drop the shadow entry (and the real TLB's). */
void vmm_spt_invlpg(struct vmm *m, struct cpu *c, u32 lin)
{
	u32 pde = spt_pd(m)[lin >> 22];

	if ((lin >> 22) != VMM_PDE && (pde & PTE_P)) {
		u32 k = (pde - (u32)(VMM_AREA_BASE + VMM_SPT_POOL_OFF)) >> 12;

		spt_pool(m, k)[(lin >> 12) & 0x3ff] = 0;
	}
	m->stats.spt_invlpg++;
	cpu_tlb_flush_page(c, lin);
}

/*
 * A #PF the real CPU raised while the guest paged (*err the real error
 * code).  Returns true for a hidden fault (the shadow now has the entry:
 * resume), false for a true one (*err is then the guest's error code and
 * the virtual CR2 is set: reflect).
 */
bool vmm_spt_fault(struct vmm *m, struct cpu *c, u32 *err)
{
	u32 lin = (u32)c->cr2, pa = 0, gerr = 0, *pd = spt_pd(m), *pt, pte;
	bool write = *err & PF_W, user = *err & PF_U, w = false;

	if ((lin >> 22) == VMM_PDE || !vmm_guest_walk(m, lin, write, user, true, &pa, &w, &gerr)) {
		if ((lin >> 22) == VMM_PDE) /* cannot happen: truncated segments */
			gerr = (*err & (PF_W | PF_U)) | PF_P;
		m->v.cr2 = lin;
		*err = gerr;
		m->stats.pf_true++;
		trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, 3, gerr, 0, 0, "true-fault");
		return false;
	}
	if ((u64)pa >= VMM_AREA_BASE && (u64)pa < VMM_AREA_BASE + VMM_AREA_SIZE) {
		vmm_fail(m, "guest maps 0x%x to physical 0x%x, the VMM's own memory", lin, pa);
		return true;
	}
	if (write && !w) {
		/* Allowed only through CR0.WP = 0 (a supervisor write to a
		 * read-only page): the shadow cannot express it for ring 1. */
		vmm_fail(m, "guest writes 0x%x relying on CR0.WP = 0: not supported", lin);
		return true;
	}
	if (!(pd[lin >> 22] & PTE_P)) {
		if (m->spt_used == VMM_SPT_POOL_N)
			vmm_spt_flush(m, c); /* out of shadow tables: start over */
		memset(spt_pool(m, m->spt_used), 0, 4096);
		pd[lin >> 22] = (u32)(VMM_AREA_BASE + VMM_SPT_POOL_OFF + m->spt_used * 4096) |
				PTE_P | PTE_W | PTE_U | PTE_A;
		m->spt_used++;
	}
	pt = spt_pool(m, (pd[lin >> 22] - (u32)(VMM_AREA_BASE + VMM_SPT_POOL_OFF)) >> 12);
	/* Permissions from the guest's walk (U from a user-mode retry walk:
	 * the current access may be supervisor). */
	{
		u32 upa;
		bool uw, uok = vmm_guest_walk(m, lin, false, true, false, &upa, &uw, &gerr);

		pte = (pa & ~0xfffu) | PTE_P | PTE_A | (w ? PTE_W | PTE_D : 0) | (uok ? PTE_U : 0);
	}
	pt[(lin >> 12) & 0x3ff] = pte;
	cpu_tlb_flush_page(c, lin);
	m->stats.pf_hidden++;
	trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, 2, pte, 0, 0, "fill");
	return true;
}
