/*
 * test_segment.c - descriptors, selector loads and the descriptor-driven
 * part of event delivery (cpu/segment.c, cpu/exception.c).
 *
 * The oracle is the SDM: descriptors are written as the raw 8-byte values
 * of SDM Vol 3 Figure 3-8 (hand-assembled byte by byte, or the well-known
 * GDT values every OS uses, e.g. 0x00cf9a000000ffff for a flat ring-0
 * 32-bit code segment); each expected exception and error code is the one
 * the SDM Vol 2 MOV / POP / LSS pseudocode names for the situation, and
 * each expected stack frame is the one SDM Vol 3 Figures 6-4 / 6-9 draw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "devices/bus.h"
#include "lib/err.h"

#define RAM (1 * MiB)
#define GDT 0x1000
#define IDT 0x2000
#define LDT 0x3000

/* GDT slots used below (selector = index * 8). */
static const u64 gdt_init[] = {
    0,			   /* 0x00 null */
    0x00cf9a000000ffffULL, /* 0x08 code, 32-bit, DPL 0, execute/read */
    0x00cf92000000ffffULL, /* 0x10 data, DPL 0, read/write */
    0x00cff2000000ffffULL, /* 0x18 data, DPL 3, read/write */
    0x00cf98000000ffffULL, /* 0x20 code, execute-only, DPL 0 */
    0x00cf12000000ffffULL, /* 0x28 data, read/write, NOT present */
    0x00cf9e000000ffffULL, /* 0x30 code, conforming, readable, DPL 0 */
    0x00cf90000000ffffULL, /* 0x38 data, read-only, DPL 0 */
    0x00affa000000ffffULL, /* 0x40 code, 64-bit (L = 1), DPL 3 */
    0x00af9a000000ffffULL, /* 0x48 code, 64-bit, DPL 0 */
    0x00cffa000000ffffULL, /* 0x50 code, 32-bit, DPL 3 */
};

struct rig {
	struct trace tr;
	struct bus bus;
	struct cpu c;
	u64 retired;
};

static u64 rd64(struct rig *r, u64 pa)
{
	u64 v;
	memcpy(&v, r->bus.ram + pa, 8);
	return v;
}
static void wr64(struct rig *r, u64 pa, u64 v)
{
	memcpy(r->bus.ram + pa, &v, 8);
}
static u32 rd32(struct rig *r, u64 pa)
{
	u32 v;
	memcpy(&v, r->bus.ram + pa, 4);
	return v;
}
static u16 rd16(struct rig *r, u64 pa)
{
	u16 v;
	memcpy(&v, r->bus.ram + pa, 2);
	return v;
}

static void set_cs(struct rig *r, u16 sel)
{
	desc_to_segment(rd64(r, GDT + (sel & ~7u)), sel, &r->c.seg[SEG_CS]);
	cpu_update_mode(&r->c);
}

/* A CPU in 32-bit protected mode at CPL 0, flat segments, GDT at 0x1000. */
static int setup(void **state)
{
	struct rig *r = xcalloc(1, sizeof(*r));
	struct err e;

	trace_init(&r->tr);
	assert_int_equal(bus_init(&r->bus, RAM, &r->tr, &e), 0);
	assert_int_equal(bus_map_ram(&r->bus, 0, RAM, 0, &e), 0);
	cpu_init(&r->c, 0, &r->bus, &r->tr, &r->retired);
	for (unsigned k = 0; k < ARRAY_SIZE(gdt_init); k++)
		wr64(r, GDT + k * 8, gdt_init[k]);
	r->c.gdtr = (struct dtr){GDT, ARRAY_SIZE(gdt_init) * 8 - 1};
	r->c.ldtr.attr = SEGA_UNUSABLE;
	r->c.cr0 |= CR0_PE;
	set_cs(r, 0x08);
	desc_to_segment(gdt_init[2], 0x10, &r->c.seg[SEG_SS]);
	cpu_update_mode(&r->c);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	cpu_fini(&r->c);
	bus_destroy(&r->bus);
	free(r);
	return 0;
}

/* Run stmt; the vector it raised (error code in *err), or -1. */
#define CATCH(c, err, stmt)                                                                        \
	({                                                                                         \
		volatile int v_ = -1;                                                              \
		(c)->fault_jmp_set = true;                                                         \
		if (setjmp((c)->fault_jmp) == 0) {                                                 \
			stmt;                                                                      \
		} else {                                                                           \
			v_ = (c)->pending_vector;                                                  \
			*(err) = (c)->pending_error;                                               \
		}                                                                                  \
		(c)->fault_jmp_set = false;                                                        \
		v_;                                                                                \
	})

/* ---- parsing ---------------------------------------------------------- */

static void test_desc_parse(void **state)
{
	struct segment s;

	/* Hand-assembled per Figure 3-8: base 0x12345678, limit 0x9abcd,
	 * access byte 0xF2 (P, DPL 3, S, type 2), flags 0x5 (D/B, AVL). */
	desc_to_segment(0x1259f2345678abcdULL, 0x1b, &s);
	assert_int_equal(s.base, 0x12345678);
	assert_int_equal(s.limit, 0x9abcd);
	assert_int_equal(s.attr,
			 0x2 | SEGA_S | (3 << SEGA_DPL_SHIFT) | SEGA_P | SEGA_AVL | SEGA_DB);
	assert_int_equal(s.sel, 0x1b);
	/* The same with G = 1: the limit counts pages. */
	desc_to_segment(0x12d9f2345678abcdULL, 0, &s);
	assert_int_equal(s.limit, 0x9abcdfff);
	assert_true(s.attr & SEGA_G);
	/* The flat segments every OS uses. */
	desc_to_segment(0x00cf9a000000ffffULL, 8, &s);
	assert_int_equal(s.base, 0);
	assert_int_equal(s.limit, 0xffffffff);
	assert_int_equal(s.attr, 0xc09a);
	desc_to_segment(0x00af9a000000ffffULL, 8, &s);
	assert_int_equal(s.attr, 0xa09a); /* G, L; D = 0 */
	assert_true(seg_is_code(s.attr));
	assert_false(seg_is_conforming(s.attr));
}

static void test_gate_parse(void **state)
{
	struct gate g;

	/* A 64-bit interrupt gate (Figure 6-8): offset 0xffffffff81234567,
	 * selector 0x10, IST 2, type 0xE, DPL 3, present. */
	desc_to_gate(0x8123ee0200104567ULL, 0xffffffffULL, true, &g);
	assert_int_equal(g.offset, 0xffffffff81234567ULL);
	assert_int_equal(g.sel, 0x10);
	assert_int_equal(g.ist, 2);
	assert_int_equal(g.type, DESC_INT);
	assert_int_equal(g.dpl, 3);
	assert_true(g.present);
	/* A 32-bit call gate with 3 parameters (Figure 5-8), not present. */
	desc_to_gate(0x12340c0300085678ULL, 0, false, &g);
	assert_int_equal(g.offset, 0x12345678);
	assert_int_equal(g.params, 3);
	assert_int_equal(g.type, DESC_CALL);
	assert_false(g.present);
	assert_int_equal(g.ist, 0);
}

/* ---- selector loads --------------------------------------------------- */

static void test_load_data_ok(void **state)
{
	struct rig *r = *state;
	volatile u32 err = 0;

	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x10)), -1);
	assert_int_equal(r->c.seg[SEG_DS].sel, 0x10);
	assert_int_equal(r->c.seg[SEG_DS].limit, 0xffffffff);
	assert_int_equal(r->c.seg[SEG_DS].attr, 0xc093); /* accessed bit now set */
	/* ... in memory too (SDM Vol 3 §3.4.5.1: the A bit). */
	assert_int_equal(rd64(r, GDT + 0x10), gdt_init[2] | BIT(40));
	/* RPL 3 data at DPL 3, from CPL 0. */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_ES, 0x1b)), -1);
	assert_int_equal(r->c.seg[SEG_ES].sel, 0x1b);
	/* Conforming readable code: no privilege check even with RPL 3. */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_FS, 0x33)), -1);
	/* A null selector: allowed, the register becomes unusable. */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_GS, 0x3)), -1);
	assert_true(r->c.seg[SEG_GS].attr & SEGA_UNUSABLE);
}

static void test_load_data_faults(void **state)
{
	struct rig *r = *state;
	volatile u32 err = 0;

	/* RPL 3 > DPL 0 -> #GP(sel without RPL). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x13)), EXC_GP);
	assert_int_equal(err, 0x10);
	/* Execute-only code is not readable. */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x20)), EXC_GP);
	assert_int_equal(err, 0x20);
	/* Not present -> #NP(sel). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x28)), EXC_NP);
	assert_int_equal(err, 0x28);
	/* Beyond the GDT limit -> #GP(sel). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0xa0)), EXC_GP);
	assert_int_equal(err, 0xa0);
	/* TI = 1 with no LDT -> #GP(sel), error code keeps TI. */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x0c)), EXC_GP);
	assert_int_equal(err, 0x0c);
	/* The DS cache is untouched by all those faults. */
	assert_int_equal(r->c.seg[SEG_DS].sel, 0);
	/* At CPL 3, a DPL 0 data segment is off limits even with RPL 0. */
	set_cs(r, 0x53);
	assert_int_equal(r->c.cpl, 3);
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x10)), EXC_GP);
	assert_int_equal(err, 0x10);
}

static void test_load_ss(void **state)
{
	struct rig *r = *state;
	volatile u32 err = 0;

	/* Null SS outside 64-bit mode -> #GP(0). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0)), EXC_GP);
	assert_int_equal(err, 0);
	/* Read-only data -> #GP(sel). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0x38)), EXC_GP);
	assert_int_equal(err, 0x38);
	/* DPL 3 != CPL 0 -> #GP(sel). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0x1b)), EXC_GP);
	assert_int_equal(err, 0x18);
	/* RPL != CPL -> #GP(sel). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0x11)), EXC_GP);
	assert_int_equal(err, 0x10);
	/* Not present writable data -> #SS(sel), not #NP. */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0x28)), EXC_SS);
	assert_int_equal(err, 0x28);
	/* Code -> #GP(sel). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0x08)), EXC_GP);
	/* A 16-bit stack segment changes the stack size. */
	wr64(r, GDT + 0x28, 0x000092000000ffffULL); /* present, B = 0 */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0x28)), -1);
	assert_int_equal(r->c.stack_size, 2);
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0x10)), -1);
	assert_int_equal(r->c.stack_size, 4);
}

static void test_load_ss_null_64(void **state)
{
	struct rig *r = *state;
	volatile u32 err = 0;

	r->c.cr4 |= CR4_PAE;
	r->c.efer |= EFER_LME | EFER_LMA;
	set_cs(r, 0x48);
	assert_int_equal(r->c.mode, CPU_MODE_LONG64);
	/* 64-bit mode, CPL 0, RPL = CPL: a null SS is legal. */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 0)), -1);
	assert_true(r->c.seg[SEG_SS].attr & SEGA_UNUSABLE);
	/* RPL != CPL -> #GP(0). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 1)), EXC_GP);
	assert_int_equal(err, 0);
	/* CPL 3 -> #GP(0). */
	set_cs(r, 0x43);
	assert_int_equal(r->c.cpl, 3);
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_SS, 3)), EXC_GP);
}

static void test_load_real_and_ldt(void **state)
{
	struct rig *r = *state;
	volatile u32 err = 0;

	/* An LDT with one data segment: selector 0x0c (index 1, TI). */
	wr64(r, LDT + 8, 0x00cf92000000ffffULL);
	r->c.ldtr = (struct segment){0x58, LDT, 15, SEGA_P | DESC_LDT};
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x0c)), -1);
	assert_int_equal(r->c.seg[SEG_DS].sel, 0x0c);
	/* Index 2 is past the LDT limit (15). */
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_DS, 0x14)), EXC_GP);
	assert_int_equal(err, 0x14);

	/* Real mode: base = selector * 16, no table lookup. */
	r->c.cr0 &= ~(u64)CR0_PE;
	cpu_update_mode(&r->c);
	assert_int_equal(CATCH(&r->c, &err, cpu_load_seg(&r->c, SEG_ES, 0x1234)), -1);
	assert_int_equal(r->c.seg[SEG_ES].base, 0x12340);
}

/* ---- delivery through the IVT / IDT ------------------------------------ */

static void test_deliver_real(void **state)
{
	struct rig *r = *state;
	struct cpu *c = &r->c;

	c->cr0 &= ~(u64)CR0_PE;
	cpu_update_mode(c);
	cpu_load_seg_real(c, SEG_CS, 0x0100);
	cpu_load_seg_real(c, SEG_SS, 0x0000);
	c->gpr[RSP] = 0x8000;
	c->rip = 0x0042;
	c->idtr = (struct dtr){0, 0x3ff};
	c->rflags = FL_1 | FL_IF | FL_TF;
	/* IVT[0x20] = 1234:5678 (offset first, SDM Vol 3 §20.1.4). */
	wr64(r, 0x20 * 4, 0x12345678);
	cpu_deliver(c, 0x20, 0, false, EXC_SRC_EXT);
	assert_int_equal(c->seg[SEG_CS].sel, 0x1234);
	assert_int_equal(c->seg[SEG_CS].base, 0x12340);
	assert_int_equal(c->rip, 0x5678);
	assert_int_equal(c->gpr[RSP], 0x7ffa);
	assert_int_equal(rd16(r, 0x7ffa), 0x0042);		 /* IP */
	assert_int_equal(rd16(r, 0x7ffc), 0x0100);		 /* CS */
	assert_int_equal(rd16(r, 0x7ffe), FL_1 | FL_IF | FL_TF); /* FLAGS */
	assert_false(c->rflags & (FL_IF | FL_TF));
	assert_int_equal(r->tr.count[TRACE_INT], 1);
}

/* Write a 32-bit interrupt (type 0xE) or trap (0xF) gate. */
static void idt32(struct rig *r, int vec, u16 sel, u32 off, unsigned type, unsigned dpl)
{
	u64 g = (off & 0xffff) | ((u64)sel << 16) | ((u64)(0x80 | (dpl << 5) | type) << 40) |
		((u64)(off >> 16) << 48);
	wr64(r, IDT + vec * 8, g);
}

static void test_deliver_prot32_same_level(void **state)
{
	struct rig *r = *state;
	struct cpu *c = &r->c;

	c->idtr = (struct dtr){IDT, 0x7ff};
	idt32(r, EXC_GP, 0x08, 0x00401000, DESC_INT, 0);
	c->gpr[RSP] = 0x9000;
	c->rip = 0x1234;
	c->rflags = FL_1 | FL_IF;
	cpu_deliver(c, EXC_GP, 0x10, true, EXC_SRC_FAULT);
	/* Figure 6-4, no privilege change: EFLAGS CS EIP error code. */
	assert_int_equal(c->gpr[RSP], 0x9000 - 16);
	assert_int_equal(rd32(r, 0x9000 - 16), 0x10);	/* error code */
	assert_int_equal(rd32(r, 0x9000 - 12), 0x1234); /* EIP of the fault */
	assert_int_equal(rd32(r, 0x9000 - 8), 0x08);	/* CS */
	/* EFLAGS image of a fault has RF = 1 (SDM Vol 3 §18.3.1.1). */
	assert_int_equal(rd32(r, 0x9000 - 4), FL_1 | FL_IF | FL_RF);
	assert_int_equal(c->rip, 0x00401000);
	assert_false(c->rflags & FL_IF); /* interrupt gate */
	assert_int_equal(c->stats.exceptions[EXC_GP], 1);
}

static void test_deliver_soft_dpl(void **state)
{
	struct rig *r = *state;
	struct cpu *c = &r->c;

	/* User code (CPL 3) doing INT 0x80 through a DPL 0 gate: #GP with
	 * error code 0x80 * 8 + 2 (IDT bit), delivered through vector 13
	 * whose handler runs at CPL 0 on the TSS stack. */
	c->idtr = (struct dtr){IDT, 0x7ff};
	idt32(r, 0x80, 0x08, 0x5000, DESC_TRAP, 0);
	idt32(r, EXC_GP, 0x08, 0x6000, DESC_INT, 0);
	/* A 32-bit TSS at 0x4000 with SS0:ESP0 = 0x10:0xA000. */
	memset(r->bus.ram + 0x4000, 0, 104);
	memcpy(r->bus.ram + 0x4004, &(u32){0xa000}, 4);
	memcpy(r->bus.ram + 0x4008, &(u16){0x10}, 2);
	c->tr = (struct segment){0x60, 0x4000, 103, SEGA_P | DESC_TSS_BUSY};
	set_cs(r, 0x53);
	desc_to_segment(gdt_init[3], 0x1b, &c->seg[SEG_SS]);
	cpu_update_mode(c);
	c->gpr[RSP] = 0x7000;
	c->rip = 0x100;
	c->next_rip = 0x102;
	c->rflags = FL_1 | FL_IF;
	cpu_deliver(c, 0x80, 0, false, EXC_SRC_SOFT);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->rip, 0x6000);
	assert_int_equal(c->seg[SEG_SS].sel, 0x10);
	/* Figure 6-4, with privilege change: SS ESP EFLAGS CS EIP error. */
	assert_int_equal(c->gpr[RSP], 0xa000 - 24);
	assert_int_equal(rd32(r, 0xa000 - 24), 0x80 * 8 + 2);
	assert_int_equal(rd32(r, 0xa000 - 20), 0x100); /* the INT itself */
	assert_int_equal(rd32(r, 0xa000 - 16), 0x53);
	assert_int_equal(rd32(r, 0xa000 - 8), 0x7000);
	assert_int_equal(rd32(r, 0xa000 - 4), 0x1b);
}

static void test_double_and_triple_fault(void **state)
{
	struct rig *r = *state;
	struct cpu *c = &r->c;

	/* #NP's IDT entry is empty (type 0) -> #GP(11*8+2+EXT) while delivering
	 * #NP: contributory on contributory = #DF (Table 6-5). */
	c->idtr = (struct dtr){IDT, 0x7ff};
	idt32(r, EXC_DF, 0x08, 0x7000, DESC_INT, 0);
	wr64(r, IDT + EXC_NP * 8, 0);
	c->gpr[RSP] = 0x9000;
	c->rip = 0x1234;
	cpu_deliver(c, EXC_NP, 0x28, true, EXC_SRC_FAULT);
	assert_false(c->shutdown);
	assert_int_equal(c->rip, 0x7000);
	assert_int_equal(rd32(r, c->gpr[RSP]), 0); /* #DF's error code is 0 */
	assert_int_equal(c->stats.double_faults, 1);

	/* An IDT too small for anything: #GP -> #GP while delivering = #DF,
	 * whose delivery faults too: shutdown. */
	c->idtr = (struct dtr){IDT, 7};
	cpu_deliver(c, EXC_GP, 0, true, EXC_SRC_FAULT);
	assert_true(c->shutdown);
	assert_int_equal(r->tr.count[TRACE_SHUTDOWN], 1);
}

static void test_deliver_long_mode(void **state)
{
	struct rig *r = *state;
	struct cpu *c = &r->c;
	u64 tss = 0x4000;

	/* IA-32e: 16-byte gates, RSP0 from the 64-bit TSS, SS = null(0),
	 * RSP aligned to 16, SS:RSP always pushed (Figure 6-9). */
	c->cr4 |= CR4_PAE;
	c->efer |= EFER_LME | EFER_LMA;
	set_cs(r, 0x43);
	c->seg[SEG_SS].sel = 0x1b;
	c->gpr[RSP] = 0x7777;
	c->rip = 0x400000;
	c->rflags = FL_1 | FL_IF;
	c->idtr = (struct dtr){IDT, 0xfff};
	wr64(r, IDT + 0x30 * 16, 0x00008e0000485000ULL); /* int gate, CS 0x48, 0x5000 */
	wr64(r, IDT + 0x30 * 16 + 8, 0);
	memset(r->bus.ram + tss, 0, 104);
	wr64(r, tss + 4, 0xa008); /* RSP0, deliberately not 16-aligned */
	c->tr = (struct segment){0x60, tss, 103, SEGA_P | DESC_TSS_BUSY};
	cpu_deliver(c, 0x30, 0, false, EXC_SRC_EXT);
	assert_int_equal(c->mode, CPU_MODE_LONG64);
	assert_int_equal(c->cpl, 0);
	assert_int_equal(c->rip, 0x5000);
	assert_int_equal(c->seg[SEG_SS].sel, 0);
	assert_int_equal(c->gpr[RSP], 0xa000 - 40);
	assert_int_equal(rd64(r, 0xa000 - 40), 0x400000); /* RIP */
	assert_int_equal(rd64(r, 0xa000 - 32), 0x43);	  /* CS */
	assert_int_equal(rd64(r, 0xa000 - 24), FL_1 | FL_IF);
	assert_int_equal(rd64(r, 0xa000 - 16), 0x7777); /* RSP */
	assert_int_equal(rd64(r, 0xa000 - 8), 0x1b);	/* SS */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_desc_parse),
	    cmocka_unit_test(test_gate_parse),
	    cmocka_unit_test_setup_teardown(test_load_data_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_data_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_ss, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_ss_null_64, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_real_and_ldt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_real, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_prot32_same_level, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_soft_dpl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_double_and_triple_fault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_long_mode, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
