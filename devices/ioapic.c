/*
 * ioapic.c - the I/O APIC (Intel 82093AA datasheet, order no. 290566-001;
 * the message it sends is the one of SDM Vol 3A §11.6 / §11.11).
 *
 * Registers, reached by writing the index to IOREGSEL (0xFEC00000) and
 * then reading or writing IOWIN (0xFEC00010), 32 bits at a time:
 *   00h IOAPICID  (bits 27:24 writable)
 *   01h IOAPICVER (read only: version 11h, max redirection entry 17h)
 *   02h IOAPICARB (arbitration ID = the APIC ID)
 *   10h+2n, 11h+2n  redirection entry n, low and high dword
 * A redirection entry (§3.2.4): vector [7:0], delivery mode [10:8], dest
 * mode [11], delivery status [12] (RO), polarity [13], remote IRR [14] (RO),
 * trigger mode [15], mask [16], destination [63:56].  All masked at reset.
 *
 * How a pin becomes an interrupt:
 *   edge:  a rising edge on an unmasked pin sends one message; edges on a
 *          masked pin are lost.
 *   level: while the pin is high and unmasked and remote IRR is clear, send
 *          a message and set remote IRR; the local APIC's EOI of that
 *          vector clears remote IRR, and a pin still high sends again.
 * Polarity: our ISA lines are active high (board_set_irq level 1 =
 * asserted) and the MP table declares them "conforms to the bus"; the
 * polarity bit is stored and read back but does not invert the input.
 */
#include "devices/ioapic.h"

#include <stdio.h>
#include <stdlib.h>

int ioapic_isa_pin(int irq)
{
	return irq == 0 ? 2 : irq;
}

/* Send the message of pin n if its state asks for one. */
static void service(struct ioapic *io, int n)
{
	u64 r = io->redtbl[n];
	bool level = r & IOREDTBL_LEVEL;

	if ((r & IOREDTBL_MASKED) || !(io->pin_level >> n & 1))
		return;
	if (level) {
		if (r & IOREDTBL_REMOTE_IRR)
			return;
		io->redtbl[n] |= IOREDTBL_REMOTE_IRR;
	}
	if (io->lapic)
		lapic_deliver(io->lapic, (u8)(r >> 56), r & IOREDTBL_DEST_LOGICAL,
			      (enum apic_delivery)((r >> 8) & 7), (u8)r, level);
}

void ioapic_set_pin(struct ioapic *io, int pin, int level)
{
	u32 bit;
	bool was;

	if (pin < 0 || pin >= IOAPIC_PINS)
		return;
	bit = 1u << pin;
	was = io->pin_level & bit;
	if (level)
		io->pin_level |= bit;
	else
		io->pin_level &= ~bit;
	/* An edge-triggered pin sends on the rising edge only; a level pin
	 * sends whenever it is high and not waiting for an EOI. */
	if (level && (!was || (io->redtbl[pin] & IOREDTBL_LEVEL)))
		service(io, pin);
}

/* The local APICs' EOI of a level-triggered vector (SDM Vol 3A §11.8.5). */
static void ioapic_eoi(void *opaque, u8 vector)
{
	struct ioapic *io = opaque;

	for (int n = 0; n < IOAPIC_PINS; n++) {
		if ((io->redtbl[n] & 0xff) != vector || !(io->redtbl[n] & IOREDTBL_REMOTE_IRR))
			continue;
		io->redtbl[n] &= ~(u64)IOREDTBL_REMOTE_IRR;
		service(io, n);
	}
}

/* board->set_irq: the 8259 first, then our pin. */
static void ioapic_board_irq(void *opaque, int irq, int level)
{
	struct ioapic *io = opaque;

	if (io->next_set_irq)
		io->next_set_irq(io->next_opaque, irq, level);
	if (irq >= 0 && irq < 16)
		ioapic_set_pin(io, ioapic_isa_pin(irq), level);
}

u32 ioapic_read_reg(struct ioapic *io, u32 reg)
{
	reg &= 0xff;
	switch (reg) {
	case 0x00: return io->id;
	case 0x01: return IOAPIC_VERSION;
	case 0x02: return io->id; /* arbitration ID */
	}
	if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_PINS) {
		u64 r = io->redtbl[(reg - 0x10) >> 1];

		return (reg & 1) ? (u32)(r >> 32) : (u32)r;
	}
	return 0;
}

void ioapic_write_reg(struct ioapic *io, u32 reg, u32 v)
{
	reg &= 0xff;
	if (reg == 0x00) {
		io->id = v & 0x0f000000;
		return;
	}
	if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_PINS) {
		int n = (reg - 0x10) >> 1;
		u64 r = io->redtbl[n];
		/* Writable: vector, delivery mode, dest mode, polarity, trigger,
		 * mask; destination in the high dword. */
		const u64 lo_mask = 0xff | 0x700 | IOREDTBL_DEST_LOGICAL | IOREDTBL_POLARITY_LOW |
				    IOREDTBL_LEVEL | IOREDTBL_MASKED;

		if (reg & 1)
			r = (r & 0xffffffffULL) | ((u64)(v & 0xff000000) << 32);
		else
			r = (r & ~lo_mask) | (v & lo_mask);
		if (!(r & IOREDTBL_LEVEL))
			r &= ~(u64)IOREDTBL_REMOTE_IRR; /* only level pins have it */
		io->redtbl[n] = r;
		/* Unmasking a level pin that is still asserted sends it now. */
		if (r & IOREDTBL_LEVEL)
			service(io, n);
	}
}

static u64 ioapic_mmio_read(void *dev, u64 off, unsigned size)
{
	struct ioapic *io = dev;

	switch (off) {
	case 0x00: return io->ioregsel;
	case 0x10: return ioapic_read_reg(io, io->ioregsel);
	default: return 0;
	}
}

static void ioapic_mmio_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct ioapic *io = dev;

	switch (off) {
	case 0x00: io->ioregsel = v & 0xff; break;
	case 0x10: ioapic_write_reg(io, io->ioregsel, (u32)v); break;
	}
}

static const struct io_ops ioapic_ops = {
    .name = "ioapic", .read = ioapic_mmio_read, .write = ioapic_mmio_write, .min = 4, .max = 4};

static void ioapic_reset(void *dev)
{
	struct ioapic *io = dev;

	io->ioregsel = 0;
	io->id = (u32)ioapic_default_id(io->board->ncpus) << 24;
	for (int n = 0; n < IOAPIC_PINS; n++)
		io->redtbl[n] = IOREDTBL_MASKED;
}

static void ioapic_describe(void *dev, char *buf, size_t len)
{
	struct ioapic *io = dev;
	size_t n =
	    (size_t)snprintf(buf, len, "id=%u pins=%06x unmasked:", io->id >> 24, io->pin_level);

	for (int p = 0; p < IOAPIC_PINS && n < len; p++)
		if (!(io->redtbl[p] & IOREDTBL_MASKED))
			n += (size_t)snprintf(buf + n, len - n, " %d->%02x", p,
					      (unsigned)(io->redtbl[p] & 0xff));
}

static void ioapic_destroy(void *dev)
{
	free(dev);
}

static const struct device_ops ioapic_dev_ops = {
    .reset = ioapic_reset, .describe = ioapic_describe, .destroy = ioapic_destroy};

static int ioapic_init(struct board *b, struct err *e)
{
	struct ioapic *io = xcalloc(1, sizeof(*io));

	io->board = b;
	io->lapic = lapic_of(b);
	ioapic_reset(io);
	if (bus_map_mmio(&b->bus, IOAPIC_BASE, 0x20, &ioapic_ops, io, e)) {
		free(io);
		return -1;
	}
	/* Chain behind the interrupt router already installed (the 8259's). */
	io->next_set_irq = b->set_irq;
	io->next_opaque = b->irq_opaque;
	b->set_irq = ioapic_board_irq;
	b->irq_opaque = io;
	if (io->lapic) {
		io->lapic->eoi_broadcast = ioapic_eoi;
		io->lapic->eoi_opaque = io;
	}
	board_add_device(b, "ioapic", io, &ioapic_dev_ops);
	return 0;
}

/* Level 1: after the 8259 (level 0), whose router it chains behind, and
 * after the local APICs it sends to. */
DEVICE_REGISTER(ioapic_type, "ioapic", 1, ioapic_init);
