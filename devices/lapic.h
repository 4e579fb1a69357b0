/*
 * lapic.h - the local APIC of every CPU, xAPIC mode (Intel SDM Vol 3A
 * chapter 11 "Advanced Programmable Interrupt Controller (APIC)").
 *
 * One device ("lapic") holds the local APICs of all CPUs of the board.  They
 * share one MMIO page at 0xFEE00000: an access is answered by the APIC of
 * board->current_cpu, the CPU the run loop is running.  APIC ID = CPU index.
 *
 * The device knows nothing of the CPU (DESIGN.md §1).  The hypervisor:
 *   - asks lapic_pic_accepted / lapic_intr_pending / lapic_intr_ack when the
 *     CPU looks for an external interrupt;
 *   - tells the APIC the CPU's IA32_APIC_BASE.EN bit (lapic_set_hw_enabled);
 *   - installs `signal`, through which INIT, SIPI and NMI reach a CPU.
 */
#ifndef VMLAB_DEVICES_LAPIC_H
#define VMLAB_DEVICES_LAPIC_H

#include "devices/board.h"
#include "lib/common.h"

#define LAPIC_BASE	0xfee00000ULL
#define LAPIC_MAX_CPUS	64
#define LAPIC_VERSION	0x00050014 /* version 14h, max LVT entry 5 (SDM Fig 11-7) */
#define LAPIC_BROADCAST 0xff

/* Register offsets in the APIC page (SDM Vol 3A Table 11-1). */
enum {
	LAPIC_ID = 0x020,
	LAPIC_VER = 0x030,
	LAPIC_TPR = 0x080,
	LAPIC_APR = 0x090,
	LAPIC_PPR = 0x0a0,
	LAPIC_EOI = 0x0b0,
	LAPIC_RRD = 0x0c0,
	LAPIC_LDR = 0x0d0,
	LAPIC_DFR = 0x0e0,
	LAPIC_SVR = 0x0f0,
	LAPIC_ISR = 0x100, /* 8 registers, 0x10 apart */
	LAPIC_TMR = 0x180,
	LAPIC_IRR = 0x200,
	LAPIC_ESR = 0x280,
	LAPIC_ICR_LO = 0x300,
	LAPIC_ICR_HI = 0x310,
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_THERMAL = 0x330,
	LAPIC_LVT_PERF = 0x340,
	LAPIC_LVT_LINT0 = 0x350,
	LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_ICR = 0x380, /* initial count */
	LAPIC_TIMER_CCR = 0x390, /* current count */
	LAPIC_TIMER_DCR = 0x3e0, /* divide configuration */
};

/* Delivery modes (ICR, LVT, I/O APIC redirection entries; SDM Fig 11-12). */
enum apic_delivery {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_SIPI = 6,
	APIC_DM_EXTINT = 7,
};

/* LVT and ICR bits. */
enum {
	APIC_LVT_MASKED = BIT(16),
	APIC_LVT_LEVEL = BIT(15),      /* trigger mode: level */
	APIC_LVT_REMOTE_IRR = BIT(14), /* LINT0/1, level triggered */
	APIC_ICR_ASSERT = BIT(14),
	APIC_ICR_LOGICAL = BIT(11),
	APIC_SVR_ENABLE = BIT(8),
	APIC_TIMER_PERIODIC = BIT(17),
};

/* LVT slots in the order of their registers (0x320 .. 0x370). */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

/* What the APIC asks the hypervisor to do to a CPU. */
enum lapic_signal { LAPIC_SIGNAL_NMI, LAPIC_SIGNAL_INIT, LAPIC_SIGNAL_SIPI };

struct lapic;

/* The local APIC of one CPU. */
struct lapic_cpu {
	struct lapic *l;
	int index;
	bool hw_enabled; /* IA32_APIC_BASE.EN (bit 11) */
	u8 id;
	u32 tpr, ldr, dfr, svr, esr, esr_pending;
	u32 irr[8], isr[8], tmr[8]; /* 256-bit vectors, 32 bits per register */
	u32 icr_lo, icr_hi;
	u32 lvt[LVT_COUNT];
	u32 timer_initial, timer_dcr;
	u64 timer_start_ns; /* when the count was (re)loaded */
	struct vtimer timer;
};

struct lapic {
	struct board *board;
	int ncpus;
	struct lapic_cpu *cpu;
	/* INIT/SIPI/NMI toward CPU `cpu` (vector: the SIPI's page number). */
	void (*signal)(void *opaque, int cpu, enum lapic_signal sig, u8 vector);
	void *signal_opaque;
	/* EOI of a level-triggered vector: the I/O APIC clears remote IRR. */
	void (*eoi_broadcast)(void *opaque, u8 vector);
	void *eoi_opaque;
};

/* The board's local APICs, or NULL when no "lapic" device was created. */
struct lapic *lapic_of(struct board *b);

/* IA32_APIC_BASE.EN changed (or is re-stated): clearing it resets the APIC
 * (SDM Vol 3A §11.4.3); setting it again leaves the APIC software-disabled. */
void lapic_set_hw_enabled(struct lapic *l, int cpu, bool en);

/* Does this CPU take the 8259's INTR?  Yes when its APIC is hardware
 * disabled (LINT0 is then the INTR pin) or LINT0 is unmasked in ExtINT
 * mode (virtual-wire mode, MP spec §3.6.2.2). */
bool lapic_pic_accepted(struct lapic *l, int cpu);
/* Is a fixed interrupt in IRR above the processor priority (PPR)? */
bool lapic_intr_pending(struct lapic *l, int cpu);
/* INTA: move the highest IRR vector to ISR and return it (the spurious
 * vector when nothing qualifies any more). */
int lapic_intr_ack(struct lapic *l, int cpu);

/*
 * Deliver an interrupt message on the APIC bus (an ICR write or an I/O APIC
 * redirection): to the APICs that `dest` names in physical or logical
 * destination mode.  level: level-triggered (sets TMR; EOI is broadcast).
 */
void lapic_deliver(struct lapic *l, u8 dest, bool logical, enum apic_delivery mode, u8 vector,
		   bool level);

/* Register access for tests and the monitor (offset in the APIC page). */
u32 lapic_read_reg(struct lapic *l, int cpu, u32 offset);
void lapic_write_reg(struct lapic *l, int cpu, u32 offset, u32 value);

#endif
