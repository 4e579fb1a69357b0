/*
 * mptable.c - generating the MP floating pointer and MP configuration table
 * (Intel MultiProcessor Specification 1.4, chapter 4; see mptable.h).
 *
 * Layout written by mptable_build, all little-endian:
 *
 *   base+0   floating pointer (16 bytes, §4.1)
 *            "_MP_", PHYSICAL ADDRESS POINTER, LENGTH = 1 (paragraphs),
 *            SPEC_REV = 4, CHECKSUM, FEATURE1 = 0 (a table is present),
 *            FEATURE2 = 0 (IMCRP clear: virtual-wire mode, no IMCR)
 *   base+16  configuration table header (44 bytes, §4.2, Table 4-2)
 *            "PCMP", BASE TABLE LENGTH, SPEC_REV, CHECKSUM, OEM ID,
 *            PRODUCT ID, OEM table pointer/size (0), ENTRY COUNT,
 *            ADDRESS OF LOCAL APIC, extended table length/checksum (0)
 *   then the entries, sorted by type as §4.3 requires:
 *     type 0 processor (20 bytes) per CPU, APIC ID = CPU index, CPU 0 BP
 *     type 1 bus (8 bytes): bus 0 "ISA   "
 *     type 2 I/O APIC (8 bytes): ID, version 11h, enabled, 0xFEC00000
 *     type 3 I/O interrupt (8 bytes) per ISA IRQ: INT, conforming polarity
 *            and trigger, bus 0 IRQ n -> I/O APIC pin n (IRQ 0 -> pin 2;
 *            IRQ 2, the 8259 cascade, does not exist on the ISA bus)
 *     type 4 local interrupt (8 bytes): ExtINT -> LINT0, NMI -> LINT1 of
 *            all local APICs (destination ID FFh)
 */
#include "hypervisor/mptable.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"

#include <string.h>

#define MP_BIOS_SEG  0xf0000u
#define MP_RESET_VEC 0xffff0u

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put32(u8 *p, u32 v)
{
	put16(p, (u16)v);
	put16(p + 2, (u16)(v >> 16));
}

/* The byte that makes the sum of p[0..len) zero. */
static u8 checksum(const u8 *p, size_t len)
{
	u8 sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (u8)-sum;
}

/* One 8-byte interrupt assignment entry (type 3 or 4, §4.3.4-4.3.5). */
static u8 *intr_entry(u8 *p, u8 type, u8 int_type, u8 src_irq, u8 dst_id, u8 dst_pin)
{
	p[0] = type;
	p[1] = int_type;
	put16(p + 2, 0); /* polarity and trigger conform to the bus */
	p[4] = 0;	 /* source bus: ISA */
	p[5] = src_irq;
	p[6] = dst_id;
	p[7] = dst_pin;
	return p + 8;
}

size_t mptable_build(u8 *buf, u32 base, int ncpus, u32 cpu_signature, u32 cpu_features)
{
	u8 *fp = buf, *t = buf + 16, *p = t + 44;
	u8 ioapic_id = ioapic_default_id(ncpus);
	u16 count = 0;

	memset(buf, 0, MPTABLE_MAX_SIZE);
	if (ncpus > LAPIC_MAX_CPUS)
		ncpus = LAPIC_MAX_CPUS;

	/* Processor entries (§4.3.1). */
	for (int i = 0; i < ncpus; i++, count++) {
		p[0] = 0;
		p[1] = (u8)i;		     /* local APIC ID */
		p[2] = LAPIC_VERSION & 0xff; /* local APIC version */
		p[3] = 1 | (i == 0 ? 2 : 0); /* EN, BP */
		put32(p + 4, cpu_signature); /* stepping, model, family */
		put32(p + 8, cpu_features);  /* CPUID.1:EDX */
		p += 20;		     /* 8 reserved bytes */
	}
	/* The ISA bus (§4.3.2). */
	p[0] = 1;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += 8;
	count++;
	/* The I/O APIC (§4.3.3). */
	p[0] = 2;
	p[1] = ioapic_id;
	p[2] = IOAPIC_VERSION & 0xff;
	p[3] = 1; /* EN */
	put32(p + 4, (u32)IOAPIC_BASE);
	p += 8;
	count++;
	/* ISA IRQs on I/O APIC pins (§4.3.4): interrupt type 0 = INT. */
	for (int irq = 0; irq < 16; irq++, count++) {
		if (irq == 2) {
			count--;
			continue;
		}
		p = intr_entry(p, 3, 0, (u8)irq, ioapic_id, (u8)ioapic_isa_pin(irq));
	}
	/* Local interrupts (§4.3.5): 3 = ExtINT on LINT0, 1 = NMI on LINT1. */
	p = intr_entry(p, 4, 3, 0, 0xff, 0);
	p = intr_entry(p, 4, 1, 0, 0xff, 1);
	count += 2;

	/* The header, then its checksum over the whole base table. */
	memcpy(t, "PCMP", 4);
	put16(t + 4, (u16)(p - t));
	t[6] = 4; /* spec revision 1.4 */
	memcpy(t + 8, "VMLAB   ", 8);
	memcpy(t + 16, "PC          ", 12);
	put16(t + 34, count);
	put32(t + 36, (u32)LAPIC_BASE);
	t[7] = checksum(t, (size_t)(p - t));

	/* The floating pointer. */
	memcpy(fp, "_MP_", 4);
	put32(fp + 4, base + 16);
	fp[8] = 1;
	fp[9] = 4;
	fp[10] = checksum(fp, 16);
	return (size_t)(p - buf);
}

int mptable_install(struct bus *bus, int ncpus, u32 cpu_signature, u32 cpu_features, struct err *e)
{
	u8 buf[MPTABLE_MAX_SIZE];
	struct bus_range *r = bus_find(bus, MP_BIOS_SEG);
	size_t len;
	u32 base, zero_from;

	if (!r) {
		/* Multiboot: no BIOS, so a 4 KiB ROM of tables at 0xF0000,
		 * zeros after them (the ROM is a page: never copy more than
		 * the tables from our stack -- host bytes must not reach the
		 * guest). */
		static u8 rom[4096];

		_Static_assert(MPTABLE_MAX_SIZE <= sizeof(rom), "MP tables fit the ROM page");
		len = mptable_build(buf, MP_BIOS_SEG, ncpus, cpu_signature, cpu_features);
		memset(rom, 0, sizeof(rom));
		memcpy(rom, buf, len);
		return bus_map_rom(bus, "mptable", MP_BIOS_SEG, rom, sizeof(rom), e);
	}
	if (r->kind != BUS_ROM || r->base > MP_BIOS_SEG || r->base + r->size < MP_RESET_VEC)
		return err_set(e, "mptable: 0x%x is not the BIOS ROM (%s)", MP_BIOS_SEG, r->name);
	/* The firmware: the zeros between the end of the BIOS code and the
	 * reset vector at F000:FFF0 are padding (samples/firmware/bios.ld).
	 * Use their top part, 16 bytes clear of the code. */
	len = mptable_build(buf, 0, ncpus, cpu_signature, cpu_features);
	zero_from = MP_RESET_VEC;
	while (zero_from > MP_BIOS_SEG && !r->host[zero_from - 1 - r->base])
		zero_from--;
	base = (u32)((MP_RESET_VEC - len) & ~15u);
	if (base < zero_from + 16)
		return err_set(e,
			       "mptable: the BIOS ROM has no room for the MP tables (%zu bytes "
			       "needed below F000:FFF0)",
			       len);
	mptable_build(buf, base, ncpus, cpu_signature, cpu_features);
	memcpy(r->host + (base - r->base), buf, len);
	return 0;
}
