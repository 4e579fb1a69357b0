/*
 * vmm_paging.c - shadow page tables for 32-bit guests (32-bit and PAE
 * paging): hidden and true faults, CR0.WP = 0, trace writes (SDM Vol 3
 * §4.3 "32-bit paging", §4.4 "PAE paging" (the PAE shadow's shape is
 * shadow_pae.c's), §4.6 access rights, §4.7 page-fault error codes, §4.8
 * accessed and dirty flags,
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
 * always 1 so that ring 1 (the guest kernel) is held to that too.  A guest
 * with CR0.WP = 0 gets the Xen/KVM treatment (fill()): a kernel write to a
 * read-only page maps it writable for the kernel only.
 *
 * Coherence: because the traces keep every cached shadow in step with the
 * guest's tables, a CR3 write only switches shadows, and INVLPG drops the
 * one entry (harmless: it refills from the guest's current PTE).
 *
 * Ring compression fits 32-bit paging exactly: the guest kernel (ring 1)
 * and a ring-0 kernel are both "supervisor" (CPL < 3), user stays user.
 * The guest's walk is the MMU's walker over guest-physical memory with the
 * virtual CR0/CR3/CR4 and the guest's EFER (spt_guest_walk, shadow_pae.c),
 * so NX, SMEP/SMAP, reserved bits and A/D are exactly --virt=none's; the
 * real CR4.PAE/SMEP/SMAP follow the guest's (vmm_spt_sync_cr4).
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

#define PF_P	(1u << 0) /* #PF error code: protection (not not-present) */
#define PF_W	(1u << 1)
#define PF_U	(1u << 2)
#define PF_RSVD (1u << 3)
#define PF_I	(1u << 4)

static bool in_vmm_area(u32 pa)
{
	return (u64)pa >= VMM_AREA_BASE && (u64)pa < VMM_AREA_BASE + VMM_AREA_SIZE;
}

/* ---- the guest's walk -------------------------------------------------------- */

/*
 * Translate lin through the guest's tables for an access (write, user).
 * On success *pa is the guest-physical address and *w whether the guest
 * allows writes (for the shadow entry: writable and already dirty); with
 * set_ad the guest's A/D bits are updated as the hardware would.  On
 * failure *gerr is the #PF error code.  A supervisor access here is an
 * implicit one (the VMM's own accesses on the guest kernel's behalf).
 */
bool vmm_guest_walk(struct vmm *m, u32 lin, bool write, bool user, bool set_ad, u32 *pa, bool *w,
		    u32 *gerr)
{
	struct spt_gwalk pw;

	if (!spt_guest_walk(m, lin, write ? SPT_WRITE : SPT_READ, user, false, !user, set_ad, &pw,
			    gerr))
		return false;
	*pa = (u32)pw.pa;
	*w = pw.writable && pw.dirty;
	return true;
}

/* ---- turning shadow paging on and off --------------------------------------- */

/* CR0.PG 0 -> 1: the real CPU pages through the shadow of the guest's CR3.
 * While paging was off the guest wrote its tables untraced: no cached
 * shadow survives that. */
/*
 * The real CR4 follows the guest's where the shadow needs the same walk
 * rules: PAE (a PAE guest gets a PAE shadow: only that format has XD) and
 * SMEP/SMAP (the shadow leaf keeps the guest's U/S, so the real CPU checks
 * them as the guest's would -- and reports I/D in its error codes exactly
 * when the guest's CPU would).  PSE and PGE stay off: shadows map 4 KiB
 * pages, none global (a CR3 switch must drop everything of the old one).
 */
void vmm_spt_sync_cr4(struct vmm *m, struct cpu *c)
{
	const u64 mirror = CR4_PAE | CR4_SMEP | CR4_SMAP;
	u64 v = c->cr4 & ~(mirror | CR4_PSE | CR4_PGE);

	if (m->v.cr0 & CR0_PG)
		v |= m->v.cr4 & mirror;
	if (v != c->cr4)
		cpu_write_cr(c, 4, v);
}

void vmm_spt_enable(struct vmm *m, struct cpu *c)
{
	u32 *apt = (u32 *)(m->area + VMM_SPT_AREA_PT_OFF);
	u64 *ppt = (u64 *)(m->area + VMM_SPT_AREA_PAE_PT_OFF);

	/* The VMM's region, supervisor read/write (GDT, IDT, TSS: the
	 * real CPU's implicit accesses), in its own page table -- one in
	 * each format (32-bit for 32-bit shadows, PAE for PAE ones). */
	memset(apt, 0, 4096);
	memset(ppt, 0, 4096);
	for (u32 off = 0; off < VMM_AREA_SIZE; off += 4096) {
		apt[((VMM_AREA_BASE + off) >> 12) & 0x3ff] =
		    (u32)(VMM_AREA_BASE + off) | PTE_P | PTE_W | PTE_A | PTE_D;
		ppt[((VMM_AREA_BASE + off) >> 12) & 0x1ff] =
		    (VMM_AREA_BASE + off) | PTE_P | PTE_W | PTE_A | PTE_D;
	}
	if (!m->spt) {
		m->spt = spt_create(m->vm->cfg->mem_size);
		m->spt->cur = m->cur; /* the world switch keeps it (vmm_smp.c) */
	}
	spt_drop_all(m, c);
	vmm_spt_sync_cr4(m, c);
	spt_switch(m, c, (u32)m->v.cr3);
	cpu_write_cr(c, 0, c->cr0 | CR0_PG | CR0_WP);
}

void vmm_spt_disable(struct vmm *m, struct cpu *c)
{
	cpu_write_cr(c, 0, c->cr0 & ~(u64)CR0_PG);
	vmm_spt_sync_cr4(m, c);
	if (m->spt)
		spt_drop_all(m, c); /* nothing is traced while paging is off */
}

/* CR0.WP, CR4.PSE/PGE changed: every shadow was built under the old rules. */
void vmm_spt_flush(struct vmm *m, struct cpu *c)
{
	if (!m->spt)
		return;
	spt_drop_all(m, c);
	vmm_spt_sync_cr4(m, c);
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
	u64 e;

	if (spt_leaf_get(m, lin, &e))
		spt_leaf_set(m, lin, 0);
	m->stats.spt_invlpg++;
	cpu_tlb_flush_page(c, lin);
}

/* ---- filling the shadow ---------------------------------------------------------- */

/*
 * Walk the guest's tables for an access of kind acc at lin and copy the
 * result into the active shadow.  False: a true fault, *gerr the guest's
 * error code.  True: filled; *traced says the page holds a guest page table
 * (its shadow entry is read-only: a write must be performed by the VMM,
 * trace_write()).
 *
 * The shadow leaf carries the rights of the guest's WHOLE walk:
 *   U  the guest page is user-accessible;
 *   W  the guest allows writes AND the page is already dirty (D-bit
 *      emulation) AND it holds no traced table;
 *   XD the guest's walk says execute-disable (PAE with EFER.NXE only).
 * CR0.WP = 0 (SDM Vol 3 §4.6.1): the guest KERNEL may write a read-only
 * page, its USER mode may not, and the real CR0.WP stays 1.  The shadow
 * says both with one entry at a time: after a kernel write the entry is
 * writable but SUPERVISOR (U = 0); the guest's next user access then
 * faults (hidden) and the entry goes back to user, read-only.  (The
 * Xen/KVM treatment of WP = 0; shadows are keyed by WP, shadow_pt.h.)
 */
static bool fill(struct vmm *m, struct cpu *c, u32 lin, enum spt_acc acc, bool user, u32 *gerr,
		 bool *traced)
{
	struct spt_gwalk w;
	u64 pte, pa;
	bool pae = (m->v.cr4 & CR4_PAE) != 0, su, sw, wp0;

	*traced = false;
	if (lin >= (u32)VMM_AREA_BASE && lin < (u32)VMM_AREA_BASE + (4u << 20)) {
		/* Cannot happen (truncated segments): the VMM's slot. */
		*gerr = (acc == SPT_WRITE ? PF_W : 0) | (user ? PF_U : 0) | PF_P;
		return false;
	}
	if (!spt_guest_walk(m, lin, acc, user, (c->rflags & FL_AC) != 0, false, true, &w, gerr))
		return false;
	pa = w.pa;
	if (in_vmm_area(pa) || in_vmm_area(pa | 0xfff) || (pa >> 32)) {
		/* The guest maps the VMM's own memory: never.  On bare metal
		 * the range is unclaimed bus space; here it is a #PF.  (Above
		 * 4 GiB: no guest RAM or device there.) */
		*gerr = (acc == SPT_WRITE ? PF_W : 0) | (user ? PF_U : 0) | PF_P;
		trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, SPT_EV_TRUE, pa, 0, 0,
			   "vmm-area");
		return false;
	}
	/* The guest tables this shadow is built from: the PD (PAE) and the
	 * PT (none: a 4 MiB / 2 MiB page). */
	if (pae)
		spt_pae_pt_for(m, c, lin, w.pdf, w.ptf);
	else
		spt_pt_for(m, c, lin, w.ptf);
	/* (After the PT: building it may have traced pa's frame itself -- a
	 * table mapping itself.) */
	*traced = spt_is_traced(m, (u32)(pa >> 12));
	wp0 = acc == SPT_WRITE && !user && !w.writable; /* allowed by CR0.WP = 0 */
	su = w.user && !wp0;
	sw = (w.writable || wp0) && w.dirty && !*traced;
	pte = (pa & ~0xfffull) | PTE_P | PTE_A | (su ? PTE_U : 0);
	if (sw) {
		pte |= PTE_W | PTE_D;
		spt_note_writable(m, (u32)(pa >> 12));
	}
	if (pae && w.nx)
		pte |= PTE_XD;
	spt_leaf_set(m, lin, pte);
	cpu_tlb_flush_page(c, lin);
	trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, lin, SPT_EV_FILL, pte, 0, 0, "fill");
	return true;
}

/* ---- trace writes --------------------------------------------------------------- */

#define TW_MAX 4 /* traced pages one instruction may write */

/* Put back the read-only entries and sync what the instruction changed. */
static void tw_finish(struct vmm *m, struct cpu *c, unsigned n, const u32 *lins, const u32 *pas)
{
	u32 now[1024];

	for (unsigned k = 0; k < n; k++) {
		u64 e;

		if (spt_leaf_get(m, lins[k], &e) && (e & PTE_P) && (e & PAE_ADDR) == pas[k])
			spt_leaf_set(m, lins[k], e & ~(u64)(PTE_W | PTE_D));
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

	if (!vmm_fetch(m, c, &i)) {
		vmm_fail(m, "cannot decode the instruction at 0x%llx writing a page table",
			 (unsigned long long)c->rip);
		return;
	}
	f = &isa_forms[i.form];
	lins[0] = lin & ~0xfffu;
	memcpy(saved, c->fault_jmp, sizeof(saved));
retry:
	for (unsigned k = 0; k < n; k++) {
		u64 e;

		if (!spt_leaf_get(m, lins[k], &e) || !(e & PTE_P))
			panic("shadow: trace write to 0x%x without a shadow entry", lins[k]);
		pas[k] = (u32)(e & PAE_ADDR);
		vmm_phys_read(m, pas[k], m->spt->snap[k], 4096);
		spt_leaf_set(m, lins[k], e | PTE_W | PTE_D);
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
		    fill(m, c, cr2, SPT_WRITE, err & PF_U, &gerr, &tr) && tr && !m->fatal[0]) {
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
	/* The real CPU reports I/D exactly when the guest's would: the VMM
	 * mirrors CR4.SMEP/PAE and EFER.NXE into the real registers. */
	enum spt_acc acc = (*err & PF_I) ? SPT_FETCH : write ? SPT_WRITE : SPT_READ;

	if (!m->spt || m->spt->active < 0)
		panic("shadow: #PF with guest paging on but no shadow");
	if (*err & PF_RSVD) {
		/* A shadow built under another EFER.NXE holds an XD bit the
		 * real CPU now calls reserved: rebuild (hidden). */
		vmm_spt_flush(m, c);
		m->stats.pf_hidden++;
		return true;
	}
	if (!fill(m, c, lin, acc, user, &gerr, &traced)) {
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
