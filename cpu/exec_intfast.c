/*
 * exec_intfast.c - the fast path of the 64-bit system-call round trip by
 * software interrupt: INT n through a 64-bit interrupt/trap gate (SDM Vol 3
 * §6.14.1-6.14.5, Vol 2 "INT n/INTO/INT3/INT1" IA-32e-MODE branches) and
 * IRETQ back from it (SDM Vol 2 "IRET/IRETD/IRETQ", IA-32e-MODE and
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL).  Issue 9.
 *
 * The full paths (cpu/exception.c deliver_prot, cpu/exec_far.c IRET) are
 * the reference and handle every case.  They are slow mainly because they
 * are general: setjmp and two jmp_buf copies for double-fault detection,
 * every descriptor-table and stack access through the generic linear
 * access, two cpu_update_mode() calls ...  The fast path below takes only
 * the common case and makes EVERY check of the SDM on the way, in the same
 * order of meaning; the difference is what it does when a check fails:
 *
 *   - a check fails, or a memory access is not a soft-TLB hit on one page
 *     (a miss, a page split, MMIO, a code page under write watch, a
 *     watchpoint): return false BEFORE any state changed, and the caller
 *     runs the full path, which redoes everything and raises the fault;
 *   - a descriptor's accessed bit is clear: also false (the full path
 *     sets it in memory).
 *
 * Nothing is cached between instructions: the IDT entry, the code and
 * stack descriptors and TSS.RSP0/IST are read from guest memory (through
 * the TLB's host pointer, a few host instructions each) on every event, so
 * a guest that rewrites its IDT, GDT or TSS is seen at once, with no
 * invalidation rule to get wrong.  The per-event saving is the general
 * machinery, not the checks.
 *
 * tests/unit/test_intfast.c runs both paths on random valid states and on
 * states that must fall back, and compares the results.
 */
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/segment.h"
#include "cpu/system.h"
#include "mmu/paging.h" /* PG_PERM, the rights classes */

/*
 * The host address of lin..lin+size-1 when the soft TLB holds its page
 * with the rights the access needs, else NULL.  The TLB only gives rights
 * bits to canonical pages, so a hit also means "canonical".  Descriptor
 * tables, the TSS and an inner stack are implicit supervisor accesses:
 * class PG_CLASS_SUP whatever the CPL (SDM Vol 3 §4.6).
 */
static inline u8 *host_of(struct cpu *c, u64 lin, unsigned size, enum pg_class cls,
			  enum pg_access kind)
{
	u64 pcid = (c->cr4 & CR4_PCIDE) ? (c->cr3 & 0xfff) : 0;
	struct tlb_entry *e;

	if ((lin & 0xfff) + size > 4096)
		return NULL;
	e = tlb_lookup(c->tlb, lin, pcid, PG_PERM(cls, kind));
	return e ? e->host + (lin & 0xfff) : NULL;
}

static inline u64 ld64(const u8 *h)
{
	return mem_host_load(h, 8);
}

/*
 * The 8-byte code/data descriptor `sel` names, read as seg_read_desc()
 * does (GDT, or LDT when TI = 1; the whole descriptor inside the limit),
 * with its accessed bit already set.  false: not found, not a TLB hit, or
 * A = 0 -- the full path decides.
 */
static bool desc_of(struct cpu *c, u16 sel, u64 *d)
{
	const struct segment *ldt = &c->ldtr;
	u64 base = c->gdtr.base, idx = SEL_INDEX(sel) * 8ULL;
	u32 limit = c->gdtr.limit;
	u8 *h;

	if (sel & SEL_TI) {
		if (ldt->attr & SEGA_UNUSABLE)
			return false;
		base = ldt->base;
		limit = ldt->limit;
	}
	if (idx + 7 > limit || !(h = host_of(c, base + idx, 8, PG_CLASS_SUP, PG_READ)))
		return false;
	*d = ld64(h);
	return (*d & BIT(40)) != 0; /* type bit 0: accessed */
}

/* A present 64-bit code segment (S = 1, code, L = 1, D = 0): what both an
 * interrupt gate and IRETQ to 64-bit code need (seg_check_code,
 * seg_check_present and the IA-32e L/D rules). */
static bool code64(u32 a)
{
	return seg_is_code(a) && (a & SEGA_P) && (a & (SEGA_L | SEGA_DB)) == SEGA_L;
}

/*
 * INT n in 64-bit mode through an interrupt or trap gate, CPL -> gate's
 * code segment DPL (SDM Vol 3 §6.14.2: the stack switch always loads a
 * null SS, RSP from TSS.RSPn or the IST, aligned down to 16; the frame is
 * always SS, RSP, RFLAGS, CS, RIP).  true: delivered, the CPU is at the
 * handler's first instruction; false: nothing changed.
 */
bool cpu_int_fast(struct cpu *c, u8 vec)
{
	u64 lo, hi, cd, off, new_sp, fl, frame_sp;
	unsigned new_cpl;
	enum pg_class cls;
	bool outer;
	u16 sel;
	u32 a;
	u8 *h;

	if (c->mode != CPU_MODE_LONG64 || c->watch_mem)
		return false;

	/* 1. The gate (§6.14.1, Figure 6-8): inside the IDT limit, present,
	 * a 64-bit interrupt (14) or trap (15) gate -- S = 0 and the type
	 * together are bits 44:40 -- with DPL >= CPL for INT n (§6.12.1.1). */
	if ((u64)vec * 16 + 15 > c->idtr.limit)
		return false;
	h = host_of(c, c->idtr.base + (u64)vec * 16, 16, PG_CLASS_SUP, PG_READ);
	if (!h)
		return false;
	lo = ld64(h);
	hi = ld64(h + 8);
	if ((BITS(lo, 44, 40) | 1) != DESC_TRAP || !(lo & BIT(47)) || BITS(lo, 46, 45) < c->cpl)
		return false;
	sel = (u16)BITS(lo, 31, 16);
	off = BITS(lo, 15, 0) | (BITS(lo, 63, 48) << 16) | (BITS(hi, 31, 0) << 32);

	/* 2. The handler's code segment: not null, a present 64-bit code
	 * segment with DPL <= CPL; the entry point canonical. */
	if (SEL_IS_NULL(sel) || !desc_of(c, sel, &cd))
		return false;
	a = desc_attr(cd);
	if (!code64(a) || seg_dpl(a) > c->cpl || !cpu_canonical(c, off))
		return false;

	/* 3. The stack: TSS.RSPn on a privilege change (non-conforming, more
	 * privileged), IST n when the gate names one (§6.14.5), else the
	 * current one; then aligned down to 16 (§6.14.2). */
	outer = !seg_is_conforming(a) && seg_dpl(a) < c->cpl;
	new_cpl = outer ? seg_dpl(a) : c->cpl;
	new_sp = c->gpr[RSP];
	if (outer || BITS(lo, 34, 32)) {
		unsigned ist = (unsigned)BITS(lo, 34, 32);
		u64 at = ist ? 28 + (u64)ist * 8 : 4 + (u64)new_cpl * 8;

		if (at + 7 > c->tr.limit ||
		    !(h = host_of(c, c->tr.base + at, 8, PG_CLASS_SUP, PG_READ)))
			return false;
		new_sp = ld64(h);
	}
	new_sp &= ~15ULL;

	/* 4. The five-slot frame, one TLB hit on one page (the handler's rights
	 * class: an implicit supervisor write unless the handler runs at 3). */
	frame_sp = new_sp - 40;
	cls = new_cpl < 3 ? PG_CLASS_SUP : PG_CLASS_USER;
	if (!(h = host_of(c, frame_sp, 40, cls, PG_WRITE)))
		return false;

	/* 5. Commit: nothing below can fail. */
	fl = cpu_rflags(c);
	mem_host_store(h + 32, 8, c->seg[SEG_SS].sel);
	mem_host_store(h + 24, 8, c->gpr[RSP]);
	mem_host_store(h + 16, 8, fl);
	mem_host_store(h + 8, 8, c->seg[SEG_CS].sel);
	mem_host_store(h, 8, c->next_rip);
	trace_emit(c->trace, TRACE_INT, c->index, c->seg[SEG_CS].base + c->rip, vec, 1, 0, 0, NULL);
	if (outer)
		seg_load_null(c, SEG_SS, (u16)new_cpl);
	c->gpr[RSP] = frame_sp;
	fl &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
	if (BITS(lo, 43, 40) == DESC_INT)
		fl &= ~FL_IF; /* interrupt gate: the handler starts with IF = 0 */
	cpu_set_rflags(c, fl);
	seg_load_cs(c, sel, cd, new_cpl);
	c->rip = c->next_rip = off;
	return true;
}

/*
 * IRETQ in 64-bit mode back to 64-bit code (SDM Vol 2 IRET, IA-32e-MODE:
 * RIP, CS, RFLAGS, RSP, SS are always popped).  The caller checked the
 * operand size (REX.W) and ran the intercept.  true: done (next_rip set);
 * false: nothing changed.
 */
bool cpu_iretq_fast(struct cpu *c)
{
	u64 rsp = c->gpr[RSP], ip, fl, nsp, cd, sd = 0, m;
	unsigned rpl;
	u16 sel, ss;
	u32 a;
	u8 *h;

	if (c->mode != CPU_MODE_LONG64 || (c->rflags & FL_NT))
		return false;
	/* The frame: an explicit read at the current CPL (mem_fast_host also
	 * declines watchpoints and a due #AC); five slots on one page. */
	if ((rsp & 0xfff) + 40 > 4096 || !(h = mem_fast_host(c, SEG_SS, rsp, 8, 0)))
		return false;
	ip = ld64(h);
	sel = (u16)ld64(h + 8);
	fl = ld64(h + 16);
	nsp = ld64(h + 24);
	ss = (u16)ld64(h + 32);

	/* CS (SDM RET/IRET "PROTECTED-MODE-RETURN"): RPL >= CPL, a present
	 * 64-bit code segment, DPL == RPL (non-conforming) or <= RPL
	 * (conforming); RIP canonical. */
	rpl = SEL_RPL(sel);
	if (rpl < c->cpl || SEL_IS_NULL(sel) || !desc_of(c, sel, &cd))
		return false;
	a = desc_attr(cd);
	if (!code64(a) || (seg_is_conforming(a) ? seg_dpl(a) > rpl : seg_dpl(a) != rpl) ||
	    !cpu_canonical(c, ip))
		return false;

	/* SS: null is allowed only back to CPL < 3 (64-bit code); otherwise a
	 * present writable data segment with RPL = DPL = the new CPL. */
	if (SEL_IS_NULL(ss)) {
		if (rpl == 3)
			return false;
	} else {
		if (SEL_RPL(ss) != rpl || !desc_of(c, ss, &sd))
			return false;
		a = desc_attr(sd);
		if (!seg_is_writable_data(a) || seg_dpl(a) != rpl || !(a & SEGA_P))
			return false;
	}

	/* RFLAGS: what IRET may change at the current CPL (SDM Vol 2 IRET:
	 * IF only when CPL <= IOPL; IOPL, VIF, VIP only at CPL 0; never VM
	 * in IA-32e mode). */
	m = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID;
	if (c->cpl <= ((c->rflags >> 12) & 3))
		m |= FL_IF;
	if (c->cpl == 0)
		m |= FL_IOPL | FL_VIF | FL_VIP;
	/* m covers every arithmetic flag, so the lazy ones need not be
	 * materialized: c->rflags always holds the others (cpu/cpu.h). */
	fl = (c->rflags & ~m) | (fl & m);

	/* Commit. */
	cpu_set_rflags(c, fl);
	seg_load_desc(c, SEG_CS, sel, cd);
	if (SEL_IS_NULL(ss))
		seg_load_null(c, SEG_SS, ss);
	else
		seg_load_desc(c, SEG_SS, ss, sd);
	cpu_update_mode(c); /* CPL = CS.RPL; still 64-bit mode */
	c->gpr[RSP] = nsp;
	seg_invalidate_outer(c); /* DS/ES/FS/GS the new CPL may not use */
	c->nmi_blocked = false;	 /* IRET ends NMI blocking (SDM Vol 3 §6.7.1) */
	c->next_rip = ip;
	return true;
}
