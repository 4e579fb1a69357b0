/*
 * phase_stats.c - per-phase counters for guest benchmarks (see
 * phase_stats.h; Adams & Agesen ASPLOS 2006 §4 "nanobenchmarks": one
 * operation in a loop, its cost per iteration, native vs under a VMM).
 *
 * The guest's BEGIN/END writes reach snap() through the phase-marker
 * device's hook, in the middle of the guest's OUT instruction.  Under
 * --virt=trap that OUT is itself a trap whose counter the VMM increments
 * after the emulation returns: the BEGIN marker's trap falls inside its
 * phase, the END marker's outside.  That and every other fixed cost
 * cancels against the 0-iteration baseline run (phase_stats.h).
 */
#include "monitor/phase_stats.h"

#include <string.h>
#include <time.h>

#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

static const char *const counter_name[PC_COUNT] = {
#define X(n, s) s,
    PHASE_COUNTERS(X)
#undef X
};

/* Every counter of the row, now. */
static void snap(const struct vm *vm, u64 *v)
{
	const struct vmm *m = vm->vmm;
	struct timespec ts;

	memset(v, 0, sizeof(u64) * PC_COUNT);
	v[PC_INSNS] = v[PC_NATIVE] = vm->retired;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v[PC_WALL_NS] = (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
	if (!m)
		return; /* --virt=none: the machine is the hardware, nothing traps */
	v[PC_PRIV] = m->stats.traps[VMM_TRAP_PRIV];
	v[PC_IO] = m->stats.traps[VMM_TRAP_IO];
	v[PC_STRICT] = m->stats.traps[VMM_TRAP_STRICT];
	v[PC_INTN] = m->stats.traps[VMM_TRAP_INTN];
	v[PC_FAULT] = m->stats.traps[VMM_TRAP_FAULT];
	v[PC_INTR] = m->stats.traps[VMM_TRAP_INTR];
	v[PC_HIDDEN] = m->stats.pf_hidden;
	v[PC_TRUEPF] = m->stats.pf_true;
	v[PC_FLUSH] = m->stats.spt_flushes;
	v[PC_INVLPG] = m->stats.spt_invlpg;
	v[PC_TRACEW] = m->stats.spt_trace_writes;
	v[PC_SYNCS] = m->stats.spt_syncs;
	v[PC_SPTHIT] = m->stats.spt_hits;
	v[PC_HOLES] = m->stats.hole_total;
	v[PC_REFLECT] = m->stats.reflect_total;
	/* VMM work: every VMM entry (a world switch on real hardware, Adams
	 * & Agesen §3): the traps of every reason, the hidden page faults and
	 * the writes to traced guest page tables, which enter the VMM (a #PF)
	 * without being counted as traps. */
	for (int k = 0; k < VMM_TRAP_COUNT; k++)
		v[PC_ENTRIES] += m->stats.traps[k];
	v[PC_ENTRIES] += m->stats.pf_hidden + m->stats.spt_trace_writes;
	/* An instruction the VMM emulates faulted on the real CPU; the VMM
	 * retires it itself (vmm_trap.c: vm->retired, virtual time), so it
	 * is in vm->retired already; so is a trace write (the guest store
	 * the VMM performs retires there too: vmm_paging.c). */
}

static void on_mark(void *opaque, enum phase_cmd cmd, const char *name, u32 iters)
{
	struct phase_stats *ps = opaque;
	struct phase_row *r;
	u64 now[PC_COUNT];

	snap(ps->vm, now);
	if (cmd == PHASE_BEGIN) {
		if (ps->n == PHASE_MAX) {
			ps->dropped++;
			return;
		}
		r = &ps->rows[ps->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", name[0] ? name : "?");
		r->iters = iters;
		memcpy(r->begin, now, sizeof(now));
		return;
	}
	/* END closes the most recent open phase (phases do not nest). */
	if (!ps->n || ps->rows[ps->n - 1].ended) {
		ps->dropped++;
		return;
	}
	r = &ps->rows[ps->n - 1];
	for (int k = 0; k < PC_COUNT; k++)
		r->delta[k] = now[k] - r->begin[k];
	r->ended = true;
}

void phase_stats_attach(struct phase_stats *ps, struct vm *vm)
{
	struct phase_marker *pm = phase_marker_find(&vm->board);

	memset(ps, 0, sizeof(*ps));
	ps->vm = vm;
	if (pm)
		phase_marker_set_hook(pm, on_mark, ps);
}

/* The 0-iteration run just before r with the same name, or NULL. */
static const struct phase_row *baseline_of(const struct phase_stats *ps, int k)
{
	const struct phase_row *r = &ps->rows[k];

	for (int j = k - 1; j >= 0; j--)
		if (ps->rows[j].ended && !strcmp(ps->rows[j].name, r->name))
			return ps->rows[j].iters == 0 ? &ps->rows[j] : NULL;
	return NULL;
}

/* A per-iteration value: integers print as integers, fractions with two
 * decimals, so that "exactly 1 trap per iteration" reads as 1. */
static void cell(FILE *out, int width, double v)
{
	if (v == (double)(long long)v)
		fprintf(out, " %*lld", width, (long long)v);
	else
		fprintf(out, " %*.2f", width, v);
}

void phase_stats_print(const struct phase_stats *ps, FILE *out)
{
	const struct vm *vm = ps->vm;
	int rows = 0;

	for (int k = 0; k < ps->n; k++)
		rows += ps->rows[k].ended && ps->rows[k].iters > 0;
	if (!rows)
		return;
	fprintf(out, "vmlab: phases: --virt=%s%s, per iteration (minus the 0-iteration baseline)\n",
		vm->vmm ? "trap" : "none", vm->vmm && vm->cfg->pg_strict ? " --cpu=pg-strict" : "");
	fprintf(out, "vmlab: phase %-10s %8s", "name", "iters");
	for (int c = 0; c < PC_COUNT; c++)
		fprintf(out, " %*s", c == PC_WALL_NS ? 7 : 6, counter_name[c]);
	fputc('\n', out);
	for (int k = 0; k < ps->n; k++) {
		const struct phase_row *r = &ps->rows[k], *b = baseline_of(ps, k);

		if (!r->ended || !r->iters)
			continue;
		fprintf(out, "vmlab: phase %-10s %8u", r->name, r->iters);
		for (int c = 0; c < PC_COUNT; c++) {
			double d = (double)r->delta[c] - (b ? (double)b->delta[c] : 0.0);

			if (c == PC_WALL_NS && d < 0)
				d = 0; /* host noise larger than the phase */
			cell(out, c == PC_WALL_NS ? 7 : 6, d / r->iters);
		}
		fprintf(out, "%s\n", b ? "" : "  (no baseline)");
	}
	if (ps->dropped)
		fprintf(out,
			"vmlab: phases: %llu markers ignored (over %d phases, or END without "
			"BEGIN)\n",
			(unsigned long long)ps->dropped, PHASE_MAX);
}
