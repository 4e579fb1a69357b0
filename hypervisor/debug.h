/*
 * debug.h - execution control for debuggers: the monitor's commands and
 * the gdb remote stub share it (DESIGN.md §5).
 *
 * A debugger never runs the CPU itself: it sets breakpoints, watchpoints and
 * event breaks here, then asks the VM to step or continue; the run stops
 * with a struct vm_stop saying why.  Breakpoints are checked through the
 * CPU's before_insn hook (c->hook_poll is set only while any exist, so an
 * undebugged run pays nothing), watchpoints on the memory slow path, event
 * breaks from the trace stream.  Virtual time stands still while stopped,
 * so a debugging session is as reproducible as a plain run.
 */
#ifndef VMLAB_HYPERVISOR_DEBUG_H
#define VMLAB_HYPERVISOR_DEBUG_H

#include <signal.h>

#include "lib/common.h"
#include "lib/err.h"

struct vm;

/* Which address space a breakpoint or watchpoint address lives in. */
enum dbg_space { DBG_VIRT, DBG_LINEAR, DBG_PHYS };
enum dbg_access { DBG_READ = 1, DBG_WRITE = 2, DBG_ACCESS = 3 };

/* Event breaks: stop when the machine does something (not an address). */
enum dbg_event {
	DBG_EV_MODE,   /* any CPU mode switch */
	DBG_EV_VECTOR, /* an exception or interrupt with vector `arg` */
	DBG_EV_PORT,   /* I/O to port `arg` */
	DBG_EV_CR,     /* a write to control register `arg` (0, 3, 4) */
	DBG_EV_MSR,    /* RDMSR/WRMSR of MSR `arg` */
	DBG_EV_TRIPLE, /* triple fault (before the machine stops) */
	DBG_EV_MAGIC,  /* the magic breakpoint instruction xchg bx, bx */
	DBG_EV_COUNT
};

#define DBG_MAX_BREAK 64
#define DBG_MAX_WATCH 16

struct dbg_breakpoint {
	int id; /* > 0; 0 = free slot */
	enum dbg_space space;
	u64 addr;
	bool enabled, temporary;
	char cond[128]; /* "" or an expression like "rax == 3" */
	u64 hits;
};

struct dbg_watchpoint {
	int id;
	enum dbg_space space; /* DBG_VIRT or DBG_PHYS */
	u64 addr, len;
	enum dbg_access access;
	bool enabled;
	u64 hits;
};

struct dbg_event_break {
	int id;
	enum dbg_event event;
	u64 arg;
	bool any_arg;
	bool enabled;
};

enum vm_stop_kind {
	VM_STOPPED_STEP,       /* the requested steps are done */
	VM_STOPPED_BREAKPOINT, /* at a breakpoint: id */
	VM_STOPPED_WATCHPOINT, /* after an access hit watchpoint id at addr */
	VM_STOPPED_EVENT,      /* an event break fired: id */
	VM_STOPPED_INTERRUPT,  /* Ctrl-C / gdb break-in */
	VM_STOPPED_EXITED,     /* the guest ended the run: exit_status */
};

struct vm_stop {
	enum vm_stop_kind kind;
	int cpu;
	int id;
	u64 addr;	 /* watchpoint: the accessed address */
	int exit_status; /* VM_STOPPED_EXITED: vmlab's exit status */
	char why[256];	 /* one readable line */
};

struct vm_debug {
	struct dbg_breakpoint bp[DBG_MAX_BREAK];
	struct dbg_watchpoint wp[DBG_MAX_WATCH];
	struct dbg_event_break ev[DBG_MAX_BREAK];
	int next_id;
	volatile sig_atomic_t interrupt; /* set from a signal handler */
	/* set while running when something fired; read by the step loop */
	bool fired;
	struct vm_stop pending;

	/* --- Additions (monitor session, issue 6); all backwards-compatible --- */
	/* Evaluates a breakpoint condition on CPU `cpu` (the monitor's
	 * expression parser lives above the hypervisor, so it is a hook);
	 * NULL: conditions are ignored (always true). */
	bool (*cond_eval)(void *opaque, struct vm *vm, int cpu, const char *cond);
	void *cond_opaque;
	int sink;	 /* our trace sink for event breaks, -1 before the first */
	u64 resume_skip; /* bit per CPU: ignore a breakpoint at resume_rip once */
	u64 resume_rip[64];
};

/* Read guest memory for a debugger without side effects (no A/D bits, no
 * MMIO reads, no faults): DBG_VIRT and DBG_LINEAR go through CPU `cpu`'s
 * current paging (VIRT = linear in vmlab: flat segments assumed, see
 * debug.c).  Returns 0, or -1 with "0x... is not mapped" / "... is not RAM". */
int vm_debug_read(struct vm *vm, int cpu, enum dbg_space sp, u64 addr, void *buf, size_t len,
		  struct err *e);
/* Write guest RAM (the gdb stub's M packet); same rules. */
int vm_debug_write(struct vm *vm, int cpu, enum dbg_space sp, u64 addr, const void *buf, size_t len,
		   struct err *e);
/* Install the debugger's CPU hooks (before_insn, mem_watch) on c; vm.c
 * calls it for every CPU it creates.  They cost nothing until a breakpoint,
 * watchpoint or event break exists. */
struct cpu;
void vm_debug_attach_cpu(struct vm *vm, struct cpu *c);
/* Find a breakpoint by id (NULL if none). */
struct dbg_breakpoint *dbg_find_break(struct vm *vm, int id);
/* Names for messages and `info breakpoints`. */
extern const char *const dbg_event_name[DBG_EV_COUNT];
extern const char *const dbg_space_name[3];

int dbg_break_add(struct vm *vm, enum dbg_space sp, u64 addr, bool temporary, const char *cond,
		  struct err *e);
int dbg_watch_add(struct vm *vm, enum dbg_space sp, u64 addr, u64 len, enum dbg_access acc,
		  struct err *e);
int dbg_event_add(struct vm *vm, enum dbg_event ev, u64 arg, bool any_arg, struct err *e);
/* Delete/enable/disable any breakpoint, watchpoint or event break by id. */
int dbg_delete(struct vm *vm, int id, struct err *e);
int dbg_enable(struct vm *vm, int id, bool on, struct err *e);

/* Execute n instructions on CPU `cpu` (other CPUs keep their deterministic
 * interleaving), or continue until a stop; both return 0 and fill *st. */
int vm_debug_step(struct vm *vm, int cpu, u64 n, struct vm_stop *st);
int vm_debug_continue(struct vm *vm, struct vm_stop *st);
/* Async-signal-safe: ask a running vm_debug_continue to stop. */
void vm_debug_interrupt(struct vm *vm);

#endif
