/*
 * test_paging.c - unit tests of the memory path: the page walkers
 * (mmu/paging.c), the soft TLB (mmu/tlb.c) and the CPU's segmentation and
 * access functions (cpu/mem.c).
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

/* ---- TLB ---------------------------------------------------------------- */

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

/* ---- cpu/mem.c on a real bus ------------------------------------------- */

#define RAM (4 * MiB)

struct rig {
	struct trace tr;
	struct bus bus;
	struct cpu c;
	u64 retired;
};

static struct rig *rig_new(void)
{
	struct rig *r = xcalloc(1, sizeof(*r));
	struct err e;

	trace_init(&r->tr);
	assert_int_equal(bus_init(&r->bus, RAM, &r->tr, &e), 0);
	assert_int_equal(bus_map_ram(&r->bus, 0, RAM, 0, &e), 0);
	cpu_init(&r->c, 0, &r->bus, &r->tr, &r->retired);
	return r;
}

static void rig_free(struct rig *r)
{
	cpu_fini(&r->c);
	bus_destroy(&r->bus);
	free(r);
}

/* Run stmt; return the exception vector it raised, or -1. */
#define CATCH(c, stmt)                                                                             \
	({                                                                                         \
		volatile int r_ = -1;                                                              \
		(c)->fault_jmp_set = true;                                                         \
		if (setjmp((c)->fault_jmp) == 0) {                                                 \
			stmt;                                                                      \
		} else {                                                                           \
			r_ = (c)->pending_vector;                                                  \
		}                                                                                  \
		(c)->fault_jmp_set = false;                                                        \
		r_;                                                                                \
	})

static u64 ram64(struct rig *r, u64 pa)
{
	u64 v;
	memcpy(&v, r->bus.ram + pa, 8);
	return v;
}
static void setram64(struct rig *r, u64 pa, u64 v)
{
	memcpy(r->bus.ram + pa, &v, 8);
}

static void test_cpu_real_mode(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;

	cpu_load_seg_real(c, SEG_DS, 0x1000);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x10, 4, 0xdeadbeef)), -1);
	assert_int_equal(*(u32 *)(r->bus.ram + 0x10010), 0xdeadbeef);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0x10, 2), 0xbeef)), -1);
	/* A word at offset 0xFFFF runs past the 64 KiB limit: #GP(0), #SS(0) on SS. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xffff, 2)), EXC_GP);
	assert_int_equal(c->pending_error, 0);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_SS, 0xffff, 2)), EXC_SS);
	/* PUSH with SP = 0 wraps to 0xFFFE inside the segment. */
	cpu_load_seg_real(c, SEG_SS, 0x2000);
	c->gpr[RSP] = 0xabcd0000;
	assert_int_equal(CATCH(c, cpu_push(c, 2, 0x1234)), -1);
	assert_int_equal(c->gpr[RSP], 0xabcdfffe);
	assert_int_equal(*(u16 *)(r->bus.ram + 0x2fffe), 0x1234);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_pop(c, 2), 0x1234)), -1);
	assert_int_equal(c->gpr[RSP], 0xabcd0000);
	/* ... and a dword push at SP = 2 straddles the limit: #SS, RSP unchanged. */
	c->gpr[RSP] = 2;
	assert_int_equal(CATCH(c, cpu_push(c, 4, 1)), EXC_SS);
	assert_int_equal(c->gpr[RSP], 2);
	rig_free(r);
}

static void set_seg(struct cpu *c, enum sreg s, u64 base, u32 limit, u32 attr)
{
	c->seg[s].sel = 0x10;
	c->seg[s].base = base;
	c->seg[s].limit = limit;
	c->seg[s].attr = attr | SEGA_P | SEGA_S;
}

static void test_cpu_protected_segments(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;

	c->cr0 |= CR0_PE;
	set_seg(c, SEG_CS, 0, 0xffffffff, 0xb | SEGA_DB | SEGA_G);
	set_seg(c, SEG_SS, 0, 0xffffffff, 0x3 | SEGA_DB | SEGA_G);
	cpu_update_mode(c);
	assert_int_equal(c->mode, CPU_MODE_PROT32);

	/* Read-only data: reads fine, write #GP(0). */
	set_seg(c, SEG_DS, 0x100000, 0xfff, 0x1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xffc, 4)), -1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xffd, 4)), EXC_GP);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0, 1, 0)), EXC_GP);
	/* Execute-only code: read #GP; execute/read code: read ok, write #GP. */
	set_seg(c, SEG_ES, 0, 0xffff, 0x9);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_ES, 0, 1)), EXC_GP);
	set_seg(c, SEG_ES, 0, 0xffff, 0xb);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_ES, 0, 1)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_ES, 0, 1, 0)), EXC_GP);
	/* Unusable (null) selector. */
	c->seg[SEG_FS].attr = SEGA_UNUSABLE;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_FS, 0, 1)), EXC_GP);
	/* Expand-down, B=0: valid offsets limit+1 .. 0xFFFF. */
	set_seg(c, SEG_GS, 0x200000, 0x0fff, 0x7);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0x1000, 4, 5)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0xfff, 4, 5)), EXC_GP);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0xfffc, 4, 5)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0xfffd, 4, 5)), EXC_GP);
	/* Expand-down, B=1: up to 0xFFFFFFFF.  Stack segment faults are #SS. */
	set_seg(c, SEG_SS, 0, 0x0fff, 0x7 | SEGA_DB);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_SS, 0x10000, 4, 5)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_SS, 0x800, 4, 5)), EXC_SS);
	/* Flat segment: linear addresses wrap at 4 GiB... but the last byte
	 * past the limit is still a limit violation. */
	set_seg(c, SEG_DS, 0x1000, 0xffffffff, 0x3 | SEGA_DB | SEGA_G);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfffff000, 4, 0x77)), -1);
	assert_int_equal(*(u32 *)(r->bus.ram + 0), 0x77);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xfffffffe, 4)), EXC_GP);

	/* Alignment check at CPL 3 with CR0.AM and EFLAGS.AC. */
	c->cr0 |= CR0_AM;
	c->rflags |= FL_AC;
	c->cpl = 3;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x11, 4)), EXC_AC);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x10, 4)), -1);
	assert_int_equal(CATCH(c, cpu_read_lin(c, 0x11, 4, true)), -1);
	c->cpl = 0;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x11, 4)), -1);
	rig_free(r);
}

/* Long mode with 4-level tables in guest RAM:
 * PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000, identity-mapped
 * 4 KiB pages 0..2 MiB with flags given per page. */
static void long_mode(struct rig *r)
{
	struct cpu *c = &r->c;
	setram64(r, 0x1000, 0x2000 | 7);
	setram64(r, 0x2000, 0x3000 | 7);
	setram64(r, 0x3000, 0x4000 | 7);
	for (u64 i = 0; i < 512; i++)
		setram64(r, 0x4000 + i * 8, (i << 12) | 7);
	c->cr3 = 0x1000;
	c->cr4 = CR4_PAE;
	c->efer = EFER_LME | EFER_LMA | EFER_NXE;
	c->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET;
	set_seg(c, SEG_CS, 0, 0xffffffff, 0xb | SEGA_L);
	set_seg(c, SEG_SS, 0, 0xffffffff, 0x3);
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);
	assert_int_equal(c->mode, CPU_MODE_LONG64);
}

static void test_cpu_long_mode_paging(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;
	u64 pte5 = 0x4000 + 5 * 8;

	long_mode(r);
	/* A read fills the TLB but leaves D clear; the following write must
	 * re-walk so that D gets set. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5008, 8)), -1);
	assert_int_equal(ram64(r, pte5) & (PTE_A | PTE_D), PTE_A);
	u64 walks = c->tlb->stats.walks;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5010, 8)), -1);
	assert_int_equal(c->tlb->stats.walks, walks); /* a hit */
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x5010, 8, 0x1122334455667788)), -1);
	assert_int_equal(c->tlb->stats.walks, walks + 1);
	assert_int_equal(ram64(r, pte5) & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(ram64(r, 0x5010), 0x1122334455667788);
	/* The walk count as references: 4 reads + the D write. */
	assert_true(c->tlb->stats.walk_refs >= 5);

	/* Stale TLB until INVLPG: unmap page 5 in memory only. */
	setram64(r, pte5, 0);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5010, 8)), -1);
	cpu_tlb_flush_page(c, 0x5000);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5010, 8)), EXC_PF);
	assert_int_equal(c->cr2, 0x5010);
	assert_int_equal(c->pending_error, 0);

	/* Page-crossing write into a not-present page: nothing is written. */
	setram64(r, 0x4000 + 9 * 8, 0);
	memset(r->bus.ram + 0x8ff8, 0xaa, 8);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x8ffc, 8, 0)), EXC_PF);
	assert_int_equal(c->cr2, 0x9000);
	assert_int_equal(c->pending_error, PFEC_W);
	assert_int_equal(ram64(r, 0x8ff8), 0xaaaaaaaaaaaaaaaaULL);
	/* ... and once both pages are there, the bytes land on both. */
	setram64(r, 0x4000 + 9 * 8, 0x9000 | 7);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x8ffc, 8, 0x1122334455667788ULL)), -1);
	assert_int_equal(ram64(r, 0x8ff8), 0x55667788aaaaaaaaULL);
	assert_int_equal(*(u32 *)(r->bus.ram + 0x9000), 0x11223344);
	assert_int_equal(
	    CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0x8ffc, 8), 0x1122334455667788ULL)), -1);

	/* Read-only page with CR0.WP: RMW read reports a write fault. */
	setram64(r, pte5, 0x5000 | 5);
	cpu_tlb_flush_page(c, 0x5000);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	assert_int_equal(CATCH(c, cpu_rmw_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	assert_int_equal(c->pending_error, PFEC_P | PFEC_W);

	/* User mode: supervisor page -> P|U; NX page fetch -> P|U|I. */
	setram64(r, pte5, 0x5000 | 3);
	setram64(r, 0x4000 + 6 * 8, 0x6000 | 7 | PTE_XD);
	cpu_tlb_flush(c, true);
	c->cpl = 3;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	assert_int_equal(c->pending_error, PFEC_P | PFEC_U);
	u8 buf[16];
	assert_int_equal(CATCH(c, cpu_fetch_page(c, 0x6ff8, buf, 15)), EXC_PF);
	assert_int_equal(c->pending_error, PFEC_P | PFEC_U | PFEC_I);
	/* ... an implicit supervisor read of the same page passes. */
	assert_int_equal(CATCH(c, cpu_read_lin(c, 0x5000, 4, true)), -1);
	c->cpl = 0;
	/* Fetch stops at the end of the page. */
	assert_int_equal(CATCH(c, assert_int_equal(cpu_fetch_page(c, 0x7ff8, buf, 15), 8)), -1);

	/* Non-canonical: #GP(0), #SS(0) for SS; FS base applies. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x0000800000000000ULL, 1)), EXC_GP);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_SS, 0x0000800000000000ULL, 1)), EXC_SS);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x00007ffffffffffcULL, 8)), EXC_GP);
	c->seg[SEG_FS].base = 0x7000;
	c->seg[SEG_DS].base = 0x9000; /* ignored in 64-bit mode */
	*(u32 *)(r->bus.ram + 0x7010) = 0xcafe;
	*(u32 *)(r->bus.ram + 0x0010) = 0xf00d;
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_FS, 0x10, 4), 0xcafe)), -1);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0x10, 4), 0xf00d)), -1);

	/* 64-bit push/pop. */
	c->gpr[RSP] = 0x8000;
	assert_int_equal(CATCH(c, cpu_push(c, 8, 0x0123456789abcdefULL)), -1);
	assert_int_equal(c->gpr[RSP], 0x7ff8);
	assert_int_equal(ram64(r, 0x7ff8), 0x0123456789abcdefULL);

	/* Debug translate: no side effects. */
	u64 pa, before = ram64(r, 0x4000 + 10 * 8);
	assert_true(cpu_debug_translate(c, 0xaabc, &pa));
	assert_int_equal(pa, 0xaabc);
	assert_int_equal(ram64(r, 0x4000 + 10 * 8), before);
	assert_false(before & PTE_A);
	setram64(r, 0x4000 + 10 * 8, 0);
	assert_false(cpu_debug_translate(c, 0xaabc, &pa));
	rig_free(r);
}

static void test_cpu_tlb_coherence(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;
	u64 pte5 = 0x4000 + 5 * 8;

	long_mode(r);
	c->cr4 |= CR4_PCIDE | CR4_PGE;
	c->cr3 = 0x1000 | 1; /* PCID 1 */
	cpu_tlb_flush(c, true);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	setram64(r, pte5, 0);
	/* MOV CR3 with bit 63 set keeps PCID 1's entries. */
	cpu_tlb_mov_cr3(c, 0x1000 | 1 | BIT(63));
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	/* Bit 63 clear flushes them. */
	cpu_tlb_mov_cr3(c, 0x1000 | 1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	/* Global page survives a CR3 load, not a CR4.PGE toggle. */
	setram64(r, pte5, 0x5000 | 3 | PTE_G);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	setram64(r, pte5, 0);
	cpu_tlb_mov_cr3(c, 0x1000 | 1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	u64 old = c->cr4;
	c->cr4 &= ~CR4_PGE;
	cpu_tlb_mov_cr4(c, old);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	assert_true(r->tr.count[TRACE_TLB] >= 3);
	rig_free(r);
}

/* A tiny MMIO device that remembers the last access. */
static u64 mmio_last_off, mmio_last_val;
static unsigned mmio_last_size;
static u64 mmio_read(void *dev, u64 off, unsigned size)
{
	mmio_last_off = off;
	mmio_last_size = size;
	return 0x55 + off;
}
static void mmio_write(void *dev, u64 off, u64 v, unsigned size)
{
	mmio_last_off = off;
	mmio_last_val = v;
	mmio_last_size = size;
}
static const struct io_ops mmio_ops = {.name = "testdev", .read = mmio_read, .write = mmio_write};

static void test_cpu_mmio_and_ports(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;
	struct err e;

	assert_int_equal(bus_map_mmio(&r->bus, 0xfed00000, 0x1000, &mmio_ops, NULL, &e), 0);
	c->cr0 |= CR0_PE;
	set_seg(c, SEG_CS, 0, 0xffffffff, 0xb | SEGA_DB | SEGA_G);
	set_seg(c, SEG_DS, 0, 0xffffffff, 0x3 | SEGA_DB | SEGA_G);
	cpu_update_mode(c);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfed00010, 4), 0x65)), -1);
	assert_int_equal(mmio_last_off, 0x10);
	assert_int_equal(mmio_last_size, 4);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfed00020, 2, 0xbeef)), -1);
	assert_int_equal(mmio_last_val, 0xbeef);
	assert_int_equal(r->tr.count[TRACE_MMIO], 2);
	/* MMIO is never cached in the TLB. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xfed00010, 4)), -1);
	assert_int_equal(r->tr.count[TRACE_MMIO], 3);

	/* ROM: readable through the TLB, writes dropped by the bus. */
	static const u8 rom[8192] = {[0] = 0xea, [4096] = 0x5a};
	assert_int_equal(bus_map_rom(&r->bus, "rom", 0xfffe0000, rom, sizeof(rom), &e), 0);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfffe0000, 1), 0xea)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfffe0000, 1, 0x90)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfffe0ffe, 4, 0x90909090)), -1);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfffe0000, 1), 0xea)), -1);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfffe1000, 1), 0x5a)), -1);

	cpu_port_out(c, 0x80, 1, 0x12);
	(void)cpu_port_in(c, 0x81, 1);
	assert_int_equal(r->tr.count[TRACE_IO], 2);
	rig_free(r);
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
	    cmocka_unit_test(test_tlb_basic),
	    cmocka_unit_test(test_tlb_pcid_and_flushes),
	    cmocka_unit_test(test_tlb_large_page_invlpg),
	    cmocka_unit_test(test_cpu_real_mode),
	    cmocka_unit_test(test_cpu_protected_segments),
	    cmocka_unit_test(test_cpu_long_mode_paging),
	    cmocka_unit_test(test_cpu_tlb_coherence),
	    cmocka_unit_test(test_cpu_mmio_and_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
