/*
 * faults.c - samples/tour, part 4: exceptions on purpose.
 *
 * We raise #BP (INT3), #UD (UD2), #DE (DIV by 0) and #PF (a write above the
 * identity-mapped 1 GiB), let the IDT deliver each one to trap_dispatch()
 * (lib/trap.c), show what the CPU pushed, and resume.  It illustrates the
 * SDM Vol. 3A 6.5 "Exception Classifications": after a *trap* the saved
 * RIP points past the instruction; after a *fault* it points at the
 * instruction itself, so a handler that fixed the cause could simply retry.
 * Our handler instead moves RIP to a resume label we chose.
 */
#include "samples/tour/tour.h"
#include "samples/lib/printf.h"
#include "samples/lib/trap.h"

#define say(...) printf("[tour] " __VA_ARGS__)

static uint64_t expect_vector = ~0ull; /* the exception we are about to cause */
static uint64_t at_rip, resume_rip;    /* where it happens, where to go on */

static int tour_hook(struct trap_frame *f)
{
	if (f->vector != expect_vector)
		return 0; /* not ours: lib/trap.c reports it and exits */

	say("  -> %s (vector %lu) delivered through IDT gate %lu; error code 0x%lx\n",
	    trap_name((unsigned)f->vector), f->vector, f->vector, f->error);
	say("     saved RIP = 0x%lx: %s\n", f->rip,
	    f->rip == at_rip	   ? "the faulting instruction itself (a fault)"
	    : f->rip == resume_rip ? "the next instruction (a trap)"
				   : "somewhere unexpected!");
	if (f->vector == 14) {
		uint64_t cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		say("     CR2 = 0x%lx (the linear address that failed); error code bits:\n", cr2);
		say("     P=%lu (0: page not present) W/R=%lu (1: a write) U/S=%lu (0: CPL 0)\n",
		    f->error & 1, f->error >> 1 & 1, f->error >> 2 & 1);
	}
	expect_vector = ~0ull;
	f->rip = resume_rip;
	return 1; /* IRETQ to resume_rip */
}

/*
 * Each probe records the address of the instruction and of the one after
 * it (labels 1 and 2) before executing it.  Both labels are in the same
 * asm statement, so the compiler cannot move anything between them.
 */
#define PROBE(insn, ...)                                                                           \
	__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"                                               \
			 "movq %%r11, %0\n\t"                                                      \
			 "leaq 2f(%%rip), %%r11\n\t"                                               \
			 "movq %%r11, %1\n\t"                                                      \
			 "1: " insn "\n"                                                           \
			 "2:"                                                                      \
			 : "=m"(at_rip), "=m"(resume_rip)                                          \
			 : __VA_ARGS__                                                             \
			 : "r11", "memory")

void tour_exceptions(void)
{
	trap_set_hook(tour_hook);
	say("Exceptions on purpose - the CPU stops, saves RIP, CS, RFLAGS, RSP, SS\n");
	say("on the stack and jumps through the IDT:\n");

	say("INT3 (breakpoint, what debuggers plant):\n");
	expect_vector = 3;
	PROBE("int3", "i"(0));

	say("UD2 (an opcode defined to be undefined):\n");
	expect_vector = 6;
	PROBE("ud2", "i"(0));

	say("DIV RCX with RCX = 0:\n");
	expect_vector = 0;
	PROBE("divq %%rcx", "a"(1ull), "d"(0ull), "c"(0ull));

	say("MOV to linear address 0x40000000 (1 GiB: beyond our page tables):\n");
	expect_vector = 14;
	PROBE("movb $1, (%%rcx)", "c"(0x40000000ull));
	trap_set_hook(0);
}
