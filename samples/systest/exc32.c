/*
 * exc32.c - samples/systest: exception vectors, error codes and 32-bit
 * frames in protected mode (SDM Vol 3 §6.15 "Exception and Interrupt
 * Reference", §6.13 error codes, §6.12.1 the frame; Vol 2 INTO, BOUND).
 *
 * Each line names the probe (probe32.S) and what the CPU delivered: the
 * vector, the error code, whether the saved EIP is the faulting
 * instruction (a fault, "at") or the next one (a trap), the saved CS and
 * which stack the frame went to.
 */
#include "samples/systest/sys32.h"

/* Lines printed after QEMU_DIFFERS() start with "[systest] ~": QEMU 7.2's
 * TCG disagrees with the SDM there; tests/suites/systest.sh checks them
 * against samples/systest/sdm32.expect instead. */
void test_exceptions32(void)
{
	printf("== exceptions at CPL 0\n");
	RUN0(p_div0);
	RUN0(p_ud2);
	RUN0(p_int3);
	RUN0(p_into);
	RUN0(p_into_nof);
	RUN0(p_bound_in);
	RUN0(p_bound_hi);
	RUN0(p_bound_over);
	RUN0(p_bound_neg);
	RUN0(p_bound16);
	RUN0(p_bound16_out);
	RUN0(p_int_beyond);
	RUN0(p_int_np);
	RUN0(p_cr5);
	RUN0(p_ltr_busy);

	/* CR0.TS = 1: x87 instructions raise #NM (SDM Vol 3 Table 2-2). */
	wrcr0(rdcr0() | 8);
	RUN0(p_fnop);
	__asm__ volatile("clts");
	printf("  after CLTS: CR0.TS=%u\n", rdcr0() >> 3 & 1);

	/* #DF: gate 13 not present, so delivering #GP raises #NP(13*8+2+1);
	 * two contributory exceptions make a double fault (SDM Vol 3 Table
	 * 6-5), error code 0, here through an interrupt gate (vmlab has no
	 * task switching, so no task gate). */
	idt_set(13, 0, 0);
	RUN0(p_ds_limit);
	idt_set(13, 0, 1);
	/* #NP on its own: #UD's gate not present (IDT = 1, EXT = 1). */
	idt_set(6, 0, 0);
	QEMU_DIFFERS();
	RUN0(p_ud2);
	idt_set(6, 0, 1);
}
