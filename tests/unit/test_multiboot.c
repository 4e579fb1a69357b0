/*
 * test_multiboot.c - the multiboot v1 loader (hypervisor/multiboot.c):
 * header search and checksum, ELF32 and ELF64 images, the a.out kludge,
 * segments outside RAM, the boot information layout (Multiboot spec §3.3)
 * and the CPU state at entry (§3.2).
 *
 * The ELF images are built here with the structures of the host's <elf.h>
 * (glibc's definition of the format, not ours); the info layout is checked
 * against the offsets printed in the Multiboot specification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "devices/bus.h"
#include "hypervisor/multiboot.h"

#define RAM (128 * MiB)

static struct bus bus;

/* A PC's RAM layout, as hypervisor/vm.c maps it. */
static int setup(void **state)
{
	struct err e;

	assert_int_equal(bus_init(&bus, RAM, NULL, &e), 0);
	assert_int_equal(bus_map_ram(&bus, 0, 0xa0000, 0, &e), 0);
	assert_int_equal(bus_map_ram(&bus, 0x100000, RAM - 0x100000, 0x100000, &e), 0);
	/* Fill RAM with a pattern so that zeroed bss is visible. */
	memset(bus.ram, 0xaa, 4 * MiB);
	return 0;
}

static int teardown(void **state)
{
	bus_destroy(&bus);
	return 0;
}

static u32 rd32(u64 pa)
{
	u32 v;
	assert_int_equal(bus_dma_read(&bus, pa, &v, 4), 0);
	return v;
}

static u64 rd64(u64 pa)
{
	u64 v;
	assert_int_equal(bus_dma_read(&bus, pa, &v, 8), 0);
	return v;
}

static void put_header(u8 *p, u32 flags)
{
	u32 h[3] = {MB_HEADER_MAGIC, flags, -(MB_HEADER_MAGIC + flags)};
	memcpy(p, h, sizeof(h));
}

struct seg {
	u64 paddr, vaddr;
	u32 filesz, memsz;
	u8 fill;
};

/*
 * Build an ELF executable: headers, a multiboot header right after the
 * program headers (when mbflags >= 0), then each segment's bytes (filled
 * with seg.fill) at a page-aligned file offset.
 */
static size_t make_elf(u8 *out, bool is64, u64 entry, const struct seg *s, int n, long mbflags)
{
	size_t ph_off = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t ph_size = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t off = 0x1000, hdr = (ph_off + n * ph_size + 3) & ~3UL;
	unsigned char ident[EI_NIDENT] = {
	    ELFMAG0,	 ELFMAG1,   ELFMAG2, ELFMAG3, is64 ? ELFCLASS64 : ELFCLASS32,
	    ELFDATA2LSB, EV_CURRENT};

	if (mbflags >= 0)
		put_header(out + hdr, (u32)mbflags);
	if (is64) {
		Elf64_Ehdr eh = {.e_type = ET_EXEC,
				 .e_machine = EM_X86_64,
				 .e_version = EV_CURRENT,
				 .e_entry = entry,
				 .e_phoff = ph_off,
				 .e_ehsize = sizeof(eh),
				 .e_phentsize = sizeof(Elf64_Phdr),
				 .e_phnum = n};
		memcpy(eh.e_ident, ident, EI_NIDENT);
		memcpy(out, &eh, sizeof(eh));
	} else {
		Elf32_Ehdr eh = {.e_type = ET_EXEC,
				 .e_machine = EM_386,
				 .e_version = EV_CURRENT,
				 .e_entry = (u32)entry,
				 .e_phoff = ph_off,
				 .e_ehsize = sizeof(eh),
				 .e_phentsize = sizeof(Elf32_Phdr),
				 .e_phnum = n};
		memcpy(eh.e_ident, ident, EI_NIDENT);
		memcpy(out, &eh, sizeof(eh));
	}
	for (int i = 0; i < n; i++) {
		if (is64) {
			Elf64_Phdr ph = {PT_LOAD,    PF_R | PF_X, off,	      s[i].vaddr,
					 s[i].paddr, s[i].filesz, s[i].memsz, 0x1000};
			memcpy(out + ph_off + i * ph_size, &ph, sizeof(ph));
		} else {
			Elf32_Phdr ph = {PT_LOAD,     off,	  (u32)s[i].vaddr, (u32)s[i].paddr,
					 s[i].filesz, s[i].memsz, PF_R | PF_X,	   0x1000};
			memcpy(out + ph_off + i * ph_size, &ph, sizeof(ph));
		}
		memset(out + off, s[i].fill, s[i].filesz);
		off = (off + s[i].filesz + 0xfff) & ~0xfffUL;
	}
	return off;
}

static u8 img[64 * 1024];
static const struct multiboot_args no_args = {"k.elf", NULL, NULL, 0};

/* ---- header search ------------------------------------------------------ */

static void test_find_header(void **state)
{
	u8 buf[9000] = {0};
	struct mb_header h;
	struct err e;

	put_header(buf + 8180, 0x3); /* last offset whose 12 bytes fit in 8192 */
	assert_int_equal(multiboot_find_header(buf, sizeof(buf), "k", &h, &e), 0);
	assert_int_equal(h.offset, 8180);
	assert_int_equal(h.flags, 3);

	memset(buf, 0, sizeof(buf));
	put_header(buf + 8184, 0x3); /* runs past byte 8192: not searched */
	assert_int_equal(multiboot_find_header(buf, sizeof(buf), "k", &h, &e), -1);
	assert_string_equal(e.msg, "k: no multiboot header in the first 8192 bytes");

	memset(buf, 0, sizeof(buf));
	put_header(buf + 6, 0x3); /* not 32-bit aligned */
	assert_int_equal(multiboot_find_header(buf, sizeof(buf), "k", &h, &e), -1);

	memset(buf, 0, sizeof(buf));
	put_header(buf + 64, 0x3);
	buf[64 + 8] ^= 1; /* checksum off by one */
	assert_int_equal(multiboot_find_header(buf, sizeof(buf), "k", &h, &e), -1);
	assert_string_equal(e.msg, "k: multiboot header at offset 0x40 has a bad checksum");

	/* A short file is searched only as far as it goes. */
	assert_int_equal(multiboot_find_header(buf, 10, "k", &h, &e), -1);
}

/* ---- ELF32 ---------------------------------------------------------------- */

static void test_elf32(void **state)
{
	struct seg s[2] = {{0x100000, 0x100000, 0x200, 0x200, 0x11},
			   {0x200000, 0x200000, 0x100, 0x3000, 0x22}};
	size_t len = make_elf(img, false, 0x100010, s, 2, 0x3);
	struct multiboot_boot b;
	struct err e;
	u8 got[0x3000];

	assert_int_equal(multiboot_load_image(&bus, "k.elf", img, len, &no_args, &b, &e), 0);
	assert_false(b.elf64);
	assert_int_equal(b.entry, 0x100010);
	assert_int_equal(b.kernel_start, 0x100000);
	assert_int_equal(b.kernel_end, 0x203000);
	assert_int_equal(bus_dma_read(&bus, 0x100000, got, 0x200), 0);
	for (int i = 0; i < 0x200; i++)
		assert_int_equal(got[i], 0x11);
	/* The file part, then the bss zeroed over the 0xaa pattern. */
	assert_int_equal(bus_dma_read(&bus, 0x200000, got, 0x3000), 0);
	for (int i = 0; i < 0x3000; i++)
		assert_int_equal(got[i], i < 0x100 ? 0x22 : 0);
	/* Past the bss: untouched. */
	assert_int_equal(rd32(0x203000), 0xaaaaaaaa);
}

/* ---- ELF64 (a higher-half kernel: vaddr != paddr) --------------------------- */

static void test_elf64(void **state)
{
	struct seg s[1] = {{0x300000, 0xffffffff80300000ULL, 0x80, 0x80, 0x33}};
	size_t len = make_elf(img, true, 0xffffffff80300040ULL, s, 1, 0x2);
	struct multiboot_boot b;
	struct err e;

	assert_int_equal(multiboot_load_image(&bus, "k64.elf", img, len, &no_args, &b, &e), 0);
	assert_true(b.elf64);
	/* The entry is translated to the physical address: paging is off. */
	assert_int_equal(b.entry, 0x300040);
	assert_int_equal(rd32(0x300000), 0x33333333);
}

/* ---- refusals ---------------------------------------------------------------- */

static void test_out_of_ram(void **state)
{
	struct seg s[1] = {{RAM - 0x1000, RAM - 0x1000, 0x100, 0x2000, 0x44}};
	size_t len = make_elf(img, false, RAM - 0x1000, s, 1, 0);
	struct multiboot_boot b;
	struct err e;

	assert_int_equal(multiboot_load_image(&bus, "big.elf", img, len, &no_args, &b, &e), -1);
	assert_string_equal(e.msg, "big.elf: segment 0 (0x7fff000-0x8000fff) does not fit in guest "
				   "RAM (128 MiB)");

	/* The legacy hole (VGA, BIOS) is not RAM either. */
	s[0] = (struct seg){0xb8000, 0xb8000, 0x10, 0x10, 0x55};
	len = make_elf(img, false, 0xb8000, s, 1, 0);
	assert_int_equal(multiboot_load_image(&bus, "vga.elf", img, len, &no_args, &b, &e), -1);
	assert_non_null(strstr(e.msg, "vga.elf: segment 0 (0xb8000-0xb800f) does not fit"));

	/* Nor may a segment cover the info area. */
	s[0] = (struct seg){0x9000, 0x9000, 0x10, 0x10, 0x55};
	len = make_elf(img, false, 0x9000, s, 1, 0);
	assert_int_equal(multiboot_load_image(&bus, "low.elf", img, len, &no_args, &b, &e), -1);
	assert_non_null(strstr(e.msg, "low.elf: segment 0 (0x9000-0x900f) overlaps the multiboot "
				      "info area"));
}

static void test_not_elf(void **state)
{
	struct seg s[1] = {{0x100000, 0x100000, 0x10, 0x10, 0x66}};
	struct multiboot_boot b;
	struct err e;
	size_t len;

	memset(img, 0x90, 4096);
	assert_int_equal(multiboot_load_image(&bus, "foo.bin", img, 4096, &no_args, &b, &e), -1);
	assert_string_equal(e.msg, "foo.bin: not an ELF file");

	len = make_elf(img, false, 0x100000, s, 1, -1);
	assert_int_equal(multiboot_load_image(&bus, "nomb.elf", img, len, &no_args, &b, &e), -1);
	assert_string_equal(e.msg, "nomb.elf: no multiboot header in the first 8192 bytes");

	/* A requirement bit we do not know (bit 3) must be refused (§3.1.2). */
	len = make_elf(img, false, 0x100000, s, 1, 0x8);
	assert_int_equal(multiboot_load_image(&bus, "req.elf", img, len, &no_args, &b, &e), -1);
	assert_string_equal(e.msg,
			    "req.elf: multiboot header requires unsupported features (flags 0x8)");

	/* A segment pointing past the end of the file. */
	len = make_elf(img, false, 0x100000, s, 1, 0);
	assert_int_equal(multiboot_load_image(&bus, "cut.elf", img, 0x1008, &no_args, &b, &e), -1);
	assert_non_null(strstr(e.msg, "cut.elf: segment 0 is malformed"));
	(void)len;
}

/* ---- the a.out kludge (flag 16) ------------------------------------------ */

static void test_aout_kludge(void **state)
{
	u32 *h = (u32 *)(img + 8);
	struct multiboot_boot b;
	struct err e;

	memset(img, 0x77, 0x800);
	/* Raw image loaded at 0x400000; the header at file offset 8 lands at
	 * 0x400008.  Load 0x800 bytes, bss up to 0x401000, entry 0x400040. */
	h[0] = MB_HEADER_MAGIC;
	h[1] = MB_HF_AOUT;
	h[2] = -(MB_HEADER_MAGIC + MB_HF_AOUT);
	h[3] = 0x400008;
	h[4] = 0x400000;
	h[5] = 0x400800;
	h[6] = 0x401000;
	h[7] = 0x400040;
	assert_int_equal(multiboot_load_image(&bus, "raw.bin", img, 0x800, &no_args, &b, &e), 0);
	assert_true(b.aout);
	assert_int_equal(b.entry, 0x400040);
	assert_int_equal(rd32(0x400000), 0x77777777);
	assert_int_equal(rd32(0x400008), MB_HEADER_MAGIC);
	assert_int_equal(rd32(0x400ffc), 0); /* bss */
	assert_int_equal(b.kernel_end, 0x401000);
}

/* ---- the boot information (§3.3) -------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void read_str(u64 pa, char *out, size_t len)
{
	assert_int_equal(bus_dma_read(&bus, pa, out, len), 0);
	out[len - 1] = 0;
}

static void test_info_layout(void **state)
{
	char kpath[] = "/tmp/vmlab-mb-XXXXXX", m1[64], m2[64], spec2[96], str[128];
	struct seg s[1] = {{0x100000, 0x100000, 0x100, 0x1234, 0x11}};
	size_t len = make_elf(img, false, 0x100000, s, 1, 0x3);
	char *mods[2] = {m1, spec2};
	struct multiboot_args a = {kpath, "console=ttyS0 debug", mods, 2};
	struct multiboot_boot b;
	struct err e;
	u32 info, mmap, mods_addr;
	static const struct {
		u64 base, len;
		u32 type;
	} want[] = {
	    {0, 0x9fc00, 1},
	    {0x9fc00, 0x400, 2},
	    {0xf0000, 0x10000, 2},
	    {0x100000, RAM - 0x100000 - 0x20000, 1},
	    {RAM - 0x20000, 0x20000, 2},
	};

	int fd = mkstemp(kpath);
	assert_true(fd >= 0);
	close(fd);
	write_file(kpath, img, len);
	snprintf(m1, sizeof(m1), "%s.m1", kpath);
	snprintf(m2, sizeof(m2), "%s.m2", kpath);
	write_file(m1, "module-one", 10);
	write_file(m2, "second module!", 14);
	snprintf(spec2, sizeof(spec2), "%s arg=1", m2);

	assert_int_equal(multiboot_load(&bus, &a, &b, &e), 0);
	assert_string_equal(b.kernel_path, kpath);
	info = b.info_addr;
	assert_int_equal(info, MB_INFO_ADDR);
	/* flags: mem, cmdline, mods, mmap, boot loader name. */
	assert_int_equal(rd32(info + 0), 0x001 | 0x004 | 0x008 | 0x040 | 0x200);
	/* QEMU (SeaBIOS + its multiboot ROM) reports 639 and 129920 for 128 MiB:
	 * the EBDA and the top 128 KiB of firmware tables are not free RAM. */
	assert_int_equal(rd32(info + 4), 639);
	assert_int_equal(rd32(info + 8), (RAM - 0x100000 - 0x20000) / 1024);

	/* Memory map: 24-byte entries whose size field (20) excludes itself. */
	assert_int_equal(rd32(info + 44), 5 * 24);
	mmap = rd32(info + 48);
	for (int i = 0; i < 5; i++) {
		u32 ent = mmap + 24 * i;
		assert_int_equal(rd32(ent), 20);
		assert_int_equal(rd64(ent + 4), want[i].base);
		assert_int_equal(rd64(ent + 12), want[i].len);
		assert_int_equal(rd32(ent + 20), want[i].type);
	}

	read_str(rd32(info + 16), str, sizeof(str));
	assert_string_equal(str, "console=ttyS0 debug");
	read_str(rd32(info + 64), str, sizeof(str));
	assert_string_equal(str, "vmlab");

	/* Modules: page-aligned after the kernel, with their strings. */
	assert_int_equal(rd32(info + 20), 2);
	mods_addr = rd32(info + 24);
	assert_int_equal(rd32(mods_addr + 0), 0x102000);
	assert_int_equal(rd32(mods_addr + 4), 0x102000 + 10);
	read_str(rd32(mods_addr), str, 11);
	assert_string_equal(str, "module-one");
	read_str(rd32(mods_addr + 8), str, sizeof(str));
	assert_string_equal(str, m1);
	assert_int_equal(rd32(mods_addr + 16), 0x103000);
	assert_int_equal(rd32(mods_addr + 20), 0x103000 + 14);
	read_str(rd32(mods_addr + 24), str, sizeof(str));
	assert_string_equal(str, spec2);
	assert_int_equal(b.modules_end, 0x104000);

	/* The whole info area stays inside the scratch window. */
	assert_true(b.info_end <= MB_SCRATCH_END);
	multiboot_boot_free(&b);

	/* An empty command line is still a valid pointer to "". */
	{
		struct multiboot_args a2 = {kpath, NULL, NULL, 0};
		assert_int_equal(multiboot_load(&bus, &a2, &b, &e), 0);
		assert_int_equal(rd32(info + 20), 0);
		read_str(rd32(info + 16), str, 4);
		assert_string_equal(str, "");
		multiboot_boot_free(&b);
	}
	/* A missing module is one clear line. */
	{
		char *bad[1] = {"/nonexistent/mod.bin"};
		struct multiboot_args a3 = {kpath, NULL, bad, 1};
		assert_int_equal(multiboot_load(&bus, &a3, &b, &e), -1);
		assert_string_equal(e.msg, "/nonexistent/mod.bin: No such file or directory");
		multiboot_boot_free(&b);
	}
	unlink(kpath);
	unlink(m1);
	unlink(m2);
}

/* ---- §3.2: the machine state ------------------------------------------------- */

static void test_cpu_state(void **state)
{
	struct multiboot_boot b = {
	    .entry = 0x100010, .info_addr = MB_INFO_ADDR, .gdt_addr = MB_GDT_ADDR};
	static struct cpu c;
	u64 gdt[3];

	memset(&c, 0, sizeof(c));
	c.rflags = FL_1 | FL_IF;
	multiboot_setup_cpu(&c, &b);
	assert_int_equal(c.gpr[RAX], 0x2BADB002);
	assert_int_equal(c.gpr[RBX], MB_INFO_ADDR);
	assert_int_equal(c.rip, 0x100010);
	assert_int_equal(c.cr0 & (CR0_PE | CR0_PG), CR0_PE);
	assert_int_equal(c.rflags & (FL_IF | FL_VM), 0);
	assert_int_equal(c.seg[SEG_CS].base, 0);
	assert_int_equal(c.seg[SEG_CS].limit, 0xffffffff);
	assert_true(c.seg[SEG_CS].attr & SEGA_DB);
	assert_int_equal((c.seg[SEG_CS].attr >> SEGA_DPL_SHIFT) & 3, 0);
	assert_int_equal(c.seg[SEG_CS].attr & 0x8, 0x8); /* code */
	for (int s = 0; s < SEG_COUNT; s++) {
		assert_int_equal(c.seg[s].limit, 0xffffffff);
		if (s != SEG_CS)
			assert_int_equal(c.seg[s].attr & 0xa, 0x2); /* data, writable */
	}
	assert_int_equal(c.mode, CPU_MODE_PROT32);

	/* The GDT the selectors refer to, as the loader writes it: compare with
	 * the descriptors the SDM (Vol 3 §3.4.5) gives for flat 4 GiB segments. */
	{
		struct multiboot_boot lb;
		struct seg s[1] = {{0x100000, 0x100000, 0x10, 0x10, 0x11}};
		struct err e;
		size_t len = make_elf(img, false, 0x100000, s, 1, 0);

		assert_int_equal(multiboot_load_image(&bus, "k", img, len, &no_args, &lb, &e), 0);
		assert_int_equal(bus_dma_read(&bus, MB_GDT_ADDR, gdt, sizeof(gdt)), 0);
		assert_int_equal(gdt[0], 0);
		assert_int_equal(gdt[c.seg[SEG_CS].sel >> 3], 0x00cf9a000000ffffULL);
		assert_int_equal(gdt[c.seg[SEG_DS].sel >> 3], 0x00cf92000000ffffULL);
		assert_int_equal(c.gdtr.base, MB_GDT_ADDR);
		assert_int_equal(c.gdtr.limit, 23);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_header),
	    cmocka_unit_test_setup_teardown(test_elf32, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_elf64, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_elf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aout_kludge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_info_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cpu_state, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
