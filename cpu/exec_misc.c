/*
 * exec_misc.c - CPUID, RDTSC/RDTSCP and the deliberately undefined opcodes
 * UD0/UD1/UD2, and WAIT/FWAIT (SDM Vol 2A "CPUID", Vol 2B "RDTSC", "RDTSCP",
 * "UD", "WAIT/FWAIT").
 *
 * CPUID and RDTSC are the classic *behaviour-sensitive* instructions of x86
 * virtualization: they do not trap at CPL 3 (RDTSC only when CR4.TSD says
 * so), yet they reveal the machine.  Under hardware-assisted virtualization
 * CPUID always causes a VM exit, RDTSC when the VMM asks.  Each handler
 * follows STYLE.md §3: architectural check -> VM-exit check -> emulation.
 */
#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/insn.h"
#include "cpu/operand.h"
#include "cpu/isa.h"	/* the handler prototypes */
#include "cpu/system.h" /* CPU_INTERCEPT */

/*
 * 0F A2: CPUID.  EAX selects the leaf, ECX the subleaf; the answer comes
 * from the one feature table in cpu/cpuid.c.  The four 32-bit writes clear
 * bits 63:32 of RAX/RBX/RCX/RDX in 64-bit mode, as any 32-bit write does.
 */
void CPUID(struct cpu *c, const struct insn *i)
{
	struct cpuid_regs r;

	CPU_INTERCEPT(c, i); /* hardware-assisted mode: CPUID always exits */
	r = cpuid_query(c, (u32)c->gpr[RAX], (u32)c->gpr[RCX]);
	cpu_set_reg(c, RAX, 4, false, r.eax);
	cpu_set_reg(c, RBX, 4, false, r.ebx);
	cpu_set_reg(c, RCX, 4, false, r.ecx);
	cpu_set_reg(c, RDX, 4, false, r.edx);
}

/*
 * CR4.TSD ("time stamp disable") makes RDTSC and RDTSCP privileged: #GP(0)
 * at CPL > 0 (SDM Vol 2B RDTSC).  In real mode CPL is 0, so it never
 * faults there; in virtual-8086 mode CPL is 3.
 */
static void tsc_check(struct cpu *c)
{
	if ((c->cr4 & CR4_TSD) && c->cpl > 0)
		cpu_raise(c, EXC_GP, 0);
}

/* EDX:EAX <- the time-stamp counter, derived from virtual time (cpu_tsc):
 * the same program always reads the same values. */
static void tsc_to_edx_eax(struct cpu *c)
{
	u64 tsc = cpu_tsc(c);

	cpu_set_reg(c, RAX, 4, false, tsc & 0xffffffff);
	cpu_set_reg(c, RDX, 4, false, tsc >> 32);
}

/* 0F 31: RDTSC. */
void RDTSC(struct cpu *c, const struct insn *i)
{
	tsc_check(c);
	CPU_INTERCEPT(c, i);
	tsc_to_edx_eax(c);
}

/* 0F 01 F9: RDTSCP -- RDTSC plus ECX <- IA32_TSC_AUX (the OS keeps the CPU
 * number there, which is how getcpu() can be a user-mode call).  The row is
 * named after its ModRM byte because RDTSCP is also the CPUID feature's name. */
void RDTSCP_F9(struct cpu *c, const struct insn *i)
{
	tsc_check(c);
	CPU_INTERCEPT(c, i);
	tsc_to_edx_eax(c);
	cpu_set_reg(c, RCX, 4, false, c->msr.tsc_aux & 0xffffffff);
}

/*
 * 0F 0B: UD2, 0F B9 /r: UD1, 0F FF /r: UD0 (Gd, Ed) -- opcodes reserved to be
 * invalid forever, for software that wants a guaranteed #UD (Linux's BUG()
 * is UD2).  UD1 and UD0 take a ModRM byte (and so a SIB/displacement), which
 * matters only for the instruction length a debugger shows: the fault is the
 * same.
 */
void UD2(struct cpu *c, const struct insn *i)
{
	cpu_raise(c, EXC_UD, 0);
}
void UD1_GvEv(struct cpu *c, const struct insn *i)
{
	cpu_raise(c, EXC_UD, 0);
}
void UD0_GdEd(struct cpu *c, const struct insn *i)
{
	cpu_raise(c, EXC_UD, 0);
}

/*
 * 9B: WAIT/FWAIT -- "check pending unmasked floating-point exceptions"
 * (SDM Vol 2B "WAIT/FWAIT").  vmlab has no x87 unit, so no exception is
 * ever pending and WAIT does nothing -- except the one check it shares
 * with the FPU instructions: #NM when CR0.MP and CR0.TS are both set
 * (SDM Vol 3 §2.5 Table 2-2), the hook of lazy FPU context switching.
 * Unlike the D8-DF escapes, WAIT ignores CR0.EM.
 */
void FWAIT(struct cpu *c, const struct insn *i)
{
	(void)i;
	if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		cpu_raise(c, EXC_NM, 0);
}
