/*
 * ide.c - the primary ATA channel of a PC: command block at 0x1F0-0x1F7,
 * control block at 0x3F6, IRQ 14, a master and a slave disk backed by raw
 * image files (board->disk_path[0] / [1]).  PIO transfers only.
 *
 * Follows ATA/ATAPI-6 (T13/1410D): the register set (§7), the PIO data-in
 * and data-out protocols (§9.7, §9.8), IDENTIFY DEVICE word layout (§8.15),
 * 48-bit addressing and the HOB bit (§6.20), software reset (§9.2).
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
 * Time: transfers are instantaneous in virtual time - BSY is never seen by
 * the guest except while SRST is held.  Data moves with pread/pwrite on the
 * image; a short read or a failed write reports an ATA error (UNC / ABRT
 * with DF), never silent loss.  The capacity is floor(image size / 512):
 * a partial last sector and anything after it are "not found" (IDNF).
 * Reading the registers of an absent device returns 0 (as QEMU does): a
 * probing BIOS sees neither BSY nor DRDY.
 */
#include "devices/board.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR	 512
#define IDE_IRQ	 14
#define MAX_MULT 16 /* sectors per DRQ block for READ/WRITE MULTIPLE */

/* Status */
#define ST_ERR	BIT(0)
#define ST_DRQ	BIT(3)
#define ST_DSC	BIT(4)
#define ST_DF	BIT(5)
#define ST_DRDY BIT(6)
#define ST_BSY	BIT(7)
/* Error */
#define ER_ABRT BIT(2)
#define ER_IDNF BIT(4)
#define ER_UNC	BIT(6)
/* Device control */
#define DC_NIEN BIT(1)
#define DC_SRST BIT(2)
#define DC_HOB	BIT(7)
/* Device register */
#define DEV_LBA BIT(6)
#define DEV_DEV BIT(4)

enum xfer { XFER_NONE, XFER_IN, XFER_OUT };

#define HIST 8

struct ide_drive {
	bool present, readonly;
	int fd;
	const char *path;
	u64 sectors;	      /* capacity */
	u16 cyls, heads, spt; /* default (IDENTIFY) geometry */
	u16 lheads, lspt;     /* current translation (INITIALIZE DEVICE PARAMETERS) */
	u8 status, error;
	bool intrq;
	u8 mult; /* SET MULTIPLE count, 0 = disabled */
	/* The transfer in progress */
	enum xfer xfer;
	u8 cmd;
	bool lba48;
	u64 lba;   /* next sector to transfer */
	u32 left;  /* sectors still to transfer, this one included */
	u32 block; /* sectors per DRQ block */
	u8 buf[MAX_MULT * SECTOR];
	u32 pos, end; /* bytes of buf moved / in this block */
	struct {
		u8 cmd, status, error;
		u64 lba;
		u32 count;
	} hist[HIST];
	unsigned nhist;
};

struct ide {
	struct board *board;
	struct ide_drive drive[2];
	/* Task file: shared by both devices on the cable. */
	u8 feature, count, lbal, lbam, lbah;
	u8 hob_feature, hob_count, hob_lbal, hob_lbam, hob_lbah;
	u8 device;
	u8 devctl;
	bool irq;
};

static struct ide_drive *cur(struct ide *s)
{
	return &s->drive[(s->device & DEV_DEV) ? 1 : 0];
}

static void ide_update_irq(struct ide *s)
{
	bool level = cur(s)->intrq && !(s->devctl & DC_NIEN);

	if (level != s->irq) {
		s->irq = level;
		board_set_irq(s->board, IDE_IRQ, level);
	}
}

static void raise_intrq(struct ide *s, struct ide_drive *d)
{
	d->intrq = true;
	ide_update_irq(s);
}

/* ---- addressing ---------------------------------------------------------------- */

static u64 tf_lba(struct ide *s, struct ide_drive *d, bool lba48)
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
static void tf_set_lba(struct ide *s, struct ide_drive *d, u64 lba, bool lba48)
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

/* ---- command completion ------------------------------------------------------------ */

static void log_cmd(struct ide_drive *d, u8 cmd, u64 lba, u32 count)
{
	unsigned i = d->nhist++ % HIST;

	d->hist[i].cmd = cmd;
	d->hist[i].lba = lba;
	d->hist[i].count = count;
	d->hist[i].status = d->status;
	d->hist[i].error = d->error;
}

static void cmd_done(struct ide *s, struct ide_drive *d)
{
	d->xfer = XFER_NONE;
	d->status = ST_DRDY | ST_DSC;
	if (d->nhist)
		d->hist[(d->nhist - 1) % HIST].status = d->status;
	raise_intrq(s, d);
}

static void cmd_error(struct ide *s, struct ide_drive *d, u8 err, u8 extra_status)
{
	d->xfer = XFER_NONE;
	d->error = err;
	d->status = ST_DRDY | ST_DSC | ST_ERR | extra_status;
	if (d->nhist) {
		d->hist[(d->nhist - 1) % HIST].status = d->status;
		d->hist[(d->nhist - 1) % HIST].error = err;
	}
	raise_intrq(s, d);
}

/* ---- PIO data blocks ------------------------------------------------------------------ */

/* Load the next data-in block; false (and an error) when it cannot be read. */
static bool read_block(struct ide *s, struct ide_drive *d)
{
	u32 n = d->left < d->block ? d->left : d->block;

	if (d->lba >= d->sectors || n > d->sectors - d->lba) {
		u64 bad = d->lba < d->sectors ? d->sectors : d->lba;
		tf_set_lba(s, d, bad, d->lba48);
		cmd_error(s, d, ER_IDNF, 0);
		return false;
	}
	ssize_t got = pread(d->fd, d->buf, (size_t)n * SECTOR, (off_t)(d->lba * SECTOR));
	if (got != (ssize_t)n * SECTOR) {
		/* The image shrank under us, or an I/O error: uncorrectable. */
		tf_set_lba(s, d, d->lba + (got > 0 ? (u64)got / SECTOR : 0), d->lba48);
		cmd_error(s, d, ER_UNC, 0);
		return false;
	}
	d->pos = 0;
	d->end = n * SECTOR;
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
	raise_intrq(s, d); /* data-in: an interrupt per block */
	return true;
}

/* Prepare the next data-out block (no interrupt for the first one). */
static bool want_block(struct ide *s, struct ide_drive *d)
{
	u32 n = d->left < d->block ? d->left : d->block;

	if (d->lba >= d->sectors || n > d->sectors - d->lba) {
		tf_set_lba(s, d, d->lba < d->sectors ? d->sectors : d->lba, d->lba48);
		cmd_error(s, d, ER_IDNF, 0);
		return false;
	}
	d->pos = 0;
	d->end = n * SECTOR;
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
	return true;
}

/* The host moved the last word of a block. */
static void block_done(struct ide *s, struct ide_drive *d)
{
	u32 n = d->end / SECTOR;

	if (d->cmd == 0xec) { /* IDENTIFY: one block, no completion interrupt */
		d->xfer = XFER_NONE;
		d->status = ST_DRDY | ST_DSC;
		return;
	}
	if (d->xfer == XFER_OUT) {
		ssize_t put = pwrite(d->fd, d->buf, d->end, (off_t)(d->lba * SECTOR));
		if (put != (ssize_t)d->end) {
			tf_set_lba(s, d, d->lba, d->lba48);
			cmd_error(s, d, ER_ABRT, ST_DF);
			return;
		}
	}
	d->lba += n;
	d->left -= n;
	tf_set_lba(s, d, d->lba - 1, d->lba48);
	if (d->left == 0) {
		if (d->xfer == XFER_OUT) {
			cmd_done(s, d); /* data-out: interrupt at completion */
		} else {
			d->xfer = XFER_NONE;
			d->status = ST_DRDY | ST_DSC; /* data-in: no final interrupt */
		}
		return;
	}
	if (d->xfer == XFER_IN) {
		read_block(s, d);
	} else if (want_block(s, d)) {
		raise_intrq(s, d); /* data-out: interrupt before each later block */
	}
}

static u32 data_read(struct ide *s, unsigned bytes)
{
	struct ide_drive *d = cur(s);
	u32 v = 0;

	if (!d->present || d->xfer != XFER_IN || !(d->status & ST_DRQ))
		return 0;
	for (unsigned i = 0; i < bytes && d->pos < d->end; i++)
		v |= (u32)d->buf[d->pos++] << (8 * i);
	if (d->pos >= d->end)
		block_done(s, d);
	return v;
}

static void data_write(struct ide *s, u32 v, unsigned bytes)
{
	struct ide_drive *d = cur(s);

	if (!d->present || d->xfer != XFER_OUT || !(d->status & ST_DRQ))
		return;
	for (unsigned i = 0; i < bytes && d->pos < d->end; i++)
		d->buf[d->pos++] = (u8)(v >> (8 * i));
	if (d->pos >= d->end)
		block_done(s, d);
}

/* ---- IDENTIFY DEVICE ---------------------------------------------------------------- */

/* ATA strings: two characters per word, the first in the high byte. */
static void id_string(u16 *w, int first, int nwords, const char *str)
{
	size_t len = strlen(str);

	for (int i = 0; i < nwords * 2; i++) {
		u8 ch = (size_t)i < len ? (u8)str[i] : ' ';
		if (i & 1)
			w[first + i / 2] |= ch;
		else
			w[first + i / 2] = (u16)(ch << 8);
	}
}

static void ide_identify_block(const struct ide_drive *d, int unit, u8 out[512])
{
	u16 w[256];
	char serial[21];
	u64 lba28 = d->sectors < 0x0fffffff ? d->sectors : 0x0fffffff;
	u64 chs = (u64)d->cyls * d->lheads * d->lspt;
	u8 sum = 0;

	memset(w, 0, sizeof(w));
	w[0] = 0x0040; /* ATA device, fixed (not removable) */
	w[1] = d->cyls;
	w[3] = d->heads;
	w[6] = d->spt;
	snprintf(serial, sizeof(serial), "VMLAB%015d", unit);
	id_string(w, 10, 10, serial);
	id_string(w, 23, 4, "1.0");
	id_string(w, 27, 20, "VMLAB HARDDISK");
	w[47] = 0x8000 | MAX_MULT; /* READ/WRITE MULTIPLE: up to 16 sectors */
	w[49] = BIT(9);		   /* LBA supported (no DMA) */
	w[50] = 0x4000;
	w[51] = 0x0200;		 /* PIO mode 2 timing (obsolete word) */
	w[53] = BIT(0) | BIT(1); /* words 54-58 and 64-70 valid */
	w[54] = d->cyls;	 /* current logical geometry */
	w[55] = d->lheads;
	w[56] = d->lspt;
	w[57] = (u16)(chs > 0x0fffffff ? 0x0fffffff : chs);
	w[58] = (u16)((chs > 0x0fffffff ? 0x0fffffff : chs) >> 16);
	w[59] = d->mult ? (u16)(BIT(8) | d->mult) : 0;
	w[60] = (u16)lba28;
	w[61] = (u16)(lba28 >> 16);
	w[64] = 0x0003; /* PIO modes 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x00f0;				       /* ATA/ATAPI-4 to -7 */
	w[82] = BIT(14);			       /* NOP supported (it aborts, as it must) */
	w[83] = BIT(14) | BIT(13) | BIT(12) | BIT(10); /* FLUSH EXT, FLUSH, 48-bit */
	w[84] = BIT(14);
	w[85] = BIT(14);
	w[86] = BIT(13) | BIT(12) | BIT(10);
	w[87] = BIT(14);
	w[100] = (u16)d->sectors;
	w[101] = (u16)(d->sectors >> 16);
	w[102] = (u16)(d->sectors >> 32);
	w[103] = (u16)(d->sectors >> 48);
	/* Word 255: signature 0xA5 and a checksum making all bytes sum to 0. */
	w[255] = 0x00a5;
	for (int i = 0; i < 511; i++)
		sum += (u8)(w[i / 2] >> (8 * (i & 1)));
	w[255] |= (u16)((u8)-sum << 8);
	for (int i = 0; i < 256; i++) {
		out[2 * i] = (u8)w[i];
		out[2 * i + 1] = (u8)(w[i] >> 8);
	}
}

/* ---- commands ------------------------------------------------------------------------- */

static void start_xfer(struct ide *s, struct ide_drive *d, u8 cmd, bool lba48, enum xfer x,
		       u32 block)
{
	u32 count = lba48 ? ((u32)s->hob_count << 8 | s->count) : s->count;

	if (count == 0)
		count = lba48 ? 65536 : 256;
	d->cmd = cmd;
	d->lba48 = lba48;
	d->lba = tf_lba(s, d, lba48);
	d->left = count;
	d->block = block;
	d->xfer = x;
	log_cmd(d, cmd, d->lba, count);
	if (x == XFER_OUT && d->readonly) {
		cmd_error(s, d, ER_ABRT, 0); /* write-protected image */
		return;
	}
	if (d->lba == UINT64_MAX) { /* impossible CHS address */
		cmd_error(s, d, ER_IDNF, 0);
		return;
	}
	if (x == XFER_IN)
		read_block(s, d);
	else
		want_block(s, d);
}

static void ide_command(struct ide *s, u8 cmd)
{
	struct ide_drive *d = cur(s);

	if (cmd == 0x90) { /* EXECUTE DEVICE DIAGNOSTIC: both devices answer */
		for (int i = 0; i < 2; i++) {
			s->drive[i].error = 0x01;
			s->drive[i].status = s->drive[i].present ? ST_DRDY | ST_DSC : 0;
			s->drive[i].xfer = XFER_NONE;
		}
		s->count = s->lbal = 1;
		s->lbam = s->lbah = 0;
		s->device &= ~DEV_DEV;
		if (s->drive[0].present)
			raise_intrq(s, &s->drive[0]);
		return;
	}
	if (!d->present)
		return; /* nobody listens */
	d->intrq = false;
	ide_update_irq(s);
	d->error = 0;
	d->xfer = XFER_NONE;
	switch (cmd) {
	case 0x20:
	case 0x21: start_xfer(s, d, cmd, false, XFER_IN, 1); return; /* READ SECTORS */
	case 0x24: start_xfer(s, d, cmd, true, XFER_IN, 1); return;  /* READ SECTORS EXT */
	case 0x30:
	case 0x31: start_xfer(s, d, cmd, false, XFER_OUT, 1); return; /* WRITE SECTORS */
	case 0x34: start_xfer(s, d, cmd, true, XFER_OUT, 1); return;  /* WRITE SECTORS EXT */
	case 0xc4:						      /* READ MULTIPLE */
	case 0x29:						      /* ... EXT */
	case 0xc5:						      /* WRITE MULTIPLE */
	case 0x39:						      /* ... EXT */
		if (!d->mult)
			break;
		start_xfer(s, d, cmd, cmd == 0x29 || cmd == 0x39,
			   (cmd == 0xc4 || cmd == 0x29) ? XFER_IN : XFER_OUT, d->mult);
		return;
	case 0xec: /* IDENTIFY DEVICE */
		log_cmd(d, cmd, 0, 1);
		ide_identify_block(d, d == &s->drive[1], d->buf);
		d->cmd = cmd;
		d->xfer = XFER_IN;
		d->left = 1;
		d->pos = 0;
		d->end = SECTOR;
		d->status = ST_DRDY | ST_DSC | ST_DRQ;
		raise_intrq(s, d);
		return;
	case 0xc6: /* SET MULTIPLE MODE: 0 disables, else a power of two <= 16 */
		log_cmd(d, cmd, 0, s->count);
		if (s->count > MAX_MULT || (s->count & (s->count - 1)))
			break;
		d->mult = s->count;
		cmd_done(s, d);
		return;
	case 0x91: /* INITIALIZE DEVICE PARAMETERS: logical CHS translation */
		log_cmd(d, cmd, 0, s->count);
		if (s->count == 0)
			break;
		d->lspt = s->count;
		d->lheads = (s->device & 0xf) + 1;
		cmd_done(s, d);
		return;
	case 0x40:
	case 0x41: /* READ VERIFY SECTORS: check the range exists */
	case 0x42: {
		bool l48 = cmd == 0x42;
		u32 n = l48 ? ((u32)s->hob_count << 8 | s->count) : s->count;
		u64 lba = tf_lba(s, d, l48);
		n = n ? n : (l48 ? 65536 : 256);
		log_cmd(d, cmd, lba, n);
		if (lba >= d->sectors || n > d->sectors - lba) {
			tf_set_lba(s, d, lba < d->sectors ? d->sectors : lba, l48);
			cmd_error(s, d, ER_IDNF, 0);
			return;
		}
		cmd_done(s, d);
		return;
	}
	case 0xe7:
	case 0xea: /* FLUSH CACHE (EXT) */
		log_cmd(d, cmd, 0, 0);
		if (!d->readonly && fsync(d->fd) < 0) {
			cmd_error(s, d, ER_ABRT, ST_DF);
			return;
		}
		cmd_done(s, d);
		return;
	case 0xe5: /* CHECK POWER MODE: active */
		log_cmd(d, cmd, 0, 0);
		s->count = 0xff;
		cmd_done(s, d);
		return;
	case 0xef: /* SET FEATURES: accepted (transfer modes, caching ...) */
	case 0x70: /* SEEK */
	case 0xe0:
	case 0xe1:
	case 0xe2:
	case 0xe3:
	case 0xe6: /* power */
		log_cmd(d, cmd, 0, 0);
		cmd_done(s, d);
		return;
	default:
		if ((cmd & 0xf0) == 0x10) { /* RECALIBRATE */
			log_cmd(d, cmd, 0, 0);
			cmd_done(s, d);
			return;
		}
		log_cmd(d, cmd, 0, 0);
		break; /* IDENTIFY PACKET (0xA1), PACKET, NOP, DMA ...: abort */
	}
	cmd_error(s, d, ER_ABRT, 0);
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
	struct ide_drive *d = cur(s);
	bool hob = s->devctl & DC_HOB;

	if (off == 0)
		return data_read(s, size >= 2 ? size : 2) & mask_of(size);
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
		data_write(s, (u32)v, size >= 2 ? size : 2);
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
	struct ide_drive *d = cur(s);

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

static const char *cmd_name(u8 c)
{
	switch (c) {
	case 0x20:
	case 0x21: return "READ SECTORS";
	case 0x24: return "READ SECTORS EXT";
	case 0x29: return "READ MULTIPLE EXT";
	case 0x30:
	case 0x31: return "WRITE SECTORS";
	case 0x34: return "WRITE SECTORS EXT";
	case 0x39: return "WRITE MULTIPLE EXT";
	case 0x91: return "INITIALIZE DEVICE PARAMETERS";
	case 0xc4: return "READ MULTIPLE";
	case 0xc5: return "WRITE MULTIPLE";
	case 0xc6: return "SET MULTIPLE MODE";
	case 0xe7:
	case 0xea: return "FLUSH CACHE";
	case 0xec: return "IDENTIFY DEVICE";
	case 0xef: return "SET FEATURES";
	default: return "command";
	}
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
			    cmd_name(h->cmd), (unsigned long long)h->lba, h->count, h->status,
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
