/*
 * test_vga.c - the VGA text mode device against the IBM VGA Technical
 * Reference: text cells at 0xB8000 (character, attribute), CRTC start
 * address and cursor location registers, the attribute flip-flop reset by
 * reading input status #1, the retrace toggle, the CR11 write protect, and
 * the host-side rendering the monitor uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/vga_text.h"
#include "tests/unit/board_fixture.h"

static void *vga;


static void crtc(u8 reg, u8 v)
{
	outb(0x3d4, reg);
	outb(0x3d5, v);
}

static int setup(void **state)
{
	struct err e;

	if (board_init(&B, 0, NULL, &e) < 0 || board_create_device(&B, "vga", &e) < 0)
		return -1;
	vga = board_find_device(&B, "vga");
	return vga ? 0 : -1;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

static void puts_at(unsigned row, unsigned col, const char *s, u8 attr)
{
	for (; *s; s++, col++)
		bus_mem_write(&B.bus, 0xb8000 + 2 * (row * 80 + col), (u8)*s | attr << 8, 2);
}

static void test_text_memory(void **state)
{
	/* Blank after reset: space, light grey on black. */
	assert_int_equal(bus_mem_read(&B.bus, 0xb8000, 2), 0x0720);
	puts_at(0, 0, "Hello", 0x1f);
	assert_int_equal(vga_text_cell(vga, 0, 1), 0x1f65);
	/* Any access size, little-endian: "He" with attributes. */
	assert_int_equal(bus_mem_read(&B.bus, 0xb8000, 4), 0x1f651f48);
	bus_mem_write(&B.bus, 0xb8000 + 2 * 80, 0x0742074107420741ULL, 8);
	assert_int_equal(vga_text_cell(vga, 1, 3), 0x0742);
	/* The last cell of the buffer and the graphics window are memory too. */
	bus_mem_write(&B.bus, 0xbfffe, 0xbeef, 2);
	assert_int_equal(bus_mem_read(&B.bus, 0xbfffe, 2), 0xbeef);
	bus_mem_write(&B.bus, 0xa0000, 0x12, 1);
	assert_int_equal(bus_mem_read(&B.bus, 0xa0000, 1), 0x12);
}

static void test_crtc_and_cursor(void **state)
{
	unsigned r, c;

	/* Mode 3 values after reset: cursor scanlines 13-14, misc 0x67. */
	outb(0x3d4, 0x0a);
	assert_int_equal(inb(0x3d5), 0x0d);
	outb(0x3d4, 0x0b);
	assert_int_equal(inb(0x3d5), 0x0e);
	assert_int_equal(inb(0x3cc), 0x67);
	/* Cursor location 0x0E/0x0F = 3 * 80 + 7. */
	crtc(0x0e, (3 * 80 + 7) >> 8);
	crtc(0x0f, (3 * 80 + 7) & 0xff);
	assert_true(vga_text_cursor(vga, &r, &c));
	assert_int_equal(r, 3);
	assert_int_equal(c, 7);
	/* A 16-bit OUT to 0x3D4 writes index then data (bus splits it). */
	bus_pio_write(&B.bus, 0x3d4, 0x0f | (5 << 8), 2);
	assert_true(vga_text_cursor(vga, &r, &c));
	assert_int_equal(c, 5);
	/* Cursor disable: CR0A bit 5. */
	crtc(0x0a, 0x20);
	assert_false(vga_text_cursor(vga, &r, &c));
	/* CR11 bit 7 (set in mode 3) write-protects CR00-CR07. */
	crtc(0x01, 0x00);
	outb(0x3d4, 0x01);
	assert_int_equal(inb(0x3d5), 0x4f);
	crtc(0x11, 0x0e);
	crtc(0x01, 0x27);
	outb(0x3d4, 0x01);
	assert_int_equal(inb(0x3d5), 0x27);
}

static void test_start_address_scrolls(void **state)
{
	puts_at(1, 0, "second line", 0x07);
	/* Start address 80 words: row 1 becomes the top row. */
	crtc(0x0c, 0);
	crtc(0x0d, 80);
	assert_int_equal(vga_text_cell(vga, 0, 0) & 0xff, 's');
}

static void test_status_and_attribute(void **state)
{
	/* Input status #1 alternates retrace / display: a poll loop ends. */
	u8 a = inb(0x3da), b = inb(0x3da);
	assert_int_equal(a & 0x08, 0x08);
	assert_int_equal(b & 0x08, 0x00);
	/* Attribute controller: index, data through one port; reading 0x3DA
	 * puts the flip-flop back at "index". */
	outb(0x3c0, 0x3c); /* garbage: leaves flip-flop at "data" */
	inb(0x3da);
	outb(0x3c0, 0x10 | 0x20); /* index 0x10 with PAS */
	outb(0x3c0, 0x08);	  /* data */
	outb(0x3c0, 0x10 | 0x20);
	assert_int_equal(inb(0x3c1), 0x08);
	/* Sequencer and graphics registers read back. */
	outb(0x3c4, 0x02);
	outb(0x3c5, 0x0f);
	assert_int_equal(inb(0x3c5), 0x0f);
	outb(0x3ce, 0x06);
	assert_int_equal(inb(0x3cf), 0x0e);
	/* DAC: write index, three components, read back. */
	outb(0x3c8, 0x05);
	outb(0x3c9, 0x3f);
	outb(0x3c9, 0x20);
	outb(0x3c9, 0x01);
	outb(0x3c7, 0x05);
	assert_int_equal(inb(0x3c9), 0x3f);
	assert_int_equal(inb(0x3c9), 0x20);
	assert_int_equal(inb(0x3c9), 0x01);
}

static void test_render(void **state)
{
	char buf[4096];
	size_t n;

	puts_at(0, 0, "vmlab", 0x07);
	puts_at(24, 75, "end\x01", 0x07);
	crtc(0x0e, 0);
	crtc(0x0f, 85);
	n = vga_text_render(vga, buf, sizeof(buf));
	assert_int_equal(n, strlen(buf));
	assert_memory_equal(buf, "vmlab\n\n", 7);
	assert_non_null(strstr(buf, "\n                                                         "
				    "                  end.\ncursor: row 1 col 5\n"));
	/* 25 screen lines plus the cursor line. */
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 26);
	/* Truncation: NUL-terminated, the full length returned. */
	assert_int_equal(vga_text_render(vga, buf, 4), n);
	assert_string_equal(buf, "vml");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_text_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crtc_and_cursor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_address_scrolls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_and_attribute, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_render, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
