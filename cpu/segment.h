/*
 * segment.h - segment descriptors, selectors and segment-register loads
 * (SDM Vol 3 ch. 3 "Protected-Mode Memory Management", §3.4 and §5.5-5.8
 * for the privilege checks; Vol 2 MOV/POP/LDS/LSS for the load rules).
 *
 * A descriptor is read from the GDT or LDT as raw 8 (or, for system
 * descriptors in IA-32e mode, 16) bytes and parsed into the hidden part of a
 * segment register: struct segment (cpu/cpu.h) whose `attr` uses the VMX
 * access-rights layout.  Every load checks what the SDM pseudocode checks and
 * raises the architectural exception with the selector error code.
 */
#ifndef VMLAB_CPU_SEGMENT_H
#define VMLAB_CPU_SEGMENT_H

#include "cpu/cpu.h"

/* Selector fields (SDM Vol 3 §3.4.2, Figure 3-6). */
#define SEL_RPL(s)     ((unsigned)(s)&3)
#define SEL_TI	       4u
#define SEL_INDEX(s)   ((unsigned)(s) >> 3)
#define SEL_IS_NULL(s) (((s) & ~3u) == 0)
/* The error code that names a selector (SDM Vol 3 §6.13): index and TI, with
 * the RPL bits replaced by IDT = 0 and EXT = 0 (the caller or-s EXT in). */
#define SEL_ERR(s) ((u32)(s)&0xfffcu)

/* Type field of code/data descriptors (S = 1), SDM Vol 3 Table 3-1. */
enum { SEGT_A = 1, SEGT_RW = 2, SEGT_CE = 4, SEGT_CODE = 8 };

/* Type field of system descriptors (S = 0), SDM Vol 3 Table 3-2.  In IA-32e
 * mode the 32-bit names are the 64-bit types and the 16-bit ones are invalid. */
enum {
	DESC_TSS16 = 1,
	DESC_LDT = 2,
	DESC_TSS16_BUSY = 3,
	DESC_CALL16 = 4,
	DESC_TASK = 5,
	DESC_INT16 = 6,
	DESC_TRAP16 = 7,
	DESC_TSS = 9,
	DESC_TSS_BUSY = 11,
	DESC_CALL = 12,
	DESC_INT = 14,
	DESC_TRAP = 15,
};

/* A gate (call, interrupt, trap, task): SDM Vol 3 Figures 5-8, 6-2, 6-8. */
struct gate {
	u16 sel;    /* target code segment (TSS for a task gate) */
	u64 offset; /* entry point */
	u8 type;    /* DESC_CALL, DESC_INT ... */
	u8 dpl;
	u8 ist;	   /* 64-bit interrupt/trap gates: IST index 0-7 */
	u8 params; /* call gates in legacy mode: parameter count */
	bool present;
};

static inline unsigned seg_dpl(u32 attr)
{
	return (attr >> SEGA_DPL_SHIFT) & 3;
}
static inline bool seg_is_code(u32 attr)
{
	return (attr & SEGA_S) && (attr & SEGT_CODE);
}
static inline bool seg_is_conforming(u32 attr)
{
	return seg_is_code(attr) && (attr & SEGT_CE);
}
/* A data segment that may be written: S = 1, code = 0, W = 1. */
static inline bool seg_is_writable_data(u32 attr)
{
	return (attr & SEGA_S) && !(attr & SEGT_CODE) && (attr & SEGT_RW);
}
/* Data, or readable code: what DS/ES/FS/GS may hold. */
static inline bool seg_is_readable(u32 attr)
{
	return (attr & SEGA_S) && (!(attr & SEGT_CODE) || (attr & SEGT_RW));
}

/* Raw descriptor (low 8 bytes) -> fields.  Pure functions, no CPU needed. */
u64 desc_base(u64 d);
u32 desc_limit(u64 d); /* byte-granular: G already applied */
u32 desc_attr(u64 d);  /* VMX access-rights layout */
void desc_to_segment(u64 d, u16 sel, struct segment *s);
/* Gate from the low and high 8 bytes (hi is used only by 64-bit gates:
 * pass long_mode to read the 16-byte form). */
void desc_to_gate(u64 lo, u64 hi, bool long_mode, struct gate *g);

/*
 * Read the 8-byte descriptor a selector names (GDT or LDT by TI).  Returns
 * false -- reading nothing -- when the selector is beyond the table limit or
 * names the LDT while LDTR is unusable; the caller raises the fault its
 * instruction specifies.  *addr receives the descriptor's linear address.
 * May raise #PF (the descriptor tables are paged like everything else).
 */
bool seg_read_desc(struct cpu *c, u16 sel, u64 *d, u64 *addr);
/* System descriptors in IA-32e mode are 16 bytes (SDM Vol 3 §7.2.3): reads
 * both halves, checking index*8 + 15 against the limit.  GDT only when
 * gdt_only (LTR/LLDT). */
bool seg_read_desc16(struct cpu *c, u16 sel, bool gdt_only, u64 *lo, u64 *hi, u64 *addr);
/* Set the accessed bit (type bit 0) in memory when it is clear. */
void seg_set_accessed(struct cpu *c, u64 addr, u64 *d);

/* Make segment register s hold a null selector: unusable, DPL = RPL(sel). */
void seg_load_null(struct cpu *c, enum sreg s, u16 sel);
/* Load a descriptor into the cache without checks (the caller did them). */
void seg_load_desc(struct cpu *c, enum sreg s, u16 sel, u64 d);

/*
 * MOV Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS: load data/stack segment register s
 * with every check of the current mode (real/VM86: base = sel << 4; protected
 * and IA-32e: the descriptor checks, #GP/#SS/#NP with the selector).  Not for
 * CS, which only far transfers load (cpu/exec_far.c).
 */
void cpu_load_seg(struct cpu *c, enum sreg s, u16 sel);

/*
 * The first checks on the code segment a far JMP/CALL/RET/IRET or an
 * interrupt transfers to: null -> #GP(ext), beyond the table -> #GP(sel),
 * not a code segment -> #GP(sel), and in IA-32e mode L = D = 1 -> #GP(sel).
 * `ext` (0 or 1) is or-ed into the error codes.  The privilege rules differ
 * per instruction, so the caller checks DPL/RPL next, then calls
 * seg_check_present() which raises #NP(sel) and sets the accessed bit.
 */
void seg_check_code(struct cpu *c, u16 sel, u64 *d, u64 *addr, u32 ext);
void seg_check_present(struct cpu *c, u16 sel, u64 *d, u64 addr, u32 ext);
/* Load CS for a far transfer: selector RPL forced to `cpl`, cache from d,
 * then cpu_update_mode(). */
void seg_load_cs(struct cpu *c, u16 sel, u64 d, unsigned cpl);

/* After a return to an outer privilege level (RET far, IRET): data segment
 * registers the new CPL may not use become null (SDM Vol 2 RET, "FOR each
 * of segment register (ES, FS, GS, and DS)"). */
void seg_invalidate_outer(struct cpu *c);

/* Is offset..offset+size-1 inside a segment's limit (expand-down aware)? */
bool seg_in_limit(const struct segment *s, u64 off, unsigned size);

#endif
