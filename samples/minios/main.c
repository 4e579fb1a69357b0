/*
 * main.c - minios's kernel main: boot.S left us in 32-bit protected mode
 * with flat segments, paging off, interrupts off.  Bring the machine up
 * in dependency order, then start the shell.
 *
 * Output lines that differ between machines (the disk's model string,
 * tick counts) start with "~ " so tests can leave them out of a comparison.
 */
#include "samples/minios/kernel.h"

void kmain(void)
{
	trap_init();	/* GDT + TSS, IDT, PIC remapped to 32-47 */
	mp_scan();	/* the MP tables, while page 0 (the BDA) is still reachable */
	console_init(); /* COM1 with IRQ 4, VGA text */
	kprintf("minios: 32-bit protected mode, booted from drive %02x\n", boot_drive);
	mm_init(); /* frames, heap, paging on */
	kprintf("minios: paging on, %u free frames, %u KiB heap\n", frame_free_count(),
		(u32)kheap_free_bytes() / 1024);
	/* the 8259's interrupts pass the local APIC in virtual wire mode */
	page_map(LAPIC_BASE, LAPIC_BASE, PTE_W | PTE_PCD);
	int lapic = lapic_virtual_wire();
	kprintf("~ local APIC: %s\n", lapic ? "virtual wire mode" : "none");
	/* An I/O APIC in the MP table: found and masked here, but the ISA
	 * IRQs stay on the 8259 for now: with vmlab's I/O APIC the ticks stop
	 * after a few interrupts (see the "ioapic" shell command, which
	 * switches to symmetric I/O mode, to reproduce). */
	int ioapic = lapic && ioapic_init();
	kprintf("~ interrupts: 8259 PIC (%s)\n", ioapic	    ? "I/O APIC present"
						 : mp.found ? "no I/O APIC"
							    : "no MP table");
	timer_init(); /* PIT at HZ on IRQ 0 */
	kbd_init();   /* i8042 on IRQ 1 */
	sti();
	if (lapic)
		smp_init(); /* INIT-SIPI-SIPI the other processors */
	kprintf("minios: %d CPU%s online\n", ncpus_online, ncpus_online > 1 ? "s" : "");
	int n = ide_init(); /* ATA on IRQ 14 */
	if (n < 0)
		kprintf("minios: no IDE disk\n");
	else {
		kprintf("~ ide0: \"%s\"\n", ide_model);
		kprintf("minios: ide0 has %u sectors (%u KiB)\n", (u32)n, (u32)n / 2);
	}
	shell_run();
}
