/*
 * ide.c - ATA PIO driver for the primary channel's master disk (command
 * block 0x1F0-0x1F7, control block 0x3F6, IRQ 14), after ATA/ATAPI-6
 * (T13/1410D): §9.5 PIO data-in (IDENTIFY DEVICE 0xEC, READ SECTORS
 * 0x20), §9.6 PIO data-out (WRITE SECTORS 0x30), 28-bit LBA.
 *
 * Interrupt-driven by default: the device raises INTRQ (IRQ 14) when a
 * sector is ready to read, when it wants the next sector to write, and
 * when a write completes; reading the Status register clears INTRQ.
 * ide_set_polling(1) sets nIEN in Device Control (0x3F6 bit 1) so the
 * device stays quiet and the driver polls BSY/DRQ instead; the driver
 * also falls back to polling when an expected interrupt does not come.
 */
#include "samples/minios/kernel.h"

#define ATA_DATA    0x1F0
#define ATA_ERROR   0x1F1
#define ATA_COUNT   0x1F2
#define ATA_LBA0    0x1F3
#define ATA_LBA1    0x1F4
#define ATA_LBA2    0x1F5
#define ATA_DEVICE  0x1F6
#define ATA_STATUS  0x1F7 /* write: command */
#define ATA_CONTROL 0x3F6 /* read: alternate status */
#define ST_ERR	    0x01
#define ST_DRQ	    0x08
#define ST_DF	    0x20
#define ST_BSY	    0x80

u32 ide_sectors, ide_irqs, ide_irq_timeouts;
char ide_model[41];
static int polling;
static volatile u32 irq_seen;

static void ide_irq(void)
{
	ide_irqs++;
	irq_seen++;
	inb(ATA_STATUS); /* acknowledge: reading Status clears INTRQ */
}

void ide_set_polling(int on)
{
	polling = on;
	outb(ATA_CONTROL, on ? 0x02 : 0x00); /* nIEN */
}

/* the 400 ns after a command before Status is valid: 4 alternate-status reads */
static void ata_delay(void)
{
	for (int i = 0; i < 4; i++)
		inb(ATA_CONTROL);
}

static int wait_not_busy(void)
{
	for (u32 i = 0; i < 10000000; i++) {
		u8 s = inb(ATA_CONTROL);
		if (!(s & ST_BSY))
			return s;
	}
	return -1;
}

/* Wait for the next "data ready" point: the interrupt (counted from SEEN),
 * or polling; then the Status of the device, -1 on timeout or error. */
static int wait_data(u32 seen)
{
	if (!polling) {
		u32 f = irq_save();
		u32 t0 = ticks;
		while (irq_seen == seen && ticks - t0 < HZ) /* one second */
			wait_irq();
		irq_restore(f);
		if (irq_seen == seen) {
			ide_irq_timeouts++; /* no IRQ 14: fall back to polling */
			kprintf("ide: no interrupt, polling\n");
		}
	}
	int s = wait_not_busy();
	if (s < 0 || (s & (ST_ERR | ST_DF)))
		return -1;
	return s;
}

static void ata_select(u32 lba, unsigned count, u8 cmd)
{
	wait_not_busy();
	outb(ATA_DEVICE, 0xE0 | ((lba >> 24) & 0x0F)); /* LBA mode, master */
	ata_delay();
	outb(ATA_COUNT, count & 0xff); /* 0 means 256 */
	outb(ATA_LBA0, lba & 0xff);
	outb(ATA_LBA1, (lba >> 8) & 0xff);
	outb(ATA_LBA2, (lba >> 16) & 0xff);
	outb(ATA_STATUS, cmd);
	ata_delay();
}

int ide_read(u32 lba, unsigned count, void *buf)
{
	u16 *p = buf;
	if (!count || count > 256)
		return -1;
	u32 seen = irq_seen;
	ata_select(lba, count, 0x20); /* READ SECTORS */
	for (unsigned i = 0; i < count; i++) {
		int s = wait_data(seen);
		if (s < 0 || !(s & ST_DRQ))
			return -1;
		seen = irq_seen;
		for (int w = 0; w < 256; w++)
			*p++ = inw(ATA_DATA);
		ide_sectors++;
	}
	return 0;
}

int ide_write(u32 lba, unsigned count, const void *buf)
{
	const u16 *p = buf;
	if (!count || count > 256)
		return -1;
	ata_select(lba, count, 0x30); /* WRITE SECTORS */
	for (unsigned i = 0; i < count; i++) {
		/* DRQ: for the first sector without an interrupt; for the
		 * others we already waited for one after the previous sector */
		int s = wait_not_busy();
		if (s < 0 || (s & (ST_ERR | ST_DF)) || !(s & ST_DRQ))
			return -1;
		u32 seen = irq_seen;
		for (int w = 0; w < 256; w++)
			outw(ATA_DATA, *p++);
		ide_sectors++;
		/* after each sector an interrupt: "next sector" or "done" */
		if (wait_data(seen) < 0)
			return -1;
	}
	u32 seen = irq_seen;
	ata_select(0, 0, 0xE7); /* FLUSH CACHE: the data reaches the medium */
	return wait_data(seen) < 0 ? -1 : 0;
}

int ide_init(void)
{
	u16 id[256];
	irq_set_handler(14, ide_irq);
	pic_unmask(14);
	ide_set_polling(1); /* IDENTIFY by polling, before we trust IRQ 14 */
	outb(ATA_DEVICE, 0xA0);
	ata_delay();
	outb(ATA_STATUS, 0xEC); /* IDENTIFY DEVICE */
	ata_delay();
	if (inb(ATA_STATUS) == 0) /* no device */
		return -1;
	int s = wait_not_busy();
	if (s < 0 || (s & ST_ERR) || !(s & ST_DRQ))
		return -1;
	for (int i = 0; i < 256; i++)
		id[i] = inw(ATA_DATA);
	/* words 27-46: model, two ASCII characters per word, high byte first */
	for (int i = 0; i < 20; i++) {
		ide_model[2 * i] = id[27 + i] >> 8;
		ide_model[2 * i + 1] = id[27 + i] & 0xff;
	}
	for (int i = 39; i >= 0 && ide_model[i] == ' '; i--)
		ide_model[i] = 0;
	ide_model[40] = 0;
	u32 total = id[60] | (u32)id[61] << 16; /* words 60-61: LBA28 sectors */
	ide_set_polling(0);
	return (int)total;
}
