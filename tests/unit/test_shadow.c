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

#include <stdlib.h>
#include <string.h>

#include "cpu/segment.h"
#include "devices/bus.h"
#include "hypervisor/config.h"
#include "hypervisor/shadow.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "mmu/paging.h"

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
	/* A non-present code/data descriptor keeps everything but DPL 0 -> 1:
	 * the CPU checks DPL before P (#GP before #NP, SDM Vol 2 MOV). */
	assert_int_equal(shadow_desc(CODE0 & ~(1ULL << 47), VMM_AREA_BASE),
			 (CODE0 & ~(1ULL << 47)) | (1ULL << 45));
	assert_int_equal(shadow_desc(0, VMM_AREA_BASE), 0);
}

/* ---- the VMM's guest walk (vmm_paging.c) against the MMU's (mmu/paging.c) --- */

#define GMEM (64 * 4096)
static struct vm_config gcfg = {.mem_size = GMEM};
static struct vm gvm;

static bool gm_read(void *o, u64 pa, unsigned size, u64 *v)
{
	*v = 0;
	return bus_dma_read(&gvm.board.bus, pa, v, size) == 0;
}

static bool gm_write(void *o, u64 pa, unsigned size, u64 v)
{
	return bus_dma_write(&gvm.board.bus, pa, &v, size) == 0;
}

static const struct pg_mem gmem = {gm_read, gm_write, NULL};

/*
 * Random 32-bit page tables (PD at 0x1000, PTs at 0x2000..0x5000, 4 MiB
 * pages with CR4.PSE), random accesses; both walkers start from the same
 * memory and must agree on the outcome, the physical address, the error
 * code and every A/D bit they set (the MMU is vmlab's oracle-tested one:
 * tests/unit/test_paging.c against the SDM, difftest against the host).
 */
static void guest_walk_matches_mmu(void **state)
{
	struct err e = {""};
	static u8 snap[GMEM], after[GMEM];
	struct vmm m = {0};

	gvm.cfg = &gcfg;
	int outcomes[2] = {0, 0};

	assert_int_equal(board_init(&gvm.board, GMEM, &gvm.trace, &e), 0);
	assert_int_equal(bus_map_ram(&gvm.board.bus, 0, GMEM, 0, &e), 0);
	m.vm = &gvm;
	srand(8);
	for (int round = 0; round < 4000; round++) {
		bool wp = rand() & 1, pse = rand() & 1, write = rand() & 1, user = rand() & 1;
		u32 lin = (u32)(rand() & 3) << 22 | (u32)(rand() & 7) << 12 | (u32)(rand() & 0xfff);
		u32 pa = 0, gerr = 0;
		bool w, ok;
		struct pg_walk pw;
		struct pg_ctx ctx = {.cr0 = CR0_PE | CR0_PG | (wp ? CR0_WP : 0),
				     .cr3 = 0x1000,
				     .cr4 = pse ? CR4_PSE : 0,
				     .cpl = user ? 3 : 0,
				     .mem = &gmem};

		for (u32 k = 0; k < 4; k++) {
			u32 pde = (0x2000 + k * 0x1000) | (rand() & 0x67) | ((rand() & 3) ? 1 : 0);

			if ((rand() & 3) == 0)
				pde = (k << 22) | 0x80 | (rand() & 0x67) | 1; /* 4 MiB page */
			bus_dma_write(&gvm.board.bus, 0x1000 + k * 4, &pde, 4);
			for (u32 j = 0; j < 8; j++) {
				u32 pte = (0x8000 + j * 0x1000) | (rand() & 0x67) |
					  ((rand() & 3) ? 1 : 0);

				bus_dma_write(&gvm.board.bus, 0x2000 + k * 0x1000 + j * 4, &pte, 4);
			}
		}
		m.v.cr0 = ctx.cr0;
		m.v.cr3 = ctx.cr3;
		m.v.cr4 = ctx.cr4;
		bus_dma_read(&gvm.board.bus, 0, snap, GMEM);
		ok = vmm_guest_walk(&m, lin, write, user, true, &pa, &w, &gerr);
		bus_dma_read(&gvm.board.bus, 0, after, GMEM);
		bus_dma_write(&gvm.board.bus, 0, snap, GMEM);
		if (mmu_walk(&ctx, lin, write ? PG_WRITE : PG_READ, 0, &pw) == PG_WALK_MEMFAULT) {
			/* A table outside RAM (PS ignored without PSE): the VMM
			 * can only refuse it. */
			assert_false(ok);
			continue;
		}
		assert_int_equal(ok, pw.status == PG_WALK_OK);
		outcomes[ok]++;
		if (ok) {
			assert_int_equal(pa, pw.pa);
			/* Writable in the shadow only once dirty. */
			assert_int_equal(w, pw.writable && pw.dirty);
		} else {
			assert_int_equal(gerr, pw.err);
		}
		bus_dma_read(&gvm.board.bus, 0, snap, GMEM);
		assert_memory_equal(snap, after, GMEM);
	}
	/* Not vacuous: both translations and faults were compared. */
	assert_true(outcomes[0] > 500 && outcomes[1] > 500);
	board_destroy(&gvm.board);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(dpl0_becomes_1),	    cmocka_unit_test(dpl3_unchanged),
	    cmocka_unit_test(flat_limit_truncated), cmocka_unit_test(small_segment_untouched),
	    cmocka_unit_test(system_and_absent),    cmocka_unit_test(guest_walk_matches_mmu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
