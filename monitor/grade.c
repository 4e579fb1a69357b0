/*
 * grade.c - `vmlab grade LABDIR`: run a lab's checks and score them
 * (DESIGN.md §6; the check file is described in monitor/grade.h and
 * labs/README.md).
 *
 * For every check, in this process and in order:
 *   1. build a fresh virtual machine from the lab's kernel and the check's
 *      command line (hypervisor/vm.h), COM1 connected to a buffer;
 *   2. register a trace sink that records mode switches, exceptions,
 *      interrupts, port I/O, CR/MSR writes and the end of the run, and also
 *      keeps them as readable text for a student to read after a failure;
 *   3. arm the check's breakpoints; at each first hit evaluate its `expect`
 *      lines against the live registers and memory, then go on;
 *   4. run until the guest ends or the check's virtual-time budget is spent;
 *   5. evaluate the assertions (grade_check.c) and print one line
 *          == NAME ... OK (0.004 s)          or FAIL, with the reasons
 *      where the time is virtual, so the same kernel always prints the same.
 * At the end: "Score: x/y", a JSON file OUT/result.json, and for every
 * failed check its serial transcript and trace in OUT/NAME.serial and
 * OUT/NAME.trace.  Exit status 0 on full marks, 1 otherwise, 2 when the
 * lab could not be graded at all (missing kernel, bad check file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hypervisor/config.h"
#include "hypervisor/vm.h"
#include "lib/err.h"
#include "lib/trace.h"
#include "monitor/grade.h"
#include "monitor/symbols.h"
#include "monitor/trace_text.h"

/* The kinds the grader records (and saves as text for a failed check). */
#define GRADE_TRACE_MASK                                                                           \
	(BIT(TRACE_MODE) | BIT(TRACE_EXC) | BIT(TRACE_INT) | BIT(TRACE_IO) | BIT(TRACE_CR) |       \
	 BIT(TRACE_MSR) | BIT(TRACE_SHUTDOWN) | BIT(TRACE_EXIT))
#define TRACE_TEXT_MAX (8 * MiB)
#define SEED_SPAN_NS   10000000ULL /* a seed shifts virtual time by < 10 ms */

struct grader {
	struct grade_lab lab;
	const char *labdir;
	char *kernel; /* resolved image path */
	char *out;    /* folder for result.json and failure files */
	struct symtab syms;
	bool block_cache;
	const char *only; /* --check NAME */
};

/* What the sink and the serial port write into while a check runs. */
struct recorder {
	struct grade_run *run;
	struct trace_text tt; /* only for trace_text_format */
	char *text;
	size_t len, cap;
	bool truncated;
};

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

static int run_check(struct grader *g, const struct grade_check *c, struct grade_run *r,
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

/* ---- files ---------------------------------------------------------------------- */

static int mkdir_p(const char *path, struct err *e)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return err_errno(e, "%s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0777) && errno != EEXIST)
		return err_errno(e, "%s", buf);
	return 0;
}

/* Write a whole file atomically: a temporary beside it, fsync, rename. */
static int write_file(const char *path, const char *data, size_t len, struct err *e)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "w")))
		return err_errno(e, "%s", tmp);
	if ((len && fwrite(data, 1, len, f) != len) || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return err_errno(e, "%s", tmp);
	}
	fclose(f);
	if (rename(tmp, path)) {
		unlink(tmp);
		return err_errno(e, "%s", path);
	}
	return 0;
}

/* JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* ---- the command ---------------------------------------------------------------- */

struct result {
	bool ok;
	double vsec, hsec;
	char *msgs; /* the failure lines */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: vmlab grade [options] LABDIR\n\n"
		     "Run the checks of a lab (LABDIR/checks.txt) and print a score.\n\n"
		     "  --build DIR        where `make` put the lab kernels (default $VMLAB_BUILD\n"
		     "                     or build): the kernel is DIR/labs/NAME\n"
		     "  --kernel FILE      grade this kernel image instead\n"
		     "  --out DIR          results (default BUILD/grade/LAB): result.json, and\n"
		     "                     CHECK.serial + CHECK.trace for every failed check\n"
		     "  --check NAME       run only this check\n"
		     "  --no-block-cache   interpret one instruction at a time\n\n"
		     "Exit status: 0 full marks, 1 a partial score, 2 the lab cannot be graded.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = xcalloc(n, 1);

	snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* Grade one check: run, judge, print, save the evidence of a failure. */
static int grade_one(struct grader *g, const struct grade_check *c, struct result *res,
		     struct err *e)
{
	struct grade_run run = {0};
	struct recorder rec = {&run};
	char *buf = NULL;
	size_t blen = 0;
	FILE *msgs = open_memstream(&buf, &blen);
	double t0 = now_s();
	int rc = 0;

	for (int i = 0; i < GRADE_MAX_ASSERTS; i++)
		run.expect_ok[i] = -1;
	printf("== %s ... ", c->name);
	fflush(stdout);
	if (run_check(g, c, &run, &rec, e)) {
		rc = -1;
		goto out;
	}
	res->hsec = now_s() - t0;
	res->vsec = run.virtual_ns / 1e9;
	res->ok = grade_evaluate(c, &run, msgs);
	if (!res->ok && run.why[0])
		fprintf(msgs, "   the run ended: %s\n", run.why);
	fclose(msgs);
	msgs = NULL;
	res->msgs = buf;
	buf = NULL;
	printf("%s (%.6f s)\n", res->ok ? "OK" : "FAIL", res->vsec);
	if (res->ok)
		goto out;
	fputs(res->msgs, stdout);
	if (c->hint)
		printf("   hint: %s\n", c->hint);
	{
		char name[300];
		char *sp, *tp;

		snprintf(name, sizeof(name), "%s.serial", c->name);
		sp = path_join(g->out, name);
		snprintf(name, sizeof(name), "%s.trace", c->name);
		tp = path_join(g->out, name);
		if (rec.truncated && rec.text)
			strcpy(rec.text + rec.len - (rec.len > 20 ? 20 : 0),
			       "\n(trace truncated)\n");
		if (!write_file(sp, run.serial ? run.serial : "", run.serial_len, e) &&
		    !write_file(tp, rec.text ? rec.text : "", rec.text ? strlen(rec.text) : 0, e))
			printf("   transcript: %s  trace: %s\n", sp, tp);
		else
			printf("   (could not save the transcript: %s)\n", e->msg);
		free(sp);
		free(tp);
	}
out:
	if (msgs)
		fclose(msgs);
	free(buf);
	free(rec.text);
	grade_run_free(&run);
	return rc;
}

static int write_json(struct grader *g, struct result *res, int score, int max, struct err *e)
{
	char *buf = NULL, *path;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	fprintf(f, "{\n  \"lab\": ");
	json_str(f, g->lab.name ? g->lab.name : g->labdir);
	fprintf(f, ",\n  \"kernel\": ");
	json_str(f, g->kernel);
	fprintf(f, ",\n  \"score\": %d,\n  \"max\": %d,\n  \"checks\": [", score, max);
	for (int i = 0, first = 1; i < g->lab.nchecks; i++) {
		const struct grade_check *c = &g->lab.checks[i];

		if (g->only && strcmp(g->only, c->name))
			continue;
		fprintf(f, "%s\n    {\"name\": ", first ? "" : ",");
		first = 0;
		json_str(f, c->name);
		fprintf(f,
			", \"points\": %d, \"passed\": %s, \"virtual_s\": %.6f, \"host_s\": %.3f",
			c->points, res[i].ok ? "true" : "false", res[i].vsec, res[i].hsec);
		fprintf(f, ", \"messages\": ");
		json_str(f, res[i].msgs ? res[i].msgs : "");
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
	fclose(f);
	path = path_join(g->out, "result.json");
	r = write_file(path, buf, len, e);
	free(path);
	free(buf);
	return r;
}

int grade_main(int argc, char **argv)
{
	struct grader g = {.block_cache = true};
	struct result res[GRADE_MAX_CHECKS] = {0};
	struct err e = {""};
	const char *build = getenv("VMLAB_BUILD"), *kernel = NULL, *out = NULL;
	char *checks = NULL;
	struct stat sb;
	int score = 0, max = 0, status = 2, ran = 0;

	if (!build || !*build)
		build = "build";
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--build") && more) {
			build = argv[++i];
		} else if (!strcmp(a, "--kernel") && more) {
			kernel = argv[++i];
		} else if (!strcmp(a, "--out") && more) {
			out = argv[++i];
		} else if (!strcmp(a, "--check") && more) {
			g.only = argv[++i];
		} else if (!strcmp(a, "--no-block-cache")) {
			g.block_cache = false;
		} else if (a[0] == '-') {
			fprintf(stderr, "vmlab: grade: unknown option or missing value: %s\n", a);
			usage(stderr);
			return 2;
		} else if (g.labdir) {
			fprintf(stderr, "vmlab: grade: one lab at a time (%s and %s)\n", g.labdir,
				a);
			return 2;
		} else {
			g.labdir = a;
		}
	}
	if (!g.labdir) {
		usage(stderr);
		return 2;
	}
	/* LABDIR is a folder holding checks.txt, or the check file itself. */
	if (!stat(g.labdir, &sb) && S_ISDIR(sb.st_mode))
		checks = path_join(g.labdir, "checks.txt");
	else
		checks = xstrdup(g.labdir);
	if (grade_load(&g.lab, checks, &e))
		goto fail;
	if (g.only) {
		bool found = false;

		for (int i = 0; i < g.lab.nchecks; i++)
			found |= !strcmp(g.lab.checks[i].name, g.only);
		if (!found) {
			err_set(&e, "%s: no check named '%s'", checks, g.only);
			goto fail;
		}
	}
	if (kernel) {
		g.kernel = xstrdup(kernel);
	} else if (g.lab.kernel[0] == '/') {
		g.kernel = xstrdup(g.lab.kernel);
	} else {
		char *labs = path_join(build, "labs");

		g.kernel = path_join(labs, g.lab.kernel);
		free(labs);
	}
	if (access(g.kernel, R_OK)) {
		err_errno(&e, "%s (build it first: make grade LAB=NN, or give --build DIR)",
			  g.kernel);
		goto fail;
	}
	if (symtab_load(&g.syms, g.kernel, &e))
		goto fail;
	if (out) {
		g.out = xstrdup(out);
	} else {
		char *d = path_join(build, "grade");

		g.out = path_join(d, g.lab.name ? g.lab.name : "lab");
		free(d);
	}
	if (mkdir_p(g.out, &e))
		goto fail;

	for (int i = 0; i < g.lab.nchecks; i++) {
		const struct grade_check *c = &g.lab.checks[i];

		if (g.only && strcmp(g.only, c->name))
			continue;
		max += c->points;
		ran++;
		if (grade_one(&g, c, &res[i], &e)) {
			printf("ERROR\n");
			goto fail;
		}
		if (res[i].ok)
			score += c->points;
	}
	printf("Score: %d/%d\n", score, max);
	if (write_json(&g, res, score, max, &e))
		goto fail;
	status = score == max && ran ? 0 : 1;
	goto done;
fail:
	fflush(stdout);
	fprintf(stderr, "vmlab: grade: %s\n", e.msg);
	status = 2;
done:
	for (int i = 0; i < GRADE_MAX_CHECKS; i++)
		free(res[i].msgs);
	symtab_free(&g.syms);
	grade_lab_free(&g.lab);
	free(g.kernel);
	free(g.out);
	free(checks);
	return status;
}
