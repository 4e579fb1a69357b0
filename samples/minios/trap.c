/*
 * trap.c - minios's descriptor tables and interrupt dispatch.
 *
 *   GDT  flat ring-0 and ring-3 code/data segments and a 32-bit TSS whose
 *        SS0:ESP0 is the stack the CPU switches to when an interrupt
 *        arrives in ring 3 (Intel SDM Vol. 3A §3.4.5, §9.2, §7.12.1);
 *   IDT  interrupt gates for the 32 exceptions, the 16 PIC IRQs remapped
 *        to vectors 32-47, and a DPL-3 gate for int 0x80, the system call
 *        (a ring-3 INT n through a DPL-0 gate would be #GP, §7.12.1.1);
 *   PIC  the two 8259As re-initialised with ICW1-ICW4 so IRQs 0-15 do not
 *        collide with the exceptions (8259A datasheet, "Initialization
 *        Command Words"); non-specific EOI (OCW2 = 0x20) after each IRQ;
 *   I/O APIC when the MP table describes one (apic.c), the same vectors
 *        32-47 arrive through it and end with a local APIC EOI, and the
 *        8259s are masked; vectors 48/49 are the IPIs smp.c sends.
 */
#include "samples/minios/kernel.h"

struct gdt_entry {
	u16 limit_lo, base_lo;
	u8 base_mid, access, flags_limit_hi, base_hi;
} __attribute__((packed));

struct idt_gate {
	u16 offset_lo, selector;
	u8 zero, type_attr; /* P, DPL, 0, type (0xE = 32-bit interrupt gate) */
	u16 offset_hi;
} __attribute__((packed));

struct tss32 { /* SDM Vol. 3A Figure 9-2 */
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap_base;
} __attribute__((packed));

static struct gdt_entry gdt[6];
static struct idt_gate idt[256];
static struct tss32 tss;
static irq_handler irq_handlers[16];
extern const u32 trap_stubs[52]; /* entry.S */
/* the application processors' own GDTs and TSSs (smp.c starts them) */
static struct gdt_entry ap_gdt[MAX_CPUS][6];
static struct tss32 ap_tss[MAX_CPUS];
int irq_via_ioapic; /* 1: ISA IRQs come through the I/O APIC, EOI to the local APIC */

u32 exc_count[32];
u32 irq_count[16];
volatile u32 fixup_eip, fixup_vector, fixup_error, fixup_cr2;

static const char *const exc_name[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound",
    "#UD invalid opcode",
    "#NM no FPU",
    "#DF double fault",
    "FPU segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
};

static void gdt_set(struct gdt_entry *g, u32 base, u32 limit, u8 access, u8 flags)
{
	g->limit_lo = limit & 0xffff;
	g->base_lo = base & 0xffff;
	g->base_mid = (base >> 16) & 0xff;
	g->access = access;
	g->flags_limit_hi = (u8)(flags << 4) | ((limit >> 16) & 0x0f);
	g->base_hi = base >> 24;
}

static void idt_set(int v, u32 handler, int dpl)
{
	idt[v].offset_lo = handler & 0xffff;
	idt[v].selector = SEL_KCODE;
	idt[v].zero = 0;
	idt[v].type_attr = 0x80 | (dpl << 5) | 0x0E; /* present, 32-bit interrupt gate */
	idt[v].offset_hi = handler >> 16;
}

void tss_set_esp0(u32 esp0)
{
	tss.esp0 = esp0;
}

/* ---- 8259A PIC pair ----------------------------------------------------- */
static u16 pic_mask = 0xFFFB; /* all masked but the cascade (IRQ 2) */

static void pic_write_mask(void)
{
	outb(0x21, pic_mask & 0xff);
	outb(0xA1, pic_mask >> 8);
}

/* Let IRQ n in: at the 8259, or at its I/O APIC pin once irq_use_ioapic ran. */
void pic_unmask(int irq)
{
	u32 f = irq_save();
	pic_mask &= ~(1u << irq);
	if (irq_via_ioapic)
		ioapic_unmask_irq(irq);
	else
		pic_write_mask();
	irq_restore(f);
}

/*
 * Changing the interrupt path loses requests: an ISA line that is already
 * high when its I/O APIC pin opens gives no edge (82093AA datasheet
 * §3.2.4: edges on a masked pin are ignored), and the 8259 we come back to
 * may have latched a stale one.  So after the switch every device that
 * holds its line high until served is made to send a fresh edge: the UART
 * (console_rearm) and the keyboard controller (a byte waiting in its
 * output buffer is taken now).  The PIT pulses by itself; the IDE driver
 * waits with a timeout and is idle when the shell switches.
 */
void irq_rearm(void)
{
	console_rearm();
	kbd_rearm();
}

/*
 * Symmetric I/O mode (MP spec 1.4 §3.6.2.3): mask every 8259 input and
 * the local APIC's LINT0 (the 8259's way in), then open the I/O APIC pin
 * of each IRQ a driver already unmasked.  From here on an IRQ ends with an
 * EOI to the local APIC, not to the 8259.  minios does this at boot when
 * the MP table names an I/O APIC (main.c); the "pic" command goes back.
 */
void irq_use_ioapic(void)
{
	u32 f = irq_save();
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_MASKED | 0x700);
	irq_via_ioapic = 1;
	for (int irq = 0; irq < 16; irq++)
		if (irq != 2 && !(pic_mask & (1u << irq)))
			ioapic_unmask_irq(irq);
	irq_rearm();
	irq_restore(f);
}

static void pic_init(void)
{
	outb(0x20, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
	outb(0xA0, 0x11);
	outb(0x21, 32); /* ICW2: master vectors 32-39 */
	outb(0xA1, 40); /*       slave vectors 40-47 */
	outb(0x21, 4);	/* ICW3: a slave on IR2 */
	outb(0xA1, 2);	/*       the slave's identity: 2 */
	outb(0x21, 1);	/* ICW4: 8086 mode, normal EOI */
	outb(0xA1, 1);
	pic_write_mask();
}

void irq_set_handler(int irq, irq_handler h)
{
	irq_handlers[irq] = h;
}

/*
 * The local APIC sits between the 8259 and the CPU: after reset it is
 * enabled in IA32_APIC_BASE but its LINT0 entry is masked, so the PIC's
 * INTR never reaches the core.  A PC BIOS usually programs "virtual wire
 * mode" (MultiProcessor Specification 1.4 §3.6.2.2: LINT0 = ExtINT, LINT1
 * = NMI); we do it ourselves rather than count on that (Intel SDM Vol. 3A
 * §12.5.1 "Local Vector Table", §12.4.3 the SVR's software enable bit).
 * Returns 1 when a local APIC was found and set up.
 */
int lapic_virtual_wire(void)
{
	u32 a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1));
	if (!(d & (1u << 9))) /* CPUID.01H:EDX.APIC */
		return 0;
	volatile u32 *lapic = (volatile u32 *)LAPIC_BASE;
	if (lapic[0x30 / 4] == 0xFFFFFFFFu) /* version register: nothing there */
		return 0;
	lapic[0xF0 / 4] = 0x100 | 0xFF; /* SVR: APIC software enabled, spurious vector 0xFF */
	lapic[0x350 / 4] = 0x700;	/* LVT LINT0: ExtINT, unmasked */
	lapic[0x360 / 4] = 0x400;	/* LVT LINT1: NMI */
	lapic[0x80 / 4] = 0;		/* TPR: accept everything */
	return 1;
}

static void load_idt(void)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) idtr = {sizeof idt - 1, (u32)idt};
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* LGDT, reload every segment register from it (a far jump for CS), LTR. */
static void load_tables(struct gdt_entry *g, u32 size)
{
	struct {
		u16 limit;
		u32 base;
	} __attribute__((packed)) gdtr = {size - 1, (u32)g};
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n"
			 "1:\tmovw $0x10, %%ax\n\t"
			 "movw %%ax, %%ds\n\tmovw %%ax, %%es\n\tmovw %%ax, %%ss\n\t"
			 "movw %%ax, %%fs\n\tmovw %%ax, %%gs\n\t"
			 "movw $0x28, %%ax\n\tltr %%ax"
			 :
			 : "m"(gdtr)
			 : "eax", "memory");
}

/*
 * An application processor's descriptor tables: a copy of the BSP's GDT
 * whose TSS descriptor points at the AP's own TSS (LTR marks a TSS busy,
 * so two CPUs cannot share one), and the shared IDT.
 */
void trap_init_ap(int cpu)
{
	memcpy(ap_gdt[cpu], gdt, sizeof gdt);
	ap_tss[cpu].ss0 = SEL_KDATA;
	ap_tss[cpu].iomap_base = sizeof ap_tss[cpu];
	gdt_set(&ap_gdt[cpu][5], (u32)&ap_tss[cpu], sizeof ap_tss[cpu] - 1, 0x89, 0x0);
	load_tables(ap_gdt[cpu], sizeof ap_gdt[cpu]);
	load_idt();
}

void trap_init(void)
{
	/* 1. GDT: the same flat segments boot.S used, plus ring 3 and the TSS */
	gdt_set(&gdt[1], 0, 0xFFFFF, 0x9A,
		0xC); /* 0x08 kernel code: P, DPL0, exec/read; 4K granular, 32-bit */
	gdt_set(&gdt[2], 0, 0xFFFFF, 0x92, 0xC); /* 0x10 kernel data */
	gdt_set(&gdt[3], 0, 0xFFFFF, 0xFA, 0xC); /* 0x18 user code: DPL3 */
	gdt_set(&gdt[4], 0, 0xFFFFF, 0xF2, 0xC); /* 0x20 user data: DPL3 */
	tss.ss0 = SEL_KDATA;
	tss.esp0 = 0;		     /* set by user.c before entering ring 3 */
	tss.iomap_base = sizeof tss; /* no I/O bitmap: ring 3 IN/OUT -> #GP */
	gdt_set(&gdt[5], (u32)&tss, sizeof tss - 1, 0x89, 0x0); /* 0x28 available 32-bit TSS */
	load_tables(gdt, sizeof gdt);

	/* 2. IDT: exceptions and IRQs at DPL 0, the system call at DPL 3 */
	for (int v = 0; v < 50; v++)			   /* exceptions, IRQs 0-15, the two IPIs */
		idt_set(v, trap_stubs[v], v == 3 ? 3 : 0); /* int3 allowed in ring 3 */
	idt_set(0x80, trap_stubs[50], 3);
	idt_set(0xFF, trap_stubs[51], 0); /* the local APIC's spurious vector */
	load_idt();

	/* 3. the PIC, everything masked until a driver unmasks its line */
	pic_init();
}

static void exception(struct trapframe *tf)
{
	u32 cr2 = 0;
	exc_count[tf->vector]++;
	if (tf->vector == 14) {
		__asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
		if (mm_page_fault(tf, cr2)) /* demand paging resolved it */
			return;
	}
	if ((tf->cs & 3) == 3) { /* ring 3 did it: kill the program */
		kprintf("minios: user program killed: %s at eip %08x, error %x, cr2 %08x\n",
			exc_name[tf->vector], tf->eip, tf->error, cr2);
		user_kill(tf);
	}
	if (tf->vector == 3) /* int3 in the kernel: count it and go on */
		return;
	if (fixup_eip) { /* a probe expected this: report it, resume at the fixup */
		fixup_vector = tf->vector;
		fixup_error = tf->error;
		fixup_cr2 = cr2;
		tf->eip = fixup_eip;
		fixup_eip = 0;
		return;
	}
	panic("%s at eip %08x, error %x, cr2 %08x", exc_name[tf->vector], tf->eip, tf->error, cr2);
}

/*
 * Back to the 8259, the MP spec's virtual wire mode (§3.6.2.2): mask every
 * I/O APIC pin we opened, LINT0 = ExtINT again, the 8259's mask as the
 * drivers asked for it.
 */
void irq_use_pic(void)
{
	u32 f = irq_save();
	irq_via_ioapic = 0;
	ioapic_mask_all();
	lapic_write(LAPIC_LVT_LINT0, 0x700);
	lapic_eoi(); /* whatever the local APIC holds in service */
	pic_write_mask();
	irq_rearm();
	irq_restore(f);
}

/* Called by entry.S's trap_common for every vector. */
void trap_dispatch(struct trapframe *tf)
{
	if (tf->vector < 32) {
		exception(tf);
	} else if (tf->vector < 48 && irq_via_ioapic) {
		int irq = tf->vector - 32; /* the I/O APIC sends vector 32 + IRQ */
		irq_count[irq]++;
		if (irq_handlers[irq])
			irq_handlers[irq]();
		lapic_eoi();
	} else if (tf->vector < 48) {
		int irq = tf->vector - 32;
		/* IRQ 7 / 15 with the in-service bit clear is spurious: no EOI
		 * for it at that PIC (8259A datasheet, "Spurious interrupts"). */
		if (irq == 7 || irq == 15) {
			outb(irq == 7 ? 0x20 : 0xA0, 0x0B); /* OCW3: read ISR */
			if (!(inb(irq == 7 ? 0x20 : 0xA0) & 0x80)) {
				if (irq == 15)
					outb(0x20, 0x20);
				return;
			}
		}
		irq_count[irq]++;
		if (irq_handlers[irq])
			irq_handlers[irq]();
		if (irq >= 8)
			outb(0xA0, 0x20); /* EOI to the slave, then the master */
		outb(0x20, 0x20);
	} else if (tf->vector == V_PING || tf->vector == V_PONG) {
		smp_ipi(tf->vector); /* an IPI from another CPU (or ourselves) */
		lapic_eoi();
	} else if (tf->vector == 0x80) {
		syscall_dispatch(tf);
	} /* 0xFF: a spurious APIC interrupt, no EOI (SDM Vol. 3A §12.9) */
}
