/*
 * block.c - the basic-block cache's storage (DESIGN.md §2; the rules are in
 * block.h; building blocks is in block_build.c, running them in
 * block_run.c).
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
#include <stdlib.h>
#include <string.h>

#include "cpu/block_int.h"
#include "devices/bus.h"
#include "lib/err.h"

struct code_page {
	u64 ppn;
	struct block *blocks; /* linked through pnext[0] or pnext[1] */
	struct code_page *next;
};

static inline unsigned page_hash(u64 ppn)
{
	return (unsigned)((ppn * 0x9e3779b97f4a7c15ULL) >> (64 - PAGE_HASH_BITS));
}

/* Which of b's two page links belongs to physical page ppn. */
static inline int link_of(const struct block *b, u64 ppn)
{
	return (b->pa >> 12) == ppn ? 0 : 1;
}

void *block_arena_alloc(struct block_cache *bc, size_t n)
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
	memset(bc->ibtc, 0, sizeof(*bc->ibtc) << IBTC_BITS);
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
bool block_page_add(struct block_cache *bc, u64 ppn, struct block *b)
{
	struct code_page *p = page_find(bc, ppn);
	int k = link_of(b, ppn);

	if (!p) {
		p = block_arena_alloc(bc, sizeof(*p));
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
			b->fast = false;
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
		bc->ibtc = xcalloc(1u << IBTC_BITS, sizeof(*bc->ibtc));
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
	free(bc->ibtc);
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
