/*
 * host.h - what the difftest's oracles need from the host OS (Linux): the
 * fixed test pages, fault signals on an alternate stack, and whole-record
 * pipe I/O.
 *
 * Shared by the tester (native.c, the host-CPU oracle; qemu32.c, the pipe
 * to the 32-bit oracle) and by that oracle program (oracle32.c, built
 * alone with gcc -m32 -static): plain C and POSIX, no vmlab types (as
 * layout.h).  host.c is linked into both.
 */
#ifndef VMLAB_TESTS_DIFFTEST_HOST_H
#define VMLAB_TESTS_DIFFTEST_HOST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* mmap(2) len bytes of anonymous memory at exactly va, or NULL: never over
 * an existing mapping (MAP_FIXED_NOREPLACE). */
void *dt_map_fixed(uintptr_t va, size_t len, int prot);

/* Route the signals a faulting instruction raises (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGTRAP) to fn, on an alternate stack (the test owns
 * the stack pointer), with SA_NODEFER: fn leaves by siglongjmp and the
 * next case may fault again.  0, or -1 when the kernel refuses. */
int dt_catch_faults(void (*fn)(int sig, siginfo_t *si, void *uc));

/* Read (writing = 0) or write n bytes of fd in full, across short
 * transfers and EINTR.  0, or -1 on an error or end of file. */
int dt_xfer(int fd, void *buf, size_t n, int writing);

#endif
