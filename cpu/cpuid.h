/*
 * cpuid.h - what vmlab's virtual processor says about itself through CPUID
 * (SDM Vol 2A "CPUID - CPU Identification", Tables 3-8 .. 3-20).
 *
 * One table in cpu/cpuid.c lists every feature bit vmlab reports, and
 * whether it is on.  The same table answers two questions, so they can never
 * disagree:
 *   - what does CPUID return?          (cpuid_query)
 *   - may this ISA row execute, or #UD? (cpu_has_feature, used by cpu_step)
 */
#ifndef VMLAB_CPU_CPUID_H
#define VMLAB_CPU_CPUID_H

#include "cpu/cpu.h"
#include "cpu/insn.h"

/*
 * Features that gate no instruction row but that CPUID reports (paging and
 * system features).  They continue the numbering of enum isa_feature, so
 * cpu_has_feature() takes either kind.
 */
enum cpu_feature_extra {
	CPUF_FIRST = FEATURE_COUNT,
	CPUF_VME = CPUF_FIRST,
	CPUF_DE,
	CPUF_PSE,
	CPUF_PAE,
	CPUF_APIC,
	CPUF_MTRR,
	CPUF_PGE,
	CPUF_PAT,
	CPUF_PSE36,
	CPUF_NX,
	CPUF_SYSCALL,
	CPUF_PAGE1GB,
	CPUF_SMEP,
	CPUF_UMIP,
	CPUF_PCID,
	CPUF_LAHF_LM,
	CPUF_X2APIC,
	CPUF_TSC_ADJUST,
	CPUF_INVARIANT_TSC,
	CPUF_HYPERVISOR,
	CPUF_COUNT
};

/* Address widths reported by leaf 0x80000008 (EAX[7:0], EAX[15:8]). */
#define CPUID_MAXPHYADDR 40
#define CPUID_MAXLINADDR 48

/* Virtual time: the TSC advances this many ticks per retired instruction
 * (RDTSC, cpu/exec_misc.c). */
#define CPU_TSC_PER_INSN 1

/* The highest basic leaf implemented (leaf 0 EAX) unless c->cpuid_max_leaf
 * lowers it, and the highest extended leaf. */
#define CPUID_MAX_BASIC	   0xd
#define CPUID_MAX_EXTENDED 0x80000008u

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

/* Is `feature` (enum isa_feature or enum cpu_feature_extra) present? */
bool cpu_has_feature(const struct cpu *c, int feature);

/* The feature's name as /proc/cpuinfo spells it ("lm", "bmi2"), or "?". */
const char *cpu_feature_name(int feature);

/* CPUID leaf/subleaf as this CPU answers it.  Never fails: leaves past the
 * maximum return the highest basic leaf, as Intel processors do. */
struct cpuid_regs cpuid_query(struct cpu *c, u32 leaf, u32 subleaf);

/* The time-stamp counter as RDTSC would read it now. */
u64 cpu_tsc(const struct cpu *c);

#endif
