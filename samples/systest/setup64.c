/*
 * setup64.c - samples/systest: the machine the 64-bit tests run on.
 *
 * Builds the GDT (SDM Vol 3 §3.4.5, §7.2.3 for the 16-byte TSS descriptor,
 * §5.8.3.1 for 64-bit call gates), the 64-bit TSS with RSP0 and two IST
 * stacks (§7.7), a 32-entry IDT of interrupt gates (§6.14.1) and 4-level
 * page tables (§4.5), and the exception hook that records what the CPU
 * delivered and resumes the kernel (probe64.S).
 */
#include "samples/lib/printf.h"
#include "samples/lib/string.h"
#include "samples/systest/sys64.h"

struct probe_result last;

uint8_t kstack0[8192] __attribute__((aligned(16)));
uint8_t ist1[4096] __attribute__((aligned(16)));
uint8_t ist2[4096] __attribute__((aligned(16)));
#define kstack0_top_addr ((uint64_t)(uintptr_t)(kstack0 + sizeof(kstack0)))
#define ist1_top_addr	 ((uint64_t)(uintptr_t)(ist1 + sizeof(ist1)))
#define ist2_top_addr	 ((uint64_t)(uintptr_t)(ist2 + sizeof(ist2)))
static uint8_t sestack[4096] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));

uint64_t pml4[512] __attribute__((aligned(4096)));
uint64_t pdpt[512] __attribute__((aligned(4096)));
uint64_t pd_k[512] __attribute__((aligned(4096)));
uint64_t pd_u[512] __attribute__((aligned(4096)));
uint64_t pt_u[512] __attribute__((aligned(4096)));
uint64_t pt_t[512] __attribute__((aligned(4096)));
uint8_t tpage[8][4096] __attribute__((aligned(4096)));

uint64_t user_stack_top(void)
{
	return U(ustack + sizeof(ustack));
}

/* The 64-bit TSS (SDM Vol 3 Figure 7-11). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
static struct tss64 tss __attribute__((aligned(16)));

static uint64_t gdt[GDT_BYTES / 8] __attribute__((aligned(16)));

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, attr;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));
static struct idt_gate idt[32] __attribute__((aligned(16)));

struct dtr {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
} __attribute__((packed, aligned(8)));

extern const uint64_t trap_stubs[32];
extern void syscall_entry(void), sysenter_entry(void), callgate_target(void), probe_recover(void);
extern uint64_t probe_rsp;
extern uint8_t probing;

/* A 16-byte system descriptor (TSS, 64-bit call gate). */
static void sys16(unsigned sel, uint64_t lo, uint64_t hi)
{
	gdt[sel / 8] = lo;
	gdt[sel / 8 + 1] = hi;
}

/* A 64-bit call gate (SDM Vol 3 Figure 5-9): offset, selector, type 0xC. */
static void call_gate(unsigned sel, void (*target)(void), unsigned dpl)
{
	uint64_t a = (uint64_t)(uintptr_t)target;

	sys16(sel,
	      (a & 0xffff) | (uint64_t)K_CS << 16 | (uint64_t)(0x8c | dpl << 5) << 40 |
		  (a >> 16 & 0xffff) << 48,
	      a >> 32);
}

void idt_set(unsigned vec, unsigned dpl, unsigned ist, int present)
{
	uint64_t a = trap_stubs[vec];

	idt[vec].off0 = (uint16_t)a;
	idt[vec].sel = K_CS;
	idt[vec].ist = (uint8_t)ist;
	idt[vec].attr = (uint8_t)((present ? 0x80 : 0) | dpl << 5 | 0xe);
	idt[vec].off1 = (uint16_t)(a >> 16);
	idt[vec].off2 = (uint32_t)(a >> 32);
	idt[vec].zero = 0;
}

uint64_t rdcr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
void wrcr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
uint64_t rdcr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
void wrcr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
void wrmsr64(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
uint64_t rdmsr64(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
void reload_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(v) : : "memory");
}

/*
 * Every exception comes here while a probe runs: record the frame the CPU
 * pushed (SDM Vol 3 §6.14.2) and turn it into an IRETQ to probe_recover on
 * the kernel stack, whatever privilege level the probe ran at.
 */
static int hook(struct trap_frame *f)
{
	if (!probing)
		return 0;
	probing = 0;
	last.vector = f->vector;
	last.error = f->error;
	last.rip = f->rip;
	last.cs = f->cs;
	last.ss = f->ss;
	last.rsp = f->rsp;
	last.rflags = f->rflags;
	last.frame = (uint64_t)(uintptr_t)&f->rip;
	last.rbx = f->rbx;
	last.r12 = f->r12;
	last.cr2 = 0;
	if (f->vector == 14)
		__asm__ volatile("mov %%cr2, %0" : "=r"(last.cr2));
	f->rip = (uint64_t)(uintptr_t)probe_recover;
	f->cs = K_CS;
	f->ss = K_DS;
	f->rsp = probe_rsp;
	f->rflags = 2;
	return 1;
}

/* Which stack did the CPU push its frame on?  (RIP sits 40 bytes below the
 * 16-byte-aligned top: SS, RSP, RFLAGS, CS, RIP.) */
const char *stack_name(uint64_t frame)
{
	if (frame == kstack0_top_addr - 40)
		return "rsp0";
	if (frame == ist1_top_addr - 40)
		return "ist1";
	if (frame == ist2_top_addr - 40)
		return "ist2";
	return "same";
}

void report(const char *name, int raised, uint64_t at, uint64_t next)
{
	printf("%-16s ", name);
	if (!raised) {
		printf("no exception\n");
		return;
	}
	printf("%s err=0x%lx", trap_name((unsigned)last.vector), last.error);
	if (last.vector == 8) { /* saved CS:RIP of #DF are undefined (SDM Table 6-x) */
		printf(" stack=%s\n", stack_name(last.frame));
		return;
	}
	if (last.rip == at)
		printf(" rip=at");
	else if (last.rip == next)
		printf(" rip=next");
	else
		printf(" rip=0x%lx", last.rip);
	printf(" cs=0x%lx ss=0x%lx stack=%s", last.cs, last.ss, stack_name(last.frame));
	if (last.vector == 14)
		printf(" cr2=0x%lx", last.cr2);
	printf("\n");
}

void setup64(void)
{
	struct dtr d;
	uint64_t t = (uint64_t)(uintptr_t)&tss;

	/* --- GDT --- */
	gdt[K_CS / 8] = 0x00AF9A000000FFFFull;
	gdt[K_DS / 8] = 0x00CF92000000FFFFull;
	gdt[U_CS32 / 8] = 0x00CFFA000000FFFFull;
	gdt[U_DS / 8] = 0x00CFF2000000FFFFull;
	gdt[U_CS64 / 8] = 0x00AFFA000000FFFFull;
	gdt[U_DS2 / 8] = 0x00CFF2000000FFFFull;
	gdt[K_CS32 / 8] = 0x00CF9A000000FFFFull;
	gdt[NP_SEL / 8] = 0x00CF12000000FFFFull; /* P = 0 */
	/* TSS: limit 103, type 9 (available 64-bit TSS), P */
	sys16(TSS_SEL,
	      (sizeof(tss) - 1) | (t & 0xffffff) << 16 | 0x89ull << 40 | (t >> 24 & 0xff) << 56,
	      t >> 32);
	call_gate(CG3_SEL, callgate_target, 3);
	call_gate(CG0_SEL, callgate_target, 0);

	tss.rsp[0] = kstack0_top_addr;
	tss.ist[0] = ist1_top_addr;
	tss.ist[1] = ist2_top_addr;
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */

	d.limit = sizeof(gdt) - 1;
	d.base = (uint64_t)(uintptr_t)gdt;
	__asm__ volatile("lgdt %0" : : "m"(d.limit));
	/* Reload CS with a far return, the data segments and TR. */
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:\n\t"
			 "movl %1, %%eax; movl %%eax, %%ds; movl %%eax, %%es; movl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs; movl %%eax, %%gs\n\t"
			 "movl %2, %%eax; ltr %%ax"
			 :
			 : "i"(K_CS), "i"(K_DS), "i"(TSS_SEL)
			 : "rax", "memory");

	/* --- IDT: all interrupt gates, DPL 0, except #BP and #OF (DPL 3: INT3
	 * and INTO may be used at CPL 3); #DE on IST2, #DF and #SS on IST1;
	 * vector 21 is left not present. --- */
	for (unsigned v = 0; v < 32; v++)
		idt_set(v, (v == 3 || v == 4) ? 3 : 0,
			v == 0		      ? 2
			: (v == 8 || v == 12) ? 1
					      : 0,
			v != 21);
	d.limit = sizeof(idt) - 1;
	d.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(d.limit));
	trap_set_hook(hook);

	/* --- Page tables (SDM Vol 3 §4.5): U/S is the AND of all levels. --- */
	pml4[0] = (uint64_t)(uintptr_t)pdpt | 7;
	pdpt[0] = (uint64_t)(uintptr_t)pd_k | 3; /* 0..1 GiB: supervisor */
	for (unsigned i = 0; i < 512; i++)
		pd_k[i] = (uint64_t)i << 21 | 0x83; /* 2 MiB, P, RW */
	pdpt[1] = (uint64_t)(uintptr_t)pd_u | 7;
	pd_u[0] = (uint64_t)(uintptr_t)pt_u | 7;
	for (unsigned i = 0; i < 512; i++)
		pt_u[i] = (uint64_t)i << 12 | 7; /* user alias of 0..2 MiB */
	pd_u[1] = (uint64_t)(uintptr_t)pt_t | 7;
	__asm__ volatile("mov %0, %%cr3" : : "r"(pml4) : "memory");

	/* --- Fast system calls (SDM Vol 2 SYSCALL, SYSENTER) --- */
	wrmsr64(0xC0000080, rdmsr64(0xC0000080) | 1 | 1 << 11);		    /* EFER.SCE, NXE */
	wrmsr64(0xC0000081, (uint64_t)U_CS32 << 48 | (uint64_t)K_CS << 32); /* STAR */
	wrmsr64(0xC0000082, (uint64_t)(uintptr_t)syscall_entry);	    /* LSTAR */
	wrmsr64(0xC0000084, 0x40600); /* SFMASK: AC, DF, IOPL... see ring64.c */
	wrmsr64(0x174, K_CS);	      /* SYSENTER_CS */
	wrmsr64(0x175, (uint64_t)(uintptr_t)(sestack + sizeof(sestack)));
	wrmsr64(0x176, (uint64_t)(uintptr_t)sysenter_entry);
	memset(tpage, 0, sizeof(tpage));
}
