/*
 * step.c - the fetch/decode/execute loop: one instruction at a time.
 *
 * This is the reference interpreter (DESIGN.md §2): every faster path (the
 * block cache) must give the same results as this loop.  One step is:
 *
 *   1. deliver a pending external interrupt if RFLAGS.IF allows and no
 *      interrupt shadow (STI / MOV SS) is in force; wake from HLT;
 *   2. fetch up to 15 bytes at CS:RIP (page by page, so a fault on the
 *      second page is raised only if the instruction really extends there);
 *   3. decode them with the one ISA table (cpu/isa.def);
 *   4. check the form's CPUID feature, then call its handler;
 *   5. commit RIP = next_rip, retire the instruction, and take a single-step
 *      trap if RFLAGS.TF was set when the instruction began.
 *
 * Faults: a handler calls cpu_raise(), which longjmps back to the loop's
 * setjmp with the exception in c->pending_*; RIP still addresses the
 * faulting instruction (faults are restartable, SDM Vol 3 §6.5).
 * cpu_deliver() pushes the frame and vectors through the IDT; if delivery
 * itself faults we land there again and cpu_deliver() turns that into #DF
 * or a triple fault (c->delivering tells it what it was delivering).
 *
 * setjmp is not free (it saves the signal mask-less register file, ~20 ns),
 * so cpu_run() arms it once per call and re-enters its loop after a fault;
 * only cpu_step(), the public one-instruction entry, arms it per call.
 *
 * The fast path (cpu_run with c->block_cache): whole pre-decoded basic
 * blocks from cpu/block.c run between two event checks.  It falls back to
 * one instruction at a time whenever the reference loop would do something
 * between instructions that a block cannot: a breakpoint poll, a single-step
 * trap (TF), instruction tracing, an interrupt shadow.
 */
#include <string.h>

#include "cpu/block.h"
#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"

/* Fetch and decode the instruction at CS:RIP into *i.  Raises #PF/#GP/#UD. */
static void fetch_decode(struct cpu *c, struct insn *i)
{
	u8 buf[15];
	u64 lin = c->seg[SEG_CS].base + c->rip;
	unsigned n;
	int len;

	if (c->mode != CPU_MODE_LONG64)
		lin &= 0xffffffff;
	n = cpu_fetch_page(c, lin, buf, 15);
	len = isa_decode(i, buf, n, c->code_size);
	if (len == DECODE_SHORT && n < 15) {
		/* The instruction continues on the next page: fetch it too (this
		 * is where an instruction straddling into an unmapped page faults). */
		n += cpu_fetch_page(c, lin + n, buf + n, 15 - n);
		len = isa_decode(i, buf, n, c->code_size);
	}
	if (len == DECODE_TOO_LONG || len == DECODE_SHORT)
		cpu_raise(c, EXC_GP, 0); /* longer than 15 bytes (SDM Vol 2 §2.3.11) */
	if (len < 0)
		cpu_raise(c, EXC_UD, 0);
	/* Outside 64-bit mode the whole instruction must lie within CS.limit. */
	if (c->mode != CPU_MODE_LONG64 && c->rip + (u64)len - 1 > c->seg[SEG_CS].limit)
		cpu_raise(c, EXC_GP, 0);
	if (trace_on(c->trace, TRACE_INSN)) {
		u64 lo = 0, hi = 0;
		memcpy(&lo, buf, len < 8 ? len : 8);
		if (len > 8)
			memcpy(&hi, buf + 8, len - 8);
		trace_emit(c->trace, TRACE_INSN, c->index, lin, len, lo, hi, c->code_size, NULL);
	}
}

/* Is an external interrupt (INTR) deliverable now? */
static bool intr_deliverable(struct cpu *c)
{
	return (c->rflags & FL_IF) && c->hooks.intr_pending &&
	       c->hooks.intr_pending(c->hooks.opaque, c);
}

/* What happened at an instruction boundary (step 1 below). */
enum boundary { B_RUN, B_DELIVERED, B_HALTED };

/*
 * 1. Interrupts.  The shadow of STI / MOV SS covers exactly one
 * instruction: the one about to execute (SDM Vol 3 §6.8.3).  NMI first,
 * then INTR (Vol 3 §6.9 priority).  A delivered event wakes HLT.
 */
static enum boundary boundary_events(struct cpu *c)
{
	bool shadow = c->intr_shadow;

	c->intr_shadow = 0;
	if (!shadow && c->nmi_pending && !c->nmi_blocked) {
		c->nmi_pending = false;
		c->halted = false;
		cpu_deliver(c, EXC_NMI, 0, false, EXC_SRC_NMI);
		return B_DELIVERED;
	}
	if (!shadow && intr_deliverable(c)) {
		int vec = c->hooks.intr_ack(c->hooks.opaque, c);

		if (vec >= 0) {
			c->halted = false;
			c->stats.interrupts++;
			cpu_deliver(c, vec, 0, false, EXC_SRC_EXT);
			return B_DELIVERED;
		}
	}
	return c->halted ? B_HALTED : B_RUN;
}

/* 4b. A sensitive-but-unprivileged instruction (see step_one). */
static bool pg_sensitive(struct cpu *c, const struct insn *i)
{
	if (c->pg_strict && c->cpl > 0)
		cpu_raise(c, EXC_GP, 0);
	return c->hooks.sensitive && c->hooks.sensitive(c->hooks.opaque, c, i);
}

/* 5. Commit and retire one instruction. */
static inline void retire(struct cpu *c)
{
	c->rip = c->next_rip;
	c->rflags &= ~FL_RF; /* RF is cleared after every instruction completes */
	c->stats.insns++;
	if (c->retired)
		(*c->retired)++;
}

/* One instruction (or one event), with c->fault_jmp already armed. */
static enum cpu_stop step_one(struct cpu *c)
{
	struct insn i;
	bool tf;

	switch (boundary_events(c)) {
	case B_DELIVERED: return c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
	case B_HALTED: return CPU_STOP_HALT;
	case B_RUN: break;
	}

	/* 2-3. Fetch and decode. */
	c->insn_rip = c->rip;
	fetch_decode(c, &i);
	c->next_rip = c->rip + i.len;
	if (c->code_size == 2)
		c->next_rip &= 0xffff;
	else if (c->code_size == 4)
		c->next_rip &= 0xffffffff;

	/* 4. CPUID gating: a form the CPU does not advertise is #UD, exactly as
	 * on a processor without that feature. */
	if (isa_forms[i.form].feature != BASE && !cpu_has_feature(c, isa_forms[i.form].feature))
		cpu_raise(c, EXC_UD, 0);

	/* 4b. Popek-Goldberg: a sensitive-but-unprivileged form (PG_CTL,
	 * PG_BEH) runs without trapping on x86 -- a virtualization hole.  The
	 * hypothetical --cpu=pg-strict makes it trap at CPL > 0 (#GP(0), before
	 * any other check); otherwise a trap-mode VMM gets to see it. */
	if (unlikely(isa_forms[i.form].pg >= PG_CTL) && pg_sensitive(c, &i)) {
		retire(c);
		return c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
	}

	tf = c->rflags & FL_TF;
	isa_forms[i.form].handler(c, &i);

	/* 5. Commit and retire. */
	retire(c);
	if (tf && !c->shutdown) {
		/* Single-step trap after the instruction (SDM Vol 3 §18.3.1.4). */
		c->dr[6] |= BIT(14); /* DR6.BS */
		cpu_deliver(c, EXC_DB, 0, false, EXC_SRC_TRAP);
	}
	return c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
}

/*
 * We arrived from cpu_raise(): an exception was raised by an instruction,
 * by its fetch, or while delivering an earlier exception or interrupt.
 * Offer it to the hypervisor, else deliver it through the IDT.
 */
static enum cpu_stop fault_taken(struct cpu *c)
{
	int vec = c->pending_vector;

	c->pending_vector = -1;
	if (c->delivering < 0 && c->hooks.exception &&
	    c->hooks.exception(c->hooks.opaque, c, vec, c->pending_error))
		return CPU_STOP_HOOK;
	cpu_deliver(c, vec, c->pending_error, c->pending_has_error, EXC_SRC_FAULT);
	return c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
}

enum cpu_stop cpu_step(struct cpu *c)
{
	enum cpu_stop r;

	if (c->shutdown)
		return CPU_STOP_SHUTDOWN;
	if (c->wait_for_sipi)
		return CPU_STOP_INIT;
	if (setjmp(c->fault_jmp)) {
		c->fault_jmp_set = false;
		return fault_taken(c);
	}
	c->fault_jmp_set = true;
	r = step_one(c);
	c->fault_jmp_set = false;
	return r;
}

/* Can the next instruction boundary be handled by the block loop? */
static inline bool block_ok(const struct cpu *c)
{
	/* (pg-strict and hole reporting check each instruction's PG class
	 * here, in the reference loop: blocks would skip it.) */
	return c->block_cache && c->bc && !c->hook_poll && !c->intr_shadow &&
	       !(c->rflags & FL_TF) && !trace_on(c->trace, TRACE_INSN) && !c->pg_strict &&
	       !c->hooks.sensitive;
}

enum cpu_stop cpu_run(struct cpu *c, u64 max_insns)
{
	const u64 start = c->stats.insns;
	/* Faults taken count against the budget too: a guest whose handler
	 * faults at once (an IDT gate into a non-present page ...) retires
	 * nothing but must still give control back (found by guestfuzz).
	 * volatile: it is modified after setjmp and read after longjmp. */
	volatile u64 faults = 0;
	enum cpu_stop r;

	if (c->shutdown)
		return CPU_STOP_SHUTDOWN;
	if (c->wait_for_sipi)
		return CPU_STOP_INIT;
	if (c->bc)
		c->bc->last = NULL;

	/* Armed once; a fault anywhere below lands here and the loop goes on.
	 * (Only `start`, never modified, is read after the longjmp.) */
	if (setjmp(c->fault_jmp)) {
		if (c->bc)
			c->bc->last = NULL;
		faults++;
		r = fault_taken(c);
		if (r != CPU_STOP_NONE)
			goto out;
		if (c->hooks.board_stopped && c->hooks.board_stopped(c->hooks.opaque)) {
			r = CPU_STOP_BOARD;
			goto out;
		}
	}
	c->fault_jmp_set = true;

	while (c->stats.insns - start + faults < max_insns) {
		if (block_ok(c)) {
			switch (boundary_events(c)) {
			case B_DELIVERED:
				c->bc->last = NULL;
				r = c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
				break;
			case B_HALTED: r = CPU_STOP_HALT; break;
			case B_RUN:
				/* The block's budget is what is left of the
				 * slice, exceptions taken included, exactly as
				 * the loop condition counts it: a slice ends at
				 * the same instruction with the cache on or off. */
				if (block_run(c, max_insns - (c->stats.insns - start) - faults)) {
					r = c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
				} else {
					/* No block here: the reference step (its
					 * boundary check finds nothing new). */
					c->bc->stats.fallbacks++;
					c->bc->last = NULL;
					r = step_one(c);
				}
				break;
			}
		} else {
			if (c->hook_poll && c->hooks.before_insn &&
			    c->hooks.before_insn(c->hooks.opaque, c)) {
				r = CPU_STOP_HOOK;
				goto out;
			}
			if (c->bc)
				c->bc->last = NULL;
			r = step_one(c);
		}
		if (r != CPU_STOP_NONE)
			goto out;
		if (c->hooks.board_stopped && c->hooks.board_stopped(c->hooks.opaque)) {
			r = CPU_STOP_BOARD;
			goto out;
		}
	}
	r = CPU_STOP_BUDGET;
out:
	c->fault_jmp_set = false;
	return r;
}
