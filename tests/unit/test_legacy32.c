/*
 * test_legacy32.c - unit tests for the 32-bit-only instructions the
 * systest32 kernel found unimplemented: BOUND (SDM Vol 2 "BOUND": #BR, a
 * fault, on a signed index outside [lower, upper]; #UD in 64-bit mode),
 * ARPL (Vol 2 "ARPL": ZF and the raised RPL; #UD in real mode) and RDPMC
 * (Vol 2 "RDPMC": #GP(0) at CPL > 0 without CR4.PCE).  The whole-guest
 * check against QEMU is samples/systest (systest32); these pin the edge
 * cases one instruction at a time through cpu_step().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "devices/bus.h"
#include "lib/err.h"

#include "tests/unit/cpu_fixture.h"

static int caught;

static bool on_exception(void *opaque, struct cpu *c, int vector, u32 err)
{
	(void)opaque, (void)c, (void)err;
	caught = vector;
	return true;
}

/* Flat 32-bit protected mode, paging off, CPL 0. */
static void enter_prot32(struct fix *f)
{
	struct cpu *c = &f->c;

	cpu_reset(c);
	c->cr0 = CR0_PE | CR0_ET;
	for (int s = 0; s < SEG_COUNT; s++)
		c->seg[s] =
		    (struct segment){0x10, 0, 0xffffffff, SEGA_P | SEGA_S | 0x3 | SEGA_DB | SEGA_G};
	c->seg[SEG_CS] =
	    (struct segment){0x08, 0, 0xffffffff, SEGA_P | SEGA_S | 0xb | SEGA_DB | SEGA_G};
	cpu_update_mode(c);
	assert_int_equal(c->mode, CPU_MODE_PROT32);
}

/* Execute the bytes at linear 0x10000; the vector raised or -1. */
static int step(struct fix *f, const u8 *b, unsigned n)
{
	struct cpu *c = &f->c;

	assert_int_equal(bus_dma_write(&f->bus, 0x10000, b, n), 0);
	c->rip = 0x10000 - c->seg[SEG_CS].base; /* linear 0x10000 */
	c->hooks.exception = on_exception;
	caught = -1;
	cpu_step(c);
	c->hooks.exception = NULL;
	return caught;
}

static void put32(struct fix *f, u64 pa, u32 v)
{
	assert_int_equal(bus_dma_write(&f->bus, pa, &v, 4), 0);
}

static void test_bound(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	/* bound eax, [0x2000]; bound ax, [0x2008] (66 prefix) */
	static const u8 b32[] = {0x62, 0x05, 0x00, 0x20, 0x00, 0x00};
	static const u8 b16[] = {0x66, 0x62, 0x05, 0x08, 0x20, 0x00, 0x00};
	static const struct {
		u32 idx;
		int vec;
	} cases[] = {
	    {0, -1}, {5, -1}, {10, -1}, {11, EXC_BR}, {0xffffffff, EXC_BR}, {0x80000000, EXC_BR}};

	enter_prot32(f);
	put32(f, 0x2000, 0);  /* lower */
	put32(f, 0x2004, 10); /* upper */
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		c->gpr[RAX] = cases[k].idx;
		assert_int_equal(step(f, b32, sizeof(b32)), cases[k].vec);
		if (cases[k].vec == EXC_BR) /* a fault: EIP stays on the BOUND */
			assert_int_equal(c->rip, 0x10000);
	}
	/* Signed bounds [-2, 3] in 16 bits; the upper half of EAX is ignored. */
	put32(f, 0x2008, 0x0003fffe);
	c->gpr[RAX] = 0xabcdffff; /* -1 */
	assert_int_equal(step(f, b16, sizeof(b16)), -1);
	c->gpr[RAX] = 0x00000004;
	assert_int_equal(step(f, b16, sizeof(b16)), EXC_BR);
	c->gpr[RAX] = 0x0000fffd; /* -3 */
	assert_int_equal(step(f, b16, sizeof(b16)), EXC_BR);
}

static void test_bound_64(void **state)
{
	struct fix *f = *state;
	static const u8 b[] = {0x62, 0x05, 0x00, 0x20, 0x00, 0x00};

	enter_long64(f);
	/* In 64-bit mode 62 is the EVEX prefix; a ModRM that is not EVEX is #UD. */
	assert_int_equal(step(f, b, sizeof(b)), EXC_UD);
}

static void test_arpl(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	static const u8 arpl_cx_ax[] = {0x63, 0xc8}; /* arpl ax, cx */

	enter_prot32(f);
	c->gpr[RAX] = 0xdead0010;
	c->gpr[RCX] = 0x1b;
	assert_int_equal(step(f, arpl_cx_ax, 2), -1);
	assert_int_equal(c->gpr[RAX], 0xdead0013); /* RPL raised to 3, upper bits kept */
	assert_true(flag_zf(c));
	assert_int_equal(step(f, arpl_cx_ax, 2), -1); /* already 3: unchanged */
	assert_int_equal(c->gpr[RAX], 0xdead0013);
	assert_false(flag_zf(c));
	c->gpr[RCX] = 0x19;
	assert_int_equal(step(f, arpl_cx_ax, 2), -1);
	assert_int_equal(c->gpr[RAX] & 0xffff, 0x13);
	assert_false(flag_zf(c));

	enter_real(f);
	cpu_load_seg_real(c, SEG_CS, 0x1000);
	assert_int_equal(step(f, arpl_cx_ax, 2), EXC_UD);
}

static void test_rdpmc(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	static const u8 rdpmc[] = {0x0f, 0x33};

	enter_prot32(f);
	c->gpr[RCX] = 0;
	assert_int_equal(step(f, rdpmc, 2), EXC_GP); /* no counters */
	/* CPL 3 without CR4.PCE: #GP(0) as well (the architectural check). */
	c->seg[SEG_CS].sel |= 3;
	c->seg[SEG_CS].attr |= 3 << SEGA_DPL_SHIFT;
	c->seg[SEG_SS].sel |= 3;
	c->seg[SEG_SS].attr |= 3 << SEGA_DPL_SHIFT;
	cpu_update_mode(c);
	assert_int_equal(c->cpl, 3);
	assert_int_equal(step(f, rdpmc, 2), EXC_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bound, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_bound_64, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_arpl, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_rdpmc, fix_setup, fix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
