/*
 * segment.c - descriptors and segment-register loads (SDM Vol 3 §3.4-3.5,
 * §5.5-5.8; Vol 2 "MOV - Move to/from Segment Registers", "POP", "LDS/LES/
 * LFS/LGS/LSS" operation pseudocode).
 *
 * A selector is an index into the GDT or LDT.  Loading it into a segment
 * register reads the 8-byte descriptor there, checks it against the current
 * privilege level, and copies base/limit/attributes into the register's
 * hidden cache; later memory accesses use only the cache.  That is why
 * changing a descriptor in memory does not change a loaded segment -- and why
 * "unreal mode" works.
 */
#include "cpu/segment.h"

#include "cpu/mem.h"
#include "lib/err.h"

/* ---- parsing a descriptor (SDM Vol 3 Figure 3-8) --------------------------
 *
 *  63    56 55 54 53 52 51  48 47 46 45 44 43  40 39          16 15        0
 * +--------+--+--+--+--+------+--+-----+--+-----+--------------+-----------+
 * |base    |G |DB|L |AV|limit |P | DPL |S |type |base 23:0     |limit 15:0 |
 * |31:24   |  |  |  |L |19:16 |  |     |  |     |              |           |
 */

u64 desc_base(u64 d)
{
	return BITS(d, 39, 16) | (BITS(d, 63, 56) << 24);
}

u32 desc_limit(u64 d)
{
	u32 raw = (u32)(BITS(d, 15, 0) | (BITS(d, 51, 48) << 16));
	/* G = 1: the limit counts 4 KiB pages; the low 12 bits read as ones. */
	return (d & BIT(55)) ? (raw << 12) | 0xfff : raw;
}

u32 desc_attr(u64 d)
{
	/* Bits 47:40 and 55:52 of the descriptor, moved down by 40, are exactly
	 * the VMX access-rights layout (type S DPL P .... AVL L D/B G). */
	return (u32)((d >> 40) & 0xf0ff);
}

void desc_to_segment(u64 d, u16 sel, struct segment *s)
{
	s->sel = sel;
	s->base = desc_base(d);
	s->limit = desc_limit(d);
	s->attr = desc_attr(d);
}

/* Gates (SDM Vol 3 Figure 5-8 call gate, 6-2 IDT gates, 6-8 64-bit gates). */
void desc_to_gate(u64 lo, u64 hi, bool long_mode, struct gate *g)
{
	g->sel = (u16)BITS(lo, 31, 16);
	g->offset = BITS(lo, 15, 0) | (BITS(lo, 63, 48) << 16);
	g->type = (u8)BITS(lo, 43, 40);
	g->dpl = (u8)BITS(lo, 46, 45);
	g->present = (lo >> 47) & 1;
	g->params = (u8)BITS(lo, 36, 32);
	g->ist = long_mode ? (u8)BITS(lo, 34, 32) : 0;
	if (long_mode)
		g->offset |= BITS(hi, 31, 0) << 32;
	/* 16-bit gates only use offset 15:0 (the high half is reserved). */
	if (!long_mode &&
	    (g->type == DESC_CALL16 || g->type == DESC_INT16 || g->type == DESC_TRAP16))
		g->offset &= 0xffff;
}

/* ---- reading descriptor tables ---------------------------------------- */

/* Table base and limit for a selector: GDT, or the LDT when TI = 1. */
static bool table_of(struct cpu *c, u16 sel, u64 *base, u32 *limit)
{
	if (sel & SEL_TI) {
		if (c->ldtr.attr & SEGA_UNUSABLE)
			return false;
		*base = c->ldtr.base;
		*limit = c->ldtr.limit;
	} else {
		*base = c->gdtr.base;
		*limit = c->gdtr.limit;
	}
	return true;
}

bool seg_read_desc(struct cpu *c, u16 sel, u64 *d, u64 *addr)
{
	u64 base;
	u32 limit;

	if (!table_of(c, sel, &base, &limit))
		return false;
	/* The whole 8-byte descriptor must lie inside the table limit. */
	if ((u64)SEL_INDEX(sel) * 8 + 7 > limit)
		return false;
	*addr = base + SEL_INDEX(sel) * 8;
	if (c->mode != CPU_MODE_LONG64)
		*addr &= 0xffffffffu; /* linear addresses wrap at 4 GiB outside 64-bit mode */
	*d = cpu_read_lin(c, *addr, 8, true);
	return true;
}

bool seg_read_desc16(struct cpu *c, u16 sel, bool gdt_only, u64 *lo, u64 *hi, u64 *addr)
{
	u64 base;
	u32 limit;

	if (gdt_only && (sel & SEL_TI))
		return false;
	if (!table_of(c, sel, &base, &limit))
		return false;
	if ((u64)SEL_INDEX(sel) * 8 + 15 > limit)
		return false;
	*addr = base + SEL_INDEX(sel) * 8;
	*lo = cpu_read_lin(c, *addr, 8, true);
	*hi = cpu_read_lin(c, *addr + 8, 8, true);
	return true;
}

void seg_set_accessed(struct cpu *c, u64 addr, u64 *d)
{
	/* The processor sets the A bit (a locked read-modify-write of byte 5)
	 * the first time a segment is loaded; OSes use it for LRU swapping of
	 * segments.  Skip the write when it is already set, as hardware does
	 * (a read-only GDT page then does not fault). */
	if (*d & BIT(40))
		return;
	*d |= BIT(40);
	cpu_write_lin(c, addr + 5, 1, (*d >> 40) & 0xff, true);
}

/* ---- loading the cache ------------------------------------------------- */

void seg_load_null(struct cpu *c, enum sreg s, u16 sel)
{
	/* A null selector leaves the register "unusable" (VMX wording): any
	 * access through it raises #GP(0) (#SS(0) for SS).  Keep DPL = RPL so
	 * SS.DPL stays equal to the CPL (the 64-bit null-SS case). */
	c->seg[s].sel = sel;
	c->seg[s].base = 0;
	c->seg[s].limit = 0;
	c->seg[s].attr = SEGA_UNUSABLE | (SEL_RPL(sel) << SEGA_DPL_SHIFT);
}

void seg_load_desc(struct cpu *c, enum sreg s, u16 sel, u64 d)
{
	desc_to_segment(d, sel, &c->seg[s]);
}

bool seg_in_limit(const struct segment *s, u64 off, unsigned size)
{
	u64 last = off + size - 1;

	if (size == 0)
		return true;
	if ((s->attr & SEGA_S) && !(s->attr & SEGT_CODE) && (s->attr & SEGT_CE)) {
		/* Expand-down data segment (SDM Vol 3 §3.4.5.1): valid offsets are
		 * limit+1 .. 0xFFFF (B = 0) or 0xFFFFFFFF (B = 1). */
		u64 top = (s->attr & SEGA_DB) ? 0xffffffffu : 0xffffu;
		return off > s->limit && last <= top && last >= off;
	}
	return last <= s->limit && last >= off;
}

/* ---- MOV/POP Sreg, LxS ------------------------------------------------- */

/*
 * Protected-mode and IA-32e-mode load of SS (SDM Vol 2 MOV, "IF SS is
 * loaded").  The stack segment must be a present writable data segment with
 * RPL = DPL = CPL: the stack is always at the current privilege level.
 */
static void load_ss(struct cpu *c, u16 sel)
{
	u64 d, addr;
	u32 a;

	if (SEL_IS_NULL(sel)) {
		/* 64-bit mode allows a null SS at CPL 0-2 when RPL = CPL (the
		 * interrupt/SYSCALL paths leave SS null); everywhere else #GP(0). */
		if (c->mode == CPU_MODE_LONG64 && c->cpl < 3 && SEL_RPL(sel) == c->cpl) {
			seg_load_null(c, SEG_SS, sel);
			return;
		}
		cpu_raise(c, EXC_GP, 0);
	}
	if (!seg_read_desc(c, sel, &d, &addr))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	a = desc_attr(d);
	if (SEL_RPL(sel) != c->cpl || !seg_is_writable_data(a) || seg_dpl(a) != c->cpl)
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!(a & SEGA_P))
		cpu_raise(c, EXC_SS, SEL_ERR(sel));
	seg_set_accessed(c, addr, &d);
	seg_load_desc(c, SEG_SS, sel, d);
}

/* DS, ES, FS, GS (SDM Vol 2 MOV, "IF DS, ES, FS, or GS is loaded"). */
static void load_data(struct cpu *c, enum sreg s, u16 sel)
{
	u64 d, addr;
	u32 a;

	if (SEL_IS_NULL(sel)) {
		/* Allowed: the fault comes later, at the first use. */
		seg_load_null(c, s, sel);
		return;
	}
	if (!seg_read_desc(c, sel, &d, &addr))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	a = desc_attr(d);
	if (!seg_is_readable(a))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	/* Data and non-conforming code: the selector's RPL and the CPL must
	 * both be at least as privileged as the segment (max(CPL,RPL) <= DPL).
	 * Conforming code segments may be read from any level. */
	if (!seg_is_conforming(a) && (SEL_RPL(sel) > seg_dpl(a) || c->cpl > seg_dpl(a)))
		cpu_raise(c, EXC_GP, SEL_ERR(sel));
	if (!(a & SEGA_P))
		cpu_raise(c, EXC_NP, SEL_ERR(sel));
	seg_set_accessed(c, addr, &d);
	seg_load_desc(c, s, sel, d);
	/* 64-bit mode: FS.base/GS.base are the IA32_FS_BASE/IA32_GS_BASE MSRs;
	 * a selector load overwrites them with the descriptor's 32-bit base
	 * (zero-extended), which is what we just did.  DS/ES/SS bases are loaded
	 * too but ignored by 64-bit address generation. */
}

void cpu_load_seg(struct cpu *c, enum sreg s, u16 sel)
{
	if (s == SEG_CS || s >= SEG_COUNT)
		panic("cpu_load_seg: segment register %d cannot be loaded this way", s);

	/* Real mode and virtual-8086 mode: no descriptors, base = selector * 16
	 * (SDM Vol 3 §20.1.1); the limit and attributes stay as they were. */
	if (c->mode == CPU_MODE_REAL || c->mode == CPU_MODE_VM86) {
		cpu_load_seg_real(c, s, sel);
		return;
	}
	if (s == SEG_SS) {
		load_ss(c, sel);
		cpu_update_mode(c); /* SS.B decides the stack size */
	} else {
		load_data(c, s, sel);
	}
}

/* ---- code segments for far transfers ------------------------------------ */

void seg_check_code(struct cpu *c, u16 sel, u64 *d, u64 *addr, u32 ext)
{
	u32 a;

	if (SEL_IS_NULL(sel))
		cpu_raise(c, EXC_GP, ext);
	if (!seg_read_desc(c, sel, d, addr))
		cpu_raise(c, EXC_GP, SEL_ERR(sel) | ext);
	a = desc_attr(*d);
	if (!seg_is_code(a))
		cpu_raise(c, EXC_GP, SEL_ERR(sel) | ext);
	/* IA-32e mode: L = 1 with D = 1 is reserved for future use. */
	if ((c->efer & EFER_LMA) && (a & SEGA_L) && (a & SEGA_DB))
		cpu_raise(c, EXC_GP, SEL_ERR(sel) | ext);
}

void seg_check_present(struct cpu *c, u16 sel, u64 *d, u64 addr, u32 ext)
{
	if (!(*d & BIT(47)))
		cpu_raise(c, EXC_NP, SEL_ERR(sel) | ext);
	seg_set_accessed(c, addr, d);
}

void seg_load_cs(struct cpu *c, u16 sel, u64 d, unsigned cpl)
{
	/* CS.RPL always equals the CPL after a far transfer -- even into a
	 * conforming segment whose DPL is lower (SDM Vol 3 §5.8.1.2). */
	seg_load_desc(c, SEG_CS, (u16)((sel & ~3u) | cpl), d);
	c->cpl = (u8)cpl;
	cpu_update_mode(c);
}

void seg_invalidate_outer(struct cpu *c)
{
	static const enum sreg regs[] = {SEG_ES, SEG_FS, SEG_GS, SEG_DS};

	for (unsigned k = 0; k < ARRAY_SIZE(regs); k++) {
		struct segment *s = &c->seg[regs[k]];

		if (s->attr & SEGA_UNUSABLE)
			continue;
		/* A data or non-conforming code segment more privileged than the
		 * new CPL must not stay usable: it would leak kernel data. */
		if ((!seg_is_code(s->attr) || !seg_is_conforming(s->attr)) &&
		    seg_dpl(s->attr) < c->cpl)
			seg_load_null(c, regs[k], 0);
	}
}
