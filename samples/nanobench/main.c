/*
 * main.c - nanobench: Adams & Agesen's nanobenchmarks (ASPLOS 2006 §4.3)
 * as a 32-bit multiboot kernel with paging (issue 8).
 *
 * Each benchmark is one operation in a loop (bench.S): a system call from
 * ring 3, IN from a port, a control-register write, CALL/RET, a page fault,
 * a divide error and a page-table-entry write.  Every one runs three times:
 *
 *   warm-up      4 iterations, unmarked (first-touch costs: shadow fills)
 *   baseline     0 iterations, marked     the fixed cost of one measurement
 *   measured     N iterations, marked
 *
 * The marks go to vmlab's phase-marker port (devices/phase_marker.h);
 * `vmlab run --stats` prints the difference per iteration.  The kernel
 * prints only what it computed and checked -- never a count that depends
 * on the machine -- so its serial output is the same bare (--virt=none),
 * under the VMM (--virt=trap, --cpu=pg-strict) and on QEMU, which ignores
 * the port.  N comes from the command line ("n=1000"; default 10000).
 *
 *   GDT, TSS (ring-0 stack for ring 3)     SDM Vol 3 §3.4.5, §7.2
 *   IDT: 32-bit interrupt gates             SDM Vol 3 §6.11
 *   32-bit paging, 4 KiB pages, CR0.WP      SDM Vol 3 §4.3, §4.6
 *   INVLPG after a PTE change               SDM Vol 3 §4.10.4.1
 *
 * Interrupts stay disabled throughout (IF = 0, PIC masked): no timer can
 * add noise, and plain --virt=trap's IRET hole (it cannot restore the
 * virtual IF) changes nothing.  SYSENTER/SYSEXIT are measured from ring 3:
 * under the VMM both trap (the real IA32_SYSENTER_CS is 0, hypervisor/
 * vmm_msr.c) and are emulated; a VMM that passed the guest's MSR to the
 * CPU would run the handler at real ring 0 without a trap.
 */
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

void nb_main(const u32 *mbi);
void nb_unexpected(u32 vec, u32 a, u32 b) __attribute__((noreturn));

/* start.S */
extern void de_entry(void), pf_entry(void), sys_entry(void);
extern void (*const unexp_table[20])(void);
extern void sysenter_entry(void);
extern volatile u32 de_count, pf_count, sys_count, sysenter_count, sysenter_esp_seen;
void enter_user(void (*eip)(void), u32 esp);

/* bench.S */
u32 bench_in(u32 n);
void bench_cr0(u32 n);
void bench_cr3(u32 n);
u32 bench_call(u32 n);
void bench_pf(u32 n, u32 va);
void bench_de(u32 n);
u32 bench_pte(u32 n, u32 *pte, u32 va, u32 flip);
void user_sys(void);
void user_sysenter(void);
u32 user_n; /* read by user_sys at ring 3 */

/* ---- ports, serial, the marker ------------------------------------------- */

static inline void outb(u16 p, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p));
}

static inline void outl(u16 p, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p));
}

static inline u8 inb(u16 p)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}

#define COM1 0x3f8

static void putc_(char ch)
{
	while (!(inb(COM1 + 5) & 0x20)) /* LSR.THRE */
		;
	outb(COM1, (u8)ch);
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void putu(u32 v)
{
	char b[12];
	int k = 0;

	do
		b[k++] = (char)('0' + v % 10);
	while (v /= 10);
	while (k)
		putc_(b[--k]);
}

static void puthex(u32 v)
{
	puts_("0x");
	for (int k = 28; k >= 0; k -= 4)
		putc_("0123456789abcdef"[(v >> k) & 15]);
}

/* The phase-marker protocol (devices/phase_marker.h): iterations, name,
 * then BEGIN; END.  QEMU drops these writes. */
#define MARK_PORT 0x8a00

static void mark_begin(const char *name, u32 n)
{
	outl(MARK_PORT + 4, n);
	while (*name)
		outb(MARK_PORT + 1, (u8)*name++);
	outb(MARK_PORT, 1);
}

static void mark_end(void)
{
	outb(MARK_PORT, 2);
}

static int failures;

static void report(const char *what, int ok)
{
	puts_(ok ? "  ok   " : "  FAIL ");
	puts_(what);
	putc_('\n');
	if (!ok)
		failures++;
}

void nb_unexpected(u32 vec, u32 a, u32 b)
{
	/* The stack holds: return address of the stub's call, vector, then
	 * the CPU's frame; a and b are its first two words. */
	puts_("nanobench: unexpected exception ");
	putu(vec);
	puts_(" frame ");
	puthex(a);
	putc_(' ');
	puthex(b);
	putc_('\n');
	outb(0xf4, 3);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline void wrmsr(u32 idx, u32 lo)
{
	__asm__ volatile("wrmsr" ::"c"(idx), "a"(lo), "d"(0));
}

static inline u32 rdmsr(u32 idx)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx));
	return lo;
}

/* ---- descriptor tables ------------------------------------------------------ */

static u64 gdt[6];
static u64 idt[256];
static struct __attribute__((packed)) {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 gpr[8], seg[6], ldt;
	u16 trap, iomap;
} tss;
static u8 kstack[8192] __attribute__((aligned(16)));
static u8 ustack[4096] __attribute__((aligned(16)));
static u8 sestack[1024] __attribute__((aligned(16))); /* IA32_SYSENTER_ESP */

static u64 seg_desc(u32 base, u32 limit, unsigned access, unsigned flags)
{
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)access << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)flags << 52) | ((u64)(base >> 24) << 56);
}

/* A 32-bit interrupt gate (type 0xE: IF cleared on entry). */
static void set_gate(int vec, void (*fn)(void), unsigned dpl)
{
	u32 off = (u32)fn;

	idt[vec] = (off & 0xffff) | (0x08ULL << 16) | ((u64)(0x80 | dpl << 5 | 0xe) << 40) |
		   ((u64)(off >> 16) << 48);
}

static void tables_init(void)
{
	struct __attribute__((packed)) {
		u16 lim;
		u32 base;
	} d;

	gdt[1] = seg_desc(0, 0xfffff, 0x9a, 0xc);		/* 0x08 kernel code */
	gdt[2] = seg_desc(0, 0xfffff, 0x92, 0xc);		/* 0x10 kernel data */
	gdt[3] = seg_desc(0, 0xfffff, 0xfa, 0xc);		/* 0x18 user code */
	gdt[4] = seg_desc(0, 0xfffff, 0xf2, 0xc);		/* 0x20 user data */
	gdt[5] = seg_desc((u32)&tss, sizeof(tss) - 1, 0x89, 0); /* 0x28 TSS */
	d.lim = sizeof(gdt) - 1;
	d.base = (u32)gdt;
	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n"
			 "1:\tmov $0x10, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\t"
			 "mov %%ax, %%ss" ::"m"(d)
			 : "eax", "memory");
	tss.ss0 = 0x10;
	tss.esp0 = (u32)(kstack + sizeof(kstack));
	tss.iomap = sizeof(tss); /* no I/O bitmap: ring 3 may not touch ports */
	__asm__ volatile("ltr %w0" ::"r"(0x28));

	for (int v = 1; v < 20; v++)
		if (unexp_table[v])
			set_gate(v, unexp_table[v], 0);
	set_gate(0, de_entry, 0);
	set_gate(14, pf_entry, 0);
	set_gate(0x80, sys_entry, 3);
	d.lim = sizeof(idt) - 1;
	d.base = (u32)idt;
	__asm__ volatile("lidt %0" ::"m"(d));

	/* SYSENTER (SDM Vol 3 §5.8.7): CS 0x08, SS 0x10; SYSEXIT: CS 0x1b,
	 * SS 0x23 -- the GDT above is laid out in that order. */
	wrmsr(0x174, 0x08);				/* IA32_SYSENTER_CS */
	wrmsr(0x175, (u32)(sestack + sizeof(sestack))); /* IA32_SYSENTER_ESP */
	wrmsr(0x176, (u32)sysenter_entry);		/* IA32_SYSENTER_EIP */
}

/* The 8259A pair, remapped and masked but for the cascade line: IN from
 * the master's IMR (port 0x21) then reads 0xfb -- a value QEMU's PIC and
 * ours must both keep (an unclaimed port would read 0xff). */
#define PIC_IMR 0xfb

static void pic_init(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, PIC_IMR);
	outb(0xa1, 0xff);
}

/* ---- paging ------------------------------------------------------------------ */

#define PG_P	0x001
#define PG_W	0x002
#define PG_U	0x004
#define TEST_VA 0x40000000u /* page 0 never present, page 1 the PTE window */

static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pt_low[2][1024] __attribute__((aligned(4096))); /* identity 0-8 MiB */
static u32 pt_test[1024] __attribute__((aligned(4096)));
static u32 frame_a[1024] __attribute__((aligned(4096)));
static u32 frame_b[1024] __attribute__((aligned(4096)));

static void paging_init(void)
{
	u32 cr0;

	/* Everything user-accessible: the ring-3 loop lives in the kernel
	 * image (this is a benchmark, not a protection test). */
	for (u32 k = 0; k < 2048; k++)
		pt_low[k / 1024][k % 1024] = (k << 12) | PG_P | PG_W | PG_U;
	pd[0] = (u32)pt_low[0] | PG_P | PG_W | PG_U;
	pd[1] = (u32)pt_low[1] | PG_P | PG_W | PG_U;
	pd[TEST_VA >> 22] = (u32)pt_test | PG_P | PG_W;
	pt_test[0] = 0;				 /* not present */
	pt_test[1] = (u32)frame_a | PG_P | PG_W; /* flipped to frame_b */
	frame_a[0] = 3;
	frame_b[0] = 5;
	__asm__ volatile("mov %0, %%cr3" ::"r"((u32)pd) : "memory");
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 |= 0x80010000; /* PG, WP */
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
}

/* ---- the benchmarks -------------------------------------------------------- */

/* The ring-3 system-call loop: n calls, then the exit call. */
static void run_sys(u32 n)
{
	user_n = n;
	enter_user(user_sys, (u32)(ustack + sizeof(ustack)));
}

static void run_sysenter(u32 n)
{
	user_n = n;
	enter_user(user_sysenter, (u32)(ustack + sizeof(ustack)));
}

static u32 parse_n(const u32 *mbi)
{
	const char *s;
	u32 n = 0;

	if (!(mbi[0] & 4) || !mbi[4]) /* flags bit 2: cmdline */
		return 10000;
	for (s = (const char *)mbi[4]; *s; s++)
		if (s[0] == 'n' && s[1] == '=')
			break;
	if (!*s)
		return 10000;
	for (s += 2; *s >= '0' && *s <= '9'; s++)
		n = n * 10 + (u32)(*s - '0');
	return n ? n : 10000;
}

/*
 * Warm-up, baseline (0), measured (n).  One function runs all three through
 * a pointer, so that the code around the loop -- markers, call, return --
 * is the very same instructions in the baseline and the measured run, and
 * cancels exactly.
 */
static void __attribute__((noinline)) measure(const char *name, u32 n, void (*fn)(u32))
{
	fn(4);
	mark_begin(name, 0);
	fn(0);
	mark_end();
	mark_begin(name, n);
	fn(n);
	mark_end();
}

/* The benchmarks as void (u32) functions; results in globals. */
static u32 res_in, res_call, res_pte, sum_pte;

static void do_in(u32 n)
{
	res_in = bench_in(n); /* the measured run is the last */
}

static void do_call(u32 n)
{
	res_call = bench_call(n);
}

static void do_pf(u32 n)
{
	bench_pf(n, TEST_VA);
}

static void do_pte(u32 n)
{
	res_pte = bench_pte(n, &pt_test[1], TEST_VA + 0x1000, (u32)frame_a ^ (u32)frame_b);
	sum_pte += res_pte;
}

void nb_main(const u32 *mbi)
{
	u32 n = parse_n(mbi), before;

	puts_("nanobench: Adams & Agesen nanobenchmarks, ");
	putu(n);
	puts_(" iterations each\n");
	tables_init();
	pic_init();
	paging_init();
	puts_("nanobench: GDT, IDT, TSS, PIC and 32-bit paging ready\n");

	before = sys_count;
	measure("syscall", n, run_sys);
	report("syscall: INT 0x80 from ring 3, every call counted", sys_count - before == n + 4);

	before = sysenter_count;
	measure("sysenter", n, run_sysenter);
	report("sysenter: SYSENTER/SYSEXIT from ring 3, on the MSR's stack, every call counted",
	       sysenter_count - before == n + 4 &&
		   sysenter_esp_seen == (u32)(sestack + sizeof(sestack)));
	report("sysenter: RDMSR reads back IA32_SYSENTER_CS/ESP/EIP as written",
	       rdmsr(0x174) == 0x08 && rdmsr(0x175) == (u32)(sestack + sizeof(sestack)) &&
		   rdmsr(0x176) == (u32)sysenter_entry);

	measure("in", n, do_in);
	report("in: IN AL, 0x21 reads the PIC mask written (0xfb)", res_in == PIC_IMR);

	measure("cr0-write", n, bench_cr0);
	report("cr0-write: MOV CR0 with its own value, still paging", frame_a[0] == 3);

	measure("cr3-write", n, bench_cr3);
	report("cr3-write: MOV CR3 with its own value, still paging", frame_b[0] == 5);

	measure("call/ret", n, do_call);
	report("call/ret: every call returned", res_call == n);

	before = pf_count;
	measure("pagefault", n, do_pf);
	report("pagefault: one #PF per touch of a not-present page", pf_count - before == n + 4);

	before = de_count;
	measure("divide", n, bench_de);
	report("divide: one #DE per DIV by zero, resumed after it", de_count - before == n + 4);

	/* The PTE loop flips frame_a <-> frame_b: warm-up 4 flips (back to
	 * frame_a, reads 5+3+5+3), baseline none, then n: 5, 3, 5 ... */
	measure("pte-write", n, do_pte);
	report("pte-write: PTE flip + INVLPG, every read saw the new frame",
	       res_pte == (n + 1) / 2 * 5 + n / 2 * 3 && sum_pte == res_pte + 16);

	puts_(failures ? "nanobench: FAILED\n" : "nanobench: all passed\n");
	outb(0xf4, failures ? 1 : 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}
