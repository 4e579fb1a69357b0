/*
 * test_ioapic.c - the I/O APIC at register level, checked against the Intel
 * 82093AA datasheet (290566-001 §3: IOREGSEL/IOWIN, IOAPICID, IOAPICVER,
 * redirection entries and their reset state) and the delivery rules of SDM
 * Vol 3A §11.8.5 (remote IRR and EOI of level-triggered interrupts), with
 * the ISA wiring of a PC (IRQ 0 on pin 2, the other IRQs identity) and the
 * 8259 still receiving every ISA line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/chardev.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "tests/unit/board_fixture.h"

static u64 icount;
static struct lapic *L;

static int setup(void **state)
{
	struct err e;

	icount = 0;
	if (board_init(&B, 0, NULL, &e) < 0)
		return -1;
	B.icount = &icount;
	B.ns_per_insn = 1;
	B.ncpus = 2;
	/* In init-level order, as board_create_devices makes them. */
	if (board_create_device(&B, "lapic", &e) < 0 ||
	    board_create_device(&B, "pic8259", &e) < 0 || board_create_device(&B, "ioapic", &e) < 0)
		return -1;
	L = lapic_of(&B);
	for (int i = 0; i < 2; i++)
		lapic_write_reg(L, i, LAPIC_SVR, 0x1ff);
	return 0;
}

/* The same board plus COM1 (a 16550 on IRQ 4, host side: a chardev). */
static struct chardev com1;

static int setup_uart(void **state)
{
	struct err e;

	memset(&com1, 0, sizeof(com1));
	if (setup(state) < 0)
		return -1;
	B.serial[0] = &com1;
	return board_create_device(&B, "uart16550", &e) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

static u32 ioread(u32 reg)
{
	bus_mem_write(&B.bus, IOAPIC_BASE, reg, 4);
	return (u32)bus_mem_read(&B.bus, IOAPIC_BASE + 0x10, 4);
}

static void iowrite(u32 reg, u32 v)
{
	bus_mem_write(&B.bus, IOAPIC_BASE, reg, 4);
	bus_mem_write(&B.bus, IOAPIC_BASE + 0x10, v, 4);
}

static void route(int pin, u32 lo, u8 dest)
{
	iowrite(0x11 + 2 * pin, (u32)dest << 24);
	iowrite(0x10 + 2 * pin, lo);
}

static bool irr(int cpu, u8 v)
{
	return lapic_read_reg(L, cpu, LAPIC_IRR + (v >> 5) * 0x10) >> (v & 31) & 1;
}

static void test_registers(void **state)
{
	assert_int_equal(ioread(0x01), 0x00170011); /* version 11h, 24 entries */
	assert_int_equal(ioread(0x00), 2u << 24);   /* first ID after the CPUs */
	iowrite(0x00, 0xff000000);
	assert_int_equal(ioread(0x00), 0x0f000000); /* only bits 27:24 */
	assert_int_equal(ioread(0x02), 0x0f000000);
	for (int n = 0; n < IOAPIC_PINS; n++) {
		assert_int_equal(ioread(0x10 + 2 * n), 0x10000); /* masked */
		assert_int_equal(ioread(0x11 + 2 * n), 0);
	}
	/* Delivery status and remote IRR are read-only. */
	route(5, 0x1ffff & ~0x10000u, 0xab);
	assert_int_equal(ioread(0x10 + 10), 0xafff);
	assert_int_equal(ioread(0x11 + 10), 0xab000000);
	/* IOREGSEL reads back. */
	bus_mem_write(&B.bus, IOAPIC_BASE, 0x21, 4);
	assert_int_equal(bus_mem_read(&B.bus, IOAPIC_BASE, 4), 0x21);
}

static void test_isa_edge_routing(void **state)
{
	route(2, 0x30, 0); /* the PIT: IRQ 0 -> pin 2 */
	route(4, 0x34, 1); /* COM1 to CPU 1 */
	board_set_irq(&B, 0, 1);
	assert_true(irr(0, 0x30));
	assert_false(irr(1, 0x30));
	board_set_irq(&B, 4, 1);
	assert_true(irr(1, 0x34));
	/* Edge: staying high sends nothing more; the next rising edge does. */
	assert_int_equal(lapic_intr_ack(L, 0), 0x30);
	lapic_write_reg(L, 0, LAPIC_EOI, 0);
	board_set_irq(&B, 0, 1);
	assert_false(irr(0, 0x30));
	board_set_irq(&B, 0, 0);
	board_set_irq(&B, 0, 1);
	assert_true(irr(0, 0x30));
	/* A masked pin loses its edges. */
	route(3, 0x10033, 0);
	board_set_irq(&B, 3, 1);
	assert_false(irr(0, 0x33));
	/* The 8259 still saw the lines (its IRR, OCW3 read). */
	outb(0x20, 0x0a);
	assert_int_equal(inb(0x20) & 0x19, 0x19);
}

static void test_level_remote_irr(void **state)
{
	route(10, IOREDTBL_LEVEL | 0x5a, 0);
	board_set_irq(&B, 10, 1);
	assert_true(irr(0, 0x5a));
	assert_true(ioread(0x10 + 20) & IOREDTBL_REMOTE_IRR);
	assert_int_equal(lapic_intr_ack(L, 0), 0x5a);
	/* EOI while the line is still high: remote IRR clears, and the pin
	 * sends again. */
	lapic_write_reg(L, 0, LAPIC_EOI, 0);
	assert_true(irr(0, 0x5a));
	assert_true(ioread(0x10 + 20) & IOREDTBL_REMOTE_IRR);
	assert_int_equal(lapic_intr_ack(L, 0), 0x5a);
	board_set_irq(&B, 10, 0); /* the device is served */
	lapic_write_reg(L, 0, LAPIC_EOI, 0);
	assert_false(irr(0, 0x5a));
	assert_false(ioread(0x10 + 20) & IOREDTBL_REMOTE_IRR);
	/* Unmasking a level pin that is high delivers at once. */
	route(11, IOREDTBL_MASKED | IOREDTBL_LEVEL | 0x5b, 1);
	board_set_irq(&B, 11, 1);
	assert_false(irr(1, 0x5b));
	route(11, IOREDTBL_LEVEL | 0x5b, 1);
	assert_true(irr(1, 0x5b));
}

/*
 * Issue 5, "the I/O APIC interrupt storm": minios switched its ISA IRQs to
 * the I/O APIC while COM1's INTR was already high (a THRE interrupt
 * latched while the 8259 had IRQ 4), and console output and input stopped.
 * The facts the fix rests on, from the 82093AA datasheet (§3.2.4: an
 * edge-sensitive input is ignored while masked, and only a rising edge
 * sends) and the 16550A datasheet (INTR is the OR of the enabled pending
 * sources; clearing IER drops it): opening a pin whose line is already
 * high sends nothing; more pending sources on a high line send nothing
 * (QEMU's I/O APIC takes every raise as an edge, real parts do not); and
 * IER cleared then restored gives the edge that revives IRQ 4.
 */
static void test_edge_already_high_uart(void **state)
{
	u8 b = 'x';

	route(4, IOREDTBL_MASKED | 0x34, 0);
	outb(0x3f8 + 4, 0x08);	    /* MCR: OUT2, the PC's IRQ gate */
	outb(0x3f8 + 1, 0x03);	    /* IER: received data + THR empty: INTR high */
	assert_false(irr(0, 0x34)); /* the edge hit a masked pin */
	route(4, 0x34, 0);	    /* open it: the line is already high */
	assert_false(irr(0, 0x34));
	assert_int_equal(chardev_push(&com1, &b, 1), 1); /* data too: no edge */
	assert_false(irr(0, 0x34));
	assert_int_equal(inb(0x3f8 + 2) & 0x0f, 0x04); /* IIR: data first */
	assert_false(irr(0, 0x34));
	/* The guest's way out: IER off and on again. */
	outb(0x3f8 + 1, 0x00);
	assert_false(irr(0, 0x34));
	outb(0x3f8 + 1, 0x03);
	assert_true(irr(0, 0x34));
	assert_int_equal(lapic_intr_ack(L, 0), 0x34);
	/* The 8259 saw the same line: IRQ 4 in its IRR (OCW3, read IRR). */
	outb(0x20, 0x0a);
	assert_true(inb(0x20) & 0x10);
}

static void test_logical_and_broadcast(void **state)
{
	lapic_write_reg(L, 1, LAPIC_LDR, 0x02000000);
	route(6, IOREDTBL_DEST_LOGICAL | 0x66, 0x02);
	board_set_irq(&B, 6, 1);
	assert_true(irr(1, 0x66));
	assert_false(irr(0, 0x66));
	route(7, 0x67, 0xff);
	board_set_irq(&B, 7, 1);
	assert_true(irr(0, 0x67) && irr(1, 0x67));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_isa_edge_routing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_level_remote_irr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logical_and_broadcast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_edge_already_high_uart, setup_uart, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
