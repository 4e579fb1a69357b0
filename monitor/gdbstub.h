/*
 * gdbstub.h - the GDB remote serial protocol stub (GDB manual, Appendix E
 * "GDB Remote Serial Protocol"), so stock gdb can debug a vmlab guest
 * (DESIGN.md §5).  `vmlab run --gdb PORT` waits, stopped at the first
 * instruction, for gdb to attach, like QEMU's `-s -S`.
 *
 * Three layers, each usable alone (the unit tests and the fuzzer use the
 * first two without a machine):
 *   1. framing  - "$data#cs" packets, '+'/'-' acks, '}' escapes, Ctrl-C;
 *   2. parsing  - a packet's text into a struct gdb_req (what gdb asks);
 *   3. session  - gdbstub_serve(): requests executed on a struct vm through
 *                 the execution-control contract of hypervisor/debug.h.
 * The register file and the target description are in gdb_xml.c.
 */
#ifndef VMLAB_MONITOR_GDBSTUB_H
#define VMLAB_MONITOR_GDBSTUB_H

#include "lib/common.h"
#include "lib/err.h"

struct vm;
struct cpu;

/* The largest packet we accept (qSupported PacketSize, decoded bytes). */
#define GDB_PKT_MAX 0x4000

/* ---- 1. framing (E.1 "Overview") ------------------------------------- */

enum gdb_rx_state { GDB_RX_IDLE, GDB_RX_BODY, GDB_RX_ESCAPE, GDB_RX_CSUM1, GDB_RX_CSUM2 };

/* What one received byte completed. */
enum gdb_rx_event {
	GDB_RX_MORE,	 /* nothing yet */
	GDB_RX_PACKET,	 /* a whole packet with a good checksum: buf[0..len) */
	GDB_RX_BAD_CSUM, /* a whole packet with a wrong or unreadable checksum */
	GDB_RX_OVERLONG, /* a whole packet longer than GDB_PKT_MAX: dropped */
	GDB_RX_ACK,	 /* '+' */
	GDB_RX_NAK,	 /* '-': resend the last packet */
	GDB_RX_BREAK,	 /* 0x03 outside a packet: gdb's interrupt request */
};

struct gdb_rx {
	enum gdb_rx_state state;
	u8 sum;	       /* running checksum of the raw bytes between '$' and '#' */
	u8 csum;       /* checksum received after '#' */
	bool csum_bad; /* a checksum digit was not hex */
	bool overflow;
	size_t len;
	u8 buf[GDB_PKT_MAX + 1]; /* the unescaped packet, NUL-terminated */
};

void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, u8 byte);

/* The modulo-256 sum of the bytes (the packet checksum). */
u8 gdb_checksum(const u8 *data, size_t len);
/* Frame data as "$data#cs" into out; returns the framed length, or -1 when
 * out is too small.  data must already be escaped where it is binary. */
int gdb_frame(const u8 *data, size_t len, u8 *out, size_t outsz);
/* Escape binary data ('#', '$', '}', '*' -> '}' c^0x20) into out; stops
 * before out would overflow.  *used gets the number of input bytes taken;
 * returns the output length. */
size_t gdb_escape(const u8 *in, size_t n, u8 *out, size_t outsz, size_t *used);

/* Hex helpers: -1 on a non-hex character or a value that does not fit. */
int gdb_hexval(u8 ch);
int gdb_hex_decode(const char *hex, size_t nhex, u8 *out, size_t outsz);
void gdb_hex_encode(const u8 *in, size_t n, char *out); /* writes 2n chars + NUL */

/* ---- 2. parsing (E.2 "Packets", E.4 "General Query Packets") ---------- */

enum gdb_req_kind {
	GDB_REQ_UNKNOWN,	/* reply empty: "not supported" */
	GDB_REQ_MALFORMED,	/* reply E01 */
	GDB_REQ_SUPPORTED,	/* qSupported */
	GDB_REQ_NOACK,		/* QStartNoAckMode */
	GDB_REQ_XFER_FEATURES,	/* qXfer:features:read:ANNEX:OFF,LEN (name, addr, len) */
	GDB_REQ_HALT_REASON,	/* ? */
	GDB_REQ_READ_REGS,	/* g */
	GDB_REQ_WRITE_REGS,	/* G XX... (data) */
	GDB_REQ_READ_REG,	/* p n (reg) */
	GDB_REQ_WRITE_REG,	/* P n=XX... (reg, data) */
	GDB_REQ_READ_MEM,	/* m addr,len */
	GDB_REQ_WRITE_MEM,	/* M addr,len:XX... and X addr,len:binary (data) */
	GDB_REQ_CONTINUE,	/* c [addr], C sig[;addr], vCont;c (has_addr, addr) */
	GDB_REQ_STEP,		/* s [addr], S sig[;addr], vCont;s[:tid] (thread) */
	GDB_REQ_VCONT_QUERY,	/* vCont? */
	GDB_REQ_INSERT,		/* Z type,addr,kind */
	GDB_REQ_REMOVE,		/* z type,addr,kind */
	GDB_REQ_ATTACHED,	/* qAttached */
	GDB_REQ_CURRENT_THREAD, /* qC */
	GDB_REQ_THREADS_FIRST,	/* qfThreadInfo */
	GDB_REQ_THREADS_NEXT,	/* qsThreadInfo */
	GDB_REQ_SET_THREAD,	/* H op tid (op, thread) */
	GDB_REQ_THREAD_ALIVE,	/* T tid (thread) */
	GDB_REQ_DETACH,		/* D */
	GDB_REQ_KILL,		/* k, vKill */
	GDB_REQ_RCMD,		/* qRcmd,HEX (data = the command text) */
};

/* Thread ids: 1..N = vCPU 0..N-1; 0 = "any"; -1 = "all". */
struct gdb_req {
	enum gdb_req_kind kind;
	u64 addr, len;
	bool has_addr;
	int type; /* Z/z: 0 software bp, 1 hardware bp, 2 write, 3 read, 4 access watch */
	int reg;
	char op; /* H: 'g' or 'c' */
	long thread;
	char name[64]; /* qXfer annex */
	size_t dlen;
	u8 data[GDB_PKT_MAX];
};

/* Parse packet pkt[0..len) (unescaped, as gdb_rx delivers it). */
void gdb_parse(const u8 *pkt, size_t len, struct gdb_req *r);

/* ---- registers and target description (gdb_xml.c) ---------------------- */

enum gdb_arch { GDB_ARCH_I386, GDB_ARCH_X86_64 };

/* The view gdb gets at attach: i386 in the 16-bit modes, else x86-64. */
enum gdb_arch gdb_arch_for(const struct cpu *c);
int gdb_reg_count(enum gdb_arch a);
int gdb_reg_size(enum gdb_arch a, int regno); /* bytes, -1 if no such register */
int gdb_regs_size(enum gdb_arch a);	      /* bytes of a `g` reply */
/* Read register regno in target byte order into buf; returns its size or -1. */
int gdb_reg_read(struct cpu *c, enum gdb_arch a, int regno, u8 *buf);
/* Write it; -1 when it does not exist, the size is wrong, or the register
 * cannot be changed from the debugger (CR0, CR4, EFER, selectors outside
 * real mode: the guest changes those through its own checked paths). */
int gdb_reg_write(struct cpu *c, enum gdb_arch a, int regno, const u8 *buf, size_t len);
/* The XML of target.xml for this view. */
const char *gdb_target_xml(enum gdb_arch a, size_t *len);

/* ---- 3. the session ---------------------------------------------------- */

/*
 * Listen on 127.0.0.1:port (only there: the stub gives full control of the
 * machine; port 0 picks a free port), say so on stderr, accept one gdb and
 * serve it until it detaches (the guest then runs to its end), kills the
 * machine, or the guest ends.  Returns vmlab's exit status (hypervisor/vm.h);
 * a host problem (port busy ...) returns -1 with the message in e.
 */
int gdbstub_serve(struct vm *vm, int port, struct err *e);

#endif
