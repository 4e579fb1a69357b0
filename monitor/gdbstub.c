/*
 * gdbstub.c - the gdb remote stub's connection: the TCP socket, acks and
 * resends, the packet loop, and running the guest while Ctrl-C is watched
 * on the socket.  The requests themselves (registers, memory, breakpoints,
 * threads, qXfer, stop replies) are executed by gdbstub_requests.c, parsed
 * by gdb_packet.c (GDB manual, Appendix E; the packet letters below are the
 * manual's section E.2, stop replies §E.3).
 *
 * A debugging session, as gdb drives it:
 *
 *   gdb                                  stub
 *   ---------------------------------    ---------------------------------
 *   $qSupported:...#cs               ->  PacketSize, qXfer:features ...
 *   $qXfer:features:read:target.xml  ->  the register layout (gdb_xml.c)
 *   $?#3f                            ->  T05thread:1;  (stopped: SIGTRAP)
 *   $g#67                            ->  all registers, hex, target order
 *   $Z0,100180,1#..                  ->  OK  (a breakpoint: debug.h, never
 *                                         an INT3 written into guest RAM)
 *   $vCont;c#a8                      ->  ... the guest runs ...
 *                                        T05thread:1;swbreak:;
 *   $D#44                            ->  OK, the guest runs to its end
 *
 * Every packet is "$" data "#" two hex digits of the modulo-256 sum of the
 * data; the receiver answers '+' (good) or '-' (resend) until gdb asks for
 * QStartNoAckMode.  A 0x03 byte while the guest runs is Ctrl-C.
 */
#include "monitor/gdbstub_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- sending ---- */

static int write_all(int fd, const u8 *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int gdbstub_send(struct gdb *g, const u8 *data, size_t len)
{
	g->last_len = gdb_frame(data, len, g->last, sizeof(g->last));
	if (g->last_len < 0)
		panic("gdbstub: reply of %zu bytes does not fit", len);
	return write_all(g->fd, g->last, (size_t)g->last_len);
}

/* The reply being built in g->reply. */
void gdbstub_reply_str(struct gdb *g, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(g->reply))
		panic("gdbstub: reply too long");
	memcpy(g->reply, s, n);
	g->rlen = n;
}

void gdbstub_reply_fmt(struct gdb *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	gdbstub_reply_str(g, buf);
}

/* One received byte; the Ctrl-C watcher's leftovers come first. */
static int read_byte(struct gdb *g)
{
	u8 b;

	if (g->pend_pos < g->npend)
		return g->pend[g->pend_pos++];
	for (;;) {
		ssize_t n = recv(g->fd, &b, 1, 0);
		if (n == 1)
			return b;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

/* ---- running the guest, with Ctrl-C watched on the socket ---- */

struct watcher {
	struct gdb *g;
	int wake[2]; /* pipe: the run is over */
};

static void *watch_ctrl_c(void *arg)
{
	struct watcher *w = arg;
	struct gdb *g = w->g;

	for (;;) {
		struct pollfd pf[2] = {{g->fd, POLLIN, 0}, {w->wake[0], POLLIN, 0}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		if (!pf[0].revents)
			continue;
		if (g->npend >= sizeof(g->pend))
			break; /* gdb talks while the guest runs: keep it for later */
		ssize_t n = recv(g->fd, g->pend + g->npend, sizeof(g->pend) - g->npend, 0);
		if (n <= 0) {
			vm_debug_interrupt(g->vm); /* gdb went away: stop and see */
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if (g->pend[g->npend + i] == 0x03)
				vm_debug_interrupt(g->vm);
		g->npend += (size_t)n;
	}
	return NULL;
}

void gdbstub_run_guest(struct gdb *g, bool step, int cpu, struct vm_stop *st)
{
	struct watcher w = {g, {-1, -1}};
	pthread_t th;
	bool threaded;

	/* The watcher owns the socket while the guest runs. */
	g->npend = g->pend_pos = 0;
	threaded = pipe(w.wake) == 0 && pthread_create(&th, NULL, watch_ctrl_c, &w) == 0;
	memset(st, 0, sizeof(*st));
	if (step)
		vm_debug_step(g->vm, cpu, 1, st);
	else
		vm_debug_continue(g->vm, st);
	if (threaded) {
		(void)!write(w.wake[1], "x", 1);
		pthread_join(th, NULL);
	}
	if (w.wake[0] >= 0) {
		close(w.wake[0]);
		close(w.wake[1]);
	}
	/* Ctrl-C bytes are consumed; anything else is gdb's next packet. */
	size_t k = 0;
	for (size_t i = 0; i < g->npend; i++)
		if (g->pend[i] != 0x03)
			g->pend[k++] = g->pend[i];
	g->npend = k;
}

/* ---- the session ---- */

/* Serve packets until the session ends; returns a SESSION_* code. */
static int session(struct gdb *g, int *status)
{
	for (;;) {
		int b = read_byte(g);
		if (b < 0)
			return SESSION_LOST;
		switch (gdb_rx_byte(&g->rx, (u8)b)) {
		case GDB_RX_MORE:
		case GDB_RX_ACK:
		case GDB_RX_BREAK: /* Ctrl-C while stopped: nothing to interrupt */ break;
		case GDB_RX_NAK:
			if (g->last_len > 0 && write_all(g->fd, g->last, (size_t)g->last_len))
				return SESSION_LOST;
			break;
		case GDB_RX_BAD_CSUM:
			/* With acks gdb resends; without, it waits for a reply. */
			if (!g->noack)
				write_all(g->fd, (const u8 *)"-", 1);
			else
				gdbstub_send(g, (const u8 *)"E01", 3);
			break;
		case GDB_RX_OVERLONG:
			if (!g->noack)
				write_all(g->fd, (const u8 *)"+", 1);
			gdbstub_send(g, (const u8 *)"E01", 3);
			break;
		case GDB_RX_PACKET: {
			if (!g->noack && write_all(g->fd, (const u8 *)"+", 1))
				return SESSION_LOST;
			int s = gdbstub_handle(g, g->rx.buf, g->rx.len);
			if (s == SESSION_EXITED)
				*status = g->exit_status;
			if (s != SESSION_GO_ON)
				return s;
			break;
		}
		}
	}
}

static int listen_on(int port, int *bound, struct err *e)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((u16)port)};
	socklen_t sl = sizeof(sa);
	int one = 1, fd;

	if (port < 0 || port > 65535)
		return err_set(e, "--gdb %d: not a TCP port (0..65535)", port);
	/* Loopback only: whoever connects owns the machine. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(e, "--gdb: socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		err_errno(e, "--gdb %d: cannot listen on 127.0.0.1:%d", port, port);
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* After a detach (or a lost gdb) the guest runs to its end, as without gdb. */
static int run_to_end(struct gdb *g)
{
	struct vm_stop st;

	gdbstub_points_clear(g);
	do {
		memset(&st, 0, sizeof(st));
		vm_debug_continue(g->vm, &st);
	} while (st.kind != VM_STOPPED_EXITED);
	if (st.why[0] && !(st.exit_status & 1))
		fprintf(stderr, "vmlab: %s\n", st.why);
	return st.exit_status;
}

int gdbstub_serve(struct vm *vm, int port, struct err *e)
{
	struct gdb *g;
	int lfd, bound = 0, status = VM_EXIT_OK, one = 1;

	lfd = listen_on(port, &bound, e);
	if (lfd < 0)
		return -1;
	fprintf(stderr, "vmlab: waiting for gdb on 127.0.0.1:%d (target remote :%d)\n", bound,
		bound);
	int fd;
	do
		fd = accept(lfd, NULL, NULL);
	while (fd < 0 && errno == EINTR);
	close(lfd);
	if (fd < 0)
		return err_errno(e, "--gdb %d: accept", bound);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	g = xcalloc(1, sizeof(*g));
	g->vm = vm;
	g->fd = fd;
	g->ccpu = -1;
	gdb_rx_init(&g->rx);
	/* The description is chosen once, at attach: gdb reads it once. */
	g->arch = gdb_arch_for(&vm->cpus[0]);

	switch (session(g, &status)) {
	case SESSION_EXITED: break; /* status set from the W reply */
	case SESSION_KILL:
		fprintf(stderr, "vmlab: killed by gdb\n");
		status = VM_EXIT_OK;
		break;
	case SESSION_LOST:
		fprintf(stderr, "vmlab: gdb connection closed; the guest runs on\n");
		/* fall through */
	default:
		close(fd);
		g->fd = -1;
		status = run_to_end(g);
		break;
	}
	if (g->fd >= 0)
		close(g->fd);
	free(g);
	return status;
}
