/*
 * commands_exec.c - the monitor's execution-control commands: step, next,
 * continue, until, finish, breakpoints, watchpoints and catchpoints (event
 * breaks), on top of hypervisor/debug.h.
 *
 * How `next` and `finish` find where to stop (no debug information needed):
 *   next    steps over CALL and REP-prefixed string instructions: a
 *           temporary breakpoint at RIP + the instruction's length, then
 *           continue; any other instruction is a plain single step.
 *   finish  the return address of the current function is read from the
 *           stack: at the function's first instruction (RIP is the address
 *           of a symbol) it is at [RSP]; inside the body, with the usual
 *           frame (push rbp; mov rbp, rsp) at [RBP + word].  A temporary
 *           breakpoint there, conditional on RSP being above its current
 *           value, so that a recursive call returning to the same address
 *           does not stop us in a deeper frame.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/repl.h"

static void report(struct monitor *m, const struct vm_stop *st)
{
	mon_report_stop(m, st);
}

static bool cmd_step(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct vm_stop st;
	u64 n = 1;

	if (argc > 1 && !mon_eval(m, rest, &n))
		return false;
	if (n == 0)
		return mon_error(m, "step: count must be at least 1");
	vm_debug_step(m->vm, m->cpu, n, &st);
	report(m, &st);
	return true;
}

/* Continue until a temporary breakpoint at addr (or any other stop), then
 * remove the temporary breakpoint if something else stopped us first. */
static bool run_to(struct monitor *m, u64 addr, const char *cond)
{
	struct err e = {""};
	struct vm_stop st;
	int id = dbg_break_add(m->vm, DBG_VIRT, addr, true, cond, &e);

	if (id < 0)
		return mon_error(m, "%s", e.msg);
	vm_debug_continue(m->vm, &st);
	if (dbg_find_break(m->vm, id))
		dbg_delete(m->vm, id, NULL);
	/* Our own temporary breakpoint is an implementation detail: report
	 * it as a plain stop. */
	if (st.kind == VM_STOPPED_BREAKPOINT && st.id == id)
		st.kind = VM_STOPPED_STEP;
	report(m, &st);
	return true;
}

static bool cmd_next(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);
	u8 buf[16];
	char text[256];
	size_t got = sizeof(buf);
	unsigned len = 0;

	while (got && vm_debug_read(m->vm, m->cpu, DBG_LINEAR, c->seg[SEG_CS].base + c->rip, buf,
				    got, NULL))
		got--;
	if (got)
		len = disas_one(&m->dis, c->code_size * 8, buf, got, c->rip, text, sizeof(text));
	if (len && (!strncmp(text, "call", 4) || !strncmp(text, "rep", 3)))
		return run_to(m, c->rip + len, NULL);
	return cmd_step(m, 1, argv, "");
}

static bool cmd_continue(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct vm_stop st;

	vm_debug_continue(m->vm, &st);
	report(m, &st);
	return true;
}

static bool cmd_until(struct monitor *m, int argc, char **argv, const char *rest)
{
	u64 addr;

	if (argc < 2)
		return mon_error(m, "usage: until ADDR");
	if (!mon_eval(m, rest, &addr))
		return false;
	return run_to(m, addr, NULL);
}

static bool cmd_finish(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);
	unsigned w = c->code_size;
	u64 ret = 0, off, at;
	const struct symbol *s = symtab_find(&m->syms, c->rip, &off);
	char cond[64];
	struct err e = {""};

	/* At the entry the CALL's return address is on top of the stack;
	 * later it sits above the saved RBP. */
	at = s && off == 0 ? c->gpr[RSP] : c->gpr[RBP] + w;
	if (vm_debug_read(m->vm, m->cpu, DBG_VIRT, at, &ret, w, &e))
		return mon_error(m, "finish: cannot read the return address at 0x%llx: %s",
				 (unsigned long long)at, e.msg);
	mon_printf(m, "run till exit: return address 0x%llx read at 0x%llx (%s)\n",
		   (unsigned long long)ret, (unsigned long long)at,
		   s && off == 0 ? "[rsp]" : "[rbp+word]");
	snprintf(cond, sizeof(cond), "rsp > 0x%llx", (unsigned long long)c->gpr[RSP]);
	return run_to(m, ret, cond);
}

/* break ADDR [if COND] for the three address spaces. */
static bool add_break(struct monitor *m, enum dbg_space sp, bool temp, const char *rest)
{
	char expr[256], label[200];
	const char *cond = NULL, *ifp;
	struct err e = {""};
	u64 addr;
	int id;

	snprintf(expr, sizeof(expr), "%s", rest);
	ifp = strstr(expr, " if ");
	if (ifp) {
		expr[ifp - expr] = 0;
		cond = rest + (ifp - expr) + 4;
	}
	if (!expr[0])
		return mon_error(m, "usage: break ADDR [if COND]");
	if (!mon_eval(m, expr, &addr))
		return false;
	if (cond) {
		u64 dummy;
		/* Check the syntax now rather than at the first hit. */
		if (!mon_eval(m, cond, &dummy))
			return false;
	}
	id = dbg_break_add(m->vm, sp, addr, temp, cond, &e);
	if (id < 0)
		return mon_error(m, "%s", e.msg);
	mon_label(m, addr, label, sizeof(label));
	mon_printf(m, "%s %d at %s%s%s%s\n", temp ? "temporary breakpoint" : "breakpoint", id,
		   sp == DBG_VIRT     ? ""
		   : sp == DBG_LINEAR ? "linear "
				      : "physical ",
		   label, cond ? " if " : "", cond ? cond : "");
	return true;
}

static bool cmd_break(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_break(m, DBG_VIRT, false, rest);
}
static bool cmd_tbreak(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_break(m, DBG_VIRT, true, rest);
}
static bool cmd_pbreak(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_break(m, DBG_PHYS, false, rest);
}
static bool cmd_lbreak(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_break(m, DBG_LINEAR, false, rest);
}

static bool add_watch(struct monitor *m, int argc, char **argv, enum dbg_space sp,
		      enum dbg_access acc)
{
	static const char *const accname[4] = {"", "read ", "", "access "};
	struct err e = {""};
	u64 addr, len = 1;
	int id;

	if (argc < 2 || argc > 3)
		return mon_error(m, "usage: %s ADDR [LEN]", argv[0]);
	if (!mon_eval(m, argv[1], &addr) || (argc == 3 && !mon_eval(m, argv[2], &len)))
		return false;
	id = dbg_watch_add(m->vm, sp, addr, len, acc, &e);
	if (id < 0)
		return mon_error(m, "%s", e.msg);
	mon_printf(m, "%swatchpoint %d: %s0x%llx, %llu byte%s\n", accname[acc], id,
		   sp == DBG_PHYS ? "physical " : "", (unsigned long long)addr,
		   (unsigned long long)len, len == 1 ? "" : "s");
	return true;
}

static bool cmd_watch(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_watch(m, argc, argv, DBG_VIRT, DBG_WRITE);
}
static bool cmd_rwatch(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_watch(m, argc, argv, DBG_VIRT, DBG_READ);
}
static bool cmd_awatch(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_watch(m, argc, argv, DBG_VIRT, DBG_ACCESS);
}
static bool cmd_pwatch(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_watch(m, argc, argv, DBG_PHYS, DBG_WRITE);
}
static bool cmd_prwatch(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_watch(m, argc, argv, DBG_PHYS, DBG_READ);
}
static bool cmd_pawatch(struct monitor *m, int argc, char **argv, const char *rest)
{
	return add_watch(m, argc, argv, DBG_PHYS, DBG_ACCESS);
}

static bool cmd_catch(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct err e = {""};
	enum dbg_event ev = DBG_EV_COUNT;
	bool any = true;
	u64 arg = 0;
	int id;

	for (int i = 0; argc > 1 && i < DBG_EV_COUNT; i++)
		if (!strcmp(argv[1], dbg_event_name[i]))
			ev = (enum dbg_event)i;
	if (ev == DBG_EV_COUNT)
		return mon_error(m, "usage: catch mode|vector N|port N|cr N|msr N|triple|magic");
	if (argc > 2) {
		if (ev == DBG_EV_MODE || ev == DBG_EV_TRIPLE || ev == DBG_EV_MAGIC)
			return mon_error(m, "catch %s takes no argument", argv[1]);
		if (!mon_eval(m, argv[2], &arg))
			return false;
		any = false;
	}
	id = dbg_event_add(m->vm, ev, arg, any, &e);
	if (id < 0)
		return mon_error(m, "%s", e.msg);
	if (any)
		mon_printf(m, "catchpoint %d: %s\n", id, argv[1]);
	else
		mon_printf(m, "catchpoint %d: %s 0x%llx\n", id, argv[1], (unsigned long long)arg);
	return true;
}

static bool cmd_info(struct monitor *m, int argc, char **argv, const char *rest)
{
	static const char *const accname[4] = {"", "rwatch", "watch", "awatch"};
	static const char *const paccname[4] = {"", "prwatch", "pwatch", "pawatch"};
	struct vm_debug *d = &m->vm->debug;
	bool any = false;

	if (argc > 1 && !strcmp(argv[1], "symbol"))
		return mon_info_symbol(m, argc - 1, argv + 1, rest + strcspn(rest, " \t"));
	if (argc < 2 ||
	    (strcmp(argv[1], "breakpoints") && strcmp(argv[1], "break") && strcmp(argv[1], "b")))
		return mon_error(m, "usage: info breakpoints | info symbol ADDR");
	/* Everything sorted by id: ids are handed out in order, so scan them. */
	for (int id = 1; id <= d->next_id; id++) {
		char label[200];

		for (int i = 0; i < DBG_MAX_BREAK; i++) {
			const struct dbg_breakpoint *b = &d->bp[i];
			const struct dbg_event_break *v = &d->ev[i];

			if (b->id == id) {
				if (!any)
					mon_printf(m, "Num  Type        Enb  What\n");
				any = true;
				mon_label(m, b->addr, label, sizeof(label));
				mon_printf(m, "%-4d %-11s %-4s %s%s%s%s (hits %llu)\n", id,
					   b->temporary		    ? "tbreak"
					   : b->space == DBG_PHYS   ? "pbreak"
					   : b->space == DBG_LINEAR ? "lbreak"
								    : "breakpoint",
					   b->enabled ? "y" : "n", label, b->cond[0] ? " if " : "",
					   b->cond, "", (unsigned long long)b->hits);
			}
			if (v->id == id) {
				if (!any)
					mon_printf(m, "Num  Type        Enb  What\n");
				any = true;
				if (v->any_arg)
					mon_printf(m, "%-4d %-11s %-4s %s\n", id, "catch",
						   v->enabled ? "y" : "n",
						   dbg_event_name[v->event]);
				else
					mon_printf(m, "%-4d %-11s %-4s %s 0x%llx\n", id, "catch",
						   v->enabled ? "y" : "n", dbg_event_name[v->event],
						   (unsigned long long)v->arg);
			}
		}
		for (int i = 0; i < DBG_MAX_WATCH; i++) {
			const struct dbg_watchpoint *w = &d->wp[i];

			if (w->id != id)
				continue;
			if (!any)
				mon_printf(m, "Num  Type        Enb  What\n");
			any = true;
			mon_printf(m, "%-4d %-11s %-4s %s0x%llx len %llu (hits %llu)\n", id,
				   w->space == DBG_PHYS ? paccname[w->access] : accname[w->access],
				   w->enabled ? "y" : "n", w->space == DBG_PHYS ? "physical " : "",
				   (unsigned long long)w->addr, (unsigned long long)w->len,
				   (unsigned long long)w->hits);
		}
	}
	if (!any)
		mon_printf(m, "no breakpoints, watchpoints or catchpoints\n");
	return true;
}

static bool by_id(struct monitor *m, int argc, char **argv, int what)
{
	struct err e = {""};

	if (argc < 2)
		return mon_error(m, "usage: %s N [N...]", argv[0]);
	for (int i = 1; i < argc; i++) {
		char *end;
		long id = strtol(argv[i], &end, 10);
		int r;

		if (*end || id <= 0)
			return mon_error(m, "%s: '%s' is not a breakpoint number", argv[0],
					 argv[i]);
		r = what < 0 ? dbg_delete(m->vm, (int)id, &e)
			     : dbg_enable(m->vm, (int)id, what, &e);
		if (r)
			return mon_error(m, "%s", e.msg);
	}
	return true;
}

static bool cmd_delete(struct monitor *m, int argc, char **argv, const char *rest)
{
	return by_id(m, argc, argv, -1);
}
static bool cmd_enable(struct monitor *m, int argc, char **argv, const char *rest)
{
	return by_id(m, argc, argv, 1);
}
static bool cmd_disable(struct monitor *m, int argc, char **argv, const char *rest)
{
	return by_id(m, argc, argv, 0);
}

const struct mon_cmd mon_cmds_exec[] = {
    {"step", "si", cmd_step, "step [N]", "execute N instructions (default 1)"},
    {"next", "ni", cmd_next, "next", "step over a CALL or REP instruction"},
    {"continue", "c", cmd_continue, "continue", "run until a breakpoint, event or the end"},
    {"until", NULL, cmd_until, "until ADDR", "run until ADDR is reached"},
    {"finish", NULL, cmd_finish, "finish", "run until the current function returns"},
    {"break", "b", cmd_break, "break ADDR [if COND]", "breakpoint at a virtual address"},
    {"tbreak", NULL, cmd_tbreak, "tbreak ADDR [if COND]", "temporary breakpoint (once)"},
    {"pbreak", NULL, cmd_pbreak, "pbreak PADDR [if COND]", "breakpoint at a physical address"},
    {"lbreak", NULL, cmd_lbreak, "lbreak LADDR [if COND]", "breakpoint at a linear address"},
    {"watch", NULL, cmd_watch, "watch ADDR [LEN]", "stop after a write to ADDR..ADDR+LEN"},
    {"rwatch", NULL, cmd_rwatch, "rwatch ADDR [LEN]", "stop after a read"},
    {"awatch", NULL, cmd_awatch, "awatch ADDR [LEN]", "stop after a read or write"},
    {"pwatch", NULL, cmd_pwatch, "pwatch PADDR [LEN]", "stop after a write to physical memory"},
    {"prwatch", NULL, cmd_prwatch, "prwatch PADDR [LEN]", "stop after a read of physical memory"},
    {"pawatch", NULL, cmd_pawatch, "pawatch PADDR [LEN]",
     "stop after a read or write of physical memory"},
    {"catch", NULL, cmd_catch, "catch EVENT [N]",
     "stop on mode | vector N | port N | cr N | msr N | triple | magic"},
    {"info", NULL, cmd_info, "info breakpoints|symbol", "list breakpoints; name an address"},
    {"delete", "d", cmd_delete, "delete N...", "delete breakpoints/watchpoints/catchpoints"},
    {"enable", NULL, cmd_enable, "enable N...", "enable them"},
    {"disable", NULL, cmd_disable, "disable N...", "disable them"},
    {NULL},
};
