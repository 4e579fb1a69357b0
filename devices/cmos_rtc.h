/*
 * cmos_rtc.h - what other parts of vmlab may ask of the MC146818A RTC/CMOS
 * (devices/cmos_rtc.c).  Find the instance with
 * board_find_device(b, "cmos-rtc").
 */
#ifndef VMLAB_DEVICES_CMOS_RTC_H
#define VMLAB_DEVICES_CMOS_RTC_H

#include "lib/common.h"

/* Port 0x70 bit 7: NMIs are masked while set. */
bool cmos_nmi_masked(void *dev);
/* Set the RTC to `unix_seconds` (UTC) as of the current virtual time. */
void cmos_set_time(void *dev, s64 unix_seconds);

#endif
