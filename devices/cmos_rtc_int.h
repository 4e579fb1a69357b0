/*
 * cmos_rtc_int.h - what the two halves of the MC146818A RTC/CMOS share:
 * the register indexes and bits, the chip state, and the calls from the
 * register file (devices/cmos_rtc.c) into the clock (devices/cmos_rtc_clock.c).
 * Private to those two files; other parts of vmlab use devices/cmos_rtc.h.
 *
 * Register and bit names are the MC146818A datasheet's (UIP, DV2-0, RS3-0,
 * SET, PIE, AIE, UIE, SQWE, DM, 24/12, IRQF, PF, AF, UF, VRT).
 */
#ifndef VMLAB_DEVICES_CMOS_RTC_INT_H
#define VMLAB_DEVICES_CMOS_RTC_INT_H

#include "devices/board.h"

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

struct rtc_time {
	int sec, min, hour, wday, mday, mon, year; /* year is full (2026) */
};

/* ---- cmos_rtc_clock.c: the clock ---- */

/* The time registers, decoded with the current DM and 24/12 bits. */
void rtc_time_get(const struct cmos *s, struct rtc_time *t);
/* DV2-0 lets the divider chain run (000, 001 or 010). */
bool rtc_divider_running(const struct cmos *s);
/* ... and SET is clear: the time advances. */
bool rtc_clock_running(const struct cmos *s);
/* Bring the registers up to now: the update cycles and periodic ticks
 * that fell due since the last access. */
void cmos_sync(struct cmos *s);
/* IRQF = PF.PIE + AF.AIE + UF.UIE; IRQ 8 follows IRQF until C is read. */
void cmos_update_irq(struct cmos *s);
/* Arm the vtimer for the next event that could raise IRQ 8. */
void cmos_arm(struct cmos *s);
/* The vtimer's callback. */
void cmos_timer_fire(void *opaque);

#endif
