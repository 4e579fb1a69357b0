/*
 * options.h - `vmlab run` command-line options, parsed into a struct
 * vm_config on top of the CONFIG file (options override the file).
 */
#ifndef VMLAB_MONITOR_OPTIONS_H
#define VMLAB_MONITOR_OPTIONS_H

#include <stdio.h>

#include "hypervisor/config.h"
#include "lib/err.h"

struct run_options {
	bool help;	       /* --help: print `vmlab help run` */
	bool disk_from_cli[2]; /* --hda / --hdb given (names the option in messages) */
	bool monitor;	       /* --monitor (or -x): start stopped at the prompt */
	const char *script;    /* -x FILE: monitor commands, batch mode */
	const char *symbols;   /* --symbols FILE: ELF with the guest's symbols */
	bool stats;	       /* --stats: instructions, seconds, MIPS at exit (stderr) */
	int gdb_port;	       /* --gdb PORT: serve the gdb remote protocol; -1 = off */
};

/*
 * Parse `vmlab run` arguments (argv[0] is the first option, not "run").
 * Loads the CONFIG file if one is named, then applies the options in order.
 * cfg must have been config_init()ed.
 */
int options_parse(int argc, char **argv, struct vm_config *cfg, struct run_options *ro,
		  struct err *e);

/*
 * Checks that need the whole configuration: files exist, features that are
 * not emulated yet.  Prints warnings (one line each) on `warn`.
 */
int options_check(const struct vm_config *cfg, const struct run_options *ro, FILE *warn,
		  struct err *e);

void options_usage_run(FILE *out);

/* The candidate closest to word (edit distance), or NULL if none is close. */
const char *options_closest(const char *word, const char *const *cands, int n);
/* The same with the largest distance that still counts as close. */
const char *options_nearest(const char *word, const char *const *cands, int n, int max);

#endif
