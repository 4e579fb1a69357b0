/*
 * main.c - samples/devfuzz: program every device of the PC with nonsense,
 * then check that each still gives sane, guest-visible answers (issue 5:
 * "a guest that programs devices with nonsense values: guest-visible
 * errors only, never a host crash or a hang of the monitor").
 *
 * Phase 1, garbage: a fixed-seed xorshift64 stream of port writes and
 * reads over the 8259 pair, the 8254, CMOS/RTC, COM1 (in loopback, so the
 * garbage never reaches the console), the i8042, the VGA registers, the
 * ATA task file (bad commands, LBAs far beyond the disk, stray data-port
 * traffic) and fw_cfg, and MMIO writes of random values to the local APIC
 * (reserved bits, bad vectors, reserved offsets) and the I/O APIC.
 * Left out, because they end the run on real machines too: the debug-exit
 * port 0xF4, the reset lines (0x92 bit 0, 0xCF9, i8042 commands F0h-FFh),
 * A20 off (i8042 D0h-DFh but the D2h/D3h "write as if received", 0x92), the APIC's ICR (INIT to self) and
 * delivery modes other than fixed in LVT and redirection entries (an NMI
 * through LINT0 or an I/O APIC pin is an architectural event this guest
 * does not handle).
 * Interrupts stay off (IF = 0) all along.
 *
 * Phase 2, checks, each against its datasheet:
 *   ATA (ATA/ATAPI-6 §6.2, §8): after a software reset (SRST, Device
 *       Control bit 2) the drive is ready; an unknown command ends with
 *       ERR and ABRT; a READ SECTORS beyond the last LBA ends with ERR
 *       (ABRT or IDNF) and no data; BSY always clears in bounded time;
 *   local APIC (SDM Vol 3A §11.5.3): a self-IPI with vector 3 sets ESR's
 *       send/receive illegal vector bits; a write to a reserved offset is
 *       ignored and the version register is intact;
 *   8259A: after ICW1-ICW4 the IMR reads back (OCW1);
 *   16550: after re-initialisation the scratch register reads back;
 *   CMOS: index 0x0E-0x3F are plain RAM that reads back;
 *   fw_cfg: selector 0 still reads "QEMU".
 * The run ends through the debug-exit port: 0x10 (status 33) when every
 * check passed.
 */
#include "samples/lib/exit.h"
#include "samples/lib/io.h"
#include "samples/lib/printf.h"
#include "samples/lib/serial.h"
#include "samples/lib/trap.h"

int sample_main(uint32_t magic, uint32_t mbi_phys);

#define LAPIC_ADDR  0xFEE00000u
#define IOAPIC_ADDR 0xFEC00000u
#define ROUNDS	    20000

static uint64_t rng = 0x5EED0DEF1A7E5ull;
static int failures;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void check(const char *what, int ok)
{
	printf("[devfuzz] %-44s %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

/* ---- the APIC pages (above the 1 GiB start32.S maps) ---------------------- */
extern uint64_t boot_pdpt[512];
static uint64_t high_pd[512] __attribute__((aligned(4096)));

static void apic_map(void)
{
	high_pd[(IOAPIC_ADDR >> 21) & 511] = IOAPIC_ADDR | 0x9b; /* 2 MiB, PCD PWT */
	high_pd[(LAPIC_ADDR >> 21) & 511] = LAPIC_ADDR | 0x9b;
	boot_pdpt[3] = (uint64_t)(uintptr_t)high_pd | 3;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}

static uint32_t lapic_rd(uint32_t off)
{
	return *(volatile uint32_t *)(uintptr_t)(LAPIC_ADDR + off);
}

static void lapic_wr(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(LAPIC_ADDR + off) = v;
}

/* ---- phase 1: garbage ------------------------------------------------------ */

/* The ports we aim at, each with a count of consecutive ports. */
static const struct {
	uint16_t base, n;
} targets[] = {
    {0x20, 2}, {0xA0, 2},   {0x40, 4},	{0x70, 2},  {0x3F9, 7}, {0x60, 1},
    {0x64, 1}, {0x3C0, 32}, {0x1F0, 8}, {0x3F6, 1}, {0x510, 2},
};

static void port_garbage(void)
{
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t r = next();
		unsigned t = (unsigned)(r % (sizeof targets / sizeof targets[0]));
		uint16_t port = (uint16_t)(targets[t].base + (r >> 8) % targets[t].n);
		uint8_t v = (uint8_t)(r >> 24);

		if (port == 0x64 && v >= 0xD0 && v != 0xD2 && v != 0xD3)
			v = 0x20; /* output port, A20 (D1h, DDh), reset pulses (F0h-FFh) */
		if (port == 0x3FC)
			v |= 0x10; /* MCR: keep the UART in loopback */
		if ((r >> 40) & 1)
			(void)inb(port);
		else if (port == 0x1F0 && ((r >> 41) & 1))
			outw(port, (uint16_t)(r >> 48));
		else
			outb(port, v);
	}
}

static void apic_garbage(void)
{
	for (int i = 0; i < ROUNDS / 4; i++) {
		uint64_t r = next();
		uint32_t off = (uint32_t)(r & 0x3F0), v = (uint32_t)(r >> 32);

		if (off == 0x300 || off == 0x310)
			continue; /* ICR: an INIT to ourselves resets a real CPU */
		if (off >= 0x320 && off <= 0x370)
			v &= ~0x700u; /* LVT: fixed delivery, no NMI/SMI/INIT/ExtINT */
		lapic_wr(off, v);
		(void)lapic_rd((uint32_t)((r >> 16) & 0x3F0));
	}
	for (int i = 0; i < ROUNDS / 4; i++) {
		uint64_t r = next();
		uint32_t reg = (uint32_t)(r & 0xFF), v = (uint32_t)(r >> 32);

		if (reg >= 0x10 && !(reg & 1))
			v &= ~0x700u; /* fixed delivery: no INIT/NMI/SMI messages */
		*(volatile uint32_t *)(uintptr_t)IOAPIC_ADDR = reg;
		if ((r >> 12) & 1)
			(void)*(volatile uint32_t *)(uintptr_t)(IOAPIC_ADDR + 0x10);
		else
			*(volatile uint32_t *)(uintptr_t)(IOAPIC_ADDR + 0x10) = v;
		/* and stray offsets inside the window (not IOWIN: unfiltered) */
		if (((r >> 20) & 0x1C) != 0x10)
			*(volatile uint32_t *)(uintptr_t)(IOAPIC_ADDR + ((r >> 20) & 0x1C)) = v;
	}
}

/* ---- phase 2: checks -------------------------------------------------------- */

/* Wait for BSY to clear; 0xFF means nothing answered. */
static uint8_t ata_wait(void)
{
	uint8_t s = 0xFF;
	for (int i = 0; i < 1000000; i++) {
		s = inb(0x1F7);
		if (!(s & 0x80))
			break;
	}
	return s;
}

static void check_ata(void)
{
	uint8_t s;

	outb(0x3F6, 0x06); /* SRST + nIEN */
	for (int i = 0; i < 1000; i++)
		(void)inb(0x3F6);
	outb(0x3F6, 0x02);
	outb(0x1F6, 0xE0); /* master, LBA */
	s = ata_wait();
	check("ata: ready after a software reset", !(s & 0x80) && (s & 0x40));
	outb(0x1F7, 0xFF); /* no such command */
	s = ata_wait();
	check("ata: unknown command -> ERR, ABRT", (s & 0x01) && (inb(0x1F1) & 0x04));
	/* READ SECTORS at LBA 0x0FFFFF00: far beyond a small disk */
	outb(0x1F6, 0xEF);
	outb(0x1F2, 1);
	outb(0x1F3, 0x00);
	outb(0x1F4, 0xFF);
	outb(0x1F5, 0xFF);
	outb(0x1F7, 0x20);
	s = ata_wait();
	check("ata: read beyond the disk -> ERR, no data",
	      (s & 0x01) && !(s & 0x08) && (inb(0x1F1) & 0x14));
	/* and the drive still reads sector 0 */
	outb(0x1F6, 0xE0);
	outb(0x1F2, 1);
	outb(0x1F3, 0);
	outb(0x1F4, 0);
	outb(0x1F5, 0);
	outb(0x1F7, 0x20);
	s = ata_wait();
	int ok = !(s & 0x01) && (s & 0x08);
	for (int i = 0; ok && i < 256; i++)
		(void)inw(0x1F0);
	check("ata: sector 0 still reads", ok && !(ata_wait() & 0x08));
}

static void check_lapic(void)
{
	lapic_wr(0x0F0, 0x1FF);	  /* SVR: software enabled, spurious 0xFF */
	lapic_wr(0x370, 0x10000); /* LVT error masked */
	lapic_wr(0x280, 0);
	lapic_wr(0x280, 0); /* ESR: latch, then clear what the garbage left */
	lapic_wr(0x310, 0);
	lapic_wr(0x300, 0x40003); /* self, fixed, vector 3: illegal */
	lapic_wr(0x280, 0);
	check("lapic: illegal vector -> ESR bits 5/6", (lapic_rd(0x280) & 0x60) != 0);
	lapic_wr(0x3F0, 0x12345678); /* reserved offset */
	check("lapic: version register intact", (lapic_rd(0x030) & 0xFF) >= 0x10);
	lapic_wr(0x080, 0);
	check("lapic: TPR reads back", lapic_rd(0x080) == 0);
}

static void check_pic(void)
{
	static const uint8_t icw[2][4] = {{0x11, 0x20, 0x04, 0x01}, {0x11, 0x28, 0x02, 0x01}};
	for (int c = 0; c < 2; c++) {
		uint16_t p = c ? 0xA0 : 0x20;
		outb(p, icw[c][0]);
		outb(p + 1, icw[c][1]);
		outb(p + 1, icw[c][2]);
		outb(p + 1, icw[c][3]);
	}
	outb(0x21, 0xB5);
	outb(0xA1, 0x6A);
	check("pic: IMR reads back after ICW1-4", inb(0x21) == 0xB5 && inb(0xA1) == 0x6A);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

static void check_misc(void)
{
	int ok = 1;
	for (uint8_t i = 0x20; i < 0x30; i++) {
		outb(0x70, i);
		outb(0x71, (uint8_t)(i * 7));
	}
	for (uint8_t i = 0x20; i < 0x30; i++) {
		outb(0x70, i);
		ok &= inb(0x71) == (uint8_t)(i * 7);
	}
	check("cmos: RAM bytes read back", ok);
	outw(0x510, 0);
	char sig[5] = {0};
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(0x511);
	check("fw_cfg: signature after bad selectors",
	      sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U');
}

int sample_main(uint32_t magic, uint32_t mbi_phys)
{
	(void)magic;
	(void)mbi_phys;
	serial_init();
	trap_init();
	apic_map();
	printf("[devfuzz] %d port writes and reads, %d APIC accesses\n", ROUNDS, ROUNDS / 2);
	outb(0x3FC, 0x13); /* COM1 in loopback while we fuzz it */
	port_garbage();
	apic_garbage();
	serial_init(); /* COM1 back to a sane state: our console */
	outb(0x3FF, 0x5A);
	check("uart: scratch register after re-init", inb(0x3FF) == 0x5A);
	check_pic();
	check_ata();
	check_lapic();
	check_misc();
	printf("[devfuzz] %s\n", failures ? "FAILED" : "all checks passed");
	guest_exit(failures ? EXIT_FAIL : EXIT_OK);
}
