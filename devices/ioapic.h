/*
 * ioapic.h - the I/O APIC (Intel 82093AA I/O Advanced Programmable
 * Interrupt Controller datasheet, order no. 290566-001, §3).
 *
 * At 0xFEC00000: IOREGSEL (offset 0x00) selects a register, IOWIN (offset
 * 0x10) reads or writes it.  24 input pins; each has a 64-bit redirection
 * entry that turns an edge or level on the pin into an interrupt message
 * to the local APICs (devices/lapic.h).  The ISA IRQ lines of
 * board_set_irq reach both the 8259 pair and these pins, IRQ n on pin n
 * except IRQ 0 (the PIT), which is on pin 2 as on PCs (the MP table and
 * ACPI's MADT say so with an interrupt source override).
 */
#ifndef VMLAB_DEVICES_IOAPIC_H
#define VMLAB_DEVICES_IOAPIC_H

#include "devices/board.h"
#include "devices/lapic.h"

#define IOAPIC_BASE    0xfec00000ULL
#define IOAPIC_PINS    24
#define IOAPIC_VERSION 0x00170011 /* version 11h, max redirection entry 23 */

/* Its APIC ID at reset: the first ID after the CPUs' (0 .. ncpus-1), 4 bits
 * wide; the MP table (hypervisor/mptable.c) states the same value. */
static inline u8 ioapic_default_id(int ncpus)
{
	return (u8)(ncpus & 0xf);
}

/* Redirection entry bits (datasheet §3.2.4). */
enum {
	IOREDTBL_DEST_LOGICAL = BIT(11),
	IOREDTBL_DELIVS = BIT(12), /* delivery status (read only) */
	IOREDTBL_POLARITY_LOW = BIT(13),
	IOREDTBL_REMOTE_IRR = BIT(14), /* level: accepted, EOI not yet seen */
	IOREDTBL_LEVEL = BIT(15),
	IOREDTBL_MASKED = BIT(16),
};

struct ioapic {
	struct board *board;
	struct lapic *lapic;
	u32 ioregsel;
	u32 id; /* IOAPICID bits 27:24 */
	u64 redtbl[IOAPIC_PINS];
	u32 pin_level; /* current input levels, one bit per pin */
	/* The interrupt router that was installed before us (the 8259's). */
	void (*next_set_irq)(void *opaque, int irq, int level);
	void *next_opaque;
};

/* The ISA IRQ -> pin mapping: IRQ 0 on pin 2, others identity. */
int ioapic_isa_pin(int irq);
/* Drive input pin `pin` to `level` (0/1). */
void ioapic_set_pin(struct ioapic *io, int pin, int level);
/* Register access through IOREGSEL/IOWIN (tests, monitor). */
u32 ioapic_read_reg(struct ioapic *io, u32 reg);
void ioapic_write_reg(struct ioapic *io, u32 reg, u32 value);

#endif
