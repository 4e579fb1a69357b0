/*
 * test_string.c - the string instructions (cpu/exec_string.c) against the
 * host CPU, plus the architectural corner cases the host cannot show us.
 *
 * Oracles:
 *   - the host CPU (x86-64): MOVS CMPS SCAS LODS STOS of every size, with
 *     no prefix / REP / REPE / REPNE, DF = 0 and 1, address size 64 and 32
 *     (67h prefix), are run natively on a host buffer and in vmlab (64-bit
 *     mode, identity-mapped guest memory holding the same bytes) from the
 *     same random state.  Index/count registers, rAX, the arithmetic flags
 *     and every byte of the buffers must agree.  The host instruction is
 *     JIT-assembled into an executable page from the same bytes.
 *   - the SDM, where the host cannot run the case: 16-bit address wrap,
 *     segment override of the source only, #PF in the middle of a REP with
 *     the per-element state and the restart, the interruptible REP chunking,
 *     TF single-stepping each element, REP INS from a port.
 *
 * Handlers are called directly with a hand-built struct insn, so these tests
 * check the handlers and the memory path, not the decoder.
 *
 * ENTER and the near branches are tested in test_flow.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "devices/bus.h"

/* The handlers under test (cpu/exec_string.c, exec_stack.c, exec_branch.c). */
#include "cpu/isa.h"

#include "tests/unit/cpu_fixture.h"

#define SRC_OFF	0x4000
#define DST_OFF	0x8000


/* Run an instruction to completion (re-executing while a REP chunk leaves
 * RIP on it); returns -1 or the vector; *steps counts the executions. */
static int run_all(struct cpu *c, insn_handler *h, const struct insn *i, int *steps)
{
	int n = 0, v;

	do {
		v = run1(c, h, i);
		n++;
		assert_true(n < 1000000);
	} while (v < 0 && c->next_rip == c->insn_rip);
	if (steps)
		*steps = n;
	return v;
}

static struct insn mk_insn(int form, unsigned osize, unsigned asize, u8 rep)
{
	struct insn i;

	memset(&i, 0, sizeof(i));
	i.form = form;
	i.osize = osize;
	i.asize = asize;
	i.rep = rep;
	i.seg = SEG_DS;
	i.seg_override = SEG_NONE;
	i.len = 2;
	return i;
}

/* ---- host oracle ---- */

enum op { OP_MOVS, OP_CMPS, OP_STOS, OP_LODS, OP_SCAS, OP_COUNT };
static const char *const op_name[OP_COUNT] = {"movs", "cmps", "stos", "lods", "scas"};
static const u8 op_byte[OP_COUNT] = {0xa4, 0xa6, 0xaa, 0xac, 0xae};

static insn_handler *const h_byte[OP_COUNT] = {MOVSB_YbXb, CMPSB_XbYb, STOSB_YbAL, LODSB_ALXb,
					       SCASB_ALYb};
static insn_handler *const h_v[OP_COUNT] = {MOVS_YvXv, CMPS_XvYv, STOS_YvrAX, LODS_rAXXv,
					    SCAS_rAXYv};
static const int f_byte[OP_COUNT] = {FORM_MOVSB_YbXb, FORM_CMPSB_XbYb, FORM_STOSB_YbAL,
				     FORM_LODSB_ALXb, FORM_SCASB_ALYb};
static const int f_v[OP_COUNT] = {FORM_MOVS_YvXv, FORM_CMPS_XvYv, FORM_STOS_YvrAX, FORM_LODS_rAXXv,
				  FORM_SCAS_rAXYv};

struct hregs {
	u64 rdi, rsi, rcx, rax, flags;
};

typedef void host_fn(struct hregs *r);

static u8 *jit;	  /* one RWX page for the host instruction */
static u8 *harea; /* the host test area, below 4 GiB (MAP_32BIT) */

/*
 * Assemble: load rdi rsi rcx rax from *r (r in rdi -> r8), set DF, the
 * instruction under test, save the registers and RFLAGS back, clear DF.
 */
static host_fn *host_build(const u8 *insn, unsigned len, bool df)
{
	static const u8 pro[] = {
	    0x49, 0x89, 0xf8,	    /* mov r8, rdi */
	    0x49, 0x8b, 0x70, 0x08, /* mov rsi, [r8+8] */
	    0x49, 0x8b, 0x48, 0x10, /* mov rcx, [r8+16] */
	    0x49, 0x8b, 0x40, 0x18, /* mov rax, [r8+24] */
	    0x49, 0x8b, 0x38,	    /* mov rdi, [r8] */
	};
	static const u8 epi[] = {
	    0x9c, 0x41, 0x59,	    /* pushfq; pop r9 */
	    0xfc,		    /* cld */
	    0x49, 0x89, 0x38,	    /* mov [r8], rdi */
	    0x49, 0x89, 0x70, 0x08, /* mov [r8+8], rsi */
	    0x49, 0x89, 0x48, 0x10, /* mov [r8+16], rcx */
	    0x49, 0x89, 0x40, 0x18, /* mov [r8+24], rax */
	    0x4d, 0x89, 0x48, 0x20, /* mov [r8+32], r9 */
	    0xc3,		    /* ret */
	};
	u8 *p = jit;

	memcpy(p, pro, sizeof(pro));
	p += sizeof(pro);
	*p++ = df ? 0xfd : 0xfc; /* std / cld */
	memcpy(p, insn, len);
	p += len;
	memcpy(p, epi, sizeof(epi));
	__builtin___clear_cache((char *)jit, (char *)p + sizeof(epi));
	return (host_fn *)(void *)jit;
}

static u64 rnd64(void)
{
	return (u64)random() << 62 ^ (u64)random() << 31 ^ (u64)random();
}

/* Fill the test area: the source and destination windows get data drawn from
 * a small or large alphabet so that REPE/REPNE stop at varied places. */
static void fill_area(u8 *a, int kind)
{
	for (unsigned n = 0; n < AREA_SIZE; n++)
		a[n] = kind == 0 ? (u8)(random() & 1) : (u8)random();
	if (kind == 2) {
		/* destination = source with a rare difference */
		memcpy(a + DST_OFF, a + SRC_OFF, 0x1000);
		a[DST_OFF + 0x400 + random() % 0x800] ^= 1 << (random() % 8);
	}
}

/* One random case: returns the number of mismatches (0 = agree). */
static int oracle_case(struct fix *f, enum op op, unsigned sz, unsigned asz, u8 rep, bool df)
{
	struct cpu *c = &f->c;
	static u8 guest_after[AREA_SIZE];
	u8 code[8];
	unsigned n = 0;
	struct hregs h0, h;
	u64 base = (u64)(uintptr_t)harea;
	u64 soff = SRC_OFF + (df ? 0xc00 : 0x400) + (random() % 16);
	u64 doff = DST_OFF + (df ? 0xc00 : 0x400) + (random() % 16);
	u64 garbage = asz == 4 ? (rnd64() & ~0xffffffffULL) : 0;
	u64 count = random() % 3 == 0 ? random() % 4 : random() % 48;
	int bad = 0;
	struct insn i;

	fill_area(harea, random() % 3);
	/* sometimes make rAX equal to an element of the destination (SCAS) */
	h0.rax = rnd64();
	if (random() & 1)
		memcpy(&h0.rax, harea + doff + (df ? -1 : 1) * (s64)(random() % 8) * sz, sz);
	h0.rsi = garbage | (base + soff);
	h0.rdi = garbage | (base + doff);
	h0.rcx = (asz == 4 ? (rnd64() & ~0xffffffffULL) : 0) | count;
	h0.flags = 0;

	/* Assemble: [67] [F3|F2] [66] [REX.W] opcode */
	if (asz == 4)
		code[n++] = 0x67;
	if (rep)
		code[n++] = rep;
	if (sz == 2)
		code[n++] = 0x66;
	if (sz == 8)
		code[n++] = 0x48;
	code[n++] = op_byte[op] + (sz == 1 ? 0 : 1);

	/* Guest: same bytes at AREA, same registers relative to AREA. */
	assert_int_equal(bus_dma_write(&f->bus, AREA, harea, AREA_SIZE), 0);
	enter_long64(f);
	c->gpr[RSI] = garbage | (AREA + soff);
	c->gpr[RDI] = garbage | (AREA + doff);
	c->gpr[RCX] = h0.rcx;
	c->gpr[RAX] = h0.rax;
	cpu_set_rflags(c, FL_1 | (df ? FL_DF : 0));
	i = mk_insn(sz == 1 ? f_byte[op] : f_v[op], sz == 1 ? 4 : sz, asz, rep);
	i.len = n;
	assert_int_equal(run_all(c, sz == 1 ? h_byte[op] : h_v[op], &i, NULL), -1);
	assert_int_equal(bus_dma_read(&f->bus, AREA, guest_after, AREA_SIZE), 0);

	/* Host. */
	h = h0;
	host_build(code, n, df)(&h);

#define CHECK(what, hv, gv)                                                                        \
	do {                                                                                       \
		if ((u64)(hv) != (u64)(gv)) {                                                      \
			print_error("%s%s sz=%u asz=%u rep=%02x df=%d count=%llu: %s host %llx "   \
				    "vmlab %llx\n",                                                \
				    op_name[op], "", sz, asz, rep, df, (unsigned long long)count,  \
				    what, (unsigned long long)(hv), (unsigned long long)(gv));     \
			bad++;                                                                     \
		}                                                                                  \
	} while (0)

	/* Index registers: compare the upper halves exactly and the low
	 * halves as distances moved (the bases differ). */
	CHECK("rsi.hi", h.rsi >> 32, c->gpr[RSI] >> 32);
	CHECK("rdi.hi", h.rdi >> 32, c->gpr[RDI] >> 32);
	CHECK("rsi.moved", (u32)(h.rsi - h0.rsi), (u32)(c->gpr[RSI] - (garbage | (AREA + soff))));
	CHECK("rdi.moved", (u32)(h.rdi - h0.rdi), (u32)(c->gpr[RDI] - (garbage | (AREA + doff))));
	CHECK("rcx", h.rcx, c->gpr[RCX]);
	CHECK("rax", h.rax, c->gpr[RAX]);
	if ((op == OP_CMPS || op == OP_SCAS) && (!rep || (count & mask_of(asz))))
		CHECK("flags", h.flags & FL_ARITH, cpu_rflags(c) & FL_ARITH);
	CHECK("DF kept", df, !!(cpu_rflags(c) & FL_DF));
	CHECK("memory", memcmp(harea, guest_after, AREA_SIZE) != 0, 0);
	return bad;
}

static void test_host_oracle(void **state)
{
	struct fix *f = *state;
	static const unsigned sizes[] = {1, 2, 4, 8};
	static const u8 reps[] = {0, 0xf3, 0xf2};
	int cases = 0, bad = 0;

	jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	harea = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	assert_true(jit != MAP_FAILED && harea != MAP_FAILED);
	srandom(12345);
	for (int op = 0; op < OP_COUNT; op++)
		for (unsigned s = 0; s < 4; s++)
			for (unsigned a = 0; a < 2; a++)
				for (unsigned r = 0; r < 3; r++)
					for (int df = 0; df < 2; df++)
						for (int k = 0; k < 8; k++) {
							bad += oracle_case(f, op, sizes[s],
									   a ? 4 : 8, reps[r], df);
							cases++;
						}
	print_message("string host oracle: %d cases, %d mismatches\n", cases, bad);
	assert_int_equal(bad, 0);
	munmap(jit, 4096);
	munmap(harea, AREA_SIZE);
}

/* ---- SDM cases the host cannot run ---- */

/* 16-bit address size: SI/DI wrap within 64 KiB, bits 63:16 untouched
 * (SDM Vol 1 §3.3.6 / Vol 2 MOVS "address-size attribute"). */
static void test_wrap16(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i = mk_insn(FORM_MOVSB_YbXb, 2, 2, 0);
	u8 b;

	enter_real(f);
	cpu_load_seg_real(c, SEG_DS, 0x2000);
	cpu_load_seg_real(c, SEG_ES, 0x3000);
	b = 0x5a;
	bus_dma_write(&f->bus, 0x2ffff, &b, 1);
	c->gpr[RSI] = 0x1234000000000000ULL | 0xffff;
	c->gpr[RDI] = 0xabcd0000ffff0000ULL | 0xffff;
	assert_int_equal(run1(c, MOVSB_YbXb, &i), -1);
	assert_int_equal(c->gpr[RSI], 0x1234000000000000ULL);
	assert_int_equal(c->gpr[RDI], 0xabcd0000ffff0000ULL);
	bus_dma_read(&f->bus, 0x3ffff, &b, 1);
	assert_int_equal(b, 0x5a);

	/* REP STOSB across the wrap: ES:FFFE, ES:FFFF, ES:0000; CX counts to 0
	 * and only CX (not ECX) is used as the count. */
	i = mk_insn(FORM_STOSB_YbAL, 2, 2, 0xf3);
	c->gpr[RDI] = 0xfffe;
	c->gpr[RCX] = 0x77770003;
	c->gpr[RAX] = 0xc3;
	assert_int_equal(run_all(c, STOSB_YbAL, &i, NULL), -1);
	assert_int_equal(c->gpr[RCX], 0x77770000);
	assert_int_equal(c->gpr[RDI], 0x0001);
	bus_dma_read(&f->bus, 0x3fffe, &b, 1);
	assert_int_equal(b, 0xc3);
	bus_dma_read(&f->bus, 0x3ffff, &b, 1);
	assert_int_equal(b, 0xc3);
	bus_dma_read(&f->bus, 0x30000, &b, 1);
	assert_int_equal(b, 0xc3);
}

/* A segment override changes the SOURCE only; the destination is ES. */
static void test_override(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i = mk_insn(FORM_MOVS_YvXv, 2, 2, 0);
	u16 w = 0xbeef, r = 0;

	enter_real(f);
	cpu_load_seg_real(c, SEG_DS, 0x1000);
	cpu_load_seg_real(c, SEG_FS, 0x4000);
	cpu_load_seg_real(c, SEG_ES, 0x5000);
	bus_dma_write(&f->bus, 0x40010, &w, 2);
	i.seg_override = SEG_FS;
	i.seg = SEG_FS;
	c->gpr[RSI] = 0x10;
	c->gpr[RDI] = 0x20;
	assert_int_equal(run1(c, MOVS_YvXv, &i), -1);
	bus_dma_read(&f->bus, 0x50020, &r, 2);
	assert_int_equal(r, 0xbeef);
	assert_int_equal(c->gpr[RSI], 0x12);
	assert_int_equal(c->gpr[RDI], 0x22);
}

/* #PF in the middle of REP MOVSB: state committed per element, RIP on the
 * instruction; after the page is mapped the instruction finishes. */
static void test_fault_midway(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i = mk_insn(FORM_MOVSB_YbXb, 4, 8, 0xf3);
	u8 src[100], dst[100];

	enter_long64(f);
	for (int n = 0; n < 100; n++)
		src[n] = (u8)(n * 7 + 1);
	bus_dma_write(&f->bus, 0x200000, src, sizeof(src));
	c->gpr[RSI] = 0x200000;
	c->gpr[RDI] = HOLE - 16;
	c->gpr[RCX] = 100;
	assert_int_equal(run_all(c, MOVSB_YbXb, &i, NULL), EXC_PF);
	assert_int_equal(c->cr2, HOLE);
	assert_int_equal(c->gpr[RCX], 84);
	assert_int_equal(c->gpr[RSI], 0x200000 + 16);
	assert_int_equal(c->gpr[RDI], HOLE);
	assert_int_equal(c->insn_rip, c->rip);
	bus_dma_read(&f->bus, HOLE - 16, dst, 16);
	assert_memory_equal(dst, src, 16);

	/* The "OS" maps the page and returns to the instruction. */
	pwrite64(f, PT + ((HOLE - 0x600000) >> 12) * 8, HOLE | 3);
	cpu_tlb_flush(c, true);
	assert_int_equal(run_all(c, MOVSB_YbXb, &i, NULL), -1);
	assert_int_equal(c->gpr[RCX], 0);
	bus_dma_read(&f->bus, HOLE - 16, dst, 100);
	assert_memory_equal(dst, src, 100);
}

/* A long REP gives the step loop control back with RIP on the instruction
 * (so interrupts can be taken), and TF makes it one element per step. */
static void test_interruptible(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i = mk_insn(FORM_STOS_YvrAX, 4, 8, 0xf3);
	int steps;
	u32 v;

	enter_long64(f);
	c->gpr[RDI] = 0x300000;
	c->gpr[RCX] = 20000;
	c->gpr[RAX] = 0x11223344;
	assert_int_equal(run1(c, STOS_YvrAX, &i), -1);
	assert_int_equal(c->next_rip, c->insn_rip);
	assert_true(c->gpr[RCX] > 0 && c->gpr[RCX] < 20000);
	assert_int_equal(run_all(c, STOS_YvrAX, &i, &steps), -1);
	assert_true(steps >= 1);
	assert_int_equal(c->gpr[RCX], 0);
	assert_int_equal(c->gpr[RDI], 0x300000 + 4 * 20000);
	assert_int_not_equal(c->next_rip, c->insn_rip);
	bus_dma_read(&f->bus, 0x300000 + 4 * 19999, &v, 4);
	assert_int_equal(v, 0x11223344);

	/* Trap flag: one element per step. */
	c->gpr[RDI] = 0x300000;
	c->gpr[RCX] = 5;
	cpu_set_rflags(c, FL_1 | FL_TF);
	assert_int_equal(run_all(c, STOS_YvrAX, &i, &steps), -1);
	assert_int_equal(steps, 5);
	assert_int_equal(c->gpr[RCX], 0);
	cpu_set_rflags(c, FL_1);

	/* REP with a zero count does nothing at all, not even touch memory. */
	c->gpr[RDI] = HOLE;
	c->gpr[RCX] = 0;
	assert_int_equal(run1(c, STOS_YvrAX, &i), -1);
	assert_int_equal(c->gpr[RDI], HOLE);
}

/* REP INSW from an unclaimed port: the bus answers all-ones. */
static void test_ins(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i = mk_insn(FORM_INS_YzDX, 2, 2, 0xf3);
	u16 w[4] = {0, 0, 0, 0x1234};

	enter_real(f);
	cpu_load_seg_real(c, SEG_ES, 0x6000);
	bus_dma_write(&f->bus, 0x60100, w, sizeof(w));
	c->gpr[RDX] = 0x5e5; /* nothing there */
	c->gpr[RDI] = 0x100;
	c->gpr[RCX] = 3;
	assert_int_equal(run_all(c, INS_YzDX, &i, NULL), -1);
	bus_dma_read(&f->bus, 0x60100, w, sizeof(w));
	assert_int_equal(w[0], 0xffff);
	assert_int_equal(w[2], 0xffff);
	assert_int_equal(w[3], 0x1234);
	assert_int_equal(c->gpr[RDI], 0x106);
	assert_int_equal(c->gpr[RCX], 0);
}

/* CPUID tells the truth: each leaf's feature bits are exactly the features
 * cpu_has_feature() lets execute, and no SSE/x87 is claimed. */
static void test_cpuid_consistent(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct cpuid_regs r1, r7, e1, r0;

	enter_long64(f);
	r0 = cpuid_query(c, 0, 0);
	r1 = cpuid_query(c, 1, 0);
	r7 = cpuid_query(c, 7, 0);
	e1 = cpuid_query(c, 0x80000001, 0);
	assert_int_equal(r0.eax, CPUID_MAX_BASIC);
	assert_int_equal(!!(r1.edx & BIT(0)), cpu_has_feature(c, FPU));
	assert_int_equal(!!(r1.edx & BIT(25)), cpu_has_feature(c, SSE));
	assert_int_equal(!!(r1.edx & BIT(26)), cpu_has_feature(c, SSE2));
	assert_int_equal(!!(r1.edx & BIT(8)), cpu_has_feature(c, CX8));
	assert_int_equal(!!(r1.ecx & BIT(23)), cpu_has_feature(c, POPCNT));
	assert_int_equal(!!(r7.ebx & BIT(3)), cpu_has_feature(c, BMI1));
	assert_int_equal(!!(r7.ebx & BIT(8)), cpu_has_feature(c, BMI2));
	assert_int_equal(!!(e1.edx & BIT(29)), cpu_has_feature(c, LM));
	assert_int_equal(!!(e1.ecx & BIT(5)), cpu_has_feature(c, LZCNT));
	assert_false(cpu_has_feature(c, SSE) || cpu_has_feature(c, FPU));
	assert_true(cpu_has_feature(c, BASE));
	/* Never advertise a feature with an unwritten row. */
	for (int form = 0; form < FORM_COUNT; form++)
		if (isa_forms[form].feature != BASE && cpu_has_feature(c, isa_forms[form].feature))
			assert_true(isa_form_implemented(form));
	/* Past the last leaf: the highest basic leaf's data (Intel). */
	r1 = cpuid_query(c, CPUID_MAX_BASIC, 0);
	r7 = cpuid_query(c, 0x40, 0);
	assert_memory_equal(&r1, &r7, sizeof(r1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_host_oracle, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_wrap16, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_override, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_fault_midway, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_interruptible, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_ins, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_cpuid_consistent, fix_setup, fix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
