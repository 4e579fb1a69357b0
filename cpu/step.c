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
 * Faults: a handler calls cpu_raise(), which longjmps back here with the
 * exception in c->pending_*; RIP still addresses the faulting instruction
 * (faults are restartable, SDM Vol 3 §6.5).  cpu_deliver() pushes the frame
 * and vectors through the IDT; if delivery itself faults we land here again
 * and cpu_deliver() turns that into #DF or a triple fault (c->delivering
 * tells it what it was delivering).
 */
#include <string.h>

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

enum cpu_stop cpu_step(struct cpu *c)
{
	struct insn i;
	bool shadow, tf;

	if (c->shutdown)
		return CPU_STOP_SHUTDOWN;
	if (c->wait_for_sipi)
		return CPU_STOP_INIT;

	if (setjmp(c->fault_jmp)) {
		/* An exception was raised: by the instruction, by the fetch, or
		 * while delivering an earlier exception or interrupt. */
		int vec = c->pending_vector;

		c->pending_vector = -1;
		if (c->delivering < 0 && c->hooks.exception &&
		    c->hooks.exception(c->hooks.opaque, c, vec, c->pending_error)) {
			c->fault_jmp_set = false;
			return CPU_STOP_HOOK;
		}
		cpu_deliver(c, vec, c->pending_error, c->pending_has_error, EXC_SRC_FAULT);
		c->fault_jmp_set = false;
		return c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
	}
	c->fault_jmp_set = true;

	/* 1. Interrupts.  The shadow of STI / MOV SS covers exactly one
	 * instruction: the one about to execute (SDM Vol 3 §6.8.3). */
	shadow = c->intr_shadow;
	c->intr_shadow = 0;
	if (!shadow && c->nmi_pending && !c->nmi_blocked) {
		c->nmi_pending = false;
		c->halted = false;
		cpu_deliver(c, EXC_NMI, 0, false, EXC_SRC_NMI);
		c->fault_jmp_set = false;
		return CPU_STOP_NONE;
	}
	if (!shadow && intr_deliverable(c)) {
		int vec = c->hooks.intr_ack(c->hooks.opaque, c);

		if (vec >= 0) {
			c->halted = false;
			c->stats.interrupts++;
			cpu_deliver(c, vec, 0, false, EXC_SRC_EXT);
			c->fault_jmp_set = false;
			return CPU_STOP_NONE;
		}
	}
	if (c->halted) {
		c->fault_jmp_set = false;
		return CPU_STOP_HALT;
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

	tf = c->rflags & FL_TF;
	isa_forms[i.form].handler(c, &i);

	/* 5. Commit and retire. */
	c->rip = c->next_rip;
	c->rflags &= ~FL_RF; /* RF is cleared after every instruction completes */
	c->stats.insns++;
	if (c->retired)
		(*c->retired)++;
	if (tf && !c->shutdown) {
		/* Single-step trap after the instruction (SDM Vol 3 §18.3.1.4). */
		c->dr[6] |= BIT(14); /* DR6.BS */
		cpu_deliver(c, EXC_DB, 0, false, EXC_SRC_TRAP);
	}
	c->fault_jmp_set = false;
	return c->shutdown ? CPU_STOP_SHUTDOWN : CPU_STOP_NONE;
}

enum cpu_stop cpu_run(struct cpu *c, u64 max_insns)
{
	u64 start = c->stats.insns;

	while (c->stats.insns - start < max_insns) {
		enum cpu_stop r;

		if (c->hook_poll && c->hooks.before_insn && c->hooks.before_insn(c->hooks.opaque, c))
			return CPU_STOP_HOOK;
		r = cpu_step(c);
		if (r != CPU_STOP_NONE)
			return r;
		if (c->hooks.board_stopped && c->hooks.board_stopped(c->hooks.opaque))
			return CPU_STOP_BOARD;
	}
	return CPU_STOP_BUDGET;
}
