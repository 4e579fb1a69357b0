/*
 * block.h - the basic-block cache: pre-decoded straight-line runs of guest
 * code, keyed by physical address and CPU mode (DESIGN.md §2 "Block cache").
 *
 * The interpreter's cost per instruction is dominated by fetching and
 * decoding it again every time it runs.  A basic block is decoded once: a
 * run of instructions that starts at some physical address and ends with
 * the first instruction that may change RIP other than to the next
 * instruction (F_BRANCH), or changes the state that decoding and
 * translation depend on (F_SERIAL), or talks to a device (port I/O), or is
 * a REP string instruction (which may leave RIP at itself).  Executing it
 * is then a loop of handler calls.
 *
 * Correctness rules (the reference is cpu_step(), one instruction at a time):
 *   - key = (physical address of the first byte, mode | code size): the same
 *     bytes decode differently in 16-, 32- and 64-bit code;
 *   - a write to a physical page holding blocks goes through the bus (the
 *     soft TLB never gives such pages fast write bits: tlb->write_watched),
 *     and bus->ram_written invalidates every block overlapping the written
 *     bytes -- self-modifying code, code loading and device DMA alike;
 *   - a block may end with one instruction that straddles into the next
 *     page; its second physical page is recorded and checked on entry;
 *   - events (interrupts, breakpoints, the instruction budget) are checked
 *     between blocks; a block never runs past the budget, and anything that
 *     may make an interrupt deliverable in the middle of a block (an MMIO
 *     access, a TLB flush, invalidated code) sets bc->exit, which stops the
 *     block after the current instruction;
 *   - blocks chain: a block that ends with a plain instruction jumps
 *     straight into its successor (a direct link, or the indirect-branch
 *     target cache for RET / JMP r/m / CALL r/m) when no boundary check
 *     could have changed its answer (cpu/block_run.c says why).
 *
 * Files: block.c (the cache: arena, hashes, code pages, invalidation),
 * block_build.c (decoding a block), block_run.c (finding, chaining and
 * running blocks), block_int.h (what they share).
 *
 * One cache serves every CPU of a machine (they share the bus and its
 * ram_written hook, and the emulator runs them one at a time).
 */
#ifndef VMLAB_CPU_BLOCK_H
#define VMLAB_CPU_BLOCK_H

#include "cpu/cpu.h"

#define BLOCK_MAX_INSNS 48

struct block; /* private: cpu/block_int.h */
struct binsn; /* cpu/exec_fast.h */

struct block_stats {
	u64 built;	 /* blocks decoded */
	u64 runs;	 /* blocks executed */
	u64 insns;	 /* instructions executed from blocks */
	u64 chained;	 /* successor found through a chain link (no lookup) */
	u64 ibtc_hits;	 /* successor found in the indirect-branch target cache
			    (included in chained when the chain step found it) */
	u64 lookups;	 /* hash lookups */
	u64 invalidated; /* blocks thrown away because their bytes were written */
	u64 flushes;	 /* whole-cache flushes (arena full, or asked) */
	u64 fallbacks;	 /* instructions run by cpu_step instead of a block */
	u64 code_pages;	 /* physical pages currently holding blocks */
};

struct block_cache;

/* The cache of `c`'s machine: created by the first CPU on a bus and shared
 * by the others; installs bus->ram_written and c->tlb->write_watched. */
void block_cache_attach(struct cpu *c);
void block_cache_detach(struct cpu *c);
/* Throw every block away (the monitor's `flush`, or a full arena). */
void block_cache_flush(struct block_cache *bc);
const struct block_stats *block_cache_stats(const struct block_cache *bc);

/* The mode bits a block's decode depends on. */
static inline u32 block_mode_key(const struct cpu *c)
{
	return ((u32)c->mode << 4) | c->code_size;
}

/*
 * The block to run at CS:RIP, or NULL when this instruction must go through
 * cpu_step (code not in RAM/ROM, a page-crossing instruction whose second
 * page is not in the TLB, an undecodable instruction, a CS limit ...).  May
 * raise #PF/#GP exactly as the first instruction's fetch would.
 */
struct block *block_find(struct cpu *c, struct block *prev);

/* Run b alone (no chaining): at most `budget` instructions of it, fewer
 * when bc->exit is set on the way.  Faults longjmp out of it like out of
 * any handler. */
void block_exec(struct cpu *c, struct block *b, u64 budget);

/* block_find + block_exec, repeated through the chain links while no
 * boundary check could change its answer (see block_run.c); at most
 * `budget` instructions.  False when there is no block at CS:RIP
 * (cpu_step). */
bool block_run(struct cpu *c, u64 budget);

/* Exit request: set by invalidation, MMIO and TLB flushes; the block loop
 * stops after the current instruction when it is set. */
void block_request_exit(struct cpu *c);

/* Translation generation: bumped on every TLB flush (chain links check it). */
void block_xlat_changed(struct cpu *c);

/* The cache's fields the run loop touches directly. */
struct block_cache {
	u8 exit; /* stop the running block after this instruction */
	u64 gen; /* translation generation */
	struct block_stats stats;
	/* the rest is private to block.c */
	struct block **hash;
	struct code_page **pages;
	u8 *arena;
	size_t arena_used, arena_size;
	struct cpu *cpus[8]; /* whose TLBs must protect code pages */
	int ncpus, users;
	struct bus *bus;
	void (*prev_ram_written)(void *opaque, u64 pa, u64 len);
	void *prev_ram_opaque;
	struct block *last; /* the block that ran last (for chaining); NULL after a flush */
	/* The threaded chain in flight (cpu/exec_fast.h, block_run.c). */
	u64 stop_at;		 /* c->stats.insns at which the budget is spent */
	u64 synced;		 /* c->stats.insns at the last exec_thr_sync */
	unsigned depth;		 /* blocks it may still chain into (host stack) */
	unsigned depth_synced;	 /* depth at the last exec_thr_sync */
	u64 ctx;		 /* chain context: constant while it runs */
	u64 lin_base, lin_mask;	 /* linear RIP = (RIP + lin_base) & lin_mask */
	struct ibtc_entry *ibtc; /* indirect-branch target cache */
};

#endif
