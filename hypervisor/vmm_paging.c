/*
 * vmm_paging.c - shadow page tables for 32-bit non-PAE guests: the guest's
 * walk, hidden and true faults, trace writes (SDM Vol 3 §4.3 "32-bit
 * paging", §4.7 page-fault error codes, §4.8 accessed and dirty flags,
 * §4.10 TLBs; Adams & Agesen ASPLOS 2006 §2.3 "hidden" vs "true" faults
 * and "traces").
 *
 * The guest believes CR3 points to its page directory.  The real CPU's CR3
 * points to a SHADOW page directory in the VMM's area (shadow_pt.c: one per
 * guest address space, cached by guest CR3), which maps guest linear
 * addresses straight to host (= guest) physical frames.  A shadow starts
 * empty; every access to a page not yet in it faults into the VMM:
 *
 *   - HIDDEN fault: the guest's own tables allow the access.  The VMM walks
 *     them (setting the guest's A bit, and D on a write), copies the result
 *     into the shadow and resumes: the guest never sees it.
 *   - TRUE fault: the guest's tables forbid it.  The VMM sets the virtual
 *     CR2 and reflects #PF with the error code the guest's walk gives.
 *   - TRACE write: the guest's tables allow a write to a page that holds
 *     one of its page tables (a "traced" frame, mapped read-only in every
 *     shadow).  The VMM decodes the instruction with the CPU's decoder and
 *     performs it with the page writable for that one instruction, then
 *     compares the page with its copy from before and zaps the shadow
 *     entries built from every entry that changed, in every cached shadow
 *     (shadow_pt.c spt_entry_written: a counted `sync`).
 *
 * D-bit emulation: a page whose guest PTE is writable but not dirty gets a
 * read-only shadow entry; the first write faults (hidden), the VMM sets D in
 * the guest PTE and makes the shadow entry writable.  The real CR0.WP is
 * always 1 so that ring 1 (the guest kernel) is held to that too.
 *
 * Coherence: because the traces keep every cached shadow in step with the
 * guest's tables, a CR3 write only switches shadows, and INVLPG drops the
 * one entry (harmless: it refills from the guest's current PTE).
 *
 * Ring compression fits 32-bit paging exactly: the guest kernel (ring 1)
 * and a ring-0 kernel are both "supervisor" (CPL < 3), user stays user.
 *
 * Untrusted guests: a guest table entry pointing outside RAM reads as not
 * present (true fault); a guest mapping of the VMM's region is refused with
 * a true #PF (on bare metal that range is unclaimed bus space); the VMM's
 * slot of the shadow directory is never filled from the guest.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "cpu/isa.h"
#include "cpu/mem.h"
#include "cpu/system.h"
#include "devices/bus.h"
#include "hypervisor/shadow_pt.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

#define PF_P (1u << 0) /* #PF error code: protection (not not-present) */
#define PF_W (1u << 1)
#define PF_U (1u << 2)

static bool phys_rd32(struct vmm *m, u32 pa, u32 *v)
{
	return vmm_phys_read(m, pa, v, 4);
}

static bool in_vmm_area(u32 pa)
{
	return (u64)pa >= VMM_AREA_BASE && (u64)pa < VMM_AREA_BASE + VMM_AREA_SIZE;
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

/* ---- turning shadow paging on and off --------------------------------------- */

/* CR0.PG 0 -> 1: the real CPU pages through the shadow of the guest's CR3.
 * While paging was off the guest wrote its tables untraced: no cached
 * shadow survives that. */
void vmm_spt_enable(struct vmm *m, struct cpu *c)
{
	u32 *apt = (u32 *)(m->area + VMM_SPT_AREA_PT_OFF);

	/* The VMM's region, supervisor read/write (GDT, IDT, TSS: the
	 * real CPU's implicit accesses), in its own page table. */
	memset(apt, 0, 4096);
	for (u32 off = 0; off < VMM_AREA_SIZE; off += 4096)
		apt[((VMM_AREA_BASE + off) >> 12) & 0x3ff] =
		    (u32)(VMM_AREA_BASE + off) | PTE_P | PTE_W | PTE_A | PTE_D;
	if (!m->spt) {
		m->spt = spt_create(m->vm->cfg->mem_size);
		m->spt->cur = m->cur; /* the world switch keeps it (vmm_smp.c) */
	}
	spt_drop_all(m, c);
	spt_switch(m, c, (u32)m->v.cr3);
	cpu_write_cr(c, 0, c->cr0 | CR0_PG | CR0_WP);
}

void vmm_spt_disable(struct vmm *m, struct cpu *c)
{
	cpu_write_cr(c, 0, c->cr0 & ~(u64)CR0_PG);
	if (m->spt)
		spt_drop_all(m, c); /* nothing is traced while paging is off */
}

/* CR0.WP, CR4.PSE/PGE changed: every shadow was built under the old rules. */
void vmm_spt_flush(struct vmm *m, struct cpu *c)
{
	if (!m->spt)
		return;
	spt_drop_all(m, c);
	spt_switch(m, c, (u32)m->v.cr3);
}

/* MOV to CR3 while paging: switch to the cached shadow of the new address
 * space (or a new one).  No flush: the traces kept it coherent. */
void vmm_spt_set_cr3(struct vmm *m, struct cpu *c)
{
	if (m->spt && (m->v.cr0 & CR0_PG))
		spt_switch(m, c, (u32)m->v.cr3);
}

/* INVLPG lin: drop the active shadow's entry (and the real TLB's). */
void vmm_spt_invlpg(struct vmm *m, struct cpu *c, u32 lin)
{
	if (m->spt && m->spt->active >= 0 && (lin >> 22) != VMM_PDE) {
		int t = spt_page_of(spt_table(m, m->spt->active)[lin >> 22]);

		if (t >= 0)
			spt_table(m, t)[(lin >> 12) & 0x3ff] = 0;
	}
	m->stats.spt_invlpg++;
	cpu_tlb_flush_page(c, lin);
}

/* ---- filling the shadow ---------------------------------------------------------- */

/*
 * Walk the guest's tables for an access at lin and copy the result into the
 * active shadow.  False: a true fault, *gerr the guest's error code.  True:
 * filled; *traced says the page holds a guest page table (its shadow entry
 * is read-only: a write must be performed by the VMM, trace_write()).
 */
static bool fill(struct vmm *m, struct cpu *c, u32 lin, bool write, bool user, u32 *gerr,
		 bool *traced)
{
	u32 pa = 0, upa, uerr, pde = 0, frame, pte, *pt;
	bool w = false, uw, uok;

	*traced = false;
	if ((lin >> 22) == VMM_PDE) {
		/* Cannot happen (truncated segments): the VMM's slot. */
		*gerr = (write ? PF_W : 0) | (user ? PF_U : 0) | PF_P;
		return false;
	}
	if (!vmm_guest_walk(m, lin, write, user, true, &pa, &w, gerr))
		return false;
	if (in_vmm_area(pa) || in_vmm_area(pa | 0xfff)) {
		/* The guest maps the VMM's own memory: never.  On bare metal
		 * the range is unclaimed bus space; here it is a #PF. */
		*gerr = (write ? PF_W : 0) | (user ? PF_U : 0) | PF_P;
		trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, SPT_EV_TRUE, pa, 0, 0,
			   "vmm-area");
		return false;
	}
	if (write && !w) {
		/* Allowed only through CR0.WP = 0 (a supervisor write to a
		 * read-only page): the shadow cannot express it for ring 1. */
		vmm_refuse(m, "guest writes 0x%x relying on CR0.WP = 0: not supported", lin);
		return true;
	}
	/* The guest PT this shadow PT is built from (none: a 4 MiB page). */
	phys_rd32(m, ((u32)m->v.cr3 & ~0xfffu) + (lin >> 22) * 4, &pde);
	frame = ((pde & PDE_PS) && (m->v.cr4 & CR4_PSE)) ? SPT_NO_FRAME : pde >> 12;
	pt = spt_pt_for(m, c, lin, frame);
	/* U from a user-mode retry walk: the current access may be a
	 * supervisor one.  (After spt_pt_for: it may have traced pa's frame
	 * itself -- a directory mapping itself.) */
	uok = vmm_guest_walk(m, lin, false, true, false, &upa, &uw, &uerr);
	*traced = spt_is_traced(m, pa >> 12);
	pte = (pa & ~0xfffu) | PTE_P | PTE_A | (uok ? PTE_U : 0);
	if (w && !*traced) {
		pte |= PTE_W | PTE_D;
		spt_note_writable(m, pa >> 12);
	}
	pt[(lin >> 12) & 0x3ff] = pte;
	cpu_tlb_flush_page(c, lin);
	trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, SPT_EV_FILL, pte, 0, 0, "fill");
	return true;
}

/* ---- trace writes --------------------------------------------------------------- */

#define TW_MAX 4 /* traced pages one instruction may write */

/* The active shadow's entry for lin, or NULL. */
static u32 *shadow_pte(struct vmm *m, u32 lin)
{
	int t = spt_page_of(spt_table(m, m->spt->active)[lin >> 22]);

	return t < 0 ? NULL : &spt_table(m, t)[(lin >> 12) & 0x3ff];
}

static bool fetch_decode(struct vmm *m, struct cpu *c, struct insn *i)
{
	u8 buf[15];
	u64 lin = (c->seg[SEG_CS].base + c->rip) & 0xffffffff;
	unsigned n = 15;

	while (n && !vmm_read(m, lin, buf, n))
		n--;
	return n && isa_decode(i, buf, n, c->code_size) > 0;
}

/* Put back the read-only entries and sync what the instruction changed. */
static void tw_finish(struct vmm *m, struct cpu *c, unsigned n, const u32 *lins, const u32 *pas)
{
	u32 now[1024];

	for (unsigned k = 0; k < n; k++) {
		u32 *e = shadow_pte(m, lins[k]);

		if (e && (*e & PTE_P) && (*e & ~0xfffu) == pas[k])
			*e &= ~(PTE_W | PTE_D);
		cpu_tlb_flush_page(c, lins[k]);
	}
	for (unsigned k = 0; k < n; k++) {
		if (!vmm_phys_read(m, pas[k], now, 4096))
			continue;
		for (unsigned j = 0; j < 1024; j++)
			if (now[j] != m->spt->snap[k][j])
				spt_entry_written(m, c, pas[k] + j * 4, m->spt->snap[k][j], now[j]);
	}
}

/*
 * The guest wrote to one of its page tables (lin is in a traced page, and
 * its tables allow the write).  Perform the instruction with the page
 * writable: the CPU's own handler for innocuous forms (and for holes
 * without pg-strict: what the hardware would run), the VMM's emulation for
 * the forms it virtualizes.  A second traced page written by the same
 * instruction is added and the instruction performed again (a string
 * instruction resumes where it faulted, as on hardware).  Any other fault
 * is the instruction's own: it goes back to vmm_entry() to be reflected.
 */
static void trace_write(struct vmm *m, struct cpu *c, u32 lin)
{
	struct insn i;
	jmp_buf saved;
	bool saved_set = c->fault_jmp_set;
	u32 lins[TW_MAX], pas[TW_MAX];
	volatile unsigned n = 1;
	const struct isa_form *f;

	if (!fetch_decode(m, c, &i)) {
		vmm_fail(m, "cannot decode the instruction at 0x%llx writing a page table",
			 (unsigned long long)c->rip);
		return;
	}
	f = &isa_forms[i.form];
	lins[0] = lin & ~0xfffu;
	memcpy(saved, c->fault_jmp, sizeof(saved));
retry:
	for (unsigned k = 0; k < n; k++) {
		u32 *e = shadow_pte(m, lins[k]);

		if (!e || !(*e & PTE_P))
			panic("shadow: trace write to 0x%x without a shadow entry", lins[k]);
		pas[k] = *e & ~0xfffu;
		vmm_phys_read(m, pas[k], m->spt->snap[k], 4096);
		*e |= PTE_W | PTE_D;
		cpu_tlb_flush_page(c, lins[k]);
	}
	if (setjmp(c->fault_jmp)) {
		u32 cr2 = (u32)c->cr2, err = c->pending_error, gerr;
		bool tr = false, dup = false;

		tw_finish(m, c, n, lins, pas);
		memcpy(c->fault_jmp, saved, sizeof(saved));
		c->fault_jmp_set = saved_set;
		for (unsigned k = 0; k < n; k++)
			dup |= lins[k] == (cr2 & ~0xfffu);
		if (c->pending_vector == EXC_PF && (err & PF_W) && n < TW_MAX && !dup &&
		    fill(m, c, cr2, true, err & PF_U, &gerr, &tr) && tr && !m->fatal[0]) {
			c->pending_vector = -1;
			lins[n] = cr2 & ~0xfffu;
			n = n + 1;
			goto retry;
		}
		longjmp(c->fault_jmp, 1); /* the instruction's own fault */
	}
	c->fault_jmp_set = true;
	c->next_rip = (c->rip + i.len) & (c->code_size == 2 ? 0xffff : 0xffffffff);
	if (f->pg == PG_INNOCUOUS || (f->pg >= PG_CTL && !m->pg_strict)) {
		f->handler(c, &i);
		c->rip = c->next_rip;
	} else if (!vmm_emulate(m, c, &i)) {
		cpu_raise(c, EXC_GP, 0);
	}
	tw_finish(m, c, n, lins, pas);
	memcpy(c->fault_jmp, saved, sizeof(saved));
	c->fault_jmp_set = saved_set;
	/* The instruction retired here, not on the CPU: virtual time must
	 * advance exactly as on bare metal (vm.h: retired), or interrupts and
	 * the other CPUs' slices land elsewhere (SMP equivalence). */
	c->stats.insns++;
	if (c->retired)
		(*c->retired)++;
	m->stats.spt_trace_writes++;
	trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, SPT_EV_TRACE_WRITE, i.form, 0, 0,
		   "trace-write");
}

/*
 * A #PF the real CPU raised while the guest paged (*err the real error
 * code).  Returns true when the VMM handled it (hidden fault or trace
 * write: resume), false for a true one (*err is then the guest's error
 * code and the virtual CR2 is set: reflect).
 */
bool vmm_spt_fault(struct vmm *m, struct cpu *c, u32 *err)
{
	u32 lin = (u32)c->cr2, gerr = 0;
	bool write = *err & PF_W, user = *err & PF_U, traced = false;

	if (!m->spt || m->spt->active < 0)
		panic("shadow: #PF with guest paging on but no shadow");
	if (!fill(m, c, lin, write, user, &gerr, &traced)) {
		m->v.cr2 = lin;
		*err = gerr;
		m->stats.pf_true++;
		trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, SPT_EV_TRUE, gerr, 0, 0,
			   "true-fault");
		return false;
	}
	if (write && traced && !m->fatal[0]) {
		trace_write(m, c, lin);
		return true;
	}
	m->stats.pf_hidden++;
	return true;
}

/*
 * The VMM itself writes guest memory (vmm_phys_write: A/D bits, interrupt
 * frames, emulated stores).  Returns false when [pa, pa+len) touches no
 * traced frame (the caller writes); otherwise writes and syncs.
 */
bool vmm_spt_write_traced(struct vmm *m, u64 pa, const void *buf, unsigned len)
{
	u32 a = (u32)pa & ~3u, n = (((u32)pa + len + 3) & ~3u) - a, old[64], now[64];
	bool any = false;

	if (!m->spt || !len)
		return false;
	if (len > 64) {
		/* In pieces small enough for old[]/now[] (the VMM writes
		 * dwords; this is for completeness). */
		for (u32 f = (u32)pa >> 12; f <= (u32)(pa + len - 1) >> 12; f++)
			any |= spt_is_traced(m, f);
		if (!any)
			return false;
		for (unsigned off = 0; off < len; off += 64) {
			unsigned k = len - off < 64 ? len - off : 64;

			if (!vmm_spt_write_traced(m, pa + off, (const u8 *)buf + off, k))
				bus_dma_write(&m->vm->board.bus, pa + off, (const u8 *)buf + off,
					      k);
		}
		return true;
	}
	for (u32 f = a >> 12; f <= (a + n - 1) >> 12; f++)
		any |= spt_is_traced(m, f);
	if (!any || bus_dma_read(&m->vm->board.bus, a, old, n))
		return false;
	if (bus_dma_write(&m->vm->board.bus, pa, buf, len) ||
	    bus_dma_read(&m->vm->board.bus, a, now, n))
		return true;
	for (u32 k = 0; k < n / 4; k++)
		if (old[k] != now[k] && spt_is_traced(m, (a + k * 4) >> 12))
			spt_entry_written(m, &m->vm->cpus[m->cur], a + k * 4, old[k], now[k]);
	return true;
}

void vmm_spt_free(struct vmm *m)
{
	spt_destroy(m->spt);
	m->spt = NULL;
}

void vmm_spt_print_stats(const struct vmm *m, FILE *out)
{
	const struct vmm_stats *s = &m->stats;

	fprintf(out,
		"vmm: shadow cache: hits=%llu misses=%llu evictions=%llu trace-writes=%llu "
		"syncs=%llu protects=%llu\n",
		(unsigned long long)s->spt_hits, (unsigned long long)s->spt_misses,
		(unsigned long long)s->spt_evictions, (unsigned long long)s->spt_trace_writes,
		(unsigned long long)s->spt_syncs, (unsigned long long)s->spt_protects);
}
