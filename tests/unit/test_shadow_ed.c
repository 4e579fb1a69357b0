/*
 * test_shadow_ed.c - shadow descriptors of expand-down data segments and the
 * VMM's area (hypervisor/shadow.c; SDM Vol 3 §3.4.5.1 "Code- and Data-
 * Segment Descriptor Types": expand-down offsets run from limit+1 to 0xFFFF
 * (B = 0) or 0xFFFFFFFF (B = 1)).  Issue 8: an expand-down segment used to
 * be passed through unchanged, so a flat one let the deprivileged guest
 * kernel address the VMM's region.  The oracle here is the SDM's range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hypervisor/shadow.h"

#define D_P (1ULL << 47)

/* An expand-down read/write data descriptor (type 6), DPL 0. */
static u64 ed(u32 base, u32 limit, bool big, bool gran)
{
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | (0x96ULL << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)(big ? 4 : 0) << 52) |
	       ((u64)(gran ? 8 : 0) << 52) | ((u64)(base >> 24) << 56);
}

/* The highest linear address the segment reaches (no wrap in these cases). */
static u64 top(u64 d)
{
	u64 base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);

	return base + ((d & (1ULL << 54)) ? 0xffffffffULL : 0xffffULL);
}

static void flat_expand_down_is_hidden(void **state)
{
	(void)state;
	/* base 0, B = 1: offsets 0x1000..0xFFFFFFFF include the VMM's area. */
	u64 d = ed(0, 0xfff, true, false);

	assert_true(top(d) >= VMM_AREA_BASE);
	/* Shadowed EMPTY (vmm_edseg.c): present, same type and B, but limit
	 * 0xFFFFFFFF -- no offset valid, every access traps to the VMM. */
	assert_true(shadow_desc(d, VMM_AREA_BASE) & D_P);
	assert_int_equal(shadow_desc_limit(shadow_desc(d, VMM_AREA_BASE)), 0xffffffffu);
	assert_int_equal((shadow_desc(d, VMM_AREA_BASE) >> 40) & 0xf, 6);
}

static void small_expand_down_is_kept(void **state)
{
	(void)state;
	/* B = 0: the segment ends at base + 0xFFFF, far below the area. */
	u64 d = ed(0x100000, 0x0fff, false, false), s = shadow_desc(d, VMM_AREA_BASE);

	assert_true(top(d) < VMM_AREA_BASE);
	assert_true(s & D_P);
	assert_int_equal((s >> 45) & 3, 1); /* ring compression still applies */
	assert_int_equal(s & ~(3ULL << 45), d & ~(3ULL << 45));
}

static void empty_expand_down_is_kept(void **state)
{
	(void)state;
	/* limit 0xFFFFF pages, G = 1, B = 1: limit 0xFFFFFFFF, no valid offset. */
	u64 d = ed(0, 0xfffff, true, true);

	assert_true(shadow_desc(d, VMM_AREA_BASE) & D_P);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(flat_expand_down_is_hidden),
	    cmocka_unit_test(small_expand_down_is_kept),
	    cmocka_unit_test(empty_expand_down_is_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
