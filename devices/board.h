/*
 * board.h - the motherboard: the bus, the devices on it, interrupt lines,
 * virtual time and the machine's power/stop requests.
 *
 * Devices register themselves with DEVICE_REGISTER (kvmtool-style init
 * levels through a linker section); board_create_devices() instantiates
 * every registered type in level order, so main() names no device.
 * The board knows nothing of the CPU: interrupts leave the board through
 * the `intr` hook the hypervisor installs, and time comes in through
 * board_advance().
 */
#ifndef VMLAB_DEVICES_BOARD_H
#define VMLAB_DEVICES_BOARD_H

#include "devices/bus.h"
#include "devices/chardev.h"
#include "lib/common.h"
#include "lib/err.h"
#include "lib/trace.h"

struct board;
struct lapic;

/* What a device instance offers besides its bus ranges. */
struct device_ops {
	void (*reset)(void *dev);
	/* One paragraph of human-readable state for the monitor's `devices`. */
	void (*describe)(void *dev, char *buf, size_t len);
	void (*destroy)(void *dev);
};

struct device {
	const char *name;
	void *state;
	const struct device_ops *ops;
};

/* A registered device type.  init() creates its state, maps its ranges and
 * calls board_add_device(); it returns 0, or -1 with a message. */
struct device_type {
	const char *name;
	int level; /* lower first: 0 interrupt controllers, 1 timers, 2 others */
	int (*init)(struct board *b, struct err *e);
};

#define DEVICE_REGISTER(sym, nm, lvl, initfn)                                                      \
	static const struct device_type sym                                                        \
	    __attribute__((used, section("vmlab_devices"), aligned(8))) = {nm, lvl, initfn}

/* Why the machine wants the run loop to stop. */
enum board_stop {
	BOARD_RUNNING = 0,
	BOARD_STOP_DEBUG_EXIT, /* guest wrote v to port 0xF4: exit (v << 1) | 1 */
	BOARD_STOP_POWEROFF,   /* orderly power-off: exit 0 */
	BOARD_STOP_RESET,      /* reset request (keyboard controller, port 0x92 ...) */
	BOARD_STOP_SHUTDOWN,   /* triple fault: the CPU's shutdown state */
	BOARD_STOP_UNSUPPORTED, /* the VMM refused a guest feature (vmm_refuse): exit 10 */
};

/* A one-shot virtual-time callback (PIT channel, RTC, LAPIC timer ...). */
struct vtimer {
	u64 deadline_ns;
	bool armed;
	void (*fire)(void *opaque);
	void *opaque;
	struct vtimer *next;
};

#define BOARD_MAX_DEVICES  32
#define BOARD_SERIAL_PORTS 4

struct board {
	struct bus bus;
	struct trace *trace;

	struct device devices[BOARD_MAX_DEVICES];
	int ndevices;

	/* Host side of COM1..COM4; NULL when not connected. */
	struct chardev *serial[BOARD_SERIAL_PORTS];

	/* Raw disk image paths for ide0:0 / ide0:1 (the IDE controller reads them). */
	const char *disk_path[2];
	int ncpus;
	/* The CPU whose slice the run loop is running (0 = BSP): per-CPU
	 * devices such as the local APIC answer MMIO for this one. */
	int current_cpu;
	/* The local APICs (devices/lapic.h), NULL without them. */
	struct lapic *lapic;

	/* Interrupt delivery out of the board: set_irq(line, level) on ISA IRQ
	 * lines 0-15 (and I/O APIC inputs above).  Installed by whoever owns the
	 * interrupt controller (the PIC device itself installs its router). */
	void (*set_irq)(void *opaque, int irq, int level);
	void *irq_opaque;
	/* The CPU-facing interrupt line (INTR): the interrupt controller raises it;
	 * the hypervisor polls board_intr_pending()/board_intr_ack(). */
	int (*intr_ack)(void *opaque); /* returns the vector, -1 if none */
	bool (*intr_pending)(void *opaque);
	void *intr_opaque;

	/* Virtual time: now_ns = insn_base + *icount * ns_per_insn + idle_ns. */
	const u64 *icount;
	u64 ns_per_insn;
	u64 idle_ns;
	struct vtimer *timers; /* sorted by deadline */

	/* Stop request from a device, read by the run loop. */
	enum board_stop stop;
	u64 stop_value;

	/* The A20 gate (i8042 output port bit 1, port 0x92 bit 1).  Meant to be
	 * true by default: our BIOS and multiboot loaders run with A20 on, and
	 * the CPU does not mask address bit 20 yet.  board_init zeroes it, so
	 * the i8042 sets it true when it is created and on reset. */
	bool a20_enabled;
};

int board_init(struct board *b, u64 ram_size, struct trace *t, struct err *e);
/* Instantiate every registered device type, in level order. */
int board_create_devices(struct board *b, struct err *e);
/* Instantiate one registered type by name (unit tests, partial boards);
 * -1 with a message when no such type is linked in. */
int board_create_device(struct board *b, const char *type_name, struct err *e);
void board_destroy(struct board *b);
void board_reset(struct board *b);

/* Record a device instance (name, state, ops) for listing, reset, destroy. */
void board_add_device(struct board *b, const char *name, void *state, const struct device_ops *ops);
void *board_find_device(struct board *b, const char *name);

/* Raise/lower an interrupt request line; a no-op without a controller. */
void board_set_irq(struct board *b, int irq, int level);

void board_request_stop(struct board *b, enum board_stop why, u64 value);

/* Virtual time. */
u64 board_now_ns(const struct board *b);
void vtimer_arm(struct board *b, struct vtimer *t, u64 deadline_ns);
void vtimer_cancel(struct board *b, struct vtimer *t);
/* Deadline of the earliest armed timer, or UINT64_MAX. */
u64 board_next_deadline(const struct board *b);
/* Fire every timer whose deadline has passed. */
void board_run_timers(struct board *b);
/* Idle (all CPUs halted): jump virtual time forward to `ns`. */
void board_idle_until(struct board *b, u64 ns);

#endif
