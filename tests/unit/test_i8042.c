/*
 * test_i8042.c - the keyboard controller at ports 0x60/0x64 against the IBM
 * PC/AT and PS/2 technical references: status bits, controller commands,
 * keyboard and mouse command replies, scan code set 1 for typed text, the
 * output port's A20 and reset lines, and IRQ 1 / IRQ 12 edges observed
 * through a fake set_irq hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/i8042.h"
#define BOARD_FIXTURE_IRQ
#include "tests/unit/board_fixture.h"

static u64 icount;
static void *kbc;



static int setup(void **state)
{
	struct err e;

	icount = 0;
	memset(irq_level, 0, sizeof(irq_level));
	memset(irq_rises, 0, sizeof(irq_rises));
	if (board_init(&B, 0, NULL, &e) < 0)
		return -1;
	B.icount = &icount;
	B.set_irq = fake_set_irq;
	if (board_create_device(&B, "i8042", &e) < 0)
		return -1;
	kbc = board_find_device(&B, "i8042");
	return kbc ? 0 : -1;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

/* Read one byte the way a driver does: wait for OBF, then port 0x60. */
static int next_byte(void)
{
	if (!(inb(0x64) & 0x01))
		return -1;
	return inb(0x60);
}

static void expect_bytes(const u8 *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(next_byte(), want[i]);
	assert_int_equal(next_byte(), -1);
}

#define EXPECT(...)                                                                                \
	do {                                                                                       \
		static const u8 w_[] = {__VA_ARGS__};                                              \
		expect_bytes(w_, sizeof(w_));                                                      \
	} while (0)

static void test_reset_state(void **state)
{
	/* INH (not inhibited) | SYS; nothing in the output buffer. */
	assert_int_equal(inb(0x64), 0x14);
	assert_int_equal(next_byte(), -1);
	assert_true(B.a20_enabled);
	outb(0x64, 0x20);				 /* read command byte */
	assert_int_equal(inb(0x64), 0x14 | 0x08 | 0x01); /* A2 after a command, OBF */
	assert_int_equal(inb(0x60), 0x45);
	assert_int_equal(inb(0x64) & 0x01, 0);
}

static void test_controller_commands(void **state)
{
	outb(0x64, 0xaa);
	EXPECT(0x55);
	outb(0x64, 0xab);
	EXPECT(0x00);
	outb(0x64, 0xa9);
	EXPECT(0x00);
	/* Write the command byte: no interrupts, no SYS, no translation. */
	outb(0x64, 0x60);
	outb(0x60, 0x00);
	assert_int_equal(inb(0x64), 0x10); /* A2 = 0 after a data write, SYS = 0 */
	outb(0x64, 0x20);
	EXPECT(0x00);
	/* Controller RAM 0x21-0x3F via 0x61-0x7F / 0x21-0x3F. */
	outb(0x64, 0x65);
	outb(0x60, 0xa5);
	outb(0x64, 0x25);
	EXPECT(0xa5);
	/* 0xA7/0xA8 toggle bit 5, 0xAD/0xAE bit 4 of the command byte. */
	outb(0x64, 0xa7);
	outb(0x64, 0xad);
	outb(0x64, 0x20);
	EXPECT(0x30);
	outb(0x64, 0xa8);
	outb(0x64, 0xae);
	outb(0x64, 0x20);
	EXPECT(0x00);
	/* 0xD2: the next data byte comes back as if from the keyboard. */
	outb(0x64, 0xd2);
	outb(0x60, 0x3c);
	assert_int_equal(inb(0x64) & 0x21, 0x01);
	EXPECT(0x3c);
	/* 0xD3: ... as if from the mouse (AUXB set). */
	outb(0x64, 0xd3);
	outb(0x60, 0x3d);
	assert_int_equal(inb(0x64) & 0x21, 0x21);
	EXPECT(0x3d);
	assert_int_equal(B.stop, BOARD_RUNNING);
}

static void test_keyboard_commands(void **state)
{
	outb(0x60, 0xff); /* reset: ACK, BAT passed */
	EXPECT(0xfa, 0xaa);
	outb(0x60, 0xf2); /* identify, translated */
	EXPECT(0xfa, 0xab, 0x41);
	outb(0x60, 0xed); /* LEDs */
	outb(0x60, 0x07);
	EXPECT(0xfa, 0xfa);
	outb(0x60, 0xee); /* echo: no ACK */
	EXPECT(0xee);
	outb(0x60, 0xf3); /* typematic */
	outb(0x60, 0x20);
	EXPECT(0xfa, 0xfa);
	outb(0x60, 0xf0); /* which scan code set? 2, translated to 0x41 */
	outb(0x60, 0x00);
	EXPECT(0xfa, 0xfa, 0x41);
	outb(0x60, 0xf0);
	outb(0x60, 0x01);
	EXPECT(0xfa, 0xfa);
	outb(0x60, 0xf0);
	outb(0x60, 0x00);
	EXPECT(0xfa, 0xfa, 0x43);
	outb(0x60, 0x12); /* not a command: resend */
	EXPECT(0xfe);
	/* Translation off: the identify answer is the raw 0xAB 0x83. */
	outb(0x64, 0x60);
	outb(0x60, 0x05);
	outb(0x60, 0xf2);
	EXPECT(0xfa, 0xab, 0x83);
	/* Disable scanning: typed keys are lost; enable again. */
	outb(0x60, 0xf5);
	EXPECT(0xfa);
	assert_false(i8042_key_input(kbc, 0x1e));
	outb(0x60, 0xf4);
	EXPECT(0xfa);
	assert_true(i8042_key_input(kbc, 0x1e));
	EXPECT(0x1e);
}

static void test_typing_and_irq1(void **state)
{
	/* "Hi!\n" in set 1: LShift H LShift-up, i, LShift 1, Enter. */
	assert_int_equal(i8042_type_ascii(kbc, "Hi!\n\x01"), 4);
	assert_int_equal(irq_level[1], 1);
	EXPECT(0x2a, 0x23, 0xa3, 0xaa, 0x17, 0x97, 0x2a, 0x02, 0x82, 0xaa, 0x1c, 0x9c);
	/* One IRQ 1 edge per byte, the line low once the buffer is empty. */
	assert_int_equal(irq_rises[1], 12);
	assert_int_equal(irq_level[1], 0);
	assert_int_equal(irq_rises[12], 0);
	/* Keyboard interrupt disabled: OBF but no IRQ 1. */
	outb(0x64, 0x60);
	outb(0x60, 0x44);
	i8042_type_ascii(kbc, "a");
	assert_int_equal(irq_level[1], 0);
	EXPECT(0x1e, 0x9e);
	/* Enabling the interrupt with a byte waiting raises the line. */
	i8042_type_ascii(kbc, "z");
	outb(0x64, 0x60);
	outb(0x60, 0x45);
	assert_int_equal(irq_level[1], 1);
	EXPECT(0x2c, 0xac);
	/* Reading port 0x60 again returns the stale byte, OBF stays clear. */
	assert_int_equal(inb(0x60), 0xac);
	assert_int_equal(inb(0x64) & 1, 0);
	/* Keyboard disabled in the command byte: bytes wait in the queue. */
	outb(0x64, 0xad);
	i8042_type_ascii(kbc, "q");
	assert_int_equal(next_byte(), -1);
	outb(0x64, 0xae);
	EXPECT(0x10, 0x90);
	/* Every printable ASCII character maps to a key. */
	assert_int_equal(i8042_type_ascii(kbc, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOP"
					       "QRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"),
			 95);
}

static void test_output_port_a20_reset(void **state)
{
	outb(0x64, 0xd0);
	/* reset line high, A20 on; the port is latched before the reply
	 * enters the output buffer, so OBF (bit 4) reads 0 */
	assert_int_equal(next_byte() & 0x33, 0x03);
	/* with a keyboard byte waiting, bit 4 is set */
	i8042_key_input(kbc, 0x39);
	outb(0x64, 0xd0);
	assert_int_equal(inb(0x60), 0x39);
	assert_int_equal(next_byte() & 0x33, 0x13);
	outb(0x64, 0xd1);
	outb(0x60, 0x01); /* A20 off, reset high */
	assert_false(B.a20_enabled);
	assert_int_equal(B.stop, BOARD_RUNNING);
	outb(0x64, 0xd0);
	assert_int_equal(next_byte() & 0x03, 0x01);
	outb(0x64, 0xdf);
	assert_true(B.a20_enabled);
	outb(0x64, 0xdd);
	assert_false(B.a20_enabled);
	outb(0x64, 0xd1);
	outb(0x60, 0x03);
	assert_true(B.a20_enabled);
	/* 0xFF pulses nothing; 0xFE pulses bit 0, the reset line. */
	outb(0x64, 0xff);
	assert_int_equal(B.stop, BOARD_RUNNING);
	outb(0x64, 0xfe);
	assert_int_equal(B.stop, BOARD_STOP_RESET);
	B.stop = BOARD_RUNNING;
	outb(0x64, 0xf0); /* all four low, reset among them */
	assert_int_equal(B.stop, BOARD_STOP_RESET);
	B.stop = BOARD_RUNNING;
	outb(0x64, 0xd1);
	outb(0x60, 0x02); /* bit 0 low: reset */
	assert_int_equal(B.stop, BOARD_STOP_RESET);
	/* Board reset restores A20 on and the default command byte. */
	board_reset(&B);
	assert_true(B.a20_enabled);
	outb(0x64, 0x20);
	EXPECT(0x45);
}

static void test_mouse(void **state)
{
	/* Mouse interrupt on (bit 1). */
	outb(0x64, 0x60);
	outb(0x60, 0x47);
	outb(0x64, 0xd4);
	outb(0x60, 0xff);
	assert_int_equal(irq_level[12], 1);
	assert_int_equal(irq_level[1], 0);
	assert_int_equal(inb(0x64) & 0x21, 0x21);
	EXPECT(0xfa, 0xaa, 0x00);
	assert_int_equal(irq_rises[12], 3);
	outb(0x64, 0xd4);
	outb(0x60, 0xf2);
	EXPECT(0xfa, 0x00);
	outb(0x64, 0xd4);
	outb(0x60, 0xf3);
	outb(0x64, 0xd4);
	outb(0x60, 0x28); /* 40 samples/s */
	outb(0x64, 0xd4);
	outb(0x60, 0xe9);
	EXPECT(0xfa, 0xfa, 0xfa, 0x00, 0x02, 0x28);
	/* Aux port disabled: replies wait. */
	outb(0x64, 0xa7);
	outb(0x64, 0xd4);
	outb(0x60, 0xf4);
	assert_int_equal(next_byte(), -1);
	outb(0x64, 0xa8);
	EXPECT(0xfa);
}

static void test_describe(void **state)
{
	char buf[512];

	B.devices[0].ops->describe(kbc, buf, sizeof(buf));
	assert_non_null(strstr(buf, "command byte 45"));
	assert_non_null(strstr(buf, "A20 on"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_controller_commands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keyboard_commands, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_typing_and_irq1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_port_a20_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mouse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
