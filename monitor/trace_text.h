/*
 * trace_text.h - the readable trace sink: one line per event on the trace
 * stream (DESIGN.md §5), to stderr or a file (--trace-file PATH).
 *
 *   [1234] cpu0 mode protected-32 -> long-64 at rip=0x100020
 *   [1290] cpu0 exc #PF(0x2) cr2=0xdead000 at 0x100104
 *   [1302] cpu0 io out 0x3f8 <- 0x41 (1)
 */
#ifndef VMLAB_MONITOR_TRACE_TEXT_H
#define VMLAB_MONITOR_TRACE_TEXT_H

#include <stdio.h>

#include "lib/common.h"
#include "lib/err.h"
#include "lib/trace.h"

struct trace_text {
	FILE *out;
	bool close_out;
	/* capstone handles (csh) for 16-, 32- and 64-bit code, opened on the
	 * first instruction event; 0 when capstone could not open. */
	size_t cs[3];
	bool cs_tried;
};

/* Register the sink for the kinds in mask; path NULL means stderr.  A path
 * ending in .json is refused: that suffix is kept for the Chrome format. */
int trace_text_open(struct trace_text *tt, struct trace *t, u64 mask, const char *path,
		    struct err *e);
void trace_text_close(struct trace_text *tt);

/* Format one event (without the newline): used by the sink and the tests. */
void trace_text_format(struct trace_text *tt, const struct trace_event *ev, char *buf, size_t len);

#endif
