/*
 * vmm_gate.c - far transfers of the deprivileged guest: far JMP/CALL
 * direct and through call gates, far RET to the same or an outer ring
 * (SDM Vol 3 §5.8 "Privilege Level Checking When Transferring Program
 * Control Between Code Segments": §5.8.4 call gates, §5.8.5 stack
 * switching, §5.8.6 returning; Vol 2 CALL, JMP, RET pseudo-code).
 *
 * Why the VMM must do them: the guest's gates live in its own GDT/LDT,
 * which the real CPU never sees (shadow.c marks system descriptors not
 * present), and a gate names guest rings, which the real CPU holds
 * compressed (vmm.h: guest ring 0 -> real 1, 1 -> 2, 2 -> 2, 3 -> 3).
 * So the checks run here on the GUEST's descriptors against the VIRTUAL
 * CPL, the new stack comes from the GUEST's TSS, the frame holds guest
 * selectors, and only the final segment loads go through the shadow
 * (vmm_load_seg), which compresses the RPLs again.
 *
 * Guest ring 2 shares real ring 2 with guest ring 1 -- the hole this
 * layout leaves (a ring-2 guest task may load guest-DPL-1 data segments
 * and reads RPL 1 in its data selectors).  Entering ring 2 is reported as
 * a `hole` event (vmm_ring2_hole).
 */
#include "cpu/exception.h"
#include "cpu/isa.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

#define D_S	   (1ULL << 44)
#define D_P	   (1ULL << 47)
#define D_TYPE(d)  ((unsigned)((d) >> 40) & 0xf)
#define D_DPL(d)   ((unsigned)((d) >> 45) & 3)
#define D_CODE(d)  (((d)&D_S) && (D_TYPE(d) & 8))
#define D_CONF(d)  (D_CODE(d) && (D_TYPE(d) & 4))
#define D_WDATA(d) (((d)&D_S) && (D_TYPE(d) & 0xa) == 2)

static u32 gdesc_base(u64 d)
{
	return (u32)(((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24));
}

/* The guest entered ring 2: shared with its ring 1 at real ring 2. */
void vmm_ring2_hole(struct vmm *m, struct cpu *c, unsigned form)
{
	m->stats.holes[form]++;
	m->stats.hole_total++;
	trace_emit(&m->vm->trace, TRACE_HOLE, c->index, c->rip, form, isa_forms[form].pg, 2, 2,
		   "guest ring 2 shares real ring 2 with guest ring 1");
}

/* After a return to an outer ring (SDM Vol 2 RET/IRET "RETURN-TO-OUTER-
 * PRIVILEGE-LEVEL"): DS, ES, FS, GS holding a data or non-conforming code
 * segment with DPL < the new CPL are loaded with null. */
void vmm_null_inner_segs(struct vmm *m, struct cpu *c)
{
	static const enum sreg regs[] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};

	for (unsigned k = 0; k < 4; k++) {
		u16 sel = vmm_guest_sel(c->seg[regs[k]].sel, m->v.cpl);
		u64 d = 0;

		if (!(sel & ~3) || !vmm_guest_desc(m, sel, &d))
			continue;
		if (!D_CONF(d) && D_DPL(d) < m->v.cpl)
			seg_load_null(c, regs[k], 0);
	}
}

/* Push on the guest stack ss_base + *esp (32- or 16-bit slot). */
static void push_lin(struct vmm *m, struct cpu *c, u32 ss_base, u32 *esp, unsigned size, u32 v,
		     u16 ss_err)
{
	*esp -= size;
	if (!vmm_write(m, (u64)(u32)(ss_base + *esp), &v, size))
		cpu_raise(c, EXC_SS, ss_err);
}

/*
 * CALL through a call gate to a more privileged, non-conforming segment
 * (SDM Vol 3 §5.8.5, Figure 5-13): the stack for the target DPL from the
 * guest's TSS, checked (#TS(ss)), then SS, ESP, the parameters copied
 * from the caller's stack, CS, EIP pushed on it.
 */
static void call_inner(struct vmm *m, struct cpu *c, u64 gate, u16 target, unsigned dpl, u32 eip,
		       unsigned size)
{
	unsigned params = (unsigned)(gate >> 32) & 0x1f;
	u32 esp = 0, old_esp = (u32)c->gpr[RSP], args[32];
	u16 ss = 0, old_ss = vmm_guest_sel(c->seg[SEG_SS].sel, m->v.cpl);
	u16 old_cs = vmm_guest_sel(c->seg[SEG_CS].sel, m->v.cpl);
	u64 sd = 0;

	/* The new stack (32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n). */
	if (m->v.tss_limit < 8 + 8 * dpl + 1 ||
	    !vmm_read(m, m->v.tss_base + 4 + 8 * dpl, &esp, 4) ||
	    !vmm_read(m, m->v.tss_base + 8 + 8 * dpl, &ss, 2))
		cpu_raise(c, EXC_TS, m->v.tr & ~3);
	if (!(ss & ~3))
		cpu_raise(c, EXC_TS, 0);
	if ((ss & 3) != dpl || !vmm_guest_desc(m, ss, &sd) || !D_WDATA(sd) || D_DPL(sd) != dpl)
		cpu_raise(c, EXC_TS, ss & ~3);
	if (!(sd & D_P))
		cpu_raise(c, EXC_SS, ss & ~3);
	/* The parameters, read before anything changes (#SS on the caller's). */
	for (unsigned k = 0; k < params; k++) {
		u32 v = 0;

		if (!vmm_read(m, (u32)(c->seg[SEG_SS].base + old_esp + k * size), &v, size))
			cpu_raise(c, EXC_SS, 0);
		args[k] = v;
	}
	push_lin(m, c, gdesc_base(sd), &esp, size, old_ss, ss & ~3);
	push_lin(m, c, gdesc_base(sd), &esp, size, old_esp, ss & ~3);
	for (unsigned k = params; k-- > 0;)
		push_lin(m, c, gdesc_base(sd), &esp, size, args[k], ss & ~3);
	push_lin(m, c, gdesc_base(sd), &esp, size, old_cs, ss & ~3);
	push_lin(m, c, gdesc_base(sd), &esp, size, eip, ss & ~3);
	/* Commit: the new CPL, SS:ESP, CS:EIP. */
	m->v.cpl = (u8)dpl;
	vmm_load_seg(m, c, SEG_SS, ss);
	c->gpr[RSP] = esp;
	vmm_load_seg(m, c, SEG_CS, (u16)((target & ~3) | dpl));
	if (dpl == 2)
		vmm_ring2_hole(m, c, FORM_CALLF_Ap);
}

/*
 * Far JMP/CALL to sel:off (SDM Vol 2 JMP, CALL: protected mode): a code
 * segment directly (same privilege, or a conforming one), or a call gate
 * (§5.8.4, Table 5-2 checks).  TSS and task gates are task switches
 * (refused).  `size` is the operand size; `call` pushes the return.
 */
void vmm_far_transfer(struct vmm *m, struct cpu *c, u16 sel, u32 off, unsigned size, bool call)
{
	unsigned cpl = m->v.cpl, rpl = sel & 3, type, dpl;
	u64 d = 0, td = 0;
	u16 target;

	if (!(sel & ~3))
		cpu_raise(c, EXC_GP, 0);
	if (!vmm_guest_desc(m, sel, &d))
		cpu_raise(c, EXC_GP, sel & ~3);
	type = D_TYPE(d);
	dpl = D_DPL(d);
	if (d & D_S) {
		/* A code segment directly. */
		if (!(type & 8))
			cpu_raise(c, EXC_GP, sel & ~3); /* a data segment */
		if ((type & 4) ? dpl > cpl : (rpl > cpl || dpl != cpl))
			cpu_raise(c, EXC_GP, sel & ~3);
		if (!(d & D_P))
			cpu_raise(c, EXC_NP, sel & ~3);
		if (call) {
			cpu_push(c, size, vmm_guest_sel(c->seg[SEG_CS].sel, cpl));
			cpu_push(c, size, (u32)c->next_rip);
		}
		vmm_load_seg(m, c, SEG_CS, (u16)((sel & ~3) | cpl));
		c->next_rip = size == 2 ? (u16)off : off;
		return;
	}
	/* A system descriptor: call gate (4, 0xC), TSS (1, 9), task gate (5). */
	if (type != 4 && type != 0xc && type != 5 && type != 1 && type != 9)
		cpu_raise(c, EXC_GP, sel & ~3);
	if (dpl < cpl || dpl < rpl)
		cpu_raise(c, EXC_GP, sel & ~3);
	if (!(d & D_P))
		cpu_raise(c, EXC_NP, sel & ~3);
	if (type != 4 && type != 0xc) {
		vmm_refuse(
		    m,
		    "guest far %s to a TSS or task gate (0x%x at eip=0x%llx): task switches are "
		    "not virtualized",
		    call ? "call" : "jump", sel, (unsigned long long)c->rip);
		return;
	}
	/* The gate's target code segment. */
	target = (u16)(d >> 16);
	if (!(target & ~3))
		cpu_raise(c, EXC_GP, 0);
	if (!vmm_guest_desc(m, target, &td) || !D_CODE(td) || D_DPL(td) > cpl)
		cpu_raise(c, EXC_GP, target & ~3);
	if (!call && !D_CONF(td) && D_DPL(td) != cpl)
		cpu_raise(c, EXC_GP, target & ~3);
	if (!(td & D_P))
		cpu_raise(c, EXC_NP, target & ~3);
	off = (u32)((d & 0xffff) | ((d >> 32) & 0xffff0000));
	size = type == 0xc ? 4 : 2;
	if (type == 4)
		off &= 0xffff;
	if (call && !D_CONF(td) && D_DPL(td) < cpl) {
		call_inner(m, c, d, target, D_DPL(td), (u32)c->next_rip, size);
	} else {
		if (call) {
			cpu_push(c, size, vmm_guest_sel(c->seg[SEG_CS].sel, cpl));
			cpu_push(c, size, (u32)c->next_rip);
		}
		vmm_load_seg(m, c, SEG_CS, (u16)((target & ~3) | cpl));
	}
	c->next_rip = off;
}

/*
 * Far RET [n] (SDM Vol 2 RET, protected mode): to the same ring, or to an
 * outer one with SS:ESP popped after the n parameter bytes, the n bytes
 * released on both stacks, and the inner data segments nulled.
 */
void vmm_far_return(struct vmm *m, struct cpu *c, unsigned size, u16 n)
{
	u32 sp = (u32)c->gpr[RSP], eip = 0, cs = 0, esp = 0, ss = 0;
	u32 base = (u32)c->seg[SEG_SS].base;
	unsigned rpl, cpl = m->v.cpl;
	u64 d = 0, sd = 0;

	if (!vmm_read(m, (u32)(base + sp), &eip, size) ||
	    !vmm_read(m, (u32)(base + sp + size), &cs, size))
		cpu_raise(c, EXC_SS, 0);
	cs &= 0xffff;
	rpl = cs & 3;
	if (!(cs & ~3))
		cpu_raise(c, EXC_GP, 0);
	if (!vmm_guest_desc(m, (u16)cs, &d) || !D_CODE(d) || rpl < cpl)
		cpu_raise(c, EXC_GP, cs & ~3);
	if (D_CONF(d) ? D_DPL(d) > rpl : D_DPL(d) != rpl)
		cpu_raise(c, EXC_GP, cs & ~3);
	if (!(d & D_P))
		cpu_raise(c, EXC_NP, cs & ~3);
	if (rpl == cpl) {
		vmm_load_seg(m, c, SEG_CS, (u16)cs);
		c->gpr[RSP] = (u32)(sp + 2 * size + n);
		c->next_rip = size == 2 ? (u16)eip : eip;
		return;
	}
	/* To an outer ring: SS:ESP of the caller, after the parameters. */
	if (!vmm_read(m, (u32)(base + sp + 2 * size + n), &esp, size) ||
	    !vmm_read(m, (u32)(base + sp + 3 * size + n), &ss, size))
		cpu_raise(c, EXC_SS, 0);
	ss &= 0xffff;
	if (!(ss & ~3))
		cpu_raise(c, EXC_GP, 0);
	if ((ss & 3) != rpl || !vmm_guest_desc(m, (u16)ss, &sd) || !D_WDATA(sd) || D_DPL(sd) != rpl)
		cpu_raise(c, EXC_GP, ss & ~3);
	if (!(sd & D_P))
		cpu_raise(c, EXC_SS, ss & ~3);
	m->v.cpl = (u8)rpl;
	vmm_load_seg(m, c, SEG_CS, (u16)cs);
	vmm_load_seg(m, c, SEG_SS, (u16)ss);
	c->gpr[RSP] = (u32)(esp + n);
	c->next_rip = size == 2 ? (u16)eip : eip;
	vmm_null_inner_segs(m, c);
	if (rpl == 2)
		vmm_ring2_hole(m, c, FORM_RETF);
}
