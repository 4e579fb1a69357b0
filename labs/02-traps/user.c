/*
 * user.c - lab 02: a GDT with user segments, a TSS, and a tiny program that
 * runs at CPL 3 (given: nothing to write here).
 *
 * Follows the Intel SDM Vol. 3A 5.2.1 (64-bit code descriptors), 7.7 "Task
 * Management in 64-bit Mode" (the 64-bit TSS: RSP0 is the stack the CPU
 * switches to on an interrupt from CPL 3), 8.2.2 (the 16-byte TSS
 * descriptor) and 4.6 (U/S: CPL 3 may touch a page only when every level
 * of its walk has U/S = 1).
 */
#include "labs/02-traps/lab02.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3]; /* stacks for CPL 0, 1, 2 */
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* = sizeof(struct tss): no I/O permission bitmap */
} __attribute__((packed));

static uint64_t gdt[7] __attribute__((aligned(16))) = {
    0,			/* 0x00 null */
    0x00AF9A000000FFFF, /* 0x08 kernel code, 64-bit, DPL 0 */
    0x00CF92000000FFFF, /* 0x10 kernel data, DPL 0 */
    0x00CFF2000000FFFF, /* 0x18 user data, DPL 3 */
    0x00AFFA000000FFFF, /* 0x20 user code, 64-bit, DPL 3 */
    0,
    0, /* 0x28 the TSS descriptor, 16 bytes (filled in) */
};
static struct tss tss;
static uint8_t kernel_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));

extern uint64_t boot_pml4[512], boot_pdpt[512], boot_pd[512]; /* samples/lib/boot_data.S */

void user_init(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};

	tss.rsp[0] = (uint64_t)(uintptr_t)(kernel_stack + sizeof(kernel_stack));
	tss.iomap_base = sizeof(tss);
	/* Available 64-bit TSS (type 9), present, DPL 0. */
	gdt[5] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ULL << 40 |
		 ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
	gdt[6] = base >> 32;
	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n" /* reload CS from the new GDT */
			 "1:\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "r"(KERNEL_DS), "i"(KERNEL_CS), "r"(TSS_SEL)
			 : "rax", "memory");

	/* The image (at 1 MiB) lies in the first 2 MiB page: let CPL 3 use it. */
	boot_pml4[0] |= 4;
	boot_pdpt[0] |= 4;
	boot_pd[0] |= 4;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax", "memory");
}

/* The user program.  No libraries at CPL 3: each system call is one INT. */
static long sys(long n, long a, long b)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "memory");
	return r;
}

static const char hello[] = "[lab02] hello from ring 3\n";

static void user_main(void)
{
	sys(SYS_WRITE, (long)hello, sizeof(hello) - 1);
	sys(SYS_EXIT, sys(SYS_GETCPL, 0, 0) == 3 ? 7 : 8, 0);
	for (;;) /* SYS_EXIT does not return */
		;
}

int user_run(void)
{
	return enter_user(user_main, (uint64_t)(uintptr_t)(user_stack + sizeof(user_stack)));
}
