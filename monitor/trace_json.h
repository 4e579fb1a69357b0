/*
 * trace_json.h - the Chrome trace event sink (--trace-file F.json): the
 * run as a timeline that chrome://tracing and ui.perfetto.dev open
 * ("Trace Event Format", Google, the JSON Object Format with traceEvents).
 *
 *   pid 1 "cpuN"      track "mode": one "X" slice per CPU mode
 *                     track "events": "i" instants for exceptions, interrupts,
 *                     CR/MSR writes, shutdown, exit
 *   pid 2 "devices"   one track per I/O port range (a device), "i" instants
 *   pid 3 "machine"   "C" counter "instructions" (retired, machine-wide)
 *
 * ts is virtual time in microseconds (instruction count x ns per
 * instruction), so the same run gives the same file.  The file is written
 * to PATH.tmp.PID and renamed over PATH by trace_json_close() after fsync,
 * so a reader never sees half a file; close it on every way out of a run
 * (guest exit, triple fault, budget) and the JSON is complete.
 */
#ifndef VMLAB_MONITOR_TRACE_JSON_H
#define VMLAB_MONITOR_TRACE_JSON_H

#include <stdio.h>

#include "devices/bus.h"
#include "lib/common.h"
#include "lib/err.h"
#include "lib/trace.h"

#define TRACE_JSON_MAX_CPUS 64

struct trace_json {
	FILE *out;
	char *path, *tmp;
	u64 ns_per_insn;       /* virtual ns per instruction (board), 1 until set */
	const struct bus *bus; /* names the device tracks; may be NULL */
	u64 last_icount;       /* icount of the latest event seen (end of slices) */
	u64 last_counter;      /* icount of the latest "C" sample */
	u64 nevents;
	/* Per CPU: the open mode slice. */
	struct {
		bool seen, open, named;
		int mode;
		u64 start;
	} cpu[TRACE_JSON_MAX_CPUS];
	u8 dev_named[BUS_MAX_PORT_RANGES + 2]; /* metadata written for the track */
};

/* Does this path ask for the Chrome format (ends in .json)? */
bool trace_json_wanted(const char *path);
/* Open PATH.tmp.PID and register the sink for mask (plus mode, exit and
 * shutdown, which the timeline always needs). */
int trace_json_open(struct trace_json *tj, struct trace *t, u64 mask, const char *path,
		    struct err *e);
/* Where virtual time comes from, once the machine exists. */
void trace_json_set_machine(struct trace_json *tj, const struct bus *bus, u64 ns_per_insn);
/* Close the open slices at `icount`, finish the JSON, fsync and rename.
 * Safe to call twice or on a sink that was never opened. */
int trace_json_close(struct trace_json *tj, u64 icount, struct err *e);

#endif
