/*
 * trace.c - the event stream's bookkeeping: sinks, masks, list parsing.
 */
#include "lib/trace.h"

#include <string.h>

const char *const trace_kind_name[TRACE_KIND_COUNT] = {
#define T(k, name, doc) [TRACE_##k] = name,
#include "lib/trace.def"
#undef T
};

void trace_init(struct trace *t)
{
	memset(t, 0, sizeof(*t));
}

static void recompute(struct trace *t)
{
	t->enabled = 0;
	for (int i = 0; i < t->nsinks; i++)
		t->enabled |= t->sinks[i].mask;
}

int trace_add_sink(struct trace *t, const struct trace_sink *s, struct err *e)
{
	if (t->nsinks >= TRACE_MAX_SINKS)
		return err_set(e, "trace: too many sinks (max %d)", TRACE_MAX_SINKS);
	t->sinks[t->nsinks++] = *s;
	recompute(t);
	return t->nsinks - 1;
}

void trace_set_mask(struct trace *t, int sink, u64 mask)
{
	if (sink < 0 || sink >= t->nsinks)
		panic("trace_set_mask: no sink %d", sink);
	t->sinks[sink].mask = mask;
	recompute(t);
}

int trace_parse_list(const char *list, u64 *mask, struct err *e)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		int found = 0;

		if (n == 3 && !strncmp(p, "all", 3)) {
			*mask = BIT(TRACE_KIND_COUNT) - 1;
			found = 1;
		}
		for (int k = 0; !found && k < TRACE_KIND_COUNT; k++) {
			if (strlen(trace_kind_name[k]) == n && !strncmp(p, trace_kind_name[k], n)) {
				*mask |= BIT(k);
				found = 1;
			}
		}
		if (!found && n > 0)
			return err_set(
			    e, "--trace: unknown event kind '%.*s' (try: mode,int,exc,io,...)",
			    (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

void trace_emit_slow(struct trace *t, const struct trace_event *ev)
{
	for (int i = 0; i < t->nsinks; i++)
		if (t->sinks[i].mask & BIT(ev->kind))
			t->sinks[i].event(t->sinks[i].opaque, ev);
}
