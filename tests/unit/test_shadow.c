/*
 * test_shadow.c - ring compression of descriptors (hypervisor/shadow.c)
 * against the descriptor format of SDM Vol 3 §3.4.5 (Figure 3-8), decoded
 * independently with the CPU's own desc_* helpers (cpu/segment.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpu/segment.h"
#include "hypervisor/shadow.h"

/* The descriptors a 32-bit kernel writes (flat 4 GiB, G = 1, D = 1). */
#define CODE0 0x00cf9a000000ffffULL /* code, DPL 0 */
#define DATA0 0x00cf92000000ffffULL /* data, DPL 0 */
#define CODE3 0x00cffa000000ffffULL /* code, DPL 3 */
#define TSS32 0x0000890010000067ULL /* available 32-bit TSS at 0x100000 */

static void dpl0_becomes_1(void **state)
{
	u64 s = shadow_desc(CODE0, VMM_AREA_BASE);

	assert_int_equal(seg_dpl(desc_attr(s)), 1);
	assert_true(seg_is_code(desc_attr(s)));
	assert_int_equal(desc_base(s), 0);
	s = shadow_desc(DATA0, VMM_AREA_BASE);
	assert_int_equal(seg_dpl(desc_attr(s)), 1);
	assert_true(seg_is_writable_data(desc_attr(s)));
}

static void dpl3_unchanged(void **state)
{
	u64 s = shadow_desc(CODE3, VMM_AREA_BASE);

	assert_int_equal(seg_dpl(desc_attr(s)), 3);
}

static void flat_limit_truncated(void **state)
{
	/* 4 GiB - 1 would cover the VMM's region: it must end just below. */
	assert_int_equal(desc_limit(CODE0), 0xffffffffu);
	assert_int_equal(desc_limit(shadow_desc(CODE0, VMM_AREA_BASE)), VMM_AREA_BASE - 1);
	assert_int_equal(desc_limit(shadow_desc(DATA0, VMM_AREA_BASE)), VMM_AREA_BASE - 1);
	assert_int_equal(shadow_desc_limit(shadow_desc(DATA0, VMM_AREA_BASE)), VMM_AREA_BASE - 1);
}

static void small_segment_untouched(void **state)
{
	u64 d = 0x00409a000000ffffULL; /* 64 KiB code at 0, byte granular, DPL 0 */
	u64 s = shadow_desc(d, VMM_AREA_BASE);

	assert_int_equal(desc_limit(s), 0xffff);
	assert_int_equal(s, d | (1ULL << 45));
}

static void system_and_absent(void **state)
{
	/* The guest's TSS is never used by the real CPU: not present. */
	assert_false(desc_attr(shadow_desc(TSS32, VMM_AREA_BASE)) & SEGA_P);
	/* A non-present descriptor stays exactly as it was. */
	assert_int_equal(shadow_desc(CODE0 & ~(1ULL << 47), VMM_AREA_BASE), CODE0 & ~(1ULL << 47));
	assert_int_equal(shadow_desc(0, VMM_AREA_BASE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dpl0_becomes_1),	    cmocka_unit_test(dpl3_unchanged),
	    cmocka_unit_test(flat_limit_truncated), cmocka_unit_test(small_segment_untouched),
	    cmocka_unit_test(system_and_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
