/*
 * main32.c - samples/systest: the 32-bit system-architecture test kernel
 * (systest32), the protected-mode twin of systest64.
 *
 * A multiboot loader enters it in 32-bit protected mode with paging off
 * (Multiboot 0.6.96 §3.2); it stays in legacy mode, sets up its own
 * descriptor tables (setup32.c) and runs the exception, segmentation,
 * privilege and paging tests.  The output is compared with QEMU's
 * (tests/systest.mk, tests/suites/systest.sh).  Virtual-8086 mode is
 * covered (v86_32.c); task switching is not (vmlab does not implement it,
 * so #DF goes through an interrupt gate, not a task gate, and #TS is not
 * provoked).
 */
#include "samples/lib/exit.h"
#include "samples/systest/sys32.h"

int main32(uint32_t magic);

int main32(uint32_t magic)
{
	serial_init32();
	if (magic != 0x2BADB002)
		return EXIT_BAD_MAGIC;
	printf("systest32: exceptions, segments, privilege levels, paging (SDM Vol 3)\n");
	setup32();
	test_exceptions32();
	test_segments32();
	test_rings32();
	test_paging32();
	test_v86();
	printf("systest32: done\n");
	return EXIT_OK;
}
