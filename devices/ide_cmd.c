/*
 * ide_cmd.c - the ATA command set of the IDE channel (devices/ide.c has the
 * registers): IDENTIFY DEVICE, READ/WRITE SECTORS (EXT), READ/WRITE
 * MULTIPLE (EXT), READ VERIFY, SET MULTIPLE MODE, INITIALIZE DEVICE
 * PARAMETERS, FLUSH CACHE and the no-data housekeeping commands; the PIO
 * data blocks they move; and how a command ends (completion or error).
 *
 * Follows ATA/ATAPI-6 (T13/1410D): the commands (§8, IDENTIFY DEVICE word
 * layout §8.15) and the PIO data-in and data-out protocols (§9.7, §9.8).
 * A command the drive does not implement (PACKET, DMA, NOP ...) ends with
 * ABRT.
 *
 * Time: transfers are instantaneous in virtual time - BSY is never seen by
 * the guest except while SRST is held.  Data moves with pread/pwrite on the
 * image; a short read or a failed write reports an ATA error (UNC / ABRT
 * with DF), never silent loss.  The capacity is floor(image size / 512):
 * a partial last sector and anything after it are "not found" (IDNF).
 */
#include "devices/ide_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
	ide_raise_intrq(s, d);
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
	ide_raise_intrq(s, d);
}

/* ---- PIO data blocks ------------------------------------------------------------------ */

/* Load the next data-in block; false (and an error) when it cannot be read. */
static bool read_block(struct ide *s, struct ide_drive *d)
{
	u32 n = d->left < d->block ? d->left : d->block;

	if (d->lba >= d->sectors || n > d->sectors - d->lba) {
		u64 bad = d->lba < d->sectors ? d->sectors : d->lba;
		ide_tf_set_lba(s, d, bad, d->lba48);
		cmd_error(s, d, ER_IDNF, 0);
		return false;
	}
	ssize_t got = pread(d->fd, d->buf, (size_t)n * SECTOR, (off_t)(d->lba * SECTOR));
	if (got != (ssize_t)n * SECTOR) {
		/* The image shrank under us, or an I/O error: uncorrectable. */
		ide_tf_set_lba(s, d, d->lba + (got > 0 ? (u64)got / SECTOR : 0), d->lba48);
		cmd_error(s, d, ER_UNC, 0);
		return false;
	}
	d->pos = 0;
	d->end = n * SECTOR;
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
	ide_raise_intrq(s, d); /* data-in: an interrupt per block */
	return true;
}

/* Prepare the next data-out block (no interrupt for the first one). */
static bool want_block(struct ide *s, struct ide_drive *d)
{
	u32 n = d->left < d->block ? d->left : d->block;

	if (d->lba >= d->sectors || n > d->sectors - d->lba) {
		ide_tf_set_lba(s, d, d->lba < d->sectors ? d->sectors : d->lba, d->lba48);
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
			ide_tf_set_lba(s, d, d->lba, d->lba48);
			cmd_error(s, d, ER_ABRT, ST_DF);
			return;
		}
	}
	d->lba += n;
	d->left -= n;
	ide_tf_set_lba(s, d, d->lba - 1, d->lba48);
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
		ide_raise_intrq(s, d); /* data-out: interrupt before each later block */
	}
}

u32 ide_data_read(struct ide *s, unsigned bytes)
{
	struct ide_drive *d = ide_cur(s);
	u32 v = 0;

	if (!d->present || d->xfer != XFER_IN || !(d->status & ST_DRQ))
		return 0;
	for (unsigned i = 0; i < bytes && d->pos < d->end; i++)
		v |= (u32)d->buf[d->pos++] << (8 * i);
	if (d->pos >= d->end)
		block_done(s, d);
	return v;
}

void ide_data_write(struct ide *s, u32 v, unsigned bytes)
{
	struct ide_drive *d = ide_cur(s);

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
	d->lba = ide_tf_lba(s, d, lba48);
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

void ide_command(struct ide *s, u8 cmd)
{
	struct ide_drive *d = ide_cur(s);

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
			ide_raise_intrq(s, &s->drive[0]);
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
		ide_raise_intrq(s, d);
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
		u64 lba = ide_tf_lba(s, d, l48);
		n = n ? n : (l48 ? 65536 : 256);
		log_cmd(d, cmd, lba, n);
		if (lba >= d->sectors || n > d->sectors - lba) {
			ide_tf_set_lba(s, d, lba < d->sectors ? d->sectors : lba, l48);
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

/* ---- names, for `devices` ------------------------------------------------------------ */

const char *ide_cmd_name(u8 c)
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
