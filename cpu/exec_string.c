/*
 * exec_string.c - the string instructions MOVS CMPS SCAS LODS STOS INS OUTS
 * and their REP / REPE / REPNE prefixes (SDM Vol 1 §7.3.9 "String
 * Operations", Vol 2B "REP/REPE/REPZ/REPNE/REPNZ" and each instruction's
 * page).
 *
 * The shape of every string instruction is the same:
 *
 *   source       DS:rSI  (the segment may be overridden: FS:, ES: ...)
 *   destination  ES:rDI  (never overridable: always ES)
 *   after each element, rSI/rDI move by the element size: forward when
 *   RFLAGS.DF = 0, backward when DF = 1.
 *
 * The ADDRESS size (not the operand size) picks the registers: SI/DI/CX with
 * a 16-bit address size, ESI/EDI/ECX with 32 and RSI/RDI/RCX with 64.  A
 * 16-bit SI wraps from 0xFFFF to 0 and leaves bits 63:16 of RSI alone; a
 * 32-bit ESI write zero-extends into RSI, as every 32-bit register write does.
 *
 * REP repeats while rCX != 0, decrementing rCX once per element.  CMPS and
 * SCAS also stop on a flag: REPE/REPZ (F3) while ZF = 1, REPNE/REPNZ (F2)
 * while ZF = 0.  The ZF test follows the decrement, so rCX counts the
 * element that stopped the scan.
 *
 * Two properties make a long REP safe to interrupt (SDM Vol 2B REP,
 * "Interrupts"):
 *   1. State is committed per element.  A #PF on element 1000 leaves rSI,
 *      rDI and rCX addressing element 1000 and RIP at the instruction, so the
 *      OS can page the memory in and IRET back to finish the job.
 *   2. We run at most REP_CHUNK elements per cpu_step() and then leave RIP at
 *      the instruction (next_rip = insn_rip).  The step loop then gets to take
 *      pending interrupts, and the next step continues where we stopped --
 *      exactly what hardware does when an interrupt arrives mid-string.
 */
#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/isa.h" /* the handler prototypes */
#include "cpu/mem.h"
#include "cpu/system.h"

/* Elements executed per step before we give interrupts a chance. */
#define REP_CHUNK 4096

/* What one element did, for REPE/REPNE: the ZF it produced. */
typedef bool string_elem_fn(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di);

/* Which index registers an instruction advances. */
enum { USE_SI = 1, USE_DI = 2 };

/* The segment of the source operand: DS unless a prefix overrides it. */
static enum sreg src_seg(const struct insn *i)
{
	return i->seg_override != SEG_NONE ? (enum sreg)i->seg_override : SEG_DS;
}

/* Read/write an address-size register (SI, ESI or RSI ...). */
static u64 areg(const struct cpu *c, const struct insn *i, int r)
{
	return cpu_get_reg(c, r, i->asize, false);
}
static void areg_set(struct cpu *c, const struct insn *i, int r, u64 v)
{
	cpu_set_reg(c, r, i->asize, false, v);
}

/*
 * Run a string instruction: one element, or the REP loop.
 *   sz      element size in bytes (1, 2, 4, 8)
 *   uses    USE_SI / USE_DI: which index registers advance
 *   zf_rep  true for CMPS/SCAS, whose REPE/REPNE test ZF
 */
static void string_run(struct cpu *c, const struct insn *i, unsigned sz, unsigned uses, bool zf_rep,
		       string_elem_fn *elem)
{
	u64 delta = (c->rflags & FL_DF) ? (u64) - (s64)sz : sz;
	unsigned chunk = REP_CHUNK;

	if (!i->rep) {
		/* No prefix: exactly one element, rCX untouched. */
		u64 si = areg(c, i, RSI), di = areg(c, i, RDI);

		elem(c, i, sz, si, di);
		if (uses & USE_SI)
			areg_set(c, i, RSI, si + delta);
		if (uses & USE_DI)
			areg_set(c, i, RDI, di + delta);
		return;
	}

	/* Single-stepping (TF) traps after every element, as hardware does:
	 * run one element per step so the #DB lands between elements. */
	if (c->rflags & FL_TF)
		chunk = 1;

	while (chunk--) {
		u64 cx = areg(c, i, RCX), si, di;
		bool zf;

		if (cx == 0)
			return; /* count exhausted (possibly before the first element) */
		si = areg(c, i, RSI);
		di = areg(c, i, RDI);
		/* The element's memory accesses may fault: nothing of this element
		 * has been committed to registers yet. */
		zf = elem(c, i, sz, si, di);
		/* Commit this element. */
		if (uses & USE_SI)
			areg_set(c, i, RSI, si + delta);
		if (uses & USE_DI)
			areg_set(c, i, RDI, di + delta);
		areg_set(c, i, RCX, cx - 1);
		/* REPE stops on ZF = 0, REPNE on ZF = 1 (F2 on MOVS/STOS... is
		 * simply REP: those forms do not look at ZF). */
		if (zf_rep && ((i->rep == 0xf3 && !zf) || (i->rep == 0xf2 && zf)))
			return;
	}
	/* Chunk used up: if work remains, come back to this instruction on the
	 * next step (interrupts are taken in between). */
	if (areg(c, i, RCX) != 0)
		c->next_rip = c->insn_rip;
}

/* ---- The elements ---- */

/* MOVS: ES:[rDI] <- seg:[rSI]. */
static bool movs_elem(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di)
{
	u64 v = cpu_read(c, src_seg(i), si, sz);

	cpu_write(c, SEG_ES, di, sz, v);
	return false;
}

/* CMPS: compare seg:[rSI] with ES:[rDI] -- flags of SRC - DEST, i.e. the
 * first operand (the rSI one) minus the second (SDM Vol 2A CMPS). */
static bool cmps_elem(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di)
{
	u64 m = mask_of(sz);
	u64 a = cpu_read(c, src_seg(i), si, sz);
	u64 b = cpu_read(c, SEG_ES, di, sz);

	flags_lazy(c, LAZY_SUB, sz, (a - b) & m, a, b);
	return a == b;
}

/* SCAS: compare rAX with ES:[rDI] (flags of rAX - mem). */
static bool scas_elem(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di)
{
	u64 m = mask_of(sz);
	u64 a = cpu_get_reg(c, RAX, sz, false);
	u64 b = cpu_read(c, SEG_ES, di, sz);

	flags_lazy(c, LAZY_SUB, sz, (a - b) & m, a, b);
	return a == b;
}

/* LODS: rAX <- seg:[rSI].  (REP LODS is legal and useless: only the last
 * element survives.) */
static bool lods_elem(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di)
{
	cpu_set_reg(c, RAX, sz, false, cpu_read(c, src_seg(i), si, sz));
	return false;
}

/* STOS: ES:[rDI] <- rAX. */
static bool stos_elem(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di)
{
	cpu_write(c, SEG_ES, di, sz, cpu_get_reg(c, RAX, sz, false));
	return false;
}

/*
 * INS: ES:[rDI] <- port DX.  The destination is checked by segmentation
 * before the port is read, so a bad ES does not swallow a device's byte
 * (SDM Vol 2A INS: the #GP for "destination in a non-writable segment").
 * A #PF on the destination can still follow the read, as on hardware.
 */
static bool ins_elem(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di)
{
	u16 port = (u16)c->gpr[RDX];
	u64 v;

	cpu_linear(c, SEG_ES, di, sz, ACC_WRITE);
	v = cpu_port_in(c, port, sz);
	cpu_write(c, SEG_ES, di, sz, v);
	return false;
}

/* OUTS: port DX <- seg:[rSI]. */
static bool outs_elem(struct cpu *c, const struct insn *i, unsigned sz, u64 si, u64 di)
{
	cpu_port_out(c, (u16)c->gpr[RDX], sz, cpu_read(c, src_seg(i), si, sz));
	return false;
}

/*
 * INS/OUTS are I/O-sensitive: the architectural check comes first (CPL vs
 * IOPL, then the TSS I/O permission bitmap -- cpu_io_allowed(), owned by
 * cpu/exec_io.c), then the VM-exit check of the virtualization mode
 * (STYLE.md §3, CPU_INTERCEPT returns from the handler when the hypervisor
 * handled the whole instruction), then the emulation.
 */
static void io_check(struct cpu *c, unsigned sz)
{
	if (!cpu_io_allowed(c, (u16)c->gpr[RDX], sz))
		cpu_raise(c, EXC_GP, 0);
}

/* ---- Handlers: one per isa.def row ---- */

/* The v-sized forms use the operand size (2, 4 or 8). */
#define OSZ(i) ((unsigned)(i)->osize)

void MOVSB_YbXb(struct cpu *c, const struct insn *i)
{
	string_run(c, i, 1, USE_SI | USE_DI, false, movs_elem);
}
void MOVS_YvXv(struct cpu *c, const struct insn *i)
{
	string_run(c, i, OSZ(i), USE_SI | USE_DI, false, movs_elem);
}
void CMPSB_XbYb(struct cpu *c, const struct insn *i)
{
	string_run(c, i, 1, USE_SI | USE_DI, true, cmps_elem);
}
void CMPS_XvYv(struct cpu *c, const struct insn *i)
{
	string_run(c, i, OSZ(i), USE_SI | USE_DI, true, cmps_elem);
}
void STOSB_YbAL(struct cpu *c, const struct insn *i)
{
	string_run(c, i, 1, USE_DI, false, stos_elem);
}
void STOS_YvrAX(struct cpu *c, const struct insn *i)
{
	string_run(c, i, OSZ(i), USE_DI, false, stos_elem);
}
void LODSB_ALXb(struct cpu *c, const struct insn *i)
{
	string_run(c, i, 1, USE_SI, false, lods_elem);
}
void LODS_rAXXv(struct cpu *c, const struct insn *i)
{
	string_run(c, i, OSZ(i), USE_SI, false, lods_elem);
}
void SCASB_ALYb(struct cpu *c, const struct insn *i)
{
	string_run(c, i, 1, USE_DI, true, scas_elem);
}
void SCAS_rAXYv(struct cpu *c, const struct insn *i)
{
	string_run(c, i, OSZ(i), USE_DI, true, scas_elem);
}

/* INS/OUTS move at most 32 bits: the operand size is 2 or 4 (a REX.W
 * prefix still means 4, SDM Vol 2A INS "64-bit mode"). */
static unsigned io_size(const struct insn *i)
{
	return i->osize == 2 ? 2 : 4;
}

void INSB_YbDX(struct cpu *c, const struct insn *i)
{
	io_check(c, 1);
	CPU_INTERCEPT(c, i);
	string_run(c, i, 1, USE_DI, false, ins_elem);
}
void INS_YzDX(struct cpu *c, const struct insn *i)
{
	io_check(c, io_size(i));
	CPU_INTERCEPT(c, i);
	string_run(c, i, io_size(i), USE_DI, false, ins_elem);
}
void OUTSB_DXXb(struct cpu *c, const struct insn *i)
{
	io_check(c, 1);
	CPU_INTERCEPT(c, i);
	string_run(c, i, 1, USE_SI, false, outs_elem);
}
void OUTS_DXXz(struct cpu *c, const struct insn *i)
{
	io_check(c, io_size(i));
	CPU_INTERCEPT(c, i);
	string_run(c, i, io_size(i), USE_SI, false, outs_elem);
}
