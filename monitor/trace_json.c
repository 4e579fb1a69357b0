/*
 * trace_json.c - the Chrome/Perfetto trace sink (see trace_json.h), after
 * the "Trace Event Format" document (Google, 2016-): a JSON object
 * {"traceEvents": [...], "displayTimeUnit": "ns"} whose events carry
 *   ph  "X" complete slice (ts + dur), "i" instant (s: "t" = thread scope),
 *       "C" counter (args = the series), "M" metadata (process_name,
 *       thread_name, which is what makes Perfetto show named tracks);
 *   ts  microseconds (a float: we keep nanosecond precision);
 *   pid, tid  which track.
 * Metadata may appear anywhere in the array, so each track is named the
 * first time an event lands on it.
 *
 * Events arrive in increasing icount (the run loop is single-threaded and
 * icount is machine-wide), so every track's ts is monotonic; a mode slice
 * is written when it ends, at the next mode switch of its CPU or at close.
 */
#include "monitor/trace_json.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"

enum { PID_CPU = 1, PID_DEV = 2, PID_MACHINE = 3 };
enum { TID_MODE = 1, TID_EVENTS = 2 };		/* per CPU: tid = cpu * 4 + these */
#define TID_UNCLAIMED (BUS_MAX_PORT_RANGES + 1) /* pid 2: ports nobody claims */
#define COUNTER_EVERY 100000ULL			/* instructions between "C" samples */

static const char *const exc_name[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
};

bool trace_json_wanted(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return n >= 5 && !strcmp(path + n - 5, ".json");
}

/* ts in microseconds of virtual time, printed with ns precision. */
static void put_ts(struct trace_json *tj, const char *key, u64 icount)
{
	u64 ns = icount * tj->ns_per_insn;

	fprintf(tj->out, "\"%s\":%llu.%03llu", key, (unsigned long long)(ns / 1000),
		(unsigned long long)(ns % 1000));
}

/* Every event but the first is preceded by a comma. */
static void begin(struct trace_json *tj)
{
	fputs(tj->nevents++ ? ",\n{" : "\n{", tj->out);
}

static void meta(struct trace_json *tj, const char *what, int pid, int tid, const char *name,
		 int index)
{
	begin(tj);
	fprintf(tj->out, "\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"",
		what, pid, tid);
	fputs(name, tj->out);
	if (index >= 0)
		fprintf(tj->out, "%d", index);
	fputs("\"}}", tj->out);
}

static int cpu_slot(int cpu)
{
	return cpu >= 0 && cpu < TRACE_JSON_MAX_CPUS ? cpu : 0;
}

static void name_cpu(struct trace_json *tj, int cpu)
{
	if (tj->cpu[cpu].named)
		return;
	tj->cpu[cpu].named = true;
	meta(tj, "thread_name", PID_CPU, cpu * 4 + TID_MODE, "mode cpu", cpu);
	meta(tj, "thread_name", PID_CPU, cpu * 4 + TID_EVENTS, "events cpu", cpu);
}

static const char *mode_str(int m)
{
	return m >= 0 && m < CPU_MODE_COUNT && cpu_mode_name[m] ? cpu_mode_name[m] : "?";
}

/* End CPU cpu's mode slice at icount: one "X" event. */
static void end_slice(struct trace_json *tj, int cpu, u64 icount)
{
	u64 start = tj->cpu[cpu].start;

	if (!tj->cpu[cpu].open)
		return;
	tj->cpu[cpu].open = false;
	begin(tj);
	fprintf(tj->out, "\"ph\":\"X\",\"cat\":\"mode\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,",
		mode_str(tj->cpu[cpu].mode), PID_CPU, cpu * 4 + TID_MODE);
	put_ts(tj, "ts", start);
	fputc(',', tj->out);
	put_ts(tj, "dur", icount - start);
	fputc('}', tj->out);
}

static void counter(struct trace_json *tj, u64 icount)
{
	begin(tj);
	fprintf(tj->out, "\"ph\":\"C\",\"name\":\"instructions\",\"pid\":%d,\"tid\":0,",
		PID_MACHINE);
	put_ts(tj, "ts", icount);
	fprintf(tj->out, ",\"args\":{\"retired\":%llu}}", (unsigned long long)icount);
	tj->last_counter = icount;
}

/* The device track of a port: the bus range's index, named after it. */
static int port_track(struct trace_json *tj, u64 port)
{
	const struct bus *b = tj->bus;
	int idx = b && port < 65536 ? b->port_index[port] : 0;
	int tid = idx ? idx : TID_UNCLAIMED;

	if (!tj->dev_named[tid]) {
		const struct bus_range *r = idx ? &b->pio[idx - 1] : NULL;
		char name[96];

		tj->dev_named[tid] = 1;
		if (r)
			snprintf(name, sizeof(name), "%s 0x%llx-0x%llx",
				 r->name  ? r->name
				 : r->ops ? r->ops->name
					  : "port",
				 (unsigned long long)r->base,
				 (unsigned long long)(r->base + r->size - 1));
		else
			snprintf(name, sizeof(name), "unclaimed ports");
		meta(tj, "thread_name", PID_DEV, tid, name, -1);
	}
	return tid;
}

/* One instant event; `name` is ours (no characters that need escaping). */
static void instant(struct trace_json *tj, const char *cat, const char *name, int pid, int tid,
		    u64 icount, u64 pc)
{
	begin(tj);
	fprintf(tj->out,
		"\"ph\":\"i\",\"s\":\"t\",\"cat\":\"%s\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,",
		cat, name, pid, tid);
	put_ts(tj, "ts", icount);
	fprintf(tj->out, ",\"args\":{\"pc\":\"0x%llx\",\"icount\":%llu}}", (unsigned long long)pc,
		(unsigned long long)icount);
}

static void json_event(void *opaque, const struct trace_event *ev)
{
	struct trace_json *tj = opaque;
	const u64 *a = ev->a;
	int cpu = cpu_slot(ev->cpu), ctid = cpu * 4 + TID_EVENTS;
	char name[96];

	if (!tj->out)
		return;
	if (ev->icount > tj->last_icount)
		tj->last_icount = ev->icount;
	if (ev->cpu >= 0)
		name_cpu(tj, cpu);
	if (ev->icount - tj->last_counter >= COUNTER_EVERY)
		counter(tj, ev->icount);
	switch (ev->kind) {
	case TRACE_MODE:
		/* The first switch tells us the mode the CPU had since time 0. */
		if (!tj->cpu[cpu].seen) {
			tj->cpu[cpu].seen = tj->cpu[cpu].open = true;
			tj->cpu[cpu].mode = (int)a[0];
			tj->cpu[cpu].start = 0;
		}
		end_slice(tj, cpu, ev->icount);
		tj->cpu[cpu].open = true;
		tj->cpu[cpu].mode = (int)a[1];
		tj->cpu[cpu].start = ev->icount;
		counter(tj, ev->icount);
		return;
	case TRACE_EXC:
		snprintf(name, sizeof(name), "exception %s",
			 a[0] < 32 && exc_name[a[0]] ? exc_name[a[0]] : "#?");
		instant(tj, "exc", name, PID_CPU, ctid, ev->icount, ev->pc);
		return;
	case TRACE_INT:
		snprintf(name, sizeof(name), "%s 0x%02llx",
			 a[1] == 1   ? "INT"
			 : a[1] == 2 ? "NMI"
				     : "interrupt",
			 (unsigned long long)a[0]);
		instant(tj, "int", name, PID_CPU, ctid, ev->icount, ev->pc);
		return;
	case TRACE_IO:
		snprintf(name, sizeof(name), "%s 0x%llx %s 0x%llx", a[3] ? "out" : "in",
			 (unsigned long long)a[0], a[3] ? "<-" : "->", (unsigned long long)a[1]);
		instant(tj, "io", name, PID_DEV, port_track(tj, a[0]), ev->icount, ev->pc);
		return;
	case TRACE_CR:
		snprintf(name, sizeof(name), "cr%llu 0x%llx", (unsigned long long)a[0],
			 (unsigned long long)a[2]);
		instant(tj, "cr", name, PID_CPU, ctid, ev->icount, ev->pc);
		return;
	case TRACE_SHUTDOWN:
		instant(tj, "shutdown", "triple fault", PID_CPU, ctid, ev->icount, ev->pc);
		return;
	case TRACE_EXIT:
		snprintf(name, sizeof(name), "exit status %llu", (unsigned long long)a[1]);
		instant(tj, "exit", name, PID_MACHINE, 0, ev->icount, ev->pc);
		return;
	case TRACE_INSN:
	case TRACE_BLOCK:
		/* Too many for a timeline: they only move the counter. */
		return;
	default:
		snprintf(name, sizeof(name), "%s 0x%llx", trace_kind_name[ev->kind],
			 (unsigned long long)a[0]);
		instant(tj, trace_kind_name[ev->kind], name, PID_CPU, ctid, ev->icount, ev->pc);
		return;
	}
}

int trace_json_open(struct trace_json *tj, struct trace *t, u64 mask, const char *path,
		    struct err *e)
{
	struct trace_sink s = {json_event, tj,
			       mask | BIT(TRACE_MODE) | BIT(TRACE_EXIT) | BIT(TRACE_SHUTDOWN)};
	size_t n = strlen(path) + 32;

	memset(tj, 0, sizeof(*tj));
	tj->ns_per_insn = 1;
	tj->path = xstrdup(path);
	tj->tmp = xcalloc(1, n);
	snprintf(tj->tmp, n, "%s.tmp.%d", path, (int)getpid());
	tj->out = fopen(tj->tmp, "w");
	if (!tj->out) {
		err_errno(e, "--trace-file: %s", path); /* the name the user gave */
		goto fail;
	}
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"vmlab\","
	      "\"clock\":\"virtual (instruction count)\"},\n\"traceEvents\":[",
	      tj->out);
	meta(tj, "process_name", PID_CPU, 0, "cpus", -1);
	meta(tj, "process_name", PID_DEV, 0, "devices (I/O ports)", -1);
	meta(tj, "process_name", PID_MACHINE, 0, "machine", -1);
	if (trace_add_sink(t, &s, e) < 0)
		goto fail;
	return 0;
fail:
	if (tj->out) {
		fclose(tj->out);
		unlink(tj->tmp);
	}
	tj->out = NULL;
	free(tj->path);
	free(tj->tmp);
	tj->path = tj->tmp = NULL;
	return -1;
}

void trace_json_set_machine(struct trace_json *tj, const struct bus *bus, u64 ns_per_insn)
{
	tj->bus = bus;
	if (ns_per_insn)
		tj->ns_per_insn = ns_per_insn;
}

int trace_json_close(struct trace_json *tj, u64 icount, struct err *e)
{
	int r = 0;

	if (!tj->out)
		return 0;
	if (icount < tj->last_icount)
		icount = tj->last_icount;
	for (int i = 0; i < TRACE_JSON_MAX_CPUS; i++)
		end_slice(tj, i, icount);
	counter(tj, icount);
	fputs("\n]}\n", tj->out);
	/* Atomic replace (DESIGN.md §8): data on disk before the new name. */
	if (fflush(tj->out) || fsync(fileno(tj->out)))
		r = err_errno(e, "--trace-file: %s", tj->tmp);
	if (fclose(tj->out) && !r)
		r = err_errno(e, "--trace-file: %s", tj->tmp);
	tj->out = NULL;
	if (!r && rename(tj->tmp, tj->path))
		r = err_errno(e, "--trace-file: %s", tj->path);
	if (r)
		unlink(tj->tmp);
	free(tj->path);
	free(tj->tmp);
	tj->path = tj->tmp = NULL;
	return r;
}
