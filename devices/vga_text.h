/*
 * vga_text.h - reading the VGA text screen from the host side (monitor,
 * tests).  Find the instance with board_find_device(b, "vga").
 */
#ifndef VMLAB_DEVICES_VGA_TEXT_H
#define VMLAB_DEVICES_VGA_TEXT_H

#include "lib/common.h"

#define VGA_COLS 80
#define VGA_ROWS 25

/*
 * Write the 80x25 screen as 25 text lines ('\n'-terminated, trailing blanks
 * trimmed; NUL shows as a blank, other non-ASCII bytes as '.'), then a line
 * "cursor: row R col C" (or "cursor: off" when disabled in CRTC register
 * 0x0A).  The screen starts at the CRTC start address.  Always
 * NUL-terminates when len > 0; returns the length the full text needs
 * (like snprintf).
 */
size_t vga_text_render(void *dev, char *buf, size_t len);

/* The character/attribute word of screen cell (row, col). */
u16 vga_text_cell(void *dev, unsigned row, unsigned col);

/* Cursor position (from CRTC 0x0E/0x0F, relative to the start address);
 * false when the cursor is disabled or off screen. */
bool vga_text_cursor(void *dev, unsigned *row, unsigned *col);

#endif
