/*
 * exec_fast.h - specialised handlers for the hottest forms and the threaded
 * dispatch of pre-decoded blocks, used by the block cache only
 * (cpu/exec_fast.c says how they stay exact: anything unusual goes to the
 * form's generic handler, untouched).
 */
#ifndef VMLAB_CPU_EXEC_FAST_H
#define VMLAB_CPU_EXEC_FAST_H

#include "cpu/block.h"
#include "cpu/insn.h"
#include "cpu/mem.h"

struct binsn;

/*
 * Threaded code: the routine of one pre-decoded instruction executes it and
 * then jumps (a tail call) straight into the routine of the next
 * instruction of the block, so the dispatch is one indirect jump per
 * instruction from a different place each time, which the branch predictor
 * learns per instruction, instead of one shared call site.  The block's
 * last entry is a terminator: exec_thr_stop returns; block_thr_chain
 * (cpu/block_run.c) jumps on into the next block when it may.
 *
 * Two things stay in host registers while a chain runs, not in struct cpu
 * (issue 9, fourth pass: each was a store followed by a load of the same
 * word in the next routine, a store-forwarding round trip of ~5 cycles on
 * the critical path of every instruction):
 *   - RIP: passed as `rip`, the address of bi's instruction; c->rip is
 *     written only when something may look at it (a generic handler, the
 *     terminator).  It is not masked to the code size on the way (issue 9,
 *     third round): no instruction inside a block wraps around 64 Ki or
 *     4 Gi (runnable_here() checks the block's last byte), so only the
 *     fall-through of the block's last instruction may need the wrap, and
 *     the chaining terminator applies it (the other one follows a generic
 *     routine, whose RIP is exact); a branch's routine masks its own
 *     target (the fast ones are 64-bit only);
 *   - the retired-instruction count: nothing counts per instruction.  A
 *     block's instructions are counted in c->stats.insns all at once when
 *     it is entered ("pre-counted", issue 9 second round: one add per
 *     block instead of three counters per block); a generic routine takes
 *     back the ones not yet run (binsn.left) before it calls its handler,
 *     which may read the count through virtual time or fault, so the count
 *     is exact whenever anything can see it.  The machine's virtual-time
 *     counter and the block statistics follow c->stats.insns at those
 *     moments only (exec_thr_sync).
 */
typedef void binsn_fn(struct cpu *c, const struct binsn *bi, u64 rip);

/* One pre-decoded instruction of a block (cpu/block_build.c). */
struct binsn {
	binsn_fn *run;	       /* threaded routine (see above) */
	insn_handler *handler; /* one-call handler: the fast one, or the row's */
	u64 mask;	       /* RIP mask of the code size (RIP wraps at 64 Ki / 4 Gi) */
	struct block *blk;     /* the block this entry belongs to */
	u16 left;	       /* instructions from this one to the block's end */
	bool gated;	       /* the form has a CPUID feature to check at run time */
	bool self;	       /* a relative JMP/Jcc back to its own block's start:
				  a self-loop (exec_fast_body.h thr_loop) */
	struct insn i;
};

/* The fast handler for decoded instruction i in code of size code_size
 * (2, 4, 8), or NULL when the form has none. */
insn_handler *exec_fast_handler(const struct insn *i, unsigned code_size);

/* The threaded routine for i: a specialised one for the hottest forms, else
 * one that calls the row's handler (with the CPUID gate when `gated`). */
binsn_fn *exec_fast_threaded(const struct insn *i, unsigned code_size, bool gated);

/* The routines that depend on the rest of the block (a self-loop, a fused
 * CMP/TEST + Jcc), for its decoded entries tmp[0..n-1] (cpu/exec_fast.c). */
void exec_fast_block_end(struct binsn *tmp, unsigned n, unsigned bytes, unsigned code_size,
			 bool plain);

/* The routine of a CMP/TEST followed by the Jcc (64-bit code) that ends the
 * block: the pair in one step (cpu/exec_fast_fuse.c), or NULL. */
binsn_fn *exec_fast_fused(const struct insn *cmp, const struct insn *jcc);

/* The routine of JMP rel in 64-bit code that jumps back to its own block's
 * start (binsn.self). */
extern binsn_fn exec_thr_jmp_self;

/* The terminator that ends a block's array of entries and returns. */
void exec_thr_stop(struct cpu *c, const struct binsn *bi, u64 rip);

/*
 * Bring the counters that follow c->stats.insns up to date: the machine's
 * virtual-time count (*c->retired) and the block statistics (instructions,
 * and the blocks the chain entered since the last sync: runs and chained),
 * and note blk as the block that ran last (block_run, chaining).  Called
 * where the chain stops and before every generic handler, with
 * c->stats.insns exact.
 */
static inline void exec_thr_sync(struct cpu *c, struct block *blk)
{
	struct block_cache *bc = c->bc;
	u64 n = c->stats.insns - bc->synced;
	unsigned steps = bc->depth_synced - bc->depth;

	bc->synced = c->stats.insns;
	bc->depth_synced = bc->depth;
	if (c->retired)
		*c->retired += n;
	bc->stats.insns += n;
	bc->stats.runs += steps;
	bc->stats.chained += steps;
	bc->last = blk;
}

/* Run the threaded chain that starts at bi, the first instruction of a
 * block, with RIP at bi's instruction (c->rip) and RFLAGS.RF clear, through
 * at most `depth` blocks and until c->stats.insns reaches `stop_at`; c->rip
 * and the counters are up to date when it returns.  The caller has checked
 * that bi's block fits the budget. */
static inline void exec_thr_start(struct cpu *c, const struct binsn *bi, u64 stop_at,
				  unsigned depth)
{
	struct block_cache *bc = c->bc;

	bc->stop_at = stop_at;
	bc->depth = bc->depth_synced = depth;
	bc->synced = c->stats.insns;
	mem_chain_ctx(c);	    /* the memory fast path's constants (cpu/mem.h) */
	c->stats.insns += bi->left; /* pre-counted (see above) */
	bi->run(c, bi, c->rip);
}

/* The same for one block (the unit tests). */
static inline void exec_thr_run(struct cpu *c, const struct binsn *bi)
{
	exec_thr_start(c, bi, ~0ULL, 1);
}

#endif
