/*
 * test_firmware.c - unit tests of hypervisor/firmware.c: where the BIOS ROM
 * appears (the top of 4 GiB, so that the reset vector 0xFFFFFFF0 holds the
 * image's last 16 bytes - SDM Vol. 3A §10.1.4 - and the window below
 * 1 MiB), that it is read-only, and that bad images are host errors with a
 * one-line message, never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "hypervisor/firmware.h"

/* An image whose every byte tells its own offset (mod 251, a prime, so no
 * 64 KiB-aligned window repeats another). */
static u8 *image(size_t size)
{
	u8 *p = malloc(size);

	for (size_t i = 0; i < size; i++)
		p[i] = (u8)(i % 251);
	return p;
}

static void test_map_64k(void **state)
{
	struct bus b;
	struct err e = {{0}};
	size_t size = 64 * KiB;
	u8 *img = image(size);

	assert_int_equal(bus_init(&b, 2 * MiB, NULL, &e), 0);
	assert_int_equal(firmware_map(&b, "t.bin", img, size, &e), 0);
	/* The reset vector: the last 16 bytes of the image. */
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(bus_mem_read(&b, 0xFFFFFFF0ull + i, 1), img[size - 16 + i]);
	/* The legacy window F0000-FFFFF is the same 64 KiB. */
	assert_int_equal(bus_mem_read(&b, 0xF0000, 4), bus_mem_read(&b, 0xFFFF0000ull, 4));
	assert_int_equal(bus_mem_read(&b, 0xFFFF0, 1), img[size - 16]);
	assert_int_equal(bus_find(&b, 0xF0000)->kind, BUS_ROM);
	assert_int_equal(bus_find(&b, 0xFFFF0000ull)->kind, BUS_ROM);
	/* Nothing below F0000 (with a 64 KiB image) nor below FFFF0000. */
	assert_null(bus_find(&b, 0xEFFFF));
	assert_null(bus_find(&b, 0xFFFEFFFFull));
	/* Read-only: a guest write changes nothing. */
	bus_mem_write(&b, 0xF0010, 0xAA55AA55, 4);
	assert_int_equal(bus_mem_read(&b, 0xF0010, 4), bus_mem_read(&b, 0xFFFF0010ull, 4));
	assert_int_equal(bus_mem_read(&b, 0xF0010, 1), img[0x10]);
	bus_destroy(&b);
	free(img);
}

static void test_map_256k(void **state)
{
	struct bus b;
	struct err e = {{0}};
	size_t size = 256 * KiB;
	u8 *img = image(size);

	assert_int_equal(bus_init(&b, 2 * MiB, NULL, &e), 0);
	assert_int_equal(firmware_map(&b, "t.bin", img, size, &e), 0);
	assert_int_equal(bus_mem_read(&b, 0xFFFC0000ull, 1), img[0]);
	assert_int_equal(bus_mem_read(&b, 0xFFFFFFFFull, 1), img[size - 1]);
	/* Only the last 128 KiB show below 1 MiB: E0000-FFFFF. */
	assert_int_equal(bus_mem_read(&b, 0xE0000, 1), img[size - 128 * KiB]);
	assert_int_equal(bus_mem_read(&b, 0xE0001, 1), img[size - 128 * KiB + 1]);
	assert_int_equal(bus_mem_read(&b, 0xFFFFF, 1), img[size - 1]);
	assert_null(bus_find(&b, 0xDFFFF));
	bus_destroy(&b);
	free(img);
}

static void test_bad_sizes(void **state)
{
	static const size_t bad[] = {0, 512, 64 * KiB - 1, 64 * KiB + 1, 96 * KiB, 17 * MiB};
	u8 *img = image(17 * MiB);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bus b;
		struct err e = {{0}};

		assert_int_equal(bus_init(&b, 2 * MiB, NULL, &e), 0);
		assert_int_equal(firmware_map(&b, "odd.bin", img, bad[i], &e), -1);
		assert_non_null(
		    strstr(e.msg, "odd.bin: a BIOS image must be a multiple of 64 KiB"));
		assert_null(strchr(e.msg, '\n'));
		assert_null(bus_find(&b, 0xFFFFFFF0ull));
		bus_destroy(&b);
	}
	free(img);
}

static void test_load_errors(void **state)
{
	struct bus b;
	struct err e = {{0}};
	char path[] = "/tmp/vmlab-fw-XXXXXX", out[256];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_int_equal(bus_init(&b, 2 * MiB, NULL, &e), 0);
	assert_int_equal(firmware_load(&b, "/nonexistent/bios.bin", &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/bios.bin"));
	assert_int_equal(firmware_load(&b, path, &e), -1);
	assert_non_null(strstr(e.msg, "multiple of 64 KiB"));
	/* A good file maps. */
	{
		u8 *img = image(64 * KiB);
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(img, 1, 64 * KiB, f), 64 * KiB);
		fclose(f);
		assert_int_equal(firmware_load(&b, path, &e), 0);
		assert_int_equal(bus_mem_read(&b, 0xFFFFFFF0ull, 1), img[64 * KiB - 16]);
		free(img);
	}
	assert_int_equal(firmware_locate(path, out, sizeof(out), &e), 0);
	assert_string_equal(out, path);
	assert_int_equal(firmware_locate("/nonexistent/bios.bin", out, sizeof(out), &e), -1);
	unlink(path);
	bus_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_64k),
	    cmocka_unit_test(test_map_256k),
	    cmocka_unit_test(test_bad_sizes),
	    cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
