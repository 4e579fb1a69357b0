/*
 * test_mptable.c - the MP tables of hypervisor/mptable.c checked against
 * the MultiProcessor Specification 1.4 chapter 4: the floating pointer
 * (signature, length, revision, checksum, 16-byte alignment in the BIOS
 * segment), the configuration table header and checksum, and the entries
 * (processors with BP flag, the ISA bus, the I/O APIC, IRQ 0 on pin 2,
 * ExtINT on LINT0 and NMI on LINT1), for both boot paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "hypervisor/mptable.h"

static u8 sum(const u8 *p, size_t n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

static u16 rd16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

static u32 rd32(const u8 *p)
{
	return rd16(p) | (u32)rd16(p + 2) << 16;
}

/* Check the table whose floating pointer is at fp (physical base); t is
 * the configuration table. */
static void check_tables(const u8 *fp, u32 base, const u8 *t, int ncpus)
{
	const u8 *p;
	int cpus = 0, buses = 0, ioapics = 0, irqs = 0, lints = 0, pin_of_irq0 = -1;

	assert_memory_equal(fp, "_MP_", 4);
	assert_int_equal(rd32(fp + 4), base + 16);
	assert_int_equal(fp[8], 1); /* length in paragraphs */
	assert_int_equal(fp[9], 4); /* revision 1.4 */
	assert_int_equal(sum(fp, 16), 0);
	assert_int_equal(fp[11], 0); /* a configuration table is present */

	assert_memory_equal(t, "PCMP", 4);
	assert_int_equal(t[6], 4);
	assert_int_equal(sum(t, rd16(t + 4)), 0);
	assert_int_equal(rd32(t + 36), 0xfee00000);
	p = t + 44;
	for (int n = rd16(t + 34); n--;) {
		switch (p[0]) {
		case 0:
			assert_int_equal(p[1], cpus);
			assert_int_equal(p[3], cpus == 0 ? 3 : 1);
			cpus++;
			p += 20;
			break;
		case 1:
			assert_memory_equal(p + 2, "ISA   ", 6);
			buses++;
			p += 8;
			break;
		case 2:
			assert_int_equal(rd32(p + 4), 0xfec00000);
			assert_int_equal(p[1], ncpus); /* after the CPUs' APIC IDs */
			ioapics++;
			p += 8;
			break;
		case 3:
			assert_int_equal(p[1], 0); /* INT */
			if (p[5] == 0)
				pin_of_irq0 = p[7];
			else
				assert_int_equal(p[7], p[5]);
			irqs++;
			p += 8;
			break;
		case 4:
			assert_int_equal(p[6], 0xff);
			assert_int_equal(p[1], p[7] == 0 ? 3 : 1); /* ExtINT LINT0, NMI LINT1 */
			lints++;
			p += 8;
			break;
		default: fail_msg("entry type %d", p[0]);
		}
	}
	assert_int_equal(p - t, rd16(t + 4));
	assert_int_equal(cpus, ncpus);
	assert_int_equal(buses, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(irqs, 15);
	assert_int_equal(pin_of_irq0, 2);
	assert_int_equal(lints, 2);
}

static void test_build(void **state)
{
	u8 buf[MPTABLE_MAX_SIZE];
	size_t n = mptable_build(buf, 0xf1230, 4, 0x306a9, 0x201);

	assert_int_equal(n, 16 + 44 + 4 * 20 + 8 + 8 + 15 * 8 + 2 * 8);
	check_tables(buf, 0xf1230, buf + 16, 4);
	assert_int_equal(rd32(buf + 16 + 44 + 4), 0x306a9); /* CPU signature */
}

static void test_install_multiboot(void **state)
{
	struct bus bus;
	struct err e;
	u8 fp[16], t[MPTABLE_MAX_SIZE];

	assert_int_equal(bus_init(&bus, 1 * MiB, NULL, &e), 0);
	assert_int_equal(bus_map_ram(&bus, 0, 0xa0000, 0, &e), 0);
	assert_int_equal(mptable_install(&bus, 2, 0x306a9, 0x201, &e), 0);
	for (int i = 0; i < 16; i++)
		fp[i] = (u8)bus_mem_read(&bus, 0xf0000 + i, 1);
	for (int i = 0; i < 512; i++)
		t[i] = (u8)bus_mem_read(&bus, rd32(fp + 4) + i, 1);
	check_tables(fp, 0xf0000, t, 2);
	bus_destroy(&bus);
}

static void test_install_bios(void **state)
{
	static u8 rom[65536];
	struct bus bus;
	struct err e;
	struct bus_range *r;
	u32 a;

	memset(rom, 0, sizeof(rom));
	memset(rom, 0x90, 0x8000);			 /* "code" */
	memcpy(rom + 0xfff0, "\xea\x5b\xe0\x00\xf0", 5); /* the reset vector */
	assert_int_equal(bus_init(&bus, 1 * MiB, NULL, &e), 0);
	assert_int_equal(bus_map_rom(&bus, "bios-legacy", 0xf0000, rom, sizeof(rom), &e), 0);
	assert_int_equal(mptable_install(&bus, 2, 0x306a9, 0x201, &e), 0);
	r = bus_find(&bus, 0xf0000);
	/* An OS searches F0000-FFFFF on 16-byte boundaries (MP spec §4). */
	for (a = 0xf0000; a < 0x100000; a += 16)
		if (!memcmp(r->host + (a - 0xf0000), "_MP_", 4))
			break;
	assert_true(a < 0xffff0 && a >= 0xf8000 + 16);
	check_tables(r->host + (a - 0xf0000), a,
		     r->host + (rd32(r->host + (a - 0xf0000) + 4) - 0xf0000), 2);
	assert_memory_equal(r->host + 0xfff0, "\xea\x5b\xe0\x00\xf0", 5); /* untouched */
	bus_destroy(&bus);

	/* A ROM with no padding left: a clear error. */
	memset(rom, 0x90, 0xfff0);
	assert_int_equal(bus_init(&bus, 1 * MiB, NULL, &e), 0);
	assert_int_equal(bus_map_rom(&bus, "bios-legacy", 0xf0000, rom, sizeof(rom), &e), 0);
	assert_int_equal(mptable_install(&bus, 2, 0x306a9, 0x201, &e), -1);
	assert_non_null(strstr(e.msg, "no room"));
	bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_install_multiboot),
	    cmocka_unit_test(test_install_bios),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
