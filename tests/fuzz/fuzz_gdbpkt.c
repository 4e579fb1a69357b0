/*
 * fuzz_gdbpkt.c - libFuzzer target for the gdb remote protocol's framing
 * and request parser (monitor/gdb_packet.c, GDB manual Appendix E): the
 * bytes a hostile or broken client could send.
 *
 * Every input goes through the receiver byte by byte; each packet it
 * completes is parsed, and the parse is checked for consistency (lengths
 * within the buffers, known kinds).  The same input is also parsed whole,
 * as if it were one packet body.  ASan/UBSan catch any bad access.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_gdbpkt.c \
 *         monitor/gdb_packet.c lib/err.c -o build/fuzz_gdbpkt
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/gdbstub.h"

static void check(const struct gdb_req *r)
{
	if (r->kind < GDB_REQ_UNKNOWN || r->kind > GDB_REQ_RCMD)
		abort();
	if (r->dlen > sizeof(r->data))
		abort();
	if (memchr(r->name, 0, sizeof(r->name)) == NULL)
		abort();
	if (r->kind == GDB_REQ_WRITE_MEM && r->dlen != r->len)
		abort();
	if ((r->kind == GDB_REQ_INSERT || r->kind == GDB_REQ_REMOVE) &&
	    (r->type < 0 || r->type > 4))
		abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct gdb_rx rx;
	static struct gdb_req req;

	gdb_rx_init(&rx);
	for (size_t i = 0; i < size; i++) {
		enum gdb_rx_event ev = gdb_rx_byte(&rx, data[i]);
		if (rx.len > GDB_PKT_MAX)
			abort();
		if (ev == GDB_RX_PACKET) {
			gdb_parse(rx.buf, rx.len, &req);
			check(&req);
		}
	}
	/* The whole input as one packet body (exact-size heap copy: reads past
	 * the end are caught). */
	u8 *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	gdb_parse(copy, size, &req);
	check(&req);
	free(copy);
	return 0;
}
