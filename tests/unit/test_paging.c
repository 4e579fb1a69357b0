/*
 * test_paging.c - unit tests of the page walkers (mmu/paging.c).  The soft
 * TLB (mmu/tlb.c) is tested in test_tlb.c; the CPU's segmentation and
 * access functions (cpu/mem.c) on a real bus in test_mem.c.
 *
 * The oracle is the SDM: every expected error code below is the one
 * SDM Vol 3 §4.7 prescribes for the situation, every reserved-bit case is a
 * row of Tables 4-4..4-20, and every A/D expectation is §4.8.  Page tables
 * are built by hand in a buffer that plays physical memory; the buffer's
 * own read/write counters check the walker's reference counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "devices/bus.h"
#include "lib/err.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"

/* ---- A buffer as physical memory ------------------------------------- */

#define PMEM_SIZE (64 * 4096)
static u8 pmem[PMEM_SIZE];
static unsigned nreads, nwrites;
static bool fail_reads;

static bool pm_read(void *o, u64 pa, unsigned size, u64 *v)
{
	nreads++;
	if (fail_reads || pa + size > PMEM_SIZE)
		return false;
	*v = 0;
	memcpy(v, pmem + pa, size);
	return true;
}

static bool pm_write(void *o, u64 pa, unsigned size, u64 v)
{
	nwrites++;
	assert_true(pa + size <= PMEM_SIZE);
	memcpy(pmem + pa, &v, size);
	return true;
}

static const struct pg_mem pm = {pm_read, pm_write, NULL};

static void put32(u64 pa, u32 v)
{
	memcpy(pmem + pa, &v, 4);
}
static void put64(u64 pa, u64 v)
{
	memcpy(pmem + pa, &v, 8);
}
static u64 get64(u64 pa)
{
	u64 v;
	memcpy(&v, pmem + pa, 8);
	return v;
}
static u32 get32(u64 pa)
{
	u32 v;
	memcpy(&v, pmem + pa, 4);
	return v;
}

static int reset_pmem(void **state)
{
	memset(pmem, 0, sizeof(pmem));
	nreads = nwrites = 0;
	fail_reads = false;
	return 0;
}

#define PG   BIT(31)
#define WP   BIT(16)
#define PSE  BIT(4)
#define PAE  BIT(5)
#define PGE  BIT(7)
#define SMEP BIT(20)
#define SMAP BIT(21)
#define LMA  (BIT(10) | BIT(8))
#define NXE  BIT(11)

static struct pg_ctx mkctx(u64 cr0, u64 cr3, u64 cr4, u64 efer, u8 cpl)
{
	struct pg_ctx x = {
	    .cr0 = cr0 | 1, .cr3 = cr3, .cr4 = cr4, .efer = efer, .cpl = cpl, .mem = &pm};
	return x;
}

/* Walk; return the error code, or -1 when the access is allowed. */
static long walk(struct pg_ctx *x, u64 lin, enum pg_access acc, unsigned flags, struct pg_walk *w)
{
	struct pg_walk tmp;
	if (!w)
		w = &tmp;
	enum pg_status st = mmu_walk(x, lin, acc, flags, w);
	assert_int_not_equal(st, PG_WALK_MEMFAULT);
	return st == PG_WALK_OK ? -1 : (long)w->err;
}

/* ---- 4-level fixture: lin L4 = PML4[1] PDPT[2] PD[3] PT[4] + 0x567 ---- */

#define L4_PML4 0x1000
#define L4_PDPT 0x2000
#define L4_PD	0x3000
#define L4_PT	0x4000
#define L4_LIN	((1ULL << 39) | (2ULL << 30) | (3ULL << 21) | (4ULL << 12) | 0x567)
#define L4_PTE	(L4_PT + 4 * 8)
#define FRAME	0xabcde000ULL

static void build_4level(u64 leaf_flags)
{
	put64(L4_PML4 + 1 * 8, L4_PDPT | 7);
	put64(L4_PDPT + 2 * 8, L4_PD | 7);
	put64(L4_PD + 3 * 8, L4_PT | 7);
	put64(L4_PTE, FRAME | leaf_flags);
}

static void test_no_paging(void **state)
{
	struct pg_ctx x = mkctx(0, 0, 0, 0, 3);
	struct pg_walk w;
	x.cr0 = 0;
	assert_int_equal(walk(&x, 0x12345678, PG_WRITE, 0, &w), -1);
	assert_int_equal(w.pa, 0x12345678);
	assert_int_equal(w.refs, 0);
	assert_int_equal(nreads, 0);
}

static void test_4level_4k_and_ad(void **state)
{
	struct pg_ctx x = mkctx(PG, L4_PML4, PAE, LMA, 0);
	struct pg_walk w;

	build_4level(7);
	/* First read: 4 entry reads + 4 A-bit writes; D stays clear. */
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, &w), -1);
	assert_int_equal(w.pa, FRAME | 0x567);
	assert_int_equal(w.page_size, 4096);
	assert_int_equal(w.nsteps, 4);
	assert_int_equal(w.steps[0].level, 4);
	assert_int_equal(w.steps[0].addr, L4_PML4 + 8);
	assert_int_equal(w.steps[3].addr, L4_PTE);
	assert_int_equal(nreads, 4);
	assert_int_equal(nwrites, 4);
	assert_int_equal(w.refs, nreads + nwrites);
	assert_int_equal(x.refs, 8);
	assert_true(get64(L4_PML4 + 8) & PTE_A);
	assert_true(get64(L4_PDPT + 16) & PTE_A);
	assert_true(get64(L4_PD + 24) & PTE_A);
	assert_true(get64(L4_PTE) & PTE_A);
	assert_false(get64(L4_PTE) & PTE_D);
	assert_false(w.dirty);

	/* Second read: A already set, so reads only. */
	nreads = nwrites = 0;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, &w), -1);
	assert_int_equal(nreads, 4);
	assert_int_equal(nwrites, 0);
	assert_int_equal(w.refs, 4);

	/* Write: D in the leaf only, one more reference. */
	nreads = nwrites = 0;
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, &w), -1);
	assert_int_equal(nwrites, 1);
	assert_int_equal(w.refs, 5);
	assert_true(get64(L4_PTE) & PTE_D);
	assert_false(get64(L4_PD + 24) & PTE_D);
	assert_true(w.dirty);
	assert_int_equal(x.walks, 3);
	assert_int_equal(x.refs, 8 + 4 + 5);
}

static void test_4level_large_pages(void **state)
{
	struct pg_ctx x = mkctx(PG, L4_PML4, PAE | PGE, LMA, 0);
	struct pg_walk w;

	/* 2 MiB page in PD[3], G and PAT (bit 12) and PCD set. */
	build_4level(7);
	put64(L4_PD + 3 * 8, 0x40000000ULL | PTE_PS | PTE_G | PTE_PAT_LARGE | PTE_PCD | 3);
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, &w), -1);
	assert_int_equal(w.page_size, 2 * MiB);
	assert_int_equal(w.pa, 0x40000000ULL | (L4_LIN & 0x1fffff));
	assert_true(w.global);
	assert_int_equal(w.memtype, 6);
	assert_int_equal(w.nsteps, 3);
	assert_true(get64(L4_PD + 24) & PTE_D);
	assert_false(w.user);

	/* PAT of a large page is bit 12; bit 7 there is PS. */
	put64(L4_PD + 3 * 8, 0x40000000ULL | PTE_PS | PTE_PWT | 3);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, &w), -1);
	assert_int_equal(w.memtype, 1);

	/* Address bits 20:13 of a 2 MiB PDE are reserved. */
	put64(L4_PD + 3 * 8, 0x40000000ULL | BIT(13) | PTE_PS | 3);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);

	/* 1 GiB page in PDPT[2]; bits 29:13 reserved. */
	put64(L4_PDPT + 2 * 8, 0x80000000ULL | PTE_PS | 7);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, &w), -1);
	assert_int_equal(w.page_size, 1 * GiB);
	assert_int_equal(w.pa, 0x80000000ULL | (L4_LIN & 0x3fffffff));
	assert_false(w.global); /* G not set in this leaf */
	/* G counts only with CR4.PGE. */
	put64(L4_PDPT + 2 * 8, 0x80000000ULL | PTE_PS | PTE_G | 7);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, &w), -1);
	assert_true(w.global);
	x.cr4 &= ~PGE;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, &w), -1);
	assert_false(w.global);
	x.cr4 |= PGE;
	put64(L4_PDPT + 2 * 8, 0x80000000ULL | BIT(21) | PTE_PS | 7);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);

	/* PS in a PML4E is reserved. */
	build_4level(7);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);
	put64(L4_PML4 + 8, L4_PDPT | PTE_PS | 7);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);
}

static void test_4level_reserved(void **state)
{
	struct pg_ctx x = mkctx(PG, L4_PML4, PAE, LMA, 0);

	/* MAXPHYADDR = 40: bit 39 is an address bit, bit 40 is reserved. */
	build_4level(7 | BIT(39));
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);
	build_4level(7 | BIT(40));
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);
	/* ... unless the context declares a wider MAXPHYADDR. */
	x.maxphyaddr = 46;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);
	x.maxphyaddr = 0;
	/* Bits 62:52 are ignored in 4-level paging. */
	build_4level(7 | BIT(55));
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);

	/* XD with EFER.NXE = 0 is reserved, at any level; error code as the
	 * access: user write -> P|W|U|RSVD = 0xF. */
	build_4level(7);
	put64(L4_PDPT + 16, L4_PD | 7 | PTE_XD);
	x.cpl = 3;
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), 0xf);
	/* With NXE the same entry is legal. */
	x.efer |= NXE;
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), -1);

	/* A reserved-bit fault leaves the A flags untouched. */
	build_4level(7 | BIT(45));
	put64(L4_PML4 + 8, L4_PDPT | 7);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), 0xd);
	assert_false(get64(L4_PML4 + 8) & PTE_A);
}

static void test_not_present_codes(void **state)
{
	struct pg_ctx x = mkctx(PG, L4_PML4, PAE, LMA | NXE, 0);
	struct pg_walk w;

	build_4level(7);
	for (int lvl = 0; lvl < 4; lvl++) {
		u64 addr[] = {L4_PML4 + 8, L4_PDPT + 16, L4_PD + 24, L4_PTE};
		u64 save = get64(addr[lvl]);
		put64(addr[lvl], save & ~PTE_P);
		x.cpl = 0;
		assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, &w), 0);
		assert_int_equal(w.nsteps, lvl + 1);
		assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), PFEC_W);
		assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), PFEC_I);
		x.cpl = 3;
		assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), PFEC_U);
		assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), PFEC_U | PFEC_W);
		assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), PFEC_U | PFEC_I);
		/* Implicit supervisor access at CPL 3: U/S = 0. */
		assert_int_equal(walk(&x, L4_LIN, PG_READ, PG_SYS, NULL), 0);
		put64(addr[lvl], save);
	}
	/* I/D is 0 without NXE and without SMEP. */
	x.efer &= ~NXE;
	x.cpl = 0;
	put64(L4_PTE, 0);
	assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), 0);
}

static void test_user_supervisor_wp(void **state)
{
	struct pg_ctx x = mkctx(PG, L4_PML4, PAE, LMA, 3);

	/* Supervisor page (U/S=0 in the PDE only): user read/write fault with P. */
	build_4level(7);
	put64(L4_PD + 24, L4_PT | 3);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), PFEC_P | PFEC_U);
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), PFEC_P | PFEC_U | PFEC_W);
	assert_false(get64(L4_PTE) & PTE_A); /* faulting access: no A */
	x.cpl = 0;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);

	/* Read-only (R/W=0 in the PDPTE only). */
	build_4level(7);
	put64(L4_PDPT + 16, L4_PD | 5);
	x.cpl = 3;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), PFEC_P | PFEC_U | PFEC_W);
	/* Supervisor write: allowed with CR0.WP = 0 (and sets D), not with WP = 1. */
	x.cpl = 0;
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), -1);
	assert_true(get64(L4_PTE) & PTE_D);
	x.cr0 |= WP;
	put64(L4_PTE, FRAME | 7);
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), PFEC_P | PFEC_W);
	assert_false(get64(L4_PTE) & PTE_D);
}

static void test_nx_smep_smap(void **state)
{
	struct pg_ctx x = mkctx(PG | WP, L4_PML4, PAE, LMA | NXE, 0);

	/* NX in the leaf: fetch faults with P|I (supervisor) / P|U|I (user). */
	build_4level(7 | PTE_XD);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);
	assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), PFEC_P | PFEC_I);
	x.cpl = 3;
	assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), PFEC_P | PFEC_U | PFEC_I);

	/* SMEP: supervisor fetch from a user page. */
	build_4level(7);
	x.cpl = 0;
	assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), -1);
	x.cr4 |= SMEP;
	assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), PFEC_P | PFEC_I);
	x.cpl = 3;
	assert_int_equal(walk(&x, L4_LIN, PG_FETCH, 0, NULL), -1);

	/* SMAP: explicit supervisor data access to a user page needs AC = 1;
	 * implicit ones never pass. */
	x.cr4 = PAE | SMAP;
	x.cpl = 0;
	x.ac = false;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), PFEC_P);
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), PFEC_P | PFEC_W);
	x.ac = true;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, 0, NULL), -1);
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), -1);
	assert_int_equal(walk(&x, L4_LIN, PG_READ, PG_SYS, NULL), PFEC_P);
	/* Implicit access from CPL 3 to a user page under SMAP: supervisor, P=1, U=0. */
	x.cpl = 3;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, PG_SYS, NULL), PFEC_P);
	/* AC = 1 with a read-only user page and WP = 1: write still faults. */
	x.cpl = 0;
	put64(L4_PTE, FRAME | 5);
	assert_int_equal(walk(&x, L4_LIN, PG_WRITE, 0, NULL), PFEC_P | PFEC_W);
	/* SMAP does not apply to supervisor pages. */
	put64(L4_PTE, FRAME | 3);
	x.ac = false;
	assert_int_equal(walk(&x, L4_LIN, PG_READ, PG_SYS, NULL), -1);
}

static void test_32bit(void **state)
{
	/* PD at 0x1000, PT at 0x2000; lin 0x00c03abc: PD[3] PT[3] */
	struct pg_ctx x = mkctx(PG, 0x1000, 0, 0, 0);
	struct pg_walk w;
	u64 lin = (3u << 22) | (3u << 12) | 0xabc;

	put32(0x1000 + 3 * 4, 0x2000 | 7);
	put32(0x2000 + 3 * 4, 0xfeed0000 | PTE_PS | PTE_PCD | 7); /* bit 7 = PAT in a PTE */
	assert_int_equal(walk(&x, lin, PG_WRITE, 0, &w), -1);
	assert_int_equal(w.pa, 0xfeed0abc);
	assert_int_equal(w.memtype, 6);
	assert_int_equal(nreads, 2);
	assert_int_equal(nwrites, 2); /* A on PDE, A|D on PTE */
	assert_int_equal(get32(0x1000 + 12), 0x2000 | 7 | PTE_A);
	assert_int_equal(get32(0x2000 + 12), 0xfeed0000 | PTE_PS | PTE_PCD | 7 | PTE_A | PTE_D);
	/* Upper 32 bits of the linear address are ignored (truncated). */
	assert_int_equal(walk(&x, lin | (1ULL << 40), PG_READ, 0, &w), -1);
	assert_int_equal(w.pa, 0xfeed0abc);

	/* 4 MiB page: PS in the PDE counts only with CR4.PSE. */
	put32(0x1000 + 3 * 4, 0x2000 | PTE_PS | 7);
	assert_int_equal(walk(&x, lin, PG_READ, 0, &w), -1);
	assert_int_equal(w.page_size, 4096); /* PS ignored: still via the PT */
	x.cr4 = PSE;
	put32(0x1000 + 3 * 4, 0xc0000000 | (0x12 << 13) | PTE_PS | 7);
	assert_int_equal(walk(&x, lin, PG_READ, 0, &w), -1);
	assert_int_equal(w.page_size, 4 * MiB);
	assert_int_equal(w.pa, 0x12c0000000ULL | (lin & 0x3fffff)); /* PSE-36 */
	/* Bit 21 of a 4 MiB PDE is reserved. */
	put32(0x1000 + 3 * 4, 0xc0000000 | BIT(21) | PTE_PS | 7);
	x.cpl = 3;
	assert_int_equal(walk(&x, lin, PG_WRITE, 0, NULL), PFEC_P | PFEC_W | PFEC_U | PFEC_RSVD);

	/* No XD in 32-bit paging: a fetch never reports I/D... unless SMEP. */
	put32(0x1000 + 3 * 4, 0);
	x.cpl = 0;
	assert_int_equal(walk(&x, lin, PG_FETCH, 0, NULL), 0);
	x.cr4 |= SMEP;
	assert_int_equal(walk(&x, lin, PG_FETCH, 0, NULL), PFEC_I);
	/* SMEP on a user 4 MiB page. */
	put32(0x1000 + 3 * 4, 0xc0000000 | PTE_PS | 7);
	assert_int_equal(walk(&x, lin, PG_FETCH, 0, NULL), PFEC_P | PFEC_I);
	x.cr4 &= ~SMEP;
	assert_int_equal(walk(&x, lin, PG_FETCH, 0, NULL), -1);
}

static void test_pae(void **state)
{
	/* PDPT at 0x1020 (32-byte aligned), PD at 0x2000, PT at 0x3000.
	 * lin 0x80604123: PDPTE[2] PDE[3] PTE[4]. */
	struct pg_ctx x = mkctx(PG, 0x1020, PAE, 0, 0);
	struct pg_walk w;
	u64 lin = (2ULL << 30) | (3 << 21) | (4 << 12) | 0x123;

	put64(0x1020 + 2 * 8, 0x2000 | 1);
	put64(0x2000 + 3 * 8, 0x3000 | 7);
	put64(0x3000 + 4 * 8, 0x123456000ULL | 7);
	assert_int_equal(walk(&x, lin, PG_READ, 0, &w), -1);
	assert_int_equal(w.pa, 0x123456123ULL);
	assert_int_equal(w.nsteps, 3);
	assert_int_equal(w.steps[0].level, 3);
	assert_int_equal(nreads, 3);
	assert_int_equal(nwrites, 2); /* no A bit in a PAE PDPTE */
	assert_int_equal(get64(0x1020 + 16), 0x2000 | 1);
	assert_true(mmu_pae_pdptes_ok(&x, 0x1020));

	/* PDPTE reserved bits: R/W (bit 1) is reserved there. */
	put64(0x1020 + 16, 0x2000 | 3);
	assert_int_equal(walk(&x, lin, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);
	assert_false(mmu_pae_pdptes_ok(&x, 0x1020));
	/* ... and XD, even with NXE. */
	put64(0x1020 + 16, 0x2000 | 1 | PTE_XD);
	x.efer = NXE;
	assert_int_equal(walk(&x, lin, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);
	put64(0x1020 + 16, 0x2000 | 1);

	/* Bits 62:52 are reserved in PAE (ignored in 4-level). */
	put64(0x3000 + 32, 0x123456000ULL | BIT(55) | 7);
	assert_int_equal(walk(&x, lin, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);
	/* XD with NXE: fetch fault, I/D set. */
	put64(0x3000 + 32, 0x123456000ULL | PTE_XD | 7);
	assert_int_equal(walk(&x, lin, PG_FETCH, 0, NULL), PFEC_P | PFEC_I);
	x.efer = 0;
	assert_int_equal(walk(&x, lin, PG_READ, 0, NULL), PFEC_P | PFEC_RSVD);

	/* 2 MiB page in the PD; PS always honoured in PAE. */
	put64(0x2000 + 24, 0x40000000ULL | PTE_PS | 7);
	assert_int_equal(walk(&x, lin, PG_READ, 0, &w), -1);
	assert_int_equal(w.page_size, 2 * MiB);
	assert_int_equal(w.pa, 0x40000000ULL | (lin & 0x1fffff));

	/* Not-present PDPTE: P=0 fault. */
	put64(0x1020 + 16, 0);
	assert_int_equal(walk(&x, lin, PG_WRITE, 0, NULL), PFEC_W);
	assert_true(mmu_pae_pdptes_ok(&x, 0x1020));
}

static void test_debug_and_memfault(void **state)
{
	struct pg_ctx x = mkctx(PG | WP, L4_PML4, PAE, LMA, 3);
	struct pg_walk w;

	/* Debug walk: no rights check, no A/D, success on a supervisor page. */
	build_4level(1);
	assert_int_equal(mmu_walk(&x, L4_LIN, PG_WRITE, PG_DEBUG, &w), PG_WALK_OK);
	assert_int_equal(nwrites, 0);
	assert_false(get64(L4_PTE) & PTE_A);
	assert_int_equal(w.pa, FRAME | 0x567);

	/* A paging-structure read that fails is a memory fault, not a #PF. */
	fail_reads = true;
	assert_int_equal(mmu_walk(&x, L4_LIN, PG_READ, 0, &w), PG_WALK_MEMFAULT);
	assert_int_equal(w.steps[0].addr, L4_PML4 + 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_no_paging, reset_pmem),
	    cmocka_unit_test_setup(test_4level_4k_and_ad, reset_pmem),
	    cmocka_unit_test_setup(test_4level_large_pages, reset_pmem),
	    cmocka_unit_test_setup(test_4level_reserved, reset_pmem),
	    cmocka_unit_test_setup(test_not_present_codes, reset_pmem),
	    cmocka_unit_test_setup(test_user_supervisor_wp, reset_pmem),
	    cmocka_unit_test_setup(test_nx_smep_smap, reset_pmem),
	    cmocka_unit_test_setup(test_32bit, reset_pmem),
	    cmocka_unit_test_setup(test_pae, reset_pmem),
	    cmocka_unit_test_setup(test_debug_and_memfault, reset_pmem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
