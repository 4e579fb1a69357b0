/*
 * main.c - vprobe: can a guest kernel tell that it runs under a VMM?
 * (Robin & Irvine, USENIX Security 2000: the x86 instructions that are
 * sensitive but not privileged; DESIGN.md §4 --virt=trap / --cpu=pg-strict.)
 *
 * The kernel runs each such instruction at what it believes is ring 0 and
 * compares the answer with what bare metal must give (the values it loaded
 * itself).  Every mismatch is a "hole".  Exit (debug-exit port 0xF4):
 * 0 = believes bare metal, 1 = VMM detected.
 */
#include <stdint.h>

extern uint64_t vprobe_gdt[];

static inline void outb(uint16_t p, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p));
}

static void putc_(char ch)
{
	outb(0x3f8, (uint8_t)ch);
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void puthex(uint32_t v)
{
	puts_("0x");
	for (int k = 28; k >= 0; k -= 4)
		putc_("0123456789abcdef"[(v >> k) & 15]);
}

static int holes;

/* One probe: what we saw against what bare metal gives. */
static void check(const char *what, uint32_t saw, uint32_t want)
{
	puts_(saw == want ? "  ok   " : "  HOLE ");
	puts_(what);
	puts_(": saw ");
	puthex(saw);
	puts_(" expected ");
	puthex(want);
	putc_('\n');
	if (saw != want)
		holes++;
}

void vprobe_main(void)
{
	struct __attribute__((packed)) {
		uint16_t lim;
		uint32_t base;
	} gd, id;
	uint16_t sel;
	uint32_t v, ok;

	puts_("vprobe: sensitive instructions at ring 0\n");

	__asm__ volatile("sgdt %0" : "=m"(gd));
	check("sgdt base", gd.base, (uint32_t)vprobe_gdt);

	/* Our IDT is the 0-limit one of the multiboot state: set it ourselves. */
	id.lim = 0x7ff;
	id.base = 0x8000;
	__asm__ volatile("lidt %0" ::"m"(id));
	id.base = 0;
	__asm__ volatile("sidt %0" : "=m"(id));
	check("sidt base", id.base, 0x8000);

	__asm__ volatile("sldt %0" : "=r"(sel));
	check("sldt", sel, 0);
	__asm__ volatile("str %0" : "=r"(sel));
	check("str", sel, 0);

	__asm__ volatile("smsw %0" : "=r"(v));
	check("smsw PE", v & 1, 1);

	__asm__ volatile("mov %%cs, %0" : "=r"(sel));
	check("mov cs (CPL)", sel & 3, 0);
	__asm__ volatile("mov %%ss, %0" : "=r"(sel));
	check("mov ss (RPL)", sel & 3, 0);
	__asm__ volatile("push %%cs; pop %0" : "=r"(v));
	check("push cs (RPL)", v & 3, 0);

	/* cli, then pushf: IF must read 0. */
	__asm__ volatile("cli; pushf; pop %0" : "=r"(v));
	check("pushf after cli (IF)", (v >> 9) & 1, 0);
	/* popf with IF=1, then pushf: IF must read 1 (then cli again). */
	__asm__ volatile("pushf; orl $0x200, (%%esp); popf; pushf; pop %0; cli" : "=r"(v));
	check("popf IF=1 (IF)", (v >> 9) & 1, 1);
	/* IOPL: ring 0 may set IOPL 3 with popf. */
	__asm__ volatile("pushf; orl $0x3000, (%%esp); popf; pushf; pop %0" : "=r"(v));
	check("popf IOPL=3 (IOPL)", (v >> 12) & 3, 3);
	__asm__ volatile("pushf; andl $~0x3000, (%%esp); popf" ::: "memory");

	/* LAR/LSL on our own code segment: DPL 0, limit 4 GiB - 1. */
	__asm__ volatile("lar %2, %0; setz %b1" : "=r"(v), "=q"(ok) : "r"(0x08) : "cc");
	check("lar cs (DPL)", (v >> 13) & 3, 0);
	__asm__ volatile("lsl %2, %0; setz %b1" : "=r"(v), "=q"(ok) : "r"(0x08) : "cc");
	check("lsl cs (limit)", v, 0xffffffff);
	__asm__ volatile("verw %w1; setz %b0" : "=q"(ok) : "r"(0x10) : "cc");
	check("verw ds", ok & 1, 1);

	if (holes) {
		puts_("vprobe: VMM detected (");
		putc_('0' + holes / 10);
		putc_('0' + holes % 10);
		puts_(" holes)\n");
	} else {
		puts_("vprobe: bare metal\n");
	}
	outb(0xf4, holes ? 1 : 0);
	for (;;)
		__asm__ volatile("hlt");
}
