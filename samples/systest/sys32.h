/*
 * sys32.h - samples/systest: the 32-bit system-architecture test kernel
 * (systest32), the protected-mode twin of systest64 (sys64.h).
 *
 * The kernel stays in 32-bit protected mode (multiboot enters it there,
 * paging off), builds its own GDT, LDT, 32-bit TSS with an I/O permission
 * bitmap and IDT (setup32.c), then runs probes at CPL 0, 1 or 3 that end in
 * an exception or return.  The exception hook records the 32-bit frame the
 * CPU pushed (SDM Vol 3 §6.12.1, Figure 6-4) and resumes the kernel
 * (probe32.S).  Every printed value is architecturally defined, so QEMU's
 * output is the golden reference (tests/systest.mk).
 */
#ifndef SAMPLES_SYSTEST_SYS32_H
#define SAMPLES_SYSTEST_SYS32_H

#include <stdint.h>

#include "samples/systest/sysdefs32.h"

/* What the last exception delivered. */
struct probe_result {
	uint32_t vector, error, eip, cs, eflags, esp, ss, cr2;
	uint32_t frame;	   /* address of the CPU-pushed frame (&EIP) */
	uint32_t ebx, esi; /* registers the probe left for us */
	uint32_t v86_ds;   /* DS saved by an exit from virtual-8086 mode */
};
extern struct probe_result last;

/* Where user code runs: 0 with paging off, USER_ALIAS in the paging tests. */
extern uint32_t ubase;
#define U(p) ((uint32_t)(uintptr_t)(p) + ubase)
uint32_t user_stack_top(void);

/* probe32.S */
int run_probe(void (*fn)(void));
int run_user(uint32_t eip, uint32_t esp, uint32_t eflags, uint32_t cs, uint32_t ss);
int run_v86(uint32_t eflags); /* IRET to virtual-8086 mode at V86_CS:0 */

#define EFL_VM 0x20000u
#define V86_CS 0x700 /* real-mode style segment of the VM86 probes */

#define RUN0(name)                                                                                 \
	({                                                                                         \
		extern char name[], name##_at[], name##_next[];                                    \
		int r_ = run_probe((void (*)(void))(void *)name);                                  \
		report(#name, r_, (uint32_t)(uintptr_t)name##_at,                                  \
		       (uint32_t)(uintptr_t)name##_next);                                          \
		r_;                                                                                \
	})
#define RUNU_CS(name, efl, cs, ss)                                                                 \
	({                                                                                         \
		extern char name[], name##_at[], name##_next[];                                    \
		int r_ = run_user(U(name), user_stack_top(), (efl), (cs), (ss));                   \
		report(#name, r_, U(name##_at), U(name##_next));                                   \
		r_;                                                                                \
	})
#define RUNU(name, efl) RUNU_CS(name, efl, U_CS | 3, U_DS | 3)
#define RUN1(name, efl) RUNU_CS(name, efl, K1_CS | 1, K1_DS | 1)

/* The next line printed is one where QEMU's TCG departs from the SDM. */
#define QEMU_DIFFERS() printf("[systest] ~ ")

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void serial_init32(void);
void guest_exit(unsigned v) __attribute__((noreturn));

void setup32(void);
void idt_set(unsigned vec, unsigned dpl, int present);
void report(const char *name, int raised, uint32_t at, uint32_t next);
void tss_set_io(unsigned port, int allowed);
extern uint64_t gdt[GDT_BYTES / 8];

static inline uint32_t rdcr0(void)
{
	uint32_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline void wrcr0(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline uint32_t rdcr4(void)
{
	uint32_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void wrcr4(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
static inline void wrcr3(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline void wrmsr32(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdmsr32(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void invlpg(uint32_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

void test_exceptions32(void);
void test_segments32(void);
void test_rings32(void);
void test_paging32(void);
void test_v86(void);

#endif
