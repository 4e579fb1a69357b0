/*
 * uart16550.c - the National Semiconductor PC16550D UART with FIFOs, as on
 * every PC's serial ports (PC16550D datasheet, June 1995, §8 "Registers").
 *
 *   COM1: ports 0x3F8-0x3FF, IRQ 4 (always present)
 *   COM2: ports 0x2F8-0x2FF, IRQ 3 (only when board->serial[1] is connected)
 *
 *   off  DLAB=0 read / write          DLAB=1
 *   0    RBR receive / THR transmit   DLL divisor latch low
 *   1    IER interrupt enable         DLM divisor latch high
 *   2    IIR interrupt ident / FCR FIFO control
 *   3    LCR line control (bit 7 = DLAB)
 *   4    MCR modem control            5  LSR line status
 *   6    MSR modem status             7  SCR scratch
 *
 * Timing model: transmission is instantaneous in virtual time.  A byte
 * written to THR goes to the host chardev at once, so THR and the
 * transmitter are always empty (LSR.THRE = LSR.TEMT = 1) and the TX FIFO
 * never holds anything.  Reception is instantaneous too: host bytes move
 * into the RX FIFO as soon as there is room.  Only the character timeout
 * (FIFO mode, fewer bytes than the trigger level) uses virtual time: four
 * character times at the programmed baud rate, as the datasheet specifies.
 *
 * The IRQ pin is gated by MCR.OUT2, as PC serial cards wire it (the OUT2
 * output enables the IRQ line driver); in loopback mode the modem outputs,
 * OUT2 included, are forced inactive, so no IRQ reaches the PIC.
 */
#include "devices/board.h"

#include <stdio.h>
#include <stdlib.h>

enum {
	IER_ERBFI = 0x01, /* received data available */
	IER_ETBEI = 0x02, /* transmitter holding register empty */
	IER_ELSI = 0x04,  /* receiver line status */
	IER_EDSSI = 0x08, /* modem status */
	IIR_NONE = 0x01,
	IIR_MODEM = 0x00,
	IIR_THRE = 0x02,
	IIR_RDA = 0x04,
	IIR_RLS = 0x06,
	IIR_TIMEOUT = 0x0c,
	IIR_FIFO = 0xc0,
	FCR_ENABLE = 0x01,
	FCR_RXRESET = 0x02,
	FCR_TXRESET = 0x04,
	LCR_DLAB = 0x80,
	MCR_DTR = 0x01,
	MCR_RTS = 0x02,
	MCR_OUT1 = 0x04,
	MCR_OUT2 = 0x08,
	MCR_LOOP = 0x10,
	LSR_DR = 0x01,
	LSR_OE = 0x02,
	LSR_ERRORS = 0x1e,
	LSR_THRE = 0x20,
	LSR_TEMT = 0x40,
	MSR_DELTAS = 0x0f,
	MSR_CTS = 0x10,
	MSR_DSR = 0x20,
	MSR_RI = 0x40,
	MSR_DCD = 0x80,
};

#define UART_FIFO     16
#define UART_CLOCK_HZ 115200ULL /* 1.8432 MHz crystal / 16 */

struct uart {
	struct board *board;
	struct chardev *cd;
	const char *name;
	u16 base;
	int irq;

	u8 ier, lcr, mcr, lsr, msr, scr, fcr;
	u16 divisor;
	u8 rx[UART_FIFO];
	unsigned rx_head, rx_count;
	bool thre_pending;    /* THRE interrupt latched (cleared by IIR read / THR write) */
	bool timeout_pending; /* character timeout indication */
	bool irq_level;
	struct vtimer rx_timer;
};

static bool uart_fifo(const struct uart *u)
{
	return u->fcr & FCR_ENABLE;
}

static unsigned uart_trigger(const struct uart *u)
{
	static const u8 level[4] = {1, 4, 8, 14};
	return level[u->fcr >> 6];
}

/* The interrupt identification in datasheet priority order (Table IV). */
static u8 uart_iir_id(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr & LSR_ERRORS))
		return IIR_RLS;
	if (u->ier & IER_ERBFI) {
		if (uart_fifo(u) ? u->rx_count >= uart_trigger(u) : u->rx_count > 0)
			return IIR_RDA;
		if (uart_fifo(u) && u->timeout_pending && u->rx_count)
			return IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MODEM;
	return IIR_NONE;
}

static void uart_update_irq(struct uart *u)
{
	bool level = uart_iir_id(u) != IIR_NONE && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		board_set_irq(u->board, u->irq, level);
	}
}

/* n character times in ns: start + data + parity + stop bits at the baud
 * rate the divisor selects (2 stop bits also for 1.5: close enough). */
static u64 uart_chars_ns(const struct uart *u, unsigned n)
{
	unsigned bits = 1 + 5 + (u->lcr & 3) + !!(u->lcr & 0x08) + ((u->lcr & 0x04) ? 2 : 1);
	u64 div = u->divisor ? u->divisor : 1;

	return n * bits * 1000000000ULL * div / UART_CLOCK_HZ;
}

/* Datasheet: a timeout is signalled when the FIFO holds data and nothing was
 * received or read for four character times. */
static void uart_arm_timeout(struct uart *u)
{
	u->timeout_pending = false;
	if (uart_fifo(u) && u->rx_count)
		vtimer_arm(u->board, &u->rx_timer, board_now_ns(u->board) + uart_chars_ns(u, 4));
	else if (u->rx_timer.armed)
		vtimer_cancel(u->board, &u->rx_timer);
}

static void uart_timeout_fire(void *opaque)
{
	struct uart *u = opaque;

	if (u->rx_count) {
		u->timeout_pending = true;
		uart_update_irq(u);
	}
}

/* A character completes reception. */
static void uart_receive(struct uart *u, u8 byte)
{
	unsigned cap = uart_fifo(u) ? UART_FIFO : 1;

	if (u->rx_count >= cap) {
		u->lsr |= LSR_OE;
		/* 16450 mode: the new character overwrites RBR; FIFO mode: the
		 * character in the shift register is lost, the FIFO is kept. */
		if (!uart_fifo(u))
			u->rx[u->rx_head] = byte;
	} else {
		u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = byte;
		u->rx_count++;
	}
	uart_arm_timeout(u);
}

/* Move waiting host input into the RX FIFO (not in loopback: SIN is
 * disconnected then). */
static void uart_pull(struct uart *u)
{
	unsigned cap = uart_fifo(u) ? UART_FIFO : 1;

	if (u->mcr & MCR_LOOP)
		return;
	while (u->rx_count < cap && chardev_can_read(u->cd))
		uart_receive(u, (u8)chardev_read(u->cd));
}

static void uart_input_ready(void *dev)
{
	struct uart *u = dev;

	uart_pull(u);
	uart_update_irq(u);
}

/* The modem inputs CTS DSR RI DCD: from MCR in loopback, otherwise a host
 * that is always ready (CTS, DSR, DCD asserted, no ring). */
static void uart_update_msr(struct uart *u)
{
	u8 in, old = u->msr;

	if (u->mcr & MCR_LOOP)
		in = (u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
		     (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
	else
		in = MSR_CTS | MSR_DSR | MSR_DCD;
	u->msr = in | (old & MSR_DELTAS);
	if ((in ^ old) & MSR_CTS)
		u->msr |= 0x01; /* DCTS */
	if ((in ^ old) & MSR_DSR)
		u->msr |= 0x02; /* DDSR */
	if ((old & MSR_RI) && !(in & MSR_RI))
		u->msr |= 0x04; /* TERI: trailing edge of RI */
	if ((in ^ old) & MSR_DCD)
		u->msr |= 0x08; /* DDCD */
}

static void uart_transmit(struct uart *u, u8 byte)
{
	/* Writing THR clears the THRE interrupt ... */
	u->thre_pending = false;
	uart_update_irq(u);
	if (u->mcr & MCR_LOOP)
		uart_receive(u, byte); /* TSR -> RSR internally */
	else
		chardev_write(u->cd, byte);
	/* ... and, the transmitter being instantaneous, THR is empty again. */
	u->thre_pending = true;
}

static u64 uart_read(void *dev, u64 off, unsigned size)
{
	struct uart *u = dev;
	u8 v = 0;

	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			v = u->divisor & 0xff;
			break;
		}
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_FIFO;
			u->rx_count--;
		}
		uart_pull(u);
		uart_arm_timeout(u);
		break;
	case 1: v = (u->lcr & LCR_DLAB) ? u->divisor >> 8 : u->ier; break;
	case 2:
		v = uart_iir_id(u);
		if (v == IIR_THRE)
			u->thre_pending = false; /* reading IIR clears a THRE source */
		if (uart_fifo(u))
			v |= IIR_FIFO;
		break;
	case 3: v = u->lcr; break;
	case 4: v = u->mcr; break;
	case 5:
		v = u->lsr | LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
		u->lsr &= ~LSR_ERRORS; /* reading LSR clears OE PE FE BI */
		break;
	case 6:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		break;
	default: v = u->scr; break;
	}
	uart_update_irq(u);
	return v;
}

static void uart_write(void *dev, u64 off, u64 val, unsigned size)
{
	struct uart *u = dev;
	u8 v = val, old;

	switch (off) {
	case 0:
		if (u->lcr & LCR_DLAB)
			u->divisor = (u->divisor & 0xff00) | v;
		else
			uart_transmit(u, v);
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->divisor = (u->divisor & 0xff) | v << 8;
			break;
		}
		old = u->ier;
		u->ier = v & 0x0f;
		/* Enabling ETBEI while THR is empty interrupts at once (16550A). */
		if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
			u->thre_pending = true;
		break;
	case 2:
		old = u->fcr;
		/* FCR0 must be set for the other bits to be written; changing it
		 * clears both FIFOs. */
		u->fcr = (v & FCR_ENABLE) ? v & 0xc9 : 0;
		if (((old ^ u->fcr) & FCR_ENABLE) || (v & FCR_RXRESET)) {
			u->rx_count = 0;
			u->rx_head = 0;
		}
		uart_pull(u);
		uart_arm_timeout(u);
		break;
	case 3: u->lcr = v; break;
	case 4:
		old = u->mcr;
		u->mcr = v & 0x1f;
		uart_update_msr(u);
		if ((old & MCR_LOOP) && !(u->mcr & MCR_LOOP))
			uart_pull(u);
		break;
	case 5: break; /* LSR writes: factory test only */
	case 6: break;
	default: u->scr = v; break;
	}
	uart_update_irq(u);
}

static const struct io_ops uart_ops = {
    .name = "uart16550", .read = uart_read, .write = uart_write, .min = 1, .max = 1};

/* Master reset (datasheet Table III): registers cleared, LSR = 0x60. */
static void uart_reset(void *dev)
{
	struct uart *u = dev;

	u->ier = u->lcr = u->mcr = u->fcr = u->scr = 0;
	u->lsr = 0;
	u->msr = 0;
	u->divisor = 12; /* not reset by the chip; 9600 baud until programmed */
	u->rx_count = u->rx_head = 0;
	u->thre_pending = u->timeout_pending = false;
	if (u->rx_timer.armed)
		vtimer_cancel(u->board, &u->rx_timer);
	uart_update_msr(u);
	u->msr &= ~MSR_DELTAS;
	if (u->irq_level) {
		u->irq_level = false;
		board_set_irq(u->board, u->irq, 0);
	}
	uart_pull(u);
}

static void uart_describe(void *dev, char *buf, size_t len)
{
	struct uart *u = dev;

	snprintf(buf, len,
		 "%s 0x%x IRQ %d: %llu baud LCR %02x IER %02x IIR %02x MCR %02x LSR %02x MSR %02x "
		 "FCR %02x, %u byte(s) in RX FIFO, IRQ line %d",
		 u->name, u->base, u->irq,
		 (unsigned long long)(UART_CLOCK_HZ / (u->divisor ? u->divisor : 1)), u->lcr,
		 u->ier, uart_iir_id(u) | (uart_fifo(u) ? IIR_FIFO : 0), u->mcr,
		 u->lsr | LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0), u->msr, u->fcr,
		 u->rx_count, u->irq_level);
}

static void uart_destroy(void *dev)
{
	struct uart *u = dev;

	if (u->rx_timer.armed)
		vtimer_cancel(u->board, &u->rx_timer);
	if (u->cd && u->cd->dev == u) {
		u->cd->input_ready = NULL;
		u->cd->dev = NULL;
	}
	free(u);
}

static const struct device_ops uart_dev_ops = {
    .reset = uart_reset, .describe = uart_describe, .destroy = uart_destroy};

static int uart_create(struct board *b, const char *name, u16 base, int irq, struct chardev *cd,
		       struct err *e)
{
	struct uart *u = xcalloc(1, sizeof(*u));

	u->board = b;
	u->cd = cd;
	u->name = name;
	u->base = base;
	u->irq = irq;
	u->rx_timer.fire = uart_timeout_fire;
	u->rx_timer.opaque = u;
	if (cd) {
		cd->input_ready = uart_input_ready;
		cd->dev = u;
	}
	uart_reset(u);
	board_add_device(b, name, u, &uart_dev_ops);
	return bus_map_pio(&b->bus, base, 8, &uart_ops, u, e);
}

static int uart_init(struct board *b, struct err *e)
{
	if (uart_create(b, "com1", 0x3f8, 4, b->serial[0], e) < 0)
		return -1;
	if (b->serial[1] && uart_create(b, "com2", 0x2f8, 3, b->serial[1], e) < 0)
		return -1;
	return 0;
}

DEVICE_REGISTER(uart16550_type, "uart16550", 2, uart_init);
