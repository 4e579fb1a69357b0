/*
 * options.c - the `vmlab run` options (see `vmlab help run`).
 *
 * GNU style: `--name VALUE` or `--name=VALUE`; one optional positional
 * CONFIG (.vmx) file.  The CONFIG file is read first, whatever its place on
 * the line, then the options are applied in order, so the command line
 * always overrides the file.  An unknown option names the closest known
 * one.  Every message is one line naming the option and the problem.
 */
#include "monitor/options.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/trace.h"
#include "monitor/trace_text.h"

enum opt_id {
	O_KERNEL,
	O_APPEND,
	O_INITRD,
	O_HDA,
	O_HDB,
	O_MEM,
	O_SMP,
	O_SERIAL,
	O_MAX_INSNS,
	O_TIMEOUT,
	O_TRACE,
	O_TRACE_FILE,
	O_NO_BLOCK_CACHE,
	O_STATS,
	O_CHECK_CONFIG,
	O_MONITOR,
	O_SCRIPT,
	O_SYMBOLS,
	O_GDB,
	O_VIRT,
	O_CPU,
	O_HELP,
	O_COUNT
};

struct opt {
	const char *name, *arg, *help;
};

static const struct opt opts[O_COUNT] = {
    [O_KERNEL] = {"--kernel", "FILE", "boot a multiboot v1 kernel (ELF) directly"},
    [O_APPEND] = {"--append", "STRING", "the kernel command line"},
    [O_INITRD] = {"--initrd", "FILE[,FILE...]", "multiboot modules (\"FILE ARGS\" each)"},
    [O_HDA] = {"--hda", "FILE", "raw disk image as IDE primary master"},
    [O_HDB] = {"--hdb", "FILE", "raw disk image as IDE primary slave"},
    [O_MEM] = {"--mem", "SIZE", "guest RAM, e.g. 128M or 2G (default 128M)"},
    [O_SMP] = {"--smp", "N", "number of CPUs (default 1)"},
    [O_SERIAL] = {"--serial", "stdio|file:PATH|none", "where COM1 goes (default stdio)"},
    [O_MAX_INSNS] = {"--max-insns", "N", "stop after N instructions (status 6)"},
    [O_TIMEOUT] = {"--timeout", "SECONDS", "stop after SECONDS of virtual time (status 6)"},
    [O_TRACE] = {"--trace", "LIST", "trace events: mode,int,exc,io,insn,regdiff,... or all"},
    [O_TRACE_FILE] = {"--trace-file", "PATH", "trace to PATH (stderr); F.json: Chrome/Perfetto"},
    [O_NO_BLOCK_CACHE] = {"--no-block-cache", NULL, "interpret one instruction at a time"},
    [O_STATS] = {"--stats", NULL, "print instructions, seconds and MIPS at exit (stderr)"},
    [O_CHECK_CONFIG] = {"--check-config", NULL, "print the configuration and exit"},
    [O_MONITOR] = {"--monitor", NULL, "start stopped, with the monitor prompt (vmlab) "},
    [O_SCRIPT] = {"-x", "FILE", "run monitor commands from FILE (batch; implies --monitor)"},
    [O_SYMBOLS] = {"--symbols", "FILE", "guest symbols from this ELF (default: the kernel)"},
    [O_GDB] = {"--gdb", "PORT", "wait stopped for gdb on 127.0.0.1:PORT (0: any free port)"},
    [O_VIRT] = {"--virt", "none|trap", "virtualization: bare machine or trap-and-emulate VMM"},
    [O_CPU] = {"--cpu", "default|pg-strict", "pg-strict: sensitive instructions trap at CPL>0"},
    [O_HELP] = {"--help", NULL, "this help"},
};

void options_usage_run(FILE *out)
{
	fprintf(out, "usage: vmlab run [options] [CONFIG.vmx]\n\n"
		     "Boot a virtual PC.  Options override the CONFIG file.\n\n");
	for (int i = 0; i < O_COUNT; i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(out, "  %-34s %s\n", left, opts[i].help);
	}
	fprintf(out,
		"\nCONFIG keys (.vmx syntax, key = \"value\"): memsize (MiB), numvcpus,\n"
		"  displayName, guestOS, ide0:0.fileName, ide0:1.fileName, serial0.fileName,\n"
		"  vmlab.kernel, vmlab.append, vmlab.initrd, vmlab.trace\n"
		"\nExit status: 0 power-off; (v << 1) | 1 when the guest writes v to port 0xF4;\n"
		"  2 usage, config or host error; 4 triple fault or reset; 6 instruction\n"
		"  budget, virtual timeout or a guest that can never wake up; 8 internal error.\n");
}

/* Levenshtein distance, for "did you mean". */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *options_closest(const char *word, const char *const *cands, int n)
{
	return options_nearest(word, cands, n, 3);
}

const char *options_nearest(const char *word, const char *const *cands, int n, int max)
{
	const char *best = NULL;
	int bd = 99;

	for (int i = 0; i < n; i++) {
		int d = distance(word, cands[i]);

		/* A prefix counts as close: "--max" means "--max-insns". */
		if (!strncmp(cands[i], word, strlen(word)) && strlen(word) > 3)
			d = 1;
		if (d < bd) {
			bd = d;
			best = cands[i];
		}
	}
	/* A short word is not "close" to what shares none of its letters:
	 * "zz" is 2 edits from "bt", but suggesting bt helps nobody. */
	return bd <= max && bd < (int)strlen(word) ? best : NULL;
}

static int unknown_option(const char *arg, size_t len, struct err *e)
{
	const char *names[O_COUNT];
	char word[64];
	const char *near;

	snprintf(word, sizeof(word), "%.*s", (int)(len < 63 ? len : 63), arg);
	for (int i = 0; i < O_COUNT; i++)
		names[i] = opts[i].name;
	near = options_closest(word, names, O_COUNT);
	if (near)
		return err_set(e, "unknown option '%s' (did you mean %s?)", word, near);
	return err_set(e, "unknown option '%s' (see vmlab help run)", word);
}

struct parsed {
	int id;
	const char *value;
};

/* Apply one option to cfg. */
static int apply(struct vm_config *cfg, struct run_options *ro, int id, const char *v,
		 struct err *e)
{
	const char *name = opts[id].name;
	u64 n, mask;
	bool regdiff;

	if (opts[id].arg && !*v && id != O_APPEND)
		return err_set(e, "%s: empty %s", name, opts[id].arg);
	switch (id) {
	case O_KERNEL: config_set_str(&cfg->kernel, v); return 0;
	case O_APPEND: config_set_str(&cfg->append, v); return 0;
	case O_INITRD: return config_set_initrd(cfg, v, NULL, name, e);
	case O_HDA:
	case O_HDB:
		config_set_str(&cfg->disk[id - O_HDA], v);
		ro->disk_from_cli[id - O_HDA] = true;
		return 0;
	case O_MEM:
		if (config_parse_size(v, MiB, &n, name, e))
			return -1;
		if (n < CONFIG_MIN_MEM || n > CONFIG_MAX_MEM)
			return err_set(e, "%s: %s is out of range (1M..1024G)", name, v);
		if (n & 0xfff)
			return err_set(e, "%s: %s is not a whole number of 4 KiB pages", name, v);
		cfg->mem_size = n;
		return 0;
	case O_SMP:
		if (config_parse_uint(v, 1, CONFIG_MAX_CPUS, &n, name, e))
			return -1;
		cfg->ncpus = (int)n;
		return 0;
	case O_SERIAL:
		if (strcmp(v, "stdio") && strcmp(v, "none") && (strncmp(v, "file:", 5) || !v[5]))
			return err_set(e, "%s: expected stdio, none or file:PATH, got \"%s\"", name,
				       v);
		config_set_str(&cfg->serial, v);
		return 0;
	case O_MAX_INSNS: return config_parse_uint(v, 1, UINT64_MAX, &cfg->max_insns, name, e);
	case O_TIMEOUT: return config_parse_seconds(v, &cfg->timeout_ns, name, e);
	case O_TRACE:
		if (trace_text_parse(v, &mask, &regdiff, e))
			return -1;
		config_set_str(&cfg->trace, v);
		return 0;
	case O_TRACE_FILE: config_set_str(&cfg->trace_file, v); return 0;
	case O_NO_BLOCK_CACHE: cfg->block_cache = false; return 0;
	case O_STATS: ro->stats = true; return 0;
	case O_CHECK_CONFIG: cfg->check_config = true; return 0;
	case O_MONITOR: ro->monitor = true; return 0;
	case O_SCRIPT:
		ro->script = v;
		ro->monitor = true;
		return 0;
	case O_SYMBOLS: ro->symbols = v; return 0;
	case O_GDB:
		if (config_parse_uint(v, 0, 65535, &n, name, e))
			return -1;
		ro->gdb_port = (int)n;
		return 0;
	case O_VIRT: return config_parse_virt(v, &cfg->virt, name, e);
	case O_CPU: return config_parse_cpu(v, &cfg->pg_strict, name, e);
	case O_HELP: ro->help = true; return 0;
	}
	panic("options: id %d", id);
}

int options_parse(int argc, char **argv, struct vm_config *cfg, struct run_options *ro,
		  struct err *e)
{
	struct parsed *todo = xcalloc(argc + 1, sizeof(*todo));
	const char *config = NULL;
	int ntodo = 0, r = -1;
	bool only_positional = false;

	memset(ro, 0, sizeof(*ro));
	ro->gdb_port = -1;
	/* Pass 1: recognise every word; find CONFIG. */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t len;
		int id = -1;

		if (only_positional || a[0] != '-' || !a[1]) {
			if (config) {
				err_set(e, "unexpected argument '%s' (CONFIG is already %s)", a,
					config);
				goto out;
			}
			config = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_positional = true;
			continue;
		}
		if (!strcmp(a, "-h")) {
			ro->help = true;
			continue;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (int k = 0; k < O_COUNT; k++)
			if (strlen(opts[k].name) == len && !strncmp(a, opts[k].name, len))
				id = k;
		if (id < 0) {
			unknown_option(a, len, e);
			goto out;
		}
		if (!opts[id].arg) {
			if (eq) {
				err_set(e, "%s: takes no value", opts[id].name);
				goto out;
			}
			todo[ntodo++] = (struct parsed){id, ""};
			continue;
		}
		if (eq) {
			todo[ntodo++] = (struct parsed){id, eq + 1};
		} else if (i + 1 < argc) {
			todo[ntodo++] = (struct parsed){id, argv[++i]};
		} else {
			err_set(e, "%s: missing value (%s)", opts[id].name, opts[id].arg);
			goto out;
		}
	}
	/* --help wins over everything else, even a broken CONFIG. */
	for (int i = 0; i < ntodo; i++)
		if (todo[i].id == O_HELP)
			ro->help = true;
	if (ro->help) {
		r = 0;
		goto out;
	}
	/* Pass 2: the file, then the options on top. */
	if (config && config_load_file(cfg, config, e))
		goto out;
	for (int i = 0; i < ntodo; i++)
		if (apply(cfg, ro, todo[i].id, todo[i].value, e))
			goto out;
	r = 0;
out:
	free(todo);
	return r;
}

/* A file we will read must exist and be a regular file. */
static int check_file(const char *path, struct err *e)
{
	struct stat st;

	if (stat(path, &st))
		return err_errno(e, "%s", path);
	if (S_ISDIR(st.st_mode))
		return err_set(e, "%s: is a directory", path);
	if (access(path, R_OK))
		return err_errno(e, "%s", path);
	return 0;
}

int options_check(const struct vm_config *cfg, const struct run_options *ro, FILE *warn,
		  struct err *e)
{
	if (cfg->kernel && check_file(cfg->kernel, e))
		return -1;
	if (ro->script && check_file(ro->script, e))
		return -1;
	if (ro->symbols && check_file(ro->symbols, e))
		return -1;
	for (int i = 0; i < cfg->ninitrd; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%.*s", (int)strcspn(cfg->initrd[i], " "),
			 cfg->initrd[i]);
		if (check_file(path, e))
			return -1;
	}
	/* The disks go to the IDE controller (devices/ide.c); without --kernel
	 * the machine boots from them through the BIOS (hypervisor/firmware.h). */
	for (int i = 0; i < 2; i++)
		if (cfg->disk[i] && check_file(cfg->disk[i], e))
			return -1;
	return 0;
}
