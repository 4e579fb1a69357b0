/*
 * i8042.c - the PC/AT keyboard controller (Intel 8042 running IBM's
 * firmware): ports 0x60 (data) and 0x64 (status / command), the output
 * buffer and its IRQ 1 (keyboard bytes) / IRQ 12 (mouse bytes), the
 * controller commands, and the output port with the A20 gate and the reset
 * line.  The PS/2 keyboard on its first port and the mouse on its
 * auxiliary port are devices/i8042_ps2.c.
 *
 * Follows the IBM PC/AT Technical Reference (keyboard controller section)
 * and the IBM PS/2 Hardware Interface Technical Reference (8042 commands).
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
 * Reset.  The initial command byte is 0x45 (keyboard IRQ, SYS, XLAT): the
 * state a PC BIOS leaves, so kernels loaded directly (multiboot) find a
 * usable keyboard.  A20 starts enabled (board->a20_enabled), see board.h.
 */
#include "devices/i8042.h"

#include "devices/i8042_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- queues and the output buffer ------------------------------------------- */

bool kbc_queue_push(struct queue *q, u8 v, enum src s)
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

void kbc_queue_clear(struct queue *q)
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
void kbc_refill(struct kbc *k)
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
	kbc_queue_push(&k->ctl, v, s);
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
	case 0xd4: ps2_aux_write(k, v); return;
	default: ps2_kbd_write(k, v); return; /* plain data goes to the keyboard */
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
	kbc_queue_clear(&k->ctl);
	kbc_queue_clear(&k->kbd);
	kbc_queue_clear(&k->aux);
	ps2_kbd_defaults(k);
	k->kbd_scanning = true;
	ps2_aux_defaults(k);
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
