/*
 * i8042.c - the PC/AT keyboard controller (Intel 8042 running IBM's
 * firmware) with a PS/2 keyboard on its first port and a minimal PS/2
 * mouse on its auxiliary port.  Ports 0x60 (data) and 0x64 (status /
 * command); IRQ 1 for keyboard bytes, IRQ 12 for mouse bytes.
 *
 * Follows the IBM PC/AT Technical Reference (keyboard controller section)
 * and the IBM PS/2 Hardware Interface Technical Reference (8042 commands,
 * keyboard and auxiliary-device commands).
 *
 *   status (read 0x64):  bit 0 OBF   output buffer full (port 0x60 has a byte)
 *                        bit 1 IBF   input buffer full (always 0: we are instant)
 *                        bit 2 SYS   system flag (command byte bit 2)
 *                        bit 3 A2    last write went to 0x64 (command), not 0x60
 *                        bit 4 INH   1 = keyboard not inhibited (key lock open)
 *                        bit 5 AUXB  the byte in the output buffer is from the mouse
 *   command byte:        bit 0 keyboard interrupt (IRQ 1) enable
 *                        bit 1 mouse interrupt (IRQ 12) enable
 *                        bit 2 SYS   bit 4 keyboard disabled   bit 5 mouse disabled
 *                        bit 6 XLAT  translate scan code set 2 to set 1
 *   output port:         bit 0 system reset (active low)   bit 1 A20 gate
 *                        bit 4 OBF (IRQ 1)   bit 5 OBF from mouse (IRQ 12)
 *
 * Model.  Three byte queues feed the single output buffer, in priority
 * order: controller replies (self-test, command byte, 0xD2/0xD3 echoes),
 * the keyboard, the mouse.  When the guest reads port 0x60 the next byte
 * moves in and the interrupt line is pulsed low-high, giving the PIC the
 * edge it needs per byte.  Transfers take no virtual time.
 *
 * Scan codes.  The keyboard internally produces set 1 codes: what a guest
 * sees with translation on, which is how every BIOS and OS on a PC runs the
 * controller.  i8042_key_input() therefore takes set 1 bytes.  With XLAT
 * off a real keyboard would deliver untranslated set 2 codes; we do not
 * model that (bytes stay set 1) - only the replies that OSes check (the
 * keyboard ID and the 0xF0 0x00 "which set" answer) are translated or not
 * as a real controller would.
 *
 * Reset.  The initial command byte is 0x45 (keyboard IRQ, SYS, XLAT): the
 * state a PC BIOS leaves, so kernels loaded directly (multiboot) find a
 * usable keyboard.  A20 starts enabled (board->a20_enabled), see board.h.
 */
#include "devices/i8042.h"

#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Status register */
#define ST_OBF	BIT(0)
#define ST_SYS	BIT(2)
#define ST_A2	BIT(3)
#define ST_INH	BIT(4)
#define ST_AUXB BIT(5)
/* Command byte */
#define CB_KBD_INT BIT(0)
#define CB_AUX_INT BIT(1)
#define CB_SYS	   BIT(2)
#define CB_KBD_DIS BIT(4)
#define CB_AUX_DIS BIT(5)
#define CB_XLAT	   BIT(6)
#define CB_DEFAULT (CB_KBD_INT | CB_SYS | CB_XLAT)
/* Output port */
#define OP_RESET_N BIT(0)
#define OP_A20	   BIT(1)
#define OP_OBF	   BIT(4)
#define OP_AUX_OBF BIT(5)

#define KBC_IRQ_KBD 1
#define KBC_IRQ_AUX 12
/* A real keyboard buffers 16 bytes; a deeper queue lets the console paste
 * a line at once. */
#define KBC_QUEUE 256

enum src { SRC_KBD, SRC_AUX };

struct queue {
	u16 buf[KBC_QUEUE]; /* byte | src << 8 */
	unsigned head, n;
};

struct kbc {
	struct board *board;
	u8 ram[32]; /* ram[0] is the command byte */
	u8 outport;
	bool a2;
	u8 pending; /* controller command waiting for its data byte */
	u8 ob;	    /* output buffer */
	bool obf, ob_aux;
	bool irq1, irq12; /* current line levels */
	struct queue ctl, kbd, aux;

	/* The keyboard */
	u8 kbd_pending; /* 0xED, 0xF0 or 0xF3 waiting for its argument */
	bool kbd_scanning;
	u8 kbd_set, kbd_leds, kbd_typematic;
	/* The mouse */
	u8 aux_pending; /* 0xE8 or 0xF3 waiting for its argument */
	bool aux_reporting;
	u8 aux_rate, aux_res, aux_scaling;

	u64 resets; /* reset requests seen (for describe) */
};

/* ---- queues and the output buffer ------------------------------------------- */

static bool q_push(struct queue *q, u8 v, enum src s)
{
	if (q->n == KBC_QUEUE)
		return false;
	q->buf[(q->head + q->n++) % KBC_QUEUE] = v | (u16)s << 8;
	return true;
}

static u16 q_pop(struct queue *q)
{
	u16 v = q->buf[q->head];

	q->head = (q->head + 1) % KBC_QUEUE;
	q->n--;
	return v;
}

static void q_clear(struct queue *q)
{
	q->head = q->n = 0;
}

static void kbc_update_irq(struct kbc *k)
{
	u8 cb = k->ram[0];
	bool i1 = k->obf && !k->ob_aux && (cb & CB_KBD_INT);
	bool i12 = k->obf && k->ob_aux && (cb & CB_AUX_INT);

	if (i1 != k->irq1)
		board_set_irq(k->board, KBC_IRQ_KBD, k->irq1 = i1);
	if (i12 != k->irq12)
		board_set_irq(k->board, KBC_IRQ_AUX, k->irq12 = i12);
}

/* Move the next byte into an empty output buffer. */
static void kbc_refill(struct kbc *k)
{
	u16 v;

	if (k->obf)
		return;
	if (k->ctl.n)
		v = q_pop(&k->ctl);
	else if (k->kbd.n && !(k->ram[0] & CB_KBD_DIS))
		v = q_pop(&k->kbd);
	else if (k->aux.n && !(k->ram[0] & CB_AUX_DIS))
		v = q_pop(&k->aux);
	else
		return;
	k->ob = (u8)v;
	k->ob_aux = (v >> 8) == SRC_AUX;
	k->obf = true;
	kbc_update_irq(k);
}

static void ctl_reply(struct kbc *k, u8 v, enum src s)
{
	q_push(&k->ctl, v, s);
	kbc_refill(k);
}

static void kbd_reply(struct kbc *k, u8 v)
{
	q_push(&k->kbd, v, SRC_KBD);
	kbc_refill(k);
}

static void aux_reply(struct kbc *k, u8 v)
{
	q_push(&k->aux, v, SRC_AUX);
	kbc_refill(k);
}

/* ---- output port: A20 and reset ---------------------------------------------- */

static void kbc_request_reset(struct kbc *k)
{
	k->resets++;
	board_request_stop(k->board, BOARD_STOP_RESET, 0);
}

static void kbc_write_outport(struct kbc *k, u8 v)
{
	k->outport = v;
	k->board->a20_enabled = v & OP_A20;
	/* Bit 0 drives the CPU's RESET line, active low. */
	if (!(v & OP_RESET_N))
		kbc_request_reset(k);
}

static u8 kbc_read_outport(struct kbc *k)
{
	u8 v = (k->outport & ~(OP_A20 | OP_OBF | OP_AUX_OBF)) | OP_RESET_N;

	if (k->board->a20_enabled)
		v |= OP_A20;
	if (k->obf && !k->ob_aux)
		v |= OP_OBF;
	if (k->obf && k->ob_aux)
		v |= OP_AUX_OBF;
	return v;
}

/* ---- the keyboard (PS/2 keyboard commands) --------------------------------------- */

static void kbd_defaults(struct kbc *k)
{
	k->kbd_set = 2;
	k->kbd_leds = 0;
	k->kbd_typematic = 0x2b; /* 10.9 cps, 500 ms */
	k->kbd_pending = 0;
}

static void kbd_write(struct kbc *k, u8 v)
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
		q_clear(&k->kbd);
		k->kbd_scanning = true;
		kbd_reply(k, 0xfa);
		break;
	case 0xf5: /* Default Disable */
		q_clear(&k->kbd);
		kbd_defaults(k);
		k->kbd_scanning = false;
		kbd_reply(k, 0xfa);
		break;
	case 0xf6: /* Set Default */
		q_clear(&k->kbd);
		kbd_defaults(k);
		k->kbd_scanning = true;
		kbd_reply(k, 0xfa);
		break;
	case 0xff: /* Reset: acknowledge, then BAT completion 0xAA */
		q_clear(&k->kbd);
		kbd_defaults(k);
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

static void aux_defaults(struct kbc *k)
{
	k->aux_rate = 100;
	k->aux_res = 2;
	k->aux_scaling = 1;
	k->aux_reporting = false;
	k->aux_pending = 0;
}

static void aux_write(struct kbc *k, u8 v)
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
		aux_defaults(k);
		aux_reply(k, 0xfa);
		break;
	case 0xff: /* Reset: ack, BAT OK, device ID */
		q_clear(&k->aux);
		aux_defaults(k);
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

/* ---- the controller's ports ---------------------------------------------------- */

static void kbc_command(struct kbc *k, u8 v)
{
	k->pending = 0;
	if (v >= 0x20 && v <= 0x3f) { /* Read controller RAM (0x20: command byte) */
		ctl_reply(k, k->ram[v & 0x1f], SRC_KBD);
		return;
	}
	if ((v >= 0x60 && v <= 0x7f) || (v >= 0xd1 && v <= 0xd4)) {
		k->pending = v; /* the data byte follows on port 0x60 */
		return;
	}
	if (v >= 0xf0) {
		/* Pulse output port bits 3-0 low where the command has a 0;
		 * bit 0 is the reset line (0xFE is the classic reboot). */
		if (!(v & 1))
			kbc_request_reset(k);
		return;
	}
	switch (v) {
	case 0xa7: k->ram[0] |= CB_AUX_DIS; break;     /* Disable auxiliary port */
	case 0xa8: k->ram[0] &= ~CB_AUX_DIS; break;    /* Enable auxiliary port */
	case 0xa9: ctl_reply(k, 0x00, SRC_KBD); break; /* Test aux port: no error */
	case 0xaa:				       /* Self-test: 0x55 = passed */
		k->ram[0] |= CB_SYS;
		ctl_reply(k, 0x55, SRC_KBD);
		break;
	case 0xab: ctl_reply(k, 0x00, SRC_KBD); break; /* Test keyboard port */
	case 0xad: k->ram[0] |= CB_KBD_DIS; break;     /* Disable keyboard */
	case 0xae: k->ram[0] &= ~CB_KBD_DIS; break;    /* Enable keyboard */
	case 0xd0: ctl_reply(k, kbc_read_outport(k), SRC_KBD); break;
	case 0xdd: k->board->a20_enabled = false; break; /* A20 off (some KBCs) */
	case 0xdf: k->board->a20_enabled = true; break;	 /* A20 on */
	case 0xe0: ctl_reply(k, 0x00, SRC_KBD); break;	 /* Read test inputs */
	default: break; /* unknown: ignored, as the 8042 firmware does */
	}
	kbc_update_irq(k);
	kbc_refill(k);
}

static void kbc_data(struct kbc *k, u8 v)
{
	u8 cmd = k->pending;

	k->pending = 0;
	if (cmd >= 0x60 && cmd <= 0x7f) {
		k->ram[cmd & 0x1f] = v;
		kbc_update_irq(k); /* interrupt enables may have changed */
		kbc_refill(k);	   /* ... and port disables */
		return;
	}
	switch (cmd) {
	case 0xd1: kbc_write_outport(k, v); return;
	case 0xd2: ctl_reply(k, v, SRC_KBD); return; /* as if from the keyboard */
	case 0xd3: ctl_reply(k, v, SRC_AUX); return; /* as if from the mouse */
	case 0xd4: aux_write(k, v); return;
	default: kbd_write(k, v); return; /* plain data goes to the keyboard */
	}
}

/* Port 0x64: status on read, controller command on write. */
static u64 kbc_status_read(void *dev, u64 off, unsigned size)
{
	struct kbc *k = dev;
	u8 v = ST_INH | (k->ram[0] & CB_SYS ? ST_SYS : 0) | (k->a2 ? ST_A2 : 0);

	if (k->obf)
		v |= ST_OBF | (k->ob_aux ? ST_AUXB : 0);
	return v;
}

static void kbc_command_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct kbc *k = dev;

	k->a2 = true;
	kbc_command(k, (u8)v);
}

/* Port 0x60: reading empties the output buffer (the stale byte stays
 * readable); writing sends a byte to the controller or the keyboard. */
static u64 kbc_data_read(void *dev, u64 off, unsigned size)
{
	struct kbc *k = dev;
	u8 v = k->ob;

	if (k->obf) {
		k->obf = false;
		kbc_update_irq(k);
		kbc_refill(k);
	}
	return v;
}

static void kbc_data_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct kbc *k = dev;

	k->a2 = false;
	kbc_data(k, (u8)v);
}

static const struct io_ops kbc_data_io = {
    .name = "i8042", .read = kbc_data_read, .write = kbc_data_write, .min = 1, .max = 1};
static const struct io_ops kbc_cmd_io = {
    .name = "i8042", .read = kbc_status_read, .write = kbc_command_write, .min = 1, .max = 1};

/* ---- host input ------------------------------------------------------------------ */

bool i8042_key_input(void *dev, u8 scancode)
{
	struct kbc *k = dev;

	if (!k->kbd_scanning || !q_push(&k->kbd, scancode, SRC_KBD))
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

/* ---- device ------------------------------------------------------------------------ */

static void kbc_reset(void *dev)
{
	struct kbc *k = dev;

	memset(k->ram, 0, sizeof(k->ram));
	k->ram[0] = CB_DEFAULT;
	k->outport = OP_RESET_N | OP_A20;
	k->board->a20_enabled = true;
	k->a2 = false;
	k->pending = 0;
	k->obf = k->ob_aux = false;
	k->ob = 0;
	q_clear(&k->ctl);
	q_clear(&k->kbd);
	q_clear(&k->aux);
	kbd_defaults(k);
	k->kbd_scanning = true;
	aux_defaults(k);
	kbc_update_irq(k);
}

static void kbc_describe(void *dev, char *buf, size_t len)
{
	struct kbc *k = dev;

	snprintf(buf, len,
		 "ports 0x60/0x64 irq 1/12: command byte %02x, output port %02x, A20 %s, "
		 "output buffer %s%02x%s, queued kbd %u aux %u, keyboard %s set %u leds %x, "
		 "mouse %s, resets requested %llu",
		 k->ram[0], kbc_read_outport(k), k->board->a20_enabled ? "on" : "off",
		 k->obf ? "" : "empty (last ", k->ob, k->obf ? (k->ob_aux ? " (aux)" : "") : ")",
		 k->kbd.n, k->aux.n, k->kbd_scanning ? "scanning" : "disabled", k->kbd_set,
		 k->kbd_leds, k->aux_reporting ? "reporting" : "idle",
		 (unsigned long long)k->resets);
}

static void kbc_destroy(void *dev)
{
	free(dev);
}

static const struct device_ops kbc_dev_ops = {
    .reset = kbc_reset, .describe = kbc_describe, .destroy = kbc_destroy};

static int kbc_init(struct board *b, struct err *e)
{
	struct kbc *k = xcalloc(1, sizeof(*k));

	k->board = b;
	kbc_reset(k);
	board_add_device(b, "i8042", k, &kbc_dev_ops);
	/* Two single ports: 0x61 between them is system control port B. */
	if (bus_map_pio(&b->bus, 0x60, 1, &kbc_data_io, k, e) < 0)
		return -1;
	return bus_map_pio(&b->bus, 0x64, 1, &kbc_cmd_io, k, e);
}

DEVICE_REGISTER(i8042_type, "i8042", 2, kbc_init);
