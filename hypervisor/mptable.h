/*
 * mptable.h - the MultiProcessor Specification tables a PC BIOS leaves in
 * memory (Intel MultiProcessor Specification, version 1.4, chapter 4).
 *
 * The MP floating pointer structure (§4.1) lies on a 16-byte boundary in
 * the BIOS segment 0xF0000-0xFFFFF, where an OS looks for it (§4: "_MP_"),
 * and points to the MP configuration table (§4.2) right after it: one
 * processor entry per CPU, the ISA bus, the I/O APIC, the I/O interrupt
 * assignments of ISA IRQs 0-15 (IRQ 0 on I/O APIC pin 2, as with the ACPI
 * interrupt source override of a PC), and the local interrupts (ExtINT on
 * LINT0, NMI on LINT1) of every local APIC.
 */
#ifndef VMLAB_HYPERVISOR_MPTABLE_H
#define VMLAB_HYPERVISOR_MPTABLE_H

#include "devices/bus.h"
#include "lib/common.h"
#include "lib/err.h"

#define MPTABLE_MAX_SIZE 2048

/* Build the floating pointer at `base` followed by the configuration
 * table in buf (at most MPTABLE_MAX_SIZE bytes); returns the length.
 * cpu_signature and cpu_features are CPUID.1 EAX and EDX. */
size_t mptable_build(u8 *buf, u32 base, int ncpus, u32 cpu_signature, u32 cpu_features);

/*
 * Put the tables into the BIOS segment: when nothing is mapped at 0xF0000
 * (multiboot boot), as a small ROM there; when a BIOS ROM is (firmware
 * boot), into the zero padding just below its reset vector.  -1 with a
 * message when the BIOS image leaves no room.
 */
int mptable_install(struct bus *bus, int ncpus, u32 cpu_signature, u32 cpu_features, struct err *e);

#endif
