/*
 * apic.c - local APIC and I/O APIC access for the SMP test kernel, and the
 * search and parse of the MP tables (MP spec 1.4: §4 "the floating pointer
 * is in the first KB of the EBDA, the last KB of base memory, or the BIOS
 * ROM between 0F0000h and 0FFFFFh"; §4.2-4.3 the configuration table).
 */
#include "samples/smp/smp.h"

static inline volatile uint32_t *mmio(uintptr_t a)
{
	return (volatile uint32_t *)a;
}

uint32_t lapic_read(uint32_t reg)
{
	return *mmio(LAPIC_ADDR + reg);
}

void lapic_write(uint32_t reg, uint32_t v)
{
	*mmio(LAPIC_ADDR + reg) = v;
}

void lapic_ipi(uint8_t dest, uint32_t icr_lo)
{
	lapic_write(APIC_ICR_HI, (uint32_t)dest << 24);
	lapic_write(APIC_ICR_LO, icr_lo);
}

unsigned lapic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

void lapic_setup(void)
{
	lapic_write(APIC_SVR, 0x100 | V_SPURIOUS); /* software enable */
	lapic_write(APIC_TPR, 0);
	lapic_write(APIC_LVT_LINT0, APIC_MASKED | 0x700); /* no 8259 through LINT0 */
	lapic_write(APIC_LVT_LINT1, 0x400);		  /* NMI */
	lapic_write(APIC_LVT_ERROR, APIC_MASKED);
	lapic_write(APIC_LVT_TIMER, APIC_MASKED);
}

uint32_t ioapic_read(uint32_t reg)
{
	*mmio(IOAPIC_ADDR) = reg;
	return *mmio(IOAPIC_ADDR + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t v)
{
	*mmio(IOAPIC_ADDR) = reg;
	*mmio(IOAPIC_ADDR + 0x10) = v;
}

void ioapic_route(int pin, uint8_t vector, uint8_t dest, int masked)
{
	ioapic_write(0x11 + 2 * pin, (uint32_t)dest << 24);
	ioapic_write(0x10 + 2 * pin, vector | (masked ? APIC_MASKED : 0));
}

extern uint64_t boot_pdpt[512];
static uint64_t high_pd[512] __attribute__((aligned(4096)));

void apic_map(void)
{
	/* 2 MiB pages, PCD | PWT: uncached, as MMIO wants. */
	high_pd[(IOAPIC_ADDR >> 21) & 511] = IOAPIC_ADDR | 0x9b;
	high_pd[(LAPIC_ADDR >> 21) & 511] = LAPIC_ADDR | 0x9b;
	boot_pdpt[3] = (uint64_t)(uintptr_t)high_pd | 3;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}

/* ---- the MP tables ------------------------------------------------------- */

static int sum_ok(const uint8_t *p, unsigned len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s == 0;
}

static const uint8_t *scan(uintptr_t base, unsigned len)
{
	for (uintptr_t a = base; a + 16 <= base + len; a += 16) {
		const uint8_t *p = (const uint8_t *)a;

		if (p[0] == '_' && p[1] == 'M' && p[2] == 'P' && p[3] == '_' && p[8] == 1 &&
		    sum_ok(p, 16))
			return p;
	}
	return 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

void mp_scan(struct mp_info *mp)
{
	uintptr_t bda = 0x40e; /* BDA: the EBDA's segment */
	uintptr_t ebda;
	const uint8_t *fp = 0, *t, *p;
	int isa_bus = -1;

	__asm__("" : "+r"(bda)); /* a computed address: not a null-page object */
	ebda = (uintptr_t) * (volatile uint16_t *)bda << 4;
	*mp = (struct mp_info){0};
	for (int i = 0; i < 16; i++)
		mp->irq_pin[i] = -1;
	if (ebda)
		fp = scan(ebda, 1024);
	if (!fp)
		fp = scan(639 * 1024, 1024);
	if (!fp)
		fp = scan(0xf0000, 0x10000);
	if (!fp || !rd32(fp + 4))
		return;
	mp->found = 1;
	mp->spec_rev = fp[9];
	t = (const uint8_t *)(uintptr_t)rd32(fp + 4);
	if (t[0] != 'P' || t[1] != 'C' || t[2] != 'M' || t[3] != 'P' || !sum_ok(t, rd16(t + 4)))
		return;
	mp->table_ok = 1;
	p = t + 44;
	for (unsigned n = rd16(t + 34); n--;) {
		switch (p[0]) {
		case 0: /* processor */
			if ((p[3] & 1) && mp->ncpus < MAX_CPUS) {
				if (p[3] & 2)
					mp->bsp_id = p[1];
				mp->cpu_id[mp->ncpus++] = p[1];
			}
			p += 20;
			break;
		case 1: /* bus */
			if (p[2] == 'I' && p[3] == 'S' && p[4] == 'A')
				isa_bus = p[1];
			p += 8;
			break;
		case 2: /* I/O APIC */
			mp->ioapic_addr = rd32(p + 4);
			p += 8;
			break;
		case 3: /* I/O interrupt assignment: type INT from the ISA bus */
			if (p[1] == 0 && p[4] == isa_bus && p[5] < 16)
				mp->irq_pin[p[5]] = p[7];
			p += 8;
			break;
		case 4: /* local interrupt assignment */
			if (p[1] == 3 && p[7] == 0)
				mp->lint0_extint = 1;
			if (p[1] == 1 && p[7] == 1)
				mp->lint1_nmi = 1;
			p += 8;
			break;
		default: return; /* unknown entry: its length is unknown too */
		}
	}
}
