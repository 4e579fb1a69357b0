/*
 * ide.c - the primary ATA channel of a PC: command block at 0x1F0-0x1F7,
 * control block at 0x3F6, IRQ 14, a master and a slave disk backed by raw
 * image files (board->disk_path[0] / [1]).  PIO transfers only.  This file
 * is the register interface - the task file, the ports, software reset and
 * the drives; the commands and their data blocks are in ide_cmd.c.
 *
 * Follows ATA/ATAPI-6 (T13/1410D): the register set (§7), 48-bit
 * addressing and the HOB bit (§6.20), software reset (§9.2).
 *
 * Registers (reads / writes):
 *   0x1F0 data (16 bit; 32-bit accesses move two words)
 *   0x1F1 error / features        0x1F2 sector count
 *   0x1F3 LBA 7:0 or sector       0x1F4 LBA 15:8 or cylinder low
 *   0x1F5 LBA 23:16 or cyl high   0x1F6 device: bit 6 LBA, bit 4 DEV, 3:0 head / LBA 27:24
 *   0x1F7 status / command        0x3F6 alternate status / device control
 *
 * HOB: each of features, count and the three LBA registers is a two-deep
 * FIFO; a write pushes the old value into the "previous" (high-order byte)
 * slot.  48-bit commands use previous:current; with device control bit 7
 * (HOB) set, reads return the previous values.  A write to any command
 * block register clears HOB.
 *
 * Interrupts: INTRQ is set when a command completes and at the start of
 * each PIO data-in block; reading the status register clears it, reading
 * the alternate status does not; device control nIEN keeps the line low.
 *
 * Reading the registers of an absent device returns 0 (as QEMU does): a
 * probing BIOS sees neither BSY nor DRDY.
 */
#include "devices/ide_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ide_update_irq(struct ide *s)
{
	bool level = ide_cur(s)->intrq && !(s->devctl & DC_NIEN);

	if (level != s->irq) {
		s->irq = level;
		board_set_irq(s->board, IDE_IRQ, level);
	}
}

void ide_raise_intrq(struct ide *s, struct ide_drive *d)
{
	d->intrq = true;
	ide_update_irq(s);
}

/* ---- addressing ---------------------------------------------------------------- */

u64 ide_tf_lba(struct ide *s, struct ide_drive *d, bool lba48)
{
	if (lba48)
		return (u64)s->hob_lbah << 40 | (u64)s->hob_lbam << 32 | (u64)s->hob_lbal << 24 |
		       (u64)s->lbah << 16 | (u64)s->lbam << 8 | s->lbal;
	if (s->device & DEV_LBA)
		return (u64)(s->device & 0xf) << 24 | (u64)s->lbah << 16 | (u64)s->lbam << 8 |
		       s->lbal;
	/* CHS: LBA = (cyl * heads + head) * spt + sector - 1.  Sector 0 does
	 * not exist: map it past the end so it reports IDNF. */
	u64 cyl = (u64)s->lbah << 8 | s->lbam, head = s->device & 0xf, sec = s->lbal;
	if (sec == 0 || sec > d->lspt || head >= d->lheads)
		return UINT64_MAX;
	return (cyl * d->lheads + head) * d->lspt + sec - 1;
}

/* Write an address back into the task file (after a command or error). */
void ide_tf_set_lba(struct ide *s, struct ide_drive *d, u64 lba, bool lba48)
{
	if (lba == UINT64_MAX)
		return;
	if (lba48) {
		s->lbal = (u8)lba;
		s->lbam = (u8)(lba >> 8);
		s->lbah = (u8)(lba >> 16);
		s->hob_lbal = (u8)(lba >> 24);
		s->hob_lbam = (u8)(lba >> 32);
		s->hob_lbah = (u8)(lba >> 40);
	} else if (s->device & DEV_LBA) {
		s->lbal = (u8)lba;
		s->lbam = (u8)(lba >> 8);
		s->lbah = (u8)(lba >> 16);
		s->device = (s->device & 0xf0) | ((lba >> 24) & 0xf);
	} else if (d->lheads && d->lspt) {
		u64 cyl = lba / ((u64)d->lheads * d->lspt), r = lba % ((u64)d->lheads * d->lspt);
		s->lbah = (u8)(cyl >> 8);
		s->lbam = (u8)cyl;
		s->device = (s->device & 0xf0) | (u8)(r / d->lspt);
		s->lbal = (u8)(r % d->lspt + 1);
	}
}

/* ---- software reset --------------------------------------------------------------------- */

/* Put the ATA signature in the task file and make the drives ready. */
static void ide_signature(struct ide *s)
{
	for (int i = 0; i < 2; i++) {
		struct ide_drive *d = &s->drive[i];
		d->status = d->present ? ST_DRDY | ST_DSC : 0;
		d->error = 0x01; /* diagnostic code: no error */
		d->xfer = XFER_NONE;
		d->intrq = false;
		d->lheads = d->heads;
		d->lspt = d->spt;
	}
	s->count = s->lbal = 1;
	s->lbam = s->lbah = 0;
	s->device = 0;
	s->hob_count = s->hob_lbal = s->hob_lbam = s->hob_lbah = 0;
	ide_update_irq(s);
}

static void ide_devctl(struct ide *s, u8 v)
{
	bool was = s->devctl & DC_SRST;

	s->devctl = v;
	if (v & DC_SRST) {
		/* Held in reset: busy, until SRST is cleared. */
		for (int i = 0; i < 2; i++)
			if (s->drive[i].present)
				s->drive[i].status = ST_BSY;
	} else if (was) {
		ide_signature(s);
	}
	ide_update_irq(s);
}

/* ---- ports ---------------------------------------------------------------------------- */

static bool none_present(struct ide *s)
{
	return !s->drive[0].present && !s->drive[1].present;
}

static u64 ide_cmd_read(void *dev, u64 off, unsigned size)
{
	struct ide *s = dev;
	struct ide_drive *d = ide_cur(s);
	bool hob = s->devctl & DC_HOB;

	if (off == 0)
		return ide_data_read(s, size >= 2 ? size : 2) & mask_of(size);
	if (none_present(s) || !d->present)
		return 0;
	switch (off) {
	case 1: return d->error; /* the error register has no HOB copy */
	case 2: return hob ? s->hob_count : s->count;
	case 3: return hob ? s->hob_lbal : s->lbal;
	case 4: return hob ? s->hob_lbam : s->lbam;
	case 5: return hob ? s->hob_lbah : s->lbah;
	case 6: return s->device | 0xa0; /* bits 7 and 5 read as 1 (obsolete) */
	case 7:
		d->intrq = false; /* reading status acknowledges the interrupt */
		ide_update_irq(s);
		return d->status;
	}
	return 0;
}

static void ide_cmd_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct ide *s = dev;
	u8 b = (u8)v;

	if (off == 0) {
		ide_data_write(s, (u32)v, size >= 2 ? size : 2);
		return;
	}
	s->devctl &= ~DC_HOB; /* any command block write clears HOB */
	switch (off) {
	case 1:
		s->hob_feature = s->feature;
		s->feature = b;
		break;
	case 2:
		s->hob_count = s->count;
		s->count = b;
		break;
	case 3:
		s->hob_lbal = s->lbal;
		s->lbal = b;
		break;
	case 4:
		s->hob_lbam = s->lbam;
		s->lbam = b;
		break;
	case 5:
		s->hob_lbah = s->lbah;
		s->lbah = b;
		break;
	case 6:
		s->device = b;
		ide_update_irq(s); /* the line follows the selected device */
		break;
	case 7: ide_command(s, b); break;
	}
}

static u64 ide_ctl_read(void *dev, u64 off, unsigned size)
{
	struct ide *s = dev;
	struct ide_drive *d = ide_cur(s);

	if (none_present(s) || !d->present)
		return 0;
	return d->status; /* alternate status: no interrupt acknowledge */
}

static void ide_ctl_write(void *dev, u64 off, u64 v, unsigned size)
{
	ide_devctl(dev, (u8)v);
}

/* One range for 0x1F0-0x1F7 (a word access to the data port must not
 * straddle two ranges).  The data port takes 1, 2 or 4 bytes: a byte access
 * moves a whole word (the upper half is lost), a dword moves two words.
 * Wider accesses to the 8-bit registers are split here, byte by byte. */
static u64 ide_block_read(void *dev, u64 off, unsigned size)
{
	u64 v = 0;

	if (off == 0)
		return ide_cmd_read(dev, 0, size);
	for (unsigned i = 0; i < size && off + i < 8; i++)
		v |= ide_cmd_read(dev, off + i, 1) << (8 * i);
	return v;
}

static void ide_block_write(void *dev, u64 off, u64 v, unsigned size)
{
	if (off == 0) {
		ide_cmd_write(dev, 0, v, size);
		return;
	}
	for (unsigned i = 0; i < size && off + i < 8; i++)
		ide_cmd_write(dev, off + i, (v >> (8 * i)) & 0xff, 1);
}

static const struct io_ops ide_cmd_ops = {
    .name = "ide", .read = ide_block_read, .write = ide_block_write, .min = 1, .max = 4};
static const struct io_ops ide_ctl_ops = {
    .name = "ide-ctl", .read = ide_ctl_read, .write = ide_ctl_write, .min = 1, .max = 1};

/* ---- drives and the device ----------------------------------------------------------- */

/* CHS geometry as QEMU guesses it for a disk without a partition hint:
 * 16 heads, 63 sectors, cylinders = sectors / 1008 clamped to 2..16383. */
static void drive_geometry(struct ide_drive *d)
{
	u64 c = d->sectors / (16 * 63);

	d->heads = 16;
	d->spt = 63;
	d->cyls = (u16)(c > 16383 ? 16383 : c < 2 ? 2 : c);
	d->lheads = d->heads;
	d->lspt = d->spt;
}

static int drive_open(struct ide_drive *d, const char *path, struct err *e)
{
	struct stat st;

	d->fd = -1;
	if (!path || !*path)
		return 0;
	d->path = path;
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		d->fd = open(path, O_RDONLY | O_CLOEXEC);
		d->readonly = true;
	}
	if (d->fd < 0)
		return err_errno(e, "ide: %s: cannot open disk image", path);
	if (fstat(d->fd, &st) < 0) {
		err_errno(e, "ide: %s: cannot stat disk image", path);
		close(d->fd);
		d->fd = -1;
		return -1;
	}
	d->present = true;
	d->sectors = (u64)st.st_size / SECTOR;
	drive_geometry(d);
	return 0;
}

static void ide_describe(void *dev, char *buf, size_t len)
{
	struct ide *s = dev;
	size_t n = 0;

	n += (size_t)snprintf(buf, len,
			      "ports 0x1f0-0x1f7, 0x3f6, irq 14 (%s):", s->irq ? "high" : "low");
	for (int i = 0; i < 2 && n < len; i++) {
		struct ide_drive *d = &s->drive[i];
		if (!d->present) {
			n += (size_t)snprintf(buf + n, len - n, "\n  %s: none",
					      i ? "slave" : "master");
			continue;
		}
		n += (size_t)snprintf(
		    buf + n, len - n,
		    "\n  %s: %s, %llu sectors, CHS %u/%u/%u, %s, status %02x error %02x",
		    i ? "slave" : "master", d->path, (unsigned long long)d->sectors, d->cyls,
		    d->heads, d->spt, d->readonly ? "read-only" : "read-write", d->status,
		    d->error);
		unsigned first = d->nhist > HIST ? d->nhist - HIST : 0;
		for (unsigned k = first; k < d->nhist && n < len; k++) {
			const typeof(d->hist[0]) *h = &d->hist[k % HIST];
			n += (size_t)snprintf(
			    buf + n, len - n,
			    "\n    %02x %s lba %llu count %u -> status %02x error %02x", h->cmd,
			    ide_cmd_name(h->cmd), (unsigned long long)h->lba, h->count, h->status,
			    h->error);
		}
	}
}

static void ide_reset(void *dev)
{
	struct ide *s = dev;

	s->devctl = 0;
	s->feature = s->hob_feature = 0;
	for (int i = 0; i < 2; i++)
		s->drive[i].mult = 0;
	ide_signature(s);
}

static void ide_destroy(void *dev)
{
	struct ide *s = dev;

	for (int i = 0; i < 2; i++)
		if (s->drive[i].fd >= 0)
			close(s->drive[i].fd);
	free(s);
}

static const struct device_ops ide_dev_ops = {
    .reset = ide_reset, .describe = ide_describe, .destroy = ide_destroy};

static int ide_init(struct board *b, struct err *e)
{
	struct ide *s = xcalloc(1, sizeof(*s));

	s->board = b;
	s->drive[0].fd = s->drive[1].fd = -1;
	if (drive_open(&s->drive[0], b->disk_path[0], e) < 0 ||
	    drive_open(&s->drive[1], b->disk_path[1], e) < 0) {
		ide_destroy(s);
		return -1;
	}
	ide_reset(s);
	board_add_device(b, "ide", s, &ide_dev_ops);
	if (bus_map_pio(&b->bus, 0x1f0, 8, &ide_cmd_ops, s, e) < 0)
		return -1;
	return bus_map_pio(&b->bus, 0x3f6, 1, &ide_ctl_ops, s, e);
}

DEVICE_REGISTER(ide_type, "ide", 2, ide_init);
