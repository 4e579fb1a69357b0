/*
 * test_uart.c - the 16550A on COM1 at register level, against the PC16550D
 * datasheet: reset values, DLAB, transmit, THRE interrupt semantics, the
 * IIR priority order, FIFO trigger levels and character timeout, loopback,
 * and the OUT2 gate of the IRQ line on PCs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/board.h"
#include "tests/unit/board_fixture.h"

static struct chardev cd;
static u64 icount;
static char out[256];
static size_t nout;

static void capture(void *opaque, const u8 *buf, size_t len)
{
	for (size_t i = 0; i < len && nout < sizeof(out) - 1; i++)
		out[nout++] = buf[i];
}


static bool irq_pending(void)
{
	return B.intr_pending(B.intr_opaque);
}

enum {
	RBR = 0x3f8,
	THR = 0x3f8,
	IER = 0x3f9,
	IIR = 0x3fa,
	FCR = 0x3fa,
	LCR = 0x3fb,
	MCR = 0x3fc,
	LSR = 0x3fd,
	MSR = 0x3fe,
	SCR = 0x3ff
};

static int setup(void **state)
{
	struct err e;

	icount = 0;
	nout = 0;
	memset(out, 0, sizeof(out));
	memset(&cd, 0, sizeof(cd));
	cd.write = capture;
	if (board_init(&B, 0, NULL, &e) < 0)
		return -1;
	B.icount = &icount;
	B.serial[0] = &cd;
	if (board_create_device(&B, "pic8259", &e) < 0 ||
	    board_create_device(&B, "uart16550", &e) < 0)
		return -1;
	static const u8 seq[][2] = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01},
				    {0xa0, 0x11}, {0xa1, 0x28}, {0xa1, 0x02}, {0xa1, 0x01},
				    {0x21, 0x00}, {0xa1, 0x00}};
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++)
		outb(seq[i][0], seq[i][1]);
	return 0;
}

static int teardown(void **state)
{
	board_destroy(&B);
	return 0;
}

static void push(const char *s)
{
	chardev_push(&cd, (const u8 *)s, strlen(s));
}

static void test_reset_dlab_transmit(void **state)
{
	/* Datasheet Table III, master reset values. */
	assert_int_equal(inb(IER), 0x00);
	assert_int_equal(inb(IIR), 0x01);
	assert_int_equal(inb(LCR), 0x00);
	assert_int_equal(inb(MCR), 0x00);
	assert_int_equal(inb(LSR), 0x60);
	assert_int_equal(inb(MSR) & 0xf0, 0xb0);    /* host ready: CTS DSR DCD */
	assert_null(board_find_device(&B, "com2")); /* no COM2 without serial[1] */

	outb(LCR, 0x83); /* DLAB, 8N1 */
	outb(0x3f8, 0x01);
	outb(0x3f9, 0x02);
	assert_int_equal(inb(0x3f8), 0x01);
	assert_int_equal(inb(0x3f9), 0x02);
	assert_int_equal(nout, 0); /* DLL is not THR */
	outb(LCR, 0x03);
	assert_int_equal(inb(IER), 0x00); /* IER was not touched */
	outb(SCR, 0x5a);
	assert_int_equal(inb(SCR), 0x5a);

	outb(THR, 'h');
	outb(THR, 'i');
	assert_int_equal(nout, 2);
	assert_string_equal(out, "hi");
	assert_int_equal(inb(LSR) & 0x61, 0x60); /* THRE TEMT, no data */
}

static void test_thre_interrupt_and_out2(void **state)
{
	outb(IER, 0x02); /* ETBEI with THR empty: THRE interrupt at once */
	assert_int_equal(inb(IIR), 0x02);
	assert_int_equal(inb(IIR), 0x01); /* the IIR read cleared it */
	outb(THR, 'x');			  /* THR empties again at once: THRE pending */

	/* No OUT2, no IRQ on a PC. */
	assert_false(irq_pending());
	outb(MCR, 0x08);
	assert_true(irq_pending());
	assert_int_equal(B.intr_ack(B.intr_opaque), 0x24); /* COM1 = IRQ 4 */
	assert_int_equal(inb(IIR), 0x02);
	outb(0x20, 0x20);
	assert_false(irq_pending());
	/* Writing THR clears and (instantly) re-raises: a new edge. */
	outb(THR, 'y');
	assert_true(irq_pending());
	assert_int_equal(B.intr_ack(B.intr_opaque), 0x24);
	outb(0x20, 0x20);
	outb(IER, 0x00);
	assert_int_equal(inb(IIR), 0x01);
}

static void test_iir_priorities(void **state)
{
	outb(MCR, 0x18);		  /* loopback + OUT2 */
	assert_int_equal(inb(MSR), 0x83); /* CTS DSR fell (DCTS DDSR), DCD = OUT2 */
	outb(IER, 0x0f);
	/* Two characters into a 1-byte RBR (16450 mode): overrun. */
	outb(THR, 'a');
	outb(THR, 'b');
	assert_false(irq_pending());		 /* loopback: IRQ pin disconnected */
	assert_int_equal(inb(IIR), 0x06);	 /* line status is highest */
	assert_int_equal(inb(LSR) & 0x03, 0x03); /* OE, DR; read clears OE */
	assert_int_equal(inb(LSR) & 0x02, 0);
	assert_int_equal(inb(IIR), 0x04); /* then received data */
	assert_int_equal(inb(RBR), 'b');  /* 16450 mode: overwritten */
	assert_int_equal(inb(IIR), 0x02); /* then THRE */
	assert_int_equal(inb(IIR), 0x01); /* (cleared by the read) */
	/* Modem status: DTR -> DSR in loopback. */
	outb(MCR, 0x19);
	assert_int_equal(inb(IIR), 0x00);
	assert_int_equal(inb(MSR), 0xa2); /* DCD (= OUT2), DSR, DDSR */
	assert_int_equal(inb(IIR), 0x01);
	assert_int_equal(nout, 0); /* nothing left the chip */
}

static void test_fifo_and_timeout(void **state)
{
	char got[21] = {0};

	outb(LCR, 0x83);
	outb(0x3f8, 0x01); /* 115200 baud */
	outb(0x3f9, 0x00);
	outb(LCR, 0x03); /* 8N1: 10 bits a character */
	outb(FCR, 0x47); /* FIFO on, clear both, trigger 4 */
	outb(IER, 0x01);
	assert_int_equal(inb(IIR), 0xc1);
	push("abc");
	assert_int_equal(inb(IIR), 0xc1); /* 3 < trigger level */
	push("d");
	assert_int_equal(inb(IIR), 0xc4);
	for (int i = 0; i < 4; i++)
		got[i] = inb(RBR);
	assert_string_equal(got, "abcd");
	assert_int_equal(inb(LSR) & 1, 0);

	/* Character timeout: 4 characters of 10 bits at 115200 baud =
	 * 347222 ns after the last arrival. */
	icount = 1000;
	push("xy");
	icount = 1000 + 347221;
	board_run_timers(&B);
	assert_int_equal(inb(IIR), 0xc1);
	icount = 1000 + 347222;
	board_run_timers(&B);
	assert_int_equal(inb(IIR), 0xcc);
	assert_int_equal(inb(RBR), 'x'); /* reading clears the timeout */
	assert_int_equal(inb(IIR), 0xc1);
	assert_int_equal(inb(RBR), 'y');

	/* 20 host bytes: 16 in the FIFO, the rest follow as it drains. */
	push("0123456789ABCDEFGHIJ");
	memset(got, 0, sizeof(got));
	for (int i = 0; i < 20; i++) {
		assert_int_equal(inb(LSR) & 1, 1);
		got[i] = inb(RBR);
	}
	assert_string_equal(got, "0123456789ABCDEFGHIJ");
	assert_int_equal(inb(LSR) & 0x03, 0); /* no overrun from the host */

	/* FIFO overrun in loopback: the 17th character is lost. */
	outb(MCR, 0x10);
	for (int i = 0; i < 17; i++)
		outb(THR, 'A' + i);
	assert_int_equal(inb(LSR) & 0x03, 0x03);
	for (int i = 0; i < 16; i++)
		assert_int_equal(inb(RBR), 'A' + i);
	assert_int_equal(inb(LSR) & 0x01, 0);
	/* Disabling the FIFO clears it and the IIR FIFO bits. */
	outb(THR, 'z');
	outb(FCR, 0x00);
	assert_int_equal(inb(LSR) & 0x01, 0);
	assert_int_equal(inb(IIR) & 0xc0, 0);
}

static void test_loopback_msr(void **state)
{
	outb(MCR, 0x1f);			 /* loop, OUT2 OUT1 RTS DTR */
	assert_int_equal(inb(MSR) & 0xf0, 0xf0); /* DCD RI DSR CTS */
	outb(MCR, 0x10);
	/* CTS DSR DCD fell; RI's trailing edge sets TERI. */
	assert_int_equal(inb(MSR), 0x0f);
	outb(THR, 'L');
	assert_int_equal(inb(RBR), 'L');
	assert_int_equal(nout, 0);
	/* Host input waits while in loopback, and arrives once it is left. */
	push("H");
	assert_int_equal(inb(LSR) & 1, 0);
	outb(MCR, 0x00);
	assert_int_equal(inb(RBR), 'H');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reset_dlab_transmit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thre_interrupt_and_out2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iir_priorities, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_and_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loopback_msr, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
