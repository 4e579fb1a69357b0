/*
 * traps.c - lab 02: what the kernel does with each trap.  YOU write the
 * TODOs.
 *
 * Follows the Intel SDM Vol. 3A 6.15 "Exception and Interrupt Reference"
 * (#DE: a fault, RIP points at the DIV; #PF: CR2 holds the linear address,
 * the error code says why, Figure 6-11 "Page-Fault Error Code") and 6.12
 * (handlers run with the frame of struct frame; what we change there is
 * what IRETQ resumes).
 */
#include "labs/02-traps/lab02.h"
#include "samples/lib/exit.h"
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"

volatile unsigned timer_ticks, timer_vector, faults_seen;
volatile uint64_t fault_rip, resume_rip;

/* A test made the fault on purpose and said where to go on (main.c). */
static void resume(struct frame *f)
{
	faults_seen++;
	f->rip = resume_rip;
}

static void divide_error(struct frame *f)
{
	/* A fault: RIP is the DIV itself, so returning as-is would retry it
	 * forever.  The test told us where to resume. */
	printf("[lab02] #DE divide error, rip at the DIV: %s\n",
	       f->rip == fault_rip ? "yes" : "no");
	resume(f);
}

/*
 * Print "[lab02] #PF cr2=0x... error=0x... (WORDS)" where WORDS decode the
 * error code (Figure 6-11), in this order:
 *   bit 0 P     "not-present" (0) or "protection" (1)
 *   bit 1 W/R   "read" (0) or "write" (1)
 *   bit 2 U/S   "supervisor" (0) or "user" (1)
 *   bit 3 RSVD  " reserved-bit" when set
 *   bit 4 I/D   " fetch" when set
 * e.g. "(not-present write supervisor)".  CR2 is read with MOV from CR2.
 */
static void page_fault(struct frame *f)
{
	/* BEGIN SOLUTION: read CR2; print cr2, the error code and its decoded words */
	uint64_t cr2, e = f->error;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	printf("[lab02] #PF cr2=0x%lx error=0x%lx (%s %s %s%s%s)\n", cr2, e,
	       e & 1 ? "protection" : "not-present", e & 2 ? "write" : "read",
	       e & 4 ? "user" : "supervisor", e & 8 ? " reserved-bit" : "", e & 16 ? " fetch" : "");
	/* END SOLUTION */
	resume(f);
}

/* IRQ 0: count the tick, remember the vector, acknowledge it at the PIC. */
static void timer(struct frame *f)
{
	timer_ticks++;
	timer_vector = (unsigned)f->vector;
	/* BEGIN SOLUTION: tell the PIC this interrupt is handled */
	pic_eoi(0);
	/* END SOLUTION */
}

/*
 * INT 0x80 from ring 3: RAX is the call number, RDI and RSI the arguments,
 * the result goes back in the frame's RAX.
 *   SYS_WRITE(buf, len)  print len bytes of buf; return len
 *   SYS_GETCPL()         return the caller's CPL: the low 2 bits of its CS
 *   SYS_EXIT(status)     user_return(status): never back to the caller
 *   anything else        return -1
 */
static void syscall(struct frame *f)
{
	/* BEGIN SOLUTION: switch on f->rax */
	switch (f->rax) {
	case SYS_WRITE: {
		const char *s = (const char *)f->rdi;

		for (uint64_t i = 0; i < f->rsi; i++)
			serial_putc(s[i]);
		f->rax = f->rsi;
		break;
	}
	case SYS_GETCPL: f->rax = f->cs & 3; break;
	case SYS_EXIT: user_return((int)f->rdi);
	default: f->rax = (uint64_t)-1; break;
	}
	/* HANDOUT: f->rax = (uint64_t)-1; */
	/* END SOLUTION */
}

void lab02_trap(struct frame *f)
{
	switch (f->vector) {
	case 0: divide_error(f); return;
	case 14: page_fault(f); return;
	case VEC_IRQ0: timer(f); return;
	case VEC_SYSCALL: syscall(f); return;
	}
	printf("[lab02] unexpected trap: vector %lu error 0x%lx at rip=0x%lx cs=0x%lx\n", f->vector,
	       f->error, f->rip, f->cs);
	guest_exit(EXIT_EXCEPTION);
}
