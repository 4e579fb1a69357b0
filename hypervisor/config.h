/*
 * config.h - a virtual machine's configuration: the .vmx file and the
 * command-line options that override it (DESIGN.md §4).
 *
 * The file syntax is VMware's .vmx: one `key = "value"` per line, `#`
 * comments, keys case-insensitive.  Known keys:
 *
 *   memsize            guest RAM in MiB                 (default 128)
 *   numvcpus           number of CPUs                   (default 1)
 *   displayName        a name for the VM (shown by the monitor)
 *   guestOS            free text, kept for the monitor
 *   ide0:0.fileName    raw disk image, IDE primary master  (--hda)
 *   ide0:1.fileName    raw disk image, IDE primary slave   (--hdb)
 *   serial0.fileName   COM1 output goes to this file       (--serial file:PATH)
 *   vmlab.kernel       multiboot v1 ELF kernel             (--kernel)
 *   vmlab.append       kernel command line                 (--append)
 *   vmlab.initrd       modules: FILE[ ARGS][,FILE[ ARGS]...] (--initrd)
 *   vmlab.trace        event kinds to trace, "mode,io,..."  (--trace)
 *   vmlab.virt         none | trap                       (--virt)
 *   vmlab.cpu          default | pg-strict               (--cpu)
 *
 * Every other key is kept (struct config_kv) and listed by
 * `vmlab run --check-config`.  Relative paths in a file are relative to the
 * folder of that file.  A malformed line is an error naming the file and the
 * line number.
 */
#ifndef VMLAB_HYPERVISOR_CONFIG_H
#define VMLAB_HYPERVISOR_CONFIG_H

#include <stdio.h>

#include "lib/common.h"
#include "lib/err.h"

#define CONFIG_DEFAULT_MEM (128 * MiB)
#define CONFIG_MIN_MEM	   (1 * MiB)
#define CONFIG_MAX_MEM	   (1024 * GiB)
#define CONFIG_MAX_CPUS	   64
#define CONFIG_MAX_MODULES 32

/* A key the parser does not know, kept verbatim for --check-config. */
struct config_kv {
	char *key, *value;
	int line;
};

struct vm_config {
	char *path; /* the .vmx file read, or NULL */

	u64 mem_size; /* bytes */
	int ncpus;
	char *display_name, *guest_os;

	char *disk[2];			  /* ide0:0, ide0:1 raw images, or NULL */
	char *serial;			  /* "stdio", "none" or "file:PATH" */
	char *kernel;			  /* multiboot kernel, or NULL (firmware boot) */
	char *append;			  /* kernel command line, never NULL after config_init */
	char *initrd[CONFIG_MAX_MODULES]; /* "FILE" or "FILE ARGS" each */
	int ninitrd;
	char *trace;	  /* event kind list, or NULL */
	char *trace_file; /* NULL: stderr */

	u64 max_insns;	/* 0: no limit */
	u64 timeout_ns; /* virtual time budget, 0: none */
	bool block_cache;
	bool check_config;
	int virt;	/* enum vm_virt: --virt / vmlab.virt */
	bool pg_strict; /* --cpu=pg-strict / vmlab.cpu */

	struct config_kv *unknown;
	int nunknown;
};

/* Virtualization modes (DESIGN.md §4): the emulator is the machine, or a
 * trap-and-emulate VMM runs the guest deprivileged (hypervisor/vmm.h). */
enum vm_virt { VIRT_NONE, VIRT_TRAP };
/* "none"/"trap" -> enum vm_virt; "default"/"pg-strict" -> *pg_strict. */
int config_parse_virt(const char *s, int *virt, const char *what, struct err *e);
int config_parse_cpu(const char *s, bool *pg_strict, const char *what, struct err *e);

/* Defaults: 128 MiB, 1 CPU, serial on stdio, block cache on. */
void config_init(struct vm_config *cfg);
void config_free(struct vm_config *cfg);

/* Read a .vmx file into cfg (overriding what it sets). */
int config_load_file(struct vm_config *cfg, const char *path, struct err *e);

/*
 * Parse .vmx text.  `name` names it in messages ("my.vmx"); `dir` is the
 * folder relative paths are resolved against (NULL: leave them as they are).
 */
int config_parse(struct vm_config *cfg, const char *text, const char *name, const char *dir,
		 struct err *e);

/*
 * Value parsers shared with the command line.  `what` names the option or
 * key in the message.  Sizes take K, M, G suffixes (powers of 1024, an
 * optional trailing "B" or "iB"); a bare number is `unit` bytes.
 */
int config_parse_size(const char *s, u64 unit, u64 *out, const char *what, struct err *e);
int config_parse_uint(const char *s, u64 min, u64 max, u64 *out, const char *what, struct err *e);
/* Decimal seconds ("2", "0.5") to nanoseconds. */
int config_parse_seconds(const char *s, u64 *ns, const char *what, struct err *e);

/* Replace the module list with the comma-separated `list`; each entry's path
 * (up to the first space) is resolved against dir when relative. */
int config_set_initrd(struct vm_config *cfg, const char *list, const char *dir, const char *what,
		      struct err *e);

/* Replace *slot with a copy of value (frees the old string). */
void config_set_str(char **slot, const char *value);

/* Print the configuration and its unknown keys (for --check-config). */
void config_print(const struct vm_config *cfg, FILE *out);

#endif
