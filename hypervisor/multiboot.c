/*
 * multiboot.c - the Multiboot v1 loader: find the header, load the ELF
 * (or a.out-kludge) image into guest RAM, load the modules, build the boot
 * information structure and put the boot CPU in the state the kernel
 * expects.  Follows "The Multiboot Specification version 0.6.96" §3; the
 * memory layout is described in multiboot.h.
 *
 * The kernel is untrusted input: every offset and size read from the file
 * is checked against the file length and against guest RAM before use, and
 * all writes to the guest go through bus_dma_write, which refuses anything
 * that is not RAM.
 */
#include "hypervisor/multiboot.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "devices/bus.h"

#define MB_MAX_MMAP 32

static u64 align_up(u64 v, u64 a)
{
	return (v + a - 1) & ~(a - 1);
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void wr32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

static void wr64(u8 *p, u64 v)
{
	wr32(p, (u32)v);
	wr32(p + 4, (u32)(v >> 32));
}

/* ---- §3.1: the OS image header ------------------------------------------- */

int multiboot_find_header(const u8 *buf, size_t len, const char *name, struct mb_header *h,
			  struct err *e)
{
	size_t limit = len < MB_SEARCH_LIMIT ? len : MB_SEARCH_LIMIT;
	long bad = -1;

	/* The header is 32-bit aligned and lies completely within the first
	 * 8192 bytes: magic, flags, checksum (12 bytes), then the a.out-kludge
	 * address fields when flag 16 is set. */
	for (size_t off = 0; off + 12 <= limit; off += 4) {
		const u8 *p = buf + off;

		if (rd32(p) != MB_HEADER_MAGIC)
			continue;
		/* magic + flags + checksum must be zero (unsigned 32-bit sum). */
		if ((u32)(rd32(p) + rd32(p + 4) + rd32(p + 8)) != 0) {
			if (bad < 0)
				bad = (long)off;
			continue;
		}
		memset(h, 0, sizeof(*h));
		h->offset = (u32)off;
		h->magic = rd32(p);
		h->flags = rd32(p + 4);
		h->checksum = rd32(p + 8);
		if (h->flags & MB_HF_AOUT) {
			if (off + 32 > limit)
				return err_set(e,
					       "%s: multiboot header at offset 0x%zx is cut short",
					       name, off);
			h->header_addr = rd32(p + 12);
			h->load_addr = rd32(p + 16);
			h->load_end_addr = rd32(p + 20);
			h->bss_end_addr = rd32(p + 24);
			h->entry_addr = rd32(p + 28);
		}
		return 0;
	}
	if (bad >= 0)
		return err_set(e, "%s: multiboot header at offset 0x%lx has a bad checksum", name,
			       bad);
	return err_set(e, "%s: no multiboot header in the first %d bytes", name, MB_SEARCH_LIMIT);
}

/* ---- writing into guest RAM ------------------------------------------------ */

/* Copy file bytes to [pa, pa+filesz) and zero up to pa+memsz (the bss). */
static int load_segment(struct bus *bus, const char *name, int idx, u64 pa, const u8 *data,
			u64 filesz, u64 memsz, struct err *e)
{
	static const u8 zeros[4096];
	u64 end = pa + memsz;

	if (end < pa || end > bus->ram_size || bus_dma_write(bus, pa, data, filesz))
		goto outside;
	for (u64 a = pa + filesz; a < end; a += sizeof(zeros)) {
		u64 n = end - a < sizeof(zeros) ? end - a : sizeof(zeros);
		if (bus_dma_write(bus, a, zeros, n))
			goto outside;
	}
	return 0;
outside:
	return err_set(e, "%s: segment %d (0x%llx-0x%llx) does not fit in guest RAM (%llu MiB)",
		       name, idx, (unsigned long long)pa, (unsigned long long)(end - 1),
		       (unsigned long long)(bus->ram_size / MiB));
}

/* Segments must stay clear of the scratch area we build the info in. */
static int check_scratch(const char *name, const char *what, u64 pa, u64 size, u32 scratch_end,
			 struct err *e)
{
	if (size && pa < scratch_end && pa + size > MB_GDT_ADDR)
		return err_set(e,
			       "%s: %s (0x%llx-0x%llx) overlaps the multiboot info area "
			       "(0x%x-0x%x)",
			       name, what, (unsigned long long)pa,
			       (unsigned long long)(pa + size - 1), MB_GDT_ADDR, scratch_end - 1);
	return 0;
}

/* ---- the ELF image ----------------------------------------------------------- */

static int load_elf(struct bus *bus, const char *name, const u8 *buf, size_t len, u32 scratch_end,
		    struct multiboot_boot *out, struct err *e)
{
	Elf *elf;
	GElf_Ehdr eh;
	size_t nph;
	u64 entry, lo = UINT64_MAX, hi = 0;
	int r = -1, nload = 0;
	char what[32];

	if (elf_version(EV_CURRENT) == EV_NONE)
		return err_set(e, "%s: libelf is too old: %s", name, elf_errmsg(-1));
	/* libelf only reads the buffer (the const cast is libelf's API). */
	elf = elf_memory((char *)buf, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err_set(e, "%s: not an ELF file", name);
		goto out;
	}
	if (!gelf_getehdr(elf, &eh)) {
		err_set(e, "%s: malformed ELF header (%s)", name, elf_errmsg(-1));
		goto out;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		err_set(e, "%s: not a little-endian ELF file", name);
		goto out;
	}
	out->elf64 = eh.e_ident[EI_CLASS] == ELFCLASS64;
	if ((!out->elf64 && eh.e_machine != EM_386) || (out->elf64 && eh.e_machine != EM_X86_64)) {
		err_set(e, "%s: not an x86 ELF file (e_machine %u)", name, eh.e_machine);
		goto out;
	}
	if (elf_getphdrnum(elf, &nph)) {
		err_set(e, "%s: malformed ELF program headers (%s)", name, elf_errmsg(-1));
		goto out;
	}
	entry = eh.e_entry;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			err_set(e, "%s: malformed program header %zu (%s)", name, i,
				elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* Untrusted sizes: the file part must lie inside the file. */
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > len ||
		    ph.p_filesz > len - ph.p_offset) {
			err_set(e, "%s: segment %zu is malformed (offset 0x%llx, size 0x%llx)",
				name, i, (unsigned long long)ph.p_offset,
				(unsigned long long)ph.p_filesz);
			goto out;
		}
		snprintf(what, sizeof(what), "segment %zu", i);
		/* Multiboot loads at the physical address; paging is off at entry. */
		if (check_scratch(name, what, ph.p_paddr, ph.p_memsz, scratch_end, e) ||
		    load_segment(bus, name, (int)i, ph.p_paddr, buf + ph.p_offset, ph.p_filesz,
				 ph.p_memsz, e))
			goto out;
		nload++;
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
		/* A higher-half kernel links its entry at a virtual address: the
		 * CPU starts with paging off, so translate it to the physical one. */
		if (ph.p_vaddr != ph.p_paddr && eh.e_entry >= ph.p_vaddr &&
		    eh.e_entry - ph.p_vaddr < ph.p_memsz)
			entry = eh.e_entry - ph.p_vaddr + ph.p_paddr;
	}
	if (!nload) {
		err_set(e, "%s: no loadable segments", name);
		goto out;
	}
	if (entry > 0xffffffffULL) {
		err_set(e,
			"%s: entry point 0x%llx is above 4 GiB (multiboot starts in 32-bit mode)",
			name, (unsigned long long)entry);
		goto out;
	}
	out->entry = (u32)entry;
	out->kernel_start = lo;
	out->kernel_end = hi;
	r = 0;
out:
	if (elf)
		elf_end(elf);
	return r;
}

/* ---- the a.out kludge (header flag 16, §3.1.3) --------------------------- */

static int load_aout(struct bus *bus, const char *name, const u8 *buf, size_t len,
		     const struct mb_header *h, u32 scratch_end, struct multiboot_boot *out,
		     struct err *e)
{
	/* header_addr is where the header itself lands: file offset h->offset.
	 * The load starts (header_addr - load_addr) bytes before it. */
	u64 before = (u64)h->header_addr - h->load_addr, file_off, load_end, bss_end;

	if (h->load_addr > h->header_addr || before > h->offset)
		return err_set(e,
			       "%s: multiboot header: load_addr 0x%x is inconsistent with "
			       "header_addr 0x%x",
			       name, h->load_addr, h->header_addr);
	file_off = h->offset - before;
	load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (len - file_off);
	bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (load_end < h->load_addr || load_end - h->load_addr > len - file_off ||
	    bss_end < load_end)
		return err_set(e,
			       "%s: multiboot header: load/bss addresses are inconsistent "
			       "(0x%x, 0x%x, 0x%x)",
			       name, h->load_addr, h->load_end_addr, h->bss_end_addr);
	if (check_scratch(name, "the image", h->load_addr, bss_end - h->load_addr, scratch_end,
			  e) ||
	    load_segment(bus, name, 0, h->load_addr, buf + file_off, load_end - h->load_addr,
			 bss_end - h->load_addr, e))
		return -1;
	out->aout = true;
	out->entry = h->entry_addr;
	out->kernel_start = h->load_addr;
	out->kernel_end = bss_end;
	return 0;
}

/* ---- the memory map ---------------------------------------------------------- */

struct mmap_entry {
	u64 base, len;
	u32 type;
};

static void mmap_add(struct mmap_entry *m, int *n, u64 base, u64 end, u32 type)
{
	if (end <= base || *n == MB_MAX_MMAP)
		return;
	/* Merge with the previous entry when contiguous and of the same type. */
	if (*n && m[*n - 1].type == type && m[*n - 1].base + m[*n - 1].len == base) {
		m[*n - 1].len += end - base;
		return;
	}
	m[(*n)++] = (struct mmap_entry){base, end - base, type};
}

/* The firmware's table area at the top of low RAM (QEMU+SeaBIOS: 128 KiB). */
#define MB_FW_RESERVED (128 * KiB)

/*
 * An E820-like map as a PC BIOS reports it: the RAM ranges of the bus, with
 * the legacy hole 0xA0000-0xFFFFF cut out, 0x9FC00-0x9FFFF reserved (the
 * BIOS's extended data area on a PC), 0xF0000-0xFFFFF reserved (the BIOS),
 * and every ROM range reserved.  Entries come out sorted by address.
 */
static int build_mmap(struct bus *bus, struct mmap_entry *m, u64 *upper_end)
{
	int n = 0;
	bool legacy_done = false;

	*upper_end = 0x100000;
	for (int i = 0; i < bus->nmem; i++) {
		const struct bus_range *r = &bus->mem[i];
		u64 base = r->base, end = r->base + r->size;

		if (!legacy_done && base >= 0xa0000) {
			mmap_add(m, &n, 0xf0000, 0x100000, MB_MEM_RESERVED);
			legacy_done = true;
		}
		if (r->kind == BUS_ROM) {
			if (base >= 0x100000 || end <= 0xf0000)
				mmap_add(m, &n, base, end, MB_MEM_RESERVED);
			continue;
		}
		if (r->kind != BUS_RAM)
			continue;
		if (base < 0xa0000) {
			u64 lo_end = end < 0x9fc00 ? end : 0x9fc00;
			mmap_add(m, &n, base, lo_end, MB_MEM_AVAILABLE);
			if (end > 0x9fc00)
				mmap_add(m, &n, 0x9fc00, 0xa0000, MB_MEM_RESERVED);
		}
		if (end > 0x100000) {
			if (!legacy_done) {
				mmap_add(m, &n, 0xf0000, 0x100000, MB_MEM_RESERVED);
				legacy_done = true;
			}
			if (base < 0x100000)
				base = 0x100000;
			if (base == 0x100000 && end - base > 2 * MB_FW_RESERVED) {
				/* The top of the RAM below the PCI hole keeps the
				 * firmware's tables (MP, later ACPI): reserved, as a PC
				 * BIOS (SeaBIOS under QEMU) reports it. */
				mmap_add(m, &n, base, end - MB_FW_RESERVED, MB_MEM_AVAILABLE);
				mmap_add(m, &n, end - MB_FW_RESERVED, end, MB_MEM_RESERVED);
				end -= MB_FW_RESERVED;
			} else {
				mmap_add(m, &n, base, end, MB_MEM_AVAILABLE);
			}
			if (base <= *upper_end && end > *upper_end)
				*upper_end = end; /* contiguous RAM from 1 MiB up */
		}
	}
	if (!legacy_done)
		mmap_add(m, &n, 0xf0000, 0x100000, MB_MEM_RESERVED);
	return n;
}

/* ---- modules and the information structure -------------------------------- */

/* Read a whole file (at most `max` bytes) into a fresh buffer. */
static int read_file(const char *path, u64 max, const char *what, u8 **buf, size_t *len,
		     struct err *e)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return err_errno(e, "%s", path);
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return err_set(e, "%s: not a regular file", path);
	}
	if ((u64)st.st_size > max) {
		fclose(f);
		return err_set(e, "%s: %s of %llu bytes does not fit in guest RAM (%llu MiB)", path,
			       what, (unsigned long long)st.st_size,
			       (unsigned long long)(max / MiB));
	}
	*buf = xcalloc(st.st_size ? st.st_size : 1, 1);
	n = fread(*buf, 1, st.st_size, f);
	if (n != (size_t)st.st_size) {
		int r = err_errno(e, "%s: short read", path);
		free(*buf);
		fclose(f);
		return r;
	}
	fclose(f);
	*len = n;
	return 0;
}

/* The bytes of scratch area the boot information will take. */
static u32 scratch_size(const struct multiboot_args *a)
{
	u64 s = MBI_SIZE + MB_MAX_MMAP * MB_MMAP_ENTRY + align_up(sizeof(MB_LOADER_NAME), 8);

	s += align_up(strlen(a->cmdline ? a->cmdline : "") + 1, 8) + 8;
	s += (u64)a->nmodules * 16;
	for (int i = 0; i < a->nmodules; i++)
		s += align_up(strlen(a->modules[i]) + 1, 8);
	return s > MB_SCRATCH_END ? MB_SCRATCH_END : (u32)align_up(s, 8);
}

/* Append a string to the scratch buffer; returns its guest address. */
static u32 put_str(u8 *scr, u32 *used, const char *s)
{
	u32 at = *used;
	size_t n = strlen(s) + 1;

	memcpy(scr + at, s, n);
	*used = (u32)align_up(at + n, 8);
	return MB_INFO_ADDR + at;
}

int multiboot_load_image(struct bus *bus, const char *name, const u8 *buf, size_t len,
			 const struct multiboot_args *a, struct multiboot_boot *out, struct err *e)
{
	struct mb_header h;
	struct err herr;
	bool is_elf = len >= 4 && !memcmp(buf, ELFMAG, 4), have_hdr;
	u32 info_space = scratch_size(a), scratch_end = MB_INFO_ADDR + info_space, used;
	struct mmap_entry mm[MB_MAX_MMAP];
	u64 upper_end, next;
	u8 *scr;
	int nmm, r = -1;
	/* A flat GDT: null, 32-bit code 0x08 and data 0x10, base 0, limit 4 GiB. */
	static const u8 gdt[24] = {0, 0,    0,	  0, 0,	   0,	 0, 0, 0xff, 0xff, 0,	 0,
				   0, 0x9a, 0xcf, 0, 0xff, 0xff, 0, 0, 0,    0x92, 0xcf, 0};

	memset(out, 0, sizeof(*out));
	if (MB_INFO_ADDR + info_space > MB_SCRATCH_END)
		return err_set(e,
			       "%s: the command line and module names are too long for the "
			       "multiboot info area",
			       name);

	/* 1. The header decides how to load: a.out kludge, or ELF. */
	have_hdr = !multiboot_find_header(buf, len, name, &h, &herr);
	if (have_hdr && (h.flags & 0xfff8)) /* requirement bits we do not know */
		return err_set(e, "%s: multiboot header requires unsupported features (flags 0x%x)",
			       name, h.flags);
	if (have_hdr && (h.flags & MB_HF_AOUT)) {
		if (load_aout(bus, name, buf, len, &h, scratch_end, out, e))
			return -1;
	} else if (!is_elf) {
		return err_set(e, "%s: not an ELF file", name);
	} else if (!have_hdr) {
		*e = herr;
		return -1;
	} else if (load_elf(bus, name, buf, len, scratch_end, out, e)) {
		return -1;
	}

	/* 2. Build the boot information in a host buffer, written at the end. */
	scr = xcalloc(info_space, 1);
	used = MBI_SIZE;
	nmm = build_mmap(bus, mm, &upper_end);
	/* KiB of conventional memory: up to the extended BIOS data area at
	 * 0x9FC00, i.e. 639, as a PC BIOS reports it (INT 12h). */
	wr32(scr + MBI_OFF_MEM_LOWER, 0x9fc00 / KiB);
	wr32(scr + MBI_OFF_MEM_UPPER, (u32)((upper_end - 0x100000) / KiB));
	wr32(scr + MBI_OFF_MMAP_ADDR, MB_INFO_ADDR + used);
	wr32(scr + MBI_OFF_MMAP_LENGTH, nmm * MB_MMAP_ENTRY);
	for (int i = 0; i < nmm; i++, used += MB_MMAP_ENTRY) {
		wr32(scr + used, MB_MMAP_ENTRY - 4); /* size excludes itself */
		wr64(scr + used + 4, mm[i].base);
		wr64(scr + used + 12, mm[i].len);
		wr32(scr + used + 20, mm[i].type);
	}
	wr32(scr + MBI_OFF_LOADER_NAME, put_str(scr, &used, MB_LOADER_NAME));
	/* The command line is always a valid pointer, even to an empty string. */
	wr32(scr + MBI_OFF_CMDLINE, put_str(scr, &used, a->cmdline ? a->cmdline : ""));

	/* 3. Modules: each page-aligned after the kernel (and the scratch area). */
	next = align_up(out->kernel_end > scratch_end ? out->kernel_end : scratch_end, 4096);
	{
		u32 list = used;

		used += a->nmodules * 16;
		wr32(scr + MBI_OFF_MODS_COUNT, a->nmodules);
		wr32(scr + MBI_OFF_MODS_ADDR, MB_INFO_ADDR + list);
		for (int i = 0; i < a->nmodules; i++) {
			size_t plen = strcspn(a->modules[i], " ");
			char *path = xcalloc(plen + 1, 1);
			u8 *mod = NULL;
			size_t mlen = 0;

			memcpy(path, a->modules[i], plen);
			if (read_file(path, bus->ram_size, "module", &mod, &mlen, e))
				goto mod_fail;
			if (next + mlen > 0x100000000ULL) {
				err_set(e, "%s: module does not fit below 4 GiB", path);
				goto mod_fail;
			}
			if (load_segment(bus, path, 0, next, mod, mlen, mlen, e)) {
				err_set(e,
					"%s: module (%zu bytes at 0x%llx) does not fit in guest "
					"RAM (%llu MiB)",
					path, mlen, (unsigned long long)next,
					(unsigned long long)(bus->ram_size / MiB));
				goto mod_fail;
			}
			free(mod);
			free(path);
			wr32(scr + list + 16 * i, (u32)next);		   /* mod_start */
			wr32(scr + list + 16 * i + 4, (u32)(next + mlen)); /* mod_end */
			wr32(scr + list + 16 * i + 8, put_str(scr, &used, a->modules[i]));
			next = align_up(next + mlen, 4096);
			continue;
		mod_fail:
			free(mod);
			free(path);
			goto out;
		}
	}
	out->modules_end = a->nmodules ? next : out->kernel_end;
	wr32(scr + MBI_OFF_FLAGS, MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER);

	/* 4. Write the GDT and the information structure into guest RAM. */
	if (bus_dma_write(bus, MB_GDT_ADDR, gdt, sizeof(gdt)) ||
	    bus_dma_write(bus, MB_INFO_ADDR, scr, used)) {
		err_set(e, "%s: guest RAM does not cover the multiboot info area (0x%x-0x%x)", name,
			MB_GDT_ADDR, MB_INFO_ADDR + used - 1);
		goto out;
	}
	out->gdt_addr = MB_GDT_ADDR;
	out->info_addr = MB_INFO_ADDR;
	out->info_end = MB_INFO_ADDR + used;
	r = 0;
out:
	free(scr);
	return r;
}

int multiboot_load(struct bus *bus, const struct multiboot_args *a, struct multiboot_boot *out,
		   struct err *e)
{
	u8 *buf;
	size_t len;
	int r;

	if (read_file(a->kernel, bus->ram_size, "kernel", &buf, &len, e))
		return -1;
	r = multiboot_load_image(bus, a->kernel, buf, len, a, out, e);
	free(buf);
	if (!r)
		out->kernel_path = xstrdup(a->kernel);
	return r;
}

void multiboot_boot_free(struct multiboot_boot *b)
{
	free(b->kernel_path);
	b->kernel_path = NULL;
}

/* ---- §3.2: the machine state at entry ------------------------------------- */

static void flat_segment(struct segment *s, u16 sel, u32 type)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	/* present, code/data (S), DPL 0, 32-bit (D/B), 4 KiB granularity. */
	s->attr = type | SEGA_S | SEGA_P | SEGA_DB | SEGA_G;
}

void multiboot_setup_cpu(struct cpu *c, const struct multiboot_boot *b)
{
	/* EAX tells the kernel a multiboot loader started it; EBX is the
	 * physical address of the boot information structure. */
	c->gpr[RAX] = MB_BOOT_MAGIC;
	c->gpr[RBX] = b->info_addr;
	/* CS: 32-bit execute/read code, offset 0, limit 0xFFFFFFFF.  The other
	 * segment registers: read/write data with the same base and limit.
	 * The selectors match the GDT we left at MB_GDT_ADDR. */
	flat_segment(&c->seg[SEG_CS], 0x08, 0xb);
	for (int s = 0; s < SEG_COUNT; s++)
		if (s != SEG_CS)
			flat_segment(&c->seg[s], 0x10, 0x3);
	c->gdtr.base = b->gdt_addr;
	c->gdtr.limit = 3 * 8 - 1;
	/* CR0: PE set, PG clear (ET is hardwired to 1 on every CPU since the 486). */
	c->cr0 = CR0_PE | CR0_ET;
	c->cr4 = 0;
	c->efer = 0;
	/* EFLAGS: VM = 0, IF = 0; every arithmetic flag clear. */
	c->rflags = FL_1;
	c->lf.op = LAZY_NONE;
	c->rip = b->entry;
	c->halted = false;
	/* A20 is enabled: our bus never masks address line 20. */
	cpu_update_mode(c);
}
