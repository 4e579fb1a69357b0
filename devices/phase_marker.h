/*
 * phase_marker.h - the benchmark phase-marker port (vmlab's own device,
 * modelled on Bochs's instrumentation port 0x8A00; issue 8, samples/nanobench).
 *
 * A guest benchmark tells vmlab where each measured phase begins and ends,
 * so that vmlab can take the difference of its counters (guest instructions,
 * VMM traps by reason, shadow paging events, host time) over exactly that
 * stretch of guest execution.  Ports 0x8A00-0x8A07:
 *
 *   0x8A04 (dword write)  the number of iterations of the next phase
 *   0x8A01 (byte write)   one character of the next phase's name
 *                          (up to PHASE_NAME_MAX - 1; more are dropped)
 *   0x8A00 (byte write)   a command: 1 = BEGIN the named phase,
 *                          2 = END it (name and iterations are then cleared)
 *   0x8A00 (read)         0x8A when the device is present
 *
 * QEMU claims none of these ports: there the writes vanish, reads give all
 * ones, and the guest runs the same -- its serial output must not depend on
 * the marker.  The device knows nothing of CPUs or VMMs (DESIGN.md §1): on
 * BEGIN and END it calls a hook that whoever reads the counters installs
 * (monitor/phase_stats.c).
 */
#ifndef VMLAB_DEVICES_PHASE_MARKER_H
#define VMLAB_DEVICES_PHASE_MARKER_H

#include "lib/common.h"

#define PHASE_MARKER_PORT 0x8a00
#define PHASE_NAME_MAX	  24

enum phase_cmd {
	PHASE_BEGIN = 1,
	PHASE_END = 2,
};

struct phase_marker;
struct board;

/* Called on BEGIN and END with the name and iteration count the guest set. */
typedef void (*phase_hook_fn)(void *opaque, enum phase_cmd cmd, const char *name, u32 iters);

/* The board's marker, or NULL when the device is not linked in. */
struct phase_marker *phase_marker_find(struct board *b);
void phase_marker_set_hook(struct phase_marker *pm, phase_hook_fn fn, void *opaque);

#endif
