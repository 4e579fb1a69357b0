/*
 * exec_io.c - the IOPL-sensitive instructions: IN, OUT (and the permission
 * check INS/OUTS share), CLI, STI, PUSHF, POPF.
 *
 * Follows SDM Vol 1 §19.5 "Protected-mode I/O" (IOPL and the I/O
 * permission bitmap), Vol 3 §6.8.1 (masking maskable interrupts), Vol 2
 * "IN", "OUT", "CLI", "STI", "PUSHF", "POPF".
 *
 * RFLAGS.IOPL says which privilege levels may do port I/O and change IF.
 * Code with CPL > IOPL still may touch the ports its TSS bitmap opens.
 * POPF is the famous virtualization hole: at CPL > IOPL it does not fault
 * when asked to change IF -- it silently leaves IF alone, so a guest kernel
 * running deprivileged believes it disabled interrupts when it did not.
 */
#include "cpu/system.h"

#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"

static unsigned iopl(const struct cpu *c)
{
	return (c->rflags >> 12) & 3;
}

/* SDM Vol 1 §19.5.2: the bitmap starts at the 16-bit offset stored at TSS
 * byte 102; bit n covers port n; every bit of a multi-byte access must be
 * 0.  The bitmap must lie within the TSS limit, else access is denied. */
bool cpu_io_allowed(struct cpu *c, u16 port, unsigned size)
{
	unsigned type = c->tr.attr & SEGA_TYPE;
	u64 base, off, bits;

	if (c->mode == CPU_MODE_REAL)
		return true;
	if (c->mode != CPU_MODE_VM86 && c->cpl <= iopl(c))
		return true;
	/* Only 32-bit and 64-bit TSSs have a bitmap. */
	if ((c->tr.attr & SEGA_UNUSABLE) || (type != DESC_TSS && type != DESC_TSS_BUSY) ||
	    c->tr.limit < 103)
		return false;
	base = c->tr.base;
	off = cpu_read_lin(c, (c->efer & EFER_LMA) ? base + 102 : (base + 102) & 0xffffffffu, 2,
			   true);
	off += port / 8;
	/* Two bytes are read: an access may straddle a byte of the bitmap. */
	if (off + 1 > c->tr.limit)
		return false;
	bits = cpu_read_lin(c, (c->efer & EFER_LMA) ? base + off : (base + off) & 0xffffffffu, 2,
			    true);
	return !(bits & (((1u << size) - 1) << (port & 7)));
}

/* ---- IN / OUT (E4-E7 with an immediate port, EC-EF with DX) ------------- */

static unsigned io_size(const struct insn *i, bool byte)
{
	return byte ? 1 : i->osize == 2 ? 2 : 4; /* 64-bit mode: still at most 4 */
}

static void do_in(struct cpu *c, const struct insn *i, u16 port, unsigned sz)
{
	if (!cpu_io_allowed(c, port, sz))
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	/* IN EAX writes EAX and, like every 32-bit write, zeroes RAX[63:32]. */
	cpu_set_reg(c, RAX, sz, false, cpu_port_in(c, port, sz));
}

static void do_out(struct cpu *c, const struct insn *i, u16 port, unsigned sz)
{
	if (!cpu_io_allowed(c, port, sz))
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	cpu_port_out(c, port, sz, cpu_get_reg(c, RAX, sz, false));
}

void IN_ALIb(struct cpu *c, const struct insn *i)
{
	do_in(c, i, (u8)i->imm, 1);
}
void IN_eAXIb(struct cpu *c, const struct insn *i)
{
	do_in(c, i, (u8)i->imm, io_size(i, false));
}
void IN_ALDX(struct cpu *c, const struct insn *i)
{
	do_in(c, i, (u16)c->gpr[RDX], 1);
}
void IN_eAXDX(struct cpu *c, const struct insn *i)
{
	do_in(c, i, (u16)c->gpr[RDX], io_size(i, false));
}
void OUT_IbAL(struct cpu *c, const struct insn *i)
{
	do_out(c, i, (u8)i->imm, 1);
}
void OUT_IbeAX(struct cpu *c, const struct insn *i)
{
	do_out(c, i, (u8)i->imm, io_size(i, false));
}
void OUT_DXAL(struct cpu *c, const struct insn *i)
{
	do_out(c, i, (u16)c->gpr[RDX], 1);
}
void OUT_DXeAX(struct cpu *c, const struct insn *i)
{
	do_out(c, i, (u16)c->gpr[RDX], io_size(i, false));
}

/* ---- CLI / STI (SDM Vol 2 "CLI", "STI"; no VME/PVI: those CPUID bits are
 * off, so VM86 and CPL > IOPL simply fault) ------------------------------ */

static void if_check(struct cpu *c)
{
	if (c->mode == CPU_MODE_REAL)
		return;
	if (c->mode == CPU_MODE_VM86 ? iopl(c) != 3 : c->cpl > iopl(c))
		cpu_raise(c, EXC_GP, 0);
}

void CLI(struct cpu *c, const struct insn *i)
{
	if_check(c);
	CPU_INTERCEPT(c, i);
	c->rflags &= ~(u64)FL_IF;
}

/* STI: interrupts become deliverable only after the NEXT instruction, so
 * `sti; hlt` cannot lose a wake-up interrupt and `sti; ret` returns first
 * (SDM Vol 3 §6.8.3). */
void STI(struct cpu *c, const struct insn *i)
{
	if_check(c);
	CPU_INTERCEPT(c, i);
	if (!(c->rflags & FL_IF))
		c->intr_shadow = 1;
	c->rflags |= FL_IF;
}

/* ---- PUSHF / POPF -------------------------------------------------------- */

/* 9C: push (R/E)FLAGS; VM and RF read as 0 in the image. */
void PUSHF_Fv(struct cpu *c, const struct insn *i)
{
	u64 fl;

	if (c->mode == CPU_MODE_VM86 && iopl(c) != 3)
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	fl = cpu_rflags(c) & ~(u64)(FL_VM | FL_RF);
	cpu_push(c, i->osize, fl & mask_of(i->osize));
}

/*
 * 9D: pop (R/E)FLAGS.  Which bits may change (SDM Vol 2 POPF table):
 *   always        CF PF AF ZF SF TF DF OF NT AC ID (AC/ID: 32/64-bit only)
 *   CPL = 0       also IOPL
 *   CPL <= IOPL   also IF  -- otherwise IF is kept WITHOUT a fault
 *   never         VM VIF VIP (and RF, which is cleared by 32/64-bit POPF)
 */
void POPF_Fv(struct cpu *c, const struct insn *i)
{
	u64 sp = c->gpr[RSP], v, old, mask, nf;
	unsigned sz = i->osize;

	if (c->mode == CPU_MODE_VM86 && iopl(c) != 3)
		cpu_raise(c, EXC_GP, 0);
	/* Read the slot before anything changes: a stack fault leaves RSP. */
	v = cpu_read(c, SEG_SS, sp & mask_of(c->stack_size), sz);
	CPU_INTERCEPT(c, i);
	old = cpu_rflags(c);
	mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID | FL_IF | FL_IOPL;
	if (c->cpl > 0 || c->mode == CPU_MODE_VM86)
		mask &= ~(u64)FL_IOPL;
	if (c->mode != CPU_MODE_REAL && c->cpl > iopl(c))
		mask &= ~(u64)FL_IF;
	if (sz == 2)
		mask &= 0xffff;
	nf = (old & ~mask) | (v & mask);
	if (sz != 2)
		nf &= ~(u64)FL_RF;
	if (!(mask & FL_IF) && ((v ^ old) & FL_IF))
		/* The hole, made visible: the guest asked to change IF and the
		 * processor silently ignored it. */
		trace_emit(c->trace, TRACE_HOLE, c->index, c->seg[SEG_CS].base + c->rip, i->form,
			   PG_CTL, 0, 0, "POPF ignored IF");
	cpu_set_reg(c, RSP, c->stack_size, false, sp + sz);
	cpu_set_rflags(c, nf);
}
