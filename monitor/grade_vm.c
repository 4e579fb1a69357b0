/*
 * grade_vm.c - one check of a lab on a fresh virtual machine (the grader's
 * command is monitor/grade.c; DESIGN.md §6):
 *   1. build a fresh virtual machine from the lab's kernel and the check's
 *      command line (hypervisor/vm.h), COM1 connected to a buffer;
 *   2. register a trace sink that records mode switches, exceptions,
 *      interrupts, port I/O, CR/MSR writes and the end of the run, and also
 *      keeps them as readable text for a student to read after a failure;
 *   3. arm the check's breakpoints; at each first hit evaluate its `expect`
 *      lines against the live registers and memory (SDM register names:
 *      rax ... r15, rip, rflags, cr0-cr4, efer, gdtr/idtr, tr, cpl), then
 *      go on;
 *   4. run until the guest ends or the check's virtual-time budget is spent.
 * The seed of a check shifts the origin of virtual time (monitor/grade.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/config.h"
#include "hypervisor/vm.h"
#include "lib/err.h"
#include "lib/trace.h"
#include "monitor/grade_int.h"

/* The kinds the grader records (and saves as text for a failed check). */
#define GRADE_TRACE_MASK                                                                           \
	(BIT(TRACE_MODE) | BIT(TRACE_EXC) | BIT(TRACE_INT) | BIT(TRACE_IO) | BIT(TRACE_CR) |       \
	 BIT(TRACE_MSR) | BIT(TRACE_SHUTDOWN) | BIT(TRACE_EXIT))
#define TRACE_TEXT_MAX (8 * MiB)
#define SEED_SPAN_NS   10000000ULL /* a seed shifts virtual time by < 10 ms */

/* ---- the host side of the machine: COM1 and the trace sink ------------------ */

static void serial_write(void *opaque, const u8 *buf, size_t len)
{
	grade_run_serial(((struct recorder *)opaque)->run, buf, len);
}

static void sink_event(void *opaque, const struct trace_event *ev)
{
	struct recorder *rec = opaque;
	char line[512];
	size_t n;

	grade_run_event(rec->run, ev->kind, ev->pc, ev->a);
	if (rec->truncated)
		return;
	trace_text_format(&rec->tt, ev, line, sizeof(line));
	n = strlen(line);
	if (rec->len + n + 2 > TRACE_TEXT_MAX) {
		rec->truncated = true;
		return;
	}
	if (rec->len + n + 2 > rec->cap) {
		rec->cap = rec->cap ? 2 * rec->cap : 65536;
		while (rec->cap < rec->len + n + 2)
			rec->cap *= 2;
		rec->text = xrealloc(rec->text, rec->cap);
	}
	memcpy(rec->text + rec->len, line, n);
	rec->len += n;
	rec->text[rec->len++] = '\n';
	rec->text[rec->len] = '\0';
}

/* ---- values for `expect`: registers, memory, numbers, symbols --------------- */

static int parse_addr(const struct grader *g, const char *s, u64 *v, char *msg, size_t len)
{
	char name[128], *end;
	const char *op;
	u64 off = 0;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (!errno && end != s && !*end)
		return 0;
	/* SYMBOL, SYMBOL+OFF or SYMBOL-OFF */
	op = strpbrk(s, "+-");
	snprintf(name, sizeof(name), "%.*s", op ? (int)(op - s) : (int)strlen(s), s);
	if (op) {
		off = strtoull(op + 1, &end, 0);
		if (*end || end == op + 1) {
			snprintf(msg, len, "'%s' is not a number or SYMBOL+OFFSET", s);
			return -1;
		}
	}
	if (!symtab_lookup(&g->syms, name, v)) {
		snprintf(msg, len, "no symbol '%s' in the kernel", name);
		return -1;
	}
	*v = op && *op == '-' ? *v - off : *v + off;
	return 0;
}

static bool reg_value(const struct cpu *c, const char *n, u64 *v)
{
	static const char *const gpr[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	static const char *const sreg[SEG_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs"};

	for (int i = 0; i < 16; i++)
		if (!strcmp(n, gpr[i]))
			return *v = c->gpr[i], true;
	for (int i = 0; i < SEG_COUNT; i++)
		if (!strcmp(n, sreg[i]))
			return *v = c->seg[i].sel, true;
	if (!strcmp(n, "rip"))
		return *v = c->rip, true;
	if (!strcmp(n, "rflags"))
		return *v = cpu_rflags((struct cpu *)c), true;
	if (!strcmp(n, "cr0"))
		return *v = c->cr0, true;
	if (!strcmp(n, "cr2"))
		return *v = c->cr2, true;
	if (!strcmp(n, "cr3"))
		return *v = c->cr3, true;
	if (!strcmp(n, "cr4"))
		return *v = c->cr4, true;
	if (!strcmp(n, "efer"))
		return *v = c->efer, true;
	if (!strcmp(n, "gdtr.base"))
		return *v = c->gdtr.base, true;
	if (!strcmp(n, "gdtr.limit"))
		return *v = c->gdtr.limit, true;
	if (!strcmp(n, "idtr.base"))
		return *v = c->idtr.base, true;
	if (!strcmp(n, "idtr.limit"))
		return *v = c->idtr.limit, true;
	if (!strcmp(n, "tr"))
		return *v = c->tr.sel, true;
	if (!strcmp(n, "cpl"))
		return *v = c->cpl, true;
	return false;
}

/* A register, u8/u16/u32/u64[ADDR], a number or a symbol. */
static int operand_value(const struct grader *g, struct vm *vm, const char *s, u64 *v, char *msg,
			 size_t len)
{
	unsigned bits;
	int used = 0;

	if (reg_value(&vm->cpus[0], s, v))
		return 0;
	if (sscanf(s, "u%u[%n", &bits, &used) == 1 && used &&
	    (bits == 8 || bits == 16 || bits == 32 || bits == 64)) {
		char inner[128];
		size_t n = strlen(s + used);
		u64 addr, val = 0;
		struct err e;

		if (!n || s[used + n - 1] != ']' || n >= sizeof(inner)) {
			snprintf(msg, len, "'%s': want u32[ADDRESS]", s);
			return -1;
		}
		snprintf(inner, sizeof(inner), "%.*s", (int)n - 1, s + used);
		if (parse_addr(g, inner, &addr, msg, len))
			return -1;
		if (vm_debug_read(vm, 0, DBG_VIRT, addr, &val, bits / 8, &e)) {
			snprintf(msg, len, "%.60s: %.200s", s, e.msg);
			return -1;
		}
		*v = val;
		return 0;
	}
	return parse_addr(g, s, v, msg, len);
}

/* Evaluate the expect lines attached to break number `b`. */
static void eval_expects(struct grader *g, const struct grade_check *c, int b, struct vm *vm,
			 struct grade_run *r)
{
	for (int i = 0; i < c->nas; i++) {
		const struct grade_assert *a = &c->as[i];
		char msg[300] = "";
		u64 l, rv;
		bool ok = false;

		if (a->kind != GA_EXPECT || a->brk != b)
			continue;
		if (!operand_value(g, vm, a->lhs, &l, msg, sizeof(msg)) &&
		    !operand_value(g, vm, a->rhs, &rv, msg, sizeof(msg))) {
			switch (a->op) {
			case GOP_EQ: ok = l == rv; break;
			case GOP_NE: ok = l != rv; break;
			case GOP_ALL: ok = (l & rv) == rv; break;
			case GOP_NONE: ok = (l & rv) == 0; break;
			}
			if (!ok)
				snprintf(msg, sizeof(msg), "at %s: %s is 0x%llx, expected %s",
					 c->brk[b], a->lhs, (unsigned long long)l, a->text);
		}
		r->expect_ok[i] = ok;
		if (!ok)
			r->expect_msg[i] = xstrdup(msg);
	}
}

/* ---- one check ----------------------------------------------------------------- */

/* The seed's shift of virtual time: splitmix64, so neighbouring seeds land
 * far apart inside the span. */
static u64 seed_offset(u64 seed)
{
	u64 z = seed + 0x9E3779B97F4A7C15ULL;

	if (!seed)
		return 0;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31)) % SEED_SPAN_NS;
}

int grader_run_check(struct grader *g, const struct grade_check *c, struct grade_run *r,
		     struct recorder *rec, struct err *e)
{
	struct vm_config cfg;
	struct vm vm;
	struct chardev com1 = {0};
	struct trace_sink sink = {sink_event, rec, GRADE_TRACE_MASK};
	int bp_id[GRADE_MAX_BREAKS];
	u64 offset = seed_offset(c->seed);
	struct vm_stop st;
	int rc = -1;

	config_init(&cfg);
	config_set_str(&cfg.kernel, g->kernel);
	config_set_str(&cfg.append, c->append ? c->append : "");
	cfg.timeout_ns = offset + (c->timeout_ns ? c->timeout_ns : g->lab.timeout_ns);
	cfg.block_cache = g->block_cache;
	com1.write = serial_write;
	com1.opaque = rec;

	vm_init(&vm);
	if (trace_add_sink(&vm.trace, &sink, e) < 0)
		goto out;
	if (vm_create(&vm, &cfg, &com1, e))
		goto out;
	vm.board.idle_ns = offset;

	for (int b = 0; b < c->nbrk; b++) {
		char msg[200];
		u64 addr;

		if (parse_addr(g, c->brk[b], &addr, msg, sizeof(msg))) {
			err_set(e, "%s: check %s: break %s", g->kernel, c->name, msg);
			goto out;
		}
		if ((bp_id[b] = dbg_break_add(&vm, DBG_VIRT, addr, false, NULL, e)) < 0)
			goto out;
	}
	for (;;) {
		vm_debug_continue(&vm, &st);
		if (st.kind == VM_STOPPED_EXITED)
			break;
		if (st.kind != VM_STOPPED_BREAKPOINT)
			continue;
		for (int b = 0; b < c->nbrk; b++) {
			if (bp_id[b] != st.id)
				continue;
			r->brk_hit[b] = true;
			eval_expects(g, c, b, &vm, r);
			/* The first hit is the oracle; later ones pass. */
			dbg_delete(&vm, st.id, NULL);
		}
	}
	r->status = st.exit_status;
	snprintf(r->why, sizeof(r->why), "%s", st.why);
	r->virtual_ns = board_now_ns(&vm.board) - offset;
	rc = 0;
out:
	vm_destroy(&vm);
	config_free(&cfg);
	return rc;
}
