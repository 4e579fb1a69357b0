/*
 * trace_text.h - the readable trace sink: one line per event on the trace
 * stream (DESIGN.md §5), to stderr or a file (--trace-file PATH).
 *
 *   [1234] cpu0 mode protected-32 -> long-64 at rip=0x100020
 *   [1290] cpu0 exc #PF(0x2) cr2=0xdead000 at 0x100104
 *   [1302] cpu0 io out 0x3f8 <- 0x41 (1)
 *   [7] cpu0 insn 0x100010 <_start+0x4>: 31 c0            xor eax, eax
 *
 * With the `regdiff` option (--trace=insn,regdiff, `trace on regdiff`)
 * each instruction is followed by the registers it changed:
 *
 *   [7] cpu0     rax 0x2badb002 -> 0x0
 *   [7] cpu0     rflags 0x46 -> 0x44
 *
 * (printed when the CPU's next instruction starts, or by trace_text_flush
 * when the run stops).
 */
#ifndef VMLAB_MONITOR_TRACE_TEXT_H
#define VMLAB_MONITOR_TRACE_TEXT_H

#include <stdio.h>

#include "lib/common.h"
#include "lib/err.h"
#include "lib/trace.h"
#include "monitor/disas.h"
#include "monitor/symbols.h"

struct cpu;

/* The registers a regdiff compares (RIP is left out: it always moves). */
struct trace_regs {
	bool valid;
	u64 gpr[16], rflags, cr0, cr2, cr3, cr4, efer;
	u16 sel[6];
};

struct trace_text {
	FILE *out;
	bool close_out;
	bool cs_tried; /* capstone opened (or failed to) on the first insn */
	/* Symbols for instruction lines (owned; may be empty). */
	struct symtab syms;
	struct disas dis;
	bool dis_open;
	/* Register diffs: the CPUs to read (set once the machine exists) and
	 * each CPU's registers at the start of its last traced instruction. */
	bool regdiff;
	struct cpu *cpus;
	int ncpus;
	struct trace_regs *snap;
	struct trace *trace; /* the stream we listen to (its icount: flush) */
};

/* Register the sink for the kinds in mask; path NULL means stderr.  A path
 * ending in .json is refused: that suffix is kept for the Chrome format. */
int trace_text_open(struct trace_text *tt, struct trace *t, u64 mask, const char *path,
		    struct err *e);
void trace_text_close(struct trace_text *tt);

/* Parse a --trace list that may also hold the word "regdiff" (which
 * implies insn); like trace_parse_list otherwise. */
int trace_text_parse(const char *list, u64 *mask, bool *regdiff, struct err *e);
/* Load symbols for instruction lines from an ELF (see symbols.h). */
int trace_text_symbols(struct trace_text *tt, const char *path, struct err *e);
/* The CPUs whose registers regdiff reads; NULL turns regdiff output off. */
void trace_text_set_cpus(struct trace_text *tt, struct cpu *cpus, int ncpus);
/* Print the pending register diffs (the run stopped) and forget them. */
void trace_text_flush(struct trace_text *tt);

/* Format one event (without the newline): used by the sink and the tests. */
void trace_text_format(struct trace_text *tt, const struct trace_event *ev, char *buf, size_t len);

#endif
