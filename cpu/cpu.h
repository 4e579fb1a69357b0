/*
 * cpu.h - the architectural state of one x86-64 logical processor and the
 * CPU's public interface (DESIGN.md §2).
 *
 * Everything the SDM calls processor state lives in struct cpu; nothing about
 * the machine is global, so SMP is several struct cpu.  The CPU reaches the
 * machine only through the bus (memory, ports) and the hooks the hypervisor
 * gave it (interrupt controller, virtualization-mode intercepts).
 *
 * Execution model (how a handler must behave):
 *   - cpu_step() fetches and decodes at CS:RIP, sets c->next_rip = RIP + len
 *     and calls the form's handler.  A handler changes control flow by writing
 *     c->next_rip.  When it returns, RIP = next_rip.
 *   - A handler that detects a fault calls cpu_raise(), which never returns
 *     (it longjmps back to the step loop).  RIP still points at the faulting
 *     instruction, so the saved RIP of every fault is exact.  Handlers therefore
 *     do all memory reads/writes that may fault BEFORE changing registers.
 *   - Arithmetic flags are lazy (cpu/flags.h); read RFLAGS with cpu_rflags().
 */
#ifndef VMLAB_CPU_CPU_H
#define VMLAB_CPU_CPU_H

#include <setjmp.h>

#include "lib/common.h"
#include "lib/trace.h"

struct bus;
struct insn;
struct cpu;

/* General-purpose registers in ModRM/REX encoding order (SDM Vol 2 §2.1.5). */
enum gpr {
	RAX,
	RCX,
	RDX,
	RBX,
	RSP,
	RBP,
	RSI,
	RDI,
	R8,
	R9,
	R10,
	R11,
	R12,
	R13,
	R14,
	R15,
};

/* Segment registers in their Sreg encoding order (SDM Vol 2 Table 3-6). */
enum sreg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT, SEG_NONE = 7 };

/* RFLAGS bits (SDM Vol 1 §3.4.3). */
enum {
	FL_CF = BIT(0),
	FL_1 = BIT(1),
	FL_PF = BIT(2),
	FL_AF = BIT(4),
	FL_ZF = BIT(6),
	FL_SF = BIT(7),
	FL_TF = BIT(8),
	FL_IF = BIT(9),
	FL_DF = BIT(10),
	FL_OF = BIT(11),
	FL_IOPL = BIT(12) | BIT(13),
	FL_NT = BIT(14),
	FL_RF = BIT(16),
	FL_VM = BIT(17),
	FL_AC = BIT(18),
	FL_VIF = BIT(19),
	FL_VIP = BIT(20),
	FL_ID = BIT(21),
};
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Control register bits (SDM Vol 3 §2.5). */
enum {
	CR0_PE = BIT(0),
	CR0_MP = BIT(1),
	CR0_EM = BIT(2),
	CR0_TS = BIT(3),
	CR0_ET = BIT(4),
	CR0_NE = BIT(5),
	CR0_WP = BIT(16),
	CR0_AM = BIT(18),
	CR0_NW = BIT(29),
	CR0_CD = BIT(30),
	CR0_PG = BIT(31),
};
enum {
	CR4_VME = BIT(0),
	CR4_PVI = BIT(1),
	CR4_TSD = BIT(2),
	CR4_DE = BIT(3),
	CR4_PSE = BIT(4),
	CR4_PAE = BIT(5),
	CR4_MCE = BIT(6),
	CR4_PGE = BIT(7),
	CR4_PCE = BIT(8),
	CR4_OSFXSR = BIT(9),
	CR4_OSXMMEXCPT = BIT(10),
	CR4_UMIP = BIT(11),
	CR4_LA57 = BIT(12),
	CR4_FSGSBASE = BIT(16),
	CR4_PCIDE = BIT(17),
	CR4_OSXSAVE = BIT(18),
	CR4_SMEP = BIT(20),
	CR4_SMAP = BIT(21),
};
enum { EFER_SCE = BIT(0), EFER_LME = BIT(8), EFER_LMA = BIT(10), EFER_NXE = BIT(11) };

/* Exception vectors (SDM Vol 3 Table 6-1). */
enum {
	EXC_DE = 0,
	EXC_DB = 1,
	EXC_NMI = 2,
	EXC_BP = 3,
	EXC_OF = 4,
	EXC_BR = 5,
	EXC_UD = 6,
	EXC_NM = 7,
	EXC_DF = 8,
	EXC_TS = 10,
	EXC_NP = 11,
	EXC_SS = 12,
	EXC_GP = 13,
	EXC_PF = 14,
	EXC_MF = 16,
	EXC_AC = 17,
	EXC_MC = 18,
	EXC_XM = 19,
	EXC_VE = 20,
	EXC_CP = 21,
};

/*
 * A segment register: the visible selector and the hidden descriptor cache
 * (SDM Vol 3 §3.4.3).  attr uses the VMX access-rights layout so the monitor
 * and the hardware-assisted mode share it:
 *   [3:0] type  [4] S  [6:5] DPL  [7] P  [12] AVL  [13] L  [14] D/B  [15] G
 *   [16] unusable (a null selector was loaded).
 * limit is the byte-granular limit (G already applied).
 */
struct segment {
	u16 sel;
	u64 base;
	u32 limit;
	u32 attr;
};
enum {
	SEGA_TYPE = 0xf,
	SEGA_S = BIT(4),
	SEGA_DPL_SHIFT = 5,
	SEGA_P = BIT(7),
	SEGA_AVL = BIT(12),
	SEGA_L = BIT(13),
	SEGA_DB = BIT(14),
	SEGA_G = BIT(15),
	SEGA_UNUSABLE = BIT(16),
};

struct dtr {
	u64 base;
	u16 limit;
};

/* The processor's operating mode, derived from CR0.PE, EFLAGS.VM, EFER.LMA
 * and CS.L/CS.D (SDM Vol 3 §2.2). */
enum cpu_mode {
	CPU_MODE_REAL,
	CPU_MODE_VM86,
	CPU_MODE_PROT16,
	CPU_MODE_PROT32,
	CPU_MODE_COMPAT16,
	CPU_MODE_COMPAT32,
	CPU_MODE_LONG64,
	CPU_MODE_COUNT
};
extern const char *const cpu_mode_name[CPU_MODE_COUNT];

/* Lazy arithmetic flags: the last flag-setting operation, evaluated on demand.
 * op is an enum lazy_op from cpu/flags.h; LAZY_NONE means rflags holds them. */
struct lazy_flags {
	u64 res, src1, src2;
	u8 op;
	u8 size; /* operand size in bytes */
};

/* Why cpu_run() returned. */
enum cpu_stop {
	CPU_STOP_NONE = 0,
	CPU_STOP_BUDGET,   /* executed the requested number of instructions */
	CPU_STOP_HALT,	   /* HLT with nothing to wake it */
	CPU_STOP_SHUTDOWN, /* triple fault: shutdown state */
	CPU_STOP_BOARD,	   /* a device asked the machine to stop (debug-exit ...) */
	CPU_STOP_HOOK,	   /* a hook asked to stop (breakpoint, watchpoint, event) */
	CPU_STOP_INIT,	   /* an AP waiting for INIT/SIPI */
};

/* Calls up from the CPU to whoever runs it (the hypervisor).  Any may be NULL. */
struct cpu_hooks {
	void *opaque;
	/* Interrupt controller: is INTR asserted?  Acknowledge it (INTA): vector. */
	bool (*intr_pending)(void *opaque, struct cpu *c);
	int (*intr_ack)(void *opaque, struct cpu *c);
	/*
	 * The VM-exit check of the current virtualization mode (STYLE.md §3):
	 * called by a sensitive instruction's handler after its architectural
	 * checks.  Returns true when the hypervisor handled the instruction.
	 */
	bool (*intercept)(void *opaque, struct cpu *c, const struct insn *i);
	/* Polled between instructions when c->hook_poll is set (breakpoints...):
	 * return true to stop cpu_run with CPU_STOP_HOOK before executing. */
	bool (*before_insn)(void *opaque, struct cpu *c);
	/*
	 * An exception raised by an instruction (or its fetch), before delivery.
	 * Return true to swallow it: the hypervisor reflects it itself (trap
	 * mode), or a tester records it.  RIP still addresses the instruction.
	 */
	bool (*exception)(void *opaque, struct cpu *c, int vector, u32 error_code);
	/* A device (through the bus) asked the machine to stop. */
	bool (*board_stopped)(void *opaque);
	/* Debugger watchpoints (hypervisor/debug.c): called for every data
	 * access while c->watch_mem is set, after its translation succeeded;
	 * lin is the linear address, pa the physical address of its first
	 * byte.  May not raise; it only records (the stop comes before the
	 * next instruction through before_insn). */
	void (*mem_watch)(void *opaque, struct cpu *c, u64 lin, u64 pa, unsigned size, bool write);
	/* A sensitive-but-unprivileged form (isa.def PG class PG_CTL/PG_BEH)
	 * is about to execute without trapping: the trap-mode VMM reports a
	 * virtualization hole.  Called from the reference step loop only (a CPU
	 * with this hook set never runs blocks), with RIP at the instruction and
	 * next_rip after it.  Return true when the hypervisor performed the
	 * instruction itself (it set next_rip): the handler is skipped. */
	bool (*sensitive)(void *opaque, struct cpu *c, const struct insn *i);
};

/* Model-specific registers kept in the CPU (the documented set; see cpu/msr.c). */
struct cpu_msrs {
	u64 star, lstar, cstar, sfmask;
	u64 fs_base_shadow_unused;
	u64 kernel_gs_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 apic_base;
	u64 pat;
	u64 tsc_aux;
	u64 tsc_adjust;
	u64 misc_enable;
	u64 mtrr_def_type;
};

struct cpu_stats {
	u64 insns;	    /* instructions retired by this CPU */
	u64 exceptions[32]; /* by vector */
	u64 interrupts;	    /* external interrupts delivered */
	u64 double_faults, triple_faults;
};

struct tlb;	    /* mmu/tlb.h */
struct block_cache; /* cpu/block.h */

struct cpu {
	int index; /* 0 = bootstrap processor */

	/* --- Architectural registers --- */
	u64 gpr[16];
	u64 rip;
	u64 rflags; /* non-arithmetic bits always; arithmetic ones when lf.op == LAZY_NONE */
	struct lazy_flags lf;
	struct segment seg[SEG_COUNT];
	struct dtr gdtr, idtr;
	struct segment ldtr, tr; /* system segments: selector + descriptor cache */
	u64 cr0, cr2, cr3, cr4, cr8;
	u64 xcr0;
	u64 efer;
	u64 dr[8];
	struct cpu_msrs msr;
	u64 tsc_offset;

	/* --- Derived state, recomputed by cpu_update_mode() --- */
	enum cpu_mode mode;
	u8 cpl;
	u8 code_size;  /* 2, 4 or 8: default operand/address size of CS */
	u8 stack_size; /* 2, 4 or 8: SS.B / long mode */

	/* --- Execution --- */
	u64 next_rip;	    /* set by cpu_step before the handler; branches overwrite it */
	u64 insn_rip;	    /* RIP of the instruction being executed */
	bool halted;	    /* HLT executed, waiting for an interrupt */
	bool wait_for_sipi; /* an AP before INIT/SIPI */
	bool shutdown;	    /* triple fault happened */
	u8 intr_shadow;	    /* 1: interrupts inhibited for one instruction (MOV SS / STI) */
	bool nmi_pending, nmi_blocked;
	bool hook_poll;	  /* call hooks.before_insn before every instruction */
	bool watch_mem;	  /* call hooks.mem_watch on every data access (slow path) */
	bool block_cache; /* use the basic-block cache (off: one instruction at a time) */

	/* Exception delivery bookkeeping (double/triple fault detection). */
	int delivering; /* vector being delivered, -1 when none */
	int pending_vector;
	u32 pending_error;
	bool pending_has_error;
	jmp_buf fault_jmp; /* cpu_raise() longjmps here */
	bool fault_jmp_set;

	/* --- Machine --- */
	struct bus *bus;
	struct trace *trace;
	struct cpu_hooks hooks;
	u64 *retired; /* machine-wide retired-instruction counter: virtual time */
	struct tlb *tlb;
	struct block_cache *bc; /* basic-block cache (shared by the CPUs of a bus) */
	struct cpu_stats stats;

	/* --- Model --- */
	u32 cpuid_max_leaf;
	bool pg_strict; /* --cpu=pg-strict: every sensitive instruction traps at CPL > 0 */
};

/* Create/destroy.  The CPU is left in its power-on state (SDM Vol 3 §10.1). */
void cpu_init(struct cpu *c, int index, struct bus *bus, struct trace *t, u64 *retired);
void cpu_fini(struct cpu *c);
void cpu_reset(struct cpu *c);

/* Execute one instruction (or deliver one pending event); returns a stop
 * reason or CPU_STOP_NONE. */
enum cpu_stop cpu_step(struct cpu *c);
/* Execute up to max_insns instructions. */
enum cpu_stop cpu_run(struct cpu *c, u64 max_insns);

/* Raise exception `vector` (error code if the vector has one).  Never returns:
 * control goes back to cpu_step, which delivers it. */
NORETURN void cpu_raise(struct cpu *c, int vector, u32 error_code);
/* #PF: sets CR2 = linear and raises with the page-fault error code. */
NORETURN void cpu_raise_pf(struct cpu *c, u64 linear, u32 error_code);

/* Recompute mode/CPL/code_size after CR0, EFER, CS, SS or RFLAGS.VM change;
 * emits a TRACE_MODE event when the mode changes. */
void cpu_update_mode(struct cpu *c);

/* Load a segment register in real/VM86 mode style (base = sel << 4). */
void cpu_load_seg_real(struct cpu *c, enum sreg s, u16 sel);

/* Register access by size (1, 2, 4, 8 bytes).  For size 1, reg 4-7 mean
 * AH/CH/DH/BH unless `rex` (SDM Vol 2 §3.7.2.1). Writing 4 bytes zero-extends. */
u64 cpu_get_reg(const struct cpu *c, int reg, unsigned size, bool rex);
void cpu_set_reg(struct cpu *c, int reg, unsigned size, bool rex, u64 v);

/* Full RFLAGS (materializes the lazy flags), and writing them. */
u64 cpu_rflags(struct cpu *c);
void cpu_set_rflags(struct cpu *c, u64 v);

#endif
