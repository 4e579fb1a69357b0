/*
 * gdb_packet.c - the GDB remote serial protocol's wire format and request
 * parser (GDB manual, Appendix E: §E.1 "Overview" for framing, §E.2
 * "Packets" and §E.4 "General Query Packets" for the requests).
 *
 * Nothing here touches a machine: bytes in, packets and parsed requests
 * out, so tests/unit/test_gdbpkt.c and tests/fuzz/fuzz_gdbpkt.c can drive
 * it directly.  gdbstub_requests.c executes the requests.
 *
 * Framing in one picture:
 *
 *     $ m 1 0 0 1 8 0 , 8 # c 5      '$' data '#' checksum
 *       `---- data ------'  `--'     checksum = sum of the data bytes mod 256,
 *                                    two lower-case hex digits
 *
 * Binary data (X packets, qXfer replies) escapes '#', '$', '}' and '*' as
 * '}' followed by the byte XOR 0x20; the checksum covers the escaped bytes.
 * Outside packets, '+' and '-' acknowledge, and 0x03 is Ctrl-C.
 */
#include "monitor/gdbstub.h"

#include <string.h>

/* ==== 1. framing ========================================================= */

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = GDB_RX_IDLE;
	rx->len = 0;
	rx->sum = 0;
	rx->overflow = false;
}

int gdb_hexval(u8 ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static void rx_store(struct gdb_rx *rx, u8 b)
{
	if (rx->len < GDB_PKT_MAX)
		rx->buf[rx->len++] = b;
	else
		rx->overflow = true;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, u8 b)
{
	/* A '$' always starts a packet again, even inside one (gdb does the
	 * same): a lost '#' cannot wedge the stream. */
	if (b == '$' && rx->state != GDB_RX_CSUM1 && rx->state != GDB_RX_CSUM2) {
		gdb_rx_init(rx);
		rx->state = GDB_RX_BODY;
		return GDB_RX_MORE;
	}
	switch (rx->state) {
	case GDB_RX_IDLE:
		if (b == '+')
			return GDB_RX_ACK;
		if (b == '-')
			return GDB_RX_NAK;
		if (b == 0x03)
			return GDB_RX_BREAK;
		return GDB_RX_MORE; /* noise between packets */
	case GDB_RX_BODY:
		if (b == '#') {
			rx->state = GDB_RX_CSUM1;
			return GDB_RX_MORE;
		}
		rx->sum += b;
		if (b == '}')
			rx->state = GDB_RX_ESCAPE;
		else
			rx_store(rx, b);
		return GDB_RX_MORE;
	case GDB_RX_ESCAPE:
		/* '}' x stands for x ^ 0x20; the checksum covers the raw bytes. */
		rx->sum += b;
		rx_store(rx, b ^ 0x20);
		rx->state = GDB_RX_BODY;
		return GDB_RX_MORE;
	case GDB_RX_CSUM1: {
		int v = gdb_hexval(b);
		rx->csum_bad = v < 0;
		rx->csum = (u8)((v < 0 ? 0 : v) << 4);
		rx->state = GDB_RX_CSUM2;
		return GDB_RX_MORE;
	}
	case GDB_RX_CSUM2: {
		int v = gdb_hexval(b);
		rx->state = GDB_RX_IDLE;
		rx->buf[rx->len] = 0;
		if (v < 0 || rx->csum_bad || (u8)(rx->csum | v) != rx->sum)
			return GDB_RX_BAD_CSUM;
		return rx->overflow ? GDB_RX_OVERLONG : GDB_RX_PACKET;
	}
	}
	panic("gdbstub: rx state %d", rx->state);
}

u8 gdb_checksum(const u8 *data, size_t len)
{
	u8 s = 0;

	for (size_t i = 0; i < len; i++)
		s += data[i];
	return s;
}

int gdb_frame(const u8 *data, size_t len, u8 *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	u8 s = gdb_checksum(data, len);

	if (outsz < len + 4)
		return -1;
	out[0] = '$';
	memcpy(out + 1, data, len);
	out[len + 1] = '#';
	out[len + 2] = hex[s >> 4];
	out[len + 3] = hex[s & 15];
	return (int)(len + 4);
}

size_t gdb_escape(const u8 *in, size_t n, u8 *out, size_t outsz, size_t *used)
{
	size_t o = 0, i;

	for (i = 0; i < n; i++) {
		bool esc = in[i] == '#' || in[i] == '$' || in[i] == '}' || in[i] == '*';
		if (o + 1 + esc > outsz)
			break;
		if (esc) {
			out[o++] = '}';
			out[o++] = in[i] ^ 0x20;
		} else {
			out[o++] = in[i];
		}
	}
	*used = i;
	return o;
}

int gdb_hex_decode(const char *hex, size_t nhex, u8 *out, size_t outsz)
{
	if (nhex % 2 || nhex / 2 > outsz)
		return -1;
	for (size_t i = 0; i < nhex / 2; i++) {
		int hi = gdb_hexval((u8)hex[2 * i]), lo = gdb_hexval((u8)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (u8)(hi << 4 | lo);
	}
	return (int)(nhex / 2);
}

void gdb_hex_encode(const u8 *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = 0;
}

/* ==== 2. parsing ========================================================== */

/* A cursor over the packet text. */
struct cur {
	const u8 *p, *end;
};

static bool at_end(const struct cur *c)
{
	return c->p >= c->end;
}

static bool eat(struct cur *c, char ch)
{
	if (at_end(c) || *c->p != (u8)ch)
		return false;
	c->p++;
	return true;
}

static bool eat_str(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

/* A hex number of 1..16 digits. */
static bool hex_u64(struct cur *c, u64 *v)
{
	int n = 0;

	*v = 0;
	while (!at_end(c) && gdb_hexval(*c->p) >= 0) {
		if (++n > 16)
			return false;
		*v = *v << 4 | (u64)gdb_hexval(*c->p++);
	}
	return n > 0;
}

/* A thread id: hex, or -1 ("all"). */
static bool thread_id(struct cur *c, long *t)
{
	u64 v;

	if (eat_str(c, "-1")) {
		*t = -1;
		return true;
	}
	if (!hex_u64(c, &v) || v > 0x7fffffff)
		return false;
	*t = (long)v;
	return true;
}

/* "addr,len" */
static bool addr_len(struct cur *c, struct gdb_req *r)
{
	return hex_u64(c, &r->addr) && eat(c, ',') && hex_u64(c, &r->len);
}

/* The rest of the packet as hex-encoded bytes into r->data. */
static bool hex_rest(struct cur *c, struct gdb_req *r)
{
	int n =
	    gdb_hex_decode((const char *)c->p, (size_t)(c->end - c->p), r->data, sizeof(r->data));
	if (n < 0)
		return false;
	r->dlen = (size_t)n;
	c->p = c->end;
	return true;
}

/* vCont;ACTION[:TID][;ACTION[:TID]]...  In all-stop mode we do one thing:
 * step the one thread named with 's' (or the current one), else continue. */
static bool parse_vcont(struct cur *c, struct gdb_req *r)
{
	bool any = false;

	r->kind = GDB_REQ_CONTINUE;
	r->thread = 0;
	while (eat(c, ';')) {
		long tid = -1;
		u8 act = at_end(c) ? 0 : *c->p++;
		u64 sig;

		if (act == 'C' || act == 'S') { /* with a signal: we have none to deliver */
			if (!hex_u64(c, &sig))
				return false;
		} else if (act != 'c' && act != 's' && act != 't') {
			return false;
		}
		if (eat(c, ':') && !thread_id(c, &tid))
			return false;
		if ((act == 's' || act == 'S') && r->kind != GDB_REQ_STEP) {
			r->kind = GDB_REQ_STEP;
			r->thread = tid;
		}
		any = true;
	}
	return any && at_end(c);
}

static void parse_query(struct cur *c, struct gdb_req *r)
{
	if (eat_str(c, "Supported")) {
		r->kind = GDB_REQ_SUPPORTED; /* gdb's features: we need none of them */
	} else if (eat_str(c, "Xfer:features:read:")) {
		const u8 *colon = memchr(c->p, ':', (size_t)(c->end - c->p));
		size_t n = colon ? (size_t)(colon - c->p) : 0;
		r->kind = GDB_REQ_MALFORMED;
		if (!colon || n == 0 || n >= sizeof(r->name))
			return;
		memcpy(r->name, c->p, n);
		r->name[n] = 0;
		c->p = colon + 1;
		if (addr_len(c, r) && at_end(c))
			r->kind = GDB_REQ_XFER_FEATURES;
	} else if (eat_str(c, "Attached")) {
		r->kind = GDB_REQ_ATTACHED; /* "qAttached" or "qAttached:pid" */
	} else if (eat_str(c, "fThreadInfo")) {
		r->kind = at_end(c) ? GDB_REQ_THREADS_FIRST : GDB_REQ_UNKNOWN;
	} else if (eat_str(c, "sThreadInfo")) {
		r->kind = at_end(c) ? GDB_REQ_THREADS_NEXT : GDB_REQ_UNKNOWN;
	} else if (eat_str(c, "Rcmd,")) {
		r->kind = hex_rest(c, r) ? GDB_REQ_RCMD : GDB_REQ_MALFORMED;
	} else if (eat(c, 'C')) {
		r->kind = at_end(c) ? GDB_REQ_CURRENT_THREAD : GDB_REQ_UNKNOWN;
	}
}

void gdb_parse(const u8 *pkt, size_t len, struct gdb_req *r)
{
	struct cur c = {pkt, pkt + len};
	u64 v;

	memset(r, 0, offsetof(struct gdb_req, data));
	r->kind = GDB_REQ_UNKNOWN;
	if (len == 0)
		return;
	u8 cmd = *c.p++;
	bool ok = false;

	switch (cmd) {
	case '?':
		r->kind = GDB_REQ_HALT_REASON;
		ok = at_end(&c);
		break;
	case 'g':
		r->kind = GDB_REQ_READ_REGS;
		ok = at_end(&c);
		break;
	case 'G':
		r->kind = GDB_REQ_WRITE_REGS;
		ok = hex_rest(&c, r);
		break;
	case 'p':
		r->kind = GDB_REQ_READ_REG;
		ok = hex_u64(&c, &v) && v < 4096 && at_end(&c);
		r->reg = (int)v;
		break;
	case 'P':
		r->kind = GDB_REQ_WRITE_REG;
		ok = hex_u64(&c, &v) && v < 4096 && eat(&c, '=') && hex_rest(&c, r);
		r->reg = (int)v;
		break;
	case 'm':
		r->kind = GDB_REQ_READ_MEM;
		ok = addr_len(&c, r) && at_end(&c);
		break;
	case 'M':
		r->kind = GDB_REQ_WRITE_MEM;
		ok = addr_len(&c, r) && eat(&c, ':') && hex_rest(&c, r) && r->dlen == r->len;
		break;
	case 'X':
		/* Binary data, already unescaped by the framing layer. */
		r->kind = GDB_REQ_WRITE_MEM;
		ok = addr_len(&c, r) && eat(&c, ':') && (u64)(c.end - c.p) == r->len;
		if (ok) {
			r->dlen = (size_t)r->len;
			memcpy(r->data, c.p, r->dlen);
		}
		break;
	case 'c':
	case 's':
		r->kind = cmd == 'c' ? GDB_REQ_CONTINUE : GDB_REQ_STEP;
		r->has_addr = !at_end(&c);
		ok = !r->has_addr || (hex_u64(&c, &r->addr) && at_end(&c));
		break;
	case 'C':
	case 'S':
		r->kind = cmd == 'C' ? GDB_REQ_CONTINUE : GDB_REQ_STEP;
		ok = hex_u64(&c, &v) && (at_end(&c) || (eat(&c, ';') && hex_u64(&c, &r->addr) &&
							(r->has_addr = true) && at_end(&c)));
		break;
	case 'Z':
	case 'z':
		r->kind = cmd == 'Z' ? GDB_REQ_INSERT : GDB_REQ_REMOVE;
		ok = hex_u64(&c, &v) && v <= 4 && eat(&c, ',') && addr_len(&c, r) && at_end(&c);
		r->type = (int)v;
		break;
	case 'H':
		r->kind = GDB_REQ_SET_THREAD;
		if (!at_end(&c))
			r->op = (char)*c.p++;
		ok = (r->op == 'g' || r->op == 'c') && thread_id(&c, &r->thread) && at_end(&c);
		break;
	case 'T':
		r->kind = GDB_REQ_THREAD_ALIVE;
		ok = thread_id(&c, &r->thread) && at_end(&c);
		break;
	case 'D':
		r->kind = GDB_REQ_DETACH;
		ok = true;
		break; /* "D" or "D;pid" */
	case 'k':
		r->kind = GDB_REQ_KILL;
		ok = true;
		break;
	case 'q': parse_query(&c, r); return;
	case 'Q':
		if (eat_str(&c, "StartNoAckMode") && at_end(&c))
			r->kind = GDB_REQ_NOACK;
		return;
	case 'v':
		if (eat_str(&c, "Cont?")) {
			r->kind = at_end(&c) ? GDB_REQ_VCONT_QUERY : GDB_REQ_MALFORMED;
		} else if (eat_str(&c, "Cont")) {
			if (!parse_vcont(&c, r))
				r->kind = GDB_REQ_MALFORMED;
		} else if (eat_str(&c, "Kill")) {
			r->kind = GDB_REQ_KILL;
		}
		return;	 /* other v packets (vMustReplyEmpty ...): unknown */
	default: return; /* unknown: the empty reply */
	}
	if (!ok)
		r->kind = GDB_REQ_MALFORMED;
}
