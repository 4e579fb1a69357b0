/*
 * board.c - the motherboard: device registration, interrupt lines, stop
 * requests and virtual time (devices/board.h, DESIGN.md §3).
 *
 * Device registration follows kvmtool's idea: every device file says
 *
 *     DEVICE_REGISTER(uart_type, "uart16550", 2, uart_init);
 *
 * which drops a struct device_type into the linker section "vmlab_devices".
 * The GNU linker defines __start_vmlab_devices/__stop_vmlab_devices around
 * any section whose name is a valid C identifier, so board_create_devices()
 * can walk every device linked into the binary without a central list.
 *
 * Virtual time: the machine's clock is derived from the number of retired
 * instructions, so two runs of the same guest see the same time and produce
 * the same trace (STYLE.md §11):
 *
 *     now_ns = *icount * ns_per_insn + idle_ns
 *
 * idle_ns grows only when every CPU is halted and the run loop skips ahead
 * to the next timer deadline (board_idle_until).  Timers (struct vtimer) are
 * kept in one list sorted by deadline; the run loop asks for the earliest
 * deadline and calls board_run_timers() once it has passed.
 */
#include "devices/board.h"

#include <stdlib.h>
#include <string.h>

/* Bounds of the registration section; weak so that a test binary linking no
 * device at all still links (both are then NULL). */
extern const struct device_type __start_vmlab_devices[] __attribute__((weak));
extern const struct device_type __stop_vmlab_devices[] __attribute__((weak));

int board_init(struct board *b, u64 ram_size, struct trace *t, struct err *e)
{
	memset(b, 0, sizeof(*b));
	b->trace = t;
	b->ns_per_insn = 1;
	b->ncpus = 1;
	/* A20 starts enabled: multiboot loaders and our BIOS expect it on, and
	 * the CPU does not mask address bit 20 yet.  The i8042 output port and
	 * port 0x92 can turn it off. */
	b->a20_enabled = true;
	return bus_init(&b->bus, ram_size, t, e);
}

/* Sort by level; equal levels by name, so the order never depends on the
 * link order (determinism). */
static int type_cmp(const void *x, const void *y)
{
	const struct device_type *a = *(const struct device_type *const *)x;
	const struct device_type *c = *(const struct device_type *const *)y;

	if (a->level != c->level)
		return a->level < c->level ? -1 : 1;
	return strcmp(a->name, c->name);
}

int board_create_devices(struct board *b, struct err *e)
{
	const struct device_type *start = __start_vmlab_devices, *stop = __stop_vmlab_devices;
	size_t n = (start && stop) ? (size_t)(stop - start) : 0;
	const struct device_type **order;
	int rc = 0;

	if (!n)
		return 0;
	order = xcalloc(n, sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = &start[i];
	qsort(order, n, sizeof(*order), type_cmp);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = order[i]->init(b, e);
	free(order);
	return rc;
}

int board_create_device(struct board *b, const char *type_name, struct err *e)
{
	const struct device_type *t = __start_vmlab_devices;

	for (; t && t < __stop_vmlab_devices; t++)
		if (!strcmp(t->name, type_name))
			return t->init(b, e);
	return err_set(e, "board: no device type '%s' in this build", type_name);
}

void board_add_device(struct board *b, const char *name, void *state, const struct device_ops *ops)
{
	if (b->ndevices >= BOARD_MAX_DEVICES)
		panic("board: too many devices (max %d) adding %s", BOARD_MAX_DEVICES, name);
	b->devices[b->ndevices++] = (struct device){name, state, ops};
}

void *board_find_device(struct board *b, const char *name)
{
	for (int i = 0; i < b->ndevices; i++)
		if (!strcmp(b->devices[i].name, name))
			return b->devices[i].state;
	return NULL;
}

void board_reset(struct board *b)
{
	for (int i = 0; i < b->ndevices; i++)
		if (b->devices[i].ops && b->devices[i].ops->reset)
			b->devices[i].ops->reset(b->devices[i].state);
	b->stop = BOARD_RUNNING;
	b->stop_value = 0;
}

void board_destroy(struct board *b)
{
	/* Reverse creation order: a device may still refer to one made before it. */
	for (int i = b->ndevices - 1; i >= 0; i--)
		if (b->devices[i].ops && b->devices[i].ops->destroy)
			b->devices[i].ops->destroy(b->devices[i].state);
	b->ndevices = 0;
	b->timers = NULL;
	bus_destroy(&b->bus);
}

void board_set_irq(struct board *b, int irq, int level)
{
	if (b->set_irq)
		b->set_irq(b->irq_opaque, irq, level);
}

/* The first request wins until the run loop consumes it (sets b->stop back to
 * BOARD_RUNNING): a debug-exit followed by a reset in the same instruction
 * slice still exits with the guest's value. */
void board_request_stop(struct board *b, enum board_stop why, u64 value)
{
	if (b->stop != BOARD_RUNNING)
		return;
	b->stop = why;
	b->stop_value = value;
}

/* ---- virtual time ------------------------------------------------------- */

u64 board_now_ns(const struct board *b)
{
	u64 insns = b->icount ? *b->icount : 0;

	return insns * b->ns_per_insn + b->idle_ns;
}

void vtimer_cancel(struct board *b, struct vtimer *t)
{
	for (struct vtimer **p = &b->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = false;
}

void vtimer_arm(struct board *b, struct vtimer *t, u64 deadline_ns)
{
	struct vtimer **p;

	if (t->armed)
		vtimer_cancel(b, t);
	t->deadline_ns = deadline_ns;
	t->armed = true;
	/* Insert after every timer with deadline <= ours: equal deadlines fire
	 * in arming order. */
	for (p = &b->timers; *p && (*p)->deadline_ns <= deadline_ns; p = &(*p)->next)
		;
	t->next = *p;
	*p = t;
}

u64 board_next_deadline(const struct board *b)
{
	return b->timers ? b->timers->deadline_ns : UINT64_MAX;
}

void board_run_timers(struct board *b)
{
	u64 now = board_now_ns(b);

	/* A callback may re-arm its own timer (periodic devices), even at a
	 * deadline that has already passed; devices re-arm strictly in the
	 * future, so this loop ends. */
	while (b->timers && b->timers->deadline_ns <= now) {
		struct vtimer *t = b->timers;
		b->timers = t->next;
		t->next = NULL;
		t->armed = false;
		t->fire(t->opaque);
	}
}

void board_idle_until(struct board *b, u64 ns)
{
	u64 now = board_now_ns(b);

	if (ns > now)
		b->idle_ns += ns - now;
}
