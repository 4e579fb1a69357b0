/*
 * gdbstub_int.h - what the two halves of the gdb stub's session share: the
 * session state, and the calls between monitor/gdbstub.c (the connection:
 * socket, acks, the packet loop, running the guest with Ctrl-C watched) and
 * monitor/gdbstub_requests.c (the request handlers: registers, memory,
 * breakpoints, threads, qXfer, stop replies).  Private to those two files.
 *
 * The packets are those of the GDB manual, Appendix E (§E.2 "Packets",
 * §E.3 "Stop Reply Packets").
 */
#ifndef VMLAB_MONITOR_GDBSTUB_INT_H
#define VMLAB_MONITOR_GDBSTUB_INT_H

#include "hypervisor/debug.h"
#include "hypervisor/vm.h"
#include "monitor/gdbstub.h"

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

/* ---- gdbstub.c: the connection ---- */

/* Frame and send a packet (kept in g->last for a '-' resend). */
int gdbstub_send(struct gdb *g, const u8 *data, size_t len);
/* The reply being built in g->reply. */
void gdbstub_reply_str(struct gdb *g, const char *s);
void gdbstub_reply_fmt(struct gdb *g, const char *fmt, ...) PRINTF(2, 3);
/* Step `cpu` once or continue the machine, with Ctrl-C watched on the
 * socket; *st says why it stopped. */
void gdbstub_run_guest(struct gdb *g, bool step, int cpu, struct vm_stop *st);

/* ---- gdbstub_requests.c: the requests ---- */

/* Execute one packet and send its reply; returns a SESSION_* code. */
int gdbstub_handle(struct gdb *g, const u8 *pkt, size_t len);
/* Remove every breakpoint and watchpoint gdb inserted. */
void gdbstub_points_clear(struct gdb *g);

#endif
