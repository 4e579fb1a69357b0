/*
 * main.c - samples/bench: the benchmark guests of `make bench`
 * (tests/bench/run.sh; issue 9).
 *
 * One multiboot kernel, several benchmarks; the command line picks one and
 * its iteration count:  "<image> NAME N".
 *   sieve    sieve of Eratosthenes over 64 KiB, N times: integer/ALU loop
 *   rmw      N random read-modify-writes over 64 MiB mapped with 4 KiB
 *            pages (soft-TLB misses, page walks)
 *   calls    N rounds of recursive calls and indirect calls through a table
 *   syscall  N ring-3 SYSCALL -> ring-0 -> SYSRETQ round trips
 *   int80    N ring-3 INT 0x80 -> ring-0 gate -> IRETQ round trips
 *   smc      N times: patch an immediate in code, then call that code
 * The result is printed on COM1 and the kernel exits through the
 * debug-exit port with 0x10 (status 33).  The same image runs on QEMU, so
 * the runner times both with two values of N and subtracts (the boot
 * cancels out).
 *
 * Machine set-up (SDM Vol 3A): our own GDT with ring-3 segments and a
 * 64-bit TSS (3.4.5, 8.7), 4-level page tables with U/S = 1 everywhere
 * (4.5), 4 KiB pages for the rmw buffer, STAR/LSTAR/SFMASK (5.8.8), an IDT
 * with one DPL-3 gate at 0x80 (6.14.1).
 */
#include <stdint.h>

#include "samples/lib/exit.h"
#include "samples/lib/multiboot.h"
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"
#include "samples/lib/string.h"

int sample_main(uint32_t magic, uint32_t mbi_phys);
uint64_t bench_enter_user(void (*entry)(void), uint64_t user_rsp, uint64_t n);
void bench_syscall_entry(void), bench_int80_entry(void);
void bench_user_syscall(void), bench_user_int80(void);
extern volatile uint8_t bench_smc_code[];

#define RMW_BASE (32ull << 20) /* physical = virtual, 4 KiB pages */
#define RMW_SIZE (64ull << 20)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[RMW_SIZE >> 21][512] __attribute__((aligned(4096)));
static uint8_t kstack[16384] __attribute__((aligned(16)));
static uint8_t ustack[16384] __attribute__((aligned(16)));

/* 0 null, 08 kernel code 64, 10 kernel data, 18 (SYSRET base), 20 user
 * data, 28 user code 64, 30 TSS (16 bytes). */
static uint64_t gdt[8] __attribute__((aligned(16)));
static struct __attribute__((packed)) {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3, iomap;
} tss;
static uint64_t idt[512] __attribute__((aligned(16)));

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}

static void setup_machine(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} d;
	uint64_t t = (uint64_t)&tss;

	/* Paging: 1 GiB identity, user-accessible; 2 MiB pages except the
	 * rmw buffer, which gets 4 KiB pages. */
	pml4[0] = (uint64_t)pdpt | 7;
	pdpt[0] = (uint64_t)pd | 7;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x87;
	for (uint64_t j = 0; j < RMW_SIZE >> 21; j++) {
		for (uint64_t k = 0; k < 512; k++)
			pt[j][k] = (RMW_BASE + (j << 21) + (k << 12)) | 7;
		pd[(RMW_BASE >> 21) + j] = (uint64_t)pt[j] | 7;
	}
	__asm__ volatile("mov %0, %%cr3" ::"r"(pml4) : "memory");

	/* GDT and TSS. */
	gdt[1] = 0x00AF9A000000FFFFull; /* kernel code 64 */
	gdt[2] = 0x00CF92000000FFFFull; /* kernel data */
	gdt[3] = 0x00CFFA000000FFFFull; /* user code 32 (unused) */
	gdt[4] = 0x00CFF2000000FFFFull; /* user data, DPL 3 */
	gdt[5] = 0x00AFFA000000FFFFull; /* user code 64, DPL 3 */
	gdt[6] =
	    (sizeof(tss) - 1) | ((t & 0xffffff) << 16) | (0x89ull << 40) | ((t >> 24 & 0xff) << 56);
	gdt[7] = t >> 32;
	tss.rsp[0] = (uint64_t)(kstack + sizeof(kstack));
	tss.iomap = sizeof(tss);
	d.limit = sizeof(gdt) - 1;
	d.base = (uint64_t)gdt;
	__asm__ volatile("lgdt %0\n\t"
			 "mov $0x10, %%ax\n\tmov %%ax, %%ds\n\tmov %%ax, %%es\n\tmov %%ax, %%ss\n\t"
			 "pushq $0x08\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n1:\n\t"
			 "mov $0x30, %%ax\n\tltr %%ax" ::"m"(d)
			 : "rax", "memory");

	/* IDT: vector 0x80, 64-bit interrupt gate, DPL 3. */
	{
		uint64_t h = (uint64_t)bench_int80_entry;
		idt[0x80 * 2] =
		    (h & 0xffff) | (0x08ull << 16) | (0xEEull << 40) | ((h >> 16 & 0xffff) << 48);
		idt[0x80 * 2 + 1] = h >> 32;
	}
	d.limit = sizeof(idt) - 1;
	d.base = (uint64_t)idt;
	__asm__ volatile("lidt %0" ::"m"(d));

	/* SYSCALL: CS 0x08 / SS 0x10; SYSRETQ: CS 0x18+16 = 0x28|3, SS 0x20|3. */
	wrmsr(0xC0000080, rdmsr(0xC0000080) | 1); /* EFER.SCE */
	wrmsr(0xC0000081, (0x18ull << 48) | (0x08ull << 32));
	wrmsr(0xC0000082, (uint64_t)bench_syscall_entry);
	wrmsr(0xC0000084, 0x200); /* SFMASK: clear IF */
}

static uint64_t sieve(uint64_t n)
{
	static uint8_t composite[65536];
	uint64_t count = 0;

	for (uint64_t r = 0; r < n; r++) {
		memset(composite, 0, sizeof(composite));
		count = 0;
		for (uint64_t i = 2; i < sizeof(composite); i++) {
			if (composite[i])
				continue;
			count++;
			for (uint64_t j = i * i; j < sizeof(composite); j += i)
				composite[j] = 1;
		}
	}
	return count;
}

static uint64_t rmw(uint64_t n)
{
	volatile uint64_t *buf = (volatile uint64_t *)RMW_BASE;
	uint64_t x = 88172645463325252ull, sum = 0;

	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[x & (RMW_SIZE / 8 - 1)] += i;
	}
	for (uint64_t i = 0; i < RMW_SIZE / 8; i += 4099)
		sum += buf[i];
	return sum;
}

static uint64_t __attribute__((noinline)) fib(uint64_t k)
{
	return k < 2 ? k : fib(k - 1) + fib(k - 2);
}
static uint64_t __attribute__((noinline)) f_add(uint64_t a)
{
	return a + 3;
}
static uint64_t __attribute__((noinline)) f_xor(uint64_t a)
{
	return a ^ 0x55;
}
static uint64_t __attribute__((noinline)) f_mul(uint64_t a)
{
	return a * 7;
}
static uint64_t __attribute__((noinline)) f_shr(uint64_t a)
{
	return (a >> 1) + 1;
}
static uint64_t (*volatile const table[4])(uint64_t) = {f_add, f_xor, f_mul, f_shr};

static uint64_t calls(uint64_t n)
{
	uint64_t acc = 1;

	for (uint64_t i = 0; i < n; i++) {
		acc += fib(10);
		for (unsigned k = 0; k < 16; k++)
			acc = table[(acc + k) & 3](acc);
	}
	return acc;
}

static uint64_t smc(uint64_t n)
{
	uint64_t (*fn)(void) = (uint64_t(*)(void))(uintptr_t)bench_smc_code;
	uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		/* Patch MOV EAX, imm32's immediate (SDM Vol 3A 11.6: the write is
		 * seen by the next execution; a CALL is a branch, enough for
		 * cross-modifying code on one CPU). */
		*(volatile uint32_t *)(bench_smc_code + 1) = (uint32_t)i;
		acc += fn();
	}
	return acc;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static uint64_t parse_u64(const char **s)
{
	uint64_t v = 0;

	while (**s == ' ')
		(*s)++;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (uint64_t)(*(*s)++ - '0');
	return v;
}

int sample_main(uint32_t magic, uint32_t mbi_phys)
{
	const struct multiboot_info *mbi = (const void *)(uintptr_t)mbi_phys;
	const char *args = multiboot_args(mbi), *p;
	char name[16];
	unsigned k = 0;
	uint64_t n, r;

	serial_init();
	if (magic != MB_BOOTLOADER_MAGIC)
		return 1;
	while (*args == ' ')
		args++;
	for (p = args; *p && *p != ' ' && k < sizeof(name) - 1; p++)
		name[k++] = *p;
	name[k] = 0;
	n = parse_u64(&p);
	setup_machine();

	if (streq(name, "sieve"))
		r = sieve(n);
	else if (streq(name, "rmw"))
		r = rmw(n);
	else if (streq(name, "calls"))
		r = calls(n);
	else if (streq(name, "syscall"))
		r = bench_enter_user(bench_user_syscall, (uint64_t)(ustack + sizeof(ustack)), n);
	else if (streq(name, "int80"))
		r = bench_enter_user(bench_user_int80, (uint64_t)(ustack + sizeof(ustack)), n);
	else if (streq(name, "smc"))
		r = smc(n);
	else {
		printf("[bench] unknown benchmark \"%s\" (sieve rmw calls syscall int80 smc)\n",
		       name);
		return 1;
	}
	printf("[bench] %s %lu: %lu\n", name, n, r);
	return 0x10;
}
