/*
 * run_stats.h - `vmlab run --stats`: how fast did the guest run?
 *
 * Guest instructions retired, host CPU seconds and wall seconds of the run,
 * MIPS (instructions per CPU microsecond), the host's peak resident set, and
 * the block cache and soft TLB counters -- printed to stderr at exit, so the
 * guest's serial output on stdout stays untouched.  When the guest marked
 * benchmark phases (devices/phase_marker.h), also one row per phase
 * (monitor/phase_stats.h).
 */
#ifndef VMLAB_MONITOR_RUN_STATS_H
#define VMLAB_MONITOR_RUN_STATS_H

#include <stdio.h>

#include "lib/common.h"
#include "monitor/phase_stats.h"

struct vm;

struct run_stats {
	double cpu0, wall0; /* host clocks when the guest started */
	u64 insns0;
	struct phase_stats phases; /* the guest's marked phases */
};

/* Also attaches to the phase-marker device, hence the non-const vm. */
void run_stats_begin(struct run_stats *s, struct vm *vm);
void run_stats_print(const struct run_stats *s, const struct vm *vm, FILE *out);

#endif
