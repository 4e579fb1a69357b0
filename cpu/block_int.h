/*
 * block_int.h - what the files of the basic-block cache share and nobody
 * else sees: the block itself, the code-page list, the indirect-branch
 * target cache, and the small inline helpers of lookup and chaining
 * (the rules are in cpu/block.h).
 *
 *   block.c        the cache: arena, hash tables, code pages, invalidation
 *   block_build.c  decoding a block
 *   block_run.c    finding, chaining and running blocks
 */
#ifndef VMLAB_CPU_BLOCK_INT_H
#define VMLAB_CPU_BLOCK_INT_H

#include "cpu/block.h"
#include "cpu/exec_fast.h"
#include "cpu/mem.h"

struct block {
	u64 pa;			/* physical address of the first byte */
	u64 pa2;		/* physical page of the last instruction's tail, or ~0 */
	u32 key;		/* block_mode_key() at decode time */
	u16 n;			/* instructions */
	u16 bytes;		/* total length */
	bool valid;		/* false once invalidated (kept until the next flush) */
	bool chain_ok;		/* ends with a plain (innocuous) instruction: the
				   next block may follow without a boundary check */
	bool simple;		/* 64-bit code, no straddling tail: runnable_here()
				   is always true */
	bool fast;		/* valid && simple: a chain may enter it unchecked */
	struct block *hnext;	/* hash chain */
	struct block *pnext[2]; /* per-page lists: first page, second page */
	/* Direct chaining: the last two successors, by linear RIP and context
	 * (the translation generation -- a TLB flush makes them stale --, the
	 * CPL and the mode key: chain_ctx()). */
	struct {
		u64 lin;
		u64 ctx;
		struct block *b;
	} next[2];
	u8 next_victim;
	struct binsn insn[]; /* n of them, then the terminator */
};

/*
 * The indirect-branch target cache: a direct-mapped table (linear RIP,
 * context) -> block, filled by every successful lookup.  A RET, or a JMP or
 * CALL through a table, has more successors than a block's two links hold
 * (fib's RET returns to two places, a dispatch table to four); they all
 * find their block here without translating RIP or hashing its physical
 * address.  The context makes entries of an older translation generation
 * miss; an invalidated block is recognised by its valid flag; a flush
 * clears the table (the blocks it points to are gone).
 */
struct ibtc_entry {
	u64 lin;
	u64 ctx;
	struct block *b;
};

#define HASH_BITS      14
#define PAGE_HASH_BITS 12
#define IBTC_BITS      10
#define ARENA_SIZE     (8u << 20) /* touched lazily: costs only what is used */

static inline unsigned hash_of(u64 pa, u32 key)
{
	u64 h = (pa ^ ((u64)key << 40)) * 0x9e3779b97f4a7c15ULL;
	return (unsigned)(h >> (64 - HASH_BITS));
}

static inline struct ibtc_entry *ibtc_slot(struct block_cache *bc, u64 lin)
{
	return &bc->ibtc[(lin ^ (lin >> IBTC_BITS)) & ((1u << IBTC_BITS) - 1)];
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

/* block.c */
void *block_arena_alloc(struct block_cache *bc, size_t n);
bool block_page_add(struct block_cache *bc, u64 ppn, struct block *b);

/* block_build.c: decode and insert the block at linear lin = physical pa
 * (host points at its byte), or NULL (nothing decodable there, or the
 * cache was flushed to make room and the block did not survive it). */
struct block *block_build(struct cpu *c, struct block_cache *bc, u64 lin, u64 pa, const u8 *host,
			  u32 key);

/* block_run.c: the terminator of a block that may chain. */
void block_thr_chain(struct cpu *c, const struct binsn *bi, u64 rip);

#endif
