/*
 * fw_cfg.h - adding files to the QEMU-compatible firmware configuration
 * device (devices/fw_cfg.c).  Find it with board_find_device(b, "fw-cfg").
 */
#ifndef VMLAB_DEVICES_FW_CFG_H
#define VMLAB_DEVICES_FW_CFG_H

#include "lib/common.h"

/* Add (a copy of) a named file, e.g. "etc/e820".  Returns 0, or -1 when
 * the name is empty, longer than 55 characters, already present, or the
 * directory is full.  Selectors are assigned in name order, so add files
 * before the guest runs. */
int fw_cfg_add_file(void *dev, const char *name, const void *data, u32 len);

#endif
