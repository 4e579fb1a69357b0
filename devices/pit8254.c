/*
 * pit8254.c - the Intel 8254 programmable interval timer and the PC's
 * System Control Port B (Intel 8254 datasheet, order no. 231164; IBM PC/AT
 * technical reference for port 0x61).
 *
 *   0x40-0x42  counters 0, 1, 2      0x43  control word (write only)
 *   counter 0 -> IRQ 0 (the system tick); counter 1 -> DRAM refresh (unused);
 *   counter 2 -> PC speaker, its GATE and OUT visible through port 0x61.
 *
 * All three counters run from one 1.193182 MHz clock (a third of the PC's
 * 3.579545 MHz colour-burst crystal).  vmlab derives that clock from virtual
 * time: CLK edge k happens at ns = ceil(k * 1e9 / 1193182), so the counter a
 * guest reads is a pure function of board_now_ns() and the run is
 * reproducible.  We never tick anything: a counter is described by the CLK
 * edge on which its count was loaded (load_tick) and the count (n), and its
 * value and OUT are computed on demand.  IRQ 0 edges are produced by a
 * vtimer armed for the next rising edge of OUT 0.
 *
 * Modes (datasheet "Mode Definitions"):
 *   0 interrupt on terminal count: OUT low, high N+1 CLKs after the write
 *   2 rate generator: period N, OUT low during the last CLK of each period
 *   3 square wave: period N, OUT high for ceil(N/2), low for floor(N/2) CLKs
 *   1, 5 (hardware-triggered) are treated as triggered when the count is
 *     loaded (counter 2 retriggers on a GATE rising edge); 4 counts like 0
 *     with a one-CLK low pulse on OUT at terminal count.
 * Simplifications: a count written in modes 2/3 takes effect at once (the
 * chip waits for the end of the current period); counts of 1 in modes 2/3
 * (illegal) are treated as 2; several missed IRQ 0 periods (the machine was
 * idle or slow to poll) coalesce into one edge, as the PIC's IRR would.
 */
#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>

#define PIT_HZ	 1193182ULL
#define NS_PER_S 1000000000ULL
/* Port 0x61 bit 4 toggles with every DRAM refresh request: every 15.085 us. */
#define REFRESH_NS 15085ULL

struct pit_channel {
	u8 mode, rw; /* rw: 1 LSB only, 2 MSB only, 3 LSB then MSB */
	bool bcd;
	u16 cr;	     /* count register as written (raw, maybe BCD) */
	u32 n;	     /* initial count in CLKs (0 means 65536 or 10000) */
	bool loaded; /* a count was written since the control word */
	bool gate;
	u64 load_tick; /* CLK edge on which CR was moved to the counting element */
	u32 start;     /* modes 0/1/4/5: count at load_tick */
	bool tc_done;  /* modes 0/1: OUT already went high before a pause */
	bool paused;   /* GATE low stopped counting */
	u32 frozen;
	bool out_frozen;

	bool write_msb; /* rw 3: next write is the MSB */
	u8 write_lsb;
	bool read_msb; /* rw 3: next (live) read is the MSB */
	bool count_latched, latch_msb;
	u16 latch;
	bool status_latched;
	u8 status;
};

struct pit8254 {
	struct pit_channel ch[3];
	u8 port61; /* bits 0-3 as written */
	struct board *board;
	struct vtimer irq_timer;
	u64 rises_seen; /* counter 0 rising edges already sent to IRQ 0 */
};

static u64 pit_tick(u64 ns)
{
	return (u64)((u128)ns * PIT_HZ / NS_PER_S);
}

static u64 pit_tick_ns(u64 tick)
{
	return (u64)(((u128)tick * NS_PER_S + PIT_HZ - 1) / PIT_HZ);
}

static u64 pit_now(const struct pit8254 *s)
{
	return pit_tick(board_now_ns(s->board));
}

static u32 pit_modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static u16 to_bcd(u32 v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

static u32 from_bcd(u16 v)
{
	return (v & 15) + (v >> 4 & 15) * 10 + (v >> 8 & 15) * 100 + (v >> 12 & 15) * 1000;
}

/* CLKs elapsed since the load edge; negative before it. */
static s64 pit_elapsed(const struct pit_channel *c, u64 t)
{
	return (s64)(t - c->load_tick);
}

/* The counting element's value at CLK edge t (binary). */
static u32 pit_count(const struct pit_channel *c, u64 t)
{
	s64 d = pit_elapsed(c, t);
	u32 n = c->n, m = pit_modulus(c), p;

	if (!c->loaded)
		return 0;
	if (c->paused)
		return c->frozen;
	if (d < 0)
		return c->mode == 2 || c->mode == 3 ? n % m : c->start % m;
	switch (c->mode) {
	case 2: return (n - d % n) % m; /* n, n-1, ..., 1, n, ... */
	case 3:
		p = d % n;
		if (!(n & 1)) /* even: down by two in each half */
			return (n - 2 * (p < n / 2 ? p : p - n / 2)) % m;
		/* odd: high half n, n-1, n-3 ...; low half n, n-3, n-5 ... */
		if (p < (n + 1) / 2)
			return (p == 0 ? n : n + 1 - 2 * p) % m;
		p -= (n + 1) / 2;
		return (p == 0 ? n : n - 1 - 2 * p) % m;
	default: return (u32)(((s64)c->start - d % m + m) % m);
	}
}

/* OUT at CLK edge t. */
static bool pit_out(const struct pit_channel *c, u64 t)
{
	s64 d = pit_elapsed(c, t);

	if (!c->loaded)
		return c->mode != 0; /* control word: mode 0 OUT low, others high */
	if (c->paused)
		return c->out_frozen;
	switch (c->mode) {
	case 0:
	case 1: return c->tc_done || d >= (s64)c->start;
	case 2: return d < 0 || d % c->n != c->n - 1;
	case 3: return d < 0 || d % c->n < (c->n + 1) / 2;
	default: return d != (s64)c->start; /* 4, 5: one CLK low at terminal count */
	}
}

/* Rising edges of OUT between the load and CLK edge t. */
static u64 pit_rises(const struct pit_channel *c, u64 t)
{
	s64 d = pit_elapsed(c, t);

	if (!c->loaded || c->paused || d < 0)
		return 0;
	switch (c->mode) {
	case 2:
	case 3: return d / c->n;
	case 0:
	case 1: return !c->tc_done && d >= (s64)c->start;
	default: return d >= (s64)c->start + 1;
	}
}

static u64 pit_next_rise(const struct pit_channel *c, u64 t)
{
	u64 r = pit_rises(c, t);

	if (!c->loaded || c->paused)
		return UINT64_MAX;
	switch (c->mode) {
	case 2:
	case 3: return c->load_tick + (r + 1) * c->n;
	case 0:
	case 1: return r || c->tc_done ? UINT64_MAX : c->load_tick + c->start;
	default: return r ? UINT64_MAX : c->load_tick + c->start + 1;
	}
}

/* ---- IRQ 0 ---------------------------------------------------------------- */

/* Send any new rising edge of OUT 0 to IRQ 0 and arm the timer for the
 * next one.  The line is left high between edges: the PIC latches IRQ 0 on
 * the rising edge, and the datasheet wants the request held until INTA. */
static void pit_irq_update(struct pit8254 *s)
{
	struct pit_channel *c = &s->ch[0];
	u64 t = pit_now(s), r = pit_rises(c, t), next;

	if (r > s->rises_seen) {
		board_set_irq(s->board, 0, 0);
		board_set_irq(s->board, 0, 1);
		s->rises_seen = r;
	}
	next = pit_next_rise(c, t);
	if (next != UINT64_MAX)
		vtimer_arm(s->board, &s->irq_timer, pit_tick_ns(next));
	else if (s->irq_timer.armed)
		vtimer_cancel(s->board, &s->irq_timer);
}

static void pit_irq_fire(void *opaque)
{
	pit_irq_update(opaque);
}

/* ---- programming ---------------------------------------------------------- */

static void pit_load(struct pit8254 *s, int i, u64 t)
{
	struct pit_channel *c = &s->ch[i];
	u32 m = pit_modulus(c);

	c->n = c->bcd ? from_bcd(c->cr) : c->cr;
	if (c->n == 0)
		c->n = m;
	if ((c->mode == 2 || c->mode == 3) && c->n < 2)
		c->n = 2;
	c->loaded = true;
	c->load_tick = t + 1; /* "loaded on the next CLK pulse" */
	c->start = c->n;
	c->tc_done = false;
	c->paused = false;
	/* GATE low: modes 0/4 hold the count, modes 2/3 wait with OUT high. */
	if (!c->gate && c->mode != 1 && c->mode != 5) {
		c->paused = true;
		c->frozen = c->n % m;
		c->out_frozen = c->mode != 0;
	}
	if (i == 0) {
		s->rises_seen = 0;
		board_set_irq(s->board, 0, pit_out(c, t));
		pit_irq_update(s);
	}
}

static void pit_write_count(struct pit8254 *s, int i, u8 v)
{
	struct pit_channel *c = &s->ch[i];
	u64 t = pit_now(s);

	switch (c->rw) {
	case 1: c->cr = v; break;
	case 2: c->cr = (u16)(v << 8); break;
	default:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			/* Mode 0: writing the first byte stops the count, OUT low. */
			if (c->mode == 0 && c->loaded) {
				c->frozen = pit_count(c, t);
				c->out_frozen = false;
				c->paused = true;
				if (i == 0)
					board_set_irq(s->board, 0, 0);
			}
			return;
		}
		c->cr = c->write_lsb | (u16)(v << 8);
		c->write_msb = false;
	}
	pit_load(s, i, t);
}

static u8 pit_status(const struct pit_channel *c, u64 t)
{
	bool null_count = !c->loaded || t < c->load_tick;

	return pit_out(c, t) << 7 | null_count << 6 | c->rw << 4 | c->mode << 1 | c->bcd;
}

static void pit_latch_count(struct pit_channel *c, u64 t)
{
	if (c->count_latched)
		return; /* a second latch before the read is ignored */
	c->latch = c->bcd ? to_bcd(pit_count(c, t)) : (u16)pit_count(c, t);
	c->count_latched = true;
	c->latch_msb = false;
}

static void pit_control(struct pit8254 *s, u8 v)
{
	u64 t = pit_now(s);
	unsigned sc = v >> 6, rw = v >> 4 & 3, mode = v >> 1 & 7;

	if (sc == 3) { /* read-back command: bit 5 = !COUNT, bit 4 = !STATUS */
		for (int i = 0; i < 3; i++) {
			struct pit_channel *c = &s->ch[i];
			if (!(v & BIT(i + 1)))
				continue;
			if (!(v & 0x20))
				pit_latch_count(c, t);
			if (!(v & 0x10) && !c->status_latched) {
				c->status = pit_status(c, t);
				c->status_latched = true;
			}
		}
		return;
	}
	struct pit_channel *c = &s->ch[sc];
	if (rw == 0) { /* counter latch command */
		pit_latch_count(c, t);
		return;
	}
	c->mode = mode > 5 ? mode - 4 : mode; /* 6, 7 are aliases of 2, 3 */
	c->rw = rw;
	c->bcd = v & 1;
	c->loaded = c->paused = false;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
	if (sc == 0) {
		board_set_irq(s->board, 0, pit_out(c, t));
		if (s->irq_timer.armed)
			vtimer_cancel(s->board, &s->irq_timer);
	}
}

static u8 pit_read_counter(struct pit8254 *s, int i)
{
	struct pit_channel *c = &s->ch[i];
	u16 v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latch;
		if (c->rw == 3 && !c->latch_msb) {
			c->latch_msb = true;
			return v & 0xff;
		}
		c->count_latched = false;
		return c->rw == 1 ? v & 0xff : v >> 8;
	}
	v = (u16)pit_count(c, pit_now(s));
	if (c->bcd)
		v = to_bcd(v);
	msb = c->rw == 2 || (c->rw == 3 && c->read_msb);
	if (c->rw == 3)
		c->read_msb = !c->read_msb;
	return msb ? v >> 8 : v & 0xff;
}

/* GATE of counter 2 (port 0x61 bit 0); sampled on the next CLK. */
static void pit_set_gate(struct pit8254 *s, int i, bool gate)
{
	struct pit_channel *c = &s->ch[i];
	u64 t = pit_now(s);

	if (gate == c->gate)
		return;
	c->gate = gate;
	if (!c->loaded)
		return;
	if (!gate) {
		if (c->mode == 1 || c->mode == 5)
			return; /* gate low does not stop the hardware-triggered modes */
		c->frozen = pit_count(c, t);
		c->out_frozen = (c->mode == 2 || c->mode == 3) ? true : pit_out(c, t);
		c->paused = true;
		return;
	}
	if (c->mode == 0 || c->mode == 4) { /* resume where it stopped */
		if (c->paused) {
			c->start = c->frozen;
			c->tc_done = c->out_frozen;
			c->load_tick = t + 1;
			c->paused = false;
		}
		return;
	}
	/* Modes 1, 2, 3, 5: a rising GATE (re)starts the count from N. */
	c->load_tick = t + 1;
	c->start = c->n;
	c->tc_done = false;
	c->paused = false;
}

/* ---- bus glue --------------------------------------------------------------- */

static u64 pit_io_read(void *dev, u64 off, unsigned size)
{
	struct pit8254 *s = dev;

	return off < 3 ? pit_read_counter(s, off) : 0xff; /* 0x43 is write-only */
}

static void pit_io_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct pit8254 *s = dev;

	if (off < 3)
		pit_write_count(s, off, v);
	else
		pit_control(s, v);
}

/* Port 0x61: 0 GATE2, 1 speaker data enable, 2-3 parity/IOCHK enables (kept),
 * 4 refresh toggle, 5 OUT2; 6-7 error status (never set here). */
static u64 port61_read(void *dev, u64 off, unsigned size)
{
	struct pit8254 *s = dev;
	u64 now = board_now_ns(s->board);
	bool out2 = pit_out(&s->ch[2], pit_tick(now));

	return (s->port61 & 0x0f) | ((now / REFRESH_NS) & 1) << 4 | out2 << 5;
}

static void port61_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct pit8254 *s = dev;

	s->port61 = v & 0x0f;
	pit_set_gate(s, 2, v & 1);
}

static const struct io_ops pit_ops = {
    .name = "pit8254", .read = pit_io_read, .write = pit_io_write, .min = 1, .max = 1};
static const struct io_ops port61_ops = {
    .name = "port61", .read = port61_read, .write = port61_write, .min = 1, .max = 1};

static void pit_reset(void *dev)
{
	struct pit8254 *s = dev;

	if (s->irq_timer.armed)
		vtimer_cancel(s->board, &s->irq_timer);
	/* The datasheet leaves mode, count and OUT undefined until programmed;
	 * we start as "mode 3, no count yet": OUT high, so the usual first
	 * programming (mode 2 or 3) makes no spurious IRQ 0 edge. */
	for (int i = 0; i < 3; i++)
		s->ch[i] = (struct pit_channel){.mode = 3, .rw = 3, .gate = i != 2};
	s->port61 = 0;
	s->rises_seen = 0;
	board_set_irq(s->board, 0, 1);
}

static void pit_describe(void *dev, char *buf, size_t len)
{
	struct pit8254 *s = dev;
	u64 t = pit_now(s);
	int n = 0;

	for (int i = 0; i < 3 && n >= 0 && (size_t)n < len; i++) {
		const struct pit_channel *c = &s->ch[i];
		n += snprintf(buf + n, len - n, "%sch%d: mode %u count %u/%u out %d gate %d%s",
			      i ? " | " : "", i, c->mode, pit_count(c, t), c->n, pit_out(c, t),
			      c->gate, c->loaded ? "" : " (no count)");
	}
}

static void pit_destroy(void *dev)
{
	struct pit8254 *s = dev;

	if (s->irq_timer.armed)
		vtimer_cancel(s->board, &s->irq_timer);
	free(s);
}

static const struct device_ops pit_dev_ops = {
    .reset = pit_reset, .describe = pit_describe, .destroy = pit_destroy};

static int pit_init(struct board *b, struct err *e)
{
	struct pit8254 *s = xcalloc(1, sizeof(*s));

	s->board = b;
	s->irq_timer.fire = pit_irq_fire;
	s->irq_timer.opaque = s;
	pit_reset(s);
	board_add_device(b, "pit8254", s, &pit_dev_ops);
	if (bus_map_pio(&b->bus, 0x40, 4, &pit_ops, s, e) < 0 ||
	    bus_map_pio(&b->bus, 0x61, 1, &port61_ops, s, e) < 0)
		return -1;
	return 0;
}

DEVICE_REGISTER(pit8254_type, "pit8254", 1, pit_init);
