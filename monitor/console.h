/*
 * console.h - the host side of the guest's serial port (COM1): a chardev
 * whose output goes to stdout or a file and whose input comes from stdin.
 *
 * Later the console multiplexes the serial port with the monitor prompt
 * (DESIGN.md §5); for now it is a plain byte pipe.
 */
#ifndef VMLAB_MONITOR_CONSOLE_H
#define VMLAB_MONITOR_CONSOLE_H

#include <stdio.h>

#include "devices/chardev.h"
#include "lib/common.h"
#include "lib/err.h"

struct console {
	struct chardev cd; /* hand &cd to the board as serial[0] */
	FILE *out;	   /* NULL: output discarded ("none") */
	bool close_out;	   /* we opened it (file:PATH) */
	int in_fd;	   /* host input, -1 when none or closed */
};

/* spec: "stdio", "none" or "file:PATH" (the --serial syntax). */
int console_open(struct console *con, const char *spec, struct err *e);
/* Move host input into the chardev, waiting up to timeout_ms (-1: until
 * some arrives).  Returns false once no input can ever come (EOF, none).
 * The signature fits struct vm's host_poll hook. */
bool console_poll(void *opaque, int timeout_ms);
void console_close(struct console *con);

#endif
