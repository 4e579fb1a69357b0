/*
 * mem.h - how instructions reach memory: segmentation (SDM Vol 3 ch. 3),
 * then paging (mmu/, Vol 3 ch. 4), then the bus, with the soft TLB in front.
 *
 * All functions raise the architectural exception on failure (#GP/#SS for
 * segment checks, #PF for paging, #AC for alignment checks) and never return
 * in that case.  Sizes are 1, 2, 4, 8 (and 16 for cpu_read16/CMPXCHG16B).
 * Accesses that cross a page boundary are split; both pages are checked
 * before any byte is written.
 */
#ifndef VMLAB_CPU_MEM_H
#define VMLAB_CPU_MEM_H

#include <string.h>

#include "cpu/cpu.h"
#include "mmu/tlb_entry.h"

/* The kind of access, as the page walker and the fault error code see it. */
enum mem_access { ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2 };

/* Segment-relative (logical) accesses: DS:offset etc. */
u64 cpu_read(struct cpu *c, enum sreg s, u64 off, unsigned size);
void cpu_write(struct cpu *c, enum sreg s, u64 off, unsigned size, u64 v);
/* Read with write intent for read-modify-write instructions: a fault is
 * reported as a write fault, as on hardware. Follow it with cpu_write(). */
u64 cpu_rmw_read(struct cpu *c, enum sreg s, u64 off, unsigned size);

/* Segmentation only: logical -> linear, with limit/type/canonical checks. */
u64 cpu_linear(struct cpu *c, enum sreg s, u64 off, unsigned size, enum mem_access acc);

/* Linear accesses (descriptor tables, the TSS, IDT): `sys` = supervisor
 * access regardless of CPL (SDM Vol 3 §4.6 "implicit supervisor access"). */
u64 cpu_read_lin(struct cpu *c, u64 lin, unsigned size, bool sys);
void cpu_write_lin(struct cpu *c, u64 lin, unsigned size, u64 v, bool sys);

/* Fetch up to `len` code bytes at linear address `lin` into buf, stopping at
 * the end of the page; returns the number fetched (>= 1) or raises #PF. */
unsigned cpu_fetch_page(struct cpu *c, u64 lin, u8 *buf, unsigned len);

/* Code fetch translation for the block cache: the host address of the byte
 * at lin (NULL: not RAM/ROM) after a fetch check that may raise #PF; and a
 * TLB-only probe that never walks or faults. */
u8 *cpu_fetch_host(struct cpu *c, u64 lin, u64 *pa);
bool cpu_fetch_probe(struct cpu *c, u64 lin, u64 *pa, u8 **host);

/* Stack helpers using SS and the current stack size (SDM Vol 1 §6.2). */
void cpu_push(struct cpu *c, unsigned size, u64 v);
u64 cpu_pop(struct cpu *c, unsigned size);

/* Translate linear -> physical without side effects (no A/D updates, no
 * fault raised); returns false when not mapped.  For the monitor/debugger. */
bool cpu_debug_translate(struct cpu *c, u64 lin, u64 *pa);

/* Port I/O as the CPU does it (permission checks are the caller's). */
u64 cpu_port_in(struct cpu *c, u16 port, unsigned size);
void cpu_port_out(struct cpu *c, u16 port, unsigned size, u64 v);

/* Drop cached translations: all, non-global only, or one page. */
void cpu_tlb_flush(struct cpu *c, bool include_global);
void cpu_tlb_flush_page(struct cpu *c, u64 lin);

/* --- Added by the memory path (mem.c); see mmu/tlb.h for who calls what --- */

/* Allocate / free c->tlb (called by cpu_init / cpu_fini). */
void cpu_mem_init(struct cpu *c);
void cpu_mem_fini(struct cpu *c);

/* 16-byte accesses (CMPXCHG16B, SSE moves).  v[0] is the low quadword.
 * The 16-byte alignment rules of the instruction are the handler's check. */
void cpu_read16(struct cpu *c, enum sreg s, u64 off, u64 v[2]);
void cpu_rmw_read16(struct cpu *c, enum sreg s, u64 off, u64 v[2]);
void cpu_write16(struct cpu *c, enum sreg s, u64 off, const u64 v[2]);

/*
 * TLB coherence hooks for the system instructions.  Call them AFTER the
 * register holds its new value:
 *   cpu_tlb_mov_cr0(c, old_cr0)     MOV to CR0, CLTS, LMSW
 *   cpu_tlb_mov_cr3(c, value)       MOV to CR3, task switch; `value` is the
 *                                   operand as written (bit 63 = PCID no-flush);
 *                                   c->cr3 must already hold it with bit 63 clear
 *   cpu_tlb_mov_cr4(c, old_cr4)     MOV to CR4
 *   cpu_tlb_wrmsr_efer(c, old_efer) WRMSR IA32_EFER
 *   cpu_tlb_flush_page(c, lin)      INVLPG
 *   cpu_tlb_invpcid(c, type, pcid, lin)  INVPCID (operand checks are the handler's)
 */
void cpu_tlb_mov_cr0(struct cpu *c, u64 old_cr0);
void cpu_tlb_mov_cr3(struct cpu *c, u64 value);
void cpu_tlb_mov_cr4(struct cpu *c, u64 old_cr4);
void cpu_tlb_wrmsr_efer(struct cpu *c, u64 old_efer);
void cpu_tlb_invpcid(struct cpu *c, unsigned type, u16 pcid, u64 lin);

/* For the block cache (cpu/block.c): writes to the physical pages for which
 * fn(opaque, pa) is true always go through the bus (so bus->ram_written sees
 * them); cpu_tlb_protect_phys() applies that to entries already cached. */
void cpu_tlb_watch_writes(struct cpu *c, bool (*fn)(void *opaque, u64 pa), void *opaque);
void cpu_tlb_protect_phys(struct cpu *c, u64 pa);

/* PAE paging: are the PDPTEs that loading `cr3` would use free of reserved
 * bits?  MOV to CR3/CR0/CR4 that (re)loads them raises #GP(0) when not
 * (SDM Vol 3 §4.4.1). */
bool cpu_pae_pdptes_valid(struct cpu *c, u64 cr3);

/* The full walk of lin without side effects (the monitor's `pt` command);
 * returns false when lin is not mapped (w->err tells why). */
struct pg_walk;
bool cpu_debug_walk(struct cpu *c, u64 lin, struct pg_walk *w);

/* ---- The inline hit path (issue 9) ---------------------------------------
 *
 * The common data access -- 64-bit mode, a flat segment (or FS/GS with its
 * base), one page, a TLB hit with the right permission bit, no watchpoints,
 * no alignment check due -- costs a few compares and a load or store.  It is
 * the same decision cpu_read/cpu_write make (cpu/mem.c) taken inline; for
 * anything else (other modes, a page split, a miss, #GP/#AC/#PF to raise,
 * MMIO, a code page under write protection, which has no fast write bit)
 * mem_fast_host() answers NULL and the caller takes the full path, which
 * rechecks everything from the start.
 */

/* PG_PERM(class, kind) of mmu/paging.h, spelled out (mem.c checks they
 * agree): classes user 0, supervisor+AC 1, supervisor 2; kinds read 0,
 * write 1. */
static inline unsigned mem_fast_perm(const struct cpu *c, unsigned write)
{
	unsigned cls = c->cpl == 3 ? 0 : (c->rflags & FL_AC) ? 1 : 2;
	return 1u << (cls * 3 + write);
}

/* (always_inline: with the sizes and write flag constant it folds to a few
 * instructions; GCC otherwise gives up inlining it into exec_fast.c's many
 * specialised routines.) */
static inline __attribute__((always_inline)) u8 *mem_fast_host(struct cpu *c, enum sreg s, u64 off,
							       unsigned size, unsigned write)
{
	u64 lin = off, pcid;
	struct tlb_entry *e;

	if (unlikely(c->mode != CPU_MODE_LONG64 || c->watch_mem))
		return NULL;
	if (unlikely(s >= SEG_FS))
		lin += c->seg[s].base;
	/* Canonical (Vol 1 §3.3.7.1); the last byte is on the same page. */
	if (unlikely((u64)((s64)(lin << 16) >> 16) != lin || (lin & 0xfff) + size > 4096))
		return NULL;
	/* #AC would be due: the full path raises it. */
	if (unlikely(lin & (size - 1)) && (c->cr0 & CR0_AM) && (c->rflags & FL_AC) && c->cpl == 3)
		return NULL;
	pcid = (c->cr4 & CR4_PCIDE) ? (c->cr3 & 0xfff) : 0;
	e = tlb_lookup(c->tlb, lin, pcid, mem_fast_perm(c, write));
	return likely(e) ? e->host + (lin & 0xfff) : NULL;
}

/*
 * The same decision with its per-chain constants taken out (issue 9, second
 * round), for the block cache's threaded routines (cpu/exec_fast*.c).  What
 * mem_fast_host() works out on every access and no instruction of a chain
 * can change without a generic handler -- the mode, watchpoints, whether
 * #AC may be due, the PCID, the rights class (CPL, RFLAGS.AC) -- is worked
 * out once by mem_chain_ctx() when a chain starts and again after each
 * generic handler, and kept in the TLB (chain_pcid, chain_need[]).  What
 * is left is one compare and one test:
 *   - the tag compare of the entry of lin's page against the page of the
 *     LAST byte: an access that crosses into the next page never matches
 *     (that page lives in another slot), and neither does a non-canonical
 *     address (tlb_fill gives no fast bits to one);
 *   - the permission bit the access needs, 0 when the fast path is off.
 */
static inline void mem_chain_ctx(struct cpu *c)
{
	struct tlb *t = c->tlb;
	bool on = c->mode == CPU_MODE_LONG64 && !c->watch_mem &&
		  !((c->cr0 & CR0_AM) && (c->rflags & FL_AC) && c->cpl == 3);

	t->chain_pcid = (c->cr4 & CR4_PCIDE) ? (c->cr3 & 0xfff) : 0;
	t->chain_need[0] = on ? (u16)mem_fast_perm(c, 0) : 0;
	t->chain_need[1] = on ? (u16)mem_fast_perm(c, 1) : 0;
}

static inline __attribute__((always_inline)) u8 *mem_chain_host(struct cpu *c, enum sreg s, u64 off,
								unsigned size, unsigned write)
{
	struct tlb *t = c->tlb;
	u64 lin = off;
	struct tlb_entry *e;

	if (unlikely(s >= SEG_FS))
		lin += c->seg[s].base; /* the only bases 64-bit mode keeps */
	e = &t->e[(lin >> 12) & (TLB_SIZE - 1)];
	if (likely(e->tag == (((lin + size - 1) & ~0xfffULL) | t->chain_pcid) &&
		   (e->perm & t->chain_need[write]))) {
		t->stats.hits++;
		return e->host + (lin & 0xfff);
	}
	return NULL;
}

/* Sized host loads/stores (sizes 1, 2, 4, 8) the compiler turns into one
 * move each. */
static inline u64 mem_host_load(const u8 *h, unsigned size)
{
	u8 b;
	u16 w;
	u32 d;
	u64 q;

	switch (size) {
	case 1: memcpy(&b, h, 1); return b;
	case 2: memcpy(&w, h, 2); return w;
	case 4: memcpy(&d, h, 4); return d;
	default: memcpy(&q, h, 8); return q;
	}
}

static inline void mem_host_store(u8 *h, unsigned size, u64 v)
{
	u8 b = (u8)v;
	u16 w = (u16)v;
	u32 d = (u32)v;

	switch (size) {
	case 1: memcpy(h, &b, 1); break;
	case 2: memcpy(h, &w, 2); break;
	case 4: memcpy(h, &d, 4); break;
	default: memcpy(h, &v, 8); break;
	}
}

/* cpu_read / cpu_rmw_read / cpu_write with the hit path inline. */
static inline u64 cpu_read_fast(struct cpu *c, enum sreg s, u64 off, unsigned size)
{
	u8 *h = mem_fast_host(c, s, off, size, 0);
	return likely(h) ? mem_host_load(h, size) : cpu_read(c, s, off, size);
}

static inline u64 cpu_rmw_read_fast(struct cpu *c, enum sreg s, u64 off, unsigned size)
{
	u8 *h = mem_fast_host(c, s, off, size, 1);
	return likely(h) ? mem_host_load(h, size) : cpu_rmw_read(c, s, off, size);
}

static inline void cpu_write_fast(struct cpu *c, enum sreg s, u64 off, unsigned size, u64 v)
{
	u8 *h = mem_fast_host(c, s, off, size, 1);
	if (likely(h))
		mem_host_store(h, size, v);
	else
		cpu_write(c, s, off, size, v);
}

/* PUSH/POP of the 64-bit stack (SDM Vol 1 §6.2) with the hit path inline;
 * other stack sizes take cpu_push/cpu_pop. */
static inline void cpu_push_fast(struct cpu *c, unsigned size, u64 v)
{
	u64 sp = c->gpr[RSP] - size;
	u8 *h;

	if (likely(c->stack_size == 8) && (h = mem_fast_host(c, SEG_SS, sp, size, 1))) {
		mem_host_store(h, size, v);
		c->gpr[RSP] = sp;
		return;
	}
	cpu_push(c, size, v);
}

static inline u64 cpu_pop_fast(struct cpu *c, unsigned size)
{
	u64 sp = c->gpr[RSP], v;
	u8 *h;

	if (likely(c->stack_size == 8) && (h = mem_fast_host(c, SEG_SS, sp, size, 0))) {
		v = mem_host_load(h, size);
		c->gpr[RSP] = sp + size;
		return v;
	}
	return cpu_pop(c, size);
}

#endif
