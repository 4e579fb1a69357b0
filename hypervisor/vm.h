/*
 * vm.h - one virtual machine: assembled from a struct vm_config (board,
 * RAM layout, CPUs, boot path) and driven by the run loop (DESIGN.md §4).
 *
 * Life cycle, as monitor/main.c uses it:
 *
 *     vm_init(&vm);                     trace stream ready: add sinks now
 *     vm_create(&vm, &cfg, com1, &e);   board, devices, RAM, CPUs, kernel
 *     status = vm_run(&vm, why, len);   until the guest or a limit stops it
 *     vm_destroy(&vm);
 *
 * vm_run returns vmlab's exit status; `why` gets the one line to print on
 * stderr (empty when the stop needs no explanation: debug-exit, power-off).
 */
#ifndef VMLAB_HYPERVISOR_VM_H
#define VMLAB_HYPERVISOR_VM_H

#include "cpu/cpu.h"
#include "devices/board.h"
#include "hypervisor/config.h"
#include "hypervisor/debug.h"
#include "hypervisor/multiboot.h"
#include "lib/common.h"
#include "lib/err.h"
#include "lib/trace.h"

/*
 * vmlab's exit statuses.  Odd numbers belong to the guest: a write of v to
 * the debug-exit port 0xF4 ends vmlab with (v << 1) | 1, as QEMU's
 * isa-debug-exit does.  vmlab's own reasons are even.
 */
enum vm_status {
	VM_EXIT_OK = 0,	      /* orderly power-off */
	VM_EXIT_USAGE = 2,    /* bad option, config, missing file, host error */
	VM_EXIT_SHUTDOWN = 4, /* triple fault (shutdown) or a reset request */
	VM_EXIT_LIMIT = 6,    /* instruction budget, virtual timeout, or a hang */
	VM_EXIT_INTERNAL = 8, /* a vmlab bug caught at run time */
	VM_EXIT_UNSUPPORTED = 10, /* the guest needs what vmlab cannot virtualize (--virt=trap) */
};

/* The RAM layout of a PC: conventional memory below 640 KiB, the legacy
 * hole (VGA, option ROMs, BIOS) up to 1 MiB, RAM from 1 MiB up to the
 * 32-bit PCI hole at 3 GiB, and the rest above 4 GiB. */
#define VM_LOW_RAM_END 0xa0000ULL
#define VM_HIGH_RAM    0x100000ULL
#define VM_PCI_HOLE    0xc0000000ULL
#define VM_ABOVE_4G    0x100000000ULL

/* Instructions per CPU between two checks of timers, stops and host input. */
#define VM_SLICE 65536

struct vm {
	const struct vm_config *cfg;
	struct trace trace;
	struct board board;
	struct cpu *cpus;
	int ncpus;
	u64 retired; /* machine-wide retired instructions: virtual time */

	bool booted_multiboot;
	struct multiboot_boot boot; /* kernel_path: symbols for the monitor */

	/* Host side, installed by the monitor before vm_run (may be NULL):
	 * poll for host input (serial), waiting up to timeout_ms (-1: forever);
	 * returns false when no input can ever come (stdin closed). */
	bool (*host_poll)(void *opaque, int timeout_ms);
	void *host_opaque;

	/* Warnings found while assembling, for the monitor to print. */
	char notes[4][ERR_MSG_MAX];
	int nnotes;
	bool created;

	/* --virt=trap: the trap-and-emulate VMM (hypervisor/vmm.h), or NULL. */
	struct vmm *vmm;

	/* Debugger state (hypervisor/debug.h): breakpoints, watchpoints ... */
	struct vm_debug debug;
	/* Set once the guest has ended the run: later runs report it again. */
	bool ended;
	struct vm_stop end;
};

void vm_init(struct vm *vm);
/* Build the machine; com1 (may be NULL) is the host side of COM1. */
int vm_create(struct vm *vm, const struct vm_config *cfg, struct chardev *com1, struct err *e);
/* Run until something stops the machine; returns an exit status. */
int vm_run(struct vm *vm, char *why, size_t whylen);
/*
 * The one run loop, shared by vm_run and the debugger (debug.c): run until
 * the guest ends (st->kind = VM_STOPPED_EXITED) or, when step_cpu >= 0,
 * until CPU step_cpu has retired nsteps more instructions, or until a
 * breakpoint, watchpoint, event break or interrupt request stops it.
 */
void vm_run_until(struct vm *vm, int step_cpu, u64 nsteps, struct vm_stop *st);
void vm_destroy(struct vm *vm);

#endif
