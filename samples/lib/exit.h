/*
 * exit.h - how a sample guest ends: the debug-exit port and the exit-value
 * convention shared by every sample.
 *
 * The debug-exit device (QEMU's isa-debug-exit, vmlab's devices at port 0xF4)
 * turns a write of v into the emulator's process exit status (v << 1) | 1.
 * The status is therefore always odd, so it can never be confused with 0
 * (a guest that halted or triple-faulted under -no-reboot) or with a
 * timeout (124).
 *
 * Convention for all samples (see samples/README.md):
 *
 *   value written   status   meaning
 *   0x10            33       success: the sample ran to its end
 *   0x11            35       generic failure
 *   0x12            37       not booted by a multiboot v1 loader (bad EAX)
 *   0x13            39       the CPU lacks a feature the sample needs
 *   0x14            41       a self-check inside the sample failed
 *   0x15            43       unexpected exception (see the serial log)
 *
 * We do not use 0 (status 1) for success: 1 is also what any host program
 * returns for "something went wrong", so a wrapper could not tell them apart.
 */
#ifndef SAMPLES_LIB_EXIT_H
#define SAMPLES_LIB_EXIT_H

#define DEBUG_EXIT_PORT 0xF4

#define EXIT_OK		0x10
#define EXIT_FAIL	0x11
#define EXIT_BAD_MAGIC	0x12
#define EXIT_NO_FEATURE 0x13
#define EXIT_SELF_CHECK 0x14
#define EXIT_EXCEPTION	0x15

#ifndef __ASSEMBLER__
/* Write v to the debug-exit port; if no such device exists, halt forever. */
void guest_exit(unsigned v) __attribute__((noreturn));
#endif

#endif
