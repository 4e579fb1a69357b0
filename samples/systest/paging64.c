/*
 * paging64.c - samples/systest: 4-level paging as the SDM guarantees it
 * (SDM Vol 3 ch. 4): accessed and dirty bits (§4.8), the page-fault error
 * code and CR2 (§4.7), reserved bits, NX (EFER.NXE), CR0.WP, SMEP and SMAP
 * (§4.6), and TLB invalidation (§4.10.4): only what the architecture
 * promises is tested -- a changed entry is used after INVLPG, after a CR3
 * load (non-global entries) and after toggling CR4.PGE (all entries).
 * Whether a stale entry is still used before that is left open by the SDM
 * (and differs between QEMU's TLB and hardware), so it is never printed.
 */
#include "samples/lib/printf.h"
#include "samples/systest/sys64.h"

#define P  0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A  0x20ull
#define D  0x40ull
#define PS 0x80ull
#define G  0x100ull
#define XD (1ull << 63)

extern char p_ret[];

static uint64_t pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Map TEST_VA page n to physical page `phys` with flags, and INVLPG it. */
static void map(unsigned n, uint64_t phys, uint64_t flags)
{
	pt_t[n] = phys | flags;
	invlpg(TEST_VA + n * 4096ull);
}

static void rd(uint64_t va)
{
	probe_addr = va;
	if (!RUN0(p_read))
		printf("  read 0x%lx\n", probe_val);
}

static void wr(uint64_t va)
{
	probe_addr = va;
	RUN0(p_write);
}

static void ex(uint64_t va)
{
	probe_addr = va;
	RUN0(p_exec);
}

void test_paging(void)
{
	uint64_t cr4 = rdcr4();

	printf("== paging: accessed and dirty\n");
	map(0, pa(tpage[0]), P | RW);
	printf("  pte before: A=%lu D=%lu\n", pt_t[0] >> 5 & 1, pt_t[0] >> 6 & 1);
	rd(TEST_VA);
	printf("  after read: A=%lu D=%lu pde.A=%lu\n", pt_t[0] >> 5 & 1, pt_t[0] >> 6 & 1,
	       pd_u[1] >> 5 & 1);
	wr(TEST_VA);
	printf("  after write: A=%lu D=%lu\n", pt_t[0] >> 5 & 1, pt_t[0] >> 6 & 1);
	map(0, pa(tpage[0]), P | RW | A); /* A set, D clear: a write must set D */
	wr(TEST_VA + 8);
	printf("  write to A=1 D=0: D=%lu\n", pt_t[0] >> 6 & 1);

	printf("== paging: faults and error codes\n");
	rd(UNMAPPED);
	wr(UNMAPPED + 0x123);
	map(1, 0, 0);
	rd(TEST_VA + 0x1ff8);
	map(2, pa(tpage[1]), P); /* read-only */
	rd(TEST_VA + 0x2000);
	wr(TEST_VA + 0x2010); /* CR0.WP = 1: even CPL 0 may not write */
	wrcr0(rdcr0() & ~(1ull << 16));
	wr(TEST_VA + 0x2010); /* WP = 0: it may */
	rd(TEST_VA + 0x2010);
	wrcr0(rdcr0() | 1ull << 16);
	/* A 2 MiB page with bit 13 set: reserved (bits 20:13 of a PDE with
	 * PS = 1 hold no address), so the fault has RSVD = 1. */
	pd_u[3] = 0x200000 | P | RW | PS | 1ull << 13;
	invlpg(TEST_VA + 0x400000);
	QEMU_DIFFERS();
	rd(TEST_VA + 0x400000);
	pd_u[3] = 0;
	invlpg(TEST_VA + 0x400000);

	printf("== paging: NX\n");
	tpage[2][0] = 0xc3; /* RET */
	map(3, pa(tpage[2]), P | RW);
	ex(TEST_VA + 0x3000);
	map(3, pa(tpage[2]), P | RW | XD);
	ex(TEST_VA + 0x3000);
	rd(TEST_VA + 0x3000);
	/* NXE = 0: bit 63 is reserved.  A TLB entry made with NXE = 1 may
	 * survive the WRMSR, so INVLPG first. */
	wrmsr64(0xC0000080, rdmsr64(0xC0000080) & ~(1ull << 11));
	invlpg(TEST_VA + 0x3000);
	QEMU_DIFFERS();
	rd(TEST_VA + 0x3000);
	wrmsr64(0xC0000080, rdmsr64(0xC0000080) | 1ull << 11);

	printf("== paging: CPL 3\n");
	map(4, pa(tpage[3]), P | US); /* read-only user page */
	RUNU(u_write_t, 0x2);
	RUNU(u_read_np, 0x2);
	wr(TEST_VA + 0x4000); /* CPL 0, WP = 1 */

	printf("== paging: SMEP and SMAP\n");
	ex(U(p_ret)); /* CPL 0 runs user code: fine without SMEP */
	wrcr4(cr4 | 1ull << 20);
	ex(U(p_ret));
	wrcr4(cr4);
	rd(U(tpage[1]));
	wrcr4(cr4 | 1ull << 21);
	rd(U(tpage[1]));
	probe_addr = U(tpage[1]);
	if (!RUN0(p_stac_read))
		printf("  read 0x%lx\n", probe_val);
	wrcr4(cr4);

	printf("== paging: TLB invalidation\n");
	tpage[4][0] = 'A';
	tpage[5][0] = 'B';
	map(5, pa(tpage[4]), P | RW);
	rd(TEST_VA + 0x5000);
	map(5, pa(tpage[5]), P | RW); /* INVLPG */
	rd(TEST_VA + 0x5000);
	pt_t[5] = pa(tpage[4]) | P | RW;
	reload_cr3();
	rd(TEST_VA + 0x5000);
	wrcr4(cr4 | 1ull << 7); /* PGE */
	map(5, pa(tpage[5]), P | RW | G);
	rd(TEST_VA + 0x5000);
	pt_t[5] = pa(tpage[4]) | P | RW | G;
	wrcr4(cr4); /* clearing PGE flushes global entries too */
	wrcr4(cr4 | 1ull << 7);
	rd(TEST_VA + 0x5000);
	map(5, pa(tpage[5]), P | RW | G); /* INVLPG drops a global entry */
	rd(TEST_VA + 0x5000);
	map(5, 0, 0);
	rd(TEST_VA + 0x5000);
	wrcr4(cr4);
}
