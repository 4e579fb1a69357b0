/*
 * exec_far.c - transfers that change CS through the descriptor tables: far
 * JMP/CALL/RET, IRET, INT n, INT3, INTO, INT1.  (SYSCALL/SYSENTER and their
 * returns: exec_sysfast.c; MOV Sreg and LDS/LES/...: exec_sreg.c.)
 *
 * Follows SDM Vol 2 "JMP", "CALL", "RET", "IRET/IRETD/IRETQ", "INT n/INTO/
 * INT3/INT1", "SYSCALL", "SYSRET", "SYSENTER", "SYSEXIT", "MOV", "LDS/LES/
 * LFS/LGS/LSS" and Vol 3 §5.8 (privilege level checks when transferring
 * program control between code segments, call gates).
 *
 * Privilege can only go UP (numerically down) through a gate -- a call
 * gate or an interrupt gate -- and only DOWN through RET or IRET.  JMP never
 * changes the CPL.  Every check reads the stack/descriptors first and
 * changes registers last, so any fault leaves the old state intact.
 * Task switches (task gates, TSS selectors, IRET with NT = 1) are not
 * modelled: they raise #GP, and say so.
 */
#include "cpu/exception.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"

/* ---- the current stack --------------------------------------------------- */

static u64 spm(const struct cpu *c)
{
	return mask_of(c->stack_size);
}
/* Read the stack slot k bytes above the stack pointer. */
static u64 stk_rd(struct cpu *c, u64 k, unsigned sz)
{
	return cpu_read(c, SEG_SS, (c->gpr[RSP] + k) & spm(c), sz);
}
/* Write the slot k bytes BELOW the stack pointer (k = 1 * sz, 2 * sz ...). */
static void stk_wr(struct cpu *c, u64 k, unsigned sz, u64 v)
{
	cpu_write(c, SEG_SS, (c->gpr[RSP] - k) & spm(c), sz, v);
}
static void sp_add(struct cpu *c, s64 n)
{
	cpu_set_reg(c, RSP, c->stack_size, false, c->gpr[RSP] + (u64)n);
}

static bool prot_mode(const struct cpu *c)
{
	return c->mode != CPU_MODE_REAL && c->mode != CPU_MODE_VM86;
}
static unsigned iopl(const struct cpu *c)
{
	return (c->rflags >> 12) & 3;
}

/* Does descriptor d make the CPU run 64-bit code? */
static bool is64(const struct cpu *c, u64 d)
{
	return (c->efer & EFER_LMA) && (desc_attr(d) & SEGA_L);
}

/* The new instruction pointer must be canonical (64-bit code) or inside
 * the new CS limit -- else #GP(0), before anything changed. */
static void check_ip(struct cpu *c, u64 ip, u64 d)
{
	if (is64(c, d) ? !cpu_canonical(c, ip) : ip > desc_limit(d))
		cpu_raise(c, EXC_GP, 0);
}

/* ---- real mode and VM86: CS = selector * 16 ------------------------------ */

static void far_real(struct cpu *c, const struct insn *i, u16 sel, u64 off, bool call)
{
	unsigned sz = i->osize;
	u64 ip = off & mask_of(sz);

	if (ip > c->seg[SEG_CS].limit)
		cpu_raise(c, EXC_GP, 0);
	if (call) {
		stk_wr(c, sz, sz, c->seg[SEG_CS].sel);
		stk_wr(c, 2 * sz, sz, c->next_rip);
		sp_add(c, -2 * (s64)sz);
	}
	cpu_load_seg_real(c, SEG_CS, sel);
	c->next_rip = ip;
}

/* ---- protected mode: straight to a code segment ------------------------ */

static void direct_code_checks(struct cpu *c, u16 sel, u64 *d, u64 addr)
{
	u32 a = desc_attr(*d);

	/* Conforming: runs at the caller's CPL, so any DPL <= CPL will do.
	 * Non-conforming: only the same level; RPL may not weaken it. */
	if (seg_is_conforming(a) ? seg_dpl(a) > c->cpl
				 : (SEL_RPL(sel) > c->cpl || seg_dpl(a) != c->cpl))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	seg_check_present(c, sel, d, addr, 0);
}

/* Write a frame to a stack other than the current one (a call gate's inner
 * stack): v[0] goes highest.  ss == NULL means the flat 64-bit stack. */
static u64 push_other(struct cpu *c, const struct segment *ss, u64 sp, u64 amask, u32 err,
		      const u64 *v, unsigned n, unsigned sz)
{
	u64 off[40];

	for (unsigned j = 0; j < n; j++) {
		off[j] = (sp - (u64)(j + 1) * sz) & amask;
		if (ss ? !seg_in_limit(ss, off[j], sz) : !cpu_canonical(c, off[j]))
			cpu_raise(c, EXC_SS, err);
	}
	for (unsigned j = 0; j < n; j++)
		cpu_write_lin(c, ss ? (ss->base + off[j]) & 0xffffffffu : off[j], sz, v[j], true);
	return off[n - 1];
}

/*
 * CALL through a call gate to a more privileged, non-conforming segment
 * (SDM Vol 2 CALL "MORE-PRIVILEGE"): switch to the TSS stack of the new
 * level, copy `params` parameters (legacy gates only), push the caller's
 * SS:ESP and CS:EIP there.
 */
static void call_gate_inner(struct cpu *c, const struct gate *g, u64 cs_d, unsigned psz)
{
	unsigned dpl = seg_dpl(desc_attr(cs_d)), n = 0, np;
	u64 frame[40], new_sp, ss_d = 0, ss_addr = 0, amask;
	struct segment nss;
	u16 nsel;
	bool lm = c->efer & EFER_LMA;

	if (lm) {
		u64 at = 4 + (u64)dpl * 8;
		if (at + 7 > c->tr.limit)
			cpu_raise(c, EXC_TS, SEL_ERR(c->tr.sel));
		new_sp = cpu_read_lin(c, c->tr.base + at, 8, true);
		nsel = (u16)dpl;
		amask = ~0ULL;
	} else {
		bool t32 = (c->tr.attr & SEGA_TYPE) == DESC_TSS ||
			   (c->tr.attr & SEGA_TYPE) == DESC_TSS_BUSY;
		u64 at = t32 ? (u64)dpl * 8 + 4 : (u64)dpl * 4 + 2;
		u32 a;

		if (at + (t32 ? 5 : 3) > c->tr.limit)
			cpu_raise(c, EXC_TS, SEL_ERR(c->tr.sel));
		new_sp = cpu_read_lin(c, (c->tr.base + at) & 0xffffffffu, t32 ? 4 : 2, true);
		nsel =
		    (u16)cpu_read_lin(c, (c->tr.base + at + (t32 ? 4 : 2)) & 0xffffffffu, 2, true);
		if (SEL_IS_NULL(nsel))
			cpu_raise(c, EXC_TS, 0);
		if (!seg_read_desc(c, nsel, &ss_d, &ss_addr) || SEL_RPL(nsel) != dpl)
			cpu_raise(c, EXC_TS, SEL_ERR(nsel));
		a = desc_attr(ss_d);
		if (seg_dpl(a) != dpl || !seg_is_writable_data(a))
			cpu_raise(c, EXC_TS, SEL_ERR(nsel));
		if (!(a & SEGA_P))
			cpu_raise(c, EXC_SS, SEL_ERR(nsel));
		desc_to_segment(ss_d, nsel, &nss);
		amask = (nss.attr & SEGA_DB) ? 0xffffffffu : 0xffffu;
	}

	frame[n++] = c->seg[SEG_SS].sel;
	frame[n++] = c->gpr[RSP] & mask_of(psz);
	np = lm ? 0 : g->params;
	for (unsigned k = np; k-- > 0;)
		frame[n++] = stk_rd(c, (u64)k * psz, psz);
	frame[n++] = c->seg[SEG_CS].sel;
	frame[n++] = c->next_rip & mask_of(psz);
	if (!lm)
		seg_set_accessed(c, ss_addr, &ss_d);
	new_sp =
	    push_other(c, lm ? NULL : &nss, new_sp, amask, lm ? 0 : SEL_ERR(nsel), frame, n, psz);

	if (lm)
		seg_load_null(c, SEG_SS, nsel);
	else
		seg_load_desc(c, SEG_SS, nsel, ss_d);
	if (amask == 0xffffu)
		c->gpr[RSP] = (c->gpr[RSP] & ~0xffffULL) | new_sp;
	else
		c->gpr[RSP] = new_sp;
	seg_load_cs(c, g->sel, cs_d, dpl);
}

/* Far JMP or CALL in protected/IA-32e mode (SDM Vol 2 JMP and CALL,
 * "PROTECTED-MODE" sections). */
static void far_prot(struct cpu *c, const struct insn *i, u16 sel, u64 off, bool call)
{
	unsigned sz = i->osize;
	u64 d, hi = 0, addr, cs_d, cs_addr, ip;
	struct gate g;
	u32 a;
	bool lm = c->efer & EFER_LMA;

	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, 0);
	if (!seg_read_desc(c, sel, &d, &addr))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	a = desc_attr(d);

	if (a & SEGA_S) {
		/* A code segment: no privilege change possible. */
		if (!seg_is_code(a) || (lm && (a & SEGA_L) && (a & SEGA_DB)))
			cpu_raise(c, EXC_GP, SEL_ERR(sel));
		direct_code_checks(c, sel, &d, addr);
		ip = is64(c, d) ? off : off & mask_of(sz);
		check_ip(c, ip, d);
		if (call) {
			stk_wr(c, sz, sz, c->seg[SEG_CS].sel);
			stk_wr(c, 2 * sz, sz, c->next_rip);
			sp_add(c, -2 * (s64)sz);
		}
		seg_load_cs(c, sel, d, c->cpl);
		c->next_rip = ip;
		return;
	}

	/* A system descriptor: only call gates are supported. */
	if (lm && !seg_read_desc16(c, sel, false, &d, &hi, &addr))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	desc_to_gate(d, hi, lm, &g);
	if (lm ? (g.type != DESC_CALL || BITS(hi, 44, 40) != 0)
	       : (g.type != DESC_CALL && g.type != DESC_CALL16))
		cpu_raise(c, EXC_GP, SEL_ERR(sel)); /* task gates / TSS: not modelled */
	if (g.dpl < c->cpl || g.dpl < SEL_RPL(sel))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!g.present)
		cpu_raise(c, EXC_NP, SEL_ERR(sel));

	seg_check_code(c, g.sel, &cs_d, &cs_addr, 0);
	a = desc_attr(cs_d);
	if (call ? seg_dpl(a) > c->cpl
		 : (seg_is_conforming(a) ? seg_dpl(a) > c->cpl : seg_dpl(a) != c->cpl))
		cpu_raise(c, EXC_GP, SEL_ERR(g.sel));
	if (lm && !is64(c, cs_d))
		cpu_raise(c, EXC_GP, SEL_ERR(g.sel));
	seg_check_present(c, g.sel, &cs_d, cs_addr, 0);
	ip = g.offset;
	check_ip(c, ip, cs_d);

	if (call) {
		unsigned psz = lm ? 8 : g.type == DESC_CALL16 ? 2 : 4;

		if (!seg_is_conforming(a) && seg_dpl(a) < c->cpl) {
			call_gate_inner(c, &g, cs_d, psz);
			c->next_rip = ip;
			return;
		}
		stk_wr(c, psz, psz, c->seg[SEG_CS].sel);
		stk_wr(c, 2 * psz, psz, c->next_rip);
		sp_add(c, -2 * (s64)psz);
	}
	seg_load_cs(c, g.sel, cs_d, c->cpl);
	c->next_rip = ip;
}

static void far_transfer(struct cpu *c, const struct insn *i, u16 sel, u64 off, bool call)
{
	CPU_INTERCEPT(c, i);
	if (prot_mode(c))
		far_prot(c, i, sel, off, call);
	else
		far_real(c, i, sel, off, call);
}

/* Read an m16:16 / m16:32 / m16:64 far pointer: offset first, then selector. */
void cpu_read_farptr(struct cpu *c, const struct insn *i, u16 *sel, u64 *off)
{
	u64 ea = insn_ea(c, i);

	*off = cpu_read(c, i->seg, ea, i->osize);
	*sel = (u16)cpu_read(c, i->seg, ea + i->osize, 2);
}

void JMPF_Ap(struct cpu *c, const struct insn *i)
{
	far_transfer(c, i, (u16)i->imm2, i->imm, false);
}
void CALLF_Ap(struct cpu *c, const struct insn *i)
{
	far_transfer(c, i, (u16)i->imm2, i->imm, true);
}
void JMPF_Mp(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 off;

	cpu_read_farptr(c, i, &sel, &off);
	far_transfer(c, i, sel, off, false);
}
void CALLF_Mp(struct cpu *c, const struct insn *i)
{
	u16 sel;
	u64 off;

	cpu_read_farptr(c, i, &sel, &off);
	far_transfer(c, i, sel, off, true);
}

/* ---- returns: RETF and IRET --------------------------------------------- */

/* Check the code segment a RET/IRET returns to (SDM Vol 2 RET
 * "PROTECTED-MODE": RPL >= CPL, DPL rules against the RPL). */
static void return_cs(struct cpu *c, u16 sel, u64 *d)
{
	u64 addr;
	u32 a;

	if (SEL_RPL(sel) < c->cpl)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	seg_check_code(c, sel, d, &addr, 0);
	a = desc_attr(*d);
	if (seg_is_conforming(a) ? seg_dpl(a) > SEL_RPL(sel) : seg_dpl(a) != SEL_RPL(sel))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	seg_check_present(c, sel, d, addr, 0);
}

/* Check the SS a return to an outer level (or any IRET in 64-bit mode)
 * loads.  A null SS is legal only back into 64-bit code at CPL < 3. */
static bool return_ss(struct cpu *c, u16 ss, unsigned rpl, bool to64, u64 *d)
{
	u64 addr;
	u32 a;

	if (SEL_IS_NULL(ss)) {
		if (c->mode == CPU_MODE_LONG64 && to64 && rpl != 3)
			return false; /* null SS */
		cpu_raise(c, EXC_GP, 0);
	}
	if (!seg_read_desc(c, ss, d, &addr) || SEL_RPL(ss) != rpl)
		cpu_raise(c, EXC_GP, SEL_ERR(ss));
	a = desc_attr(*d);
	if (!seg_is_writable_data(a) || seg_dpl(a) != rpl)
		cpu_raise(c, EXC_GP, SEL_ERR(ss));
	if (!(a & SEGA_P))
		cpu_raise(c, EXC_SS, SEL_ERR(ss));
	seg_set_accessed(c, addr, d);
	return true;
}

static void load_ss_after_return(struct cpu *c, u16 ss, bool has, u64 d, u64 sp)
{
	if (has)
		seg_load_desc(c, SEG_SS, ss, d);
	else
		seg_load_null(c, SEG_SS, ss);
	cpu_update_mode(c);
	cpu_set_reg(c, RSP, c->stack_size, false, sp);
}

static void retf(struct cpu *c, const struct insn *i, u64 n)
{
	unsigned sz = i->osize, rpl;
	u64 ip, d, ssd = 0, nsp;
	u16 sel, ss;
	bool has_ss;

	CPU_INTERCEPT(c, i);
	ip = stk_rd(c, 0, sz);
	sel = (u16)stk_rd(c, sz, sz);
	if (!prot_mode(c)) {
		ip &= mask_of(sz);
		if (ip > c->seg[SEG_CS].limit)
			cpu_raise(c, EXC_GP, 0);
		cpu_load_seg_real(c, SEG_CS, sel);
		sp_add(c, 2 * sz + (s64)n);
		c->next_rip = ip;
		return;
	}
	return_cs(c, sel, &d);
	rpl = SEL_RPL(sel);
	if (!is64(c, d))
		ip &= mask_of(sz);
	check_ip(c, ip, d);
	if (rpl == c->cpl) {
		sp_add(c, 2 * sz + (s64)n);
		seg_load_cs(c, sel, d, rpl);
		c->next_rip = ip;
		return;
	}
	/* Return to an outer (less privileged) level: the caller's SS:ESP sit
	 * above the parameters that the immediate releases. */
	nsp = stk_rd(c, 2 * sz + n, sz);
	ss = (u16)stk_rd(c, 3 * sz + n, sz);
	has_ss = return_ss(c, ss, rpl, is64(c, d), &ssd);
	seg_load_cs(c, sel, d, rpl);
	load_ss_after_return(c, ss, has_ss, ssd, nsp + n);
	seg_invalidate_outer(c);
	c->next_rip = ip;
}

void RETF(struct cpu *c, const struct insn *i)
{
	retf(c, i, 0);
}
void RETF_Iw(struct cpu *c, const struct insn *i)
{
	retf(c, i, (u16)i->imm);
}

/* The RFLAGS an IRET may write, for the CPL it executes at (SDM Vol 2
 * IRET: IOPL/VIF/VIP only at CPL 0, IF only when CPL <= IOPL). */
static u64 iret_flags(struct cpu *c, u64 v, unsigned sz)
{
	u64 old = cpu_rflags(c);
	u64 m = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID;

	if (c->cpl <= iopl(c) || c->mode == CPU_MODE_REAL)
		m |= FL_IF;
	if (c->cpl == 0 && c->mode != CPU_MODE_VM86)
		m |= FL_IOPL | (sz >= 4 ? FL_VIF | FL_VIP : 0);
	if (sz == 2)
		m &= 0xffff;
	return (old & ~m) | (v & m);
}

/* Return to virtual-8086 mode (IRETD at CPL 0 popping VM = 1). */
static void iret_to_vm86(struct cpu *c, u64 ip, u16 cs, u64 fl)
{
	u64 esp = stk_rd(c, 12, 4);
	u16 ss = (u16)stk_rd(c, 16, 4), es = (u16)stk_rd(c, 20, 4), ds = (u16)stk_rd(c, 24, 4),
	    fs = (u16)stk_rd(c, 28, 4), gs = (u16)stk_rd(c, 32, 4);

	cpu_set_rflags(c, (fl & 0x3f7fd7) | FL_VM); /* now in VM86: CPL 3 */
	cpu_load_seg_real(c, SEG_CS, cs);
	cpu_load_seg_real(c, SEG_SS, ss);
	cpu_load_seg_real(c, SEG_ES, es);
	cpu_load_seg_real(c, SEG_DS, ds);
	cpu_load_seg_real(c, SEG_FS, fs);
	cpu_load_seg_real(c, SEG_GS, gs);
	c->gpr[RSP] = esp & 0xffffffffu;
	c->next_rip = ip & 0xffff;
}

void IRET(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize, rpl;
	u64 ip, fl, d, ssd = 0, nsp;
	u16 sel, ss;
	bool has_ss, to64;

	CPU_INTERCEPT(c, i);
	if (sz == 8 && cpu_iretq_fast(c)) /* the common IRETQ (exec_intfast.c) */
		return;
	if (c->mode == CPU_MODE_VM86 && iopl(c) != 3)
		cpu_raise(c, EXC_GP, 0);
	ip = stk_rd(c, 0, sz);
	sel = (u16)stk_rd(c, sz, sz);
	fl = stk_rd(c, 2 * (u64)sz, sz);

	if (!prot_mode(c)) {
		ip &= mask_of(sz);
		if (ip > c->seg[SEG_CS].limit)
			cpu_raise(c, EXC_GP, 0);
		cpu_load_seg_real(c, SEG_CS, sel);
		sp_add(c, 3 * (s64)sz);
		cpu_set_rflags(c, iret_flags(c, fl, sz));
		c->nmi_blocked = false;
		c->next_rip = ip;
		return;
	}
	/* NT = 1: return to the previous task through the TSS back link.  Not
	 * in IA-32e mode (#GP), and hardware task switching is not modelled. */
	if (c->rflags & FL_NT)
		cpu_raise(c, EXC_GP, 0);
	if (sz == 4 && (fl & FL_VM) && c->cpl == 0 && !(c->efer & EFER_LMA)) {
		iret_to_vm86(c, ip, sel, fl);
		c->nmi_blocked = false;
		return;
	}
	return_cs(c, sel, &d);
	rpl = SEL_RPL(sel);
	to64 = is64(c, d);
	if (!to64)
		ip &= mask_of(sz);
	check_ip(c, ip, d);
	fl = iret_flags(c, fl, sz);

	if (rpl == c->cpl && c->mode != CPU_MODE_LONG64) {
		sp_add(c, 3 * (s64)sz);
		cpu_set_rflags(c, fl);
		seg_load_cs(c, sel, d, rpl);
	} else {
		/* Outer level, or any IRET in 64-bit mode: SS:RSP were pushed
		 * too (a 64-bit interrupt frame always has five slots). */
		nsp = stk_rd(c, 3 * (u64)sz, sz);
		ss = (u16)stk_rd(c, 4 * (u64)sz, sz);
		has_ss = return_ss(c, ss, rpl, to64, &ssd);
		cpu_set_rflags(c, fl);
		seg_load_cs(c, sel, d, rpl);
		load_ss_after_return(c, ss, has_ss, ssd, nsp);
		seg_invalidate_outer(c); /* no-op when the CPL did not change */
	}
	c->nmi_blocked = false; /* IRET ends NMI blocking (SDM Vol 3 §6.7.1) */
	c->next_rip = ip;
}

/* ---- software interrupts --------------------------------------------------- */

/* CD ib: INT n.  In VM86 mode without VME it is IOPL-sensitive. */
void INT_Ib(struct cpu *c, const struct insn *i)
{
	if (c->mode == CPU_MODE_VM86 && iopl(c) != 3)
		cpu_raise(c, EXC_GP, 0);
	CPU_INTERCEPT(c, i);
	if (cpu_int_fast(c, (u8)i->imm)) /* 64-bit gate, common case (exec_intfast.c) */
		return;
	cpu_deliver(c, (u8)i->imm, 0, false, EXC_SRC_SOFT);
}

/* CC: INT3, the one-byte breakpoint debuggers patch in: #BP as a trap. */
void INT3(struct cpu *c, const struct insn *i)
{
	CPU_INTERCEPT(c, i);
	cpu_deliver(c, EXC_BP, 0, false, EXC_SRC_INT3);
}

/* CE: INTO raises #OF when OF = 1 (invalid in 64-bit mode). */
void INTO(struct cpu *c, const struct insn *i)
{
	if (!cpu_cond(c, 0))
		return;
	CPU_INTERCEPT(c, i);
	cpu_deliver(c, EXC_OF, 0, false, EXC_SRC_INTO);
}

/* 62 /r: BOUND r16/32, m16&16/m32&32 (SDM Vol 2 "BOUND"): the signed index
 * in the register must lie within [lower, upper], the two bounds stored
 * one after the other in memory; otherwise #BR, a fault (saved EIP is the
 * BOUND itself).  Invalid in 64-bit mode (the decoder's F_I64); a register
 * operand (mod = 3) is #UD, which the row's memory-only ModRM encodes. */
void BOUND_GvMa(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize;
	u64 ea = insn_ea(c, i);
	s64 lo, hi, idx;

	if (sz == 2) {
		lo = (s16)cpu_read(c, i->seg, ea, 2);
		hi = (s16)cpu_read(c, i->seg, (ea + 2) & (i->asize == 2 ? 0xffff : 0xffffffffu), 2);
		idx = (s16)cpu_get_reg(c, i->reg, 2, false);
	} else {
		lo = (s32)cpu_read(c, i->seg, ea, 4);
		hi = (s32)cpu_read(c, i->seg, (ea + 4) & (i->asize == 2 ? 0xffff : 0xffffffffu), 4);
		idx = (s32)cpu_get_reg(c, i->reg, 4, false);
	}
	if (idx < lo || idx > hi)
		cpu_raise(c, EXC_BR, 0);
}

/* F1: INT1 (ICEBP): #DB as a trap, without the gate DPL check. */
void INT1(struct cpu *c, const struct insn *i)
{
	CPU_INTERCEPT(c, i);
	cpu_deliver(c, EXC_DB, 0, false, EXC_SRC_TRAP);
}
