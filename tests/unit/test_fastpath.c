/*
 * test_fastpath.c - the block cache's specialised handlers (cpu/exec_fast.c)
 * against the generic handlers of the same isa.def rows, which are the
 * reference (and are themselves checked against the host CPU by the
 * differential tester).
 *
 * For each encoding below, many random machine states (registers, lazy or
 * materialized flags, memory) are run twice from the same starting point:
 * once through the form's generic handler, once through the fast handler
 * exec_fast_handler() picks, and a third time through the threaded routine
 * exec_fast_threaded() picks (the specialised shape/size variants the block
 * cache runs, as a one-instruction block).  Registers, RIP after the instruction, RFLAGS,
 * the memory area and any exception must agree.  Half of the runs start
 * with an empty TLB, so the fast handlers' fall-back path (hand the
 * instruction to the generic handler untouched) is exercised too.  The
 * fused CMP/TEST + Jcc routines are checked the same way against the pair
 * run by the generic handlers (test_fused_pairs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/block.h"
#include "cpu/exec_fast.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "devices/bus.h"

#define RAM_SIZE  (16 * MiB)
#define PML4	  0x1000
#define PDPT	  0x2000
#define PD	  0x3000
#define AREA	  0x100000 /* 64 KiB of data and stack */
#define AREA_SIZE 0x10000
#define CODE	  0x200000

struct fix {
	struct trace trace;
	struct bus bus;
	struct cpu c;
	u64 retired;
};

static u64 rng = 0x9e3779b97f4a7c15ULL;
static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A value with a fair chance of every edge case ALU flags care about. */
static u64 rnd_val(void)
{
	static const u64 edge[] = {0,
				   1,
				   ~0ULL,
				   0x7f,
				   0x80,
				   0xff,
				   0x7fff,
				   0x8000,
				   0x7fffffff,
				   0x80000000,
				   0xffffffff,
				   0x7fffffffffffffffULL,
				   0x8000000000000000ULL};
	switch (rnd() % 4) {
	case 0: return edge[rnd() % ARRAY_SIZE(edge)];
	case 1: return rnd() & 0xff;
	default: return rnd();
	}
}

static int fix_setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct err e;
	const u64 P = 1, W = 2, PS = 0x80;
	struct cpu *c;

	assert_non_null(f);
	trace_init(&f->trace);
	assert_int_equal(bus_init(&f->bus, RAM_SIZE, &f->trace, &e), 0);
	assert_int_equal(bus_map_ram(&f->bus, 0, RAM_SIZE, 0, &e), 0);
	cpu_init(&f->c, 0, &f->bus, &f->trace, &f->retired);
	c = &f->c;
	/* 64-bit mode, the first 16 MiB identity-mapped with 2 MiB pages. */
	u64 v[3] = {PDPT | P | W, PD | P | W, 0};
	assert_int_equal(bus_dma_write(&f->bus, PML4, &v[0], 8), 0);
	assert_int_equal(bus_dma_write(&f->bus, PDPT, &v[1], 8), 0);
	for (u64 n = 0; n < 8; n++) {
		v[2] = (n << 21) | P | W | PS | 0x40 /* D */;
		assert_int_equal(bus_dma_write(&f->bus, PD + n * 8, &v[2], 8), 0);
	}
	c->cr3 = PML4;
	c->cr4 = CR4_PAE;
	c->efer = EFER_LME | EFER_LMA;
	c->cr0 = CR0_PE | CR0_PG | CR0_ET;
	for (int s = 0; s < SEG_COUNT; s++)
		c->seg[s] =
		    (struct segment){0x10, 0, 0xffffffff, SEGA_P | SEGA_S | 0x3 | SEGA_DB | SEGA_G};
	c->seg[SEG_CS] =
	    (struct segment){0x8, 0, 0xffffffff, SEGA_P | SEGA_S | 0xb | SEGA_L | SEGA_G};
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);
	assert_int_equal(c->mode, CPU_MODE_LONG64);
	*state = f;
	return 0;
}

static int fix_teardown(void **state)
{
	struct fix *f = *state;

	cpu_fini(&f->c);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

/* What one run leaves behind. */
struct outcome {
	int exc;
	u64 gpr[16], next_rip, rflags;
	u8 area[AREA_SIZE];
};

static struct outcome out_gen, out_fast, out_thr;
static u8 area0[AREA_SIZE];

/* Run handler h on instruction i from the state in *c0 + area0. */
static void run(struct fix *f, const struct cpu *c0, insn_handler *h, const struct insn *i,
		bool cold, struct outcome *o)
{
	struct cpu *c = &f->c;

	memcpy(c->gpr, c0->gpr, sizeof(c->gpr));
	c->rflags = c0->rflags;
	c->lf = c0->lf;
	c->rip = c->insn_rip = CODE;
	c->next_rip = CODE + i->len;
	assert_int_equal(bus_dma_write(&f->bus, AREA, area0, AREA_SIZE), 0);
	if (cold)
		cpu_tlb_flush(c, true);
	o->exc = -1;
	if (setjmp(c->fault_jmp)) {
		c->fault_jmp_set = false;
		o->exc = c->pending_vector;
	} else {
		c->fault_jmp_set = true;
		h(c, i);
		c->fault_jmp_set = false;
	}
	c->bc = NULL; /* thr_as_handler's, also when it faulted */
	memcpy(o->gpr, c->gpr, sizeof(o->gpr));
	o->next_rip = c->next_rip;
	o->rflags = cpu_rflags(c);
	assert_int_equal(bus_dma_read(&f->bus, AREA, o->area, AREA_SIZE), 0);
}

/* A random lazy-flags state: a record of each kind the handlers leave,
 * or materialized flags. */
static void rnd_flags(struct cpu *c)
{
	static const u8 ops[] = {LAZY_NONE, LAZY_ADD, LAZY_SUB, LAZY_LOGIC, LAZY_INC, LAZY_SHL};
	static const u8 sizes[] = {1, 2, 4, 8};
	unsigned sz = sizes[rnd() % 4];
	u64 a = rnd_val() & mask_of(sz), b = rnd_val() & mask_of(sz);

	c->rflags = FL_1 | (rnd() & FL_ARITH);
	c->lf.op = ops[rnd() % ARRAY_SIZE(ops)];
	c->lf.size = sz;
	c->lf.src1 = a;
	switch (c->lf.op) {
	case LAZY_ADD: c->lf.src2 = b, c->lf.res = (a + b) & mask_of(sz); break;
	case LAZY_SUB: c->lf.src2 = b, c->lf.res = (a - b) & mask_of(sz); break;
	case LAZY_LOGIC: c->lf.src2 = b, c->lf.res = a & b; break;
	case LAZY_INC: c->lf.src2 = 1, c->lf.res = (a + 1) & mask_of(sz); break;
	case LAZY_SHL:
		c->lf.src2 = 1 + rnd() % (sz * 8 - 1);
		c->lf.res = (a << c->lf.src2) & mask_of(sz);
		break;
	default: break;
	}
}

/*
 * The threaded routine of the same instruction (exec_fast.h), run as a
 * one-instruction block: the entry, then the terminator.  It commits RIP
 * itself; the outcome's next RIP is then c->rip.
 */
static binsn_fn *thr_under_test;
static struct block_cache thr_bc; /* its exit flag, counters and chain state */

static void thr_as_handler(struct cpu *c, const struct insn *i)
{
	static struct binsn blk[2];

	memset(blk, 0, sizeof(blk));
	blk[0].run = thr_under_test;
	blk[0].handler = isa_forms[i->form].handler;
	blk[0].mask = ~0ULL;
	blk[0].i = *i;
	blk[1].run = exec_thr_stop;
	blk[1].mask = ~0ULL; /* the terminator applies the RIP wrap */
	c->bc = &thr_bc;
	thr_bc.exit = 0;
	exec_thr_run(c, &blk[0]);
	c->bc = NULL;
	c->next_rip = c->rip;
}

/* The outcome of the fast (or threaded: `what`) run against the generic one's. */
static void compare(const struct insn *in, unsigned r, const char *what, const struct outcome *o)
{
	const char *name = isa_forms[in->form].name;

	if (out_gen.exc != o->exc)
		fail_msg("%s round %u: exception %d generic, %d %s", name, r, out_gen.exc, o->exc,
			 what);
	for (int g = 0; g < 16; g++)
		if (out_gen.gpr[g] != o->gpr[g])
			fail_msg("%s round %u: gpr[%d] %llx generic, %llx %s", name, r, g,
				 (unsigned long long)out_gen.gpr[g], (unsigned long long)o->gpr[g],
				 what);
	if (out_gen.exc < 0 && out_gen.next_rip != o->next_rip)
		fail_msg("%s round %u: next RIP %llx generic, %llx %s", name, r,
			 (unsigned long long)out_gen.next_rip, (unsigned long long)o->next_rip,
			 what);
	if (out_gen.rflags != o->rflags)
		fail_msg("%s round %u: RFLAGS %llx generic, %llx %s", name, r,
			 (unsigned long long)out_gen.rflags, (unsigned long long)o->rflags, what);
	if (memcmp(out_gen.area, o->area, AREA_SIZE))
		fail_msg("%s round %u: memory differs (%s)", name, r, what);
}

static void check_bytes(struct fix *f, const u8 *bytes, unsigned len, unsigned rounds)
{
	struct insn in;
	struct cpu c0;
	insn_handler *fast, *gen;

	assert_int_equal(isa_decode(&in, bytes, len, 8), (int)len);
	fast = exec_fast_handler(&in, 8);
	gen = isa_forms[in.form].handler;
	if (!fast)
		fail_msg("%s: no fast handler (the table below expects one)",
			 isa_forms[in.form].name);
	thr_under_test = exec_fast_threaded(&in, 8, false);

	for (unsigned r = 0; r < rounds; r++) {
		memset(&c0, 0, sizeof(c0));
		for (int g = 0; g < 16; g++)
			c0.gpr[g] = rnd_val();
		/* rBX (and rBX+rCX*4) address the area, rSP is a stack in it;
		 * now and then rBX is non-canonical: #GP both ways. */
		c0.gpr[RBX] = AREA + 0x8000 + (rnd() & 0xfff);
		c0.gpr[RCX] = rnd() & 0x3ff;
		c0.gpr[RSP] = AREA + 0x4000 + (rnd() & 0xff8);
		if (rnd() % 16 == 0)
			c0.gpr[RBX] = 0x8000000000000000ULL;
		rnd_flags(&c0);
		for (unsigned k = 0; k < AREA_SIZE; k++)
			area0[k] = (u8)rnd();
		/* Branch targets at [rSP] (RET, CALL [rsp]) and [rBX] (JMP/CALL
		 * [rbx]): canonical half of the time (random bytes almost never
		 * are), sometimes just past the canonical boundary. */
		if (rnd() % 2) {
			u64 good = rnd() & 0x00007fffffffffffULL;
			memcpy(area0 + (c0.gpr[RSP] - AREA), &good, 8);
			if (c0.gpr[RBX] >= AREA && c0.gpr[RBX] + 8 <= AREA + AREA_SIZE)
				memcpy(area0 + (c0.gpr[RBX] - AREA), &good, 8);
		}
		if (rnd() % 8 == 0) {
			u64 bad = 0x0000800000000000ULL;
			memcpy(area0 + (c0.gpr[RSP] - AREA), &bad, 8);
		}

		bool cold = r & 1;
		run(f, &c0, gen, &in, cold, &out_gen);
		run(f, &c0, fast, &in, cold, &out_fast);
		run(f, &c0, thr_as_handler, &in, cold, &out_thr);
		compare(&in, r, "fast", &out_fast);
		compare(&in, r, "threaded", &out_thr);
	}
}

/* Every fast form, in the encodings compilers emit. */
static const struct {
	u8 len, b[12];
} cases[] = {
    /* ALU register/register, all sizes, AH..BH */
    {3, {0x48, 0x01, 0xd8}}, /* add rax, rbx */
    {2, {0x01, 0xd8}},	     /* add eax, ebx */
    {3, {0x66, 0x01, 0xd8}}, /* add ax, bx */
    {2, {0x00, 0xfc}},	     /* add ah, bh */
    {3, {0x40, 0x00, 0xfc}}, /* add spl, dil */
    {3, {0x48, 0x29, 0xd8}}, /* sub rax, rbx */
    {2, {0x29, 0xd8}},	     /* sub eax, ebx */
    {3, {0x48, 0x39, 0xd8}}, /* cmp rax, rbx */
    {2, {0x38, 0xe3}},	     /* cmp bl, ah */
    {3, {0x48, 0x85, 0xd8}}, /* test rax, rbx */
    {2, {0x84, 0xc0}},	     /* test al, al */
    {3, {0x48, 0x21, 0xd8}}, /* and rax, rbx */
    {3, {0x4c, 0x09, 0xc0}}, /* or rax, r8 */
    {2, {0x31, 0xc0}},	     /* xor eax, eax */
    {3, {0x48, 0x33, 0xc3}}, /* xor rax, rbx (GvEv) */
    {3, {0x48, 0x2b, 0xc3}}, /* sub rax, rbx (GvEv) */
    /* ALU with immediates */
    {4, {0x48, 0x83, 0xc0, 0xf0}},		     /* add rax, -16 */
    {3, {0x83, 0xe8, 0x01}},			     /* sub eax, 1 */
    {7, {0x48, 0x81, 0xe8, 0x78, 0x56, 0x34, 0x92}}, /* sub rax, imm32 < 0 */
    {2, {0x3c, 0x7f}},				     /* cmp al, 0x7f */
    {6, {0x48, 0x3d, 0x00, 0x80, 0x00, 0x00}},	     /* cmp rax, 0x8000 */
    {4, {0x66, 0x05, 0x34, 0x12}},		     /* add ax, 0x1234 */
    {3, {0x80, 0xfc, 0x80}},			     /* cmp ah, 0x80 */
    {4, {0x48, 0x83, 0xf9, 0x07}},		     /* cmp rcx, 7 */
    {6, {0xf7, 0xc1, 0x00, 0x00, 0x00, 0x80}},	     /* test ecx, 0x80000000 */
    {2, {0xa8, 0x01}},				     /* test al, 1 */
    {4, {0x48, 0x83, 0xe0, 0xf8}},		     /* and rax, -8 */
    {3, {0x83, 0xf0, 0x55}},			     /* xor eax, 0x55 */
    /* ALU with memory */
    {3, {0x48, 0x03, 0x03}},	   /* add rax, [rbx] */
    {3, {0x48, 0x01, 0x03}},	   /* add [rbx], rax */
    {3, {0x80, 0x3b, 0x00}},	   /* cmp byte [rbx], 0 */
    {2, {0x38, 0x03}},		   /* cmp [rbx], al */
    {4, {0x66, 0x29, 0x43, 0x02}}, /* sub [rbx+2], ax */
    {4, {0x48, 0x85, 0x43, 0x08}}, /* test [rbx+8], rax */
    {4, {0x83, 0x4b, 0x04, 0x01}}, /* or dword [rbx+4], 1 */
    {4, {0x48, 0x3b, 0x04, 0x8b}}, /* cmp rax, [rbx+rcx*4] */
    {4, {0x48, 0x3b, 0x43, 0xfd}}, /* cmp rax, [rbx-3] (misaligned) */
    /* MOV */
    {3, {0x48, 0x89, 0xd8}},			     /* mov rax, rbx */
    {2, {0x89, 0xd8}},				     /* mov eax, ebx */
    {2, {0x88, 0xfc}},				     /* mov ah, bh */
    {3, {0x66, 0x89, 0xd8}},			     /* mov ax, bx */
    {5, {0xb8, 0x78, 0x56, 0x34, 0x92}},	     /* mov eax, imm32 */
    {10, {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 0x88}},   /* mov rax, imm64 */
    {7, {0x48, 0xc7, 0xc0, 0xf0, 0xff, 0xff, 0xff}}, /* mov rax, -16 */
    {2, {0xb4, 0x12}},				     /* mov ah, 0x12 */
    {3, {0xc6, 0x03, 0x01}},			     /* mov byte [rbx], 1 */
    {4, {0x48, 0x8b, 0x43, 0x08}},		     /* mov rax, [rbx+8] */
    {4, {0x48, 0x89, 0x43, 0xf8}},		     /* mov [rbx-8], rax */
    {3, {0x66, 0x89, 0x03}},			     /* mov [rbx], ax */
    {7, {0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff}}, /* mov qword [rbx], -1 */
    {3, {0x8a, 0x63, 0x01}},			     /* mov ah, [rbx+1] */
    {3, {0x8b, 0x04, 0x8b}},			     /* mov eax, [rbx+rcx*4] */
    {6, {0x8b, 0x05, 0x00, 0x10, 0xf0, 0xff}},	     /* mov eax, [rip-0xff000] */
    /* LEA */
    {5, {0x48, 0x8d, 0x44, 0x8b, 0x10}},    /* lea rax, [rbx+rcx*4+0x10] */
    {3, {0x8d, 0x04, 0x0b}},		    /* lea eax, [rbx+rcx] */
    {4, {0x66, 0x8d, 0x04, 0x0b}},	    /* lea ax, [rbx+rcx] */
    {7, {0x48, 0x8d, 0x05, 0x10, 0, 0, 0}}, /* lea rax, [rip+0x10] */
    /* Jcc, all sixteen conditions, and JMP */
    {2, {0x70, 0x10}},
    {2, {0x71, 0x10}},
    {2, {0x72, 0x10}},
    {2, {0x73, 0x10}},
    {2, {0x74, 0x10}},
    {2, {0x75, 0xf0}},
    {2, {0x76, 0x10}},
    {2, {0x77, 0x10}},
    {2, {0x78, 0x10}},
    {2, {0x79, 0x10}},
    {2, {0x7a, 0x10}},
    {2, {0x7b, 0x10}},
    {2, {0x7c, 0x10}},
    {2, {0x7d, 0x10}},
    {2, {0x7e, 0x10}},
    {2, {0x7f, 0x10}},
    {6, {0x0f, 0x84, 0x00, 0x01, 0x00, 0x00}},
    {6, {0x0f, 0x8f, 0x00, 0xff, 0xff, 0xff}},
    {2, {0xeb, 0x10}},
    {5, {0xe9, 0x00, 0x01, 0x00, 0x00}},
    /* CALL, RET, PUSH, POP */
    {5, {0xe8, 0x00, 0x01, 0x00, 0x00}},
    {1, {0xc3}},
    /* JMP and CALL r/m64 */
    {2, {0xff, 0xe0}},		   /* jmp rax */
    {3, {0x41, 0xff, 0xe0}},	   /* jmp r8 */
    {2, {0xff, 0x23}},		   /* jmp [rbx] */
    {3, {0xff, 0x24, 0x24}},	   /* jmp [rsp] */
    {2, {0xff, 0xd0}},		   /* call rax */
    {2, {0xff, 0xd4}},		   /* call rsp */
    {2, {0xff, 0x13}},		   /* call [rbx] */
    {3, {0xff, 0x14, 0x24}},	   /* call [rsp] */
    {4, {0xff, 0x54, 0x24, 0x08}}, /* call [rsp+8] */
    {1, {0x53}},
    {1, {0x54}},
    {2, {0x41, 0x54}},
    {1, {0x5b}},
    {1, {0x5c}},
    {2, {0x41, 0x5c}},
};

static void test_fast_vs_generic(void **state)
{
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++)
		check_bytes(*state, cases[k].b, cases[k].len, 400);
}

/*
 * CMP/TEST fused with the Jcc that follows (cpu/exec_fast_fuse.c) against
 * the same pair unfused: the generic handler of the CMP, then the generic
 * handler of the Jcc.  Registers, RIP, RFLAGS (materialized: the lazy
 * record the fused routine stores must give the same six flags) and
 * memory must agree, for random operands, every condition code, both
 * directions, and a cold TLB half of the time (the CMP then falls back).
 */
static binsn_fn *fused_under_test;

static void pair_generic(struct cpu *c, const struct insn *i)
{
	/* i[0] the CMP/TEST, i[1] the Jcc, at CODE and CODE + i[0].len. */
	isa_forms[i[0].form].handler(c, &i[0]);
	c->rip = c->next_rip;
	c->insn_rip = c->rip;
	c->next_rip = c->rip + i[1].len;
	isa_forms[i[1].form].handler(c, &i[1]);
}

static void pair_fused(struct cpu *c, const struct insn *i)
{
	static struct binsn blk[3];

	memset(blk, 0, sizeof(blk));
	for (int k = 0; k < 2; k++) {
		blk[k].i = i[k];
		blk[k].handler = isa_forms[i[k].form].handler;
		blk[k].mask = ~0ULL;
		blk[k].left = (u16)(2 - k);
	}
	blk[0].run = fused_under_test;
	blk[1].run = exec_fast_threaded(&i[1], 8, false);
	blk[2].run = exec_thr_stop;
	blk[2].mask = ~0ULL;
	c->bc = &thr_bc;
	thr_bc.exit = 0;
	exec_thr_run(c, &blk[0]);
	c->bc = NULL;
	c->next_rip = c->rip;
}

static void check_pair(struct fix *f, const u8 *bytes, unsigned len, unsigned rounds)
{
	struct insn in[2];
	struct cpu c0;
	int l0;

	l0 = isa_decode(&in[0], bytes, len, 8);
	assert_true(l0 > 0 && (unsigned)l0 < len);
	assert_int_equal(isa_decode(&in[1], bytes + l0, len - l0, 8), (int)len - l0);
	fused_under_test = exec_fast_fused(&in[0], &in[1]);
	if (!fused_under_test)
		fail_msg("%s + %s: not fused", isa_forms[in[0].form].name,
			 isa_forms[in[1].form].name);
	for (unsigned r = 0; r < rounds; r++) {
		memset(&c0, 0, sizeof(c0));
		for (int g = 0; g < 16; g++)
			c0.gpr[g] = rnd_val();
		c0.gpr[RBX] = AREA + 0x8000 + (rnd() & 0xfff);
		/* Equal operands now and then: Z, BE, LE must be taken too. */
		if (rnd() % 4 == 0)
			c0.gpr[RAX] = c0.gpr[RDX];
		rnd_flags(&c0);
		for (unsigned k = 0; k < AREA_SIZE; k++)
			area0[k] = (u8)rnd();
		if (rnd() % 4 == 0)
			memcpy(area0 + (c0.gpr[RBX] + 8 - AREA), &c0.gpr[RAX], 8);
		bool cold = r & 1;
		run(f, &c0, pair_generic, in, cold, &out_gen);
		run(f, &c0, pair_fused, in, cold, &out_thr);
		compare(&in[0], r, "fused", &out_thr);
	}
}

static void test_fused_pairs(void **state)
{
	/* The CMP/TEST shapes fused, each before all sixteen conditions (the
	 * ones not fused must say so: exec_fast_fused returns NULL). */
	static const struct {
		u8 len, b[10];
	} first[] = {
	    {3, {0x48, 0x39, 0xd0}},			     /* cmp rax, rdx */
	    {2, {0x39, 0xd0}},				     /* cmp eax, edx */
	    {2, {0x38, 0xf4}},				     /* cmp ah, dh */
	    {6, {0x48, 0x3d, 0xff, 0xff, 0x00, 0x00}},	     /* cmp rax, 0xffff */
	    {4, {0x48, 0x83, 0xf8, 0xf0}},		     /* cmp rax, -16 */
	    {2, {0x3c, 0x80}},				     /* cmp al, 0x80 */
	    {4, {0x48, 0x3b, 0x43, 0x08}},		     /* cmp rax, [rbx+8] */
	    {4, {0x48, 0x39, 0x43, 0x08}},		     /* cmp [rbx+8], rax */
	    {4, {0x80, 0x7b, 0x08, 0x00}},		     /* cmp byte [rbx+8], 0 */
	    {7, {0x81, 0x7b, 0x08, 0x00, 0x00, 0x00, 0x80}}, /* cmp dword [rbx+8], 0x80000000 */
	    {3, {0x48, 0x85, 0xd0}},			     /* test rax, rdx */
	    {2, {0x84, 0xc0}},				     /* test al, al */
	    {5, {0xa9, 0x00, 0x00, 0x00, 0x80}},	     /* test eax, 0x80000000 */
	    {4, {0x48, 0x85, 0x43, 0x08}},		     /* test [rbx+8], rax */
	    {4, {0xf6, 0x43, 0x08, 0x81}},		     /* test byte [rbx+8], 0x81 */
	};
	u8 b[16];

	for (size_t k = 0; k < ARRAY_SIZE(first); k++) {
		unsigned l = first[k].len;
		bool test = first[k].b[0] == 0x84 || first[k].b[1] == 0x85 ||
			    first[k].b[0] == 0xa9 || first[k].b[0] == 0xf6;

		for (unsigned cc = 0; cc < 16; cc++) {
			struct insn in[2];
			bool near = cc & 1; /* rel8 and rel32 forms */
			unsigned n;

			memcpy(b, first[k].b, l);
			if (near) {
				b[l] = 0x0f, b[l + 1] = (u8)(0x80 + cc);
				memcpy(b + l + 2, "\x00\x01\x00\x00", 4);
				n = l + 6;
			} else {
				b[l] = (u8)(0x70 + cc), b[l + 1] = 0xf0;
				n = l + 2;
			}
			/* Fused: every cc cpu_cond_try() answers from the record. */
			bool want =
			    (cc & 0xe) != 0xa && (test || ((cc & 0xe) != 0 && (cc & 0xe) != 8));
			assert_int_equal(isa_decode(&in[0], b, n, 8), (int)l);
			assert_int_equal(isa_decode(&in[1], b + l, n - l, 8), (int)(n - l));
			if (!want) {
				assert_null(exec_fast_fused(&in[0], &in[1]));
				continue;
			}
			check_pair(*state, b, n, 200);
		}
	}
}

/* The choice itself: forms the fast paths do not cover get none. */
static void test_choice(void **state)
{
	static const u8 adc[] = {0x48, 0x11, 0xd8}, lock_add[] = {0xf0, 0x01, 0x03},
			jcc16[] = {0x74, 0x10};
	struct insn in;

	(void)state;
	assert_int_equal(isa_decode(&in, adc, sizeof adc, 8), 3);
	assert_null(exec_fast_handler(&in, 8));
	assert_int_equal(isa_decode(&in, lock_add, sizeof lock_add, 8), 3);
	assert_null(exec_fast_handler(&in, 8));
	assert_int_equal(isa_decode(&in, jcc16, sizeof jcc16, 2), 2);
	assert_null(exec_fast_handler(&in, 2)); /* 64-bit branches only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fast_vs_generic, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_fused_pairs, fix_setup, fix_teardown),
	    cmocka_unit_test(test_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
