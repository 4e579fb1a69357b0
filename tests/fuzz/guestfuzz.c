/*
 * guestfuzz.c - the guest fuzzer: random programs at CPL 0 on random
 * system state must end in guest-visible events only (DESIGN.md §8).
 *
 *   guestfuzz [-n PROGRAMS] [-s FIRST_SEED] [-b BUDGET] [-v]
 *
 * Each program is a fresh machine state derived from its seed: 64-bit mode
 * (IA-32e, 4-level paging) or 32-bit protected mode (no paging, 32-bit
 * paging with 4 MiB pages, or PAE), a GDT, IDT, TSS and page tables whose
 * entries are partly sane and partly random bits, random registers, and a
 * code page of random bytes salted with system-instruction opcodes (far
 * transfers, IRET, INT n, MOV CR/DR/Sreg, LGDT/LIDT/LTR/LLDT, SYSCALL/
 * SYSENTER and their returns, INVLPG, RDMSR/WRMSR ...).  It runs for BUDGET
 * instructions with the block cache on or off (by seed).
 *
 * Accepted ends: the budget, HLT, triple-fault shutdown, or any other stop
 * the CPU reports.  A host crash, an ASan/UBSan report (run it under `make
 * asan`: build-asan/guestfuzz) or a program that takes more than 10 s of
 * host time (SIGALRM) is a failure; the message names the seed, so
 * `guestfuzz -s SEED -n 1 -v` replays it.  The SDM (Vol 3 ch. 3-7) defines
 * the state; nothing here decides what the right event is -- only that the
 * emulator stays inside the guest.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "devices/bus.h"
#include "lib/err.h"

#define RAM	 (4u << 20) /* 4 MiB; guest addresses beyond are unclaimed */
#define PT_BASE	 0x1000u    /* page tables: 0x1000 .. 0x7fff */
#define GDT_BASE 0x8000u
#define IDT_BASE 0x9000u
#define TSS_BASE 0xa000u
#define CODE	 0x10000u /* 16 KiB of random code (handlers land here too) */
#define DATA	 0x20000u /* 64 KiB data / stacks */

static struct bus bus;
static struct cpu cpu;
static u64 retired, rng, cur_seed;
static u8 buf[0x30000];

static u64 rnd(void)
{
	/* xorshift64*: a fixed, documented generator so seeds replay. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}
static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}
static bool chance(unsigned pct)
{
	return below(100) < pct;
}

static void put(u32 pa, const void *p, unsigned n)
{
	memcpy(buf + pa, p, n);
}
static void put64(u32 pa, u64 v)
{
	put(pa, &v, 8);
}

/* A code/data descriptor (SDM Vol 3 Figure 3-8), flat, with given attrs. */
static u64 desc(u32 base, u32 limit, unsigned type_s_dpl_p, unsigned flags4)
{
	return (limit & 0xffff) | (u64)(base & 0xffffff) << 16 | (u64)type_s_dpl_p << 40 |
	       (u64)(limit >> 16 & 0xf) << 48 | (u64)flags4 << 52 | (u64)(base >> 24) << 56;
}

static void make_gdt(bool lm)
{
	/* 0: null; 1: code (64-bit or 32-bit); 2: data; 3: code32; 4: user
	 * code; 5: user data; 6-7: TSS; 8-9: call gate; the rest random, some
	 * of it plausible. */
	put64(GDT_BASE, 0);
	put64(GDT_BASE + 0x08, lm ? desc(0, 0xfffff, 0x9a, 0xa) : desc(0, 0xfffff, 0x9a, 0xc));
	put64(GDT_BASE + 0x10, desc(0, 0xfffff, 0x92, 0xc));
	put64(GDT_BASE + 0x18, desc(0, 0xfffff, 0x9a, 0xc));
	put64(GDT_BASE + 0x20, lm ? desc(0, 0xfffff, 0xfa, 0xa) : desc(0, 0xfffff, 0xfa, 0xc));
	put64(GDT_BASE + 0x28, desc(0, 0xfffff, 0xf2, 0xc));
	put64(GDT_BASE + 0x30, desc(TSS_BASE, 0x67 + below(0x2000), 0x89, 0));
	put64(GDT_BASE + 0x38, 0);
	put64(GDT_BASE + 0x40, ((CODE + below(0x4000)) & 0xffff) | 0x08ull << 16 |
				   (u64)(0x8c | below(4) << 5) << 40 | (u64)(CODE >> 16) << 48);
	put64(GDT_BASE + 0x48, 0);
	for (u32 o = 0x50; o < 0x400; o += 8) {
		u64 d = rnd();
		if (chance(40)) /* a plausible segment with random type/DPL/P/L/D */
			d = desc(chance(50) ? 0 : (u32)rnd(), (u32)rnd() & 0xfffff,
				 (unsigned)(rnd() & 0xff), (unsigned)(rnd() & 0xf));
		put64(GDT_BASE + o, d);
	}
}

static void make_idt(bool lm)
{
	unsigned stride = lm ? 16 : 8;

	for (unsigned v = 0; v < 256; v++) {
		u32 a = IDT_BASE + v * stride;
		u64 off = CODE + below(0x4000);
		unsigned type = chance(80) ? (chance(50) ? 0xe : 0xf) : below(16);
		u64 lo = (off & 0xffff) | (u64)(chance(85) ? 0x08 : (rnd() & 0xffff)) << 16 |
			 (u64)(chance(90) ? below(8) : 0) << 32 |
			 (u64)((chance(90) ? 0x80 : 0) | below(4) << 5 | type) << 40 |
			 (off >> 16 & 0xffff) << 48;
		if (chance(5))
			lo = rnd();
		put64(a, lo);
		if (lm)
			put64(a + 8, chance(95) ? 0 : rnd());
	}
}

static void make_tss(void)
{
	for (u32 o = 0; o < 0x68; o += 8)
		put64(TSS_BASE + o, chance(80) ? DATA + 0x8000 + below(0x8000) : rnd());
	for (u32 o = 0x68; o < 0x2100; o += 8)
		put64(TSS_BASE + o, chance(50) ? 0 : rnd());
}

/* Page tables: an identity map of the first 4 MiB with random flag bits
 * sprinkled in (U/S, R/W, NX, PS, reserved bits, not-present). */
static u64 pte_flags(void)
{
	u64 f = 0x7; /* P RW US */
	if (chance(10))
		f &= ~1ull;
	if (chance(10))
		f &= ~2ull;
	if (chance(20))
		f &= ~4ull;
	if (chance(5))
		f |= 1ull << 63;
	if (chance(3))
		f |= rnd() & 0x7ff0000000000000ull;
	if (chance(10))
		f |= 0x100; /* G */
	return f;
}

static void make_paging(int kind)
{
	memset(buf + PT_BASE, 0, 0x7000);
	if (kind == 4) { /* 4-level: PML4 1000, PDPT 2000, PD 3000, PT 4000.. */
		put64(0x1000, 0x2000 | pte_flags());
		put64(0x2000, 0x3000 | pte_flags());
		put64(0x3000, 0x4000 | pte_flags());
		put64(0x3008, 0x200000 | 0x80 | pte_flags()); /* 2 MiB page */
		for (u32 i = 0; i < 512; i++)
			put64(0x4000 + i * 8, (u64)i << 12 | (chance(97) ? 7 : pte_flags()));
	} else if (kind == 3) { /* PAE: PDPT at 0x1000 (32 bytes), PD 0x2000 */
		put64(0x1000, 0x2000 | (chance(95) ? 1 : rnd() & 0xfff));
		for (u32 i = 1; i < 4; i++)
			put64(0x1000 + i * 8, chance(50) ? 0 : 0x2000 | 1);
		put64(0x2000, 0x3000 | pte_flags());
		put64(0x2008, 0x200000 | 0x80 | pte_flags());
		for (u32 i = 0; i < 512; i++)
			put64(0x3000 + i * 8, (u64)i << 12 | (chance(97) ? 7 : pte_flags()));
	} else if (kind == 2) { /* 32-bit: PD 0x1000, PT 0x2000, 4 MiB pages */
		u32 pd0 = 0x2000 | 7, pd1 = 0x400000 | 0x87;
		put(0x1000, &pd0, 4);
		put(0x1004, &pd1, 4);
		for (u32 i = 0; i < 1024; i++) {
			u32 e = i << 12 | (chance(97) ? 7 : (u32)pte_flags());
			put(0x2000 + i * 4, &e, 4);
		}
	}
}

/* Opcodes that reach the system code; random bytes reach the rest. */
static const u8 sys_ops[][3] = {
    {0xcf},
    {0x48, 0xcf},
    {0xca, 0x08},
    {0xcb},
    {0x48, 0xcb},
    {0xcd, 0x0d},
    {0xcd, 0x80},
    {0xcc},
    {0xce},
    {0xf1},
    {0xff, 0x18},
    {0xff, 0x28},
    {0xff, 0x1e},
    {0xea},
    {0x9a},
    {0x8e, 0xd0},
    {0x8e, 0xd8},
    {0x8e, 0xe0},
    {0x8c, 0xc8},
    {0x0f, 0x00, 0xd8},
    {0x0f, 0x00, 0xd0},
    {0x0f, 0x01, 0x10},
    {0x0f, 0x01, 0x18},
    {0x0f, 0x01, 0x38},
    {0x0f, 0x01, 0xf8},
    {0x0f, 0x01, 0xca},
    {0x0f, 0x01, 0xcb},
    {0x0f, 0x22, 0xc0},
    {0x0f, 0x22, 0xd8},
    {0x0f, 0x22, 0xe0},
    {0x0f, 0x20, 0xc0},
    {0x0f, 0x23, 0xf8},
    {0x0f, 0x21, 0xf0},
    {0x0f, 0x30},
    {0x0f, 0x32},
    {0x0f, 0x05},
    {0x48, 0x0f, 0x07},
    {0x0f, 0x07},
    {0x0f, 0x34},
    {0x0f, 0x35},
    {0x48, 0x0f, 0x35},
    {0x0f, 0x06},
    {0x0f, 0x01, 0xf0},
    {0x0f, 0x02, 0xc0},
    {0x0f, 0x03, 0xc0},
    {0x0f, 0x00, 0xe0},
    {0x0f, 0x00, 0xe8},
    {0xe4, 0x80},
    {0xec},
    {0xf3, 0x6c},
    {0xf3, 0x6e},
    {0xf3, 0xa4},
    {0xf3, 0x48, 0xab},
    {0x9d},
    {0x17},
    {0x1f},
    {0xc4, 0xc0},
    {0x0f, 0xb2, 0x00},
    {0xf4},
    {0x0f, 0x0b},
    {0xfa},
    {0xfb},
    {0x0f, 0xa1},
};

static void make_code(void)
{
	u32 p = CODE;

	while (p < CODE + 0x4000) {
		if (chance(35)) {
			const u8 *op = sys_ops[below(sizeof(sys_ops) / sizeof(sys_ops[0]))];
			unsigned n = op[0] == 0x0f || op[0] == 0x48 || op[1] ? 3 : 1;
			for (unsigned k = 0; k < n && p < CODE + 0x4000; k++)
				buf[p++] = k == 0 || op[k] || n == 3 ? op[k] : (u8)rnd();
		} else {
			buf[p++] = (u8)rnd();
		}
	}
	for (u32 o = DATA; o < DATA + 0x10000; o += 8)
		put64(o, chance(50) ? rnd() : (u64)(below(0x50) & ~7u) | (rnd() & 3));
}

static void flat(struct segment *s, u16 sel, u32 attr)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = attr;
}

static void setup(u64 seed)
{
	struct cpu *c = &cpu;
	bool lm = seed % 4 != 3;
	int paging = lm ? 4 : (int)below(4); /* 0 none, 2 32-bit, 3 PAE */

	rng = seed * 0x9E3779B97F4A7C15ull + 1;
	memset(buf, 0, sizeof(buf));
	make_gdt(lm);
	make_idt(lm);
	make_tss();
	make_paging(paging);
	make_code();
	if (bus_dma_write(&bus, 0, buf, sizeof(buf)))
		panic("guestfuzz: dma");

	cpu_reset(c);
	c->block_cache = seed & 4;
	c->cr0 = CR0_PE | CR0_ET | CR0_NE | (chance(50) ? CR0_WP : 0) | (chance(10) ? CR0_TS : 0) |
		 (chance(10) ? CR0_AM : 0) | (paging ? CR0_PG : 0);
	c->cr4 = (paging >= 3 ? CR4_PAE : 0) | (paging == 2 ? CR4_PSE : 0) |
		 (chance(30) ? CR4_PGE : 0) | (chance(20) ? CR4_SMEP : 0) |
		 (chance(20) ? CR4_SMAP : 0) | (chance(20) ? CR4_OSFXSR : 0);
	c->cr3 = PT_BASE;
	c->efer = lm ? EFER_LME | EFER_LMA | EFER_SCE | (chance(80) ? EFER_NXE : 0) : 0;
	flat(&c->seg[SEG_CS], 0x08, 0xb | SEGA_S | SEGA_P | SEGA_G | (lm ? SEGA_L : SEGA_DB));
	for (int s = 0; s < SEG_COUNT; s++)
		if (s != SEG_CS)
			flat(&c->seg[s], 0x10, 0x3 | SEGA_S | SEGA_P | SEGA_G | SEGA_DB);
	c->gdtr.base = chance(95) ? GDT_BASE : rnd();
	c->gdtr.limit = chance(80) ? 0x3ff : (u16)rnd();
	c->idtr.base = chance(95) ? IDT_BASE : rnd();
	c->idtr.limit = chance(80) ? (lm ? 0xfff : 0x7ff) : (u16)rnd();
	c->tr.sel = 0x30;
	c->tr.base = TSS_BASE;
	c->tr.limit = chance(80) ? 0x2067 : (u32)below(0x100);
	c->tr.attr = 0xb | SEGA_P;
	c->ldtr.sel = 0;
	c->ldtr.attr = SEGA_UNUSABLE;
	c->msr.star = rnd() & 0xffffffffffff0000ull;
	c->msr.lstar = chance(80) ? CODE + below(0x4000) : rnd();
	c->msr.sysenter_cs = chance(80) ? 0x08 : rnd() & 0xffff;
	c->msr.sysenter_eip = CODE + below(0x4000);
	c->msr.sysenter_esp = DATA + 0x8000;
	for (int r = 0; r < 16; r++)
		c->gpr[r] = chance(60) ? DATA + below(0x10000) : rnd();
	c->gpr[RSP] = DATA + 0x4000 + below(0x4000);
	cpu_set_rflags(c, 0x2 | (rnd() & (FL_ARITH | FL_DF | FL_AC | FL_NT | FL_IOPL)) |
			      (chance(5) ? FL_TF : 0));
	c->rip = CODE + below(0x4000);
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);
}

static void on_alarm(int sig)
{
	static const char msg[] = "guestfuzz: HANG (more than 10 s of host time)\n";
	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	fprintf(stderr, "guestfuzz: seed %llu hangs\n", (unsigned long long)cur_seed);
	abort();
}

int main(int argc, char **argv)
{
	u64 n = 1000, first = 1, budget = 2000, stops[8] = {0}, exc = 0;
	bool verbose = false;
	struct err e;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:b:v")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 's': first = strtoull(optarg, NULL, 0); break;
		case 'b': budget = strtoull(optarg, NULL, 0); break;
		case 'v': verbose = true; break;
		default:
			fprintf(stderr,
				"usage: guestfuzz [-n PROGRAMS] [-s SEED] [-b BUDGET] [-v]\n");
			return 2;
		}
	}
	if (bus_init(&bus, RAM, NULL, &e) || bus_map_ram(&bus, 0, RAM, 0, &e)) {
		fprintf(stderr, "guestfuzz: %s\n", e.msg);
		return 1;
	}
	cpu_init(&cpu, 0, &bus, NULL, &retired);
	signal(SIGALRM, on_alarm);
	for (u64 s = first; s < first + n; s++) {
		enum cpu_stop r;

		cur_seed = s;
		setup(s);
		alarm(10);
		r = cpu_run(&cpu, budget);
		/* HLT with IF = 0 waits forever: the run simply ends there. */
		alarm(0);
		stops[(unsigned)r < 8 ? r : 0]++;
		if (verbose)
			printf("seed %llu: stop %d, %llu insns, rip 0x%llx, mode %s%s\n",
			       (unsigned long long)s, r, (unsigned long long)cpu.stats.insns,
			       (unsigned long long)cpu.rip, cpu_mode_name[cpu.mode],
			       cpu.shutdown ? ", shutdown" : "");
	}
	for (int v = 0; v < 32; v++)
		exc += cpu.stats.exceptions[v];
	printf(
	    "guestfuzz: %llu programs (seeds %llu..%llu), budget %llu: "
	    "%llu budget, %llu halt, %llu shutdown, %llu other; %llu exceptions; 0 host faults\n",
	    (unsigned long long)n, (unsigned long long)first, (unsigned long long)(first + n - 1),
	    (unsigned long long)budget, (unsigned long long)stops[CPU_STOP_BUDGET],
	    (unsigned long long)stops[CPU_STOP_HALT], (unsigned long long)stops[CPU_STOP_SHUTDOWN],
	    (unsigned long long)(n - stops[CPU_STOP_BUDGET] - stops[CPU_STOP_HALT] -
				 stops[CPU_STOP_SHUTDOWN]),
	    (unsigned long long)exc);
	cpu_fini(&cpu);
	bus_destroy(&bus);
	return 0;
}
