/*
 * vmm_ldt.c - the shadow LDT of the trap-and-emulate VMM (SDM Vol 3 §3.5.1
 * "Segment Descriptor Tables": the LDT is a system segment named by a GDT
 * descriptor of type 2; Vol 2 LLDT; §5.5-5.6 the privilege checks).
 *
 * The LDT gets the same treatment as the GDT (shadow.c): the real LDTR
 * points at the VMM's copy, in which every DPL-0 code/data descriptor of
 * the guest's LDT became DPL 1 and every segment ends below the VMM's area
 * (shadow_desc), while the guest's own table is only read.  The guest's
 * LLDT traps (privileged) and is emulated here: the checks of SDM Vol 2
 * LLDT on the guest's GDT, then the hidden part of the virtual LDTR (base,
 * limit) is remembered -- like the processor's cache, it does not follow
 * later changes of the GDT descriptor -- and the real LDTR is loaded with
 * the shadow's base and the same limit, under the guest's selector (so that
 * even the SLDT hole shows the guest what it loaded).
 *
 * The guest may change its LDT entries whenever it likes: like the shadow
 * GDT, the shadow LDT is compared and rebuilt on every VMM entry.
 */
#include <string.h>

#include "cpu/exception.h"
#include "cpu/segment.h"
#include "hypervisor/shadow.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

/* Descriptor fields (SDM Vol 3 Figure 3-8). */
#define D_S	  (1ULL << 44)
#define D_P	  (1ULL << 47)
#define D_A	  (1ULL << 40)
#define D_TYPE(d) (((d) >> 40) & 0xf)
#define DESC_LDT  2

/* Slots of the shadow LDT in use: the guest's limit, at most 8192. */
static unsigned ldt_slots(const struct vmm *m)
{
	if (!(m->v.ldtr & ~3))
		return 0;
	return m->v.ldt_limit >= VMM_LDT_SIZE ? VMM_LDT_SIZE / 8 : (m->v.ldt_limit + 1) / 8;
}

/* Rebuild the shadow LDT from the guest's (every VMM entry, like the GDT). */
void vmm_shadow_ldt(struct vmm *m)
{
	u8 *ldt = m->area + VMM_LDT_OFF;
	unsigned n = ldt_slots(m);
	bool changed = false;

	for (unsigned k = 0; k < n; k++) {
		u64 g = 0, s, cur;

		if (!vmm_read(m, m->v.ldt_base + k * 8, &g, 8))
			g = 0;
		memcpy(&cur, ldt + k * 8, 8);
		/* The accessed bit the real CPU set in the shadow: hardware
		 * would have set it in the guest's descriptor (shadow.c). */
		if ((cur & D_A) && !(g & D_A) && (g & D_S) &&
		    (cur & ~D_A) == (shadow_desc(g, VMM_AREA_BASE) & ~D_A)) {
			g |= D_A;
			vmm_write(m, m->v.ldt_base + k * 8 + 5, (u8 *)&g + 5, 1);
		}
		s = shadow_desc(g, VMM_AREA_BASE);
		if ((cur ^ s) & ~D_A) {
			memcpy(ldt + k * 8, &s, 8);
			changed = true;
		}
	}
	if (changed) {
		m->stats.shadow_syncs++;
		trace_emit(&m->vm->trace, TRACE_SHADOW, 0, m->v.ldt_base, 0, m->v.ldt_limit, 0, 0,
			   "ldt");
	}
}

/* The guest's own descriptor for sel, from its GDT or (TI = 1) its LDT:
 * false for a null selector or one beyond the table's limit. */
bool vmm_guest_desc(struct vmm *m, u16 sel, u64 *d)
{
	u64 base;
	u32 limit;

	if (sel & 4) {
		if (!(m->v.ldtr & ~3))
			return false;
		base = m->v.ldt_base;
		limit = m->v.ldt_limit;
	} else {
		if (!(sel & ~3))
			return false;
		base = m->v.gdtr.base;
		limit = m->v.gdtr.limit;
	}
	if ((u32)(sel | 7) > limit)
		return false;
	return vmm_read(m, base + (sel & ~7), d, 8);
}

/* The shadow descriptor the real CPU uses for sel (0 when out of range). */
u64 vmm_shadow_desc_of(const struct vmm *m, u16 sel)
{
	u64 d = 0;

	if (!(sel & 4)) {
		memcpy(&d, m->area + VMM_GDT_OFF + (sel & ~7), 8);
	} else if ((sel >> 3) < ldt_slots(m)) {
		memcpy(&d, m->area + VMM_LDT_OFF + (sel & ~7), 8);
	}
	return d;
}

/*
 * LLDT r/m16 from the virtual kernel (SDM Vol 2 LLDT): a null selector
 * leaves no LDT; otherwise a GDT selector (TI = 0, else #GP(sel)) of an
 * LDT descriptor (type 2, else #GP(sel)), present (else #NP(sel)).
 */
void vmm_lldt(struct vmm *m, struct cpu *c, u16 sel)
{
	struct vcpu *v = &m->v;
	u64 d = 0;

	if (!(sel & ~3)) {
		v->ldtr = sel;
		v->ldt_base = v->ldt_limit = 0;
		c->ldtr = (struct segment){sel, 0, 0, SEGA_UNUSABLE};
		return;
	}
	if ((sel & 4) || !vmm_guest_desc(m, sel, &d) || (d & D_S) || D_TYPE(d) != DESC_LDT)
		cpu_raise(c, EXC_GP, sel & ~3);
	if (!(d & D_P))
		cpu_raise(c, EXC_NP, sel & ~3);
	v->ldtr = sel;
	v->ldt_base = (u32)(((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24));
	v->ldt_limit = shadow_desc_limit(d);
	/* The real LDTR: the shadow, same limit (capped to the 8192 slots). */
	c->ldtr.sel = sel;
	c->ldtr.base = VMM_AREA_BASE + VMM_LDT_OFF;
	c->ldtr.limit = v->ldt_limit >= VMM_LDT_SIZE ? VMM_LDT_SIZE - 1 : v->ldt_limit;
	c->ldtr.attr = SEGA_P | DESC_LDT;
	memset(m->area + VMM_LDT_OFF, 0, VMM_LDT_SIZE);
	vmm_shadow_ldt(m);
}
