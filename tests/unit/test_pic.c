/*
 * test_pic.c - the 8259A pair at register level, checked against the Intel
 * 8259A datasheet: initialization sequence, priority and rotation, EOI
 * kinds, masking, cascade, level triggering (ELCR), spurious IRQ 7/15,
 * automatic EOI and the poll command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/board.h"
#include "tests/unit/board_fixture.h"



static bool pending(void)
{
	return B.intr_pending(B.intr_opaque);
}

static int ack(void)
{
	return B.intr_ack(B.intr_opaque);
}

/* The sequence every PC BIOS and OS uses: vectors 0x20 and 0x28, cascade on
 * IR2, 8086 mode, all unmasked. */
static void pc_init(u8 icw4)
{
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, icw4);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, icw4);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

static u8 read_isr(u16 port)
{
	outb(port, 0x0b); /* OCW3: read ISR */
	return inb(port);
}

static u8 read_irr(u16 port)
{
	outb(port, 0x0a); /* OCW3: read IRR */
	return inb(port);
}

static int setup(void **state)
{
	struct err e;

	if (board_init(&B, 0, NULL, &e) < 0 || board_create_device(&B, "pic8259", &e) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

static void test_init_sequence(void **state)
{
	/* Power-on: everything masked until programmed. */
	board_set_irq(&B, 1, 1);
	assert_false(pending());
	board_set_irq(&B, 1, 0);

	outb(0x20, 0x11);
	assert_int_equal(inb(0x21), 0x00); /* ICW1 clears IMR */
	outb(0x21, 0x20);		   /* ICW2 */
	outb(0x21, 0x04);		   /* ICW3 */
	outb(0x21, 0x01);		   /* ICW4 */
	outb(0x21, 0xfb);		   /* now OCW1 */
	assert_int_equal(inb(0x21), 0xfb);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0xa1, 0xff);
	assert_int_equal(inb(0xa1), 0xff);
	outb(0x21, 0x00);

	board_set_irq(&B, 1, 1);
	assert_true(pending());
	assert_int_equal(read_irr(0x20), 0x02);
	assert_int_equal(ack(), 0x21);
	assert_int_equal(read_isr(0x20), 0x02);
	assert_int_equal(read_irr(0x20), 0x00); /* edge: moved to ISR */
	assert_false(pending());
	board_set_irq(&B, 1, 0);
	outb(0x20, 0x20);
	assert_int_equal(read_isr(0x20), 0x00);

	/* Re-init without ICW4 (IC4 = 0): ICW4 functions are zero, and the
	 * next write to port 1 after ICW3 is OCW1. */
	outb(0x20, 0x10);
	outb(0x21, 0x40);
	outb(0x21, 0x04);
	outb(0x21, 0x7f);
	assert_int_equal(inb(0x21), 0x7f);
}

static void test_priority_and_eoi(void **state)
{
	pc_init(0x01);
	board_set_irq(&B, 3, 1);
	board_set_irq(&B, 5, 1);
	assert_int_equal(ack(), 0x23);
	assert_false(pending()); /* IR5 is lower than IR3 in service */
	board_set_irq(&B, 1, 1);
	assert_true(pending()); /* IR1 nests above IR3 */
	assert_int_equal(ack(), 0x21);
	assert_int_equal(read_isr(0x20), 0x0a);
	outb(0x20, 0x20); /* non-specific EOI: the highest (IR1) */
	assert_int_equal(read_isr(0x20), 0x08);
	assert_false(pending());
	outb(0x20, 0x63); /* specific EOI for IR3 */
	assert_int_equal(read_isr(0x20), 0x00);
	assert_true(pending());
	assert_int_equal(ack(), 0x25);
	outb(0x20, 0x20);

	/* Masking. */
	board_set_irq(&B, 6, 1);
	outb(0x21, 0x40);
	assert_false(pending());
	assert_int_equal(read_irr(0x20), 0x40); /* IRR still shows it */
	outb(0x21, 0x00);
	assert_int_equal(ack(), 0x26);
	outb(0x20, 0x20);

	/* Set priority: IR3 lowest -> IR4 highest, so IR5 beats IR1. */
	outb(0x20, 0xc3);
	board_set_irq(&B, 1, 0);
	board_set_irq(&B, 5, 0);
	board_set_irq(&B, 1, 1);
	board_set_irq(&B, 5, 1);
	assert_int_equal(ack(), 0x25);
	/* Rotate on non-specific EOI: IR5 becomes lowest, IR6 highest. */
	outb(0x20, 0xa0);
	assert_int_equal(read_isr(0x20), 0x00);
	board_set_irq(&B, 5, 0);
	board_set_irq(&B, 5, 1);
	assert_int_equal(ack(), 0x21); /* IR1 now beats IR5 */
	outb(0x20, 0x20);
	assert_int_equal(ack(), 0x25);
	outb(0x20, 0x20);
	assert_false(pending());
}

static void test_cascade(void **state)
{
	pc_init(0x01);
	board_set_irq(&B, 12, 1);
	assert_true(pending());
	assert_int_equal(ack(), 0x2c);
	assert_int_equal(read_isr(0x20), 0x04);
	assert_int_equal(read_isr(0xa0), 0x10);
	assert_false(pending());
	board_set_irq(&B, 0, 1); /* IR0 outranks IR2 on the master */
	assert_int_equal(ack(), 0x20);
	outb(0x20, 0x20);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	assert_int_equal(read_isr(0x20), 0x00);
	assert_int_equal(read_isr(0xa0), 0x00);
	/* Slave masked: nothing reaches the master. */
	outb(0xa1, 0x02);
	board_set_irq(&B, 9, 1);
	assert_false(pending());
	outb(0xa1, 0x00);
	assert_int_equal(ack(), 0x29);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* IRQ 2 on the ISA bus is wired to IRQ 9. */
	board_set_irq(&B, 9, 0);
	board_set_irq(&B, 2, 1);
	assert_int_equal(ack(), 0x29);
}

static void test_level_and_spurious(void **state)
{
	pc_init(0x01);
	outb(0x4d0, 0xff);
	assert_int_equal(inb(0x4d0), 0xf8); /* IRQ 0-2 cannot be level */
	outb(0x4d1, 0xff);
	assert_int_equal(inb(0x4d1), 0xde); /* nor IRQ 8 and 13 */
	outb(0x4d0, 0x20);
	outb(0x4d1, 0x04);

	/* Level: still asserted after EOI -> requested again. */
	board_set_irq(&B, 5, 1);
	assert_int_equal(ack(), 0x25);
	assert_false(pending());
	outb(0x20, 0x20);
	assert_true(pending());
	assert_int_equal(ack(), 0x25);
	board_set_irq(&B, 5, 0);
	outb(0x20, 0x20);
	assert_false(pending());

	/* Edge: held high, one interrupt only. */
	board_set_irq(&B, 3, 1);
	assert_int_equal(ack(), 0x23);
	outb(0x20, 0x20);
	assert_false(pending());

	/* A level request that goes away before INTA: spurious IR7, ISR clear. */
	board_set_irq(&B, 5, 1);
	assert_true(pending());
	board_set_irq(&B, 5, 0);
	assert_int_equal(ack(), 0x27);
	assert_int_equal(read_isr(0x20), 0x00);

	/* The same on the slave: the master's edge-latched IR2 is delivered
	 * but the slave has nothing: spurious IRQ 15, master ISR2 set. */
	board_set_irq(&B, 10, 1);
	assert_true(pending());
	board_set_irq(&B, 10, 0);
	assert_int_equal(ack(), 0x2f);
	assert_int_equal(read_isr(0x20), 0x04);
	assert_int_equal(read_isr(0xa0), 0x00);
	outb(0x20, 0x20);

	/* Level on the slave through the cascade, re-requested after EOI. */
	board_set_irq(&B, 10, 1);
	assert_int_equal(ack(), 0x2a);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	assert_true(pending());
	assert_int_equal(ack(), 0x2a);
	board_set_irq(&B, 10, 0);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	assert_false(pending());
}

static void test_aeoi_and_poll(void **state)
{
	pc_init(0x03); /* AEOI */
	board_set_irq(&B, 4, 1);
	assert_int_equal(ack(), 0x24);
	assert_int_equal(read_isr(0x20), 0x00);
	board_set_irq(&B, 6, 1);
	assert_true(pending()); /* nothing in service: lower IR6 is delivered */

	/* Poll command: the read is the acknowledge. */
	pc_init(0x01);
	board_set_irq(&B, 6, 0);
	board_set_irq(&B, 6, 1);
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x86);
	assert_int_equal(read_isr(0x20), 0x40);
	outb(0x20, 0x0c);
	assert_int_equal(inb(0x20), 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_sequence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_priority_and_eoi, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_level_and_spurious, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aeoi_and_poll, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
