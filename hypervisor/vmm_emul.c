/*
 * vmm_emul.c - what the trap-and-emulate VMM does for each instruction that
 * trapped (SDM Vol 2 instruction pages; Vol 3 §2.8 system instructions).
 *
 * Each case reads the guest's operands with the CPU's own operand helpers
 * (so a bad operand faults exactly as on hardware) and acts on the VIRTUAL
 * state in struct vcpu -- never on the real privileged state, which belongs
 * to the VMM.  RIP advances to c->next_rip (set by the caller) unless the
 * instruction transfers control.
 *
 * The 32-bit guest stack is reached through SS.base + ESP, a linear address
 * vmm_read/vmm_write translate through the guest's page tables when it
 * pages.  MOV to CR0/CR3/CR4 and INVLPG drive the shadow page tables
 * (vmm_paging.c).
 */
#include <string.h>

#include "cpu/isa.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

/* The guest's view of a real selector (vmm.h: RPL 1 -> 0, 2 -> 1). */
static u16 guest_sel(const struct vmm *m, const struct cpu *c, u16 sel)
{
	if (c->rflags & FL_VM)
		return sel; /* virtual-8086: a paragraph number, not compressed */
	return vmm_guest_sel(sel, m->v.cpl);
}

/* The guest's descriptor for sel (from its own GDT), false if outside. */
static bool guest_desc(struct vmm *m, u16 sel, u64 *d)
{
	if (!(sel & ~3) || (sel & 4) || (u32)(sel | 7) > m->v.gdtr.limit)
		return false;
	return vmm_read(m, m->v.gdtr.base + (sel & ~7), d, 8);
}

/*
 * Load data/stack segment register s for the guest kernel with every check
 * of SDM Vol 2 "MOV Sreg": the CPU's own checked loader (cpu_load_seg) on
 * the SHADOW descriptor with the selector's RPL compressed like the CPL
 * (0 -> 1, 1 -> 2).  The shadow differs from the guest's descriptor only
 * by DPL 0 -> 1, 1 -> 2, so "RPL = CPL = DPL" and "max(CPL, RPL) <= DPL" come out as they
 * would at ring 0, with the same error codes (the selector without RPL).
 * Selectors with TI = 1 use the shadow LDT (vmm_ldt.c) the same way.
 */
static void load_sreg(struct vmm *m, struct cpu *c, enum sreg s, u16 sel)
{
	if (c->rflags & FL_VM)
		cpu_load_seg_real(c, s, sel); /* virtual-8086: base = sel * 16 */
	else
		cpu_load_seg(c, s, vmm_real_sel(sel)); /* RPL 0 -> 1, 1 -> 2 */
	if (s == SEG_SS)
		cpu_update_mode(c);
}

/* Propagate CR0's FPU bits (MP, EM, TS, NE) to the real CR0: they decide
 * #NM/#UD/#MF of the guest's own FPU instructions, which run natively; and
 * AM, which decides #AC of guest ring 3 (= real ring 3; alignment checks
 * never apply at real rings 1 and 2, so the guest kernel cannot tell). */
static void sync_fpu_bits(struct vmm *m, struct cpu *c)
{
	const u64 fpu = CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_AM;

	if ((c->cr0 ^ m->v.cr0) & fpu)
		cpu_write_cr(c, 0, (c->cr0 & ~fpu) | (m->v.cr0 & fpu));
}

/* Set the real EFLAGS from a guest value: IF and IOPL go to the vcpu (at
 * virtual CPL 0), the real ones stay IF = 1, IOPL = 0. */
static void set_guest_eflags(struct vmm *m, struct cpu *c, u32 f, bool iret)
{
	u32 keep = FL_IF | FL_IOPL | FL_VM | FL_VIF | FL_VIP;

	if (m->v.cpl == 0) {
		m->v.vif = (f & FL_IF) != 0;
		m->v.iopl = (f >> 12) & 3;
	} else if (m->v.cpl <= m->v.iopl) {
		m->v.vif = (f & FL_IF) != 0;
	}
	if (!iret)
		keep |= FL_RF;
	cpu_set_rflags(c, (cpu_rflags(c) & keep & ~(u64)(FL_VM | FL_VIF | FL_VIP)) | (f & ~keep) |
			      FL_IF | FL_1);
}

/* IRET in 32-bit protected mode (SDM Vol 2 IRET: "PROTECTED-MODE-
 * RETURN": same level, or to an outer ring with SS:ESP popped and the
 * inner data segments nulled; "RETURN-TO-VIRTUAL-8086-MODE" from virtual
 * CPL 0, vmm_v86.c).  The frame is read before anything changes. */
static bool emul_iret(struct vmm *m, struct cpu *c)
{
	u32 sp = (u32)c->gpr[RSP], base = (u32)c->seg[SEG_SS].base, f[5] = {0, 0, 0, 0, 0};
	unsigned rpl;
	u64 d = 0;

	if (!vmm_read(m, (u32)(base + sp), f, 12))
		cpu_raise(c, EXC_SS, 0);
	if ((f[2] & FL_VM) && m->v.cpl == 0) {
		c->gpr[RSP] = (u32)(sp + 12);
		vmm_v86_enter(m, c, f[0], f[1], f[2]);
		return true;
	}
	f[1] &= 0xffff;
	rpl = f[1] & 3;
	if (!(f[1] & ~3))
		cpu_raise(c, EXC_GP, 0);
	if (!vmm_guest_desc(m, (u16)f[1], &d) || !(d & (1ULL << 44)) || !((d >> 40) & 8) ||
	    rpl < m->v.cpl)
		cpu_raise(c, EXC_GP, f[1] & ~3);
	if (rpl > m->v.cpl) {
		u64 sd = 0;

		if (!vmm_read(m, (u32)(base + sp + 12), &f[3], 8))
			cpu_raise(c, EXC_SS, 0);
		f[4] &= 0xffff;
		if (!(f[4] & ~3))
			cpu_raise(c, EXC_GP, 0);
		if ((f[4] & 3) != rpl || !vmm_guest_desc(m, (u16)f[4], &sd) ||
		    ((sd >> 45) & 3) != rpl || ((sd >> 40) & 0xa) != 2 || !(sd & (1ULL << 44)))
			cpu_raise(c, EXC_GP, f[4] & ~3);
		set_guest_eflags(m, c, f[2], true);
		m->v.cpl = (u8)rpl;
		vmm_load_seg(m, c, SEG_CS, (u16)f[1]);
		vmm_load_seg(m, c, SEG_SS, (u16)f[4]);
		c->gpr[RSP] = f[3];
		vmm_null_inner_segs(m, c);
		if (rpl == 2)
			vmm_ring2_hole(m, c, FORM_IRET);
	} else {
		set_guest_eflags(m, c, f[2], true);
		vmm_load_seg(m, c, SEG_CS, (u16)f[1]);
		c->gpr[RSP] = (u32)(sp + 12);
	}
	c->rip = c->next_rip = f[0];
	return true;
}

static void write_dtr(struct cpu *c, const struct insn *i, const struct dtr *t)
{
	u64 off = insn_ea(c, i);

	cpu_write(c, i->seg, off, 2, t->limit);
	cpu_write(c, i->seg, off + 2, 4, (u32)t->base);
}

static void read_dtr(struct cpu *c, const struct insn *i, struct dtr *t)
{
	u64 off = insn_ea(c, i);
	u16 lim = (u16)cpu_read(c, i->seg, off, 2);
	u32 base = (u32)cpu_read(c, i->seg, off + 2, 4);

	t->limit = lim;
	t->base = i->osize == 2 ? base & 0xffffff : base;
}

static unsigned io_size(const struct insn *i)
{
	return (i->opcode & 1) ? i->osize : 1;
}

/*
 * May guest ring 3 run this IOPL-sensitive instruction (it trapped because
 * the REAL IOPL is 0)?  With the virtual IOPL and the guest TSS's I/O
 * permission bitmap (SDM Vol 1 §19.5.2; Vol 3 §7.2.1: the 16-bit map base
 * at offset 0x66, both bytes covering port..port+size-1 inside the TSS
 * limit, every bit 0).  CLI/STI need CPL <= IOPL (no VME/PVI here).
 */
bool vmm_iopl_allowed(struct vmm *m, struct cpu *c, const struct insn *i)
{
	u16 port, base = 0, bits = 0;
	unsigned n;

	/* In virtual-8086 mode IN/OUT always consult the bitmap (SDM Vol 1
	 * §19.5.2: IOPL does not apply to them there). */
	if (m->v.iopl >= m->v.cpl && !(c->rflags & FL_VM))
		return true;
	/* CLI/STI in virtual-8086 mode (no VME): allowed at IOPL 3 only
	 * (SDM Vol 3 §20.2.7); the VMM performs them on the virtual IF. */
	if ((c->rflags & FL_VM) && (i->form == FORM_CLI || i->form == FORM_STI))
		return m->v.iopl == 3;
	switch (i->form) {
	case FORM_IN_ALIb:
	case FORM_IN_eAXIb:
	case FORM_IN_ALDX:
	case FORM_IN_eAXDX:
	case FORM_OUT_IbAL:
	case FORM_OUT_IbeAX:
	case FORM_OUT_DXAL:
	case FORM_OUT_DXeAX: break;
	default: return false; /* CLI/STI, INS/OUTS: #GP is the guest's */
	}
	port = (i->opcode & 8) ? (u16)c->gpr[RDX] : (u8)i->imm;
	n = io_size(i);
	if (!m->v.tr || m->v.tss_limit < 0x67 || !vmm_read(m, m->v.tss_base + 0x66, &base, 2))
		return false;
	if ((u32)base + port / 8 + 1 > m->v.tss_limit ||
	    !vmm_read(m, m->v.tss_base + base + port / 8, &bits, 2))
		return false;
	return !((bits >> (port & 7)) & ((1u << n) - 1));
}

/* Control registers: the guest's CR0/2/3/4 are virtual. */
static bool write_cr(struct vmm *m, struct cpu *c, int cr, u32 v)
{
	switch (cr) {
	case 0: {
		u64 old = m->v.cr0;

		if (!(v & CR0_PE)) {
			vmm_refuse(m,
				   "guest clears CR0.PE at eip=0x%llx: the VMM virtualizes "
				   "protected mode only (no return to real mode)",
				   (unsigned long long)c->rip);
			return true;
		}
		/* PAE paging goes through PAE shadows (shadow_pae.c).  Like
		 * vmlab's CPU (mmu/paging.h), the VMM keeps no PDPTE
		 * registers: the walks re-read them, traced. */
		m->v.cr0 = v | CR0_ET;
		if ((v & CR0_PG) && !(old & CR0_PG))
			vmm_spt_enable(m, c);
		else if (!(v & CR0_PG) && (old & CR0_PG))
			vmm_spt_disable(m, c);
		else if ((v ^ old) & CR0_WP && (v & CR0_PG))
			vmm_spt_flush(m, c);
		sync_fpu_bits(m, c);
		return true;
	}
	case 2: m->v.cr2 = v; return true;
	case 3:
		/* A new address space: switch to its cached shadow
		 * (vmm_paging.c; the traces kept it coherent). */
		m->v.cr3 = v;
		if (m->v.cr0 & CR0_PG)
			vmm_spt_set_cr3(m, c);
		return true;
	case 4:
		/* A new walk format (PAE) or new rights rules (PSE, SMEP,
		 * SMAP; PGE: the global entries go): new shadows, and the
		 * real CR4 follows (vmm_spt_sync_cr4). */
		if (((v ^ m->v.cr4) & (CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP)) &&
		    (m->v.cr0 & CR0_PG)) {
			m->v.cr4 = v;
			vmm_spt_flush(m, c);
		}
		m->v.cr4 = v;
		return true;
	}
	return false;
}

bool vmm_emulate(struct vmm *m, struct cpu *c, const struct insn *i)
{
	struct vcpu *v = &m->v;
	u64 d = 0;
	u16 sel;

	/* pg-strict traps a sensitive form before the CPU's own checks
	 * (cpu/step.c 4b): the ones that are #UD in virtual-8086 mode
	 * (SDM Vol 3 §20.2.7, Vol 2 each page) must be #UD here too. */
	if (c->rflags & FL_VM) {
		switch (i->form) {
		case FORM_SLDT_Ev:
		case FORM_STR_Ev:
		case FORM_LLDT_Ew:
		case FORM_LTR_Ew:
		case FORM_LAR_GvEw:
		case FORM_LSL_GvEw:
		case FORM_VERR_Ew:
		case FORM_VERW_Ew:
		case FORM_ARPL_EwGw: cpu_raise(c, EXC_UD, 0);
		default: break;
		}
	}
	switch (i->form) {
	case FORM_CLI:
	case FORM_STI:
	case FORM_PUSHF_Fv:
	case FORM_POPF_Fv:
	case FORM_INT_Ib:
	case FORM_IRET: vmm_v86_iopl_check(m, c); break; /* IOPL < 3: #GP(0) */
	default: break;
	}
	switch (i->form) {
	/* ---- interrupt flag and halt ---- */
	case FORM_CLI: v->vif = false; break;
	case FORM_STI:
		if (!v->vif)
			c->intr_shadow = 1; /* STI's one-instruction shadow */
		v->vif = true;
		break;
	case FORM_HLT:
		c->halted = true;
		v->halted = true;
		break;

	/* ---- descriptor tables and task register ---- */
	case FORM_LGDT_Ms:
		read_dtr(c, i, &v->gdtr);
		vmm_shadow_gdt(m);
		break;
	case FORM_LIDT_Ms: read_dtr(c, i, &v->idtr); break;
	case FORM_SGDT_Ms: write_dtr(c, i, &v->gdtr); break;
	case FORM_SIDT_Ms: write_dtr(c, i, &v->idtr); break;
	case FORM_LLDT_Ew:
		/* The shadow LDT (vmm_ldt.c). */
		vmm_lldt(m, c, (u16)opnd_read(c, i, 0));
		break;
	case FORM_LTR_Ew:
		/* SDM Vol 2 LTR: an available 32/16-bit TSS in the GDT (type 9
		 * or 1), present; the descriptor becomes busy in memory. */
		sel = (u16)opnd_read(c, i, 0);
		if (!guest_desc(m, sel, &d) || (d & (1ULL << 44)) ||
		    (((d >> 40) & 0xf) != 9 && ((d >> 40) & 0xf) != 1))
			cpu_raise(c, EXC_GP, sel & ~3);
		if (!(d & (1ULL << 47)))
			cpu_raise(c, EXC_NP, sel & ~3);
		d |= 2ULL << 40; /* busy */
		vmm_write(m, m->v.gdtr.base + (sel & ~7) + 5, (u8 *)&d + 5, 1);
		v->tr = sel;
		v->tss_base = (u32)(((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24));
		v->tss_limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
		break;
	case FORM_SLDT_Ev: opnd_write(c, i, 0, v->ldtr); break;
	case FORM_STR_Ev: opnd_write(c, i, 0, v->tr); break;
	case FORM_SMSW_Ev: opnd_write(c, i, 0, i->mem ? (v->cr0 & 0xffff) : (u32)v->cr0); break;
	case FORM_LMSW_Ew:
		v->cr0 = (v->cr0 & ~0xeULL) | (opnd_read(c, i, 0) & 0xf) | (v->cr0 & CR0_PE);
		sync_fpu_bits(m, c);
		break;
	case FORM_CLTS:
		v->cr0 &= ~(u64)CR0_TS;
		sync_fpu_bits(m, c);
		break;

	/* ---- control, debug and model-specific registers ---- */
	case FORM_MOV_CdRd:
		if (!write_cr(m, c, i->reg, (u32)c->gpr[i->rm]))
			return false;
		break;
	case FORM_MOV_RdCd: {
		u64 val = i->reg == 0	? v->cr0
			  : i->reg == 2 ? v->cr2
			  : i->reg == 3 ? v->cr3
					: v->cr4;

		if (i->reg == 1 || i->reg > 4)
			return false;
		c->gpr[i->rm] = (u32)val;
		break;
	}
	case FORM_MOV_DdRd: c->dr[i->reg & 7] = (u32)c->gpr[i->rm]; break;
	case FORM_MOV_RdDd: c->gpr[i->rm] = (u32)c->dr[i->reg & 7]; break;
	case FORM_INVLPG_Mb:
		if (v->cr0 & CR0_PG)
			vmm_spt_invlpg(m, c, (u32)(c->seg[i->seg].base + insn_ea(c, i)));
		break;
	case FORM_WBINVD: break;		   /* no caches */
	case FORM_STAC: c->rflags |= FL_AC; break; /* SMAP override: a real bit */
	case FORM_CLAC: c->rflags &= ~(u64)FL_AC; break;
	case FORM_RDMSR: {
		/* The virtual MSRs (vmm_msr.c): never the guest's values in the
		 * real SYSENTER_CS and friends. */
		u64 val;

		if (!vmm_rdmsr(m, c, (u32)c->gpr[RCX], &val))
			return false;
		c->gpr[RAX] = (u32)val;
		c->gpr[RDX] = (u32)(val >> 32);
		break;
	}
	case FORM_WRMSR: {
		u64 nxe = c->efer & EFER_NXE;

		if (!vmm_wrmsr(m, c, (u32)c->gpr[RCX], (u32)c->gpr[RAX] | (c->gpr[RDX] << 32)))
			return false;
		/* EFER.NXE changes what XD means: shadows built under the old
		 * value would grant a fetch the guest's walk now forbids. */
		if ((c->efer & EFER_NXE) != nxe && (v->cr0 & CR0_PG))
			vmm_spt_flush(m, c);
		break;
	}
	case FORM_SYSEXIT:
		if (i->osize == 8)
			return false;
		vmm_sysexit(m, c);
		return true;

	/* ---- port I/O, to the device models ---- */
	case FORM_IN_ALIb:
	case FORM_IN_eAXIb:
	case FORM_IN_ALDX:
	case FORM_IN_eAXDX: {
		u16 port = (i->opcode & 8) ? (u16)c->gpr[RDX] : (u8)i->imm;
		unsigned n = io_size(i);

		cpu_set_reg(c, RAX, n, false, cpu_port_in(c, port, n));
		break;
	}
	case FORM_OUT_IbAL:
	case FORM_OUT_IbeAX:
	case FORM_OUT_DXAL:
	case FORM_OUT_DXeAX: {
		u16 port = (i->opcode & 8) ? (u16)c->gpr[RDX] : (u8)i->imm;
		unsigned n = io_size(i);

		cpu_port_out(c, port, n, cpu_get_reg(c, RAX, n, false));
		break;
	}

	/* ---- returns and flags (IRET, PUSHF/POPF: traps under pg-strict) ---- */
	case FORM_IRET:
		if (i->osize != 4)
			return false;
		return emul_iret(m, c);
	case FORM_PUSHF_Fv:
		cpu_push(c, i->osize, vmm_guest_eflags(m, c) & ~(u32)(FL_VM | FL_RF));
		break;
	case FORM_POPF_Fv: set_guest_eflags(m, c, (u32)cpu_pop(c, i->osize), false); break;

	/* ---- the rest of the sensitive set (pg-strict) ---- */
	case FORM_INT_Ib:
	case FORM_INT3:
		vmm_reflect(m, c, i->form == FORM_INT3 ? EXC_BP : (u8)i->imm, false, 0,
			    (u32)c->next_rip, true);
		return true;
	case FORM_MOV_EvSw: opnd_write(c, i, 0, guest_sel(m, c, c->seg[i->reg & 7].sel)); break;
	case FORM_MOV_SwEw:
		/* Also reached at plain --virt=trap: MOV SS with the guest's
		 * RPL 0 faults at CPL 1 (SS needs RPL = CPL), a fault ring
		 * compression caused, so the VMM performs the load. */
		sel = (u16)opnd_read(c, i, 1); /* operand 0 is Sw, 1 the Ew source */
		if ((i->reg & 7) == SEG_CS || (i->reg & 7) >= SEG_COUNT)
			return false;
		load_sreg(m, c, i->reg & 7, sel);
		if ((i->reg & 7) == SEG_SS)
			c->intr_shadow = 1;
		break;
	case FORM_PUSH_CS: cpu_push(c, i->osize, guest_sel(m, c, c->seg[SEG_CS].sel)); break;
	case FORM_PUSH_SS: cpu_push(c, i->osize, guest_sel(m, c, c->seg[SEG_SS].sel)); break;
	case FORM_PUSH_DS: cpu_push(c, i->osize, guest_sel(m, c, c->seg[SEG_DS].sel)); break;
	case FORM_PUSH_ES: cpu_push(c, i->osize, guest_sel(m, c, c->seg[SEG_ES].sel)); break;
	case FORM_PUSH_FS: cpu_push(c, i->osize, guest_sel(m, c, c->seg[SEG_FS].sel)); break;
	case FORM_PUSH_GS: cpu_push(c, i->osize, guest_sel(m, c, c->seg[SEG_GS].sel)); break;
	case FORM_POP_SS:
	case FORM_POP_DS:
	case FORM_POP_ES:
	case FORM_POP_FS:
	case FORM_POP_GS: {
		/* Load first, then pop: a faulting POP leaves ESP alone. */
		u64 sp = c->gpr[RSP];
		enum sreg s = i->form == FORM_POP_SS   ? SEG_SS
			      : i->form == FORM_POP_DS ? SEG_DS
			      : i->form == FORM_POP_ES ? SEG_ES
			      : i->form == FORM_POP_FS ? SEG_FS
						       : SEG_GS;

		sel = (u16)cpu_pop(c, i->osize);
		c->gpr[RSP] = sp;
		load_sreg(m, c, s, sel);
		cpu_pop(c, i->osize);
		if (s == SEG_SS)
			c->intr_shadow = 1;
		break;
	}
	case FORM_LAR_GvEw:
	case FORM_LSL_GvEw:
	case FORM_VERR_Ew:
	case FORM_VERW_Ew: {
		/* Answer from the guest's own descriptor (what it would see on
		 * bare metal), with the checks of SDM Vol 2 LAR/LSL/VERR/VERW:
		 * the type must suit the instruction, and unless the segment is
		 * conforming code, DPL >= max(CPL, RPL).  ZF = 1 when valid. */
		bool lx = i->form == FORM_LAR_GvEw || i->form == FORM_LSL_GvEw;
		u16 s16 = (u16)opnd_read(c, i, lx ? 1 : 0);
		u64 f = cpu_rflags(c) & ~(u64)FL_ZF;
		unsigned type, dpl, rpl = s16 & 3, cpl = v->cpl;
		bool ok = vmm_guest_desc(m, s16, &d), code, conf;

		type = (d >> 40) & 0xf;
		dpl = (d >> 45) & 3;
		code = (d & (1ULL << 44)) && (type & 8);
		conf = code && (type & 4);
		if (ok && !(d & (1ULL << 44))) {
			/* System descriptors: LAR takes TSS, LDT and gates; LSL
			 * only those with a limit; VERR/VERW none. */
			static const u16 lar_ok = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 |
						  1u << 9 | 1u << 11 | 1u << 12;
			static const u16 lsl_ok = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 9 | 1u << 11;

			ok = i->form == FORM_LAR_GvEw	? (lar_ok >> type) & 1
			     : i->form == FORM_LSL_GvEw ? (lsl_ok >> type) & 1
							: false;
		} else if (ok && i->form == FORM_VERR_Ew) {
			ok = !code || (type & 2); /* readable */
		} else if (ok && i->form == FORM_VERW_Ew) {
			ok = !code && (type & 2); /* writable data */
		}
		if (ok && !conf && dpl < (cpl > rpl ? cpl : rpl))
			ok = false;
		if (ok && i->form == FORM_LAR_GvEw)
			cpu_set_reg(c, i->reg, i->osize, false, (d >> 32) & 0x00f0ff00);
		if (ok && i->form == FORM_LSL_GvEw) {
			u32 lim = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
			cpu_set_reg(c, i->reg, i->osize, false,
				    (d & (1ULL << 55)) ? (lim << 12) | 0xfff : lim);
		}
		cpu_set_rflags(c, f | (ok ? FL_ZF : 0));
		break;
	}
	case FORM_JMPF_Ap:
	case FORM_CALLF_Ap:
		/* Far JMP/CALL ptr16:16/32 (pg-strict): directly or through a
		 * call gate, with the privilege change (vmm_gate.c). */
		vmm_far_transfer(m, c, (u16)i->imm2, (u32)i->imm, i->osize,
				 i->form == FORM_CALLF_Ap);
		break;
	case FORM_JMPF_Mp:
	case FORM_CALLF_Mp: {
		/* The far pointer m16:16/32 in memory: offset, then selector. */
		u64 ea = insn_ea(c, i);
		u32 off = (u32)cpu_read(c, i->seg, ea, i->osize);
		u16 fsel = (u16)cpu_read(c, i->seg, (ea + i->osize) & 0xffffffff, 2);

		vmm_far_transfer(m, c, fsel, off, i->osize, i->form == FORM_CALLF_Mp);
		break;
	}
	case FORM_RETF:
	case FORM_RETF_Iw:
		vmm_far_return(m, c, i->osize, i->form == FORM_RETF_Iw ? (u16)i->imm : 0);
		break;
	default: return false;
	}
	c->rip = c->next_rip;
	return true;
}
