/*
 * vm.c - assembling a virtual machine from its configuration and running it
 * (DESIGN.md §4).
 *
 * Assembly, in the order a real machine is put together:
 *   1. the board and its bus, with guest RAM laid out as on a PC;
 *   2. the devices (they register themselves: devices/board.h), with COM1
 *      connected to the host side the monitor gave us;
 *   3. the CPUs: CPU 0 is the bootstrap processor, the others are
 *      application processors waiting for INIT/SIPI (SDM Vol 3 §9.4);
 *   4. the boot path: a multiboot kernel loaded directly (Multiboot spec
 *      §3), or the firmware ROM at the reset vector.
 *
 * The run loop gives each CPU a slice of instructions, then lets virtual
 * time act (timers), then looks at why it should stop: a device request
 * (debug-exit, power-off, reset), a triple fault, the instruction budget,
 * the virtual-time budget, or a machine that can never wake up again.
 */
#include "hypervisor/vm.h"
#include "cpu/cpuid.h"
#include "devices/lapic.h"
#include "hypervisor/firmware.h"
#include "hypervisor/vmm.h"
#include "hypervisor/mptable.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	trace_init(&vm->trace);
	vm->trace.icount = &vm->retired;
	vm->debug.sink = -1;
}

/* ---- the CPU's hooks: the interrupt line and stop requests ------------- */

/* Is the 8259's INTR asserted toward CPU c?  Without local APICs only the
 * BSP is wired to it; with them, a CPU takes it when its APIC is hardware
 * disabled or LINT0 is in ExtINT mode (devices/lapic.h). */
static bool pic_intr_for(struct vm *vm, struct cpu *c)
{
	struct board *b = &vm->board;
	struct lapic *l = lapic_of(b);

	if (!b->intr_pending || !b->intr_pending(b->intr_opaque))
		return false;
	return l ? lapic_pic_accepted(l, c->index) : c->index == 0;
}

static bool hook_intr_pending(void *opaque, struct cpu *c)
{
	struct vm *vm = opaque;
	struct lapic *l = lapic_of(&vm->board);

	if (l)
		lapic_set_hw_enabled(l, c->index, c->msr.apic_base & BIT(11));
	/* ExtINT from the 8259 outranks the APIC's own fixed interrupts. */
	return pic_intr_for(vm, c) || (l && lapic_intr_pending(l, c->index));
}

static int hook_intr_ack(void *opaque, struct cpu *c)
{
	struct vm *vm = opaque;
	struct board *b = &vm->board;
	struct lapic *l = lapic_of(b);

	if (pic_intr_for(vm, c))
		return b->intr_ack(b->intr_opaque);
	return l ? lapic_intr_ack(l, c->index) : -1;
}

/* INIT, start-up IPI and NMI from the local APICs (SDM Vol 3A §9.4.4:
 * INIT puts an AP in wait-for-SIPI; a SIPI with vector VV starts it in
 * real mode at VV00:0000, i.e. physical VV000h). */
static void lapic_signal(void *opaque, int cpu, enum lapic_signal sig, u8 vector)
{
	struct vm *vm = opaque;
	struct cpu *c;

	if (cpu < 0 || cpu >= vm->ncpus)
		return;
	c = &vm->cpus[cpu];
	switch (sig) {
	case LAPIC_SIGNAL_NMI: c->nmi_pending = true; break;
	case LAPIC_SIGNAL_INIT:
		/* A CPU cannot reset itself in the middle of its own instruction:
		 * INIT to self is not a valid xAPIC IPI anyway. */
		if (cpu == vm->board.current_cpu)
			break;
		cpu_reset(c);
		c->wait_for_sipi = true;
		break;
	case LAPIC_SIGNAL_SIPI:
		if (!c->wait_for_sipi)
			break; /* a SIPI to a running CPU is ignored */
		cpu_load_seg_real(c, SEG_CS, (u16)(vector << 8));
		c->rip = 0;
		c->wait_for_sipi = false;
		c->halted = false;
		break;
	}
}

static bool hook_board_stopped(void *opaque)
{
	struct board *b = &((struct vm *)opaque)->board;

	return b->stop != BOARD_RUNNING;
}

/* ---- assembly --------------------------------------------------------------- */

static void note(struct vm *vm, const char *fmt, const char *a)
{
	if (vm->nnotes < (int)ARRAY_SIZE(vm->notes))
		snprintf(vm->notes[vm->nnotes++], ERR_MSG_MAX, fmt, a);
}

/* Map guest RAM as a PC does (see the VM_* constants in vm.h). */
static int map_ram(struct bus *bus, u64 size, struct err *e)
{
	u64 low = size < VM_LOW_RAM_END ? size : VM_LOW_RAM_END;
	u64 below4g = size < VM_PCI_HOLE ? size : VM_PCI_HOLE;

	if (bus_map_ram(bus, 0, low, 0, e))
		return -1;
	/* RAM offsets 0xA0000-0xFFFFF exist but nobody sees them: like the
	 * shadowed memory under the legacy hole on a real board. */
	if (below4g > VM_HIGH_RAM &&
	    bus_map_ram(bus, VM_HIGH_RAM, below4g - VM_HIGH_RAM, VM_HIGH_RAM, e))
		return -1;
	if (size > VM_PCI_HOLE && bus_map_ram(bus, VM_ABOVE_4G, size - VM_PCI_HOLE, VM_PCI_HOLE, e))
		return -1;
	return 0;
}

/* The MP tables, describing the CPUs with what CPUID.1 says of the BSP. */
static int install_mptable(struct vm *vm, struct err *e)
{
	struct cpuid_regs r = cpuid_query(&vm->cpus[0], 1, 0);

	return mptable_install(&vm->board.bus, vm->ncpus, r.eax, r.edx, e);
}

int vm_create(struct vm *vm, const struct vm_config *cfg, struct chardev *com1, struct err *e)
{
	struct board *b = &vm->board;

	vm->cfg = cfg;
	/* 1. The board, its bus and RAM.  Virtual time counts our retired
	 * instructions. */
	/* (--virt=trap: the VMM's private region follows the guest's RAM.) */
	if (board_init(b, cfg->mem_size + (cfg->virt == VIRT_TRAP ? VMM_AREA_SIZE : 0), &vm->trace,
		       e))
		return -1;
	vm->created = true;
	b->icount = &vm->retired;
	if (!b->ns_per_insn)
		b->ns_per_insn = 1;
	b->ncpus = cfg->ncpus;
	b->disk_path[0] = cfg->disk[0];
	b->disk_path[1] = cfg->disk[1];
	b->serial[0] = com1;
	if (map_ram(&b->bus, cfg->mem_size, e))
		return -1;

	/* 2. Every device linked in creates itself (UART, PIC, debug-exit ...). */
	if (board_create_devices(b, e))
		return -1;

	/* 3. The CPUs.  cpu_init leaves CPU 0 at the reset vector and the APs
	 * in wait-for-SIPI. */
	vm->ncpus = cfg->ncpus;
	vm->cpus = xcalloc(vm->ncpus, sizeof(*vm->cpus));
	for (int i = 0; i < vm->ncpus; i++) {
		struct cpu *c = &vm->cpus[i];

		cpu_init(c, i, &b->bus, &vm->trace, &vm->retired);
		c->block_cache = cfg->block_cache;
		c->pg_strict = cfg->pg_strict;
		c->hooks.opaque = vm;
		c->hooks.intr_pending = hook_intr_pending;
		c->hooks.intr_ack = hook_intr_ack;
		c->hooks.board_stopped = hook_board_stopped;
		vm_debug_attach_cpu(vm, c); /* debug.c: breakpoint/watchpoint hooks */
	}
	if (lapic_of(b)) {
		lapic_of(b)->signal = lapic_signal;
		lapic_of(b)->signal_opaque = vm;
	} else if (vm->ncpus > 1)
		note(vm, "--smp: no local APIC linked in%s",
		     " (the other CPUs wait for a SIPI that never comes)");

	/* 4. The boot path. */
	if (cfg->kernel) {
		/* The command line starts with the kernel's file name, then a space,
		 * then --append (even when empty): what GRUB and QEMU's -kernel pass,
		 * so a guest printing it gives QEMU's output. */
		size_t n = strlen(cfg->kernel) + strlen(cfg->append) + 2;
		char *cmdline = xcalloc(n, 1);
		struct multiboot_args a = {cfg->kernel, cmdline, cfg->initrd, cfg->ninitrd};
		int r;

		snprintf(cmdline, n, "%s %s", cfg->kernel, cfg->append);
		r = multiboot_load(&b->bus, &a, &vm->boot, e);
		free(cmdline);
		if (r)
			return -1;
		vm->booted_multiboot = true;
		multiboot_setup_cpu(&vm->cpus[0], &vm->boot);
		/* The MP tables a BIOS would leave (MP spec 1.4, mptable.h). */
		if (install_mptable(vm, e))
			return -1;
	} else {
		char bios[4096];

		/* The firmware path (hypervisor/firmware.h): the BSP starts at
		 * F000:FFF0 = 0xFFFFFFF0 in our BIOS ROM, which boots sector 0 of
		 * the first IDE disk (--hda). */
		if (firmware_locate(NULL, bios, sizeof(bios), e) ||
		    firmware_load(&b->bus, bios, e) || install_mptable(vm, e))
			return -1;
	}
	/* 5. --virt=trap: the VMM takes the booted CPU over (hypervisor/vmm.h). */
	if (cfg->virt == VIRT_TRAP && vmm_create(vm, e))
		return -1;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	/* The VMM first: its per-CPU worlds are counted by vm->ncpus. */
	if (vm->vmm)
		vmm_destroy(vm->vmm);
	vm->vmm = NULL;
	for (int i = 0; i < vm->ncpus; i++)
		cpu_fini(&vm->cpus[i]);
	free(vm->cpus);
	vm->cpus = NULL;
	vm->ncpus = 0;
	if (vm->created)
		board_destroy(&vm->board);
	vm->created = false;
	multiboot_boot_free(&vm->boot);
}

/* ---- the run loop ----------------------------------------------------------- */

/* The guest (or a limit) ended the run: remember why, so that a debugger
 * asking to continue afterwards hears the same answer. */
static void stop_with(struct vm *vm, struct vm_stop *st, int status, u64 guest_value,
		      const char *fmt, ...) PRINTF(5, 6);

static void stop_with(struct vm *vm, struct vm_stop *st, int status, u64 guest_value,
		      const char *fmt, ...)
{
	va_list ap;

	memset(st, 0, sizeof(*st));
	st->kind = VM_STOPPED_EXITED;
	st->exit_status = status;
	va_start(ap, fmt);
	vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
	trace_emit(&vm->trace, TRACE_EXIT, -1, 0, guest_value, (u64)status, 0, 0,
		   st->why[0] ? st->why : NULL);
	vm->ended = true;
	vm->end = *st;
}

/* How many instructions until virtual time reaches ns (at least 1). */
static u64 insns_until(const struct board *b, u64 ns)
{
	u64 now = board_now_ns(b);

	if (ns == UINT64_MAX)
		return UINT64_MAX;
	if (ns <= now)
		return 1;
	return (ns - now + b->ns_per_insn - 1) / b->ns_per_insn;
}

/*
 * Run CPU c for one slice of the round robin, counted as bare metal counts
 * it (cpu_run's budget: retired instructions plus exceptions taken).
 *
 * Under --virt=trap every VMM entry (a privileged instruction emulated, a
 * hidden page fault filled, a guest fault reflected) ends cpu_run early
 * with CPU_STOP_HOOK, where the bare CPU would have gone on.  Returning to
 * the round robin there would hand the machine to the next CPU -- and end
 * the round, which polls host input every 16 rounds -- at a different
 * retired instruction than under --virt=none, and the guest's output would
 * drift (issue 8: minios --smp 2).  So we resume c until its slice is
 * spent: an emulated instruction counts once (it retired, vmm_trap.c), a
 * hidden fault not at all (bare metal never took it), a reflected guest
 * fault once (bare metal took it: cpu_run's `faults`).
 */
static enum cpu_stop run_slice(struct vm *vm, struct cpu *c, u64 slice)
{
	struct vmm *m = vm->vmm;
	const u64 *faults = m ? &m->stats.traps[VMM_TRAP_FAULT] : NULL;
	u64 start = c->stats.insns, f0 = faults ? *faults : 0, used;
	enum cpu_stop r;

	for (;;) {
		r = cpu_run(c, slice);
		if (r != CPU_STOP_HOOK || !m || vm->debug.fired || vm->board.stop != BOARD_RUNNING)
			return r;
		used = c->stats.insns - start + (*faults - f0);
		if (used >= slice)
			return CPU_STOP_BUDGET;
		slice -= used;
		start = c->stats.insns;
		f0 = *faults;
	}
}

/* RFLAGS.IF as the guest sees it: under --virt=trap the real IF is always
 * 1 once the VMM took the CPU over; the virtual one is the guest's. */
static bool guest_if(struct vm *vm, struct cpu *c)
{
	if (vm->vmm && vmm_cpu_active(vm->vmm, c->index))
		return vmm_vcpu_of(vm->vmm, c->index)->vif;
	return (c->rflags & FL_IF) != 0;
}

/* A debugger stop (breakpoint, watchpoint, event) was recorded while the
 * CPUs ran: hand it out once. */
static bool debug_stopped(struct vm *vm, struct vm_stop *st)
{
	if (!vm->debug.fired)
		return false;
	*st = vm->debug.pending;
	vm->debug.fired = false;
	return true;
}

void vm_run_until(struct vm *vm, int step_cpu, u64 nsteps, struct vm_stop *st)
{
	const struct vm_config *cfg = vm->cfg;
	struct board *b = &vm->board;
	struct cpu *bsp = &vm->cpus[0];
	bool input_open = vm->host_poll != NULL;
	unsigned polls = 0;
	u64 step_start = step_cpu >= 0 ? vm->cpus[step_cpu].stats.insns : 0;

	if (vm->ended) {
		*st = vm->end;
		return;
	}
	for (;;) {
		u64 slice = VM_SLICE, n;
		bool all_halted = true, any_if = false;

		/* 0. The debugger: a break-in request, or the steps are done. */
		if (vm->debug.interrupt) {
			vm->debug.interrupt = 0;
			memset(st, 0, sizeof(*st));
			st->kind = VM_STOPPED_INTERRUPT;
			snprintf(st->why, sizeof(st->why), "interrupted at rip=0x%llx",
				 (unsigned long long)bsp->rip);
			return;
		}
		if (step_cpu >= 0) {
			u64 done = vm->cpus[step_cpu].stats.insns - step_start;

			if (done >= nsteps) {
				memset(st, 0, sizeof(*st));
				st->kind = VM_STOPPED_STEP;
				st->cpu = step_cpu;
				return;
			}
			if (nsteps - done < slice)
				slice = nsteps - done;
		}

		/* Budgets first, so a run stops exactly at the limit. */
		if (cfg->max_insns && vm->retired >= cfg->max_insns)
			return stop_with(vm, st, VM_EXIT_LIMIT, 0,
					 "instruction budget of %llu exhausted at rip=0x%llx",
					 (unsigned long long)cfg->max_insns,
					 (unsigned long long)bsp->rip);
		if (cfg->timeout_ns && board_now_ns(b) >= cfg->timeout_ns)
			return stop_with(vm, st, VM_EXIT_LIMIT, 0,
					 "virtual-time budget of %.9g s exhausted at rip=0x%llx",
					 cfg->timeout_ns / 1e9, (unsigned long long)bsp->rip);
		if (cfg->max_insns && cfg->max_insns - vm->retired < slice)
			slice = cfg->max_insns - vm->retired;
		n = insns_until(b, board_next_deadline(b));
		if (n < slice)
			slice = n;
		if (cfg->timeout_ns && (n = insns_until(b, cfg->timeout_ns)) < slice)
			slice = n;

		/* 1. Run every CPU for one slice (round robin). */
		for (int i = 0; i < vm->ncpus; i++) {
			struct cpu *c = &vm->cpus[i];
			enum cpu_stop r;

			if (c->wait_for_sipi)
				continue;
			/* Per-CPU devices (the local APIC) answer for this CPU,
			 * whose IA32_APIC_BASE.EN they follow. */
			b->current_cpu = i;
			if (lapic_of(b))
				lapic_set_hw_enabled(lapic_of(b), i, c->msr.apic_base & BIT(11));
			/* --virt=trap: the VMM's world switch to this CPU (vmm_smp.c). */
			if (vm->vmm)
				vmm_world_switch(vm->vmm, c);
			r = run_slice(vm, c, slice);
			/* A breakpoint, watchpoint or event break (a triple-fault
			 * break is reported before the shutdown it announces). */
			if (debug_stopped(vm, st))
				return;
			if (r == CPU_STOP_SHUTDOWN)
				return stop_with(vm, st, VM_EXIT_SHUTDOWN, 0,
						 "guest triple-faulted at rip=0x%llx on cpu%d "
						 "(shutdown)",
						 (unsigned long long)c->rip, i);
			if (b->stop != BOARD_RUNNING)
				break;
			if (!c->halted)
				all_halted = false;
			else if (guest_if(vm, c))
				any_if = true;
		}

		/* 2. Let virtual time act on the devices. */
		board_run_timers(b);

		/* 3. A device asked the machine to stop. */
		switch (b->stop) {
		case BOARD_RUNNING: break;
		case BOARD_STOP_DEBUG_EXIT:
			/* QEMU's isa-debug-exit convention: odd statuses are the guest's. */
			return stop_with(vm, st, (int)(((b->stop_value << 1) | 1) & 0xff),
					 b->stop_value, "%s", "");
		case BOARD_STOP_POWEROFF: return stop_with(vm, st, VM_EXIT_OK, 0, "%s", "");
		case BOARD_STOP_RESET:
			return stop_with(vm, st, VM_EXIT_SHUTDOWN, 0,
					 "guest requested a reset at rip=0x%llx (reboot is not "
					 "emulated yet: stopping)",
					 (unsigned long long)bsp->rip);
		case BOARD_STOP_SHUTDOWN:
			return stop_with(vm, st, VM_EXIT_SHUTDOWN, 0,
					 "guest triple-faulted at rip=0x%llx (shutdown)",
					 (unsigned long long)bsp->rip);
		case BOARD_STOP_UNSUPPORTED:
			/* The VMM refused a feature it does not virtualize (vmm.h):
			 * its one line is the reason, no shutdown happened. */
			return stop_with(vm, st, VM_EXIT_UNSUPPORTED, 0, "vmm: %s",
					 vm->vmm && vm->vmm->fatal[0]
					     ? vm->vmm->fatal
					     : "unsupported guest feature");
		}

		/* 4. Host input for the serial port, now and then. */
		if (input_open && (++polls & 15) == 0)
			input_open = vm->host_poll(vm->host_opaque, 0);

		if (!all_halted)
			continue;
		/* A halted CPU with an interrupt waiting (an IPI sent after it
		 * halted) wakes in the next round. */
		for (int i = 0; i < vm->ncpus && all_halted; i++) {
			struct cpu *c = &vm->cpus[i];

			/* (c->hooks: under --virt=trap the VMM's line, gated by
			 * this CPU's virtual IF.) */
			if (c->halted && !c->wait_for_sipi &&
			    ((c->nmi_pending && !c->nmi_blocked) ||
			     ((c->rflags & FL_IF) && c->hooks.intr_pending(vm, c))))
				all_halted = false;
		}
		if (!all_halted)
			continue;
		/* 5. Every CPU is halted.  With interrupts enabled, something may
		 * wake it: jump virtual time to the next timer (nothing happens in
		 * between, so skipping is exact), or wait for host input. */
		if (any_if && board_next_deadline(b) != UINT64_MAX) {
			u64 t = board_next_deadline(b);

			if (cfg->timeout_ns && t > cfg->timeout_ns)
				t = cfg->timeout_ns;
			board_idle_until(b, t);
			board_run_timers(b);
			continue;
		}
		if (any_if && input_open) {
			input_open = vm->host_poll(vm->host_opaque, -1);
			continue;
		}
		/* Nothing can ever wake it.  QEMU would hang forever here; we say so
		 * and stop. */
		return stop_with(vm, st, VM_EXIT_LIMIT, 0,
				 any_if ? "guest halted at rip=0x%llx waiting for an interrupt "
					  "that cannot come (no timer armed, no input)"
					: "guest halted with interrupts disabled at rip=0x%llx",
				 (unsigned long long)bsp->rip);
	}
}

int vm_run(struct vm *vm, char *why, size_t whylen)
{
	struct vm_stop st;

	/* Without a debugger nothing but the end of the run can stop the loop;
	 * with one (the monitor's -x batch ran out of commands) a breakpoint
	 * that still fires is passed over. */
	do
		vm_run_until(vm, -1, 0, &st);
	while (st.kind != VM_STOPPED_EXITED);
	snprintf(why, whylen, "%s", st.why);
	return st.exit_status;
}
