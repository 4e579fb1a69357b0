/*
 * mem.c - how the CPU reaches memory and ports: segmentation (SDM Vol 3
 * §3.4, §5.3 limit checking, §5.4 type checking; Vol 1 §3.3.7.1 canonical
 * addresses), then paging through the soft TLB (mmu/tlb.h) or the walker
 * (mmu/paging.h), then the bus (RAM by host pointer, MMIO through the
 * device), plus the stack helpers (Vol 1 §6.2) and port I/O.
 *
 * The path of one data access, e.g. MOV EAX, [DS:EBX]:
 *   1. cpu_linear: DS.base + EBX, after the segment's type and limit checks
 *      (#GP(0), or #SS(0) for SS) -- or, in 64-bit mode, only the canonical
 *      check and the FS/GS base.
 *   2. the TLB: one compare of (page | PCID) and the permission bit of this
 *      (privilege class, access kind); a hit gives a host pointer.
 *   3. on a miss, the walk: #PF with its error code, or a translation that
 *      is cached for next time.
 *   4. alignment check (#AC(0)), then the bytes move.
 * An access that crosses a page boundary translates BOTH pages before
 * moving a byte, so a fault on the second page leaves memory untouched.
 */
#include "cpu/mem.h"

#include <string.h>

#include "cpu/block.h"
#include "devices/bus.h"
#include "lib/err.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"

#define WRITE_PERMS                                                                                \
	(PG_PERM(PG_CLASS_USER, PG_WRITE) | PG_PERM(PG_CLASS_SUP_AC, PG_WRITE) |                   \
	 PG_PERM(PG_CLASS_SUP, PG_WRITE))

/* cpu/mem.h's inline path spells PG_PERM out: keep the two in step. */
_Static_assert(PG_PERM(PG_CLASS_USER, PG_READ) == 1u << 0 &&
		   PG_PERM(PG_CLASS_SUP_AC, PG_WRITE) == 1u << 4 &&
		   PG_PERM(PG_CLASS_SUP, PG_WRITE) == 1u << 7,
	       "mem_fast_perm() disagrees with PG_PERM()");

void cpu_mem_init(struct cpu *c)
{
	if (!c->tlb)
		c->tlb = tlb_create();
	if (!c->bc)
		block_cache_attach(c);
}

void cpu_mem_fini(struct cpu *c)
{
	block_cache_detach(c);
	tlb_destroy(c->tlb);
	c->tlb = NULL;
}

/* ---- Paging-structure memory and the walk context ----------------------- */

/* The walker reads page tables as physical memory on the bus. */
static bool pt_read(void *opaque, u64 pa, unsigned size, u64 *val)
{
	struct bus *b = opaque;
	bool writable;
	u8 *h = bus_page_host(b, pa, &writable);
	u64 v = 0;

	if (h)
		memcpy(&v, h + (pa & 0xfff), size);
	else
		v = bus_mem_read(b, pa, size); /* MMIO/unclaimed: all-ones -> RSVD */
	*val = v;
	return true;
}

/* A/D updates go through the bus so that its ram_written hook sees them. */
static bool pt_write(void *opaque, u64 pa, unsigned size, u64 val)
{
	bus_mem_write(opaque, pa, val, size);
	return true;
}

static void ctx_init(struct cpu *c, struct pg_ctx *x, struct pg_mem *m)
{
	m->read = pt_read;
	m->write = pt_write;
	m->opaque = c->bus;
	memset(x, 0, sizeof(*x));
	x->cr0 = c->cr0;
	x->cr3 = c->cr3;
	x->cr4 = c->cr4;
	x->efer = c->efer;
	x->cpl = c->cpl;
	x->ac = c->rflags & FL_AC;
	x->mem = m;
}

/* The PCID that tags TLB entries: CR3[11:0] when CR4.PCIDE = 1, else 0. */
static inline u64 cur_pcid(const struct cpu *c)
{
	return (c->cr4 & CR4_PCIDE) ? (c->cr3 & 0xfff) : 0;
}

/* The rights class of an access (mmu/paging.h, SDM Vol 3 §4.6). */
static inline enum pg_class cur_class(const struct cpu *c, bool sys)
{
	if (sys)
		return PG_CLASS_SUP;
	if (c->cpl == 3)
		return PG_CLASS_USER;
	return (c->rflags & FL_AC) ? PG_CLASS_SUP_AC : PG_CLASS_SUP;
}

/* Linear addresses are 32 bits wide outside IA-32e mode. */
static inline u64 lin_wrap(const struct cpu *c, u64 lin)
{
	return (c->efer & EFER_LMA) ? lin : (lin & 0xffffffff);
}

/* ---- Translation: TLB, then walk -------------------------------------- */

/* One page's worth of a translated access. */
struct xl {
	u64 pa;
	u8 *host; /* host address of pa, or NULL: go through the bus */
};

/*
 * The slow path: walk, raise #PF on failure, cache the result.  For a write
 * the host pointer is withheld when the page is ROM or watched, so the bus
 * sees (and drops or reports) the write.
 */
static void translate_slow(struct cpu *c, u64 lin, enum pg_access acc, bool sys, struct xl *x)
{
	struct pg_mem m;
	struct pg_ctx ctx;
	struct pg_walk w;
	enum pg_status st;
	unsigned granted, perm;
	bool host_writable = false;
	u8 *h;

	ctx_init(c, &ctx, &m);
	c->tlb->stats.misses++;
	st = mmu_walk(&ctx, lin, acc, sys ? PG_SYS : 0, &w);
	if (mmu_mode(&ctx) != PG_MODE_NONE) {
		c->tlb->stats.walks++;
		c->tlb->stats.walk_refs += w.refs;
	}
	if (st == PG_WALK_MEMFAULT)
		panic("cpu%d: page-table read failed on the bus at %#llx", c->index,
		      (unsigned long long)w.steps[w.nsteps].addr);
	if (st != PG_WALK_OK)
		cpu_raise_pf(c, lin, w.err);

	h = bus_page_host(c->bus, w.pa, &host_writable);
	if (h && c->tlb->write_watched && c->tlb->write_watched(c->tlb->watch_opaque, w.pa))
		host_writable = false;
	granted = mmu_rights(&ctx, w.user, w.writable, w.nx);
	perm = granted;
	/* The dirty-bit rule: no fast writes until the leaf has D = 1. */
	if (!w.dirty || !host_writable)
		perm &= ~WRITE_PERMS;
	tlb_fill(c->tlb, lin, cur_pcid(c), w.pa, h, perm, granted, w.global,
		 (unsigned)__builtin_ctzll(w.page_size));

	x->pa = w.pa;
	x->host = (h && (acc != PG_WRITE || host_writable)) ? h + (lin & 0xfff) : NULL;
}

static inline void translate(struct cpu *c, u64 lin, enum pg_access acc, bool sys, struct xl *x)
{
	struct tlb_entry *e = tlb_lookup(c->tlb, lin, cur_pcid(c), PG_PERM(cur_class(c, sys), acc));
	if (likely(e)) {
		x->pa = e->pa | (lin & 0xfff);
		x->host = e->host + (lin & 0xfff);
		return;
	}
	translate_slow(c, lin, acc, sys, x);
}

/* ---- Moving bytes ----------------------------------------------------- */

static void mmio_trace(struct cpu *c, u64 pa, u64 v, unsigned n, bool write)
{
	struct bus_range *r = bus_find(c->bus, pa);
	if (r && r->kind == BUS_MMIO)
		trace_emit(c->trace, TRACE_MMIO, c->index, c->insn_rip, pa, v, n, write, NULL);
}

/* Largest of 8, 4, 2, 1 that fits in n and keeps pa aligned to it. */
static unsigned chunk(u64 pa, unsigned n)
{
	unsigned s = 8;
	while (s > n || (pa & (s - 1)))
		s >>= 1;
	return s;
}

static void xl_read(struct cpu *c, const struct xl *x, u8 *buf, unsigned n)
{
	if (x->host) {
		memcpy(buf, x->host, n);
		return;
	}
	/* A device may change its state (and the interrupt line) on any
	 * access: a running block stops after this instruction. */
	block_request_exit(c);
	/* MMIO, unclaimed or split page: through the bus in natural pieces
	 * (a device sees the sizes it declared; the bus splits further). */
	for (unsigned done = 0; done < n;) {
		u64 pa = x->pa + done;
		unsigned s = n - done <= 8 && !((n - done) & (n - done - 1)) ? n - done
									     : chunk(pa, n - done);
		u64 v = bus_mem_read(c->bus, pa, s);
		mmio_trace(c, pa, v, s, false);
		memcpy(buf + done, &v, s);
		done += s;
	}
}

static void xl_write(struct cpu *c, const struct xl *x, const u8 *buf, unsigned n)
{
	if (x->host) {
		memcpy(x->host, buf, n);
		return;
	}
	block_request_exit(c);
	for (unsigned done = 0; done < n;) {
		u64 pa = x->pa + done, v = 0;
		unsigned s = n - done <= 8 && !((n - done) & (n - done - 1)) ? n - done
									     : chunk(pa, n - done);
		memcpy(&v, buf + done, s);
		bus_mem_write(c->bus, pa, v, s);
		mmio_trace(c, pa, v, s, true);
		done += s;
	}
}

/* #AC(0): CR0.AM = 1, EFLAGS.AC = 1, CPL 3 and a misaligned data access
 * (SDM Vol 3 §6.15 "Interrupt 17").  Checked after paging: a page fault
 * has priority over an alignment check (Vol 3 Table 6-2). */
static inline void check_align(struct cpu *c, u64 lin, unsigned size)
{
	if (unlikely(lin & (size - 1)) && (c->cr0 & CR0_AM) && (c->rflags & FL_AC) && c->cpl == 3)
		cpu_raise(c, EXC_AC, 0);
}

/*
 * Move `size` bytes between buf and linear address lin.  `acc` is the
 * access kind the paging check uses (a read-modify-write reads with
 * PG_WRITE), `store` whether bytes go to memory, `align` whether #AC applies.
 */
static void lin_access(struct cpu *c, u64 lin, u8 *buf, unsigned size, enum pg_access acc, bool sys,
		       bool store, bool align)
{
	unsigned first = 4096 - (lin & 0xfff);
	struct xl a, b;

	translate(c, lin, acc, sys, &a);
	/* Debugger watchpoints: only while some exist (c->watch_mem), when the
	 * fast paths below and in data_read/data_write are bypassed. */
	if (unlikely(c->watch_mem) && c->hooks.mem_watch)
		c->hooks.mem_watch(c->hooks.opaque, c, lin, a.pa, size, store);
	if (likely(size <= first)) {
		if (align)
			check_align(c, lin, size);
		if (store)
			xl_write(c, &a, buf, size);
		else
			xl_read(c, &a, buf, size);
		return;
	}
	/* Page-crossing: the second page must pass too before anything moves. */
	translate(c, lin_wrap(c, lin + first), acc, sys, &b);
	if (align)
		check_align(c, lin, size);
	if (store) {
		xl_write(c, &a, buf, first);
		xl_write(c, &b, buf + first, size - first);
	} else {
		xl_read(c, &a, buf, first);
		xl_read(c, &b, buf + first, size - first);
	}
}

/* The hot path of 1..8-byte data reads: a TLB hit inside one page. */
static inline u64 data_read(struct cpu *c, u64 lin, unsigned size, enum pg_access acc)
{
	u64 v = 0;
	if (likely((lin & 0xfff) + size <= 4096 && !c->watch_mem)) {
		struct tlb_entry *e =
		    tlb_lookup(c->tlb, lin, cur_pcid(c), PG_PERM(cur_class(c, false), acc));
		if (likely(e)) {
			check_align(c, lin, size);
			memcpy(&v, e->host + (lin & 0xfff), size);
			return v;
		}
	}
	lin_access(c, lin, (u8 *)&v, size, acc, false, false, true);
	return v;
}

static inline void data_write(struct cpu *c, u64 lin, unsigned size, u64 v)
{
	if (likely((lin & 0xfff) + size <= 4096 && !c->watch_mem)) {
		struct tlb_entry *e =
		    tlb_lookup(c->tlb, lin, cur_pcid(c), PG_PERM(cur_class(c, false), PG_WRITE));
		if (likely(e)) {
			check_align(c, lin, size);
			memcpy(e->host + (lin & 0xfff), &v, size);
			return;
		}
	}
	lin_access(c, lin, (u8 *)&v, size, PG_WRITE, false, true, true);
}

/* ---- Segmentation ----------------------------------------------------- */

static inline bool canonical(u64 lin)
{
	return (u64)((s64)(lin << 16) >> 16) == lin; /* shift unsigned: no UB */
}

/*
 * Logical -> linear (SDM Vol 3 §3.4, §5.3, §5.4).  `off` is the effective
 * address already truncated to the address size by the caller.
 */
u64 cpu_linear(struct cpu *c, enum sreg s, u64 off, unsigned size, enum mem_access acc)
{
	const struct segment *sg = &c->seg[s];
	int vec = s == SEG_SS ? EXC_SS : EXC_GP;
	u64 last = off + size - 1;
	unsigned type = sg->attr & SEGA_TYPE;

	/* 64-bit mode: no limits, no types; CS/DS/ES/SS bases are 0, FS and GS
	 * keep theirs.  The address must be canonical (Vol 1 §3.3.7.1): #GP(0),
	 * or #SS(0) for a stack reference. */
	if (c->mode == CPU_MODE_LONG64) {
		u64 lin = off + ((s == SEG_FS || s == SEG_GS) ? sg->base : 0);
		if (!canonical(lin) || !canonical(lin + size - 1))
			cpu_raise(c, vec, 0);
		return lin;
	}

	/* Real and virtual-8086 mode: base + offset, the cached limit (64 KiB
	 * unless "unreal" mode left a bigger one), no type checks. */
	if (c->mode == CPU_MODE_REAL || c->mode == CPU_MODE_VM86) {
		if (last > sg->limit)
			cpu_raise(c, vec, 0);
		return (sg->base + off) & 0xffffffff;
	}

	/* Protected and compatibility mode.  A null selector leaves the
	 * register unusable: any reference through it is #GP(0). */
	if (sg->attr & SEGA_UNUSABLE)
		cpu_raise(c, EXC_GP, 0);

	/* Type checks (§5.4.1): code segments are never writable and readable
	 * only with the R bit; data segments are writable only with W. */
	if (type & 8) {
		if (acc == ACC_WRITE || (acc == ACC_READ && !(type & 2)))
			cpu_raise(c, vec, 0);
	} else if (acc == ACC_WRITE && !(type & 2)) {
		cpu_raise(c, vec, 0);
	}

	/* Limit checks (§5.3).  Expand-down data segments hold the offsets
	 * ABOVE the limit, up to 0xFFFF or 0xFFFFFFFF by the B flag. */
	if (!(type & 8) && (type & 4)) {
		u64 upper = (sg->attr & SEGA_DB) ? 0xffffffff : 0xffff;
		if (off <= sg->limit || last > upper)
			cpu_raise(c, vec, 0);
	} else if (last > sg->limit) {
		cpu_raise(c, vec, 0);
	}
	return (sg->base + off) & 0xffffffff;
}

/* ---- The public accessors --------------------------------------------- */

u64 cpu_read(struct cpu *c, enum sreg s, u64 off, unsigned size)
{
	return data_read(c, cpu_linear(c, s, off, size, ACC_READ), size, PG_READ);
}

u64 cpu_rmw_read(struct cpu *c, enum sreg s, u64 off, unsigned size)
{
	/* Both checks as a write: the fault a locked RMW reports is a write
	 * fault, and the walk sets D now so the write-back cannot fault. */
	return data_read(c, cpu_linear(c, s, off, size, ACC_WRITE), size, PG_WRITE);
}

void cpu_write(struct cpu *c, enum sreg s, u64 off, unsigned size, u64 v)
{
	data_write(c, cpu_linear(c, s, off, size, ACC_WRITE), size, v);
}

void cpu_read16(struct cpu *c, enum sreg s, u64 off, u64 v[2])
{
	u64 lin = cpu_linear(c, s, off, 16, ACC_READ);
	lin_access(c, lin, (u8 *)v, 16, PG_READ, false, false, true);
}

void cpu_rmw_read16(struct cpu *c, enum sreg s, u64 off, u64 v[2])
{
	u64 lin = cpu_linear(c, s, off, 16, ACC_WRITE);
	lin_access(c, lin, (u8 *)v, 16, PG_WRITE, false, false, true);
}

void cpu_write16(struct cpu *c, enum sreg s, u64 off, const u64 v[2])
{
	u64 lin = cpu_linear(c, s, off, 16, ACC_WRITE);
	u64 tmp[2] = {v[0], v[1]};
	lin_access(c, lin, (u8 *)tmp, 16, PG_WRITE, false, true, true);
}

u64 cpu_read_lin(struct cpu *c, u64 lin, unsigned size, bool sys)
{
	u64 v = 0;
	lin_access(c, lin_wrap(c, lin), (u8 *)&v, size, PG_READ, sys, false, false);
	return v;
}

void cpu_write_lin(struct cpu *c, u64 lin, unsigned size, u64 v, bool sys)
{
	lin_access(c, lin_wrap(c, lin), (u8 *)&v, size, PG_WRITE, sys, true, false);
}

unsigned cpu_fetch_page(struct cpu *c, u64 lin, u8 *buf, unsigned len)
{
	struct xl x;
	unsigned n;

	lin = lin_wrap(c, lin);
	n = 4096 - (lin & 0xfff);
	if (n > len)
		n = len;
	/* Execute access: XD and SMEP are checked by the rights of PG_FETCH. */
	translate(c, lin, PG_FETCH, false, &x);
	xl_read(c, &x, buf, n);
	return n;
}

/*
 * The block cache's view of code fetches (cpu/block.c).  cpu_fetch_host
 * translates like the fetch of an instruction's first byte (raising #PF)
 * and returns the host address of that byte, or NULL when the code is not
 * in RAM/ROM.  cpu_fetch_probe only looks in the TLB: no walk, no fault, no
 * side effect; false when the fetch translation is not cached.
 */
u8 *cpu_fetch_host(struct cpu *c, u64 lin, u64 *pa)
{
	struct xl x;

	lin = lin_wrap(c, lin);
	translate(c, lin, PG_FETCH, false, &x);
	*pa = x.pa;
	return x.host;
}

bool cpu_fetch_probe(struct cpu *c, u64 lin, u64 *pa, u8 **host)
{
	struct tlb_entry *e;

	lin = lin_wrap(c, lin);
	e = tlb_lookup(c->tlb, lin, cur_pcid(c), PG_PERM(cur_class(c, false), PG_FETCH));
	if (!e)
		return false;
	*pa = e->pa | (lin & 0xfff);
	*host = e->host + (lin & 0xfff);
	return true;
}

/*
 * PUSH: decrement the stack pointer by the operand size, within the stack
 * address size (SS.B, or 64 bits): SP wraps inside 64 KiB, ESP inside 4 GiB
 * (SDM Vol 1 §6.2.3).  The store happens before RSP changes, so a fault
 * leaves RSP as it was.
 */
void cpu_push(struct cpu *c, unsigned size, u64 v)
{
	u64 mask = mask_of(c->stack_size);
	u64 sp = (c->gpr[RSP] - size) & mask;

	data_write(c, cpu_linear(c, SEG_SS, sp, size, ACC_WRITE), size, v);
	c->gpr[RSP] = c->stack_size == 2 ? (c->gpr[RSP] & ~mask) | sp : sp;
}

u64 cpu_pop(struct cpu *c, unsigned size)
{
	u64 mask = mask_of(c->stack_size);
	u64 sp = c->gpr[RSP] & mask;
	u64 v = data_read(c, cpu_linear(c, SEG_SS, sp, size, ACC_READ), size, PG_READ);

	sp = (sp + size) & mask;
	c->gpr[RSP] = c->stack_size == 2 ? (c->gpr[RSP] & ~mask) | sp : sp;
	return v;
}

/* ---- Debugger views ---------------------------------------------------- */

bool cpu_debug_walk(struct cpu *c, u64 lin, struct pg_walk *w)
{
	struct pg_mem m;
	struct pg_ctx ctx;

	ctx_init(c, &ctx, &m);
	return mmu_walk(&ctx, lin_wrap(c, lin), PG_READ, PG_DEBUG, w) == PG_WALK_OK;
}

bool cpu_debug_translate(struct cpu *c, u64 lin, u64 *pa)
{
	struct pg_walk w;
	if (!cpu_debug_walk(c, lin, &w))
		return false;
	*pa = w.pa;
	return true;
}

bool cpu_pae_pdptes_valid(struct cpu *c, u64 cr3)
{
	struct pg_mem m;
	struct pg_ctx ctx;

	ctx_init(c, &ctx, &m);
	return mmu_pae_pdptes_ok(&ctx, cr3);
}

/* ---- Port I/O ---------------------------------------------------------- */

u64 cpu_port_in(struct cpu *c, u16 port, unsigned size)
{
	u64 v;

	/* A device may change the interrupt line on any access: no further
	 * block runs before the boundary checks (cpu/block.h). */
	block_request_exit(c);
	v = bus_pio_read(c->bus, port, size);
	trace_emit(c->trace, TRACE_IO, c->index, c->insn_rip, port, v, size, 0, NULL);
	return v;
}

void cpu_port_out(struct cpu *c, u16 port, unsigned size, u64 v)
{
	block_request_exit(c);
	trace_emit(c->trace, TRACE_IO, c->index, c->insn_rip, port, v, size, 1, NULL);
	bus_pio_write(c->bus, port, v, size);
}

/* ---- TLB coherence (rules in mmu/tlb.h) -------------------------------- */

/* The block cache's write watch: pages `fn` names never get fast-path write
 * rights, and cpu_tlb_protect_phys takes them from entries filled earlier. */
void cpu_tlb_watch_writes(struct cpu *c, bool (*fn)(void *opaque, u64 pa), void *opaque)
{
	if (!c->tlb)
		return;
	c->tlb->write_watched = fn;
	c->tlb->watch_opaque = opaque;
}

void cpu_tlb_protect_phys(struct cpu *c, u64 pa)
{
	tlb_protect_phys(c->tlb, pa);
}

static void flushed(struct cpu *c, enum tlb_flush_kind k, u64 addr)
{
	block_xlat_changed(c); /* chain links assumed the old translations */
	trace_emit(c->trace, TRACE_TLB, c->index, c->insn_rip, k, addr, 0, 0, NULL);
}

void cpu_tlb_flush(struct cpu *c, bool include_global)
{
	if (!c->tlb)
		return;
	if (include_global)
		tlb_flush_all(c->tlb);
	else
		tlb_flush_nonglobal(c->tlb);
	flushed(c, include_global ? TLB_FLUSH_ALL : TLB_FLUSH_NONGLOBAL, 0);
}

void cpu_tlb_flush_page(struct cpu *c, u64 lin)
{
	lin = lin_wrap(c, lin);
	tlb_flush_page(c->tlb, lin, cur_pcid(c));
	flushed(c, TLB_FLUSH_PAGE, lin);
}

void cpu_tlb_mov_cr0(struct cpu *c, u64 old_cr0)
{
	if ((old_cr0 ^ c->cr0) & (CR0_PG | CR0_WP | CR0_PE))
		cpu_tlb_flush(c, true);
}

void cpu_tlb_mov_cr3(struct cpu *c, u64 value)
{
	/* SDM Vol 3 §4.10.4.1: without PCIDs every non-global entry goes; with
	 * PCIDs only the new PCID's, and none when bit 63 asks to keep them. */
	if (!(c->cr4 & CR4_PCIDE)) {
		cpu_tlb_flush(c, false);
	} else if (!(value & BIT(63))) {
		tlb_flush_pcid(c->tlb, value & 0xfff);
		flushed(c, TLB_FLUSH_PCID, value & 0xfff);
	}
}

void cpu_tlb_mov_cr4(struct cpu *c, u64 old_cr4)
{
	u64 bits = CR4_PGE | CR4_PAE | CR4_PSE | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_LA57;
	if ((old_cr4 ^ c->cr4) & bits)
		cpu_tlb_flush(c, true);
}

void cpu_tlb_wrmsr_efer(struct cpu *c, u64 old_efer)
{
	if ((old_efer ^ c->efer) & (EFER_NXE | EFER_LME | EFER_LMA))
		cpu_tlb_flush(c, true);
}

/* INVPCID (SDM Vol 2): 0 one address of one PCID, 1 one PCID, 2 everything,
 * 3 everything but global entries. */
void cpu_tlb_invpcid(struct cpu *c, unsigned type, u16 pcid, u64 lin)
{
	switch (type) {
	case 0:
		tlb_flush_page_pcid(c->tlb, lin, pcid);
		flushed(c, TLB_FLUSH_PAGE_PCID, lin);
		break;
	case 1:
		tlb_flush_pcid(c->tlb, pcid);
		flushed(c, TLB_FLUSH_PCID, pcid);
		break;
	case 2: cpu_tlb_flush(c, true); break;
	case 3: cpu_tlb_flush(c, false); break;
	default: panic("cpu%d: INVPCID type %u reached the TLB", c->index, type);
	}
}
