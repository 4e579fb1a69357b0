/*
 * test_fwcfg.c - the fw_cfg device against QEMU's docs/specs/fw_cfg.rst:
 * signature, ID, CPU count, RAM size, the big-endian file directory and
 * file contents, rewinding on select, zeros past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/fw_cfg.h"

static struct board B;
static void *fw;

static int setup(void **state)
{
	struct err e;

	if (board_init(&B, 64 * MiB, NULL, &e) < 0)
		return -1;
	B.ncpus = 3;
	if (board_create_device(&B, "fw-cfg", &e) < 0)
		return -1;
	fw = board_find_device(&B, "fw-cfg");
	return fw ? 0 : -1;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

static void sel(u16 key)
{
	bus_pio_write(&B.bus, 0x510, key, 2);
}

static void readn(u8 *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = bus_pio_read(&B.bus, 0x511, 1);
}

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Find a file in the directory the way a guest driver does. */
static int find_file(const char *name, u16 *select, u32 *size)
{
	u8 hdr[4], ent[64];

	sel(0x0019);
	readn(hdr, 4);
	for (u32 i = 0; i < be32(hdr); i++) {
		readn(ent, 64);
		if (!strncmp((char *)ent + 8, name, 56)) {
			*size = be32(ent);
			*select = (u16)(ent[4] << 8 | ent[5]);
			return 0;
		}
	}
	return -1;
}

static void test_signature_and_id(void **state)
{
	u8 buf[8];

	sel(0x0000);
	readn(buf, 6);
	assert_memory_equal(buf, "QEMU\0\0", 6); /* zeros past the end */
	sel(0x0000);				 /* re-select rewinds */
	readn(buf, 1);
	assert_int_equal(buf[0], 'Q');
	sel(0x0001);
	readn(buf, 4);
	assert_memory_equal(buf, "\x01\0\0\0", 4); /* traditional, no DMA */
	sel(0x0005);
	readn(buf, 2);
	assert_int_equal(buf[0] | buf[1] << 8, 3);
	sel(0x0003);
	readn(buf, 8);
	u64 ram = 0;
	for (int i = 0; i < 8; i++)
		ram |= (u64)buf[i] << (8 * i);
	assert_int_equal(ram, 64 * MiB);
	/* Unknown keys and the write bit: reads give 0; 0x4000 | 0 is key 0. */
	sel(0x1234);
	readn(buf, 2);
	assert_int_equal(buf[0] | buf[1], 0);
	sel(0x4000);
	readn(buf, 1);
	assert_int_equal(buf[0], 'Q');
	/* Byte write to the selector selects the low byte key. */
	bus_pio_write(&B.bus, 0x510, 0x05, 1);
	readn(buf, 1);
	assert_int_equal(buf[0], 3);
}

static void test_files(void **state)
{
	u16 s;
	u32 n;
	u8 buf[16];

	assert_int_equal(find_file("etc/vmlab/ram-size", &s, &n), 0);
	assert_int_equal(n, 8);
	assert_true(s >= 0x20);
	sel(s);
	readn(buf, 8);
	assert_int_equal(buf[3], 0x04); /* 64 MiB = 0x04000000 little-endian */
	/* Add files; the directory stays sorted by name. */
	assert_int_equal(fw_cfg_add_file(fw, "opt/test", "hello", 5), 0);
	assert_int_equal(fw_cfg_add_file(fw, "aaa/first", "x", 1), 0);
	assert_int_equal(fw_cfg_add_file(fw, "opt/test", "again", 5), -1);
	assert_int_equal(fw_cfg_add_file(fw, "", "x", 1), -1);
	char longname[80];
	memset(longname, 'n', sizeof(longname));
	longname[56] = 0;
	assert_int_equal(fw_cfg_add_file(fw, longname, "x", 1), -1);
	longname[55] = 0;
	assert_int_equal(fw_cfg_add_file(fw, longname, "x", 1), 0);
	assert_int_equal(find_file("opt/test", &s, &n), 0);
	assert_int_equal(n, 5);
	sel(s);
	readn(buf, 7);
	assert_memory_equal(buf, "hello\0\0", 7);
	assert_int_equal(find_file("aaa/first", &s, &n), 0);
	assert_int_equal(s, 0x20);
	u8 hdr[4];
	sel(0x19);
	readn(hdr, 4);
	assert_int_equal(be32(hdr), 4);
	/* The selector port is write-only (reads 0) and reading it does not
	 * disturb the data offset. */
	assert_int_equal(find_file("opt/test", &s, &n), 0);
	sel(s);
	assert_int_equal(bus_pio_read(&B.bus, 0x511, 1), 'h');
	assert_int_equal(bus_pio_read(&B.bus, 0x510, 2), 0);
	assert_int_equal(bus_pio_read(&B.bus, 0x511, 1), 'e');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_signature_and_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
