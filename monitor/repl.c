/*
 * repl.c - the monitor's read-eval-print loop (DESIGN.md §5): readline
 * prompt with history and completion, batch mode (-x FILE), the command
 * dispatcher with "did you mean", Ctrl-C break-in, and the helpers every
 * commands_*.c file uses (expressions, labels, stop reports).
 *
 * Output discipline: monitor output and the guest's serial output both go
 * to stdout through the same FILE, so they interleave in the order they
 * happened; before a prompt we end a partial guest line with a newline.
 * Batch mode echoes each command as "(vmlab) cmd" and then its output, so a
 * transcript reads like an interactive session (the .expected files in tests/monitor).
 */
#include "monitor/repl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cpu/mem.h"
#include "monitor/expr.h"
#include "monitor/options.h"
#include "monitor/trace_text.h"

static const struct mon_cmd *const tables[] = {mon_cmds_exec,	mon_cmds_inspect, mon_cmds_machine,
					       mon_cmds_tables, mon_cmds_paging,  mon_cmds_disk,
					       mon_cmds_vmm};

/* ---- output ----------------------------------------------------------------- */

void mon_printf(struct monitor *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(m->out, fmt, ap);
	va_end(ap);
}

bool mon_error(struct monitor *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(m->out, fmt, ap);
	va_end(ap);
	fputc('\n', m->out);
	return false;
}

struct cpu *mon_cpu(struct monitor *m)
{
	return &m->vm->cpus[m->cpu];
}

/* The serial console, wrapped: remember whether the line is complete. */
static void con_write(void *opaque, const u8 *buf, size_t len)
{
	struct monitor *m = opaque;

	if (len)
		m->partial_line = buf[len - 1] != '\n';
	m->con_write(m->con_opaque, buf, len);
}

/* ---- registers, symbols, memory for expressions --------------------------- */

struct regname {
	const char *name;
	int reg;       /* enum gpr, or -1..-n for the specials below */
	unsigned size; /* bytes */
	bool high;     /* AH/BH/CH/DH */
};

static const struct regname regnames[] = {
    {"rax", RAX, 8},	  {"rcx", RCX, 8},	{"rdx", RDX, 8},      {"rbx", RBX, 8},
    {"rsp", RSP, 8},	  {"rbp", RBP, 8},	{"rsi", RSI, 8},      {"rdi", RDI, 8},
    {"r8", R8, 8},	  {"r9", R9, 8},	{"r10", R10, 8},      {"r11", R11, 8},
    {"r12", R12, 8},	  {"r13", R13, 8},	{"r14", R14, 8},      {"r15", R15, 8},
    {"eax", RAX, 4},	  {"ecx", RCX, 4},	{"edx", RDX, 4},      {"ebx", RBX, 4},
    {"esp", RSP, 4},	  {"ebp", RBP, 4},	{"esi", RSI, 4},      {"edi", RDI, 4},
    {"ax", RAX, 2},	  {"cx", RCX, 2},	{"dx", RDX, 2},	      {"bx", RBX, 2},
    {"sp", RSP, 2},	  {"bp", RBP, 2},	{"si", RSI, 2},	      {"di", RDI, 2},
    {"al", RAX, 1},	  {"cl", RCX, 1},	{"dl", RDX, 1},	      {"bl", RBX, 1},
    {"ah", RAX, 1, true}, {"ch", RCX, 1, true}, {"dh", RDX, 1, true}, {"bh", RBX, 1, true},
};

bool mon_reg(struct cpu *c, const char *name, u64 *v)
{
	static const char *const segs[SEG_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs"};

	for (size_t i = 0; i < ARRAY_SIZE(regnames); i++) {
		const struct regname *r = &regnames[i];

		if (strcmp(name, r->name))
			continue;
		*v = r->high ? (c->gpr[r->reg] >> 8) & 0xff : c->gpr[r->reg] & mask_of(r->size);
		return true;
	}
	for (int s = 0; s < SEG_COUNT; s++) {
		if (!strcmp(name, segs[s])) {
			*v = c->seg[s].sel;
			return true;
		}
	}
	if (!strcmp(name, "rip") || !strcmp(name, "pc"))
		*v = c->rip;
	else if (!strcmp(name, "eip"))
		*v = c->rip & 0xffffffff;
	else if (!strcmp(name, "ip"))
		*v = c->rip & 0xffff;
	else if (!strcmp(name, "rflags") || !strcmp(name, "eflags") || !strcmp(name, "flags"))
		*v = cpu_rflags(c);
	else if (!strcmp(name, "cr0"))
		*v = c->cr0;
	else if (!strcmp(name, "cr2"))
		*v = c->cr2;
	else if (!strcmp(name, "cr3"))
		*v = c->cr3;
	else if (!strcmp(name, "cr4"))
		*v = c->cr4;
	else if (!strcmp(name, "cr8"))
		*v = c->cr8;
	else if (!strcmp(name, "efer"))
		*v = c->efer;
	else if (!strcmp(name, "cpl"))
		*v = c->cpl;
	else
		return false;
	return true;
}

struct eval_ctx {
	struct monitor *m;
	int cpu;
};

static bool env_reg(void *opaque, const char *name, u64 *v)
{
	struct eval_ctx *x = opaque;
	char low[16];
	size_t i;

	for (i = 0; name[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = 0;
	return mon_reg(&x->m->vm->cpus[x->cpu], low, v);
}

static bool env_sym(void *opaque, const char *name, u64 *v)
{
	struct eval_ctx *x = opaque;

	return symtab_lookup(&x->m->syms, name, v);
}

static bool env_mem(void *opaque, u64 addr, u64 *v, struct err *e)
{
	struct eval_ctx *x = opaque;

	*v = 0;
	return vm_debug_read(x->m->vm, x->cpu, DBG_VIRT, addr, v, 8, e) == 0;
}

static int eval_on(struct monitor *m, int cpu, const char *s, u64 *v, struct err *e)
{
	struct eval_ctx x = {m, cpu};
	struct expr_env env = {env_reg, env_sym, env_mem, &x};

	return expr_eval(&env, s, v, e);
}

bool mon_eval(struct monitor *m, const char *s, u64 *v)
{
	struct err e = {""};

	if (eval_on(m, m->cpu, s, v, &e))
		return mon_error(m, "%s", e.msg);
	return true;
}

/* Breakpoint conditions, evaluated by debug.c on the CPU that hit it.  A
 * condition that cannot be evaluated stops (and says so), as gdb does. */
static bool cond_eval(void *opaque, struct vm *vm, int cpu, const char *cond)
{
	struct monitor *m = opaque;
	struct err e = {""};
	u64 v;

	if (eval_on(m, cpu, cond, &v, &e)) {
		mon_printf(m, "error in condition '%s': %s\n", cond, e.msg);
		return true;
	}
	return v != 0;
}

void mon_label(struct monitor *m, u64 addr, char *buf, size_t len)
{
	char sym[160];

	if (symtab_format(&m->syms, addr, sym, sizeof(sym)))
		snprintf(buf, len, "0x%llx <%s>", (unsigned long long)addr, sym);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}

/* ---- disassembly and stops -------------------------------------------------- */

bool mon_disas(struct monitor *m, u64 addr, int n, bool mark_rip)
{
	struct cpu *c = mon_cpu(m);
	int bits = c->code_size * 8;

	for (int k = 0; k < n; k++) {
		u8 buf[16];
		char text[256], label[200], bytes[64] = "";
		struct err e = {""};
		size_t got = sizeof(buf);
		unsigned len;

		/* Read up to 16 bytes, fewer at the end of what is mapped. */
		while (got && vm_debug_read(m->vm, m->cpu, DBG_LINEAR, c->seg[SEG_CS].base + addr,
					    buf, got, &e))
			got--;
		if (!got)
			return mon_error(m, "cannot read code at 0x%llx: %s",
					 (unsigned long long)addr, e.msg);
		len = disas_one(&m->dis, bits, buf, got, addr, text, sizeof(text));
		if (!len)
			len = 1;
		for (unsigned i = 0, w = 0; i < len && w < sizeof(bytes) - 3; i++)
			w += snprintf(bytes + w, sizeof(bytes) - w, "%02x ", buf[i]);
		mon_label(m, addr, label, sizeof(label));
		mon_printf(m, "%s%s:\t%-24s%s\n", mark_rip && addr == c->rip ? "=> " : "   ", label,
			   bytes, text);
		addr += len;
		if (bits != 64)
			addr &= bits == 16 ? 0xffff : 0xffffffff;
	}
	return true;
}

void mon_where(struct monitor *m)
{
	mon_disas(m, mon_cpu(m)->rip, 1, true);
}

void mon_report_stop(struct monitor *m, const struct vm_stop *st)
{
	/* The registers the last traced instruction changed, before the stop. */
	trace_text_flush(m->tt);
	switch (st->kind) {
	case VM_STOPPED_EXITED:
		if (st->why[0])
			mon_printf(m, "the guest stopped: %s\n", st->why);
		mon_printf(m, "[guest exited with status %d]\n", st->exit_status);
		return;
	case VM_STOPPED_STEP: break;
	case VM_STOPPED_INTERRUPT: mon_printf(m, "interrupted\n"); break;
	case VM_STOPPED_BREAKPOINT: {
		char label[200];

		mon_label(m, st->addr, label, sizeof(label));
		mon_printf(m, "%sbreakpoint %d at %s\n",
			   strncmp(st->why, "temporary", 9) ? "" : "temporary ", st->id, label);
		break;
	}
	default: mon_printf(m, "%s\n", st->why); break;
	}
	if (st->kind != VM_STOPPED_EXITED && st->cpu >= 0 && st->cpu < m->vm->ncpus)
		m->cpu = st->cpu;
	mon_where(m);
}

/* ---- mode history: a trace sink on TRACE_MODE ------------------------------- */

static void hist_event(void *opaque, const struct trace_event *ev)
{
	struct monitor *m = opaque;

	m->hist = xrealloc(m->hist, (m->nhist + 1) * sizeof(*m->hist));
	m->hist[m->nhist++] =
	    (struct mode_switch){ev->icount, ev->pc, ev->cpu, (u8)ev->a[0], (u8)ev->a[1]};
}

/* ---- the command table ------------------------------------------------------ */

static const struct mon_cmd *find_cmd(const char *name)
{
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (const struct mon_cmd *c = tables[t]; c->name; c++)
			if (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name)))
				return c;
	return NULL;
}

static int all_names(const char **names, int max)
{
	int n = 0;

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (const struct mon_cmd *c = tables[t]; c->name && n < max; c++)
			names[n++] = c->name;
	return n;
}

static void help_one(struct monitor *m, const struct mon_cmd *c)
{
	char left[64];

	snprintf(left, sizeof(left), "%s%s%s", c->usage, c->alias ? ", " : "",
		 c->alias ? c->alias : "");
	mon_printf(m, "  %-34s %s\n", left, c->help);
}

static bool cmd_help(struct monitor *m, int argc, char **argv, const char *rest)
{
	const struct mon_cmd *c;

	if (argc > 1) {
		c = find_cmd(argv[1]);
		if (!c)
			return mon_error(m, "no command '%s' (try: help)", argv[1]);
		help_one(m, c);
		return true;
	}
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (c = tables[t]; c->name; c++)
			help_one(m, c);
	mon_printf(m, "Addresses are expressions: 0x10, 16, rip, rsp+8, *rsp, symbol+4, "
		      "(rbp - 8) * 2.\n");
	return true;
}

static bool cmd_quit(struct monitor *m, int argc, char **argv, const char *rest)
{
	m->quit = true;
	return true;
}

/* help and quit live here; the others in commands_*.c. */
static const struct mon_cmd repl_cmds[] = {
    {"help", NULL, cmd_help, "help [CMD]", "list the commands, or explain one"},
    {"quit", "q", cmd_quit, "quit", "leave vmlab (status: the guest's, if it ended; else 0)"},
    {NULL},
};

/* Split a line into words (in place); the text after the command word is
 * kept whole in *rest for commands that take an expression. */
static int split(char *line, char **argv, int max, const char **rest)
{
	int argc = 0;
	char *p = line;

	*rest = "";
	while (*p && argc < max) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (argc == 1)
			*rest = p;
		argv[argc++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = 0;
	}
	return argc;
}

int mon_cmd_names(const char **names, int max)
{
	int n = all_names(names, max);

	for (const struct mon_cmd *c = repl_cmds; c->name && n < max; c++)
		names[n++] = c->name;
	return n;
}

bool monitor_exec(struct monitor *m, const char *text)
{
	char line[1024], copy[1024], *argv[32], *slash;
	const char *rest;
	const struct mon_cmd *c = NULL;
	int argc;

	snprintf(line, sizeof(line), "%s", text);
	snprintf(copy, sizeof(copy), "%s", text);
	argc = split(line, argv, (int)ARRAY_SIZE(argv), &rest);
	if (!argc)
		return true;
	/* `rest` points into line, whose words got NULs: take it from copy. */
	rest = copy + (rest - line);
	/* x/4gx and xp/s: the format sticks to the command name. */
	slash = strchr(argv[0], '/');
	if (slash && (slash - argv[0] == 1 || slash - argv[0] == 2)) {
		char name[3] = {0};

		memcpy(name, argv[0], (size_t)(slash - argv[0]));
		if (!strcmp(name, "x") || !strcmp(name, "xp"))
			c = find_cmd(name);
	}
	for (const struct mon_cmd *r = repl_cmds; !c && r->name; r++)
		if (!strcmp(r->name, argv[0]) || (r->alias && !strcmp(r->alias, argv[0])))
			c = r;
	if (!c)
		c = find_cmd(argv[0]);
	if (!c) {
		const char *names[128], *near;
		int n = all_names(names, 126);

		names[n++] = "help";
		names[n++] = "quit";
		/* Two edits or a prefix: `brek` -> break, `regi` -> regs, but
		 * `print` is not `idt`. */
		near = options_nearest(argv[0], names, n, 2);
		if (near)
			return mon_error(m, "unknown command '%s'; did you mean '%s'?", argv[0],
					 near);
		return mon_error(m, "unknown command '%s' (try: help)", argv[0]);
	}
	return c->fn(m, argc, argv, rest);
}

/* ---- life cycle --------------------------------------------------------------- */

int monitor_preinit(struct monitor *m, struct trace *t, struct err *e)
{
	struct trace_sink hs = {hist_event, m, BIT(TRACE_MODE)};

	memset(m, 0, sizeof(*m));
	if (trace_add_sink(t, &hs, e) < 0)
		return -1;
	m->hist_early = true;
	return 0;
}

int monitor_init(struct monitor *m, struct vm *vm, const char *symbols_file, struct chardev *con,
		 struct trace_text *tt, struct err *e)
{
	struct trace_sink hs;
	struct mode_switch *hist = m->hist_early ? m->hist : NULL;
	size_t nhist = m->hist_early ? m->nhist : 0;
	bool early = m->hist_early;

	memset(m, 0, sizeof(*m));
	m->hist = hist;
	m->nhist = nhist;
	m->hist_early = early;
	m->vm = vm;
	m->out = stdout;
	m->tt = tt;
	m->tt_sink = -1;
	if (tt)
		for (int i = 0; i < vm->trace.nsinks; i++)
			if (vm->trace.sinks[i].opaque == tt)
				m->tt_sink = i;
	if (symbols_file && symtab_load(&m->syms, symbols_file, e))
		return -1;
	if (!symbols_file && vm->booted_multiboot && vm->cfg && vm->cfg->kernel) {
		struct err ignore;

		/* A kernel without symbols is fine: addresses stay numbers. */
		symtab_load(&m->syms, vm->cfg->kernel, &ignore);
	}
	if (disas_open(&m->dis, &m->syms, e))
		return -1;
	hs = (struct trace_sink){hist_event, m, BIT(TRACE_MODE)};
	if (!early && trace_add_sink(&vm->trace, &hs, e) < 0)
		return -1;
	vm->debug.cond_eval = cond_eval;
	vm->debug.cond_opaque = m;
	if (con) {
		m->con = con;
		m->con_write = con->write;
		m->con_opaque = con->opaque;
		con->write = con_write;
		con->opaque = m;
	}
	return 0;
}

void monitor_fini(struct monitor *m)
{
	if (m->con) {
		m->con->write = m->con_write;
		m->con->opaque = m->con_opaque;
	}
	disas_close(&m->dis);
	symtab_free(&m->syms);
	free(m->hist);
	m->hist = NULL;
}

int mon_final_status(struct monitor *m)
{
	return m->vm->ended ? m->vm->end.exit_status : VM_EXIT_OK;
}

static int run_batch(struct monitor *m, const char *script)
{
	FILE *f = fopen(script, "r");
	char line[1024];
	struct vm_stop st;

	if (!f) {
		fprintf(stderr, "vmlab: -x %s: cannot open: %m\n", script);
		return VM_EXIT_USAGE;
	}
	mon_where(m);
	while (!m->quit && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[strspn(line, " \t")] || line[strspn(line, " \t")] == '#')
			continue;
		mon_printf(m, "(vmlab) %s\n", line);
		monitor_exec(m, line);
	}
	fclose(f);
	if (m->quit || m->vm->ended)
		return mon_final_status(m);
	/* The script is done but the guest is not: let it run to its end. */
	mon_printf(m, "(end of %s: running the guest to its end)\n", script);
	for (int i = 0; i < DBG_MAX_BREAK; i++) {
		if (m->vm->debug.bp[i].id)
			dbg_delete(m->vm, m->vm->debug.bp[i].id, NULL);
		if (m->vm->debug.ev[i].id)
			dbg_delete(m->vm, m->vm->debug.ev[i].id, NULL);
	}
	for (int i = 0; i < DBG_MAX_WATCH; i++)
		if (m->vm->debug.wp[i].id)
			dbg_delete(m->vm, m->vm->debug.wp[i].id, NULL);
	vm_debug_continue(m->vm, &st);
	mon_report_stop(m, &st);
	return mon_final_status(m);
}

int monitor_run(struct monitor *m, const char *script)
{
	int status;

	m->batch = script != NULL;
	status = script ? run_batch(m, script) : mon_run_interactive(m);
	fflush(m->out);
	return status;
}
