/*
 * test_ide.c - the primary ATA channel against ATA/ATAPI-6: signature after
 * reset, IDENTIFY DEVICE words and checksum, the PIO data-in/data-out
 * protocols with their interrupts, CHS / LBA28 / LBA48 addressing and the
 * HOB bit, error reporting past the end of (truncated) images, SRST, nIEN,
 * absent devices.  The oracle for data is the image file itself (pread);
 * images are temporary files from mkstemp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/board.h"
#define BOARD_FIXTURE_IRQ
#include "tests/unit/board_fixture.h"

#define NSEC 2048 /* 1 MiB image */

static char path0[64], path1[64];



static u8 pattern(u64 lba, unsigned i)
{
	return (u8)(lba * 7 + i * 13 + (lba >> 8));
}

/* A temporary image of `bytes` bytes filled with pattern(). */
static void make_image(char *path, size_t bytes)
{
	strcpy(path, "/tmp/vmlab-ide-XXXXXX");
	int fd = mkstemp(path);
	u8 *buf = malloc(bytes + 1);

	assert_true(fd >= 0);
	for (size_t i = 0; i < bytes; i++)
		buf[i] = pattern(i / 512, i % 512);
	assert_int_equal(write(fd, buf, bytes), (ssize_t)bytes);
	close(fd);
	free(buf);
}

static int board_up(const char *p0, const char *p1)
{
	struct err e;

	memset(irq_level, 0, sizeof(irq_level));
	memset(irq_rises, 0, sizeof(irq_rises));
	if (board_init(&B, 0, NULL, &e) < 0)
		return -1;
	B.set_irq = fake_set_irq;
	B.disk_path[0] = p0;
	B.disk_path[1] = p1;
	if (board_create_device(&B, "ide", &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	make_image(path0, NSEC * 512);
	return board_up(path0, NULL);
}

static int teardown(void **state)
{
	board_destroy(&B);
	unlink(path0);
	if (path1[0])
		unlink(path1);
	path1[0] = 0;
	return 0;
}

/* Read one 512-byte block from the data port (alternating 16/32-bit). */
static void read_sector(u8 *out, bool dwords)
{
	for (int i = 0; i < 512; i += dwords ? 4 : 2) {
		u32 v = bus_pio_read(&B.bus, 0x1f0, dwords ? 4 : 2);
		memcpy(out + i, &v, dwords ? 4 : 2);
	}
}

static void check_pattern(const u8 *buf, u64 lba)
{
	for (int i = 0; i < 512; i++)
		if (buf[i] != pattern(lba, i))
			fail_msg("lba %llu byte %d: %02x != %02x", (unsigned long long)lba, i,
				 buf[i], pattern(lba, i));
}

static void lba28(u8 cmd, u32 lba, u8 count)
{
	outb(0x1f2, count);
	outb(0x1f3, (u8)lba);
	outb(0x1f4, (u8)(lba >> 8));
	outb(0x1f5, (u8)(lba >> 16));
	outb(0x1f6, 0xe0 | ((lba >> 24) & 0xf));
	outb(0x1f7, cmd);
}

static void lba48(u8 cmd, u64 lba, u16 count)
{
	outb(0x1f6, 0x40);
	outb(0x1f2, count >> 8);
	outb(0x1f3, (u8)(lba >> 24));
	outb(0x1f4, (u8)(lba >> 32));
	outb(0x1f5, (u8)(lba >> 40));
	outb(0x1f2, (u8)count);
	outb(0x1f3, (u8)lba);
	outb(0x1f4, (u8)(lba >> 8));
	outb(0x1f5, (u8)(lba >> 16));
	outb(0x1f7, cmd);
}

static void test_signature(void **state)
{
	assert_int_equal(inb(0x1f7), 0x50); /* DRDY | DSC */
	assert_int_equal(inb(0x1f1), 0x01); /* diagnostic: passed */
	assert_int_equal(inb(0x1f2), 0x01);
	assert_int_equal(inb(0x1f3), 0x01);
	assert_int_equal(inb(0x1f4), 0x00);
	assert_int_equal(inb(0x1f5), 0x00);
	/* SRST: busy while held, signature after release, no interrupt. */
	outb(0x1f2, 0x55);
	outb(0x3f6, 0x04);
	assert_int_equal(inb(0x3f6), 0x80);
	outb(0x3f6, 0x00);
	assert_int_equal(inb(0x3f6), 0x50);
	assert_int_equal(inb(0x1f2), 0x01);
	assert_int_equal(irq_rises[14], 0);
}

static void test_identify(void **state)
{
	u8 id[512];
	u16 w[256];
	u8 sum = 0;
	char model[41];

	outb(0x1f6, 0xa0);
	outb(0x1f7, 0xec);
	assert_int_equal(irq_level[14], 1);
	assert_int_equal(inb(0x3f6), 0x58); /* alternate status: IRQ stays */
	assert_int_equal(irq_level[14], 1);
	assert_int_equal(inb(0x1f7), 0x58); /* status read acknowledges */
	assert_int_equal(irq_level[14], 0);
	read_sector(id, false);
	assert_int_equal(inb(0x1f7), 0x50);
	assert_int_equal(irq_rises[14], 1); /* no completion interrupt */
	for (int i = 0; i < 256; i++)
		w[i] = id[2 * i] | id[2 * i + 1] << 8;
	for (int i = 0; i < 512; i++)
		sum += id[i];
	assert_int_equal(sum, 0); /* word 255 checksum */
	assert_int_equal(w[255] & 0xff, 0xa5);
	for (int i = 0; i < 20; i++) {
		model[2 * i] = (char)(w[27 + i] >> 8);
		model[2 * i + 1] = (char)w[27 + i];
	}
	model[40] = 0;
	assert_string_equal(model, "VMLAB HARDDISK                          ");
	/* 2048 sectors: 2048 / 1008 = 2 cylinders of 16 heads x 63 sectors. */
	assert_int_equal(w[1], 2);
	assert_int_equal(w[3], 16);
	assert_int_equal(w[6], 63);
	assert_int_equal(w[60] | w[61] << 16, NSEC);
	assert_int_equal(w[100], NSEC);
	assert_int_equal(w[101] | w[102] | w[103], 0);
	assert_int_equal(w[83] & 0xc400, 0x4400); /* 48-bit supported, valid */
	assert_int_equal(w[86] & BIT(10), BIT(10));
	assert_int_equal(w[49] & BIT(9), BIT(9)); /* LBA */
	assert_int_equal(w[47] & 0xff, 16);
	assert_int_equal(w[0], 0x0040);
	/* IDENTIFY PACKET DEVICE on an ATA disk: aborted. */
	outb(0x1f7, 0xa1);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x04);
}

static void test_read_lba28_and_chs(void **state)
{
	u8 buf[512];

	lba28(0x20, 5, 3);
	for (int s = 0; s < 3; s++) {
		assert_int_equal(irq_level[14], 1);
		assert_int_equal(inb(0x1f7), 0x58);
		read_sector(buf, s == 1);
		check_pattern(buf, 5 + s);
	}
	assert_int_equal(inb(0x1f7), 0x50);
	assert_int_equal(irq_rises[14], 3);
	/* Task file holds the last sector transferred. */
	assert_int_equal(inb(0x1f3), 7);
	/* CHS: cylinder 1, head 2, sector 4 -> (1*16 + 2) * 63 + 3 = 1137. */
	outb(0x1f2, 1);
	outb(0x1f3, 4);
	outb(0x1f4, 1);
	outb(0x1f5, 0);
	outb(0x1f6, 0xa2);
	outb(0x1f7, 0x20);
	assert_int_equal(inb(0x1f7), 0x58);
	read_sector(buf, false);
	check_pattern(buf, 1137);
	/* Sector 0 does not exist in CHS. */
	outb(0x1f3, 0);
	outb(0x1f7, 0x20);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x10);
	/* INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors per track. */
	outb(0x1f2, 17);
	outb(0x1f6, 0xa3);
	outb(0x1f7, 0x91);
	assert_int_equal(inb(0x1f7), 0x50);
	outb(0x1f2, 1);
	outb(0x1f3, 5);
	outb(0x1f4, 2);
	outb(0x1f5, 0);
	outb(0x1f6, 0xa1);
	outb(0x1f7, 0x20);
	assert_int_equal(inb(0x1f7), 0x58);
	read_sector(buf, true);
	check_pattern(buf, (2 * 4 + 1) * 17 + 4);
}

static void test_lba48_and_hob(void **state)
{
	u8 buf[512];

	lba48(0x24, NSEC - 2, 2);
	for (int s = 0; s < 2; s++) {
		assert_int_equal(inb(0x1f7), 0x58);
		read_sector(buf, false);
		check_pattern(buf, NSEC - 2 + s);
	}
	assert_int_equal(inb(0x1f7), 0x50);
	/* HOB: the previous (high-order) bytes read back with devctl bit 7. */
	outb(0x1f3, 0x11);
	outb(0x1f3, 0x22);
	outb(0x3f6, 0x80);
	assert_int_equal(inb(0x1f3), 0x11);
	outb(0x3f6, 0x00);
	assert_int_equal(inb(0x1f3), 0x22);
	/* A command-block write clears HOB. */
	outb(0x3f6, 0x80);
	outb(0x1f4, 0x33);
	assert_int_equal(inb(0x1f3), 0x22);
	/* Count 0 in LBA48 means 65536: runs off the end -> IDNF after the
	 * sectors that exist. */
	lba48(0x24, NSEC - 1, 0);
	assert_int_equal(inb(0x1f7), 0x58);
	read_sector(buf, false);
	check_pattern(buf, NSEC - 1);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x10);
	/* Beyond 2^28 (only reachable with 48-bit addressing): IDNF. */
	lba48(0x24, 1ULL << 40, 1);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x10);
	assert_int_equal(inb(0x1f5), 0x00);
	outb(0x3f6, 0x80);
	assert_int_equal(inb(0x1f5), 0x01); /* LBA 47:40 = 1 back in the HOB */
}

static void test_write(void **state)
{
	u8 buf[512], file[1024];
	int fd;

	lba28(0x30, 100, 2);
	/* Data-out: DRQ at once, no interrupt before the first block. */
	assert_int_equal(irq_level[14], 0);
	assert_int_equal(inb(0x3f6), 0x58);
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < 256; i++)
			bus_pio_write(&B.bus, 0x1f0, (u16)(0xa000 + s * 256 + i), 2);
		assert_int_equal(irq_level[14], 1);
		assert_int_equal(inb(0x1f7), s == 0 ? 0x58 : 0x50);
	}
	fd = open(path0, O_RDONLY);
	assert_int_equal(pread(fd, file, 1024, 100 * 512), 1024);
	close(fd);
	for (int i = 0; i < 512; i++)
		assert_int_equal(file[i], (i & 1) ? 0xa0 + ((i / 2) >> 8) : (u8)(i / 2));
	assert_int_equal(file[512 + 0], 0x00);
	assert_int_equal(file[512 + 1], 0xa1);
	/* Read back through the device with 32-bit accesses. */
	lba28(0x20, 101, 1);
	inb(0x1f7);
	read_sector(buf, true);
	assert_memory_equal(buf, file + 512, 512);
	/* Write past the end: aborted with IDNF before any data. */
	lba28(0x30, NSEC, 1);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x10);
	/* FLUSH CACHE completes. */
	outb(0x1f7, 0xe7);
	assert_int_equal(inb(0x1f7), 0x50);
}

static void test_multiple(void **state)
{
	u8 buf[512];

	/* READ MULTIPLE before SET MULTIPLE: aborted. */
	lba28(0xc4, 0, 8);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x04);
	outb(0x1f2, 3); /* not a power of two */
	outb(0x1f7, 0xc6);
	assert_int_equal(inb(0x1f7), 0x51);
	outb(0x1f2, 4);
	outb(0x1f7, 0xc6);
	assert_int_equal(inb(0x1f7), 0x50);
	irq_rises[14] = 0;
	lba28(0xc4, 10, 8); /* two blocks of four sectors, one IRQ each */
	for (int s = 0; s < 8; s++) {
		if (s % 4 == 0)
			assert_int_equal(inb(0x1f7), 0x58);
		read_sector(buf, false);
		check_pattern(buf, 10 + s);
	}
	assert_int_equal(irq_rises[14], 2);
	assert_int_equal(inb(0x1f7), 0x50);
}

static void test_nien_and_unknown(void **state)
{
	outb(0x3f6, 0x02); /* nIEN */
	outb(0x1f7, 0x00); /* NOP: aborted */
	assert_int_equal(irq_level[14], 0);
	assert_int_equal(inb(0x3f6), 0x51);
	assert_int_equal(inb(0x1f1), 0x04);
	outb(0x3f6, 0x00); /* interrupt still pending: line rises now */
	assert_int_equal(irq_level[14], 1);
	inb(0x1f7);
	assert_int_equal(irq_level[14], 0);
	outb(0x1f7, 0xef); /* SET FEATURES: accepted */
	assert_int_equal(inb(0x1f7), 0x50);
}

static void test_absent_slave(void **state)
{
	outb(0x1f6, 0xb0);
	assert_int_equal(inb(0x1f7), 0x00);
	assert_int_equal(inb(0x3f6), 0x00);
	outb(0x1f7, 0xec); /* nobody answers */
	assert_int_equal(irq_level[14], 0);
	assert_int_equal(inb(0x1f7), 0x00);
	outb(0x1f6, 0xa0);
	assert_int_equal(inb(0x1f7), 0x50);
}

static void test_truncated_image(void **state)
{
	u8 buf[512];
	u16 w[256];

	/* 1000 bytes: one whole sector and a partial one that does not count. */
	board_destroy(&B);
	make_image(path1, 1000);
	assert_int_equal(board_up(path0, path1), 0);
	outb(0x1f6, 0xb0);
	outb(0x1f7, 0xec);
	assert_int_equal(inb(0x1f7), 0x58);
	read_sector((u8 *)w, false);
	assert_int_equal(w[60], 1);
	assert_int_equal(w[1], 2); /* cylinders clamp to 2, as QEMU */
	/* Two sectors from LBA 0: the first arrives, the second is IDNF with
	 * the task file pointing at it. */
	outb(0x1f2, 2);
	outb(0x1f3, 0);
	outb(0x1f4, 0);
	outb(0x1f5, 0);
	outb(0x1f6, 0xf0);
	outb(0x1f7, 0x20);
	assert_int_equal(inb(0x1f7), 0x58);
	read_sector(buf, false);
	check_pattern(buf, 0);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x10);
	assert_int_equal(inb(0x1f3), 1);
	outb(0x1f2, 1);
	outb(0x1f3, 0);
	/* The image shrinks under the running machine: UNC, not a crash. */
	assert_int_equal(truncate(path1, 0), 0);
	outb(0x1f7, 0x20);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x40);
	/* An empty image is a present disk with no sectors. */
	board_destroy(&B);
	assert_int_equal(board_up(path1, NULL), 0);
	assert_int_equal(inb(0x1f7), 0x50);
	lba28(0x20, 0, 1);
	assert_int_equal(inb(0x1f7), 0x51);
}

static void test_readonly_image(void **state)
{
	if (geteuid() == 0)
		skip(); /* root opens read-only files read-write */
	board_destroy(&B);
	assert_int_equal(chmod(path0, 0444), 0);
	assert_int_equal(board_up(path0, NULL), 0);
	lba28(0x30, 0, 1);
	assert_int_equal(inb(0x1f7), 0x51);
	assert_int_equal(inb(0x1f1), 0x04);
}

static void test_no_disks_and_bad_path(void **state)
{
	struct err e;

	board_destroy(&B);
	assert_int_equal(board_up(NULL, NULL), 0);
	assert_int_equal(inb(0x1f7), 0x00);
	assert_int_equal(inb(0x1f1), 0x00);
	board_destroy(&B);
	assert_int_equal(board_init(&B, 0, NULL, &e), 0);
	B.disk_path[0] = "/nonexistent/vmlab.img";
	assert_int_equal(board_create_device(&B, "ide", &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/vmlab.img"));
}

static void test_describe(void **state)
{
	char buf[2048];

	outb(0x1f7, 0xec);
	B.devices[0].ops->describe(B.devices[0].state, buf, sizeof(buf));
	assert_non_null(strstr(buf, path0));
	assert_non_null(strstr(buf, "IDENTIFY DEVICE"));
	assert_non_null(strstr(buf, "CHS 2/16/63"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_signature, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_lba28_and_chs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lba48_and_hob, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multiple, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nien_and_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_absent_slave, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_image, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_image, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_disks_and_bad_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
