/*
 * mem.h - how instructions reach memory: segmentation (SDM Vol 3 ch. 3),
 * then paging (mmu/, Vol 3 ch. 4), then the bus, with the soft TLB in front.
 *
 * All functions raise the architectural exception on failure (#GP/#SS for
 * segment checks, #PF for paging, #AC for alignment checks) and never return
 * in that case.  Sizes are 1, 2, 4, 8 (and 16 for cpu_read16/CMPXCHG16B).
 * Accesses that cross a page boundary are split; both pages are checked
 * before any byte is written.
 */
#ifndef VMLAB_CPU_MEM_H
#define VMLAB_CPU_MEM_H

#include "cpu/cpu.h"

/* The kind of access, as the page walker and the fault error code see it. */
enum mem_access { ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2 };

/* Segment-relative (logical) accesses: DS:offset etc. */
u64 cpu_read(struct cpu *c, enum sreg s, u64 off, unsigned size);
void cpu_write(struct cpu *c, enum sreg s, u64 off, unsigned size, u64 v);
/* Read with write intent for read-modify-write instructions: a fault is
 * reported as a write fault, as on hardware. Follow it with cpu_write(). */
u64 cpu_rmw_read(struct cpu *c, enum sreg s, u64 off, unsigned size);

/* Segmentation only: logical -> linear, with limit/type/canonical checks. */
u64 cpu_linear(struct cpu *c, enum sreg s, u64 off, unsigned size, enum mem_access acc);

/* Linear accesses (descriptor tables, the TSS, IDT): `sys` = supervisor
 * access regardless of CPL (SDM Vol 3 §4.6 "implicit supervisor access"). */
u64 cpu_read_lin(struct cpu *c, u64 lin, unsigned size, bool sys);
void cpu_write_lin(struct cpu *c, u64 lin, unsigned size, u64 v, bool sys);

/* Fetch up to `len` code bytes at linear address `lin` into buf, stopping at
 * the end of the page; returns the number fetched (>= 1) or raises #PF. */
unsigned cpu_fetch_page(struct cpu *c, u64 lin, u8 *buf, unsigned len);

/* Stack helpers using SS and the current stack size (SDM Vol 1 §6.2). */
void cpu_push(struct cpu *c, unsigned size, u64 v);
u64 cpu_pop(struct cpu *c, unsigned size);

/* Translate linear -> physical without side effects (no A/D updates, no
 * fault raised); returns false when not mapped.  For the monitor/debugger. */
bool cpu_debug_translate(struct cpu *c, u64 lin, u64 *pa);

/* Port I/O as the CPU does it (permission checks are the caller's). */
u64 cpu_port_in(struct cpu *c, u16 port, unsigned size);
void cpu_port_out(struct cpu *c, u16 port, unsigned size, u64 v);

/* Drop cached translations: all, non-global only, or one page. */
void cpu_tlb_flush(struct cpu *c, bool include_global);
void cpu_tlb_flush_page(struct cpu *c, u64 lin);

/* --- Added by the memory path (mem.c); see mmu/tlb.h for who calls what --- */

/* Allocate / free c->tlb (called by cpu_init / cpu_fini). */
void cpu_mem_init(struct cpu *c);
void cpu_mem_fini(struct cpu *c);

/* 16-byte accesses (CMPXCHG16B, SSE moves).  v[0] is the low quadword.
 * The 16-byte alignment rules of the instruction are the handler's check. */
void cpu_read16(struct cpu *c, enum sreg s, u64 off, u64 v[2]);
void cpu_rmw_read16(struct cpu *c, enum sreg s, u64 off, u64 v[2]);
void cpu_write16(struct cpu *c, enum sreg s, u64 off, const u64 v[2]);

/*
 * TLB coherence hooks for the system instructions.  Call them AFTER the
 * register holds its new value:
 *   cpu_tlb_mov_cr0(c, old_cr0)     MOV to CR0, CLTS, LMSW
 *   cpu_tlb_mov_cr3(c, value)       MOV to CR3, task switch; `value` is the
 *                                   operand as written (bit 63 = PCID no-flush);
 *                                   c->cr3 must already hold it with bit 63 clear
 *   cpu_tlb_mov_cr4(c, old_cr4)     MOV to CR4
 *   cpu_tlb_wrmsr_efer(c, old_efer) WRMSR IA32_EFER
 *   cpu_tlb_flush_page(c, lin)      INVLPG
 *   cpu_tlb_invpcid(c, type, pcid, lin)  INVPCID (operand checks are the handler's)
 */
void cpu_tlb_mov_cr0(struct cpu *c, u64 old_cr0);
void cpu_tlb_mov_cr3(struct cpu *c, u64 value);
void cpu_tlb_mov_cr4(struct cpu *c, u64 old_cr4);
void cpu_tlb_wrmsr_efer(struct cpu *c, u64 old_efer);
void cpu_tlb_invpcid(struct cpu *c, unsigned type, u16 pcid, u64 lin);

/* PAE paging: are the PDPTEs that loading `cr3` would use free of reserved
 * bits?  MOV to CR3/CR0/CR4 that (re)loads them raises #GP(0) when not
 * (SDM Vol 3 §4.4.1). */
bool cpu_pae_pdptes_valid(struct cpu *c, u64 cr3);

/* The full walk of lin without side effects (the monitor's `pt` command);
 * returns false when lin is not mapped (w->err tells why). */
struct pg_walk;
bool cpu_debug_walk(struct cpu *c, u64 lin, struct pg_walk *w);

#endif
