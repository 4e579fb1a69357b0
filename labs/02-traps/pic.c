/*
 * pic.c - lab 02: the 8259A interrupt controllers and the 8254 timer.
 * YOU write the TODOs.
 *
 * Follows the Intel 8259A data sheet (order no. 231468: ICW1-ICW4, OCW1,
 * OCW2) and the Intel 8254 data sheet (order no. 231164: control word,
 * mode 2 "rate generator").  On a PC the master PIC is at ports 0x20/0x21,
 * the slave at 0xA0/0xA1 on the master's IRQ 2; the PIT is at 0x40-0x43,
 * its counter 0 drives IRQ 0 from a 1193182 Hz clock.
 *
 * After reset the BIOS leaves IRQ 0-7 on vectors 8-15, which are CPU
 * exceptions in protected mode (8 is #DF): the first job is to move them.
 */
#include "labs/02-traps/lab02.h"
#include "samples/lib/io.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIT_CH0	  0x40
#define PIT_CTRL  0x43
#define PIT_HZ	  1193182u

/*
 * Initialise both PICs: ICW1 = 0x11 (edge triggered, cascade, ICW4 follows)
 * to each command port, ICW2 = vector base (VEC_IRQ0, VEC_IRQ8), ICW3 =
 * 0x04 (master: slave on IRQ 2) / 0x02 (slave: its cascade identity), ICW4
 * = 0x01 (8086 mode), each to the data port.  Then OCW1, the mask: only
 * IRQ 0 enabled (master 0xFE, slave 0xFF).
 */
void pic_init(void)
{
	/* BEGIN SOLUTION: ICW1..ICW4 to both PICs, then the masks */
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_IRQ0);
	outb(PIC2_DATA, VEC_IRQ8);
	outb(PIC1_DATA, 0x04);
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xFE);
	outb(PIC2_DATA, 0xFF);
	/* END SOLUTION */
}

/* Counter 0, mode 2, `hz` interrupts per second: control word 0x34
 * (counter 0, low byte then high byte, mode 2, binary), then the divisor
 * PIT_HZ / hz, low byte first. */
void pit_init(unsigned hz)
{
	/* BEGIN SOLUTION: control word to PIT_CTRL, then the 16-bit divisor to PIT_CH0, low byte first */
	unsigned div = PIT_HZ / hz;

	outb(PIT_CTRL, 0x34);
	outb(PIT_CH0, (uint8_t)div);
	outb(PIT_CH0, (uint8_t)(div >> 8));
	/* HANDOUT: (void)hz; */
	/* END SOLUTION */
}

/* End of interrupt: the non-specific EOI command (OCW2 = 0x20) to the PIC
 * that raised it (both for IRQ 8-15).  Until then the PIC delivers nothing
 * of the same or lower priority. */
void pic_eoi(int irq)
{
	/* BEGIN SOLUTION: OCW2 0x20 to PIC2_CMD when irq >= 8, and always to PIC1_CMD */
	if (irq >= 8)
		outb(PIC2_CMD, 0x20);
	outb(PIC1_CMD, 0x20);
	/* HANDOUT: (void)irq; */
	/* END SOLUTION */
}
