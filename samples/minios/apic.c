/*
 * apic.c - how minios learns the machine's processors and interrupt wiring
 * from the MP tables, and drives the local APIC and the I/O APIC.
 *
 *   MP floating pointer  MultiProcessor Specification 1.4 §4.1: "_MP_" on a
 *        16-byte boundary in the first KiB of the EBDA (its segment is the
 *        word at 0040:000E), else the last KiB of base memory, else the BIOS
 *        ROM 0xF0000-0xFFFFF; the 16 bytes sum to zero.
 *   configuration table  §4.2-4.3: "PCMP" header, then entries sorted by
 *        type: 0 processor (20 bytes), 1 bus, 2 I/O APIC, 3 I/O interrupt
 *        assignment, 4 local interrupt assignment (8 bytes each).
 *   local APIC  Intel SDM Vol. 3A ch. 12 (xAPIC MMIO at 0xFEE00000): EOI,
 *        the ICR (write the high half first, the low write sends the IPI).
 *   I/O APIC  Intel 82093AA datasheet §3.2: IOREGSEL at +0x00, IOWIN at
 *        +0x10; register 1 = version (bits 23:16 the last entry), 0x10 + 2n
 *        = redirection entry n (low: vector, polarity bit 13, trigger bit
 *        15, mask bit 16; high: destination APIC ID in bits 31:24).
 */
#include "samples/minios/kernel.h"

struct mp_config mp;

/* ---- the MP tables -------------------------------------------------------- */
static int sum_zero(const u8 *p, u32 len)
{
	u8 s = 0;
	while (len--)
		s += *p++;
	return s == 0;
}

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 rd32(const u8 *p)
{
	return rd16(p) | (u32)rd16(p + 2) << 16;
}

/* The floating pointer in [base, base + len): signature, length 1, checksum. */
static const u8 *mp_find(u32 base, u32 len)
{
	for (u32 a = base; a + 16 <= base + len; a += 16) {
		const u8 *p = (const u8 *)a;
		if (!memcmp(p, "_MP_", 4) && p[8] == 1 && sum_zero(p, 16))
			return p;
	}
	return 0;
}

/*
 * Paging must still be off: page 0 (the BDA) is left unmapped later.  A
 * missing or broken table leaves mp.found = 0, and minios keeps the 8259.
 */
void mp_scan(void)
{
	u32 bda = 0x400;	 /* the BIOS data area; 0x0E: EBDA segment, 0x13: base KiB */
	__asm__("" : "+r"(bda)); /* a computed address, not a null-page object */
	u32 ebda = (u32) * (volatile u16 *)(bda + 0x0E) << 4;
	u32 basemem = (u32) * (volatile u16 *)(bda + 0x13) * 1024;
	const u8 *fp = 0;
	int isa_bus = -1;

	memset(&mp, 0, sizeof mp);
	for (int i = 0; i < 16; i++)
		mp.isa_pin[i] = -1;
	if (ebda >= 0x80000 && ebda < 0xA0000)
		fp = mp_find(ebda, 1024);
	if (!fp && basemem >= 0x80000 && basemem <= 0xA0000)
		fp = mp_find(basemem - 1024, 1024);
	if (!fp)
		fp = mp_find(0xF0000, 0x10000);
	/* FEATURE1 != 0 would mean "a default configuration, no table" (§4.1):
	 * we only use real tables, which every BIOS we meet provides */
	if (!fp || fp[11] != 0 || !rd32(fp + 4) || rd32(fp + 4) >= 0x100000)
		return;
	mp.imcrp = fp[12] >> 7;
	const u8 *t = (const u8 *)rd32(fp + 4);
	u16 len = rd16(t + 4);
	if (memcmp(t, "PCMP", 4) || len < 44 || !sum_zero(t, len))
		return;
	const u8 *p = t + 44, *end = t + len;
	for (unsigned n = rd16(t + 34); n-- && p < end;) {
		switch (p[0]) {
		case 0: /* processor: APIC ID, version, flags (bit 0 enabled, 1 BSP) */
			if ((p[3] & 1) && mp.ncpus < MAX_CPUS)
				mp.cpu_apic_id[mp.ncpus++] = p[1];
			p += 20;
			break;
		case 1: /* bus: ID, 6-byte type string */
			if (!memcmp(p + 2, "ISA", 3))
				isa_bus = p[1];
			p += 8;
			break;
		case 2: /* I/O APIC: ID, version, flags (bit 0 usable), address */
			if ((p[3] & 1) && !mp.ioapic_addr) {
				mp.ioapic_id = p[1];
				mp.ioapic_addr = rd32(p + 4);
			}
			p += 8;
			break;
		case 3: /* I/O interrupt: type (0 = INT), flags, bus, IRQ, APIC, pin */
			if (p[1] == 0 && p[4] == isa_bus && p[5] < 16 &&
			    (p[6] == mp.ioapic_id || p[6] == 0xFF)) {
				mp.isa_pin[p[5]] = p[7];
				mp.isa_flags[p[5]] = rd16(p + 2);
			}
			p += 8;
			break;
		case 4: /* local interrupt: LINT0/1 wiring, virtual wire style */ p += 8; break;
		default: /* an unknown entry: its length is unknown too */ return;
		}
	}
	mp.found = 1;
}

/* ---- the local APIC --------------------------------------------------------- */
u32 lapic_read(u32 reg)
{
	return *(volatile u32 *)(LAPIC_BASE + reg);
}

void lapic_write(u32 reg, u32 v)
{
	*(volatile u32 *)(LAPIC_BASE + reg) = v;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

unsigned lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

/* Physical destination DEST; wait until the ICR's delivery status (bit 12)
 * says the APIC has taken the IPI. */
void lapic_send_ipi(unsigned dest, u32 icr_lo)
{
	u32 f = irq_save();
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	for (int i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LO) & 0x1000); i++)
		__asm__ volatile("pause");
	irq_restore(f);
}

/* ---- the I/O APIC ------------------------------------------------------------ */
static volatile u32 *ioapic;
int ioapic_ready; /* ioapic_init found one and masked its pins */

static u32 ioapic_read(u32 reg)
{
	ioapic[0] = reg;
	return ioapic[4];
}

static void ioapic_write(u32 reg, u32 v)
{
	ioapic[0] = reg;
	ioapic[4] = v;
}

void ioapic_mask_all(void)
{
	u32 last = (ioapic_read(1) >> 16) & 0xFF; /* version: the last entry */
	for (u32 pin = 0; pin <= last; pin++)
		ioapic_write(0x10 + 2 * pin, LAPIC_MASKED);
}

/* Map the I/O APIC the table named and mask every pin (paging is on). */
int ioapic_init(void)
{
	if (!mp.found || !mp.ioapic_addr || (mp.ioapic_addr & 0xFFF))
		return 0;
	page_map(mp.ioapic_addr, mp.ioapic_addr, PTE_W | PTE_PCD);
	ioapic = (volatile u32 *)mp.ioapic_addr;
	if (ioapic_read(1) == 0xFFFFFFFFu)
		return 0;
	ioapic_mask_all();
	/* the IMCR, if present, still routes the 8259 straight to the BSP:
	 * select the APIC path (MP spec §3.6.2.1) */
	if (mp.imcrp) {
		outb(0x22, 0x70);
		outb(0x23, 0x01);
	}
	ioapic_ready = 1;
	return 1;
}

/*
 * ISA IRQ n -> its pin (from the table; the same number when it says
 * nothing), vector 32 + n, fixed delivery to this CPU (the BSP).  Polarity and trigger
 * come from the entry's flags; "conforming" (0) means the ISA bus's own,
 * active high and edge triggered (MP spec Table 4-10).
 */
void ioapic_unmask_irq(int irq)
{
	int pin = mp.isa_pin[irq] >= 0 ? mp.isa_pin[irq] : irq;
	u16 fl = mp.isa_flags[irq];
	u32 lo = 32 + (u32)irq;
	if ((fl & 3) == 3)
		lo |= 1u << 13; /* active low */
	if (((fl >> 2) & 3) == 3)
		lo |= 1u << 15;				     /* level triggered */
	ioapic_write(0x11 + 2 * (u32)pin, lapic_id() << 24); /* drivers start on the BSP */
	ioapic_write(0x10 + 2 * (u32)pin, lo);
}
