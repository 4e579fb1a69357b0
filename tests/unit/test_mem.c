/*
 * test_mem.c - unit tests of the CPU's memory path on a real bus
 * (cpu/mem.c): segmentation in real, protected and 64-bit mode, paging
 * through the soft TLB with A/D updates and faults, TLB coherence with
 * CR3/INVLPG/CR4, and MMIO and port accesses.
 *
 * The oracle is the SDM (Vol 3 ch. 3-5): every expected fault and error
 * code is the one it prescribes.  (Split from test_paging.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "devices/bus.h"
#include "lib/err.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"

/* ---- cpu/mem.c on a real bus ------------------------------------------- */

#define RAM (4 * MiB)

struct rig {
	struct trace tr;
	struct bus bus;
	struct cpu c;
	u64 retired;
};

static struct rig *rig_new(void)
{
	struct rig *r = xcalloc(1, sizeof(*r));
	struct err e;

	trace_init(&r->tr);
	assert_int_equal(bus_init(&r->bus, RAM, &r->tr, &e), 0);
	assert_int_equal(bus_map_ram(&r->bus, 0, RAM, 0, &e), 0);
	cpu_init(&r->c, 0, &r->bus, &r->tr, &r->retired);
	return r;
}

static void rig_free(struct rig *r)
{
	cpu_fini(&r->c);
	bus_destroy(&r->bus);
	free(r);
}

/* Run stmt; return the exception vector it raised, or -1. */
#define CATCH(c, stmt)                                                                             \
	({                                                                                         \
		volatile int r_ = -1;                                                              \
		(c)->fault_jmp_set = true;                                                         \
		if (setjmp((c)->fault_jmp) == 0) {                                                 \
			stmt;                                                                      \
		} else {                                                                           \
			r_ = (c)->pending_vector;                                                  \
		}                                                                                  \
		(c)->fault_jmp_set = false;                                                        \
		r_;                                                                                \
	})

static u64 ram64(struct rig *r, u64 pa)
{
	u64 v;
	memcpy(&v, r->bus.ram + pa, 8);
	return v;
}
static void setram64(struct rig *r, u64 pa, u64 v)
{
	memcpy(r->bus.ram + pa, &v, 8);
}

static void test_cpu_real_mode(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;

	cpu_load_seg_real(c, SEG_DS, 0x1000);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x10, 4, 0xdeadbeef)), -1);
	assert_int_equal(*(u32 *)(r->bus.ram + 0x10010), 0xdeadbeef);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0x10, 2), 0xbeef)), -1);
	/* A word at offset 0xFFFF runs past the 64 KiB limit: #GP(0), #SS(0) on SS. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xffff, 2)), EXC_GP);
	assert_int_equal(c->pending_error, 0);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_SS, 0xffff, 2)), EXC_SS);
	/* PUSH with SP = 0 wraps to 0xFFFE inside the segment. */
	cpu_load_seg_real(c, SEG_SS, 0x2000);
	c->gpr[RSP] = 0xabcd0000;
	assert_int_equal(CATCH(c, cpu_push(c, 2, 0x1234)), -1);
	assert_int_equal(c->gpr[RSP], 0xabcdfffe);
	assert_int_equal(*(u16 *)(r->bus.ram + 0x2fffe), 0x1234);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_pop(c, 2), 0x1234)), -1);
	assert_int_equal(c->gpr[RSP], 0xabcd0000);
	/* ... and a dword push at SP = 2 straddles the limit: #SS, RSP unchanged. */
	c->gpr[RSP] = 2;
	assert_int_equal(CATCH(c, cpu_push(c, 4, 1)), EXC_SS);
	assert_int_equal(c->gpr[RSP], 2);
	rig_free(r);
}

static void set_seg(struct cpu *c, enum sreg s, u64 base, u32 limit, u32 attr)
{
	c->seg[s].sel = 0x10;
	c->seg[s].base = base;
	c->seg[s].limit = limit;
	c->seg[s].attr = attr | SEGA_P | SEGA_S;
}

static void test_cpu_protected_segments(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;

	c->cr0 |= CR0_PE;
	set_seg(c, SEG_CS, 0, 0xffffffff, 0xb | SEGA_DB | SEGA_G);
	set_seg(c, SEG_SS, 0, 0xffffffff, 0x3 | SEGA_DB | SEGA_G);
	cpu_update_mode(c);
	assert_int_equal(c->mode, CPU_MODE_PROT32);

	/* Read-only data: reads fine, write #GP(0). */
	set_seg(c, SEG_DS, 0x100000, 0xfff, 0x1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xffc, 4)), -1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xffd, 4)), EXC_GP);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0, 1, 0)), EXC_GP);
	/* Execute-only code: read #GP; execute/read code: read ok, write #GP. */
	set_seg(c, SEG_ES, 0, 0xffff, 0x9);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_ES, 0, 1)), EXC_GP);
	set_seg(c, SEG_ES, 0, 0xffff, 0xb);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_ES, 0, 1)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_ES, 0, 1, 0)), EXC_GP);
	/* Unusable (null) selector. */
	c->seg[SEG_FS].attr = SEGA_UNUSABLE;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_FS, 0, 1)), EXC_GP);
	/* Expand-down, B=0: valid offsets limit+1 .. 0xFFFF. */
	set_seg(c, SEG_GS, 0x200000, 0x0fff, 0x7);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0x1000, 4, 5)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0xfff, 4, 5)), EXC_GP);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0xfffc, 4, 5)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_GS, 0xfffd, 4, 5)), EXC_GP);
	/* Expand-down, B=1: up to 0xFFFFFFFF.  Stack segment faults are #SS. */
	set_seg(c, SEG_SS, 0, 0x0fff, 0x7 | SEGA_DB);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_SS, 0x10000, 4, 5)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_SS, 0x800, 4, 5)), EXC_SS);
	/* Flat segment: linear addresses wrap at 4 GiB... but the last byte
	 * past the limit is still a limit violation. */
	set_seg(c, SEG_DS, 0x1000, 0xffffffff, 0x3 | SEGA_DB | SEGA_G);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfffff000, 4, 0x77)), -1);
	assert_int_equal(*(u32 *)(r->bus.ram + 0), 0x77);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xfffffffe, 4)), EXC_GP);

	/* Alignment check at CPL 3 with CR0.AM and EFLAGS.AC. */
	c->cr0 |= CR0_AM;
	c->rflags |= FL_AC;
	c->cpl = 3;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x11, 4)), EXC_AC);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x10, 4)), -1);
	assert_int_equal(CATCH(c, cpu_read_lin(c, 0x11, 4, true)), -1);
	c->cpl = 0;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x11, 4)), -1);
	rig_free(r);
}

/* Long mode with 4-level tables in guest RAM:
 * PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000, identity-mapped
 * 4 KiB pages 0..2 MiB with flags given per page. */
static void long_mode(struct rig *r)
{
	struct cpu *c = &r->c;
	setram64(r, 0x1000, 0x2000 | 7);
	setram64(r, 0x2000, 0x3000 | 7);
	setram64(r, 0x3000, 0x4000 | 7);
	for (u64 i = 0; i < 512; i++)
		setram64(r, 0x4000 + i * 8, (i << 12) | 7);
	c->cr3 = 0x1000;
	c->cr4 = CR4_PAE;
	c->efer = EFER_LME | EFER_LMA | EFER_NXE;
	c->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET;
	set_seg(c, SEG_CS, 0, 0xffffffff, 0xb | SEGA_L);
	set_seg(c, SEG_SS, 0, 0xffffffff, 0x3);
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);
	assert_int_equal(c->mode, CPU_MODE_LONG64);
}

static void test_cpu_long_mode_paging(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;
	u64 pte5 = 0x4000 + 5 * 8;

	long_mode(r);
	/* A read fills the TLB but leaves D clear; the following write must
	 * re-walk so that D gets set. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5008, 8)), -1);
	assert_int_equal(ram64(r, pte5) & (PTE_A | PTE_D), PTE_A);
	u64 walks = c->tlb->stats.walks;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5010, 8)), -1);
	assert_int_equal(c->tlb->stats.walks, walks); /* a hit */
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x5010, 8, 0x1122334455667788)), -1);
	assert_int_equal(c->tlb->stats.walks, walks + 1);
	assert_int_equal(ram64(r, pte5) & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(ram64(r, 0x5010), 0x1122334455667788);
	/* The walk count as references: 4 reads + the D write. */
	assert_true(c->tlb->stats.walk_refs >= 5);

	/* Stale TLB until INVLPG: unmap page 5 in memory only. */
	setram64(r, pte5, 0);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5010, 8)), -1);
	cpu_tlb_flush_page(c, 0x5000);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5010, 8)), EXC_PF);
	assert_int_equal(c->cr2, 0x5010);
	assert_int_equal(c->pending_error, 0);

	/* Page-crossing write into a not-present page: nothing is written. */
	setram64(r, 0x4000 + 9 * 8, 0);
	memset(r->bus.ram + 0x8ff8, 0xaa, 8);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x8ffc, 8, 0)), EXC_PF);
	assert_int_equal(c->cr2, 0x9000);
	assert_int_equal(c->pending_error, PFEC_W);
	assert_int_equal(ram64(r, 0x8ff8), 0xaaaaaaaaaaaaaaaaULL);
	/* ... and once both pages are there, the bytes land on both. */
	setram64(r, 0x4000 + 9 * 8, 0x9000 | 7);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0x8ffc, 8, 0x1122334455667788ULL)), -1);
	assert_int_equal(ram64(r, 0x8ff8), 0x55667788aaaaaaaaULL);
	assert_int_equal(*(u32 *)(r->bus.ram + 0x9000), 0x11223344);
	assert_int_equal(
	    CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0x8ffc, 8), 0x1122334455667788ULL)), -1);

	/* Read-only page with CR0.WP: RMW read reports a write fault. */
	setram64(r, pte5, 0x5000 | 5);
	cpu_tlb_flush_page(c, 0x5000);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	assert_int_equal(CATCH(c, cpu_rmw_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	assert_int_equal(c->pending_error, PFEC_P | PFEC_W);

	/* User mode: supervisor page -> P|U; NX page fetch -> P|U|I. */
	setram64(r, pte5, 0x5000 | 3);
	setram64(r, 0x4000 + 6 * 8, 0x6000 | 7 | PTE_XD);
	cpu_tlb_flush(c, true);
	c->cpl = 3;
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	assert_int_equal(c->pending_error, PFEC_P | PFEC_U);
	u8 buf[16];
	assert_int_equal(CATCH(c, cpu_fetch_page(c, 0x6ff8, buf, 15)), EXC_PF);
	assert_int_equal(c->pending_error, PFEC_P | PFEC_U | PFEC_I);
	/* ... an implicit supervisor read of the same page passes. */
	assert_int_equal(CATCH(c, cpu_read_lin(c, 0x5000, 4, true)), -1);
	c->cpl = 0;
	/* Fetch stops at the end of the page. */
	assert_int_equal(CATCH(c, assert_int_equal(cpu_fetch_page(c, 0x7ff8, buf, 15), 8)), -1);

	/* Non-canonical: #GP(0), #SS(0) for SS; FS base applies. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x0000800000000000ULL, 1)), EXC_GP);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_SS, 0x0000800000000000ULL, 1)), EXC_SS);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x00007ffffffffffcULL, 8)), EXC_GP);
	c->seg[SEG_FS].base = 0x7000;
	c->seg[SEG_DS].base = 0x9000; /* ignored in 64-bit mode */
	*(u32 *)(r->bus.ram + 0x7010) = 0xcafe;
	*(u32 *)(r->bus.ram + 0x0010) = 0xf00d;
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_FS, 0x10, 4), 0xcafe)), -1);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0x10, 4), 0xf00d)), -1);

	/* 64-bit push/pop. */
	c->gpr[RSP] = 0x8000;
	assert_int_equal(CATCH(c, cpu_push(c, 8, 0x0123456789abcdefULL)), -1);
	assert_int_equal(c->gpr[RSP], 0x7ff8);
	assert_int_equal(ram64(r, 0x7ff8), 0x0123456789abcdefULL);

	/* Debug translate: no side effects. */
	u64 pa, before = ram64(r, 0x4000 + 10 * 8);
	assert_true(cpu_debug_translate(c, 0xaabc, &pa));
	assert_int_equal(pa, 0xaabc);
	assert_int_equal(ram64(r, 0x4000 + 10 * 8), before);
	assert_false(before & PTE_A);
	setram64(r, 0x4000 + 10 * 8, 0);
	assert_false(cpu_debug_translate(c, 0xaabc, &pa));
	rig_free(r);
}

static void test_cpu_tlb_coherence(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;
	u64 pte5 = 0x4000 + 5 * 8;

	long_mode(r);
	c->cr4 |= CR4_PCIDE | CR4_PGE;
	c->cr3 = 0x1000 | 1; /* PCID 1 */
	cpu_tlb_flush(c, true);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	setram64(r, pte5, 0);
	/* MOV CR3 with bit 63 set keeps PCID 1's entries. */
	cpu_tlb_mov_cr3(c, 0x1000 | 1 | BIT(63));
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	/* Bit 63 clear flushes them. */
	cpu_tlb_mov_cr3(c, 0x1000 | 1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	/* Global page survives a CR3 load, not a CR4.PGE toggle. */
	setram64(r, pte5, 0x5000 | 3 | PTE_G);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	setram64(r, pte5, 0);
	cpu_tlb_mov_cr3(c, 0x1000 | 1);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), -1);
	u64 old = c->cr4;
	c->cr4 &= ~CR4_PGE;
	cpu_tlb_mov_cr4(c, old);
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0x5000, 4)), EXC_PF);
	assert_true(r->tr.count[TRACE_TLB] >= 3);
	rig_free(r);
}

/* A tiny MMIO device that remembers the last access. */
static u64 mmio_last_off, mmio_last_val;
static unsigned mmio_last_size;
static u64 mmio_read(void *dev, u64 off, unsigned size)
{
	mmio_last_off = off;
	mmio_last_size = size;
	return 0x55 + off;
}
static void mmio_write(void *dev, u64 off, u64 v, unsigned size)
{
	mmio_last_off = off;
	mmio_last_val = v;
	mmio_last_size = size;
}
static const struct io_ops mmio_ops = {.name = "testdev", .read = mmio_read, .write = mmio_write};

static void test_cpu_mmio_and_ports(void **state)
{
	struct rig *r = rig_new();
	struct cpu *c = &r->c;
	struct err e;

	assert_int_equal(bus_map_mmio(&r->bus, 0xfed00000, 0x1000, &mmio_ops, NULL, &e), 0);
	c->cr0 |= CR0_PE;
	set_seg(c, SEG_CS, 0, 0xffffffff, 0xb | SEGA_DB | SEGA_G);
	set_seg(c, SEG_DS, 0, 0xffffffff, 0x3 | SEGA_DB | SEGA_G);
	cpu_update_mode(c);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfed00010, 4), 0x65)), -1);
	assert_int_equal(mmio_last_off, 0x10);
	assert_int_equal(mmio_last_size, 4);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfed00020, 2, 0xbeef)), -1);
	assert_int_equal(mmio_last_val, 0xbeef);
	assert_int_equal(r->tr.count[TRACE_MMIO], 2);
	/* MMIO is never cached in the TLB. */
	assert_int_equal(CATCH(c, cpu_read(c, SEG_DS, 0xfed00010, 4)), -1);
	assert_int_equal(r->tr.count[TRACE_MMIO], 3);

	/* ROM: readable through the TLB, writes dropped by the bus. */
	static const u8 rom[8192] = {[0] = 0xea, [4096] = 0x5a};
	assert_int_equal(bus_map_rom(&r->bus, "rom", 0xfffe0000, rom, sizeof(rom), &e), 0);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfffe0000, 1), 0xea)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfffe0000, 1, 0x90)), -1);
	assert_int_equal(CATCH(c, cpu_write(c, SEG_DS, 0xfffe0ffe, 4, 0x90909090)), -1);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfffe0000, 1), 0xea)), -1);
	assert_int_equal(CATCH(c, assert_int_equal(cpu_read(c, SEG_DS, 0xfffe1000, 1), 0x5a)), -1);

	cpu_port_out(c, 0x80, 1, 0x12);
	(void)cpu_port_in(c, 0x81, 1);
	assert_int_equal(r->tr.count[TRACE_IO], 2);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpu_real_mode),
	    cmocka_unit_test(test_cpu_protected_segments),
	    cmocka_unit_test(test_cpu_long_mode_paging),
	    cmocka_unit_test(test_cpu_tlb_coherence),
	    cmocka_unit_test(test_cpu_mmio_and_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
