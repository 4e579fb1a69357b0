/*
 * test_tlb.c - unit tests of the soft TLB (mmu/tlb.c): lookup with the
 * permission classes and the dirty rule, PCID tagging and global entries,
 * and the flushes of SDM Vol 3 §4.10.4 (MOV to CR3 with PCIDE, INVLPG,
 * INVPCID, a non-global flush and a full flush), with their counters; a
 * large page cached as 4 KiB pieces and dropped whole by INVLPG.  The page
 * walkers are tested in test_paging.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"

static u8 page_a[4096], page_b[4096];
#define R_SUP  PG_PERM(PG_CLASS_SUP, PG_READ)
#define W_SUP  PG_PERM(PG_CLASS_SUP, PG_WRITE)
#define R_USER PG_PERM(PG_CLASS_USER, PG_READ)

static void test_tlb_basic(void **state)
{
	struct tlb *t = tlb_create();

	assert_null(tlb_lookup(t, 0x5000, 0, R_SUP));
	tlb_fill(t, 0x5123, 0, 0x9000, page_a, R_SUP, R_SUP | W_SUP, false, 12);
	assert_int_equal(tlb_count(t), 1);
	struct tlb_entry *e = tlb_lookup(t, 0x5fff, 0, R_SUP);
	assert_non_null(e);
	assert_ptr_equal(e->host, page_a);
	assert_int_equal(e->pa, 0x9000);
	/* Dirty rule: the fill did not grant fast writes, so a write misses. */
	assert_null(tlb_lookup(t, 0x5000, 0, W_SUP));
	assert_null(tlb_lookup(t, 0x5000, 0, R_USER));
	/* Another page in the same slot misses. */
	assert_null(tlb_lookup(t, 0x5000 + TLB_SIZE * 4096ULL, 0, R_SUP));
	assert_int_equal(t->stats.hits, 1);

	/* No host page (MMIO): nothing is cached. */
	tlb_fill(t, 0x7000, 0, 0xfee00000, NULL, R_SUP, R_SUP, false, 12);
	assert_null(tlb_lookup(t, 0x7000, 0, R_SUP));
	assert_int_equal(tlb_count(t), 1);

	/* Protecting the physical page removes the write bits only. */
	tlb_fill(t, 0x5000, 0, 0x9000, page_a, R_SUP | W_SUP, R_SUP | W_SUP, false, 12);
	assert_non_null(tlb_lookup(t, 0x5000, 0, W_SUP));
	tlb_protect_phys(t, 0x9abc);
	assert_null(tlb_lookup(t, 0x5000, 0, W_SUP));
	assert_non_null(tlb_lookup(t, 0x5000, 0, R_SUP));
	tlb_destroy(t);
}

static void test_tlb_pcid_and_flushes(void **state)
{
	struct tlb *t = tlb_create();

	/* PCID 1 and PCID 2 entries, and one global entry under PCID 1. */
	tlb_fill(t, 0x10000, 1, 0x1000, page_a, R_SUP, R_SUP, false, 12);
	tlb_fill(t, 0x20000, 2, 0x2000, page_b, R_SUP, R_SUP, false, 12);
	tlb_fill(t, 0x30000, 1, 0x3000, page_b, R_SUP, R_SUP, true, 12);
	assert_non_null(tlb_lookup(t, 0x10000, 1, R_SUP));
	assert_null(tlb_lookup(t, 0x10000, 2, R_SUP)); /* tagged with its PCID */
	assert_null(tlb_lookup(t, 0x10000, 0, R_SUP));

	/* MOV CR3 with PCIDE and bit 63 clear: non-global of the new PCID. */
	tlb_flush_pcid(t, 1);
	assert_null(tlb_lookup(t, 0x10000, 1, R_SUP));
	assert_non_null(tlb_lookup(t, 0x20000, 2, R_SUP));
	assert_non_null(tlb_lookup(t, 0x30000, 1, R_SUP)); /* global survives */

	/* INVLPG under PCID 2: its own page and global pages go, others stay. */
	tlb_fill(t, 0x10000, 1, 0x1000, page_a, R_SUP, R_SUP, false, 12);
	tlb_flush_page(t, 0x10000, 2);
	assert_non_null(tlb_lookup(t, 0x10000, 1, R_SUP));
	tlb_flush_page(t, 0x30000, 2);
	assert_null(tlb_lookup(t, 0x30000, 1, R_SUP));

	/* INVPCID type 0 keeps global translations. */
	tlb_fill(t, 0x30000, 1, 0x3000, page_b, R_SUP, R_SUP, true, 12);
	tlb_flush_page_pcid(t, 0x30000, 1);
	assert_non_null(tlb_lookup(t, 0x30000, 1, R_SUP));
	tlb_flush_page_pcid(t, 0x10000, 1);
	assert_null(tlb_lookup(t, 0x10000, 1, R_SUP));

	/* Non-global flush: everything but the global entry. */
	tlb_flush_nonglobal(t);
	assert_null(tlb_lookup(t, 0x20000, 2, R_SUP));
	assert_non_null(tlb_lookup(t, 0x30000, 1, R_SUP));
	tlb_flush_all(t);
	assert_int_equal(tlb_count(t), 0);

	assert_int_equal(t->stats.flushes[TLB_FLUSH_PCID], 1);
	assert_int_equal(t->stats.flushes[TLB_FLUSH_PAGE], 2);
	assert_int_equal(t->stats.flushes[TLB_FLUSH_PAGE_PCID], 2);
	assert_int_equal(t->stats.flushes[TLB_FLUSH_NONGLOBAL], 1);
	assert_int_equal(t->stats.flushes[TLB_FLUSH_ALL], 1);
	tlb_destroy(t);
}

static void test_tlb_large_page_invlpg(void **state)
{
	struct tlb *t = tlb_create();

	/* Two 4 KiB pieces of one 2 MiB translation, and a neighbour page. */
	tlb_fill(t, 0x200000, 0, 0x800000, page_a, R_SUP, R_SUP, false, 21);
	tlb_fill(t, 0x3ff000, 0, 0x9ff000, page_b, R_SUP, R_SUP, false, 21);
	tlb_fill(t, 0x400000, 0, 0x1000, page_b, R_SUP, R_SUP, false, 12);
	/* INVLPG of any address in the large page drops every piece. */
	tlb_flush_page(t, 0x2abcde, 0);
	assert_null(tlb_lookup(t, 0x200000, 0, R_SUP));
	assert_null(tlb_lookup(t, 0x3ff000, 0, R_SUP));
	assert_non_null(tlb_lookup(t, 0x400000, 0, R_SUP));
	tlb_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlb_basic),
	    cmocka_unit_test(test_tlb_pcid_and_flushes),
	    cmocka_unit_test(test_tlb_large_page_invlpg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
