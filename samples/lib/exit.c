/*
 * exit.c - leave the machine through the debug-exit port (see exit.h).
 */
#include "samples/lib/exit.h"
#include "samples/lib/io.h"

void guest_exit(unsigned v)
{
	/* QEMU's isa-debug-exit and vmlab's debug-exit stop the machine here. */
	outb(DEBUG_EXIT_PORT, (unsigned char)v);

	/* No such device: stop the CPU for good (IF = 0, so HLT never wakes,
	 * except for an NMI or SMI - hence the loop). */
	for (;;)
		__asm__ volatile("cli; hlt");
}
