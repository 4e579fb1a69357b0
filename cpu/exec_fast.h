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
 *     terminator);
 *   - the retired-instruction count: nothing counts per instruction; the
 *     instructions from bc->base up to the one about to run are added at
 *     once by exec_thr_retire(), before a generic handler (which may read
 *     the count through virtual time, or fault) and at the block's end.
 */
typedef void binsn_fn(struct cpu *c, const struct binsn *bi, u64 rip);

/* One pre-decoded instruction of a block (cpu/block_build.c). */
struct binsn {
	binsn_fn *run;	       /* threaded routine (see above) */
	insn_handler *handler; /* one-call handler: the fast one, or the row's */
	u64 mask;	       /* RIP mask of the code size (RIP wraps at 64 Ki / 4 Gi) */
	struct block *blk;     /* the block this entry belongs to */
	bool gated;	       /* the form has a CPUID feature to check at run time */
	struct insn i;
};

/* The fast handler for decoded instruction i in code of size code_size
 * (2, 4, 8), or NULL when the form has none. */
insn_handler *exec_fast_handler(const struct insn *i, unsigned code_size);

/* The threaded routine for i: a specialised one for the hottest forms, else
 * one that calls the row's handler (with the CPUID gate when `gated`). */
binsn_fn *exec_fast_threaded(const struct insn *i, unsigned code_size, bool gated);

/* The terminator that ends a block's array of entries and returns. */
void exec_thr_stop(struct cpu *c, const struct binsn *bi, u64 rip);

/*
 * Retire every instruction from c->bc->base up to (not including) bi: add
 * them to the CPU's count, the machine's virtual-time count and the block
 * statistics, and start counting again at bi.
 */
static inline void exec_thr_retire(struct cpu *c, const struct binsn *bi)
{
	struct block_cache *bc = c->bc;
	u64 n = (u64)(bi - bc->base);

	bc->base = bi;
	c->stats.insns += n;
	if (c->retired)
		*c->retired += n;
	bc->stats.insns += n;
}

/* Run the threaded chain that starts at bi, with RIP at bi's instruction
 * (c->rip) and RFLAGS.RF clear; c->rip is up to date when it returns. */
static inline void exec_thr_run(struct cpu *c, const struct binsn *bi)
{
	c->bc->base = bi;
	bi->run(c, bi, c->rip);
}

#endif
