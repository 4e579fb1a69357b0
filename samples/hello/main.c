/*
 * main.c - samples/hello: the smallest complete multiboot v1 kernel.
 *
 * lib/start32.S took us from the loader's 32-bit protected mode to 64-bit
 * long mode; here we check that a multiboot loader started us (Multiboot
 * Specification 0.6.96 section 3.2: EAX = 0x2BADB002), read the boot
 * information (section 3.3), do some integer work and print the results on
 * COM1, then leave through the debug-exit port (lib/exit.h):
 * value 0x10, process status 33, when everything checked out.
 *
 * Every line is deterministic, so QEMU's output is the golden reference
 * for vmlab (tests/guest/compare.sh).
 */
#include "samples/hello/work.h"
#include "samples/lib/exit.h"
#include "samples/lib/multiboot.h"
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"
#include "samples/lib/string.h"
#include "samples/lib/trap.h"

int sample_main(uint32_t magic, uint32_t mbi_phys);

static uint64_t checksum = 0xCBF29CE484222325ull; /* FNV-1a offset basis */
static int failures;

/* Fold one result into the checksum (FNV-1a over its 8 bytes). */
static void mix(uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8) {
		checksum ^= v & 0xFF;
		checksum *= 0x100000001B3ull; /* FNV prime */
	}
}

/* Print a result, fold it in and, if it has a known value, check it. */
static void result(const char *what, uint64_t got, int known, uint64_t want)
{
	mix(got);
	printf("[hello] %-28s %lu (0x%lx)", what, got, got);
	if (known && got != want) {
		printf("  WRONG, expected %lu\n", want);
		failures++;
	} else {
		printf(known ? "  ok\n" : "\n");
	}
}

int sample_main(uint32_t magic, uint32_t mbi_phys)
{
	const struct multiboot_info *mbi = (const void *)(uintptr_t)mbi_phys;
	uint64_t q, r;
	unsigned steps;

	serial_init();
	trap_init(); /* any exception from here on is reported, not a reboot */
	printf("[hello] Hello from 64-bit long mode!\n");

	if (magic != MB_BOOTLOADER_MAGIC) {
		printf("[hello] EAX was 0x%08x, not 0x%08x: no multiboot loader started us\n",
		       magic, MB_BOOTLOADER_MAGIC);
		return EXIT_BAD_MAGIC;
	}
	printf("[hello] multiboot magic 0x%08x ok\n", magic);

	if (mbi->flags & MB_INFO_MEMORY)
		printf("[hello] memory: %u KiB below 1 MiB, %u KiB above (about %u MiB in all)\n",
		       mbi->mem_lower, mbi->mem_upper, (mbi->mem_upper + 1024) / 1024);
	else
		printf("[hello] memory: the loader did not say\n");
	printf("[hello] command line arguments: \"%s\"\n", multiboot_args(mbi));

	/* Known answers: pi(100000) = 9592; below 10000 the longest Collatz
	 * chain starts at 6171 (261 steps); "123456789" is the CRC-32 check
	 * string with check value 0xCBF43926. */
	result("primes below 100000:", work_primes(100000), 1, 9592);
	result("longest collatz start:", work_collatz(10000, &steps), 1, 6171);
	result("  its steps:", steps, 1, 261);
	result("crc32(\"123456789\"):", work_crc32("123456789", 9), 1, 0xCBF43926);
	result("multiply mix:", work_mul(100000), 0, 0);
	result("divide mix:", work_div(20000), 0, 0);
	/* A 128-bit dividend in RDX:RAX: (2 * 2^64 + 7) / 3 =
	 * 0xAAAAAAAAAAAAAAAD remainder 0.  RDX must stay below the divisor,
	 * or the quotient would not fit in 64 bits and DIV would raise #DE. */
	q = work_div128(2, 7, 3, &r);
	result("(2*2^64+7) / 3:", q, 1, 0xAAAAAAAAAAAAAAADull);
	result("(2*2^64+7) % 3:", r, 1, 0);
	result("bit mix:", work_bits(50000), 0, 0);
	result("string instructions:", work_strings(), 0, 0);
	result("256-bit add/adc:", work_adc(), 1, 0x04010000);

	printf("[hello] checksum 0x%016lx\n", checksum);
	if (failures) {
		printf("[hello] %d self-check(s) failed: exit 0x%x\n", failures, EXIT_SELF_CHECK);
		return EXIT_SELF_CHECK;
	}
	printf("[hello] all self-checks passed; bye (debug-exit 0x%x -> status %d)\n", EXIT_OK,
	       EXIT_OK << 1 | 1);
	return EXIT_OK;
}
