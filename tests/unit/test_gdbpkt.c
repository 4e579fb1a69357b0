/*
 * test_gdbpkt.c - the gdb remote protocol's framing and request parser
 * (monitor/gdb_packet.c) against the GDB manual, Appendix E.
 *
 * Oracles: the checksums of packets gdb 13 really sends, copied from a
 * `set debug remote 1` log ("$g#67", "$?#3f", "$vCont;c#a8", "$qTStatus#49",
 * "$Hc-1#09"), and the manual's rules for escapes and replies.  Malformed
 * input must give an error or an empty reply, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/gdbstub.h"

/* Feed a byte string; return the last non-MORE event (MORE if none). */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t n, int *npackets)
{
	enum gdb_rx_event last = GDB_RX_MORE;

	for (size_t i = 0; i < n; i++) {
		enum gdb_rx_event ev = gdb_rx_byte(rx, (u8)s[i]);
		if (ev != GDB_RX_MORE)
			last = ev;
		if (ev == GDB_RX_PACKET && npackets)
			(*npackets)++;
	}
	return last;
}

static enum gdb_rx_event feed_str(struct gdb_rx *rx, const char *s)
{
	return feed(rx, s, strlen(s), NULL);
}

static struct gdb_rx rx;
static struct gdb_req req;

static void parse(const char *s)
{
	gdb_parse((const u8 *)s, strlen(s), &req);
}

/* Checksums of real gdb packets (from gdb 13's own debug log). */
static void test_checksum_known(void **state)
{
	static const struct {
		const char *data;
		u8 sum;
	} k[] = {{"g", 0x67},
		 {"?", 0x3f},
		 {"vCont;c", 0xa8},
		 {"qTStatus", 0x49},
		 {"Hc-1", 0x09},
		 {"qfThreadInfo", 0xbb},
		 {"QStartNoAckMode", 0xb0},
		 {"", 0x00}};

	for (size_t i = 0; i < ARRAY_SIZE(k); i++)
		assert_int_equal(gdb_checksum((const u8 *)k[i].data, strlen(k[i].data)), k[i].sum);
}

static void test_frame(void **state)
{
	u8 out[32];

	assert_int_equal(gdb_frame((const u8 *)"OK", 2, out, sizeof(out)), 6);
	assert_memory_equal(out, "$OK#9a", 6);
	assert_int_equal(gdb_frame((const u8 *)"", 0, out, sizeof(out)), 4);
	assert_memory_equal(out, "$#00", 4);
	/* Too small an output buffer is refused, not overrun. */
	assert_int_equal(gdb_frame((const u8 *)"OK", 2, out, 5), -1);
}

static void test_rx_good_packet(void **state)
{
	gdb_rx_init(&rx);
	assert_int_equal(feed_str(&rx, "$g#67"), GDB_RX_PACKET);
	assert_int_equal(rx.len, 1);
	assert_int_equal(rx.buf[0], 'g');
	/* Upper-case checksum digits are accepted too. */
	assert_int_equal(feed_str(&rx, "$vCont;c#A8"), GDB_RX_PACKET);
	assert_string_equal((char *)rx.buf, "vCont;c");
}

static void test_rx_acks_and_break(void **state)
{
	gdb_rx_init(&rx);
	assert_int_equal(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
	assert_int_equal(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
	assert_int_equal(gdb_rx_byte(&rx, 0x03), GDB_RX_BREAK);
	assert_int_equal(gdb_rx_byte(&rx, 'x'), GDB_RX_MORE); /* noise */
	/* Inside a packet, '+', '-' and 0x03 are data. */
	assert_int_equal(feed_str(&rx, "$+-\x03#5b"), GDB_RX_PACKET);
	assert_int_equal(rx.len, 3);
}

static void test_rx_bad_checksum(void **state)
{
	gdb_rx_init(&rx);
	assert_int_equal(feed_str(&rx, "$g#68"), GDB_RX_BAD_CSUM);
	assert_int_equal(feed_str(&rx, "$g#6z"), GDB_RX_BAD_CSUM);
	assert_int_equal(feed_str(&rx, "$g#z7"), GDB_RX_BAD_CSUM);
	/* The receiver recovers: the next good packet gets through. */
	assert_int_equal(feed_str(&rx, "$?#3f"), GDB_RX_PACKET);
}

static void test_rx_dollar_restarts(void **state)
{
	int n = 0;

	gdb_rx_init(&rx);
	/* A packet whose '#' got lost is abandoned at the next '$'. */
	assert_int_equal(feed(&rx, "$qSupp$g#67", 11, &n), GDB_RX_PACKET);
	assert_int_equal(n, 1);
	assert_string_equal((char *)rx.buf, "g");
}

static void test_rx_escape(void **state)
{
	/* "X0,1:" then '}' 0x5d = escaped '}' (0x7d); checksum over raw bytes. */
	const char raw[] = "X0,1:}]";
	char pkt[32];
	u8 sum = gdb_checksum((const u8 *)raw, strlen(raw));

	snprintf(pkt, sizeof(pkt), "$%s#%02x", raw, sum);
	gdb_rx_init(&rx);
	assert_int_equal(feed_str(&rx, pkt), GDB_RX_PACKET);
	assert_int_equal(rx.len, 6);
	assert_int_equal(rx.buf[5], '}');
	gdb_parse(rx.buf, rx.len, &req);
	assert_int_equal(req.kind, GDB_REQ_WRITE_MEM);
	assert_int_equal(req.dlen, 1);
	assert_int_equal(req.data[0], 0x7d);
}

static void test_escape_roundtrip(void **state)
{
	const u8 in[] = {'a', '#', '$', '}', '*', 0, 0xff};
	u8 out[32];
	size_t used, n = gdb_escape(in, sizeof(in), out, sizeof(out), &used);

	assert_int_equal(used, sizeof(in));
	assert_int_equal(n, sizeof(in) + 4);
	assert_memory_equal(out, "a}\x03}\x04}]}\x0a\x00\xff", n);
	/* Never splits an escape pair at the end of the buffer. */
	n = gdb_escape(in, sizeof(in), out, 2, &used);
	assert_int_equal(n, 1);
	assert_int_equal(used, 1);
}

static void test_rx_overlong(void **state)
{
	char *big = malloc(GDB_PKT_MAX + 16);
	int n = 0;

	gdb_rx_init(&rx);
	big[0] = '$';
	memset(big + 1, 'a', GDB_PKT_MAX + 1);
	u8 sum = (u8)('a' * (GDB_PKT_MAX + 1));
	snprintf(big + GDB_PKT_MAX + 2, 8, "#%02x", sum);
	assert_int_equal(feed(&rx, big, GDB_PKT_MAX + 5, &n), GDB_RX_OVERLONG);
	assert_int_equal(n, 0);
	assert_true(rx.len <= GDB_PKT_MAX);
	/* Exactly the maximum fits. */
	big[GDB_PKT_MAX + 1] = '#';
	sum = (u8)('a' * GDB_PKT_MAX);
	snprintf(big + GDB_PKT_MAX + 2, 8, "%02x", sum);
	assert_int_equal(feed(&rx, big, GDB_PKT_MAX + 4, &n), GDB_RX_PACKET);
	assert_int_equal(rx.len, GDB_PKT_MAX);
	free(big);
}

static void test_hex(void **state)
{
	u8 b[4];
	char s[9];

	assert_int_equal(gdb_hex_decode("00fF7a", 6, b, sizeof(b)), 3);
	assert_int_equal(b[1], 0xff);
	assert_int_equal(b[2], 0x7a);
	assert_int_equal(gdb_hex_decode("0", 1, b, sizeof(b)), -1);   /* odd */
	assert_int_equal(gdb_hex_decode("0g", 2, b, sizeof(b)), -1);  /* not hex */
	assert_int_equal(gdb_hex_decode("0011223344", 10, b, 4), -1); /* too long */
	gdb_hex_encode((const u8 *)"\x01\xab", 2, s);
	assert_string_equal(s, "01ab");
}

static void test_parse_memory(void **state)
{
	parse("m100180,8");
	assert_int_equal(req.kind, GDB_REQ_READ_MEM);
	assert_int_equal(req.addr, 0x100180);
	assert_int_equal(req.len, 8);
	parse("Mffffffff80000000,2:beef");
	assert_int_equal(req.kind, GDB_REQ_WRITE_MEM);
	assert_int_equal(req.addr, 0xffffffff80000000ULL);
	assert_int_equal(req.dlen, 2);
	assert_int_equal(req.data[0], 0xbe);
	parse("X100,0:");
	assert_int_equal(req.kind, GDB_REQ_WRITE_MEM); /* gdb's probe for X */
	assert_int_equal(req.dlen, 0);
	/* Malformed: E01, not a crash. */
	static const char *const bad[] = {"m",		 "m100",
					  "m100,",	 "m,8",
					  "mzz,8",	 "m1,2x",
					  "M100,2:bee",	 "M100,2:beefaa",
					  "M100,2:bexf", "m11112222333344445,1",
					  "X100,2:a",	 "Z9,1,1",
					  "Z0,1",	 "p",
					  "pzz",	 "P1",
					  "P1=zz",	 "Hx1",
					  "Hg",		 "T",
					  "Tq",		 "qXfer:features:read:target.xml:0",
					  "vCont;x",	 "vCont",
					  "C",		 "Cq",
					  "sq"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i]);
		if (req.kind != GDB_REQ_MALFORMED)
			fail_msg("'%s' parsed as kind %d", bad[i], req.kind);
	}
}

static void test_parse_control(void **state)
{
	parse("?");
	assert_int_equal(req.kind, GDB_REQ_HALT_REASON);
	parse("c");
	assert_int_equal(req.kind, GDB_REQ_CONTINUE);
	assert_false(req.has_addr);
	parse("s100000");
	assert_int_equal(req.kind, GDB_REQ_STEP);
	assert_true(req.has_addr);
	assert_int_equal(req.addr, 0x100000);
	parse("C05;1234");
	assert_int_equal(req.kind, GDB_REQ_CONTINUE);
	assert_int_equal(req.addr, 0x1234);
	parse("vCont?");
	assert_int_equal(req.kind, GDB_REQ_VCONT_QUERY);
	parse("vCont;c");
	assert_int_equal(req.kind, GDB_REQ_CONTINUE);
	parse("vCont;s:2;c");
	assert_int_equal(req.kind, GDB_REQ_STEP);
	assert_int_equal(req.thread, 2);
	parse("vCont;S05:1");
	assert_int_equal(req.kind, GDB_REQ_STEP);
	parse("Z0,100180,1");
	assert_int_equal(req.kind, GDB_REQ_INSERT);
	assert_int_equal(req.type, 0);
	assert_int_equal(req.addr, 0x100180);
	parse("z2,2000,8");
	assert_int_equal(req.kind, GDB_REQ_REMOVE);
	assert_int_equal(req.type, 2);
	assert_int_equal(req.len, 8);
	parse("Hc-1");
	assert_int_equal(req.kind, GDB_REQ_SET_THREAD);
	assert_int_equal(req.op, 'c');
	assert_int_equal(req.thread, -1);
	parse("Hg0");
	assert_int_equal(req.thread, 0);
	parse("T1");
	assert_int_equal(req.kind, GDB_REQ_THREAD_ALIVE);
	parse("D");
	assert_int_equal(req.kind, GDB_REQ_DETACH);
	parse("D;1");
	assert_int_equal(req.kind, GDB_REQ_DETACH);
	parse("k");
	assert_int_equal(req.kind, GDB_REQ_KILL);
	parse("vKill;1");
	assert_int_equal(req.kind, GDB_REQ_KILL);
}

static void test_parse_queries(void **state)
{
	parse("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
	assert_int_equal(req.kind, GDB_REQ_SUPPORTED);
	parse("QStartNoAckMode");
	assert_int_equal(req.kind, GDB_REQ_NOACK);
	parse("qXfer:features:read:target.xml:0,ffb");
	assert_int_equal(req.kind, GDB_REQ_XFER_FEATURES);
	assert_string_equal(req.name, "target.xml");
	assert_int_equal(req.addr, 0);
	assert_int_equal(req.len, 0xffb);
	parse("qAttached:1");
	assert_int_equal(req.kind, GDB_REQ_ATTACHED);
	parse("qC");
	assert_int_equal(req.kind, GDB_REQ_CURRENT_THREAD);
	parse("qfThreadInfo");
	assert_int_equal(req.kind, GDB_REQ_THREADS_FIRST);
	parse("qsThreadInfo");
	assert_int_equal(req.kind, GDB_REQ_THREADS_NEXT);
	parse("qRcmd,68656c70");
	assert_int_equal(req.kind, GDB_REQ_RCMD);
	assert_int_equal(req.dlen, 4);
	assert_memory_equal(req.data, "help", 4);
	parse("p10");
	assert_int_equal(req.kind, GDB_REQ_READ_REG);
	assert_int_equal(req.reg, 16);
	parse("P10=0000100000000000");
	assert_int_equal(req.kind, GDB_REQ_WRITE_REG);
	assert_int_equal(req.dlen, 8);
	/* Unknown packets: the empty reply. */
	static const char *const unknown[] = {
	    "vMustReplyEmpty", "qTStatus", "qSymbol::", "qOffsets",
	    "QThreadEvents:1", "!",	   "",		"qCx",
	    "vFile:open:"};
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		parse(unknown[i]);
		if (req.kind != GDB_REQ_UNKNOWN)
			fail_msg("'%s' parsed as kind %d", unknown[i], req.kind);
	}
}

/* The register file against the layout gdb's amd64/i386 code expects
 * (GDB manual §G.5.9: the core feature's register names and order). */
static void test_target_xml(void **state)
{
	size_t len;
	const char *x = gdb_target_xml(GDB_ARCH_X86_64, &len);

	assert_int_equal(strlen(x), len);
	assert_non_null(strstr(x, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(x, "org.gnu.gdb.i386.core"));
	assert_non_null(strstr(x, "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\""));
	assert_non_null(
	    strstr(x, "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\" regnum=\"16\""));
	assert_non_null(strstr(x, "<reg name=\"st0\" bitsize=\"80\""));
	assert_non_null(strstr(x, "name=\"efer\""));
	/* 16 GPRs*8 + rip 8 + eflags 4 + 6 selectors*4 + 3 bases*8 + 6 CRs/EFER*8
	 * + 8 st*10 + 8 x87 control*4 */
	assert_int_equal(gdb_regs_size(GDB_ARCH_X86_64), 128 + 8 + 4 + 24 + 24 + 48 + 80 + 32);
	assert_int_equal(gdb_reg_count(GDB_ARCH_X86_64), 16 + 2 + 6 + 3 + 6 + 16);
	x = gdb_target_xml(GDB_ARCH_I386, &len);
	assert_non_null(strstr(x, "<architecture>i386</architecture>"));
	assert_non_null(strstr(x, "<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\""));
	assert_non_null(
	    strstr(x, "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\" regnum=\"4\""));
	assert_non_null(
	    strstr(x, "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\" regnum=\"8\""));
	assert_int_equal(gdb_reg_size(GDB_ARCH_I386, 99), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checksum_known),  cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_rx_good_packet),  cmocka_unit_test(test_rx_acks_and_break),
	    cmocka_unit_test(test_rx_bad_checksum), cmocka_unit_test(test_rx_dollar_restarts),
	    cmocka_unit_test(test_rx_escape),	    cmocka_unit_test(test_escape_roundtrip),
	    cmocka_unit_test(test_rx_overlong),	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_parse_memory),    cmocka_unit_test(test_parse_control),
	    cmocka_unit_test(test_parse_queries),   cmocka_unit_test(test_target_xml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
