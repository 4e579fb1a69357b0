/*
 * cmos_rtc.c - the PC's real-time clock and CMOS RAM: a Motorola MC146818A
 * at ports 0x70 (index) / 0x71 (data), interrupt on ISA IRQ 8.
 *
 * Follows the MC146818A datasheet (register map, registers A-D, update
 * cycle, alarm "don't care" codes) and the IBM PC/AT CMOS layout for the
 * bytes above 0x0D (memory sizes, equipment byte, century).
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
 *
 * How time works here.  The time registers hold raw bytes, exactly as the
 * chip does: BCD or binary, 12- or 24-hour, according to register B at the
 * moment they were written.  Once per second of *virtual* time the chip
 * runs an "update cycle": it decodes the bytes with the current DM and 24/12
 * bits, adds one second (carrying into minutes, hours, days, months, years
 * and the century byte 0x32), encodes them back and compares them with the
 * alarm bytes.  Nothing runs between accesses: every access first catches
 * up with board_now_ns() (lazy evaluation), and a vtimer is armed only when
 * an enabled interrupt needs to reach the PIC on time.  So a guest that never
 * touches the RTC costs nothing, and runs stay deterministic.
 *
 * The clock starts at 2026-01-01 00:00:00 (a Thursday) at virtual time 0, so
 * every run sees the same dates; cmos_set_time() sets another start (the
 * future --clock=host).  As on the chip, the divider chain must run (DV =
 * 000, 001 or 010; we assume the matching crystal) and SET must be clear
 * for the time to advance; 11x holds the divider in reset, and the first
 * update after leaving reset comes 500 ms later.
 *
 * UIP (register A bit 7) is 1 during the 244 us before each update; the
 * update itself is instantaneous here (the chip takes ~2 ms), so time bytes
 * read right after UIP falls are already the new second.
 */
#include "devices/cmos_rtc.h"

#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000ULL
#define UIP_NS	   244000ULL /* UIP lead time before an update (datasheet) */

enum {
	RTC_SEC = 0x00,
	RTC_SEC_ALARM = 0x01,
	RTC_MIN = 0x02,
	RTC_MIN_ALARM = 0x03,
	RTC_HOUR = 0x04,
	RTC_HOUR_ALARM = 0x05,
	RTC_WDAY = 0x06,
	RTC_MDAY = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b,
	RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d,
	CMOS_SHUTDOWN = 0x0f,
	CMOS_EQUIPMENT = 0x14,
	CMOS_CENTURY = 0x32,
};

/* Register A */
#define A_UIP BIT(7)
/* Register B */
#define B_SET  BIT(7)
#define B_PIE  BIT(6)
#define B_AIE  BIT(5)
#define B_UIE  BIT(4)
#define B_SQWE BIT(3)
#define B_DM   BIT(2) /* 1: binary, 0: BCD */
#define B_24H  BIT(1)
/* Register C */
#define C_IRQF BIT(7)
#define C_PF   BIT(6)
#define C_AF   BIT(5)
#define C_UF   BIT(4)
/* Register D */
#define D_VRT BIT(7)

#define CMOS_IRQ 8

struct cmos {
	struct board *board;
	u8 ram[128]; /* registers 0x00-0x0D live here too */
	u8 index;
	bool nmi_masked;
	u64 next_update_ns; /* virtual time of the next update cycle */
	u64 pf_epoch_ns;    /* periodic interrupts count from here */
	u64 pf_seen;	    /* periodic ticks already folded into PF */
	bool irq_level;
	struct vtimer timer;
};

/* ---- calendar arithmetic -------------------------------------------------- */

struct rtc_time {
	int sec, min, hour, wday, mday, mon, year; /* year is full (2026) */
};

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const u8 days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 31;
	return days[m - 1] + (m == 2 && leap(y));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (shifting the year to
 * start in March puts the leap day last). */
static s64 days_from_civil(s64 y, int m, int d)
{
	s64 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(s64 z, struct rtc_time *t)
{
	s64 era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->year = (int)(y + (t->mon <= 2));
	/* 1970-01-01 was a Thursday; the chip counts 1 = Sunday. */
	t->wday = (int)(((z - 719468) % 7 + 7 + 4) % 7) + 1;
}

/* ---- raw register bytes <-> numbers (register B decides the format) ------- */

static int from_reg(const struct cmos *s, u8 v)
{
	if (s->ram[RTC_REG_B] & B_DM)
		return v;
	return (v >> 4) * 10 + (v & 0xf);
}

static u8 to_reg(const struct cmos *s, int v)
{
	if (s->ram[RTC_REG_B] & B_DM)
		return (u8)v;
	return (u8)(((v / 10) << 4) | (v % 10));
}

/* Hours: in 12-hour mode bit 7 is PM and the hour runs 12, 1 ... 11. */
static int hour_from_reg(const struct cmos *s, u8 v)
{
	int h;

	if (s->ram[RTC_REG_B] & B_24H)
		return from_reg(s, v);
	h = from_reg(s, v & 0x7f) % 12;
	return (v & 0x80) ? h + 12 : h;
}

static u8 hour_to_reg(const struct cmos *s, int h)
{
	if (s->ram[RTC_REG_B] & B_24H)
		return to_reg(s, h);
	return to_reg(s, h % 12 == 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0);
}

static void time_get(const struct cmos *s, struct rtc_time *t)
{
	t->sec = from_reg(s, s->ram[RTC_SEC]);
	t->min = from_reg(s, s->ram[RTC_MIN]);
	t->hour = hour_from_reg(s, s->ram[RTC_HOUR]);
	t->wday = from_reg(s, s->ram[RTC_WDAY]);
	t->mday = from_reg(s, s->ram[RTC_MDAY]);
	t->mon = from_reg(s, s->ram[RTC_MONTH]);
	t->year = from_reg(s, s->ram[CMOS_CENTURY]) * 100 + from_reg(s, s->ram[RTC_YEAR]);
}

static void time_put(struct cmos *s, const struct rtc_time *t)
{
	s->ram[RTC_SEC] = to_reg(s, t->sec);
	s->ram[RTC_MIN] = to_reg(s, t->min);
	s->ram[RTC_HOUR] = hour_to_reg(s, t->hour);
	s->ram[RTC_WDAY] = to_reg(s, t->wday);
	s->ram[RTC_MDAY] = to_reg(s, t->mday);
	s->ram[RTC_MONTH] = to_reg(s, t->mon);
	s->ram[RTC_YEAR] = to_reg(s, t->year % 100);
	s->ram[CMOS_CENTURY] = to_reg(s, (t->year / 100) % 100);
}

/* One update cycle's carry chain: one second later.  Out-of-range values a
 * guest wrote carry at the first overflow, as the chip's counters do. */
static void time_tick(struct rtc_time *t)
{
	if (++t->sec < 60)
		return;
	t->sec = 0;
	if (++t->min < 60)
		return;
	t->min = 0;
	if (++t->hour < 24)
		return;
	t->hour = 0;
	t->wday = t->wday >= 7 ? 1 : t->wday + 1;
	if (++t->mday <= month_days(t->year, t->mon))
		return;
	t->mday = 1;
	if (++t->mon <= 12)
		return;
	t->mon = 1;
	t->year++;
}

/* A whole number of seconds at once (long idle periods). */
static void time_add(struct rtc_time *t, u64 secs)
{
	s64 days = days_from_civil(t->year, t->mon, t->mday);
	u64 sod = (u64)t->hour * 3600 + t->min * 60 + t->sec + secs;

	civil_from_days(days + (s64)(sod / 86400), t);
	sod %= 86400;
	t->hour = (int)(sod / 3600);
	t->min = (int)(sod / 60 % 60);
	t->sec = (int)(sod % 60);
}

/* Alarm bytes match when equal or "don't care" (top two bits set). */
static bool alarm_match(const struct cmos *s)
{
	static const u8 pair[3][2] = {
	    {RTC_SEC_ALARM, RTC_SEC}, {RTC_MIN_ALARM, RTC_MIN}, {RTC_HOUR_ALARM, RTC_HOUR}};

	for (int i = 0; i < 3; i++) {
		u8 a = s->ram[pair[i][0]];
		if ((a & 0xc0) != 0xc0 && a != s->ram[pair[i][1]])
			return false;
	}
	return true;
}

/* ---- the divider chain: updates and periodic ticks ------------------------ */

static bool divider_running(const struct cmos *s)
{
	return ((s->ram[RTC_REG_A] >> 4) & 7) <= 2;
}

static bool clock_running(const struct cmos *s)
{
	return divider_running(s) && !(s->ram[RTC_REG_B] & B_SET);
}

/* Periodic rate from RS3-0 (datasheet table 5, 32.768 kHz time base):
 * 0 = off, 1 = 256 Hz, 2 = 128 Hz, n >= 3: 65536 >> n Hz. */
static u64 periodic_hz(const struct cmos *s)
{
	unsigned rs = s->ram[RTC_REG_A] & 0xf;

	if (rs == 0)
		return 0;
	if (rs <= 2)
		return 256 >> (rs - 1);
	return 65536 >> rs;
}

static u64 periodic_ticks(const struct cmos *s, u64 now)
{
	u64 hz = periodic_hz(s);

	if (!hz || now < s->pf_epoch_ns)
		return 0;
	return (u64)((u128)(now - s->pf_epoch_ns) * hz / NS_PER_SEC);
}

/* Bring the registers up to `now`: run the update cycles and periodic ticks
 * that fell due since the last access. */
static void cmos_sync(struct cmos *s)
{
	u64 now = board_now_ns(s->board);

	if (clock_running(s) && now >= s->next_update_ns) {
		u64 n = (now - s->next_update_ns) / NS_PER_SEC + 1;
		struct rtc_time t;

		time_get(s, &t);
		if (n >= 86400) {
			/* A whole day passed: every h:m:s alarm matched once
			 * (unless it names an impossible time). */
			time_add(&t, n);
			time_put(s, &t);
			s->ram[RTC_REG_C] |= C_AF;
			for (int r = RTC_SEC_ALARM; r <= RTC_HOUR_ALARM; r += 2)
				if ((s->ram[r] & 0xc0) != 0xc0 && s->ram[r] > 0x99)
					s->ram[RTC_REG_C] &= ~C_AF;
		} else {
			for (u64 i = 0; i < n; i++) {
				time_tick(&t);
				time_put(s, &t);
				if (alarm_match(s))
					s->ram[RTC_REG_C] |= C_AF;
			}
		}
		s->ram[RTC_REG_C] |= C_UF;
		s->next_update_ns += n * NS_PER_SEC;
	}
	if (divider_running(s)) {
		u64 ticks = periodic_ticks(s, now);
		if (ticks > s->pf_seen) {
			s->ram[RTC_REG_C] |= C_PF;
			s->pf_seen = ticks;
		}
	}
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE; IRQ 8 follows IRQF until C is read. */
static void cmos_update_irq(struct cmos *s)
{
	u8 b = s->ram[RTC_REG_B], c = s->ram[RTC_REG_C];
	bool irqf = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) ||
		    ((c & C_UF) && (b & B_UIE));

	if (irqf)
		s->ram[RTC_REG_C] |= C_IRQF;
	if (irqf != s->irq_level) {
		s->irq_level = irqf;
		board_set_irq(s->board, CMOS_IRQ, irqf);
	}
}

/* Arm the timer for the next event that could raise IRQ 8.  While the line
 * is already up nothing new can be signalled, so nothing is armed until the
 * guest reads register C. */
static void cmos_arm(struct cmos *s)
{
	u8 b = s->ram[RTC_REG_B];
	u64 now = board_now_ns(s->board), next = UINT64_MAX;

	if (!s->irq_level) {
		if ((b & B_PIE) && divider_running(s) && periodic_hz(s)) {
			u64 hz = periodic_hz(s), k = periodic_ticks(s, now) + 1;
			/* ceil(k / hz seconds): the first instant tick k has passed */
			u64 t = s->pf_epoch_ns + (u64)(((u128)k * NS_PER_SEC + hz - 1) / hz);
			next = t;
		}
		if ((b & (B_UIE | B_AIE)) && clock_running(s) && s->next_update_ns < next)
			next = s->next_update_ns;
	}
	if (next == UINT64_MAX)
		vtimer_cancel(s->board, &s->timer);
	else
		vtimer_arm(s->board, &s->timer, next > now ? next : now + 1);
}

static void cmos_timer_fire(void *opaque)
{
	struct cmos *s = opaque;

	cmos_sync(s);
	cmos_update_irq(s);
	cmos_arm(s);
}

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
		if (clock_running(s) && s->next_update_ns - now <= UIP_NS)
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
		bool was = divider_running(s), was_clock = clock_running(s);
		u8 old = s->ram[RTC_REG_A];
		s->ram[RTC_REG_A] = v & 0x7f; /* UIP is read-only */
		if (!was && divider_running(s)) {
			/* Leaving divider reset: first update 500 ms later. */
			s->next_update_ns = now + NS_PER_SEC / 2;
			s->pf_epoch_ns = now;
			s->pf_seen = 0;
		} else if ((old ^ v) & 0xf) {
			s->pf_epoch_ns = now;
			s->pf_seen = 0;
		} else if (!was_clock && clock_running(s)) {
			s->next_update_ns = now + NS_PER_SEC;
		}
		break;
	}
	case RTC_REG_B: {
		bool was_clock = clock_running(s);
		if (v & B_SET)
			v &= ~B_UIE; /* SET going high clears UIE (datasheet) */
		s->ram[RTC_REG_B] = v;
		if (!was_clock && clock_running(s))
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

/* Set the clock to `unix_seconds` (UTC) as of now. */
void cmos_set_time(void *dev, s64 unix_seconds)
{
	struct cmos *s = dev;
	struct rtc_time t;
	s64 days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
	s64 sod = unix_seconds - days * 86400;

	civil_from_days(days, &t);
	t.hour = (int)(sod / 3600);
	t.min = (int)(sod / 60 % 60);
	t.sec = (int)(sod % 60);
	time_put(s, &t);
	s->next_update_ns = board_now_ns(s->board) + NS_PER_SEC;
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
	time_get(s, &t);
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
