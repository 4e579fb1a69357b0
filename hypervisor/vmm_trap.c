/*
 * vmm_trap.c - the trap-and-emulate VMM's entry, reflection and hole
 * reports (DESIGN.md §4 --virt=trap; SDM Vol 3 ch. 6 for the interrupt
 * frames the VMM builds; Popek & Goldberg 1974 for the vocabulary).
 *
 * The life of a trap, as the student should follow it:
 *
 *   1. The guest kernel (real CPL 1) executes a privileged instruction, say
 *      CLI.  At CPL 1 > IOPL 0 the CPU raises #GP(0).
 *   2. The CPU offers the exception to hooks.exception = vmm_entry() before
 *      delivering it: this is the VMM's trap gate (a C callback instead of
 *      VMM code behind an IDT gate: the one shortcut).
 *   3. The VMM syncs the shadow GDT, fetches and DECODES the instruction
 *      with the CPU's own decoder, and EMULATES it against the virtual CPU
 *      (vmm_emul.c): vif = 0.
 *   4. It RESUMES the guest after the instruction.
 *
 * Anything the VMM does not emulate is the guest's own fault: it is
 * REFLECTED through the guest's virtual IDT (vmm_reflect) exactly as the
 * real CPU would have delivered it to a ring-0 kernel.  External interrupts
 * come the same way, when the virtual IF allows (hook_intr_*).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/isa.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"
#include "devices/bus.h"
#include "hypervisor/shadow.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

const char *const vmm_trap_name[VMM_TRAP_COUNT] = {
#define X(n, s) s,
    VMM_TRAPS(X)
#undef X
};

/* ---- guest memory and failure ---------------------------------------------- */

bool vmm_phys_read(struct vmm *m, u64 pa, void *buf, unsigned len)
{
	if (pa + len > m->vm->cfg->mem_size || pa + len < pa)
		return false;
	return bus_dma_read(&m->vm->board.bus, pa, buf, len) == 0;
}

bool vmm_phys_write(struct vmm *m, u64 pa, const void *buf, unsigned len)
{
	if (pa + len > m->vm->cfg->mem_size || pa + len < pa)
		return false;
	if (vmm_spt_write_traced(m, pa, buf, len)) /* a guest page table: sync */
		return true;
	return bus_dma_write(&m->vm->board.bus, pa, buf, len) == 0;
}

/* Linear -> physical, page by page, as a supervisor access of the guest
 * kernel (descriptor tables, TSS, the stacks reflection builds). */
static bool lin_access(struct vmm *m, u64 lin, void *buf, unsigned len, bool write)
{
	u8 *p = buf;

	if (!(m->v.cr0 & CR0_PG))
		return write ? vmm_phys_write(m, lin, buf, len) : vmm_phys_read(m, lin, buf, len);
	while (len) {
		u32 pa, gerr, n = 4096 - (lin & 0xfff);
		bool w;

		if (n > len)
			n = len;
		if (!vmm_guest_walk(m, (u32)lin, write, false, true, &pa, &w, &gerr))
			return false;
		if (write ? !vmm_phys_write(m, pa, p, n) : !vmm_phys_read(m, pa, p, n))
			return false;
		lin = (u32)(lin + n);
		p += n;
		len -= n;
	}
	return true;
}

bool vmm_read(struct vmm *m, u64 lin, void *buf, unsigned len)
{
	return lin_access(m, lin, buf, len, false);
}

bool vmm_write(struct vmm *m, u64 lin, const void *buf, unsigned len)
{
	return lin_access(m, lin, (void *)buf, len, true);
}

/* The first fatal condition wins: remember it and stop the board. */
static bool set_fatal(struct vmm *m, enum board_stop stop, const char *fmt, va_list ap)
{
	if (m->fatal[0])
		return false;
	vsnprintf(m->fatal, sizeof(m->fatal), fmt, ap);
	m->vm->board.stop = stop;
	return true;
}

void vmm_fail(struct vmm *m, const char *fmt, ...)
{
	va_list ap;
	bool first;

	va_start(ap, fmt);
	first = set_fatal(m, BOARD_STOP_SHUTDOWN, fmt, ap);
	va_end(ap);
	if (first)
		fprintf(stderr, "vmlab: vmm: %s\n", m->fatal);
}

/* A feature the VMM does not virtualize: not the guest's fault, not a
 * shutdown.  The run loop (vm.c) stops with status 10 and prints the one
 * line "vmlab: vmm: <why>". */
void vmm_refuse(struct vmm *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (set_fatal(m, BOARD_STOP_UNSUPPORTED, fmt, ap))
		m->refused = true;
	va_end(ap);
}

/* The EFLAGS the guest should see: the real ones with the virtual IF and
 * IOPL (the real IF is always 1 and IOPL 0 while the guest runs). */
u32 vmm_guest_eflags(struct vmm *m, struct cpu *c)
{
	u32 f = (u32)cpu_rflags(c) & ~(u32)(FL_IF | FL_IOPL);

	return f | (m->v.vif ? FL_IF : 0) | ((u32)m->v.iopl << 12);
}

/* The guest's view of a real selector: RPL 1 was the guest's RPL 0. */
static u16 guest_sel(const struct vmm *m, u16 sel)
{
	return vmm_guest_sel(sel, m->v.cpl); /* RPL 1 -> 0, 2 -> 1 (vmm.h) */
}

/* ---- the hooks: trap entry, interrupts, holes ------------------------------- */

/* The VMM, entered from CPU c: its world must be the loaded one (the run
 * loop switched worlds before running c, vmm_smp.c). */
static struct vmm *vmm_of(void *opaque, const struct cpu *c)
{
	struct vmm *m = ((struct vm *)opaque)->vmm;

	if (c->index != m->cur)
		panic("vmm: entered from cpu%d while cpu%d's world is loaded", c->index, m->cur);
	return m;
}

/*
 * The virtual CPL follows the real one: ring compression maps guest ring 0
 * to real ring 1 and leaves ring 3 alone, and the real CPU changes rings
 * without the VMM on a native IRET to ring 3 (a hole: no trap).  The VMM
 * can always read the real CPL, so it re-derives the virtual one on every
 * entry.
 */
static void sync_cpl(struct vmm *m, const struct cpu *c)
{
	m->v.cpl = (u8)vmm_guest_ring(c->cpl, m->v.cpl); /* 1 -> 0, 2 -> 1|2, 3 */
}

/* Fetch and decode the guest instruction at CS:EIP. */
bool vmm_fetch(struct vmm *m, struct cpu *c, struct insn *i)
{
	u8 buf[15];
	u64 lin = (c->seg[SEG_CS].base + c->rip) & 0xffffffff;
	unsigned n = 15;

	while (n && !vmm_read(m, lin, buf, n))
		n--;
	return n && isa_decode(i, buf, n, c->code_size) > 0;
}

/*
 * Steps 2-4 above.  An emulation may itself fault (a guest operand in a bad
 * place): we catch that with our own setjmp and reflect the fault instead.
 */
static bool vmm_entry(void *opaque, struct cpu *c, int vec, u32 err)
{
	struct vmm *m = vmm_of(opaque, c);
	jmp_buf saved;
	bool saved_set = c->fault_jmp_set;
	struct insn i;
	volatile int fvec = vec;
	volatile u32 ferr = err;
	bool fetched;

	sync_cpl(m, c);
	vmm_shadow_gdt(m);
	memcpy(saved, c->fault_jmp, sizeof(saved));
	if (setjmp(c->fault_jmp)) {
		/* The emulation faulted: that is the instruction's fault. */
		fvec = c->pending_vector;
		ferr = c->pending_error;
		c->pending_vector = -1;
		goto reflect;
	}
	c->fault_jmp_set = true;
	/* #GP(0) is what a privileged instruction gives at CPL 1; #GP(sel)
	 * at virtual CPL 0 may be ring compression's own doing (MOV SS with
	 * RPL 0): both go to the emulator, which knows the difference. */
	fetched = vec == EXC_GP && (err == 0 || m->v.cpl == 0) && vmm_fetch(m, c, &i);
	/* STAC/CLAC are #UD (not #GP) at CPL > 0: the virtual kernel's too. */
	if (vec == EXC_UD && m->v.cpl == 0 && !(c->rflags & FL_VM) && vmm_fetch(m, c, &i) &&
	    (i.form == FORM_STAC || i.form == FORM_CLAC) && cpu_has_feature(c, SMAP_F))
		fetched = true;
	if (fetched && err == 0 && i.form == FORM_SYSENTER) {
		/* SYSENTER faults at any ring: the real IA32_SYSENTER_CS is 0
		 * (vmm_msr.c); enter the guest's handler at ring 1. */
		c->next_rip = c->rip + i.len;
		vmm_sysenter(m, c);
		c->stats.insns++;
		if (c->retired)
			(*c->retired)++;
		m->stats.traps[VMM_TRAP_PRIV]++;
		m->stats.by_form[i.form]++;
		trace_emit(&m->vm->trace, TRACE_TRAP, c->index, c->insn_rip, VMM_TRAP_PRIV,
			   isa_forms[i.form].pg, i.form, 0, isa_forms[i.form].name);
		goto out;
	}
	if (fetched) {
		const struct isa_form *f = &isa_forms[i.form];
		bool strict = m->pg_strict && f->pg >= PG_CTL;
		enum vmm_trap why =
		    strict ? VMM_TRAP_STRICT
		    : f->pg == PG_PRIV_IOPL && i.form != FORM_CLI && i.form != FORM_STI
			? VMM_TRAP_IO
			: VMM_TRAP_PRIV;

		/* Privileged instructions are emulated for the virtual kernel
		 * only; sensitive ones (pg-strict) at any level. */
		if (((m->v.cpl == 0 || strict) && f->pg != PG_INNOCUOUS) ||
		    (f->pg == PG_PRIV_IOPL && vmm_iopl_allowed(m, c, &i))) {
			c->next_rip = c->rip + i.len;
			if (vmm_emulate(m, c, &i)) {
				/* The emulated instruction retired: virtual time
				 * advances exactly as on bare metal. */
				c->stats.insns++;
				if (c->retired)
					(*c->retired)++;
				m->stats.traps[why]++;
				m->stats.by_form[i.form]++;
				trace_emit(&m->vm->trace, TRACE_TRAP, c->index, c->insn_rip, why,
					   f->pg, i.form, 0, f->name);
				goto out;
			}
			if (strict && f->pg >= PG_CTL) {
				/* Only pg-strict made it trap: the #GP(0) is not the
				 * guest's, reflecting it would be a lie. */
				vmm_refuse(
				    m,
				    "pg-strict: cannot emulate %s at eip=0x%llx (virtual CPL "
				    "%u)",
				    f->name, (unsigned long long)c->rip, m->v.cpl);
				goto out;
			}
		}
	}
reflect:
	/* A #PF while the guest pages: hidden (the shadow lacked the entry;
	 * filled, the instruction runs again) or true (reflected with the
	 * guest's error code and virtual CR2). */
	if (fvec == EXC_PF && (m->v.cr0 & CR0_PG)) {
		u32 e = ferr;

		if (vmm_spt_fault(m, c, &e))
			goto out;
		ferr = e;
	}
	/* #GP(0)/#SS(0) through an expand-down segment's empty shadow: the
	 * VMM runs the access on the guest's true segment (vmm_edseg.c). */
	{
		int v2 = fvec;
		u32 e2 = ferr;

		switch (vmm_edseg_fault(m, c, &v2, &e2)) {
		case VMM_EDSEG_DONE: goto out;
		case VMM_EDSEG_FAULT: fvec = v2, ferr = e2; break;
		case VMM_EDSEG_NONE: break;
		}
	}
	/* #NP/#SS(sel) for a descriptor present in the guest's table: the
	 * shadow hid it (an expand-down segment reaching the VMM's area,
	 * shadow.c): refused, not the guest's fault. */
	if ((fvec == EXC_NP || fvec == EXC_SS) && (ferr & ~3u)) {
		u64 gd = 0;

		if (vmm_guest_desc(m, (u16)ferr, &gd) && (gd & (1ULL << 47)) &&
		    (gd & (1ULL << 44)) && !(vmm_shadow_desc_of(m, (u16)ferr) & (1ULL << 47))) {
			vmm_refuse(m,
				   "guest loads segment 0x%x at eip=0x%llx: an expand-down segment "
				   "reaching the VMM's area (0x%llx+) cannot be truncated",
				   (unsigned)ferr & 0xfffc, (unsigned long long)c->rip,
				   (unsigned long long)VMM_AREA_BASE);
			goto out;
		}
	}
	m->stats.traps[VMM_TRAP_FAULT]++;
	trace_emit(&m->vm->trace, TRACE_TRAP, c->index, c->rip, VMM_TRAP_FAULT, 0, (u64)fvec, ferr,
		   exc_name(fvec));
	vmm_reflect(m, c, fvec, exc_has_error(fvec), ferr, (u32)c->rip, false);
out:
	memcpy(c->fault_jmp, saved, sizeof(saved));
	c->fault_jmp_set = saved_set;
	return true;
}

/* The CPU's INTR line, as the guest sees it: the machine's line (vm.c:
 * 8259 or this CPU's local APIC) masked by this CPU's virtual IF (the run
 * loop also asks for halted CPUs that do not run now: vmm_vcpu_of). */
static bool hook_intr_pending(void *opaque, struct cpu *c)
{
	struct vmm *m = ((struct vm *)opaque)->vmm;

	return vmm_vcpu_of(m, c->index)->vif && m->line_pending && m->line_pending(opaque, c);
}

/* INTA: the VMM takes the vector and reflects it; the CPU delivers nothing. */
static int hook_intr_ack(void *opaque, struct cpu *c)
{
	struct vm *vm = opaque;
	struct vmm *m = vmm_of(opaque, c);
	int vec = m->line_ack ? m->line_ack(opaque, c) : -1;

	if (vec < 0)
		return -1;
	sync_cpl(m, c);
	vmm_shadow_gdt(m);
	m->stats.traps[VMM_TRAP_INTR]++;
	trace_emit(&vm->trace, TRACE_TRAP, c->index, c->rip, VMM_TRAP_INTR, 0, (u64)vec, 0, NULL);
	vmm_reflect(m, c, vec, false, 0, (u32)c->rip, false);
	return -1;
}

/*
 * A PG_CTL/PG_BEH instruction about to run without trapping.  INT n, INT3
 * and INTO go through the VMM's IDT gate (reflected, like a trap); all the
 * others are holes when the virtual kernel runs them: report what the guest
 * will see against what it should.
 */
/* INT n, INT3, INTO (taken): the VMM's IDT gate, reflected as the guest's. */
static void reflect_int_n(struct vmm *m, struct cpu *c, const struct insn *i)
{
	const struct isa_form *f = &isa_forms[i->form];
	int vec = i->form == FORM_INT_Ib ? (int)(u8)i->imm
		  : i->form == FORM_INT3 ? EXC_BP
		  : i->form == FORM_INT1 ? EXC_DB
					 : EXC_OF;

	vmm_shadow_gdt(m);
	m->stats.traps[VMM_TRAP_INTN]++;
	trace_emit(&m->vm->trace, TRACE_TRAP, c->index, c->rip, VMM_TRAP_INTN, f->pg, (u64)vec, 0,
		   f->name);
	/* INT1 (ICEBP) is delivered like a debug exception: no DPL check. */
	vmm_reflect(m, c, vec, false, 0, (u32)c->next_rip, i->form != FORM_INT1);
}

/*
 * INT3, INTO and INT1 are PG_INNOCUOUS forms (cpu/isa.def), so hooks.sensitive
 * never sees them; their handlers call hooks.intercept before delivery.
 * Without this the real CPU would check the VMM's DPL-0 gate against CPL 1
 * and deliver #GP through the VMM's IDT -- the VMM's own interrupt
 * entry, which a C callback replaces.  Everything else runs natively.
 */
static void activate(struct vmm *m, struct cpu *c, bool booted);

/*
 * The real-mode phase (vmm.h): the one instruction the VMM watches is the
 * write that sets CR0.PE.  It performs it (cpu_write_cr checks it as the
 * hardware would) and takes over before the next instruction.
 */
static bool real_mode_intercept(struct vmm *m, struct cpu *c, const struct insn *i)
{
	u64 v;

	if (i->form == FORM_MOV_CdRd && i->reg == 0)
		v = (u32)c->gpr[i->rm];
	else if (i->form == FORM_LMSW_Ew)
		v = (c->cr0 & ~0xeULL) | (opnd_read(c, i, 0) & 0xf);
	else
		return false;
	if (!(v & CR0_PE))
		return false; /* still real mode: the CPU's own handler runs */
	cpu_write_cr(c, 0, v);
	activate(m, c, false);
	return true;
}

static bool hook_intercept(void *opaque, struct cpu *c, const struct insn *i)
{
	struct vmm *m = vmm_of(opaque, c);

	if (!m->active)
		return real_mode_intercept(m, c, i);
	if (i->form != FORM_INT3 && i->form != FORM_INTO && i->form != FORM_INT1)
		return false;
	sync_cpl(m, c);
	reflect_int_n(m, c, i);
	return true;
}

static bool hook_sensitive(void *opaque, struct cpu *c, const struct insn *i)
{
	struct vmm *m = vmm_of(opaque, c);
	const struct isa_form *f = &isa_forms[i->form];
	char what[120] = "";
	u64 saw = 0, should = 0;

	sync_cpl(m, c);
	if (i->form == FORM_INT_Ib || i->form == FORM_INT3 ||
	    (i->form == FORM_INTO && (cpu_rflags(c) & FL_OF))) {
		reflect_int_n(m, c, i);
		return true;
	}
	if (m->v.cpl != 0)
		return false;
	switch (i->form) {
	case FORM_SGDT_Ms: saw = c->gdtr.base, should = m->v.gdtr.base; break;
	case FORM_SIDT_Ms: saw = c->idtr.base, should = m->v.idtr.base; break;
	case FORM_STR_Ev: saw = c->tr.sel, should = m->v.tr; break;
	case FORM_SLDT_Ev: saw = c->ldtr.sel, should = m->v.ldtr; break;
	case FORM_SMSW_Ev: saw = c->cr0 & 0xffff, should = m->v.cr0 & 0xffff; break;
	case FORM_PUSHF_Fv:
	case FORM_POPF_Fv:
		saw = cpu_rflags(c) & (FL_IF | FL_IOPL),
		should = vmm_guest_eflags(m, c) & (FL_IF | FL_IOPL);
		break;
	case FORM_IRET: {
		/* Native IRET at real CPL 1 ignores the IF/IOPL it pops: the
		 * guest keeps its virtual ones instead of the frame's.  But an
		 * IRET to an RPL-0 frame (the guest kernel's own, uncompressed)
		 * is #GP at CPL 1 (SDM Vol 2 IRET: return CS RPL < CPL): it
		 * will trap and be emulated -- counted there, not here. */
		u32 img = 0, cs = 0;
		u64 sp = c->seg[SEG_SS].base + (u32)c->gpr[RSP];

		if (i->osize == 4 && vmm_read(m, (sp + 4) & 0xffffffff, &cs, 4) && (cs & 0xfffc) &&
		    (cs & 3) < c->cpl)
			return false;
		vmm_read(m, (sp + 8) & 0xffffffff, &img, 4);
		saw = vmm_guest_eflags(m, c) & (FL_IF | FL_IOPL);
		should = img & (FL_IF | FL_IOPL);
		break;
	}
	case FORM_MOV_EvSw: saw = c->seg[i->reg & 7].sel, should = guest_sel(m, (u16)saw); break;
	case FORM_PUSH_CS: saw = c->seg[SEG_CS].sel, should = guest_sel(m, (u16)saw); break;
	case FORM_PUSH_SS: saw = c->seg[SEG_SS].sel, should = guest_sel(m, (u16)saw); break;
	default: break;
	}
	snprintf(what, sizeof(what), "%s (%s) at 0x%llx: saw 0x%llx, should 0x%llx", f->name,
		 pg_class_name[f->pg], (unsigned long long)c->rip, (unsigned long long)saw,
		 (unsigned long long)should);
	m->stats.holes[i->form]++;
	m->stats.hole_total++;
	if (saw != should && !m->stats.hole_visible[i->form]++) {
		m->stats.hole_rip[i->form] = c->rip;
		m->stats.hole_saw[i->form] = saw;
		m->stats.hole_should[i->form] = should;
	}
	trace_emit(&m->vm->trace, TRACE_HOLE, c->index, c->rip, i->form, f->pg, saw, should, what);
	return false;
}

/* ---- creation ----------------------------------------------------------------- */

/* An 8-byte descriptor from base, byte limit, type and flags. */
static u64 make_desc(u32 base, u32 limit, unsigned type_s_dpl_p, unsigned flags)
{
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)type_s_dpl_p << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)flags << 52) | ((u64)(base >> 24) << 56);
}

/*
 * The take-over (vmm.h) of CPU c, whose world is loaded: from here on its
 * guest kernel runs at ring 1 on the VMM's tables.  `booted` is the
 * multiboot BSP (already in 32-bit protected mode with loaded segments);
 * otherwise the guest just set CR0.PE (the BSP through the BIOS, an AP
 * after its SIPI) and its segment registers still hold real-mode caches.
 */
static void activate(struct vmm *m, struct cpu *c, bool booted)
{
	u64 d;

	/* 1. The virtual CPU starts where the guest left the real one. */
	m->v.cpl = 0;
	m->v.vif = (c->rflags & FL_IF) != 0;
	m->v.iopl = (c->rflags >> 12) & 3;
	m->v.cr0 = c->cr0 | CR0_ET;
	m->v.cr3 = c->cr3;
	m->v.cr4 = c->cr4;
	m->v.gdtr = c->gdtr;
	m->v.idtr = c->idtr;

	/* 2. Ring compression of the real CPU: VMM tables, ring 1, IF = 1. */
	vmm_shadow_gdt(m);
	c->gdtr.base = VMM_AREA_BASE + VMM_GDT_OFF;
	c->gdtr.limit = 0xffff;
	c->idtr.base = VMM_AREA_BASE + VMM_IDT_OFF;
	c->idtr.limit = 256 * 8 - 1;
	d = make_desc((u32)(VMM_AREA_BASE + VMM_TSS_OFF), 103, 0x8b, 0);
	desc_to_segment(d, VMM_TSS_SEL, &c->tr);
	/* As LTR does: this CPU's TSS descriptor is busy now (its own, in
	 * its own world's shadow GDT: vmm_smp.c). */
	memcpy(m->area + VMM_GDT_OFF + VMM_TSS_SEL, &d, 8);
	if (booted) {
		/* Loaded protected-mode segments: reload them from the shadow. */
		for (int s = 0; s < SEG_COUNT; s++)
			if (c->seg[s].sel & ~3)
				vmm_load_seg(m, c, s, c->seg[s].sel);
	} else {
		/* Real-mode caches (CS = 0000 in a boot sector): only the CPL
		 * moves to 1, through CS.RPL, as if the segment had been
		 * loaded at ring 1.  The guest's far jump reloads CS. */
		c->seg[SEG_CS].sel = (u16)((c->seg[SEG_CS].sel & ~3) | 1);
		c->seg[SEG_CS].attr =
		    (c->seg[SEG_CS].attr & ~(3u << SEGA_DPL_SHIFT)) | (1u << SEGA_DPL_SHIFT);
	}
	cpu_set_rflags(c, (cpu_rflags(c) & ~(u64)FL_IOPL) | FL_IF);
	cpu_update_mode(c);
	/* The MSRs that name a privileged code segment become virtual; the
	 * real ones make SYSENTER fault (vmm_msr.c). */
	vmm_msr_takeover(m, c);

	/* 3. The hooks: the VMM's trap gate, the virtual INTR line, holes. */
	c->hooks.exception = vmm_entry;
	c->hooks.intr_pending = hook_intr_pending;
	c->hooks.intr_ack = hook_intr_ack;
	c->hooks.sensitive = hook_sensitive;
	c->pg_strict = m->pg_strict;
	m->active = true;
	trace_emit(&m->vm->trace, TRACE_SHADOW, c->index, m->v.gdtr.base, 0, m->v.gdtr.limit, 0, 0,
		   "takeover");
}

int vmm_create(struct vm *vm, struct err *e)
{
	struct cpu *c = &vm->cpus[0];
	struct vmm *m;
	u64 d;

	m = xcalloc(1, sizeof(*m));
	m->vm = vm;
	vm->vmm = m;
	m->pg_strict = vm->cfg->pg_strict;
	m->stats.by_form = xcalloc(FORM_COUNT, sizeof(u64));
	m->stats.holes = xcalloc(FORM_COUNT, sizeof(u64));
	m->stats.hole_visible = xcalloc(FORM_COUNT, sizeof(u64));
	m->stats.hole_rip = xcalloc(FORM_COUNT, sizeof(u64));
	m->stats.hole_saw = xcalloc(FORM_COUNT, sizeof(u64));
	m->stats.hole_should = xcalloc(FORM_COUNT, sizeof(u64));

	/* 1. The VMM's region: the RAM past the guest's memory size, mapped
	 * high where the guest's (truncated) segments cannot reach. */
	if (bus_map_ram(&vm->board.bus, VMM_AREA_BASE, VMM_AREA_SIZE, vm->cfg->mem_size, e))
		return -1;
	m->area = vm->board.bus.ram + vm->cfg->mem_size;
	memset(m->area, 0, VMM_AREA_SIZE);

	/* 2. The VMM's TSS (32-bit available TSS, I/O map base past the limit:
	 * every port traps) and IDT (256 DPL-0 interrupt gates: INT n from the
	 * guest is #GP -- never used for delivery, the entry is a callback). */
	m->area[VMM_TSS_OFF + 102] = 104;
	d = make_desc((u32)(VMM_AREA_BASE + VMM_TSS_OFF), 103, 0x89, 0);
	memcpy(m->area + VMM_GDT_OFF + VMM_TSS_SEL, &d, 8);
	for (int v = 0; v < 256; v++) {
		u64 gte = 0x0008ULL << 16 | 0x8eULL << 40;
		memcpy(m->area + VMM_IDT_OFF + v * 8, &gte, 8);
	}

	/* 3. The machine's interrupt line, which the VMM will gate, and the
	 * intercept hook on every CPU: the CR0.PE watch now (each CPU has its
	 * own real-mode phase: the APs start in real mode at their SIPI),
	 * INT3/INTO after take-over. */
	m->line_pending = c->hooks.intr_pending;
	m->line_ack = c->hooks.intr_ack;
	vmm_smp_init(m); /* one world per CPU, CPU 0's loaded (vmm_smp.c) */
	for (int i = 0; i < vm->ncpus; i++) {
		vm->cpus[i].hooks.intercept = hook_intercept;
		vm->cpus[i].pg_strict = false; /* real mode has no CPL > 0 anyway */
	}

	/* 4. A multiboot kernel is in protected mode already: take the BSP
	 * over now.  The firmware path runs the BIOS natively until CR0.PE
	 * (vmm.h); the APs always start in real mode. */
	if (vm->booted_multiboot)
		activate(m, c, true);
	return 0;
}

void vmm_destroy(struct vmm *m)
{
	/* Plain --virt=trap: say which holes the guest fell into, so that a
	 * guest that broke (or hung) points at the responsible instruction. */
	vmm_print_holes(m, stderr);
	vmm_spt_free(m);
	vmm_smp_free(m);
	free(m->stats.by_form);
	free(m->stats.holes);
	free(m->stats.hole_visible);
	free(m->stats.hole_rip);
	free(m->stats.hole_saw);
	free(m->stats.hole_should);
	free(m);
}
