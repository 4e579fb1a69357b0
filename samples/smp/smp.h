/*
 * smp.h - what the parts of the SMP test kernel share: local APIC and
 * I/O APIC access (Intel SDM Vol 3A chapter 11; 82093AA datasheet) and the
 * facts read from the MP configuration table (MP spec 1.4 chapter 4).
 */
#ifndef SAMPLES_SMP_SMP_H
#define SAMPLES_SMP_SMP_H

#include <stdint.h>

#define LAPIC_ADDR  0xfee00000ul
#define IOAPIC_ADDR 0xfec00000ul
#define MAX_CPUS    8

/* Local APIC registers (SDM Vol 3A Table 11-1). */
#define APIC_ID	       0x020
#define APIC_TPR       0x080
#define APIC_EOI       0x0b0
#define APIC_SVR       0x0f0
#define APIC_ESR       0x280
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TIMER_ICR 0x380
#define APIC_TIMER_CCR 0x390
#define APIC_TIMER_DCR 0x3e0
#define APIC_MASKED    0x10000
#define APIC_PERIODIC  0x20000

/* The kernel's vectors. */
#define V_TIMER	   0x40
#define V_PING	   0x41 /* BSP -> AP */
#define V_PONG	   0x42 /* AP -> BSP */
#define V_PIT	   0x43 /* ISA IRQ 0 through the I/O APIC */
#define V_UART	   0x44 /* ISA IRQ 4 through the I/O APIC */
#define V_BCAST	   0x45 /* all-excluding-self */
#define V_SPURIOUS 0xff

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
/* Send an IPI: ICR high (destination) first, the low write sends it. */
void lapic_ipi(uint8_t dest, uint32_t icr_lo);
unsigned lapic_id(void);
/* Software-enable the calling CPU's APIC, LINT0 masked, LINT1 NMI. */
void lapic_setup(void);

uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
/* Redirect I/O APIC pin `pin` (edge, active high, physical destination). */
void ioapic_route(int pin, uint8_t vector, uint8_t dest, int masked);

/* Map the APIC pages (3 GiB .. 4 GiB: the boot code maps only 1 GiB). */
void apic_map(void);

/* What the MP table says. */
struct mp_info {
	int found, spec_rev, table_ok;
	int ncpus, bsp_id;
	uint8_t cpu_id[MAX_CPUS];
	uint32_t ioapic_addr;
	int irq_pin[16];	     /* I/O APIC pin of ISA IRQ n, -1: none */
	int lint0_extint, lint1_nmi; /* local interrupt entries present */
};
void mp_scan(struct mp_info *mp);

#endif
