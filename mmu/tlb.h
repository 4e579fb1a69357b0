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
#include "mmu/tlb_entry.h" /* struct tlb, tlb_lookup */

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
