/*
 * i8042_ps2.c - the two devices behind the 8042 keyboard controller
 * (devices/i8042.c): a PS/2 keyboard on its first port, a minimal PS/2
 * mouse on its auxiliary port, and the host side that types into the
 * keyboard (i8042.h).  Each device answers the commands the guest sends it
 * with bytes queued for the controller's output buffer.
 *
 * Follows the IBM PS/2 Hardware Interface Technical Reference (keyboard
 * and auxiliary-device commands) and its scan code set 1 table.
 *
 * Scan codes.  The keyboard internally produces set 1 codes: what a guest
 * sees with translation on, which is how every BIOS and OS on a PC runs the
 * controller.  i8042_key_input() therefore takes set 1 bytes.  With XLAT
 * off a real keyboard would deliver untranslated set 2 codes; we do not
 * model that (bytes stay set 1) - only the replies that OSes check (the
 * keyboard ID and the 0xF0 0x00 "which set" answer) are translated or not
 * as a real controller would.
 */
#include "devices/i8042.h"

#include "devices/i8042_int.h"

#include <string.h>

/* ---- replies: into the device's queue, then the output buffer ---------------------- */

static void kbd_reply(struct kbc *k, u8 v)
{
	kbc_queue_push(&k->kbd, v, SRC_KBD);
	kbc_refill(k);
}

static void aux_reply(struct kbc *k, u8 v)
{
	kbc_queue_push(&k->aux, v, SRC_AUX);
	kbc_refill(k);
}

/* ---- the keyboard (PS/2 keyboard commands) --------------------------------------- */

void ps2_kbd_defaults(struct kbc *k)
{
	k->kbd_set = 2;
	k->kbd_leds = 0;
	k->kbd_typematic = 0x2b; /* 10.9 cps, 500 ms */
	k->kbd_pending = 0;
}

void ps2_kbd_write(struct kbc *k, u8 v)
{
	bool xlat = k->ram[0] & CB_XLAT;

	if (k->kbd_pending) {
		u8 cmd = k->kbd_pending;
		k->kbd_pending = 0;
		switch (cmd) {
		case 0xed: /* Set/Reset Mode Indicators */
			k->kbd_leds = v & 7;
			kbd_reply(k, 0xfa);
			return;
		case 0xf3: /* Set Typematic Rate/Delay */
			k->kbd_typematic = v & 0x7f;
			kbd_reply(k, 0xfa);
			return;
		case 0xf0: /* Select Alternate Scan Codes */
			if (v == 0) {
				/* Report the set; the controller translates
				 * 1/2/3 to 0x43/0x41/0x3F when XLAT is on. */
				static const u8 xl[4] = {0, 0x43, 0x41, 0x3f};
				kbd_reply(k, 0xfa);
				kbd_reply(k, xlat ? xl[k->kbd_set] : k->kbd_set);
			} else if (v <= 3) {
				k->kbd_set = v;
				kbd_reply(k, 0xfa);
			} else {
				kbd_reply(k, 0xfe);
			}
			return;
		}
	}
	switch (v) {
	case 0xed:
	case 0xf0:
	case 0xf3:
		k->kbd_pending = v;
		kbd_reply(k, 0xfa);
		break;
	case 0xee: /* Echo: answers 0xEE, no acknowledge */ kbd_reply(k, 0xee); break;
	case 0xf2: /* Read ID: 0xAB 0x83, the 0x83 translated to 0x41 */
		kbd_reply(k, 0xfa);
		kbd_reply(k, 0xab);
		kbd_reply(k, xlat ? 0x41 : 0x83);
		break;
	case 0xf4: /* Enable: clear the buffer, start scanning */
		kbc_queue_clear(&k->kbd);
		k->kbd_scanning = true;
		kbd_reply(k, 0xfa);
		break;
	case 0xf5: /* Default Disable */
		kbc_queue_clear(&k->kbd);
		ps2_kbd_defaults(k);
		k->kbd_scanning = false;
		kbd_reply(k, 0xfa);
		break;
	case 0xf6: /* Set Default */
		kbc_queue_clear(&k->kbd);
		ps2_kbd_defaults(k);
		k->kbd_scanning = true;
		kbd_reply(k, 0xfa);
		break;
	case 0xff: /* Reset: acknowledge, then BAT completion 0xAA */
		kbc_queue_clear(&k->kbd);
		ps2_kbd_defaults(k);
		k->kbd_scanning = true;
		kbd_reply(k, 0xfa);
		kbd_reply(k, 0xaa);
		break;
	default:
		if (v >= 0xf7) /* set-3 key type commands, resend: accepted */
			kbd_reply(k, 0xfa);
		else
			kbd_reply(k, 0xfe); /* not a command: "resend" */
		break;
	}
}

/* ---- the mouse (PS/2 auxiliary device commands) ------------------------------------ */

void ps2_aux_defaults(struct kbc *k)
{
	k->aux_rate = 100;
	k->aux_res = 2;
	k->aux_scaling = 1;
	k->aux_reporting = false;
	k->aux_pending = 0;
}

void ps2_aux_write(struct kbc *k, u8 v)
{
	if (k->aux_pending) {
		if (k->aux_pending == 0xf3)
			k->aux_rate = v;
		else
			k->aux_res = v & 3;
		k->aux_pending = 0;
		aux_reply(k, 0xfa);
		return;
	}
	switch (v) {
	case 0xe8: /* Set Resolution */
	case 0xf3: /* Set Sample Rate */
		k->aux_pending = v;
		aux_reply(k, 0xfa);
		break;
	case 0xe6:
	case 0xe7: /* Set Scaling 1:1 / 2:1 */
		k->aux_scaling = v == 0xe6 ? 1 : 2;
		aux_reply(k, 0xfa);
		break;
	case 0xe9: /* Status Request: flags, resolution, rate */
		aux_reply(k, 0xfa);
		aux_reply(k, (k->aux_reporting ? 0x20 : 0) | (k->aux_scaling == 2 ? 0x10 : 0));
		aux_reply(k, k->aux_res);
		aux_reply(k, k->aux_rate);
		break;
	case 0xf2: /* Read Device Type: 0x00 = standard PS/2 mouse */
		aux_reply(k, 0xfa);
		aux_reply(k, 0x00);
		break;
	case 0xf4:
		k->aux_reporting = true;
		aux_reply(k, 0xfa);
		break;
	case 0xf5:
		k->aux_reporting = false;
		aux_reply(k, 0xfa);
		break;
	case 0xf6:
		ps2_aux_defaults(k);
		aux_reply(k, 0xfa);
		break;
	case 0xff: /* Reset: ack, BAT OK, device ID */
		kbc_queue_clear(&k->aux);
		ps2_aux_defaults(k);
		aux_reply(k, 0xfa);
		aux_reply(k, 0xaa);
		aux_reply(k, 0x00);
		break;
	default:
		if (v >= 0xe0)
			aux_reply(k, 0xfa); /* stream/remote/wrap mode, read data ... */
		else
			aux_reply(k, 0xfe);
		break;
	}
}

/* ---- host input ------------------------------------------------------------------ */

bool i8042_key_input(void *dev, u8 scancode)
{
	struct kbc *k = dev;

	if (!k->kbd_scanning || !kbc_queue_push(&k->kbd, scancode, SRC_KBD))
		return false;
	kbc_refill(k);
	return true;
}

/* US layout, scan code set 1: make code of the key producing each ASCII
 * character, and whether Shift is needed. */
struct keymap {
	u8 code;
	bool shift;
};

static struct keymap ascii_key(char ch)
{
	static const char row1[] = "1234567890-=", row1s[] = "!@#$%^&*()_+";
	static const char q[] = "qwertyuiop[]", qs[] = "QWERTYUIOP{}";
	static const char a[] = "asdfghjkl;'`", as[] = "ASDFGHJKL:\"~";
	static const char z[] = "\\zxcvbnm,./", zs[] = "|ZXCVBNM<>?";
	const char *p;

	if (ch == 0)
		return (struct keymap){0, false};
	if ((p = strchr(row1, ch)))
		return (struct keymap){(u8)(0x02 + (p - row1)), false};
	if ((p = strchr(row1s, ch)))
		return (struct keymap){(u8)(0x02 + (p - row1s)), true};
	if ((p = strchr(q, ch)))
		return (struct keymap){(u8)(0x10 + (p - q)), false};
	if ((p = strchr(qs, ch)))
		return (struct keymap){(u8)(0x10 + (p - qs)), true};
	if ((p = strchr(a, ch)))
		return (struct keymap){(u8)(0x1e + (p - a)), false};
	if ((p = strchr(as, ch)))
		return (struct keymap){(u8)(0x1e + (p - as)), true};
	if ((p = strchr(z, ch)))
		return (struct keymap){(u8)(0x2b + (p - z)), false};
	if ((p = strchr(zs, ch)))
		return (struct keymap){(u8)(0x2b + (p - zs)), true};
	switch (ch) {
	case ' ': return (struct keymap){0x39, false};
	case '\n': return (struct keymap){0x1c, false};
	case '\t': return (struct keymap){0x0f, false};
	case '\b': return (struct keymap){0x0e, false};
	case 0x1b: return (struct keymap){0x01, false};
	default: return (struct keymap){0, false};
	}
}

int i8042_type_ascii(void *dev, const char *text)
{
	int typed = 0;

	for (; *text; text++) {
		struct keymap km = ascii_key(*text);
		if (!km.code)
			continue;
		if (km.shift)
			i8042_key_input(dev, 0x2a); /* Left Shift make */
		i8042_key_input(dev, km.code);
		i8042_key_input(dev, km.code | 0x80); /* break = make | 0x80 */
		if (km.shift)
			i8042_key_input(dev, 0xaa); /* Left Shift break */
		typed++;
	}
	return typed;
}
