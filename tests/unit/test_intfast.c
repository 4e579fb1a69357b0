/*
 * test_intfast.c - the INT n / IRETQ fast paths (cpu/exec_intfast.c)
 * against the full architectural paths (cpu_deliver in cpu/exception.c,
 * IRET in cpu/exec_far.c), which follow the SDM pseudocode (Vol 2 INT n,
 * IRET; Vol 3 §6.14).  The host CPU cannot be the oracle here: difftest
 * skips INT and IRET as sensitive, and this host cannot run them in a
 * guest.  So every case runs twice from the same state and memory:
 *
 *   A. the full path, with the soft TLB flushed first (the fast path then
 *      declines, and the full path warms the TLB);
 *   B. the fast path alone, with the warm TLB.
 *
 * When B says "done", registers, segment caches, RFLAGS, RIP, the trace
 * counters and guest memory must equal A's, and A must have raised
 * nothing.  When B declines, the CPU and memory must be untouched.  Random
 * valid states must take the fast path (else it would never be tested);
 * the hand-made bad states (bad gate, not present, wrong DPL, non-canonical,
 * bad TSS, clear accessed bits, page splits, rewritten IDT/GDT entries)
 * must decline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"
#include "devices/bus.h"
/* The handler prototypes (one per isa.def row). */
#include "cpu/isa.h"

#include "tests/unit/cpu_fixture.h"

#define GDT  0x10000
#define IDT  0x20000
#define TSS  0x30000
#define KSTK 0x480000 /* kernel stacks: 0x480000-0x4a0000 */
#define USTK 0x500000 /* user stacks:   0x500000-0x520000 */
#define SPAN 0x20000

/* GDT selectors (index * 8); descriptors with A = 1 unless named _NA. */
enum {
	K_CODE = 0x08,
	K_DATA = 0x10,
	U_DATA = 0x18,
	U_CODE = 0x20,
	K_CONF = 0x28,	  /* conforming 64-bit code, DPL 0 */
	K_CODE32 = 0x30,  /* L = 0, D = 1 */
	K_CODE_NP = 0x38, /* not present */
	K_CODE_NA = 0x40, /* accessed bit clear */
	K_CODE_LD = 0x48, /* L = D = 1 */
	R1_CODE = 0x50,
	R1_DATA = 0x58,
	U_DATA_NP = 0x60,
	U_CODE_NA = 0x68,
	U_DATA_NA = 0x70,
	GDT_END = 0x78,
};

static const u64 gdt[] = {
    0,
    0x00af9b000000ffffULL,
    0x00cf93000000ffffULL,
    0x00cff3000000ffffULL,
    0x00affb000000ffffULL,
    0x00af9f000000ffffULL,
    0x00cf9b000000ffffULL,
    0x00af1b000000ffffULL,
    0x00af9a000000ffffULL,
    0x00ef9b000000ffffULL,
    0x00afbb000000ffffULL,
    0x00cfb3000000ffffULL,
    0x00cf73000000ffffULL,
    0x00affa000000ffffULL,
    0x00cff2000000ffffULL,
};

static u64 rng = 0x2545f4914f6cdd1dULL;
static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Memory the two paths may touch: tables, TSS and both stack spans. */
static u8 save_tab[0x21000], save_k[SPAN], save_u[SPAN];
static u8 res_tab[0x21000], res_k[SPAN], res_u[SPAN];

static void mem_io(struct fix *f, bool save, u8 *tab, u8 *k, u8 *u)
{
	int (*op)(struct bus *, u64, void *, u64) =
	    save ? bus_dma_read : (int (*)(struct bus *, u64, void *, u64))bus_dma_write;

	assert_int_equal(op(&f->bus, GDT, tab, sizeof(save_tab)), 0);
	assert_int_equal(op(&f->bus, KSTK, k, SPAN), 0);
	assert_int_equal(op(&f->bus, USTK, u, SPAN), 0);
}

static void set_seg(struct cpu *c, enum sreg s, u16 sel)
{
	if (SEL_IS_NULL(sel))
		seg_load_null(c, s, sel);
	else
		desc_to_segment(gdt[sel >> 3], sel, &c->seg[s]);
}

static void set_gate(struct fix *f, unsigned vec, u16 sel, u64 off, unsigned type, unsigned dpl,
		     unsigned ist, bool p)
{
	u64 lo = (off & 0xffff) | ((u64)sel << 16) | ((u64)ist << 32) | ((u64)type << 40) |
		 ((u64)dpl << 45) | ((u64)p << 47) | (((off >> 16) & 0xffff) << 48);

	pwrite64(f, IDT + vec * 16, lo);
	pwrite64(f, IDT + vec * 16 + 8, off >> 32);
}

/* 64-bit mode with user-accessible identity paging, our GDT/IDT/TSS. */
static void machine(struct fix *f)
{
	struct cpu *c = &f->c;

	enter_long64(f);
	pwrite64(f, PML4, PDPT | 7);
	pwrite64(f, PDPT, PD | 7);
	for (u64 n = 0; n < 8; n++)
		pwrite64(f, PD + n * 8, n == 3 ? (PT | 7) : ((n << 21) | 0x87));
	for (u64 n = 0; n < 512; n++) {
		u64 pa = 0x600000 + (n << 12);
		pwrite64(f, PT + n * 8, pa == HOLE ? 0 : (pa | 7));
	}
	for (unsigned k = 0; k < ARRAY_SIZE(gdt); k++)
		pwrite64(f, GDT + k * 8, gdt[k]);
	/* Just past the limit: a valid-looking descriptor that must not be used. */
	pwrite64(f, GDT + GDT_END, gdt[U_CODE >> 3]);
	c->gdtr = (struct dtr){.base = GDT, .limit = GDT_END - 1};
	c->idtr = (struct dtr){.base = IDT, .limit = 0xfff};
	c->tr = (struct segment){0x80, TSS, 0x67, SEGA_P | DESC_TSS_BUSY};
	c->ldtr = (struct segment){0, 0, 0, SEGA_UNUSABLE};
	/* Exception handlers for the full path's faults: vectors 0-31 go to
	 * K_CODE at 0x1000 + vector on IST 1, so no fault escalates. */
	for (unsigned v = 0; v < 32; v++)
		set_gate(f, v, K_CODE, 0x1000 + v, DESC_INT, 0, 1, true);
	pwrite64(f, TSS + 4, KSTK + 0x10000); /* RSP0 */
	for (unsigned k = 1; k <= 7; k++)
		pwrite64(f, TSS + 28 + 8 * k, KSTK + 0x1000 * (k + 1) + 0x800);
	cpu_tlb_flush(c, true);
}

/* The state that both paths must agree on. */
static void same_state(struct cpu *a, struct cpu *b)
{
	for (int r = 0; r < 16; r++)
		assert_int_equal(a->gpr[r], b->gpr[r]);
	assert_int_equal(a->rip, b->rip);
	assert_int_equal(a->next_rip, b->next_rip);
	assert_int_equal(cpu_rflags(a), cpu_rflags(b));
	for (int s = 0; s < SEG_COUNT; s++) {
		assert_int_equal(a->seg[s].sel, b->seg[s].sel);
		assert_int_equal(a->seg[s].base, b->seg[s].base);
		assert_int_equal(a->seg[s].limit, b->seg[s].limit);
		assert_int_equal(a->seg[s].attr, b->seg[s].attr);
	}
	assert_int_equal(a->cpl, b->cpl);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->code_size, b->code_size);
	assert_int_equal(a->stack_size, b->stack_size);
	assert_int_equal(a->nmi_blocked, b->nmi_blocked);
	assert_int_equal(a->delivering, b->delivering);
}

static u64 faults(const struct cpu *c)
{
	u64 n = c->stats.double_faults + c->stats.triple_faults;

	for (int v = 0; v < 32; v++)
		n += c->stats.exceptions[v];
	return n;
}

/* Fill the soft TLB (read and write rights, D bits set) for every page
 * the paths may touch, so that a decline is the fast path's decision and
 * not a TLB miss. */
static void warm_tlb(struct cpu *c)
{
	static const u64 spans[][2] = {{GDT, 0x21000}, {KSTK, SPAN}, {USTK, SPAN}};

	for (unsigned k = 0; k < ARRAY_SIZE(spans); k++)
		for (u64 p = spans[k][0]; p < spans[k][0] + spans[k][1]; p += 4096)
			cpu_write_lin(c, p, 8, cpu_read_lin(c, p, 8, true), true);
}

enum want { EITHER, FAST, SLOW };
static unsigned n_fast, n_slow;

/*
 * Run the full path (A) and the fast path (B) from the state in f->c.
 * iret: IRETQ, else INT vec.  Returns whether B took the fast path.
 */
static bool compare(struct fix *f, bool iret, unsigned vec, enum want want)
{
	static struct cpu start, full;
	static u64 t0[TRACE_KIND_COUNT], ta[TRACE_KIND_COUNT];
	struct cpu *c = &f->c;
	struct insn i = {.osize = 8};
	bool full_ok, fast;
	int v = -1;

	c->insn_rip = c->rip;
	c->next_rip = c->rip + 2;
	c->delivering = -1;
	mem_io(f, true, save_tab, save_k, save_u);
	memcpy(t0, f->trace.count, sizeof(t0));
	start = *c;

	/* A: the reference, from a cold TLB. */
	cpu_tlb_flush(c, true);
	{
		u64 before = faults(c);

		if (iret)
			v = run1(c, IRET, &i);
		else
			cpu_deliver(c, vec, 0, false, EXC_SRC_SOFT);
		full_ok = v == -1 && faults(c) == before;
	}
	full = *c;
	memcpy(ta, f->trace.count, sizeof(ta));
	ta[TRACE_TLB] = t0[TRACE_TLB]; /* our own flush above */
	mem_io(f, true, res_tab, res_k, res_u);

	/* B: the fast path from the same state, warm TLB. */
	mem_io(f, false, save_tab, save_k, save_u);
	*c = start;
	warm_tlb(c);
	memcpy(f->trace.count, t0, sizeof(t0));
	fast = iret ? cpu_iretq_fast(c) : cpu_int_fast(c, (u8)vec);
	if (fast) {
		n_fast++;
		assert_true(full_ok);
		same_state(&full, c);
		assert_memory_equal(f->trace.count, ta, sizeof(ta)); /* the INT event */
		mem_io(f, true, save_tab, save_k, save_u);
		assert_memory_equal(save_tab, res_tab, sizeof(res_tab));
		assert_memory_equal(save_k, res_k, SPAN);
		assert_memory_equal(save_u, res_u, SPAN);
	} else {
		n_slow++;
		same_state(&start, c); /* declined: nothing changed */
		assert_memory_equal(f->trace.count, t0, sizeof(t0));
		mem_io(f, true, res_tab, res_k, res_u);
		assert_memory_equal(save_tab, res_tab, sizeof(res_tab));
		assert_memory_equal(save_k, res_k, SPAN);
		assert_memory_equal(save_u, res_u, SPAN);
	}
	if (want == FAST)
		assert_true(fast);
	if (want == SLOW)
		assert_false(fast);
	return fast;
}

/* ---- INT n ------------------------------------------------------------ */

/* The current privilege level `cpl` with its usual CS/SS. */
static void at_cpl(struct cpu *c, unsigned cpl, u64 rsp)
{
	static const u16 cs[4] = {K_CODE, R1_CODE | 1, 0, U_CODE | 3};
	static const u16 ss[4] = {K_DATA, R1_DATA | 1, 0, U_DATA | 3};

	set_seg(c, SEG_CS, cs[cpl]);
	set_seg(c, SEG_SS, ss[cpl]);
	set_seg(c, SEG_DS, cpl == 3 ? U_DATA | 3 : K_DATA);
	set_seg(c, SEG_ES, 0);
	cpu_update_mode(c);
	c->gpr[RSP] = rsp;
	assert_int_equal(c->cpl, cpl);
	assert_int_equal(c->mode, CPU_MODE_LONG64);
}

static u64 rnd_flags(bool nt)
{
	u64 fl = rnd() & (FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_RF | FL_AC | FL_ID);
	return fl | (nt && rnd() % 8 == 0 ? FL_NT : 0);
}

static void test_int_random(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	static const u16 handlers[] = {K_CODE, K_CONF, R1_CODE, U_CODE | 3};

	machine(f);
	n_fast = n_slow = 0;
	for (int it = 0; it < 400; it++) {
		unsigned cpl = (unsigned[]){0, 1, 3, 3}[rnd() % 4];
		unsigned vec = 0x20 + (unsigned)(rnd() % 224),
			 dpl = 3 - (unsigned)(rnd() % 2) * cpl;
		unsigned ist = rnd() % 2 ? (unsigned)(rnd() % 8) : 0;
		u16 sel = handlers[rnd() % 4];
		u64 off =
		    rnd() % 4 ? (rnd() & 0x00007fffffffffffULL) : ~(rnd() & 0x7fffffffffffULL);
		u64 rsp = (cpl == 3 ? USTK : KSTK + 0x12000) + 0x100 + (rnd() % 0xe00);
		bool valid;

		at_cpl(c, cpl, rsp);
		for (unsigned k = 0; k < 8; k++) /* RSP0-2 and IST1-7 */
			pwrite64(f, TSS + (k < 3 ? 4 + 8 * k : 28 + 8 * (k - 2)),
				 KSTK + 0x1000 * (k + 1) + 0x100 + (rnd() % 0xe00));
		for (int r = 0; r < 16; r++)
			if (r != RSP)
				c->gpr[r] = rnd();
		cpu_set_rflags(c, rnd_flags(true));
		set_gate(f, vec, sel, off, rnd() % 2 ? DESC_INT : DESC_TRAP, dpl, ist, true);
		c->rip = rnd() & 0x7fffffffffffULL;
		/* Valid: the gate admits CPL, the handler is not less privileged
		 * than CPL, the entry is canonical.  Then the fast path must go. */
		valid = dpl >= cpl &&
			(sel & 3	  ? 3u
			 : sel == R1_CODE ? 1u
					  : 0u) <= cpl &&
			cpu_canonical(c, off);
		compare(f, false, vec, valid ? FAST : SLOW);
	}
	print_message("INT n: %u fast, %u declined\n", n_fast, n_slow);
	assert_true(n_fast > 150 && n_slow > 50);
}

/* A valid INT 0x80 from CPL 3 to K_CODE, then one thing broken. */
static void int80_setup(struct fix *f)
{
	machine(f);
	at_cpl(&f->c, 3, USTK + 0x8f38);
	cpu_set_rflags(&f->c, FL_IF);
	f->c.rip = 0x401000;
	set_gate(f, 0x80, K_CODE, 0xffffffff81000000ULL, DESC_INT, 3, 0, true);
	pwrite64(f, TSS + 4, KSTK + 0x10000);
}

static void test_int_declines(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	static const u16 bad_cs[] = {0, K_DATA, K_CODE32, K_CODE_NP, K_CODE_LD, K_CODE_NA, GDT_END};

	int80_setup(f);
	compare(f, false, 0x80, FAST);
	int80_setup(f);
	/* The gate: not present, DPL 0 from CPL 3, call/task gate, S = 1. */
	set_gate(f, 0x80, K_CODE, 0xffffffff81000000ULL, DESC_INT, 3, 0, false);
	compare(f, false, 0x80, SLOW);
	set_gate(f, 0x80, K_CODE, 0xffffffff81000000ULL, DESC_INT, 0, 0, true);
	compare(f, false, 0x80, SLOW);
	set_gate(f, 0x80, K_CODE, 0xffffffff81000000ULL, DESC_CALL, 3, 0, true);
	compare(f, false, 0x80, SLOW);
	set_gate(f, 0x80, K_CODE, 0xffffffff81000000ULL, DESC_TASK, 3, 0, true);
	compare(f, false, 0x80, SLOW);
	set_gate(f, 0x80, K_CODE, 0xffffffff81000000ULL, 0x1e, 3, 0, true); /* S=1 */
	compare(f, false, 0x80, SLOW);
	/* Non-canonical entry point. */
	set_gate(f, 0x80, K_CODE, 0x0000800000000000ULL, DESC_INT, 3, 0, true);
	compare(f, false, 0x80, SLOW);
	/* Bad handler code segments (null, data, 32-bit, not present, L=D=1,
	 * accessed bit clear, beyond the GDT limit). */
	for (unsigned k = 0; k < ARRAY_SIZE(bad_cs); k++) {
		set_gate(f, 0x80, bad_cs[k], 0x1000, DESC_TRAP, 3, 0, true);
		pwrite64(f, GDT + K_CODE_NA, gdt[K_CODE_NA >> 3]);
		compare(f, false, 0x80, SLOW);
	}
	/* Beyond the IDT limit. */
	int80_setup(f);
	c->idtr.limit = 0x80 * 16 + 14;
	compare(f, false, 0x80, SLOW);
	/* TSS: RSP0 past its limit, non-canonical, on a not-present page,
	 * a frame split across two pages; an IST slot past the limit. */
	int80_setup(f);
	c->tr.limit = 0xa; /* RSP0 is bytes 4-11 */
	compare(f, false, 0x80, SLOW);
	int80_setup(f);
	pwrite64(f, TSS + 4, 0x0000800000000100ULL);
	compare(f, false, 0x80, SLOW);
	pwrite64(f, TSS + 4, HOLE + 0x800);
	compare(f, false, 0x80, SLOW);
	pwrite64(f, TSS + 4, KSTK + 0x10020);
	compare(f, false, 0x80, SLOW);
	int80_setup(f);
	set_gate(f, 0x80, K_CODE, 0x1000, DESC_INT, 3, 7, true);
	c->tr.limit = 0x67;
	compare(f, false, 0x80, FAST);
	int80_setup(f);
	set_gate(f, 0x80, K_CODE, 0x1000, DESC_INT, 3, 7, true);
	c->tr.limit = 28 + 7 * 8 + 6;
	compare(f, false, 0x80, SLOW);
	/* Cold TLB: the fast path never walks page tables. */
	int80_setup(f);
	c->next_rip = c->rip + 2;
	cpu_tlb_flush(c, true);
	assert_false(cpu_int_fast(c, 0x80));
	/* Not 64-bit mode: a compatibility-mode caller. */
	int80_setup(f);
	set_seg(c, SEG_CS, K_CODE32);
	cpu_update_mode(c);
	compare(f, false, 0x80, SLOW);
}

/* A guest that rewrites its IDT or GDT is seen at once: nothing cached. */
static void test_int_sees_table_writes(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;

	int80_setup(f);
	compare(f, false, 0x80, FAST);
	assert_int_equal(c->rip, 0xffffffff81000000ULL);
	int80_setup(f);
	set_gate(f, 0x80, K_CONF, 0xffffffff82000000ULL, DESC_TRAP, 3, 2, true);
	compare(f, false, 0x80, FAST);
	assert_int_equal(c->rip, 0xffffffff82000000ULL);
	assert_int_equal(c->cpl, 3); /* conforming: stays at CPL 3 */
	int80_setup(f);
	pwrite64(f, GDT + K_CODE, gdt[K_CODE_NP >> 3]); /* K_CODE now not present */
	compare(f, false, 0x80, SLOW);
	pwrite64(f, GDT + K_CODE, gdt[K_CODE >> 3]);
	pwrite64(f, TSS + 4, KSTK + 0x9000);
	compare(f, false, 0x80, FAST);
	assert_int_equal(c->gpr[RSP], KSTK + 0x9000 - 40);
}

/* ---- IRETQ ------------------------------------------------------------- */

/* An IRETQ frame at RSP: RIP, CS, RFLAGS, RSP, SS. */
static void frame(struct fix *f, u64 ip, u16 cs, u64 fl, u64 sp, u16 ss)
{
	u64 rsp = f->c.gpr[RSP];

	pwrite64(f, rsp, ip);
	pwrite64(f, rsp + 8, cs);
	pwrite64(f, rsp + 16, fl);
	pwrite64(f, rsp + 24, sp);
	pwrite64(f, rsp + 32, ss);
}

static void test_iret_random(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	/* CS, SS pairs to return to, valid from CPL 0. */
	static const u16 to[][2] = {
	    {U_CODE | 3, U_DATA | 3},	{K_CODE, K_DATA},	  {K_CODE, 0},
	    {R1_CODE | 1, R1_DATA | 1}, {K_CONF | 3, U_DATA | 3}, {K_CODE | 1, R1_DATA | 1},
	};
	static const u16 dsel[] = {K_DATA, U_DATA | 3, 0, K_CONF};

	machine(f);
	n_fast = n_slow = 0;
	for (int it = 0; it < 400; it++) {
		unsigned cpl = rnd() % 4 ? 0 : 3, k = (unsigned)(rnd() % ARRAY_SIZE(to));
		u64 rsp = (cpl == 3 ? USTK : KSTK) + 0x100 + (rnd() % 0x1c0) * 8;
		u64 ip = rnd() % 8 ? (rnd() & 0x7fffffffffffULL) : (rnd() | (1ULL << 62));
		bool valid;

		at_cpl(c, cpl, rsp);
		for (int r = 0; r < 16; r++)
			if (r != RSP)
				c->gpr[r] = rnd();
		set_seg(c, SEG_DS, dsel[rnd() % 4]);
		set_seg(c, SEG_ES, dsel[rnd() % 4]);
		set_seg(c, SEG_FS, dsel[rnd() % 4]);
		set_seg(c, SEG_GS, dsel[rnd() % 4]);
		cpu_set_rflags(c, rnd_flags(true));
		frame(f, ip, to[k][0], rnd() & 0x3fffff, rnd(), to[k][1]);
		/* CS RPL >= CPL, DPL rules (k = 5 breaks them), canonical RIP,
		 * NT = 0: the fast path must go. */
		valid = SEL_RPL(to[k][0]) >= cpl && k != 5 && cpu_canonical(c, ip) &&
			!(c->rflags & FL_NT);
		compare(f, true, 0, valid ? FAST : SLOW);
	}
	print_message("IRETQ: %u fast, %u declined\n", n_fast, n_slow);
	assert_true(n_fast > 150 && n_slow > 50);
}

static void iret_setup(struct fix *f, u16 cs, u16 ss)
{
	machine(f);
	at_cpl(&f->c, 0, KSTK + 0x10000 - 40);
	set_seg(&f->c, SEG_DS, K_DATA);
	cpu_set_rflags(&f->c, 0);
	frame(f, 0x401002, cs, FL_IF | FL_1, USTK + 0x8f38, ss);
}

static void test_iret_declines(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	static const u16 bad[][2] = {
	    {0, U_DATA | 3},		 /* null CS */
	    {K_DATA, K_DATA},		 /* CS is data */
	    {K_CODE32, K_DATA},		 /* to compatibility mode: the full path's job */
	    {K_CODE_NP, K_DATA},	 /* not present */
	    {K_CODE_LD, K_DATA},	 /* L = D = 1 */
	    {U_CODE_NA | 3, U_DATA | 3}, /* CS accessed bit clear */
	    {U_CODE | 3, U_DATA_NA | 3}, /* SS accessed bit clear */
	    {U_CODE | 3, 3},		 /* null SS to CPL 3 */
	    {U_CODE | 3, K_DATA},	 /* SS RPL != CS RPL */
	    {U_CODE | 3, U_DATA},	 /* SS RPL 0, DPL 3 */
	    {U_CODE | 3, U_DATA_NP | 3}, /* SS not present */
	    {U_CODE | 3, U_CODE | 3},	 /* SS is code */
	    {GDT_END | 3, U_DATA | 3},	 /* CS beyond the GDT */
	    {K_CODE | 1, K_DATA},	 /* RPL 1 but DPL 0 */
	};

	iret_setup(f, U_CODE | 3, U_DATA | 3);
	compare(f, true, 0, FAST);
	assert_int_equal(c->cpl, 3);
	for (unsigned k = 0; k < ARRAY_SIZE(bad); k++) {
		iret_setup(f, bad[k][0], bad[k][1]);
		compare(f, true, 0, SLOW);
	}
	/* NT = 1 (a task return); non-canonical RIP; a split frame. */
	iret_setup(f, U_CODE | 3, U_DATA | 3);
	cpu_set_rflags(c, FL_NT);
	compare(f, true, 0, SLOW);
	iret_setup(f, U_CODE | 3, U_DATA | 3);
	frame(f, 0x0000800000000000ULL, U_CODE | 3, 0, 0, U_DATA | 3);
	compare(f, true, 0, SLOW);
	iret_setup(f, U_CODE | 3, U_DATA | 3);
	c->gpr[RSP] = KSTK + 0x10000 - 16;
	frame(f, 0x401002, U_CODE | 3, 0, 0, U_DATA | 3);
	compare(f, true, 0, SLOW);
	/* From CPL 3 to CPL 0: RPL < CPL. */
	machine(f);
	at_cpl(c, 3, USTK + 0x8000);
	frame(f, 0x401002, K_CODE, 0, KSTK, K_DATA);
	compare(f, true, 0, SLOW);
	/* The GDT rewritten between two IRETQs is seen. */
	iret_setup(f, U_CODE | 3, U_DATA | 3);
	compare(f, true, 0, FAST);
	iret_setup(f, U_CODE | 3, U_DATA | 3);
	pwrite64(f, GDT + U_DATA, gdt[U_DATA_NP >> 3]);
	compare(f, true, 0, SLOW);
}

/* The handlers with the hooks: INT 0x80 then IRETQ round trip. */
static void test_round_trip(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i = {.osize = 8, .imm = 0x80};
	u64 sp = USTK + 0x8f38;

	int80_setup(f);
	c->gpr[RAX] = 7;
	for (int n = 0; n < 3; n++) {
		assert_int_equal(run1(c, INT_Ib, &i), -1);
		assert_int_equal(c->cpl, 0);
		assert_int_equal(c->gpr[RSP], KSTK + 0x10000 - 40);
		assert_false(c->rflags & FL_IF);
		c->rip = c->next_rip;
		assert_int_equal(run1(c, IRET, &i), -1);
		c->rip = c->next_rip;
		assert_int_equal(c->rip, 0x401002);
		assert_int_equal(c->cpl, 3);
		assert_int_equal(c->gpr[RSP], sp);
		assert_true(c->rflags & FL_IF);
		assert_int_equal(c->seg[SEG_SS].sel, U_DATA | 3);
		c->rip = 0x401000;
	}
	assert_int_equal(f->trace.count[TRACE_INT], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_int_random, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_int_declines, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_int_sees_table_writes, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_iret_random, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_iret_declines, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, fix_setup, fix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
