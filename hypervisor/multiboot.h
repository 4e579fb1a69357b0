/*
 * multiboot.h - loading a Multiboot (version 0.6.96, "multiboot v1") kernel
 * the way GRUB legacy and QEMU's -kernel do.
 *
 * Spec: "The Multiboot Specification version 0.6.96", §3.1 (the OS image
 * header), §3.2 (machine state at entry) and §3.3 (the boot information
 * structure).  The same kernel images boot on QEMU with
 *   qemu-system-x86_64 -kernel kernel.elf -append "..." -initrd "a,b"
 *
 * Where things go in guest physical memory (the "low scratch area"):
 *
 *   0x08000  a 3-entry flat GDT (null, code 0x08, data 0x10); GDTR points
 *            at it so a kernel that reloads segment registers before
 *            building its own GDT still works
 *   0x09000  struct multiboot_info (the address passed in EBX), then the
 *            memory map, the boot loader name, the command line, the
 *            module list and the module strings, packed, 8-aligned;
 *            never above MB_SCRATCH_END.  A kernel segment that overlaps
 *            the part we use is rejected.
 *   kernel   ELF PT_LOAD segments at their physical addresses (p_paddr)
 *   modules  each module page-aligned after the kernel's last byte
 */
#ifndef VMLAB_HYPERVISOR_MULTIBOOT_H
#define VMLAB_HYPERVISOR_MULTIBOOT_H

#include "lib/common.h"
#include "lib/err.h"

struct bus;
struct cpu;

#define MB_HEADER_MAGIC 0x1BADB002u /* in the OS image (§3.1.2) */
#define MB_BOOT_MAGIC	0x2BADB002u /* in EAX at entry (§3.2) */
#define MB_SEARCH_LIMIT 8192	    /* header within the first 8192 bytes, 4-aligned */

/* Header flags (§3.1.2): bits 0-15 are requirements, 16-31 optional. */
#define MB_HF_PAGE_ALIGN 0x00000001u /* modules page-aligned */
#define MB_HF_MEMINFO	 0x00000002u /* mem_* fields (and mmap) required */
#define MB_HF_VIDEO	 0x00000004u /* video mode table wanted (ignored here) */
#define MB_HF_AOUT	 0x00010000u /* the address fields below are valid */

/* Boot information flags (§3.3). */
#define MBI_MEMORY  0x001u
#define MBI_BOOTDEV 0x002u
#define MBI_CMDLINE 0x004u
#define MBI_MODS    0x008u
#define MBI_MMAP    0x040u
#define MBI_LOADER  0x200u

/* Offsets of struct multiboot_info fields (§3.3), as the guest sees them. */
enum {
	MBI_OFF_FLAGS = 0,
	MBI_OFF_MEM_LOWER = 4,
	MBI_OFF_MEM_UPPER = 8,
	MBI_OFF_BOOT_DEVICE = 12,
	MBI_OFF_CMDLINE = 16,
	MBI_OFF_MODS_COUNT = 20,
	MBI_OFF_MODS_ADDR = 24,
	MBI_OFF_MMAP_LENGTH = 44,
	MBI_OFF_MMAP_ADDR = 48,
	MBI_OFF_LOADER_NAME = 64,
	MBI_SIZE = 120, /* up to and including the framebuffer fields */
};

/* A memory map entry (§3.3): `size` (20) does not count itself. */
#define MB_MMAP_ENTRY 24
enum { MB_MEM_AVAILABLE = 1, MB_MEM_RESERVED = 2 };

#define MB_GDT_ADDR    0x8000u
#define MB_INFO_ADDR   0x9000u
#define MB_SCRATCH_END 0x80000u
#define MB_LOADER_NAME "vmlab"

/* The header as found in the image (§3.1.2). */
struct mb_header {
	u32 offset; /* file offset of the magic */
	u32 magic, flags, checksum;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr; /* flag 16 */
};

/*
 * Find the header: a 4-byte aligned magic in the first 8192 bytes whose
 * magic + flags + checksum is 0 (mod 2^32).  Returns 0 and fills h, or -1
 * with a message naming `name` ("no multiboot header ...", "bad checksum").
 */
int multiboot_find_header(const u8 *buf, size_t len, const char *name, struct mb_header *h,
			  struct err *e);

/* What to load. */
struct multiboot_args {
	const char *kernel;   /* file name */
	const char *cmdline;  /* as given to the kernel; NULL: "" (vm.c puts
				     * "KERNEL APPEND" here, as GRUB and QEMU do) */
	char *const *modules; /* "FILE" or "FILE ARGS" each */
	int nmodules;
};

/* What was loaded: where the kernel starts and what the monitor may want. */
struct multiboot_boot {
	u32 entry;     /* physical entry point (EIP at entry) */
	u32 info_addr; /* EBX at entry */
	u32 gdt_addr;
	u64 kernel_start, kernel_end; /* physical, end exclusive (incl. bss) */
	u64 modules_end;	      /* end of the last module (or kernel_end) */
	u32 info_end;		      /* end of the scratch area used */
	bool elf64, aout;	      /* ELF64 image / loaded with the a.out kludge */
	char *kernel_path;	      /* kept for symbols (monitor) */
};

/*
 * Load a kernel image already in memory (buf, len; `name` for messages)
 * into guest RAM and build the boot information.  Used by multiboot_load
 * and by the fuzz target.  On error returns -1 with a one-line message.
 */
int multiboot_load_image(struct bus *bus, const char *name, const u8 *buf, size_t len,
			 const struct multiboot_args *a, struct multiboot_boot *out, struct err *e);

/* Read a->kernel and every module from disk and load them. */
int multiboot_load(struct bus *bus, const struct multiboot_args *a, struct multiboot_boot *out,
		   struct err *e);
void multiboot_boot_free(struct multiboot_boot *b);

/*
 * Put a CPU in the machine state of §3.2: EAX = 0x2BADB002, EBX = info,
 * flat 32-bit CS (0x08) and DS/ES/SS/FS/GS (0x10), CR0 = PE|ET (paging
 * off), EFLAGS IF = 0 VM = 0, EIP = entry.
 */
void multiboot_setup_cpu(struct cpu *c, const struct multiboot_boot *b);

#endif
