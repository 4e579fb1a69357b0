/*
 * boot_data.S - the data every sample kernel boots with: the multiboot v1
 * header, a GDT with a 64-bit code segment, room for identity-mapping page
 * tables, and the boot stack.
 *
 * Follows the Multiboot Specification 0.6.96 section 3.1 (header) and the
 * Intel SDM Vol. 3A 3.4.5 (segment descriptors), 5.2.1 (64-bit code
 * segments) and 4.5 (4-level paging structures).  The code that uses it is
 * lib/start32.S (quiet) or tour/entry.S (narrated).
 */
#include "samples/lib/boot.h"
#include "samples/lib/multiboot.h"

/*
 * The multiboot header.  The linker script puts .multiboot first, so it
 * sits at the very start of the loaded image, well inside the first 8 KiB
 * of the file where loaders search for it.  We do not set flag bit 16
 * (the "a.out kludge"), so the loader takes addresses from the ELF
 * program headers.
 */
	.section .multiboot, "a"
	.balign 4
	.globl multiboot_header
multiboot_header:
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS) /* checksum */

/*
 * The GDT.  In 64-bit mode the CPU ignores base and limit of code and data
 * segments; what matters is the type, DPL, P and, for code, L (bit 53:
 * "64-bit code") with D (bit 54) clear.
 *
 *   0x00  null descriptor (required: selector 0 means "no segment")
 *   0x08  64-bit code, DPL 0: 0x00AF9A000000FFFF   (P, S, type=execute/read, L, G)
 *   0x10  data, DPL 0:        0x00CF92000000FFFF   (P, S, type=read/write, D/B, G)
 *   0x18  32-bit code, DPL 0: 0x00CF9A000000FFFF   (like 0x08 with D instead of L)
 */
	.section .rodata.boot, "a"
	.balign 16
	.globl boot_gdt, boot_gdt_end, boot_gdtr
boot_gdt:
	.quad 0x0000000000000000
	.quad 0x00AF9A000000FFFF
	.quad 0x00CF92000000FFFF
	.quad 0x00CF9A000000FFFF
boot_gdt_end:

/* The operand of LGDT: a 16-bit limit (size - 1), then the base address. */
	.balign 8
	.word 0 /* padding so the base below is 4-byte aligned */
boot_gdtr:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

/*
 * Page tables and stack: .bss, so they take no room in the file.  Each
 * paging structure is one 4 KiB page of 512 eight-byte entries and must be
 * 4 KiB aligned (its address goes into CR3 or into an entry's bits 51:12).
 */
	.section .bss.boot, "aw", @nobits
	.balign 4096
	.globl boot_pml4, boot_pdpt, boot_pd, boot_stack, boot_stack_top
boot_pml4:
	.skip 4096 /* PML4: entry 0 covers linear 0 .. 512 GiB */
boot_pdpt:
	.skip 4096 /* page-directory-pointer table: entry 0 covers 0 .. 1 GiB */
boot_pd:
	.skip 4096 /* page directory: 512 entries x 2 MiB pages = 1 GiB */
boot_stack:
	.skip 16384
boot_stack_top:
