/*
 * shadow.c - the shadow GDT of the trap-and-emulate VMM: ring compression
 * of the guest's descriptors (SDM Vol 3 §3.4.5 descriptor format, §5.5-5.6
 * privilege checks on segment loads).
 *
 * Why a shadow at all: the guest kernel's descriptors say DPL 0, but it runs
 * at CPL 1.  Loading a DPL-0 data segment at CPL 1 is #GP (SDM Vol 3 §5.6:
 * max(CPL, RPL) <= DPL), and a far transfer to a DPL-0 code segment
 * would put it back at ring 0.  So the real GDTR points at the VMM's copy,
 * in which every DPL 0 became DPL 1, and the guest's own table is only read.
 *
 * The guest may rewrite its GDT at any time without telling us; without
 * paging we cannot write-protect it, so the VMM compares and rebuilds the
 * shadow on every entry (a counted `shadow` event when something changed).
 */
#include <string.h>

#include "hypervisor/shadow.h"
#include "cpu/segment.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

/* Descriptor fields (SDM Vol 3 Figure 3-8). */
#define D_S	    (1ULL << 44)
#define D_DPL_SHIFT 45
#define D_DPL	    (3ULL << D_DPL_SHIFT)
#define D_P	    (1ULL << 47)
#define D_G	    (1ULL << 55)
#define D_TYPE(d)   (((d) >> 40) & 0xf)

u32 shadow_desc_limit(u64 d)
{
	u32 lim = (u32)((d & 0xffff) | ((d >> 32) & 0xf0000));

	return (d & D_G) ? (lim << 12) | 0xfff : lim;
}

u64 shadow_desc(u64 d, u64 vmm_base)
{
	u64 base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	u64 top;
	u32 field;

	if (!(d & D_P)) {
		/* Not present: the real CPU must still check DPL before P
		 * (#GP before #NP/#SS), so code/data get DPL 0 -> 1 too. */
		if (d & D_S)
			d = (d & ~D_DPL) |
			    (u64)vmm_real_ring((unsigned)((d & D_DPL) >> D_DPL_SHIFT)) << D_DPL_SHIFT;
		return d;
	}
	if (!(d & D_S))
		return d & ~D_P; /* system descriptor: the VMM emulates its use */

	/* Ring compression: DPL 0 -> 1, 1 -> 2 (vmm.h vmm_real_ring). */
	d = (d & ~D_DPL) | (u64)vmm_real_ring((unsigned)((d & D_DPL) >> D_DPL_SHIFT)) << D_DPL_SHIFT;

	/* Truncation: an expand-up segment (code, or data without type bit
	 * 2 "expand-down") must end below the VMM's area. */
	if ((D_TYPE(d) & 0xc) == 0x4) {
		/* Expand-down data (SDM Vol 3 §3.4.5.1): valid offsets are
		 * limit+1 .. 0xFFFF (B = 0) or 0xFFFFFFFF (B = 1).  The top is
		 * fixed, so it cannot be truncated: a segment that reaches the
		 * VMM's area (or wraps past 4 GiB) is shadowed EMPTY (limit
		 * 0xFFFFFFFF, G = 1: no valid offset) -- its load succeeds as
		 * on hardware, every access faults into the VMM, which runs it
		 * on the guest's true cache (vmm_edseg.c). */
		u64 upper = (d & (1ULL << 54)) ? 0xffffffffULL : 0xffffULL;
		u64 lim = shadow_desc_limit(d);

		if (lim >= upper || base + upper < vmm_base)
			return d;
		return d | 0xffffULL | (0xfULL << 48) | D_G;
	}
	top = base + (u64)shadow_desc_limit(d);
	if (top < vmm_base)
		return d;
	if (base >= vmm_base) /* entirely inside: make it useless */
		return d & ~D_P;
	if (d & D_G)
		field = (u32)((vmm_base - base) >> 12) - 1;
	else
		field = (u32)(vmm_base - base - 1);
	if (!(d & D_G) && field > 0xfffff) {
		/* A byte-granular limit cannot exceed 1 MiB-1: cannot reach
		 * the VMM anyway (handled above) -- kept for clarity. */
		field = 0xfffff;
	}
	d &= ~(0xffffULL | (0xfULL << 48));
	d |= (field & 0xffff) | ((u64)(field >> 16) << 48);
	return d;
}

/* Rebuild the shadow GDT from the guest's (every VMM entry: see above). */
void vmm_shadow_gdt(struct vmm *m)
{
	u8 *gdt = m->area + VMM_GDT_OFF;
	unsigned n = (m->v.gdtr.limit + 1) / 8;
	bool changed = false;

	if (n > VMM_TSS_SEL / 8)
		n = VMM_TSS_SEL / 8; /* the last slot is the VMM's own TSS */
	/* The real GDTR limit covers all 8192 slots (the VMM's TSS is the
	 * last): slots past the guest's limit are shadowed as null, so a
	 * selector past the guest's GDT faults (#GP(sel)) as on hardware,
	 * also after the guest shrank its GDT. */
	for (unsigned k = 0; k < VMM_TSS_SEL / 8; k++) {
		u64 g = 0, s;

		if (k >= n && k >= m->shadow_gdt_slots)
			break;
		if (k < n && !vmm_read(m, m->v.gdtr.base + k * 8, &g, 8))
			g = 0;
		u64 cur;

		memcpy(&cur, gdt + k * 8, 8);
		/* The real CPU set the accessed bit (type bit 0) in the shadow
		 * when it loaded a segment: hardware would have set it in the
		 * guest's descriptor, so the VMM does, before the guest can
		 * look (LAR, or reading its GDT, both after a VMM entry under
		 * pg-strict; a plain read is a hole of the lazy copy). */
		if (k < n && (cur & (1ULL << 40)) && !(g & (1ULL << 40)) && (g & (1ULL << 44)) &&
		    (cur & ~(1ULL << 40)) == (shadow_desc(g, VMM_AREA_BASE) & ~(1ULL << 40))) {
			g |= 1ULL << 40;
			vmm_write(m, m->v.gdtr.base + k * 8 + 5, (u8 *)&g + 5, 1);
		}
		s = shadow_desc(g, VMM_AREA_BASE);
		/* The real CPU sets the accessed bit (type bit 0) in the
		 * shadow when it loads a segment: not a guest change. */
		if ((cur ^ s) & ~(1ULL << 40)) {
			memcpy(gdt + k * 8, &s, 8);
			changed = true;
		}
	}
	m->shadow_gdt_slots = n;
	if (changed) {
		m->stats.shadow_syncs++;
		trace_emit(&m->vm->trace, TRACE_SHADOW, 0, m->v.gdtr.base, 0, m->v.gdtr.limit, 0, 0,
			   "gdt");
	}
	vmm_shadow_ldt(m); /* and the LDT, the same way (vmm_ldt.c) */
}

/* Load real segment register s for the guest selector gsel: the selector the
 * CPU holds has RPL 1 where the guest asked for RPL 0 (ring compression).
 * The descriptor comes from the shadow GDT (the caller synced it). */
void vmm_load_seg(struct vmm *m, struct cpu *c, enum sreg s, u16 gsel)
{
	u16 sel = vmm_real_sel(gsel); /* RPL 0 -> 1, 1 -> 2 */
	u64 d = 0;

	if (!(sel & ~3)) {
		seg_load_null(c, s, sel);
		return;
	}
	d = vmm_shadow_desc_of(m, sel); /* GDT or (TI = 1) LDT shadow */
	/* Loading a segment sets its accessed bit in memory (SDM Vol 3
	 * §3.4.5.1): in the guest's descriptor, where hardware would. */
	if ((d & (1ULL << 44)) && !(d & (1ULL << 40))) {
		u64 g = 0;

		if (vmm_guest_desc(m, sel, &g) && !(g & (1ULL << 40))) {
			u8 b = (u8)(g >> 40) | 1;
			u64 base = (sel & 4) ? m->v.ldt_base : m->v.gdtr.base;

			vmm_write(m, base + (sel & ~7) + 5, &b, 1);
		}
		d |= 1ULL << 40;
		memcpy(m->area + ((sel & 4) ? VMM_LDT_OFF : VMM_GDT_OFF) + (sel & ~7), &d, 8);
	}
	if (s == SEG_CS)
		seg_load_cs(c, sel, d, sel & 3);
	else
		seg_load_desc(c, s, sel, d);
	/* CS.D and SS.B set the code and stack sizes (CPL from CS.RPL):
	 * after a real-mode SS (B = 0) a 32-bit push must not wrap at 64 KiB. */
	if (s == SEG_CS || s == SEG_SS)
		cpu_update_mode(c);
}
