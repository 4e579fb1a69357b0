/*
 * syscall.c - the kernel side of ring 3: entering a user program, the
 * int 0x80 system calls, and killing a program that faults.
 *
 * The CPU switches to TSS.SS0:ESP0 when an interrupt or int 0x80 arrives
 * in ring 3 (Intel SDM Vol. 3A §7.12.1); we point ESP0 at a stack of its
 * own, so the kernel stack that called user_run() stays untouched and
 * user_return() (entry.S) can simply go back to it.
 */
#include "samples/minios/kernel.h"

extern char user_start[], user_end[];
extern u8 user_stack[4096];
void user_main0(void), user_main1(void), user_main2(void), user_main3(void);
int user_enter(u32 eip, u32 esp, u32 *saved_esp);
void user_return(u32 saved_esp, int code) __attribute__((noreturn));

static u8 trap_stack[8192] __attribute__((aligned(16)));
static u32 saved_esp;
static int active;
u32 syscall_count;

int user_active(void)
{
	return active;
}

int user_run(int which)
{
	static void (*const prog[])(void) = {user_main0, user_main1, user_main2, user_main3};
	if (which < 0 || which >= (int)(sizeof prog / sizeof prog[0]))
		return -1000;
	tss_set_esp0((u32)(trap_stack + sizeof trap_stack));
	active = 1;
	int r = user_enter((u32)prog[which], (u32)(user_stack + sizeof user_stack), &saved_esp);
	active = 0;
	sti(); /* we came back through an interrupt gate */
	return r;
}

/* An exception in ring 3: the program ends with -1 - vector. */
void user_kill(struct trapframe *tf)
{
	if (!active)
		panic("user_kill without a user program");
	user_return(saved_esp, -1 - (int)tf->vector);
}

/* Is [p, p+n) inside the user pages?  The kernel must not read or write
 * through a pointer the program could not use itself. */
static int user_range_ok(u32 p, u32 n)
{
	return p >= (u32)user_start && p <= (u32)user_end && n <= (u32)user_end - p;
}

void syscall_dispatch(struct trapframe *tf)
{
	syscall_count++;
	switch (tf->eax) {
	case SYS_WRITE:
		if (!user_range_ok(tf->ebx, tf->ecx)) {
			tf->eax = (u32)-1;
			break;
		}
		sti(); /* output may wait for the UART */
		console_write((const char *)tf->ebx, tf->ecx);
		cli();
		tf->eax = tf->ecx;
		break;
	case SYS_EXIT: user_return(saved_esp, (int)tf->ebx);
	case SYS_TICKS: tf->eax = ticks; break;
	case SYS_GETPID: tf->eax = 1; break;
	default: tf->eax = (u32)-1; break;
	}
}
