/*
 * block_run.c - finding, chaining and running basic blocks (DESIGN.md §2
 * "Block cache"; the rules are in cpu/block.h).
 *
 * The way to a block, fastest first:
 *   1. a direct chain link: the block that ran last remembers its last two
 *      successors by linear RIP and context (chain_ctx: the translation
 *      generation, the CPL, the mode), so a loop or a straight line of
 *      blocks finds its successor with two compares;
 *   2. the indirect-branch target cache (block_int.h): RET, JMP r/m and
 *      CALL r/m, whose successors are too many for two links;
 *   3. the full lookup: translate RIP as the fetch would (this may raise
 *      #PF or #GP, exactly as the first instruction's fetch), hash the
 *      physical address and mode, and decode the block when it is new.
 * Steps 1 and 2 skip the translation.  They may: a link or an entry is
 * made under one translation generation and only used under the same one,
 * and the generation moves on every TLB flush, so the translation it
 * stands for is still one the TLB may use (SDM Vol 3 §4.10.4.1: a changed
 * paging entry needs an invalidation to be seen).
 */
#include "cpu/block_int.h"
#include "cpu/cpuid.h"
#include "cpu/flags.h"

struct block *block_find(struct cpu *c, struct block *prev)
{
	struct block_cache *bc = c->bc;
	u64 lin = code_lin(c), pa, flushes;
	u32 key = block_mode_key(c);
	u64 ctx = chain_ctx(c, bc, key);
	struct ibtc_entry *e;
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

	/* 2. The indirect-branch target cache. */
	e = ibtc_slot(bc, lin);
	if (e->lin == lin && e->ctx == ctx && e->b && e->b->valid) {
		b = e->b;
		bc->stats.ibtc_hits++;
		goto link;
	}

	/* 3. Translate RIP as the fetch would (this may raise #PF, exactly
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
		b = block_build(c, bc, lin, pa, host, key);
		if (!b)
			return NULL;
		if (flushes != bc->stats.flushes)
			prev = NULL; /* the arena was reset under it */
	}
	ctx = chain_ctx(c, bc, key); /* bc->gen may have moved */
	e->lin = lin;
	e->ctx = ctx;
	e->b = b;
link:
	if (prev) {
		int k = prev->next_victim;
		prev->next[k].lin = lin;
		prev->next[k].ctx = ctx;
		prev->next[k].b = b;
		prev->next_victim ^= 1;
	}
found:
	if (!runnable_here(c, b, lin))
		return NULL;
	return b;
}

/* ---- running blocks ----------------------------------------------------- */

/*
 * Two ways to run a block.
 *
 * Threaded (the usual case): the whole block is one chain of tail calls,
 * each instruction's routine jumping into the next one's (exec_fast.h),
 * and the block's terminator may jump on into the next block
 * (block_thr_chain below).  It needs the block to run to its end unless
 * bc->exit stops it, so it is used when the budget covers the whole block,
 * and when RFLAGS.RF is clear (RF is cleared when the first instruction
 * completes, not before: a fault of that instruction must still see it).
 *
 * The loop, for the rest: one handler call per instruction, written with
 * RIP in a local and the stores one by one: GCC otherwise pairs
 * c->rip/c->rflags and c->next_rip/c->insn_rip into 16-byte vector stores,
 * and the 8-byte loads of the next handler then miss store forwarding (a
 * measured 40% of the sieve benchmark's time on AMD Zen), hence also the
 * optimize attribute.
 */
#define HOT __attribute__((optimize("no-tree-slp-vectorize")))

/* How many blocks one threaded chain may run before it returns to
 * block_run.  With -O2 every jump is a tail call and the chain runs in one
 * host stack frame, but the sanitizer builds (-O1) make them real calls:
 * this bounds the stack they use. */
#define CHAIN_DEPTH 64

static HOT void exec_block_loop(struct cpu *c, struct block *b, u64 budget)
{
	struct block_cache *bc = c->bc;
	unsigned n = b->n < budget ? b->n : (unsigned)budget;
	u64 mask = mask_of(c->code_size), rip = c->rip;
	u64 *retired = c->retired;

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
		bc->stats.insns++;
		if (unlikely(bc->exit))
			return;
	}
}

/* Run b: threaded when it may, else the loop; `chain` blocks at most. */
static inline __attribute__((always_inline)) void exec_block(struct cpu *c, struct block *b,
							     u64 budget, unsigned chain)
{
	struct block_cache *bc = c->bc;

	bc->exit = 0;
	if (likely(b->n <= budget && !(c->rflags & FL_RF))) {
		/* What the chain's lookups depend on; no instruction of a
		 * chain_ok block changes it (see block_thr_chain). */
		bc->ctx = chain_ctx(c, bc, block_mode_key(c));
		bc->lin_base = c->seg[SEG_CS].base;
		bc->lin_mask = c->mode != CPU_MODE_LONG64 ? 0xffffffff : ~0ULL;
		bc->stats.runs++; /* the first block; exec_thr_sync counts the rest */
		exec_thr_start(c, b->insn, c->stats.insns + budget, chain);
	} else {
		bc->last = b;
		bc->stats.runs++;
		exec_block_loop(c, b, budget);
	}
}

HOT void block_exec(struct cpu *c, struct block *b, u64 budget)
{
	exec_block(c, b, budget, 1);
}

/*
 * The terminator of a block that ends with a plain instruction (chain_ok):
 * retire the block, then jump straight into the next one when nothing
 * happened that the boundary checks of cpu_run() must see.  Those checks
 * (interrupts, the board's stop request, breakpoints) can only change
 * their answer through
 *   - a device access (MMIO, port I/O), invalidated code or a TLB flush:
 *     they set bc->exit;
 *   - a sensitive or serializing instruction (STI, POPF, MOV SS, HLT,
 *     OUT ...): it ends its block, and such a block is not chain_ok, so it
 *     has exec_thr_stop for a terminator instead of this;
 *   - a fault: it longjmps out of the whole chain;
 *   - the budget running out -- timers are deadlines that cpu_run's caller
 *     turns into budgets: a block is entered only when all of it fits in
 *     what is left (bc->stop_at), so the budget is exact.
 * So skipping them between chain_ok blocks changes nothing the guest can
 * see, and saves a return to the run loop, a hook call or two and a lookup
 * per block (the sieve's inner loop is a 4-instruction block).
 *
 * The step itself is kept to a few loads and compares (issue 9, second
 * round): nothing is counted but the successor's instructions, added to
 * c->stats.insns up front (exec_fast.h); the blocks entered are counted by
 * the depth left, the block that ran last is noted when the chain stops
 * (exec_thr_sync).  bc->exit needs no test here: only a generic handler
 * can set it, and its routine stops the chain right after it.
 */

/* Stop the chain after bi's block: the count is exact, commit RIP. */
static __attribute__((noinline)) void chain_stop(struct cpu *c, const struct binsn *bi, u64 rip)
{
	exec_thr_sync(c, bi->blk);
	c->rip = rip;
}

/* Enter nb: count its instructions, jump into its first routine (a tail
 * call: a jump). */
static inline __attribute__((always_inline)) void chain_into(struct cpu *c, struct block *nb,
							     u64 rip)
{
	c->stats.insns += nb->n;
	nb->insn[0].run(c, nb->insn, rip);
}

/* The successor is not a plain 64-bit block, or is invalid: check it
 * first (out of line, so that the common path needs no stack frame). */
static __attribute__((noinline)) void chain_checked(struct cpu *c, const struct binsn *bi,
						    struct block *nb, u64 lin, u64 rip)
{
	c->rip = rip;
	if (nb && nb->valid && runnable_here(c, nb, lin)) {
		chain_into(c, nb, rip);
		return;
	}
	c->bc->depth++; /* not entered after all */
	chain_stop(c, bi, rip);
}

HOT void block_thr_chain(struct cpu *c, const struct binsn *bi, u64 rip)
{
	struct block_cache *bc = c->bc;
	struct block *b = bi->blk, *nb;
	u64 lin, ctx = bc->ctx;
	struct ibtc_entry *e;

	/* The fall-through of the block's last instruction may wrap at 64 Ki
	 * or 4 Gi: the routines leave that to the terminator (exec_fast.h).
	 * In the code size of now: a generic routine that changed the mode
	 * (INT, a far JMP ...) left an exact RIP of the new mode, which this
	 * keeps as it is, and the context compare below then stops the chain. */
	if (unlikely(c->code_size != 8))
		rip &= mask_of(c->code_size);
	lin = (rip + bc->lin_base) & bc->lin_mask;

	/* The chain context (translation generation, CPL, mode) and CS.base
	 * are those of the chain's start: the instructions of a chain_ok
	 * block cannot change them, and a TLB flush sets bc->exit.  Neither
	 * can they set RFLAGS.TF, an interrupt shadow or HLT: block_run checks
	 * those again when the chain returns (belt and braces). */
	if (b->next[0].lin == lin && b->next[0].ctx == ctx) {
		nb = b->next[0].b;
	} else if (b->next[1].lin == lin && b->next[1].ctx == ctx) {
		nb = b->next[1].b;
	} else {
		e = ibtc_slot(bc, lin);
		if (e->lin != lin || e->ctx != ctx)
			goto stop; /* block_run looks it up and makes a link */
		nb = e->b;
		bc->stats.ibtc_hits++;
	}
	/* The budget: all of nb must fit (block.h); the host stack. */
	if (unlikely(c->stats.insns + nb->n > bc->stop_at))
		goto stop;
	if (unlikely(!--bc->depth)) {
		bc->depth++; /* not entered: exec_thr_sync counts entries by it */
		goto stop;
	}
	/* nb->fast: valid, 64-bit code, no straddling tail. */
	if (unlikely(!nb->fast)) {
		chain_checked(c, bi, nb, lin, rip);
		return;
	}
	/* c->rip stays stale while the chain runs on: the routines carry RIP
	 * and write it back before anything may look at it. */
	chain_into(c, nb, rip);
	return;
stop:
	chain_stop(c, bi, rip);
}

/*
 * Run blocks back to back: b, its successors through the threaded chain
 * (block_thr_chain), and when the chain returns, the next block through a
 * full block_find, as long as nothing happened that cpu_run's boundary
 * checks must see (the reasons are above block_thr_chain); at most
 * `budget` instructions.
 */
HOT bool block_run(struct cpu *c, u64 budget)
{
	struct block_cache *bc = c->bc;
	const u64 stop_at = c->stats.insns + budget;
	struct block *b = block_find(c, bc->last);

	if (!b)
		return false;
	for (;;) {
		exec_block(c, b, stop_at - c->stats.insns, CHAIN_DEPTH);
		b = bc->last; /* the block that ran last */
		if (bc->exit || !b || !b->chain_ok || c->stats.insns >= stop_at)
			return true;
		if (c->intr_shadow || (c->rflags & FL_TF) || c->halted || c->hook_poll)
			return true; /* belt and braces: the reference loop decides */
		b = block_find(c, b);
		if (!b)
			return true; /* cpu_run looks again and falls back to a step */
	}
}
