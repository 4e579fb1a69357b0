/*
 * exception.c - how the processor enters an exception or interrupt handler
 * (SDM Vol 3 ch. 6, §6.10-6.15; Vol 2 "INT n/INTO/INT3/INT1" pseudocode,
 * whose REAL-ADDRESS-MODE, PROTECTED-MODE, TRAP-OR-INTERRUPT-GATE,
 * INTER-PRIVILEGE-LEVEL-INTERRUPT, INTRA-PRIVILEGE-LEVEL-INTERRUPT and
 * INTERRUPT-FROM-VIRTUAL-8086-MODE sections are followed below).
 *
 * The teaching path, in one picture:
 *
 *   vector --> IDT[vector] (a gate: handler CS:RIP, type, DPL, IST)
 *          --> checks on the gate and the handler's code segment
 *          --> maybe a new stack (from the TSS) when the handler is more
 *              privileged than the interrupted code
 *          --> push the return frame: [SS:RSP] RFLAGS CS:RIP [error code]
 *          --> clear IF (interrupt gates), TF, NT, RF, VM
 *          --> continue at the handler.
 *
 * All memory reads and writes that may fault happen before any register
 * changes, so a fault while delivering leaves the interrupted state intact
 * and can itself be delivered (or turned into #DF / a triple fault).
 */
#include "cpu/exception.h"

#include <string.h>

#include "cpu/flags.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"
#include "lib/err.h"

static const char *const names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
};

const char *exc_name(int v)
{
	if (v >= 0 && v < 32)
		return names[v] ? names[v] : "#reserved";
	return "INT";
}

bool exc_has_error(int v)
{
	return v == EXC_DF || (v >= EXC_TS && v <= EXC_PF) || v == EXC_AC || v == EXC_CP;
}

/* SDM Vol 3 Table 6-4: #DE and the segment/TSS faults are "contributory";
 * #PF is its own class; everything else (and every interrupt) is benign. */
enum exc_class exc_class_of(int v)
{
	if (v == EXC_DE || (v >= EXC_TS && v <= EXC_GP))
		return EXC_CONTRIBUTORY;
	if (v == EXC_PF)
		return EXC_PAGE_FAULT;
	return EXC_BENIGN;
}

static bool is_software(int src)
{
	return src == EXC_SRC_SOFT || src == EXC_SRC_INT3 || src == EXC_SRC_INTO;
}

/* ---- writing the return frame ---------------------------------------------
 *
 * The frame goes to a stack that may not be the current one yet (after a
 * privilege change it is the TSS's SS:ESP), so it is written through this
 * small description instead of SS.  Every slot is checked before the first
 * byte is written.
 */
struct stk {
	const struct segment *ss; /* limit/base to use; NULL = 64-bit flat stack */
	u64 sp;			  /* stack pointer before the pushes */
	u64 amask;		  /* 0xFFFF, 0xFFFFFFFF or ~0 (stack address size) */
	u32 err;		  /* error code of the #SS on a limit violation */
	bool sys;		  /* supervisor accesses (handler CPL < 3) */
};

/* Push n values of `size` bytes (v[0] first, so v[0] ends highest); returns
 * the new stack pointer (masked to the stack address size). */
static u64 stk_push(struct cpu *c, const struct stk *k, const u64 *v, unsigned n, unsigned size)
{
	u64 off[12];

	for (unsigned j = 0; j < n; j++) {
		off[j] = (k->sp - (u64)(j + 1) * size) & k->amask;
		if (k->ss ? !seg_in_limit(k->ss, off[j], size) : !cpu_canonical(c, off[j]))
			cpu_raise(c, EXC_SS, k->err);
	}
	for (unsigned j = 0; j < n; j++) {
		u64 lin = k->ss ? k->ss->base + off[j] : off[j];

		if (k->ss)
			lin &= 0xffffffffu; /* legacy stacks: linear addresses wrap at 4 GiB */
		cpu_write_lin(c, lin, size, v[j], k->sys);
	}
	return off[n - 1];
}

/* Write the stack pointer back, keeping the bits a 16-bit stack leaves alone. */
static void set_sp(struct cpu *c, u64 sp, u64 amask)
{
	c->gpr[RSP] = (c->gpr[RSP] & ~amask) | (sp & amask);
	if (amask == 0xffffffffu)
		c->gpr[RSP] = sp & amask; /* a 32-bit write zero-extends */
}

/* ---- real-address mode (SDM Vol 2 INT n, REAL-ADDRESS-MODE) -------------- */

static void deliver_real(struct cpu *c, int vec, u64 ret)
{
	u64 ent, fl = cpu_rflags(c);
	struct stk k = {&c->seg[SEG_SS], c->gpr[RSP], mask_of(c->stack_size), 0, true};
	u64 frame[3] = {fl & 0xffff, c->seg[SEG_CS].sel, ret & 0xffff};

	/* The IVT: 256 four-byte entries IP:CS at IDTR.base (0 after reset). */
	if ((u64)vec * 4 + 3 > c->idtr.limit)
		cpu_raise(c, EXC_GP, 0);
	ent = cpu_read_lin(c, (c->idtr.base + (u64)vec * 4) & 0xffffffffu, 4, true);
	set_sp(c, stk_push(c, &k, frame, 3, 2), k.amask);

	cpu_set_rflags(c, fl & ~(FL_IF | FL_TF | FL_AC));
	cpu_load_seg_real(c, SEG_CS, (u16)(ent >> 16));
	c->rip = c->next_rip = ent & 0xffff;
}

/* ---- protected mode and IA-32e mode --------------------------------------- */

/* The stack of privilege level `dpl` from the current TSS (SDM Vol 3 §7.2.1
 * Figure 7-2 for the 32-bit TSS, §7.6 for the 16-bit one, §7.7 Figure 7-11
 * for the 64-bit one where `ist` selects an Interrupt Stack Table entry). */
static void tss_stack(struct cpu *c, unsigned dpl, unsigned ist, u32 ext, u16 *ss, u64 *sp)
{
	unsigned type = c->tr.attr & SEGA_TYPE;
	u64 at;

	if (c->efer & EFER_LMA) {
		at = ist ? 28 + (u64)ist * 8 : 4 + (u64)dpl * 8;
		if (at + 7 > c->tr.limit)
			cpu_raise(c, EXC_TS, SEL_ERR(c->tr.sel) | ext);
		*sp = cpu_read_lin(c, c->tr.base + at, 8, true);
		*ss = (u16)dpl; /* a null selector with RPL = new CPL */
	} else if (type == DESC_TSS || type == DESC_TSS_BUSY) {
		at = (u64)dpl * 8 + 4;
		if (at + 5 > c->tr.limit)
			cpu_raise(c, EXC_TS, SEL_ERR(c->tr.sel) | ext);
		*sp = cpu_read_lin(c, (c->tr.base + at) & 0xffffffffu, 4, true);
		*ss = (u16)cpu_read_lin(c, (c->tr.base + at + 4) & 0xffffffffu, 2, true);
	} else {
		at = (u64)dpl * 4 + 2;
		if (at + 3 > c->tr.limit)
			cpu_raise(c, EXC_TS, SEL_ERR(c->tr.sel) | ext);
		*sp = cpu_read_lin(c, (c->tr.base + at) & 0xffffffffu, 2, true);
		*ss = (u16)cpu_read_lin(c, (c->tr.base + at + 2) & 0xffffffffu, 2, true);
	}
}

/* Check the new stack segment named by the TSS (legacy inter-privilege). */
static void check_new_ss(struct cpu *c, u16 ss, unsigned dpl, u32 ext, u64 *d, u64 *addr)
{
	u32 a;

	if (SEL_IS_NULL(ss))
		cpu_raise(c, EXC_TS, ext);
	if (!seg_read_desc(c, ss, d, addr) || SEL_RPL(ss) != dpl)
		cpu_raise(c, EXC_TS, SEL_ERR(ss) | ext);
	a = desc_attr(*d);
	if (seg_dpl(a) != dpl || !seg_is_writable_data(a))
		cpu_raise(c, EXC_TS, SEL_ERR(ss) | ext);
	if (!(a & SEGA_P))
		cpu_raise(c, EXC_SS, SEL_ERR(ss) | ext);
}

static void deliver_prot(struct cpu *c, int vec, u32 err, bool has_err, int src, u64 ret)
{
	bool lm = c->efer & EFER_LMA;
	bool vm86 = c->mode == CPU_MODE_VM86;
	u32 ext = is_software(src) ? 0 : 1;
	u32 idt_err = (u32)vec * 8 + 2 + ext; /* error code naming the IDT entry */
	unsigned gsz = lm ? 16 : 8, psize, new_cpl, n = 0;
	u64 lo, hi = 0, cs_d, cs_addr, ss_d = 0, ss_addr = 0, fl = cpu_rflags(c), frame[12];
	u64 new_sp, amask;
	struct segment new_ss = c->seg[SEG_SS];
	struct gate g;
	struct stk k;
	bool outer;
	u16 ss_sel = c->seg[SEG_SS].sel;
	u32 a;

	/* 1. The gate: inside the IDT limit, an interrupt/trap(/task) gate. */
	if ((u64)vec * gsz + gsz - 1 > c->idtr.limit)
		cpu_raise(c, EXC_GP, idt_err);
	lo = cpu_read_lin(c, c->idtr.base + (u64)vec * gsz, 8, true);
	if (lm)
		hi = cpu_read_lin(c, c->idtr.base + (u64)vec * gsz + 8, 8, true);
	desc_to_gate(lo, hi, lm, &g);
	if (lo & BIT(44)) /* S = 1: a code/data descriptor is not a gate */
		cpu_raise(c, EXC_GP, idt_err);
	if (lm ? (g.type != DESC_INT && g.type != DESC_TRAP)
	       : (g.type != DESC_INT && g.type != DESC_TRAP && g.type != DESC_INT16 &&
		  g.type != DESC_TRAP16 && g.type != DESC_TASK))
		cpu_raise(c, EXC_GP, idt_err);

	/* 2. INT n / INT3 / INTO may only use gates with DPL >= CPL: this is how
	 * an OS decides which vectors user code may invoke (e.g. 0x80). */
	if (is_software(src) && g.dpl < c->cpl)
		cpu_raise(c, EXC_GP, (u32)vec * 8 + 2);
	if (!g.present)
		cpu_raise(c, EXC_NP, idt_err);
	/* Hardware task switching through a task gate is not modelled: #GP
	 * with the gate's error code tells the guest (and the student) so. */
	if (g.type == DESC_TASK)
		cpu_raise(c, EXC_GP, idt_err);

	/* 3. The handler's code segment. */
	seg_check_code(c, g.sel, &cs_d, &cs_addr, ext);
	a = desc_attr(cs_d);
	if (seg_dpl(a) > c->cpl || (lm && (!(a & SEGA_L) || (a & SEGA_DB))))
		cpu_raise(c, EXC_GP, SEL_ERR(g.sel) | ext);
	seg_check_present(c, g.sel, &cs_d, cs_addr, ext);

	/* 4. Same privilege, or a stack switch to a more privileged level? */
	outer = !seg_is_conforming(a) && seg_dpl(a) < c->cpl;
	new_cpl = outer ? seg_dpl(a) : c->cpl;
	if (vm86 && (!outer || seg_dpl(a) != 0))
		cpu_raise(c, EXC_GP, SEL_ERR(g.sel) | ext);
	psize = lm ? 8 : (g.type == DESC_INT16 || g.type == DESC_TRAP16) ? 2 : 4;

	if (lm) {
		/* IA-32e: the stack comes from the TSS on a privilege change or
		 * when the gate names an IST slot; RSP is aligned down to 16. */
		new_sp = c->gpr[RSP];
		if (outer || g.ist)
			tss_stack(c, new_cpl, g.ist, ext, &ss_sel, &new_sp);
		if (!outer)
			ss_sel = c->seg[SEG_SS].sel;
		new_sp &= ~15ULL;
		amask = ~0ULL;
		k = (struct stk){NULL, new_sp, amask, ext, new_cpl < 3};
	} else if (outer) {
		u64 sp32;

		tss_stack(c, new_cpl, 0, ext, &ss_sel, &sp32);
		check_new_ss(c, ss_sel, new_cpl, ext, &ss_d, &ss_addr);
		desc_to_segment(ss_d, ss_sel, &new_ss);
		amask = (new_ss.attr & SEGA_DB) ? 0xffffffffu : 0xffffu;
		new_sp = sp32;
		k = (struct stk){&new_ss, new_sp, amask, SEL_ERR(ss_sel) | ext, true};
	} else {
		amask = mask_of(c->stack_size);
		k = (struct stk){&c->seg[SEG_SS], c->gpr[RSP], amask, ext, new_cpl < 3};
	}

	/* 5. The handler's entry point must be inside its segment. */
	if (lm ? !cpu_canonical(c, g.offset) : g.offset > desc_limit(cs_d))
		cpu_raise(c, EXC_GP, ext);

	/* 6. Build and push the frame (highest address first). */
	if (vm86) {
		frame[n++] = c->seg[SEG_GS].sel;
		frame[n++] = c->seg[SEG_FS].sel;
		frame[n++] = c->seg[SEG_DS].sel;
		frame[n++] = c->seg[SEG_ES].sel;
	}
	if (outer || lm) {
		frame[n++] = c->seg[SEG_SS].sel;
		frame[n++] = c->gpr[RSP] & mask_of(psize);
	}
	/* Faults push RF = 1 so that IRET restarts the instruction without
	 * re-triggering an instruction breakpoint (SDM Vol 3 §18.3.1.1). */
	if (src == EXC_SRC_FAULT && vec != EXC_DB)
		fl |= FL_RF;
	frame[n++] = fl & mask_of(psize);
	frame[n++] = c->seg[SEG_CS].sel;
	frame[n++] = ret & mask_of(psize);
	if (has_err)
		frame[n++] = err;
	if (outer && !lm)
		seg_set_accessed(c, ss_addr, &ss_d);
	new_sp = stk_push(c, &k, frame, n, psize);

	/* 7. Commit: nothing below can fault. */
	if (outer) {
		if (lm)
			seg_load_null(c, SEG_SS, (u16)new_cpl);
		else
			seg_load_desc(c, SEG_SS, ss_sel, ss_d);
	}
	set_sp(c, new_sp, amask);
	if (vm86) {
		seg_load_null(c, SEG_GS, 0);
		seg_load_null(c, SEG_FS, 0);
		seg_load_null(c, SEG_DS, 0);
		seg_load_null(c, SEG_ES, 0);
	}
	fl &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
	if (g.type == DESC_INT || g.type == DESC_INT16)
		fl &= ~FL_IF; /* interrupt gate: handler starts with interrupts off */
	cpu_set_rflags(c, fl);
	seg_load_cs(c, g.sel, cs_d, new_cpl);
	c->rip = c->next_rip = psize == 2 ? g.offset & 0xffff : g.offset;
}

/* ---- the entry point: events, nesting, #DF, shutdown --------------------- */

static void trace_event(struct cpu *c, int vec, u32 err, bool has_err, int src)
{
	u64 pc = c->seg[SEG_CS].base + c->rip;

	if (src == EXC_SRC_EXT || src == EXC_SRC_SOFT || src == EXC_SRC_NMI) {
		trace_emit(c->trace, TRACE_INT, c->index, pc, (u64)vec,
			   src == EXC_SRC_EXT	 ? 0
			   : src == EXC_SRC_SOFT ? 1
						 : 2,
			   0, 0, NULL);
	} else {
		trace_emit(c->trace, TRACE_EXC, c->index, pc, (u64)vec, err, has_err,
			   vec == EXC_PF ? c->cr2 : 0, exc_name(vec));
	}
	if (src != EXC_SRC_EXT && src != EXC_SRC_SOFT && vec >= 0 && vec < 32)
		c->stats.exceptions[vec]++;
}

void cpu_deliver(struct cpu *c, int vector, u32 error_code, bool has_error, int source)
{
	/* Locals written after setjmp must be volatile (C11 §7.13.2.1). */
	volatile int vec = vector, src = source;
	volatile u32 err = error_code;
	volatile bool has_err = has_error;
	jmp_buf outer;
	bool outer_set = c->fault_jmp_set;

	if (vec < 0 || vec > 255)
		panic("cpu_deliver: vector %d", vec);
	/* Catch faults raised while delivering: cpu_raise() longjmps to
	 * c->fault_jmp, which we point here for the duration. */
	memcpy(outer, c->fault_jmp, sizeof(jmp_buf));
	c->fault_jmp_set = true;
	if (setjmp(c->fault_jmp)) {
		int nv = c->pending_vector, first = vec;
		u32 ne = c->pending_error;
		bool first_exc = !(src == EXC_SRC_EXT || src == EXC_SRC_SOFT || src == EXC_SRC_NMI);
		enum exc_class c1 = first_exc ? exc_class_of(first) : EXC_BENIGN,
			       c2 = exc_class_of(nv);

		c->pending_vector = -1;
		/* The EXT bit: this fault happened while delivering an event
		 * that the program did not ask for (SDM Vol 3 §6.13). */
		if (!is_software(src) && nv >= EXC_TS && nv <= EXC_GP)
			ne |= 1;
		if (first_exc && first == EXC_DF) {
			/* A fault while delivering #DF: the processor gives up and
			 * enters the shutdown state -- a "triple fault".  On a PC
			 * the chipset turns that into a reset; we stop the run. */
			c->shutdown = true;
			c->stats.triple_faults++;
			c->delivering = -1;
			trace_emit(c->trace, TRACE_SHUTDOWN, c->index, c->seg[SEG_CS].base + c->rip,
				   0, (u64)nv, ne, 0, "triple fault");
			goto out;
		}
		if ((c1 == EXC_CONTRIBUTORY && c2 == EXC_CONTRIBUTORY) ||
		    (c1 == EXC_PAGE_FAULT && c2 != EXC_BENIGN)) {
			/* Table 6-5: deliver #DF(0) instead of the second fault. */
			c->stats.double_faults++;
			vec = EXC_DF;
			err = 0;
		} else {
			/* Benign combinations are handled serially: deliver the
			 * new fault; the first event is lost (an external
			 * interrupt stays pending in the controller's ISR). */
			vec = nv;
			err = exc_has_error(nv) ? ne : 0;
		}
		has_err = exc_has_error(vec);
		src = EXC_SRC_FAULT;
	}

	c->delivering = vec;
	c->halted = false;
	trace_event(c, vec, err, has_err, src);
	if (src == EXC_SRC_NMI)
		c->nmi_blocked = true; /* until the next IRET (SDM Vol 3 §6.7.1) */
	{
		/* The return address: faults restart the instruction, traps and
		 * INT n continue after it, interrupts resume where RIP is. */
		u64 ret = (src == EXC_SRC_FAULT || src == EXC_SRC_EXT || src == EXC_SRC_NMI)
			      ? c->rip
			      : c->next_rip;

		if (c->mode == CPU_MODE_REAL)
			deliver_real(c, vec, ret);
		else
			deliver_prot(c, vec, err, has_err, src, ret);
	}
	c->delivering = -1;
out:
	memcpy(c->fault_jmp, outer, sizeof(jmp_buf));
	c->fault_jmp_set = outer_set;
}
