/*
 * trace.h - the event/trace stream (DESIGN.md §4-5).
 *
 * Every layer reports what happens (a mode switch, an exception, a port
 * write ...) as a struct trace_event on the machine's struct trace.  Each kind
 * has a counter that is always kept (the raw data of `stats` and the labs);
 * the event is built and handed to the sinks only when that kind is enabled,
 * so a disabled kind costs one bit test.  Sinks are registered by the
 * monitor (readable text, Chrome JSON, grader); lower layers never print.
 */
#ifndef VMLAB_LIB_TRACE_H
#define VMLAB_LIB_TRACE_H

#include "lib/common.h"
#include "lib/err.h"

enum trace_kind {
#define T(k, name, doc) TRACE_##k,
#include "lib/trace.def"
#undef T
	TRACE_KIND_COUNT
};

extern const char *const trace_kind_name[TRACE_KIND_COUNT];

struct trace_event {
	enum trace_kind kind;
	int cpu;	  /* CPU index, -1 when not tied to a CPU */
	u64 icount;	  /* instructions retired machine-wide: virtual time */
	u64 pc;		  /* linear address of the current instruction, or 0 */
	u64 a[4];	  /* meaning per kind: see lib/trace.def */
	const char *text; /* optional detail, may be NULL; valid during the call */
};

struct trace_sink {
	void (*event)(void *opaque, const struct trace_event *ev);
	void *opaque;
	u64 mask; /* kinds this sink wants: bit per enum trace_kind */
};

#define TRACE_MAX_SINKS 8

struct trace {
	u64 enabled; /* union of the sinks' masks */
	u64 count[TRACE_KIND_COUNT];
	int nsinks;
	struct trace_sink sinks[TRACE_MAX_SINKS];
	u64 *icount; /* points at the machine's retired-instruction counter */
};

void trace_init(struct trace *t);
/* Register a sink; returns -1 when all slots are taken. */
int trace_add_sink(struct trace *t, const struct trace_sink *s, struct err *e);
void trace_set_mask(struct trace *t, int sink, u64 mask);

/* Parse "mode,io,exc" (or "all") into a kind mask; -1 and a message naming
 * the unknown word on error. */
int trace_parse_list(const char *list, u64 *mask, struct err *e);

void trace_emit_slow(struct trace *t, const struct trace_event *ev);

static inline bool trace_on(const struct trace *t, enum trace_kind k)
{
	return t && (t->enabled & BIT(k));
}

/* The one call every layer uses.  Counts always; builds the event only when a
 * sink listens. */
static inline void trace_emit(struct trace *t, enum trace_kind k, int cpu, u64 pc, u64 a0, u64 a1,
			      u64 a2, u64 a3, const char *text)
{
	if (!t)
		return;
	t->count[k]++;
	if (t->enabled & BIT(k)) {
		struct trace_event ev = {k,   cpu, t->icount ? *t->icount : 0, pc, {a0, a1, a2, a3},
					 text};
		trace_emit_slow(t, &ev);
	}
}

#endif
