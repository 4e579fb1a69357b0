/*
 * cmos_rtc.c - the PC's CMOS RAM and the register file of its real-time
 * clock: a Motorola MC146818A at ports 0x70 (index) / 0x71 (data),
 * interrupt on ISA IRQ 8.  This file is the register file - index and data
 * ports, registers A-D as the guest sees them, the battery-backed bytes and
 * the device; the clock that runs behind the time registers (update cycle,
 * alarm, periodic and update interrupts) is cmos_rtc_clock.c.
 *
 * Follows the MC146818A datasheet (register map, registers A-D) and the
 * IBM PC/AT CMOS layout for the bytes above 0x0D (memory sizes, equipment
 * byte, century).
 *
 * Register map (index written to port 0x70, bits 6-0; bit 7 masks NMI):
 *
 *   0x00 seconds     0x01 seconds alarm   0x02 minutes   0x03 minutes alarm
 *   0x04 hours       0x05 hours alarm     0x06 day of week (1 = Sunday)
 *   0x07 day of month  0x08 month  0x09 year (00-99)
 *   0x0A register A: UIP | DV2-0 (divider) | RS3-0 (periodic rate)
 *   0x0B register B: SET | PIE | AIE | UIE | SQWE | DM (1 = binary) | 24/12 | DSE
 *   0x0C register C: IRQF | PF | AF | UF   (read-only, cleared by reading)
 *   0x0D register D: VRT (battery good)   (read-only)
 *   0x0E-0x7F battery-backed RAM, PC/AT layout (see cmos_fill_config)
 */
#include "devices/cmos_rtc.h"

#include "devices/cmos_rtc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- port I/O ----------------------------------------------------------------- */

static u8 cmos_reg_read(struct cmos *s, u8 idx)
{
	u8 v;

	if (idx > RTC_REG_D)
		return s->ram[idx];
	cmos_sync(s);
	switch (idx) {
	case RTC_REG_A: {
		u64 now = board_now_ns(s->board);
		v = s->ram[RTC_REG_A] & 0x7f;
		if (rtc_clock_running(s) && s->next_update_ns - now <= UIP_NS)
			v |= A_UIP;
		return v;
	}
	case RTC_REG_C:
		/* Reading C returns the flags and clears them all, which
		 * releases IRQ 8 (datasheet: "flags cleared on read"). */
		cmos_update_irq(s);
		v = s->ram[RTC_REG_C];
		s->ram[RTC_REG_C] = 0;
		cmos_update_irq(s);
		cmos_arm(s);
		return v;
	case RTC_REG_D: return D_VRT;
	default: return s->ram[idx];
	}
}

static void cmos_reg_write(struct cmos *s, u8 idx, u8 v)
{
	u64 now;

	if (idx > RTC_REG_D) {
		s->ram[idx] = v;
		return;
	}
	cmos_sync(s); /* changes take effect from now on, not retroactively */
	now = board_now_ns(s->board);
	switch (idx) {
	case RTC_REG_A: {
		bool was = rtc_divider_running(s), was_clock = rtc_clock_running(s);
		u8 old = s->ram[RTC_REG_A];
		s->ram[RTC_REG_A] = v & 0x7f; /* UIP is read-only */
		if (!was && rtc_divider_running(s)) {
			/* Leaving divider reset: first update 500 ms later. */
			s->next_update_ns = now + NS_PER_SEC / 2;
			s->pf_epoch_ns = now;
			s->pf_seen = 0;
		} else if ((old ^ v) & 0xf) {
			s->pf_epoch_ns = now;
			s->pf_seen = 0;
		} else if (!was_clock && rtc_clock_running(s)) {
			s->next_update_ns = now + NS_PER_SEC;
		}
		break;
	}
	case RTC_REG_B: {
		bool was_clock = rtc_clock_running(s);
		if (v & B_SET)
			v &= ~B_UIE; /* SET going high clears UIE (datasheet) */
		s->ram[RTC_REG_B] = v;
		if (!was_clock && rtc_clock_running(s))
			s->next_update_ns = now + NS_PER_SEC;
		break;
	}
	case RTC_REG_C:
	case RTC_REG_D: break; /* read-only */
	default: s->ram[idx] = v; break;
	}
	cmos_update_irq(s);
	cmos_arm(s);
}

static u64 cmos_read(void *dev, u64 off, unsigned size)
{
	struct cmos *s = dev;

	if (off == 0)
		return 0xff; /* the index port is write-only */
	return cmos_reg_read(s, s->index);
}

static void cmos_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct cmos *s = dev;

	if (off == 0) {
		s->index = v & 0x7f;
		s->nmi_masked = v & 0x80;
		return;
	}
	cmos_reg_write(s, s->index, (u8)v);
}

static const struct io_ops cmos_io = {
    .name = "cmos-rtc", .read = cmos_read, .write = cmos_write, .min = 1, .max = 1};

/* ---- public helpers ------------------------------------------------------------ */

/* NMI mask bit (port 0x70 bit 7), for whoever routes NMIs. */
bool cmos_nmi_masked(void *dev)
{
	return ((struct cmos *)dev)->nmi_masked;
}

/* ---- configuration bytes (IBM PC/AT layout) ------------------------------------- */

/* Bytes of guest RAM in [lo, hi) as the bus maps it. */
static u64 ram_between(const struct bus *bus, u64 lo, u64 hi)
{
	u64 sum = 0;
	bool any = false;

	for (int i = 0; i < bus->nmem; i++) {
		const struct bus_range *r = &bus->mem[i];
		u64 a, z;
		if (r->kind != BUS_RAM)
			continue;
		any = true;
		a = r->base > lo ? r->base : lo;
		z = r->base + r->size < hi ? r->base + r->size : hi;
		if (z > a)
			sum += z - a;
	}
	if (!any && bus->ram_size) { /* nothing mapped yet: assume RAM from 0 */
		u64 z = bus->ram_size < hi ? bus->ram_size : hi;
		sum = z > lo ? z - lo : 0;
	}
	return sum;
}

static void put16(u8 *p, u64 v)
{
	v = v > 0xffff ? 0xffff : v;
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void cmos_fill_config(struct cmos *s)
{
	const struct bus *bus = &s->board->bus;
	u64 ext64k, above4g;
	u16 sum = 0;

	/* 0x15/0x16: base memory in KiB (at most 640). */
	put16(&s->ram[0x15], ram_between(bus, 0, 0xa0000) / KiB);
	/* 0x17/0x18 and 0x30/0x31: extended memory above 1 MiB in KiB,
	 * saturating at 0xFFFF (just under 64 MiB). */
	put16(&s->ram[0x17], ram_between(bus, MiB, 4 * GiB) / KiB);
	put16(&s->ram[0x30], ram_between(bus, MiB, 4 * GiB) / KiB);
	/* 0x34/0x35: memory above 16 MiB (below 4 GiB) in 64 KiB units. */
	put16(&s->ram[0x34], ram_between(bus, 16 * MiB, 4 * GiB) / (64 * KiB));
	/* 0x5B-0x5D: memory above 4 GiB in 64 KiB units (24 bits). */
	ext64k = ram_between(bus, 4 * GiB, UINT64_MAX) / (64 * KiB);
	above4g = ext64k > 0xffffff ? 0xffffff : ext64k;
	s->ram[0x5b] = (u8)above4g;
	s->ram[0x5c] = (u8)(above4g >> 8);
	s->ram[0x5d] = (u8)(above4g >> 16);
	/* 0x5F: number of CPUs - 1 (the QEMU/SeaBIOS convention). */
	s->ram[0x5f] = (u8)(s->board->ncpus > 0 ? s->board->ncpus - 1 : 0);
	s->ram[CMOS_SHUTDOWN] = 0x00; /* normal POST on reset */
	s->ram[0x10] = 0x00;	      /* no floppy drives */
	/* Equipment byte: bit 1 math coprocessor, bits 5-4 = 00 (EGA/VGA),
	 * bits 7-6/0 no floppies. */
	s->ram[CMOS_EQUIPMENT] = 0x02;
	/* Standard checksum of 0x10-0x2D, big-endian at 0x2E/0x2F. */
	for (int i = 0x10; i <= 0x2d; i++)
		sum += s->ram[i];
	s->ram[0x2e] = (u8)(sum >> 8);
	s->ram[0x2f] = (u8)sum;
}

/* ---- device ------------------------------------------------------------------- */

/* The chip's RESET pin (board reset): clears PIE, AIE, UIE, SQWE and the
 * flags; time and RAM survive (they are battery-backed). */
static void cmos_reset(void *dev)
{
	struct cmos *s = dev;

	s->ram[RTC_REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
	s->ram[RTC_REG_C] = 0;
	s->index = 0;
	s->nmi_masked = false;
	cmos_update_irq(s);
	cmos_arm(s);
}

static void cmos_describe(void *dev, char *buf, size_t len)
{
	struct cmos *s = dev;
	struct rtc_time t;

	cmos_sync(s);
	rtc_time_get(s, &t);
	snprintf(buf, len,
		 "ports 0x70-0x71 irq 8: %04d-%02d-%02d %02d:%02d:%02d (wday %d) "
		 "A=%02x B=%02x C=%02x index=%02x nmi %s, irq8 %s",
		 t.year, t.mon, t.mday, t.hour, t.min, t.sec, t.wday, s->ram[RTC_REG_A],
		 s->ram[RTC_REG_B], s->ram[RTC_REG_C], s->index,
		 s->nmi_masked ? "masked" : "enabled", s->irq_level ? "high" : "low");
}

static void cmos_destroy(void *dev)
{
	free(dev);
}

static const struct device_ops cmos_dev_ops = {
    .reset = cmos_reset, .describe = cmos_describe, .destroy = cmos_destroy};

/* Deterministic start: 2026-01-01 00:00:00 UTC. */
#define CMOS_START_UNIX 1767225600LL

static int cmos_init(struct board *b, struct err *e)
{
	struct cmos *s = xcalloc(1, sizeof(*s));

	s->board = b;
	s->timer.fire = cmos_timer_fire;
	s->timer.opaque = s;
	/* As a BIOS leaves it: 32.768 kHz divider, 1024 Hz rate; BCD 24-hour. */
	s->ram[RTC_REG_A] = 0x26;
	s->ram[RTC_REG_B] = B_24H;
	cmos_set_time(s, CMOS_START_UNIX);
	s->pf_epoch_ns = board_now_ns(b);
	cmos_fill_config(s);
	board_add_device(b, "cmos-rtc", s, &cmos_dev_ops);
	return bus_map_pio(&b->bus, 0x70, 2, &cmos_io, s, e);
}

DEVICE_REGISTER(cmos_rtc_type, "cmos-rtc", 2, cmos_init);
