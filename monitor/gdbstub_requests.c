/*
 * gdbstub_requests.c - what the gdb stub does for each request gdb sends
 * (monitor/gdbstub.c holds the connection): registers (g, G, p, P through
 * gdb_xml.c's register file), memory (m, M, X), breakpoints and
 * watchpoints (Z, z), threads = vCPUs (H, T, qC, qfThreadInfo), the target
 * description (qXfer:features:read), continue and step (c, s, vCont), and
 * the stop replies (T, W) that end a run.  GDB manual, Appendix E: §E.2
 * "Packets", §E.3 "Stop Reply Packets", §E.4 "General Query Packets".
 *
 * Addresses in m/M/X/Z packets are linear addresses (segment bases are
 * gdb's business, as with QEMU); memory goes through the CPU's side-effect
 * free page walk (cpu_debug_translate) and reaches RAM and ROM only: device
 * registers are never read by a debugger's memory dump.
 */
#include "monitor/gdbstub_int.h"

#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"

static struct cpu *gcpu(struct gdb *g)
{
	return &g->vm->cpus[g->gcpu];
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
		gdbstub_reply_fmt(g, "W%02x", st->exit_status & 0xff);
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
	gdbstub_reply_fmt(g, "T%02xthread:%x;%s", st->kind == VM_STOPPED_INTERRUPT ? 2 : 5,
			  g->stopped_cpu + 1, extra);
	return SESSION_GO_ON;
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
			gdbstub_reply_str(g, "OK"); /* inserting twice is allowed (E.2 "Z") */
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
		gdbstub_reply_str(g, "E0c"); /* ENOMEM-ish: gdb says "Could not insert" */
		return;
	}
	*free_slot = (struct gdb_point){id, r->type, r->addr, r->len};
	gdbstub_reply_str(g, "OK");
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
	gdbstub_reply_str(g, "OK");
}

void gdbstub_points_clear(struct gdb *g)
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
		gdbstub_reply_str(g, "E01");
		return;
	}
	for (int i = 0; i < gdb_reg_count(g->arch); i++) {
		int n = gdb_reg_size(g->arch, i);
		if (gdb_reg_write(gcpu(g), g->arch, i, r->data + off, (size_t)n) < 0)
			bad = true;
		off += (size_t)n;
	}
	gdbstub_reply_str(g, bad ? "E01" : "OK");
}

static void xfer_features(struct gdb *g, const struct gdb_req *r)
{
	size_t len, used;
	const char *xml = gdb_target_xml(g->arch, &len);

	if (strcmp(r->name, "target.xml")) {
		gdbstub_reply_str(g, "E00");
		return;
	}
	if (r->addr >= len) {
		gdbstub_reply_str(g, "l");
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
	gdbstub_run_guest(g, r->kind == GDB_REQ_STEP, cpu, &st);
	return stop_reply(g, &st);
}

int gdbstub_handle(struct gdb *g, const u8 *pkt, size_t len)
{
	struct gdb_req *r = &g->req;
	u8 buf[16];
	int n;

	gdb_parse(pkt, len, r);
	g->rlen = 0;
	switch (r->kind) {
	case GDB_REQ_UNKNOWN: break; /* the empty reply */
	case GDB_REQ_MALFORMED: gdbstub_reply_str(g, "E01"); break;
	case GDB_REQ_SUPPORTED:
		gdbstub_reply_fmt(g,
				  "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
				  "QStartNoAckMode+;vContSupported+",
				  GDB_PKT_MAX);
		break;
	case GDB_REQ_NOACK:
		gdbstub_reply_str(g, "OK");
		gdbstub_send(g, g->reply, g->rlen);
		g->noack = true; /* from the packet after this OK */
		return SESSION_GO_ON;
	case GDB_REQ_XFER_FEATURES: xfer_features(g, r); break;
	case GDB_REQ_HALT_REASON: gdbstub_reply_fmt(g, "T05thread:%x;", g->stopped_cpu + 1); break;
	case GDB_REQ_READ_REGS: read_regs(g); break;
	case GDB_REQ_WRITE_REGS: write_regs(g, r); break;
	case GDB_REQ_READ_REG:
		n = gdb_reg_read(gcpu(g), g->arch, r->reg, buf);
		if (n < 0) {
			gdbstub_reply_str(g, "E00");
			break;
		}
		gdb_hex_encode(buf, (size_t)n, (char *)g->reply);
		g->rlen = 2 * (size_t)n;
		break;
	case GDB_REQ_WRITE_REG:
		gdbstub_reply_str(
		    g, gdb_reg_write(gcpu(g), g->arch, r->reg, r->data, r->dlen) ? "E01" : "OK");
		break;
	case GDB_REQ_READ_MEM: {
		size_t want = r->len < sizeof(g->reply) / 2 ? (size_t)r->len : sizeof(g->reply) / 2;
		size_t got = mem_access(g, r->addr, r->data, want, false);
		if (!got && want) {
			gdbstub_reply_str(g, "E14"); /* EFAULT: not mapped */
			break;
		}
		gdb_hex_encode(r->data, got, (char *)g->reply);
		g->rlen = 2 * got;
		break;
	}
	case GDB_REQ_WRITE_MEM:
		gdbstub_reply_str(
		    g, mem_access(g, r->addr, r->data, r->dlen, true) == r->dlen ? "OK" : "E14");
		break;
	case GDB_REQ_CONTINUE:
	case GDB_REQ_STEP:
		n = step_or_continue(g, r);
		gdbstub_send(g, g->reply, g->rlen);
		return n;
	case GDB_REQ_VCONT_QUERY: gdbstub_reply_str(g, "vCont;c;C;s;S"); break;
	case GDB_REQ_INSERT: point_insert(g, r); break;
	case GDB_REQ_REMOVE: point_remove(g, r); break;
	case GDB_REQ_ATTACHED:
		gdbstub_reply_str(g, "1");
		break; /* attached: detach, not kill, on quit */
	case GDB_REQ_CURRENT_THREAD: gdbstub_reply_fmt(g, "QC%x", g->stopped_cpu + 1); break;
	case GDB_REQ_THREADS_FIRST:
		g->rlen = 0;
		for (int i = 0; i < g->vm->ncpus && g->rlen < sizeof(g->reply) - 16; i++)
			g->rlen += (size_t)snprintf((char *)g->reply + g->rlen, 16, "%c%x",
						    i ? ',' : 'm', i + 1);
		break;
	case GDB_REQ_THREADS_NEXT: gdbstub_reply_str(g, "l"); break;
	case GDB_REQ_SET_THREAD:
		if (r->thread > 0 && !thread_ok(g, r->thread)) {
			gdbstub_reply_str(g, "E22");
			break;
		}
		if (r->op == 'g' && r->thread > 0)
			g->gcpu = (int)r->thread - 1;
		if (r->op == 'c')
			g->ccpu = r->thread > 0 ? (int)r->thread - 1 : -1;
		gdbstub_reply_str(g, "OK");
		break;
	case GDB_REQ_THREAD_ALIVE:
		gdbstub_reply_str(g, thread_ok(g, r->thread) ? "OK" : "E01");
		break;
	case GDB_REQ_DETACH:
		gdbstub_reply_str(g, "OK");
		gdbstub_send(g, g->reply, g->rlen);
		return SESSION_DETACH;
	case GDB_REQ_KILL:
		/* k has no reply; vKill wants OK (harmless for k: gdb closes). */
		if (pkt[0] == 'v') {
			gdbstub_reply_str(g, "OK");
			gdbstub_send(g, g->reply, g->rlen);
		}
		return SESSION_KILL;
	case GDB_REQ_RCMD: {
		/* monitor commands: only "help" for now, answered as console output. */
		static const char help[] = "vmlab gdb stub: no monitor commands yet; use vmlab's "
					   "own monitor for devices, page walks and traps\n";
		char hex[2 * sizeof(help) + 2] = "O";
		gdb_hex_encode((const u8 *)help, sizeof(help) - 1, hex + 1);
		gdbstub_send(g, (const u8 *)hex, strlen(hex));
		gdbstub_reply_str(g, "OK");
		break;
	}
	}
	gdbstub_send(g, g->reply, g->rlen);
	return SESSION_GO_ON;
}
