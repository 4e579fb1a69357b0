/*
 * multiboot.h - the Multiboot Specification version 0.6.96 (multiboot v1):
 * the header a kernel image carries and the information structure the boot
 * loader hands over.
 *
 * Section 3.1 "OS image format": a 32-bit aligned header within the first
 * 8192 bytes of the image: magic, flags, checksum (the three sum to zero).
 * Section 3.2 "Machine state": on entry EAX = 0x2BADB002, EBX = physical
 * address of the info structure, 32-bit protected mode with paging off,
 * CS/DS/ES/FS/GS/SS flat 4 GiB segments (but GDTR itself may be invalid),
 * EFLAGS.IF = 0 and EFLAGS.VM = 0.
 * Section 3.3 "Boot information format": the structure below; each group of
 * fields is valid only if its bit in `flags` is set.
 */
#ifndef SAMPLES_LIB_MULTIBOOT_H
#define SAMPLES_LIB_MULTIBOOT_H

#define MB_HEADER_MAGIC	     0x1BADB002
#define MB_HEADER_PAGE_ALIGN 0x00000001 /* load modules on 4 KiB boundaries */
#define MB_HEADER_MEMINFO    0x00000002 /* please fill in mem_lower/mem_upper */
#define MB_HEADER_FLAGS	     (MB_HEADER_PAGE_ALIGN | MB_HEADER_MEMINFO)

#define MB_BOOTLOADER_MAGIC 0x2BADB002 /* in EAX at entry */

/* Bits of multiboot_info.flags */
#define MB_INFO_MEMORY	   0x00000001 /* mem_lower, mem_upper */
#define MB_INFO_BOOTDEV	   0x00000002
#define MB_INFO_CMDLINE	   0x00000004
#define MB_INFO_MODS	   0x00000008
#define MB_INFO_MEM_MAP	   0x00000040 /* mmap_length, mmap_addr */
#define MB_INFO_LOADER_NAM 0x00000200

#ifndef __ASSEMBLER__
#include <stdint.h>

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower; /* KiB of memory from 0 (at most 640) */
	uint32_t mem_upper; /* KiB of memory from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline; /* physical address of a NUL-terminated string */
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
} __attribute__((packed));

/* One memory-map entry; `size` does not count itself (spec 3.3). */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type; /* 1 = available RAM, anything else = reserved */
} __attribute__((packed));

/*
 * The command line, without its first word.  Like GRUB, QEMU passes the
 * kernel's file name as the first word ("build/samples/hello.elf args"),
 * which depends on where the image lives; samples print only the rest so
 * their output does not depend on the path.  Returns "" when absent.
 */
static inline const char *multiboot_args(const struct multiboot_info *mbi)
{
	const char *s;

	if (!(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		return "";
	s = (const char *)(uintptr_t)mbi->cmdline;
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}
#endif

#endif
