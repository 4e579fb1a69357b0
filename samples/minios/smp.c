/*
 * smp.c - minios on more than one CPU: start the application processors
 * the MP table lists, and the SMP work the "smp" command and the self-test
 * run on all of them.
 *
 * Start-up (Intel SDM Vol. 3A §9.4.4.1, MP spec 1.4 Appendix B.4): copy
 * trampoline.S below 1 MiB, then per AP an INIT IPI, a 10 ms wait, a
 * start-up IPI (vector = the trampoline's page number) and, if the AP has
 * not reported in, a second one.  Each AP loads its own GDT/TSS and the
 * IDT, software-enables its local APIC (SVR bit 8, LINT0 masked: only the
 * BSP takes ISA interrupts) and sleeps in HLT until an IPI wakes it.
 *
 * The work is the same on every CPU and its results are collected per CPU
 * and printed by the BSP in CPU order, so the output does not depend on
 * how the CPUs interleave (QEMU's SMP is not deterministic):
 *   - count the primes below 10000 * (cpu + 1) (pi(x) is a published table)
 *   - take a shared spinlock (XCHG, SDM Vol. 2 "LOCK prefix ... implicit
 *     for XCHG") LOCK_ROUNDS times and increment a shared counter
 *   - the BSP pings every CPU (itself too) with a fixed IPI PINGS times;
 *     each ping is answered with an IPI back to the BSP
 */
#include "samples/minios/kernel.h"

#define TRAMP_ADDR  0x8000
#define AP_STACK    8192
#define LOCK_ROUNDS 20000
#define PINGS	    10

extern const char tramp_start[], tramp_end[], tramp_cr3[], tramp_stack[];

struct cpu {
	volatile int online;
	unsigned apic_id;
	volatile u32 pings, pongs; /* IPIs this CPU received */
	volatile u32 primes, rounds, done_gen;
};
static struct cpu cpus[MAX_CPUS];
int ncpus_online = 1;
static volatile int ap_starting;    /* the index the AP being started takes */
static volatile u32 work_gen;	    /* bumped by the BSP: "run the work" */
static volatile u32 lock_word;	    /* 0 free, 1 held */
static volatile u32 shared_counter; /* only changed under lock_word */

static void spin_lock(volatile u32 *l)
{
	u32 v;
	do {
		while (*l)
			__asm__ volatile("pause");
		v = 1;
		__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*l) : : "memory");
	} while (v);
}

static void spin_unlock(volatile u32 *l)
{
	__asm__ volatile("" ::: "memory");
	*l = 0;
}

static int cpu_index(void)
{
	unsigned id = lapic_id();
	for (int i = 0; i < ncpus_online; i++)
		if (cpus[i].apic_id == id)
			return i;
	return 0;
}

/* trial division: pi(n) */
static u32 count_primes(u32 n)
{
	u32 c = 0;
	for (u32 i = 2; i < n; i++) {
		int prime = 1;
		for (u32 d = 2; d * d <= i; d++)
			if (i % d == 0) {
				prime = 0;
				break;
			}
		c += prime;
	}
	return c;
}

static void smp_work(int i)
{
	cpus[i].primes = count_primes(10000 * (u32)(i + 1));
	for (int r = 0; r < LOCK_ROUNDS; r++) {
		spin_lock(&lock_word);
		u32 v = shared_counter; /* a read-modify-write only the lock protects */
		__asm__ volatile("" ::: "memory");
		shared_counter = v + 1;
		spin_unlock(&lock_word);
	}
	cpus[i].rounds = LOCK_ROUNDS;
}

/* IPI handler, on any CPU: a ping is answered with a pong to the BSP. */
void smp_ipi(u32 vector)
{
	int i = cpu_index();
	if (vector == V_PING) {
		cpus[i].pings++;
		lapic_write(LAPIC_ICR_HI, cpus[0].apic_id << 24);
		lapic_write(LAPIC_ICR_LO, V_PONG); /* fixed, physical */
	} else {
		cpus[i].pongs++;
	}
}

/* An AP's C entry, from trampoline.S with paging on and a stack of its own. */
void ap_main(void) __attribute__((noreturn));
void ap_main(void)
{
	int i = ap_starting;
	trap_init_ap(i);
	lapic_write(LAPIC_SVR, 0x100 | 0xFF); /* software enable, spurious 0xFF */
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_MASKED | 0x700);
	lapic_write(LAPIC_LVT_LINT1, 0x400);
	lapic_write(LAPIC_LVT_ERROR, LAPIC_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_MASKED);
	cpus[i].apic_id = lapic_id();
	__asm__ volatile("lock; addl $0, (%%esp)" ::: "memory"); /* a full fence, i686 too */
	cpus[i].online = 1;					 /* report in */
	u32 seen = 0;
	for (;;) {
		cli();
		if (work_gen != seen) {
			seen = work_gen;
			sti();
			smp_work(i);
			cpus[i].done_gen = seen;
			continue;
		}
		wait_irq(); /* STI; HLT: an IPI wakes us */
	}
}

static int wait_ticks(volatile int *flag, u32 n)
{
	u32 t0 = ticks;
	while (!*flag && ticks - t0 < n)
		__asm__ volatile("pause");
	return *flag;
}

void smp_init(void)
{
	cpus[0].apic_id = lapic_id();
	cpus[0].online = 1;
	if (!mp.found || mp.ncpus < 2)
		return;
	memcpy((void *)TRAMP_ADDR, tramp_start, (size_t)(tramp_end - tramp_start));
	u32 cr3;
	__asm__ volatile("movl %%cr3, %0" : "=r"(cr3));
	*(volatile u32 *)(TRAMP_ADDR + (tramp_cr3 - tramp_start)) = cr3;
	for (int k = 0; k < mp.ncpus && ncpus_online < MAX_CPUS; k++) {
		unsigned id = mp.cpu_apic_id[k];
		if (id == cpus[0].apic_id)
			continue;
		int i = ncpus_online;
		u8 *stack = kmalloc(AP_STACK);
		if (!stack)
			break;
		*(volatile u32 *)(TRAMP_ADDR + (tramp_stack - tramp_start)) = (u32)stack + AP_STACK;
		ap_starting = i;
		cpus[i].online = 0;
		lapic_write(LAPIC_ESR, 0);
		lapic_send_ipi(id, 0x4500); /* INIT */
		timer_sleep(2);		    /* at least 10 ms */
		for (int s = 0; s < 2 && !cpus[i].online; s++) {
			lapic_send_ipi(id, 0x4600 | (TRAMP_ADDR >> 12)); /* SIPI */
			wait_ticks(&cpus[i].online, s ? 100 : 1);
		}
		if (!cpus[i].online) {
			kprintf("minios: cpu with APIC ID %u did not start\n", id);
			continue;
		}
		ncpus_online++;
	}
}

/* The work on every CPU, then the pings; VERBOSE prints the per-CPU results. */
int smp_run(int verbose)
{
	int fails = 0;
	static const u32 pi[MAX_CPUS] = {1229, 2262, 3245, 4203, 5133, 6057, 6935, 7837};
	shared_counter = 0;
	for (int i = 0; i < ncpus_online; i++)
		cpus[i].pings = cpus[i].pongs = 0;
	u32 gen = ++work_gen;
	for (int i = 1; i < ncpus_online; i++) /* wake the APs */
		lapic_send_ipi(cpus[i].apic_id, V_PONG);
	smp_work(0);
	cpus[0].done_gen = gen;
	for (int i = 1; i < ncpus_online; i++) {
		u32 t0 = ticks;
		while (cpus[i].done_gen != gen && ticks - t0 < 1000)
			__asm__ volatile("pause");
	}
	/* pings: one at a time, each waits for its answer */
	for (int i = 0; i < ncpus_online; i++)
		for (int n = 0; n < PINGS; n++) {
			u32 want = cpus[0].pongs + 1, t0 = ticks;
			lapic_send_ipi(cpus[i].apic_id, V_PING);
			while (cpus[0].pongs < want && ticks - t0 < 100)
				__asm__ volatile("pause");
		}
	for (int i = 1; i < ncpus_online; i++) /* the wake-ups above count as pongs */
		cpus[i].pongs = 0;
	for (int i = 0; i < ncpus_online; i++) {
		struct cpu *c = &cpus[i];
		int ok = c->done_gen == gen && c->primes == pi[i] && c->rounds == LOCK_ROUNDS &&
			 c->pings == PINGS;
		if (verbose)
			kprintf("smp: cpu %d: %u primes below %u, %u lock rounds, %u pings%s\n", i,
				c->primes, 10000 * (i + 1), c->rounds, c->pings,
				ok ? "" : " WRONG");
		fails += !ok;
	}
	u32 want = (u32)ncpus_online * LOCK_ROUNDS;
	if (verbose)
		kprintf("smp: %d CPUs, shared counter %u (expected %u), %u pongs at cpu 0\n",
			ncpus_online, shared_counter, want, cpus[0].pongs);
	fails += shared_counter != want;
	fails += cpus[0].pongs != (u32)ncpus_online * PINGS;
	return fails;
}
