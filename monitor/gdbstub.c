/*
 * gdbstub.c - the gdb remote stub's session: gdb's requests (parsed by
 * gdb_packet.c) executed on a vmlab machine through the execution-control
 * contract of hypervisor/debug.h (GDB manual, Appendix E; the packet
 * letters below are the manual's section E.2, stop replies §E.3).
 *
 * A debugging session, as gdb drives it:
 *
 *   gdb                                  stub (this file)
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
 *
 * Addresses in m/M/X/Z packets are linear addresses (segment bases are
 * gdb's business, as with QEMU); memory goes through the CPU's side-effect
 * free page walk (cpu_debug_translate) and reaches RAM and ROM only: device
 * registers are never read by a debugger's memory dump.
 */
#include "monitor/gdbstub.h"

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

#include "cpu/cpu.h"
#include "hypervisor/debug.h"
#include "hypervisor/vm.h"

/* ---- session state ---- */

/* A breakpoint or watchpoint gdb inserted, and the debug.h id behind it. */
struct gdb_point {
	int id; /* 0 = free */
	int type;
	u64 addr, len;
};

struct gdb {
	struct vm *vm;
	int fd;
	struct gdb_rx rx;
	bool noack;
	enum gdb_arch arch;
	int gcpu;	 /* Hg: the CPU whose registers and memory gdb sees */
	int ccpu;	 /* Hc: the CPU that steps (-1: the stopped one) */
	int stopped_cpu; /* the CPU that reported the last stop */
	int exit_status; /* the guest ended: vmlab's exit status */
	struct gdb_point pts[DBG_MAX_BREAK + DBG_MAX_WATCH];
	/* bytes read by the Ctrl-C watcher while the guest ran */
	u8 pend[256];
	size_t npend, pend_pos;
	u8 last[2 * GDB_PKT_MAX + 8]; /* the last packet sent (for '-') */
	int last_len;
	struct gdb_req req;
	u8 reply[GDB_PKT_MAX];
	size_t rlen;
};

enum { SESSION_GO_ON, SESSION_DETACH, SESSION_KILL, SESSION_EXITED, SESSION_LOST };

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

static int send_packet(struct gdb *g, const u8 *data, size_t len)
{
	g->last_len = gdb_frame(data, len, g->last, sizeof(g->last));
	if (g->last_len < 0)
		panic("gdbstub: reply of %zu bytes does not fit", len);
	return write_all(g->fd, g->last, (size_t)g->last_len);
}

/* The reply being built in g->reply. */
static void reply_str(struct gdb *g, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(g->reply))
		panic("gdbstub: reply too long");
	memcpy(g->reply, s, n);
	g->rlen = n;
}

static void reply_fmt(struct gdb *g, const char *fmt, ...) PRINTF(2, 3);
static void reply_fmt(struct gdb *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	reply_str(g, buf);
}

static struct cpu *gcpu(struct gdb *g)
{
	return &g->vm->cpus[g->gcpu];
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

/* ---- stop replies (E.3 "Stop Reply Packets") ---- */

static struct gdb_point *point_by_id(struct gdb *g, int id)
{
	for (size_t i = 0; i < ARRAY_SIZE(g->pts); i++)
		if (g->pts[i].id && g->pts[i].id == id)
			return &g->pts[i];
	return NULL;
}

static int stop_reply(struct gdb *g, const struct vm_stop *st)
{
	static const char *const watch_kind[] = {[2] = "watch", [3] = "rwatch", [4] = "awatch"};
	struct gdb_point *p;
	char extra[64] = "";

	if (st->kind == VM_STOPPED_EXITED) {
		/* W: the process exited; gdb shows "exited with code NN". */
		reply_fmt(g, "W%02x", st->exit_status & 0xff);
		g->exit_status = st->exit_status;
		return SESSION_EXITED;
	}
	if (st->cpu >= 0 && st->cpu < g->vm->ncpus)
		g->stopped_cpu = st->cpu;
	g->gcpu = g->stopped_cpu;
	switch (st->kind) {
	case VM_STOPPED_BREAKPOINT:
		p = point_by_id(g, st->id);
		/* swbreak/hwbreak tell gdb the PC already points at the
		 * breakpoint: no "PC - 1" adjustment as after an INT3. */
		if (p)
			snprintf(extra, sizeof(extra), "%s:;",
				 p->type == 0 ? "swbreak" : "hwbreak");
		break;
	case VM_STOPPED_WATCHPOINT:
		p = point_by_id(g, st->id);
		/* gdb matches the address against the watched range. */
		if (p && p->type >= 2)
			snprintf(extra, sizeof(extra), "%s:%llx;", watch_kind[p->type],
				 (unsigned long long)p->addr);
		break;
	default: break;
	}
	reply_fmt(g, "T%02xthread:%x;%s", st->kind == VM_STOPPED_INTERRUPT ? 2 : 5,
		  g->stopped_cpu + 1, extra);
	return SESSION_GO_ON;
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

static void run_guest(struct gdb *g, bool step, int cpu, struct vm_stop *st)
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

/* ---- memory (linear addresses through the debug page walk) ---- */

/* Copy len bytes at linear addr to/from buf, page by page; returns the
 * number of bytes done (stops at the first unmapped or non-RAM/ROM page). */
static size_t mem_access(struct gdb *g, u64 addr, u8 *buf, size_t len, bool write)
{
	size_t done = 0;

	while (done < len) {
		u64 lin = addr + done;
		size_t n = 4096 - (lin & 4095);
		int r;

		if (n > len - done)
			n = len - done;
		r = write ? vm_debug_write(g->vm, g->gcpu, DBG_VIRT, lin, buf + done, n, NULL)
			  : vm_debug_read(g->vm, g->gcpu, DBG_VIRT, lin, buf + done, n, NULL);
		if (r < 0)
			break;
		done += n;
	}
	return done;
}

/* ---- breakpoints and watchpoints ---- */

static void point_insert(struct gdb *g, const struct gdb_req *r)
{
	static const enum dbg_access acc[] = {[2] = DBG_WRITE, [3] = DBG_READ, [4] = DBG_ACCESS};
	struct gdb_point *free_slot = NULL;
	struct err e;
	int id;

	for (size_t i = 0; i < ARRAY_SIZE(g->pts); i++) {
		struct gdb_point *p = &g->pts[i];
		if (!p->id) {
			free_slot = free_slot ? free_slot : p;
		} else if (p->type == r->type && p->addr == r->addr && p->len == r->len) {
			reply_str(g, "OK"); /* inserting twice is allowed (E.2 "Z") */
			return;
		}
	}
	if (r->type <= 1)
		id = dbg_break_add(g->vm, DBG_VIRT, r->addr, false, NULL, &e);
	else if (r->len == 0 || r->len > 4096)
		id = -1;
	else
		id = dbg_watch_add(g->vm, DBG_VIRT, r->addr, r->len, acc[r->type], &e);
	if (id <= 0 || !free_slot) {
		if (id > 0)
			dbg_delete(g->vm, id, &e);
		reply_str(g, "E0c"); /* ENOMEM-ish: gdb says "Could not insert" */
		return;
	}
	*free_slot = (struct gdb_point){id, r->type, r->addr, r->len};
	reply_str(g, "OK");
}

static void point_remove(struct gdb *g, const struct gdb_req *r)
{
	struct err e;

	for (size_t i = 0; i < ARRAY_SIZE(g->pts); i++) {
		struct gdb_point *p = &g->pts[i];
		if (p->id && p->type == r->type && p->addr == r->addr && p->len == r->len) {
			dbg_delete(g->vm, p->id, &e);
			p->id = 0;
		}
	}
	reply_str(g, "OK");
}

static void points_clear(struct gdb *g)
{
	struct err e;

	for (size_t i = 0; i < ARRAY_SIZE(g->pts); i++)
		if (g->pts[i].id) {
			dbg_delete(g->vm, g->pts[i].id, &e);
			g->pts[i].id = 0;
		}
}

/* ---- the request dispatcher ---- */

static bool thread_ok(const struct gdb *g, long t)
{
	return t >= 1 && t <= g->vm->ncpus;
}

static void read_regs(struct gdb *g)
{
	u8 buf[16];
	char *out = (char *)g->reply;

	g->rlen = 0;
	for (int i = 0; i < gdb_reg_count(g->arch); i++) {
		int n = gdb_reg_read(gcpu(g), g->arch, i, buf);
		gdb_hex_encode(buf, (size_t)n, out + g->rlen);
		g->rlen += 2 * (size_t)n;
	}
}

static void write_regs(struct gdb *g, const struct gdb_req *r)
{
	size_t off = 0;
	bool bad = false;

	if (r->dlen != (size_t)gdb_regs_size(g->arch)) {
		reply_str(g, "E01");
		return;
	}
	for (int i = 0; i < gdb_reg_count(g->arch); i++) {
		int n = gdb_reg_size(g->arch, i);
		if (gdb_reg_write(gcpu(g), g->arch, i, r->data + off, (size_t)n) < 0)
			bad = true;
		off += (size_t)n;
	}
	reply_str(g, bad ? "E01" : "OK");
}

static void xfer_features(struct gdb *g, const struct gdb_req *r)
{
	size_t len, used;
	const char *xml = gdb_target_xml(g->arch, &len);

	if (strcmp(r->name, "target.xml")) {
		reply_str(g, "E00");
		return;
	}
	if (r->addr >= len) {
		reply_str(g, "l");
		return;
	}
	u64 want = r->len < sizeof(g->reply) - 1 ? r->len : sizeof(g->reply) - 1;
	size_t avail = len - (size_t)r->addr;
	g->rlen =
	    1 + gdb_escape((const u8 *)xml + r->addr, avail, g->reply + 1, (size_t)want, &used);
	/* 'l': this is the last piece; 'm': ask for more. */
	g->reply[0] = used == avail ? 'l' : 'm';
}

static int step_or_continue(struct gdb *g, const struct gdb_req *r)
{
	struct vm_stop st;
	int cpu = g->stopped_cpu;

	if (r->kind == GDB_REQ_STEP) {
		if (thread_ok(g, r->thread))
			cpu = (int)r->thread - 1;
		else if (g->ccpu >= 0)
			cpu = g->ccpu;
	}
	if (r->has_addr)
		g->vm->cpus[cpu].rip = r->addr;
	run_guest(g, r->kind == GDB_REQ_STEP, cpu, &st);
	return stop_reply(g, &st);
}

static int handle(struct gdb *g, const u8 *pkt, size_t len)
{
	struct gdb_req *r = &g->req;
	u8 buf[16];
	int n;

	gdb_parse(pkt, len, r);
	g->rlen = 0;
	switch (r->kind) {
	case GDB_REQ_UNKNOWN: break; /* the empty reply */
	case GDB_REQ_MALFORMED: reply_str(g, "E01"); break;
	case GDB_REQ_SUPPORTED:
		reply_fmt(g,
			  "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
			  "QStartNoAckMode+;vContSupported+",
			  GDB_PKT_MAX);
		break;
	case GDB_REQ_NOACK:
		reply_str(g, "OK");
		send_packet(g, g->reply, g->rlen);
		g->noack = true; /* from the packet after this OK */
		return SESSION_GO_ON;
	case GDB_REQ_XFER_FEATURES: xfer_features(g, r); break;
	case GDB_REQ_HALT_REASON: reply_fmt(g, "T05thread:%x;", g->stopped_cpu + 1); break;
	case GDB_REQ_READ_REGS: read_regs(g); break;
	case GDB_REQ_WRITE_REGS: write_regs(g, r); break;
	case GDB_REQ_READ_REG:
		n = gdb_reg_read(gcpu(g), g->arch, r->reg, buf);
		if (n < 0) {
			reply_str(g, "E00");
			break;
		}
		gdb_hex_encode(buf, (size_t)n, (char *)g->reply);
		g->rlen = 2 * (size_t)n;
		break;
	case GDB_REQ_WRITE_REG:
		reply_str(g,
			  gdb_reg_write(gcpu(g), g->arch, r->reg, r->data, r->dlen) ? "E01" : "OK");
		break;
	case GDB_REQ_READ_MEM: {
		size_t want = r->len < sizeof(g->reply) / 2 ? (size_t)r->len : sizeof(g->reply) / 2;
		size_t got = mem_access(g, r->addr, r->data, want, false);
		if (!got && want) {
			reply_str(g, "E14"); /* EFAULT: not mapped */
			break;
		}
		gdb_hex_encode(r->data, got, (char *)g->reply);
		g->rlen = 2 * got;
		break;
	}
	case GDB_REQ_WRITE_MEM:
		reply_str(g,
			  mem_access(g, r->addr, r->data, r->dlen, true) == r->dlen ? "OK" : "E14");
		break;
	case GDB_REQ_CONTINUE:
	case GDB_REQ_STEP:
		n = step_or_continue(g, r);
		send_packet(g, g->reply, g->rlen);
		return n;
	case GDB_REQ_VCONT_QUERY: reply_str(g, "vCont;c;C;s;S"); break;
	case GDB_REQ_INSERT: point_insert(g, r); break;
	case GDB_REQ_REMOVE: point_remove(g, r); break;
	case GDB_REQ_ATTACHED: reply_str(g, "1"); break; /* attached: detach, not kill, on quit */
	case GDB_REQ_CURRENT_THREAD: reply_fmt(g, "QC%x", g->stopped_cpu + 1); break;
	case GDB_REQ_THREADS_FIRST:
		g->rlen = 0;
		for (int i = 0; i < g->vm->ncpus && g->rlen < sizeof(g->reply) - 16; i++)
			g->rlen += (size_t)snprintf((char *)g->reply + g->rlen, 16, "%c%x",
						    i ? ',' : 'm', i + 1);
		break;
	case GDB_REQ_THREADS_NEXT: reply_str(g, "l"); break;
	case GDB_REQ_SET_THREAD:
		if (r->thread > 0 && !thread_ok(g, r->thread)) {
			reply_str(g, "E22");
			break;
		}
		if (r->op == 'g' && r->thread > 0)
			g->gcpu = (int)r->thread - 1;
		if (r->op == 'c')
			g->ccpu = r->thread > 0 ? (int)r->thread - 1 : -1;
		reply_str(g, "OK");
		break;
	case GDB_REQ_THREAD_ALIVE: reply_str(g, thread_ok(g, r->thread) ? "OK" : "E01"); break;
	case GDB_REQ_DETACH:
		reply_str(g, "OK");
		send_packet(g, g->reply, g->rlen);
		return SESSION_DETACH;
	case GDB_REQ_KILL:
		/* k has no reply; vKill wants OK (harmless for k: gdb closes). */
		if (pkt[0] == 'v') {
			reply_str(g, "OK");
			send_packet(g, g->reply, g->rlen);
		}
		return SESSION_KILL;
	case GDB_REQ_RCMD: {
		/* monitor commands: only "help" for now, answered as console output. */
		static const char help[] = "vmlab gdb stub: no monitor commands yet; use vmlab's "
					   "own monitor for devices, page walks and traps\n";
		char hex[2 * sizeof(help) + 2] = "O";
		gdb_hex_encode((const u8 *)help, sizeof(help) - 1, hex + 1);
		send_packet(g, (const u8 *)hex, strlen(hex));
		reply_str(g, "OK");
		break;
	}
	}
	send_packet(g, g->reply, g->rlen);
	return SESSION_GO_ON;
}

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
				send_packet(g, (const u8 *)"E01", 3);
			break;
		case GDB_RX_OVERLONG:
			if (!g->noack)
				write_all(g->fd, (const u8 *)"+", 1);
			send_packet(g, (const u8 *)"E01", 3);
			break;
		case GDB_RX_PACKET: {
			if (!g->noack && write_all(g->fd, (const u8 *)"+", 1))
				return SESSION_LOST;
			int s = handle(g, g->rx.buf, g->rx.len);
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

	points_clear(g);
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
