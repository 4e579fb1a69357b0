/*
 * vmm_edseg.c - expand-down segments under ring compression (SDM Vol 3
 * §3.4.5.1 "Code- and Data-Segment Descriptor Types", §5.3 "Limit
 * Checking"; Vol 2 MOV for the accesses emulated at the top).
 *
 * The VMM's area lives at the top of the linear space (shadow.h) and every
 * guest segment is TRUNCATED below it.  An expand-up segment truncates by
 * lowering its limit; an expand-down one cannot: its valid offsets are
 * limit+1 .. 0xFFFF (B = 0) or 0xFFFFFFFF (B = 1), the top is fixed by the
 * B flag, and raising the limit would forbid the offsets the guest may use.
 * The classic guests that use them (flat expand-down stacks, systest32's
 * ED_SEL: base 0, B = 1, offsets 0x1000..0xFFFFFFFF) reach the VMM's area.
 *
 * What a real VMM does (and vmlab does): the shadow of such a descriptor
 * (shadow.c) is an EMPTY expand-down segment -- same type, DPL (compressed)
 * and B, but limit 0xFFFFFFFF, so NO offset is valid.  The guest's segment
 * LOAD succeeds exactly as on hardware (the type/DPL/present checks see the
 * same fields), but every ACCESS through it faults (#GP(0), #SS(0) for SS)
 * into the VMM, which then
 *   1. installs the guest's TRUE descriptor cache (its limit, G and B) in
 *      the real segment register for one instruction,
 *   2. executes that one instruction with the CPU's own handler, with a
 *      memory watch that aborts it if any data access reaches the VMM's
 *      area (nothing is written before the abort: the watch runs after the
 *      translation, before the bytes move),
 *   3. puts the empty shadow cache back.
 * A fault of the instruction itself (an offset <= limit, a page fault) is
 * the guest's own, reflected as bare metal would deliver it.  An access
 * that reaches the VMM's area is emulated by hand for the MOV forms: the
 * guest sees what the bus holds there (the BIOS alias at 0xFFFF0000 ...),
 * with the VMM's own pages reading as unclaimed memory (all ones, writes
 * dropped) -- the one place where the VMM's presence shows; any other form
 * there, or with guest paging on, is refused with one line.
 *
 * The cost: one VMM entry per access through such a segment (a stack
 * segment makes every PUSH/POP/CALL trap).  The caveat: the true cache is
 * re-read from the guest's table at each access, so a guest that rewrites
 * the descriptor without reloading the register sees the new limit (a
 * processor would keep the old cache).
 */
#include <setjmp.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/isa.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "devices/bus.h"
#include "hypervisor/shadow.h"
#include "hypervisor/vm.h"
#include "hypervisor/vmm.h"

#define D_S	  (1ULL << 44)
#define D_B	  (1ULL << 54)
#define D_G	  (1ULL << 55)
#define D_TYPE(d) (((d) >> 40) & 0xf)

/* Is this real segment register an empty expand-down shadow (shadow.c)? */
static bool empty_expand_down(const struct segment *s)
{
	u32 upper = (s->attr & SEGA_DB) ? 0xffffffffu : 0xffffu;

	return !(s->attr & SEGA_UNUSABLE) && (s->attr & SEGA_S) &&
	       (s->attr & SEGA_TYPE & 0xc) == 4 && s->limit >= upper;
}

/* The data watch of step 2 (hooks.mem_watch, cpu/mem.c): any access that
 * touches [VMM_AREA_BASE, 4 GiB) aborts the instruction. */
static void watch(void *opaque, struct cpu *c, u64 lin, u64 pa, unsigned size, bool write)
{
	struct vmm *m = ((struct vm *)opaque)->vmm;

	(void)c, (void)pa, (void)write;
	if ((lin & 0xffffffffULL) + size > VMM_AREA_BASE)
		longjmp(*(jmp_buf *)m->edseg_abort, 2);
}

static bool same_seg(const struct segment *a, const struct segment *b)
{
	return a->sel == b->sel && a->base == b->base && a->limit == b->limit && a->attr == b->attr;
}

/* The guest's physical byte at pa with the VMM's area unclaimed. */
static u8 top_read8(struct vmm *m, u64 pa)
{
	if (pa >= VMM_AREA_BASE && pa < VMM_AREA_BASE + VMM_AREA_SIZE)
		return 0xff; /* unclaimed on bare metal: all ones */
	return (u8)bus_mem_read(&m->vm->board.bus, pa, 1);
}

/*
 * Step 2's fallback: the instruction's data reached the VMM's area.  A MOV
 * between a register (or immediate) and memory is performed here against
 * the guest's view of physical memory (paging off: linear = physical).
 */
static bool top_access(struct vmm *m, struct cpu *c, const struct insn *i)
{
	bool load, byte;
	unsigned size;
	u64 off, lin, v = 0;

	switch (i->form) {
	case FORM_MOV_GvEv:
	case FORM_MOV_rAXOv: load = true, byte = false; break;
	case FORM_MOV_GbEb:
	case FORM_MOV_ALOb: load = true, byte = true; break;
	case FORM_MOV_EvGv:
	case FORM_MOV_EvIz:
	case FORM_MOV_OvrAX: load = false, byte = false; break;
	case FORM_MOV_EbGb:
	case FORM_MOV_EbIb:
	case FORM_MOV_ObAL: load = false, byte = true; break;
	default: return false;
	}
	if (m->v.cr0 & CR0_PG)
		return false;
	size = byte ? 1 : i->osize;
	/* The moffs forms (A0-A3) carry the offset in the immediate. */
	off = i->has_modrm ? insn_ea(c, i) : i->imm & (i->asize == 2 ? 0xffff : 0xffffffff);
	lin = cpu_linear(c, i->seg, off, size, load ? ACC_READ : ACC_WRITE);
	if (load) {
		for (unsigned k = 0; k < size; k++)
			v |= (u64)top_read8(m, (lin + k) & 0xffffffff) << (8 * k);
		opnd_write(c, i, 0, v);
	} else {
		v = opnd_read(c, i, 1);
		for (unsigned k = 0; k < size; k++) {
			u64 pa = (lin + k) & 0xffffffff;

			if (pa < VMM_AREA_BASE || pa >= VMM_AREA_BASE + VMM_AREA_SIZE)
				bus_mem_write(&m->vm->board.bus, pa, (v >> (8 * k)) & 0xff, 1);
		}
	}
	return true;
}

enum vmm_edseg vmm_edseg_fault(struct vmm *m, struct cpu *c, int *vec, u32 *err)
{
	struct segment saved[SEG_COUNT], truecache[SEG_COUNT];
	bool mine[SEG_COUNT] = {false}, any = false;
	void (*old_watch)(void *, struct cpu *, u64, u64, unsigned, bool) = c->hooks.mem_watch;
	bool old_watch_mem = c->watch_mem;
	jmp_buf outer, abort_jb;
	void *old_abort = m->edseg_abort;
	volatile int r;
	struct insn i;
	u8 buf[15];
	unsigned n = 15;
	u64 lin = (c->seg[SEG_CS].base + c->rip) & 0xffffffff;

	if ((*vec != EXC_GP && *vec != EXC_SS) || *err != 0 || (c->rflags & FL_VM))
		return VMM_EDSEG_NONE;
	/* 1. Which registers hold an empty shadow of a guest expand-down
	 * segment, and their true caches. */
	for (int s = 0; s < SEG_COUNT; s++) {
		u64 g = 0;

		if (s == SEG_CS || !empty_expand_down(&c->seg[s]))
			continue;
		if (!vmm_guest_desc(m, c->seg[s].sel, &g) || !(g & D_S) || (D_TYPE(g) & 0xc) != 4)
			continue;
		saved[s] = truecache[s] = c->seg[s];
		truecache[s].limit = shadow_desc_limit(g);
		truecache[s].attr &= ~(u32)(SEGA_DB | SEGA_G);
		truecache[s].attr |= ((g & D_B) ? SEGA_DB : 0) | ((g & D_G) ? SEGA_G : 0);
		mine[s] = any = true;
	}
	if (!any)
		return VMM_EDSEG_NONE;
	while (n && !vmm_read(m, lin, buf, n))
		n--;
	if (!n || isa_decode(&i, buf, n, c->code_size) <= 0)
		return VMM_EDSEG_NONE;
	/* Only innocuous forms run on the CPU's own handler (a sensitive one
	 * is the emulator's, vmm_emul.c); LxS would read the VMM's GDT. */
	if (isa_forms[i.form].pg != PG_INNOCUOUS || i.form == FORM_LES_GzMp ||
	    i.form == FORM_LDS_GzMp || i.form == FORM_LSS_GvMp || i.form == FORM_LFS_GvMp ||
	    i.form == FORM_LGS_GvMp)
		return VMM_EDSEG_NONE;

	/* 2. One instruction on the true caches, under the watch. */
	c->next_rip = c->rip + i.len;
	if (c->code_size == 2)
		c->next_rip &= 0xffff;
	else
		c->next_rip &= 0xffffffff;
	memcpy(outer, c->fault_jmp, sizeof(outer));
	for (int s = 0; s < SEG_COUNT; s++)
		if (mine[s])
			c->seg[s] = truecache[s];
	c->hooks.mem_watch = watch;
	c->watch_mem = true;
	m->edseg_abort = &abort_jb;
	r = setjmp(abort_jb);
	if (r == 0) {
		if (setjmp(c->fault_jmp)) {
			r = 1; /* the instruction's own fault */
		} else {
			isa_forms[i.form].handler(c, &i);
			r = 0;
		}
	}
	c->hooks.mem_watch = old_watch;
	c->watch_mem = old_watch_mem;
	m->edseg_abort = old_abort;
	if (r == 2) {
		/* Reached the VMM's area: by hand, or refused.  A fault here
		 * (the true limit) longjmps through c->fault_jmp again. */
		if (!setjmp(c->fault_jmp)) {
			if (top_access(m, c, &i)) {
				r = 0;
			} else {
				vmm_refuse(
				    m,
				    "guest %s at eip=0x%llx reaches the VMM's area (0x%llx+) "
				    "through an expand-down segment: only MOV with paging off "
				    "is emulated there",
				    isa_forms[i.form].name, (unsigned long long)c->rip,
				    (unsigned long long)VMM_AREA_BASE);
				r = 3;
			}
		} else {
			r = 1;
		}
	}
	memcpy(c->fault_jmp, outer, sizeof(outer));

	/* 3. The empty shadows back, unless the instruction reloaded one. */
	for (int s = 0; s < SEG_COUNT; s++)
		if (mine[s] && same_seg(&c->seg[s], &truecache[s]))
			c->seg[s] = saved[s];
	if (r == 3)
		return VMM_EDSEG_DONE;
	if (r == 1) {
		*vec = c->pending_vector;
		*err = c->pending_error;
		c->pending_vector = -1;
		return VMM_EDSEG_FAULT;
	}
	c->rip = c->next_rip;
	c->rflags &= ~(u64)FL_RF;
	c->stats.insns++;
	if (c->retired)
		(*c->retired)++;
	m->stats.edseg_emulated++;
	return VMM_EDSEG_DONE;
}
