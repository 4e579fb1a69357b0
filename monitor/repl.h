/*
 * repl.h - the interactive monitor (DESIGN.md §5): the prompt `(vmlab) `,
 * batch mode (-x FILE) and the command table the commands_*.c files fill.
 *
 *   monitor_init(&m, &vm, ...)        after vm_create
 *   status = monitor_run(&m);         prompt or batch; returns the exit status
 *   monitor_fini(&m);
 *
 * Exit status: the guest's (vm.h enum vm_status) once it has ended; `quit`
 * before that gives 0.  In batch mode, when the file ends before the guest,
 * the guest runs on to its end (breakpoints no longer stop it) and vmlab
 * exits with the guest's status, so a script is also a complete test run.
 */
#ifndef VMLAB_MONITOR_REPL_H
#define VMLAB_MONITOR_REPL_H

#include <stdio.h>

#include "devices/chardev.h"
#include "hypervisor/vm.h"
#include "monitor/disas.h"
#include "monitor/symbols.h"

struct trace_text;

/* One mode switch of the run (`history mode`), from TRACE_MODE events. */
struct mode_switch {
	u64 icount, pc;
	int cpu;
	u8 from, to;
};

struct monitor {
	struct vm *vm;
	FILE *out;
	int cpu; /* the CPU commands look at */
	struct symtab syms;
	struct disas dis;
	bool batch, quit;
	struct trace_text *tt; /* `trace on KIND` text sink, or NULL */
	int tt_sink;

	struct mode_switch *hist;
	size_t nhist;
	bool hist_early; /* monitor_preinit registered the history sink */

	/* The serial console's own output routine, wrapped so that we know
	 * whether the guest left a partial line before the prompt. */
	struct chardev *con;
	void (*con_write)(void *opaque, const u8 *buf, size_t len);
	void *con_opaque;
	bool partial_line;
};

/* Optional, before vm_create: start recording the mode history now, so
 * `history mode` includes the switches made while the VM is built. */
int monitor_preinit(struct monitor *m, struct trace *t, struct err *e);
int monitor_init(struct monitor *m, struct vm *vm, const char *symbols_file, struct chardev *con,
		 struct trace_text *tt, struct err *e);
/* Run commands from `script` (batch) or the terminal; returns the status. */
int monitor_run(struct monitor *m, const char *script);
void monitor_fini(struct monitor *m);
/* Run one command line (tests, batch); false on an error message. */
bool monitor_exec(struct monitor *m, const char *line);

/* repl_tty.c: the interactive prompt (readline, completion, Ctrl-C). */
int mon_run_interactive(struct monitor *m);
/* Every command name (for completion); the exit status of the session. */
int mon_cmd_names(const char **names, int max);
int mon_final_status(struct monitor *m);

/* ---- for the commands_*.c files ---- */

struct mon_cmd {
	const char *name, *alias;
	bool (*fn)(struct monitor *m, int argc, char **argv, const char *rest);
	const char *usage, *help;
};
extern const struct mon_cmd mon_cmds_exec[], mon_cmds_inspect[], mon_cmds_machine[],
    mon_cmds_tables[], mon_cmds_paging[], mon_cmds_disk[], mon_cmds_vmm[];

/* Evaluate an expression on the current CPU (registers, symbols, memory);
 * prints the message and returns false on error. */
bool mon_eval(struct monitor *m, const char *s, u64 *v);
/* Print "0x1234 <sym+off>" style labels. */
void mon_label(struct monitor *m, u64 addr, char *buf, size_t len);
/* Print a stop the way every exec command does: why, then the next insn. */
void mon_report_stop(struct monitor *m, const struct vm_stop *st);
/* Print the instruction at the current RIP ("=> 0x... <sym>: insn"). */
void mon_where(struct monitor *m);
/* Disassemble n instructions at virtual addr; false if unreadable. */
bool mon_disas(struct monitor *m, u64 addr, int n, bool mark_rip);
/* Messages: to m->out, one line. */
void mon_printf(struct monitor *m, const char *fmt, ...) PRINTF(2, 3);
bool mon_error(struct monitor *m, const char *fmt, ...) PRINTF(2, 3);
struct cpu *mon_cpu(struct monitor *m);
/* `info symbol ADDR` (commands_inspect.c). */
bool mon_info_symbol(struct monitor *m, int argc, char **argv, const char *rest);
/* `pt` under --virt=trap with guest paging: guest and shadow walks side by
 * side (commands_vmm.c). */
bool mon_vmm_pt(struct monitor *m, u64 lin);
/* Register by name for expressions: false if no such register. */
bool mon_reg(struct cpu *c, const char *name, u64 *v);

#endif
