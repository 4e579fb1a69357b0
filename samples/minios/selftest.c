/*
 * selftest.c - minios's in-guest test suite ("selftest" in the shell).
 * Each check compares with a value fixed from outside our own code: a
 * published check value (CRC-32 of "123456789"), a number theory fact (1229
 * primes below 10000), what the SDM says an instruction or an exception
 * does (error codes, CR2, truncating IDIV), or data another path wrote
 * (the kernel image the BIOS loaded vs the same sectors read by our IDE
 * driver).  The serial transcript is compared with QEMU's by the tests.
 */
#include "samples/minios/kernel.h"

int selftest_failures;
static int failed_here;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			kprintf("\n  check failed: %s (line %d)", #cond, __LINE__);                \
			failed_here++;                                                             \
		}                                                                                  \
	} while (0)

/* ---- probes: run one instruction that may fault, report the vector -------- */
static int probe_read(u32 addr)
{
	u32 v;
	fixup_vector = 0xFF;
	__asm__ volatile("movl $1f, fixup_eip\n\t"
			 "movl (%1), %0\n"
			 "1:\tmovl $0, fixup_eip"
			 : "=&r"(v)
			 : "r"(addr)
			 : "memory");
	return (int)fixup_vector;
}

static int probe_write(u32 addr)
{
	fixup_vector = 0xFF;
	__asm__ volatile("movl $1f, fixup_eip\n\t"
			 "movl $0x5a5a5a5a, (%0)\n"
			 "1:\tmovl $0, fixup_eip"
			 :
			 : "r"(addr)
			 : "memory");
	return (int)fixup_vector;
}

/* ---- arithmetic ------------------------------------------------------------ */
static void t_arith(void)
{
	CHECK(crc32("123456789", 9) == 0xCBF43926u);
	/* sieve of Eratosthenes: pi(10000) = 1229 */
	static u8 comp[10000];
	int primes = 0;
	memset(comp, 0, sizeof comp);
	for (int i = 2; i < 10000; i++) {
		if (comp[i])
			continue;
		primes++;
		for (int j = i * i; j < 10000; j += i)
			comp[j] = 1;
	}
	CHECK(primes == 1229);
	/* 64-bit division: 2^64-1 = 10 * 1844674407370955161 + 5 */
	u64 r, q = udivmod64(~0ull, 10, &r);
	CHECK(q == 1844674407370955161ull && r == 5);
	u64 n = 0x0123456789ABCDEFull;
	for (u64 d = 3; d < (1ull << 40); d = d * 7 + 1) {
		q = udivmod64(n, d, &r);
		CHECK(q * d + r == n && r < d);
	}
	/* MUL r/m32: EDX:EAX = EAX * r/m32 */
	u32 lo, hi;
	__asm__("mull %3" : "=a"(lo), "=d"(hi) : "a"(0xFFFFFFFFu), "r"(0xFFFFFFFFu));
	CHECK(hi == 0xFFFFFFFEu && lo == 1);
	/* IDIV truncates toward zero: -7 / 2 = -3 remainder -1 */
	int iq, ir;
	__asm__("cltd; idivl %3" : "=a"(iq), "=d"(ir) : "a"(-7), "c"(2));
	CHECK(iq == -3 && ir == -1);
	/* BSF/BSR: lowest and highest set bit */
	u32 bf, br;
	__asm__("bsfl %2, %0; bsrl %2, %1" : "=&r"(bf), "=&r"(br) : "r"(0x00F0F000u));
	CHECK(bf == 12 && br == 23);
	/* Fibonacci: F(46) = 1836311903, the largest below 2^31 */
	u32 a = 0, b = 1;
	for (int i = 0; i < 46; i++) {
		u32 t = a + b;
		a = b;
		b = t;
	}
	CHECK(a == 1836311903u);
	/* a carry chain: ADD/ADC over 64 bits */
	u32 l = 0xFFFFFFFFu, h = 1;
	__asm__("addl $1, %0; adcl $0, %1" : "+r"(l), "+r"(h));
	CHECK(l == 0 && h == 2);
}

/* ---- the heap --------------------------------------------------------------- */
static void t_heap(void)
{
	enum { N = 200 };
	static u8 *blk[N];
	static u32 len[N];
	size_t free0 = kheap_free_bytes();
	u32 seed = 12345;
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u; /* the C standard's example LCG */
		len[i] = 1 + (seed >> 16) % 3000;
		blk[i] = kmalloc(len[i]);
		CHECK(blk[i] != 0);
		if (blk[i])
			memset(blk[i], i & 0xff, len[i]);
	}
	for (int i = 0; i < N; i += 2) { /* free every other one */
		kfree(blk[i]);
		blk[i] = 0;
	}
	for (int i = 0; i < N; i += 2) { /* and fill the holes again */
		len[i] = 1 + (u32)i * 7;
		blk[i] = kmalloc(len[i]);
		CHECK(blk[i] != 0);
		if (blk[i])
			memset(blk[i], i & 0xff, len[i]);
	}
	for (int i = 0; i < N; i++) { /* nobody overwrote anybody */
		int ok = blk[i] != 0;
		for (u32 k = 0; ok && k < len[i]; k++)
			ok = blk[i][k] == (i & 0xff);
		CHECK(ok);
	}
	for (int i = N - 1; i >= 0; i -= 3) /* free in a scrambled order */
		kfree(blk[i]), blk[i] = 0;
	for (int i = 0; i < N; i++)
		kfree(blk[i]);
	CHECK(kheap_free_bytes() == free0); /* everything coalesced back */
	void *big = kmalloc(free0 - 64);    /* ... into one block */
	CHECK(big != 0);
	kfree(big);
	CHECK(kmalloc(2u << 20) == 0); /* more than the heap: refused */
}

/* ---- frames ------------------------------------------------------------------ */
static void t_frames(void)
{
	static u32 got[512];
	u32 n0 = frame_free_count(), n = 0, pa;
	while ((pa = frame_alloc()) && n < 512)
		got[n++] = pa;
	CHECK(n == n0 && frame_free_count() == 0);
	int aligned = 1;
	for (u32 i = 0; i < n; i++)
		aligned &= (got[i] & 0xFFF) == 0 && (i == 0 || got[i] != got[i - 1]);
	CHECK(aligned);
	while (n)
		frame_free(got[--n]);
	CHECK(frame_free_count() == n0);
}

/* ---- paging and page faults ------------------------------------------------- */
static void t_paging(void)
{
	u32 f0 = demand_faults, frames0 = frame_free_count();
	/* 16 pages on demand: each first touch is one #PF the kernel resolves */
	for (u32 i = 0; i < 16; i++)
		*(volatile u32 *)(DEMAND_BASE + i * PAGE_SIZE + 8) = 0xC0DE0000u + i;
	CHECK(demand_faults - f0 == 16);
	int ok = 1;
	for (u32 i = 0; i < 16; i++)
		ok &= *(volatile u32 *)(DEMAND_BASE + i * PAGE_SIZE + 8) == 0xC0DE0000u + i;
	CHECK(ok && demand_faults - f0 == 16); /* no new faults */
	/* not present, read, supervisor: error 0, CR2 = the address (SDM §5.7) */
	CHECK(probe_read(0x00C01234) == 14 && fixup_error == 0 && fixup_cr2 == 0x00C01234);
	/* page 0 is unmapped: NULL faults */
	CHECK(probe_read(0) == 14 && fixup_cr2 == 0);
	/* a read-only page with CR0.WP = 1: write faults with error 3 (P, W) */
	u32 pa = frame_alloc();
	CHECK(page_map(0x00C00000, pa, 0) == 0);
	CHECK(probe_read(0x00C00000) == 0xFF); /* reading is fine */
	CHECK(probe_write(0x00C00004) == 14 && fixup_error == 3 && fixup_cr2 == 0x00C00004);
	/* aliasing: the same frame at two addresses */
	CHECK(page_map(0x00C01000, pa, PTE_W) == 0);
	*(volatile u32 *)0x00C01010 = 0xA11A5ED;
	CHECK(*(volatile u32 *)0x00C00010 == 0xA11A5ED &&
	      *(volatile u32 *)(pa + 0x10) == 0xA11A5ED);
	page_unmap(0x00C00000);
	page_unmap(0x00C01000);
	CHECK(probe_read(0x00C01010) == 14); /* INVLPG took the old entry away */
	frame_free(pa);
	for (u32 i = 0; i < 16; i++) {
		u32 va = DEMAND_BASE + i * PAGE_SIZE;
		frame_free(page_lookup(va) & ~0xFFFu);
		page_unmap(va);
	}
	/* every frame came back but the page tables made on the first run
	 * for 0x800000 and 0xC00000 (directory entries 2 and 3) */
	CHECK(frame_free_count() == frames0 - (f0 == 0 ? 2 : 0));
}

/* ---- other exceptions -------------------------------------------------------- */
static void t_exceptions(void)
{
	u32 bp0 = exc_count[3];
	fixup_vector = 0xFF;
	__asm__ volatile("movl $1f, fixup_eip\n\txorl %%edx, %%edx\n\tmovl $1, %%eax\n\t"
			 "divl %%ecx\n1:\tmovl $0, fixup_eip"
			 :
			 : "c"(0)
			 : "eax", "edx", "memory");
	CHECK(fixup_vector == 0); /* #DE */
	fixup_vector = 0xFF;
	__asm__ volatile("movl $1f, fixup_eip\n\tud2\n1:\tmovl $0, fixup_eip" ::: "memory");
	CHECK(fixup_vector == 6); /* #UD */
	/* a selector beyond the GDT limit into DS: #GP(selector with RPL cleared) */
	fixup_vector = 0xFF;
	__asm__ volatile("movl $1f, fixup_eip\n\tmovw $0x1233, %%ax\n\tmovw %%ax, %%ds\n"
			 "1:\tmovl $0, fixup_eip\n\tmovw $0x10, %%ax\n\tmovw %%ax, %%ds" ::
			     : "eax", "memory");
	CHECK(fixup_vector == 13 && fixup_error == 0x1230);
	__asm__ volatile("int3");
	CHECK(exc_count[3] == bp0 + 1); /* #BP is a trap: we continue after it */
}

/* ---- timer ------------------------------------------------------------------ */
static void t_timer(void)
{
	u32 t0 = ticks;
	timer_sleep(10);
	CHECK(ticks - t0 >= 10 && ticks - t0 < 20);
	CHECK(irq_count[0] >= ticks);
	/* the PIT counts down: latch channel 0 twice (control word 0x00) */
	outb(0x43, 0x00);
	u32 c1 = inb(0x40) | (u32)inb(0x40) << 8;
	for (volatile int i = 0; i < 2000; i++)
		;
	outb(0x43, 0x00);
	u32 c2 = inb(0x40) | (u32)inb(0x40) << 8;
	CHECK(c1 <= 11932 && c2 <= 11932 && c1 != c2);
}

/* ---- disk -------------------------------------------------------------------- */
static u32 pattern(u32 lba, u32 i, u32 seed)
{
	return (lba * 0x9E3779B1u) ^ (i * 0x85EBCA77u) ^ seed;
}

/* Write N sectors from SCRATCH_LBA, 8 at a time, read them back in other
 * chunk sizes and compare.  0 when everything matched. */
static int disk_pass(int sectors, u32 seed)
{
	u32 *buf = kmalloc(16 * 512);
	int bad = 0;
	if (!buf)
		return -1;
	for (int s = 0; s < sectors && !bad; s += 8) {
		int n = sectors - s < 8 ? sectors - s : 8;
		for (int k = 0; k < n * 128; k++)
			buf[k] = pattern(SCRATCH_LBA + s + k / 128, k % 128, seed);
		bad |= ide_write(SCRATCH_LBA + s, n, buf) < 0;
	}
	for (int s = 0; s < sectors && !bad; s += 16) {
		int n = sectors - s < 16 ? sectors - s : 16;
		memset(buf, 0, 16 * 512);
		bad |= ide_read(SCRATCH_LBA + s, n, buf) < 0;
		for (int k = 0; k < n * 128 && !bad; k++)
			bad |= buf[k] != pattern(SCRATCH_LBA + s + k / 128, k % 128, seed);
	}
	kfree(buf);
	return bad;
}

int disk_test(int sectors)
{
	if (sectors < 1 || sectors > 4096)
		return -1;
	return disk_pass(sectors, 0x1234abcd);
}

static void t_disk(void)
{
	/* the kernel image, read again by our driver, is what the BIOS loaded */
	u8 *buf = kmalloc(8 * 512);
	CHECK(ide_read(1, 8, buf) == 0 && memcmp(buf, (void *)0x10000, 8 * 512) == 0);
	kfree(buf);
	u32 irq0 = ide_irqs;
	CHECK(disk_pass(256, 0x5eed0001) == 0); /* interrupt-driven */
	CHECK(ide_irqs - irq0 >= 256 + 256);	/* one per sector read and written */
	ide_set_polling(1);
	irq0 = ide_irqs;
	CHECK(disk_pass(128, 0x5eed0002) == 0); /* polling, nIEN set */
	CHECK(ide_irqs == irq0);
	ide_set_polling(0);
	CHECK(disk_pass(32, 0x5eed0003) == 0); /* and back: the final contents */
	static u8 sec[512];
	CHECK(ide_read(0x0FFFFFF0, 1, sec) < 0); /* beyond the disk: an error (IDNF), no hang */
}

/* ---- system calls and ring 3 ------------------------------------------------- */
static void t_user(void)
{
	u32 sc0 = syscall_count;
	CHECK(user_run(0) == 42);
	CHECK(syscall_count - sc0 >= 8);
	CHECK(user_run(1) == -1 - 14); /* #PF */
	CHECK(user_run(2) == -1 - 13); /* #GP */
	CHECK(user_run(3) == -1 - 13); /* #GP */
	CHECK(user_run(0) == 42);      /* and the machine still works */
}

/* ---- keyboard: type through the controller ------------------------------------- */
static void t_keyboard(void)
{
	/* set 1: shift down, H, shift up, i, space, 4, 2, Enter (make+break) */
	static const u8 sc[] = {0x2A, 0x23, 0xA3, 0xAA, 0x17, 0x97, 0x39,
				0xB9, 0x05, 0x85, 0x03, 0x83, 0x1C, 0x9C};
	char got[16];
	u32 irq0 = kbd_irqs;
	kbd_captured = 0;
	kbd_capture_max = sizeof got;
	kbd_capture = got;
	for (unsigned i = 0; i < sizeof sc; i++)
		kbd_inject(sc[i]);
	kbd_capture = 0;
	CHECK(kbd_captured == 6 && !memcmp(got, "Hi 42\n", 6));
	CHECK(kbd_irqs - irq0 == sizeof sc);
}

/* ---- console devices ---------------------------------------------------------- */
static void t_console(void)
{
	CHECK(uart_tx_irqs > 0); /* the output so far went out by interrupts */
	outb(0x3FF, 0xA5);	 /* the 16550's scratch register */
	CHECK(inb(0x3FF) == 0xA5);
	/* the CRTC's cursor location register reads back (at 0x3D4 or 0x3B4,
	 * as the Miscellaneous Output register's bit 0 selects) */
	u16 crtc = vga_crtc_port();
	outb(crtc, 0x0F);
	u8 lo = inb(crtc + 1);
	outb(crtc + 1, lo ^ 1);
	CHECK(inb(crtc + 1) == (lo ^ 1));
	outb(crtc + 1, lo);
	/* text memory: without a VGA BIOS (vmlab's BIOS on QEMU) the card
	 * may not be in text mode; say so on a machine-specific line */
	volatile u16 *cell = (volatile u16 *)0xB8000 + 80 * 25 - 1;
	u16 old = *cell;
	*cell = 0x1F41;
	kprintf(" ~ vga text memory %s", *cell == 0x1F41 ? "works" : "absent");
	*cell = old;
}

/* ---- interrupt routing: both paths, switched at run time ----------------------
 * With an I/O APIC (MP table) minios runs in symmetric I/O mode; here it
 * switches to the 8259 (virtual wire mode) and back, and on each path the
 * timer must tick, the UART's output must go out by interrupts and a typed
 * key must arrive: the edge-triggered inputs lose nothing in the switch
 * (trap.c, irq_rearm).  Without one only the 8259 path is checked. */
static void t_irqpath(void)
{
	for (int pass = 0; pass < 2; pass++) {
		if (ioapic_ready && irq_via_ioapic)
			irq_use_pic();
		else if (ioapic_ready)
			irq_use_ioapic();
		u32 t0 = ticks, tx0 = uart_tx_irqs, k0 = kbd_irqs;
		char got[4];
		timer_sleep(3);
		CHECK(ticks - t0 >= 3 && ticks - t0 < 10);
		kprintf(".");
		timer_sleep(1);
		CHECK(uart_tx_irqs > tx0);
		kbd_captured = 0;
		kbd_capture_max = sizeof got;
		kbd_capture = got;
		kbd_inject(0x39); /* space, make and break */
		kbd_inject(0xB9);
		kbd_capture = 0;
		CHECK(kbd_captured == 1 && got[0] == ' ');
		CHECK(kbd_irqs - k0 == 2);
	}
}

/* ---- SMP: every CPU's work, the spinlock, IPIs (smp.c) ---------------------- */
static void t_smp(void)
{
	CHECK(smp_run(0) == 0);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
    {"arithmetic", t_arith},
    {"heap", t_heap},
    {"frames", t_frames},
    {"paging", t_paging},
    {"exceptions", t_exceptions},
    {"timer", t_timer},
    {"disk", t_disk},
    {"syscalls", t_user},
    {"keyboard", t_keyboard},
    {"console", t_console},
    {"irq routing", t_irqpath},
    {"smp", t_smp},
};

int selftest_run(void)
{
	int fails = 0, n = (int)(sizeof tests / sizeof tests[0]);
	u32 took[sizeof tests / sizeof tests[0]];
	for (int i = 0; i < n; i++) {
		u32 t0 = ticks;
		failed_here = 0;
		kprintf("selftest: %-12s ...", tests[i].name);
		tests[i].fn();
		kprintf(failed_here ? "\nselftest: %s FAILED\n" : " ok\n", tests[i].name);
		fails += failed_here != 0;
		took[i] = ticks - t0;
	}
	kprintf("~ selftest: ticks per test:");
	for (int i = 0; i < n; i++)
		kprintf(" %s %u", tests[i].name, took[i]);
	kprintf("\n");
	kprintf("selftest: %d passed, %d failed\n", n - fails, fails);
	selftest_failures += fails;
	return fails;
}
