/*
 * main64.c - samples/systest: the 64-bit system-architecture test kernel.
 *
 * Booted by a multiboot loader (lib/start32.S takes it to long mode), it
 * sets up its own descriptor tables and page tables (setup64.c) and runs
 * the exception, privilege and paging tests.  The output is compared with
 * QEMU's (tests/systest.mk, tests/suites/systest.sh); the kernel ends with
 * EXIT_OK through the debug-exit port.
 */
#include "samples/lib/exit.h"
#include "samples/lib/multiboot.h"
#include "samples/lib/printf.h"
#include "samples/systest/sys64.h"

int sample_main(uint32_t magic, uint32_t mbi_phys);

int sample_main(uint32_t magic, uint32_t mbi_phys)
{
	(void)mbi_phys;
	if (magic != MB_BOOTLOADER_MAGIC)
		return EXIT_BAD_MAGIC;
	printf("systest64: exceptions, privilege levels, paging (SDM Vol 3)\n");
	setup64();
	test_exceptions();
	test_rings();
	test_paging();
	test_pcid();
	printf("systest64: done\n");
	return EXIT_OK;
}
