/*
 * test_flow.c - control flow and the stack frame: ENTER/LEAVE, the near
 * branches (Jcc JMP CALL RET LOOPcc JrCXZ), and the step-level rules for the
 * x87 escapes and WAIT (cpu/exec_branch.c, exec_stack.c, exec_misc.c,
 * exec_system.c; SDM Vol 2 "ENTER", "JMP", "CALL", "RET", "LOOP/LOOPcc",
 * "WAIT/FWAIT", Vol 3 §2.5 CR0.EM/MP/TS).
 *
 * Oracles:
 *   - the host CPU: ENTER at every nesting level with 16- and 64-bit
 *     operand size runs natively on a buffer mapped at the guest address
 *     (the frame pointers it pushes are addresses); vmlab must leave the
 *     same RBP, RSP and bytes.  (Every near branch form is also compared
 *     with the host by vmlab-difftest, which lands taken and not-taken
 *     paths on different blocks.)
 *   - the SDM, where the host cannot show the case: 16-bit IP wrap, CS
 *     limit and canonical-target #GP before any state changes, LOOP/JrCXZ
 *     counting by address size, and which CR0 bits make an x87 escape or
 *     WAIT raise #NM rather than #UD (the host's CR0 is the kernel's).
 *
 * Handlers are called directly with a hand-built struct insn, except in
 * the x87 test, which goes through cpu_step() so the ISA table's feature
 * gate is exercised too.
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

/* The handlers under test (cpu/exec_stack.c, exec_branch.c, exec_misc.c). */
#include "cpu/isa.h"

#include "tests/unit/cpu_fixture.h"

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

/* ---- ENTER against the host CPU ---- */

struct hstack {
	u64 rbp, rsp, save;
};

/*
 * ENTER pushes frame pointers, which are addresses: host and guest must use
 * the same addresses, so the host buffer is mapped at the guest address AREA
 * (skipped when the host cannot map there).  The JIT code switches RSP to
 * the buffer, runs ENTER, and switches back.
 */
static void test_enter_host_oracle(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	static u8 g[AREA_SIZE];
	static const u8 pro[] = {
	    0x55,		    /* push rbp */
	    0x49, 0x89, 0xf8,	    /* mov r8, rdi */
	    0x49, 0x89, 0x60, 0x10, /* mov [r8+16], rsp */
	    0x49, 0x8b, 0x60, 0x08, /* mov rsp, [r8+8] */
	    0x49, 0x8b, 0x28,	    /* mov rbp, [r8] */
	};
	static const u8 epi[] = {
	    0x49, 0x89, 0x28,	    /* mov [r8], rbp */
	    0x49, 0x89, 0x60, 0x08, /* mov [r8+8], rsp */
	    0x49, 0x8b, 0x60, 0x10, /* mov rsp, [r8+16] */
	    0x5d, 0xc3,		    /* pop rbp; ret */
	};
	u8 *area, *code;
	int bad = 0, cases = 0;

	area = mmap((void *)AREA, AREA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (area != (void *)AREA) {
		if (area != MAP_FAILED)
			munmap(area, AREA_SIZE);
		skip();
	}
	code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	assert_true(code != MAP_FAILED);
	srandom(777);
	for (int k = 0; k < 400; k++) {
		unsigned osz = (k & 1) ? 8 : 2, level = random() % 40;
		unsigned alloc = random() % 3 ? random() % 300 : random() % 0x7000;
		struct hstack h0 = {AREA + 0xc000 + (random() % 256) * 2,
				    AREA + 0x8000 + (random() % 256) * 2, 0};
		struct hstack h = h0;
		unsigned n = 0;
		struct insn i;

		for (unsigned b = 0; b < AREA_SIZE; b++)
			area[b] = (u8)random();
		enter_long64(f);
		assert_int_equal(bus_dma_write(&f->bus, AREA, area, AREA_SIZE), 0);
		memcpy(code, pro, sizeof(pro));
		n = sizeof(pro);
		if (osz == 2)
			code[n++] = 0x66;
		code[n++] = 0xc8;
		code[n++] = alloc & 0xff;
		code[n++] = alloc >> 8;
		code[n++] = level;
		memcpy(code + n, epi, sizeof(epi));
		((void (*)(struct hstack *))(void *)code)(&h);

		i = mk_insn(FORM_ENTER_IwIb, osz, 8, 0);
		i.imm = alloc;
		i.imm2 = level;
		c->gpr[RBP] = h0.rbp;
		c->gpr[RSP] = h0.rsp;
		assert_int_equal(run1(c, ENTER_IwIb, &i), -1);
		assert_int_equal(bus_dma_read(&f->bus, AREA, g, AREA_SIZE), 0);
		cases++;
		if (h.rbp != c->gpr[RBP] || h.rsp != c->gpr[RSP] || memcmp(g, area, AREA_SIZE)) {
			print_error("enter osz=%u level=%u alloc=%u: rbp %llx/%llx rsp %llx/%llx\n",
				    osz, level, alloc, (unsigned long long)h.rbp,
				    (unsigned long long)c->gpr[RBP], (unsigned long long)h.rsp,
				    (unsigned long long)c->gpr[RSP]);
			bad++;
		}
		/* LEAVE undoes the frame: rSP = old rSP, rBP = old rBP (SDM LEAVE). */
		i = mk_insn(FORM_LEAVE, osz, 8, 0);
		assert_int_equal(run1(c, LEAVE, &i), -1);
		if (c->gpr[RSP] != h0.rsp || c->gpr[RBP] != h0.rbp) {
			print_error("leave after enter osz=%u level=%u\n", osz, level);
			bad++;
		}
	}
	print_message("enter host oracle: %d cases, %d mismatches\n", cases, bad);
	munmap(code, 4096);
	munmap(area, AREA_SIZE);
	assert_int_equal(bad, 0);
}

/* ENTER whose new frame lands on a not-present page faults before changing
 * anything (SDM ENTER: "a write using the final value of the stack pointer"). */
static void test_enter_probe(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i = mk_insn(FORM_ENTER_IwIb, 8, 8, 0);

	enter_long64(f);
	c->gpr[RSP] = HOLE + 0x1000 + 0x100;
	c->gpr[RBP] = 0x1234;
	i.imm = 0x200; /* 0x100 - 8 - 0x200 < 0: lands in HOLE */
	assert_int_equal(run1(c, ENTER_IwIb, &i), EXC_PF);
	assert_int_equal(c->gpr[RSP], HOLE + 0x1100);
	assert_int_equal(c->gpr[RBP], 0x1234);
}

/* ---- near branches (SDM Vol 2 JMP/CALL/RET/LOOP/Jcc) ---- */

static void test_branch_rules(void **state)
{
	struct fix *f = *state;
	struct cpu *c = &f->c;
	struct insn i;

	/* Real mode: IP wraps at 16 bits (operand size 16). */
	enter_real(f);
	c->rip = 0xfff0;
	i = mk_insn(FORM_JMP_Jz, 2, 2, 0);
	i.imm = 0x20;
	assert_int_equal(run1(c, JMP_Jz, &i), -1); /* next_rip = 0xfff2 */
	assert_int_equal(c->next_rip, 0x0012);

	/* 32-bit operand size, target beyond CS.limit: #GP(0), nothing pushed. */
	c->rip = 0x100;
	c->seg[SEG_CS].limit = 0xffff;
	c->gpr[RSP] = 0x8000;
	i = mk_insn(FORM_CALL_Jz, 4, 2, 0);
	i.imm = 0x20000;
	assert_int_equal(run1(c, CALL_Jz, &i), EXC_GP);
	assert_int_equal(c->gpr[RSP], 0x8000);
	/* In range: pushes the 2-byte IP (16-bit operand size). */
	i = mk_insn(FORM_CALL_Jz, 2, 2, 0);
	i.imm = (u64)-0x10;
	assert_int_equal(run1(c, CALL_Jz, &i), -1);
	assert_int_equal(c->gpr[RSP], 0x7ffe);
	assert_int_equal(c->next_rip, 0x100 + 2 - 0x10);
	assert_int_equal(cpu_read(c, SEG_SS, 0x7ffe, 2), 0x102);

	/* LOOP counts CX with a 16-bit address size and keeps ECX's top half;
	 * LOOPE stops when ZF = 0; JCXZ tests CX only. */
	c->rip = 0x200;
	c->gpr[RCX] = 0x50000002;
	i = mk_insn(FORM_LOOP_Jb, 2, 2, 0);
	i.imm = 0x10;
	assert_int_equal(run1(c, LOOP_Jb, &i), -1);
	assert_int_equal(c->gpr[RCX], 0x50000001);
	assert_int_equal(c->next_rip, 0x212);
	assert_int_equal(run1(c, LOOP_Jb, &i), -1);
	assert_int_equal(c->gpr[RCX], 0x50000000);
	assert_int_equal(c->next_rip, 0x202);
	c->gpr[RCX] = 5;
	flags_write(c, FL_ZF, 0);
	i = mk_insn(FORM_LOOPE_Jb, 2, 2, 0);
	i.imm = 0x10;
	assert_int_equal(run1(c, LOOPE_Jb, &i), -1);
	assert_int_equal(c->gpr[RCX], 4);
	assert_int_equal(c->next_rip, 0x202);
	c->gpr[RCX] = 0x10000;
	i = mk_insn(FORM_JrCXZ_Jb, 2, 2, 0);
	i.imm = 0xfe; /* -2 as imm8 */
	assert_int_equal(run1(c, JrCXZ_Jb, &i), -1);
	assert_int_equal(c->next_rip, 0x200);

	/* 64-bit mode: a non-canonical RET target is #GP(0) with RSP intact;
	 * the 66h prefix does not shrink a near branch (Intel). */
	enter_long64(f);
	c->rip = 0x10000;
	c->gpr[RSP] = 0x7000;
	cpu_write(c, SEG_SS, 0x7000, 8, 0x0000800000000000ULL);
	i = mk_insn(FORM_RET_near, 8, 8, 0);
	assert_int_equal(run1(c, RET_near, &i), EXC_GP);
	assert_int_equal(c->gpr[RSP], 0x7000);
	cpu_write(c, SEG_SS, 0x7000, 8, 0xffff800000001000ULL);
	i = mk_insn(FORM_RET_Iw, 8, 8, 0);
	i.imm = 0x18;
	assert_int_equal(run1(c, RET_Iw, &i), -1);
	assert_int_equal(c->next_rip, 0xffff800000001000ULL);
	assert_int_equal(c->gpr[RSP], 0x7000 + 8 + 0x18);
	c->rip = 0x10000;
	i = mk_insn(FORM_JMP_Jz, 2, 8, 0); /* 66 E9 rel32 */
	i.imm = 0x12345;
	assert_int_equal(run1(c, JMP_Jz, &i), -1);
	assert_int_equal(c->next_rip, 0x10002 + 0x12345);
}

/* ---- x87 escapes and WAIT through cpu_step() ---- */

static int caught;

static bool on_exception(void *opaque, struct cpu *c, int vector, u32 err)
{
	(void)opaque, (void)c, (void)err;
	caught = vector;
	return true;
}

/* Execute the bytes at 0x10000 with the given CR0 bits; the vector raised or -1. */
static int step_bytes(struct fix *f, const u8 *b, unsigned n, u64 cr0_bits)
{
	struct cpu *c = &f->c;

	enter_long64(f);
	c->cr0 |= cr0_bits;
	assert_int_equal(bus_dma_write(&f->bus, 0x10000, b, n), 0);
	c->rip = 0x10000;
	c->hooks.exception = on_exception;
	caught = -1;
	cpu_step(c);
	c->hooks.exception = NULL;
	return caught;
}

/*
 * D8-DF: vmlab has no FPU, so an escape is #UD -- unless CR0.EM or CR0.TS
 * is set, when it is #NM (SDM Vol 3 Table 2-2), which is what a kernel's
 * FPU emulation or lazy context switch waits for.  The rows are gated on
 * BASE, not on the (unadvertised) FPU feature, or the #NM would never
 * happen.  WAIT ignores EM and faults only when MP and TS are both set.
 */
static void test_x87_nm(void **state)
{
	struct fix *f = *state;
	static const u8 fld[] = {0xd9, 0xc0}, fstp_m[] = {0xdd, 0x1c, 0x25, 0, 0x20, 0, 0};
	static const u8 fwait[] = {0x9b};

	assert_int_equal(isa_forms[FORM_ESC_D9].feature, BASE);
	assert_int_equal(step_bytes(f, fld, sizeof(fld), 0), EXC_UD);
	assert_int_equal(step_bytes(f, fld, sizeof(fld), CR0_TS), EXC_NM);
	assert_int_equal(step_bytes(f, fld, sizeof(fld), CR0_EM), EXC_NM);
	assert_int_equal(step_bytes(f, fstp_m, sizeof(fstp_m), CR0_TS | CR0_MP), EXC_NM);
	assert_int_equal(step_bytes(f, fstp_m, sizeof(fstp_m), 0), EXC_UD);
	assert_int_equal(step_bytes(f, fwait, 1, 0), -1);
	assert_int_equal(f->c.rip, 0x10001);
	assert_int_equal(step_bytes(f, fwait, 1, CR0_EM | CR0_TS), -1);
	assert_int_equal(step_bytes(f, fwait, 1, CR0_TS), -1);
	assert_int_equal(step_bytes(f, fwait, 1, CR0_MP | CR0_TS), EXC_NM);
	assert_int_equal(f->c.rip, 0x10000); /* a fault: RIP names the instruction */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enter_host_oracle, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_enter_probe, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_branch_rules, fix_setup, fix_teardown),
	    cmocka_unit_test_setup_teardown(test_x87_nm, fix_setup, fix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
