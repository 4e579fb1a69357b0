/*
 * test_block.c - the basic-block cache (cpu/block.c) against the reference
 * one-instruction-at-a-time loop: exact instruction budgets, self-modifying
 * code inside the running block, and code replaced by DMA.
 *
 * The oracle is the reference interpreter (c->block_cache = false) and the
 * architecture (SDM Vol 3 §11.6: a write to code is seen by the next fetch
 * of it).  A tiny real-mode machine: 1 MiB of RAM, code at 0x1000; and a
 * 64-bit one for the self-loops of the threaded chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/block.h"
#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "devices/bus.h"
#include "lib/err.h"

struct machine {
	struct bus bus;
	struct cpu cpu;
	u64 retired;
};

static struct machine *machine_new(bool cache, const u8 *code, size_t len)
{
	struct machine *m = calloc(1, sizeof(*m));
	struct err e;

	assert_int_equal(bus_init(&m->bus, 1 << 20, NULL, &e), 0);
	assert_int_equal(bus_map_ram(&m->bus, 0, 1 << 20, 0, &e), 0);
	cpu_init(&m->cpu, 0, &m->bus, NULL, &m->retired);
	m->cpu.block_cache = cache;
	cpu_load_seg_real(&m->cpu, SEG_CS, 0);
	cpu_load_seg_real(&m->cpu, SEG_DS, 0);
	cpu_load_seg_real(&m->cpu, SEG_SS, 0);
	m->cpu.gpr[RSP] = 0x8000;
	m->cpu.rip = 0x1000;
	cpu_update_mode(&m->cpu);
	assert_int_equal(bus_dma_write(&m->bus, 0x1000, code, len), 0);
	return m;
}

static void machine_free(struct machine *m)
{
	cpu_fini(&m->cpu);
	bus_destroy(&m->bus);
	free(m);
}

/* A counted loop:  mov cx, 50 / l: inc ax / add bx, ax / dec cx / jnz l / hlt */
static const u8 loop_code[] = {0xb9, 50, 0, 0x40, 0x01, 0xc3, 0x49, 0x75, 0xfa, 0xf4};

/* The budget stops at exactly N instructions, mid-block, both ways, and the
 * state there is the same. */
static void test_budget_exact(void **state)
{
	(void)state;
	for (u64 n = 1; n < 40; n += 3) {
		struct machine *a = machine_new(true, loop_code, sizeof(loop_code));
		struct machine *b = machine_new(false, loop_code, sizeof(loop_code));

		assert_int_equal(cpu_run(&a->cpu, n), CPU_STOP_BUDGET);
		assert_int_equal(cpu_run(&b->cpu, n), CPU_STOP_BUDGET);
		assert_int_equal(a->cpu.stats.insns, n);
		assert_int_equal(a->retired, n);
		assert_int_equal(b->cpu.stats.insns, n);
		assert_int_equal(a->cpu.rip, b->cpu.rip);
		assert_memory_equal(a->cpu.gpr, b->cpu.gpr, sizeof(a->cpu.gpr));
		assert_int_equal(cpu_rflags(&a->cpu), cpu_rflags(&b->cpu));
		machine_free(a);
		machine_free(b);
	}
}

/* Run to HLT: same count and registers, and the cache was really used. */
static void test_run_to_halt(void **state)
{
	struct machine *a = machine_new(true, loop_code, sizeof(loop_code));
	struct machine *b = machine_new(false, loop_code, sizeof(loop_code));

	(void)state;
	assert_int_equal(cpu_run(&a->cpu, 100000), CPU_STOP_HALT);
	assert_int_equal(cpu_run(&b->cpu, 100000), CPU_STOP_HALT);
	assert_int_equal(a->cpu.stats.insns, 1 + 4 * 50 + 1);
	assert_int_equal(a->cpu.stats.insns, b->cpu.stats.insns);
	assert_memory_equal(a->cpu.gpr, b->cpu.gpr, sizeof(a->cpu.gpr));
	assert_true(block_cache_stats(a->cpu.bc)->runs > 10);
	assert_true(block_cache_stats(a->cpu.bc)->chained > 10);
	assert_int_equal(block_cache_stats(b->cpu.bc)->runs, 0);
	machine_free(a);
	machine_free(b);
}

/*
 * Self-modifying code inside the running block:
 *   1000: mov byte [0x1009], 0x41   ; patch "inc ax" into "inc cx"
 *   1005: nop x4
 *   1009: inc ax  (0x40)  -> becomes inc cx (0x41)
 *   100a: hlt
 * The whole run is one block when decoded; the write must stop it and the
 * patched instruction must execute.  Then DMA puts 0x40 back: the next run
 * must execute inc ax again.
 */
static void test_self_modifying(void **state)
{
	static const u8 code[] = {0xc6, 0x06, 0x09, 0x10, 0x41, 0x90, 0x90, 0x90, 0x90, 0x40, 0xf4};
	struct machine *m = machine_new(true, code, sizeof(code));
	u8 orig = 0x40;

	(void)state;
	assert_int_equal(cpu_run(&m->cpu, 1000), CPU_STOP_HALT);
	assert_int_equal(m->cpu.gpr[RAX] & 0xffff, 0);
	assert_int_equal(m->cpu.gpr[RCX] & 0xffff, 1);
	assert_true(block_cache_stats(m->cpu.bc)->invalidated >= 1);

	/* Again from the top: now the patched byte is already 0x41. */
	m->cpu.halted = false;
	m->cpu.rip = 0x1000;
	assert_int_equal(cpu_run(&m->cpu, 1000), CPU_STOP_HALT);
	assert_int_equal(m->cpu.gpr[RCX] & 0xffff, 2);

	/* DMA restores inc ax; the store patches it again before it runs, so
	 * rewrite the store's immediate too: it now writes 0x40 itself. */
	assert_int_equal(bus_dma_write(&m->bus, 0x1009, &orig, 1), 0);
	assert_int_equal(bus_dma_write(&m->bus, 0x1004, &orig, 1), 0);
	m->cpu.halted = false;
	m->cpu.rip = 0x1000;
	assert_int_equal(cpu_run(&m->cpu, 1000), CPU_STOP_HALT);
	assert_int_equal(m->cpu.gpr[RAX] & 0xffff, 1);
	assert_int_equal(m->cpu.gpr[RCX] & 0xffff, 2);
	machine_free(m);
}

/*
 * A 64-bit machine for the self-loops (cpu/exec_fast_body.h thr_loop: only
 * 64-bit code has them): 4 MiB identity-mapped with 2 MiB pages, CPL 0,
 * code at 0x10000.
 */
static struct machine *machine64_new(bool cache, const u8 *code, size_t len)
{
	struct machine *m = calloc(1, sizeof(*m));
	const u64 P = 1, W = 2, PS = 0x80;
	u64 v[4] = {0x2000 | P | W, 0x3000 | P | W, 0 | P | W | PS, (1 << 21) | P | W | PS};
	struct cpu *c = &m->cpu;
	struct err e;

	assert_int_equal(bus_init(&m->bus, 4 << 20, NULL, &e), 0);
	assert_int_equal(bus_map_ram(&m->bus, 0, 4 << 20, 0, &e), 0);
	cpu_init(c, 0, &m->bus, NULL, &m->retired);
	c->block_cache = cache;
	assert_int_equal(bus_dma_write(&m->bus, 0x1000, &v[0], 8), 0);
	assert_int_equal(bus_dma_write(&m->bus, 0x2000, &v[1], 8), 0);
	assert_int_equal(bus_dma_write(&m->bus, 0x3000, &v[2], 16), 0);
	c->cr3 = 0x1000;
	c->cr4 = CR4_PAE;
	c->efer = EFER_LME | EFER_LMA;
	c->cr0 = CR0_PE | CR0_PG | CR0_ET;
	for (int s = 0; s < SEG_COUNT; s++)
		c->seg[s] =
		    (struct segment){0x10, 0, 0xffffffff, SEGA_P | SEGA_S | 0x3 | SEGA_DB | SEGA_G};
	c->seg[SEG_CS] =
	    (struct segment){0x8, 0, 0xffffffff, SEGA_P | SEGA_S | 0xb | SEGA_L | SEGA_G};
	c->gpr[RSP] = 0x80000;
	c->rip = 0x10000;
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);
	assert_int_equal(c->mode, CPU_MODE_LONG64);
	assert_int_equal(bus_dma_write(&m->bus, 0x10000, code, len), 0);
	return m;
}

/*
 * Three self-loops (blocks whose last instruction jumps back to their own
 * first one, cpu/exec_fast_body.h thr_loop), then an endless one:
 *   10000: xor eax, eax / xor edx, edx / mov ecx, 100
 *   10009: add rax, rdx / add rdx, 1 / cmp rdx, rcx / jb 10009   (fused)
 *   10015: dec rcx / jnz 10015                                   (Jcc)
 *   1001a: add rax, 5 / jmp 1001a                                (JMP)
 */
static const u8 self_loops[] = {0x31, 0xc0, 0x31, 0xd2, 0xb9, 100,  0,	  0,	0,    0x48, 0x01,
				0xd0, 0x48, 0x83, 0xc2, 0x01, 0x48, 0x39, 0xca, 0x72, 0xf4, 0x48,
				0xff, 0xc9, 0x75, 0xfb, 0x48, 0x83, 0xc0, 0x05, 0xeb, 0xfa};

/* Both machines stopped at the same instruction in the same state. */
static void same_state(struct machine *a, struct machine *b, u64 n)
{
	assert_int_equal(a->cpu.stats.insns, n);
	assert_int_equal(a->retired, n);
	assert_int_equal(b->cpu.stats.insns, n);
	assert_int_equal(a->cpu.rip, b->cpu.rip);
	assert_memory_equal(a->cpu.gpr, b->cpu.gpr, sizeof(a->cpu.gpr));
	assert_int_equal(cpu_rflags(&a->cpu), cpu_rflags(&b->cpu));
}

/* The self-loop path never runs past the budget: every budget from 1 to
 * past the end of the counted loops stops at exactly that instruction,
 * in the state the reference loop has there; and a run cut into slices
 * (as timers cut it) ends where one run does. */
static void test_self_loop_budget(void **state)
{
	(void)state;
	for (u64 n = 1; n < 900; n += n < 40 ? 1 : 13) {
		struct machine *a = machine64_new(true, self_loops, sizeof(self_loops));
		struct machine *b = machine64_new(false, self_loops, sizeof(self_loops));

		assert_int_equal(cpu_run(&a->cpu, n), CPU_STOP_BUDGET);
		assert_int_equal(cpu_run(&b->cpu, n), CPU_STOP_BUDGET);
		same_state(a, b, n);
		machine_free(a);
		machine_free(b);
	}
	for (u64 slice = 1; slice < 80; slice += 7) {
		struct machine *a = machine64_new(true, self_loops, sizeof(self_loops));
		struct machine *b = machine64_new(false, self_loops, sizeof(self_loops));
		u64 n = 0;

		while (n < 2000) {
			assert_int_equal(cpu_run(&a->cpu, slice), CPU_STOP_BUDGET);
			assert_int_equal(cpu_run(&b->cpu, slice), CPU_STOP_BUDGET);
			n += slice;
			same_state(a, b, n);
		}
		/* The loops went through the block cache, chained. */
		assert_true(block_cache_stats(a->cpu.bc)->insns > n / 2);
		machine_free(a);
		machine_free(b);
	}
	/* One long run: the counted loops end where the reference's do. */
	{
		struct machine *a = machine64_new(true, self_loops, sizeof(self_loops));
		struct machine *b = machine64_new(false, self_loops, sizeof(self_loops));

		assert_int_equal(cpu_run(&a->cpu, 100003), CPU_STOP_BUDGET);
		assert_int_equal(cpu_run(&b->cpu, 100003), CPU_STOP_BUDGET);
		same_state(a, b, 100003);
		assert_int_equal(a->cpu.gpr[RCX], 0);
		assert_true(block_cache_stats(a->cpu.bc)->chained > 1000);
		machine_free(a);
		machine_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_budget_exact),
	    cmocka_unit_test(test_run_to_halt),
	    cmocka_unit_test(test_self_modifying),
	    cmocka_unit_test(test_self_loop_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
