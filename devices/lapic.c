/*
 * lapic.c - the local APICs, xAPIC mode (Intel SDM Vol 3A chapter 11).
 *
 * Each CPU's APIC is a struct lapic_cpu; all of them answer the one MMIO
 * page at 0xFEE00000, dispatched on board->current_cpu (lapic.h).  What is
 * modelled, with its SDM section:
 *   §11.4.6  ID (= CPU index), §11.4.8 version 14h with six LVT entries;
 *   §11.8.3  TPR, PPR and the interrupt acceptance rule: the highest vector
 *            in IRR is dispatched when its priority class (vector[7:4]) is
 *            above PPR[7:4]; INTA moves it from IRR to ISR; EOI clears the
 *            highest ISR bit and, for a level-triggered vector (TMR), tells
 *            the I/O APIC (§11.8.5);
 *   §11.6    the ICR: fixed, lowest priority, NMI, INIT (assert; de-assert
 *            is ignored), start-up; physical and logical (flat and cluster,
 *            LDR/DFR §11.6.2.2) destinations; shorthands self, all
 *            including self, all excluding self;
 *   §11.5.1  LVT timer, thermal, performance counter, LINT0, LINT1, error;
 *   §11.5.3  ESR (write to update) and the error interrupt for illegal
 *            vectors (0-15) sent or received;
 *   §11.5.4  the timer: one-shot and periodic, the divide configuration.
 *            The timer's input clock is 1 GHz of virtual time (QEMU's
 *            choice too), so one count is `divide` nanoseconds;
 *   §11.4.7  software enable (SVR bit 8): while disabled every LVT entry
 *            is masked and fixed interrupts are not accepted.
 * Not modelled: TSC-deadline mode (not advertised by CPUID), x2APIC,
 * relocating the APIC page, the CR8 alias of TPR, SMI.
 *
 * Reset state (§11.4.7.1): all LVT entries masked, DFR all ones, SVR FFh.
 * One deliberate exception, as QEMU does: the BSP's LINT0 comes out of
 * reset in ExtINT mode, unmasked (virtual-wire mode, MP spec §3.6.2.2),
 * so the 8259 reaches the BSP with firmware that never touches the APIC.
 */
#include "devices/lapic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writable bits of each LVT entry (Figure 11-8). */
static const u32 lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x300ff,   /* vector, mask, periodic */
    [LVT_THERMAL] = 0x107ff, /* vector, delivery mode, mask */
    [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff, /* vector, delivery mode, polarity, trigger, mask */
    [LVT_LINT1] = 0x1a7ff,
    [LVT_ERROR] = 0x100ff,
};

/* ESR bits (Figure 11-9). */
enum { ESR_SEND_ILLEGAL = BIT(5), ESR_RECV_ILLEGAL = BIT(6), ESR_ILLEGAL_REG = BIT(7) };

/* ---- 256-bit vectors: IRR, ISR, TMR -------------------------------------- */

static void vec_set(u32 *v, u8 n)
{
	v[n >> 5] |= 1u << (n & 31);
}

static void vec_clear(u32 *v, u8 n)
{
	v[n >> 5] &= ~(1u << (n & 31));
}

static bool vec_test(const u32 *v, u8 n)
{
	return v[n >> 5] >> (n & 31) & 1;
}

/* Highest set bit, or -1. */
static int vec_highest(const u32 *v)
{
	for (int i = 7; i >= 0; i--)
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

/* ---- priorities (§11.8.3.1) ------------------------------------------------- */

/* PPR = TPR when TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
static u32 ppr(const struct lapic_cpu *a)
{
	int isrv = vec_highest(a->isr);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	return (a->tpr & 0xf0) >= isr_class ? a->tpr & 0xff : isr_class;
}

static bool sw_enabled(const struct lapic_cpu *a)
{
	return a->hw_enabled && (a->svr & APIC_SVR_ENABLE);
}

/* ---- the timer (§11.5.4) ----------------------------------------------------- */

/* Divide configuration bits 0,1,3 -> log2 of the divisor: 0000b = 2 ...
 * 0111b = 128, 1011b = 1 (Figure 11-10). */
static unsigned timer_shift(const struct lapic_cpu *a)
{
	unsigned v = (a->timer_dcr & 3) | ((a->timer_dcr >> 1) & 4);

	return (v + 1) & 7;
}

static bool timer_periodic(const struct lapic_cpu *a)
{
	return a->lvt[LVT_TIMER] & APIC_TIMER_PERIODIC;
}

/* Counts elapsed since the load, in divided clocks. */
static u64 timer_elapsed(const struct lapic_cpu *a)
{
	return (board_now_ns(a->l->board) - a->timer_start_ns) >> timer_shift(a);
}

static u32 timer_current(const struct lapic_cpu *a)
{
	u64 d;

	if (!a->timer_initial)
		return 0;
	d = timer_elapsed(a);
	if (timer_periodic(a))
		return a->timer_initial - (u32)(d % a->timer_initial);
	return d >= a->timer_initial ? 0 : a->timer_initial - (u32)d;
}

/* Arm the vtimer for the next time the count reaches zero. */
static void timer_rearm(struct lapic_cpu *a)
{
	struct board *b = a->l->board;
	u64 k;

	if (!a->timer_initial) {
		vtimer_cancel(b, &a->timer);
		return;
	}
	k = 1;
	if (timer_periodic(a))
		k = timer_elapsed(a) / a->timer_initial + 1;
	else if (timer_elapsed(a) >= a->timer_initial) {
		vtimer_cancel(b, &a->timer); /* one-shot already expired */
		return;
	}
	vtimer_arm(b, &a->timer, a->timer_start_ns + ((k * a->timer_initial) << timer_shift(a)));
}

static void accept(struct lapic_cpu *a, enum apic_delivery mode, u8 vector, bool level);

static void timer_fire(void *opaque)
{
	struct lapic_cpu *a = opaque;
	u32 lvt = a->lvt[LVT_TIMER];

	if (!(lvt & APIC_LVT_MASKED))
		accept(a, APIC_DM_FIXED, lvt & 0xff, false);
	if (timer_periodic(a))
		timer_rearm(a);
}

/* ---- errors (§11.5.3) -------------------------------------------------------- */

static void error_raise(struct lapic_cpu *a, u32 bits)
{
	u32 lvt = a->lvt[LVT_ERROR];

	a->esr_pending |= bits;
	if (!(lvt & APIC_LVT_MASKED) && (lvt & 0xff) >= 16)
		accept(a, APIC_DM_FIXED, lvt & 0xff, false);
}

/* ---- reset ------------------------------------------------------------------- */

static void apic_reset(struct lapic_cpu *a)
{
	a->id = (u8)a->index;
	a->tpr = a->ldr = a->esr = a->esr_pending = 0;
	a->dfr = 0xffffffff;
	a->svr = 0xff;
	memset(a->irr, 0, sizeof(a->irr));
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	a->icr_lo = a->icr_hi = 0;
	for (int i = 0; i < LVT_COUNT; i++)
		a->lvt[i] = APIC_LVT_MASKED;
	if (a->index == 0)
		a->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8; /* see the header comment */
	a->timer_initial = a->timer_dcr = 0;
	a->timer_start_ns = 0;
	vtimer_cancel(a->l->board, &a->timer);
}

/* ---- receiving an interrupt message ---------------------------------------- */

static void accept(struct lapic_cpu *a, enum apic_delivery mode, u8 vector, bool level)
{
	struct lapic *l = a->l;

	if (!a->hw_enabled)
		return;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (!sw_enabled(a))
			return; /* held off while software-disabled (§11.4.7.2) */
		if (vector < 16) {
			error_raise(a, ESR_RECV_ILLEGAL);
			return;
		}
		vec_set(a->irr, vector);
		if (level)
			vec_set(a->tmr, vector);
		else
			vec_clear(a->tmr, vector);
		return;
	case APIC_DM_NMI:
		if (l->signal)
			l->signal(l->signal_opaque, a->index, LAPIC_SIGNAL_NMI, 0);
		return;
	case APIC_DM_INIT:
		/* INIT resets the APIC except its ID (§11.4.7.3), then the CPU. */
		apic_reset(a);
		if (l->signal)
			l->signal(l->signal_opaque, a->index, LAPIC_SIGNAL_INIT, 0);
		return;
	case APIC_DM_SIPI:
		if (l->signal)
			l->signal(l->signal_opaque, a->index, LAPIC_SIGNAL_SIPI, vector);
		return;
	default: return; /* SMI, ExtINT: not carried as messages here */
	}
}

/* Does APIC a answer destination `dest` (§11.6.2)? */
static bool dest_match(const struct lapic_cpu *a, u8 dest, bool logical)
{
	u8 ldr = a->ldr >> 24;

	if (dest == LAPIC_BROADCAST)
		return true;
	if (!logical)
		return a->id == dest;
	if ((a->dfr >> 28) == 0xf) /* flat model: one bit per APIC */
		return (ldr & dest) != 0;
	/* cluster model: cluster in [7:4], one bit per member in [3:0] */
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

void lapic_deliver(struct lapic *l, u8 dest, bool logical, enum apic_delivery mode, u8 vector,
		   bool level)
{
	if (mode == APIC_DM_LOWEST) {
		/* Lowest priority: the matching APIC with the lowest TPR wins,
		 * ties to the lowest ID (a simple, deterministic arbitration). */
		struct lapic_cpu *best = NULL;

		for (int i = 0; i < l->ncpus; i++) {
			struct lapic_cpu *a = &l->cpu[i];

			if (sw_enabled(a) && dest_match(a, dest, logical) &&
			    (!best || (a->tpr & 0xff) < (best->tpr & 0xff)))
				best = a;
		}
		if (best)
			accept(best, mode, vector, level);
		return;
	}
	for (int i = 0; i < l->ncpus; i++)
		if (dest_match(&l->cpu[i], dest, logical))
			accept(&l->cpu[i], mode, vector, level);
}

/* A write to ICR[31:0] sends the IPI (§11.6.1). */
static void icr_send(struct lapic_cpu *a)
{
	struct lapic *l = a->l;
	u32 lo = a->icr_lo;
	enum apic_delivery mode = (lo >> 8) & 7;
	u8 vector = lo & 0xff;
	bool level = lo & APIC_LVT_LEVEL;

	if (mode == APIC_DM_INIT && level && !(lo & APIC_ICR_ASSERT))
		return; /* INIT level de-assert: only synchronizes arbitration IDs */
	if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
		error_raise(a, ESR_SEND_ILLEGAL);
		return;
	}
	switch ((lo >> 18) & 3) {
	case 0:
		lapic_deliver(l, a->icr_hi >> 24, lo & APIC_ICR_LOGICAL, mode, vector, level);
		break;
	case 1: accept(a, mode, vector, level); break; /* self */
	case 2:					       /* all including self */
	case 3:					       /* all excluding self */
		for (int i = 0; i < l->ncpus; i++)
			if (i != a->index || ((lo >> 18) & 3) == 2)
				accept(&l->cpu[i], mode == APIC_DM_LOWEST ? APIC_DM_FIXED : mode,
				       vector, level);
		break;
	}
}

/* ---- the interface the hypervisor uses ------------------------------------ */

struct lapic *lapic_of(struct board *b)
{
	return b->lapic; /* asked at every interrupt window: no name lookup */
}

void lapic_set_hw_enabled(struct lapic *l, int cpu, bool en)
{
	struct lapic_cpu *a = &l->cpu[cpu];

	if (a->hw_enabled == en)
		return;
	a->hw_enabled = en;
	apic_reset(a); /* both edges: the APIC comes back software-disabled */
}

bool lapic_pic_accepted(struct lapic *l, int cpu)
{
	const struct lapic_cpu *a = &l->cpu[cpu];
	u32 lint0 = a->lvt[LVT_LINT0];

	if (!a->hw_enabled)
		return cpu == 0; /* the 8259's INTR is wired to the BSP's LINT0 pin */
	return !(lint0 & APIC_LVT_MASKED) && ((lint0 >> 8) & 7) == APIC_DM_EXTINT;
}

bool lapic_intr_pending(struct lapic *l, int cpu)
{
	const struct lapic_cpu *a = &l->cpu[cpu];
	int v = vec_highest(a->irr);

	return sw_enabled(a) && v >= 0 && ((u32)v & 0xf0) > (ppr(a) & 0xf0);
}

int lapic_intr_ack(struct lapic *l, int cpu)
{
	struct lapic_cpu *a = &l->cpu[cpu];
	int v = vec_highest(a->irr);

	if (!sw_enabled(a))
		return -1;
	if (v < 0 || ((u32)v & 0xf0) <= (ppr(a) & 0xf0))
		return a->svr & 0xff; /* spurious: it went away (§11.9) */
	vec_clear(a->irr, (u8)v);
	vec_set(a->isr, (u8)v);
	return v;
}

/* ---- registers ---------------------------------------------------------------- */

u32 lapic_read_reg(struct lapic *l, int cpu, u32 off)
{
	struct lapic_cpu *a = &l->cpu[cpu];

	if (off >= LAPIC_ISR && off < LAPIC_ISR + 0x80)
		return a->isr[(off - LAPIC_ISR) >> 4];
	if (off >= LAPIC_TMR && off < LAPIC_TMR + 0x80)
		return a->tmr[(off - LAPIC_TMR) >> 4];
	if (off >= LAPIC_IRR && off < LAPIC_IRR + 0x80)
		return a->irr[(off - LAPIC_IRR) >> 4];
	if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR)
		return a->lvt[(off - LAPIC_LVT_TIMER) >> 4];
	switch (off) {
	case LAPIC_ID: return (u32)a->id << 24;
	case LAPIC_VER: return LAPIC_VERSION;
	case LAPIC_TPR: return a->tpr;
	case LAPIC_PPR: return ppr(a);
	case LAPIC_LDR: return a->ldr;
	case LAPIC_DFR: return a->dfr;
	case LAPIC_SVR: return a->svr;
	case LAPIC_ESR: return a->esr;
	case LAPIC_ICR_LO: return a->icr_lo; /* delivery status: always idle */
	case LAPIC_ICR_HI: return a->icr_hi;
	case LAPIC_TIMER_ICR: return a->timer_initial;
	case LAPIC_TIMER_CCR: return timer_current(a);
	case LAPIC_TIMER_DCR: return a->timer_dcr;
	default: return 0; /* APR, RRD, EOI (write-only) and reserved */
	}
}

static void eoi(struct lapic_cpu *a)
{
	int v = vec_highest(a->isr);

	if (v < 0)
		return;
	vec_clear(a->isr, (u8)v);
	if (vec_test(a->tmr, (u8)v) && a->l->eoi_broadcast)
		a->l->eoi_broadcast(a->l->eoi_opaque, (u8)v);
}

void lapic_write_reg(struct lapic *l, int cpu, u32 off, u32 v)
{
	struct lapic_cpu *a = &l->cpu[cpu];

	if (off >= LAPIC_LVT_TIMER && off <= LAPIC_LVT_ERROR) {
		int n = (off - LAPIC_LVT_TIMER) >> 4;

		a->lvt[n] = (a->lvt[n] & ~lvt_writable[n]) | (v & lvt_writable[n]);
		if (!(a->svr & APIC_SVR_ENABLE))
			a->lvt[n] |= APIC_LVT_MASKED; /* §11.4.7.2 */
		if (n == LVT_TIMER)
			timer_rearm(a); /* one-shot <-> periodic changes the deadline */
		return;
	}
	switch (off) {
	case LAPIC_TPR: a->tpr = v & 0xff; break;
	case LAPIC_EOI: eoi(a); break;
	case LAPIC_LDR: a->ldr = v & 0xff000000; break;
	case LAPIC_DFR: a->dfr = v | 0x0fffffff; break;
	case LAPIC_SVR:
		a->svr = v & 0x3ff;
		if (!(v & APIC_SVR_ENABLE))
			for (int i = 0; i < LVT_COUNT; i++)
				a->lvt[i] |= APIC_LVT_MASKED;
		break;
	case LAPIC_ESR: /* write to update: latch the errors seen since */
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		break;
	case LAPIC_ICR_HI: a->icr_hi = v & 0xff000000; break;
	case LAPIC_ICR_LO:
		a->icr_lo = v & 0x000cdfff;
		icr_send(a);
		break;
	case LAPIC_TIMER_ICR:
		/* Writing the initial count (re)starts the count-down. */
		a->timer_initial = v;
		a->timer_start_ns = board_now_ns(l->board);
		timer_rearm(a);
		break;
	case LAPIC_TIMER_DCR:
		/* Simplification: the time since the load is re-read at the new
		 * rate (guests set the divider before the initial count). */
		a->timer_dcr = v & 0xb;
		timer_rearm(a);
		break;
	case LAPIC_ID:
	case LAPIC_VER:
	case LAPIC_PPR:
	case LAPIC_TIMER_CCR:
	case LAPIC_APR:
	case LAPIC_RRD: break; /* read-only */
	default: error_raise(a, ESR_ILLEGAL_REG); break;
	}
}

/* ---- the device ----------------------------------------------------------------- */

static u64 lapic_mmio_read(void *dev, u64 off, unsigned size)
{
	struct lapic *l = dev;
	int cpu = l->board->current_cpu;

	if (cpu < 0 || cpu >= l->ncpus || (off & 0xf))
		return 0;
	return lapic_read_reg(l, cpu, (u32)off);
}

static void lapic_mmio_write(void *dev, u64 off, u64 v, unsigned size)
{
	struct lapic *l = dev;
	int cpu = l->board->current_cpu;

	if (cpu < 0 || cpu >= l->ncpus || (off & 0xf))
		return;
	lapic_write_reg(l, cpu, (u32)off, (u32)v);
}

static const struct io_ops lapic_ops = {
    .name = "lapic", .read = lapic_mmio_read, .write = lapic_mmio_write, .min = 4, .max = 4};

static void lapic_dev_reset(void *dev)
{
	struct lapic *l = dev;

	for (int i = 0; i < l->ncpus; i++) {
		l->cpu[i].hw_enabled = true;
		apic_reset(&l->cpu[i]);
	}
}

static void lapic_describe(void *dev, char *buf, size_t len)
{
	struct lapic *l = dev;
	size_t n = 0;

	for (int i = 0; i < l->ncpus && n < len; i++) {
		struct lapic_cpu *a = &l->cpu[i];

		n += (size_t)snprintf(buf + n, len - n,
				      "%scpu%d: id=%u %s svr=%03x tpr=%02x irr=%d isr=%d "
				      "timer=%08x/%u",
				      i ? "\n" : "", i, a->id,
				      !a->hw_enabled  ? "off"
				      : sw_enabled(a) ? "on"
						      : "sw-disabled",
				      a->svr, a->tpr, vec_highest(a->irr), vec_highest(a->isr),
				      a->lvt[LVT_TIMER], timer_current(a));
	}
}

static void lapic_destroy(void *dev)
{
	struct lapic *l = dev;

	for (int i = 0; i < l->ncpus; i++)
		vtimer_cancel(l->board, &l->cpu[i].timer);
	l->board->lapic = NULL;
	free(l->cpu);
	free(l);
}

static const struct device_ops lapic_dev_ops = {
    .reset = lapic_dev_reset, .describe = lapic_describe, .destroy = lapic_destroy};

static int lapic_init(struct board *b, struct err *e)
{
	struct lapic *l = xcalloc(1, sizeof(*l));

	l->board = b;
	l->ncpus = b->ncpus < 1 ? 1 : b->ncpus;
	if (l->ncpus > LAPIC_MAX_CPUS) {
		free(l);
		return err_set(e, "lapic: %d CPUs (at most %d)", b->ncpus, LAPIC_MAX_CPUS);
	}
	l->cpu = xcalloc((size_t)l->ncpus, sizeof(*l->cpu));
	for (int i = 0; i < l->ncpus; i++) {
		l->cpu[i].l = l;
		l->cpu[i].index = i;
		l->cpu[i].timer.fire = timer_fire;
		l->cpu[i].timer.opaque = &l->cpu[i];
	}
	lapic_dev_reset(l);
	if (bus_map_mmio(&b->bus, LAPIC_BASE, 0x1000, &lapic_ops, l, e)) {
		free(l->cpu);
		free(l);
		return -1;
	}
	board_add_device(b, "lapic", l, &lapic_dev_ops);
	b->lapic = l;
	return 0;
}

/* Level 0 (interrupt controllers), before the I/O APIC (level 1) that
 * connects to it. */
DEVICE_REGISTER(lapic_type, "lapic", 0, lapic_init);
