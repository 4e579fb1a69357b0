/*
 * test_shadow_pt.c - the shadow page-table cache and its traces
 * (hypervisor/shadow_pt.c, vmm_paging.c; issue 8) against the guest's own
 * walk (vmm_guest_walk, itself checked against the MMU's walker in
 * test_shadow.c) and the SDM's rules for 32-bit paging (Vol 3 §4.3, §4.8).
 *
 * The VMM runs here without a guest CPU loop: the tests call its fault
 * entry (vmm_spt_fault, as vmm_entry does for a real #PF), its CR3 switch
 * and its own guest-memory writes (vmm_phys_write), and look at the shadow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cpu/mem.h"
#include "cpu/system.h"
#include "devices/bus.h"
#include "hypervisor/config.h"
#include "hypervisor/shadow_pt.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "tests/unit/vmm_rig.h"

#define PD_A 0x10000
#define PD_B 0x11000
#define PT_0 0x20000 /* page tables: PT_0 + k * 0x1000, k < 8 */
#define DATA 0x40000 /* data frames */

static int setup(void **state)
{
	(void)state;
	rig_init();
	m.v.cr3 = PD_A;
	return 0;
}

static void put(u32 pa, u32 v)
{
	assert_int_equal(bus_dma_write(&vm.board.bus, pa, &v, 4), 0);
}

static u32 get(u32 pa)
{
	u32 v = 0;

	bus_dma_read(&vm.board.bus, pa, &v, 4);
	return v;
}

/* A #PF of the real CPU at lin, as vmm_entry hands it over; true: hidden. */
static bool fault(u32 lin, u32 err)
{
	cpu.cr2 = lin;
	return vmm_spt_fault(&m, &cpu, &err);
}

static void set_cr3(u32 cr3)
{
	m.v.cr3 = cr3;
	vmm_spt_set_cr3(&m, &cpu);
}

static struct spt_view view(u32 lin)
{
	struct spt_view v;

	spt_view(&m, lin, &v);
	return v;
}

/* Two spaces sharing PT_0 for 0-4 MiB; A maps 4 MiB+ through PT_0+0x1000,
 * B through PT_0+0x2000. */
static void two_spaces(void)
{
	put(PD_A, PT_0 | 7);
	put(PD_B, PT_0 | 7);
	put(PD_A + 4, (PT_0 + 0x1000) | 7);
	put(PD_B + 4, (PT_0 + 0x2000) | 7);
	for (u32 j = 0; j < 16; j++) {
		put(PT_0 + j * 4, (DATA + j * 0x1000) | 7);
		put(PT_0 + 0x1000 + j * 4, (DATA + j * 0x1000) | 7);
		put(PT_0 + 0x2000 + j * 4, (DATA + (15 - j) * 0x1000) | 7);
	}
	vmm_spt_enable(&m, &cpu);
}

static void cache_hit_on_switch_back(void **state)
{
	two_spaces();
	assert_true(fault(0x400000, 0));
	assert_true(view(0x400000).s_ok);
	set_cr3(PD_B);
	assert_false(view(0x400000).s_ok); /* B's own, empty shadow */
	assert_true(fault(0x400000, 0));
	assert_int_equal(view(0x400000).s_pa, DATA + 15 * 0x1000);
	set_cr3(PD_A);
	/* The hit kept A's entry: no new hidden fault is needed. */
	assert_true(view(0x400000).s_ok);
	assert_int_equal(view(0x400000).s_pa, DATA);
	assert_int_equal(m.stats.spt_hits, 1);
	assert_int_equal(m.stats.spt_misses, 2);
	assert_int_equal(m.stats.pf_hidden, 2);
}

static void lru_eviction_is_bounded(void **state)
{
	two_spaces();
	/* SPT_CACHE_MAX + 3 address spaces, each a copy of A's directory. */
	for (u32 k = 0; k < SPT_CACHE_MAX + 3; k++) {
		u32 pd = 0x80000 + k * 0x1000;

		put(pd, PT_0 | 7);
		set_cr3(pd);
		assert_true(fault(0x1000, 0));
	}
	assert_int_equal(m.stats.spt_evictions, 4); /* A's and 3 more */
	assert_true(view(0x1000).cached <= SPT_CACHE_MAX);
	set_cr3(0x80000); /* the oldest of the copies: evicted */
	assert_int_equal(m.stats.spt_hits, 0);
	set_cr3(0x80000 + (SPT_CACHE_MAX + 2) * 0x1000); /* the newest: cached */
	assert_int_equal(m.stats.spt_hits, 1);
	assert_true(view(0x1000).s_ok);
}

static void trace_zaps_every_cached_shadow(void **state)
{
	two_spaces();
	assert_true(fault(0x3000, 0)); /* through the shared PT_0, in A */
	set_cr3(PD_B);
	assert_true(fault(0x3000, 0)); /* and in B */
	/* Setting A/D only (what the walk itself does) keeps the entries. */
	assert_true(vmm_phys_write(&m, PT_0 + 3 * 4, &(u32){get(PT_0 + 12) | PTE_A | PTE_D}, 4));
	assert_true(view(0x3000).s_ok);
	/* A real change reaches both shadows. */
	assert_true(vmm_phys_write(&m, PT_0 + 3 * 4, &(u32){(DATA + 0x9000) | 7}, 4));
	assert_false(view(0x3000).s_ok);
	set_cr3(PD_A);
	assert_false(view(0x3000).s_ok);
	assert_true(fault(0x3000, 0));
	assert_int_equal(view(0x3000).s_pa, DATA + 0x9000);
	assert_int_equal(m.stats.spt_syncs, 2);
	/* A PDE write drops the shadow page table built from it. */
	assert_true(fault(0x400000, 0));
	assert_true(vmm_phys_write(&m, PD_A + 4, &(u32){(PT_0 + 0x2000) | 7}, 4));
	assert_false(view(0x400000).s_ok);
	assert_true(fault(0x400000, 0));
	assert_int_equal(view(0x400000).s_pa, DATA + 15 * 0x1000);
}

static void traced_frames_are_read_only(void **state)
{
	two_spaces();
	/* Map PT_0 itself at 0x5000 -- first made writable (dirty), then
	 * traced when a shadow page table is built from it. */
	put(PD_A + 8, (PT_0 + 0x3000) | 7);
	put(PT_0 + 0x3000, PT_0 | 0x67); /* P W U A D */
	assert_true(fault(0x800000, 2)); /* a write: W in the shadow */
	assert_true(view(0x800000).spte & PTE_W);
	assert_true(fault(0x0, 0)); /* builds a shadow PT from PT_0 */
	assert_false(view(0x800000).spte & PTE_W);
	assert_int_equal(m.stats.spt_protects, 1);
	assert_true(view(0x800000).traced);
	/* The directory maps itself: its frame is traced from the start. */
	put(PD_A + 0x300 * 4, PD_A | 3);
	assert_true(fault(0xC0000000 + 0x300 * 0x1000, 0));
	assert_false(view(0xC0000000 + 0x300 * 0x1000).spte & PTE_W);
	assert_true(view(0xC0000000 + 0x300 * 0x1000).g_w);
}

static void hostile_tables_give_true_faults(void **state)
{
	two_spaces();
	put(PT_0 + 20 * 4, (u32)VMM_AREA_BASE | 7); /* the VMM's region */
	put(PT_0 + 21 * 4, (u32)(VMM_AREA_BASE + VMM_SPT_POOL_OFF) | 7);
	put(PD_A + 12, 0xF0000000u | 7); /* a page table outside RAM */
	for (u32 e = 0; e < 8; e++) {
		assert_false(fault(20 * 4096, e));
		assert_false(fault(21 * 4096, e));
		assert_false(fault(0xC00000 + 0x1000, e));
		assert_false(view(20 * 4096).s_ok);
		assert_false(view(21 * 4096).s_ok);
	}
	assert_int_equal(m.stats.pf_true, 24);
	assert_int_equal(m.v.cr2, 0xC00000 + 0x1000);
	assert_int_equal(m.fatal[0], 0);
}

/*
 * Random tables and operations; after each, every present entry of every
 * cached shadow must grant no more than the guest's tables grant now (the
 * invariant of shadow_pt.c), and never map the VMM's region.
 */
static void check_invariant(void)
{
	struct spt *s = m.spt;
	u64 saved = m.v.cr3;
	unsigned checked = 0;

	for (int k = 0; k < VMM_SPT_POOL_N; k++) {
		u32 *pd;

		if (s->page[k].kind != SPT_PD)
			continue;
		m.v.cr3 = s->page[k].cr3;
		pd = spt_table(&m, k);
		for (u32 i = 0; i < 1024; i++) {
			int t = spt_page_of(pd[i]);

			if (i == VMM_PDE || t < 0)
				continue;
			for (u32 j = 0; j < 1024; j++) {
				u32 e = spt_table(&m, t)[j], lin = i << 22 | j << 12, pa, gerr;
				bool w;

				if (!(e & PTE_P))
					continue;
				checked++;
				assert_false((u64)(e & ~0xfffu) >= VMM_AREA_BASE);
				assert_true(
				    vmm_guest_walk(&m, lin, false, false, false, &pa, &w, &gerr));
				assert_int_equal(pa & ~0xfffu, e & ~0xfffu);
				if (e & PTE_W) {
					assert_true(w); /* writable and dirty */
					assert_false(spt_is_traced(&m, pa >> 12));
				}
				if (e & PTE_U)
					assert_true(vmm_guest_walk(&m, lin, false, true, false, &pa,
								   &w, &gerr));
			}
		}
	}
	m.v.cr3 = saved;
	(void)checked;
}

static void random_ops_keep_shadows_coherent(void **state)
{
	static const u32 pds[3] = {PD_A, PD_B, 0x12000};
	unsigned hidden = 0, truef = 0;

	two_spaces();
	srand(88);
	for (int round = 0; round < 20000; round++) {
		u32 r = (u32)rand(), lin = (r & 3) << 22 | ((r >> 2) & 7) << 12;
		u32 val, where;

		switch ((r >> 8) % 4) {
		case 0: { /* an access: hidden or true fault (a write to a traced
			   * page would need a guest instruction: the guests test that) */
			u32 err = (r >> 12) & 6, pa, gerr;
			bool w;

			if ((err & 2) &&
			    (!vmm_guest_walk(&m, lin, true, err & 4, false, &pa, &w, &gerr) ||
			     pa < DATA))
				err &= ~2u;
			if (fault(lin, err))
				hidden++;
			else
				truef++;
			break;
		}
		case 1: /* a guest table entry: a PDE, or a PTE of some PT */
			if (r & 0x10000)
				where = pds[(r >> 17) % 3] + ((r >> 19) & 3) * 4;
			else
				where = PT_0 + ((r >> 17) & 7) * 0x1000 + ((r >> 20) & 7) * 4;
			switch ((r >> 23) & 7) {
			case 0: val = 0; break;
			case 1: val = pds[(r >> 26) % 3] | (r & 0x67); break; /* self/other PD */
			case 2: val = (u32)VMM_AREA_BASE | 7; break;
			case 3: val = 0xF0000000u | 7; break;
			case 4: val = get(where) | PTE_A | PTE_D; break;
			default: val = (PT_0 + ((r >> 26) & 7) * 0x1000) | (r & 0x67) | 1; break;
			}
			vmm_phys_write(&m, where, &val, 4);
			break;
		case 2: set_cr3(pds[(r >> 12) % 3]); break;
		default: vmm_spt_invlpg(&m, &cpu, lin); break;
		}
		check_invariant();
	}
	/* Not vacuous: both kinds of fault, syncs and cache hits happened. */
	assert_true(hidden > 500 && truef > 1000);
	assert_true(m.stats.spt_syncs > 100 && m.stats.spt_hits > 100);
	assert_int_equal(m.fatal[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(cache_hit_on_switch_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(lru_eviction_is_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(trace_zaps_every_cached_shadow, setup, teardown),
	    cmocka_unit_test_setup_teardown(traced_frames_are_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(hostile_tables_give_true_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(random_ops_keep_shadows_coherent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
