/*
 * sys64.h - samples/systest: the 64-bit system-architecture test kernel.
 *
 * The kernel builds its own GDT, TSS, IDT and 4-level page tables
 * (setup64.c), then runs probes: small pieces of code at CPL 0 or CPL 3
 * that end in an exception (or return).  The exception handler records what
 * the CPU delivered (vector, error code, saved RIP/CS/SS/RSP/RFLAGS, CR2,
 * which stack it landed on) and resumes the kernel (probe64.S).  Every
 * printed value is architecturally defined (SDM Vol 3 ch. 4-6), so QEMU's
 * output is the golden reference (tests/systest.mk).
 */
#ifndef SAMPLES_SYSTEST_SYS64_H
#define SAMPLES_SYSTEST_SYS64_H

#include <stdint.h>

#include "samples/lib/trap.h"

#include "samples/systest/sysdefs.h"

/* What the last exception delivered (filled by the hook in setup64.c). */
struct probe_result {
	uint64_t vector, error, rip, cs, ss, rsp, rflags, cr2;
	uint64_t frame;	   /* address of the CPU-pushed frame (&RIP) */
	uint64_t rbx, r12; /* registers the probe code left for us */
};
extern struct probe_result last;

/* The page tables. */
extern uint64_t pml4[512], pdpt[512], pd_k[512], pd_u[512], pt_u[512], pt_t[512];
extern uint8_t tpage[8][4096];
uint64_t user_stack_top(void); /* user alias of the CPL 3 stack */
extern uint64_t probe_addr, probe_val;

/* probe64.S */
int run_probe(void (*fn)(void));
int run_user(uint64_t rip, uint64_t rsp, uint64_t rflags, uint64_t cs, uint64_t ss);

/* Run probe NAME at CPL 0 / at CPL 3 (64-bit code, flags RFL) and print
 * what happened; both evaluate to run_probe's result. */
#define RUN0(name)                                                                                 \
	({                                                                                         \
		extern char name[], name##_at[], name##_next[];                                    \
		int r_ = run_probe((void (*)(void))(void *)name);                                  \
		report(#name, r_, (uint64_t)(uintptr_t)name##_at,                                  \
		       (uint64_t)(uintptr_t)name##_next);                                          \
		r_;                                                                                \
	})
#define RUNU_CS(name, rfl, cs, ss)                                                                 \
	({                                                                                         \
		extern char name[], name##_at[], name##_next[];                                    \
		int r_ = run_user(U(name), user_stack_top(), (rfl), (cs) | 3, (ss) | 3);           \
		report(#name, r_, U(name##_at), U(name##_next));                                   \
		r_;                                                                                \
	})
#define RUNU(name, rfl) RUNU_CS(name, rfl, U_CS64, U_DS)

/* The next line printed is one where QEMU's TCG departs from the SDM:
 * prefix it with the "[systest] ~" mask (tests/guest/compare.sh). */
#define QEMU_DIFFERS() printf("[systest] ~ ")

void setup64(void);
void idt_set(unsigned vec, unsigned dpl, unsigned ist, int present);
const char *stack_name(uint64_t frame_addr);
/* Print the last result: "name: #GP err=0x.. rip=..." */
void report(const char *name, int raised, uint64_t at, uint64_t next);
uint64_t rdcr0(void);
void wrcr0(uint64_t v);
uint64_t rdcr4(void);
void wrcr4(uint64_t v);
void wrmsr64(uint32_t msr, uint64_t v);
uint64_t rdmsr64(uint32_t msr);
void invlpg(uint64_t va);
void reload_cr3(void);

void test_exceptions(void);
void test_rings(void);
void test_paging(void);
void test_pcid(void);

#endif
