/*
 * firmware.h - the firmware boot path: vmlab's own BIOS ROM
 * (samples/firmware, DESIGN.md §3) mapped where a PC has it.
 *
 * A PC's BIOS ROM answers at the top of the 32-bit address space, where
 * the CPU fetches its first instruction (0xFFFFFFF0, SDM Vol. 3A §10.1.4),
 * and its last 128 KiB also appear in the legacy window below 1 MiB
 * (0xE0000-0xFFFFF) for real-mode code.  Both are read-only copies here:
 * guest writes are ignored (and counted by the bus), as on QEMU's "pc"
 * machine before the BIOS unlocks shadow RAM.
 *
 * The boot path (hypervisor/vm.c): --kernel loads a multiboot kernel and
 * starts the CPU at its entry; otherwise the CPU starts at the reset vector
 * in this ROM, and the BIOS boots sector 0 of the first IDE disk (--hda).
 */
#ifndef VMLAB_HYPERVISOR_FIRMWARE_H
#define VMLAB_HYPERVISOR_FIRMWARE_H

#include "lib/common.h"
#include "lib/err.h"

struct bus;

/* Where the BIOS image is looked for, relative to the folder of the vmlab
 * executable (build/vmlab -> build/samples/firmware/bios.bin).  The
 * environment variable VMLAB_BIOS, when set, names the image instead. */
#define FIRMWARE_REL_PATH "samples/firmware/bios.bin"
#define FIRMWARE_ENV	  "VMLAB_BIOS"

/* A ROM image is a multiple of 64 KiB, at most 16 MiB (QEMU's rule). */
#define FIRMWARE_MIN_SIZE   (64 * KiB)
#define FIRMWARE_MAX_SIZE   (16 * MiB)
#define FIRMWARE_LEGACY_MAX (128 * KiB) /* what shows below 1 MiB */

/*
 * Find the BIOS image: `path` if not NULL, else $VMLAB_BIOS, else
 * FIRMWARE_REL_PATH beside the running executable.  Writes the chosen name
 * to out; -1 with a message when it does not exist.
 */
int firmware_locate(const char *path, char *out, size_t outlen, struct err *e);

/*
 * Map a ROM image already in memory: at 4 GiB - size, and its last
 * min(size, 128 KiB) ending at 1 MiB.  -1 with a message naming `name`
 * when the size is wrong or the ranges are taken.
 */
int firmware_map(struct bus *bus, const char *name, const u8 *img, size_t size, struct err *e);

/* Read the image file and map it (firmware_map). */
int firmware_load(struct bus *bus, const char *path, struct err *e);

#endif
