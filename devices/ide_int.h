/*
 * ide_int.h - what the two halves of the ATA/IDE controller share: the
 * register bits, the drive and channel state, and the calls between
 * devices/ide.c (the register interface: task file, ports, reset, the
 * drives) and devices/ide_cmd.c (the command set and the PIO data blocks).
 * Private to those two files.
 *
 * Names follow ATA/ATAPI-6 (T13/1410D) §7: the status bits (BSY, DRDY, DF,
 * DSC, DRQ, ERR), the error bits (ABRT, IDNF, UNC), device control (nIEN,
 * SRST, HOB) and the device register (LBA, DEV).
 */
#ifndef VMLAB_DEVICES_IDE_INT_H
#define VMLAB_DEVICES_IDE_INT_H

#include "devices/board.h"

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

/* The device the DEV bit of the device register selects. */
static inline struct ide_drive *ide_cur(struct ide *s)
{
	return &s->drive[(s->device & DEV_DEV) ? 1 : 0];
}

/* ---- ide.c: the register interface ---- */

/* IRQ 14 follows the selected device's INTRQ, unless nIEN masks it. */
void ide_update_irq(struct ide *s);
void ide_raise_intrq(struct ide *s, struct ide_drive *d);
/* The address in the task file (LBA28, LBA48 or CHS); UINT64_MAX for an
 * impossible CHS address. */
u64 ide_tf_lba(struct ide *s, struct ide_drive *d, bool lba48);
/* Write an address back into the task file (after a command or error). */
void ide_tf_set_lba(struct ide *s, struct ide_drive *d, u64 lba, bool lba48);

/* ---- ide_cmd.c: the command set ---- */

/* A write to the command register (0x1F7). */
void ide_command(struct ide *s, u8 cmd);
/* The data port (0x1F0): bytes = 2 or 4 (a dword moves two words). */
u32 ide_data_read(struct ide *s, unsigned bytes);
void ide_data_write(struct ide *s, u32 v, unsigned bytes);
/* The command's name in ATA-6 §8, for `devices`. */
const char *ide_cmd_name(u8 c);

#endif
