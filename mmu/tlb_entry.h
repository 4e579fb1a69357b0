/*
 * tlb_entry.h - the soft TLB's data structures and its inline hit path
 * (SDM Vol 3 §4.10).  The rules -- what an entry means, who must flush --
 * are in mmu/tlb.h, which includes this file; it is separate only so that
 * the CPU's inline memory fast path (cpu/mem.h) can see struct tlb without
 * pulling in mmu/paging.h, whose `enum pg_class` (rights classes) shares
 * its name with the Popek-Goldberg `enum pg_class` of cpu/insn.h.
 * Permission bits are PG_PERM(class, kind) of mmu/paging.h.
 */
#ifndef VMLAB_MMU_TLB_ENTRY_H
#define VMLAB_MMU_TLB_ENTRY_H

#include "lib/common.h"

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)

struct tlb_entry {
	u64 tag;     /* linear page address | PCID; the page address of an
			entry with fast-path bits is canonical (tlb_fill) */
	u8 *host;    /* host address of the 4 KiB page */
	u64 pa;	     /* physical address of the 4 KiB page */
	u16 perm;    /* PG_PERM bits allowed on the fast path; 0 = invalid */
	u8 global;   /* G: survives CR3 loads and per-PCID flushes */
	u8 shift;    /* log2 size of the translation: 12, 21, 22 or 30 */
	u16 granted; /* PG_PERM bits the walk granted (for the monitor) */
};

/* Flush kinds: a0 of TRACE_TLB events and an index into stats.flushes[]. */
enum tlb_flush_kind {
	TLB_FLUSH_ALL,	     /* everything, global included */
	TLB_FLUSH_NONGLOBAL, /* every PCID, global kept */
	TLB_FLUSH_PCID,	     /* non-global entries of one PCID */
	TLB_FLUSH_PAGE,	     /* one page: one PCID and global (INVLPG) */
	TLB_FLUSH_PAGE_PCID, /* one page of one PCID, non-global (INVPCID 0) */
	TLB_FLUSH_KIND_COUNT
};
extern const char *const tlb_flush_name[TLB_FLUSH_KIND_COUNT];

struct tlb_stats {
	u64 hits;      /* fast-path hits */
	u64 misses;    /* accesses that took the slow path */
	u64 fills;     /* entries written */
	u64 walks;     /* page walks done for this CPU */
	u64 walk_refs; /* paging-structure memory references of those walks */
	u64 flushes[TLB_FLUSH_KIND_COUNT];
	u64 flushed; /* valid entries removed by flushes */
};

struct tlb {
	struct tlb_entry e[TLB_SIZE];
	struct tlb_stats stats;
	bool has_large; /* some entry may come from a large page */
	/* Optional: true when writes to physical page pa must always reach
	 * the bus (code pages of the block cache, dirty logging): such pages
	 * never get fast-path write bits.  Pair with tlb_protect_phys() for
	 * entries filled before the page became watched. */
	bool (*write_watched)(void *opaque, u64 pa);
	void *watch_opaque;
	/* The lookup constants of the block cache's threaded chain in flight
	 * (cpu/mem.h, mem_chain_ctx): the current PCID, and the PG_PERM bit a
	 * read / a write needs (0: no fast access at all). */
	u64 chain_pcid;
	u16 chain_need[2];
};

struct tlb *tlb_create(void);
void tlb_destroy(struct tlb *t);

/*
 * The fast path: the entry for lin under pcid when it allows every bit of
 * `need` (one PG_PERM bit), else NULL.  Counts a hit; the caller counts
 * the miss when it takes the slow path.
 */
static inline struct tlb_entry *tlb_lookup(struct tlb *t, u64 lin, u64 pcid, unsigned need)
{
	struct tlb_entry *e = &t->e[(lin >> 12) & (TLB_SIZE - 1)];
	if (likely(e->tag == ((lin & ~0xfffULL) | pcid) && (e->perm & need))) {
		t->stats.hits++;
		return e;
	}
	return NULL;
}

#endif
