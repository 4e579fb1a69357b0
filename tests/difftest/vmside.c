/*
 * vmside.c - run one instruction in vmlab from a difftest state.
 *
 * A bare machine: guest RAM on a bus, no devices, one CPU at CPL 3 (like the
 * oracle, a Linux user process), with page tables that identity-map the
 * code and data pages of layout.h as user-writable 4 KiB pages, so the fixed
 * addresses mean the same thing on both sides.  64-bit cases run in long
 * mode; 32-bit ones in compatibility mode (the native oracle's mode) or,
 * for the QEMU oracle (a Linux i386 process), in legacy 32-bit protected
 * mode with 32-bit paging (SDM Vol 3 §4.3).  Exceptions are caught by the
 * CPU's exception hook before delivery and reported.
 */
#include "tests/difftest/difftest.h"

#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "devices/bus.h"

static struct bus bus;
static struct cpu cpu;
static u64 retired;
static int caught;
static bool legacy32;

/* The two sets of page tables: 4-level for long mode, 32-bit for legacy. */
#define PML4_PA 0x1000 /* -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000 */
#define PD32_PA 0x5000 /* 32-bit paging: page directory */
#define PT32_PA 0x6000 /* and the one page table */

static bool on_exception(void *opaque, struct cpu *c, int vector, u32 err)
{
	(void)opaque, (void)c, (void)err;
	caught = vector;
	return true;
}

/* Software interrupts are delivered through the IDT, which this bare
 * machine does not have; the host's kernel turns INT3 into SIGTRAP before
 * any handler of ours could run.  Stop INT3 at its intercept point and
 * report the #BP it raises (SDM Vol 2A "INT n/INTO/INT3/INT1"). */
static bool on_intercept(void *opaque, struct cpu *c, const struct insn *i)
{
	(void)opaque, (void)c;
	if (i->form == FORM_INT3) {
		caught = EXC_BP;
		return true;
	}
	/* INTO with OF = 1 (the handler checks OF before its intercept point)
	 * is the same kind of software trap: #OF. */
	if (i->form == FORM_INTO) {
		caught = EXC_OF;
		return true;
	}
	return false;
}

static void put64(u64 pa, u64 v)
{
	bus_dma_write(&bus, pa, &v, 8);
}

static void put32(u64 pa, u32 v)
{
	bus_dma_write(&bus, pa, &v, 4);
}

void dt_vm_set_legacy32(bool on)
{
	legacy32 = on;
}

int dt_vm_init(void)
{
	struct err e;

	if (bus_init(&bus, DT_GUEST_RAM, NULL, &e) || bus_map_ram(&bus, 0, DT_GUEST_RAM, 0, &e)) {
		fprintf(stderr, "difftest: %s\n", e.msg);
		return -1;
	}
	/* PML4 at 0x1000 -> PDPT at 0x2000 -> PD at 0x3000 -> PT at 0x4000,
	 * present | writable | user.  Exactly the pages the host process has
	 * at these addresses are mapped - the code page and the data pages -
	 * so an access that faults natively faults here too. */
	put64(0x1000, 0x2000 | 7);
	put64(0x2000, 0x3000 | 7);
	put64(0x3000 + 8 * (DT_CODE_VA >> 21), 0x4000 | 7);
	put64(0x4000 + 8 * ((DT_CODE_VA >> 12) & 511), DT_CODE_VA | 7);
	for (u64 a = DT_DATA_VA; a < DT_DATA_VA + DT_DATA_LEN; a += 0x1000)
		put64(0x4000 + 8 * ((a >> 12) & 511), a | 7);
	/* The same pages for 32-bit paging (SDM Vol 3 §4.3): a PDE per 4 MiB,
	 * a PTE per 4 KiB page, 4-byte entries. */
	put32(PD32_PA + 4 * (DT_CODE_VA >> 22), PT32_PA | 7);
	put32(PT32_PA + 4 * ((DT_CODE_VA >> 12) & 1023), DT_CODE_VA | 7);
	for (u64 a = DT_DATA_VA; a < DT_DATA_VA + DT_DATA_LEN; a += 0x1000)
		put32(PT32_PA + 4 * ((a >> 12) & 1023), (u32)a | 7);
	cpu_init(&cpu, 0, &bus, NULL, &retired);
	cpu.hooks.exception = on_exception;
	cpu.hooks.intercept = on_intercept;
	return 0;
}

static void flat(struct segment *s, u16 sel, u32 type, u32 extra)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = type | SEGA_S | (3 << SEGA_DPL_SHIFT) | SEGA_P | SEGA_G | extra;
}

void dt_vm_run(const struct dt_case *tc, struct dt_state *out)
{
	struct cpu *c = &cpu;

	bool legacy = tc->mode == 32 && legacy32;

	c->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	if (legacy) {
		/* Protected mode, 32-bit paging, no long mode. */
		c->cr4 = CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
		c->cr3 = PD32_PA;
		c->efer = 0;
	} else {
		c->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
		c->cr3 = PML4_PA;
		c->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	}
	if (tc->mode == 64)
		flat(&c->seg[SEG_CS], 0x33, 0xb, SEGA_L);
	else
		flat(&c->seg[SEG_CS], 0x23, 0xb, SEGA_DB);
	/* The selectors a 64-bit Linux process has: SS = 0x2b, and null DS, ES,
	 * FS and GS (FS/GS bases come from MSRs; flat here).  MOV r/m, Sreg and
	 * PUSH FS/GS read these values. */
	flat(&c->seg[SEG_SS], 0x2b, 0x3, SEGA_DB);
	flat(&c->seg[SEG_DS], tc->mode == 64 ? 0 : 0x2b, 0x3, SEGA_DB);
	flat(&c->seg[SEG_ES], tc->mode == 64 ? 0 : 0x2b, 0x3, SEGA_DB);
	flat(&c->seg[SEG_FS], 0, 0x3, SEGA_DB);
	flat(&c->seg[SEG_GS], 0, 0x3, SEGA_DB);
	/* A 64-bit TSS (SDM Vol 3 §8.7) in the code page's last bytes -- a
	 * 32-bit TSS in legacy mode (§8.2.1; type 0xb in both) -- whose I/O
	 * map base (offset 102 in both) lies past its limit: no port is
	 * allowed at CPL 3 with IOPL 0, as for a Linux process without
	 * ioperm(). */
	c->tr.sel = 0x40;
	c->tr.base = DT_CODE_VA + 0xf00;
	c->tr.limit = 0x67;
	c->tr.attr = 0xb | SEGA_P; /* busy TSS */
	{
		u16 iomap = 0x68;
		bus_dma_write(&bus, DT_CODE_VA + 0xf00 + 102, &iomap, 2);
	}
	c->halted = c->shutdown = false;
	c->wait_for_sipi = false;
	c->delivering = -1;
	cpu_update_mode(c);
	cpu_tlb_flush(c, true);

	memcpy(c->gpr, tc->in.gpr, sizeof(c->gpr));
	cpu_set_rflags(c, tc->in.rflags);
	c->rip = DT_INSN_VA;
	/* The code page as the oracle has it around the instruction: INT3
	 * everywhere but the instruction (the blocks are not needed: where
	 * execution continued is read from RIP). */
	{
		u8 cc[0x400];
		memset(cc, 0xcc, sizeof(cc));
		bus_dma_write(&bus, DT_CODE_VA + 0x400, cc, sizeof(cc));
	}
	bus_dma_write(&bus, DT_INSN_VA, tc->bytes, tc->len);
	bus_dma_write(&bus, DT_DATA_VA, tc->in.data, DT_DATA_LEN);

	/* One instruction.  A REP string instruction may take several steps
	 * (it leaves RIP on itself after a chunk of elements, SDM Vol 2B REP
	 * "Interrupts"): step until RIP moves or something is raised. */
	caught = -1;
	for (int n = 0; n < 100000; n++) {
		cpu_step(c);
		if (caught != -1 || c->rip != DT_INSN_VA)
			break;
	}

	/* Execution went neither to the fall-through nor to the taken block
	 * (a branch with a 16-bit operand size truncates EIP to 16 bits, SDM
	 * Vol 2A JMP/CALL/RET/Jcc/LOOP): the oracle goes on to fetch there and
	 * takes #PF (nothing is mapped) or #BP (INT3 filler).  One more step
	 * shows what vmlab does there. */
	if (caught == -1 && c->rip != DT_INSN_VA + tc->len && (!tc->target || c->rip != tc->target))
		cpu_step(c);
	out->exc = caught;
	memcpy(out->gpr, c->gpr, sizeof(out->gpr));
	out->rflags = cpu_rflags(c);
	out->rip = c->rip;
	bus_dma_read(&bus, DT_DATA_VA, out->data, DT_DATA_LEN);
}
