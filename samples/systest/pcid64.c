/*
 * pcid64.c - samples/systest: 1 GiB pages, process-context identifiers and
 * INVPCID (SDM Vol 3 §4.5 Table 4-16, §4.10.1, §4.10.4.1; Vol 2 "INVPCID",
 * "MOV to CR3/CR4").  As in paging64.c only what the architecture promises
 * is printed: a changed entry is used after the invalidation that must drop
 * it; whether a stale one survives before that is never shown.
 */
#include "samples/lib/printf.h"
#include "samples/systest/sys64.h"

#define P  0x1ull
#define RW 0x2ull
#define PS 0x80ull
#define G  0x100ull

#define CR4_PCIDE (1ull << 17)
#define VA_1G	  0xc0000000ull /* PDPT slot 3: one 1 GiB page */

static uint64_t pa(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t rdcr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static void wrcr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

/* INVPCID type, {pcid, linear address} (66 0F 38 82 /r). */
static void invpcid(uint64_t type, uint64_t pcid, uint64_t lin)
{
	struct {
		uint64_t pcid, lin;
	} d = {pcid, lin};
	__asm__ volatile("invpcid %0, %1" : : "m"(d), "r"(type) : "memory");
}

/* CPUID.(EAX=7,ECX=0):EBX[10]: is INVPCID there?  (QEMU 7.2's TCG raises
 * #UD for it, so the INVPCID lines are judged by the SDM: sdm64.expect.) */
static int has_invpcid(void)
{
	uint32_t a = 7, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b >> 10 & 1;
}

static char peek(uint64_t va)
{
	return *(volatile char *)(uintptr_t)va;
}

/* Point TEST_VA page 6 at tpage[n] (no invalidation: the caller's job). */
static void point(int n, uint64_t flags)
{
	pt_t[6] = pa(tpage[n]) | P | RW | flags;
}

void test_pcid(void)
{
	uint64_t cr3 = rdcr3(), cr4 = rdcr4();
	const uint64_t va = TEST_VA + 6 * 4096ull;

	printf("== paging: a 1 GiB page\n");
	tpage[6][0] = 'G';
	pdpt[3] = 0 | P | RW | PS; /* physical 0 .. 1 GiB */
	invlpg(VA_1G + pa(tpage[6]));
	printf("  through the 1 GiB page: '%c'\n", peek(VA_1G + pa(tpage[6])));
	pdpt[3] = 0;
	invlpg(VA_1G + pa(tpage[6]));

	printf("== paging: PCID\n");
	tpage[4][0] = 'A';
	tpage[5][0] = 'B';
	wrcr4(cr4 | CR4_PCIDE); /* CR3[11:0] = 0: allowed */
	printf("  CR4.PCIDE=%lu CR3 PCID=%lu\n", rdcr4() >> 17 & 1, rdcr3() & 0xfff);
	wrcr3(cr3 | 5); /* PCID 5 */
	printf("  CR3 with PCID: PCID=%lu\n", rdcr3() & 0xfff);
	if (has_invpcid()) {
		point(4, 0);
		invpcid(0, 5, va);
		QEMU_DIFFERS();
		printf("  after INVPCID 0 (address): '%c'\n", peek(va));
		point(5, 0);
		invpcid(0, 5, va);
		QEMU_DIFFERS();
		printf("  changed, INVPCID 0: '%c'\n", peek(va));
		point(4, 0);
		invpcid(1, 5, 0);
		QEMU_DIFFERS();
		printf("  changed, INVPCID 1 (context): '%c'\n", peek(va));
		point(5, G);
		invpcid(2, 0, 0);
		QEMU_DIFFERS();
		printf("  global, INVPCID 2 (all): '%c'\n", peek(va));
		point(4, 0);
		invpcid(2, 0, 0);
		QEMU_DIFFERS();
		printf("  changed, INVPCID 2: '%c'\n", peek(va));
		point(5, 0);
		invpcid(3, 0, 0);
		QEMU_DIFFERS();
		printf("  changed, INVPCID 3 (all but global): '%c'\n", peek(va));
	} else {
		for (int k = 0; k < 6; k++) {
			QEMU_DIFFERS();
			printf("  INVPCID not advertised\n");
		}
	}
	/* Bit 63 of a CR3 source is not stored in CR3.  QEMU 7.2's TCG takes
	 * it as an address bit and hangs; a CPU without INVPCID stands in for
	 * "no full PCID support" here, and the line is judged by the SDM. */
	QEMU_DIFFERS();
	if (has_invpcid()) {
		wrcr3(cr3 | 7 | 1ull << 63);
		printf("  CR3 after a no-flush load: PCID=%lu bit63=%lu\n", rdcr3() & 0xfff,
		       rdcr3() >> 63);
	} else {
		printf("  INVPCID not advertised\n");
	}
	point(4, 0);
	wrcr3(cr3 | 7); /* a plain load flushes PCID 7's entries */
	printf("  changed, CR3 load: '%c'\n", peek(va));
	wrcr3(cr3);
	wrcr4(cr4); /* clearing PCIDE flushes everything */
	pt_t[6] = 0;
	invlpg(va);
	printf("  PCIDE off again: CR4.PCIDE=%lu\n", rdcr4() >> 17 & 1);
}
