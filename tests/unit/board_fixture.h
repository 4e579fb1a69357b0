/*
 * board_fixture.h - the shared scaffolding of the device unit tests: one
 * board B, a virtual instruction counter for its clock, byte-wide port
 * access, and (with BOARD_FIXTURE_IRQ defined first) an interrupt-line
 * recorder to install as B.set_irq: irq_level[] is each ISA line's level,
 * irq_rises[] counts its rising edges.
 */
#ifndef VMLAB_TESTS_UNIT_BOARD_FIXTURE_H
#define VMLAB_TESTS_UNIT_BOARD_FIXTURE_H

#include "devices/board.h"
#include "devices/bus.h"

static struct board B;

static inline void outb(u16 port, u8 v)
{
	bus_pio_write(&B.bus, port, v, 1);
}

static inline u8 inb(u16 port)
{
	return bus_pio_read(&B.bus, port, 1);
}

#ifdef BOARD_FIXTURE_IRQ
static int irq_level[16], irq_rises[16];

static inline void fake_set_irq(void *opaque, int irq, int level)
{
	(void)opaque;
	if (level && !irq_level[irq])
		irq_rises[irq]++;
	irq_level[irq] = level;
}
#endif

#endif
