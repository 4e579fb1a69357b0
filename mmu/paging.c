/*
 * paging.c - the page walkers for 32-bit, PAE and 4-level paging
 * (SDM Vol 3 §4.3, §4.4, §4.5), access rights (§4.6), page-fault error
 * codes (§4.7) and accessed/dirty flags (§4.8).
 *
 * The three modes share one loop: a walk starts at the table CR3 points to,
 * takes `bits` bits of the linear address per level as an index, reads the
 * entry, stops at a not-present entry (fault, P=0) or at one with a reserved
 * bit set (fault, RSVD=1), combines the rights of every level, and ends at a
 * leaf: a PTE, or a PDE/PDPTE with PS=1 that maps a large page.  Only then
 * are the combined rights checked against the access, and only when the
 * access is allowed are the accessed (every level) and dirty (leaf, writes)
 * flags set -- so a faulting access leaves the tables untouched.
 */
#include "mmu/paging.h"

#include <stdio.h>
#include <string.h>

const char *const pg_mode_name[4] = {"none", "32-bit", "PAE", "4-level"};

/* Bits hi..lo set. */
static inline u64 mask_bits(unsigned hi, unsigned lo)
{
	return ((2ULL << hi) - 1) & ~((1ULL << lo) - 1);
}

enum pg_mode mmu_mode(const struct pg_ctx *ctx)
{
	/* SDM Vol 3 Table 4-1: CR0.PG, CR4.PAE and EFER.LMA select the mode. */
	if (!(ctx->cr0 & BIT(31)))
		return PG_MODE_NONE;
	if (!(ctx->cr4 & BIT(5)))
		return PG_MODE_32;
	return (ctx->efer & BIT(10)) ? PG_MODE_4LEVEL : PG_MODE_PAE;
}

enum pg_class mmu_class(const struct pg_ctx *ctx, unsigned flags)
{
	if (flags & PG_SYS)
		return PG_CLASS_SUP; /* implicit: supervisor, and AC never helps */
	if (ctx->cpl == 3)
		return PG_CLASS_USER;
	return ctx->ac ? PG_CLASS_SUP_AC : PG_CLASS_SUP;
}

/*
 * SDM Vol 3 §4.6.1, "Determination of Access Rights", as a table of nine
 * yes/no answers.
 *   user mode:        read user pages; write user pages with R/W=1;
 *                     fetch from user pages without XD.
 *   supervisor mode:  read anything -- except user pages when CR4.SMAP=1,
 *                     unless the access is explicit and EFLAGS.AC=1;
 *                     write the same pages, but with CR0.WP=1 only those with
 *                     R/W=1 (WP=0: read-only pages are writable by the kernel);
 *                     fetch from pages without XD -- except user pages when
 *                     CR4.SMEP=1.
 */
unsigned mmu_rights(const struct pg_ctx *ctx, bool user, bool writable, bool nx)
{
	bool wp = ctx->cr0 & BIT(16);
	bool smep = ctx->cr4 & BIT(20), smap = ctx->cr4 & BIT(21);
	unsigned r = 0;

	if (mmu_mode(ctx) == PG_MODE_NONE)
		return PG_PERM_ALL;
	if (user) {
		r |= PG_PERM(PG_CLASS_USER, PG_READ);
		if (writable)
			r |= PG_PERM(PG_CLASS_USER, PG_WRITE);
		if (!nx)
			r |= PG_PERM(PG_CLASS_USER, PG_FETCH);
	}
	for (int cls = PG_CLASS_SUP_AC; cls <= PG_CLASS_SUP; cls++) {
		bool smap_blocks = user && smap && cls == PG_CLASS_SUP;
		if (!smap_blocks) {
			r |= PG_PERM(cls, PG_READ);
			if (writable || !wp)
				r |= PG_PERM(cls, PG_WRITE);
		}
		if (!nx && !(user && smep))
			r |= PG_PERM(cls, PG_FETCH);
	}
	return r;
}

/* The page-fault error code of a failed access (SDM Vol 3 §4.7). */
static u32 pf_error(const struct pg_ctx *ctx, enum pg_access acc, unsigned flags, u32 bits)
{
	u32 err = bits;
	if (acc == PG_WRITE)
		err |= PFEC_W;
	if (mmu_class(ctx, flags) == PG_CLASS_USER)
		err |= PFEC_U;
	/* I/D is reported only when fetches can be told apart from reads by
	 * the paging structures: with SMEP, or with XD (PAE/4-level + NXE). */
	if (acc == PG_FETCH &&
	    ((ctx->cr4 & BIT(20)) || ((ctx->cr4 & BIT(5)) && (ctx->efer & BIT(11)))))
		err |= PFEC_I;
	return err;
}

static enum pg_status walk_fault(const struct pg_ctx *ctx, struct pg_walk *w, enum pg_access acc,
				 unsigned flags, u32 bits)
{
	w->status = PG_WALK_FAULT;
	w->err = pf_error(ctx, acc, flags, bits);
	return w->status;
}

/*
 * Reserved bits of an entry at `level` (SDM Vol 3 Tables 4-4..4-20,
 * "Reserved (must be 0)").  `large` = the entry has PS=1 and maps a page.
 */
static u64 reserved_bits(enum pg_mode mode, int level, bool large, u64 e, unsigned m, bool nxe)
{
	u64 rsv = 0;

	switch (mode) {
	case PG_MODE_32:
		/* Only a 4 MiB PDE has reserved bits: bits 20:13 carry physical
		 * address bits 39:32 (PSE-36) and bit 21 must be 0; with a
		 * MAXPHYADDR below 40 the unused high bits of 20:13 too. */
		if (large) {
			unsigned m32 = m < 40 ? m : 40;
			rsv = mask_bits(21, m32 - 19);
		}
		return rsv;
	case PG_MODE_PAE:
		if (level == 3) /* PDPTE: 2:1, 8:5, 63:M (no R/W, U/S, A, XD) */
			return mask_bits(2, 1) | mask_bits(8, 5) | mask_bits(63, m);
		rsv = mask_bits(62, m);
		break;
	case PG_MODE_4LEVEL:
		rsv = mask_bits(51, m);
		if (level == 4)
			rsv |= PTE_PS; /* no 512 GiB pages */
		break;
	default: return 0;
	}
	/* PAE and 4-level: large-page address fields are aligned; XD needs NXE. */
	if (large)
		rsv |= level == 3 ? mask_bits(29, 13) : mask_bits(20, 13);
	if (!nxe)
		rsv |= PTE_XD;
	(void)e;
	return rsv;
}

enum pg_status mmu_walk(struct pg_ctx *ctx, u64 lin, enum pg_access acc, unsigned flags,
			struct pg_walk *w)
{
	unsigned m = ctx->maxphyaddr ? ctx->maxphyaddr : MMU_MAXPHYADDR;
	bool nxe = ctx->efer & BIT(11);
	bool pse = ctx->cr4 & BIT(4);
	u64 addr_mask = mask_bits(m - 1, 12); /* next-table / page frame field */
	unsigned esize, bits;
	int level;
	u64 table;
	bool user = true, writable = true, xd = false, large = false;
	u64 e = 0;

	memset(w, 0, offsetof(struct pg_walk, steps));
	w->lin = lin;
	w->mode = mmu_mode(ctx);
	ctx->walks++;

	/* Step 0: which tables?  CR3 holds the physical address of the root
	 * (SDM Vol 3 Table 4-12); with CR4.PCIDE its low 12 bits are the PCID. */
	switch (w->mode) {
	case PG_MODE_NONE:
		/* No paging: the linear address is the physical address and
		 * everything is allowed (SDM Vol 3 §4.1.1). */
		w->pa = lin;
		w->page_size = 4 * KiB;
		w->user = w->writable = w->dirty = true;
		return PG_WALK_OK;
	case PG_MODE_32:
		lin &= 0xffffffff;
		esize = 4, bits = 10, level = 2;
		table = ctx->cr3 & 0xfffff000;
		addr_mask = 0xfffff000;
		break;
	case PG_MODE_PAE:
		lin &= 0xffffffff;
		esize = 8, bits = 9, level = 3;
		table = ctx->cr3 & 0xffffffe0; /* the 32-byte aligned PDPT */
		break;
	default:
		esize = 8, bits = 9, level = 4;
		table = ctx->cr3 & addr_mask;
		break;
	}

	/* The walk proper: one paging-structure entry per level. */
	for (;;) {
		unsigned shift = 12 + (level - 1) * bits;
		u64 index = (lin >> shift) & ((1ULL << bits) - 1);
		struct pg_step *s = &w->steps[w->nsteps];

		if (w->mode == PG_MODE_PAE && level == 3)
			index = (lin >> 30) & 3; /* 4 PDPTEs, not 512 */
		s->level = level;
		s->addr = table + index * esize;
		if (!ctx->mem->read(ctx->mem->opaque, s->addr, esize, &e)) {
			w->status = PG_WALK_MEMFAULT;
			return w->status;
		}
		s->val = e;
		w->nsteps++;
		w->refs++;
		ctx->refs++;

		/* Not present: stop, P=0 in the error code. */
		if (!(e & PTE_P))
			return walk_fault(ctx, w, acc, flags, 0);

		/* Is this entry a leaf that maps a large page? */
		large = false;
		if (e & PTE_PS) {
			if (w->mode == PG_MODE_32)
				large = level == 2 && pse; /* PS ignored without CR4.PSE */
			else if (w->mode == PG_MODE_PAE)
				large = level == 2;
			else
				large = level == 2 || level == 3;
		}
		if (e & reserved_bits(w->mode, level, large, e, m, nxe))
			return walk_fault(ctx, w, acc, flags, PFEC_P | PFEC_RSVD);

		/* A PAE PDPTE only points at the page directory: it has no
		 * rights bits and no accessed flag. */
		if (w->mode == PG_MODE_PAE && level == 3) {
			table = e & addr_mask;
			level--;
			continue;
		}

		/* Rights combine over the levels: user only if U/S=1 at every
		 * level, writable only if R/W=1 at every level, XD if any. */
		user = user && (e & PTE_US);
		writable = writable && (e & PTE_RW);
		xd = xd || (nxe && (e & PTE_XD));

		if (level == 1 || large)
			break;
		table = e & addr_mask;
		level--;
	}

	/* The leaf: frame address, page size, memory type, global. */
	if (w->mode == PG_MODE_32 && large) {
		/* 4 MiB page: bits 31:22, plus PSE-36 bits 20:13 -> 39:32. */
		w->page_size = 4 * MiB;
		w->pa = (e & 0xffc00000) | (BITS(e, 20, 13) << 32);
	} else {
		w->page_size = 1ULL << (12 + (level - 1) * bits);
		w->pa = e & addr_mask & ~(w->page_size - 1);
	}
	w->pa |= lin & (w->page_size - 1);
	w->memtype = ((level == 1 ? BITS(e, 7, 7) : BITS(e, 12, 12)) << 2) | (BITS(e, 4, 4) << 1) |
		     BITS(e, 3, 3);
	w->global = (e & PTE_G) && (ctx->cr4 & BIT(7));
	w->user = user;
	w->writable = writable;
	w->nx = xd;
	w->dirty = e & PTE_D;

	if (flags & PG_DEBUG)
		return PG_WALK_OK;

	/* Rights check of the whole walk (SDM Vol 3 §4.6): P=1 in the error. */
	if (!(mmu_rights(ctx, user, writable, xd) & PG_PERM(mmu_class(ctx, flags), acc)))
		return walk_fault(ctx, w, acc, flags, PFEC_P);

	/*
	 * The access is allowed: set the accessed flag in every entry used,
	 * top-down, and the dirty flag in the leaf for a write (SDM Vol 3
	 * §4.8).  Each update is one more paging-structure reference.
	 * (Hardware does this with locked read-modify-writes; vmlab's CPUs
	 * run on one host thread, so a plain write-back is equivalent.)
	 */
	for (int i = 0; i < w->nsteps; i++) {
		struct pg_step *s = &w->steps[i];
		u64 nv = s->val;
		if (w->mode == PG_MODE_PAE && s->level == 3)
			continue;
		nv |= PTE_A;
		if (i == w->nsteps - 1 && acc == PG_WRITE)
			nv |= PTE_D;
		if (nv != s->val) {
			ctx->mem->write(ctx->mem->opaque, s->addr, esize, nv);
			s->val = nv;
			w->refs++;
			ctx->refs++;
		}
	}
	w->dirty = w->steps[w->nsteps - 1].val & PTE_D;
	return PG_WALK_OK;
}

bool mmu_pae_pdptes_ok(struct pg_ctx *ctx, u64 cr3)
{
	unsigned m = ctx->maxphyaddr ? ctx->maxphyaddr : MMU_MAXPHYADDR;

	for (int i = 0; i < 4; i++) {
		u64 e;
		if (!ctx->mem->read(ctx->mem->opaque, (cr3 & 0xffffffe0) + i * 8, 8, &e))
			return false;
		ctx->refs++;
		if ((e & PTE_P) && (e & reserved_bits(PG_MODE_PAE, 3, false, e, m, false)))
			return false;
	}
	return true;
}

void mmu_format_entry(u64 val, int level, enum pg_mode mode, char *buf, size_t len)
{
	bool pdpte_pae = mode == PG_MODE_PAE && level == 3;
	bool large = (val & PTE_PS) && level > 1 && !pdpte_pae;
	u64 frame = mode == PG_MODE_32 ? val & 0xfffff000 : val & mask_bits(51, 12);

	if (large)
		frame &= ~(u64)(mode == PG_MODE_32 ? 0x3fffff : level == 3 ? 0x3fffffff : 0x1fffff);
	snprintf(buf, len, "%#llx %s%s%s%s%s%s%s%s%s%s", (unsigned long long)frame,
		 (val & PTE_P) ? "P" : "-", (val & PTE_RW) ? " W" : "", (val & PTE_US) ? " U" : "",
		 (val & PTE_PWT) ? " PWT" : "", (val & PTE_PCD) ? " PCD" : "",
		 (val & PTE_A) ? " A" : "", (val & PTE_D) && (large || level == 1) ? " D" : "",
		 large ? " PS" : "", (val & PTE_G) && (large || level == 1) ? " G" : "",
		 mode != PG_MODE_32 && (val & PTE_XD) ? " XD" : "");
}
