/*
 * main.c - samples/tour, part 2: what 64-bit long mode looks like from the
 * inside, then the tour of instructions and exceptions, then the exit.
 *
 * Register layouts from the Intel SDM Vol. 3A 2.5 (CR0, CR3, CR4) and
 * 2.2.1 (EFER); CPUID leaves from Vol. 2A "CPUID".  entry.S brought us
 * here; insns.c and faults.c continue the tour.
 *
 * Exit value convention (samples/lib/exit.h): 0x10 -> status 33 at the end.
 */
#include "samples/tour/tour.h"
#include "samples/lib/boot.h"
#include "samples/lib/exit.h"
#include "samples/lib/multiboot.h"
#include "samples/lib/printf.h"
#include "samples/lib/trap.h"

#define say(...) printf("[tour] " __VA_ARGS__)

static inline uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static const char *yes(uint64_t v, int bit)
{
	return (v >> bit) & 1 ? "yes" : "no";
}

static void show_long_mode(void)
{
	uint64_t rip, cs, efer = rdmsr(MSR_EFER);

	__asm__ volatile("lea 0(%%rip), %0" : "=r"(rip));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	say("Hello from 64-bit long mode! CS = 0x%02lx, and the C code runs near RIP = 0x%lx.\n",
	    cs, rip);
	say("Registers are 64 bits wide now; addresses too (48 of them are used).\n");
	say("CR0  = 0x%08lx: PE=%lu MP=%lu ET=%lu NE=%lu WP=%lu PG=%lu\n", read_cr0(),
	    read_cr0() & 1, read_cr0() >> 1 & 1, read_cr0() >> 4 & 1, read_cr0() >> 5 & 1,
	    read_cr0() >> 16 & 1, read_cr0() >> 31);
	say("CR3  = 0x%08lx: where the page walk starts (the PML4)\n", read_cr3());
	say("CR4  = 0x%08lx: PAE=%lu\n", read_cr4(), read_cr4() >> 5 & 1);
	say("EFER = 0x%08lx: LME=%lu (we asked) LMA=%lu (the CPU agreed)\n", efer, efer >> 8 & 1,
	    efer >> 10 & 1);
}

static void show_boot_info(void)
{
	const struct multiboot_info *mbi = (const void *)(uintptr_t)tour_mb_info;

	say("The loader's boot information (multiboot spec 3.3):\n");
	if (mbi->flags & MB_INFO_MEMORY)
		say("  mem_lower = %u KiB (below 1 MiB), mem_upper = %u KiB (from 1 MiB on)\n",
		    mbi->mem_lower, mbi->mem_upper);
	say("  command line arguments: \"%s\"\n", multiboot_args(mbi));
}

static void show_cpuid(void)
{
	uint32_t r[4], max, maxext;
	char vendor[13];

	say("CPUID asks the processor what it is and what it can do:\n");
	cpuid(0, r);
	max = r[0];
	/* The vendor string is in EBX, EDX, ECX - in that order. */
	for (int i = 0; i < 4; i++) {
		vendor[i] = (char)(r[1] >> (8 * i));
		vendor[4 + i] = (char)(r[3] >> (8 * i));
		vendor[8 + i] = (char)(r[2] >> (8 * i));
	}
	vendor[12] = 0;
	say("~ leaf 0: vendor \"%s\", highest basic leaf %u\n", vendor, max);
	cpuid(1, r);
	say("~ leaf 1: EAX = 0x%08x (family, model, stepping)\n", r[0]);
	/* The x87 FPU is the one bit here that differs between machines that
	 * run this tour: vmlab's CPU has no x87 yet, and says so honestly. */
	say("~ leaf 1 EDX: FPU (x87) %s\n", yes(r[3], 0));
	say("  leaf 1 EDX: TSC %s, MSR %s, PAE %s, CX8 %s, APIC %s, CMOV %s\n", yes(r[3], 4),
	    yes(r[3], 5), yes(r[3], 6), yes(r[3], 8), yes(r[3], 9), yes(r[3], 15));
	cpuid(0x80000000, r);
	maxext = r[0];
	say("~ leaf 0x80000000: highest extended leaf 0x%08x\n", maxext);
	cpuid(0x80000001, r);
	say("  leaf 0x80000001 EDX: LM (long mode) %s\n", yes(r[3], 29));
}

int tour_main(void)
{
	/* From here C code prints; serial32_init already set up the UART. */
	show_long_mode();
	show_boot_info();
	show_cpuid();

	trap_init();
	say("LIDT: an IDT with 32 interrupt gates (16 bytes each) for the CPU's exceptions.\n");

	tour_instructions();
	tour_exceptions();

	say("The end. Writing 0x%x to the debug-exit port 0x%x: the emulator exits with\n", EXIT_OK,
	    DEBUG_EXIT_PORT);
	say("status (0x%x << 1) | 1 = %d. Bye!\n", EXIT_OK, EXIT_OK << 1 | 1);
	return EXIT_OK;
}
