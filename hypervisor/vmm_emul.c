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

static u16 guest_sel(u16 sel)
{
	return (sel & 3) == 1 ? sel & ~3 : sel;
}

/* The guest's descriptor for sel (from its own GDT), false if outside. */
static bool guest_desc(struct vmm *m, u16 sel, u64 *d)
{
	if (!(sel & ~3) || (sel & 4) || (u32)(sel | 7) > m->v.gdtr.limit)
		return false;
	return vmm_read(m, m->v.gdtr.base + (sel & ~7), d, 8);
}

static u32 pop32(struct vmm *m, struct cpu *c)
{
	u32 v = 0;

	if (!vmm_read(m, (c->seg[SEG_SS].base + (u32)c->gpr[RSP]) & 0xffffffff, &v, 4))
		cpu_raise(c, EXC_SS, 0);
	c->gpr[RSP] = (u32)(c->gpr[RSP] + 4);
	return v;
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

/* IRET in 32-bit protected mode from the virtual kernel (SDM Vol 2 IRET:
 * "PROTECTED-MODE-RETURN", same level or to ring 3). */
static bool emul_iret(struct vmm *m, struct cpu *c)
{
	u32 eip = pop32(m, c), cs = pop32(m, c) & 0xffff, fl = pop32(m, c);

	if ((cs & 3) == 3) {
		u32 esp = pop32(m, c), ss = pop32(m, c) & 0xffff;

		set_guest_eflags(m, c, fl, true);
		m->v.cpl = 3;
		vmm_load_seg(m, c, SEG_CS, (u16)cs);
		vmm_load_seg(m, c, SEG_SS, (u16)ss);
		c->gpr[RSP] = esp;
	} else {
		set_guest_eflags(m, c, fl, true);
		vmm_load_seg(m, c, SEG_CS, (u16)cs);
	}
	c->rip = c->next_rip = eip;
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

/* Control registers: the guest's CR0/2/3/4 are virtual. */
static bool write_cr(struct vmm *m, struct cpu *c, int cr, u32 v)
{
	switch (cr) {
	case 0: {
		u64 old = m->v.cr0;

		if ((v & CR0_PG) && (m->v.cr4 & CR4_PAE)) {
			vmm_fail(m,
				 "guest enabled PAE paging at eip=0x%llx: shadow paging "
				 "handles 32-bit non-PAE tables only",
				 (unsigned long long)c->rip);
			return true;
		}
		m->v.cr0 = v | CR0_ET;
		if ((v & CR0_PG) && !(old & CR0_PG))
			vmm_spt_enable(m, c);
		else if (!(v & CR0_PG) && (old & CR0_PG))
			vmm_spt_disable(m, c);
		else if ((v ^ old) & CR0_WP && (v & CR0_PG))
			vmm_spt_flush(m, c);
		return true;
	}
	case 2: m->v.cr2 = v; return true;
	case 3:
		/* A new address space: this slice drops the whole shadow. */
		m->v.cr3 = v;
		if (m->v.cr0 & CR0_PG)
			vmm_spt_flush(m, c);
		return true;
	case 4:
		if (((v ^ m->v.cr4) & (CR4_PSE | CR4_PAE | CR4_PGE)) && (m->v.cr0 & CR0_PG))
			vmm_spt_flush(m, c);
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
	case FORM_LLDT_Ew: v->ldtr = (u16)opnd_read(c, i, 0); break;
	case FORM_LTR_Ew:
		sel = (u16)opnd_read(c, i, 0);
		if (!guest_desc(m, sel, &d))
			cpu_raise(c, EXC_GP, sel & ~3);
		v->tr = sel;
		v->tss_base = (u32)(((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24));
		v->tss_limit = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));
		break;
	case FORM_SLDT_Ev: opnd_write(c, i, 0, v->ldtr); break;
	case FORM_STR_Ev: opnd_write(c, i, 0, v->tr); break;
	case FORM_SMSW_Ev: opnd_write(c, i, 0, i->mem ? (v->cr0 & 0xffff) : (u32)v->cr0); break;
	case FORM_LMSW_Ew:
		v->cr0 = (v->cr0 & ~0xeULL) | (opnd_read(c, i, 0) & 0xf) | (v->cr0 & CR0_PE);
		break;
	case FORM_CLTS: v->cr0 &= ~(u64)CR0_TS; break;

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
	case FORM_WBINVD: break; /* no caches */
	case FORM_RDMSR: {
		u64 val;

		if (!cpu_msr_read(c, (u32)c->gpr[RCX], &val))
			return false;
		c->gpr[RAX] = (u32)val;
		c->gpr[RDX] = (u32)(val >> 32);
		break;
	}
	case FORM_WRMSR:
		if (!cpu_msr_write(c, (u32)c->gpr[RCX], (u32)c->gpr[RAX] | (c->gpr[RDX] << 32)))
			return false;
		break;

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
	case FORM_MOV_EvSw: opnd_write(c, i, 0, guest_sel(c->seg[i->reg & 7].sel)); break;
	case FORM_MOV_SwEw:
		/* Also reached at plain --virt=trap: MOV SS with the guest's
		 * RPL 0 faults at CPL 1 (SS needs RPL = CPL), a fault ring
		 * compression caused, so the VMM performs the load. */
		sel = (u16)opnd_read(c, i, 1); /* operand 0 is Sw, 1 the Ew source */
		if ((i->reg & 7) == SEG_CS)
			return false;
		if ((sel & ~3) && (!guest_desc(m, sel, &d) || !(d & (1ULL << 47))))
			cpu_raise(c, (d & (1ULL << 47)) || !d ? EXC_GP : EXC_NP, sel & ~3);
		vmm_load_seg(m, c, i->reg & 7, sel);
		if ((i->reg & 7) == SEG_SS)
			c->intr_shadow = 1;
		break;
	case FORM_PUSH_CS: cpu_push(c, i->osize, guest_sel(c->seg[SEG_CS].sel)); break;
	case FORM_PUSH_SS: cpu_push(c, i->osize, guest_sel(c->seg[SEG_SS].sel)); break;
	case FORM_PUSH_DS: cpu_push(c, i->osize, guest_sel(c->seg[SEG_DS].sel)); break;
	case FORM_PUSH_ES: cpu_push(c, i->osize, guest_sel(c->seg[SEG_ES].sel)); break;
	case FORM_PUSH_FS: cpu_push(c, i->osize, guest_sel(c->seg[SEG_FS].sel)); break;
	case FORM_PUSH_GS: cpu_push(c, i->osize, guest_sel(c->seg[SEG_GS].sel)); break;
	case FORM_POP_SS:
		vmm_load_seg(m, c, SEG_SS, (u16)cpu_pop(c, i->osize));
		c->intr_shadow = 1;
		break;
	case FORM_POP_DS: vmm_load_seg(m, c, SEG_DS, (u16)cpu_pop(c, i->osize)); break;
	case FORM_POP_ES: vmm_load_seg(m, c, SEG_ES, (u16)cpu_pop(c, i->osize)); break;
	case FORM_POP_FS: vmm_load_seg(m, c, SEG_FS, (u16)cpu_pop(c, i->osize)); break;
	case FORM_POP_GS: vmm_load_seg(m, c, SEG_GS, (u16)cpu_pop(c, i->osize)); break;
	case FORM_LAR_GvEw:
	case FORM_LSL_GvEw:
	case FORM_VERR_Ew:
	case FORM_VERW_Ew: {
		/* Answer from the guest's own descriptor (what it would see on
		 * bare metal): the access rights or limit it wrote. */
		bool ok = true;
		u64 f = cpu_rflags(c) & ~(u64)FL_ZF;

		if (!guest_desc(m,
				(u16)opnd_read(
				    c, i, (i->form == FORM_LAR_GvEw || i->form == FORM_LSL_GvEw)),
				&d))
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
		vmm_load_seg(m, c, SEG_CS, (u16)i->imm2);
		c->next_rip = (u32)i->imm;
		break;
	case FORM_RETF: {
		u32 eip = pop32(m, c), cs = pop32(m, c) & 0xffff;

		if ((cs & 3) != (v->cpl & 3))
			return false; /* inter-privilege RET: not in this slice */
		vmm_load_seg(m, c, SEG_CS, (u16)cs);
		c->next_rip = eip;
		break;
	}
	default: return false;
	}
	c->rip = c->next_rip;
	return true;
}
