/*
 * paging32.c - samples/systest: 32-bit paging and PAE paging (SDM Vol 3
 * §4.3 32-bit paging with 4 KiB and 4 MiB (PSE) pages, §4.4 PAE paging
 * with 2 MiB pages and NX, §4.6 access rights: U/S, R/W, CR0.WP, SMEP,
 * SMAP, §4.7 page-fault error codes and CR2, §4.8 A/D bits, §4.10.4 TLB
 * invalidation by INVLPG, MOV CR3 and CR4.PGE).
 */
#include "samples/systest/sys32.h"

extern uint32_t probe_addr;

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt_t[1024] __attribute__((aligned(4096)));
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_k[512] __attribute__((aligned(4096)));
static uint64_t pae_u[512] __attribute__((aligned(4096)));
static uint64_t pae_t[512] __attribute__((aligned(4096)));
static uint8_t tpage[4][4096] __attribute__((aligned(4096)));

#define A(p)	 ((uint32_t)(uintptr_t)(p))
#define CR0_PG	 (1u << 31)
#define CR0_WP	 (1u << 16)
#define CR4_PSE	 (1u << 4)
#define CR4_PAE	 (1u << 5)
#define CR4_PGE	 (1u << 7)
#define CR4_SMEP (1u << 20)
#define CR4_SMAP (1u << 21)
#define EFL	 2u

static int at(const char *what, uint32_t va)
{
	probe_addr = va;
	(void)what;
	return 0;
}

static uint32_t peek(uint32_t va)
{
	return *(volatile uint32_t *)(uintptr_t)va;
}

static void legacy(void)
{
	printf("== 32-bit paging (4 KiB and 4 MiB pages)\n");
	for (unsigned i = 0; i < 16; i++)
		pd[i] = i << 22 | 0x83; /* 4 MiB, P, RW, supervisor */
	pd[USER_ALIAS >> 22] = 0x87;	/* user alias of 0..4 MiB */
	pd[TEST_VA >> 22] = A(pt_t) | 7;
	for (unsigned k = 0; k < 4; k++)
		tpage[k][0] = (uint8_t)(0xa0 + k), tpage[k][4095] = 0xc3; /* RET at the end */
	wrcr4(rdcr4() | CR4_PSE);
	wrcr3(A(pd));
	wrcr0(rdcr0() | CR0_PG);
	ubase = USER_ALIAS;

	at("np", TEST_VA);
	RUN0(p_read);
	RUN0(p_write);
	at("np", UNMAPPED + 0x123);
	RUN0(p_read);
	pt_t[0] = A(tpage[0]) | 1; /* present, read-only, supervisor */
	invlpg(TEST_VA);
	at("ro", TEST_VA);
	RUN0(p_read);
	printf("  read 0x%x\n", peek(TEST_VA) & 0xff);
	RUN0(p_write); /* WP = 0: supervisor writes ignore R/W */
	wrcr0(rdcr0() | CR0_WP);
	RUN0(p_write);
	RUNU(u_read, EFL);
	pt_t[0] |= 4; /* user, still read-only */
	invlpg(TEST_VA);
	RUNU(u_read, EFL);
	RUNU(u_write, EFL);
	pt_t[0] |= 2;
	invlpg(TEST_VA);
	RUNU(u_write, EFL);
	at("x", UNMAPPED + 0x2000);
	RUNU(u_exec, EFL);
	at("x", 0x100000);
	RUNU(u_exec, EFL); /* supervisor page from CPL 3 */

	printf("== A/D bits\n");
	pt_t[1] = A(tpage[1]) | 3;
	pd[TEST_VA >> 22] &= ~0x60u;
	invlpg(TEST_VA + 0x1000);
	printf("  before: pte=0x%x pde A=%u\n", pt_t[1] & 0x60, pd[TEST_VA >> 22] >> 5 & 1);
	(void)peek(TEST_VA + 0x1000);
	printf("  after read: pte=0x%x pde A=%u\n", pt_t[1] & 0x60, pd[TEST_VA >> 22] >> 5 & 1);
	*(volatile uint32_t *)(TEST_VA + 0x1000) = 0xa1;
	printf("  after write: pte=0x%x pde D=%u\n", pt_t[1] & 0x60, pd[TEST_VA >> 22] >> 6 & 1);
	pd[USER_ALIAS >> 22] &= ~0x60u;
	invlpg(USER_ALIAS);
	(void)peek(USER_ALIAS + 0x1000);
	printf("  4 MiB page after read: pde=0x%x\n", pd[USER_ALIAS >> 22] & 0x60);

	printf("== TLB invalidation\n");
	pt_t[2] = A(tpage[2]) | 3;
	invlpg(TEST_VA + 0x2000);
	printf("  read 0x%x\n", peek(TEST_VA + 0x2000) & 0xff);
	pt_t[2] = A(tpage[3]) | 3;
	invlpg(TEST_VA + 0x2000);
	printf("  after INVLPG 0x%x\n", peek(TEST_VA + 0x2000) & 0xff);
	pt_t[2] = A(tpage[2]) | 3;
	wrcr3(A(pd));
	printf("  after MOV CR3 0x%x\n", peek(TEST_VA + 0x2000) & 0xff);
	wrcr4(rdcr4() | CR4_PGE);
	pt_t[2] = A(tpage[3]) | 0x103; /* global */
	wrcr3(A(pd));
	printf("  global, after MOV CR3 0x%x\n", peek(TEST_VA + 0x2000) & 0xff);
	pt_t[2] = A(tpage[2]) | 0x103;
	wrcr4(rdcr4() & ~CR4_PGE); /* clearing PGE flushes global entries */
	printf("  after clearing CR4.PGE 0x%x\n", peek(TEST_VA + 0x2000) & 0xff);

	printf("== SMEP / SMAP\n");
	at("x", USER_ALIAS + A(tpage[0]) + 4095);
	wrcr4(rdcr4() | CR4_SMEP);
	RUN0(p_exec);
	wrcr4(rdcr4() & ~CR4_SMEP);
	RUN0(p_exec);
	at("r", USER_ALIAS + A(tpage[0]));
	wrcr4(rdcr4() | CR4_SMAP);
	RUN0(p_read);
	RUN0(p_read_ac);
	wrcr4(rdcr4() & ~CR4_SMAP);
	RUN0(p_read);

	wrcr0(rdcr0() & ~(CR0_PG | CR0_WP));
	ubase = 0;
}

static void pae(void)
{
	printf("== PAE paging (2 MiB pages, NX)\n");
	pdpt[0] = A(pae_k) | 1;
	pdpt[1] = A(pae_u) | 1;
	for (unsigned i = 0; i < 512; i++)
		pae_k[i] = (uint64_t)i << 21 | 0x83;
	pae_u[0] = 0x87; /* 1 GiB: user alias of 0..2 MiB */
	pae_u[1] = 0x200000 | 0x87;
	pae_u[2] = A(pae_t) | 7; /* 1 GiB + 4 MiB: 4 KiB test pages */
	pae_t[0] = A(tpage[0]) | 3;
	pae_t[1] = A(tpage[1]) | 3 | 1ull << 63; /* NX */
	wrcr4((rdcr4() | CR4_PAE) & ~CR4_PSE);
	wrcr3(A(pdpt));
	wrcr0(rdcr0() | CR0_PG);
	ubase = USER_ALIAS;

	at("x", TEST_VA + 4095);
	RUN0(p_exec);
	at("x", TEST_VA + 0x1000 + 4095);
	QEMU_DIFFERS();
	RUN0(p_exec); /* NX with EFER.NXE = 0: a reserved bit */
	wrmsr32(0xC0000080, rdmsr32(0xC0000080) | 1u << 11);
	RUN0(p_exec);
	RUN0(p_read);
	printf("  read 0x%x\n", peek(TEST_VA + 0x1000) & 0xff);
	at("np", TEST_VA + 0x2000);
	RUN0(p_read);
	at("np", UNMAPPED);
	RUN0(p_write);
	at("r", USER_ALIAS + 0x200000 + 8);
	RUN0(p_read);
	RUNU(u_read, EFL);
	at("r", 0x100000);
	RUNU(u_read, EFL);
	printf("  2 MiB pde A/D: 0x%x\n", (uint32_t)pae_u[1] & 0x60);
	pae_t[3] = A(tpage[3]) | 3 | 1ull << 51; /* reserved (MAXPHYADDR < 52) */
	at("rsvd", TEST_VA + 0x3000);
	QEMU_DIFFERS();
	RUN0(p_read);
	wrcr0(rdcr0() & ~CR0_PG);
	wrcr4(rdcr4() & ~CR4_PAE);
	wrmsr32(0xC0000080, rdmsr32(0xC0000080) & ~(1u << 11));
	ubase = 0;
}

void test_paging32(void)
{
	legacy();
	pae();
}
