/*
 * pm32.c - the descriptor tables of the 32-bit protected-mode samples: a
 * flat GDT with ring-0 and ring-3 segments and a TSS, and an IDT of 32-bit
 * gates (see pm32.h).
 *
 * Follows the Intel SDM Vol. 3A 3.4.5 "Segment Descriptors" (Figure 3-8),
 * 3.5.1 "Segment Descriptor Tables", 6.11 "IDT Descriptors" (Figure 6-2)
 * and 7.2.1-7.2.4 (the TSS, its descriptor and the task register).
 */
#include "samples/lib/pm32.h"
#include "samples/lib/exit.h"
#include "samples/lib/serial.h"

u64 pm32_gdt[6];
u64 pm32_idt[256];
struct tss32 pm32_tss;

u64 pm32_seg_desc(u32 base, u32 limit, unsigned access, unsigned flags)
{
	/* The fields are scattered for 80286 compatibility: limit 15:0,
	 * base 23:0, access byte, limit 19:16, flags, base 31:24. */
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)access << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)flags << 52) | ((u64)(base >> 24) << 56);
}

void pm32_gdt_load(void)
{
	struct pm32_dtr d;

	/* Access 0x9a: P, DPL 0, code, execute/read; 0x92: data, read/write;
	 * 0xfa/0xf2 the same at DPL 3.  Flags 0xc: G (4 KiB units) and D/B
	 * (32-bit).  The TSS: type 0x9 (32-bit TSS, available), byte units. */
	pm32_gdt[1] = pm32_seg_desc(0, 0xfffff, 0x9a, 0xc); /* 0x08 kernel code */
	pm32_gdt[2] = pm32_seg_desc(0, 0xfffff, 0x92, 0xc); /* 0x10 kernel data */
	pm32_gdt[3] = pm32_seg_desc(0, 0xfffff, 0xfa, 0xc); /* 0x18 user code, DPL 3 */
	pm32_gdt[4] = pm32_seg_desc(0, 0xfffff, 0xf2, 0xc); /* 0x20 user data, DPL 3 */
	pm32_gdt[5] = pm32_seg_desc((u32)&pm32_tss, sizeof(pm32_tss) - 1, 0x89, 0); /* 0x28 */
	d.lim = sizeof(pm32_gdt) - 1;
	d.base = (u32)pm32_gdt;
	/* LGDT changes no segment register: each keeps its hidden descriptor
	 * until reloaded -- CS by a far jump, the others by MOV. */
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n"
			 "1:\tmov $0x10, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\t"
			 "mov %%ax, %%ss" ::"m"(d)
			 : "eax", "memory");
}

void pm32_tss_load(u32 esp0)
{
	pm32_tss.ss0 = PM32_KDATA;
	pm32_tss.esp0 = esp0;
	pm32_tss.iomap = sizeof(pm32_tss); /* past the limit: no I/O bitmap */
	__asm__ volatile("ltr %w0" ::"r"(PM32_TSS));
}

void pm32_set_gate(unsigned vec, void (*fn)(void), unsigned type, unsigned dpl)
{
	u32 off = (u32)fn;

	/* Offset 15:0, selector, then P | DPL | type, offset 31:16. */
	pm32_idt[vec] = (off & 0xffff) | ((u64)PM32_KCODE << 16) |
			((u64)(0x80 | dpl << 5 | type) << 40) | ((u64)(off >> 16) << 48);
}

void pm32_idt_load(void)
{
	struct pm32_dtr d;

	d.lim = sizeof(pm32_idt) - 1;
	d.base = (u32)pm32_idt;
	__asm__ volatile("lidt %0" ::"m"(d));
}

void pm32_unexpected(const char *who, const struct frame32 *f)
{
	serial_write(who);
	serial_write(": unexpected exception ");
	serial_puthex(f->vec, 2);
	serial_write(" err ");
	serial_puthex(f->err, 8);
	serial_write(" at ");
	serial_puthex(f->eip, 8);
	serial_tx('\n');
	guest_exit(3);
}
