/*
 * v86_32.c - samples/systest: virtual-8086 mode (SDM Vol 3 ch. 20).
 *
 * IRET with EFLAGS.VM = 1 enters VM86 at CPL 3 with real-mode style
 * segments (base = selector * 16).  Each probe copies a few bytes of
 * 16-bit code to 0x7000 and runs it; what leaves VM86 is an exception or an
 * interrupt through a 32-bit interrupt gate to CPL 0, on the SS0:ESP0
 * stack, with GS, FS, DS, ES pushed after SS and cleared (§20.3.1.1,
 * Figure 20-4).  Without CR4.VME, CLI/STI/PUSHF/POPF/INT n/IRET are
 * IOPL-sensitive (#GP(0) when IOPL < 3); IN/OUT consult the TSS I/O bitmap
 * (Vol 1 §19.5), HLT is always privileged.
 */
#include "samples/systest/sys32.h"

extern uint8_t kstack0[8192]; /* setup32.c: the SS0:ESP0 stack */

static void v86(const char *name, const uint8_t *code, unsigned len, uint32_t iopl)
{
	volatile uint8_t *dst = (volatile uint8_t *)(uintptr_t)(V86_CS * 16);
	int r;

	for (unsigned k = 0; k < len; k++)
		dst[k] = code[k];
	r = run_v86(2 | iopl << 12);
	printf("%-16s ", name);
	if (!r) {
		printf("no exception\n");
		return;
	}
	printf("vec=%u err=0x%x ip=0x%x cs=0x%x ss=0x%x sp=0x%x vm=%u ds=0x%x stack=%s\n",
	       last.vector, last.error, last.eip, last.cs, last.ss, last.esp,
	       (last.eflags & EFL_VM) ? 1 : 0, last.v86_ds,
	       last.frame + 36 == (uint32_t)(uintptr_t)(kstack0 + sizeof(kstack0)) ? "esp0" : "?");
}

void test_v86(void)
{
	static const uint8_t hlt[] = {0xf4};
	static const uint8_t cli[] = {0xfa, 0xcc};
	static const uint8_t intn[] = {0xcd, 0x40, 0xcc};
	static const uint8_t int3[] = {0x90, 0xcc};
	static const uint8_t in80[] = {0xe4, 0x80, 0xcc};
	static const uint8_t in81[] = {0xe4, 0x81, 0xcc};
	static const uint8_t pushf[] = {0x9c, 0xcc};
	static const uint8_t mov[] = {0xb8, 0x34, 0x12, 0x8e, 0xd8, 0xcc}; /* mov ds, 0x1234 */
	static const uint8_t ud[] = {0x0f, 0x00, 0xc0};			   /* sldt: #UD in VM86 */

	printf("== virtual-8086 mode\n");
	v86("v_hlt", hlt, sizeof(hlt), 0);
	v86("v_cli", cli, sizeof(cli), 0);
	v86("v_cli", cli, sizeof(cli), 3);
	v86("v_int40", intn, sizeof(intn), 0);
	v86("v_int40", intn, sizeof(intn), 3);
	v86("v_int3", int3, sizeof(int3), 0);
	v86("v_in80", in80, sizeof(in80), 0);
	v86("v_in81", in81, sizeof(in81), 0);
	v86("v_pushf", pushf, sizeof(pushf), 0);
	v86("v_pushf", pushf, sizeof(pushf), 3);
	v86("v_mov_ds", mov, sizeof(mov), 0);
	v86("v_sldt", ud, sizeof(ud), 0);
}
