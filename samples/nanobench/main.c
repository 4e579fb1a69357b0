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
#include "samples/lib/check.h"
#include "samples/lib/io.h"
#include "samples/lib/multiboot.h"
#include "samples/lib/pm32.h"
#include "samples/lib/serial.h"

/* start.S */
extern void de_entry(void), pf_entry(void), sys_entry(void);
extern void sysenter_entry(void);
extern volatile u32 de_count, pf_count, sys_count, sysenter_count, sysenter_esp_seen;

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

/* ---- the marker, the report ------------------------------------------------ */

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

/* Every vector but the timed ones (samples/lib/isr32.S): report, stop. */
void pm32_trap(struct frame32 *f)
{
	pm32_unexpected("nanobench", f);
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

static u8 kstack[8192] __attribute__((aligned(16)));
static u8 ustack[4096] __attribute__((aligned(16)));
static u8 sestack[1024] __attribute__((aligned(16))); /* IA32_SYSENTER_ESP */

/* The GDT and TSS of samples/lib (pm32.h), the IDT: the timed handlers
 * of start.S, everything else through samples/lib/isr32.S. */
static void tables_init(void)
{
	pm32_gdt_load();
	pm32_tss_load((u32)(kstack + sizeof(kstack)));
	for (int v = 1; v < 20; v++)
		pm32_set_gate(v, isr32_table[v], GATE_INTR32, 0);
	pm32_set_gate(0, de_entry, GATE_INTR32, 0);
	pm32_set_gate(14, pf_entry, GATE_INTR32, 0);
	pm32_set_gate(0x80, sys_entry, GATE_INTR32, 3);
	pm32_idt_load();

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
	pm32_paging_on((u32)pd); /* CR0.PG and CR0.WP */
}

/* ---- the benchmarks -------------------------------------------------------- */

/* The ring-3 system-call loop: n calls, then the exit call. */
static void run_sys(u32 n)
{
	user_n = n;
	enter_user(user_sys, (u32)(ustack + sizeof(ustack)), 0x002); /* IF = 0, IOPL 0 */
}

static void run_sysenter(u32 n)
{
	user_n = n;
	enter_user(user_sysenter, (u32)(ustack + sizeof(ustack)), 0x002);
}

static u32 parse_n(const struct multiboot_info *mbi)
{
	const char *s;
	u32 n = 0;

	if (!(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		return 10000;
	for (s = (const char *)mbi->cmdline; *s; s++)
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

int sample_main(u32 magic __attribute__((unused)), u32 mbi_phys)
{
	u32 n = parse_n((const struct multiboot_info *)mbi_phys), before;

	serial_write("nanobench: Adams & Agesen nanobenchmarks, ");
	serial_putdec(n);
	serial_write(" iterations each\n");
	tables_init();
	pic_init();
	paging_init();
	serial_write("nanobench: GDT, IDT, TSS, PIC and 32-bit paging ready\n");

	before = sys_count;
	measure("syscall", n, run_sys);
	check("syscall: INT 0x80 from ring 3, every call counted", sys_count - before == n + 4);

	before = sysenter_count;
	measure("sysenter", n, run_sysenter);
	check("sysenter: SYSENTER/SYSEXIT from ring 3, on the MSR's stack, every call counted",
	      sysenter_count - before == n + 4 &&
		  sysenter_esp_seen == (u32)(sestack + sizeof(sestack)));
	check("sysenter: RDMSR reads back IA32_SYSENTER_CS/ESP/EIP as written",
	      rdmsr(0x174) == 0x08 && rdmsr(0x175) == (u32)(sestack + sizeof(sestack)) &&
		  rdmsr(0x176) == (u32)sysenter_entry);

	measure("in", n, do_in);
	check("in: IN AL, 0x21 reads the PIC mask written (0xfb)", res_in == PIC_IMR);

	measure("cr0-write", n, bench_cr0);
	check("cr0-write: MOV CR0 with its own value, still paging", frame_a[0] == 3);

	measure("cr3-write", n, bench_cr3);
	check("cr3-write: MOV CR3 with its own value, still paging", frame_b[0] == 5);

	measure("call/ret", n, do_call);
	check("call/ret: every call returned", res_call == n);

	before = pf_count;
	measure("pagefault", n, do_pf);
	check("pagefault: one #PF per touch of a not-present page", pf_count - before == n + 4);

	before = de_count;
	measure("divide", n, bench_de);
	check("divide: one #DE per DIV by zero, resumed after it", de_count - before == n + 4);

	/* The PTE loop flips frame_a <-> frame_b: warm-up 4 flips (back to
	 * frame_a, reads 5+3+5+3), baseline none, then n: 5, 3, 5 ... */
	measure("pte-write", n, do_pte);
	check("pte-write: PTE flip + INVLPG, every read saw the new frame",
	      res_pte == (n + 1) / 2 * 5 + n / 2 * 3 && sum_pte == res_pte + 16);

	serial_write(check_failures() ? "nanobench: FAILED\n" : "nanobench: all passed\n");
	return check_failures() ? 1 : 0; /* to the debug-exit port (entry32.S) */
}
