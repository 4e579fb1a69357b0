/*
 * exec_fast.h - specialised handlers for the hottest forms and the threaded
 * dispatch of pre-decoded blocks, used by the block cache only
 * (cpu/exec_fast.c says how they stay exact: anything unusual goes to the
 * form's generic handler, untouched).
 */
#ifndef VMLAB_CPU_EXEC_FAST_H
#define VMLAB_CPU_EXEC_FAST_H

#include "cpu/insn.h"

struct binsn;

/*
 * Threaded code: the routine of one pre-decoded instruction executes it,
 * commits RIP, retires it and then jumps (a tail call) straight into the
 * routine of the next instruction of the block, so the dispatch is one
 * indirect jump per instruction from a different place each time, which the
 * branch predictor learns per instruction, instead of one shared call site.
 * The block's last entry is a terminator (exec_thr_stop) that returns.
 */
typedef void binsn_fn(struct cpu *c, const struct binsn *bi);

/* One pre-decoded instruction of a block (cpu/block.c). */
struct binsn {
	binsn_fn *run;	       /* threaded routine (see above) */
	insn_handler *handler; /* one-call handler: the fast one, or the row's */
	u64 mask;	       /* RIP mask of the code size (RIP wraps at 64 Ki / 4 Gi) */
	bool gated;	       /* the form has a CPUID feature to check at run time */
	struct insn i;
};

/* The fast handler for decoded instruction i in code of size code_size
 * (2, 4, 8), or NULL when the form has none. */
insn_handler *exec_fast_handler(const struct insn *i, unsigned code_size);

/* The threaded routine for i: a specialised one for the hottest forms, else
 * one that calls the row's handler (with the CPUID gate when `gated`). */
binsn_fn *exec_fast_threaded(const struct insn *i, unsigned code_size, bool gated);

/* The terminator that ends every block's array of entries. */
void exec_thr_stop(struct cpu *c, const struct binsn *bi);

#endif
