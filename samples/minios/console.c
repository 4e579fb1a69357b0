/*
 * console.c - minios's console: COM1 (a 16550A UART at 0x3F8, IRQ 4) for
 * input and output, mirrored on the VGA text screen (80x25 at 0xB8000,
 * cursor through the CRTC at 0x3D4/0x3D5), and one input queue that the
 * UART and the keyboard (kbd.c) both feed.
 *
 * Output is interrupt-driven: characters go into a ring; enabling the
 * "transmitter holding register empty" interrupt (IER bit 1) raises IRQ 4
 * at once while THR is empty (16550A datasheet, IIR priority 3), and the
 * handler refills the 16-byte FIFO from the ring.  With interrupts off
 * (early boot, panic, a full ring) we fall back to polling LSR bit 5.
 * Input: IER bit 0 raises IRQ 4 on "received data available" or on the
 * FIFO character timeout; the handler moves bytes into the input queue.
 */
#include "samples/minios/kernel.h"

#define COM1	 0x3F8
#define UART_THR (COM1 + 0) /* DLAB=0 */
#define UART_IER (COM1 + 1)
#define UART_IIR (COM1 + 2) /* read; FCR on write */
#define UART_LCR (COM1 + 3)
#define UART_MCR (COM1 + 4)
#define UART_LSR (COM1 + 5)
#define IER_RX	 0x01
#define IER_TX	 0x02
#define LSR_DR	 0x01
#define LSR_THRE 0x20

u32 uart_rx_irqs, uart_tx_irqs;
static int uart_irq_mode; /* set once IRQ 4 is routed */
static int tx_burst = 1;  /* 16 when the BIOS left the FIFOs on */
static u8 ier;

static char txq[2048];
static volatile unsigned tx_head, tx_count;
static char rxq[512];
static volatile unsigned rx_head, rx_count;

/* ---- VGA text mode: 80x25 cells of (character, attribute) ----------------- */
static volatile u16 *const vga = (volatile u16 *)0xB8000;
static unsigned vga_pos;

/* The CRTC answers at 0x3D4/0x3D5 in colour mode, 0x3B4/0x3B5 in mono:
 * bit 0 of the Miscellaneous Output register (read at 0x3CC) decides. */
u16 vga_crtc_port(void)
{
	return (inb(0x3CC) & 1) ? 0x3D4 : 0x3B4;
}

static void vga_cursor(void)
{
	u16 crtc = vga_crtc_port();
	outb(crtc, 0x0F); /* cursor location low */
	outb(crtc + 1, vga_pos & 0xff);
	outb(crtc, 0x0E); /* cursor location high */
	outb(crtc + 1, vga_pos >> 8);
}

void vga_putc(char c)
{
	if (c == '\n')
		vga_pos += 80 - vga_pos % 80;
	else if (c == '\b') {
		if (vga_pos % 80)
			vga_pos--;
		vga[vga_pos] = 0x0700 | ' ';
	} else if (c != '\r')
		vga[vga_pos++] = 0x0700 | (u8)c; /* light grey on black */
	if (vga_pos >= 80 * 25) {		 /* scroll one line */
		for (unsigned i = 0; i < 80 * 24; i++)
			vga[i] = vga[i + 80];
		for (unsigned i = 80 * 24; i < 80 * 25; i++)
			vga[i] = 0x0700 | ' ';
		vga_pos -= 80;
	}
	vga_cursor();
}

/* ---- the UART ---------------------------------------------------------- */
static void uart_poll_putc(char c)
{
	while (!(inb(UART_LSR) & LSR_THRE))
		;
	outb(UART_THR, (u8)c);
}

/* Send one queued character by polling (the caller disabled interrupts). */
static void tx_drain_one(void)
{
	uart_poll_putc(txq[tx_head]);
	tx_head = (tx_head + 1) % sizeof txq;
	tx_count--;
}

static void uart_putc(char c)
{
	if (!uart_irq_mode) {
		uart_poll_putc(c);
		return;
	}
	u32 f = irq_save();
	if (tx_count == sizeof txq)
		tx_drain_one();
	txq[(tx_head + tx_count) % sizeof txq] = c;
	tx_count++;
	if (!(ier & IER_TX)) { /* THR empty -> IRQ 4 right away */
		ier |= IER_TX;
		outb(UART_IER, ier);
	}
	irq_restore(f);
}

void console_flush(void)
{
	u32 f = irq_save();
	while (tx_count)
		tx_drain_one();
	irq_restore(f);
}

/* IRQ 4: serve every pending source, highest priority first (IIR bits 3-1). */
void uart_irq(void)
{
	for (int guard = 0; guard < 64; guard++) {
		u8 iir = inb(UART_IIR);
		if (iir & 1) /* bit 0 = 1: nothing pending */
			break;
		switch ((iir >> 1) & 7) {
		case 3: inb(UART_LSR); break; /* line status: reading clears it */
		case 2:			      /* received data available */
		case 6:			      /* character timeout (FIFO) */
			uart_rx_irqs++;
			while (inb(UART_LSR) & LSR_DR)
				console_input((char)inb(UART_THR));
			break;
		case 1: /* THR empty: refill the 16-byte FIFO from the ring */
			uart_tx_irqs++;
			for (int n = 0; n < tx_burst && tx_count; n++) {
				outb(UART_THR, (u8)txq[tx_head]);
				tx_head = (tx_head + 1) % sizeof txq;
				tx_count--;
			}
			if (!tx_count) {
				ier &= ~IER_TX;
				outb(UART_IER, ier);
			}
			break;
		default: inb(COM1 + 6); break; /* modem status */
		}
	}
}

/*
 * An edge-triggered input (the I/O APIC's ISA pins, 82093AA datasheet
 * §3.2.4: "edge-sensitive interrupts ... are ignored while masked") only
 * sees the 16550's INTR line rise.  If the line was already high when the
 * pin was opened (THRE or received data pending while IRQ 4 was routed
 * elsewhere), no edge ever comes and IRQ 4 is dead.  Clearing IER drops
 * INTR (no source enabled); restoring it raises INTR again for every
 * source still pending: a new edge (16550A datasheet, "IER").
 */
void console_rearm(void)
{
	u32 f = irq_save();
	outb(UART_IER, 0);
	outb(UART_IER, ier);
	irq_restore(f);
}

void console_init(void)
{
	outb(UART_IER, 0);
	outb(UART_LCR, 0x80); /* DLAB: divisor 1 = 115200 baud */
	outb(COM1 + 0, 1);
	outb(COM1 + 1, 0);
	outb(UART_LCR, 0x03); /* 8 data bits, no parity, 1 stop bit */
	/* FCR is left alone: switching the FIFOs on or off empties them, and
	 * input may already be waiting (the host's flow control holds the
	 * rest back while the receiver is full, so nothing is lost).  IIR
	 * bits 7-6 = 11 say the FIFOs are on: the THR takes 16 bytes. */
	if ((inb(UART_IIR) & 0xC0) == 0xC0)
		tx_burst = 16;
	outb(UART_MCR, 0x0B); /* DTR, RTS, OUT2 (OUT2 gates IRQ 4 on a PC) */
	for (unsigned i = 0; i < 80 * 25; i++)
		vga[i] = 0x0700 | ' ';
	vga_pos = 0;
	vga_cursor();
	irq_set_handler(4, uart_irq);
	ier = IER_RX;
	outb(UART_IER, ier);
	uart_irq_mode = 1;
	pic_unmask(4);
}

void console_putc(char c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
	vga_putc(c);
}

void console_write(const char *s, size_t n)
{
	while (n--)
		console_putc(*s++);
}

/* ---- input: one queue for serial and keyboard -------------------------------- */
void console_input(char c)
{
	if (rx_count < sizeof rxq) {
		rxq[(rx_head + rx_count) % sizeof rxq] = c;
		rx_count++;
	}
}

int console_trygetc(void)
{
	int c = -1;
	u32 f = irq_save();
	if (rx_count) {
		c = (u8)rxq[rx_head];
		rx_head = (rx_head + 1) % sizeof rxq;
		rx_count--;
	}
	irq_restore(f);
	return c;
}

int console_getc(void)
{
	for (;;) {
		cli();
		if (rx_count) {
			sti();
			return console_trygetc();
		}
		wait_irq(); /* an IRQ (UART, keyboard, timer) wakes us */
		sti();
	}
}
