/*
 * phase_marker.c - the benchmark phase-marker port at 0x8A00 (see
 * phase_marker.h for the protocol; the idea is Bochs's port-0x8A00
 * instrumentation interface, the encoding is our own).
 *
 * The device only collects what the guest wrote and forwards BEGIN/END to
 * the hook; a guest can do nothing with it but name phases.  Commands other
 * than BEGIN/END are ignored (and counted, for `devices`).
 */
#include "devices/phase_marker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/board.h"

struct phase_marker {
	char name[PHASE_NAME_MAX]; /* the next phase's name, NUL-terminated */
	unsigned len;
	u32 iters;
	u64 begins, ends, ignored; /* for `devices` */
	phase_hook_fn hook;
	void *opaque;
};

static u64 marker_read(void *dev, u64 off, unsigned size)
{
	return off == 0 ? 0x8a : 0;
}

static void marker_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct phase_marker *pm = dev;

	switch (off) {
	case 0: /* command */
		if ((v & 0xff) != PHASE_BEGIN && (v & 0xff) != PHASE_END) {
			pm->ignored++;
			return;
		}
		if ((v & 0xff) == PHASE_BEGIN)
			pm->begins++;
		else
			pm->ends++;
		if (pm->hook)
			pm->hook(pm->opaque, (enum phase_cmd)(v & 0xff), pm->name, pm->iters);
		if ((v & 0xff) == PHASE_END) {
			pm->len = 0;
			pm->name[0] = 0;
			pm->iters = 0;
		}
		return;
	case 1: /* one character of the name */
		if (pm->len + 1 < PHASE_NAME_MAX && (v & 0xff) >= 0x20 && (v & 0xff) < 0x7f) {
			pm->name[pm->len++] = (char)(v & 0xff);
			pm->name[pm->len] = 0;
		}
		return;
	case 4: /* iterations (a 4-byte write; narrower ones set the low bytes) */
		pm->iters = (u32)(v & mask_of(size));
		return;
	default: pm->ignored++; return;
	}
}

/* Byte-wide at 0x8A00/0x8A01, dword at 0x8A04: the bus splits nothing
 * (min 1, max 4) and each offset means what the header says. */
static const struct io_ops marker_ops = {
    .name = "phase-marker", .read = marker_read, .write = marker_write, .min = 1, .max = 4};

static void marker_describe(void *dev, char *buf, size_t len)
{
	struct phase_marker *pm = dev;

	snprintf(buf, len, "port 0x8a00-0x8a07: %llu phases begun, %llu ended, %llu ignored writes",
		 (unsigned long long)pm->begins, (unsigned long long)pm->ends,
		 (unsigned long long)pm->ignored);
}

static void marker_reset(void *dev)
{
	struct phase_marker *pm = dev;

	pm->len = 0;
	pm->name[0] = 0;
	pm->iters = 0;
}

static void marker_destroy(void *dev)
{
	free(dev);
}

static const struct device_ops marker_dev_ops = {
    .reset = marker_reset, .describe = marker_describe, .destroy = marker_destroy};

struct phase_marker *phase_marker_find(struct board *b)
{
	return board_find_device(b, "phase-marker");
}

void phase_marker_set_hook(struct phase_marker *pm, phase_hook_fn fn, void *opaque)
{
	pm->hook = fn;
	pm->opaque = opaque;
}

static int marker_init(struct board *b, struct err *e)
{
	struct phase_marker *pm = xcalloc(1, sizeof(*pm));

	board_add_device(b, "phase-marker", pm, &marker_dev_ops);
	return bus_map_pio(&b->bus, PHASE_MARKER_PORT, 8, &marker_ops, pm, e);
}

DEVICE_REGISTER(phase_marker_type, "phase-marker", 2, marker_init);
