/*
 * pic8259.c - the PC's pair of Intel 8259A programmable interrupt controllers
 * (Intel 8259A datasheet, order no. 231468; PIIX/PIIX3 datasheet for ELCR).
 *
 *   master: ports 0x20/0x21, IRQ 0-7, its IR2 input is the slave's INT output
 *   slave:  ports 0xA0/0xA1, IRQ 8-15
 *   ELCR:   ports 0x4D0/0x4D1, one bit per IRQ: 1 = level-triggered
 *
 * How an interrupt travels (datasheet "Interrupt Sequence"):
 *   1. A device raises its IR line; the Interrupt Request Register (IRR)
 *      records it (on the rising edge, or while high in level mode).
 *   2. The priority resolver picks the highest-priority request not masked
 *      by the Interrupt Mask Register (IMR) and not blocked by an equal or
 *      higher priority level already In Service (ISR); the chip raises INT.
 *   3. The CPU answers with INTA (board->intr_ack here): the chip moves the
 *      request from IRR to ISR and puts the vector (ICW2 base | IR) on the
 *      bus.  For IR2 of the master, the slave supplies the vector.
 *   4. The handler writes an End Of Interrupt (OCW2) to clear the ISR bit
 *      (or the chip did it at INTA time in Automatic EOI mode).
 *
 * Priorities rotate: `prio_base` is the IR that currently has the highest
 * priority (0 after ICW1, so IR0 > IR1 > ... > IR7).
 *
 * Simplification (documented): an edge-triggered request stays latched in
 * IRR even if the line drops before INTA (the real chip then answers with a
 * spurious IR7).  Level-triggered lines follow the datasheet: a request that
 * vanishes before INTA yields the spurious vector IR7 (IRQ 7 on the master,
 * IRQ 15 on the slave) without setting ISR.
 */
#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>

struct pic {
	u8 irr;	      /* edge latches: set on a rising edge, cleared by INTA */
	u8 line;      /* current level of the eight IR inputs */
	u8 isr, imr;  /* In-Service and Interrupt Mask Registers */
	u8 elcr;      /* ELCR: per-IR level-trigger bits (PIIX) */
	u8 elcr_mask; /* which ELCR bits exist */
	u8 base;      /* ICW2 T7-T3: vector of IR0 */
	u8 icw3;      /* master: slave bitmap; slave: its ID */
	u8 init_step; /* 0 operational, else the ICW expected next (2, 3, 4) */
	u8 prio_base; /* IR with the highest priority */
	bool ic4, single, ltim;
	bool aeoi, sfnm, upm, rotate_aeoi;
	bool read_isr, poll, special_mask;
};

struct pic8259 {
	struct pic chip[2]; /* [0] master, [1] slave */
	struct board *board;
};

/* Requests as the IRR register shows them: latched edges on edge lines, the
 * current level on level lines. */
static u8 pic_requests(const struct pic *p)
{
	u8 level = p->ltim ? 0xff : p->elcr;

	return (p->irr & ~level) | (p->line & level);
}

/* Priority rank (0 = highest) of the best IR in mask, or 8 when empty. */
static int pic_best(const struct pic *p, u8 mask)
{
	for (int i = 0; i < 8; i++)
		if (mask & BIT((p->prio_base + i) & 7))
			return i;
	return 8;
}

/* The IR this chip would deliver now, or -1 (priority resolver). */
static int pic_resolve(const struct pic *p, bool master)
{
	u8 pending = pic_requests(p) & ~p->imr;
	u8 blocking = p->isr;
	int req;

	if (!pending)
		return -1;
	req = pic_best(p, pending);
	/* Special mask mode: a masked in-service level no longer blocks lower
	 * ones (datasheet OCW3 ESMM/SMM). */
	if (p->special_mask)
		blocking &= ~p->imr;
	/* Special fully nested mode: the master lets a higher-priority request
	 * from a slave through while that slave's IR is in service. */
	if (master && p->sfnm)
		blocking &= ~p->icw3;
	if (req < pic_best(p, blocking))
		return (p->prio_base + req) & 7;
	return -1;
}

/* Drive one IR input. */
static void pic_input(struct pic *p, int ir, int level)
{
	u8 bit = BIT(ir);

	if (level && !(p->line & bit))
		p->irr |= bit; /* rising edge */
	if (level)
		p->line |= bit;
	else
		p->line &= ~bit;
}

/* The slave's INT output is wired to the master's IR2 (PC/AT cascade). */
static void pic_update_cascade(struct pic8259 *s)
{
	pic_input(&s->chip[0], 2, pic_resolve(&s->chip[1], false) >= 0);
}

/* Second INTA pulse on one chip: IRR -> ISR (or AEOI). */
static void pic_accept(struct pic *p, int ir)
{
	p->irr &= ~BIT(ir);
	if (!p->aeoi)
		p->isr |= BIT(ir);
	else if (p->rotate_aeoi)
		p->prio_base = (ir + 1) & 7;
}

/* board->set_irq: ISA IRQ 0-15.  IRQ 2 does not exist on the ISA bus of an
 * AT (its pin is the cascade); boards route it to IRQ 9, and so do we. */
static void pic_set_irq(void *opaque, int irq, int level)
{
	struct pic8259 *s = opaque;

	if (irq == 2)
		irq = 9;
	if (irq < 0 || irq > 15)
		return; /* I/O APIC inputs: not ours */
	pic_input(&s->chip[irq >> 3], irq & 7, level);
	pic_update_cascade(s);
}

static bool pic_intr_pending(void *opaque)
{
	struct pic8259 *s = opaque;

	return pic_resolve(&s->chip[0], true) >= 0;
}

/* INTA: returns the vector the CPU reads from the data bus. */
static int pic_intr_ack(void *opaque)
{
	struct pic8259 *s = opaque;
	struct pic *m = &s->chip[0], *sl = &s->chip[1];
	int ir = pic_resolve(m, true), sir, vec;

	if (ir < 0)
		return m->base | 7; /* spurious IRQ 7: nothing set in ISR */
	pic_accept(m, ir);
	if (ir != 2)
		return m->base | ir;
	/* Cascade: the slave answers the INTA cycle with its own vector. */
	sir = pic_resolve(sl, false);
	if (sir < 0) {
		vec = sl->base | 7; /* spurious IRQ 15; master's ISR2 stays set */
	} else {
		pic_accept(sl, sir);
		vec = sl->base | sir;
	}
	pic_update_cascade(s);
	return vec;
}

/* OCW2 (datasheet Table "OCW2"): R SL EOI bits select the command. */
static void pic_ocw2(struct pic *p, u8 v)
{
	int level = v & 7, ir;

	switch (v >> 5) {
	case 0: p->rotate_aeoi = false; break; /* clear rotate in AEOI mode */
	case 4: p->rotate_aeoi = true; break;  /* set rotate in AEOI mode */
	case 1:				       /* non-specific EOI */
	case 5:				       /* rotate on non-specific EOI */
		ir = pic_best(p, p->isr);
		if (ir == 8)
			break;
		ir = (p->prio_base + ir) & 7;
		p->isr &= ~BIT(ir);
		if (v >> 5 == 5)
			p->prio_base = (ir + 1) & 7;
		break;
	case 3: p->isr &= ~BIT(level); break; /* specific EOI */
	case 7:				      /* rotate on specific EOI */
		p->isr &= ~BIT(level);
		p->prio_base = (level + 1) & 7;
		break;
	case 6: p->prio_base = (level + 1) & 7; break; /* set priority: level lowest */
	default: break;				       /* 2: no operation */
	}
}

static void pic_icw1(struct pic *p, u8 v)
{
	/* Datasheet "Initialization Command Words": the edge sense circuit is
	 * reset, IMR cleared, IR7 lowest priority, slave address 7, special
	 * mask mode cleared, status read set to IRR; with IC4 = 0 every ICW4
	 * function is zero. */
	p->ic4 = v & 1;
	p->single = v & 2;
	p->ltim = v & 8;
	p->irr = 0;
	p->isr = 0;
	p->imr = 0;
	p->prio_base = 0;
	p->icw3 = 7;
	p->special_mask = p->read_isr = p->poll = false;
	p->aeoi = p->sfnm = p->upm = p->rotate_aeoi = false;
	p->init_step = 2;
}

static void pic_write_chip(struct pic *p, unsigned a0, u8 v)
{
	if (a0 == 0) {
		if (v & 0x10)
			pic_icw1(p, v);
		else if (v & 0x08) { /* OCW3 */
			if (v & 0x04)
				p->poll = true;
			if (v & 0x02)
				p->read_isr = v & 1;
			if (v & 0x40)
				p->special_mask = v & 0x20;
		} else {
			pic_ocw2(p, v);
		}
		return;
	}
	switch (p->init_step) {
	case 2: /* ICW2: vector base (T7-T3, 8086 mode) */
		p->base = v & 0xf8;
		p->init_step = p->single ? (p->ic4 ? 4 : 0) : 3;
		break;
	case 3: /* ICW3: cascade wiring */
		p->icw3 = v;
		p->init_step = p->ic4 ? 4 : 0;
		break;
	case 4: /* ICW4 */
		p->upm = v & 1;
		p->aeoi = v & 2;
		p->sfnm = v & 0x10;
		p->init_step = 0;
		break;
	default: /* OCW1: interrupt mask */ p->imr = v; break;
	}
}

static u8 pic_read_chip(struct pic *p, unsigned a0, bool master)
{
	if (a0)
		return p->imr;
	if (p->poll) {
		/* Poll command: the read acts as an INTA; the word is I...W2W1W0. */
		int ir = pic_resolve(p, master);
		p->poll = false;
		if (ir < 0)
			return 0;
		pic_accept(p, ir);
		return 0x80 | ir;
	}
	return p->read_isr ? p->isr : pic_requests(p);
}

static u64 pic_master_read(void *dev, u64 off, unsigned size)
{
	struct pic8259 *s = dev;
	u8 v = pic_read_chip(&s->chip[0], off & 1, true);

	pic_update_cascade(s);
	return v;
}

static u64 pic_slave_read(void *dev, u64 off, unsigned size)
{
	struct pic8259 *s = dev;
	u8 v = pic_read_chip(&s->chip[1], off & 1, false);

	pic_update_cascade(s);
	return v;
}

static void pic_master_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct pic8259 *s = dev;

	pic_write_chip(&s->chip[0], off & 1, v);
	pic_update_cascade(s);
}

static void pic_slave_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct pic8259 *s = dev;

	pic_write_chip(&s->chip[1], off & 1, v);
	pic_update_cascade(s);
}

static u64 pic_elcr_read(void *dev, u64 off, unsigned size)
{
	struct pic8259 *s = dev;

	return s->chip[off & 1].elcr;
}

static void pic_elcr_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct pic8259 *s = dev;
	struct pic *p = &s->chip[off & 1];

	p->elcr = v & p->elcr_mask;
	pic_update_cascade(s);
}

static const struct io_ops pic_master_ops = {.name = "pic8259-master",
					     .read = pic_master_read,
					     .write = pic_master_write,
					     .min = 1,
					     .max = 1};
static const struct io_ops pic_slave_ops = {
    .name = "pic8259-slave", .read = pic_slave_read, .write = pic_slave_write, .min = 1, .max = 1};
static const struct io_ops pic_elcr_ops = {
    .name = "pic-elcr", .read = pic_elcr_read, .write = pic_elcr_write, .min = 1, .max = 1};

/* Power-on: we leave the chips as ICW1 would, but with every IR masked, so
 * nothing is delivered with a meaningless vector base before the firmware or
 * the OS programs them (the real chip's state is undefined until ICW1). */
static void pic_reset(void *dev)
{
	struct pic8259 *s = dev;

	for (int i = 0; i < 2; i++) {
		struct pic *p = &s->chip[i];
		u8 line = p->line;
		pic_icw1(p, 0x11);
		p->init_step = 0;
		p->imr = 0xff;
		p->base = 0;
		p->elcr = 0;
		p->line = line; /* device outputs do not change at reset */
	}
	s->chip[0].elcr_mask = 0xf8; /* IRQ 0, 1, 2 are always edge */
	s->chip[1].elcr_mask = 0xde; /* IRQ 8 and 13 are always edge */
	pic_update_cascade(s);
}

static void pic_describe(void *dev, char *buf, size_t len)
{
	struct pic8259 *s = dev;
	const struct pic *m = &s->chip[0], *sl = &s->chip[1];

	snprintf(buf, len,
		 "master: base 0x%02x IRR %02x ISR %02x IMR %02x ELCR %02x%s | "
		 "slave: base 0x%02x IRR %02x ISR %02x IMR %02x ELCR %02x%s",
		 m->base, pic_requests(m), m->isr, m->imr, m->elcr, m->aeoi ? " AEOI" : "",
		 sl->base, pic_requests(sl), sl->isr, sl->imr, sl->elcr, sl->aeoi ? " AEOI" : "");
}

static void pic_destroy(void *dev)
{
	free(dev);
}

static const struct device_ops pic_dev_ops = {
    .reset = pic_reset, .describe = pic_describe, .destroy = pic_destroy};

static int pic_init(struct board *b, struct err *e)
{
	struct pic8259 *s = xcalloc(1, sizeof(*s));

	s->board = b;
	pic_reset(s);
	/* Added first: on a mapping failure board_destroy() frees it. */
	board_add_device(b, "pic8259", s, &pic_dev_ops);
	if (bus_map_pio(&b->bus, 0x20, 2, &pic_master_ops, s, e) < 0 ||
	    bus_map_pio(&b->bus, 0xa0, 2, &pic_slave_ops, s, e) < 0 ||
	    bus_map_pio(&b->bus, 0x4d0, 2, &pic_elcr_ops, s, e) < 0)
		return -1;
	b->set_irq = pic_set_irq;
	b->irq_opaque = s;
	b->intr_pending = pic_intr_pending;
	b->intr_ack = pic_intr_ack;
	b->intr_opaque = s;
	return 0;
}

DEVICE_REGISTER(pic8259_type, "pic8259", 0, pic_init);
