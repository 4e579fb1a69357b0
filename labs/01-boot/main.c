/*
 * main.c - lab 01, the 64-bit side (given: nothing to write here).
 *
 * boot.S jumped here in 64-bit mode.  We say so, show the control
 * registers that made it possible (SDM Vol. 3A 2.5, 2.2.1), install an IDT
 * so that a mistake becomes a readable message instead of a triple fault
 * (samples/lib/trap.c), then touch every 2 MiB page of the identity map you
 * built: a missing page-directory entry raises #PF here.
 */
#include <stdint.h>

#include "samples/lib/exit.h"
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"
#include "samples/lib/trap.h"

int lab01_main(uint32_t magic, uint32_t mbi_phys);

static inline uint64_t read_cr(int n)
{
	uint64_t v = 0;

	if (n == 0)
		__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	else if (n == 3)
		__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	else if (n == 4)
		__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

int lab01_main(uint32_t magic, uint32_t mbi_phys)
{
	volatile uint8_t *p;
	unsigned sum = 0;

	(void)mbi_phys;
	trap_init();
	printf("[lab01] hello from 64-bit long mode\n");
	printf("[lab01] CR0.PG=%lu CR4.PAE=%lu EFER.LME=%lu EFER.LMA=%lu\n", read_cr(0) >> 31 & 1,
	       read_cr(4) >> 5 & 1, rdmsr(0xC0000080) >> 8 & 1, rdmsr(0xC0000080) >> 10 & 1);
	if (magic != 0x2BADB002) {
		printf("[lab01] EAX was 0x%08x at entry: not a multiboot loader?\n", magic);
		return EXIT_BAD_MAGIC;
	}
	/* One byte in each 2 MiB page of 0 .. 1 GiB.  Above the machine's RAM
	 * the reads return all-ones: we only care that they do not fault. */
	for (uint64_t a = 0; a < (1ull << 30); a += 2ull << 20) {
		p = (volatile uint8_t *)a;
		sum += *p & 0;
	}
	printf("[lab01] the identity map covers 0 .. 1 GiB%s\n", sum ? "?" : "");
	printf("[lab01] done\n");
	return EXIT_OK;
}
