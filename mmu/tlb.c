/*
 * tlb.c - the soft TLB's fill and invalidation rules (SDM Vol 3 §4.10,
 * "Caching Translation Information"; INVLPG and INVPCID in Vol 2).
 *
 * The lookup is the static inline tlb_lookup() in tlb.h.  Everything here
 * is the slower half: writing an entry after a walk, and removing entries
 * when the guest changes what they were derived from.  The rules for which
 * event flushes what are listed in tlb.h.
 */
#include "mmu/tlb.h"

#include "lib/err.h"

#include <stdlib.h>

const char *const tlb_flush_name[TLB_FLUSH_KIND_COUNT] = {
    [TLB_FLUSH_ALL] = "all",   [TLB_FLUSH_NONGLOBAL] = "non-global", [TLB_FLUSH_PCID] = "pcid",
    [TLB_FLUSH_PAGE] = "page", [TLB_FLUSH_PAGE_PCID] = "page-pcid",
};

struct tlb *tlb_create(void)
{
	struct tlb *t = xcalloc(1, sizeof(*t));
	tlb_flush_all(t);
	t->stats.flushes[TLB_FLUSH_ALL] = 0; /* the initial clear is not a flush */
	return t;
}

void tlb_destroy(struct tlb *t)
{
	free(t);
}

static inline u64 entry_pcid(const struct tlb_entry *e)
{
	return e->tag & 0xfff;
}

static inline void drop(struct tlb *t, struct tlb_entry *e)
{
	if (e->perm)
		t->stats.flushed++;
	e->perm = 0;
	e->granted = 0;
	e->tag = ~0ULL;
	e->host = NULL;
}

void tlb_fill(struct tlb *t, u64 lin, u64 pcid, u64 pa, u8 *host, unsigned perm, unsigned granted,
	      bool global, unsigned page_shift)
{
	struct tlb_entry *e = &t->e[(lin >> 12) & (TLB_SIZE - 1)];

	/* No fast-path use, nothing worth caching (MMIO, or no rights).  Nor
	 * for an address that is not canonical (48 bits, SDM Vol 1 §3.3.7.1):
	 * the data fast path does not check it (cpu/mem.h mem_chain_host), the
	 * tag compare stands in for the check; such entries come only from
	 * system accesses of odd guests or 5-level paging, and take the slow
	 * path. */
	if (!host || (u64)((s64)(lin << 16) >> 16) != lin)
		perm = 0;
	if (!perm) {
		/* Still evict what sat in the slot for this page, which is now
		 * stale for the rights this walk found. */
		if (e->tag == ((lin & ~0xfffULL) | pcid))
			drop(t, e);
		return;
	}
	e->tag = (lin & ~0xfffULL) | pcid;
	e->pa = pa & ~0xfffULL;
	e->host = host;
	e->perm = perm;
	e->granted = granted;
	e->global = global;
	e->shift = page_shift;
	if (page_shift > 12)
		t->has_large = true;
	t->stats.fills++;
}

void tlb_flush_all(struct tlb *t)
{
	for (unsigned i = 0; i < TLB_SIZE; i++)
		drop(t, &t->e[i]);
	t->has_large = false;
	t->stats.flushes[TLB_FLUSH_ALL]++;
}

void tlb_flush_nonglobal(struct tlb *t)
{
	for (unsigned i = 0; i < TLB_SIZE; i++)
		if (!t->e[i].global)
			drop(t, &t->e[i]);
	t->stats.flushes[TLB_FLUSH_NONGLOBAL]++;
}

void tlb_flush_pcid(struct tlb *t, u64 pcid)
{
	for (unsigned i = 0; i < TLB_SIZE; i++) {
		struct tlb_entry *e = &t->e[i];
		if (e->perm && !e->global && entry_pcid(e) == pcid)
			drop(t, e);
	}
	t->stats.flushes[TLB_FLUSH_PCID]++;
}

/* Does entry e cache a translation that covers linear address lin? */
static bool covers(const struct tlb_entry *e, u64 lin)
{
	u64 mask = ~((1ULL << e->shift) - 1);
	return e->perm && ((e->tag & ~0xfffULL) & mask) == (lin & mask);
}

/*
 * Remove the translations of lin.  A large page is cached as many 4 KiB
 * entries in different slots, so when any large-page entry may exist the
 * whole array is searched (rare: INVLPG is not on a hot path).
 */
static void flush_lin(struct tlb *t, u64 lin, u64 pcid, bool keep_global, bool any_pcid_global)
{
	unsigned first = 0, end = TLB_SIZE;

	if (!t->has_large) {
		first = (lin >> 12) & (TLB_SIZE - 1);
		end = first + 1;
	}
	for (unsigned i = first; i < end; i++) {
		struct tlb_entry *e = &t->e[i];
		if (!covers(e, lin))
			continue;
		if (e->global ? (!keep_global && any_pcid_global) : entry_pcid(e) == pcid)
			drop(t, e);
	}
}

/* INVLPG: the current PCID's translation of lin and any global one. */
void tlb_flush_page(struct tlb *t, u64 lin, u64 pcid)
{
	flush_lin(t, lin, pcid, false, true);
	t->stats.flushes[TLB_FLUSH_PAGE]++;
}

/* INVPCID type 0: one PCID's non-global translation of lin. */
void tlb_flush_page_pcid(struct tlb *t, u64 lin, u64 pcid)
{
	flush_lin(t, lin, pcid, true, false);
	t->stats.flushes[TLB_FLUSH_PAGE_PCID]++;
}

void tlb_protect_phys(struct tlb *t, u64 pa)
{
	unsigned w = PG_PERM(PG_CLASS_USER, PG_WRITE) | PG_PERM(PG_CLASS_SUP_AC, PG_WRITE) |
		     PG_PERM(PG_CLASS_SUP, PG_WRITE);

	for (unsigned i = 0; i < TLB_SIZE; i++) {
		struct tlb_entry *e = &t->e[i];
		if (e->perm && e->pa == (pa & ~0xfffULL)) {
			e->perm &= ~w;
			if (!e->perm)
				drop(t, e);
		}
	}
}

unsigned tlb_count(const struct tlb *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < TLB_SIZE; i++)
		n += t->e[i].perm != 0;
	return n;
}
