/*
 * trap.c - the IDT of a sample guest and the C side of exception handling.
 *
 * Follows the Intel SDM Vol. 3A 6.10 "Interrupt Descriptor Table", 6.14.1
 * "64-Bit Mode IDT" (16-byte gate descriptors) and Table 6-1 "Protected-Mode
 * Exceptions and Interrupts".  Only the 32 architectural exception vectors
 * are filled in: samples run with IF = 0 and take no external interrupts.
 */
#include "samples/lib/trap.h"
#include "samples/lib/boot.h"
#include "samples/lib/exit.h"
#include "samples/lib/printf.h"

/* A 64-bit interrupt/trap gate (SDM Vol. 3A Figure 6-8). */
struct idt_gate {
	uint16_t offset_lo;  /* handler address bits 15:0 */
	uint16_t selector;   /* code segment for the handler */
	uint8_t ist;	     /* bits 2:0: interrupt stack table index, 0 = none */
	uint8_t type_attr;   /* P | DPL | 0 | type (0xE = interrupt gate) */
	uint16_t offset_mid; /* bits 31:16 */
	uint32_t offset_hi;  /* bits 63:32 */
	uint32_t reserved;
} __attribute__((packed));

struct idtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t trap_stubs[32];

static struct idt_gate idt[32] __attribute__((aligned(16)));
static trap_hook hook;

static const char *const names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *trap_name(unsigned vector)
{
	return vector < 32 ? names[vector] : "#??";
}

void trap_init(void)
{
	struct idtr r;

	for (int v = 0; v < 32; v++) {
		uint64_t a = trap_stubs[v];

		idt[v].offset_lo = (uint16_t)a;
		idt[v].selector = SEL_CODE64;
		idt[v].ist = 0;
		/* P = 1, DPL = 0, type 0xE: an interrupt gate clears IF on
		 * entry (a trap gate, 0xF, would leave it alone). */
		idt[v].type_attr = 0x8E;
		idt[v].offset_mid = (uint16_t)(a >> 16);
		idt[v].offset_hi = (uint32_t)(a >> 32);
		idt[v].reserved = 0;
	}
	r.limit = sizeof(idt) - 1;
	r.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(r));
}

void trap_set_hook(trap_hook h)
{
	hook = h;
}

void trap_dispatch(struct trap_frame *f)
{
	if (hook && hook(f))
		return;

	/* Nobody expected this one: say what happened, then stop the machine. */
	printf("\n*** unexpected exception %s (vector %lu) error code 0x%lx\n",
	       trap_name((unsigned)f->vector), f->vector, f->error);
	printf("*** rip=0x%lx cs=0x%lx rflags=0x%lx rsp=0x%lx\n", f->rip, f->cs, f->rflags, f->rsp);
	if (f->vector == 14) {
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		printf("*** cr2=0x%lx\n", cr2);
	}
	guest_exit(EXIT_EXCEPTION);
}
