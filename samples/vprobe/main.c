/*
 * main.c - vprobe: can a guest kernel tell that it runs under a VMM?
 * (Robin & Irvine, USENIX Security 2000: the x86 instructions that are
 * sensitive but not privileged; DESIGN.md §4 --virt=trap / --cpu=pg-strict.)
 *
 * The kernel runs each such instruction at what it believes is ring 0 and
 * compares the answer with what bare metal must give (the values it loaded
 * itself).  Every mismatch is a "hole".  Exit (debug-exit port 0xF4):
 * 0 = believes bare metal, 1 = VMM detected.  Its GDT is samples/lib's
 * flat one (pm32.h), loaded first.
 */
#include "samples/lib/pm32.h"
#include "samples/lib/serial.h"

static int holes;

/* One probe: what we saw against what bare metal gives. */
static void check(const char *what, u32 saw, u32 want)
{
	serial_write(saw == want ? "  ok   " : "  HOLE ");
	serial_write(what);
	serial_write(": saw ");
	serial_puthex(saw, 8);
	serial_write(" expected ");
	serial_puthex(want, 8);
	serial_tx('\n');
	if (saw != want)
		holes++;
}

int sample_main(u32 magic __attribute__((unused)), u32 mbi_phys __attribute__((unused)))
{
	struct pm32_dtr gd, id;
	u16 sel;
	u32 v, ok;

	pm32_gdt_load(); /* flat ring-0 code 0x08 and data 0x10 */
	serial_write("vprobe: sensitive instructions at ring 0\n");

	__asm__ volatile("sgdt %0" : "=m"(gd));
	check("sgdt base", gd.base, (u32)pm32_gdt);

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
		serial_write("vprobe: VMM detected (");
		serial_tx('0' + holes / 10);
		serial_tx('0' + holes % 10);
		serial_write(" holes)\n");
	} else {
		serial_write("vprobe: bare metal\n");
	}
	return holes ? 1 : 0; /* to the debug-exit port (entry32.S) */
}
