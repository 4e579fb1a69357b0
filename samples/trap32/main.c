/*
 * main.c - trap32: a small 32-bit protected-mode kernel without paging that
 * exercises everything a trap-and-emulate VMM must virtualize (DESIGN.md §4,
 * issue 8), and prints only what bare metal determines, so that its serial
 * output is the same under --virt=none, --virt=trap --cpu=pg-strict and
 * QEMU (equivalence: Popek & Goldberg's first property).
 *
 *   GDT with ring-0/ring-3 segments and a TSS    SDM Vol 3 §3.4.5, §7.2
 *   IDT with interrupt/trap gates                SDM Vol 3 §6.10-6.12
 *   8259A PIC remapped to 0x20/0x28, EOI         Intel 8259A data sheet
 *   8254 PIT channel 0, mode 2, timer IRQ 0      Intel 8254 data sheet
 *   a ring-3 task, int 0x80 system calls         SDM Vol 3 §6.12.1 (stack switch)
 *   #DE, #UD, #GP, #BP handled and resumed       SDM Vol 3 §6.15
 *   16550 UART: LSR polling, scratch register    NS16550A data sheet
 *   exit through the debug-exit port 0xF4        QEMU isa-debug-exit
 *
 * Under --virt=trap the kernel runs at real ring 1: every LGDT/LIDT/LTR,
 * CLI/STI/HLT, IN/OUT and IRET here traps into the VMM, and every interrupt
 * and exception is reflected through this IDT.  The kernel deliberately
 * uses no "hole" (PUSHF, SGDT, MOV from CS ...) so that its output is the
 * same even under plain --virt=trap.
 */
#include "samples/lib/check.h"
#include "samples/lib/io.h"
#include "samples/lib/pm32.h"
#include "samples/lib/serial.h"

#define COM1 COM1_PORT

/* ---- descriptor tables ---------------------------------------------------- */

static u8 kstack[8192] __attribute__((aligned(16))); /* ring-0 stack for ring 3 */
static u8 ustack[4096] __attribute__((aligned(16)));

/* The GDT (pm32.h: kernel and user segments, the TSS), the TSS's ring-0
 * stack, and the IDT: every exception and IRQ through samples/lib/isr32.S
 * to pm32_trap() below. */
static void tables_init(void)
{
	pm32_gdt_load();
	pm32_tss_load((u32)(kstack + sizeof(kstack)));

	for (int v = 0; v < 20; v++)
		pm32_set_gate(v, isr32_table[v], GATE_INTR32, 0);
	pm32_set_gate(3, isr32_table[3], GATE_TRAP32, 3); /* INT3 allowed from ring 3 */
	for (int v = 0; v < 16; v++)
		pm32_set_gate(32 + v, isr32_table[32 + v], GATE_INTR32, 0);
	pm32_set_gate(0x80, isr32_128, GATE_INTR32, 3); /* system calls */
	pm32_set_gate(0x81, isr32_129, GATE_INTR32, 0); /* not for ring 3: #GP(0x81*8+2) */
	pm32_idt_load();
}

/* ---- PIC and PIT ------------------------------------------------------------- */

static void pic_init(void)
{
	outb(0x20, 0x11); /* ICW1: edge, cascade, ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, 0x20); /* ICW2: master vectors 0x20-0x27 */
	outb(0xa1, 0x28); /*       slave 0x28-0x2f */
	outb(0x21, 0x04); /* ICW3: slave on IRQ 2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01); /* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, 0xfe); /* OCW1: only IRQ 0 (the PIT) */
	outb(0xa1, 0xff);
}

static void pit_init(void)
{
	u16 div = 11932; /* 1193182 Hz / 11932 = 100 Hz */

	outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
}

/* ---- traps ---------------------------------------------------------------- */

static volatile u32 ticks;
static volatile u32 seen[256]; /* exceptions taken, by vector */
static volatile u32 last_err[256];
static volatile u32 last_cs[256];
static volatile u32 *volatile pf_fix_pte; /* #PF: write pf_fix_val here and retry */
static volatile u32 pf_fix_val, pf_cr2;
/* Where a faulting instruction resumes, or 0; global: the inline asm
 * below stores it by name ("movl $1f, fixup"). */
volatile u32 fixup;

static u32 sys_call(struct frame32 *f)
{
	switch (f->eax) {
	case 0: leave_user(f->ebx); /* exit(code) */
	case 1:			    /* write(buf, len) */
		for (u32 k = 0; k < f->ecx; k++)
			serial_tx(((const char *)f->ebx)[k]);
		return f->ecx;
	case 2: return ticks;		    /* ticks() */
	case 3: return f->cs | f->ss << 16; /* whoami(): the selectors the frame holds */
	case 4: return f->esp - (u32)ustack <= sizeof(ustack); /* on my stack? */
	}
	return (u32)-1;
}

void pm32_trap(struct frame32 *f)
{
	if (f->vec >= 32 && f->vec < 48) {
		if (f->vec == 32)
			ticks++;
		if (f->vec >= 40)
			outb(0xa0, 0x20);
		outb(0x20, 0x20); /* EOI */
		return;
	}
	if (f->vec == 0x80) {
		f->eax = sys_call(f);
		return;
	}
	seen[f->vec]++;
	last_err[f->vec] = f->err;
	last_cs[f->vec] = f->cs;
	if (f->vec == 6) {
		f->eip += 2; /* UD2 */
		return;
	}
	if (f->vec == 3)
		return; /* a trap: EIP is already past INT3 */
	if (f->vec == 14 && pf_fix_pte) {
		/* Demand paging: install the PTE the test prepared, drop any
		 * stale translation, and run the instruction again. */
		__asm__ volatile("mov %%cr2, %0" : "=r"(pf_cr2));
		*pf_fix_pte = pf_fix_val;
		pf_fix_pte = 0;
		__asm__ volatile("invlpg (%0)" ::"r"(pf_cr2) : "memory");
		return;
	}
	if (fixup) {
		f->eip = fixup;
		fixup = 0;
		return;
	}
	pm32_unexpected("trap32", f);
}

/* ---- the ring-3 task ------------------------------------------------------------ */

static inline u32 syscall3(u32 nr, u32 a, u32 b)
{
	u32 r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
	return r;
}

static void uputs(const char *s)
{
	u32 n = 0;

	while (s[n])
		n++;
	syscall3(1, (u32)s, n);
}

static void user_main(void)
{
	u32 t0, who, k;

	uputs("user: hello from ring 3\n");
	who = syscall3(3, 0, 0);
	uputs((who & 0xffff) == 0x1b ? "user: frame cs 0x1b\n" : "user: frame cs WRONG\n");
	uputs((who >> 16) == 0x23 ? "user: frame ss 0x23\n" : "user: frame ss WRONG\n");
	uputs(syscall3(4, 0, 0) ? "user: frame esp on the user stack\n"
				: "user: frame esp WRONG\n");

	/* Timer interrupts while in ring 3: a stack switch through the TSS.
	 * 2 ticks (20 ms) take ~330k iterations in vmlab's virtual time and
	 * fewer in QEMU's real time; the bound ends the loop when the timer
	 * never comes (plain --virt=trap: the IRET hole left IF virtually 0). */
	t0 = syscall3(2, 0, 0);
	for (k = 0; k < 1000000 && syscall3(2, 0, 0) - t0 < 2; k++)
		;
	uputs(syscall3(2, 0, 0) - t0 >= 2 ? "user: 2 timer ticks in ring 3\n"
					  : "user: timer STUCK\n");

	/* Privileged from ring 3: #GP(0), CLI and an OUT at CPL 3 > IOPL 0. */
	__asm__ volatile("movl $1f, fixup\n\tcli\n1:" ::: "memory");
	__asm__ volatile("movl $1f, fixup\n\toutb %%al, $0x80\n1:" ::"a"(0) : "memory");
	/* A gate of DPL 0: #GP(vector * 8 + 2). */
	__asm__ volatile("movl $1f, fixup\n\tint $0x81\n1:" ::: "memory");
	__asm__ volatile("int3");
	syscall3(0, 42, 0);
}

/* ---- paging (SDM Vol 3 §4.3 32-bit paging) ------------------------------------ */

#define PG_P	0x001
#define PG_W	0x002
#define PG_A	0x020
#define PG_D	0x040
#define TEST_VA 0x40000000u /* PDE 256: the test window, 4 pages */

static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pd2[1024] __attribute__((aligned(4096)));
static u32 pt_low[2][1024] __attribute__((aligned(4096))); /* identity 0-8 MiB */
static u32 pt_test[1024] __attribute__((aligned(4096)));
static u32 pt_test2[1024] __attribute__((aligned(4096)));
static u32 frames[3][1024] __attribute__((aligned(4096)));

static void paging_tests(void)
{
	for (u32 k = 0; k < 2048; k++)
		pt_low[k / 1024][k % 1024] = (k << 12) | PG_P | PG_W;
	pd[0] = (u32)pt_low[0] | PG_P | PG_W;
	pd[1] = (u32)pt_low[1] | PG_P | PG_W;
	pd[TEST_VA >> 22] = (u32)pt_test | PG_P | PG_W;
	pt_test[0] = (u32)frames[0] | PG_P | PG_W; /* clean, writable */
	pt_test[2] = (u32)frames[2] | PG_P;	   /* read-only */
	pt_test[3] = (u32)frames[0] | PG_P | PG_W; /* remapped below */
	for (int k = 0; k < 1024; k++)
		pd2[k] = pd[k];
	pd2[TEST_VA >> 22] = (u32)pt_test2 | PG_P | PG_W;
	pt_test2[0] = (u32)frames[2] | PG_P | PG_W;
	frames[0][0] = 0xa0;
	frames[1][0] = 0xb1;
	frames[2][0] = 0xc2;

	pm32_paging_on((u32)pd); /* CR0.PG and CR0.WP */
	serial_write("trap32: paging on\n");

	/* A and D (SDM Vol 3 §4.8): a read sets A, a write D. */
	check("read through a 4 KiB page", rd(TEST_VA) == 0xa0);
	check("the read set A, not D", (pt_test[0] & (PG_A | PG_D)) == PG_A);
	wr(TEST_VA, 0xa1);
	check("the write set D", (pt_test[0] & PG_D) && frames[0][0] == 0xa1);

	/* A not-present page: #PF(W), CR2, demand-mapped and retried. */
	pf_fix_pte = &pt_test[1];
	pf_fix_val = (u32)frames[1] | PG_P | PG_W;
	wr(TEST_VA + 0x1000, 0xb2);
	check("#PF(0x2) for a write to a not-present page, CR2 right",
	      seen[14] == 1 && last_err[14] == 0x2 && pf_cr2 == TEST_VA + 0x1000);
	check("retried after the handler mapped it", frames[1][0] == 0xb2);

	/* A read-only page with CR0.WP = 1: #PF(P|W) at ring 0 too. */
	pf_fix_pte = &pt_test[2];
	pf_fix_val = (u32)frames[2] | PG_P | PG_W;
	wr(TEST_VA + 0x2000, 0xc3);
	check("#PF(0x3) for a ring-0 write to a read-only page (WP)",
	      seen[14] == 2 && last_err[14] == 0x3 && pf_cr2 == TEST_VA + 0x2000);
	check("retried after the handler made it writable", frames[2][0] == 0xc3);

	/* INVLPG: a remapped page reads its new frame. */
	check("remap window reads frame 0", rd(TEST_VA + 0x3000) == 0xa1);
	pt_test[3] = (u32)frames[1] | PG_P | PG_W;
	invlpg(TEST_VA + 0x3000);
	check("after the PTE write and INVLPG: frame 1", rd(TEST_VA + 0x3000) == 0xb2);

	/* CR3 switch: another address space maps the window elsewhere. */
	set_cr3((u32)pd2);
	check("CR3 -> second directory: frame 2", rd(TEST_VA) == 0xc3);
	set_cr3((u32)pd);
	check("CR3 -> first directory again: frame 0", rd(TEST_VA) == 0xa1);
	check("no unexpected page faults", seen[14] == 2);
}

/* ---- the kernel --------------------------------------------------------------- */

int sample_main(u32 magic __attribute__((unused)), u32 mbi_phys __attribute__((unused)))
{
	u32 q = 0, r;

	serial_write("trap32: 32-bit kernel, no paging\n");
	tables_init();
	serial_write("trap32: GDT, IDT and TSS loaded\n");

	/* The UART, as a device: the scratch register keeps what we write. */
	outb(COM1 + 7, 0xa5);
	check("uart scratch register", inb(COM1 + 7) == 0xa5);
	check("uart LSR transmitter empty", (inb(COM1 + 5) & 0x60) == 0x60);

	/* Exceptions at ring 0, handled and resumed. */
	__asm__ volatile("movl $1f, fixup\n\tdivl %2\n1:"
			 : "=a"(r), "+d"(q)
			 : "r"(q), "a"(7)
			 : "memory");
	check("#DE taken from ring 0 (cs 0x08)", seen[0] == 1 && last_cs[0] == 0x08);
	__asm__ volatile("ud2");
	check("#UD taken, resumed after UD2", seen[6] == 1);
	__asm__ volatile("movl $1f, fixup\n\tmov %0, %%fs\n1:" ::"r"(0x100) : "memory");
	__asm__ volatile("mov %0, %%fs" ::"r"(0x10));
	check("#GP(0x100) for a selector past the GDT", seen[13] == 1 && last_err[13] == 0x100);
	__asm__ volatile("int3");
	check("#BP from INT3 at ring 0", seen[3] == 1);

	/* The timer. */
	pic_init();
	pit_init();
	__asm__ volatile("sti");
	while (ticks < 5)
		__asm__ volatile("hlt");
	__asm__ volatile("cli");
	check("5 timer interrupts, HLT woken by IRQ 0", ticks >= 5);

	/* The ring-3 task. */
	r = enter_user(user_main, (u32)(ustack + sizeof(ustack)), 0x202); /* IF = 1, IOPL 0 */
	check("user task exited with 42", r == 42);
	check("#GP(0) for CLI and OUT at ring 3", seen[13] == 4 && last_cs[13] == 0x1b);
	check("#GP(0x40a) for INT 0x81 (gate DPL 0) at ring 3", last_err[13] == 0x40a);
	check("#BP from INT3 at ring 3", seen[3] == 2 && last_cs[3] == 0x1b);

	paging_tests();

	if (check_failures())
		serial_write("trap32: FAILED\n");
	else
		serial_write("trap32: all passed\n");
	return check_failures() ? 1 : 0; /* to the debug-exit port (entry32.S) */
}
