/*
 * i8042.h - the host side of the PS/2 keyboard controller (devices/i8042.c):
 * how the console types into the guest.  Find the instance with
 * board_find_device(b, "i8042").
 */
#ifndef VMLAB_DEVICES_I8042_H
#define VMLAB_DEVICES_I8042_H

#include "lib/common.h"

/* One scancode byte from the keyboard, in scan code set 1 - what the guest
 * reads from port 0x60 with translation on (the PC default).  Queued while
 * the keyboard is enabled; dropped (returns false) when scanning is off or
 * the queue is full. */
bool i8042_key_input(void *dev, u8 scancode);

/* Type ASCII text on a US keyboard: make and break codes, with Left Shift
 * around shifted characters; '\n' is Enter, '\t' Tab, '\b' Backspace.
 * Returns the number of characters typed (characters without a key are
 * skipped). */
int i8042_type_ascii(void *dev, const char *text);

#endif
