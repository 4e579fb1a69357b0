/*
 * pm32.h - the kit of the sample kernels that stay in 32-bit protected mode
 * (samples/trap32, nanobench, ptswitch, vprobe): a flat GDT with ring-0 and
 * ring-3 segments and a TSS, an IDT, interrupt entry stubs that build one
 * frame shape, the multiboot entry and a ring-3 round trip.  A sample then
 * keeps only what it teaches.
 *
 * Follows the Intel SDM Vol. 3A: 3.4.5 "Segment Descriptors", 6.11 "IDT
 * Descriptors", 6.12 "Exception and Interrupt Handling" (the frame a 32-bit
 * gate pushes), 7.2.1 "Task-State Segment (TSS)"; and the Multiboot
 * Specification 0.6.96 3.2 (the machine state at entry: 32-bit protected
 * mode, paging off, EAX = magic, EBX = multiboot information).
 *
 * The code: pm32.c (tables), entry32.S (multiboot entry), isr32.S (stubs),
 * user32.S (ring 3).  Built -m32 into lib32.a (samples/lib/rules.mk).
 */
#ifndef SAMPLES_LIB_PM32_H
#define SAMPLES_LIB_PM32_H

/* The GDT pm32_gdt_load() installs: selector = index * 8 | RPL. */
#define PM32_KCODE 0x08 /* ring-0 code, flat 4 GiB */
#define PM32_KDATA 0x10 /* ring-0 data, flat */
#define PM32_UCODE 0x1b /* ring-3 code (index 3, RPL 3) */
#define PM32_UDATA 0x23 /* ring-3 data (index 4, RPL 3) */
#define PM32_TSS   0x28 /* the 32-bit TSS */

/* IDT gate types (SDM Vol. 3A Figure 6-2): an interrupt gate clears IF on
 * entry, a trap gate leaves it. */
#define GATE_INTR32 0xe
#define GATE_TRAP32 0xf

/* Vectors with an error code (SDM Vol. 3A Table 6-1): isr32.S pushes a 0
 * for all the others, so every frame has the same shape. */
#define PM32_HAS_ERROR(v)                                                                          \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

#ifndef __ASSEMBLER__
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* The operand of LGDT/LIDT and SGDT/SIDT: limit, then linear base. */
struct pm32_dtr {
	u16 lim;
	u32 base;
} __attribute__((packed));

/* The 32-bit TSS (SDM Vol. 3A Figure 7-2).  Only SS0:ESP0 (the stack the
 * CPU switches to on an interrupt from ring 3) and the I/O map base
 * matter here: no hardware task switches. */
struct tss32 {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 gpr[8], seg[6], ldt;
	u16 trap, iomap;
} __attribute__((packed));

extern u64 pm32_gdt[6];
extern u64 pm32_idt[256];
extern struct tss32 pm32_tss;

/* A code/data/system segment descriptor (SDM Vol. 3A Figure 3-8): limit in
 * units of the granularity, access byte (P, DPL, S, type), flags (G, D/B). */
u64 pm32_seg_desc(u32 base, u32 limit, unsigned access, unsigned flags);
/* Fill the GDT above, LGDT it, reload CS (far jump) and every data segment. */
void pm32_gdt_load(void);
/* SS0:ESP0 = PM32_KDATA:esp0, no I/O bitmap (ring 3 may not touch ports), LTR. */
void pm32_tss_load(u32 esp0);
/* IDT[vec] = a 32-bit gate to PM32_KCODE:fn of the given type and DPL. */
void pm32_set_gate(unsigned vec, void (*fn)(void), unsigned type, unsigned dpl);
/* LIDT the whole 256-entry IDT (gates never set are not present). */
void pm32_idt_load(void);

/*
 * isr32.S: entry stubs for the 32 exception vectors, IRQ vectors 32-47 and
 * the software interrupts 0x80 and 0x81.  Each pushes a dummy error code
 * where the CPU pushes none, then the vector, then PUSHA, and calls
 * pm32_trap(), which the sample defines; on its return the stub pops and
 * IRETs with whatever the handler left in the frame.
 */
struct frame32 {
	u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax; /* PUSHA */
	u32 vec, err;
	u32 eip, cs, eflags; /* the CPU's frame */
	u32 esp, ss;	     /* only from ring 3 (a stack switch) */
};
extern void (*const isr32_table[48])(void); /* [0..31] exceptions, [32..47] IRQ 0-15 */
void isr32_128(void), isr32_129(void);
void pm32_trap(struct frame32 *f); /* the sample's */
/* For pm32_trap(): "<who>: unexpected exception 0xVV err 0x... at 0x..."
 * on COM1, then exit 3 through the debug-exit port. */
void pm32_unexpected(const char *who, const struct frame32 *f) __attribute__((noreturn));

/* entry32.S calls the sample's sample_main() and writes what it returns
 * to the debug-exit port (samples/lib/exit.h). */
int sample_main(u32 magic, u32 mbi_phys);

/*
 * user32.S: run ring-3 code like a function call.  enter_user() IRETs to
 * PM32_UCODE:eip with stack PM32_UDATA:esp and the given EFLAGS; it
 * returns when ring-0 code (a system call handler, on the TSS stack) calls
 * leave_user(code), and returns that code.
 */
u32 enter_user(void (*eip)(void), u32 esp, u32 eflags);
void leave_user(u32 code) __attribute__((noreturn));

/* Paging and memory, for the samples that switch paging on (SDM Vol. 3A
 * 4.3 "32-bit paging", 4.10.4.1 INVLPG). */
static inline void set_cr3(u32 v)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}

/* CR3 = pd, then CR0.PG (paging) and CR0.WP (read-only pages bind ring 0 too). */
static inline void pm32_paging_on(u32 pd)
{
	u32 cr0;

	set_cr3(pd);
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0 | 0x80010000u) : "memory");
}

static inline void invlpg(u32 va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* A 32-bit read or write the compiler must do, in that order. */
static inline u32 rd(u32 va)
{
	return *(volatile u32 *)va;
}

static inline void wr(u32 va, u32 v)
{
	*(volatile u32 *)va = v;
}
#endif

#endif
