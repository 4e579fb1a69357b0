/*
 * exc64.c - samples/systest: exception vectors and their error codes in
 * 64-bit mode (SDM Vol 3 §6.15 "Exception and Interrupt Reference",
 * §6.13 "Error Code" for the selector error codes: index, TI, IDT, EXT).
 *
 * Each line names the probe (probe64.S) and what the CPU delivered: the
 * vector, the error code, whether the saved RIP is the faulting
 * instruction (a fault) or the next one (a trap), the saved CS and SS,
 * and the stack the frame went to (the gate's IST, or the current one).
 *
 * Lines printed after QEMU_DIFFERS() start with "[systest] ~": QEMU 7.2's
 * TCG disagrees with the SDM there, so the golden comparison masks them and
 * tests/suites/systest.sh checks vmlab's text against samples/systest/
 * sdm64.expect instead (the SDM reference for each is in that file).
 */
#include "samples/lib/printf.h"
#include "samples/systest/sys64.h"

void test_exceptions(void)
{
	extern uint64_t probe_val;

	printf("== exceptions at CPL 0\n");
	RUN0(p_div0);
	RUN0(p_ud2);
	RUN0(p_int3);
	RUN0(p_into);
	RUN0(p_noncanon);
	QEMU_DIFFERS();
	RUN0(p_noncanon_ss);
	QEMU_DIFFERS();
	RUN0(p_push_noncanon);
	RUN0(p_ds_limit);
	RUN0(p_ds_np);
	RUN0(p_ss_np);
	RUN0(p_ss_rpl);
	if (!RUN0(p_ss_null))
		printf("  SS after MOV SS, 0: 0x%lx\n", probe_val);
	RUN0(p_ds_code);
	RUN0(p_ss_code);
	RUN0(p_mov_cs);
	QEMU_DIFFERS();
	RUN0(p_int_beyond);
	QEMU_DIFFERS();
	RUN0(p_int_np);
	QEMU_DIFFERS();
	RUN0(p_rdmsr_bad);
	RUN0(p_cr5);
	RUN0(p_ltr_busy);
	RUN0(p_iret_badcs);
	RUN0(p_iret_same);

	/* CR0.TS = 1: the first x87 instruction raises #NM (SDM Vol 3 §2.5,
	 * Table 2-2); CLTS clears TS and only TS. */
	wrcr0(rdcr0() | 8);
	RUN0(p_fnop);
	__asm__ volatile("clts");
	printf("  after CLTS: CR0.TS=%lu CR0.MP=%lu\n", rdcr0() >> 3 & 1, rdcr0() >> 1 & 1);

	/* #DF: gate 13 not present, so delivering the #GP raises #NP(gate 13,
	 * IDT, EXT); two contributory exceptions make a double fault (SDM Vol 3
	 * Table 6-5).  Its error code is 0; gate 8 uses IST1. */
	idt_set(13, 0, 0, 0);
	RUN0(p_ds_limit);
	idt_set(13, 0, 0, 1);
	/* The same #NP on its own: a gate that is not present. */
	idt_set(6, 0, 0, 0);
	QEMU_DIFFERS();
	RUN0(p_ud2);
	idt_set(6, 0, 0, 1);
}
