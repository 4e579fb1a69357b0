/*
 * test_bus.c - unit tests of devices/bus.c: overlap rejection, unclaimed
 * accesses, size splitting, counters, bounds and lazy RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/bus.h"

/* A device that records every access it sees. */
struct rec {
	int n;
	u64 off[16];
	unsigned size[16];
	u64 val[16];
	bool write[16];
	u8 regs[64];
};

static u64 rec_read(void *dev, u64 off, unsigned size)
{
	struct rec *r = dev;
	u64 v = 0;

	r->off[r->n] = off;
	r->size[r->n] = size;
	r->write[r->n++] = false;
	memcpy(&v, r->regs + off, size);
	return v;
}

static void rec_write(void *dev, u64 off, u64 val, unsigned size)
{
	struct rec *r = dev;

	r->off[r->n] = off;
	r->size[r->n] = size;
	r->val[r->n] = val;
	r->write[r->n++] = true;
	memcpy(r->regs + off, &val, size);
}

static const struct io_ops ops_b = {
    .name = "bytedev", .read = rec_read, .write = rec_write, .min = 1, .max = 1};
static const struct io_ops ops_d = {
    .name = "dworddev", .read = rec_read, .write = rec_write, .min = 4, .max = 4};
static const struct io_ops ops_pic = {.name = "pic8259", .read = rec_read, .write = rec_write};
static const struct io_ops ops_uart = {.name = "uart16550", .read = rec_read, .write = rec_write};

static void test_overlap_message(void **state)
{
	struct bus b;
	struct err e = {""};
	struct rec d1 = {0}, d2 = {0};

	assert_int_equal(bus_init(&b, 1 * MiB, NULL, &e), 0);
	assert_int_equal(bus_map_pio(&b, 0x3f0, 16, &ops_pic, &d1, &e), 0);
	assert_int_equal(bus_map_pio(&b, 0x3f8, 8, &ops_uart, &d2, &e), -1);
	assert_string_equal(e.msg, "bus: uart16550 0x3f8-0x3ff overlaps pic8259 0x3f0-0x3ff");
	/* Adjacent is fine. */
	assert_int_equal(bus_map_pio(&b, 0x400, 8, &ops_uart, &d2, &e), 0);

	assert_int_equal(bus_map_ram(&b, 0, 1 * MiB, 0, &e), 0);
	assert_int_equal(bus_map_mmio(&b, 0xffff0, 0x100, &ops_uart, &d2, &e), -1);
	assert_string_equal(e.msg, "bus: uart16550 0xffff0-0x1000ef overlaps ram 0x0-0xfffff");
	assert_int_equal(bus_map_mmio(&b, 0x100000, 0x100, &ops_uart, &d2, &e), 0);
	/* An MMIO range inserted before the RAM keeps the map sorted. */
	assert_int_equal(b.nmem, 2);
	assert_true(b.mem[0].base < b.mem[1].base);
	bus_destroy(&b);
}

struct sinkrec {
	int n;
	struct trace_event ev;
};

static void sink_event(void *opaque, const struct trace_event *ev)
{
	struct sinkrec *s = opaque;
	s->n++;
	s->ev = *ev;
}

static void test_unclaimed(void **state)
{
	struct bus b;
	struct trace t;
	struct sinkrec sr = {0};
	struct trace_sink sink = {sink_event, &sr, BIT(TRACE_UNCLAIMED)};

	trace_init(&t);
	assert_int_equal(trace_add_sink(&t, &sink, NULL), 0);
	assert_int_equal(bus_init(&b, 64 * KiB, &t, NULL), 0);
	assert_int_equal(bus_map_ram(&b, 0, 64 * KiB, 0, NULL), 0);

	assert_int_equal(bus_mem_read(&b, 0x100000000ULL, 4), 0xffffffffULL);
	assert_int_equal(bus_mem_read(&b, 0x100000, 8), UINT64_MAX);
	assert_int_equal(bus_pio_read(&b, 0x1234, 2), 0xffff);
	assert_int_equal(bus_pio_read(&b, 0x80, 1), 0xff);
	bus_pio_write(&b, 0x80, 0x12, 1);
	bus_mem_write(&b, 0x200000, 0x12, 4);
	assert_int_equal(b.unclaimed_mem, 3);
	assert_int_equal(b.unclaimed_pio, 3);
	assert_int_equal(sr.n, 0); /* not logged unless asked */

	b.log_unclaimed = true;
	bus_pio_write(&b, 0x1234, 0xab, 2);
	assert_int_equal(sr.n, 1);
	assert_int_equal(sr.ev.kind, TRACE_UNCLAIMED);
	assert_int_equal(sr.ev.a[0], 0x1234);
	assert_int_equal(sr.ev.a[1], 2);
	assert_int_equal(sr.ev.a[2], 1);
	assert_int_equal(sr.ev.a[3], 1);
	assert_int_equal(t.count[TRACE_UNCLAIMED], 1);
	bus_destroy(&b);
}

static void test_splitting(void **state)
{
	struct bus b;
	struct rec db = {0}, dd = {0};

	assert_int_equal(bus_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(bus_map_mmio(&b, 0x1000, 0x40, &ops_b, &db, NULL), 0);
	assert_int_equal(bus_map_mmio(&b, 0x2000, 0x40, &ops_d, &dd, NULL), 0);

	/* 4-byte write to a byte device: four 1-byte writes, low byte first. */
	bus_mem_write(&b, 0x1004, 0x44332211, 4);
	assert_int_equal(db.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(db.off[i], 4 + i);
		assert_int_equal(db.size[i], 1);
		assert_int_equal(db.val[i], 0x11 * (i + 1));
	}
	db.n = 0;
	assert_int_equal(bus_mem_read(&b, 0x1004, 2), 0x2211);
	assert_int_equal(db.n, 2);

	/* 8-byte access to a dword device: two 4-byte accesses. */
	bus_mem_write(&b, 0x2008, 0x8877665544332211ULL, 8);
	assert_int_equal(dd.n, 2);
	assert_int_equal(dd.off[0], 8);
	assert_int_equal(dd.size[0], 4);
	assert_int_equal(dd.val[0], 0x44332211);
	assert_int_equal(dd.off[1], 12);
	assert_int_equal(dd.val[1], 0x88776655);
	/* 1-byte read at offset 10: one aligned dword read at 8, byte 2 of it. */
	dd.n = 0;
	assert_int_equal(bus_mem_read(&b, 0x200a, 1), 0x33);
	assert_int_equal(dd.n, 1);
	assert_int_equal(dd.off[0], 8);
	assert_int_equal(dd.size[0], 4);
	/* 1-byte write: read-modify-write of the containing dword. */
	dd.n = 0;
	bus_mem_write(&b, 0x2009, 0xee, 1);
	assert_int_equal(dd.n, 2);
	assert_false(dd.write[0]);
	assert_true(dd.write[1]);
	assert_int_equal(dd.off[1], 8);
	assert_int_equal(dd.val[1], 0x4433ee11);

	/* Port space splits the same way. */
	struct rec dp = {0};
	assert_int_equal(bus_map_pio(&b, 0x60, 4, &ops_b, &dp, NULL), 0);
	bus_pio_write(&b, 0x60, 0xbeef, 2);
	assert_int_equal(dp.n, 2);
	assert_int_equal(dp.val[0], 0xef);
	assert_int_equal(dp.val[1], 0xbe);
	bus_destroy(&b);
}

static void test_crossing_and_counters(void **state)
{
	struct bus b;
	struct rec d = {0};

	assert_int_equal(bus_init(&b, 16 * KiB, NULL, NULL), 0);
	assert_int_equal(bus_map_ram(&b, 0, 0x1000, 0, NULL), 0);
	assert_int_equal(bus_map_mmio(&b, 0x1000, 0x10, &ops_pic, &d, NULL), 0);
	assert_int_equal(bus_map_ram(&b, 0x3000, 0x1000, 0x1000, NULL), 0);

	/* RAM | device: bytes 0xffe, 0xfff to RAM, 0x1000, 0x1001 to the device. */
	bus_mem_write(&b, 0xffe, 0xddccbbaa, 4);
	assert_int_equal(b.ram[0xffe], 0xaa);
	assert_int_equal(b.ram[0xfff], 0xbb);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.off[0], 0);
	assert_int_equal(d.val[0], 0xcc);
	assert_int_equal(d.off[1], 1);
	assert_int_equal(d.val[1], 0xdd);
	assert_int_equal(bus_mem_read(&b, 0xffe, 4), 0xddccbbaa);
	assert_int_equal(b.mem[0].writes, 2);
	assert_int_equal(b.mem[1].writes, 2);
	assert_int_equal(b.mem[1].reads, 2);

	/* RAM | hole: the hole half reads as ones. */
	b.ram[0x1ffe] = 0x12; /* RAM offset 0x1ffe is guest 0x3ffe */
	b.ram[0x1fff] = 0x34;
	assert_int_equal(bus_mem_read(&b, 0x3ffe, 4), 0xffff3412);
	assert_int_equal(b.unclaimed_mem, 2);

	/* Whole access inside one range counts once. */
	u64 r0 = b.mem[2].reads;
	assert_int_equal(bus_mem_read(&b, 0x3000, 8), 0);
	assert_int_equal(b.mem[2].reads, r0 + 1);
	bus_destroy(&b);
}

static int written_calls;
static u64 written_pa, written_len;
static void on_written(void *o, u64 pa, u64 len)
{
	written_calls++;
	written_pa = pa;
	written_len = len;
}

static void test_bounds(void **state)
{
	struct bus b;
	struct err e = {""};
	bool w = true;
	static const u8 rom[0x1800] = {0x5a, 0xa5};
	u8 buf[16] = {1, 2, 3, 4};

	assert_int_equal(bus_init(&b, 64 * KiB, NULL, &e), 0);
	/* Windows that leave the host mapping are refused. */
	assert_int_equal(bus_map_ram(&b, 0, 64 * KiB + 1, 0, &e), -1);
	assert_int_equal(bus_map_ram(&b, 0, 0x1000, 64 * KiB, &e), -1);
	assert_int_equal(bus_map_ram(&b, 0, 0x1000, UINT64_MAX - 0x10, &e), -1);
	assert_int_equal(bus_map_ram(&b, UINT64_MAX - 0x10, 0x1000, 0, &e), -1);
	/* 0x1800 bytes of RAM: page 0 is whole, page 1 is split. */
	assert_int_equal(bus_map_ram(&b, 0x10000, 0x1800, 0, &e), 0);
	assert_int_equal(bus_map_rom(&b, "bios", 0xf0000, rom, sizeof(rom), &e), 0);
	b.ram_written = on_written;

	assert_ptr_equal(bus_page_host(&b, 0x10123, &w), b.ram);
	assert_true(w);
	assert_null(bus_page_host(&b, 0x11000, &w));
	assert_null(bus_page_host(&b, 0x12000, &w));
	u8 *p = bus_page_host(&b, 0xf0000, &w);
	assert_non_null(p);
	assert_false(w);
	assert_int_equal(p[0], 0x5a);
	assert_null(bus_page_host(&b, 0xf1000, &w)); /* ROM half page */

	/* ROM writes are ignored and counted. */
	bus_mem_write(&b, 0xf0000, 0, 2);
	assert_int_equal(bus_mem_read(&b, 0xf0000, 2), 0xa55a);
	assert_int_equal(bus_find(&b, 0xf0000)->writes, 1);

	/* RAM writes through the bus report the written span. */
	bus_mem_write(&b, 0x10010, 0x1234, 2);
	assert_int_equal(written_calls, 1);
	assert_int_equal(written_pa, 0x10010);
	assert_int_equal(written_len, 2);

	/* DMA: bounds-checked, all or nothing, RAM only for writes. */
	assert_int_equal(bus_dma_write(&b, 0x10000, buf, 4), 0);
	assert_int_equal(written_calls, 2);
	assert_memory_equal(b.ram, buf, 4);
	assert_int_equal(bus_dma_write(&b, 0x117fc, buf, 8), -1); /* runs off the end */
	assert_int_equal(b.ram[0x17fc], 0);
	assert_int_equal(bus_dma_write(&b, 0xf0000, buf, 1), -1); /* ROM */
	assert_int_equal(bus_dma_write(&b, UINT64_MAX - 2, buf, 8), -1);
	assert_int_equal(bus_dma_read(&b, 0xf0000, buf, 2), 0);
	assert_int_equal(buf[0], 0x5a);
	assert_int_equal(bus_dma_read(&b, 0x50000, buf, 2), -1);
	assert_int_equal(written_calls, 2);
	bus_destroy(&b);
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%ld %ld", &pages, &rss) != 2)
		fail_msg("cannot read /proc/self/statm");
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_lazy_ram(void **state)
{
	struct bus b;
	struct err e = {""};
	static u8 page[4096];
	long before, mapped, touched;

	before = rss_kib();
	assert_int_equal(bus_init(&b, 4 * GiB, NULL, &e), 0);
	assert_int_equal(bus_map_ram(&b, 0, 3 * GiB, 0, &e), 0);
	mapped = rss_kib();
	assert_true(mapped - before < 8 * 1024); /* 4 GiB mapped, < 8 MiB resident */
	memset(page, 0x5a, sizeof(page));
	for (u64 pa = 0; pa < 50 * MiB; pa += 4096)
		assert_int_equal(bus_dma_write(&b, pa, page, sizeof(page)), 0);
	touched = rss_kib();
	assert_true(touched - mapped >= 50 * 1024 - 512);
	assert_true(touched - mapped < 60 * 1024);
	bus_destroy(&b);
}

/* ---- the board: registration, stop requests, virtual time ---------------- */

static int fired[4], fire_order[4], nfired;
static void on_fire(void *opaque)
{
	int i = (int)(intptr_t)opaque;
	fired[i]++;
	fire_order[nfired++] = i;
}

static void test_board_time_and_stop(void **state)
{
	static struct board b;
	struct err e = {""};
	u64 ic = 0;
	struct vtimer t[4];

	assert_int_equal(board_init(&b, 1 * MiB, NULL, &e), 0);
	b.icount = &ic;
	/* Every device type linked in is created, interrupt controller first. */
	assert_int_equal(board_create_devices(&b, &e), 0);
	int ipic = -1, ipit = -1;
	for (int i = 0; i < b.ndevices; i++) {
		if (!strcmp(b.devices[i].name, "pic8259"))
			ipic = i;
		if (!strcmp(b.devices[i].name, "pit8254"))
			ipit = i;
	}
	assert_true(ipic >= 0 && ipic < ipit); /* level 0 before level 1 */
	assert_non_null(board_find_device(&b, "pit8254"));
	assert_non_null(board_find_device(&b, "com1"));
	assert_non_null(board_find_device(&b, "debug-exit"));
	assert_int_equal(board_create_device(&b, "no-such", &e), -1);
	assert_string_equal(e.msg, "board: no device type 'no-such' in this build");
	/* Creating a device twice collides on the bus. */
	assert_int_equal(board_create_device(&b, "debug-exit", &e), -1);
	assert_string_equal(e.msg, "bus: debug-exit 0xf4-0xf7 overlaps debug-exit 0xf4-0xf7");

	/* debug-exit: the value of the access size only; first stop wins. */
	bus_pio_write(&b.bus, 0xf4, 0x12345631, 1);
	assert_int_equal(b.stop, BOARD_STOP_DEBUG_EXIT);
	assert_int_equal(b.stop_value, 0x31);
	board_request_stop(&b, BOARD_STOP_RESET, 0);
	assert_int_equal(b.stop, BOARD_STOP_DEBUG_EXIT);
	b.stop = BOARD_RUNNING;
	bus_pio_write(&b.bus, 0xf6, 0x1234, 2);
	assert_int_equal(b.stop_value, 0x1234);
	board_reset(&b);
	assert_int_equal(b.stop, BOARD_RUNNING);

	/* Virtual time and timers. */
	ic = 1000;
	b.ns_per_insn = 3;
	assert_int_equal(board_now_ns(&b), 3000);
	board_idle_until(&b, 5000);
	assert_int_equal(board_now_ns(&b), 5000);
	board_idle_until(&b, 10); /* never backwards */
	assert_int_equal(board_now_ns(&b), 5000);
	for (int i = 0; i < 4; i++)
		t[i] = (struct vtimer){.fire = on_fire, .opaque = (void *)(intptr_t)i};
	vtimer_arm(&b, &t[0], 9000);
	vtimer_arm(&b, &t[1], 7000);
	vtimer_arm(&b, &t[2], 7000); /* same deadline: after t[1] */
	vtimer_arm(&b, &t[3], 8000);
	vtimer_cancel(&b, &t[3]);
	assert_int_equal(board_next_deadline(&b), 7000);
	board_run_timers(&b);
	assert_int_equal(nfired, 0);
	board_idle_until(&b, 7000);
	board_run_timers(&b);
	assert_int_equal(nfired, 2);
	assert_int_equal(fire_order[0], 1);
	assert_int_equal(fire_order[1], 2);
	vtimer_arm(&b, &t[0], 6000); /* re-arming moves it */
	board_run_timers(&b);
	assert_int_equal(nfired, 3);
	assert_int_equal(fired[0], 1);
	assert_int_equal(fired[3], 0);
	assert_false(t[0].armed);
	board_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overlap_message),
	    cmocka_unit_test(test_unclaimed),
	    cmocka_unit_test(test_splitting),
	    cmocka_unit_test(test_crossing_and_counters),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_lazy_ram),
	    cmocka_unit_test(test_board_time_and_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
