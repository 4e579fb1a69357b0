/*
 * run_stats.c - `vmlab run --stats` (see run_stats.h).
 *
 * CPU time is CLOCK_PROCESS_CPUTIME_ID: what the emulator spent, not what
 * the host scheduler gave others.  It includes the boot (loading the
 * kernel, the guest's own setup); benchmarks that want the steady state
 * subtract a run with fewer iterations (tests/bench/run.sh).
 */
#include "monitor/run_stats.h"

#include <sys/resource.h>
#include <time.h>

#include "cpu/block.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "mmu/tlb.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void run_stats_begin(struct run_stats *s, struct vm *vm)
{
	s->cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	s->wall0 = clock_s(CLOCK_MONOTONIC);
	s->insns0 = vm->retired;
	phase_stats_attach(&s->phases, vm);
}

void run_stats_print(const struct run_stats *s, const struct vm *vm, FILE *out)
{
	double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - s->cpu0;
	double wall = clock_s(CLOCK_MONOTONIC) - s->wall0;
	u64 n = vm->retired - s->insns0;
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	fprintf(out,
		"vmlab: stats: %llu instructions in %.6f s CPU (%.6f s wall): %.1f MIPS; "
		"peak RSS %ld KiB\n",
		(unsigned long long)n, cpu, wall, cpu > 0 ? n / cpu / 1e6 : 0.0, ru.ru_maxrss);
	for (int i = 0; i < vm->ncpus; i++) {
		const struct cpu *c = &vm->cpus[i];
		const struct tlb_stats *t = &c->tlb->stats;

		fprintf(out, "vmlab: stats: cpu%d tlb hits %llu misses %llu walks %llu\n", i,
			(unsigned long long)t->hits, (unsigned long long)t->misses,
			(unsigned long long)t->walks);
	}
	if (vm->ncpus && vm->cpus[0].bc) {
		const struct block_stats *b = block_cache_stats(vm->cpus[0].bc);

		fprintf(out,
			"vmlab: stats: blocks built %llu runs %llu (%llu chained, %llu ibtc hits, "
			"%llu looked up) insns %llu (%.1f per run) invalidated %llu flushes %llu "
			"fallbacks %llu code pages %llu\n",
			(unsigned long long)b->built, (unsigned long long)b->runs,
			(unsigned long long)b->chained, (unsigned long long)b->ibtc_hits,
			(unsigned long long)b->lookups, (unsigned long long)b->insns,
			b->runs ? (double)b->insns / b->runs : 0.0,
			(unsigned long long)b->invalidated, (unsigned long long)b->flushes,
			(unsigned long long)b->fallbacks, (unsigned long long)b->code_pages);
	}
	/* --virt=trap: traps by reason and Popek-Goldberg class, holes. */
	if (vm->vmm)
		vmm_print_stats(vm->vmm, out);
	/* samples/nanobench and other guests that mark phases: the table. */
	phase_stats_print(&s->phases, out);
}
