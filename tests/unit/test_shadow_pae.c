/*
 * test_shadow_pae.c - PAE shadow page tables (hypervisor/shadow_pae.c,
 * vmm_paging.c; issue 8) and CR0.WP = 0 under shadows, against two
 * oracles that are not the shadow code: the MMU's own walker
 * (mmu/paging.c) run over the GUEST's tables with the guest's control
 * registers (what the guest's CPU allows), and the same walker run over
 * the SHADOW with the real CPU's registers (what the real CPU grants).
 * SDM Vol 3 §4.4 PAE paging, §4.6 access rights, §4.7 error codes, §4.8 A/D.
 *
 * The VMM runs without a guest CPU loop, as in test_shadow_pt.c: the tests
 * call its #PF entry (vmm_spt_fault), its CR3 switch, its own guest-memory
 * writes (vmm_phys_write), and look at the shadow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mmu/paging.h" /* first: shadow_pt.h redefines PTE_P/A/D as macros */

#include "cpu/mem.h"
#include "cpu/system.h"
#include "devices/bus.h"
#include "hypervisor/config.h"
#include "hypervisor/shadow_pt.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"
#include "tests/unit/vmm_rig.h"

#define PDPT_A 0x10000 /* two PDPTs in one frame: 32-byte aligned */
#define PDPT_B 0x10020
#define PD_0   0x11000 /* page directories: PD_0 + k * 0x1000, k < 4 */
#define PT_0   0x20000 /* page tables: PT_0 + k * 0x1000, k < 8 */
#define DATA   0x40000 /* data frames */
#define XD     (1ULL << 63)

static int setup(void **state)
{
	(void)state;
	rig_init();
	m.v.cr4 = CR4_PAE;
	m.v.cr3 = PDPT_A;
	return 0;
}

static void put64(u32 pa, u64 v)
{
	assert_true(vmm_phys_write(&m, pa, &v, 8));
}

static u64 get64(u32 pa)
{
	u64 v = 0;

	bus_dma_read(&vm.board.bus, pa, &v, 8);
	return v;
}

static bool fault(u32 lin, u32 err)
{
	cpu.cr2 = lin;
	return vmm_spt_fault(&m, &cpu, &err);
}

/* Fault and also return the error code the guest sees. */
static bool fault_err(u32 lin, u32 err, u32 *gerr)
{
	cpu.cr2 = lin;
	*gerr = err;
	return vmm_spt_fault(&m, &cpu, gerr);
}

/* The second oracle: the MMU walking the SHADOW as the real CPU does. */
static bool bus_rd(void *o, u64 pa, unsigned size, u64 *val)
{
	*val = 0;
	return bus_dma_read(&vm.board.bus, pa, val, size) == 0;
}

static bool real_walk(u32 lin, struct pg_walk *w)
{
	struct pg_mem mem = {.read = bus_rd, .opaque = NULL};
	struct pg_ctx ctx = {
	    .cr0 = cpu.cr0, .cr3 = cpu.cr3, .cr4 = cpu.cr4, .efer = cpu.efer, .mem = &mem};

	return mmu_walk(&ctx, lin, PG_READ, PG_DEBUG, w) == PG_WALK_OK;
}

/* Space A: 0-2 MiB as 4 KiB pages (PT_0), 2-4 MiB one 2 MiB user page,
 * 1 GiB + 0: PT_0+0x1000 with an XD page; space B (same frame) shares PD_0. */
static void sane_tables(void)
{
	put64(PDPT_A, PD_0 | 1);
	put64(PDPT_A + 8, (PD_0 + 0x1000) | 1);
	put64(PDPT_B, PD_0 | 1);
	put64(PD_0, PT_0 | 7);
	put64(PD_0 + 8, 0x200000 | 0x87); /* 2 MiB, user, writable */
	put64(PD_0 + 0x1000, (PT_0 + 0x1000) | 7);
	for (u32 j = 0; j < 16; j++) {
		put64(PT_0 + j * 8, (DATA + j * 0x1000) | 7);
		put64(PT_0 + 0x1000 + j * 8, (DATA + j * 0x1000) | 7 | (j & 1 ? XD : 0));
	}
}

static void pae_spaces(void)
{
	sane_tables();
	vmm_spt_enable(&m, &cpu);
}

static void pae_shadow_runs_the_real_cpu_in_pae(void **state)
{
	struct pg_walk w;
	u64 e;

	pae_spaces();
	assert_true(cpu.cr4 & CR4_PAE);
	assert_true(spt_active_pae(&m));
	/* The VMM's region is mapped from the start, to itself. */
	assert_true(real_walk((u32)VMM_AREA_BASE + 0x1234, &w));
	assert_int_equal(w.pa, VMM_AREA_BASE + 0x1234);
	assert_false(w.user);
	/* A hidden fault fills a 4 KiB page, one more a piece of the 2 MiB one. */
	assert_false(real_walk(0x3000, &w));
	assert_true(fault(0x3000, 0));
	assert_true(real_walk(0x3000, &w));
	assert_int_equal(w.pa, DATA + 0x3000);
	assert_true(fault(0x200000 + 0x5000, 4));
	assert_true(real_walk(0x205000, &w));
	assert_int_equal(w.pa, 0x205000);
	assert_true(w.user);
	/* A of the guest's 2 MiB PDE was set by the walk (SDM §4.8). */
	assert_true(get64(PD_0 + 8) & PTE_A);
	assert_false(get64(PD_0 + 8) & PTE_D);
	assert_true(spt_leaf_get(&m, 0x205000, &e));
	assert_false(e & PTE_W); /* D = 0: read-only until the first write */
	assert_int_equal(m.stats.pf_true, 0);
}

static void nx_is_carried_into_the_shadow(void **state)
{
	u32 lin = 0x40000000 + 0x1000, gerr; /* an XD page */
	u64 e;

	pae_spaces();
	/* Without EFER.NXE, XD is a reserved bit: RSVD fault, reflected. */
	assert_false(fault_err(lin, 0, &gerr));
	assert_int_equal(gerr, PFEC_P | PFEC_RSVD);
	cpu.efer |= EFER_NXE;
	vmm_spt_flush(&m, &cpu); /* what vmm_emul.c does on WRMSR */
	/* A fetch (the real CPU reports I with NXE): true fault, P|I. */
	assert_false(fault_err(lin, PFEC_I, &gerr));
	assert_int_equal(gerr, PFEC_P | PFEC_I);
	assert_int_equal(m.v.cr2, lin);
	/* A read: hidden; the shadow leaf says XD. */
	assert_true(fault(lin, 0));
	assert_true(spt_leaf_get(&m, lin, &e));
	assert_true(e & XD);
	assert_true(fault(lin + 0x1000, 0)); /* no XD there */
	assert_true(spt_leaf_get(&m, lin + 0x1000, &e));
	assert_false(e & XD);
	/* NXE off again: the XD shadow is rebuilt, never left to fault RSVD. */
	cpu.efer &= ~(u64)EFER_NXE;
	vmm_spt_flush(&m, &cpu);
	assert_false(spt_leaf_get(&m, lin, &e) && (e & PTE_P));
}

static void pdpte_write_zaps_but_keeps_the_vmm_slot(void **state)
{
	struct pg_walk w;
	u64 e;

	pae_spaces();
	assert_true(fault(0x3000, 0));
	assert_true(fault(0xC0000000 + 0x3000, 0) == false); /* PDPTE 3 not present */
	/* The guest points its PDPTE 3 at PD_0: a hidden fault fills it ... */
	put64(PDPT_A + 24, PD_0 | 1);
	assert_true(fault(0xC0000000 + 0x3000, 0));
	assert_true(real_walk(0xC0003000, &w));
	assert_int_equal(w.pa, DATA + 0x3000);
	/* ... and a write to PDPTE 0 zaps slot 0 only. */
	put64(PDPT_A, 0);
	assert_false(spt_leaf_get(&m, 0x3000, &e) && (e & PTE_P));
	assert_true(spt_leaf_get(&m, 0xC0003000, &e) && (e & PTE_P));
	/* Clearing PDPTE 3 zaps the guest's part of PD 3; the VMM's stays. */
	put64(PDPT_A + 24, 0);
	assert_false(spt_leaf_get(&m, 0xC0003000, &e) && (e & PTE_P));
	assert_true(real_walk((u32)VMM_AREA_BASE, &w));
	assert_int_equal(w.pa, VMM_AREA_BASE);
	/* The guest's own mapping of 0xFF000000 never reaches the VMM. */
	put64(PDPT_A + 24, PD_0 | 1);
	put64(PD_0 + VMM_PAE_PDE * 8, (PT_0 + 0x2000) | 7);
	put64(PT_0 + 0x2000, DATA | 7);
	assert_false(fault((u32)VMM_AREA_BASE, 0));
	assert_true(real_walk((u32)VMM_AREA_BASE, &w));
	assert_int_equal(w.pa, VMM_AREA_BASE);
	assert_int_equal(m.fatal[0], 0);
}

static void wp0_kernel_writes_read_only_pages(void **state)
{
	u32 lin = 0x5000, gerr;
	u64 e;

	m.v.cr0 &= ~(u64)CR0_WP;
	pae_spaces();
	put64(PT_0 + 5 * 8, (DATA + 0x5000) | 5); /* user, read-only */
	/* A kernel write: allowed (WP = 0), D set in the guest's PTE, the
	 * shadow entry writable but supervisor-only. */
	assert_true(fault(lin, PFEC_W));
	assert_true(get64(PT_0 + 5 * 8) & PTE_D);
	assert_true(spt_leaf_get(&m, lin, &e));
	assert_true((e & PTE_W) && !(e & PTE_US));
	assert_true(cpu.cr0 & CR0_WP); /* the real WP stays 1 */
	/* A user read: hidden, the entry goes back to user, read-only. */
	assert_true(fault(lin, PFEC_U | PFEC_P));
	assert_true(spt_leaf_get(&m, lin, &e));
	assert_true(!(e & PTE_W) && (e & PTE_US));
	/* A user write: the guest's own fault. */
	assert_false(fault_err(lin, PFEC_U | PFEC_W | PFEC_P, &gerr));
	assert_int_equal(gerr, PFEC_U | PFEC_W | PFEC_P);
	assert_int_equal(m.fatal[0], 0);
}

/*
 * The invariant of shadow_pt.c for every PAE root: each present shadow
 * leaf maps the frame the guest's walk gives now, grants no right the
 * guest's walk does not (write: guest-writable and dirty, or a kernel
 * write allowed by WP = 0 with U cleared; user; fetch), is never a
 * traced frame's writable mapping, has no reserved bit, and never points
 * into the VMM's region; the VMM's region stays mapped to itself.
 */
static unsigned check_invariant(void)
{
	struct spt *s = m.spt;
	u64 saved = m.v.cr3;
	unsigned checked = 0;

	for (int k = 0; k < VMM_SPT_POOL_N; k++) {
		u64 *root = (u64 *)spt_table(&m, k);

		if (s->page[k].kind != SPT_PD || !(s->page[k].mode & SPT_MODE_PAE))
			continue;
		m.v.cr3 = s->page[k].cr3;
		assert_true(spt_page_of((u32)root[VMM_PAE_PDPTE]) >= 0);
		for (u32 slot = 0; slot < 4; slot++) {
			int d = spt_page_of((u32)root[slot]);

			assert_int_equal(root[slot] & ~(u64)~0xfffu, root[slot] ? PTE_P : 0);
			if (d < 0)
				continue;
			for (u32 i = 0; i < 512; i++) {
				u64 pde = ((u64 *)spt_table(&m, d))[i];
				int t = spt_page_of((u32)pde);

				if (slot == VMM_PAE_PDPTE && i == VMM_PAE_PDE) {
					assert_int_equal(pde & PAE_ADDR,
							 VMM_AREA_BASE + VMM_SPT_AREA_PAE_PT_OFF);
					continue;
				}
				assert_true(!pde || t >= 0);
				if (t < 0)
					continue;
				for (u32 j = 0; j < 512; j++) {
					u64 e = ((u64 *)spt_table(&m, t))[j];
					u32 lin = slot << 30 | i << 21 | j << 12, gerr;
					struct spt_gwalk g;

					if (!(e & PTE_P))
						continue;
					checked++;
					assert_int_equal(e & ~(PAE_ADDR | 0xfffull | XD), 0);
					assert_true((e & PAE_ADDR) + 0x1000 <= VMM_AREA_BASE ||
						    (e & PAE_ADDR) >=
							VMM_AREA_BASE + VMM_AREA_SIZE);
					assert_true(spt_guest_walk(&m, lin, SPT_READ, false, false,
								   false, false, &g, &gerr));
					assert_int_equal(g.pa & ~0xfffull, e & PAE_ADDR);
					if (e & PTE_W) {
						assert_false(spt_is_traced(&m, (u32)(g.pa >> 12)));
						assert_true(g.dirty);
						assert_true(g.writable ||
							    (!(m.v.cr0 & CR0_WP) && !(e & PTE_US)));
					}
					if (e & PTE_US)
						assert_true(g.user);
					if (!(e & XD) && (cpu.efer & EFER_NXE))
						assert_false(g.nx);
				}
			}
		}
	}
	m.v.cr3 = saved;
	return checked;
}

static void random_hostile_tables_keep_pae_shadows_safe(void **state)
{
	static const u32 roots[3] = {PDPT_A, PDPT_B, PD_0 + 0x3000};
	unsigned hidden = 0, truef = 0, checked = 0;
	u64 syncs0;

	pae_spaces();
	syncs0 = m.stats.spt_syncs;
	srand(8086);
	for (int round = 0; round < 20000; round++) {
		u32 r = (u32)rand(), r2 = (u32)rand();
		u32 lin = (r & 3) << 30 | ((r >> 2) & 3) << 21 | ((r >> 4) & 7) << 12, where;
		u64 val;

		if (r2 & 0x800)
			lin &= ~0x80000000u; /* mostly slots 0 and 1 */
		if ((r2 & 63) == 0)
			lin = (u32)VMM_AREA_BASE + ((r2 >> 6) & 7) * 0x1000;
		switch ((r >> 8) % 5) {
		case 0:
		case 1: { /* an access (a write to a traced page needs a guest
			   * instruction: the guests test that) */
			u32 err = (r >> 12) & 6, gerr;
			struct spt_gwalk g;

			if (r2 & 0x100)
				err |= PFEC_I, err &= ~(u32)PFEC_W;
			if ((err & 2) && (!spt_guest_walk(&m, lin, SPT_WRITE, err & 4, false, false,
							  false, &g, &gerr) ||
					  g.pa < DATA))
				err &= ~2u;
			if (!(cpu.efer & EFER_NXE))
				err &= ~(u32)PFEC_I;
			if (fault(lin, err))
				hidden++;
			else
				truef++;
			break;
		}
		case 2: /* a guest entry: PDPTE, PDE or PTE, either half */
			if ((r2 & 15) == 0) {
				sane_tables(); /* now and then, usable tables again */
				break;
			}
			switch ((r >> 16) % 3) {
			case 0: where = roots[(r >> 18) % 3] + ((r >> 20) & 3) * 8; break;
			case 1:
				where = PD_0 + ((r >> 18) & 3) * 0x1000 + ((r >> 20) & 3) * 8;
				break;
			default:
				where = PT_0 + ((r >> 18) & 7) * 0x1000 + ((r >> 21) & 7) * 8;
				break;
			}
			switch ((r >> 23) & 7) {
			case 0: val = 0; break;
			case 1: val = (PD_0 + ((r2 >> 3) & 3) * 0x1000) | (r2 & 0xe7) | 1; break;
			case 2: val = VMM_AREA_BASE | 7; break;
			case 3: val = 0xF0000000u | 7; break;
			case 4: val = get64(where) | PTE_A | PTE_D; break;
			case 5: val = get64(where) ^ (r2 & 1 ? XD : 1ULL << 51); break;
			default: val = (PT_0 + ((r2 >> 3) & 7) * 0x1000) | (r2 & 0xe7) | 1; break;
			}
			if (r2 & 0x200) {
				u32 half = (u32)(val >> ((r2 & 0x400) ? 32 : 0));

				assert_true(
				    vmm_phys_write(&m, where + ((r2 & 0x400) ? 4 : 0), &half, 4));
			} else {
				put64(where, val);
			}
			break;
		case 3:
			if ((r2 & 7) == 0) {
				/* WRMSR EFER.NXE or MOV CR0.WP (vmm_emul.c) */
				if (r2 & 8)
					cpu.efer ^= EFER_NXE;
				else
					m.v.cr0 ^= CR0_WP;
				vmm_spt_flush(&m, &cpu);
			} else {
				m.v.cr3 = roots[(r >> 12) % 3];
				vmm_spt_set_cr3(&m, &cpu);
			}
			break;
		default: vmm_spt_invlpg(&m, &cpu, lin); break;
		}
		checked += check_invariant();
		assert_int_equal(m.fatal[0], 0);
	}
	print_message("hidden %u true %u syncs %llu hits %llu checked %u\n", hidden, truef,
		      (unsigned long long)(m.stats.spt_syncs - syncs0),
		      (unsigned long long)m.stats.spt_hits, checked);
	/* Not vacuous: both kinds of fault, syncs, hits, and many entries. */
	assert_true(hidden > 500 && truef > 1000);
	assert_true(m.stats.spt_syncs - syncs0 > 100 && m.stats.spt_hits > 100);
	assert_true(checked > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(pae_shadow_runs_the_real_cpu_in_pae, setup, teardown),
	    cmocka_unit_test_setup_teardown(nx_is_carried_into_the_shadow, setup, teardown),
	    cmocka_unit_test_setup_teardown(pdpte_write_zaps_but_keeps_the_vmm_slot, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(wp0_kernel_writes_read_only_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(random_hostile_tables_keep_pae_shadows_safe, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
