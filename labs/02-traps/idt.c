/*
 * idt.c - lab 02: the interrupt descriptor table.  YOU write the TODOs.
 *
 * Follows the Intel SDM Vol. 3A 6.10 "Interrupt Descriptor Table", 6.14.1
 * "64-Bit Mode IDT" (Figure 6-8: a gate is 16 bytes) and 6.12.1.1
 * "Protection of Exception- and Interrupt-Handler Procedures" (the gate's
 * DPL is checked for INT n, never for exceptions and hardware interrupts).
 */
#include "labs/02-traps/lab02.h"

/* A 64-bit interrupt gate, as the CPU reads it (Figure 6-8). */
struct gate {
	uint16_t offset_lo;  /* handler bits 15:0 */
	uint16_t selector;   /* code segment of the handler */
	uint8_t ist;	     /* bits 2:0: interrupt stack table index, 0 = none */
	uint8_t type_attr;   /* bit 7 P, bits 6:5 DPL, bit 4 0, bits 3:0 type */
	uint16_t offset_mid; /* bits 31:16 */
	uint32_t offset_hi;  /* bits 63:32 */
	uint32_t reserved;
} __attribute__((packed));

static struct gate lab02_idt[256] __attribute__((aligned(16)));

/*
 * Fill idt[vector] so that the CPU runs `handler` in KERNEL_CS: an
 * interrupt gate (type 0xE: IF is cleared on entry), present, with the
 * given DPL (0: only the CPU and the kernel may use it; 3: user code may
 * reach it with INT n).
 */
void idt_set_gate(int vector, uint64_t handler, int dpl)
{
	struct gate *g = &lab02_idt[vector];

	/* BEGIN SOLUTION: split handler into offset_lo/mid/hi; selector = KERNEL_CS; ist = 0; type_attr = P (0x80) | DPL << 5 | 0xE */
	g->offset_lo = (uint16_t)handler;
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_hi = (uint32_t)(handler >> 32);
	g->selector = KERNEL_CS;
	g->ist = 0;
	g->type_attr = (uint8_t)(0x80 | (dpl & 3) << 5 | 0xE);
	g->reserved = 0;
	/* HANDOUT: (void)g; (void)handler; (void)dpl; */
	/* END SOLUTION */
}

void idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(lab02_idt) - 1, (uint64_t)(uintptr_t)lab02_idt};

	/* Exceptions and IRQs: kernel-only gates. */
	for (int v = 0; v < 48; v++)
		idt_set_gate(v, lab02_stubs[v], 0);
	/* BEGIN SOLUTION: the system call gate: vector VEC_SYSCALL, reachable from CPL 3 */
	idt_set_gate(VEC_SYSCALL, lab02_stubs[VEC_SYSCALL], 3);
	/* END SOLUTION */
	__asm__ volatile("lidt %0" : : "m"(idtr));
}
