/*
 * test_shadow_rings.c - ring compression of descriptors and selectors in
 * both directions (hypervisor/vmm.h vmm_real_ring/vmm_guest_sel,
 * hypervisor/shadow.c; SDM Vol 3 §5.5 privilege levels).  The oracle: the
 * real CPU's privilege checks must give for the compressed values what
 * the SDM gives for the guest's -- DPL and RPL map by the same monotonic
 * function (0 -> 1, 1 -> 2, 2 -> 2, 3 -> 3), so "max(CPL, RPL) <= DPL"
 * keeps its truth value whenever guest ring 2 is not involved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hypervisor/vmm.h"

/* A flat read/write data descriptor with the given DPL. */
static u64 data(unsigned dpl)
{
	return 0x00cf92000000ffffULL | ((u64)dpl << 45);
}

static void dpl_maps_like_cpl(void **state)
{
	static const unsigned want[4] = {1, 2, 2, 3};

	(void)state;
	for (unsigned dpl = 0; dpl < 4; dpl++)
		assert_int_equal((shadow_desc(data(dpl), VMM_AREA_BASE) >> 45) & 3, want[dpl]);
}

static void checks_keep_their_truth(void **state)
{
	(void)state;
	/* Every guest (CPL, RPL, DPL) without ring 2: the data-load check of
	 * SDM Vol 2 MOV gives the same answer on the compressed values. */
	for (unsigned cpl = 0; cpl < 4; cpl++)
		for (unsigned rpl = 0; rpl < 4; rpl++)
			for (unsigned dpl = 0; dpl < 4; dpl++) {
				unsigned mx = cpl > rpl ? cpl : rpl, rc = vmm_real_ring(cpl),
					 rr = vmm_real_ring(rpl), rd = vmm_real_ring(dpl);

				if (cpl == 2 || rpl == 2 || dpl == 2)
					continue;
				assert_int_equal(mx <= dpl, (rc > rr ? rc : rr) <= rd);
			}
}

static void selectors_round_trip(void **state)
{
	(void)state;
	assert_int_equal(vmm_real_sel(0x10), 0x11);
	assert_int_equal(vmm_real_sel(0x59), 0x5a);
	assert_int_equal(vmm_real_sel(0x1b), 0x1b);
	assert_int_equal(vmm_real_sel(0), 0); /* null stays null */
	assert_int_equal(vmm_guest_sel(0x11, 0), 0x10);
	assert_int_equal(vmm_guest_sel(0x5a, 1), 0x59);
	assert_int_equal(vmm_guest_sel(0x5a, 2), 0x5a); /* guest ring 2 (the hole) */
	assert_int_equal(vmm_guest_sel(0x1b, 3), 0x1b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dpl_maps_like_cpl),
	    cmocka_unit_test(checks_keep_their_truth),
	    cmocka_unit_test(selectors_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
