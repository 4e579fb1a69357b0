/*
 * kbd.c - the PS/2 keyboard behind the i8042 controller (ports 0x60 data,
 * 0x64 status/command), IRQ 1, scancode set 1 (what the controller
 * delivers with translation on, as every PC BIOS leaves it): a key's
 * make code is 0x01-0x58, its break code is the make code | 0x80.
 *
 * kbd_inject() uses the controller command 0xD2 "write keyboard output
 * buffer": the next byte written to port 0x60 comes back on port 0x60 as
 * if the keyboard had sent it, with IRQ 1 (the i8042 commands of the IBM
 * PS/2 Technical Reference).  The self-test types through it.
 */
#include "samples/minios/kernel.h"

#define KBD_DATA   0x60
#define KBD_STATUS 0x64
#define ST_OBF	   0x01 /* output buffer full: a byte to read at 0x60 */
#define ST_IBF	   0x02 /* input buffer full: the controller is busy */

u32 kbd_irqs;
static int shift;
/* when set (by the self-test), typed characters go here, not to the shell */
char *kbd_capture;
volatile unsigned kbd_captured;
unsigned kbd_capture_max;

/* set 1 make codes 0x00-0x39 -> ASCII, without and with shift */
static const char plain[0x3A] = {
    0,	  27,  '1', '2', '3', '4', '5', '6', '7', '8', '9',  '0', '-', '=',  '\b',
    '\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p',  '[', ']', '\n', 0,
    'a',  's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,   '\\', 'z',
    'x',  'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0,   '*',  0,	  ' ',
};
static const char shifted[0x3A] = {
    0,	  27,  '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+',  '\b',
    '\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n', 0,
    'A',  'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0,   '|',  'Z',
    'X',  'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0,   '*', 0,	 ' ',
};

static int kbd_ready; /* kbd_init ran: bytes are ours to take */

/* Take every byte in the output buffer (IRQ 1 stays high until then). */
static void kbd_drain(void)
{
	while (inb(KBD_STATUS) & ST_OBF) {
		u8 sc = inb(KBD_DATA);
		int up = sc & 0x80;
		u8 key = sc & 0x7f;
		if (key == 0x2A || key == 0x36) { /* left / right shift */
			shift = !up;
			continue;
		}
		if (up || key >= sizeof plain)
			continue;
		char c = shift ? shifted[key] : plain[key];
		if (c && kbd_capture) {
			if (kbd_captured < kbd_capture_max)
				kbd_capture[kbd_captured++] = c;
		} else if (c)
			console_input(c);
	}
}

static void kbd_irq(void)
{
	kbd_irqs++;
	kbd_drain();
}

void kbd_rearm(void)
{
	if (kbd_ready)
		kbd_drain();
}

static void kbc_wait_input_empty(void)
{
	for (int i = 0; i < 100000 && (inb(KBD_STATUS) & ST_IBF); i++)
		;
}

void kbd_inject(u8 scancode)
{
	volatile u32 *irqs = &kbd_irqs;
	u32 n = *irqs, t = ticks; /* before the byte: its IRQ may come at once */
	u32 f = irq_save();
	kbc_wait_input_empty();
	outb(KBD_STATUS, 0xD2);
	kbc_wait_input_empty();
	outb(KBD_DATA, scancode);
	irq_restore(f);
	/* IRQ 1 follows; wait for it so one byte is in flight at a time */
	f = irq_save();
	while (*irqs == n && ticks - t < 10)
		wait_irq();
	irq_restore(f);
}

void kbd_init(void)
{
	while (inb(KBD_STATUS) & ST_OBF) /* drop what the BIOS left */
		inb(KBD_DATA);
	/* controller command byte: bit 0 = IRQ 1 on, bit 6 = set 1 translation */
	kbc_wait_input_empty();
	outb(KBD_STATUS, 0x20);
	for (int i = 0; i < 100000 && !(inb(KBD_STATUS) & ST_OBF); i++)
		;
	u8 cb = inb(KBD_DATA);
	kbc_wait_input_empty();
	outb(KBD_STATUS, 0x60);
	kbc_wait_input_empty();
	outb(KBD_DATA, (cb | 0x41) & ~0x10); /* and bit 4 = keyboard enabled */
	irq_set_handler(1, kbd_irq);
	kbd_ready = 1;
	pic_unmask(1);
}
