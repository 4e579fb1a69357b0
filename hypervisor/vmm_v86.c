/*
 * vmm_v86.c - virtual-8086 mode under the trap-and-emulate VMM (SDM Vol 3
 * ch. 20: §20.2 the VM86 environment, §20.3 entering and leaving it,
 * Figure 20-4 the exit frame; Vol 2 IRET "RETURN-TO-VIRTUAL-8086-MODE").
 *
 * The v86 code itself runs NATIVELY: VM86 mode is CPL 3 with real-mode
 * style segments (base = selector * 16, limit 0xFFFF), exactly what the
 * real CPU gives ring-3 code, so no compression is needed.  Only the two
 * transitions are the VMM's:
 *   - ENTRY: the guest kernel's IRET with EFLAGS.VM = 1 traps (IRET at
 *     real CPL 1 could not set VM, and under pg-strict it traps anyway);
 *     vmm_v86_enter pops the rest of the frame (ESP, SS, ES, DS, FS, GS),
 *     loads the segments real-mode style, keeps IF and IOPL virtual (the
 *     real IOPL stays 0) and sets the real EFLAGS.VM.
 *   - EXIT: every exception or interrupt in VM86 is reflected to the
 *     guest's ring-0 handler (vmm_reflect.c pushes GS, FS, DS, ES before
 *     SS:ESP and nulls them, Figure 20-4).
 * In between, the IOPL-sensitive instructions (CLI, STI, PUSHF, POPF,
 * INT n, IRET; no CR4.VME here) fault on the real CPU because the real
 * IOPL is 0.  With the guest's VIRTUAL IOPL 3 the VMM performs them (the
 * guest sees them work); below 3 the #GP(0) is the guest's own and is
 * reflected (vmm_emul.c vmm_v86_iopl_check).  IN/OUT consult the guest
 * TSS's I/O bitmap whatever the IOPL (vmm_iopl_allowed).
 */
#include "cpu/exception.h"
#include "cpu/isa.h"
#include "cpu/segment.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

void vmm_v86_enter(struct vmm *m, struct cpu *c, u32 eip, u32 cs, u32 eflags)
{
	u32 sp = (u32)c->gpr[RSP], base = (u32)c->seg[SEG_SS].base, r[6];
	static const enum sreg segs[] = {SEG_ES, SEG_DS, SEG_FS, SEG_GS};

	/* ESP, SS, ES, DS, FS, GS: read before anything changes. */
	if (!vmm_read(m, (u32)(base + sp), r, sizeof(r)))
		cpu_raise(c, EXC_SS, 0);
	/* IF and IOPL are virtual (an IRET at virtual CPL 0 sets both). */
	m->v.vif = (eflags & FL_IF) != 0;
	m->v.iopl = (eflags >> 12) & 3;
	cpu_set_rflags(c,
		       (eflags & ~(u32)(FL_IOPL | FL_VIF | FL_VIP | FL_RF)) | FL_IF | FL_VM | FL_1);
	m->v.cpl = 3;
	cpu_load_seg_real(c, SEG_CS, (u16)cs);
	cpu_load_seg_real(c, SEG_SS, (u16)r[1]);
	for (unsigned k = 0; k < 4; k++)
		cpu_load_seg_real(c, segs[k], (u16)r[2 + k]);
	c->gpr[RSP] = r[0] & 0xffff;
	c->rip = c->next_rip = eip & 0xffff;
	cpu_update_mode(c);
	trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, cs, eip, eflags, 0, 0, "v86-enter");
}

/* An IOPL-sensitive instruction in VM86 (no VME): #GP(0) unless the
 * virtual IOPL is 3 -- the guest's own fault, reflected. */
void vmm_v86_iopl_check(struct vmm *m, struct cpu *c)
{
	if ((c->rflags & FL_VM) && m->v.iopl < 3)
		cpu_raise(c, EXC_GP, 0);
}
