/*
 * test_pit.c - the 8254 at register level against the Intel 8254 datasheet,
 * on vmlab's virtual clock (1 ns per instruction, CLK = 1.193182 MHz):
 *
 *   CLK edge k happens at ceil(k * 1e9 / 1193182) ns, so e.g. edge 1 at
 *   839 ns, edge 1001 at 838934 ns; 1 ms is edge 1193.
 *   A count written at edge t is loaded on edge t+1 ("loaded on the next CLK
 *   pulse") and decremented on every following edge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/board.h"
#include "tests/unit/board_fixture.h"

static u64 icount;


/* Move virtual time to `ns` and fire the timers that are due. */
static void at(u64 ns)
{
	icount = ns;
	board_run_timers(&B);
}

static unsigned latch_read(int ch)
{
	outb(0x43, ch << 6); /* counter latch command */
	unsigned lo = inb(0x40 + ch);
	return lo | inb(0x40 + ch) << 8;
}

static u8 status(int ch)
{
	outb(0x43, 0xe0 | 2 << ch); /* read-back: status only */
	return inb(0x40 + ch);
}

static int setup(void **state)
{
	struct err e;

	icount = 0;
	if (board_init(&B, 0, NULL, &e) < 0)
		return -1;
	B.icount = &icount;
	if (board_create_device(&B, "pic8259", &e) < 0 ||
	    board_create_device(&B, "pit8254", &e) < 0)
		return -1;
	/* PIC as a PC BIOS leaves it: vectors 0x20/0x28. */
	static const u8 seq[][2] = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01},
				    {0xa0, 0x11}, {0xa1, 0x28}, {0xa1, 0x02}, {0xa1, 0x01},
				    {0x21, 0x00}, {0xa1, 0x00}};
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++)
		outb(seq[i][0], seq[i][1]);
	return 0;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

static void test_mode2_counts_and_irq0(void **state)
{
	outb(0x43, 0x34); /* counter 0, LSB then MSB, mode 2, binary */
	outb(0x40, 1000 & 0xff);
	outb(0x40, 1000 >> 8); /* written at edge 0, loaded at edge 1 */
	at(839);	       /* edge 1: just loaded */
	assert_int_equal(latch_read(0), 1000);
	/* First IRQ 0 rising edge at edge 1001 = 838934 ns. */
	assert_int_equal(board_next_deadline(&B), 838934);
	at(838933);
	assert_int_equal(latch_read(0), 1);
	assert_false(B.intr_pending(B.intr_opaque));
	at(838934);
	assert_int_equal(latch_read(0), 1000); /* reloaded */
	assert_true(B.intr_pending(B.intr_opaque));
	assert_int_equal(B.intr_ack(B.intr_opaque), 0x20);
	outb(0x20, 0x20);
	at(1000000); /* edge 1193: 1192 decrements */
	assert_int_equal(latch_read(0), 1000 - 192);
	/* Periodic: the k-th edge at ceil((1 + 1000 k) * 1e9 / 1193182). */
	assert_int_equal(board_next_deadline(&B), 1677029);
	int irqs = 1;
	while (board_next_deadline(&B) <= 84648445) {
		at(board_next_deadline(&B));
		if (B.intr_pending(B.intr_opaque)) {
			B.intr_ack(B.intr_opaque);
			outb(0x20, 0x20);
			irqs++;
		}
	}
	assert_int_equal(irqs, 101); /* edges 1001, 2001, ..., 101001 */
}

static void test_mode3_square_wave(void **state)
{
	/* Even N = 10: counts 10 8 6 4 2 with OUT high, 10 8 6 4 2 low. */
	static const unsigned even_count[10] = {10, 8, 6, 4, 2, 10, 8, 6, 4, 2};
	/* Odd N = 5: OUT high for 3 CLKs (5 4 2), low for 2 (5 2). */
	static const unsigned odd_count[5] = {5, 4, 2, 5, 2};
	u64 ns_of[40];

	for (u64 k = 0; k < 40; k++)
		ns_of[k] = (k * 1000000000ULL + 1193181) / 1193182;

	outb(0x43, 0xb6); /* counter 2, LSB/MSB, mode 3 */
	outb(0x61, 0x01); /* GATE2 high */
	outb(0x42, 10);
	outb(0x42, 0); /* written at edge 0, loaded at edge 1 */
	for (int k = 1; k < 21; k++) {
		at(ns_of[k]);
		assert_int_equal(latch_read(2), even_count[(k - 1) % 10]);
		assert_int_equal(!!(status(2) & 0x80), (k - 1) % 10 < 5);
		assert_int_equal(!!(inb(0x61) & 0x20), (k - 1) % 10 < 5); /* OUT2 */
	}
	at(ns_of[21]);
	outb(0x43, 0xb6);
	outb(0x42, 5);
	outb(0x42, 0); /* loaded at edge 22 */
	for (int k = 22; k < 32; k++) {
		at(ns_of[k]);
		assert_int_equal(latch_read(2), odd_count[(k - 22) % 5]);
		assert_int_equal(!!(status(2) & 0x80), (k - 22) % 5 < 3);
	}
}

static void test_mode0_gate_and_out2(void **state)
{
	/* Linux-style calibration: gate on, speaker off, mode 0 on counter 2. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	assert_int_equal(inb(0x61) & 0x20, 0); /* mode 0: OUT low */
	at(10000);			       /* edge 11 */
	outb(0x42, 100);
	outb(0x42, 0);
	/* Loaded at edge 12; OUT high N + 1 = 101 CLKs after the write: edge 112. */
	at((111ULL * 1000000000 + 1193181) / 1193182);
	assert_int_equal(latch_read(2), 1);
	assert_int_equal(inb(0x61) & 0x20, 0);
	at((112ULL * 1000000000 + 1193181) / 1193182);
	assert_int_equal(latch_read(2), 0);
	assert_int_equal(inb(0x61) & 0x20, 0x20);
	/* After terminal count the counter wraps and keeps counting. */
	at((113ULL * 1000000000 + 1193181) / 1193182);
	assert_int_equal(latch_read(2), 0xffff);
	assert_int_equal(inb(0x61) & 0x20, 0x20);

	/* GATE low suspends counting in mode 0. */
	outb(0x43, 0xb0);
	outb(0x42, 0x00);
	outb(0x42, 0x10); /* 4096 */
	at(icount + 100000);
	unsigned c1 = latch_read(2);
	assert_true(c1 < 4096);
	outb(0x61, 0x00);
	at(icount + 100000);
	assert_int_equal(latch_read(2), c1);
	outb(0x61, 0x01);
	at(icount + 100000);
	assert_true(latch_read(2) < c1);
}

static void test_latch_and_readback(void **state)
{
	outb(0x43, 0x34);
	assert_int_equal(status(0), 0xf4); /* OUT 1, null count, RW 3, mode 2 */
	outb(0x40, 0x00);
	outb(0x40, 0x10); /* 4096, loaded at edge 1 */
	at(839);
	assert_int_equal(status(0) & 0x40, 0); /* count loaded: null count clear */

	at(839 * 11);	  /* edge 11 (9229 ns) -> 4096 - 10 */
	outb(0x43, 0x00); /* latch now */
	at(1000000);	  /* time moves on ... */
	outb(0x43, 0x00); /* a second latch is ignored until read */
	assert_int_equal(inb(0x40), (4096 - 10) & 0xff);
	assert_int_equal(inb(0x40), (4096 - 10) >> 8);
	/* Read-back of count and status of counter 0: status first. */
	outb(0x43, 0xc2);
	assert_int_equal(inb(0x40), 0xb4); /* OUT 1, RW 3, mode 2, binary */
	unsigned lo = inb(0x40), hi = inb(0x40);
	assert_int_equal(lo | hi << 8, 4096 - 1192 % 4096);

	/* LSB-only counter, BCD. */
	outb(0x43, 0x15); /* counter 0, LSB only, mode 2, BCD */
	outb(0x40, 0x50); /* 50 decimal, loaded on the next edge */
	u64 t = icount;
	u64 k0 = t * 1193182 / 1000000000;
	at(((k0 + 1 + 7) * 1000000000ULL + 1193181) / 1193182); /* 7 decrements */
	outb(0x43, 0x00);
	assert_int_equal(inb(0x40), 0x43); /* BCD 43 */
}

static void test_refresh_toggle(void **state)
{
	at(0);
	assert_int_equal(inb(0x61) & 0x10, 0);
	at(15085);
	assert_int_equal(inb(0x61) & 0x10, 0x10);
	at(2 * 15085);
	assert_int_equal(inb(0x61) & 0x10, 0);
	/* Bits 0-3 read back as written. */
	outb(0x61, 0x0f);
	assert_int_equal(inb(0x61) & 0x0f, 0x0f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mode2_counts_and_irq0, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode3_square_wave, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode0_gate_and_out2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_latch_and_readback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refresh_toggle, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
