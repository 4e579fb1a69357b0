/*
 * ring32.c - samples/systest: privilege levels in 32-bit protected mode.
 *
 *   IRET to CPL 3 and CPL 1 and interrupt gates back with the 32-bit TSS
 *   SS0:ESP0 stack switch (SDM Vol 3 §6.12.1, §7.2.1); privileged and
 *   IOPL-sensitive instructions (§5.9, §2.8); INT n gate DPL checks
 *   (§6.12.1.1); the TSS I/O permission bitmap (Vol 1 §19.5); PUSHF/POPF
 *   and IF/IOPL at CPL 3 and CPL 1 (Vol 2 POPF: no fault, the change is
 *   silently dropped - the Popek-Goldberg hole); a 32-bit call gate with
 *   parameter copy and RET n to the outer level (§5.8.5, §5.8.6);
 *   SYSENTER/SYSEXIT (Vol 2); #AC and a stack limit fault at CPL 3.
 */
#include "samples/systest/sys32.h"

extern uint32_t cg_esp, cg_frame[6], cg_cs, cg_ss, se_esp, se_eflags, se_cs, se_ss;
extern char u_callgate_next[];

#define EFL 2u /* IF = 0: no interrupts (the PICs are masked as well) */

static void popf(int cpl, uint32_t iopl)
{
	if (cpl == 3)
		RUNU(u_popf, EFL | iopl << 12);
	else
		RUN1(u_popf, EFL | iopl << 12);
	printf("  CPL %d IOPL %u: after POPF IF=%u IOPL=%u\n", cpl, iopl, last.ebx >> 9 & 1,
	       last.ebx >> 12 & 3);
}

void test_rings32(void)
{
	printf("== CPL 3\n");
	RUNU(u_int3, EFL);
	printf("  cs/ss at CPL 3: 0x%x 0x%x esp=%s\n", last.ebx, last.esi,
	       last.esp == user_stack_top() ? "top" : "?");
	RUNU(u_int40, EFL);
	RUNU(u_int41, EFL);
	RUNU(u_int_np, EFL);
	QEMU_DIFFERS(); /* QEMU: INT1 (F1) is #UD */
	RUNU(u_int1, EFL);
	RUNU(u_into, EFL | 0x800);
	RUNU(u_hlt, EFL);
	RUNU(u_cli, EFL);
	RUNU(u_sti, EFL);
	RUNU(u_cli, EFL | 0x3000); /* IOPL 3: allowed */
	RUNU(u_rdmsr, EFL);
	RUNU(u_movcr, EFL);
	RUNU(u_lldt, EFL);
	RUNU(u_sysexit, EFL);
	RUNU(u_clts, EFL);
	RUNU(u_rdpmc, EFL);
	RUNU(u_ds_k, EFL);
	RUNU(u_callgate0, EFL);

	printf("== CPL 1\n");
	RUN1(u_int3, EFL);
	printf("  cs/ss at CPL 1: 0x%x 0x%x\n", last.ebx, last.esi);
	RUN1(u_cli, EFL);
	RUN1(u_cli, EFL | 0x1000);
	RUN1(u_hlt, EFL);
	RUN1(u_movcr, EFL);
	RUN1(u_in80, EFL);

	printf("== I/O permission bitmap (port 0x80 allowed)\n");
	RUNU(u_in80, EFL);
	RUNU(u_in_dx, EFL);
	RUNU(u_out80, EFL);
	RUNU(u_in81, EFL);
	RUNU(u_inw80, EFL); /* 0x80 and 0x81: both bits must be clear */
	RUNU(u_in7f, EFL);
	RUNU(u_in81, EFL | 0x3000); /* IOPL 3: the bitmap is not consulted */
	tss_set_io(0x81, 1);
	RUNU(u_inw80, EFL);
	tss_set_io(0x81, 0);

	printf("== PUSHF/POPF\n");
	popf(3, 0);
	popf(3, 3);
	popf(1, 0);
	popf(1, 1);

	printf("== #AC and stack limits at CPL 3\n");
	wrcr0(rdcr0() | 1u << 18);
	QEMU_DIFFERS();
	RUNU(u_ac, EFL | 0x40000);
	wrcr0(rdcr0() & ~(1u << 18));
	RUNU(u_ac, EFL | 0x40000);
	QEMU_DIFFERS(); /* QEMU checks no stack-segment limits */
	RUNU(u_ss_ed, EFL);

	printf("== call gate to CPL 0 (32-bit, 2 parameters)\n");
	RUNU(u_callgate, EFL);
	printf("  after: cs=0x%x es=0x%x esp=%s\n", last.ebx, last.esi,
	       last.esp == user_stack_top() ? "top" : "?");
	printf("  at CPL 0: cs=0x%x ss=0x%x esp=esp0-%u\n", cg_cs, cg_ss,
	       (uint32_t)(last.frame + 20) - cg_esp);
	printf("  pushed: eip=%s cs=0x%x params=0x%x 0x%x esp=%s ss=0x%x\n",
	       cg_frame[0] == U(u_callgate_next) ? "next" : "?", cg_frame[1], cg_frame[2],
	       cg_frame[3], cg_frame[4] == user_stack_top() - 8 ? "user-8" : "?", cg_frame[5]);

	printf("== SYSENTER / SYSEXIT\n");
	RUNU(u_sysenter, EFL | 0x200);
	printf("  after: cs=0x%x ss=0x%x\n", last.ebx, last.esi);
	printf("  in kernel: cs=0x%x ss=0x%x eflags=0x%x esp=%s\n", se_cs, se_ss, se_eflags,
	       se_esp != 0 ? "SYSENTER_ESP" : "?");
}
