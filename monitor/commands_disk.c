/*
 * commands_disk.c - the monitor's `disk` command: the ATA disks of the
 * board (devices/ide.c, ATA/ATAPI-6 §9 PIO commands): image, geometry,
 * status/error registers and the last commands the guest issued, and a
 * hex dump of sectors read straight from the image file.
 *
 *   disk                         the IDE controller's state (image path,
 *                                CHS geometry, last commands and results)
 *   disk sector LBA [N] [DRIVE]  N sectors (default 1, at most 16) from
 *                                LBA of drive 0 (master) or 1 (slave)
 *
 * The dump reads the image with pread(), not through the guest: the IDE
 * model writes every sector to the file as soon as the guest's transfer
 * completes, so the image is the disk's current content.  Offsets in the
 * dump are byte offsets in the disk (LBA * 512 + offset), like xxd.
 */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/repl.h"

#define SECTOR	 512
#define MAX_DUMP 16

static bool show_ide(struct monitor *m)
{
	struct board *b = &m->vm->board;

	for (int i = 0; i < b->ndevices; i++) {
		const struct device *d = &b->devices[i];
		char buf[2048] = "";

		if (strcmp(d->name, "ide"))
			continue;
		if (d->ops && d->ops->describe)
			d->ops->describe(d->state, buf, sizeof(buf));
		mon_printf(m, "%s %s\n", d->name, buf);
		return true;
	}
	mon_printf(m, "no IDE controller on this board\n");
	return true;
}

/* One xxd-style line: offset, 16 bytes in hex, the printable ones. */
static void dump_line(struct monitor *m, u64 off, const u8 *p)
{
	char ascii[17];

	mon_printf(m, "%08llx:", (unsigned long long)off);
	for (int i = 0; i < 16; i++) {
		mon_printf(m, "%s%02x", i == 8 ? "  " : " ", p[i]);
		ascii[i] = isprint(p[i]) ? (char)p[i] : '.';
	}
	ascii[16] = 0;
	mon_printf(m, "  |%s|\n", ascii);
}

static bool dump_sectors(struct monitor *m, int drive, u64 lba, u64 n)
{
	const char *path = m->vm->board.disk_path[drive];
	u8 buf[SECTOR];
	struct stat sb;
	int fd;

	if (!path)
		return mon_error(m, "disk: no image on drive %d", drive);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mon_error(m, "disk: cannot open %s", path);
	/* Bound LBA by the image's size first: LBA * 512 must not wrap. */
	if (fstat(fd, &sb) < 0 || lba >= (u64)sb.st_size / SECTOR ||
	    n > (u64)sb.st_size / SECTOR - lba) {
		close(fd);
		return mon_error(m, "disk: sectors %llu..%llu are beyond the end of %s",
				 (unsigned long long)lba, (unsigned long long)(lba + n - 1), path);
	}
	for (u64 s = 0; s < n; s++) {
		ssize_t got = pread(fd, buf, SECTOR, (off_t)((lba + s) * SECTOR));
		bool zero_run = false;

		if (got != SECTOR) {
			close(fd);
			return mon_error(m, "disk: sector %llu is beyond the end of %s",
					 (unsigned long long)(lba + s), path);
		}
		mon_printf(m, "sector %llu (drive %d, %s):\n", (unsigned long long)(lba + s), drive,
			   path);
		/* Runs of all-zero lines collapse to one "*", as in hexdump. */
		for (int off = 0; off < SECTOR; off += 16) {
			static const u8 zeros[16];
			bool zero = !memcmp(buf + off, zeros, 16);
			bool last = off == SECTOR - 16; /* always shown: the end */

			if (zero && !last && off > 0 && !memcmp(buf + off - 16, zeros, 16)) {
				if (!zero_run)
					mon_printf(m, "*\n");
				zero_run = true;
				continue;
			}
			zero_run = false;
			dump_line(m, (lba + s) * SECTOR + (u64)off, buf + off);
		}
	}
	close(fd);
	return true;
}

static bool cmd_disk(struct monitor *m, int argc, char **argv, const char *rest)
{
	u64 lba, n = 1, drive = 0;

	if (argc == 1)
		return show_ide(m);
	if (strcmp(argv[1], "sector") || argc < 3 || argc > 5)
		return mon_error(m, "usage: disk | disk sector LBA [N] [DRIVE]");
	if (!mon_eval(m, argv[2], &lba) || (argc > 3 && !mon_eval(m, argv[3], &n)) ||
	    (argc > 4 && !mon_eval(m, argv[4], &drive)))
		return false;
	if (n < 1 || n > MAX_DUMP)
		return mon_error(m, "disk: N must be 1..%d", MAX_DUMP);
	if (drive > 1)
		return mon_error(m, "disk: DRIVE is 0 (master) or 1 (slave)");
	return dump_sectors(m, (int)drive, lba, n);
}

const struct mon_cmd mon_cmds_disk[] = {
    {"disk", NULL, cmd_disk, "disk [sector LBA [N] [DRIVE]]",
     "IDE disks: image, geometry, last commands; or a sector dump"},
    {NULL},
};
