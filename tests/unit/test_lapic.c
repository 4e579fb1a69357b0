/*
 * test_lapic.c - the local APICs at register level, checked against the
 * Intel SDM Vol 3A chapter 11: reset values (§11.4.7.1, Figure 11-7),
 * software enable (§11.4.7.2), priorities and acceptance (§11.8.3), EOI
 * (§11.8.5), IPIs with physical/logical destinations and shorthands
 * (§11.6), INIT/SIPI, ESR (§11.5.3) and the timer (§11.5.4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/lapic.h"
#include "tests/unit/board_fixture.h"

static u64 icount;
static struct lapic *L;
static int nsignals, last_sig_cpu, last_sig, last_sig_vec, eois, last_eoi;

static void rec_signal(void *opaque, int cpu, enum lapic_signal sig, u8 vector)
{
	nsignals++;
	last_sig_cpu = cpu;
	last_sig = sig;
	last_sig_vec = vector;
}

static void rec_eoi(void *opaque, u8 vector)
{
	eois++;
	last_eoi = vector;
}

static int setup(void **state)
{
	struct err e;

	icount = 0;
	nsignals = eois = 0;
	if (board_init(&B, 0, NULL, &e) < 0)
		return -1;
	B.icount = &icount;
	B.ns_per_insn = 1;
	B.ncpus = 3;
	if (board_create_device(&B, "lapic", &e) < 0)
		return -1;
	L = lapic_of(&B);
	L->signal = rec_signal;
	L->eoi_broadcast = rec_eoi;
	return 0;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

/* A 32-bit access to the APIC page as CPU `cpu` would make it. */
static u32 rd(int cpu, u32 off)
{
	B.current_cpu = cpu;
	return (u32)bus_mem_read(&B.bus, LAPIC_BASE + off, 4);
}

static void wr(int cpu, u32 off, u32 v)
{
	B.current_cpu = cpu;
	bus_mem_write(&B.bus, LAPIC_BASE + off, v, 4);
}

static bool irr(int cpu, u8 v)
{
	return rd(cpu, LAPIC_IRR + (v >> 5) * 0x10) >> (v & 31) & 1;
}

static void enable(int cpu)
{
	wr(cpu, LAPIC_SVR, 0x1ff); /* software enable, spurious vector FFh */
}

static void test_reset_values(void **state)
{
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rd(i, LAPIC_ID), (u32)i << 24);
		assert_int_equal(rd(i, LAPIC_VER), 0x00050014);
		assert_int_equal(rd(i, LAPIC_DFR), 0xffffffff);
		assert_int_equal(rd(i, LAPIC_SVR), 0xff);
		assert_int_equal(rd(i, LAPIC_TPR), 0);
		assert_int_equal(rd(i, LAPIC_LVT_TIMER), 0x10000);
		assert_int_equal(rd(i, LAPIC_LVT_ERROR), 0x10000);
	}
	/* Virtual wire on the BSP only (QEMU's reset state). */
	assert_int_equal(rd(0, LAPIC_LVT_LINT0), 0x700);
	assert_int_equal(rd(1, LAPIC_LVT_LINT0), 0x10000);
	assert_true(lapic_pic_accepted(L, 0));
	assert_false(lapic_pic_accepted(L, 1));
	/* ID and version are read-only. */
	wr(1, LAPIC_ID, 0x05000000);
	assert_int_equal(rd(1, LAPIC_ID), 0x01000000);
}

static void test_software_disable(void **state)
{
	/* Disabled: LVT writes keep the mask, fixed IPIs are not accepted. */
	wr(0, LAPIC_LVT_TIMER, 0x40);
	assert_int_equal(rd(0, LAPIC_LVT_TIMER), 0x10040);
	wr(0, LAPIC_ICR_LO, 0x40000 | 0x45); /* self, fixed, vector 45h */
	assert_false(irr(0, 0x45));
	enable(0);
	wr(0, LAPIC_LVT_TIMER, 0x40);
	assert_int_equal(rd(0, LAPIC_LVT_TIMER), 0x40);
	wr(0, LAPIC_ICR_LO, 0x40000 | 0x45);
	assert_true(irr(0, 0x45));
	/* Clearing SVR bit 8 masks every LVT entry. */
	wr(0, LAPIC_SVR, 0xff);
	assert_int_equal(rd(0, LAPIC_LVT_TIMER), 0x10040);
	assert_int_equal(rd(0, LAPIC_LVT_LINT0), 0x10700);
	assert_false(lapic_intr_pending(L, 0));
}

static void test_priority_and_eoi(void **state)
{
	enable(0);
	wr(0, LAPIC_ICR_LO, 0x40000 | 0x31);
	wr(0, LAPIC_ICR_LO, 0x40000 | 0x52);
	assert_true(lapic_intr_pending(L, 0));
	assert_int_equal(lapic_intr_ack(L, 0), 0x52); /* highest first */
	assert_int_equal(rd(0, LAPIC_PPR), 0x50);
	/* TPR[7:4] >= ISRV[7:4]: PPR is all of TPR, low nibble included. */
	wr(0, LAPIC_TPR, 0x57);
	assert_int_equal(rd(0, LAPIC_PPR), 0x57);
	wr(0, LAPIC_TPR, 0);
	assert_int_equal(rd(0, LAPIC_ISR + 0x20), 1u << (0x52 - 64));
	assert_false(lapic_intr_pending(L, 0)); /* 31h: class 3 <= 5 */
	wr(0, LAPIC_ICR_LO, 0x40000 | 0x55);
	assert_false(lapic_intr_pending(L, 0)); /* same class as in service */
	wr(0, LAPIC_EOI, 0);
	assert_int_equal(rd(0, LAPIC_PPR), 0);
	assert_int_equal(eois, 0); /* edge: no EOI message */
	/* TPR 60h holds 55h back; PPR follows TPR. */
	wr(0, LAPIC_TPR, 0x60);
	assert_int_equal(rd(0, LAPIC_PPR), 0x60);
	assert_false(lapic_intr_pending(L, 0));
	wr(0, LAPIC_TPR, 0x40);
	assert_int_equal(lapic_intr_ack(L, 0), 0x55);
	/* A nested, higher class interrupts the handler of 55h... */
	wr(0, LAPIC_ICR_LO, 0x40000 | 0x91);
	assert_int_equal(lapic_intr_ack(L, 0), 0x91);
	assert_int_equal(rd(0, LAPIC_PPR), 0x90);
	/* ...and EOI retires the highest in-service vector first. */
	wr(0, LAPIC_EOI, 0);
	assert_int_equal(rd(0, LAPIC_PPR), 0x50);
	wr(0, LAPIC_EOI, 0);
	assert_int_equal(rd(0, LAPIC_PPR), 0x40);
	/* Nothing left: INTA gives the spurious vector. */
	wr(0, LAPIC_TPR, 0);
	assert_int_equal(lapic_intr_ack(L, 0), 0x31);
	assert_int_equal(lapic_intr_ack(L, 0), 0xff);
}

static void test_level_eoi_broadcast(void **state)
{
	enable(1);
	lapic_deliver(L, 1, false, APIC_DM_FIXED, 0x66, true);
	assert_true(rd(1, LAPIC_TMR + 0x30) & (1u << (0x66 - 96)));
	assert_int_equal(lapic_intr_ack(L, 1), 0x66);
	wr(1, LAPIC_EOI, 0);
	assert_int_equal(eois, 1);
	assert_int_equal(last_eoi, 0x66);
}

static void test_ipi_destinations(void **state)
{
	for (int i = 0; i < 3; i++)
		enable(i);
	/* Physical: APIC ID 2. */
	wr(0, LAPIC_ICR_HI, 0x02000000);
	wr(0, LAPIC_ICR_LO, 0x40);
	assert_true(irr(2, 0x40));
	assert_false(irr(1, 0x40));
	assert_false(irr(0, 0x40));
	assert_int_equal(rd(0, LAPIC_ICR_HI), 0x02000000);
	/* Logical, flat model: LDR bits select. */
	wr(1, LAPIC_LDR, 0x02000000);
	wr(2, LAPIC_LDR, 0x04000000);
	wr(0, LAPIC_ICR_HI, 0x06000000);
	wr(0, LAPIC_ICR_LO, APIC_ICR_LOGICAL | 0x41);
	assert_true(irr(1, 0x41));
	assert_true(irr(2, 0x41));
	assert_false(irr(0, 0x41));
	/* Logical, cluster model: cluster 1, member bit 0. */
	wr(1, LAPIC_DFR, 0x0fffffff);
	wr(1, LAPIC_LDR, 0x11000000);
	assert_int_equal(rd(1, LAPIC_DFR), 0x0fffffff);
	wr(0, LAPIC_ICR_HI, 0x11000000);
	wr(0, LAPIC_ICR_LO, APIC_ICR_LOGICAL | 0x42);
	assert_true(irr(1, 0x42));
	/* Shorthands: all excluding self, all including self. */
	wr(1, LAPIC_ICR_LO, 0xc0000 | 0x43);
	assert_true(irr(0, 0x43) && irr(2, 0x43));
	assert_false(irr(1, 0x43));
	wr(1, LAPIC_ICR_LO, 0x80000 | 0x44);
	assert_true(irr(0, 0x44) && irr(1, 0x44) && irr(2, 0x44));
	/* Lowest priority: the lowest TPR wins. */
	wr(0, LAPIC_TPR, 0x20);
	wr(1, LAPIC_TPR, 0x10);
	wr(2, LAPIC_TPR, 0x30);
	wr(0, LAPIC_ICR_HI, 0xff000000);
	wr(0, LAPIC_ICR_LO, 0x100 | 0x46);
	assert_true(irr(1, 0x46));
	assert_false(irr(0, 0x46) || irr(2, 0x46));
}

static void test_illegal_vector_esr(void **state)
{
	enable(0);
	enable(1);
	wr(0, LAPIC_LVT_ERROR, 0xee);
	wr(0, LAPIC_ICR_HI, 0x01000000);
	wr(0, LAPIC_ICR_LO, 0x05); /* fixed, vector 5: illegal */
	assert_false(irr(1, 0x05));
	assert_int_equal(rd(0, LAPIC_ESR), 0); /* not latched until written */
	wr(0, LAPIC_ESR, 0);
	assert_int_equal(rd(0, LAPIC_ESR), 0x20); /* send illegal vector */
	assert_true(irr(0, 0xee));		  /* the error interrupt */
	wr(0, LAPIC_ESR, 0);
	assert_int_equal(rd(0, LAPIC_ESR), 0);
}

static void test_init_sipi(void **state)
{
	/* INIT assert to APIC 1 (works while software-disabled). */
	wr(0, LAPIC_ICR_HI, 0x01000000);
	wr(0, LAPIC_ICR_LO, 0x4500);
	assert_int_equal(nsignals, 1);
	assert_int_equal(last_sig, LAPIC_SIGNAL_INIT);
	assert_int_equal(last_sig_cpu, 1);
	/* INIT level de-assert: no signal. */
	wr(0, LAPIC_ICR_LO, 0x8500);
	assert_int_equal(nsignals, 1);
	/* SIPI with vector 08h (start at 0x8000), all excluding self. */
	wr(0, LAPIC_ICR_LO, 0xc4608);
	assert_int_equal(nsignals, 3);
	assert_int_equal(last_sig, LAPIC_SIGNAL_SIPI);
	assert_int_equal(last_sig_cpu, 2);
	assert_int_equal(last_sig_vec, 8);
	/* NMI. */
	wr(0, LAPIC_ICR_HI, 0x02000000);
	wr(0, LAPIC_ICR_LO, 0x400);
	assert_int_equal(last_sig, LAPIC_SIGNAL_NMI);
	assert_int_equal(last_sig_cpu, 2);
}

static void at(u64 ns)
{
	icount = ns;
	board_run_timers(&B);
}

static void test_timer_one_shot(void **state)
{
	enable(0);
	wr(0, LAPIC_TIMER_DCR, 0xb); /* divide by 1 */
	wr(0, LAPIC_LVT_TIMER, 0x40);
	at(100);
	wr(0, LAPIC_TIMER_ICR, 1000);
	at(600);
	assert_int_equal(rd(0, LAPIC_TIMER_CCR), 500);
	assert_false(irr(0, 0x40));
	at(1099);
	assert_false(irr(0, 0x40));
	at(1100);
	assert_true(irr(0, 0x40));
	assert_int_equal(rd(0, LAPIC_TIMER_CCR), 0);
	assert_int_equal(board_next_deadline(&B), UINT64_MAX); /* one-shot: done */
}

static void test_timer_periodic_divide(void **state)
{
	enable(1);
	wr(1, LAPIC_TIMER_DCR, 0x0); /* divide by 2 */
	wr(1, LAPIC_LVT_TIMER, APIC_TIMER_PERIODIC | 0x50);
	wr(1, LAPIC_TIMER_ICR, 100); /* period 200 ns */
	at(450);		     /* 225 counts: 2 periods + 25 */
	assert_int_equal(rd(1, LAPIC_TIMER_CCR), 75);
	assert_true(irr(1, 0x50));
	assert_int_equal(board_next_deadline(&B), 600);
	assert_int_equal(lapic_intr_ack(L, 1), 0x50);
	wr(1, LAPIC_EOI, 0);
	at(600);
	assert_true(irr(1, 0x50));
	/* Divide by 128 (1010b). */
	wr(1, LAPIC_TIMER_DCR, 0xa);
	wr(1, LAPIC_TIMER_ICR, 10);
	assert_int_equal(board_next_deadline(&B), 600 + 1280);
	/* Masking keeps it counting but delivers nothing. */
	wr(1, LAPIC_LVT_TIMER, APIC_LVT_MASKED | APIC_TIMER_PERIODIC | 0x51);
	at(600 + 1280);
	assert_false(irr(1, 0x51));
	/* Initial count 0 stops it. */
	wr(1, LAPIC_TIMER_ICR, 0);
	assert_int_equal(board_next_deadline(&B), UINT64_MAX);
}

static void test_hw_disable(void **state)
{
	enable(0);
	wr(0, LAPIC_TPR, 0x20);
	lapic_set_hw_enabled(L, 0, false);
	assert_true(lapic_pic_accepted(L, 0)); /* LINT0 becomes INTR */
	lapic_set_hw_enabled(L, 1, false);
	assert_false(lapic_pic_accepted(L, 1)); /* only the BSP's pin is wired */
	lapic_set_hw_enabled(L, 0, true);
	/* Back in its power-up state: software-disabled, TPR 0. */
	assert_int_equal(rd(0, LAPIC_SVR), 0xff);
	assert_int_equal(rd(0, LAPIC_TPR), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reset_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_software_disable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_priority_and_eoi, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_level_eoi_broadcast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipi_destinations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_illegal_vector_esr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_sipi, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timer_one_shot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timer_periodic_divide, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hw_disable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
