/*
 * system.h - helpers shared by the system-instruction handlers
 * (cpu/exec_system.c, exec_far.c, exec_io.c, msr.c) and exception delivery:
 * canonical addresses, I/O permission (SDM Vol 1 §19.5 "I/O permission bit
 * map"), MSR access (SDM Vol 4 for the register list).
 */
#ifndef VMLAB_CPU_SYSTEM_H
#define VMLAB_CPU_SYSTEM_H

#include "cpu/cpu.h"

/* MSR indices (SDM Vol 4 Table 2-2, architectural MSRs). */
enum {
	MSR_TSC = 0x10,
	MSR_PLATFORM_ID = 0x17,
	MSR_APIC_BASE = 0x1b,
	MSR_FEATURE_CONTROL = 0x3a,
	MSR_TSC_ADJUST = 0x3b,
	MSR_BIOS_SIGN_ID = 0x8b,
	MSR_MTRRCAP = 0xfe,
	MSR_SYSENTER_CS = 0x174,
	MSR_SYSENTER_ESP = 0x175,
	MSR_SYSENTER_EIP = 0x176,
	MSR_MCG_CAP = 0x179,
	MSR_MCG_STATUS = 0x17a,
	MSR_MISC_ENABLE = 0x1a0,
	MSR_PAT = 0x277,
	MSR_MTRR_DEF_TYPE = 0x2ff,
	MSR_EFER = 0xc0000080,
	MSR_STAR = 0xc0000081,
	MSR_LSTAR = 0xc0000082,
	MSR_CSTAR = 0xc0000083,
	MSR_SFMASK = 0xc0000084,
	MSR_FS_BASE = 0xc0000100,
	MSR_GS_BASE = 0xc0000101,
	MSR_KERNEL_GS_BASE = 0xc0000102,
	MSR_TSC_AUX = 0xc0000103,
};

/*
 * The second step of every sensitive handler (STYLE.md §3): after the
 * architectural checks, offer the instruction to the current virtualization
 * mode; when the hypervisor handled it, the handler stops here.
 */
#define CPU_INTERCEPT(c, i)                                                                        \
	do {                                                                                       \
		if ((c)->hooks.intercept && (c)->hooks.intercept((c)->hooks.opaque, (c), (i)))     \
			return;                                                                    \
	} while (0)

/* CR4.UMIP: SGDT SIDT SLDT SMSW STR fault at CPL > 0 (SDM Vol 3 §2.5).
 * (--cpu=pg-strict is not checked here: cpu/step.c applies it once, to every
 * row of the ISA table whose PG class is control- or behaviour-sensitive.) */
static inline void cpu_umip_check(struct cpu *c)
{
	if ((c->cr4 & CR4_UMIP) && c->cpl > 0)
		cpu_raise(c, EXC_GP, 0);
}

/* Is a linear address canonical?  (SDM Vol 1 §3.3.7.1: bits 63..47 all
 * equal, or 63..56 with 5-level paging.) */
static inline bool cpu_canonical(const struct cpu *c, u64 a)
{
	unsigned bits = (c->cr4 & CR4_LA57) ? 57 : 48;
	return (u64)((s64)(a << (64 - bits)) >> (64 - bits)) == a;
}

/*
 * May the current code access ports port..port+size-1?  (SDM Vol 1 §19.5.)
 * Yes in real mode and when CPL <= IOPL; otherwise (and always in VM86
 * mode) only when the TSS I/O permission bitmap has a 0 bit for each port.
 * Reads the bitmap from the TSS, so it may raise #PF.
 */
bool cpu_io_allowed(struct cpu *c, u16 port, unsigned size);

/*
 * RDMSR/WRMSR without the instruction around them (msr.c): return false for
 * an unknown MSR or an invalid value -- the instruction then raises #GP(0).
 * The monitor uses cpu_msr_read to show MSRs.
 */
bool cpu_msr_read(struct cpu *c, u32 index, u64 *value);
bool cpu_msr_write(struct cpu *c, u32 index, u64 value);
/* Name of an MSR for traces and the monitor ("IA32_EFER"), or NULL. */
const char *cpu_msr_name(u32 index);

/* Validate and perform a write of CR0, CR3, CR4, CR8 (MOV to CR, LMSW,
 * CLTS, the hypervisor's emulation); raises #GP(0) for invalid values. */
void cpu_write_cr(struct cpu *c, int cr, u64 v);

/* The m16:16/32/64 operand of far JMP/CALL and LDS/LES/LFS/LGS/LSS:
 * the offset (operand size) first, then the selector (exec_far.c). */
struct insn;
void cpu_read_farptr(struct cpu *c, const struct insn *i, u16 *sel, u64 *off);

#endif
