/*
 * main.c - the `vmlab` command line: `vmlab run`, `vmlab isa`,
 * `vmlab help`, `vmlab --version` (DESIGN.md §5).
 *
 * main() names no device and knows nothing of the CPU: it turns the
 * command line into a struct vm_config (monitor/options.c), connects the
 * host side (console, trace sinks), lets hypervisor/vm.c build and run the
 * machine, and exits with the status the run produced (see enum vm_status
 * in hypervisor/vm.h).  Every failure before the guest runs is one line on
 * stderr, "vmlab: <file or option>: <problem>", and exit status 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/config.h"
#include "hypervisor/vm.h"
#include "lib/err.h"
#include "lib/trace.h"
#include "monitor/console.h"
#include "monitor/gdbstub.h"
#include "monitor/grade.h"
#include "monitor/options.h"
#include "monitor/repl.h"
#include "monitor/run_stats.h"
#include "monitor/trace_json.h"
#include "monitor/trace_text.h"

#if __has_include("cpu/isa.h")
#include "cpu/isa.h"
#define HAVE_ISA_PRINT 1
#endif

#define VMLAB_VERSION "0.1"

static void usage(FILE *out)
{
	fprintf(out, "usage: vmlab COMMAND [ARGS]\n\n"
		     "vmlab is a teaching full-system x86-64 emulator and hypervisor lab.\n\n"
		     "commands:\n"
		     "  run [options] [CONFIG.vmx]  boot a virtual PC (see vmlab help run)\n"
		     "  isa [--pg]                  print the ISA table; --pg: only the\n"
		     "                              sensitive instructions (Popek-Goldberg)\n"
		     "  grade LABDIR                run a lab's checks (vmlab grade --help)\n"
		     "  help [COMMAND]              this help, or a command's\n"
		     "  --version                   print the version\n");
}

static int fail(const struct err *e)
{
	fflush(stdout);
	fprintf(stderr, "vmlab: %s\n", e->msg);
	return VM_EXIT_USAGE;
}

static int cmd_isa(int argc, char **argv)
{
	bool pg = false;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--pg")) {
			pg = true;
		} else {
			fprintf(stderr, "vmlab: isa: unknown argument '%s' (try: vmlab isa --pg)\n",
				argv[i]);
			return VM_EXIT_USAGE;
		}
	}
#ifdef HAVE_ISA_PRINT
	isa_print(stdout, pg);
	return VM_EXIT_OK;
#else
	(void)pg;
	fprintf(stderr, "vmlab: isa: the ISA table printer is not built yet\n");
	return VM_EXIT_INTERNAL;
#endif
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct run_options ro;
	struct console con = {.in_fd = -1};
	struct trace_text tt = {0};
	struct trace_json tj = {0};
	bool regdiff = false, json;
	struct monitor mon = {0};
	bool mon_open = false;
	struct vm vm;
	struct err e = {""};
	char why[ERR_MSG_MAX];
	u64 mask = 0;
	int status = VM_EXIT_USAGE;

	config_init(&cfg);
	vm_init(&vm);
	if (options_parse(argc, argv, &cfg, &ro, &e))
		goto fail;
	if (ro.help) {
		options_usage_run(stdout);
		status = VM_EXIT_OK;
		goto out;
	}
	if (cfg.check_config) {
		config_print(&cfg, stdout);
		if (options_check(&cfg, &ro, NULL, &e))
			goto fail;
		status = VM_EXIT_OK;
		goto out;
	}
	if (options_check(&cfg, &ro, stderr, &e))
		goto fail;
	if (cfg.trace && trace_text_parse(cfg.trace, &mask, &regdiff, &e))
		goto fail;
	json = trace_json_wanted(cfg.trace_file);
	if (cfg.trace_file && !mask && !json) /* a timeline always has the modes */
		fprintf(stderr,
			"vmlab: warning: --trace-file without --trace: nothing is traced\n");

	/* The host side: the serial console and the trace sink. */
	if (console_open(&con, cfg.serial, &e))
		goto fail;
	/* The monitor's `trace on KIND` uses the same text sink (on stdout, so
	 * the lines interleave with its output when --trace-file is not given). */
	if (json && trace_json_open(&tj, &vm.trace, mask, cfg.trace_file, &e))
		goto fail;
	if (((mask && !json) || ro.monitor) &&
	    trace_text_open(&tt, &vm.trace, json ? 0 : mask, json ? NULL : cfg.trace_file, &e))
		goto fail;
	if (ro.monitor && (!cfg.trace_file || json))
		tt.out = stdout;
	tt.regdiff = regdiff && !json;
	if (tt.out && (ro.symbols || cfg.kernel)) {
		struct err ignore; /* no symbols: instruction lines show addresses only */

		trace_text_symbols(&tt, ro.symbols ? ro.symbols : cfg.kernel, &ignore);
	}
	/* The monitor's mode history listens from the start, so that it also
	 * sees the switches vm_create makes (the multiboot entry state). */
	if (ro.monitor && monitor_preinit(&mon, &vm.trace, &e))
		goto fail;

	/* The machine. */
	if (vm_create(&vm, &cfg, &con.cd, &e))
		goto fail;
	trace_text_set_cpus(&tt, vm.cpus, vm.ncpus);
	trace_json_set_machine(&tj, &vm.board.bus, vm.board.ns_per_insn);
	for (int i = 0; i < vm.nnotes; i++)
		fprintf(stderr, "vmlab: %s\n", vm.notes[i]);
	if (con.in_fd >= 0) {
		vm.host_poll = console_poll;
		vm.host_opaque = &con;
	}
	if (ro.gdb_port >= 0 && ro.monitor) {
		err_set(&e, "--gdb: cannot be combined with --monitor or -x");
		goto fail;
	}
	if (ro.gdb_port >= 0) {
		/* Stopped at the first instruction until gdb attaches (QEMU's -s -S). */
		status = gdbstub_serve(&vm, ro.gdb_port, &e);
		if (status < 0)
			goto fail;
		why[0] = 0;
	} else if (ro.monitor) {
		/* Stopped at the first instruction; the monitor runs the guest. */
		if (monitor_init(&mon, &vm, ro.symbols, &con.cd, &tt, &e))
			goto fail;
		mon_open = true;
		status = monitor_run(&mon, ro.script);
		why[0] = 0;
	} else {
		struct run_stats rs;

		run_stats_begin(&rs, &vm);
		status = vm_run(&vm, why, sizeof(why));
		if (ro.stats)
			run_stats_print(&rs, &vm, stderr);
	}
	console_close(&con); /* flush the guest's output before our last word */
	trace_text_flush(&tt);
	if (trace_json_close(&tj, vm.retired, &e))
		fprintf(stderr, "vmlab: %s\n", e.msg);
	fflush(stdout);
	if (why[0])
		fprintf(stderr, "vmlab: %s\n", why);
	goto out;
fail:
	status = fail(&e);
out:
	if (mon_open)
		monitor_fini(&mon);
	else
		free(mon.hist); /* monitor_preinit's, if the monitor never started */
	/* Every way out leaves a complete JSON file (a no-op once closed). */
	trace_json_close(&tj, vm.retired, &e);
	vm_destroy(&vm);
	trace_text_close(&tt);
	console_close(&con);
	config_free(&cfg);
	return status;
}

int main(int argc, char **argv)
{
	static const char *const commands[] = {"run",  "isa",	    "grade",
					       "help", "--version", "--help"};
	const char *cmd = argc > 1 ? argv[1] : NULL;
	const char *near;

	if (!cmd) {
		usage(stderr);
		return VM_EXIT_USAGE;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(cmd, "grade")) /* monitor/grade.c: labs (DESIGN.md §6) */
		return grade_main(argc - 2, argv + 2);
	if (!strcmp(cmd, "isa"))
		return cmd_isa(argc - 2, argv + 2);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("vmlab %s\n", VMLAB_VERSION);
		return VM_EXIT_OK;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		const char *topic = argc > 2 ? argv[2] : NULL;

		if (!topic || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
			usage(stdout);
		} else if (!strcmp(topic, "run")) {
			options_usage_run(stdout);
		} else if (!strcmp(topic, "isa")) {
			printf("usage: vmlab isa [--pg]\n\n"
			       "Print every instruction form of the ISA table (cpu/isa.def) with\n"
			       "its Popek-Goldberg class; --pg prints only the sensitive ones.\n");
		} else {
			fprintf(stderr, "vmlab: help: no such command '%s' (commands: run, isa)\n",
				topic);
			return VM_EXIT_USAGE;
		}
		return VM_EXIT_OK;
	}
	near = options_closest(cmd, commands, (int)ARRAY_SIZE(commands));
	if (near)
		fprintf(stderr, "vmlab: unknown command '%s' (did you mean %s?)\n", cmd, near);
	else
		fprintf(stderr, "vmlab: unknown command '%s' (see vmlab --help)\n", cmd);
	return VM_EXIT_USAGE;
}
