/*
 * cmos_rtc_clock.c - the clock inside the MC146818A RTC (devices/cmos_rtc.c
 * has its register file): the calendar, the once-a-second update cycle, the
 * alarm compare, the periodic interrupt from the divider chain, and IRQ 8.
 *
 * Follows the MC146818A datasheet: update cycle and UIP timing, the alarm
 * "don't care" codes, register A's divider (DV2-0) and rate (RS3-0, table
 * of periodic interrupt rates), register C's flags and IRQF.
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

#include "devices/cmos_rtc_int.h"

/* ---- calendar arithmetic -------------------------------------------------- */

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

void rtc_time_get(const struct cmos *s, struct rtc_time *t)
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

bool rtc_divider_running(const struct cmos *s)
{
	return ((s->ram[RTC_REG_A] >> 4) & 7) <= 2;
}

bool rtc_clock_running(const struct cmos *s)
{
	return rtc_divider_running(s) && !(s->ram[RTC_REG_B] & B_SET);
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
void cmos_sync(struct cmos *s)
{
	u64 now = board_now_ns(s->board);

	if (rtc_clock_running(s) && now >= s->next_update_ns) {
		u64 n = (now - s->next_update_ns) / NS_PER_SEC + 1;
		struct rtc_time t;

		rtc_time_get(s, &t);
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
	if (rtc_divider_running(s)) {
		u64 ticks = periodic_ticks(s, now);
		if (ticks > s->pf_seen) {
			s->ram[RTC_REG_C] |= C_PF;
			s->pf_seen = ticks;
		}
	}
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE; IRQ 8 follows IRQF until C is read. */
void cmos_update_irq(struct cmos *s)
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
void cmos_arm(struct cmos *s)
{
	u8 b = s->ram[RTC_REG_B];
	u64 now = board_now_ns(s->board), next = UINT64_MAX;

	if (!s->irq_level) {
		if ((b & B_PIE) && rtc_divider_running(s) && periodic_hz(s)) {
			u64 hz = periodic_hz(s), k = periodic_ticks(s, now) + 1;
			/* ceil(k / hz seconds): the first instant tick k has passed */
			u64 t = s->pf_epoch_ns + (u64)(((u128)k * NS_PER_SEC + hz - 1) / hz);
			next = t;
		}
		if ((b & (B_UIE | B_AIE)) && rtc_clock_running(s) && s->next_update_ns < next)
			next = s->next_update_ns;
	}
	if (next == UINT64_MAX)
		vtimer_cancel(s->board, &s->timer);
	else
		vtimer_arm(s->board, &s->timer, next > now ? next : now + 1);
}

void cmos_timer_fire(void *opaque)
{
	struct cmos *s = opaque;

	cmos_sync(s);
	cmos_update_irq(s);
	cmos_arm(s);
}

/* ---- setting the time ------------------------------------------------------------ */

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
