/*
 * timer.c - the system tick: 8254 PIT channel 0 in mode 2 (rate
 * generator) at HZ interrupts per second on IRQ 0 (Intel 8254 datasheet:
 * control word 0x34 = channel 0, lobyte/hibyte, mode 2, binary).  The
 * input clock is 1.193182 MHz, so the divisor is 1193182 / HZ.
 */
#include "samples/minios/kernel.h"

#define PIT_HZ 1193182u

volatile u32 ticks;

static void timer_irq(void)
{
	ticks++;
}

void timer_init(void)
{
	u32 divisor = (PIT_HZ + HZ / 2) / HZ;
	outb(0x43, 0x34);
	outb(0x40, divisor & 0xff);
	outb(0x40, divisor >> 8);
	irq_set_handler(0, timer_irq);
	pic_unmask(0);
}

/* Sleep N ticks with HLT: the CPU idles until the PIT wakes it. */
void timer_sleep(u32 n)
{
	u32 end = ticks + n;
	u32 f = irq_save();
	while ((int)(ticks - end) < 0)
		wait_irq();
	irq_restore(f);
}
