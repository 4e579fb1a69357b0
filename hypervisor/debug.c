/*
 * debug.c - execution control for debuggers (hypervisor/debug.h): the
 * monitor's step/next/continue and the gdb stub share it (DESIGN.md §5).
 *
 * How each kind of stop is detected, without a second run loop (the one
 * loop is vm_run_until in vm.c; this file only arms things and answers
 * the CPU's hooks):
 *
 *   breakpoints   the CPU's before_insn hook compares RIP (DBG_VIRT),
 *                 CS.base + RIP (DBG_LINEAR) or its translation (DBG_PHYS)
 *                 with every enabled breakpoint BEFORE the instruction
 *                 runs, as a hardware execute breakpoint (DR7 R/W = 00)
 *                 would (SDM Vol 3 §18.2.4).  c->hook_poll is set only while
 *                 a breakpoint, watchpoint or event break exists.
 *   watchpoints   the memory slow path calls hooks.mem_watch for every data
 *                 access while c->watch_mem is set (cpu/mem.c); a hit is
 *                 recorded and the CPU stops before the NEXT instruction:
 *                 like a data breakpoint, a trap after the access.
 *   event breaks  a trace sink (lib/trace.h) sees mode switches, vectors,
 *                 port I/O, CR and MSR accesses and the triple fault; it
 *                 records the stop, and before_insn stops the CPU after the
 *                 instruction that caused it.  The magic breakpoint
 *                 `xchg bx, bx` (87 DB, Bochs's convention) is recognised in
 *                 before_insn: the stop is AT the xchg, before it runs.
 *
 * Resuming from a breakpoint: the first before_insn after a step or
 * continue ignores a breakpoint at the RIP we resume from (resume_skip), so
 * `continue` does not stop again on the breakpoint it stopped at.
 *
 * Virtual addresses: vmlab's debugger treats DBG_VIRT as "the address the
 * program uses": RIP for code, and for data the linear address (segment
 * bases are 0 in the flat models every sample and OS uses).
 */
#include "hypervisor/debug.h"

#include <stdio.h>
#include <string.h>

#include "cpu/mem.h"
#include "hypervisor/vm.h"

const char *const dbg_event_name[DBG_EV_COUNT] = {
    [DBG_EV_MODE] = "mode",   [DBG_EV_VECTOR] = "vector", [DBG_EV_PORT] = "port",
    [DBG_EV_CR] = "cr",	      [DBG_EV_MSR] = "msr",	  [DBG_EV_TRIPLE] = "triple",
    [DBG_EV_MAGIC] = "magic",
};
const char *const dbg_space_name[3] = {"virtual", "linear", "physical"};

/* ---- guest memory, read safely -------------------------------------------- */

static u64 lin_of(const struct cpu *c, u64 addr, enum dbg_space sp)
{
	/* Linear addresses are 32 bits wide outside IA-32e mode. */
	return (c->efer & EFER_LMA) ? addr : (addr & 0xffffffff);
}

/* Physical address of one byte, or false. */
static bool to_phys(struct vm *vm, int cpu, enum dbg_space sp, u64 addr, u64 *pa)
{
	struct cpu *c = &vm->cpus[cpu];

	if (sp == DBG_PHYS) {
		*pa = addr;
		return true;
	}
	return cpu_debug_translate(c, lin_of(c, addr, sp), pa);
}

static int access_mem(struct vm *vm, int cpu, enum dbg_space sp, u64 addr, u8 *buf, size_t len,
		      bool write, struct err *e)
{
	if (cpu < 0 || cpu >= vm->ncpus)
		return err_set(e, "no cpu%d", cpu);
	while (len) {
		size_t n = 4096 - (addr & 0xfff);
		bool writable;
		u64 pa;
		u8 *h;

		if (n > len)
			n = len;
		if (!to_phys(vm, cpu, sp, addr, &pa))
			return err_set(e, "0x%llx is not mapped", (unsigned long long)addr);
		/* Only RAM and ROM: reading a device register could change it. */
		h = bus_page_host(&vm->board.bus, pa, &writable);
		if (!h || (write && !writable))
			return err_set(e, "0x%llx (physical 0x%llx) is not %s",
				       (unsigned long long)addr, (unsigned long long)pa,
				       write ? "RAM" : "RAM or ROM");
		if (write) {
			memcpy(h + (pa & 0xfff), buf, n);
			/* Keep the CPU's cached translations/blocks coherent. */
			if (vm->board.bus.ram_written)
				vm->board.bus.ram_written(vm->board.bus.ram_written_opaque, pa, n);
		} else {
			memcpy(buf, h + (pa & 0xfff), n);
		}
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int vm_debug_read(struct vm *vm, int cpu, enum dbg_space sp, u64 addr, void *buf, size_t len,
		  struct err *e)
{
	return access_mem(vm, cpu, sp, addr, buf, len, false, e);
}

int vm_debug_write(struct vm *vm, int cpu, enum dbg_space sp, u64 addr, const void *buf, size_t len,
		   struct err *e)
{
	return access_mem(vm, cpu, sp, addr, (u8 *)buf, len, true, e);
}

/* ---- arming: hook_poll / watch_mem only while something exists ------------ */

static void update_cpus(struct vm *vm)
{
	struct vm_debug *d = &vm->debug;
	bool poll = false, watch = false;

	for (int i = 0; i < DBG_MAX_BREAK; i++)
		if ((d->bp[i].id && d->bp[i].enabled) || (d->ev[i].id && d->ev[i].enabled))
			poll = true;
	for (int i = 0; i < DBG_MAX_WATCH; i++)
		if (d->wp[i].id && d->wp[i].enabled)
			poll = watch = true;
	for (int i = 0; i < vm->ncpus; i++) {
		vm->cpus[i].hook_poll = poll;
		vm->cpus[i].watch_mem = watch;
	}
}

static void trace_sink_event(void *opaque, const struct trace_event *ev);

/* The event sink listens to the trace kinds of the enabled event breaks. */
static void update_sink(struct vm *vm)
{
	static const u64 kinds[DBG_EV_COUNT] = {
	    [DBG_EV_MODE] = BIT(TRACE_MODE),
	    [DBG_EV_VECTOR] = BIT(TRACE_INT) | BIT(TRACE_EXC),
	    [DBG_EV_PORT] = BIT(TRACE_IO),
	    [DBG_EV_CR] = BIT(TRACE_CR),
	    [DBG_EV_MSR] = BIT(TRACE_MSR),
	    [DBG_EV_TRIPLE] = BIT(TRACE_SHUTDOWN),
	    [DBG_EV_MAGIC] = 0,
	};
	struct vm_debug *d = &vm->debug;
	u64 mask = 0;

	for (int i = 0; i < DBG_MAX_BREAK; i++)
		if (d->ev[i].id && d->ev[i].enabled)
			mask |= kinds[d->ev[i].event];
	if (d->sink < 0) {
		struct trace_sink s = {trace_sink_event, vm, 0};

		if (!mask)
			return;
		d->sink = trace_add_sink(&vm->trace, &s, NULL);
		if (d->sink < 0)
			return; /* dbg_event_add checked there was room */
	}
	trace_set_mask(&vm->trace, d->sink, mask);
}

static void rearm(struct vm *vm)
{
	update_cpus(vm);
	update_sink(vm);
}

static int new_id(struct vm *vm)
{
	return ++vm->debug.next_id;
}

int dbg_break_add(struct vm *vm, enum dbg_space sp, u64 addr, bool temporary, const char *cond,
		  struct err *e)
{
	struct vm_debug *d = &vm->debug;

	if (cond && strlen(cond) >= sizeof(d->bp[0].cond))
		return err_set(e, "condition too long (max %zu characters)",
			       sizeof(d->bp[0].cond) - 1);
	for (int i = 0; i < DBG_MAX_BREAK; i++) {
		struct dbg_breakpoint *b = &d->bp[i];

		if (b->id)
			continue;
		memset(b, 0, sizeof(*b));
		b->id = new_id(vm);
		b->space = sp;
		b->addr = addr;
		b->temporary = temporary;
		b->enabled = true;
		snprintf(b->cond, sizeof(b->cond), "%s", cond ? cond : "");
		rearm(vm);
		return b->id;
	}
	return err_set(e, "too many breakpoints (max %d)", DBG_MAX_BREAK);
}

int dbg_watch_add(struct vm *vm, enum dbg_space sp, u64 addr, u64 len, enum dbg_access acc,
		  struct err *e)
{
	struct vm_debug *d = &vm->debug;

	if (len == 0 || len > 4096)
		return err_set(e, "watch length %llu: expected 1..4096", (unsigned long long)len);
	for (int i = 0; i < DBG_MAX_WATCH; i++) {
		struct dbg_watchpoint *w = &d->wp[i];

		if (w->id)
			continue;
		*w = (struct dbg_watchpoint){.id = new_id(vm),
					     .space = sp == DBG_PHYS ? DBG_PHYS : DBG_VIRT,
					     .addr = addr,
					     .len = len,
					     .access = acc,
					     .enabled = true};
		rearm(vm);
		return w->id;
	}
	return err_set(e, "too many watchpoints (max %d)", DBG_MAX_WATCH);
}

int dbg_event_add(struct vm *vm, enum dbg_event ev, u64 arg, bool any_arg, struct err *e)
{
	struct vm_debug *d = &vm->debug;

	if (ev < 0 || ev >= DBG_EV_COUNT)
		return err_set(e, "no such event %d", ev);
	if (d->sink < 0 && ev != DBG_EV_MAGIC && vm->trace.nsinks >= TRACE_MAX_SINKS)
		return err_set(e, "catch: no free trace sink (max %d)", TRACE_MAX_SINKS);
	for (int i = 0; i < DBG_MAX_BREAK; i++) {
		struct dbg_event_break *b = &d->ev[i];

		if (b->id)
			continue;
		*b = (struct dbg_event_break){
		    .id = new_id(vm), .event = ev, .arg = arg, .any_arg = any_arg, .enabled = true};
		rearm(vm);
		return b->id;
	}
	return err_set(e, "too many event breaks (max %d)", DBG_MAX_BREAK);
}

struct dbg_breakpoint *dbg_find_break(struct vm *vm, int id)
{
	for (int i = 0; id > 0 && i < DBG_MAX_BREAK; i++)
		if (vm->debug.bp[i].id == id)
			return &vm->debug.bp[i];
	return NULL;
}

/* Delete (on = -1) or enable/disable whatever has this id. */
static int change(struct vm *vm, int id, int on, struct err *e)
{
	struct vm_debug *d = &vm->debug;

	for (int i = 0; id > 0 && i < DBG_MAX_BREAK; i++) {
		if (d->bp[i].id == id) {
			if (on < 0)
				d->bp[i].id = 0;
			else
				d->bp[i].enabled = on;
			goto done;
		}
		if (d->ev[i].id == id) {
			if (on < 0)
				d->ev[i].id = 0;
			else
				d->ev[i].enabled = on;
			goto done;
		}
	}
	for (int i = 0; id > 0 && i < DBG_MAX_WATCH; i++) {
		if (d->wp[i].id == id) {
			if (on < 0)
				d->wp[i].id = 0;
			else
				d->wp[i].enabled = on;
			goto done;
		}
	}
	return err_set(e, "no breakpoint, watchpoint or catchpoint number %d", id);
done:
	rearm(vm);
	return 0;
}

int dbg_delete(struct vm *vm, int id, struct err *e)
{
	return change(vm, id, -1, e);
}

int dbg_enable(struct vm *vm, int id, bool on, struct err *e)
{
	return change(vm, id, on, e);
}

/* ---- the hooks: deciding to stop ------------------------------------------ */

static struct vm_stop *record(struct vm *vm, struct cpu *c, enum vm_stop_kind kind, int id)
{
	struct vm_stop *st = &vm->debug.pending;

	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->cpu = c->index;
	st->id = id;
	vm->debug.fired = true;
	return st;
}

static bool bp_matches(struct vm *vm, struct cpu *c, const struct dbg_breakpoint *b)
{
	u64 lin = lin_of(c, c->seg[SEG_CS].base + c->rip, DBG_LINEAR), pa;

	switch (b->space) {
	case DBG_VIRT: return c->rip == b->addr;
	case DBG_LINEAR: return lin == b->addr;
	case DBG_PHYS: return cpu_debug_translate(c, lin, &pa) && pa == b->addr;
	}
	return false;
}

static bool hook_before_insn(void *opaque, struct cpu *c)
{
	struct vm *vm = opaque;
	struct vm_debug *d = &vm->debug;
	bool skip = false;

	if (d->fired) /* a watchpoint or event break: stop after that insn */
		return true;
	if (c->index < 64 && (d->resume_skip & BIT(c->index))) {
		skip = c->rip == d->resume_rip[c->index];
		d->resume_skip &= ~BIT(c->index);
	}
	if (skip || c->halted)
		return false;
	for (int i = 0; i < DBG_MAX_BREAK; i++) {
		struct dbg_breakpoint *b = &d->bp[i];
		struct vm_stop *st;

		if (!b->id || !b->enabled || !bp_matches(vm, c, b))
			continue;
		if (b->cond[0] && d->cond_eval &&
		    !d->cond_eval(d->cond_opaque, vm, c->index, b->cond))
			continue;
		b->hits++;
		st = record(vm, c, VM_STOPPED_BREAKPOINT, b->id);
		st->addr = c->rip;
		snprintf(st->why, sizeof(st->why), "%sbreakpoint %d at 0x%llx",
			 b->temporary ? "temporary " : "", b->id, (unsigned long long)c->rip);
		if (b->temporary)
			b->id = 0, rearm(vm);
		return true;
	}
	for (int i = 0; i < DBG_MAX_BREAK; i++) {
		struct dbg_event_break *b = &d->ev[i];
		u8 op[2];

		if (!b->id || !b->enabled || b->event != DBG_EV_MAGIC)
			continue;
		/* xchg bx, bx = 66 87 DB in 32/64-bit code, 87 DB in 16-bit. */
		if (vm_debug_read(vm, c->index, DBG_LINEAR, c->seg[SEG_CS].base + c->rip, op, 2,
				  NULL) ||
		    (op[0] == 0x66 && vm_debug_read(vm, c->index, DBG_LINEAR,
						    c->seg[SEG_CS].base + c->rip + 1, op, 2, NULL)))
			continue;
		if (op[0] == 0x87 && op[1] == 0xdb) {
			struct vm_stop *st = record(vm, c, VM_STOPPED_EVENT, b->id);

			snprintf(st->why, sizeof(st->why),
				 "catchpoint %d: magic breakpoint (xchg bx, bx) at 0x%llx", b->id,
				 (unsigned long long)c->rip);
			return true;
		}
	}
	return false;
}

static void hook_mem_watch(void *opaque, struct cpu *c, u64 lin, u64 pa, unsigned size, bool write)
{
	struct vm *vm = opaque;
	struct vm_debug *d = &vm->debug;

	if (d->fired)
		return;
	for (int i = 0; i < DBG_MAX_WATCH; i++) {
		struct dbg_watchpoint *w = &d->wp[i];
		u64 a = w->space == DBG_PHYS ? pa : lin;
		struct vm_stop *st;

		if (!w->id || !w->enabled || !(w->access & (write ? DBG_WRITE : DBG_READ)))
			continue;
		if (a + size <= w->addr || a >= w->addr + w->len)
			continue;
		w->hits++;
		st = record(vm, c, VM_STOPPED_WATCHPOINT, w->id);
		st->addr = a;
		snprintf(st->why, sizeof(st->why),
			 "watchpoint %d: %s of %u byte%s at 0x%llx by 0x%llx", w->id,
			 write ? "write" : "read", size, size == 1 ? "" : "s",
			 (unsigned long long)a, (unsigned long long)c->insn_rip);
		return;
	}
}

void vm_debug_attach_cpu(struct vm *vm, struct cpu *c)
{
	c->hooks.before_insn = hook_before_insn;
	c->hooks.mem_watch = hook_mem_watch;
}

/* ---- event breaks from the trace stream ----------------------------------- */

static void trace_sink_event(void *opaque, const struct trace_event *ev)
{
	struct vm *vm = opaque;
	struct vm_debug *d = &vm->debug;

	if (d->fired)
		return;
	for (int i = 0; i < DBG_MAX_BREAK; i++) {
		struct dbg_event_break *b = &d->ev[i];
		struct vm_stop *st;
		u64 arg = ev->a[0];
		char what[128];

		if (!b->id || !b->enabled)
			continue;
		switch (b->event) {
		case DBG_EV_MODE:
			if (ev->kind != TRACE_MODE)
				continue;
			snprintf(what, sizeof(what), "mode %s -> %s",
				 ev->a[0] < CPU_MODE_COUNT ? cpu_mode_name[ev->a[0]] : "?",
				 ev->a[1] < CPU_MODE_COUNT ? cpu_mode_name[ev->a[1]] : "?");
			break;
		case DBG_EV_VECTOR:
			if (ev->kind != TRACE_INT && ev->kind != TRACE_EXC)
				continue;
			snprintf(what, sizeof(what), "vector %llu", (unsigned long long)arg);
			break;
		case DBG_EV_PORT:
			if (ev->kind != TRACE_IO)
				continue;
			snprintf(what, sizeof(what), "port 0x%llx %s 0x%llx",
				 (unsigned long long)arg, ev->a[3] ? "out" : "in",
				 (unsigned long long)ev->a[1]);
			break;
		case DBG_EV_CR:
			if (ev->kind != TRACE_CR)
				continue;
			snprintf(what, sizeof(what), "cr%llu 0x%llx -> 0x%llx",
				 (unsigned long long)arg, (unsigned long long)ev->a[1],
				 (unsigned long long)ev->a[2]);
			break;
		case DBG_EV_MSR:
			if (ev->kind != TRACE_MSR)
				continue;
			snprintf(what, sizeof(what), "%s msr 0x%llx", ev->a[2] ? "wrmsr" : "rdmsr",
				 (unsigned long long)arg);
			break;
		case DBG_EV_TRIPLE:
			if (ev->kind != TRACE_SHUTDOWN)
				continue;
			snprintf(what, sizeof(what), "triple fault");
			break;
		default: continue;
		}
		if (!b->any_arg && b->event != DBG_EV_MODE && b->event != DBG_EV_TRIPLE &&
		    arg != b->arg)
			continue;
		st = record(vm, &vm->cpus[ev->cpu >= 0 && ev->cpu < vm->ncpus ? ev->cpu : 0],
			    VM_STOPPED_EVENT, b->id);
		st->addr = ev->pc;
		snprintf(st->why, sizeof(st->why), "catchpoint %d: %s at 0x%llx", b->id, what,
			 (unsigned long long)ev->pc);
		return;
	}
}

/* ---- running ----------------------------------------------------------------- */

/* Resume: a breakpoint at the RIP we stand on does not stop us at once. */
static void resume(struct vm *vm)
{
	vm->debug.fired = false;
	vm->debug.resume_skip = 0;
	for (int i = 0; i < vm->ncpus && i < 64; i++) {
		vm->debug.resume_rip[i] = vm->cpus[i].rip;
		vm->debug.resume_skip |= BIT(i);
	}
}

int vm_debug_step(struct vm *vm, int cpu, u64 n, struct vm_stop *st)
{
	if (cpu < 0 || cpu >= vm->ncpus)
		cpu = 0;
	resume(vm);
	vm_run_until(vm, cpu, n, st);
	return 0;
}

int vm_debug_continue(struct vm *vm, struct vm_stop *st)
{
	resume(vm);
	vm_run_until(vm, -1, 0, st);
	return 0;
}

void vm_debug_interrupt(struct vm *vm)
{
	vm->debug.interrupt = 1;
}
