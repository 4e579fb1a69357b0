/*
 * commands_vmm_pt.c - `pt VADDR` under --virt=trap: the guest's page walk
 * and the shadow's walk side by side (issue 8; commands_paging.c hands
 * over here when the guest pages).  Two formats, as the guest's CR4.PAE
 * says:
 *
 *   32-bit paging (SDM Vol 3 §4.3): PDE / PTE, 4-byte entries; both walks
 *       and the verdict come from spt_view (hypervisor/shadow_pt.c);
 *   PAE paging (SDM Vol 3 §4.4): PDPTE / PDE / PTE, 8-byte entries, 2 MiB
 *       pages, XD.  The guest's walk is the MMU's own walker (mmu/paging.c,
 *       the one --virt=none uses) run read-only over guest-physical memory
 *       with the VIRTUAL CR0/CR3/CR4; the shadow's walk reads the VMM's
 *       pool (the shape is hypervisor/shadow_pae.c's: a shadow PDPT in the
 *       root page, one shadow PD per PDPT slot in use, one shadow PT per
 *       PDE in use -- a guest 2 MiB page gets a shadow PT of 4 KiB PTEs).
 *
 * Then the level where the two differ and why: not filled yet (a hidden
 * fault to come), dirty-bit emulation, a traced page table, the CR0.WP = 0
 * kernel-write mapping, the VMM's own slot, a true fault, or STALE (a
 * shadow that grants what the guest's tables no longer do: a VMM bug).
 */
#include "mmu/paging.h" /* first: shadow_pt.h redefines PTE_P/A/D as macros */

#include <stdio.h>
#include <string.h>

#include "hypervisor/shadow_pt.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "monitor/repl.h"

/* ---- 32-bit paging: spt_view's two walks ---------------------------------- */

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

static bool pt_32(struct monitor *m, struct vmm *v, u32 a)
{
	struct spt_view w;

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

/* ---- PAE paging: three levels of 8-byte entries --------------------------- */

enum { L_PDPTE, L_PDE, L_PTE, L_N }; /* rows; SDM levels 3, 2, 1 */
static const char *const lname[L_N] = {"PDPTE", "PDE", "PTE"};

/* Both PAE walks of one linear address. */
struct pae_view {
	u32 lin;
	unsigned idx[L_N]; /* lin 31:30, 29:21, 20:12 */
	/* The guest's walk (guest-physical): the entries the MMU read. */
	bool g_has[L_N];
	u64 g_pa_of[L_N], g_e[L_N];
	bool g_ok, big;	     /* translated; through a 2 MiB PDE */
	bool g_w, g_u, g_nx; /* rights of the whole walk */
	bool g_mem;	     /* a table lies outside guest RAM */
	int g_stop;	     /* the level the walk stopped at (a fault) */
	u32 g_err;	     /* its #PF error code (a read at CPL 0) */
	u64 g_pa;
	bool traced; /* the page holds a traced guest table */
	/* The shadow's walk (real-physical, in the VMM's pool). */
	bool s_has[L_N];
	u32 s_pa_of[L_N];
	u64 s_e[L_N];
	int s_pd, s_pt; /* pool pages of the shadow PD and PT, or -1 */
	bool s_ok;
	u64 s_pa;
	int differs; /* 0, or 1 + the row that differs */
	char why[320];
};

/* The pool page an 8-byte shadow entry points to, or -1. */
static int pool_page(u64 e)
{
	return (e >> 32) ? -1 : spt_page_of((u32)e);
}

static u64 *pool_tab(struct vmm *v, int k)
{
	return (u64 *)spt_table(v, k);
}

/* Guest-physical memory for the walker: read only (no A/D updates). */
static bool gread(void *o, u64 pa, unsigned size, u64 *val)
{
	*val = 0;
	return vmm_phys_read(o, pa, val, size);
}

static bool gwrite(void *o, u64 pa, unsigned size, u64 val)
{
	return false; /* PG_DEBUG never writes */
}

/*
 * 1. The guest's walk: the MMU's walker with the virtual control registers
 * and the guest's EFER.NXE, as a supervisor read with EFLAGS.AC = 1 (so
 * SMAP does not hide user pages), PG_DEBUG: no A/D updates, no rights
 * check -- the rights come back as the walk's combined U/S, R/W, XD.
 */
static void guest_walk(struct vmm *v, struct pae_view *p)
{
	struct pg_mem mem = {.read = gread, .write = gwrite, .opaque = v};
	u64 efer = (v->vm && v->vm->cpus) ? v->vm->cpus[v->cur].efer & EFER_NXE : 0;
	struct pg_ctx ctx = {.cr0 = v->v.cr0,
			     .cr3 = v->v.cr3,
			     .cr4 = v->v.cr4,
			     .efer = efer,
			     .cpl = 0,
			     .ac = true,
			     .mem = &mem};
	struct pg_walk w;
	enum pg_status st = mmu_walk(&ctx, p->lin, PG_READ, PG_DEBUG, &w);

	for (int k = 0; k < w.nsteps; k++) {
		int row = 3 - w.steps[k].level; /* level 3 -> row 0 */

		p->g_has[row] = true;
		p->g_pa_of[row] = w.steps[k].addr;
		p->g_e[row] = w.steps[k].val;
	}
	if (st == PG_WALK_MEMFAULT) {
		/* The next table is outside guest RAM: reads as not present. */
		p->g_mem = true;
		p->g_stop = w.nsteps;
		return;
	}
	p->big = w.page_size == 2 * MiB || (p->g_has[L_PDE] && (p->g_e[L_PDE] & PDE_PS));
	if (st != PG_WALK_OK) {
		p->g_stop = w.nsteps - 1;
		p->g_err = w.err;
		return;
	}
	p->g_ok = true;
	p->g_pa = w.pa;
	p->g_w = w.writable;
	p->g_u = w.user;
	p->g_nx = w.nx;
	p->traced = spt_is_traced(v, (u32)(w.pa >> 12));
}

/* 2. The real CPU's walk through the active PAE shadow. */
static bool shadow_walk(struct vmm *v, struct pae_view *p)
{
	struct spt *s = v->spt;
	int r = s->active;
	u64 *pt;

	p->s_pd = p->s_pt = -1;
	p->s_has[L_PDPTE] = true;
	p->s_pa_of[L_PDPTE] = spt_page_pa(r) + p->idx[L_PDPTE] * 8;
	p->s_e[L_PDPTE] = pool_tab(v, r)[p->idx[L_PDPTE]];
	if (!(p->s_e[L_PDPTE] & PTE_P))
		return true;
	if ((p->s_pd = pool_page(p->s_e[L_PDPTE])) < 0)
		return false; /* not into the pool: cannot be */
	p->s_has[L_PDE] = true;
	p->s_pa_of[L_PDE] = (u32)(p->s_e[L_PDPTE] & PAE_ADDR) + p->idx[L_PDE] * 8;
	p->s_e[L_PDE] = pool_tab(v, p->s_pd)[p->idx[L_PDE]];
	if (!(p->s_e[L_PDE] & PTE_P))
		return true;
	if (p->idx[L_PDPTE] == VMM_PAE_PDPTE && p->idx[L_PDE] == VMM_PAE_PDE) {
		/* The VMM's own page table, in its area (vmm_spt_enable). */
		pt = (u64 *)(v->area + VMM_SPT_AREA_PAE_PT_OFF);
	} else {
		if ((p->s_pt = pool_page(p->s_e[L_PDE])) < 0)
			return false;
		pt = pool_tab(v, p->s_pt);
	}
	p->s_has[L_PTE] = true;
	p->s_pa_of[L_PTE] = (u32)(p->s_e[L_PDE] & PAE_ADDR) + p->idx[L_PTE] * 8;
	p->s_e[L_PTE] = pt[p->idx[L_PTE]];
	if (p->s_e[L_PTE] & PTE_P) {
		p->s_ok = true;
		p->s_pa = (p->s_e[L_PTE] & PAE_ADDR) | (p->lin & 0xfff);
	}
	return true;
}

/* Say why and where: p->differs = 1 + row, or 0 when they agree. */
#define WHY(row, ...)                                                                              \
	do {                                                                                       \
		p->differs = (row) + 1;                                                            \
		snprintf(p->why, sizeof(p->why), __VA_ARGS__);                                     \
	} while (0)

/* Why the guest's walk stopped, in words. */
static void guest_stop(const struct pae_view *p, char *buf, size_t n)
{
	if (p->g_mem)
		snprintf(buf, n, "the table holding its %s lies outside guest RAM",
			 lname[p->g_stop]);
	else if (p->g_err & PFEC_RSVD)
		snprintf(buf, n, "a reserved bit is set in the %s: #PF error code 0x%x",
			 lname[p->g_stop], p->g_err);
	else
		snprintf(buf, n, "%s not present: #PF error code 0x%x", lname[p->g_stop], p->g_err);
}

/* 3. Where and why the two walks differ (the order fill() builds in). */
static void judge(struct vmm *v, struct pae_view *p)
{
	const struct spt *s = v->spt;
	u32 gpdf = (u32)((p->g_e[L_PDPTE] & PAE_ADDR) >> 12);
	u32 gptf = p->big ? SPT_NO_FRAME : (u32)((p->g_e[L_PDE] & PAE_ADDR) >> 12);
	u64 se = p->s_e[L_PTE];
	bool nxe = v->vm && v->vm->cpus && (v->vm->cpus[v->cur].efer & EFER_NXE);
	bool s_w = se & PTE_W, s_u = se & PTE_U, s_nx = nxe && (se & PTE_XD);
	char stop[96];

	if (p->idx[L_PDPTE] == VMM_PAE_PDPTE && p->idx[L_PDE] == VMM_PAE_PDE) {
		WHY(L_PDE,
		    "the VMM's own slot (0x%llx..0x%llx, PD 3 entry %u): never filled from the "
		    "guest, whose segments end below it",
		    (unsigned long long)VMM_AREA_BASE,
		    (unsigned long long)VMM_AREA_BASE + 2 * MiB - 1, VMM_PAE_PDE);
	} else if (!p->g_ok) {
		guest_stop(p, stop, sizeof(stop));
		if (p->s_ok)
			WHY(L_PTE, "STALE: the shadow maps a page the guest does not (%s)", stop);
		else
			snprintf(p->why, sizeof(p->why),
				 "not mapped by the guest (%s): an access is a TRUE fault, "
				 "reflected as #PF to the guest%s",
				 stop,
				 p->idx[L_PDPTE] == VMM_PAE_PDPTE && !p->g_has[L_PDE] &&
					 (p->s_e[L_PDPTE] & PTE_P)
				     ? "; the shadow's PDPTE 3 is present only for the VMM's slot"
				     : "");
	} else if (!(p->s_e[L_PDPTE] & PTE_P)) {
		WHY(L_PDPTE,
		    "shadow PDPTE empty: the first access is a HIDDEN fault that builds a "
		    "shadow page directory from the guest's (frame 0x%x)",
		    gpdf);
	} else if (s->page[p->s_pd].frame != gpdf) {
		if (s->page[p->s_pd].frame == SPT_NO_FRAME)
			WHY(L_PDPTE,
			    "the shadow PD of slot 3 holds only the VMM's slot so far: the first "
			    "access is a HIDDEN fault that ties it to the guest's page directory "
			    "(frame 0x%x)",
			    gpdf);
		else
			WHY(L_PDPTE,
			    "STALE: the shadow page directory was built from guest frame 0x%x, "
			    "the guest's PDPTE names 0x%x",
			    s->page[p->s_pd].frame, gpdf);
	} else if (!(p->s_e[L_PDE] & PTE_P)) {
		if (p->big)
			WHY(L_PDE,
			    "shadow PDE empty: the first access is a HIDDEN fault that builds a "
			    "shadow page table splitting the guest's 2 MiB page");
		else
			WHY(L_PDE,
			    "shadow PDE empty: the first access is a HIDDEN fault that builds a "
			    "shadow page table from the guest's (frame 0x%x)",
			    gptf);
	} else if (p->s_pt >= 0 && s->page[p->s_pt].frame != gptf) {
		WHY(L_PDE,
		    "STALE: the shadow page table was built from %s, the guest's PDE %s "
		    "(the next fill rebuilds it)",
		    s->page[p->s_pt].frame == SPT_NO_FRAME ? "a 2 MiB page" : "another frame",
		    p->big ? "maps a 2 MiB page" : "names a page table");
	} else if (!p->s_ok) {
		WHY(L_PTE, "shadow PTE empty (not touched yet, or zapped by a sync or INVLPG): "
			   "the next access is a HIDDEN fault");
	} else if ((p->s_pa & ~0xfffull) != (p->g_pa & ~0xfffull)) {
		WHY(L_PTE, "STALE: the shadow maps another frame");
	} else if (!(v->v.cr0 & CR0_WP) && !p->g_w && s_w && !s_u) {
		/* vmm_paging.c fill(): SDM Vol 3 §4.6.1, supervisor writes
		 * ignore R/W when CR0.WP = 0; the real CR0.WP stays 1. */
		WHY(L_PTE, "CR0.WP = 0: the guest kernel wrote this read-only page, so the shadow "
			   "entry is writable but SUPERVISOR until guest user mode touches it (a "
			   "hidden fault makes it user, read-only again)");
	} else if (p->g_w && !s_w) {
		if (p->traced)
			WHY(L_PTE,
			    "read-only in the shadow: frame 0x%llx holds a guest page table "
			    "(TRACED: a write traps, is performed and synced)",
			    (unsigned long long)(p->g_pa >> 12));
		else
			WHY(L_PTE, "read-only in the shadow until the first write: guest D = 0 "
				   "(dirty-bit emulation)");
	} else if (p->g_u != s_u || (!p->g_w && s_w)) {
		WHY(L_PTE, "STALE: rights differ from the guest's");
	} else if (p->g_nx != s_nx) {
		WHY(L_PTE, "STALE: XD differs from the guest's walk");
	} else {
		snprintf(p->why, sizeof(p->why),
			 "same translation and rights%s; the shadow PDPTE and PDE point to the "
			 "VMM's shadow PD and PT, not to the guest's",
			 p->g_nx ? " (XD copied into the shadow leaf)" : "");
	}
}

/* A PAE entry's flags (SDM Vol 3 Tables 4-8..4-11): a PDPTE has only P
 * (its R/W, U/S, A, D are reserved); PS only in a PDE; XD is bit 63. */
static void flags_pae(char *buf, size_t n, u64 e, int row)
{
	if (row == L_PDPTE) {
		snprintf(buf, n, "%s", e & PTE_P ? "P" : "-");
		return;
	}
	snprintf(buf, n, "%s%s%s%s%s%s%s", e & PTE_P ? "P" : "-", e & PTE_W ? " W" : " R",
		 e & PTE_U ? " U" : " S", e & PTE_A ? " A" : "", e & PTE_D ? " D" : "",
		 row == L_PDE && (e & PDE_PS) ? " PS" : "", e & PTE_XD ? " XD" : "");
}

static void row_pae(struct monitor *m, const struct pae_view *p, int row)
{
	char gf[32], sf[32], gcol[72] = "-", scol[72] = "-";

	if (p->g_has[row]) {
		flags_pae(gf, sizeof(gf), p->g_e[row], row);
		snprintf(gcol, sizeof(gcol), "@%08llx %016llx %s",
			 (unsigned long long)p->g_pa_of[row], (unsigned long long)p->g_e[row], gf);
	} else if (row == L_PTE && p->big) {
		snprintf(gcol, sizeof(gcol), "(none: the 2 MiB PDE is the leaf)");
	}
	if (p->s_has[row]) {
		flags_pae(sf, sizeof(sf), p->s_e[row], row);
		snprintf(scol, sizeof(scol), "@%08x %016llx %s", p->s_pa_of[row],
			 (unsigned long long)p->s_e[row], sf);
	}
	mon_printf(m, "%5s[%3u]  %-44s %s%s\n", lname[row], p->idx[row], gcol, scol,
		   p->differs == row + 1 ? "  <-" : "");
}

static bool pt_pae(struct monitor *m, struct vmm *v, u32 a)
{
	struct spt *s = v->spt;
	struct pae_view p;
	unsigned cached = 0, used = 0;

	memset(&p, 0, sizeof(p));
	p.lin = a;
	p.idx[L_PDPTE] = a >> 30;
	p.idx[L_PDE] = (a >> 21) & 0x1ff;
	p.idx[L_PTE] = (a >> 12) & 0x1ff;
	guest_walk(v, &p);
	if (!s || s->active < 0 || !spt_active_pae(v))
		return mon_error(m, "pt: guest PAE paging but no active PAE shadow");
	for (int k = 0; k < VMM_SPT_POOL_N; k++) {
		cached += s->page[k].kind == SPT_PD;
		used += s->page[k].kind != SPT_FREE;
	}
	if (!shadow_walk(v, &p))
		panic("pt: a shadow entry points outside the pool");
	judge(v, &p);

	mon_printf(m,
		   "linear 0x%08x: guest CR3 0x%08x (PAE), shadow CR3 0x%08x (%u cached, %u pool "
		   "pages)\n",
		   a, (u32)v->v.cr3 & ~0x1fu, spt_page_pa(s->active), cached, used);
	mon_printf(m, "%-11s %-44s %s\n", "", "guest (guest-physical)", "shadow (real-physical)");
	for (int r = 0; r < L_N; r++)
		if (p.g_has[r] || p.s_has[r] || (r == L_PTE && p.big))
			row_pae(m, &p, r);
	if (p.g_ok)
		mon_printf(m, "  guest  -> 0x%08llx %s %s%s%s%s\n", (unsigned long long)p.g_pa,
			   p.g_w ? "writable" : "read-only", p.g_u ? "user" : "supervisor",
			   p.g_nx ? " no-execute" : "", p.big ? " (2 MiB page)" : "",
			   p.traced ? " (holds a traced page table)" : "");
	else
		mon_printf(m, "  guest  -> not mapped\n");
	if (p.s_ok)
		mon_printf(m, "  shadow -> 0x%08llx %s %s%s\n", (unsigned long long)p.s_pa,
			   p.s_e[L_PTE] & PTE_W ? "writable" : "read-only",
			   p.s_e[L_PTE] & PTE_U ? "user" : "supervisor",
			   (p.s_e[L_PTE] & PTE_XD) ? " no-execute" : "");
	else
		mon_printf(m, "  shadow -> not mapped\n");
	mon_printf(m, "  %s%s: %s\n", p.differs ? "differs at the " : "agree",
		   p.differs ? lname[p.differs - 1] : "", p.why);
	if (p.big && p.g_ok && p.s_has[L_PTE])
		mon_printf(m,
			   "  2 MiB page: the guest PDE is the leaf (PS = 1); the shadow splits it "
			   "into 4 KiB PTEs (a shadow PT with no guest source), because the VMM "
			   "write-protects and tracks D per 4 KiB page: one page of the 2 MiB may "
			   "hold a traced table or still be clean while the rest is writable\n");
	return true;
}

/* `pt VADDR` under the VMM: the guest's walk and the shadow's. */
bool mon_vmm_pt(struct monitor *m, u64 lin)
{
	struct vmm *v = m->vm->vmm;

	if (v->v.cr4 & CR4_PAE)
		return pt_pae(m, v, (u32)lin);
	return pt_32(m, v, (u32)lin);
}
