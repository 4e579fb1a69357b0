/*
 * main.c - the SMP test kernel (run with two CPUs: vmlab --smp 2, QEMU
 * -smp 2; tests/suites/smp.sh compares the two).
 *
 * The bootstrap processor:
 *   1. reads the MP tables (MP spec 1.4 chapter 4) and prints what a PC
 *      must have: the CPUs, the I/O APIC, ISA IRQ 0 on pin 2, ExtINT on
 *      LINT0 and NMI on LINT1;
 *   2. tests its local APIC timer (SDM Vol 3A §11.5.4): one-shot, then
 *      periodic;
 *   3. starts every application processor with INIT, SIPI, SIPI (SDM Vol
 *      3A §9.4.4.1) at the real-mode trampoline (trampoline.S); each AP
 *      enters long mode, prints its APIC ID under a spinlock and waits;
 *   4. sends IPIs: a fixed "ping" to each AP, answered by a "pong", then one
 *      all-excluding-self broadcast;
 *   5. routes ISA IRQ 0 (the PIT) through the I/O APIC to itself, then to
 *      an AP, and IRQ 4 (COM1's transmitter-empty interrupt) to itself.
 * Interrupts arrive in any order and any CPU may run ahead (QEMU's SMP
 * interleaving is not deterministic), so the output says only what must
 * hold: each CPU records into memory, the BSP prints the results in APIC
 * ID order after waiting for them.
 */
#include "samples/lib/boot.h"
#include "samples/lib/exit.h"
#include "samples/lib/io.h"
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"
#include "samples/lib/string.h"
#include "samples/smp/smp.h"

int sample_main(uint32_t magic, uint32_t mbi_phys);
void irq_handler(uint64_t vector);
void ap_main(void);

#define TRAMP_ADDR 0x8000
#define SPIN_LIMIT 100000000ul

/* ---- per-CPU records ----------------------------------------------------- */

static volatile uint32_t seen[MAX_CPUS][8]; /* interrupts by CPU, vector - 0x40 */
static volatile uint32_t spurious;
static volatile int online[MAX_CPUS];
static volatile uint8_t bsp_id;
static int failures;

/* ---- a spinlock (XCHG is atomic with a memory operand: SDM Vol 3A §9.1.2.1) */

static volatile uint32_t print_lock;

static void lock(volatile uint32_t *l)
{
	uint32_t v = 1;

	for (;;) {
		__asm__ volatile("xchg %0, %1" : "+r"(v), "+m"(*l) : : "memory");
		if (!v)
			return;
		while (*l)
			__asm__ volatile("pause");
		v = 1;
	}
}

static void unlock(volatile uint32_t *l)
{
	__asm__ volatile("" ::: "memory");
	*l = 0;
}

/* ---- the IDT: exceptions to the sample library, our vectors to irq.S ----- */

struct gate {
	uint16_t lo, sel;
	uint8_t ist, attr;
	uint16_t mid;
	uint32_t hi, zero;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));
static struct {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed)) idtr;

extern const uint64_t trap_stubs[32];
extern char irq_stub_0x40[], irq_stub_0x41[], irq_stub_0x42[], irq_stub_0x43[], irq_stub_0x44[],
    irq_stub_0x45[], irq_stub_0xff[];

static void set_gate(int v, uint64_t a)
{
	idt[v] = (struct gate){(uint16_t)a,	    SEL_CODE64,		 0, 0x8e,
			       (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0};
}

static void idt_init(void)
{
	for (int v = 0; v < 32; v++)
		set_gate(v, trap_stubs[v]);
	set_gate(V_TIMER, (uintptr_t)irq_stub_0x40);
	set_gate(V_PING, (uintptr_t)irq_stub_0x41);
	set_gate(V_PONG, (uintptr_t)irq_stub_0x42);
	set_gate(V_PIT, (uintptr_t)irq_stub_0x43);
	set_gate(V_UART, (uintptr_t)irq_stub_0x44);
	set_gate(V_BCAST, (uintptr_t)irq_stub_0x45);
	set_gate(V_SPURIOUS, (uintptr_t)irq_stub_0xff);
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uintptr_t)idt;
}

static void idt_load(void)
{
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void irq_handler(uint64_t vector)
{
	unsigned me = lapic_id();

	if (vector == V_SPURIOUS) {
		spurious++; /* no EOI for the spurious vector (SDM §11.9) */
		return;
	}
	if (me < MAX_CPUS)
		seen[me][vector - 0x40]++;
	if (vector == V_PING)
		lapic_ipi(bsp_id, V_PONG); /* answer: fixed, physical */
	if (vector == V_UART) {
		(void)inb(0x3fa); /* IIR: reading it clears the THRE source */
		outb(0x3f9, 0);	  /* and no more of them */
	}
	lapic_write(APIC_EOI, 0);
}

/* ---- waiting ----------------------------------------------------------------- */

/* Sleep until `*count` reaches n (interrupts enabled only inside HLT: STI's
 * shadow makes "STI; HLT" race-free, SDM Vol 2B STI). */
static int wait_irq(volatile uint32_t *count, uint32_t n)
{
	for (unsigned long i = 0; *count < n; i++) {
		if (i > 10000000)
			return 0;
		__asm__ volatile("sti; hlt; cli");
	}
	return 1;
}

static int spin_until(volatile int *flag)
{
	for (unsigned long i = 0; !*flag; i++) {
		if (i > SPIN_LIMIT)
			return 0;
		__asm__ volatile("pause");
	}
	return 1;
}

static void delay(unsigned long n)
{
	for (volatile unsigned long i = 0; i < n; i++)
		__asm__ volatile("pause");
}

static void check(const char *what, int ok)
{
	printf("[smp] %-52s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* ---- 1. the MP tables ---------------------------------------------------- */

static struct mp_info mp;

static void test_mptable(void)
{
	mp_scan(&mp);
	check("mp: floating pointer found", mp.found);
	check("mp: configuration table checksum", mp.table_ok);
	printf("[smp] mp: spec 1.%d, %d processors\n", mp.spec_rev, mp.ncpus);
	check("mp: the BSP entry is this CPU", mp.bsp_id == (int)lapic_id());
	check("mp: I/O APIC at 0xfec00000", mp.ioapic_addr == IOAPIC_ADDR);
	check("mp: ISA IRQ 0 -> I/O APIC pin 2", mp.irq_pin[0] == 2);
	check("mp: ISA IRQ 4 -> I/O APIC pin 4", mp.irq_pin[4] == 4);
	check("mp: ExtINT on LINT0, NMI on LINT1", mp.lint0_extint && mp.lint1_nmi);
}

/* ---- 2. the local APIC timer ---------------------------------------------- */

static void test_timer(void)
{
	volatile uint32_t *ticks = &seen[bsp_id][V_TIMER - 0x40];
	uint32_t ccr, ccr2;

	/* Counting down: a long count (0.1 s at divide-by-1), read twice.
	 * (QEMU's timer runs on host time, which a busy host may stall for a
	 * while: no test here depends on how much time passed.) */
	lapic_write(APIC_TIMER_DCR, 0xb); /* divide by 1 */
	lapic_write(APIC_LVT_TIMER, APIC_MASKED | V_TIMER);
	lapic_write(APIC_TIMER_ICR, 100000000);
	ccr = lapic_read(APIC_TIMER_CCR);
	delay(1000);
	ccr2 = lapic_read(APIC_TIMER_CCR);
	check("timer: the current count counts down", ccr <= 100000000 && ccr2 < ccr);
	lapic_write(APIC_TIMER_ICR, 0);

	/* One-shot: 20000 counts at divide-by-16. */
	lapic_write(APIC_TIMER_DCR, 0x3);
	lapic_write(APIC_LVT_TIMER, V_TIMER);
	lapic_write(APIC_TIMER_ICR, 20000);
	check("timer: one-shot interrupt", wait_irq(ticks, 1));
	check("timer: one-shot current count ends at 0", lapic_read(APIC_TIMER_CCR) == 0);
	delay(100000);
	check("timer: one-shot fires once", *ticks == 1);

	lapic_write(APIC_LVT_TIMER, APIC_PERIODIC | V_TIMER);
	lapic_write(APIC_TIMER_ICR, 10000);
	check("timer: periodic, 5 interrupts", wait_irq(ticks, 6));
	lapic_write(APIC_LVT_TIMER, APIC_MASKED);
	lapic_write(APIC_TIMER_ICR, 0);
	check("timer: stopped by initial count 0", lapic_read(APIC_TIMER_CCR) == 0);
}

/* ---- 3. starting the application processors ---------------------------------- */

extern char tramp_start[], tramp_end[], tramp_gdtr[], tramp_cr3[], tramp_stack[];
extern char boot_gdtr[];
static uint8_t ap_stacks[MAX_CPUS][8192] __attribute__((aligned(16)));

void ap_main(void)
{
	unsigned me;

	idt_load();
	lapic_setup();
	me = lapic_id();
	lock(&print_lock);
	printf("[smp] ap: APIC ID %u is up, in long mode\n", me);
	unlock(&print_lock);
	if (me < MAX_CPUS)
		online[me] = 1;
	for (;;)
		__asm__ volatile("sti; hlt");
}

static void start_ap(uint8_t id, int slot)
{
	uint8_t *t = (uint8_t *)TRAMP_ADDR;
	uint64_t cr3;

	memcpy(t, tramp_start, (size_t)(tramp_end - tramp_start));
	/* The trampoline's data: GDTR (limit, 32-bit base), CR3, stack. */
	memcpy(t + (tramp_gdtr - tramp_start), boot_gdtr, 6);
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	*(uint32_t *)(t + (tramp_cr3 - tramp_start)) = (uint32_t)cr3;
	*(uint64_t *)(t + (tramp_stack - tramp_start)) =
	    (uintptr_t)&ap_stacks[slot][sizeof(ap_stacks[slot])];

	lapic_write(APIC_ESR, 0);
	lapic_ipi(id, 0x4500); /* INIT, level assert */
	delay(10000);
	lapic_ipi(id, 0x8500); /* INIT level de-assert */
	delay(10000);
	for (int i = 0; i < 2; i++) { /* SIPI twice, vector 08h -> 0x8000 */
		lapic_ipi(id, 0x4600 | (TRAMP_ADDR >> 12));
		delay(2000);
	}
}

static void start_aps(void)
{
	int n = 0;

	for (int i = 0; i < mp.ncpus; i++) {
		uint8_t id = mp.cpu_id[i];

		if (id == bsp_id || id >= MAX_CPUS)
			continue;
		start_ap(id, i);
		/* One AP at a time: it prints before the next one starts. */
		if (spin_until(&online[id]))
			n++;
	}
	lock(&print_lock);
	check("ap: every processor of the MP table started", n == mp.ncpus - 1);
	unlock(&print_lock);
}

/* ---- 4. IPIs ---------------------------------------------------------------------- */

static void test_ipis(void)
{
	volatile uint32_t *pong = &seen[bsp_id][V_PONG - 0x40];
	int ok = 1;

	for (int i = 0, k = 0; i < mp.ncpus; i++) {
		uint8_t id = mp.cpu_id[i];

		if (id == bsp_id || id >= MAX_CPUS)
			continue;
		lapic_ipi(id, V_PING); /* fixed, physical, edge */
		k++;
		ok &= wait_irq(pong, (uint32_t)k);
	}
	check("ipi: each AP answered a fixed IPI", ok);
	lapic_write(APIC_ICR_LO, 0xc0000 | V_BCAST); /* all excluding self */
	delay(200000);
	ok = seen[bsp_id][V_BCAST - 0x40] == 0;
	for (int i = 0; i < mp.ncpus; i++) {
		uint8_t id = mp.cpu_id[i];

		if (id != bsp_id && id < MAX_CPUS) {
			for (unsigned long s = 0; !seen[id][V_BCAST - 0x40] && s < SPIN_LIMIT; s++)
				__asm__ volatile("pause");
			ok &= seen[id][V_BCAST - 0x40] == 1;
		}
	}
	check("ipi: all-excluding-self reached the others only", ok);
}

/* ---- 5. the I/O APIC ---------------------------------------------------------------- */

static void test_ioapic(void)
{
	uint32_t ver = ioapic_read(0x01);
	int pit_pin = mp.irq_pin[0] >= 0 ? mp.irq_pin[0] : 2;
	volatile uint32_t *pit0 = &seen[bsp_id][V_PIT - 0x40];
	int ap = -1, ok = 1;

	/* QEMU 7.2 models version 20h, vmlab the 82093AA's 11h: masked. */
	printf("[smp] ~ ioapic: version %02x, %u pins\n", ver & 0xff, ((ver >> 16) & 0xff) + 1);
	for (int i = 0; i < 24; i++)
		ioapic_route(i, 0x30, 0, 1); /* everything masked */

	/* The PIT, mode 2, about 1 kHz, to this CPU. */
	outb(0x43, 0x34);
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);
	ioapic_route(pit_pin, V_PIT, bsp_id, 0);
	check("ioapic: PIT (IRQ 0) to the BSP, 3 interrupts", wait_irq(pit0, 3));
	ioapic_route(pit_pin, V_PIT, bsp_id, 1);

	/* Then to the first AP. */
	for (int i = 0; i < mp.ncpus; i++)
		if (mp.cpu_id[i] != bsp_id && mp.cpu_id[i] < MAX_CPUS && ap < 0)
			ap = mp.cpu_id[i];
	if (ap >= 0) {
		volatile uint32_t *c = &seen[ap][V_PIT - 0x40];
		unsigned long s;

		ioapic_route(pit_pin, V_PIT, (uint8_t)ap, 0);
		for (s = 0; *c < 3 && s < SPIN_LIMIT; s++)
			__asm__ volatile("pause");
		ok = *c >= 3;
		ioapic_route(pit_pin, V_PIT, (uint8_t)ap, 1);
	}
	check("ioapic: PIT (IRQ 0) to an AP, 3 interrupts", ap >= 0 && ok);
	outb(0x43, 0x30); /* PIT back to a one-shot that never ends */
	outb(0x40, 0);
	outb(0x40, 0);

	/* COM1: transmitter-empty interrupt, OUT2 opens the IRQ line. */
	ioapic_route(4, V_UART, bsp_id, 0);
	outb(0x3fc, inb(0x3fc) | 0x08);
	outb(0x3f9, 0x02);
	check("ioapic: COM1 (IRQ 4) to the BSP", wait_irq(&seen[bsp_id][V_UART - 0x40], 1));
	ioapic_route(4, V_UART, bsp_id, 1);
}

/* ---- the results, in APIC ID order ---------------------------------------------------- */

static void report(void)
{
	for (int id = 0; id < MAX_CPUS; id++) {
		int cpu = 0;

		for (int i = 0; i < mp.ncpus; i++)
			cpu |= mp.cpu_id[i] == id;
		if (!cpu)
			continue;
		printf("[smp] cpu APIC ID %d: %s, timer %s, ping %u, pong %u, "
		       "broadcast %u, PIT %s\n",
		       id, id == bsp_id ? "BSP" : (online[id] ? "AP online" : "AP missing"),
		       seen[id][0] ? "yes" : "no", seen[id][V_PING - 0x40], seen[id][V_PONG - 0x40],
		       seen[id][V_BCAST - 0x40], seen[id][V_PIT - 0x40] >= 3 ? ">= 3" : "< 3");
	}
	printf("[smp] spurious interrupts: %s\n", spurious ? "some" : "none");
}

int sample_main(uint32_t magic, uint32_t mbi_phys)
{
	(void)magic;
	(void)mbi_phys;
	serial_init();
	/* The 8259 pair stays out: every IRQ masked (the firmware may have
	 * left the PIT running on its IRQ 0). */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_map();
	idt_init();
	idt_load();
	lapic_setup();
	bsp_id = (uint8_t)lapic_id();
	printf("[smp] SMP test kernel: local APIC, MP tables, INIT-SIPI-SIPI, IPIs, I/O APIC\n");

	test_mptable();
	test_timer();
	start_aps();
	test_ipis();
	test_ioapic();
	report();
	printf("[smp] %s\n", failures ? "FAILED" : "all checks passed");
	return failures ? EXIT_FAIL : EXIT_OK;
}
