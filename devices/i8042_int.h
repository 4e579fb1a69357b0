/*
 * i8042_int.h - what the two halves of the keyboard controller share: the
 * status, command-byte and output-port bits, the controller state (which
 * also holds the state of the keyboard and the mouse behind it), and the
 * calls between devices/i8042.c (the 8042 controller) and
 * devices/i8042_ps2.c (the PS/2 keyboard and mouse).  Private to those two
 * files; the console uses devices/i8042.h.
 *
 * Bit names follow the IBM PS/2 Hardware Interface Technical Reference
 * (status register, controller command byte, output port).
 */
#ifndef VMLAB_DEVICES_I8042_INT_H
#define VMLAB_DEVICES_I8042_INT_H

#include "devices/board.h"

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

/* ---- i8042.c: the controller ---- */

/* Queue a byte from source s; false when the queue is full. */
bool kbc_queue_push(struct queue *q, u8 v, enum src s);
void kbc_queue_clear(struct queue *q);
/* Move the next byte into an empty output buffer (and raise its IRQ). */
void kbc_refill(struct kbc *k);

/* ---- i8042_ps2.c: the keyboard and the mouse ---- */

/* Power-on defaults (scan code set 2, typematic, no LEDs / 100 samples/s,
 * resolution 2, scaling 1:1, not reporting). */
void ps2_kbd_defaults(struct kbc *k);
void ps2_aux_defaults(struct kbc *k);
/* A byte the guest sent to the keyboard (port 0x60) or, through
 * controller command 0xD4, to the mouse. */
void ps2_kbd_write(struct kbc *k, u8 v);
void ps2_aux_write(struct kbc *k, u8 v);

#endif
