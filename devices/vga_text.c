/*
 * vga_text.c - a VGA adapter in 80x25 colour text mode (BIOS mode 3): the
 * legacy memory window 0xA0000-0xBFFFF with the text buffer at 0xB8000, and
 * the register ports 0x3C0-0x3DF.
 *
 * Follows the IBM VGA Technical Reference (register names and the mode 3
 * values in the CRT controller, sequencer, graphics controller and
 * attribute controller).
 *
 * Text memory: every screen cell is a 16-bit word, character in the low
 * byte (code page 437) and attribute in the high byte (bits 3-0 foreground,
 * 6-4 background, 7 blink).  Cell (row, col) is word start + row * 80 + col,
 * where `start` is the CRTC start address (registers 0x0C/0x0D, in words).
 * We keep the window as MMIO backed by a host buffer - not guest RAM - so
 * the monitor can render the screen at any time without asking the CPU.
 * Only the text interpretation is modelled: planar graphics modes, fonts
 * and the odd/even plane mapping are not (writes to 0xA0000-0xB7FFF land
 * in the buffer as plain memory).
 *
 * Ports (colour addressing, misc output bit 0 = 1):
 *   0x3C0 attribute index/data (one port, a flip-flop selects which; reading
 *         0x3DA resets it to "index")       0x3C1 attribute data read
 *   0x3C2 misc output write / input status #0 read
 *   0x3C4/0x3C5 sequencer index/data        0x3C7-0x3C9 DAC (palette)
 *   0x3CC misc output read                   0x3CE/0x3CF graphics index/data
 *   0x3D4/0x3D5 CRTC index/data              0x3DA input status #1
 * Input status #1 toggles its retrace bits on every read, so a guest's
 * "wait for vertical retrace" loop finishes after two reads.
 */
#include "devices/vga_text.h"

#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VGA_WINDOW	0xa0000ULL
#define VGA_WINDOW_SIZE 0x20000ULL
#define VGA_TEXT_OFF	0x18000ULL /* 0xB8000 - 0xA0000 */

/* CRTC registers we interpret */
#define CRTC_CURSOR_START 0x0a /* bit 5: cursor off */
#define CRTC_CURSOR_END	  0x0b
#define CRTC_START_HI	  0x0c
#define CRTC_START_LO	  0x0d
#define CRTC_CURSOR_HI	  0x0e
#define CRTC_CURSOR_LO	  0x0f

/* Input status #1 bits */
#define IS1_DISPLAY_DISABLED BIT(0)
#define IS1_VRETRACE	     BIT(3)

struct vga {
	struct board *board;
	u8 mem[VGA_WINDOW_SIZE];
	u8 crtc[0x19], crtc_index;
	u8 seq[5], seq_index;
	u8 gc[9], gc_index;
	u8 attr[0x15], attr_index;
	bool attr_flip; /* false: next 0x3C0 write is an index */
	u8 misc;
	u8 dac[256][3], dac_windex, dac_rindex, dac_comp, pel_mask;
	u64 status_reads; /* drives the retrace toggle */
	u64 mem_writes;
};

/* Mode 3 register values (IBM VGA Technical Reference, BIOS mode table). */
static const u8 mode3_crtc[0x19] = {0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00,
				    0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
				    0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};
static const u8 mode3_seq[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
static const u8 mode3_gc[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff};
static const u8 mode3_attr[0x15] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
				    0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
				    0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00};

/* ---- the memory window ---------------------------------------------------------- */

static u64 vga_mem_read(void *dev, u64 off, unsigned size)
{
	struct vga *v = dev;
	u64 val = 0;

	if (off + size > VGA_WINDOW_SIZE) /* the bus never does this; be safe */
		return ~0ULL;
	memcpy(&val, &v->mem[off], size); /* x86 host: little-endian */
	return val;
}

static void vga_mem_write(void *dev, u64 off, u64 val, unsigned size)
{
	struct vga *v = dev;

	if (off + size > VGA_WINDOW_SIZE)
		return;
	memcpy(&v->mem[off], &val, size);
	v->mem_writes++;
}

static const struct io_ops vga_mem_ops = {
    .name = "vga-mem", .read = vga_mem_read, .write = vga_mem_write, .min = 1, .max = 8};

/* ---- the register ports (offsets from 0x3C0) -------------------------------------- */

static u64 vga_io_read(void *dev, u64 off, unsigned size)
{
	struct vga *v = dev;
	u8 r;

	switch (0x3c0 + off) {
	case 0x3c0: return v->attr_index;
	case 0x3c1:
		return (v->attr_index & 0x1f) < sizeof(v->attr) ? v->attr[v->attr_index & 0x1f] : 0;
	case 0x3c2: return 0x10; /* input status #0: switch sense */
	case 0x3c4: return v->seq_index;
	case 0x3c5: return v->seq_index < sizeof(v->seq) ? v->seq[v->seq_index] : 0;
	case 0x3c6: return v->pel_mask;
	case 0x3c7: return 0x03; /* DAC state: in read mode */
	case 0x3c8: return v->dac_windex;
	case 0x3c9:
		r = v->dac[v->dac_rindex][v->dac_comp];
		if (++v->dac_comp == 3) {
			v->dac_comp = 0;
			v->dac_rindex++;
		}
		return r;
	case 0x3ca: return 0x00; /* feature control */
	case 0x3cc: return v->misc;
	case 0x3ce: return v->gc_index;
	case 0x3cf: return v->gc_index < sizeof(v->gc) ? v->gc[v->gc_index] : 0;
	case 0x3d4: return v->crtc_index;
	case 0x3d5: return v->crtc_index < sizeof(v->crtc) ? v->crtc[v->crtc_index] : 0;
	case 0x3da:
		/* Reading input status #1 resets the attribute flip-flop and,
		 * here, alternates "in retrace" and "displaying". */
		v->attr_flip = false;
		return (v->status_reads++ & 1) ? 0 : (IS1_VRETRACE | IS1_DISPLAY_DISABLED);
	default: return 0xff;
	}
}

static void vga_io_write(void *dev, u64 off, u64 val, unsigned size)
{
	struct vga *v = dev;
	u8 b = (u8)val;

	switch (0x3c0 + off) {
	case 0x3c0:
		if (!v->attr_flip)
			v->attr_index = b & 0x3f; /* bit 5 (PAS) kept with the index */
		else if ((v->attr_index & 0x1f) < sizeof(v->attr))
			v->attr[v->attr_index & 0x1f] = b;
		v->attr_flip = !v->attr_flip;
		break;
	case 0x3c2: v->misc = b; break;
	case 0x3c4: v->seq_index = b & 7; break;
	case 0x3c5:
		if (v->seq_index < sizeof(v->seq))
			v->seq[v->seq_index] = b;
		break;
	case 0x3c6: v->pel_mask = b; break;
	case 0x3c7:
		v->dac_rindex = b;
		v->dac_comp = 0;
		break;
	case 0x3c8:
		v->dac_windex = b;
		v->dac_comp = 0;
		break;
	case 0x3c9:
		v->dac[v->dac_windex][v->dac_comp] = b & 0x3f;
		if (++v->dac_comp == 3) {
			v->dac_comp = 0;
			v->dac_windex++;
		}
		break;
	case 0x3ce: v->gc_index = b & 0x0f; break;
	case 0x3cf:
		if (v->gc_index < sizeof(v->gc))
			v->gc[v->gc_index] = b;
		break;
	case 0x3d4: v->crtc_index = b & 0x1f; break;
	case 0x3d5:
		/* CR11 bit 7 protects CR00-CR07 (except CR07 bit 4). */
		if (v->crtc_index < 8 && (v->crtc[0x11] & 0x80)) {
			if (v->crtc_index == 7)
				v->crtc[7] = (v->crtc[7] & ~0x10) | (b & 0x10);
			break;
		}
		if (v->crtc_index < sizeof(v->crtc))
			v->crtc[v->crtc_index] = b;
		break;
	default: break; /* 0x3C3 video enable, 0x3DA feature control write ... */
	}
}

static const struct io_ops vga_io_ops = {
    .name = "vga", .read = vga_io_read, .write = vga_io_write, .min = 1, .max = 1};

/* ---- host view ---------------------------------------------------------------------- */

static unsigned start_word(const struct vga *v)
{
	return (unsigned)v->crtc[CRTC_START_HI] << 8 | v->crtc[CRTC_START_LO];
}

u16 vga_text_cell(void *dev, unsigned row, unsigned col)
{
	struct vga *v = dev;
	/* The text buffer is 32 KiB = 16 Ki words; addresses wrap inside it. */
	unsigned w = (start_word(v) + row * VGA_COLS + col) & 0x3fff;
	const u8 *p = &v->mem[VGA_TEXT_OFF + 2 * w];

	return (u16)(p[0] | p[1] << 8);
}

bool vga_text_cursor(void *dev, unsigned *row, unsigned *col)
{
	struct vga *v = dev;
	unsigned pos = (unsigned)v->crtc[CRTC_CURSOR_HI] << 8 | v->crtc[CRTC_CURSOR_LO];
	unsigned rel = (pos - start_word(v)) & 0xffff;

	if (v->crtc[CRTC_CURSOR_START] & 0x20 || rel >= VGA_COLS * VGA_ROWS)
		return false;
	*row = rel / VGA_COLS;
	*col = rel % VGA_COLS;
	return true;
}

size_t vga_text_render(void *dev, char *buf, size_t len)
{
	char line[VGA_COLS + 1], tail[48];
	size_t need = 0;
	unsigned r, c;

	for (r = 0; r < VGA_ROWS; r++) {
		int end = 0;
		for (c = 0; c < VGA_COLS; c++) {
			u8 ch = (u8)vga_text_cell(dev, r, c);
			line[c] = ch == 0 ? ' ' : (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
			if (line[c] != ' ')
				end = (int)c + 1;
		}
		line[end] = '\n';
		for (int i = 0; i <= end; i++, need++)
			if (need + 1 < len)
				buf[need] = line[i];
	}
	if (vga_text_cursor(dev, &r, &c))
		snprintf(tail, sizeof(tail), "cursor: row %u col %u\n", r, c);
	else
		snprintf(tail, sizeof(tail), "cursor: off\n");
	for (const char *p = tail; *p; p++, need++)
		if (need + 1 < len)
			buf[need] = *p;
	if (len)
		buf[need < len ? need : len - 1] = 0;
	return need;
}

/* ---- device ---------------------------------------------------------------------------- */

static void vga_reset(void *dev)
{
	struct vga *v = dev;

	memcpy(v->crtc, mode3_crtc, sizeof(v->crtc));
	memcpy(v->seq, mode3_seq, sizeof(v->seq));
	memcpy(v->gc, mode3_gc, sizeof(v->gc));
	memcpy(v->attr, mode3_attr, sizeof(v->attr));
	v->misc = 0x67; /* colour addressing, 28 MHz clock, RAM enabled */
	v->pel_mask = 0xff;
	v->crtc_index = v->seq_index = v->gc_index = v->attr_index = 0;
	v->attr_flip = false;
	/* A blank screen: spaces in light grey on black. */
	for (unsigned i = 0; i < 0x4000; i++) {
		v->mem[VGA_TEXT_OFF + 2 * i] = ' ';
		v->mem[VGA_TEXT_OFF + 2 * i + 1] = 0x07;
	}
}

static void vga_describe(void *dev, char *buf, size_t len)
{
	struct vga *v = dev;
	unsigned r = 0, c = 0;
	bool on = vga_text_cursor(dev, &r, &c);

	snprintf(buf, len,
		 "memory 0xa0000-0xbffff (text at 0xb8000), ports 0x3c0-0x3df: 80x25 text, "
		 "misc %02x, start address %u, cursor %s row %u col %u (scanlines %u-%u), "
		 "%llu memory writes",
		 v->misc, start_word(v), on ? "on" : "off", r, c, v->crtc[CRTC_CURSOR_START] & 0x1f,
		 v->crtc[CRTC_CURSOR_END] & 0x1f, (unsigned long long)v->mem_writes);
}

static void vga_destroy(void *dev)
{
	free(dev);
}

static const struct device_ops vga_dev_ops = {
    .reset = vga_reset, .describe = vga_describe, .destroy = vga_destroy};

static int vga_init(struct board *b, struct err *e)
{
	struct vga *v = xcalloc(1, sizeof(*v));

	v->board = b;
	vga_reset(v);
	board_add_device(b, "vga", v, &vga_dev_ops);
	if (bus_map_mmio(&b->bus, VGA_WINDOW, VGA_WINDOW_SIZE, &vga_mem_ops, v, e) < 0)
		return -1;
	return bus_map_pio(&b->bus, 0x3c0, 0x20, &vga_io_ops, v, e);
}

DEVICE_REGISTER(vga_type, "vga", 2, vga_init);
