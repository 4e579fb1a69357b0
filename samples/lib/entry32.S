/*
 * entry32.S - the multiboot v1 entry of the samples that stay in 32-bit
 * protected mode (pm32.h): no long mode, no paging, straight into C.
 *
 * Follows the Multiboot Specification 0.6.96 3.1.1 (the header) and 3.2
 * (the state we get: protected mode, paging off, flat CS and DS, EAX =
 * 0x2BADB002, EBX = the multiboot information, ESP undefined, IF = 0) and
 * the i386 System V ABI (cdecl: arguments on the stack, right to left;
 * the result in EAX).
 *
 * C side:  int sample_main(u32 magic, u32 mbi_phys);  its return value is
 * written to the debug-exit port (samples/lib/exit.h).
 */
#include "samples/lib/multiboot.h"

/* The header, first in the image (samples/lib/sample32.ld).  Flags 0: we
 * ask the loader for nothing beyond loading the ELF image. */
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, 0, -MB_HEADER_MAGIC

	.text
	.globl _start
_start:
	cli			/* the loader left IF = 0; be sure */
	cld			/* C expects DF = 0 */
	mov $pm32_stack_top, %esp /* the loader gave us no stack */
	sub $8, %esp		/* ESP 16-byte aligned at the call */
	push %ebx		/* arg 2: multiboot information address */
	push %eax		/* arg 1: multiboot magic */
	call sample_main
	push %eax		/* its result is the exit value */
	call guest_exit		/* does not return */

	.bss
	.balign 16
	.space 16384
pm32_stack_top:
