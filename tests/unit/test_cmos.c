/*
 * test_cmos.c - the MC146818A RTC/CMOS at ports 0x70/0x71, against the
 * datasheet (register A-D semantics, BCD/binary, 12/24 h, alarm don't-care
 * codes, periodic rates) and the host C library's gmtime() as the calendar
 * oracle.  IRQ 8 is observed through a fake set_irq hook on the board.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/cmos_rtc.h"
#define BOARD_FIXTURE_IRQ
#include "tests/unit/board_fixture.h"

#define START 1767225600LL /* 2026-01-01 00:00:00 UTC, the documented start */
#define SEC   1000000000ULL

static u64 icount;



static u8 rd(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void wr(u8 reg, u8 v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static u8 bcd(int v)
{
	return (u8)(((v / 10) << 4) | (v % 10));
}

/* Move virtual time to `ns` and fire due timers, as the run loop does. */
static void advance_to(u64 ns)
{
	icount = ns;
	board_run_timers(&B);
}

static int setup_ram(u64 ram)
{
	struct err e;

	icount = 0;
	memset(irq_level, 0, sizeof(irq_level));
	memset(irq_rises, 0, sizeof(irq_rises));
	if (board_init(&B, ram, NULL, &e) < 0)
		return -1;
	B.icount = &icount;
	B.set_irq = fake_set_irq;
	return 0;
}

static int setup(void **state)
{
	struct err e;

	if (setup_ram(0) < 0 || board_create_device(&B, "cmos-rtc", &e) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

/* Read the BCD 24-hour clock and compare it with gmtime(START + secs). */
static void check_time_bcd(s64 secs)
{
	time_t t = (time_t)(START + secs);
	struct tm tm;

	gmtime_r(&t, &tm);
	assert_int_equal(rd(0x00), bcd(tm.tm_sec));
	assert_int_equal(rd(0x02), bcd(tm.tm_min));
	assert_int_equal(rd(0x04), bcd(tm.tm_hour));
	assert_int_equal(rd(0x06), tm.tm_wday + 1); /* 1 = Sunday */
	assert_int_equal(rd(0x07), bcd(tm.tm_mday));
	assert_int_equal(rd(0x08), bcd(tm.tm_mon + 1));
	assert_int_equal(rd(0x09), bcd(tm.tm_year % 100));
	assert_int_equal(rd(0x32), bcd((tm.tm_year + 1900) / 100));
}

static void test_start_date(void **state)
{
	/* 2026-01-01 is a Thursday: day-of-week 5 with 1 = Sunday. */
	assert_int_equal(rd(0x06), 5);
	check_time_bcd(0);
	assert_int_equal(rd(0x0a), 0x26);
	assert_int_equal(rd(0x0b), 0x02);
	assert_int_equal(rd(0x0d), 0x80); /* VRT: battery good */
}

static void test_time_advances_with_virtual_time(void **state)
{
	advance_to(SEC - 1);
	check_time_bcd(0);
	advance_to(SEC);
	check_time_bcd(1);
	advance_to(3661 * SEC + SEC / 2);
	check_time_bcd(3661);
	/* Cross the end of February 2026 and a month boundary, second by second. */
	advance_to(58ULL * 86400 * SEC + 3 * SEC);
	check_time_bcd(58 * 86400 + 3);
	/* Long idle (bulk path): past 2028-02-29 and into 2029. */
	advance_to((1200ULL * 86400 + 12345) * SEC);
	check_time_bcd(1200 * 86400 + 12345);
}

static void test_binary_and_12h_modes(void **state)
{
	/* Set the clock with SET=1, binary, 12-hour mode: 11:59:58 PM. */
	wr(0x0b, 0x80 | 0x04);
	wr(0x00, 58);
	wr(0x02, 59);
	wr(0x04, 0x80 | 11); /* PM bit | 11 */
	wr(0x0b, 0x04);	     /* SET=0: the clock runs from now */
	assert_int_equal(rd(0x00), 58);
	advance_to(SEC);
	assert_int_equal(rd(0x00), 59);
	advance_to(2 * SEC);
	/* Midnight in 12-hour mode is 12 AM: 12 without the PM bit. */
	assert_int_equal(rd(0x04), 12);
	assert_int_equal(rd(0x02), 0);
	assert_int_equal(rd(0x00), 0);
	assert_int_equal(rd(0x07), 2); /* the next day, binary */
	assert_int_equal(rd(0x06), 6); /* Friday */

	/* BCD 12-hour: noon is 0x12 | PM (0x92), 1 PM is 0x81. */
	wr(0x0b, 0x80);
	wr(0x04, 0x92);
	wr(0x02, 0x59);
	wr(0x00, 0x59);
	wr(0x0b, 0x00);
	advance_to(3 * SEC);
	assert_int_equal(rd(0x04), 0x81);
	assert_int_equal(rd(0x02), 0x00);
}

static void test_set_stops_updates(void **state)
{
	wr(0x0b, 0x82);
	advance_to(5 * SEC);
	assert_int_equal(rd(0x00), 0x00);
	assert_int_equal(rd(0x0a) & 0x80, 0); /* no UIP while SET */
	wr(0x0b, 0x02);
	advance_to(6 * SEC - 1);
	assert_int_equal(rd(0x00), 0x00);
	advance_to(6 * SEC);
	assert_int_equal(rd(0x00), 0x01);
}

static void test_uip_window(void **state)
{
	/* The next update is at 1 s: UIP is set in the 244 us before it. */
	advance_to(SEC - 245000);
	assert_int_equal(rd(0x0a), 0x26);
	advance_to(SEC - 244000);
	assert_int_equal(rd(0x0a), 0xa6);
	advance_to(SEC - 1);
	assert_int_equal(rd(0x0a), 0xa6);
	assert_int_equal(rd(0x00), 0x00);
	advance_to(SEC);
	assert_int_equal(rd(0x0a), 0x26);
	assert_int_equal(rd(0x00), 0x01);
}

static void test_update_interrupt_and_reg_c(void **state)
{
	/* PF is set at the periodic rate even with PIE clear (datasheet), but
	 * raises no interrupt. */
	advance_to(SEC / 100);
	assert_int_equal(rd(0x0c), 0x40);
	assert_int_equal(irq_level[8], 0);
	wr(0x0a, 0x20); /* RS = 0: no periodic flag from here on */
	wr(0x0b, 0x12); /* UIE, 24 h */
	assert_int_equal(irq_level[8], 0);
	advance_to(SEC - 1);
	assert_int_equal(irq_level[8], 0);
	advance_to(SEC);
	assert_int_equal(irq_level[8], 1);
	/* C = IRQF | UF; reading clears it and lowers IRQ 8. */
	assert_int_equal(rd(0x0c), 0x90);
	assert_int_equal(irq_level[8], 0);
	assert_int_equal(rd(0x0c), 0x00);
	/* Writing C or D changes nothing. */
	wr(0x0c, 0xff);
	wr(0x0d, 0x00);
	assert_int_equal(rd(0x0c), 0x00);
	assert_int_equal(rd(0x0d), 0x80);
	/* One interrupt per second. */
	for (int i = 2; i <= 10; i++) {
		advance_to(i * SEC);
		assert_int_equal(irq_level[8], 1);
		assert_int_equal(rd(0x0c), 0x90);
	}
	assert_int_equal(irq_rises[8], 10);
	/* UF is set even without UIE, but then no IRQF and no interrupt. */
	wr(0x0b, 0x02);
	advance_to(11 * SEC);
	assert_int_equal(irq_level[8], 0);
	assert_int_equal(rd(0x0c), 0x10);
	/* SET going high clears UIE. */
	wr(0x0b, 0x12);
	wr(0x0b, 0x92);
	assert_int_equal(rd(0x0b), 0x82);
}

/* Count periodic interrupts in one second of virtual time at rate RS. */
static int periodic_count(u8 rs)
{
	int n = 0;

	wr(0x0a, 0x20 | rs);
	wr(0x0b, 0x42); /* PIE */
	rd(0x0c);
	u64 start = icount, end = start + SEC;
	while (board_next_deadline(&B) <= end) {
		advance_to(board_next_deadline(&B));
		if (irq_level[8]) {
			u8 c = rd(0x0c);
			assert_true(c & 0x40); /* PF */
			assert_true(c & 0x80); /* IRQF */
			n++;
		}
	}
	icount = end;
	wr(0x0b, 0x02);
	return n;
}

static void test_periodic_rates(void **state)
{
	/* Datasheet table: RS 6 = 1024 Hz, 15 = 2 Hz, 3 = 8192 Hz, 1 = 256 Hz,
	 * 2 = 128 Hz; 0 = none. */
	assert_int_equal(periodic_count(6), 1024);
	assert_int_equal(periodic_count(15), 2);
	assert_int_equal(periodic_count(3), 8192);
	assert_int_equal(periodic_count(1), 256);
	assert_int_equal(periodic_count(2), 128);
	assert_int_equal(periodic_count(0), 0);
	/* First 1024 Hz tick: 976562.5 ns after the rate was set. */
	wr(0x0a, 0x26);
	u64 t0 = icount;
	wr(0x0b, 0x42);
	advance_to(t0 + 976562);
	assert_int_equal(irq_level[8], 0);
	advance_to(t0 + 976563);
	assert_int_equal(irq_level[8], 1);
}

static void test_alarm(void **state)
{
	wr(0x0a, 0x20); /* RS = 0: keep PF out of register C */
	/* Alarm at 00:00:05 (BCD). */
	wr(0x01, 0x05);
	wr(0x03, 0x00);
	wr(0x05, 0x00);
	wr(0x0b, 0x22); /* AIE */
	advance_to(4 * SEC);
	assert_int_equal(irq_level[8], 0);
	assert_int_equal(rd(0x0c) & 0x20, 0);
	advance_to(5 * SEC);
	assert_int_equal(irq_level[8], 1);
	assert_int_equal(rd(0x0c), 0xb0); /* IRQF | AF | UF */
	advance_to(6 * SEC);
	assert_int_equal(irq_level[8], 0);
	/* Don't-care codes (0xC0-0xFF) in all three bytes: every second. */
	wr(0x01, 0xc0);
	wr(0x03, 0xff);
	wr(0x05, 0xd5);
	rd(0x0c);
	advance_to(7 * SEC);
	assert_int_equal(irq_level[8], 1);
	assert_int_equal(rd(0x0c), 0xb0);
}

static void test_divider_reset(void **state)
{
	wr(0x0a, 0x70); /* DV = 111: divider held in reset, clock stops */
	advance_to(10 * SEC);
	assert_int_equal(rd(0x00), 0x00);
	wr(0x0a, 0x26); /* released: first update 500 ms later */
	advance_to(10 * SEC + SEC / 2 - 1);
	assert_int_equal(rd(0x00), 0x00);
	advance_to(10 * SEC + SEC / 2);
	assert_int_equal(rd(0x00), 0x01);
}

static void test_nmi_mask_and_ram(void **state)
{
	void *dev = board_find_device(&B, "cmos-rtc");

	assert_non_null(dev);
	assert_false(cmos_nmi_masked(dev));
	outb(0x70, 0x80 | 0x40);
	assert_true(cmos_nmi_masked(dev));
	outb(0x71, 0x5a);
	outb(0x70, 0x40);
	assert_false(cmos_nmi_masked(dev));
	assert_int_equal(inb(0x71), 0x5a);
	/* 128 bytes: index bits 6-0 only (0xC0 & 0x7f = 0x40). */
	outb(0x70, 0xc0);
	assert_int_equal(inb(0x71), 0x5a);
	assert_int_equal(rd(0x0f), 0x00); /* shutdown status */
	assert_int_equal(rd(0x14), 0x02); /* equipment: FPU, VGA */
	wr(0x0f, 0x0a);
	assert_int_equal(rd(0x0f), 0x0a);
}

static void test_reset_keeps_time(void **state)
{
	wr(0x0b, 0x72); /* PIE | AIE | UIE */
	advance_to(3 * SEC);
	assert_int_equal(irq_level[8], 1);
	board_reset(&B);
	assert_int_equal(irq_level[8], 0);
	assert_int_equal(rd(0x0b), 0x02);
	assert_int_equal(rd(0x0c), 0x00);
	check_time_bcd(3);
	assert_int_equal(board_next_deadline(&B), UINT64_MAX);
}

static void test_set_time(void **state)
{
	/* 2000-02-29 23:59:59 (a Tuesday), then one second: March 1st. */
	cmos_set_time(board_find_device(&B, "cmos-rtc"), 951868799);
	assert_int_equal(rd(0x07), 0x29);
	assert_int_equal(rd(0x06), 3);
	advance_to(SEC);
	assert_int_equal(rd(0x07), 0x01);
	assert_int_equal(rd(0x08), 0x03);
	assert_int_equal(rd(0x09), 0x00);
	assert_int_equal(rd(0x32), 0x20);
	assert_int_equal(rd(0x06), 4);
}

/* Memory-size bytes from the bus map as vm.c lays it out: 640 KiB low,
 * 1 MiB - 3 GiB, and 2 GiB above 4 GiB. */
static void test_memory_bytes(void **state)
{
	struct err e;

	board_destroy(&B);
	assert_int_equal(setup_ram(5 * GiB), 0);
	assert_int_equal(bus_map_ram(&B.bus, 0, 0xa0000, 0, &e), 0);
	assert_int_equal(bus_map_ram(&B.bus, MiB, 3 * GiB - MiB, MiB, &e), 0);
	assert_int_equal(bus_map_ram(&B.bus, 4 * GiB, 2 * GiB, 3 * GiB, &e), 0);
	B.ncpus = 4;
	assert_int_equal(board_create_device(&B, "cmos-rtc", &e), 0);
	assert_int_equal(rd(0x15) | rd(0x16) << 8, 640);
	assert_int_equal(rd(0x17) | rd(0x18) << 8, 0xffff);
	assert_int_equal(rd(0x30) | rd(0x31) << 8, 0xffff);
	assert_int_equal(rd(0x34) | rd(0x35) << 8, (3 * GiB - 16 * MiB) / (64 * KiB));
	assert_int_equal(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 2 * GiB / (64 * KiB));
	assert_int_equal(rd(0x5f), 3);

	/* A 32 MiB machine: 31 MiB extended, 16 MiB above 16 MiB. */
	board_destroy(&B);
	assert_int_equal(setup_ram(32 * MiB), 0);
	assert_int_equal(bus_map_ram(&B.bus, 0, 0xa0000, 0, &e), 0);
	assert_int_equal(bus_map_ram(&B.bus, MiB, 31 * MiB, MiB, &e), 0);
	assert_int_equal(board_create_device(&B, "cmos-rtc", &e), 0);
	assert_int_equal(rd(0x17) | rd(0x18) << 8, 31 * 1024);
	assert_int_equal(rd(0x34) | rd(0x35) << 8, 16 * MiB / (64 * KiB));
	assert_int_equal(rd(0x5b) | rd(0x5c) | rd(0x5d), 0);
	/* Checksum over 0x10-0x2D, big-endian in 0x2E/0x2F. */
	unsigned sum = 0;
	for (int i = 0x10; i <= 0x2d; i++)
		sum += rd(i);
	assert_int_equal(rd(0x2e) << 8 | rd(0x2f), sum & 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_start_date, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_time_advances_with_virtual_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_binary_and_12h_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_stops_updates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_uip_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_interrupt_and_reg_c, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_periodic_rates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alarm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_divider_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nmi_mask_and_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset_keeps_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memory_bytes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
