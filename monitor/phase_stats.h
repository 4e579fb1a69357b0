/*
 * phase_stats.h - per-phase counters for guest benchmarks (issue 8:
 * Adams & Agesen's nanobenchmarks, ASPLOS 2006 §4, samples/nanobench).
 *
 * The guest names phases through the phase-marker port
 * (devices/phase_marker.h).  At BEGIN and END we snapshot vmlab's counters:
 * guest instructions retired, the VMM's traps by reason, reflections,
 * holes, shadow paging events (hidden/true #PF, flushes, INVLPG) and the
 * host's wall clock.  `vmlab run --stats` prints one row per phase.
 *
 * Fixed costs (the markers themselves, entering and leaving the loop) are
 * removed by measuring each benchmark twice: a phase run with 0 iterations
 * is the BASELINE of the next phase of the same name, whose row then shows
 * (counters(N) - counters(0)) / N: the marginal cost of one iteration.
 */
#ifndef VMLAB_MONITOR_PHASE_STATS_H
#define VMLAB_MONITOR_PHASE_STATS_H

#include <stdio.h>

#include "devices/phase_marker.h"
#include "lib/common.h"

struct vm;

/* The counters one row shows, in the order of its columns. */
#define PHASE_COUNTERS(X)                                                                          \
	X(INSNS, "insns")     /* guest instructions: run natively + emulated by the VMM */         \
	X(NATIVE, "native")   /* of which retired by the (deprivileged) CPU itself */              \
	X(PRIV, "priv")	      /* VMM traps: privileged instruction emulated */                     \
	X(IO, "io")	      /*            port I/O emulated */                                   \
	X(STRICT, "strict")   /*            PG_CTL/PG_BEH trapped (pg-strict) */                   \
	X(INTN, "int")	      /*            INT n/INT3/INTO reflected */                           \
	X(FAULT, "fault")     /*            guest exception reflected */                           \
	X(INTR, "intr")	      /*            external interrupt reflected */                        \
	X(HIDDEN, "hid-pf")   /* shadow paging: hidden #PF filled */                               \
	X(TRUEPF, "true-pf")  /*                true #PF reflected */                              \
	X(FLUSH, "flush")     /*                whole-shadow drops */                              \
	X(INVLPG, "invlpg")   /*                INVLPG shadow drops */                             \
	X(TRACEW, "trace-w")  /*                guest page-table writes the VMM performed */       \
	X(SYNCS, "syncs")     /*                shadow entries zapped by them */                   \
	X(SPTHIT, "spt-hit")  /*                CR3 writes that found their cached shadow */       \
	X(HOLES, "holes")     /* sensitive instructions that did not trap */                       \
	X(REFLECT, "reflect") /* events delivered through the guest's IDT */                       \
	X(ENTRIES, "vmm-ent") /* VMM work: entries (traps, hidden #PF, trace writes) */            \
	X(WALL_NS, "ns")      /* host wall-clock nanoseconds (informative) */
enum phase_counter {
#define X(n, s) PC_##n,
	PHASE_COUNTERS(X)
#undef X
	    PC_COUNT
};

#define PHASE_MAX 64

struct phase_row {
	char name[PHASE_NAME_MAX];
	u32 iters;
	bool ended;
	u64 begin[PC_COUNT], delta[PC_COUNT];
};

struct phase_stats {
	const struct vm *vm;
	struct phase_row rows[PHASE_MAX];
	int n;
	u64 dropped; /* phases past PHASE_MAX, or END without BEGIN */
};

/* Attach to vm's phase-marker device (a no-op when it is absent). */
void phase_stats_attach(struct phase_stats *ps, struct vm *vm);
/* One row per measured phase; nothing when the guest marked none. */
void phase_stats_print(const struct phase_stats *ps, FILE *out);

#endif
