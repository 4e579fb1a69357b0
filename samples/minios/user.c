/*
 * user.c - minios's ring-3 programs.  kernel.ld puts everything of this
 * file (code, strings, data, stack) on its own pages, the only pages with
 * U/S = 1, so these functions can touch nothing else: the kernel is
 * reached through int 0x80 (EAX = call number, EBX/ECX = arguments, the
 * result in EAX), and any other attempt is an exception that kills the
 * program.  Keep this file free of library calls: the kernel's memcpy is
 * on a supervisor page.
 */
#include "samples/minios/kernel.h"

u8 user_stack[4096] __attribute__((aligned(16)));

static int sys(int n, u32 a, u32 b)
{
	int r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b) : "memory");
	return r;
}

static u32 ulen(const char *s)
{
	u32 n = 0;
	while (s[n])
		n++;
	return n;
}

static void uputs(const char *s)
{
	sys(SYS_WRITE, (u32)s, ulen(s));
}

static void uputnum(u32 v)
{
	char b[12];
	int i = 11;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	uputs(b + i);
}

/* 0: the well-behaved program: writes, asks for its pid, computes, exits 42 */
void user_main0(void)
{
	uputs("user: hello from ring 3, pid ");
	uputnum((u32)sys(SYS_GETPID, 0, 0));
	uputs("\n");
	u32 sum = 0;
	for (u32 i = 1; i <= 1000; i++)
		sum += i * i;
	uputs("user: sum of squares 1..1000 = ");
	uputnum(sum);
	uputs("\n");
	/* a pointer into the kernel must be refused (-1), not followed */
	int r = sys(SYS_WRITE, 0x10000, 16);
	uputs(r == -1 ? "user: kernel pointer refused\n" : "user: kernel pointer ACCEPTED\n");
	u32 t = (u32)sys(SYS_TICKS, 0, 0);
	while ((u32)sys(SYS_TICKS, 0, 0) == t) /* interrupts reach ring 3 */
		;
	uputs("user: the timer ticks in ring 3\n");
	sys(SYS_EXIT, sum == 333833500 ? 42 : 1, 0);
}

/* 1: reads a kernel page: #PF, error code 5 (present, read, user) */
void user_main1(void)
{
	uputs("user: reading kernel memory\n");
	volatile u32 *p = (volatile u32 *)0x10000;
	sys(SYS_EXIT, *p, 0);
}

/* 2: a privileged instruction: CLI at CPL 3 > IOPL 0 is #GP(0) */
void user_main2(void)
{
	uputs("user: trying cli\n");
	__asm__ volatile("cli");
	sys(SYS_EXIT, 0, 0);
}

/* 3: port I/O with no I/O bitmap in the TSS: #GP(0) */
void user_main3(void)
{
	uputs("user: trying outb\n");
	__asm__ volatile("outb %%al, $0x80" : : "a"(0));
	sys(SYS_EXIT, 0, 0);
}
