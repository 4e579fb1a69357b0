/*
 * console.c - the serial console: COM1's bytes to stdout or a file, and
 * stdin's bytes to COM1 (see console.h).
 *
 * Output is flushed at every newline so that the guest's lines appear in
 * order with vmlab's own messages on stderr, and nothing is lost when the
 * run is stopped from outside.
 */
#include "monitor/console.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static void console_write(void *opaque, const u8 *buf, size_t len)
{
	struct console *con = opaque;

	if (!con->out)
		return;
	fwrite(buf, 1, len, con->out);
	if (memchr(buf, '\n', len))
		fflush(con->out);
}

int console_open(struct console *con, const char *spec, struct err *e)
{
	memset(con, 0, sizeof(*con));
	con->in_fd = -1;
	con->cd.write = console_write;
	con->cd.opaque = con;
	if (!strcmp(spec, "stdio")) {
		con->out = stdout;
		con->in_fd = STDIN_FILENO;
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		con->out = fopen(spec + 5, "w");
		if (!con->out)
			return err_errno(e, "%s", spec + 5);
		con->close_out = true;
	} else if (strcmp(spec, "none")) {
		return err_set(e, "--serial: expected stdio, none or file:PATH, got \"%s\"", spec);
	}
	return 0;
}

bool console_poll(void *opaque, int timeout_ms)
{
	struct console *con = opaque;
	struct chardev *cd = &con->cd;
	struct pollfd p;
	unsigned used, room;
	u8 buf[256];
	ssize_t n;

	if (con->in_fd < 0)
		return false;
	if (con->out)
		fflush(con->out); /* about to wait: show everything first */
	used = (cd->in_tail - cd->in_head + CHARDEV_INBUF) % CHARDEV_INBUF;
	room = CHARDEV_INBUF - 1 - used;
	if (room == 0)
		return timeout_ms >= 0; /* the guest has not read what it has */
	p = (struct pollfd){.fd = con->in_fd, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) <= 0)
		return true; /* nothing yet (or EINTR): ask again later */
	n = read(con->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		con->in_fd = -1; /* end of input: nothing more will come */
		return false;
	}
	chardev_push(cd, buf, (size_t)n);
	return true;
}

void console_close(struct console *con)
{
	if (con->out)
		fflush(con->out);
	if (con->close_out && con->out)
		fclose(con->out);
	con->out = NULL;
	con->in_fd = -1;
}
