/*
 * exception.h - delivering exceptions and interrupts through the IVT/IDT
 * (SDM Vol 3 ch. 6 "Interrupt and Exception Handling", Vol 2 "INT n/INTO/
 * INT3/INT1" operation pseudocode).
 *
 * cpu_step() calls cpu_deliver() for a raised exception (after cpu_raise's
 * longjmp), for NMI, for an acknowledged external interrupt, and for the
 * single-step trap; the INT n / INT3 / INTO / INT1 handlers call it too.
 */
#ifndef VMLAB_CPU_EXCEPTION_H
#define VMLAB_CPU_EXCEPTION_H

#include "cpu/cpu.h"

/*
 * Where an event comes from.  It decides three things:
 *   - the return address pushed: the faulting instruction (FAULT), the next
 *     instruction (TRAP, SOFT, INT3, INTO), or RIP between instructions
 *     (EXT, NMI);
 *   - the gate DPL check: only software interrupts (SOFT, INT3, INTO) must
 *     have CPL <= gate DPL (SDM Vol 3 §6.12.1.1); INT1 (ICEBP) uses TRAP;
 *   - the EXT bit of error codes raised while delivering (SDM Vol 3 §6.13):
 *     set for everything except SOFT/INT3/INTO.
 */
enum exc_source {
	EXC_SRC_FAULT, /* a fault raised by an instruction (or its fetch) */
	EXC_SRC_TRAP,  /* a trap after an instruction completed (#DB single step, INT1) */
	EXC_SRC_EXT,   /* an external interrupt acknowledged from the PIC/APIC */
	EXC_SRC_SOFT,  /* INT n */
	EXC_SRC_INT3,  /* INT3 (CC): #BP */
	EXC_SRC_INTO,  /* INTO (CE) with OF = 1: #OF */
	EXC_SRC_NMI,   /* non-maskable interrupt */
};

/* Exception classes for the double-fault rules (SDM Vol 3 Table 6-4/6-5). */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT };

/* Does exception `vector` push an error code? (8, 10-14, 17, 21) */
bool exc_has_error(int vector);
enum exc_class exc_class_of(int vector);
/* Mnemonic of an exception vector ("#GP"), or "INT" past 31. */
const char *exc_name(int vector);

/*
 * Deliver event `vector`.  On return the CPU is at the handler's first
 * instruction (c->rip and c->next_rip both point there), or in the shutdown
 * state (c->shutdown) after a triple fault.  A fault while delivering is
 * caught here and handled by the double-fault rules; the caller never sees
 * it.  Never raises.
 */
void cpu_deliver(struct cpu *c, int vector, u32 error_code, bool has_error, int source);

/*
 * The fast paths of the 64-bit INT n / IRETQ round trip (exec_intfast.c,
 * issue 9): the common case only, every SDM check made.  They return false
 * with NOTHING changed whenever the full path (cpu_deliver, IRET) must
 * decide -- a failing check, a soft-TLB miss, a descriptor whose accessed
 * bit is clear.  cpu_int_fast is INT n's (EXC_SRC_SOFT) delivery;
 * cpu_iretq_fast is IRET with REX.W after its intercept check.
 */
bool cpu_int_fast(struct cpu *c, u8 vector);
bool cpu_iretq_fast(struct cpu *c);

#endif
