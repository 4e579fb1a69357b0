/*
 * grade.h - the lab grader: `vmlab grade labs/NN-name` (DESIGN.md §6).
 *
 * A lab folder holds a check file (checks.txt), data and not code: each
 * check names its points, a virtual-time budget, the kernel command line
 * and the assertions that decide it.  The grader builds one virtual
 * machine per check, in this process: COM1 goes into a buffer, a trace
 * sink records mode switches, exceptions, interrupts and port writes, and
 * breakpoints stop the guest where the check wants to look at registers or
 * memory (a breakpoint used as an oracle).  Then the assertions are
 * evaluated against what was recorded.
 *
 * The check-file format (one directive per line, `#` starts a comment,
 * indentation is free; the full description is in labs/README.md):
 *
 *   lab      01-boot              the lab's name
 *   kernel   01-boot.elf          image, in BUILD/labs/ unless absolute
 *   timeout  0.5                  default virtual seconds per check
 *
 *   check NAME POINTS             starts a check; what follows belongs to it
 *     timeout SECONDS             virtual-time budget of this check
 *     append  TEXT                kernel command line (multiboot)
 *     seed    N                   perturb interrupt timing, reproducibly
 *     hint    TEXT                printed when the check fails
 *     serial  REGEX               some line of COM1 output matches (POSIX ERE)
 *     forbid  REGEX               no line matches
 *     mode    NAME                the CPU entered mode NAME (long-64 ...)
 *     exc     V [err E] [cr2 A]   an exception V happened (with that code/CR2)
 *     no-exc  V|any               exception V (or any) never happened
 *     int     V [count N]         interrupt V (IRQ or INT n) delivered >= N times
 *     io      out PORT [VALUE]    the guest wrote (VALUE) to PORT
 *     exit    STATUS              vmlab's exit status (33 = debug-exit 0x10)
 *     break   SYMBOL|ADDR         stop there (first hit); then:
 *     expect  LHS OP RHS          LHS a register (rax, cr0, gdtr.limit, cs ...)
 *                                 or memory u8/u16/u32/u64[ADDR]; OP one of
 *                                 == != & (all bits set) !& (all bits clear);
 *                                 numbers or symbols (sym+0x10) on either side
 *
 * The seed shifts the origin of virtual time by a pseudo-random amount
 * below 10 ms: devices clocked from virtual time (the PIT's 1.19 MHz input,
 * the RTC) then fire at other instructions of the guest, so a handler that
 * only works for one interleaving fails for some seed.  The same seed gives
 * the same run, byte for byte.
 */
#ifndef VMLAB_MONITOR_GRADE_H
#define VMLAB_MONITOR_GRADE_H

#include <stdio.h>

#include "lib/common.h"
#include "lib/err.h"

#define GRADE_MAX_CHECKS  32
#define GRADE_MAX_ASSERTS 32
#define GRADE_MAX_BREAKS  8

enum grade_assert_kind {
	GA_SERIAL, /* re: a line matches */
	GA_FORBID, /* re: no line matches */
	GA_MODE,   /* a: enum cpu_mode entered */
	GA_EXC,	   /* a: vector, b: error code (has_b), c: cr2 (has_c) */
	GA_NO_EXC, /* a: vector, or any (has_a false) */
	GA_INT,	   /* a: vector, b: minimum count */
	GA_IO,	   /* a: port, b: value (has_b) */
	GA_EXIT,   /* a: vmlab exit status */
	GA_EXPECT, /* at break `brk`: lhs op rhs */
};

enum grade_op { GOP_EQ, GOP_NE, GOP_ALL, GOP_NONE };

struct grade_assert {
	enum grade_assert_kind kind;
	int line;   /* in the check file, for messages */
	char *text; /* the directive as written (regex, expect expression) */
	u64 a, b, c;
	bool has_a, has_b, has_c;
	/* GA_EXPECT: operands as written, resolved when the check runs */
	int brk;
	char *lhs, *rhs;
	enum grade_op op;
};

struct grade_check {
	char *name;
	int points;
	u64 timeout_ns; /* 0: the lab's default */
	char *append;	/* NULL: "" */
	u64 seed;
	char *hint;
	char *brk[GRADE_MAX_BREAKS]; /* break locations (symbol or address) */
	int nbrk;
	struct grade_assert as[GRADE_MAX_ASSERTS];
	int nas;
};

struct grade_lab {
	char *name, *kernel;
	u64 timeout_ns;
	struct grade_check checks[GRADE_MAX_CHECKS];
	int nchecks;
};

/* Parse a check file's text (`name` for messages): -1 and "NAME:LINE: ..."
 * on the first bad line. */
int grade_parse(struct grade_lab *lab, const char *text, const char *name, struct err *e);
int grade_load(struct grade_lab *lab, const char *path, struct err *e);
void grade_lab_free(struct grade_lab *lab);

/* One recorded event of a graded run (a subset of lib/trace.def). */
struct grade_event {
	u8 kind; /* enum trace_kind */
	u64 a[4];
	u64 pc;
};

/* Everything one run of a check produced, the input of grade_evaluate. */
struct grade_run {
	char *serial; /* COM1 output, NUL-terminated, CR removed */
	size_t serial_len, serial_cap;
	struct grade_event *ev;
	size_t nev, evcap;
	int status;	/* vmlab exit status */
	char why[256];	/* why the run stopped (vm_stop.why) */
	u64 virtual_ns; /* virtual time used */
	bool brk_hit[GRADE_MAX_BREAKS];
	/* results of GA_EXPECT assertions computed at the breakpoints:
	 * 1 pass, 0 fail (with msg), -1 not evaluated (break never hit) */
	int expect_ok[GRADE_MAX_ASSERTS];
	char *expect_msg[GRADE_MAX_ASSERTS];
};

void grade_run_free(struct grade_run *r);
void grade_run_serial(struct grade_run *r, const u8 *buf, size_t len);
void grade_run_event(struct grade_run *r, unsigned kind, u64 pc, const u64 a[4]);

/*
 * Decide a check from a run.  Returns true when every assertion holds; for
 * each one that does not, one line goes to `out` (may be NULL) saying what
 * was expected and what happened.
 */
bool grade_evaluate(const struct grade_check *c, const struct grade_run *r, FILE *out);

/* `vmlab grade [options] LABDIR`: the exit status is 0 on full marks, 1 on
 * a partial score, 2 on a usage or host error. */
int grade_main(int argc, char **argv);

#endif
