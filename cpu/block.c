/*
 * block.c - the basic-block cache (DESIGN.md §2; the rules are in block.h).
 *
 * Data structures, all owned by one struct block_cache per machine:
 *   - an arena: blocks are carved from one big allocation and never freed
 *     one by one; when it is full, everything is thrown away at once (the
 *     classic "flush when full" policy -- simple, and no dangling chain
 *     links can survive it);
 *   - a hash table (physical address, mode key) -> block;
 *   - a hash table of code pages: physical page -> the blocks whose bytes
 *     lie in it.  A page is a code page while it has at least one live
 *     block; the soft TLB asks block_page_watched() before it hands out
 *     fast-path write rights, so every write to a code page reaches the bus
 *     and, through bus->ram_written, block_ram_written() below.
 *
 * Self-modifying code (SDM Vol 3 §11.6): the processor must notice a write
 * to code it is about to execute.  Here the write invalidates every block
 * overlapping the written bytes and sets bc->exit, so even the block that
 * wrote into itself stops after the writing instruction and its tail is
 * decoded afresh.
 */
#include "cpu/block.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/exec_fast.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "devices/bus.h"
#include "lib/err.h"

/* One pre-decoded instruction (struct binsn) is in cpu/exec_fast.h: the
 * handler and the threaded routine found once, and the decode. */

struct block {
	u64 pa;			/* physical address of the first byte */
	u64 pa2;		/* physical page of the last instruction's tail, or ~0 */
	u32 key;		/* block_mode_key() at decode time */
	u16 n;			/* instructions */
	u16 bytes;		/* total length */
	bool valid;		/* false once invalidated (kept until the next flush) */
	bool chain_ok;		/* ends with a plain (innocuous) instruction: the
				   next block may follow without a boundary check */
	struct block *hnext;	/* hash chain */
	struct block *pnext[2]; /* per-page lists: first page, second page */
	/* Chaining: the last two successors, by linear RIP and context (the
	 * translation generation -- a TLB flush makes them stale --, the CPL
	 * and the mode key: chain_ctx()). */
	struct {
		u64 lin;
		u64 ctx;
		struct block *b;
	} next[2];
	u8 next_victim;
	struct binsn insn[]; /* n of them, then the terminator (exec_thr_stop) */
};

#define HASH_BITS      14
#define PAGE_HASH_BITS 12
#define ARENA_SIZE     (8u << 20) /* touched lazily: costs only what is used */

struct code_page {
	u64 ppn;
	struct block *blocks; /* linked through pnext[0] or pnext[1] */
	struct code_page *next;
};

static inline unsigned hash_of(u64 pa, u32 key)
{
	u64 h = (pa ^ ((u64)key << 40)) * 0x9e3779b97f4a7c15ULL;
	return (unsigned)(h >> (64 - HASH_BITS));
}

static inline unsigned page_hash(u64 ppn)
{
	return (unsigned)((ppn * 0x9e3779b97f4a7c15ULL) >> (64 - PAGE_HASH_BITS));
}

/* Which of b's two page links belongs to physical page ppn. */
static inline int link_of(const struct block *b, u64 ppn)
{
	return (b->pa >> 12) == ppn ? 0 : 1;
}

static void *arena_alloc(struct block_cache *bc, size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (bc->arena_used + n > bc->arena_size)
		return NULL;
	p = bc->arena + bc->arena_used;
	bc->arena_used += n;
	return p;
}

void block_cache_flush(struct block_cache *bc)
{
	memset(bc->hash, 0, sizeof(*bc->hash) << HASH_BITS);
	memset(bc->pages, 0, sizeof(*bc->pages) << PAGE_HASH_BITS);
	bc->arena_used = 0;
	bc->stats.code_pages = 0;
	bc->stats.flushes++;
	bc->last = NULL;
	bc->exit = 1;
	bc->gen++;
}

const struct block_stats *block_cache_stats(const struct block_cache *bc)
{
	return &bc->stats;
}

static struct code_page *page_find(struct block_cache *bc, u64 ppn)
{
	for (struct code_page *p = bc->pages[page_hash(ppn)]; p; p = p->next)
		if (p->ppn == ppn)
			return p;
	return NULL;
}

/* tlb->write_watched: must writes to physical page pa reach the bus? */
static bool block_page_watched(void *opaque, u64 pa)
{
	struct block_cache *bc = opaque;
	return bc->stats.code_pages && page_find(bc, pa >> 12);
}

/* Put b on the list of physical page ppn, making it a code page if it was
 * not one: from now on no TLB may write to it on the fast path. */
static bool page_add(struct block_cache *bc, u64 ppn, struct block *b)
{
	struct code_page *p = page_find(bc, ppn);
	int k = link_of(b, ppn);

	if (!p) {
		p = arena_alloc(bc, sizeof(*p));
		if (!p)
			return false;
		p->ppn = ppn;
		p->blocks = NULL;
		p->next = bc->pages[page_hash(ppn)];
		bc->pages[page_hash(ppn)] = p;
		bc->stats.code_pages++;
		for (int t = 0; t < bc->ncpus; t++)
			cpu_tlb_protect_phys(bc->cpus[t], ppn << 12);
	}
	b->pnext[k] = p->blocks;
	p->blocks = b;
	return true;
}

/* Do b's bytes overlap physical [pa, pa+len)? */
static bool overlaps(const struct block *b, u64 pa, u64 len)
{
	u64 end1 = b->pa + b->bytes, pend = (b->pa | 0xfff) + 1;

	if (end1 > pend) {
		u64 tail = end1 - pend;
		if (pa < b->pa2 + tail && b->pa2 < pa + len)
			return true;
		end1 = pend;
	}
	return pa < end1 && b->pa < pa + len;
}

static void unhash(struct block_cache *bc, struct block *b)
{
	struct block **pp = &bc->hash[hash_of(b->pa, b->key)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == b) {
			*pp = b->hnext;
			return;
		}
}

/* Invalidate the blocks of page ppn that overlap [pa, pa+len); drop the
 * page from the code pages when none is left. */
static void page_invalidate(struct block_cache *bc, u64 ppn, u64 pa, u64 len)
{
	struct code_page **pp = &bc->pages[page_hash(ppn)], *p;
	struct block **bp;

	while (*pp && (*pp)->ppn != ppn)
		pp = &(*pp)->next;
	if (!(p = *pp))
		return;
	for (bp = &p->blocks; *bp;) {
		struct block *b = *bp;
		int k = link_of(b, ppn);

		if (b->valid && overlaps(b, pa, len)) {
			b->valid = false;
			unhash(bc, b);
			bc->stats.invalidated++;
			bc->exit = 1;
		}
		if (!b->valid)
			*bp = b->pnext[k]; /* unlink the dead */
		else
			bp = &b->pnext[k];
	}
	if (!p->blocks) {
		*pp = p->next;
		bc->stats.code_pages--;
	}
}

/* bus->ram_written: RAM bytes changed behind the TLB's fast path. */
static void block_ram_written(void *opaque, u64 pa, u64 len)
{
	struct block_cache *bc = opaque;

	if (!bc->stats.code_pages || !len)
		goto chain;
	for (u64 ppn = pa >> 12; ppn <= (pa + len - 1) >> 12; ppn++)
		page_invalidate(bc, ppn, pa, len);
chain:
	if (bc->prev_ram_written)
		bc->prev_ram_written(bc->prev_ram_opaque, pa, len);
}

void block_cache_attach(struct cpu *c)
{
	struct block_cache *bc = NULL;
	struct bus *bus = c->bus;

	if (bus && bus->ram_written == block_ram_written) {
		bc = bus->ram_written_opaque;
	} else {
		bc = xcalloc(1, sizeof(*bc));
		bc->hash = xcalloc(1u << HASH_BITS, sizeof(*bc->hash));
		bc->pages = xcalloc(1u << PAGE_HASH_BITS, sizeof(*bc->pages));
		bc->arena_size = ARENA_SIZE;
		bc->arena = xcalloc(1, bc->arena_size); /* mmap'd by libc: lazily backed */
		bc->bus = bus;
		if (bus) {
			bc->prev_ram_written = bus->ram_written;
			bc->prev_ram_opaque = bus->ram_written_opaque;
			bus->ram_written = block_ram_written;
			bus->ram_written_opaque = bc;
		}
	}
	if (bc->ncpus < (int)ARRAY_SIZE(bc->cpus)) {
		bc->cpus[bc->ncpus++] = c;
		cpu_tlb_watch_writes(c, block_page_watched, bc);
	}
	bc->users++;
	c->bc = bc;
}

void block_cache_detach(struct cpu *c)
{
	struct block_cache *bc = c->bc;

	if (!bc)
		return;
	for (int t = 0; t < bc->ncpus; t++)
		if (bc->cpus[t] == c)
			bc->cpus[t] = bc->cpus[--bc->ncpus];
	cpu_tlb_watch_writes(c, NULL, NULL);
	c->bc = NULL;
	if (--bc->users > 0)
		return;
	if (bc->bus && bc->bus->ram_written == block_ram_written) {
		bc->bus->ram_written = bc->prev_ram_written;
		bc->bus->ram_written_opaque = bc->prev_ram_opaque;
	}
	free(bc->arena);
	free(bc->hash);
	free(bc->pages);
	free(bc);
}

void block_request_exit(struct cpu *c)
{
	if (c->bc)
		c->bc->exit = 1;
}

void block_xlat_changed(struct cpu *c)
{
	if (c->bc) {
		c->bc->gen++;
		c->bc->exit = 1;
	}
}

/* ---- building a block ---------------------------------------------------- */

/* Forms after which a block must end: anything that may branch, change the
 * mode, paging or interrupt state, touch a device, or repeat itself. */
static bool ends_block(const struct insn *i)
{
	const struct isa_form *f = &isa_forms[i->form];

	if (f->flags & (F_BRANCH | F_SERIAL))
		return true;
	if (f->pg != PG_INNOCUOUS) /* every sensitive form: CLI, IN/OUT, LMSW ... */
		return true;
	if ((f->flags & (F_REP | F_REPZ)) && i->rep)
		return true; /* may leave RIP at itself, one iteration at a time */
	return false;
}

/*
 * Decode the block at linear lin = physical pa (host points at its byte).
 * Decoding stops at a block-ending form, at the end of the page (an
 * instruction straddling into the next page is taken only when that page
 * is already in the TLB), at an undecodable instruction (cpu_step will
 * raise its #UD/#GP in order), or after BLOCK_MAX_INSNS.
 */
static struct block *build(struct cpu *c, struct block_cache *bc, u64 lin, u64 pa, const u8 *host,
			   u32 key)
{
	struct binsn tmp[BLOCK_MAX_INSNS + 1];
	unsigned avail = 4096 - (lin & 0xfff), pos = 0, n = 0;
	u64 pa2 = ~0ULL;
	int last_form = -1;
	struct block *b;
	size_t size;

	while (n < BLOCK_MAX_INSNS && pos < avail) {
		struct insn *i = &tmp[n].i;
		unsigned left = avail - pos;
		int len = isa_decode(i, host + pos, left < 15 ? left : 15, c->code_size);
		bool straddle = false;

		if (len == DECODE_SHORT && left < 15) {
			/* Continues on the next page: only if that page's fetch
			 * translation is already cached (no walk, no fault here). */
			u8 buf[15];
			u8 *h2;
			u64 l2 = (lin & ~0xfffULL) + 4096, p2;

			if (c->mode != CPU_MODE_LONG64)
				l2 &= 0xffffffff;
			if (!cpu_fetch_probe(c, l2, &p2, &h2))
				break;
			memcpy(buf, host + pos, left);
			memcpy(buf + left, h2, 15 - left);
			len = isa_decode(i, buf, 15, c->code_size);
			pa2 = p2 & ~0xfffULL;
			straddle = true;
		}
		if (len < 0)
			break;
		last_form = i->form;
		/* A specialised handler for the hottest forms (exec_fast.c). */
		tmp[n].handler = exec_fast_handler(i, c->code_size);
		if (!tmp[n].handler)
			tmp[n].handler = isa_forms[i->form].handler;
		tmp[n].gated = isa_forms[i->form].feature != BASE;
		tmp[n].run = exec_fast_threaded(i, c->code_size, tmp[n].gated);
		tmp[n].mask = mask_of(c->code_size);
		n++;
		pos += len;
		if (straddle || ends_block(i))
			break;
	}
	if (!n)
		return NULL;
	memset(&tmp[n], 0, sizeof(tmp[n]));
	tmp[n].run = exec_thr_stop;

	size = sizeof(*b) + (n + 1) * sizeof(struct binsn);
	b = arena_alloc(bc, size);
	if (!b) {
		block_cache_flush(bc); /* full: start over */
		b = arena_alloc(bc, size);
		if (!b)
			panic("block cache: a %zu-byte block does not fit the arena", size);
	}
	memset(b, 0, sizeof(*b));
	b->pa = pa;
	b->pa2 = pos > avail ? pa2 : ~0ULL;
	b->key = key;
	b->n = (u16)n;
	b->bytes = (u16)pos;
	b->valid = true;
	/* Sensitive and serializing forms (CLI/STI, POPF, MOV SS, port I/O,
	 * HLT, INT, SYSCALL, MOV CR ...) may change what the boundary checks
	 * of cpu_run() would find: after them, control goes back there. */
	b->chain_ok =
	    isa_forms[last_form].pg == PG_INNOCUOUS && !(isa_forms[last_form].flags & F_SERIAL);
	memcpy(b->insn, tmp, (n + 1) * sizeof(struct binsn));
	if (!page_add(bc, pa >> 12, b) || (b->pa2 != ~0ULL && !page_add(bc, b->pa2 >> 12, b))) {
		block_cache_flush(bc);
		return NULL;
	}
	b->hnext = bc->hash[hash_of(pa, key)];
	bc->hash[hash_of(pa, key)] = b;
	bc->stats.built++;
	return b;
}

/* ---- finding the block to run ------------------------------------------ */

/* Checks that depend on where the block runs now, not on its bytes. */
static inline bool runnable_here(struct cpu *c, const struct block *b, u64 lin)
{
	if (likely(b->pa2 == ~0ULL && c->mode == CPU_MODE_LONG64))
		return true; /* the common case, in one test */
	if (b->pa2 != ~0ULL) {
		/* The straddling tail must come from the same physical page. */
		u64 l2 = (lin & ~0xfffULL) + 4096, p2;
		u8 *h2;

		if (c->mode != CPU_MODE_LONG64)
			l2 &= 0xffffffff;
		if (!cpu_fetch_probe(c, l2, &p2, &h2) || (p2 & ~0xfffULL) != b->pa2)
			return false;
	}
	/* Outside 64-bit mode every instruction must lie within CS.limit and
	 * IP must not wrap inside the block (cpu_step raises #GP for that). */
	if (c->mode != CPU_MODE_LONG64) {
		u64 last = c->rip + b->bytes - 1;
		if (last > c->seg[SEG_CS].limit || last > mask_of(c->code_size))
			return false;
	}
	return true;
}

/* What a chain link's successor depends on besides the linear address:
 * the translation generation, the CPL and the mode key (the generation
 * counts up from 0 and stays far below 2^40). */
static inline u64 chain_ctx(const struct cpu *c, const struct block_cache *bc, u32 key)
{
	return bc->gen | ((u64)c->cpl << 40) | ((u64)key << 42);
}

/* The linear address of CS:RIP. */
static inline u64 code_lin(const struct cpu *c)
{
	u64 lin = c->seg[SEG_CS].base + c->rip;

	return c->mode != CPU_MODE_LONG64 ? lin & 0xffffffff : lin;
}

struct block *block_find(struct cpu *c, struct block *prev)
{
	struct block_cache *bc = c->bc;
	u64 lin = code_lin(c), pa, flushes;
	u32 key = block_mode_key(c);
	u64 ctx = chain_ctx(c, bc, key);
	struct block *b;
	u8 *host;

	/* 1. Chaining: the predecessor remembers where it went last time. */
	if (prev && prev->valid) {
		for (int k = 0; k < 2; k++) {
			b = prev->next[k].b;
			if (b && prev->next[k].lin == lin && prev->next[k].ctx == ctx && b->valid) {
				bc->stats.chained++;
				goto found;
			}
		}
	} else {
		prev = NULL;
	}

	/* 2. Translate RIP as the fetch would (this may raise #PF, exactly
	 * like the first instruction's fetch), then look the block up. */
	host = cpu_fetch_host(c, lin, &pa);
	if (!host)
		return NULL; /* code in MMIO: one instruction at a time */
	bc->stats.lookups++;
	for (b = bc->hash[hash_of(pa, key)]; b; b = b->hnext)
		if (b->pa == pa && b->key == key)
			break;
	if (!b) {
		flushes = bc->stats.flushes;
		b = build(c, bc, lin, pa, host, key);
		if (!b)
			return NULL;
		if (flushes != bc->stats.flushes)
			prev = NULL; /* the arena was reset under it */
	}
	if (prev) {
		int k = prev->next_victim;
		prev->next[k].lin = lin;
		prev->next[k].ctx = chain_ctx(c, bc, key); /* bc->gen may have moved */
		prev->next[k].b = b;
		prev->next_victim ^= 1;
	}
found:
	if (!runnable_here(c, b, lin))
		return NULL;
	return b;
}

/* ---- running a block ---------------------------------------------------- */

/*
 * The inner loop of the interpreter, in two versions.
 *
 * Threaded (the usual case): the whole block is one chain of tail calls,
 * each instruction's routine jumping into the next one's (exec_fast.h).
 * It needs the block to run to its end unless bc->exit stops it, so it is
 * used when the budget covers the whole block, and when RFLAGS.RF is clear
 * (RF is cleared when the first instruction completes, not before: a fault
 * of that instruction must still see it).
 *
 * The loop, for the rest: written with RIP in a local and the stores one
 * by one: GCC otherwise pairs c->rip/c->rflags and c->next_rip/c->insn_rip
 * into 16-byte vector stores, and the 8-byte loads of the next handler then
 * miss store forwarding (a measured 40% of the sieve benchmark's time on
 * AMD Zen), hence also the optimize attribute.
 */
#define HOT __attribute__((optimize("no-tree-slp-vectorize")))

static inline __attribute__((always_inline)) void exec_block(struct cpu *c, struct block *b,
							     u64 budget)
{
	struct block_cache *bc = c->bc;
	unsigned n = b->n < budget ? b->n : (unsigned)budget;
	u64 mask = mask_of(c->code_size), rip = c->rip;
	u64 *retired = c->retired;

	bc->exit = 0;
	bc->last = b;
	bc->stats.runs++;
	if (likely(n == b->n && !(c->rflags & FL_RF))) {
		u64 before = c->stats.insns;

		b->insn[0].run(c, &b->insn[0]);
		bc->stats.insns += c->stats.insns - before;
		return;
	}
	for (unsigned k = 0; k < n; k++) {
		const struct binsn *bi = &b->insn[k];

		/* cpu_step's steps 4 and 5, without 1-3: the events were checked
		 * before the block, the fetch and decode were done once. */
		c->insn_rip = rip;
		c->next_rip = (rip + bi->i.len) & mask;
		if (unlikely(bi->gated) && !cpu_has_feature(c, isa_forms[bi->i.form].feature))
			cpu_raise(c, EXC_UD, 0);
		bi->handler(c, &bi->i);
		rip = c->next_rip;
		c->rip = rip;
		/* RF is cleared when an instruction completes; nothing inside a
		 * block sets it again (POPF and IRET end their blocks). */
		if (unlikely(k == 0))
			c->rflags &= ~FL_RF;
		c->stats.insns++;
		if (retired)
			(*retired)++;
		if (unlikely(bc->exit)) {
			bc->stats.insns += k + 1;
			return;
		}
	}
	bc->stats.insns += n;
}

HOT void block_exec(struct cpu *c, struct block *b, u64 budget)
{
	exec_block(c, b, budget);
}

/*
 * Run blocks back to back: b, then its successor found through the chain
 * links, and so on, as long as nothing happened that the boundary checks
 * of cpu_run() must see.  Those checks (interrupts, the board's stop
 * request, breakpoints) can only change their answer through a device
 * access (MMIO, port I/O: they set bc->exit), a sensitive or serializing
 * instruction (it ends its block, and such a block is not chain_ok), a
 * fault (it longjmps out of here), or the slice's budget running out --
 * timers are deadlines that cpu_run's caller turns into budgets.  So
 * skipping them between chain_ok blocks changes nothing the guest can see,
 * and saves a hook call or two per block (the sieve's inner loop is a
 * 4-instruction block).
 */
HOT bool block_run(struct cpu *c, u64 budget)
{
	struct block_cache *bc = c->bc;
	struct block *b = block_find(c, bc->last);

	if (!b)
		return false;
	for (;;) {
		u64 before = c->stats.insns, done, lin, ctx;
		struct block *prev = b;

		exec_block(c, b, budget); /* block_exec, inline */
		done = c->stats.insns - before;
		if (bc->exit || !b->chain_ok || done >= budget)
			return true;
		if (c->intr_shadow || (c->rflags & FL_TF) || c->halted || c->hook_poll)
			return true; /* belt and braces: the reference loop decides */
		budget -= done;
		/* The chain links first (block_find's step 1, inline). */
		lin = code_lin(c);
		ctx = chain_ctx(c, bc, block_mode_key(c));
		b = prev->next[0].b;
		if (prev->next[0].lin == lin && prev->next[0].ctx == ctx && b && b->valid)
			goto chained;
		b = prev->next[1].b;
		if (prev->next[1].lin == lin && prev->next[1].ctx == ctx && b && b->valid)
			goto chained;
		b = block_find(c, prev);
		if (!b)
			return true; /* cpu_run looks again and falls back to a step */
		continue;
	chained:
		bc->stats.chained++;
		if (!runnable_here(c, b, lin))
			return true;
	}
}
