/*
 * tlb.h - the soft TLB: a cache of finished page walks (SDM Vol 3 §4.10
 * "Caching Translation Information").
 *
 * One entry maps a 4 KiB linear page, tagged with a PCID, to
 *   - the physical page it translates to,
 *   - the host address of that page (from bus_page_host), so a hit is one
 *     compare and a memcpy, and
 *   - the rights the walk granted, as PG_PERM bits (mmu/paging.h): one bit
 *     per (user / supervisor+AC / supervisor, read / write / fetch).
 * The permission bits hold only what the FAST PATH may do without the bus:
 *   - nothing for MMIO or a page split between ranges (host == NULL), so
 *     those always take the slow path through bus_mem_read/write;
 *   - no write bits for ROM (writes must be dropped by the bus), for a page
 *     whose writes must be watched (tlb_protect_phys: code pages of the block
 *     cache, dirty logging) and -- the dirty-bit rule -- for a page whose
 *     leaf entry has D=0: the first write re-walks, so the walker sets D.
 * An entry with perm == 0 is invalid.  Large pages are cached as 4 KiB
 * pieces; each piece remembers the size of its translation so that INVLPG
 * of any address in the large page removes all of them.
 *
 * Direct-mapped: slot = linear page number mod TLB_SIZE.  The tag is the
 * page address with the PCID in its low 12 bits, so one 64-bit compare checks
 * both.  A global entry is filled under the PCID that walked it and found by
 * other PCIDs only after their own miss and walk; flushes treat it as global.
 *
 * WHO MUST FLUSH (the CPU keeps the TLB coherent; vmlab's entries also bake
 * in CR0.WP, CR4.SMEP/SMAP and EFER.NXE, so flushing is sometimes stricter
 * than the SDM's minimum -- flushing more is always architecturally legal):
 *   MOV to CR3 (SDM Vol 3 §4.10.4.1)
 *       CR4.PCIDE = 0:           all non-global entries    cpu_tlb_mov_cr3
 *       PCIDE = 1, bit 63 = 0:   non-global of the new PCID
 *       PCIDE = 1, bit 63 = 1:   nothing
 *   MOV to CR0 changing PG or WP                all          cpu_tlb_mov_cr0
 *   MOV to CR4 changing PGE, PAE, PSE, PCIDE, SMEP, SMAP   all  cpu_tlb_mov_cr4
 *   WRMSR EFER changing NXE (or LME/LMA)        all          cpu_tlb_wrmsr_efer
 *   INVLPG m                   that page: current PCID + global   cpu_tlb_flush_page
 *   INVPCID type 0/1/2/3       (SDM Vol 2 INVPCID)           cpu_tlb_invpcid
 *   task switch (loads CR3), VM entry/exit: as MOV to CR3 / all.
 *   A guest write that bypasses the TLB to a page table needs nothing:
 *   like hardware, stale entries stay until the guest flushes.
 */
#ifndef VMLAB_MMU_TLB_H
#define VMLAB_MMU_TLB_H

#include "lib/common.h"
#include "mmu/paging.h"

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)

struct tlb_entry {
	u64 tag;     /* linear page address | PCID */
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

/* Cache a translation: lin's page -> pa's page (4 KiB pieces), host may be
 * NULL.  perm = fast-path bits (see above), granted = what the walk allowed. */
void tlb_fill(struct tlb *t, u64 lin, u64 pcid, u64 pa, u8 *host, unsigned perm, unsigned granted,
	      bool global, unsigned page_shift);

void tlb_flush_all(struct tlb *t);
void tlb_flush_nonglobal(struct tlb *t);
void tlb_flush_pcid(struct tlb *t, u64 pcid);
void tlb_flush_page(struct tlb *t, u64 lin, u64 pcid);
void tlb_flush_page_pcid(struct tlb *t, u64 lin, u64 pcid);

/* Take the fast-path write bits away from every entry mapping physical page
 * pa, so writes to it go through the bus (code pages, dirty logging). */
void tlb_protect_phys(struct tlb *t, u64 pa);

/* Number of valid entries (monitor `tlb`). */
unsigned tlb_count(const struct tlb *t);

#endif
