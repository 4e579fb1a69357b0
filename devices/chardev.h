/*
 * chardev.h - a byte stream between a guest device (UART) and the host.
 *
 * The monitor decides where output goes (stdout, a file, the console
 * multiplexer) and pushes host input in; the device only calls these.
 */
#ifndef VMLAB_DEVICES_CHARDEV_H
#define VMLAB_DEVICES_CHARDEV_H

#include "lib/common.h"

#define CHARDEV_INBUF 4096

struct chardev {
	void (*write)(void *opaque, const u8 *buf, size_t len); /* guest -> host */
	void *opaque;
	/* host -> guest: a ring buffer filled by chardev_push */
	u8 in[CHARDEV_INBUF];
	unsigned in_head, in_tail;
	void (*input_ready)(void *dev); /* set by the device: new input arrived */
	void *dev;
};

static inline void chardev_write(struct chardev *c, u8 byte)
{
	if (c && c->write)
		c->write(c->opaque, &byte, 1);
}

/* Queue host input; bytes that do not fit are dropped (returns count taken). */
static inline size_t chardev_push(struct chardev *c, const u8 *buf, size_t len)
{
	size_t n = 0;
	while (n < len && ((c->in_tail + 1) % CHARDEV_INBUF) != c->in_head) {
		c->in[c->in_tail] = buf[n++];
		c->in_tail = (c->in_tail + 1) % CHARDEV_INBUF;
	}
	if (n && c->input_ready)
		c->input_ready(c->dev);
	return n;
}

static inline bool chardev_can_read(const struct chardev *c)
{
	return c && c->in_head != c->in_tail;
}

static inline int chardev_read(struct chardev *c)
{
	u8 b;
	if (!chardev_can_read(c))
		return -1;
	b = c->in[c->in_head];
	c->in_head = (c->in_head + 1) % CHARDEV_INBUF;
	return b;
}

#endif
