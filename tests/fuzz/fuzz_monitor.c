/*
 * fuzz_monitor.c - libFuzzer target for the monitor's command dispatcher
 * (monitor/repl.c monitor_exec and every commands_*.c handler it reaches):
 * random command lines, one per input line, against a small live VM (the
 * hello sample, 16 MiB, an instruction budget so that `continue` ends).
 * Nothing may crash (ASan/UBSan watch), and nothing may hang: every run
 * command is bounded by the budget, every count by the commands' limits.
 *
 *   make fuzz                      (tests/decodecheck.mk builds and runs it)
 *   VMLAB_FUZZ_KERNEL=build/samples/hello.elf build/fuzz/fuzz_monitor corpus/
 *
 * Built with -DFUZZ_STANDALONE it is a plain program that feeds N lines
 * made of the command words plus random arguments (a smoke test without
 * clang): build/fuzz_monitor_smoke [N] [SEED].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor/config.h"
#include "hypervisor/vm.h"
#include "monitor/repl.h"
#include "monitor/trace_text.h"

static struct {
	bool up;
	struct vm_config cfg;
	struct vm vm;
	struct monitor mon;
	struct trace_text tt;
	FILE *null;
} f;

static void machine_down(void)
{
	if (!f.up)
		return;
	monitor_fini(&f.mon);
	vm_destroy(&f.vm);
	trace_text_close(&f.tt);
	config_free(&f.cfg);
	f.up = false;
}

/* A fresh machine stopped at its first instruction, monitor attached. */
static void machine_up(void)
{
	const char *kernel = getenv("VMLAB_FUZZ_KERNEL");
	struct err e = {""};

	if (!f.null)
		f.null = fopen("/dev/null", "w");
	config_init(&f.cfg);
	config_set_str(&f.cfg.kernel, kernel ? kernel : "build/samples/hello.elf");
	config_set_str(&f.cfg.serial, "none");
	f.cfg.mem_size = 16 * MiB;
	f.cfg.max_insns = 200000;
	vm_init(&f.vm);
	if (trace_text_open(&f.tt, &f.vm.trace, 0, NULL, &e) ||
	    vm_create(&f.vm, &f.cfg, NULL, &e) ||
	    monitor_init(&f.mon, &f.vm, NULL, NULL, &f.tt, &e)) {
		fprintf(stderr, "fuzz_monitor: %s\n", e.msg);
		exit(2);
	}
	f.tt.out = f.null;
	trace_text_set_cpus(&f.tt, f.vm.cpus, f.vm.ncpus);
	f.mon.out = f.null;
	f.mon.batch = true;
	f.up = true;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	char line[1100];
	size_t i = 0;

	if (!f.up)
		machine_up();
	while (i < size) {
		size_t n = 0;

		while (i < size && data[i] != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = data[i] ? (char)data[i] : ' ';
			i++;
		}
		i++;
		line[n] = 0;
		monitor_exec(&f.mon, line);
		/* `quit` and a guest that ended: start over on a new machine,
		 * so later inputs still reach a live CPU. */
		if (f.mon.quit || f.vm.ended) {
			machine_down();
			machine_up();
		}
	}
	return 0;
}

#ifdef FUZZ_STANDALONE
static const char *const words[] = {"step",	   "next",	"continue",
				    "finish",	   "until",	"break",
				    "tbreak",	   "delete",	"watch",
				    "rwatch",	   "awatch",	"catch",
				    "info",	   "regs",	"sregs",
				    "msr",	   "x/4gx",	"xp/8bx",
				    "x/2i",	   "x/s",	"disas",
				    "bt",	   "devices",	"irq",
				    "vga",	   "stats",	"history",
				    "trace",	   "help",	"gdt",
				    "idt",	   "tss",	"walk",
				    "tlb",	   "set",	"cpu",
				    "print",	   "quit",	"mode",
				    "on",	   "off",	"regdiff,insn",
				    "symbol",	   "rip",	"rsp+8",
				    "*rsp",	   "_start",	"sample_main+4",
				    "0x100000",	   "(rbp-8)*2", "0xffffffffffffffff",
				    "-1",	   "1000",	"0",
				    "breakpoints", "cr3",	"if",
				    "rax==0",	   "4096",	"8"};

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned seed = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 1;

	srand(seed);
	for (unsigned long k = 0; k < n; k++) {
		char buf[512];
		size_t w = 0;
		int nw = 1 + rand() % 4;

		for (int j = 0; j < nw && w < sizeof(buf) - 40; j++) {
			if (rand() % 8 == 0) { /* a random byte soup word */
				for (int c = rand() % 12; c > 0; c--)
					buf[w++] = (char)(1 + rand() % 255);
				buf[w++] = ' ';
			} else {
				w += (size_t)snprintf(buf + w, sizeof(buf) - w, "%s ",
						      words[rand() % ARRAY_SIZE(words)]);
			}
		}
		buf[w] = 0;
		/* `quit` is common in the list: let most lines run on. */
		LLVMFuzzerTestOneInput((const u8 *)buf, w);
	}
	machine_down();
	if (f.null)
		fclose(f.null);
	printf("fuzz_monitor: %lu command lines, no crash\n", n);
	return 0;
}
#endif
