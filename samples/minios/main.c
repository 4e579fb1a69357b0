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
	/* An I/O APIC in the MP table: symmetric I/O mode (MP spec 1.4
	 * §3.6.2.3), the ISA IRQs through its pins, the 8259s masked.  Without
	 * one (no MP table: vmlab's BIOS on QEMU) the 8259 stays, in virtual
	 * wire mode.  The shell's "pic" and "ioapic" commands switch. */
	int ioapic = lapic && ioapic_init();
	if (ioapic)
		irq_use_ioapic();
	kprintf("~ interrupts: %s\n", ioapic	 ? "I/O APIC (symmetric I/O mode)"
				      : mp.found ? "8259 PIC (no I/O APIC)"
						 : "8259 PIC (no MP table)");
	timer_init(); /* PIT at HZ on IRQ 0 */
	kbd_init();   /* i8042 on IRQ 1 */
	if (ioapic)
		irq_use_ioapic();
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
