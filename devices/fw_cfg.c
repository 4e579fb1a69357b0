/*
 * fw_cfg.c - the firmware configuration interface of QEMU, so that guest
 * firmware written for QEMU (SeaBIOS, the Linux fw_cfg driver) can read
 * machine facts: ports 0x510 (16-bit selector, write) and 0x511 (8-bit
 * data, read).  Follows QEMU's docs/specs/fw_cfg.rst, traditional
 * (non-DMA) interface only.
 *
 * Protocol: write a 16-bit key to 0x510; every read of 0x511 returns the
 * next byte of that item, and 0 once past its end.  Selecting a key (even
 * the same one) rewinds to byte 0.  Bit 14 of the selector (write access,
 * deprecated) is ignored; bit 15 selects architecture-specific items and
 * is part of the key.
 *
 * Items:
 *   0x0000 signature "QEMU"            0x0001 ID: bit 0 = traditional interface
 *   0x0002 UUID (16 zero bytes)        0x0003 RAM size (u64, little-endian)
 *   0x0005 number of CPUs (u16 LE)     0x000f maximum CPUs (u16 LE)
 *   0x0019 file directory: u32 count, then per file { u32 size, u16 select,
 *          u16 reserved, char name[56] } - all big-endian
 *   0x0020 ... files, in name order (QEMU sorts the directory too), e.g.
 *          "etc/vmlab/ram-size" (u64 LE) added by default.
 */
#include "devices/fw_cfg.h"

#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_CFG_SIGNATURE  0x0000
#define FW_CFG_ID	  0x0001
#define FW_CFG_UUID	  0x0002
#define FW_CFG_RAM_SIZE	  0x0003
#define FW_CFG_NB_CPUS	  0x0005
#define FW_CFG_MAX_CPUS	  0x000f
#define FW_CFG_FILE_DIR	  0x0019
#define FW_CFG_FILE_FIRST 0x0020
#define FW_CFG_WRITE_BIT  0x4000

#define MAX_ITEMS 64
#define MAX_FILES 32
#define NAME_LEN  56

struct item {
	u16 key;
	u8 *data;
	u32 len;
};

struct file {
	char name[NAME_LEN];
	u8 *data;
	u32 len;
};

struct fw_cfg {
	struct board *board;
	struct item items[MAX_ITEMS];
	int nitems;
	struct file files[MAX_FILES];
	int nfiles;
	u16 select;
	u32 offset;
	const struct item *cur; /* NULL: no such key, reads give 0 */
	u64 reads;
};

static struct item *find_item(struct fw_cfg *f, u16 key)
{
	for (int i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

/* Set (replace) numbered item `key` to a copy of data. */
static void set_item(struct fw_cfg *f, u16 key, const void *data, u32 len)
{
	struct item *it = find_item(f, key);

	if (!it) {
		if (f->nitems == MAX_ITEMS)
			panic("fw_cfg: more than %d items", MAX_ITEMS);
		it = &f->items[f->nitems++];
		it->key = key;
	}
	free(it->data);
	it->data = xcalloc(1, len ? len : 1);
	memcpy(it->data, data, len);
	it->len = len;
}

static void put_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->name, ((const struct file *)b)->name);
}

/* Sort the files, give them selectors 0x20... and rebuild the directory. */
static void rebuild_dir(struct fw_cfg *f)
{
	u32 len = 4 + (u32)f->nfiles * 64;
	u8 *dir = xcalloc(1, len);

	qsort(f->files, (size_t)f->nfiles, sizeof(f->files[0]), file_cmp);
	put_be32(dir, (u32)f->nfiles);
	for (int i = 0; i < f->nfiles; i++) {
		u8 *e = dir + 4 + 64 * i;
		u16 sel = (u16)(FW_CFG_FILE_FIRST + i);
		put_be32(e, f->files[i].len);
		e[4] = (u8)(sel >> 8);
		e[5] = (u8)sel;
		memcpy(e + 8, f->files[i].name, NAME_LEN);
		set_item(f, sel, f->files[i].data, f->files[i].len);
	}
	set_item(f, FW_CFG_FILE_DIR, dir, len);
	free(dir);
	f->cur = find_item(f, f->select); /* pointers may have moved */
}

int fw_cfg_add_file(void *dev, const char *name, const void *data, u32 len)
{
	struct fw_cfg *f = dev;
	struct file *fl;

	if (!name || !*name || strlen(name) >= NAME_LEN || f->nfiles == MAX_FILES)
		return -1;
	for (int i = 0; i < f->nfiles; i++)
		if (!strcmp(f->files[i].name, name))
			return -1;
	fl = &f->files[f->nfiles++];
	memset(fl->name, 0, NAME_LEN);
	strcpy(fl->name, name);
	fl->data = xcalloc(1, len ? len : 1);
	memcpy(fl->data, data, len);
	fl->len = len;
	rebuild_dir(f);
	return 0;
}

/* ---- ports ---------------------------------------------------------------------- */

static u8 next_byte(struct fw_cfg *f)
{
	if (!f->cur || f->offset >= f->cur->len)
		return 0;
	f->reads++;
	return f->cur->data[f->offset++];
}

static u64 fw_cfg_read(void *dev, u64 off, unsigned size)
{
	struct fw_cfg *f = dev;
	u64 v = 0;

	if (off == 0)
		return 0;		    /* the selector is write-only */
	for (unsigned i = 0; i < size; i++) /* wider reads: consecutive bytes */
		v |= (u64)next_byte(f) << (8 * i);
	return v;
}

static void fw_cfg_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct fw_cfg *f = dev;

	if (off != 0)
		return; /* data writes: deprecated, ignored */
	f->select = (u16)v & ~FW_CFG_WRITE_BIT;
	f->offset = 0;
	f->cur = find_item(f, f->select);
}

static const struct io_ops fw_cfg_io = {
    .name = "fw-cfg", .read = fw_cfg_read, .write = fw_cfg_write, .min = 1, .max = 2};

/* ---- device ------------------------------------------------------------------------ */

static void fw_cfg_reset(void *dev)
{
	struct fw_cfg *f = dev;

	f->select = 0;
	f->offset = 0;
	f->cur = find_item(f, 0);
}

static void fw_cfg_describe(void *dev, char *buf, size_t len)
{
	struct fw_cfg *f = dev;
	size_t n = (size_t)snprintf(
	    buf, len,
	    "ports 0x510-0x511: selected 0x%04x offset %u, %d items, %d files:", f->select,
	    f->offset, f->nitems, f->nfiles);

	for (int i = 0; i < f->nfiles && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " %s (0x%04x, %u bytes)", f->files[i].name,
				      FW_CFG_FILE_FIRST + i, f->files[i].len);
}

static void fw_cfg_destroy(void *dev)
{
	struct fw_cfg *f = dev;

	for (int i = 0; i < f->nitems; i++)
		free(f->items[i].data);
	for (int i = 0; i < f->nfiles; i++)
		free(f->files[i].data);
	free(f);
}

static const struct device_ops fw_cfg_dev_ops = {
    .reset = fw_cfg_reset, .describe = fw_cfg_describe, .destroy = fw_cfg_destroy};

static int fw_cfg_init(struct board *b, struct err *e)
{
	struct fw_cfg *f = xcalloc(1, sizeof(*f));
	static const u8 uuid[16];
	u8 le[8];
	u64 ram = b->bus.ram_size;
	u16 ncpus = (u16)(b->ncpus > 0 ? b->ncpus : 1);

	f->board = b;
	set_item(f, FW_CFG_SIGNATURE, "QEMU", 4);
	set_item(f, FW_CFG_ID, (const u8[]){1, 0, 0, 0}, 4); /* traditional, no DMA */
	set_item(f, FW_CFG_UUID, uuid, 16);
	for (int i = 0; i < 8; i++)
		le[i] = (u8)(ram >> (8 * i));
	set_item(f, FW_CFG_RAM_SIZE, le, 8);
	set_item(f, FW_CFG_NB_CPUS, (const u8[]){(u8)ncpus, (u8)(ncpus >> 8)}, 2);
	set_item(f, FW_CFG_MAX_CPUS, (const u8[]){(u8)ncpus, (u8)(ncpus >> 8)}, 2);
	rebuild_dir(f);
	fw_cfg_add_file(f, "etc/vmlab/ram-size", le, 8);
	fw_cfg_reset(f);
	board_add_device(b, "fw-cfg", f, &fw_cfg_dev_ops);
	return bus_map_pio(&b->bus, 0x510, 2, &fw_cfg_io, f, e);
}

DEVICE_REGISTER(fw_cfg_type, "fw-cfg", 2, fw_cfg_init);
