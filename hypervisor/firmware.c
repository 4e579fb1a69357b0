/*
 * firmware.c - loading vmlab's BIOS ROM and mapping it where a PC's
 * firmware lives (see firmware.h; the reset vector: SDM Vol. 3A §10.1.4;
 * the ROM's contents: samples/firmware).
 *
 * The image file is host input: its size is checked before anything is
 * mapped, and the bus keeps its own read-only copies, so nothing the guest
 * does can reach the buffer read here.
 */
#include "hypervisor/firmware.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/bus.h"

int firmware_locate(const char *path, char *out, size_t outlen, struct err *e)
{
	char exe[PATH_MAX];
	const char *env = getenv(FIRMWARE_ENV);
	struct stat st;
	ssize_t n;

	if (path || (env && *env)) {
		snprintf(out, outlen, "%s", path ? path : env);
		if (stat(out, &st))
			return err_errno(e, "%s", out);
		return 0;
	}
	/* Beside the executable: build/vmlab -> build/samples/firmware/bios.bin */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(out, outlen, "%s/%s", dirname(exe), FIRMWARE_REL_PATH);
		if (!stat(out, &st))
			return 0;
	}
	return err_set(e,
		       "%s: no BIOS image beside vmlab (build it with `make samples`, or set "
		       "%s=FILE, or boot a kernel with --kernel)",
		       n > 0 ? out : FIRMWARE_REL_PATH, FIRMWARE_ENV);
}

int firmware_map(struct bus *bus, const char *name, const u8 *img, size_t size, struct err *e)
{
	size_t legacy = size < FIRMWARE_LEGACY_MAX ? size : FIRMWARE_LEGACY_MAX;

	if (size < FIRMWARE_MIN_SIZE || size > FIRMWARE_MAX_SIZE || size % FIRMWARE_MIN_SIZE)
		return err_set(e,
			       "%s: a BIOS image must be a multiple of 64 KiB, at most 16 MiB "
			       "(this one has %zu bytes)",
			       name, size);
	/* 1. At the top of 4 GiB: the reset vector is the image's last 16
	 * bytes, at 0xFFFFFFF0. */
	if (bus_map_rom(bus, "bios", 4 * GiB - size, img, size, e))
		return -1;
	/* 2. The legacy window: the image's last 64/128 KiB, ending at 1 MiB,
	 * where real-mode code (CS = F000) runs after the first far jump. */
	if (bus_map_rom(bus, "bios-legacy", MiB - legacy, img + size - legacy, legacy, e))
		return -1;
	return 0;
}

int firmware_load(struct bus *bus, const char *path, struct err *e)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	u8 *img = NULL;
	int r = -1;

	if (!f)
		return err_errno(e, "%s", path);
	if (fstat(fileno(f), &st)) {
		err_errno(e, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)FIRMWARE_MIN_SIZE ||
	    st.st_size > (off_t)FIRMWARE_MAX_SIZE || st.st_size % FIRMWARE_MIN_SIZE) {
		err_set(e, "%s: a BIOS image must be a multiple of 64 KiB, at most 16 MiB", path);
		goto out;
	}
	img = xcalloc(1, (size_t)st.st_size);
	if (fread(img, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		err_set(e, "%s: short read", path);
		goto out;
	}
	r = firmware_map(bus, path, img, (size_t)st.st_size, e);
out:
	free(img);
	fclose(f);
	return r;
}
