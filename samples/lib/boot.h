/*
 * boot.h - constants of the 32-bit to 64-bit switch shared by the samples'
 * boot code (assembly) and their C code.
 *
 * Names and bit positions from the Intel SDM Vol. 3A: 2.5 "Control
 * Registers" (CR0, CR4), 2.2.1 "Extended Feature Enable Register" (EFER),
 * 3.4.5 "Segment Descriptors" and 5.2.1 "Code-Segment Descriptor in 64-bit
 * Mode" (the GDT entries), 4.5 "4-Level Paging" (the page-table entries).
 */
#ifndef SAMPLES_LIB_BOOT_H
#define SAMPLES_LIB_BOOT_H

/* Where the linker script puts the image: 1 MiB, above the BIOS area. */
#define IMAGE_BASE 0x100000

/* GDT selectors: index * 8, TI = 0 (GDT), RPL = 0 */
#define SEL_CODE64 0x08
#define SEL_DATA   0x10
#define SEL_CODE32 0x18

/* CR0 bits */
#define CR0_PE 0x00000001 /* protection enable */
#define CR0_MP 0x00000002 /* monitor coprocessor */
#define CR0_ET 0x00000010 /* extension type: hard-wired to 1 since the 486 */
#define CR0_NE 0x00000020 /* native x87 error reporting */
#define CR0_WP 0x00010000 /* write protect, also for CPL 0 */
#define CR0_PG 0x80000000 /* paging */

/* CR4 bits */
#define CR4_PAE 0x00000020 /* physical address extension: 64-bit entries */

/* EFER, model-specific register 0xC0000080 */
#define MSR_EFER 0xC0000080
#define EFER_SCE 0x00000001 /* SYSCALL enable */
#define EFER_LME 0x00000100 /* long mode enable (we set it) */
#define EFER_LMA 0x00000400 /* long mode active (the CPU sets it) */

/* Page-table entry bits */
#define PTE_P  0x001 /* present */
#define PTE_RW 0x002 /* writable */
#define PTE_PS 0x080 /* in a PDE: this maps a 2 MiB page */

/* CPUID.80000001H:EDX bit 29: Intel 64 / long mode available */
#define CPUID_LM_BIT 29

#endif
