/*
 * cpu_fixture.h - a bare CPU on a bus with 16 MiB of RAM, for the unit tests
 * that call instruction handlers directly (test_string.c, test_flow.c).
 *
 * Real mode (flat, 64 KiB segments) or 64-bit mode at CPL 0 with identity
 * paging of the first 16 MiB (2 MiB pages, except 6..8 MiB in 4 KiB pages
 * so that HOLE can be a not-present page).  run1() calls one handler the way
 * cpu_step() does and returns the exception vector it raised, or -1.
 */
#ifndef VMLAB_TESTS_UNIT_CPU_FIXTURE_H
#define VMLAB_TESTS_UNIT_CPU_FIXTURE_H

#define RAM_SIZE (16 * MiB)

/* Guest physical layout (identity mapped in 64-bit mode). */
#define PML4 0x1000
#define PDPT 0x2000
#define PD   0x3000
#define PT   0x4000
#define AREA 0x100000 /* the 64 KiB test area, mirrored from the host */
#define HOLE 0x605000 /* a 4 KiB page left not-present */

#define AREA_SIZE 0x10000

struct fix {
	struct trace trace;
	struct bus bus;
	struct cpu c;
	u64 retired;
};

static inline int fix_setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct err e;

	assert_non_null(f);
	trace_init(&f->trace);
	assert_int_equal(bus_init(&f->bus, RAM_SIZE, &f->trace, &e), 0);
	assert_int_equal(bus_map_ram(&f->bus, 0, RAM_SIZE, 0, &e), 0);
	cpu_init(&f->c, 0, &f->bus, &f->trace, &f->retired);
	*state = f;
	return 0;
}

static inline int fix_teardown(void **state)
{
	struct fix *f = *state;

	cpu_fini(&f->c);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static inline void pwrite64(struct fix *f, u64 pa, u64 v)
{
	assert_int_equal(bus_dma_write(&f->bus, pa, &v, 8), 0);
}

/* Flat real mode: every segment base 0, limit 64 KiB. */
static inline void enter_real(struct fix *f)
{
	struct cpu *c = &f->c;

	cpu_reset(c);
	for (int s = 0; s < SEG_COUNT; s++)
		cpu_load_seg_real(c, s, 0);
	c->rip = 0x7c00;
	cpu_update_mode(c);
	assert_int_equal(c->mode, CPU_MODE_REAL);
}

/*
 * 64-bit mode, CPL 0, identity paging of the first 16 MiB with 2 MiB pages,
 * except 6..8 MiB which uses 4 KiB pages so that HOLE can be not-present.
 */
static inline void enter_long64(struct fix *f)
{
	struct cpu *c = &f->c;
	const u64 P = 1, W = 2, PS = 0x80;

	cpu_reset(c);
	pwrite64(f, PML4, PDPT | P | W);
	pwrite64(f, PDPT, PD | P | W);
	for (u64 n = 0; n < 8; n++)
		pwrite64(f, PD + n * 8, (n << 21) | P | W | PS);
	pwrite64(f, PD + 3 * 8, PT | P | W);
	for (u64 n = 0; n < 512; n++) {
		u64 pa = 0x600000 + (n << 12);
		pwrite64(f, PT + n * 8, pa == HOLE ? 0 : (pa | P | W));
	}
	c->cr3 = PML4;
	c->cr4 = CR4_PAE;
	c->efer = EFER_LME | EFER_LMA;
	c->cr0 = CR0_PE | CR0_PG | CR0_ET;
	for (int s = 0; s < SEG_COUNT; s++) {
		c->seg[s] =
		    (struct segment){0x10, 0, 0xffffffff, SEGA_P | SEGA_S | 0x3 | SEGA_DB | SEGA_G};
	}
	c->seg[SEG_CS] =
	    (struct segment){0x8, 0, 0xffffffff, SEGA_P | SEGA_S | 0xb | SEGA_L | SEGA_G};
	c->rip = 0x10000;
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);
	assert_int_equal(c->mode, CPU_MODE_LONG64);
}

/* Run one handler as cpu_step would: returns -1, or the vector raised. */
static inline int run1(struct cpu *c, insn_handler *h, const struct insn *i)
{
	c->insn_rip = c->rip;
	c->next_rip = c->rip + 2;
	if (setjmp(c->fault_jmp)) {
		c->fault_jmp_set = false;
		return c->pending_vector;
	}
	c->fault_jmp_set = true;
	h(c, i);
	c->fault_jmp_set = false;
	return -1;
}

#endif
