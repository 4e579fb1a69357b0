/*
 * debug_exit.c - a test device compatible with QEMU's isa-debug-exit, as
 * used with `-device isa-debug-exit,iobase=0xf4,iosize=4` (QEMU
 * hw/misc/debugexit.c behaviour; DESIGN.md §3).
 *
 * A guest test writes a value v to port 0xF4 (any of 0xF4-0xF7, 1, 2 or 4
 * bytes wide) and the machine stops; vmlab then exits with status
 * (v << 1) | 1, so a guest can never produce a plain 0 ("success" must be
 * agreed on, e.g. v = 0x10 -> 33).  As in QEMU, v is the value of the access
 * size only (an OUT DX, AL of 0x31 gives 0x31, whatever the rest of EAX is).
 * Reads return 0.
 */
#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>

struct debug_exit {
	struct board *board;
	u64 last; /* the last value written, for `devices` */
	bool written;
};

static u64 debug_exit_read(void *dev, u64 off, unsigned size)
{
	return 0;
}

static void debug_exit_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct debug_exit *d = dev;

	d->last = v & mask_of(size);
	d->written = true;
	board_request_stop(d->board, BOARD_STOP_DEBUG_EXIT, d->last);
}

static const struct io_ops debug_exit_ops = {
    .name = "debug-exit", .read = debug_exit_read, .write = debug_exit_write, .min = 1, .max = 4};

static void debug_exit_describe(void *dev, char *buf, size_t len)
{
	struct debug_exit *d = dev;

	if (d->written)
		snprintf(buf, len, "port 0xf4-0xf7: last write 0x%llx -> exit status %llu",
			 (unsigned long long)d->last,
			 (unsigned long long)(((d->last << 1) | 1) & 0xff));
	else
		snprintf(buf, len, "port 0xf4-0xf7: not written");
}

static void debug_exit_reset(void *dev)
{
	struct debug_exit *d = dev;

	d->written = false;
	d->last = 0;
}

static void debug_exit_destroy(void *dev)
{
	free(dev);
}

static const struct device_ops debug_exit_dev_ops = {
    .reset = debug_exit_reset, .describe = debug_exit_describe, .destroy = debug_exit_destroy};

static int debug_exit_init(struct board *b, struct err *e)
{
	struct debug_exit *d = xcalloc(1, sizeof(*d));

	d->board = b;
	board_add_device(b, "debug-exit", d, &debug_exit_dev_ops);
	return bus_map_pio(&b->bus, 0xf4, 4, &debug_exit_ops, d, e);
}

DEVICE_REGISTER(debug_exit_type, "debug-exit", 2, debug_exit_init);
